//! The demo practice: an admin, two counselors and couples at every point of the recovery
//! model, so a newcomer signs in to a living practice. Later capabilities add their own
//! history here (homework, sessions, notes).

use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::clock::Clock;
use crate::couples::{CoupleInput, CoupleStatus, PartnerInput, store};
use crate::domain::{DisplayName, EmailAddress, Password, TimeZone};
use crate::entities::{stage_event, stage_progress};
use crate::error::CoreError;
use crate::practice::{Role, counselors, settings};
use crate::stages::{Stage, StageStatus};

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

struct DemoCouple {
    label: &'static str,
    involved: (&'static str, &'static str, &'static str),
    hurt: (&'static str, &'static str, &'static str),
    open_agreement: bool,
    weeks_in_care: i64,
    /// How many stages are complete (0 to 6).
    completed: usize,
    status: CoupleStatus,
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

fn caseloads() -> [Vec<DemoCouple>; 3] {
    let c = |label, involved, hurt, open_agreement, weeks_in_care, completed, status| DemoCouple {
        label,
        involved,
        hurt,
        open_agreement,
        weeks_in_care,
        completed,
        status,
    };
    use CoupleStatus::*;
    [
        vec![c(
            "Grace & Tobias",
            (
                "Tobias Lindqvist",
                "tobias@mail.example",
                "Europe/Stockholm",
            ),
            ("Grace Lindqvist", "grace@mail.example", "Europe/Stockholm"),
            false,
            30,
            4,
            Active,
        )],
        vec![
            c(
                "Alex & Sam",
                ("Alex Moreau", "alex.moreau@mail.example", "Europe/Paris"),
                ("Sam Moreau", "sam.moreau@mail.example", "Europe/Paris"),
                false,
                2,
                0,
                Active,
            ),
            c(
                "Zoë & Jonas",
                (
                    "Jonas Ñúñez-Łukasiewicz",
                    "jonas.nl@mail.example",
                    "Europe/Warsaw",
                ),
                (
                    "Zoë Ñúñez-Łukasiewicz",
                    "zoe.nl@mail.example",
                    "Europe/Warsaw",
                ),
                false,
                7,
                1,
                Active,
            ),
            c(
                "Priya & Dev",
                ("Dev Raman", "dev.raman@mail.example", "Europe/Berlin"),
                ("Priya Raman", "priya.raman@mail.example", "Europe/Berlin"),
                false,
                12,
                2,
                Active,
            ),
            c(
                "Hana & Mateo",
                ("Mateo Ruiz", "mateo.ruiz@mail.example", "Europe/Madrid"),
                ("Hana Ruiz", "hana.ruiz@mail.example", "Europe/Madrid"),
                true,
                20,
                3,
                Active,
            ),
            c(
                "Kwame & Inès",
                ("Inès Mensah", "ines.mensah@mail.example", "Europe/Brussels"),
                (
                    "Kwame Mensah",
                    "kwame.mensah@mail.example",
                    "Europe/Brussels",
                ),
                true,
                5,
                0,
                Paused,
            ),
        ],
        vec![
            c(
                "Chris & Dana",
                (
                    "Chris Walker",
                    "chris.walker@mail.example",
                    "America/New_York",
                ),
                (
                    "Dana Walker",
                    "dana.walker@mail.example",
                    "America/New_York",
                ),
                false,
                26,
                4,
                Active,
            ),
            c(
                "Noor & Elias",
                (
                    "Elias Haddad",
                    "elias.haddad@mail.example",
                    "America/Chicago",
                ),
                ("Noor Haddad", "noor.haddad@mail.example", "America/Chicago"),
                false,
                38,
                5,
                Active,
            ),
            c(
                "Aiyana & Tomasz",
                (
                    "Tomasz Kowalczyk",
                    "tomasz.k@mail.example",
                    "America/Denver",
                ),
                (
                    "Aiyana Kowalczyk",
                    "aiyana.k@mail.example",
                    "America/Denver",
                ),
                false,
                60,
                6,
                Closed,
            ),
        ],
    ]
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
            counselors::NewCounselor {
                name: DisplayName::parse(name).map_err(|e| CoreError::Internal(e.0))?,
                email: EmailAddress::parse(email).map_err(|e| CoreError::Internal(e.0))?,
                password: password.clone(),
                role: *role,
                timezone: TimeZone::parse(tz).map_err(|e| CoreError::Internal(e.0))?,
            },
        )
        .await?;
        for demo in caseload {
            load_couple(db, clock, counselor.id, demo).await?;
            couples += 1;
        }
    }
    Ok(DemoSummary {
        already_loaded: false,
        accounts,
        couples,
    })
}

async fn load_couple(
    db: &DatabaseConnection,
    clock: &dyn Clock,
    counselor_id: Uuid,
    demo: DemoCouple,
) -> Result<(), CoreError> {
    let now = clock.now();
    let intake = now - Duration::weeks(demo.weeks_in_care);
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
    let record = store::create(db, clock, counselor_id, input.parse()?).await?;
    let couple_id = record.couple.id;
    // Spread the completed stages evenly over the time in care.
    let span = Duration::weeks(demo.weeks_in_care.max(1)) / 7;
    let mut at = intake;
    for (i, stage) in Stage::ALL.into_iter().enumerate() {
        let row = stage_progress::Entity::find()
            .filter(stage_progress::Column::CoupleId.eq(couple_id))
            .filter(stage_progress::Column::Stage.eq(stage))
            .one(db)
            .await?
            .ok_or_else(|| CoreError::Internal("stage row missing".into()))?;
        let mut model: stage_progress::ActiveModel = row.into();
        let started = at;
        event(db, couple_id, stage, "started", started, counselor_id).await?;
        if i < demo.completed {
            at += span;
            model.status = Set(StageStatus::Complete);
            model.started_at = Set(Some(started));
            model.completed_at = Set(Some(at));
            model.completed_by = Set(Some(counselor_id));
            event(db, couple_id, stage, "completed", at, counselor_id).await?;
        } else if i == demo.completed {
            model.status = Set(StageStatus::InProgress);
            model.started_at = Set(Some(started));
        } else {
            break;
        }
        model.updated_at = Set(at);
        model.update(db).await?;
    }
    if demo.status != CoupleStatus::Active {
        store::set_status(db, clock, counselor_id, couple_id, demo.status).await?;
    }
    Ok(())
}

async fn event(
    db: &DatabaseConnection,
    couple_id: Uuid,
    stage: Stage,
    kind: &str,
    at: chrono::DateTime<Utc>,
    actor: Uuid,
) -> Result<(), CoreError> {
    stage_event::ActiveModel {
        id: Set(Uuid::new_v4()),
        couple_id: Set(couple_id),
        stage: Set(stage),
        kind: Set(kind.to_owned()),
        reason: Set(None),
        actor_id: Set(Some(actor)),
        at: Set(at),
    }
    .insert(db)
    .await?;
    Ok(())
}
