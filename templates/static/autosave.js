// Saves the homework draft in the background a moment after the client stops typing, so that
// closing the browser loses nothing. Without this script the "Save draft" button does the same.
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
    fetch(form.getAttribute("data-autosave"), {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded" }
    }).then(function (r) {
      if (r.status === 204) say("Draft saved.");
      else if (r.status === 422) say("Draft saved, except answers that need a second look.");
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
