//! Session pages: the schedule / reschedule form, the session page with its note editor,
//! signature, addenda, marker ratings and homework, and the session lists on the couple page
//! and the dashboard.

use askama::Template;
use askama_web::WebTemplate;
use chrono::{DateTime, Utc};
use kintsugi_core::domain::TimeZone;
use kintsugi_core::sessions::notes::NoteStatus;
use kintsugi_core::sessions::store::Session;
use kintsugi_core::sessions::{Location, SessionState};

use super::homework_review::AssignForm;
use super::stages::StageCard;
use super::{Chrome, Errors};

/// A session form as typed: every field a string, shown again as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct SessionFormValues {
    pub date: String,
    pub time: String,
    pub duration_minutes: String,
    pub location: String,
    pub location_detail: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "sessions/form.html")]
pub struct SessionFormPage {
    pub chrome: Chrome,
    pub heading: String,
    pub couple_id: String,
    pub couple_label: String,
    pub action: String,
    pub submit_label: &'static str,
    pub cancel_url: String,
    pub values: SessionFormValues,
    pub errors: Errors,
    pub conflict: Option<String>,
    pub time_zone: &'static str,
}

/// "Tue 3 Mar 2026, 15:00–15:50".
pub fn session_when(s: &Session, tz: TimeZone) -> String {
    let end = kintsugi_core::sessions::ends_at(s.starts_at, s.duration_minutes);
    crate::time_format::span(s.starts_at, end, tz)
}

pub fn location_of(s: &Session) -> Location {
    Location::from_columns(&s.location_kind, s.location_detail.as_deref())
}

/// One session in a list (couple page, dashboard).
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub id: String,
    pub couple_id: String,
    pub couple_label: String,
    pub when: String,
    pub time: String,
    pub location: String,
    pub state_key: &'static str,
    pub state_label: &'static str,
    /// "Signed", "Draft" or "No note".
    pub note_label: &'static str,
    pub note_key: &'static str,
    pub upcoming: bool,
}

impl SessionRow {
    pub fn new(
        s: &Session,
        couple_label: &str,
        note_status: Option<NoteStatus>,
        tz: TimeZone,
        now: DateTime<Utc>,
    ) -> Self {
        let state = SessionState::of(s.attendance.as_deref());
        let (note_key, note_label) = match note_status {
            Some(NoteStatus::Signed) => ("signed", "Note signed"),
            Some(NoteStatus::Draft) => ("draft", "Note in draft"),
            None => ("none", "No note yet"),
        };
        Self {
            id: s.id.to_string(),
            couple_id: s.couple_id.to_string(),
            couple_label: couple_label.to_owned(),
            when: session_when(s, tz),
            time: crate::time_format::clock_time(s.starts_at, tz),
            location: location_of(s).describe(),
            state_key: state.key(),
            state_label: state.label(),
            note_label,
            note_key,
            upcoming: state == SessionState::Scheduled && s.starts_at >= now,
        }
    }
}

/// The sessions panel of the couple page.
#[derive(Debug, Clone, Default)]
pub struct CoupleSessions {
    pub upcoming: Vec<SessionRow>,
    pub past: Vec<SessionRow>,
    /// Report period defaults, as date inputs hold them.
    pub report_from: String,
    pub report_to: String,
}

/// One section of the note editor.
#[derive(Debug, Clone)]
pub struct SectionField {
    pub key: &'static str,
    pub heading: &'static str,
    pub hint: &'static str,
    pub value: String,
    pub error: Option<String>,
}

#[derive(Debug, Clone)]
pub struct SignatureView {
    pub signer: String,
    pub signed_at: String,
    pub content_hash: String,
}

#[derive(Debug, Clone)]
pub struct AddendumView {
    pub author: String,
    pub written_at: String,
    pub text: String,
    pub content_hash: String,
}

/// The note as the page shows it: an editor while in draft, the signed text afterwards.
#[derive(Debug, Clone)]
pub struct NoteView {
    pub format_key: &'static str,
    pub format_label: &'static str,
    pub sections: Vec<SectionField>,
    pub version: String,
    /// Offer the other format while nothing would be lost by switching: (key, label).
    pub switch_to: Option<(&'static str, &'static str)>,
    pub signature: Option<SignatureView>,
    pub started: bool,
    pub last_saved: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "sessions/show.html")]
pub struct SessionPage {
    pub chrome: Chrome,
    pub id: String,
    pub couple_id: String,
    pub couple_label: String,
    pub when: String,
    pub duration: String,
    pub location: String,
    pub video_link: Option<String>,
    pub time_zone: &'static str,
    pub state_key: &'static str,
    pub state_label: &'static str,
    pub can_reschedule: bool,
    /// (attendance key, button label) offered now.
    pub attendance_actions: Vec<(&'static str, &'static str)>,
    pub notice: Option<String>,
    pub alert: Option<String>,
    pub note: NoteView,
    /// Why the last save or signature was refused (kept beside the editor).
    pub note_alert: Option<String>,
    pub sign_error: Option<String>,
    /// The counselor has two-factor sign-in on: signing asks for a code from the app.
    pub sign_with_code: bool,
    pub addenda: Vec<AddendumView>,
    pub addendum_text: String,
    pub addendum_error: Option<String>,
    pub markers: Option<StageCard>,
    pub assign: AssignForm,
    pub assign_action: String,
    /// Homework given in this session: (title, due).
    pub assigned_here: Vec<(String, String)>,
}

pub fn section_hint(key: &str) -> &'static str {
    match key {
        "data" => "What you observed and what the partners said, in facts.",
        "subjective" => "What each partner reported, in their words where it matters.",
        "objective" => "What you observed: presentation, interaction, anything measured.",
        "assessment" => "Your clinical reading of the session and of the couple's progress.",
        "plan" => "Next steps: homework, focus of the next session, referrals.",
        _ => "",
    }
}
