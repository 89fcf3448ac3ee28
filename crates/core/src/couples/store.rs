//! Reading and changing one couple. Every function takes the acting counselor's id and only
//! ever finds that counselor's couples: anyone else's couple is simply "not found".

use std::collections::HashMap;

use sea_orm::sea_query::ExprTrait as _;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set, sea_query::Expr,
};
use uuid::Uuid;

use super::{CoupleStatus, NewCouple, NewPartner, PartnerRole};
use crate::audit::{self, Action, Actor, Record};
use crate::clock::Clock;
use crate::db::begin_write;
use crate::entities::{couple, partner, stage_event, stage_progress};
use crate::error::CoreError;
use crate::stages::{Stage, StageEventKind, StageStatus};

/// A couple with both partners.
#[derive(Debug, Clone)]
pub struct CoupleRecord {
    pub couple: couple::Model,
    pub involved: partner::Model,
    pub hurt: partner::Model,
}

impl CoupleRecord {
    pub fn partner(&self, role: PartnerRole) -> &partner::Model {
        match role {
            PartnerRole::Involved => &self.involved,
            PartnerRole::Hurt => &self.hurt,
        }
    }
}

fn partner_model(
    couple_id: Uuid,
    role: PartnerRole,
    p: NewPartner,
    now: chrono::DateTime<chrono::Utc>,
) -> partner::ActiveModel {
    partner::ActiveModel {
        id: Set(Uuid::new_v4()),
        couple_id: Set(couple_id),
        role: Set(role),
        name: Set(p.name.into_inner()),
        email: Set(p.email),
        timezone: Set(p.timezone),
        reminders_opt_out: Set(false),
        pin_required: Set(false),
        pin_hash: Set(None),
        pin_failures: Set(0),
        pin_paused_until: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

/// Add a couple to a counselor's caseload. Stage 1 starts at once.
pub async fn create(
    db: &DatabaseConnection,
    clock: &dyn Clock,
    actor: &Actor,
    counselor_id: Uuid,
    new: NewCouple,
) -> Result<CoupleRecord, CoreError> {
    let now = clock.now();
    // Work on stage 1 began at intake (a couple may be entered after some sessions).
    let intake = new.intake_date.and_time(chrono::NaiveTime::MIN).and_utc();
    let started = Ord::min(intake, now);
    let id = Uuid::new_v4();
    let tx = begin_write(db).await?;
    let couple = couple::ActiveModel {
        id: Set(id),
        counselor_id: Set(counselor_id),
        label_normalized: Set(new.label.as_str().to_lowercase()),
        label: Set(new.label.into_inner()),
        status: Set(CoupleStatus::Active),
        open_agreement: Set(new.open_agreement),
        intake_date: Set(new.intake_date),
        disclosure_date: Set(new.disclosure_date),
        current_stage: Set(Some(Stage::Admission)),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&tx)
    .await?;
    let involved = partner_model(id, PartnerRole::Involved, new.involved, now)
        .insert(&tx)
        .await?;
    let hurt = partner_model(id, PartnerRole::Hurt, new.hurt, now)
        .insert(&tx)
        .await?;
    let stages = Stage::ALL.map(|stage| {
        let first = stage == Stage::Admission;
        stage_progress::ActiveModel {
            id: Set(Uuid::new_v4()),
            couple_id: Set(id),
            stage: Set(stage),
            status: Set(if first {
                StageStatus::InProgress
            } else {
                StageStatus::NotStarted
            }),
            started_at: Set(first.then_some(started)),
            completed_at: Set(None),
            completed_by: Set(None),
            updated_at: Set(now),
        }
    });
    stage_progress::Entity::insert_many(stages)
        .exec(&tx)
        .await?;
    stage_event::ActiveModel {
        id: Set(Uuid::new_v4()),
        couple_id: Set(id),
        stage: Set(Stage::Admission),
        kind: Set(StageEventKind::Started),
        reason: Set(None),
        actor_id: Set(actor.id),
        at: Set(started),
    }
    .insert(&tx)
    .await?;
    if couple.open_agreement {
        let before = couple::Model {
            open_agreement: false,
            ..couple.clone()
        };
        crate::stages::store::open_agreement_changed(&tx, clock, actor, &before, true).await?;
    }
    audit::record(
        &tx,
        clock,
        actor,
        Action::CoupleCreated,
        Some(Record::couple(id)),
    )
    .await?;
    tx.commit().await?;
    Ok(CoupleRecord {
        couple,
        involved,
        hurt,
    })
}

/// One couple of this counselor's caseload, or `NotFound`.
pub async fn get(
    db: &impl ConnectionTrait,
    counselor_id: Uuid,
    couple_id: Uuid,
) -> Result<CoupleRecord, CoreError> {
    let couple = couple::Entity::find_by_id(couple_id)
        .filter(couple::Column::CounselorId.eq(counselor_id))
        .one(db)
        .await?
        .ok_or(CoreError::NotFound)?;
    let mut partners: HashMap<PartnerRole, partner::Model> = partner::Entity::find()
        .filter(partner::Column::CoupleId.eq(couple_id))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.role, p))
        .collect();
    let missing = || CoreError::Internal(format!("couple {couple_id} lacks a partner"));
    let involved = partners
        .remove(&PartnerRole::Involved)
        .ok_or_else(missing)?;
    let hurt = partners.remove(&PartnerRole::Hurt).ok_or_else(missing)?;
    Ok(CoupleRecord {
        couple,
        involved,
        hurt,
    })
}

/// Replace the editable fields of a couple and both partners, and change its status when
/// `status` says so: one transaction and one audit event, so a refused or failed part leaves
/// nothing half-changed. `expected_version` is the version the editor started from: if someone
/// saved in between, the save is refused with `Conflict` instead of overwriting their change.
#[allow(clippy::too_many_arguments)]
pub async fn update(
    db: &DatabaseConnection,
    clock: &dyn Clock,
    actor: &Actor,
    counselor_id: Uuid,
    couple_id: Uuid,
    expected_version: i32,
    changed: NewCouple,
    status: Option<CoupleStatus>,
) -> Result<CoupleRecord, CoreError> {
    let now = clock.now();
    let tx = begin_write(db).await?;
    let current = get(&tx, counselor_id, couple_id).await?;
    if current.couple.version != expected_version {
        return Err(CoreError::Conflict(
            "This couple was changed by someone else since you opened it. Reload to see the latest details, then make your change again.".into(),
        ));
    }
    if changed.open_agreement != current.couple.open_agreement {
        crate::stages::store::open_agreement_changed(
            &tx,
            clock,
            actor,
            &current.couple,
            changed.open_agreement,
        )
        .await?;
    }
    let status_changes = status.is_some_and(|s| s != current.couple.status);
    let mut couple: couple::ActiveModel = current.couple.into();
    couple.label_normalized = Set(changed.label.as_str().to_lowercase());
    couple.label = Set(changed.label.into_inner());
    couple.open_agreement = Set(changed.open_agreement);
    couple.intake_date = Set(changed.intake_date);
    couple.disclosure_date = Set(changed.disclosure_date);
    if let Some(status) = status {
        couple.status = Set(status);
    }
    couple.version = Set(expected_version + 1);
    couple.updated_at = Set(now);
    couple.update(&tx).await?;
    for (model, new) in [
        (current.involved, changed.involved),
        (current.hurt, changed.hurt),
    ] {
        let mut p: partner::ActiveModel = model.into();
        p.name = Set(new.name.into_inner());
        p.email = Set(new.email);
        p.timezone = Set(new.timezone);
        p.updated_at = Set(now);
        p.update(&tx).await?;
    }
    if status_changes {
        crate::homework::open_work::sync_couples(&tx, &[couple_id]).await?;
    }
    audit::record(
        &tx,
        clock,
        actor,
        Action::CoupleUpdated,
        Some(Record::couple(couple_id)),
    )
    .await?;
    let record = get(&tx, counselor_id, couple_id).await?;
    tx.commit().await?;
    Ok(record)
}

/// Pause, close or reactivate a couple. A closed couple's unsubmitted homework stops counting
/// as overdue, so its open homework is written again in the same transaction.
pub async fn set_status(
    db: &DatabaseConnection,
    clock: &dyn Clock,
    actor: &Actor,
    counselor_id: Uuid,
    couple_id: Uuid,
    status: CoupleStatus,
) -> Result<(), CoreError> {
    let tx = crate::db::begin_write(db).await?;
    let res = couple::Entity::update_many()
        .col_expr(couple::Column::Status, Expr::value(status.key()))
        .col_expr(couple::Column::UpdatedAt, Expr::value(clock.now()))
        .col_expr(
            couple::Column::Version,
            Expr::col(couple::Column::Version).add(1),
        )
        .filter(couple::Column::Id.eq(couple_id))
        .filter(couple::Column::CounselorId.eq(counselor_id))
        .exec(&tx)
        .await?;
    if res.rows_affected == 0 {
        return Err(CoreError::NotFound);
    }
    crate::homework::open_work::sync_couples(&tx, &[couple_id]).await?;
    audit::record(
        &tx,
        clock,
        actor,
        Action::CoupleUpdated,
        Some(Record::couple(couple_id)),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
