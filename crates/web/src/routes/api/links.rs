//! Partners' personal homework links through the API: send a fresh link, rotate (every live
//! link of that partner dies and one new link is sent) or revoke (every live link dies).
//!
//! A link is built from the configured `KINTSUGI_BASE_URL`, never from the request, and it
//! travels only by email: no response ever carries the link or its secret.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use kintsugi_core::FieldErrors;
use kintsugi_core::audit::Actor;
use kintsugi_core::couples::PartnerRole;
use kintsugi_core::couples::store as couples;
use kintsugi_core::homework::links::{self, SendLink};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::query::{ApiQuery, Key, QueryKey, RoleKey};
use crate::auth::ApiCounselor;
use crate::error::{ApiError, AppError};
use crate::request::{ClientIp, parse_id};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(act))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LinkAction {
    Send,
    Rotate,
    Revoke,
}

impl LinkAction {
    fn from_key(key: &str) -> Option<Self> {
        match key {
            "send" => Some(LinkAction::Send),
            "rotate" => Some(LinkAction::Rotate),
            "revoke" => Some(LinkAction::Revoke),
            _ => None,
        }
    }

    fn done(self) -> &'static str {
        match self {
            LinkAction::Send => "sent",
            LinkAction::Rotate => "rotated",
            LinkAction::Revoke => "revoked",
        }
    }
}

impl QueryKey for LinkAction {
    fn keys() -> Vec<&'static str> {
        vec!["send", "rotate", "revoke"]
    }

    fn from_key(key: &str) -> Option<Self> {
        LinkAction::from_key(key)
    }
}

/// `send`, `rotate` or `revoke`: named, because utoipa reads an alias as a plain type (see
/// `query.rs`).
type LinkActionKey = Key<LinkAction>;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LinkParams {
    /// `send` (the default): email a fresh link, earlier links stay live; `rotate`: every live
    /// link dies and one new link is emailed; `revoke`: every live link dies.
    #[param(inline)]
    action: Option<LinkActionKey>,
}

/// The couple and the partner in the path. The role is checked by the handler, so that an
/// unknown role and a wrong query are named in one answer.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct LinkPath {
    /// The couple's id
    #[param(format = Uuid)]
    couple_id: String,
    /// Which partner: `involved` or `hurt`.
    #[param(value_type = RoleKey, inline)]
    role: String,
}

/// What was done. Never the link itself: that goes only to the partner, by email.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkResult {
    /// `involved` or `hurt`.
    pub role: &'static str,
    /// `sent`, `rotated` or `revoked`.
    pub action: &'static str,
    /// How many of this partner's links work now.
    pub live_links: u64,
    /// A message with a new link was queued for the partner's email.
    pub email_queued: bool,
}

/// Send, rotate or revoke a partner's homework link. The email is queued in the same
/// transaction as the new link; the response never contains the link.
#[utoipa::path(
    post,
    path = "/api/v1/couples/{couple_id}/links/{role}",
    tag = "links",
    params(LinkPath, LinkParams),
    responses(
        (status = 202, description = "Done; a new link, if any, is on its way by email", body = LinkResult),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such couple on your caseload", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown role, action or parameter", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn act(
    State(state): State<AppState>,
    ApiCounselor(counselor): ApiCounselor,
    ip: ClientIp,
    Path(LinkPath { couple_id, role }): Path<LinkPath>,
    query: Result<ApiQuery<LinkParams>, ApiError>,
) -> Result<(StatusCode, Json<LinkResult>), ApiError> {
    let couple_id = parse_id(&couple_id)?;
    let couple = couples::get(&state.db, counselor.id, couple_id).await?;
    let mut errors = FieldErrors::new();
    let role = errors.check(
        "role",
        PartnerRole::from_key(&role).ok_or("must be involved or hurt"),
    );
    let action = ApiQuery::or_errors(query, &mut errors)?
        .map(|params| params.action.map_or(LinkAction::Send, |k| k.0));
    let (Some(role), Some(action)) = (role, action) else {
        return Err(AppError::Invalid(errors).into());
    };
    let actor = Actor::counselor(counselor.id, ip.to_audit());
    match action {
        LinkAction::Revoke => {
            links::revoke(
                &state.db,
                state.clock(),
                &actor,
                counselor.id,
                couple_id,
                role,
            )
            .await?;
        }
        LinkAction::Send | LinkAction::Rotate => {
            let expiry = links::expiry_for_practice(&state.db, counselor.practice_id).await?;
            links::send(
                &state.db,
                state.clock(),
                &actor,
                SendLink {
                    counselor_id: counselor.id,
                    couple_id,
                    role,
                    base_url: &state.config.base_url,
                    expiry,
                    rotate: action == LinkAction::Rotate,
                },
            )
            .await?;
        }
    }
    let live_links =
        links::live_count(&state.db, state.clock().now(), couple.partner(role).id).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(LinkResult {
            role: role.key(),
            action: action.done(),
            live_links,
            email_queued: action != LinkAction::Revoke,
        }),
    ))
}
