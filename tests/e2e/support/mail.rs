//! The mail worker on a clock the test moves, the outbox it sends from, and the couple most
//! email tests start from: partners with real addresses in time zones the test chooses.

use std::sync::Arc;

use chrono::{DateTime, NaiveDateTime, Utc};
use kintsugi_core::audit::Actor;
use kintsugi_core::clock::{FixedClock, SharedClock};
use kintsugi_core::couples::PartnerRole;
use kintsugi_core::domain::TimeZone;
use kintsugi_core::entities::outbox_message;
use kintsugi_core::homework::Visibility;
use kintsugi_core::homework::assignments::{self, NewAssignment};
use kintsugi_core::sessions::store::{self as sessions, Session};
use kintsugi_core::sessions::{Location, NewSession};
use kintsugi_web::mail::{Transport, Worker};
use sea_orm::EntityTrait;
use uuid::Uuid;

use super::fixture::{builtin_exercise, uuid_at};
use super::{TestApp, couple_json_with};

/// A clock at 15:00 UTC tomorrow: inside waking hours for the partners in New York and Warsaw,
/// and after anything queued now.
pub fn daytime_clock() -> Arc<FixedClock> {
    let tomorrow = chrono::Utc::now().date_naive() + chrono::Duration::days(1);
    Arc::new(FixedClock::new(
        tomorrow.and_hms_opt(15, 0, 0).expect("time").and_utc(),
    ))
}

/// The exercise [`assign`] gives, the label of [`couple_in`]'s couple and its partners' addresses.
pub const EXERCISE: &str = "caring_letter";
pub const LABEL: &str = "Secret Label & Co";
pub const ZOE: &str = "zoe@mail.example";
pub const RENEE: &str = "renee@mail.example";

/// An instant written in RFC 3339.
pub fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("rfc3339")
        .with_timezone(&Utc)
}

/// A worker sending to `url` at the time of `clock`.
pub fn mail_worker(app: &TestApp, url: &str, clock: SharedClock) -> Worker {
    let mut config = kintsugi_web::Config::for_database(&app.database_url);
    config.smtp_url = Some(url.to_owned().into());
    Worker::new(
        app.db.clone(),
        clock,
        Arc::new(Transport::from_config(&config).expect("transport")),
        "Kintsugi <care@practice.example>".parse().expect("from"),
        app.base.clone(),
    )
}

pub struct Couple {
    pub counselor: Uuid,
    pub id: Uuid,
    pub involved: Uuid,
    pub hurt: Uuid,
}

/// A counselor (in Berlin) and a couple whose partners live in the given zones.
pub async fn couple_in(
    app: &TestApp,
    counselor_email: &str,
    involved_tz: &str,
    hurt_tz: &str,
) -> Couple {
    let c = app
        .counselor_with_token("Dr Counselor", counselor_email)
        .await;
    let created = c
        .api
        .add_couple(&couple_json_with(
            LABEL,
            (super::ZOE, ZOE, involved_tz),
            (super::RENEE, RENEE, hurt_tz),
        ))
        .await;
    Couple {
        counselor: c.id,
        id: uuid_at(&created, "/id"),
        involved: uuid_at(&created, "/partners/0/id"),
        hurt: uuid_at(&created, "/partners/1/id"),
    }
}

/// The id of the built-in [`EXERCISE`].
pub async fn exercise_id(app: &TestApp, counselor: Uuid) -> Uuid {
    builtin_exercise(app, counselor, EXERCISE).await.id
}

/// Assign the exercise to both partners, due at a local time in `zone`.
pub async fn assign(
    app: &TestApp,
    clock: &FixedClock,
    c: &Couple,
    due_local: &str,
    zone: &str,
) -> Uuid {
    let new = NewAssignment {
        exercise_id: exercise_id(app, c.counselor).await,
        assignees: vec![PartnerRole::Involved, PartnerRole::Hurt],
        due_local: NaiveDateTime::parse_from_str(due_local, "%Y-%m-%d %H:%M").expect("due"),
        time_zone: TimeZone::parse(zone).expect("tz"),
        visibility: Visibility::CounselorOnly,
        recurrence: None,
    };
    assignments::assign(&app.db, clock, &Actor::system(), c.counselor, c.id, new)
        .await
        .expect("assign")[0]
}

pub async fn rows(app: &TestApp) -> Vec<outbox_message::Model> {
    outbox_message::Entity::find()
        .all(&app.db)
        .await
        .expect("outbox")
}

/// A 50-minute session of couple `c`, scheduled through the core as the system at the time of
/// `clock`, starting at the RFC 3339 time `starts`.
pub async fn schedule_session(
    app: &TestApp,
    clock: &FixedClock,
    c: &Couple,
    starts: &str,
    location: Location,
) -> Session {
    let new = NewSession {
        starts_at: at(starts),
        duration_minutes: 50,
        location,
    };
    sessions::schedule(&app.db, clock, &Actor::system(), c.counselor, c.id, new)
        .await
        .expect("schedule")
}
