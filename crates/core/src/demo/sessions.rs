//! The demo couples' sessions: weekly sessions from intake on, most attended with a signed
//! note (DAP or SOAP), a no-show and a cancellation here and there, an addendum or two, the
//! latest note still a draft, one session today and the next one booked. Made through the same
//! services the pages use, on a clock that walks through the weeks.

use chrono::{DateTime, Duration, NaiveTime, Utc};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::audit::Actor;
use crate::clock::FixedClock;
use crate::domain::TimeZone;
use crate::error::CoreError;
use crate::homework::assignments::local_to_utc;
use crate::sessions::note_store::{self, Confirmed};
use crate::sessions::notes::{AddendumText, NoteContent};
use crate::sessions::store;
use crate::sessions::{Attendance, Location, NewSession};

/// At most this many past sessions per couple (the most recent weeks).
const MAX_PAST: i64 = 8;

const DAP: [(&str, &str, &str); 4] = [
    (
        "Both partners arrived on time and sat closer than at intake. The hurt partner described two difficult evenings triggered by a late message; the involved partner listened without correcting the timeline.",
        "Defensiveness is lower than last month. The hurt partner's questions are becoming fewer and more specific, which fits the current stage. Safety in the room is good.",
        "Continue the nightly check-in. The involved partner to write the letter discussed today. Review both at the next session.",
    ),
    (
        "The couple reported a calm week with one argument about contact with mutual friends. They described repairing it the same evening without help.",
        "Growing capacity for self-led repair. The involved partner still minimises when anxious; named gently in session and accepted.",
        "Assign the repair-conversation exercise. Next session: the hurt partner's list of remaining questions.",
    ),
    (
        "Session focused on the week of the disclosure. The hurt partner cried twice; the involved partner stayed present and asked what would help.",
        "Empathic attunement from the involved partner is emerging. The hurt partner reports sleep improving from four to six hours.",
        "Both to continue the feelings check-in. Consider individual sessions if sleep worsens again.",
    ),
    (
        "The partners compared their accounts of the marriage in the year before the affair. Both named loneliness; neither blamed.",
        "Shared responsibility for the marriage (not for the affair) is being explored safely. Humour returned in the second half.",
        "Assign the timeline-of-our-marriage exercise to both. Keep the weekly rhythm for now.",
    ),
];

const SOAP: (&str, &str, &str, &str) = (
    "The hurt partner: \"I still check the phone bill, but less.\" The involved partner says the transparency feels like respect now rather than punishment.",
    "Calm affect in both, good eye contact, one raised voice that settled within a minute. Check-in ratings match what was said in the room.",
    "Trust-building behaviours are consistent and noticed by the hurt partner. Risk of relapse into secrecy appears low.",
    "Keep the transparency agreement unchanged for four more weeks, then review together.",
);

const ADDENDUM: &str = "After the session the hurt partner phoned to say the letter had been read together at home and went well. No change to the plan.";

pub struct SessionStory<'a> {
    pub db: &'a DatabaseConnection,
    pub counselor_id: Uuid,
    pub couple_id: Uuid,
    pub time_zone: TimeZone,
    pub intake: DateTime<Utc>,
    pub now: DateTime<Utc>,
    /// Which demo couple this is (varies the pattern).
    pub index: usize,
}

impl SessionStory<'_> {
    /// `days` from today at `hh:mm` in the counselor's zone.
    fn local(&self, days: i64, hour: u32, minute: u32) -> DateTime<Utc> {
        let day = self.now.with_timezone(&self.time_zone.tz()).date_naive() + Duration::days(days);
        let time = NaiveTime::from_hms_opt(hour, minute, 0).unwrap_or(NaiveTime::MIN);
        local_to_utc(self.time_zone, day.and_time(time))
    }

    pub async fn write(&self) -> Result<(), CoreError> {
        let actor = Actor::counselor(self.counselor_id, None);
        let weeks_in_care = (self.now - self.intake).num_weeks();
        let first = (weeks_in_care - 1).min(MAX_PAST);
        for weeks_ago in (1..=first).rev() {
            let starts_at = self.local(-7 * weeks_ago, 16, 0);
            if starts_at < self.intake {
                continue;
            }
            let clock = FixedClock::new(starts_at - Duration::days(7));
            let location = if weeks_ago % 3 == 0 {
                Location::Video("https://video.demo.kintsugi.example/room".into())
            } else {
                Location::Office(Some("Room 2".into()))
            };
            let session = store::schedule(
                self.db,
                &clock,
                &actor,
                self.counselor_id,
                self.couple_id,
                NewSession {
                    starts_at,
                    duration_minutes: 50,
                    location,
                },
            )
            .await?;
            clock.set(starts_at + Duration::hours(1));
            let attendance = match (self.index + weeks_ago as usize) % 7 {
                3 if weeks_ago > 1 => Attendance::NoShow,
                5 if weeks_ago > 1 => Attendance::Cancelled,
                _ => Attendance::Attended,
            };
            store::record_attendance(
                self.db,
                &clock,
                &actor,
                self.counselor_id,
                session.id,
                attendance,
            )
            .await?;
            if attendance != Attendance::Attended {
                continue;
            }
            let pick = (self.index + weeks_ago as usize) % 5;
            let content = if pick == 4 {
                let (s, o, a, p) = SOAP;
                let fields = [
                    ("subjective", s),
                    ("objective", o),
                    ("assessment", a),
                    ("plan", p),
                ];
                NoteContent::parse("SOAP", |k| {
                    fields.iter().find(|(f, _)| *f == k).map(|(_, t)| *t)
                })?
            } else {
                let (d, a, p) = DAP[pick % DAP.len()];
                let fields = [("data", d), ("assessment", a), ("plan", p)];
                NoteContent::parse("DAP", |k| {
                    fields.iter().find(|(f, _)| *f == k).map(|(_, t)| *t)
                })?
            };
            clock.advance(Duration::hours(1));
            note_store::save_draft(
                self.db,
                &clock,
                &actor,
                self.counselor_id,
                session.id,
                &content,
                None,
            )
            .await?;
            // The latest note is still being written; the others are signed.
            if weeks_ago == 1 {
                continue;
            }
            clock.advance(Duration::minutes(20));
            note_store::sign(
                self.db,
                &clock,
                &actor,
                Confirmed::for_demo(self.counselor_id),
                session.id,
                None,
            )
            .await?;
            if weeks_ago == 2 {
                clock.advance(Duration::days(2));
                note_store::add_addendum(
                    self.db,
                    &clock,
                    &actor,
                    self.counselor_id,
                    session.id,
                    &AddendumText::parse(ADDENDUM)?,
                )
                .await?;
            }
        }
        // One session today for some couples, the next one booked for everyone.
        let clock = FixedClock::new(self.now);
        let mut upcoming = vec![(
            self.local(7, 16, 0),
            Location::Office(Some("Room 2".into())),
        )];
        if self.index.is_multiple_of(2) {
            upcoming.push((
                self.local(0, 17 + (self.index as u32 % 3), 0),
                Location::Video("https://video.demo.kintsugi.example/room".into()),
            ));
        }
        for (starts_at, location) in upcoming {
            store::schedule(
                self.db,
                &clock,
                &actor,
                self.counselor_id,
                self.couple_id,
                NewSession {
                    starts_at,
                    duration_minutes: 50,
                    location,
                },
            )
            .await?;
        }
        Ok(())
    }
}
