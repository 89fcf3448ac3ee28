//! The audit log for practice admins: filter by counselor, action, record and period, page
//! through it, and export what matches as CSV. Viewing and exporting are audited too.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{Duration, NaiveDate, NaiveTime};
use kintsugi_core::FieldErrors;
use kintsugi_core::audit::search::{self, AuditFilter};
use kintsugi_core::audit::{Action, Actor};
use kintsugi_core::domain::TimeZone;
use kintsugi_core::entities::audit_event;
use kintsugi_core::homework::assignments::local_to_utc;
use kintsugi_core::practice::counselors;
use uuid::Uuid;

use crate::auth::{Admin, SignedIn};
use crate::error::AppError;
use crate::request::ClientIp;
use crate::state::AppState;
use crate::views::admin::{AuditPage, AuditParams, AuditRow};
use crate::views::{Chrome, Errors};

const PER_PAGE: u64 = 50;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/audit", get(show))
        .route("/admin/audit.csv", get(export))
}

/// The filter the parameters describe, checked against what the trail and the practice hold.
/// Errors name the field; the page shows them and an export refuses.
fn parse_filter(
    p: &AuditParams,
    zone: TimeZone,
    counselors: &[(String, String)],
    actions: &[String],
    kinds: &[String],
) -> Result<AuditFilter, FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut filter = AuditFilter::default();
    let pick = |raw: &str, known: &[String]| -> Result<Option<String>, ()> {
        let raw = raw.trim();
        if raw.is_empty() {
            Ok(None)
        } else if known.iter().any(|k| k == raw) {
            Ok(Some(raw.to_owned()))
        } else {
            Err(())
        }
    };
    let counselor_ids: Vec<String> = counselors.iter().map(|(id, _)| id.clone()).collect();
    match pick(&p.counselor, &counselor_ids) {
        Ok(id) => filter.actor_id = id.and_then(|id| Uuid::parse_str(&id).ok()),
        Err(()) => errors.add("counselor", "choose a counselor from the list"),
    }
    match pick(&p.action, actions) {
        Ok(a) => filter.action = a,
        Err(()) => errors.add("action", "choose an action from the list"),
    }
    match pick(&p.kind, kinds) {
        Ok(k) => filter.record_kind = k,
        Err(()) => errors.add("kind", "choose a kind of record from the list"),
    }
    let record = p.record.trim();
    if !record.is_empty() {
        match Uuid::parse_str(record) {
            Ok(id) => filter.record_id = Some(id),
            Err(_) => errors.add("record", "must be a record id (a UUID)"),
        }
    }
    let day = |raw: &str, field: &str, errors: &mut FieldErrors| -> Option<NaiveDate> {
        let raw = raw.trim();
        if raw.is_empty() {
            return None;
        }
        NaiveDate::parse_from_str(raw, "%Y-%m-%d")
            .map_err(|_| errors.add(field, "must be a date such as 2026-03-14"))
            .ok()
    };
    let from = day(&p.from, "from", &mut errors);
    let to = day(&p.to, "to", &mut errors);
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        errors.add("to", "must be on or after the start date");
    }
    filter.from = from.map(|d| local_to_utc(zone, d.and_time(NaiveTime::MIN)));
    filter.to = to.map(|d| local_to_utc(zone, (d + Duration::days(1)).and_time(NaiveTime::MIN)));
    if errors.is_empty() {
        Ok(filter)
    } else {
        Err(errors)
    }
}

fn query_of(p: &AuditParams, page: Option<u64>) -> String {
    let mut pairs = vec![
        ("counselor", p.counselor.as_str()),
        ("action", p.action.as_str()),
        ("kind", p.kind.as_str()),
        ("record", p.record.as_str()),
        ("from", p.from.as_str()),
        ("to", p.to.as_str()),
    ];
    let page = page.map(|n| n.to_string());
    if let Some(n) = &page {
        pairs.push(("page", n));
    }
    pairs.retain(|(_, v)| !v.trim().is_empty());
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

struct Context {
    counselors: Vec<(String, String)>,
    names: HashMap<Uuid, String>,
    actions: Vec<String>,
    kinds: Vec<String>,
}

async fn context(state: &AppState) -> Result<Context, AppError> {
    // The trail shown includes every view this instance has queued until now.
    state.views.flush().await;
    let all = counselors::list(&state.db).await?;
    Ok(Context {
        counselors: all
            .iter()
            .map(|c| (c.id.to_string(), c.name.clone()))
            .collect(),
        names: all.into_iter().map(|c| (c.id, c.name)).collect(),
        actions: search::actions_in_use(&state.db).await?,
        kinds: search::kinds_in_use(&state.db).await?,
    })
}

fn row(e: &audit_event::Model, names: &HashMap<Uuid, String>, zone: TimeZone) -> AuditRow {
    let who = match (e.actor_kind.as_str(), e.actor_id) {
        ("counselor", Some(id)) => names
            .get(&id)
            .cloned()
            .unwrap_or_else(|| format!("counselor {id}")),
        ("partner", _) => "A partner (homework link)".to_owned(),
        ("system", _) => "Kintsugi".to_owned(),
        _ => "Not signed in".to_owned(),
    };
    AuditRow {
        at: crate::time_format::iso_seconds(e.at, zone),
        who,
        action: e.action.clone(),
        record: match (&e.record_kind, e.record_id) {
            (Some(k), Some(id)) => format!("{k} {id}"),
            _ => String::new(),
        },
        ip: e.ip.clone().unwrap_or_default(),
        detail: e.detail.clone().unwrap_or_default(),
    }
}

async fn record_view(
    state: &AppState,
    signed: &SignedIn,
    ip: ClientIp,
    action: Action,
) -> Result<(), AppError> {
    state
        .views
        .record(
            state.clock(),
            &Actor::counselor(signed.counselor.id, ip.to_audit()),
            action,
            None,
        )
        .await?;
    Ok(())
}

pub async fn show(
    State(state): State<AppState>,
    Admin(signed): Admin,
    ip: ClientIp,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let params: AuditParams =
        serde_urlencoded::from_str(raw.as_deref().unwrap_or_default()).unwrap_or_default();
    let zone = signed.counselor.timezone;
    let ctx = context(&state).await?;
    let page_no: u64 = params.page.trim().parse().unwrap_or(1).clamp(1, 1_000_000);
    let (filter, errors) =
        match parse_filter(&params, zone, &ctx.counselors, &ctx.actions, &ctx.kinds) {
            Ok(f) => (Some(f), FieldErrors::new()),
            Err(e) => (None, e),
        };
    let (rows, total) = match &filter {
        Some(f) => search::page(&state.db, f, page_no, PER_PAGE).await?,
        None => (Vec::new(), 0),
    };
    record_view(&state, &signed, ip, Action::AuditLogViewed).await?;
    let last_page = total.div_ceil(PER_PAGE).max(1);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = AuditPage {
        chrome: Chrome::new(&signed, "audit"),
        rows: rows.iter().map(|e| row(e, &ctx.names, zone)).collect(),
        total,
        page: page_no,
        last_page,
        prev_url: (page_no > 1)
            .then(|| format!("/admin/audit?{}", query_of(&params, Some(page_no - 1)))),
        next_url: (page_no < last_page)
            .then(|| format!("/admin/audit?{}", query_of(&params, Some(page_no + 1)))),
        export_url: format!("/admin/audit.csv?{}", query_of(&params, None)),
        time_zone: zone.name(),
        counselors: ctx.counselors,
        actions: ctx.actions,
        kinds: ctx.kinds,
        errors: Errors(errors),
        params,
    };
    Ok((status, page).into_response())
}

/// A spreadsheet cell that cannot be read as a formula (CSV injection).
fn cell(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    }
}

pub async fn export(
    State(state): State<AppState>,
    Admin(signed): Admin,
    ip: ClientIp,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let params: AuditParams =
        serde_urlencoded::from_str(raw.as_deref().unwrap_or_default()).unwrap_or_default();
    let zone = signed.counselor.timezone;
    let ctx = context(&state).await?;
    let filter = parse_filter(&params, zone, &ctx.counselors, &ctx.actions, &ctx.kinds)
        .map_err(AppError::Invalid)?;
    let events = search::export(&state.db, &filter).await?;
    let mut out = csv::Writer::from_writer(Vec::new());
    let header_row = [
        "time",
        "time_zone",
        "actor",
        "actor_kind",
        "actor_id",
        "action",
        "record_kind",
        "record_id",
        "ip",
        "detail",
    ];
    out.write_record(header_row)
        .map_err(|e| AppError::Internal(format!("csv: {e}")))?;
    for e in &events {
        let r = row(e, &ctx.names, zone);
        let record = [
            r.at,
            zone.name().to_owned(),
            r.who,
            e.actor_kind.clone(),
            e.actor_id.map(|id| id.to_string()).unwrap_or_default(),
            e.action.clone(),
            e.record_kind.clone().unwrap_or_default(),
            e.record_id.map(|id| id.to_string()).unwrap_or_default(),
            r.ip,
            r.detail,
        ];
        out.write_record(record.iter().map(|v| cell(v)))
            .map_err(|e| AppError::Internal(format!("csv: {e}")))?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| AppError::Internal(format!("csv: {e}")))?;
    record_view(&state, &signed, ip, Action::AuditLogExported).await?;
    let name = format!(
        "audit-log-{}.csv",
        state
            .clock()
            .now()
            .with_timezone(&zone.tz())
            .format("%Y-%m-%d")
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        bytes,
    )
        .into_response())
}
