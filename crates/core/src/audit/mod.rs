//! The audit trail: who did what to which record, when, from where. Append-only, and never
//! any clinical text: actions and record ids only.

pub mod search;
pub mod views;

pub use views::ViewLog;

use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, QueryOrder, QuerySelect, Set};
use serde::Serialize;
use uuid::Uuid;

use crate::clock::Clock;
use crate::entities::audit_event;
use crate::error::CoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    Counselor,
    Partner,
    System,
    Anonymous,
}

impl ActorKind {
    fn key(self) -> &'static str {
        match self {
            ActorKind::Counselor => "counselor",
            ActorKind::Partner => "partner",
            ActorKind::System => "system",
            ActorKind::Anonymous => "anonymous",
        }
    }
}

/// Who is acting, and from which address.
#[derive(Debug, Clone)]
pub struct Actor {
    pub kind: ActorKind,
    pub id: Option<Uuid>,
    pub ip: Option<String>,
}

impl Actor {
    pub fn counselor(id: Uuid, ip: Option<String>) -> Self {
        Self {
            kind: ActorKind::Counselor,
            id: Some(id),
            ip,
        }
    }
    /// A partner acting through their homework link or an email link.
    pub fn partner(id: Uuid, ip: Option<String>) -> Self {
        Self {
            kind: ActorKind::Partner,
            id: Some(id),
            ip,
        }
    }
    pub fn anonymous(ip: Option<String>) -> Self {
        Self {
            kind: ActorKind::Anonymous,
            id: None,
            ip,
        }
    }
    pub fn system() -> Self {
        Self {
            kind: ActorKind::System,
            id: None,
            ip: None,
        }
    }
}

/// What happened. Each variant names one action; the string forms are stable, since admins
/// filter and export by them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    SignIn,
    SignInFailed,
    SignInThrottled,
    SignOut,
    CoupleViewed,
    CoupleCreated,
    CoupleUpdated,
    CoupleListViewed,
    CounselorCreated,
    CounselorDeactivated,
    CounselorReactivated,
    ApiTokenCreated,
    MarkerRated,
    StageCompleted,
    GateOverridden,
    StageReopened,
    ProgressViewed,
    HomeworkAssigned,
    HomeworkChanged,
    HomeworkCancelled,
    ResponseReviewed,
    ResponsesViewed,
    LinkSent,
    LinkRevoked,
    ExerciseCreated,
    ExerciseChanged,
    AssignmentsViewed,
    SessionScheduled,
    SessionRescheduled,
    SessionAttendance,
    SessionsViewed,
    NoteViewed,
    NoteSaved,
    NoteSigned,
    AddendumAdded,
    NotePdfDownloaded,
    ReportPdfDownloaded,
    /// A couple's whole record downloaded as a zip (JSON and PDFs).
    CoupleExported,
    PracticeSettingsChanged,
    PasswordChanged,
    PasswordChangeRefused,
    SignedOutEverywhere,
    TotpEnabled,
    TotpDisabled,
    TotpCodeRefused,
    TotpThrottled,
    RecoveryCodeUsed,
    RecoveryCodesRenewed,
    AuditLogViewed,
    AuditLogExported,
    AccessRefused,
    RemindersOptedOut,
    RemindersOptedIn,
}

impl Action {
    pub fn key(self) -> &'static str {
        match self {
            Action::SignIn => "sign_in",
            Action::SignInFailed => "sign_in_failed",
            Action::SignInThrottled => "sign_in_throttled",
            Action::SignOut => "sign_out",
            Action::CoupleViewed => "couple_viewed",
            Action::CoupleCreated => "couple_created",
            Action::CoupleUpdated => "couple_updated",
            Action::CoupleListViewed => "couple_list_viewed",
            Action::CounselorCreated => "counselor_created",
            Action::CounselorDeactivated => "counselor_deactivated",
            Action::CounselorReactivated => "counselor_reactivated",
            Action::ApiTokenCreated => "api_token_created",
            Action::MarkerRated => "marker_rated",
            Action::StageCompleted => "stage_completed",
            Action::GateOverridden => "gate_overridden",
            Action::StageReopened => "stage_reopened",
            Action::ProgressViewed => "progress_viewed",
            Action::HomeworkAssigned => "homework_assigned",
            Action::HomeworkChanged => "homework_changed",
            Action::HomeworkCancelled => "homework_cancelled",
            Action::ResponseReviewed => "response_reviewed",
            Action::ResponsesViewed => "responses_viewed",
            Action::LinkSent => "link_sent",
            Action::LinkRevoked => "link_revoked",
            Action::ExerciseCreated => "exercise_created",
            Action::ExerciseChanged => "exercise_changed",
            Action::AssignmentsViewed => "assignments_viewed",
            Action::SessionScheduled => "session_scheduled",
            Action::SessionRescheduled => "session_rescheduled",
            Action::SessionAttendance => "session_attendance",
            Action::SessionsViewed => "sessions_viewed",
            Action::NoteViewed => "note_viewed",
            Action::NoteSaved => "note_saved",
            Action::NoteSigned => "note_signed",
            Action::AddendumAdded => "addendum_added",
            Action::NotePdfDownloaded => "note_pdf_downloaded",
            Action::ReportPdfDownloaded => "report_pdf_downloaded",
            Action::CoupleExported => "couple_exported",
            Action::PracticeSettingsChanged => "practice_settings_changed",
            Action::PasswordChanged => "password_changed",
            Action::PasswordChangeRefused => "password_change_refused",
            Action::SignedOutEverywhere => "signed_out_everywhere",
            Action::TotpEnabled => "totp_enabled",
            Action::TotpDisabled => "totp_disabled",
            Action::TotpCodeRefused => "totp_code_refused",
            Action::TotpThrottled => "totp_throttled",
            Action::RecoveryCodeUsed => "recovery_code_used",
            Action::RecoveryCodesRenewed => "recovery_codes_renewed",
            Action::AuditLogViewed => "audit_log_viewed",
            Action::AuditLogExported => "audit_log_exported",
            Action::AccessRefused => "access_refused",
            Action::RemindersOptedOut => "reminders_opted_out",
            Action::RemindersOptedIn => "reminders_opted_in",
        }
    }
}

/// The record an event is about.
#[derive(Debug, Clone, Copy)]
pub struct Record {
    pub kind: &'static str,
    pub id: Uuid,
}

impl Record {
    pub fn couple(id: Uuid) -> Self {
        Self { kind: "couple", id }
    }
    pub fn session(id: Uuid) -> Self {
        Self {
            kind: "session",
            id,
        }
    }
    pub fn counselor(id: Uuid) -> Self {
        Self {
            kind: "counselor",
            id,
        }
    }
    pub fn exercise(id: Uuid) -> Self {
        Self {
            kind: "exercise",
            id,
        }
    }
}

pub async fn record(
    db: &impl ConnectionTrait,
    clock: &dyn Clock,
    actor: &Actor,
    action: Action,
    record: Option<Record>,
) -> Result<(), CoreError> {
    record_with_detail(db, clock, actor, action, record, None).await
}

/// `detail` is for non-clinical context only (a throttled email's domain is too much: callers
/// pass fixed words such as "unknown account").
pub async fn record_with_detail(
    db: &impl ConnectionTrait,
    clock: &dyn Clock,
    actor: &Actor,
    action: Action,
    record: Option<Record>,
    detail: Option<&str>,
) -> Result<(), CoreError> {
    event(clock, actor, action, record, detail)
        .insert(db)
        .await?;
    Ok(())
}

/// The row of one event, stamped with the time it happened (not the time it is written).
fn event(
    clock: &dyn Clock,
    actor: &Actor,
    action: Action,
    record: Option<Record>,
    detail: Option<&str>,
) -> audit_event::ActiveModel {
    audit_event::ActiveModel {
        at: Set(clock.now()),
        actor_kind: Set(actor.kind.key().to_owned()),
        actor_id: Set(actor.id),
        action: Set(action.key().to_owned()),
        record_kind: Set(record.map(|r| r.kind.to_owned())),
        record_id: Set(record.map(|r| r.id)),
        ip: Set(actor.ip.clone()),
        detail: Set(detail.map(str::to_owned)),
        ..Default::default()
    }
}

/// The most recent events, newest first.
pub async fn recent(
    db: &impl ConnectionTrait,
    limit: u64,
) -> Result<Vec<audit_event::Model>, CoreError> {
    Ok(audit_event::Entity::find()
        .order_by_desc(audit_event::Column::At)
        .order_by_desc(audit_event::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}
