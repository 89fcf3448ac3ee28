//! Messages from their templates (`templates/email/<kind>/`): a neutral subject, a text part
//! and an HTML part, and for a session reminder a calendar invitation. Client emails carry no
//! clinical content (no exercise titles, no stage, no notes, no answers): only that there is
//! something, when, and the link; each carries a signed link to turn reminders off, also as
//! RFC 8058 `List-Unsubscribe` headers. The counselor's digest carries counts and couple labels.

use askama::Template;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use kintsugi_core::reminders::digest::{Digest, DigestSession};
use kintsugi_core::reminders::outbox::MessageKind;
use lettre::Message;
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart};
use uuid::Uuid;

use super::calendar::{self, Invitation};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

// ---------------------------------------------------------------------------------------------
// Templates, three per kind.

#[derive(Template)]
#[template(path = "email/homework_link/subject.txt", escape = "none")]
struct LinkSubject;
#[derive(Template)]
#[template(path = "email/homework_link/text.txt", escape = "none")]
struct LinkText<'a> {
    name: &'a str,
    link: &'a str,
    opt_out: &'a str,
}
#[derive(Template)]
#[template(path = "email/homework_link/html.html")]
struct LinkHtml<'a> {
    name: &'a str,
    link: &'a str,
    opt_out: &'a str,
}

#[derive(Template)]
#[template(path = "email/homework_assigned/subject.txt", escape = "none")]
struct AssignedSubject;
#[derive(Template)]
#[template(path = "email/homework_assigned/text.txt", escape = "none")]
struct AssignedText<'a> {
    name: &'a str,
    link: &'a str,
    opt_out: &'a str,
}
#[derive(Template)]
#[template(path = "email/homework_assigned/html.html")]
struct AssignedHtml<'a> {
    name: &'a str,
    link: &'a str,
    opt_out: &'a str,
}

#[derive(Template)]
#[template(path = "email/homework_due_soon/subject.txt", escape = "none")]
struct DueSoonSubject;
#[derive(Template)]
#[template(path = "email/homework_due_soon/text.txt", escape = "none")]
struct DueSoonText<'a> {
    name: &'a str,
    link: &'a str,
    due: &'a str,
    opt_out: &'a str,
}
#[derive(Template)]
#[template(path = "email/homework_due_soon/html.html")]
struct DueSoonHtml<'a> {
    name: &'a str,
    link: &'a str,
    due: &'a str,
    opt_out: &'a str,
}

#[derive(Template)]
#[template(path = "email/homework_overdue/subject.txt", escape = "none")]
struct OverdueSubject;
#[derive(Template)]
#[template(path = "email/homework_overdue/text.txt", escape = "none")]
struct OverdueText<'a> {
    name: &'a str,
    link: &'a str,
    due: &'a str,
    opt_out: &'a str,
}
#[derive(Template)]
#[template(path = "email/homework_overdue/html.html")]
struct OverdueHtml<'a> {
    name: &'a str,
    link: &'a str,
    due: &'a str,
    opt_out: &'a str,
}

#[derive(Template)]
#[template(path = "email/session_reminder/subject.txt", escape = "none")]
struct SessionSubject;
#[derive(Template)]
#[template(path = "email/session_reminder/text.txt", escape = "none")]
struct SessionText<'a> {
    name: &'a str,
    when: &'a str,
    zone: &'a str,
    video_link: Option<&'a str>,
    opt_out: &'a str,
}
#[derive(Template)]
#[template(path = "email/session_reminder/html.html")]
struct SessionHtml<'a> {
    name: &'a str,
    when: &'a str,
    zone: &'a str,
    video_link: Option<&'a str>,
    opt_out: &'a str,
}

#[derive(Template)]
#[template(path = "email/counselor_digest/subject.txt", escape = "none")]
struct DigestSubject<'a> {
    date: &'a str,
}
#[derive(Template)]
#[template(path = "email/counselor_digest/text.txt", escape = "none")]
struct DigestText<'a> {
    name: &'a str,
    date: &'a str,
    to_review: u64,
    overdue: u64,
    failed_emails: u64,
    sessions: &'a [DigestSession],
    dashboard: &'a str,
}
#[derive(Template)]
#[template(path = "email/counselor_digest/html.html")]
struct DigestHtml<'a> {
    name: &'a str,
    date: &'a str,
    to_review: u64,
    overdue: u64,
    failed_emails: u64,
    sessions: &'a [DigestSession],
    dashboard: &'a str,
}

// ---------------------------------------------------------------------------------------------
// Headers.

/// `List-Unsubscribe: <https://…/reminders/opt-out/TOKEN>` (RFC 2369).
#[derive(Debug, Clone)]
struct ListUnsubscribe(String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }
    fn parse(s: &str) -> Result<Self, BoxError> {
        Ok(Self(
            s.trim_start_matches('<').trim_end_matches('>').to_owned(),
        ))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), format!("<{}>", self.0))
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058): the mail program may POST
/// to the opt-out link for a one-click opt-out.
#[derive(Debug, Clone)]
struct ListUnsubscribePost;

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }
    fn parse(_: &str) -> Result<Self, BoxError> {
        Ok(Self)
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".to_owned())
    }
}

/// `Auto-Submitted: auto-generated` (RFC 3834): no vacation replies to these, please.
#[derive(Debug, Clone)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }
    fn parse(_: &str) -> Result<Self, BoxError> {
        Ok(Self)
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".to_owned())
    }
}

// ---------------------------------------------------------------------------------------------
// Building.

/// The Message-ID of an outbox message: the same for every attempt, so a resend after a crash
/// can be recognised by the receiving side.
pub fn message_id(outbox_id: Uuid) -> String {
    format!("<{outbox_id}@kintsugi.outbox>")
}

/// What the worker adds to a message's payload when it sends it.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    /// `KINTSUGI_BASE_URL`.
    pub base_url: &'a str,
    /// The recipient partner's signed opt-out link (client emails must have one).
    pub opt_out_url: Option<String>,
    /// The homework link, when the worker minted one for this email.
    pub link: Option<String>,
    /// The recipient's time zone: times are written in it.
    pub zone: Tz,
    pub now: DateTime<Utc>,
}

/// A moment as the recipient reads it: "Friday 15 January 2027 at 19:00".
pub use crate::time_format::in_words as local_time;

fn render(t: impl Template) -> Result<String, String> {
    t.render().map_err(|e| e.to_string())
}

fn time_of(payload: &serde_json::Value, field: &str) -> Result<DateTime<Utc>, String> {
    payload[field]
        .as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| format!("the {field} is missing"))
}

struct Parts {
    subject: String,
    text: String,
    html: String,
    calendar: Option<String>,
}

fn parts(
    kind: MessageKind,
    payload: &serde_json::Value,
    ctx: &Context<'_>,
) -> Result<Parts, String> {
    let name = payload["name"].as_str().unwrap_or("there");
    let opt_out = ctx.opt_out_url.as_deref().unwrap_or_default();
    let link = || -> Result<String, String> {
        if let Some(l) = &ctx.link {
            return Ok(l.clone());
        }
        if let Some(l) = payload["link"].as_str() {
            return Ok(l.to_owned());
        }
        payload["link_path"]
            .as_str()
            .map(|p| format!("{}{p}", ctx.base_url))
            .ok_or_else(|| "the link is missing".to_owned())
    };
    let plain = |subject, text, html| Parts {
        subject,
        text,
        html,
        calendar: None,
    };
    Ok(match kind {
        MessageKind::HomeworkLink => {
            let link = &link()?;
            plain(
                render(LinkSubject)?,
                render(LinkText {
                    name,
                    link,
                    opt_out,
                })?,
                render(LinkHtml {
                    name,
                    link,
                    opt_out,
                })?,
            )
        }
        MessageKind::HomeworkAssigned => {
            let link = &link()?;
            plain(
                render(AssignedSubject)?,
                render(AssignedText {
                    name,
                    link,
                    opt_out,
                })?,
                render(AssignedHtml {
                    name,
                    link,
                    opt_out,
                })?,
            )
        }
        MessageKind::HomeworkDueSoon => {
            let link = &link()?;
            let due = &format!(
                "on {} ({})",
                local_time(time_of(payload, "due_at")?, ctx.zone),
                ctx.zone.name()
            );
            plain(
                render(DueSoonSubject)?,
                render(DueSoonText {
                    name,
                    link,
                    due,
                    opt_out,
                })?,
                render(DueSoonHtml {
                    name,
                    link,
                    due,
                    opt_out,
                })?,
            )
        }
        MessageKind::HomeworkOverdue => {
            let link = &link()?;
            let due = &format!(
                "on {} ({})",
                local_time(time_of(payload, "due_at")?, ctx.zone),
                ctx.zone.name()
            );
            plain(
                render(OverdueSubject)?,
                render(OverdueText {
                    name,
                    link,
                    due,
                    opt_out,
                })?,
                render(OverdueHtml {
                    name,
                    link,
                    due,
                    opt_out,
                })?,
            )
        }
        MessageKind::SessionReminder => {
            let starts_at = time_of(payload, "starts_at")?;
            let when = &local_time(starts_at, ctx.zone);
            let zone = ctx.zone.name();
            let video_link = payload["video_link"].as_str().filter(|l| !l.is_empty());
            let session_id = payload["session_id"].as_str().unwrap_or_default();
            let partner_id = payload["partner_id"].as_str().unwrap_or_default();
            let invitation = Invitation {
                // One calendar entry per session and recipient; a moved session replaces it.
                uid: format!("session-{session_id}-{partner_id}@kintsugi"),
                starts_at,
                duration_minutes: payload["duration_minutes"].as_i64().unwrap_or(50),
                zone: ctx.zone,
                video_link,
                // Later reminders carry a higher sequence, so calendars keep the newest.
                sequence: u32::try_from(ctx.now.timestamp() / 60).unwrap_or(0),
                now: ctx.now,
            };
            Parts {
                subject: render(SessionSubject)?,
                text: render(SessionText {
                    name,
                    when,
                    zone,
                    video_link,
                    opt_out,
                })?,
                html: render(SessionHtml {
                    name,
                    when,
                    zone,
                    video_link,
                    opt_out,
                })?,
                calendar: Some(calendar::ics(&invitation)),
            }
        }
        MessageKind::CounselorDigest => {
            let d: Digest = serde_json::from_value(payload.clone())
                .map_err(|e| format!("the digest could not be read: {e}"))?;
            let dashboard = &format!("{}/", ctx.base_url);
            plain(
                render(DigestSubject { date: &d.date })?,
                render(DigestText {
                    name: &d.name,
                    date: &d.date,
                    to_review: d.to_review,
                    overdue: d.overdue,
                    failed_emails: d.failed_emails,
                    sessions: &d.sessions,
                    dashboard,
                })?,
                render(DigestHtml {
                    name: &d.name,
                    date: &d.date,
                    to_review: d.to_review,
                    overdue: d.overdue,
                    failed_emails: d.failed_emails,
                    sessions: &d.sessions,
                    dashboard,
                })?,
            )
        }
    })
}

/// Build the email for an outbox row.
pub fn build(
    kind: MessageKind,
    outbox_id: Uuid,
    from: &Mailbox,
    to: &str,
    payload: &serde_json::Value,
    ctx: &Context<'_>,
) -> Result<Message, String> {
    let to: Mailbox = to
        .parse()
        .map_err(|e| format!("recipient address refused: {e}"))?;
    let parts = parts(kind, payload, ctx)?;
    let mut builder = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(parts.subject.trim())
        .message_id(Some(message_id(outbox_id)))
        .header(AutoSubmitted);
    if kind.is_client() {
        let opt_out = ctx
            .opt_out_url
            .clone()
            .ok_or("a client email needs its opt-out link")?;
        builder = builder
            .header(ListUnsubscribe(opt_out))
            .header(ListUnsubscribePost);
    }
    let body = MultiPart::alternative_plain_html(parts.text, parts.html);
    let body = match parts.calendar {
        None => body,
        Some(ics) => MultiPart::mixed().multipart(body).singlepart(
            Attachment::new("invitation.ics".to_owned()).body(
                ics,
                ContentType::parse("text/calendar; charset=utf-8; method=PUBLISH")
                    .map_err(|e| e.to_string())?,
            ),
        ),
    };
    builder.multipart(body).map_err(|e| e.to_string())
}
