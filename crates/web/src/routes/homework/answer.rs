//! One piece of homework: the answer form (drafts save automatically with a few lines of
//! script, and with a button without it), submitting (once), and reading a submitted
//! response or one the other partner shared.

use std::collections::BTreeMap;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kintsugi_core::CoreError;
use kintsugi_core::access::secrets;
use kintsugi_core::homework::prompts::{Answer, Prompt, PromptKind, RawAnswer};
use kintsugi_core::homework::responses::{self, Homework, Saved};
use kintsugi_core::homework::{ResponseStatus, Visibility};
use serde::Deserialize;
use uuid::Uuid;

use super::client::Client;
use super::csrf::ClientForm;
use crate::error::AppError;
use crate::state::AppState;
use crate::views::homework::{AnswerPage, ClosedPage, PromptField, ViewPage, local_time};

fn field_from(
    prompt: &Prompt,
    answer: Option<&Answer>,
    typed: Option<&Vec<String>>,
    error: Option<String>,
) -> PromptField {
    let (kind, options, low, high) = match &prompt.kind {
        PromptKind::LongText => ("long_text", vec![], String::new(), String::new()),
        PromptKind::ShortText => ("short_text", vec![], String::new(), String::new()),
        PromptKind::Scale {
            low_label,
            high_label,
        } => ("scale", vec![], low_label.clone(), high_label.clone()),
        PromptKind::SingleChoice { options } => (
            "single_choice",
            options.clone(),
            String::new(),
            String::new(),
        ),
        PromptKind::Checklist { options } => {
            ("checklist", options.clone(), String::new(), String::new())
        }
    };
    // What was typed wins over what was saved, so a refused form shows the client's own words.
    let (value, chosen) = match (typed, answer) {
        (Some(values), _) => (values.first().cloned().unwrap_or_default(), values.clone()),
        (None, Some(Answer::Text(t))) => (t.clone(), vec![t.clone()]),
        (None, Some(Answer::Number(n))) => (n.to_string(), vec![n.to_string()]),
        (None, Some(Answer::Choices(c))) => (String::new(), c.clone()),
        (None, None) => (String::new(), vec![]),
    };
    PromptField {
        key: prompt.key.clone(),
        label: prompt.label.clone(),
        kind,
        required: prompt.required,
        value,
        chosen,
        options,
        low_label: low,
        high_label: high,
        error,
    }
}

/// `a.<prompt key>` fields, grouped (a checklist sends one value per ticked item).
fn typed_answers(raw: &[u8]) -> BTreeMap<String, Vec<String>> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(raw).unwrap_or_default();
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in pairs {
        if let Some(key) = k.strip_prefix("a.") {
            out.entry(key.to_owned()).or_default().push(v);
        }
    }
    out
}

fn raw_answers(typed: &BTreeMap<String, Vec<String>>) -> Vec<(String, RawAnswer)> {
    typed
        .iter()
        .map(|(k, v)| (k.clone(), RawAnswer { values: v.clone() }))
        .collect()
}

fn answer_page(
    h: &Homework,
    csrf: &str,
    tz: kintsugi_core::domain::TimeZone,
    typed: Option<&BTreeMap<String, Vec<String>>>,
    problems: &[(String, String)],
    share: bool,
    notice: Option<String>,
) -> AnswerPage {
    let saved = h.answers();
    let fields = h
        .exercise
        .prompts
        .iter()
        .map(|p| {
            let error = problems
                .iter()
                .find(|(k, _)| *k == p.key)
                .map(|(_, m)| m.clone());
            let typed_here = typed.map(|t| t.get(&p.key).cloned().unwrap_or_default());
            field_from(p, saved.get(&p.key), typed_here.as_ref(), error)
        })
        .collect();
    AnswerPage {
        csrf: csrf.to_owned(),
        response_id: h.response.id.to_string(),
        title: h.exercise.model.title.clone(),
        instructions: h.exercise.model.instructions.clone(),
        due: local_time(h.assignment.due_at, tz),
        fields,
        shareable: h.assignment.visibility == Visibility::Shareable,
        share,
        idempotency_key: secrets::random_token(16),
        notice,
        problems: problems.len(),
    }
}

fn view_page(h: &Homework, own: bool, tz: kintsugi_core::domain::TimeZone) -> ViewPage {
    let saved = h.answers();
    ViewPage {
        title: h.exercise.model.title.clone(),
        whose: if own {
            "Your answers"
        } else {
            "Shared with you by your partner"
        },
        submitted: h
            .response
            .submitted_at
            .map(|t| local_time(t, tz))
            .unwrap_or_default(),
        fields: h
            .exercise
            .prompts
            .iter()
            .map(|p| field_from(p, saved.get(&p.key), None, None))
            .collect(),
        comment: if own {
            h.response.counselor_comment.clone()
        } else {
            None
        },
        notice: None,

        shared_note: match (own, h.assignment.visibility, h.response.shared_with_partner) {
            (true, Visibility::Shareable, true) => {
                Some("You chose to share this with your partner.")
            }
            (true, Visibility::Shareable, false) => {
                Some("Only your counselor reads this; you chose not to share it.")
            }
            (true, Visibility::CounselorOnly, _) => Some("Only your counselor reads this."),
            _ => None,
        },
    }
}

async fn find(
    state: &AppState,
    session: &kintsugi_core::homework::link_visits::LinkVisit,
    raw_id: &str,
    own_only: bool,
) -> Result<Option<Homework>, AppError> {
    let Ok(id) = Uuid::parse_str(raw_id) else {
        return Ok(None);
    };
    match responses::get_for_partner(&state.db, &session.partner, id, own_only).await {
        Ok(h) => Ok(Some(h)),
        Err(CoreError::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn notice_for(query: Option<&str>) -> Option<String> {
    match query.unwrap_or_default() {
        "saved=draft" => {
            Some("Draft saved. You can come back to it at any time before you submit.".into())
        }
        "saved=submitted" => Some("Submitted. Thank you: your counselor will read it.".into()),
        "saved=already" => Some("This was already submitted, so nothing was changed.".into()),
        _ => None,
    }
}

pub async fn show(
    State(state): State<AppState>,
    Client(session): Client,
    Path(response_id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let Some(h) = find(&state, &session, &response_id, false).await? else {
        return Ok(ClosedPage::not_found());
    };
    let tz = session.partner.timezone;
    let own = h.response.partner_id == session.partner.id;
    if !own || h.response.status.is_final() {
        let mut page = view_page(&h, own, tz);
        page.notice = notice_for(query.as_deref());
        return Ok(page.into_response());
    }
    Ok(answer_page(
        &h,
        &session.csrf_token,
        tz,
        None,
        &[],
        false,
        notice_for(query.as_deref()),
    )
    .into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SaveForm {
    action: String,
    share: Option<String>,
    idempotency_key: String,
}

pub async fn save(
    State(state): State<AppState>,
    Path(response_id): Path<String>,
    ClientForm { session, form, raw }: ClientForm<SaveForm>,
) -> Result<Response, AppError> {
    if session.needs_pin() {
        return Ok(Redirect::to("/h/pin").into_response());
    }
    let Some(h) = find(&state, &session, &response_id, true).await? else {
        return Ok(ClosedPage::not_found());
    };
    let typed = typed_answers(&raw);
    let answers = raw_answers(&typed);
    let share = crate::forms::checked(&form.share);
    let id = h.response.id;
    let outcome = if form.action == "submit" {
        let key = Some(form.idempotency_key.as_str()).filter(|k| !k.is_empty());
        responses::submit(
            &state.db,
            state.clock(),
            &session.partner,
            id,
            &answers,
            share,
            key,
        )
        .await?
    } else {
        responses::save_draft(&state.db, state.clock(), &session.partner, id, &answers).await?
    };
    match outcome {
        Saved::Done if form.action == "submit" => {
            Ok(Redirect::to(&format!("/h/r/{id}?saved=submitted")).into_response())
        }
        Saved::Done => Ok(Redirect::to(&format!("/h/r/{id}?saved=draft")).into_response()),
        Saved::AlreadySubmitted => {
            Ok(Redirect::to(&format!("/h/r/{id}?saved=already")).into_response())
        }
        Saved::Problems(problems) => {
            // Valid answers of a draft were kept; show every answer as typed, with what to fix.
            let fresh = find(&state, &session, &response_id, true)
                .await?
                .unwrap_or(h);
            let notice = (form.action != "submit")
                .then(|| "Your other answers were saved as a draft.".to_owned());
            let page = answer_page(
                &fresh,
                &session.csrf_token,
                session.partner.timezone,
                Some(&typed),
                &problems,
                share,
                notice,
            );
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

/// The script's background save: 204 when stored, 422 with the prompt keys that need fixing.
pub async fn autosave(
    State(state): State<AppState>,
    Path(response_id): Path<String>,
    ClientForm { session, raw, .. }: ClientForm<SaveForm>,
) -> Result<Response, AppError> {
    if session.needs_pin() {
        return Ok(StatusCode::UNAUTHORIZED.into_response());
    }
    let Some(h) = find(&state, &session, &response_id, true).await? else {
        return Ok(StatusCode::NOT_FOUND.into_response());
    };
    if h.response.status == ResponseStatus::Submitted
        || h.response.status == ResponseStatus::Reviewed
    {
        return Ok(StatusCode::CONFLICT.into_response());
    }
    let answers = raw_answers(&typed_answers(&raw));
    match responses::save_draft(
        &state.db,
        state.clock(),
        &session.partner,
        h.response.id,
        &answers,
    )
    .await?
    {
        Saved::Done => Ok(StatusCode::NO_CONTENT.into_response()),
        Saved::Problems(p) => {
            let keys: Vec<String> = p.into_iter().map(|(k, _)| k).collect();
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                axum::Json(serde_json::json!({ "problems": keys })),
            )
                .into_response())
        }
        Saved::AlreadySubmitted => Ok(StatusCode::CONFLICT.into_response()),
    }
}
