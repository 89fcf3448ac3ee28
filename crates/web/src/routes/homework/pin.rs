//! The PIN page: set a PIN on the first visit, enter it after 30 minutes without use.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kintsugi_core::homework::link_visits::{self, Pin, PinOutcome};
use serde::Deserialize;

use super::client::AnyClient;
use super::csrf::ClientForm;
use crate::error::AppError;
use crate::state::AppState;
use crate::views::homework::{ClosedPage, PinPage};

pub async fn form(AnyClient(session): AnyClient) -> Response {
    if !session.needs_pin() {
        return Redirect::to("/h").into_response();
    }
    PinPage {
        csrf: session.csrf_token.clone(),
        setting: session.partner.pin_hash.is_none(),
        error: None,
    }
    .into_response()
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PinForm {
    pin: String,
    again: String,
}

pub async fn submit(
    State(state): State<AppState>,
    ClientForm { session, form, .. }: ClientForm<PinForm>,
) -> Result<Response, AppError> {
    if !session.needs_pin() {
        return Ok(Redirect::to("/h").into_response());
    }
    let refuse = |setting: bool, error: String, status: StatusCode| {
        (
            status,
            PinPage {
                csrf: session.csrf_token.clone(),
                setting,
                error: Some(error),
            },
        )
            .into_response()
    };
    if session.partner.pin_hash.is_none() {
        let pin = match Pin::parse(&form.pin) {
            Ok(pin) => pin,
            Err(e) => {
                return Ok(refuse(
                    true,
                    format!("Your PIN {e}."),
                    StatusCode::UNPROCESSABLE_ENTITY,
                ));
            }
        };
        if form.pin.trim() != form.again.trim() {
            return Ok(refuse(
                true,
                "The two PINs differ. Please type the same PIN twice.".into(),
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
        link_visits::set_pin(&state.db, state.clock(), &session, &pin).await?;
        return Ok(Redirect::to("/h").into_response());
    }
    match link_visits::check_pin(&state.db, state.clock(), &session, &form.pin).await? {
        PinOutcome::Accepted => Ok(Redirect::to("/h").into_response()),
        PinOutcome::Wrong { tries_left } => {
            let words = if tries_left == 1 {
                "1 more try".to_owned()
            } else {
                format!("{tries_left} more tries")
            };
            Ok(refuse(
                false,
                format!(
                    "That PIN does not match. You have {words} before the link rests for 15 minutes."
                ),
                StatusCode::UNAUTHORIZED,
            ))
        }
        PinOutcome::Paused { until } => Ok(ClosedPage::paused(until, session.partner.timezone)),
    }
}
