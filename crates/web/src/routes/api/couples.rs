//! `/api/v1/couples`: the caseload through the API.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use kintsugi_core::audit::{Action, Actor, Record};
use kintsugi_core::couples::caseload::{self, CaseloadQuery};
use kintsugi_core::couples::store::{self, CoupleRecord};
use kintsugi_core::couples::{CoupleInput, CoupleStatus, PartnerInput, PartnerRole};
use kintsugi_core::{CoreError, FieldErrors};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::json::ApiJson;
use super::paging::{PageNumber, Paging, PerPage};
use super::query::{ApiQuery, CaseloadSortKey, CoupleStatusKey, StageFilterKey, Text};
use super::schema;
use crate::auth::ApiCounselor;
use crate::error::{ApiError, AppError};
use crate::request::{ClientIp, parse_id};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct PartnerJson {
    pub id: String,
    /// `involved` (had the affair) or `hurt`.
    pub role: &'static str,
    pub name: String,
    pub email: String,
    /// IANA time zone name.
    pub timezone: String,
    pub reminders_opt_out: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CoupleJson {
    pub id: String,
    pub label: String,
    /// `active`, `paused` or `closed`.
    pub status: &'static str,
    pub open_agreement: bool,
    #[schema(format = Date)]
    pub intake_date: String,
    #[schema(format = Date)]
    pub disclosure_date: Option<String>,
    /// Send it back in `PATCH` to refuse the change if someone else saved in between.
    pub version: i32,
    /// Key of the first stage that is not complete; null once all are complete.
    pub current_stage: Option<String>,
    pub partners: Vec<PartnerJson>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn couple_json(r: &CoupleRecord) -> CoupleJson {
    let c = &r.couple;
    CoupleJson {
        id: c.id.to_string(),
        label: c.label.clone(),
        status: c.status.key(),
        open_agreement: c.open_agreement,
        intake_date: c.intake_date.to_string(),
        disclosure_date: c.disclosure_date.map(|d| d.to_string()),
        version: c.version,
        current_stage: c.current_stage.map(|s| s.key().to_owned()),
        partners: PartnerRole::BOTH
            .iter()
            .map(|role| {
                let p = r.partner(*role);
                PartnerJson {
                    id: p.id.to_string(),
                    role: role.key(),
                    name: p.name.clone(),
                    email: p.email.to_string(),
                    timezone: p.timezone.to_string(),
                    reminders_opt_out: p.reminders_opt_out,
                }
            })
            .collect(),
        created_at: c.created_at,
        updated_at: c.updated_at,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CoupleSummaryJson {
    pub id: String,
    pub label: String,
    /// `active`, `paused` or `closed`.
    pub status: &'static str,
    pub open_agreement: bool,
    #[schema(format = Date)]
    pub intake_date: String,
    pub current_stage: Option<String>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CoupleList {
    pub items: Vec<CoupleSummaryJson>,
    /// The URL of the next page, or null on the last page.
    pub next: Option<String>,
    pub total: u64,
}

/// The query parameters of the caseload list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// 1-based page number.
    #[param(inline)]
    page: Option<PageNumber>,
    /// 1 to 100, default 25.
    #[param(inline)]
    per_page: Option<PerPage>,
    /// Part of a couple's label.
    #[param(inline)]
    q: Option<Text<120>>,
    /// `active`, `paused` or `closed`.
    #[param(inline)]
    status: Option<CoupleStatusKey>,
    /// A stage key: couples currently in that stage; or `complete`: all stages complete.
    #[param(inline)]
    stage: Option<StageFilterKey>,
    /// `label`, `updated` or `intake`.
    #[param(inline)]
    sort: Option<CaseloadSortKey>,
}

impl ListParams {
    fn caseload_query(self) -> CaseloadQuery {
        let paging = Paging::new(self.page, self.per_page, CaseloadQuery::DEFAULT_PER_PAGE);
        CaseloadQuery {
            search: self.q.map(|q| q.0).filter(|q| !q.trim().is_empty()),
            status: self.status.map(|k| k.0),
            stage: self.stage.map(|k| k.0),
            sort: self.sort.map(|k| k.0).unwrap_or_default(),
            page: paging.page,
            per_page: paging.per_page,
        }
    }
}

/// List the caseload, paged.
#[utoipa::path(
    get,
    path = "/api/v1/couples",
    tag = "couples",
    params(ListParams),
    responses(
        (status = 200, description = "One page of couples", body = CoupleList),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A parameter is invalid", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    ApiCounselor(counselor): ApiCounselor,
    ip: ClientIp,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<CoupleList>, ApiError> {
    let query = params.caseload_query();
    let page = caseload::list(&state.db, counselor.id, &query).await?;
    state
        .views
        .record(
            state.clock(),
            &Actor::counselor(counselor.id, ip.to_audit()),
            Action::CoupleListViewed,
            None,
        )
        .await?;
    let filters: Vec<(&str, &str)> = [
        query.search.as_deref().map(|q| ("q", q)),
        query.status.map(|s| ("status", s.key())),
        query.stage.map(|s| ("stage", s.key())),
        Some(("sort", query.sort.key())),
    ]
    .into_iter()
    .flatten()
    .collect();
    let paging = Paging {
        page: page.page,
        per_page: page.per_page,
    };
    let next = paging.next(page.has_next(), "/api/v1/couples", &filters);
    Ok(Json(CoupleList {
        total: page.total,
        next,
        items: page
            .items
            .into_iter()
            .map(|row| CoupleSummaryJson {
                id: row.id.to_string(),
                label: row.label,
                status: row.status.key(),
                open_agreement: row.open_agreement,
                intake_date: row.intake_date.to_string(),
                current_stage: row.current_stage.map(|s| s.key().to_owned()),
                updated_at: row.updated_at,
            })
            .collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartnerBody {
    /// `involved` or `hurt`.
    #[schema(schema_with = schema::role)]
    pub role: String,
    #[schema(schema_with = schema::name)]
    pub name: String,
    #[schema(schema_with = schema::email)]
    pub email: String,
    /// IANA time zone name, e.g. `Europe/Berlin`.
    #[schema(schema_with = schema::time_zone)]
    pub timezone: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCoupleBody {
    #[schema(schema_with = schema::label)]
    pub label: String,
    #[serde(default)]
    pub open_agreement: bool,
    /// Defaults to today.
    #[schema(schema_with = schema::or_null::couple_date)]
    pub intake_date: Option<String>,
    #[schema(schema_with = schema::or_null::couple_date)]
    pub disclosure_date: Option<String>,
    /// Exactly two: one `involved`, one `hurt`.
    #[schema(min_items = 2, max_items = 2)]
    pub partners: Vec<PartnerBody>,
}

/// Which index of the request's `partners` holds each role, or field errors.
fn partners_by_role(
    partners: &[PartnerBody],
    errors: &mut FieldErrors,
) -> HashMap<PartnerRole, usize> {
    let mut found = HashMap::new();
    for (i, p) in partners.iter().enumerate() {
        match PartnerRole::from_key(&p.role) {
            None => errors.add(format!("partners[{i}].role"), "must be involved or hurt"),
            Some(role) if found.contains_key(&role) => {
                errors.add(format!("partners[{i}].role"), "appears twice")
            }
            Some(role) => {
                found.insert(role, i);
            }
        }
    }
    found
}

/// Core names partner fields `involved.name`; the API names them by their place in the body.
fn rename_partner_fields(errors: FieldErrors, index: &HashMap<PartnerRole, usize>) -> FieldErrors {
    let mut renamed = FieldErrors::new();
    for (field, message) in errors.iter() {
        let field = match field.split_once('.') {
            Some((role, rest)) => match PartnerRole::from_key(role).and_then(|r| index.get(&r)) {
                Some(i) => format!("partners[{i}].{rest}"),
                None => field.to_owned(),
            },
            None => field.to_owned(),
        };
        renamed.add(field, message);
    }
    renamed
}

fn partner_input(p: &PartnerBody) -> PartnerInput {
    PartnerInput {
        name: p.name.clone(),
        email: p.email.clone(),
        timezone: p.timezone.clone(),
    }
}

/// Add a couple with both partners.
#[utoipa::path(
    post,
    path = "/api/v1/couples",
    tag = "couples",
    request_body = NewCoupleBody,
    responses(
        (status = 201, description = "Created", body = CoupleJson),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    ApiCounselor(counselor): ApiCounselor,
    ip: ClientIp,
    ApiJson(body): ApiJson<NewCoupleBody>,
) -> Result<(StatusCode, Json<CoupleJson>), ApiError> {
    let mut errors = FieldErrors::new();
    let index = partners_by_role(&body.partners, &mut errors);
    for role in PartnerRole::BOTH {
        if !index.contains_key(&role) && errors.is_empty() {
            errors.add(
                "partners",
                format!("must include one {} partner", role.key()),
            );
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors).into());
    }
    let input = CoupleInput {
        label: body.label,
        open_agreement: body.open_agreement,
        intake_date: body
            .intake_date
            .unwrap_or_else(|| state.clock().now().date_naive().to_string()),
        disclosure_date: body.disclosure_date.unwrap_or_default(),
        involved: partner_input(&body.partners[index[&PartnerRole::Involved]]),
        hurt: partner_input(&body.partners[index[&PartnerRole::Hurt]]),
    };
    let new = input.parse().map_err(|e| match e {
        CoreError::Invalid(errors) => AppError::Invalid(rename_partner_fields(errors, &index)),
        other => other.into(),
    })?;
    let actor = Actor::counselor(counselor.id, ip.to_audit());
    let record = store::create(&state.db, state.clock(), &actor, counselor.id, new).await?;
    Ok((StatusCode::CREATED, Json(couple_json(&record))))
}

async fn load(
    state: &AppState,
    counselor_id: uuid::Uuid,
    id: uuid::Uuid,
) -> Result<CoupleJson, AppError> {
    let record = store::get(&state.db, counselor_id, id).await?;
    Ok(couple_json(&record))
}

/// One couple with both partners.
#[utoipa::path(
    get,
    path = "/api/v1/couples/{couple_id}",
    tag = "couples",
    params(("couple_id" = String, Path, format = Uuid, description = "The couple's id")),
    responses(
        (status = 200, description = "The couple", body = CoupleJson),
        (status = 404, description = "No such couple on your caseload", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn read(
    State(state): State<AppState>,
    ApiCounselor(counselor): ApiCounselor,
    ip: ClientIp,
    Path(couple_id): Path<String>,
) -> Result<Json<CoupleJson>, ApiError> {
    let id = parse_id(&couple_id)?;
    let json = load(&state, counselor.id, id).await?;
    let actor = Actor::counselor(counselor.id, ip.to_audit());
    state
        .views
        .record(
            state.clock(),
            &actor,
            Action::CoupleViewed,
            Some(Record::couple(id)),
        )
        .await?;
    Ok(Json(json))
}

/// `null` clears a value; absence leaves it alone.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartnerPatch {
    /// Which partner to change: `involved` or `hurt`.
    #[schema(schema_with = schema::role)]
    pub role: String,
    #[schema(schema_with = schema::or_null::name)]
    pub name: Option<String>,
    #[schema(schema_with = schema::or_null::email)]
    pub email: Option<String>,
    #[schema(schema_with = schema::or_null::time_zone)]
    pub timezone: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CouplePatch {
    #[schema(schema_with = schema::or_null::label)]
    pub label: Option<String>,
    pub open_agreement: Option<bool>,
    /// `active`, `paused` or `closed`.
    #[schema(schema_with = schema::or_null::couple_status)]
    pub status: Option<String>,
    #[schema(schema_with = schema::or_null::couple_date)]
    pub intake_date: Option<String>,
    /// `null` removes the disclosure date.
    #[serde(default, deserialize_with = "present")]
    #[schema(schema_with = schema::or_null::couple_date)]
    pub disclosure_date: Option<Option<String>>,
    /// At most one change per partner.
    #[serde(default)]
    #[schema(max_items = 2)]
    pub partners: Vec<PartnerPatch>,
    /// The version you read; a stale version answers 409 instead of overwriting.
    pub version: Option<i32>,
}

/// Change some fields of a couple.
#[utoipa::path(
    patch,
    path = "/api/v1/couples/{couple_id}",
    tag = "couples",
    params(("couple_id" = String, Path, format = Uuid, description = "The couple's id")),
    request_body = CouplePatch,
    responses(
        (status = 200, description = "The changed couple", body = CoupleJson),
        (status = 404, description = "No such couple on your caseload", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Changed by someone else since `version`", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    ApiCounselor(counselor): ApiCounselor,
    ip: ClientIp,
    Path(couple_id): Path<String>,
    ApiJson(patch): ApiJson<CouplePatch>,
) -> Result<Json<CoupleJson>, ApiError> {
    let id = parse_id(&couple_id)?;
    let current = store::get(&state.db, counselor.id, id).await?;
    let mut errors = FieldErrors::new();
    let mut index = HashMap::new();
    for (i, p) in patch.partners.iter().enumerate() {
        match PartnerRole::from_key(&p.role) {
            Some(role) if !index.contains_key(&role) => {
                index.insert(role, i);
            }
            Some(_) => errors.add(format!("partners[{i}].role"), "appears twice"),
            None => errors.add(format!("partners[{i}].role"), "must be involved or hurt"),
        }
    }
    let status = match &patch.status {
        None => None,
        Some(s) => errors.check(
            "status",
            CoupleStatus::from_key(s).ok_or("must be active, paused or closed"),
        ),
    };
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors).into());
    }
    let merge_partner = |role: PartnerRole| {
        let existing = current.partner(role);
        let change = index.get(&role).map(|i| &patch.partners[*i]);
        PartnerInput {
            name: change
                .and_then(|c| c.name.clone())
                .unwrap_or_else(|| existing.name.clone()),
            email: change
                .and_then(|c| c.email.clone())
                .unwrap_or_else(|| existing.email.to_string()),
            timezone: change
                .and_then(|c| c.timezone.clone())
                .unwrap_or_else(|| existing.timezone.to_string()),
        }
    };
    let c = &current.couple;
    let input = CoupleInput {
        label: patch.label.clone().unwrap_or_else(|| c.label.clone()),
        open_agreement: patch.open_agreement.unwrap_or(c.open_agreement),
        intake_date: patch
            .intake_date
            .clone()
            .unwrap_or_else(|| c.intake_date.to_string()),
        disclosure_date: match &patch.disclosure_date {
            Some(value) => value.clone().unwrap_or_default(),
            None => c.disclosure_date.map(|d| d.to_string()).unwrap_or_default(),
        },
        involved: merge_partner(PartnerRole::Involved),
        hurt: merge_partner(PartnerRole::Hurt),
    };
    let new = input.parse().map_err(|e| match e {
        CoreError::Invalid(errors) => AppError::Invalid(rename_partner_fields(errors, &index)),
        other => other.into(),
    })?;
    let expected = patch.version.unwrap_or(c.version);
    let actor = Actor::counselor(counselor.id, ip.to_audit());
    let record = store::update(
        &state.db,
        state.clock(),
        &actor,
        counselor.id,
        id,
        expected,
        new,
        status,
    )
    .await?;
    Ok(Json(couple_json(&record)))
}
