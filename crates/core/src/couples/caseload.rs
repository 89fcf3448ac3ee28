//! A counselor's caseload: searched, filtered, sorted and paged in the database.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::ExprTrait as _;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::CoupleStatus;
use crate::entities::couple;
use crate::error::CoreError;
use crate::stages::Stage;

/// The orders the caseload can be shown in (a fixed list: never a column name from the URL).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CaseloadSort {
    #[default]
    Label,
    RecentlyUpdated,
    Intake,
}

impl CaseloadSort {
    pub const ALL: [CaseloadSort; 3] = [
        CaseloadSort::Label,
        CaseloadSort::RecentlyUpdated,
        CaseloadSort::Intake,
    ];

    pub fn key(self) -> &'static str {
        match self {
            CaseloadSort::Label => "label",
            CaseloadSort::RecentlyUpdated => "updated",
            CaseloadSort::Intake => "intake",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.key() == key)
    }

    pub fn label(self) -> &'static str {
        match self {
            CaseloadSort::Label => "Name",
            CaseloadSort::RecentlyUpdated => "Recently updated",
            CaseloadSort::Intake => "Intake date",
        }
    }
}

/// Which couples to show by stage: those currently in a stage, or those done with all six.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageFilter {
    In(Stage),
    AllComplete,
}

impl StageFilter {
    pub fn key(self) -> &'static str {
        match self {
            StageFilter::In(stage) => stage.key(),
            StageFilter::AllComplete => "complete",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        if key == "complete" {
            return Some(StageFilter::AllComplete);
        }
        Stage::from_key(key).map(StageFilter::In)
    }
}

#[derive(Debug, Clone, Default)]
pub struct CaseloadQuery {
    /// Part of a couple's label, any case.
    pub search: Option<String>,
    pub status: Option<CoupleStatus>,
    pub stage: Option<StageFilter>,
    pub sort: CaseloadSort,
    /// 1-based.
    pub page: u64,
    pub per_page: u64,
}

impl CaseloadQuery {
    pub const MAX_PER_PAGE: u64 = 100;
    pub const DEFAULT_PER_PAGE: u64 = 25;
}

#[derive(Debug, Clone)]
pub struct CaseloadRow {
    pub id: Uuid,
    pub label: String,
    pub status: CoupleStatus,
    pub open_agreement: bool,
    pub intake_date: NaiveDate,
    pub current_stage: Option<Stage>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub page: u64,
    pub per_page: u64,
    pub total: u64,
}

impl<T> Page<T> {
    pub fn has_next(&self) -> bool {
        self.page * self.per_page < self.total
    }
    pub fn last_page(&self) -> u64 {
        Ord::max(self.total.div_ceil(Ord::max(self.per_page, 1)), 1)
    }
}

fn like_pattern(search: &str) -> String {
    let escaped = search
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

pub async fn list(
    db: &impl ConnectionTrait,
    counselor_id: Uuid,
    query: &CaseloadQuery,
) -> Result<Page<CaseloadRow>, CoreError> {
    let per_page = query.per_page.clamp(1, CaseloadQuery::MAX_PER_PAGE);
    let page = Ord::max(query.page, 1);
    let mut select = couple::Entity::find().filter(couple::Column::CounselorId.eq(counselor_id));
    if let Some(search) = query
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        // No label holds control characters, and PostgreSQL refuses NUL in text: match nothing.
        if search.chars().any(char::is_control) {
            return Ok(Page {
                items: Vec::new(),
                page,
                per_page,
                total: 0,
            });
        }
        select = select.filter(
            sea_orm::sea_query::Expr::col(couple::Column::LabelNormalized)
                .like(sea_orm::sea_query::LikeExpr::new(like_pattern(search)).escape('\\')),
        );
    }
    if let Some(status) = query.status {
        select = select.filter(couple::Column::Status.eq(status));
    }
    match query.stage {
        Some(StageFilter::In(stage)) => {
            select = select.filter(couple::Column::CurrentStage.eq(stage))
        }
        Some(StageFilter::AllComplete) => {
            select = select.filter(couple::Column::CurrentStage.is_null())
        }
        None => {}
    }
    let total = select.clone().count(db).await?;
    // Ties are broken by id in the sort's own direction, so that an index read backwards
    // gives the whole order and no page needs a sort.
    select = match query.sort {
        CaseloadSort::Label => select
            .order_by_asc(couple::Column::LabelNormalized)
            .order_by_asc(couple::Column::Id),
        CaseloadSort::RecentlyUpdated => select
            .order_by_desc(couple::Column::UpdatedAt)
            .order_by_desc(couple::Column::Id),
        CaseloadSort::Intake => select
            .order_by_desc(couple::Column::IntakeDate)
            .order_by_desc(couple::Column::Id),
    };
    let couples = select
        .offset((page - 1) * per_page)
        .limit(per_page)
        .all(db)
        .await?;
    let items = couples
        .into_iter()
        .map(|c| CaseloadRow {
            current_stage: c.current_stage,
            id: c.id,
            label: c.label,
            status: c.status,
            open_agreement: c.open_agreement,
            intake_date: c.intake_date,
            updated_at: c.updated_at,
        })
        .collect();
    Ok(Page {
        items,
        page,
        per_page,
        total,
    })
}

/// How many of the counselor's couples are in each stage (`None`: all stages complete).
pub async fn stage_counts(
    db: &impl ConnectionTrait,
    counselor_id: Uuid,
    status: Option<CoupleStatus>,
) -> Result<Vec<(Option<Stage>, u64)>, CoreError> {
    let mut select = couple::Entity::find()
        .select_only()
        .column(couple::Column::CurrentStage)
        // COUNT(*), not COUNT(id): the (counselor, stage) index then answers alone, without
        // reading each couple's row (a third of the time at 1,000 couples on SQLite).
        .column_as(sea_orm::sea_query::Expr::cust("COUNT(*)"), "n")
        .filter(couple::Column::CounselorId.eq(counselor_id))
        .group_by(couple::Column::CurrentStage);
    if let Some(status) = status {
        select = select.filter(couple::Column::Status.eq(status));
    }
    let rows: Vec<(Option<Stage>, i64)> = select.into_tuple().all(db).await?;
    let counts: Vec<(Option<Stage>, u64)> = Stage::ALL
        .iter()
        .map(|s| Some(*s))
        .chain([None])
        .map(|stage| {
            let n = rows
                .iter()
                .find(|(s, _)| *s == stage)
                .map(|(_, n)| *n)
                .unwrap_or(0);
            (stage, u64::try_from(n).unwrap_or(0))
        })
        .collect();
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_wildcards_are_literal() {
        assert_eq!(like_pattern("A_b%"), "%a\\_b\\%%");
    }

    #[test]
    fn paging_arithmetic() {
        let p = Page::<()> {
            items: vec![],
            page: 2,
            per_page: 10,
            total: 21,
        };
        assert!(p.has_next());
        assert_eq!(p.last_page(), 3);
    }
}
