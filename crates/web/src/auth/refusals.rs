//! Refused access is audited: when a signed-in counselor (page or API token) asks for a record
//! route and gets "not found", the audit trail records who, which route (its template, never
//! the raw path with its ids or secrets) and from where. Probing another counselor's ids leaves
//! a trace an admin can find.

use std::sync::{Arc, OnceLock};

use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use kintsugi_core::audit::{Action, Actor};
use uuid::Uuid;

use crate::request::ClientIp;
use crate::state::AppState;

/// Filled by the counselor extractors once they know who is asking.
#[derive(Debug, Clone, Default)]
pub struct ActorSlot(Arc<OnceLock<Uuid>>);

impl ActorSlot {
    pub fn set(&self, counselor_id: Uuid) {
        let _ = self.0.set(counselor_id);
    }
}

pub async fn audit_refusals(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let slot = ActorSlot::default();
    req.extensions_mut().insert(slot.clone());
    // A route that names a record: its template has a parameter.
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .filter(|p| p.contains('{'));
    let ip = ClientIp(
        req.extensions()
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip()),
    );
    let response = next.run(req).await;
    if response.status() == StatusCode::NOT_FOUND
        && let (Some(route), Some(counselor_id)) = (route, slot.0.get().copied())
    {
        let actor = Actor::counselor(counselor_id, ip.to_audit());
        if let Err(e) = state
            .views
            .record_with_detail(
                state.clock(),
                &actor,
                Action::AccessRefused,
                None,
                Some(&route),
            )
            .await
        {
            tracing::warn!(error = %e, "could not audit a refused access");
        }
    }
    response
}
