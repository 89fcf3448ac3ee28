//! Reading the audit trail for admins: filters by who, what, which record and when, a page at a
//! time or everything matching for a CSV export. Filter values are checked against what the
//! trail actually holds, so a filter can only name real actions and record kinds.

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, IdenStatic, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Select, Statement,
};
use uuid::Uuid;

use crate::entities::audit_event;
use crate::error::CoreError;

/// Most rows one CSV export holds; narrow the filters for more.
pub const EXPORT_LIMIT: u64 = 100_000;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub actor_id: Option<Uuid>,
    pub action: Option<String>,
    pub record_kind: Option<String>,
    pub record_id: Option<Uuid>,
    /// From this instant on.
    pub from: Option<DateTime<Utc>>,
    /// Before this instant.
    pub to: Option<DateTime<Utc>>,
}

impl AuditFilter {
    fn apply(&self, mut q: Select<audit_event::Entity>) -> Select<audit_event::Entity> {
        if let Some(id) = self.actor_id {
            q = q.filter(audit_event::Column::ActorId.eq(id));
        }
        if let Some(a) = &self.action {
            q = q.filter(audit_event::Column::Action.eq(a.as_str()));
        }
        if let Some(k) = &self.record_kind {
            q = q.filter(audit_event::Column::RecordKind.eq(k.as_str()));
        }
        if let Some(id) = self.record_id {
            q = q.filter(audit_event::Column::RecordId.eq(id));
        }
        if let Some(from) = self.from {
            q = q.filter(audit_event::Column::At.gte(from));
        }
        if let Some(to) = self.to {
            q = q.filter(audit_event::Column::At.lt(to));
        }
        // Newest first by time: each filter has an index that ends in `at`, so a page reads
        // its own events in order instead of sorting every match.
        q.order_by_desc(audit_event::Column::At)
            .order_by_desc(audit_event::Column::Id)
    }
}

/// One page of matching events, newest first, and how many match in all.
pub async fn page(
    db: &impl ConnectionTrait,
    filter: &AuditFilter,
    page: u64,
    per_page: u64,
) -> Result<(Vec<audit_event::Model>, u64), CoreError> {
    let total = filter.apply(audit_event::Entity::find()).count(db).await?;
    let rows = filter
        .apply(audit_event::Entity::find())
        .offset(page.saturating_sub(1) * per_page)
        .limit(per_page)
        .all(db)
        .await?;
    Ok((rows, total))
}

/// Every matching event for an export, newest first, at most [`EXPORT_LIMIT`].
pub async fn export(
    db: &impl ConnectionTrait,
    filter: &AuditFilter,
) -> Result<Vec<audit_event::Model>, CoreError> {
    Ok(filter
        .apply(audit_event::Entity::find())
        .limit(EXPORT_LIMIT)
        .all(db)
        .await?)
}

/// The distinct values of a column, ascending: one index probe per value (a loose index scan
/// through the indexes that lead with these columns), instead of reading the whole trail on
/// every visit of the page.
async fn distinct(
    db: &impl ConnectionTrait,
    column: audit_event::Column,
) -> Result<Vec<String>, CoreError> {
    let c = column.as_str();
    let sql = format!(
        r#"WITH RECURSIVE seen(v) AS (
            SELECT MIN("{c}") FROM "audit_event"
            UNION ALL
            SELECT (SELECT MIN("{c}") FROM "audit_event" WHERE "{c}" > seen.v)
            FROM seen WHERE seen.v IS NOT NULL
        ) SELECT v FROM seen WHERE v IS NOT NULL"#
    );
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?;
    Ok(rows
        .iter()
        .map(|row| row.try_get_by_index::<String>(0))
        .collect::<Result<_, _>>()?)
}

/// The actions the trail holds, for the filter's choices.
pub async fn actions_in_use(db: &impl ConnectionTrait) -> Result<Vec<String>, CoreError> {
    distinct(db, audit_event::Column::Action).await
}

/// The record kinds the trail holds, for the filter's choices.
pub async fn kinds_in_use(db: &impl ConnectionTrait) -> Result<Vec<String>, CoreError> {
    distinct(db, audit_event::Column::RecordKind).await
}
