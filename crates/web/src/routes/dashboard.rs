//! The dashboard: the counselor's caseload, searchable, filterable, sorted and paged.

use axum::extract::{RawQuery, State};
use kintsugi_core::audit::{Action, Actor};
use kintsugi_core::couples::CoupleStatus;
use kintsugi_core::couples::caseload::{self, CaseloadQuery, CaseloadSort, StageFilter};
use kintsugi_core::homework::open_work;
use serde::Deserialize;

use crate::auth::SignedIn;
use crate::error::AppError;
use crate::request::ClientIp;
use crate::state::AppState;
use crate::views::dashboard::{CaseloadRowView, Choice, DashboardPage, StageChip, TODAY_SHOWN};
use crate::views::sessions::SessionRow;
use crate::views::{Chrome, format_date};
use kintsugi_core::sessions;
use kintsugi_core::short_list::ShortList;

/// Query parameters as sent; unknown values fall back to defaults instead of failing.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CaseloadParams {
    q: String,
    status: String,
    stage: String,
    sort: String,
    page: String,
    /// `all`: every one of today's sessions, not only the first [`TODAY_SHOWN`].
    today: String,
}

impl CaseloadParams {
    pub fn to_query(&self) -> CaseloadQuery {
        CaseloadQuery {
            search: Some(self.q.chars().take(120).collect::<String>())
                .filter(|s| !s.trim().is_empty()),
            status: CoupleStatus::from_key(&self.status),
            stage: StageFilter::from_key(&self.stage),
            sort: CaseloadSort::from_key(&self.sort).unwrap_or_default(),
            page: self.page.parse().unwrap_or(1).clamp(1, 1_000_000),
            per_page: CaseloadQuery::DEFAULT_PER_PAGE,
        }
    }
}

fn page_url(query: &CaseloadQuery, page: u64) -> String {
    let params = [
        ("q", query.search.clone().unwrap_or_default()),
        (
            "status",
            query.status.map(|s| s.key().to_owned()).unwrap_or_default(),
        ),
        ("sort", query.sort.key().to_owned()),
        ("page", page.to_string()),
    ];
    format!(
        "/?{}",
        serde_urlencoded::to_string(params).unwrap_or_default()
    )
}

pub async fn show(
    State(state): State<AppState>,
    signed: SignedIn,
    ip: ClientIp,
    RawQuery(raw): RawQuery,
) -> Result<DashboardPage, AppError> {
    // A mangled query string shows the default view rather than an error.
    let params: CaseloadParams =
        serde_urlencoded::from_str(raw.as_deref().unwrap_or_default()).unwrap_or_default();
    let query = params.to_query();
    let page = caseload::list(&state.db, signed.counselor.id, &query).await?;
    let counts = caseload::stage_counts(&state.db, signed.counselor.id, query.status).await?;
    let stage_chips = counts
        .into_iter()
        .map(|(stage, count)| {
            let filter = stage.map_or(StageFilter::AllComplete, StageFilter::In);
            let label = match stage {
                Some(s) => format!("{} · {}", s.number(), s.name()),
                None => "All complete".to_owned(),
            };
            let selected = query.stage == Some(filter);
            let target = CaseloadQuery {
                stage: (!selected).then_some(filter),
                page: 1,
                ..query.clone()
            };
            StageChip {
                key: filter.key(),
                label,
                count,
                selected,
                url: page_url(&target, 1),
            }
        })
        .collect();
    state
        .views
        .record(
            state.clock(),
            &Actor::counselor(signed.counselor.id, ip.to_audit()),
            Action::CoupleListViewed,
            None,
        )
        .await?;
    let now = state.clock().now();
    let homework = open_work::caseload_counts(&state.db, signed.counselor.id, now).await?;
    let ids: Vec<uuid::Uuid> = page.items.iter().map(|row| row.id).collect();
    let to_review = open_work::to_review_by_couple(&state.db, signed.counselor.id, &ids).await?;
    let tz = signed.counselor.timezone;
    let next_sessions = sessions::store::next_by_couple(&state.db, &ids, now).await?;
    let day = ShortList::from_param(TODAY_SHOWN, &params.today);
    let today =
        sessions::store::today(&state.db, signed.counselor.id, tz, now, day.query_limit()).await?;
    let (today, hidden) = day.cut(today);
    let today_sessions = today
        .iter()
        .map(|d| SessionRow::new(&d.session, &d.couple_label, d.note_status, tz, now))
        .collect();
    let rows = page
        .items
        .iter()
        .map(|row| CaseloadRowView {
            to_review: to_review.get(&row.id).copied().unwrap_or(0),
            id: row.id.to_string(),
            label: row.label.clone(),
            status_key: row.status.key(),
            status_label: row.status.label(),
            stage_number: row.current_stage.map(|s| s.number()).unwrap_or(0),
            stage_name: row.current_stage.map(|s| s.name()).unwrap_or(""),
            intake: format_date(row.intake_date),
            next_session: next_sessions
                .get(&row.id)
                .map(|t| crate::time_format::short_without_year(*t, tz)),
        })
        .collect();
    Ok(DashboardPage {
        chrome: Chrome::new(&signed, "caseload"),
        homework_to_review: homework.to_review,
        homework_overdue: homework.overdue,
        failed_emails: kintsugi_core::reminders::outbox::failed_count(
            &state.db,
            signed.counselor.id,
        )
        .await?,

        rows,
        today_sessions,
        today_more: hidden > 0,
        search: query.search.clone().unwrap_or_default(),
        stage_chips,
        stage_key: query.stage.map(|s| s.key()).unwrap_or(""),
        statuses: CoupleStatus::ALL
            .iter()
            .map(|s| Choice {
                key: s.key(),
                label: s.label(),
                selected: query.status == Some(*s),
            })
            .collect(),
        sorts: CaseloadSort::ALL
            .iter()
            .map(|s| Choice {
                key: s.key(),
                label: s.label(),
                selected: query.sort == *s,
            })
            .collect(),
        total: page.total,
        page: page.page,
        last_page: page.last_page(),
        prev_url: (page.page > 1).then(|| page_url(&query, page.page - 1)),
        next_url: page.has_next().then(|| page_url(&query, page.page + 1)),
        filtered: query.search.is_some() || query.status.is_some() || query.stage.is_some(),
    })
}
