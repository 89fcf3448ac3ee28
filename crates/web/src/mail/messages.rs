//! Messages from their templates (`templates/email/<kind>/`): a neutral subject, a text part
//! and an HTML part. Client emails carry no clinical content: no exercise titles, no stage,
//! no notes, only that there is something and the link.

use askama::Template;
use lettre::Message;
use lettre::message::{Mailbox, MultiPart};
use uuid::Uuid;

#[derive(Template)]
#[template(path = "email/homework_link/subject.txt", escape = "none")]
struct LinkSubject;

#[derive(Template)]
#[template(path = "email/homework_link/text.txt", escape = "none")]
struct LinkText<'a> {
    name: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "email/homework_link/html.html")]
struct LinkHtml<'a> {
    name: &'a str,
    link: &'a str,
}

/// The Message-ID of an outbox message: the same for every attempt, so a resend after a crash
/// can be recognised by the receiving side.
pub fn message_id(outbox_id: Uuid) -> String {
    format!("<{outbox_id}@kintsugi.outbox>")
}

/// Build the email for an outbox row.
pub fn build(
    kind: &str,
    outbox_id: Uuid,
    from: &Mailbox,
    to: &str,
    payload: &serde_json::Value,
) -> Result<Message, String> {
    let to: Mailbox = to
        .parse()
        .map_err(|e| format!("recipient address refused: {e}"))?;
    let (subject, text, html) = match kind {
        "homework_link" => {
            let name = payload["name"].as_str().unwrap_or("there");
            let link = payload["link"].as_str().ok_or("the link is missing")?;
            (
                LinkSubject.render().map_err(|e| e.to_string())?,
                LinkText { name, link }
                    .render()
                    .map_err(|e| e.to_string())?,
                LinkHtml { name, link }
                    .render()
                    .map_err(|e| e.to_string())?,
            )
        }
        other => return Err(format!("unknown message kind {other}")),
    };
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(subject.trim())
        .message_id(Some(message_id(outbox_id)))
        .multipart(MultiPart::alternative_plain_html(text, html))
        .map_err(|e| e.to_string())
}
