//! The exercise library: browse by stage and recipient, preview an exercise as the client will
//! see it, create one's own exercises, copy any exercise and edit one's own copies. Built-ins
//! are never edited in place; another counselor's exercises are simply not found.

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use kintsugi_core::audit::Actor;
use kintsugi_core::homework::Recipient;
use kintsugi_core::homework::library::{self, Exercise, LibraryFilter, NewExercise};
use kintsugi_core::homework::prompts::{Prompt, PromptKind};
use kintsugi_core::stages::Stage;
use kintsugi_core::{CoreError, FieldErrors};
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::SignedIn;
use crate::auth::csrf::SignedInForm;
use crate::error::AppError;
use crate::forms::checked;
use crate::request::{ClientIp, parse_id};
use crate::state::AppState;
use crate::views::library::{
    ExerciseFormPage, ExerciseFormValues, ExerciseRow, LibraryPage, PreviewPage, PromptRowValues,
    PromptView, recipient_options, stage_label, stage_options,
};
use crate::views::{Chrome, Errors};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/library", get(index).post(create))
        .route("/library/new", get(new_form))
        .route("/library/{exercise_id}", get(preview))
        .route("/library/{exercise_id}/copy", post(copy))
        .route("/library/{exercise_id}/edit", get(edit_form).post(update))
}

/// Most prompt rows the editor reads (the most prompts an exercise may have).
const MAX_ROWS: usize = 40;
/// Empty prompt rows offered for a new exercise.
const NEW_ROWS: usize = 8;
/// Empty rows offered below an existing exercise's prompts.
const SPARE_ROWS: usize = 3;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LibraryParams {
    stage: String,
    recipient: String,
}

pub async fn index(
    State(state): State<AppState>,
    signed: SignedIn,
    RawQuery(raw): RawQuery,
) -> Result<LibraryPage, AppError> {
    // A mangled or unknown filter shows the whole library rather than an error.
    let params: LibraryParams =
        serde_urlencoded::from_str(raw.as_deref().unwrap_or_default()).unwrap_or_default();
    let filter = LibraryFilter {
        stage: Stage::from_key(&params.stage),
        recipient: Recipient::from_key(&params.recipient),
    };
    let exercises = library::list(&state.db, signed.counselor.id, filter).await?;
    Ok(LibraryPage {
        chrome: Chrome::new(&signed, "library"),
        stages: stage_options(filter.stage.map(|s| s.key()).unwrap_or("")),
        recipients: recipient_options(filter.recipient.map(|r| r.key()).unwrap_or("")),
        rows: exercises.iter().map(ExerciseRow::from_exercise).collect(),
        filtered: filter.stage.is_some() || filter.recipient.is_some(),
    })
}

/// Fixed notices after a redirect: the URL carries a key, never text.
fn notice_for(key: &str) -> Option<String> {
    Some(
        match key {
            "created" => "Exercise saved to your library.",
            "saved" => "Changes saved. Homework already assigned keeps pointing at this exercise.",
            "copied" => {
                "This is your own copy. Change anything you like; the original stays as it was."
            }
            _ => return None,
        }
        .to_owned(),
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DoneParams {
    done: String,
}

fn done_param(raw: Option<&str>) -> DoneParams {
    serde_urlencoded::from_str(raw.unwrap_or_default()).unwrap_or_default()
}

/// One exercise the counselor may use (a built-in or their own); anything else is 404.
async fn usable(state: &AppState, signed: &SignedIn, raw_id: &str) -> Result<Exercise, AppError> {
    let id = parse_id(raw_id)?;
    Ok(library::get(&state.db, signed.counselor.id, id).await?)
}

/// One of the counselor's own exercises; built-ins and anyone else's are 404.
async fn own(state: &AppState, signed: &SignedIn, raw_id: &str) -> Result<Exercise, AppError> {
    let e = usable(state, signed, raw_id).await?;
    if e.model.counselor_id != Some(signed.counselor.id) {
        return Err(AppError::NotFound);
    }
    Ok(e)
}

pub async fn preview(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(exercise_id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<PreviewPage, AppError> {
    let e = usable(&state, &signed, &exercise_id).await?;
    Ok(PreviewPage {
        chrome: Chrome::new(&signed, "library"),
        id: e.model.id.to_string(),
        title: e.model.title.clone(),
        stage_label: stage_label(e.model.stage),
        recipient_label: e.model.recipient.label(),
        builtin: e.is_builtin(),
        instructions: e.model.instructions.clone(),
        prompts: e
            .prompts
            .iter()
            .enumerate()
            .map(|(i, p)| PromptView::from_prompt(i + 1, p))
            .collect(),
        notice: notice_for(&done_param(raw.as_deref()).done),
    })
}

enum FormMode {
    New,
    Edit { id: Uuid },
}

fn form_page(
    signed: &SignedIn,
    mode: &FormMode,
    mut values: ExerciseFormValues,
    errors: FieldErrors,
    conflict: Option<String>,
    notice: Option<String>,
) -> ExerciseFormPage {
    let (heading, action, submit_label, cancel_url, reload_url) = match mode {
        FormMode::New => (
            "New exercise".to_owned(),
            "/library".to_owned(),
            "Save exercise",
            "/library".to_owned(),
            None,
        ),
        FormMode::Edit { id } => (
            format!("Edit {}", values.title),
            format!("/library/{id}/edit"),
            "Save changes",
            format!("/library/{id}"),
            conflict.as_ref().map(|_| format!("/library/{id}/edit")),
        ),
    };
    // Always a few empty rows to add prompts, never more than an exercise may hold.
    let used = values
        .rows
        .iter()
        .rposition(|r| !r.is_empty())
        .map_or(0, |i| i + 1);
    let want = (used + SPARE_ROWS).clamp(NEW_ROWS, MAX_ROWS);
    values.rows.truncate(want.max(used));
    while values.rows.len() < want {
        let index = values.rows.len();
        values.rows.push(PromptRowValues {
            index,
            kind: "long_text".into(),
            ..Default::default()
        });
    }
    ExerciseFormPage {
        chrome: Chrome::new(signed, "library"),
        heading,
        action,
        submit_label,
        cancel_url,
        stages: stage_options(&values.stage),
        recipients: recipient_options(&values.recipient),
        values,
        errors: Errors(errors),
        conflict,
        reload_url,
        notice,
    }
}

fn values_from(e: &Exercise) -> ExerciseFormValues {
    ExerciseFormValues {
        title: e.model.title.clone(),
        stage: e.model.stage.key().to_owned(),
        recipient: e.model.recipient.key().to_owned(),
        instructions: e.model.instructions.clone(),
        version: e.model.version.to_string(),
        rows: e
            .prompts
            .iter()
            .enumerate()
            .map(|(i, p)| PromptRowValues::from_prompt(i, p))
            .collect(),
    }
}

/// The editor's fields as posted. Unknown fields are ignored; a repeated field keeps its first
/// value; rows beyond [`MAX_ROWS`] are not read.
fn values_from_form(form: &[(String, String)]) -> ExerciseFormValues {
    let first = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let rows = (0..MAX_ROWS)
        .map(|i| {
            let f = |field: &str| first(&format!("p{i}.{field}"));
            PromptRowValues {
                index: i,
                kind: f("kind"),
                label: f("label"),
                key: f("key"),
                options: f("options"),
                low: f("low"),
                high: f("high"),
                required: checked(&Some(f("required"))),
            }
        })
        .collect::<Vec<_>>();
    ExerciseFormValues {
        title: first("title"),
        stage: first("stage"),
        recipient: first("recipient"),
        instructions: first("instructions"),
        version: first("version"),
        rows,
    }
}

/// A prompt key made from the question: lowercase words joined by `_`, at most 24 characters.
fn key_from_label(label: &str) -> String {
    let mut key = String::new();
    for word in label
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let word = word.to_ascii_lowercase();
        let extra = if key.is_empty() { 0 } else { 1 } + word.len();
        if key.len() + extra > 24 {
            if key.is_empty() {
                key = word.chars().take(24).collect();
            }
            break;
        }
        if !key.is_empty() {
            key.push('_');
        }
        key.push_str(&word);
    }
    key
}

/// The editor's values as a new exercise, with every problem keyed by the editor's own field
/// names (`p3.label`): empty rows are skipped, so core's `prompts[1]` may be row 3.
fn parse_exercise(values: &ExerciseFormValues) -> Result<NewExercise, FieldErrors> {
    let mut errors = FieldErrors::new();
    let stage = Stage::from_key(values.stage.trim());
    if stage.is_none() {
        errors.add("stage", "choose one of the six stages");
    }
    let recipient = Recipient::from_key(values.recipient.trim());
    if recipient.is_none() {
        errors.add("recipient", "choose who the exercise is for");
    }
    let mut prompts: Vec<Prompt> = Vec::new();
    let mut rows: Vec<usize> = Vec::new();
    let mut keys: Vec<String> = Vec::new();
    for row in values.rows.iter().filter(|r| !r.is_empty()) {
        let field = |name: &str| format!("p{}.{name}", row.index);
        let options: Vec<String> = row
            .options
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect();
        let kind = match row.kind.trim() {
            "long_text" => Some(PromptKind::LongText),
            "short_text" => Some(PromptKind::ShortText),
            "scale" => Some(PromptKind::Scale {
                low_label: row.low.trim().to_owned(),
                high_label: row.high.trim().to_owned(),
            }),
            "single_choice" => Some(PromptKind::SingleChoice { options }),
            "checklist" => Some(PromptKind::Checklist { options }),
            _ => {
                errors.add(field("kind"), "choose a kind of answer from the list");
                None
            }
        };
        let Some(kind) = kind else { continue };
        let mut key = row.key.trim().to_owned();
        if key.is_empty() {
            let base = key_from_label(&row.label);
            let base = if base.is_empty() {
                format!("prompt_{}", row.index + 1)
            } else {
                base
            };
            key = base.clone();
            let mut n = 2;
            while keys.contains(&key) || values.rows.iter().any(|r| r.key.trim() == key) {
                key = format!("{base}_{n}");
                n += 1;
            }
        }
        keys.push(key.clone());
        prompts.push(Prompt {
            key,
            label: row.label.clone(),
            kind,
            required: row.required,
        });
        rows.push(row.index);
    }
    let new = NewExercise {
        title: values.title.clone(),
        stage: stage.unwrap_or(Stage::Admission),
        recipient: recipient.unwrap_or(Recipient::Both),
        instructions: values.instructions.clone(),
        prompts,
    };
    if let Err(CoreError::Invalid(found)) = new.validate() {
        for (field, message) in found.iter() {
            errors.add(editor_field(field, &rows), message);
        }
    }
    if errors.is_empty() {
        Ok(new)
    } else {
        Err(errors)
    }
}

/// Core's `prompts[1].label` as the editor's `p3.label`.
fn editor_field(field: &str, rows: &[usize]) -> String {
    if let Some(rest) = field.strip_prefix("prompts[")
        && let Some((n, tail)) = rest.split_once(']')
        && let Ok(n) = n.parse::<usize>()
        && let Some(row) = rows.get(n)
    {
        return format!("p{row}{tail}");
    }
    field.to_owned()
}

pub async fn new_form(signed: SignedIn) -> ExerciseFormPage {
    let values = ExerciseFormValues {
        recipient: "both".into(),
        ..Default::default()
    };
    form_page(
        &signed,
        &FormMode::New,
        values,
        FieldErrors::new(),
        None,
        None,
    )
}

fn refused(page: ExerciseFormPage, status: StatusCode) -> Response {
    (status, page).into_response()
}

pub async fn create(
    State(state): State<AppState>,
    ip: ClientIp,
    SignedInForm { signed, form }: SignedInForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let values = values_from_form(&form);
    let new = match parse_exercise(&values) {
        Ok(new) => new,
        Err(errors) => {
            return Ok(refused(
                form_page(&signed, &FormMode::New, values, errors, None, None),
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
    };
    let actor = Actor::counselor(signed.counselor.id, ip.to_audit());
    let created = match library::create(
        &state.db,
        state.clock(),
        &actor,
        signed.counselor.id,
        new,
        None,
    )
    .await
    {
        Ok(created) => created,
        Err(CoreError::Invalid(errors)) => {
            return Ok(refused(
                form_page(&signed, &FormMode::New, values, errors, None, None),
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
        Err(e) => return Err(e.into()),
    };
    Ok(Redirect::to(&format!("/library/{}?done=created", created.model.id)).into_response())
}

/// Copy any usable exercise into one's own, then open the copy in the editor.
pub async fn copy(
    State(state): State<AppState>,
    ip: ClientIp,
    Path(exercise_id): Path<String>,
    SignedInForm { signed, .. }: SignedInForm<serde::de::IgnoredAny>,
) -> Result<Response, AppError> {
    let source = usable(&state, &signed, &exercise_id).await?;
    let copied = library::copy(
        &state.db,
        state.clock(),
        &Actor::counselor(signed.counselor.id, ip.to_audit()),
        signed.counselor.id,
        source.model.id,
    )
    .await?;
    Ok(Redirect::to(&format!("/library/{}/edit?done=copied", copied.model.id)).into_response())
}

pub async fn edit_form(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(exercise_id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<ExerciseFormPage, AppError> {
    let e = own(&state, &signed, &exercise_id).await?;
    Ok(form_page(
        &signed,
        &FormMode::Edit { id: e.model.id },
        values_from(&e),
        FieldErrors::new(),
        None,
        notice_for(&done_param(raw.as_deref()).done),
    ))
}

pub async fn update(
    State(state): State<AppState>,
    ip: ClientIp,
    Path(exercise_id): Path<String>,
    SignedInForm { signed, form }: SignedInForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    // Not this counselor's own exercise: 404 before anything is said about the form.
    let current = own(&state, &signed, &exercise_id).await?;
    let id = current.model.id;
    let mode = FormMode::Edit { id };
    let values = values_from_form(&form);
    let new = match parse_exercise(&values) {
        Ok(new) => new,
        Err(errors) => {
            return Ok(refused(
                form_page(&signed, &mode, values, errors, None, None),
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
    };
    let Ok(version) = values.version.trim().parse::<i32>() else {
        let msg = "This form is missing its version, so it cannot tell whether the exercise changed since you opened it. Open the latest version and make your change again.".to_owned();
        return Ok(refused(
            form_page(&signed, &mode, values, FieldErrors::new(), Some(msg), None),
            StatusCode::CONFLICT,
        ));
    };
    match library::update(
        &state.db,
        state.clock(),
        &Actor::counselor(signed.counselor.id, ip.to_audit()),
        signed.counselor.id,
        id,
        version,
        new,
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/library/{id}?done=saved")).into_response()),
        Err(CoreError::Invalid(errors)) => Ok(refused(
            form_page(&signed, &mode, values, errors, None, None),
            StatusCode::UNPROCESSABLE_ENTITY,
        )),
        Err(CoreError::Conflict(msg)) => Ok(refused(
            form_page(&signed, &mode, values, FieldErrors::new(), Some(msg), None),
            StatusCode::CONFLICT,
        )),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_made_from_the_question() {
        assert_eq!(
            key_from_label("How much do you trust your partner right now?"),
            "how_much_do_you_trust"
        );
        assert_eq!(key_from_label("Trust"), "trust");
        assert_eq!(key_from_label("¿Qué?"), "qu");
        assert_eq!(key_from_label("…"), "");
        assert_eq!(key_from_label(&"a".repeat(50)).len(), 24);
    }

    #[test]
    fn core_prompt_fields_map_back_to_editor_rows() {
        assert_eq!(editor_field("prompts[1].label", &[0, 3]), "p3.label");
        assert_eq!(
            editor_field("prompts[7].label", &[0, 3]),
            "prompts[7].label"
        );
        assert_eq!(editor_field("title", &[0]), "title");
    }

    #[test]
    fn empty_rows_are_ignored_and_errors_name_the_row() {
        let mut values = ExerciseFormValues {
            title: "Mine".into(),
            stage: "validation".into(),
            recipient: "hurt".into(),
            instructions: "Write.".into(),
            ..Default::default()
        };
        values.rows = (0..4)
            .map(|index| PromptRowValues {
                index,
                kind: "long_text".into(),
                ..Default::default()
            })
            .collect();
        values.rows[2].label = "What happened?".into();
        values.rows[3].kind = "single_choice".into();
        values.rows[3].label = "Pick".into();
        values.rows[3].options = "only one".into();
        let errors = parse_exercise(&values).expect_err("one option is too few");
        assert!(errors.get("p3.options").is_some(), "{errors:?}");
        values.rows[3].options = "one\n\n two \n".into();
        let new = parse_exercise(&values).expect("valid");
        assert_eq!(new.prompts.len(), 2);
        assert_eq!(new.prompts[0].key, "what_happened");
        assert_eq!(
            new.prompts[1].kind,
            PromptKind::SingleChoice {
                options: vec!["one".into(), "two".into()]
            }
        );
    }
}
