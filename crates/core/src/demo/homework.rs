//! The demo couples' homework: weekly check-ins with a visible trend, and exercises in every
//! state (assigned, overdue, draft, submitted, reviewed with a note), made through the same
//! services clients and counselors use, on a clock that walks through the couple's weeks.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::audit::Actor;
use crate::clock::FixedClock;
use crate::couples::PartnerRole;
use crate::couples::store::CoupleRecord;
use crate::domain::TimeZone;
use crate::error::CoreError;
use crate::homework::assignments::{self, NewAssignment};
use crate::homework::library::{self, LibraryFilter};
use crate::homework::prompts::{Prompt, PromptKind, RawAnswer};
use crate::homework::responses;
use crate::homework::{Recurrence, Visibility};
use crate::stages::Stage;

/// How a couple's check-in numbers move over the weeks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trend {
    /// The hurt partner's anger eases week by week.
    AngerCooling,
    /// The partners' trust ratings drift apart in the last weeks.
    TrustDiverging,
    /// Slow, uneven improvement.
    Steady,
}

/// How a demo answer ends: kept as a draft, or submitted (shared or not).
#[derive(Debug, Clone, Copy)]
enum Finish {
    Draft,
    Submit { share: bool },
}

pub struct HomeworkStory<'a> {
    pub db: &'a DatabaseConnection,
    pub counselor_id: Uuid,
    pub couple: &'a CoupleRecord,
    pub time_zone: TimeZone,
    pub intake: DateTime<Utc>,
    pub now: DateTime<Utc>,
    pub current: Option<Stage>,
    pub trend: Trend,
}

const WORDS: [&str; 4] = [
    "I noticed I could stay in the conversation longer this week before wanting to leave the room.",
    "Some evenings are still hard. Tuesday was the hardest; Saturday was better than I expected.",
    "I tried to say what I needed instead of waiting to be asked. It felt awkward but it helped.",
    "Writing this down made me see how much has changed since we started, and how much has not yet.",
];

fn answer(p: &Prompt, week: usize, scale: Option<u8>) -> RawAnswer {
    match &p.kind {
        PromptKind::LongText | PromptKind::ShortText => RawAnswer::text(WORDS[week % WORDS.len()]),
        PromptKind::Scale { .. } => RawAnswer::text(scale.unwrap_or(5).to_string()),
        PromptKind::SingleChoice { options } => {
            RawAnswer::text(options[week % options.len()].clone())
        }
        PromptKind::Checklist { options } => RawAnswer {
            values: options.iter().take(2).cloned().collect(),
        },
    }
}

/// A 0-10 number for a check-in prompt in week `w` of `n`.
fn number(trend: Trend, role: PartnerRole, key: &str, w: usize, n: usize) -> u8 {
    let progress = if n <= 1 {
        1.0
    } else {
        w as f64 / (n - 1) as f64
    };
    let wobble = [0.0, 0.6, -0.4, 0.3][w % 4];
    let value = match (trend, key) {
        (Trend::AngerCooling, "anger") => 9.0 - 6.0 * progress,
        (Trend::AngerCooling, "hurt" | "betrayal") => 9.0 - 3.5 * progress,
        (Trend::AngerCooling, _) => 7.0 - 2.0 * progress,
        (Trend::TrustDiverging, "trust") => match role {
            PartnerRole::Involved => 5.0 + 3.5 * progress,
            PartnerRole::Hurt => 5.0 - 2.5 * progress,
        },
        (Trend::TrustDiverging, _) => 5.0 + progress,
        (Trend::Steady, "hurt" | "betrayal" | "sadness" | "anger") => 7.5 - 3.0 * progress,
        (Trend::Steady, _) => 4.5 + 3.0 * progress,
    };
    (value + wobble).round().clamp(0.0, 10.0) as u8
}

impl HomeworkStory<'_> {
    async fn exercise(&self, key: &str) -> Result<library::Exercise, CoreError> {
        library::list(self.db, self.counselor_id, LibraryFilter::default())
            .await?
            .into_iter()
            .find(|e| e.model.builtin_key.as_deref() == Some(key))
            .ok_or_else(|| CoreError::Internal(format!("built-in exercise {key} missing")))
    }

    async fn assign(
        &self,
        clock: &FixedClock,
        key: &str,
        who: Vec<PartnerRole>,
        due: DateTime<Utc>,
        recurrence: Option<(Recurrence, chrono::NaiveDate)>,
    ) -> Result<Vec<Uuid>, CoreError> {
        let exercise = self.exercise(key).await?;
        let local: NaiveDateTime = due.with_timezone(&self.time_zone.tz()).naive_local();
        let new = NewAssignment {
            exercise_id: exercise.model.id,
            assignees: who,
            due_local: local,
            time_zone: self.time_zone,
            visibility: if key.ends_with("checkin") {
                Visibility::CounselorOnly
            } else {
                Visibility::Shareable
            },
            recurrence,
        };
        assignments::assign(
            self.db,
            clock,
            &Actor::counselor(self.counselor_id, None),
            self.counselor_id,
            self.couple.couple.id,
            new,
        )
        .await
    }

    /// Answer (and optionally submit) one partner's response to an assignment.
    async fn respond(
        &self,
        clock: &FixedClock,
        assignment: Uuid,
        role: PartnerRole,
        week: usize,
        scales: impl Fn(&str) -> Option<u8>,
        finish: Finish,
    ) -> Result<Option<Uuid>, CoreError> {
        let detail = assignments::get(self.db, self.counselor_id, assignment).await?;
        let Some((_, response)) = detail.responses.iter().find(|(r, _)| *r == role) else {
            return Ok(None);
        };
        let partner = self.couple.partner(role);
        let raw: Vec<(String, RawAnswer)> = detail
            .exercise
            .prompts
            .iter()
            .map(|p| (p.key.clone(), answer(p, week, scales(&p.key))))
            .collect();
        match finish {
            Finish::Submit { share } => {
                responses::submit(self.db, clock, partner, response.id, &raw, share, None).await?;
            }
            Finish::Draft => {
                responses::save_draft(self.db, clock, partner, response.id, &raw).await?;
            }
        }
        Ok(Some(response.id))
    }

    pub async fn write(&self) -> Result<(), CoreError> {
        let clock = FixedClock::new(self.intake + Duration::days(2));
        let weeks = ((self.now - self.intake).num_weeks()).clamp(1, 16) as usize;
        let first_due = self.now - Duration::weeks(weeks as i64 - 1) - Duration::hours(30);
        // The hurt partner's weekly feelings check-in, through this week.
        let until = (self.now + Duration::days(6)).date_naive();
        let checkins = self
            .assign(
                &clock,
                "feelings_checkin",
                vec![PartnerRole::Hurt],
                first_due,
                Some((Recurrence::Weekly, until)),
            )
            .await?;
        let n = checkins.len();
        for (w, a) in checkins.iter().enumerate() {
            let due = first_due + Duration::weeks(w as i64);
            if due > self.now {
                break;
            }
            // The latest check-in of a steadily improving couple is still outstanding (overdue).
            let last_past = first_due + Duration::weeks(w as i64 + 1) > self.now;
            if last_past && self.trend == Trend::Steady {
                continue;
            }
            clock.set(due - Duration::hours(3));
            let trend = self.trend;
            self.respond(
                &clock,
                *a,
                PartnerRole::Hurt,
                w,
                |k| Some(number(trend, PartnerRole::Hurt, k, w, n)),
                Finish::Submit { share: false },
            )
            .await?;
        }
        // Couples doing joint work also rate their connection each week.
        if self.current.is_none_or(|s| s.is_gated()) || self.trend == Trend::TrustDiverging {
            let joint = self
                .assign(
                    &clock,
                    "connection_checkin",
                    vec![PartnerRole::Involved, PartnerRole::Hurt],
                    first_due,
                    Some((Recurrence::Weekly, until)),
                )
                .await?;
            let n = joint.len();
            for (w, a) in joint.iter().enumerate() {
                let due = first_due + Duration::weeks(w as i64);
                if due > self.now {
                    break;
                }
                clock.set(due - Duration::hours(2));
                let trend = self.trend;
                for role in PartnerRole::BOTH {
                    self.respond(
                        &clock,
                        *a,
                        role,
                        w,
                        |k| Some(number(trend, role, k, w, n)),
                        Finish::Submit { share: false },
                    )
                    .await?;
                }
            }
        }
        // Stage work in every state.
        let stage = self.current.unwrap_or(Stage::SharedResponsibility);
        let keys: Vec<(String, PartnerRole)> = library::list(
            self.db,
            self.counselor_id,
            LibraryFilter {
                stage: Some(stage),
                recipient: None,
            },
        )
        .await?
        .into_iter()
        .filter(|e| {
            e.is_builtin()
                && !e
                    .model
                    .builtin_key
                    .as_deref()
                    .unwrap_or_default()
                    .ends_with("checkin")
        })
        .map(|e| {
            let role = match e.model.recipient {
                crate::homework::Recipient::Hurt => PartnerRole::Hurt,
                _ => PartnerRole::Involved,
            };
            (e.model.builtin_key.unwrap_or_default(), role)
        })
        .collect();
        for (i, (key, role)) in keys.iter().enumerate().take(3) {
            clock.set(self.now - Duration::days(12 - 3 * i as i64));
            let due = match i {
                0 => self.now - Duration::days(6),
                1 => self.now - Duration::days(1),
                _ => self.now + Duration::days(4),
            };
            let a = self.assign(&clock, key, vec![*role], due, None).await?[0];
            clock.set(due - Duration::hours(20));
            match i {
                // Submitted, shared, and reviewed with a note.
                0 => {
                    if let Some(r) = self
                        .respond(
                            &clock,
                            a,
                            *role,
                            1,
                            |_| Some(6),
                            Finish::Submit { share: true },
                        )
                        .await?
                    {
                        clock.set(due + Duration::days(1));
                        let note = "Thank you for writing this so openly. Let's start next session with the second part.";
                        assignments::review(
                            self.db,
                            &clock,
                            &Actor::counselor(self.counselor_id, None),
                            self.counselor_id,
                            r,
                            note,
                        )
                        .await?;
                    }
                }
                // Submitted, waiting for the counselor.
                1 => {
                    self.respond(
                        &clock,
                        a,
                        *role,
                        2,
                        |_| Some(4),
                        Finish::Submit { share: false },
                    )
                    .await?;
                }
                // A draft, due in a few days.
                _ => {
                    self.respond(&clock, a, *role, 3, |_| None, Finish::Draft)
                        .await?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trends_move_the_right_way() {
        let first = number(Trend::AngerCooling, PartnerRole::Hurt, "anger", 0, 10);
        let last = number(Trend::AngerCooling, PartnerRole::Hurt, "anger", 9, 10);
        assert!(first >= last + 4, "{first} -> {last}");
        let involved = number(Trend::TrustDiverging, PartnerRole::Involved, "trust", 9, 10);
        let hurt = number(Trend::TrustDiverging, PartnerRole::Hurt, "trust", 9, 10);
        assert!(involved >= hurt + 4, "{involved} vs {hurt}");
    }
}
