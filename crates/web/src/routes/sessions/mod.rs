//! Session pages: schedule and reschedule, attendance, the note editor (autosaved drafts,
//! signing with the counselor's password, addenda), marker ratings and homework given in the
//! session, and the PDF downloads. A refused form comes back with what was typed and why.
//!
//! One file per part of the page: [`schedule`], [`page`], [`attendance`], [`note`],
//! [`markers`], [`homework`] and [`pdfs`].

mod attendance;
mod homework;
mod markers;
mod note;
mod page;
mod pdfs;
mod schedule;

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Duration;
use kintsugi_core::access::totp_store;
use kintsugi_core::audit::{Action, Actor, Record};
use kintsugi_core::couples::store as couples;
use kintsugi_core::homework::assignments;
use kintsugi_core::homework::library::{self, LibraryFilter};
use kintsugi_core::sessions::input::StartInput;
use kintsugi_core::sessions::note_store::{self, NoteRecord};
use kintsugi_core::sessions::notes::{AddendumText, NoteContent, NoteFormat};
use kintsugi_core::sessions::report_period::ReportPeriod;
use kintsugi_core::sessions::store::{self, SessionRecord};
use kintsugi_core::sessions::{Attendance, Location, SessionInput, SessionState};
use kintsugi_core::stages::store::StageAction;
use kintsugi_core::{CoreError, FieldErrors};
use serde::Deserialize;
use uuid::Uuid;

use super::assignments::{default_assign, parse_assignment};
use super::couples::{Feedback, couple_page};
use crate::auth::csrf::SignedInForm;
use crate::auth::{SignedIn, signature};
use crate::documents;
use crate::error::AppError;
use crate::request::{ClientIp, parse_id};
use crate::state::AppState;
use crate::views::homework_review::{AssignFormValues, assign_form, local_inputs, when};
use crate::views::sessions::{
    AddendumView, NoteView, SectionField, SessionFormPage, SessionFormValues, SessionPage,
    SignatureView, location_of, section_hint, session_when,
};
use crate::views::{Chrome, Errors};

use page::{Kept, page_with};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/couples/{couple_id}/sessions/new", get(schedule::new_form))
        .route("/couples/{couple_id}/sessions", post(schedule::schedule))
        .route("/couples/{couple_id}/report.pdf", get(pdfs::report_pdf))
        .route(
            "/sessions/{session_id}",
            get(page::show).post(schedule::reschedule),
        )
        .route("/sessions/{session_id}/edit", get(schedule::edit_form))
        .route(
            "/sessions/{session_id}/attendance",
            post(attendance::attendance),
        )
        .route("/sessions/{session_id}/note", post(note::save_note))
        .route(
            "/sessions/{session_id}/note/addenda",
            post(note::add_addendum),
        )
        .route("/sessions/{session_id}/note.pdf", get(pdfs::note_pdf))
        .route(
            "/sessions/{session_id}/markers",
            post(markers::rate_markers),
        )
        .route(
            "/sessions/{session_id}/homework",
            post(homework::assign_homework),
        )
}

fn actor(signed: &SignedIn, ip: ClientIp) -> Actor {
    Actor::counselor(signed.counselor.id, ip.to_audit())
}
