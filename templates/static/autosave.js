// Saves a draft (homework answers, a session note) in the background a moment after typing
// stops, so that closing the browser loses nothing. Without this script the "Save draft"
// button does the same. Passwords are never sent in the background; a form with a version
// field gets the new version back, so the next save is not mistaken for a stale one.
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave]");
  if (!form || !window.fetch || !window.URLSearchParams) return;
  var status = document.getElementById("autosave-status");
  var timer = null;
  var say = function (text) { if (status) status.textContent = text; };
  var save = function () {
    var body = new URLSearchParams(new FormData(form));
    body.set("action", "autosave");
    body.delete("password");
    fetch(form.getAttribute("data-autosave"), {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded" }
    }).then(function (r) {
      var version = r.headers.get("X-Draft-Version");
      if (version && form.elements.version) form.elements.version.value = version;
      if (r.status === 204) say("Draft saved.");
      else if (r.status === 409) say("Not saved: this was changed elsewhere or is locked. Reload the page.");
      else if (r.status === 422) say(form.getAttribute("data-autosave-invalid") || "Draft saved, except answers that need a second look.");
      else say("Not saved automatically; use Save draft.");
    }).catch(function () { say("Not saved automatically; use Save draft."); });
  };
  var later = function () {
    if (timer) clearTimeout(timer);
    say("");
    timer = setTimeout(save, 1500);
  };
  form.addEventListener("input", later);
  form.addEventListener("change", later);
})();
