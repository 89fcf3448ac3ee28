//! `/h`: the partner's homework, and leaving this device.

use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use kintsugi_core::homework::link_visits;
use kintsugi_core::homework::responses::{self, Homework};
use kintsugi_core::short_list::ShortList;
use serde::Deserialize;

use super::client::{Client, cookie_name};
use super::csrf::ClientForm;
use crate::auth::cookies;
use crate::error::AppError;
use crate::state::AppState;
use crate::views::homework::{HomePage, HomeworkItem, local_time};

fn item(
    h: &Homework,
    tz: kintsugi_core::domain::TimeZone,
    now: chrono::DateTime<chrono::Utc>,
) -> HomeworkItem {
    HomeworkItem {
        response_id: h.response.id.to_string(),
        title: h.exercise.model.title.clone(),
        due: local_time(h.assignment.due_at, tz),
        overdue: !h.response.status.is_final() && h.assignment.due_at < now,
        status_key: h.response.status.key(),
        status_label: h.response.status.label(),
        has_comment: h.response.counselor_comment.is_some(),
    }
}

/// Done homework listed before the page links to the rest.
const DONE_SHOWN: usize = 10;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct HomeParams {
    /// `all`: everything done, not only the latest [`DONE_SHOWN`].
    done: String,
}

pub async fn show(
    State(state): State<AppState>,
    Client(session): Client,
    RawQuery(raw): RawQuery,
) -> Result<HomePage, AppError> {
    // A mangled query string shows the usual page.
    let params: HomeParams =
        serde_urlencoded::from_str(raw.as_deref().unwrap_or_default()).unwrap_or_default();
    let partner = &session.partner;
    let done = ShortList::from_param(DONE_SHOWN, &params.done);
    let homework = responses::for_partner(&state.db, partner, done).await?;
    let now = state.clock().now();
    let tz = partner.timezone;
    Ok(HomePage {
        name: partner.name.clone(),
        csrf: session.csrf_token.clone(),
        open: homework.open.iter().map(|h| item(h, tz, now)).collect(),
        done: homework.done.iter().map(|h| item(h, tz, now)).collect(),
        done_more: homework.done_more,
        shared: homework
            .shared_with_me
            .iter()
            .map(|h| item(h, tz, now))
            .collect(),
        time_zone: tz.to_string(),
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct Nothing {}

/// End this device's session (the link itself stays valid).
pub async fn leave(
    State(state): State<AppState>,
    ClientForm { session, .. }: ClientForm<Nothing>,
) -> Result<Response, AppError> {
    link_visits::end(&state.db, &session.id).await?;
    let mut response = Redirect::to("/h").into_response();
    let name = cookie_name(state.config.secure_cookies);
    response.headers_mut().append(
        header::SET_COOKIE,
        cookies::clear(name, state.config.secure_cookies),
    );
    Ok(response)
}
