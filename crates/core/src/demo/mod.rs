//! The demo practice: an admin, two counselors and couples at every point of the recovery
//! model, so a newcomer signs in to a living practice. Later capabilities add their own
//! history here (homework, sessions, notes).

mod homework;
pub mod scale;
mod sessions;

use chrono::Duration;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::audit::Actor;
use crate::clock::{Clock, FixedClock};
use crate::couples::{self, CoupleInput, CoupleStatus, PartnerInput};
use crate::domain::{DisplayName, EmailAddress, Password, TimeZone};
use crate::error::CoreError;
use crate::practice::{Role, counselors, settings};
use crate::stages::store::StageAction;
use crate::stages::{self, Rating, Reason, Stage};

/// The password every demo account signs in with.
pub const DEMO_PASSWORD: &str = "kintsugi-demo-2026";
pub const DEMO_ADMIN_EMAIL: &str = "maya.okafor@demo.kintsugi.example";

/// What was loaded, for the command line to print.
#[derive(Debug)]
pub struct DemoSummary {
    pub already_loaded: bool,
    pub accounts: Vec<(String, String, Role)>,
    pub couples: usize,
}

/// Something unusual in a couple's history, so the demo shows every rule at work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Twist {
    None,
    /// The gate to stages 4 to 6 was overridden while stage 3 was still open.
    GateOverride,
    /// Stage 1 was reopened after a new disclosure, then completed again.
    Reopening,
}

struct DemoCouple {
    label: &'static str,
    involved: (&'static str, &'static str, &'static str),
    hurt: (&'static str, &'static str, &'static str),
    open_agreement: bool,
    weeks_in_care: i64,
    /// How many stages are complete (0 to 6).
    completed: usize,
    status: CoupleStatus,
    twist: Twist,
}

const COUNSELORS: [(&str, &str, Role, &str); 3] = [
    (
        "Maya Okafor",
        DEMO_ADMIN_EMAIL,
        Role::Admin,
        "Europe/London",
    ),
    (
        "Daniel Šimková",
        "daniel.simkova@demo.kintsugi.example",
        Role::Counselor,
        "Europe/Berlin",
    ),
    (
        "Renée O’Brien",
        "renee.obrien@demo.kintsugi.example",
        Role::Counselor,
        "America/New_York",
    ),
];

/// One demo couple: label, involved and hurt partner (name, email, time zone), open
/// agreement, weeks in care, stages completed, status, twist.
type Row = (
    &'static str,
    (&'static str, &'static str, &'static str),
    (&'static str, &'static str, &'static str),
    bool,
    i64,
    usize,
    CoupleStatus,
    Twist,
);

#[rustfmt::skip]
const CASELOADS: [&[Row]; 3] = {
    use CoupleStatus::*;
    use Twist::None as Plain;
    [
        &[
            ("Grace & Tobias", ("Tobias Lindqvist", "tobias@mail.example", "Europe/Stockholm"), ("Grace Lindqvist", "grace@mail.example", "Europe/Stockholm"), false, 30, 4, Active, Plain),
        ],
        &[
            ("Alex & Sam", ("Alex Moreau", "alex.moreau@mail.example", "Europe/Paris"), ("Sam Moreau", "sam.moreau@mail.example", "Europe/Paris"), false, 2, 0, Active, Plain),
            ("Zoë & Jonas", ("Jonas Ñúñez-Łukasiewicz", "jonas.nl@mail.example", "Europe/Warsaw"), ("Zoë Ñúñez-Łukasiewicz", "zoe.nl@mail.example", "Europe/Warsaw"), false, 7, 1, Active, Plain),
            ("Priya & Dev", ("Dev Raman", "dev.raman@mail.example", "Europe/Berlin"), ("Priya Raman", "priya.raman@mail.example", "Europe/Berlin"), false, 12, 2, Active, Plain),
            ("Hana & Mateo", ("Mateo Ruiz", "mateo.ruiz@mail.example", "Europe/Madrid"), ("Hana Ruiz", "hana.ruiz@mail.example", "Europe/Madrid"), true, 20, 3, Active, Plain),
            ("Kwame & Inès", ("Inès Mensah", "ines.mensah@mail.example", "Europe/Brussels"), ("Kwame Mensah", "kwame.mensah@mail.example", "Europe/Brussels"), true, 5, 0, Paused, Plain),
        ],
        &[
            ("Chris & Dana", ("Chris Walker", "chris.walker@mail.example", "America/New_York"), ("Dana Walker", "dana.walker@mail.example", "America/New_York"), false, 22, 2, Active, Twist::GateOverride),
            ("Noor & Elias", ("Elias Haddad", "elias.haddad@mail.example", "America/Chicago"), ("Noor Haddad", "noor.haddad@mail.example", "America/Chicago"), false, 40, 5, Active, Twist::Reopening),
            ("Aiyana & Tomasz", ("Tomasz Kowalczyk", "tomasz.k@mail.example", "America/Denver"), ("Aiyana Kowalczyk", "aiyana.k@mail.example", "America/Denver"), false, 60, 6, Closed, Plain),
        ],
    ]
};

fn caseloads() -> [Vec<DemoCouple>; 3] {
    CASELOADS.map(|rows| {
        rows.iter()
            .map(
                |&(
                    label,
                    involved,
                    hurt,
                    open_agreement,
                    weeks_in_care,
                    completed,
                    status,
                    twist,
                )| DemoCouple {
                    label,
                    involved,
                    hurt,
                    open_agreement,
                    weeks_in_care,
                    completed,
                    status,
                    twist,
                },
            )
            .collect()
    })
}

/// Load the demo practice unless its admin already exists.
pub async fn load(db: &DatabaseConnection, clock: &dyn Clock) -> Result<DemoSummary, CoreError> {
    let accounts = COUNSELORS
        .iter()
        .map(|(name, email, role, _)| (name.to_string(), email.to_string(), *role))
        .collect();
    if counselors::find_by_email(db, DEMO_ADMIN_EMAIL)
        .await?
        .is_some()
    {
        return Ok(DemoSummary {
            already_loaded: true,
            accounts,
            couples: 0,
        });
    }
    let practice = settings::ensure(db, clock).await?;
    let london = TimeZone::parse("Europe/London").map_err(|e| CoreError::Internal(e.0))?;
    settings::rename(db, practice, "Kintsugi Demo Practice", london).await?;

    let password = Password::parse(DEMO_PASSWORD).map_err(|e| CoreError::Internal(e.0))?;
    let mut couples = 0;
    for ((name, email, role, tz), caseload) in COUNSELORS.iter().zip(caseloads()) {
        let counselor = counselors::create(
            db,
            clock,
            &Actor::system(),
            counselors::NewCounselor {
                name: DisplayName::parse(name).map_err(|e| CoreError::Internal(e.0))?,
                email: EmailAddress::parse(email).map_err(|e| CoreError::Internal(e.0))?,
                password: password.clone(),
                role: *role,
                timezone: TimeZone::parse(tz).map_err(|e| CoreError::Internal(e.0))?,
            },
        )
        .await?;
        for (index, demo) in caseload.into_iter().enumerate() {
            load_couple(db, clock, counselor.id, counselor.timezone, demo, index).await?;

            couples += 1;
        }
    }
    settle_outbox(db, clock).await?;
    Ok(DemoSummary {
        already_loaded: false,
        accounts,
        couples,
    })
}

/// The demo's history queued the emails it would have sent over the weeks (new homework,
/// reminders, digests). Those already due are recorded as sent at their time, so the outbox page
/// shows a history and a newcomer's first start does not write a burst of old emails; those
/// still ahead (next week's session reminders) stay queued.
async fn settle_outbox(db: &DatabaseConnection, clock: &dyn Clock) -> Result<(), CoreError> {
    use crate::entities::outbox_message;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let due = outbox_message::Entity::find()
        .filter(outbox_message::Column::Status.eq(crate::reminders::outbox::OutboxStatus::Pending))
        .filter(outbox_message::Column::ScheduledAt.lte(clock.now()))
        .all(db)
        .await?;
    let tx = crate::db::begin_write(db).await?;
    for m in due {
        let message_id = format!("<{}@demo.kintsugi.example>", m.id);
        crate::reminders::outbox::mark_sent(&tx, m.id, &message_id, m.scheduled_at).await?;
    }
    tx.commit().await?;
    Ok(())
}

async fn load_couple(
    db: &DatabaseConnection,
    clock: &dyn Clock,
    counselor_id: Uuid,
    time_zone: TimeZone,
    demo: DemoCouple,
    index: usize,
) -> Result<(), CoreError> {
    let intake = clock.now() - Duration::weeks(demo.weeks_in_care);
    let partner = |(name, email, tz): (&str, &str, &str)| PartnerInput {
        name: name.into(),
        email: email.into(),
        timezone: tz.into(),
    };
    let input = CoupleInput {
        label: demo.label.into(),
        open_agreement: demo.open_agreement,
        intake_date: intake.date_naive().to_string(),
        disclosure_date: (intake - Duration::weeks(3)).date_naive().to_string(),
        involved: partner(demo.involved),
        hurt: partner(demo.hurt),
    };
    // The couple's history is made by the same rules and services the pages use, on a clock
    // that walks from intake to today.
    let history_clock = FixedClock::new(intake);
    let actor = Actor::counselor(counselor_id, None);
    let record =
        couples::store::create(db, &history_clock, &actor, counselor_id, input.parse()?).await?;
    let story = Story {
        db,
        clock: &history_clock,
        actor: &actor,
        counselor_id,
        couple_id: record.couple.id,
        open_agreement: demo.open_agreement,
        // Spread every recorded step evenly from intake to a few days ago.
        step: (Duration::weeks(demo.weeks_in_care) - Duration::days(3)) / demo.steps(),
    };
    for (i, stage) in Stage::ALL.into_iter().enumerate() {
        if i < demo.completed {
            story.work_through(stage).await?;
            if demo.twist == Twist::Reopening && stage == Stage::BeforeTheAffair {
                story.reopen_admission().await?;
            }
        } else if i == demo.completed {
            if demo.twist == Twist::GateOverride && stage == Stage::Openness {
                story
                    .rate(
                        stage,
                        &[
                            Rating::Emerging,
                            Rating::NotYet,
                            Rating::NotYet,
                            Rating::Emerging,
                        ],
                    )
                    .await?;
                story.override_gate().await?;
                story
                    .rate(
                        Stage::BeforeTheAffair,
                        &[
                            Rating::Emerging,
                            Rating::Emerging,
                            Rating::NotYet,
                            Rating::Emerging,
                        ],
                    )
                    .await?;
            } else {
                story
                    .rate(
                        stage,
                        &[
                            Rating::Consistent,
                            Rating::Emerging,
                            Rating::NotYet,
                            Rating::Emerging,
                        ],
                    )
                    .await?;
            }
        }
    }
    if demo.status == CoupleStatus::Active {
        let trend = match demo.label {
            "Priya & Dev" => homework::Trend::AngerCooling,
            "Chris & Dana" => homework::Trend::TrustDiverging,
            _ => homework::Trend::Steady,
        };
        let record = couples::store::get(db, counselor_id, record.couple.id).await?;
        homework::HomeworkStory {
            db,
            counselor_id,
            couple: &record,
            time_zone,
            intake,
            now: clock.now(),
            current: record.couple.current_stage,
            trend,
        }
        .write()
        .await?;
        sessions::SessionStory {
            db,
            counselor_id,
            couple_id: record.couple.id,
            time_zone,
            intake,
            now: clock.now(),
            index,
        }
        .write()
        .await?;
    } else {
        couples::store::set_status(
            db,
            clock,
            &actor,
            counselor_id,
            record.couple.id,
            demo.status,
        )
        .await?;
    }
    Ok(())
}

impl DemoCouple {
    /// How many dated actions the couple's story takes (each advances the history clock).
    fn steps(&self) -> i32 {
        let completed = i32::try_from(self.completed).unwrap_or(6);
        let current = if self.completed < 6 { 1 } else { 0 };
        let twist = match self.twist {
            Twist::None => 0,
            Twist::GateOverride => 2,
            Twist::Reopening => 4,
        };
        3 * completed + current + twist + 1
    }
}

/// Writes one demo couple's history through the real stage services.
struct Story<'a> {
    db: &'a DatabaseConnection,
    clock: &'a FixedClock,
    actor: &'a Actor,
    counselor_id: Uuid,
    couple_id: Uuid,
    open_agreement: bool,
    step: Duration,
}

impl Story<'_> {
    async fn act(&self, action: StageAction) -> Result<(), CoreError> {
        self.clock.advance(self.step);
        stages::store::act(
            self.db,
            self.clock,
            self.actor,
            self.counselor_id,
            self.couple_id,
            action,
        )
        .await?;
        Ok(())
    }

    /// Rate the stage's applicable markers with these ratings, in marker order.
    async fn rate(&self, stage: Stage, ratings: &[Rating]) -> Result<(), CoreError> {
        let ratings = stage
            .markers()
            .filter(|m| m.applies(self.open_agreement))
            .zip(ratings.iter().copied())
            .collect();
        self.act(StageAction::Rate {
            ratings,
            session_id: None,
        })
        .await
    }

    async fn work_through(&self, stage: Stage) -> Result<(), CoreError> {
        self.rate(
            stage,
            &[
                Rating::Emerging,
                Rating::NotYet,
                Rating::Emerging,
                Rating::Emerging,
            ],
        )
        .await?;
        self.rate(stage, &[Rating::Consistent; 4]).await?;
        self.act(StageAction::Complete(stage)).await
    }

    async fn override_gate(&self) -> Result<(), CoreError> {
        let reason = Reason::parse(
            "Both partners asked to start looking at the years before the affair while the hurt partner's anger keeps easing. Discussed in supervision; stage 3 work continues alongside.",
        )
        .map_err(|e| CoreError::Internal(e.0))?;
        self.act(StageAction::OverrideGate {
            stage: Stage::BeforeTheAffair,
            reason,
        })
        .await
    }

    async fn reopen_admission(&self) -> Result<(), CoreError> {
        let reason = Reason::parse(
            "A further disclosure in session: contact with the affair partner went on for two months after the first admission. Admission work resumes.",
        )
        .map_err(|e| CoreError::Internal(e.0))?;
        self.act(StageAction::Reopen {
            stage: Stage::Admission,
            reason,
        })
        .await?;
        self.rate(
            Stage::Admission,
            &[
                Rating::Emerging,
                Rating::Emerging,
                Rating::Consistent,
                Rating::NotYet,
            ],
        )
        .await?;
        self.rate(Stage::Admission, &[Rating::Consistent; 4])
            .await?;
        self.act(StageAction::Complete(Stage::Admission)).await
    }
}
