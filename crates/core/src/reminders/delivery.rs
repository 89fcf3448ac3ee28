//! The last look before a message goes out. Between queueing and sending, things change: the
//! homework is submitted, the session moves, the partner opts out, night falls where the
//! partner lives. The worker loads what it needs for a whole claimed batch at once
//! ([`Deliveries::load`], a handful of queries) and asks [`Deliveries::decide`] per message.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::opt_out::{self, OptOutKey};
use super::outbox::MessageKind;
use super::{ReminderSettings, settings};
use crate::clock::Clock;
use crate::entities::{assignment, counseling_session, outbox_message, partner, response};
use crate::error::CoreError;

/// What to do with one claimed message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Send it now. Times in it are written in `zone`; `partner` is the recipient partner of a
    /// client email (for the opt-out link, and the homework link when one is minted).
    Send { zone: Tz, partner: Option<Uuid> },
    /// Outside the recipient's waking hours: wait until then (not an attempt).
    Hold(DateTime<Utc>),
    /// No longer wanted; the reason is for the log.
    Drop(&'static str),
}

/// What a batch of messages needs to be decided.
#[derive(Debug)]
pub struct Deliveries {
    pub settings: ReminderSettings,
    pub key: OptOutKey,
    partners: HashMap<Uuid, partner::Model>,
    responses: HashMap<Uuid, response::Model>,
    assignments: HashMap<Uuid, assignment::Model>,
    sessions: HashMap<Uuid, counseling_session::Model>,
}

fn ids_of(messages: &[outbox_message::Model], kind: &str) -> Vec<Uuid> {
    messages
        .iter()
        .filter(|m| m.subject_kind.as_deref() == Some(kind))
        .filter_map(|m| m.subject_id)
        .collect()
}

impl Deliveries {
    pub async fn load(
        db: &impl ConnectionTrait,
        clock: &dyn Clock,
        messages: &[outbox_message::Model],
    ) -> Result<Self, CoreError> {
        let settings = settings(db).await?;
        let key = opt_out::key(db, clock).await?;
        let partner_ids: Vec<Uuid> = messages.iter().filter_map(|m| m.partner_id).collect();
        let partners = if partner_ids.is_empty() {
            HashMap::new()
        } else {
            partner::Entity::find()
                .filter(partner::Column::Id.is_in(partner_ids))
                .all(db)
                .await?
                .into_iter()
                .map(|p| (p.id, p))
                .collect()
        };
        let response_ids = ids_of(messages, "response");
        let responses: HashMap<Uuid, response::Model> = if response_ids.is_empty() {
            HashMap::new()
        } else {
            response::Entity::find()
                .filter(response::Column::Id.is_in(response_ids))
                .all(db)
                .await?
                .into_iter()
                .map(|r| (r.id, r))
                .collect()
        };
        let assignment_ids: Vec<Uuid> = responses.values().map(|r| r.assignment_id).collect();
        let assignments = if assignment_ids.is_empty() {
            HashMap::new()
        } else {
            assignment::Entity::find()
                .filter(assignment::Column::Id.is_in(assignment_ids))
                .all(db)
                .await?
                .into_iter()
                .map(|a| (a.id, a))
                .collect()
        };
        let session_ids = ids_of(messages, "session");
        let sessions = if session_ids.is_empty() {
            HashMap::new()
        } else {
            counseling_session::Entity::find()
                .filter(counseling_session::Column::Id.is_in(session_ids))
                .all(db)
                .await?
                .into_iter()
                .map(|s| (s.id, s))
                .collect()
        };
        Ok(Self {
            settings,
            key,
            partners,
            responses,
            assignments,
            sessions,
        })
    }

    /// Whether the record a reminder is about still wants it.
    fn still_wanted(
        &self,
        m: &outbox_message::Model,
        now: DateTime<Utc>,
    ) -> Result<(), &'static str> {
        let Some(id) = m.subject_id else {
            return Ok(());
        };
        match m.subject_kind.as_deref() {
            Some("response") => {
                let r = self.responses.get(&id).ok_or("the homework is gone")?;
                if r.status.is_final() {
                    return Err("the homework was submitted");
                }
                let a = self
                    .assignments
                    .get(&r.assignment_id)
                    .ok_or("the homework is gone")?;
                if a.cancelled_at.is_some() {
                    return Err("the homework was cancelled");
                }
            }
            Some("session") => {
                let s = self.sessions.get(&id).ok_or("the session is gone")?;
                if !super::session_reminders::is_scheduled(s) {
                    return Err("the session was cancelled or has taken place");
                }
                if s.starts_at <= now {
                    return Err("the session has started");
                }
            }
            _ => {}
        }
        Ok(())
    }

    pub fn decide(&self, m: &outbox_message::Model, now: DateTime<Utc>) -> Decision {
        let Some(kind) = MessageKind::from_key(&m.kind) else {
            return Decision::Send {
                zone: chrono_tz::UTC,
                partner: None,
            };
        };
        if !kind.is_client() {
            return Decision::Send {
                zone: chrono_tz::UTC,
                partner: None,
            };
        }
        let Some(p) = m.partner_id.and_then(|id| self.partners.get(&id)) else {
            // A client email whose partner is gone (the couple was deleted).
            return if m.partner_id.is_some() {
                Decision::Drop("the partner is gone")
            } else {
                Decision::Send {
                    zone: chrono_tz::UTC,
                    partner: None,
                }
            };
        };
        if kind.is_reminder() && p.reminders_opt_out {
            return Decision::Drop("the partner opted out of reminders");
        }
        if kind.is_reminder()
            && let Err(why) = self.still_wanted(m, now)
        {
            return Decision::Drop(why);
        }
        let zone = p.timezone.tz();
        let opens = self.settings.waking.next_open(now, zone);
        if opens > now {
            return Decision::Hold(opens);
        }
        Decision::Send {
            zone,
            partner: Some(p.id),
        }
    }

    pub fn opt_out_token(&self, partner_id: Uuid) -> String {
        self.key.token(partner_id)
    }
}
