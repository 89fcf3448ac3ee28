//! `/api/v1/exercises`: the exercise library through the API. Counselors see the built-ins and
//! their own exercises (never another counselor's); they add exercises of their own. Built-ins
//! are never changed.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use kintsugi_core::audit::Actor;
use kintsugi_core::domain::BoundedText;
use kintsugi_core::homework::Recipient;
use kintsugi_core::homework::library::{self, Exercise, LibraryFilter, NewExercise};
use kintsugi_core::homework::prompts::{Prompt, PromptKind};
use kintsugi_core::stages::Stage;
use kintsugi_core::{CoreError, FieldErrors};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::json::ApiJson;
use super::query::{ApiQuery, RecipientKey, StageKey};
use super::schema;
use crate::auth::ApiCounselor;
use crate::error::{ApiError, AppError};
use crate::request::{ClientIp, parse_id};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(read))
}

pub(crate) const STAGE_KEYS: &str = "admission, validation, openness, before_the_affair, current_struggles or shared_responsibility";
const KINDS: &str = "long_text, short_text, scale, single_choice or checklist";

/// One prompt of an exercise, in order.
#[derive(Debug, Serialize, ToSchema)]
pub struct PromptJson {
    /// Short and stable within the exercise (`trust`, `anger`); answers are keyed by it.
    pub key: String,
    pub label: String,
    /// `long_text`, `short_text`, `scale` (a whole number from 0 to 10), `single_choice` or
    /// `checklist`.
    pub kind: &'static str,
    /// A submission needs an answer here.
    pub required: bool,
    /// The choices of a `single_choice` or `checklist` prompt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<String>>,
    /// What 0 means on a `scale`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub low_label: Option<String>,
    /// What 10 means on a `scale`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub high_label: Option<String>,
}

pub fn prompt_json(p: &Prompt) -> PromptJson {
    let (options, low_label, high_label) = match &p.kind {
        PromptKind::SingleChoice { options } | PromptKind::Checklist { options } => {
            (Some(options.clone()), None, None)
        }
        PromptKind::Scale {
            low_label,
            high_label,
        } => (None, Some(low_label.clone()), Some(high_label.clone())),
        PromptKind::LongText | PromptKind::ShortText => (None, None, None),
    };
    PromptJson {
        key: p.key.clone(),
        label: p.label.clone(),
        kind: p.kind.key(),
        required: p.required,
        options,
        low_label,
        high_label,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExerciseJson {
    pub id: String,
    /// One of Kintsugi's own exercises (never changed); otherwise one of yours.
    pub builtin: bool,
    pub title: String,
    /// The stage key the exercise belongs to.
    pub stage: &'static str,
    /// `involved`, `hurt` or `both`: whom it is written for.
    pub recipient: &'static str,
    /// What the client reads before answering.
    pub instructions: String,
    pub prompts: Vec<PromptJson>,
    /// The exercise this one was copied from, if any.
    #[schema(format = Uuid)]
    pub copied_from_id: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub fn exercise_json(e: &Exercise) -> ExerciseJson {
    let m = &e.model;
    ExerciseJson {
        id: m.id.to_string(),
        builtin: e.is_builtin(),
        title: m.title.clone(),
        stage: m.stage.key(),
        recipient: m.recipient.key(),
        instructions: m.instructions.clone(),
        prompts: e.prompts.iter().map(prompt_json).collect(),
        copied_from_id: m.copied_from_id.map(|id| id.to_string()),
        version: m.version,
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExerciseList {
    pub items: Vec<ExerciseJson>,
    /// Always null: the library comes in one page.
    pub next: Option<String>,
    pub total: u64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only exercises of this stage (a stage key).
    #[param(inline)]
    stage: Option<StageKey>,
    /// Only exercises written for `involved`, `hurt` or `both`.
    #[param(inline)]
    recipient: Option<RecipientKey>,
}

/// The library: built-in exercises and your own, in stage order.
#[utoipa::path(
    get,
    path = "/api/v1/exercises",
    tag = "exercises",
    params(ListParams),
    responses(
        (status = 200, description = "The exercises you may assign", body = ExerciseList),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown stage, recipient or parameter", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    ApiCounselor(counselor): ApiCounselor,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<ExerciseList>, ApiError> {
    let filter = LibraryFilter {
        stage: params.stage.map(|k| k.0),
        recipient: params.recipient.map(|k| k.0),
    };
    let exercises = library::list(&state.db, counselor.id, filter).await?;
    Ok(Json(ExerciseList {
        total: exercises.len() as u64,
        next: None,
        items: exercises.iter().map(exercise_json).collect(),
    }))
}

/// One exercise: a built-in or one of your own.
#[utoipa::path(
    get,
    path = "/api/v1/exercises/{exercise_id}",
    tag = "exercises",
    params(("exercise_id" = String, Path, format = Uuid, description = "The exercise's id")),
    responses(
        (status = 200, description = "The exercise with its prompts", body = ExerciseJson),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such exercise in your library", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn read(
    State(state): State<AppState>,
    ApiCounselor(counselor): ApiCounselor,
    Path(exercise_id): Path<String>,
) -> Result<Json<ExerciseJson>, ApiError> {
    let id = parse_id(&exercise_id)?;
    let exercise = library::get(&state.db, counselor.id, id).await?;
    Ok(Json(exercise_json(&exercise)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PromptBody {
    /// 1 to 40 characters of a-z, 0-9 and `_`, unique within the exercise.
    #[schema(schema_with = schema::prompt_key)]
    pub key: String,
    /// The question the client answers (up to 1000 characters).
    #[schema(schema_with = schema::prompt_label)]
    pub label: String,
    /// `long_text`, `short_text`, `scale`, `single_choice` or `checklist`.
    #[schema(schema_with = schema::prompt_kind)]
    pub kind: String,
    /// Whether a submission needs an answer here (default false).
    #[serde(default)]
    pub required: bool,
    /// For `single_choice` and `checklist` only: 2 to 20 choices of up to 200 characters.
    #[schema(schema_with = schema::or_null::option_list)]
    pub options: Option<Vec<String>>,
    /// For `scale` only: what 0 means (up to 60 characters).
    #[schema(schema_with = schema::or_null::end_label)]
    pub low_label: Option<String>,
    /// For `scale` only: what 10 means (up to 60 characters).
    #[schema(schema_with = schema::or_null::end_label)]
    pub high_label: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewExerciseBody {
    /// Up to 200 characters.
    #[schema(schema_with = schema::title)]
    pub title: String,
    /// A stage key.
    #[schema(schema_with = schema::stage)]
    pub stage: String,
    /// `involved`, `hurt` or `both`.
    #[schema(schema_with = schema::recipient)]
    pub recipient: String,
    /// What the client reads first (up to 4000 characters; new lines allowed).
    #[schema(schema_with = schema::instructions)]
    pub instructions: String,
    /// 1 to 40 prompts, in order.
    #[schema(min_items = 1, max_items = 40)]
    pub prompts: Vec<PromptBody>,
}

/// A prompt's kind from the body, or what is wrong with it (by field).
fn prompt_kind(i: usize, p: &PromptBody, errors: &mut FieldErrors) -> Option<PromptKind> {
    let field = |name: &str| format!("prompts[{i}].{name}");
    let is_choice = matches!(p.kind.as_str(), "single_choice" | "checklist");
    let is_scale = p.kind == "scale";
    let known = is_choice || is_scale || matches!(p.kind.as_str(), "long_text" | "short_text");
    if !known {
        errors.add(field("kind"), format!("must be {KINDS}"));
        return None;
    }
    let before = errors.iter().count();
    if !is_choice && p.options.is_some() {
        errors.add(
            field("options"),
            "only single_choice and checklist prompts have options",
        );
    }
    if !is_scale {
        for (name, value) in [("low_label", &p.low_label), ("high_label", &p.high_label)] {
            if value.is_some() {
                errors.add(field(name), "only scale prompts have end labels");
            }
        }
    }
    let mut end_label = |name: &str, value: &Option<String>| match value {
        None => {
            errors.add(field(name), "is required for a scale");
            None
        }
        Some(v) => errors.check(
            &field(name),
            BoundedText::<60>::parse(v).map(|t| t.into_inner()),
        ),
    };
    let kind = match p.kind.as_str() {
        "long_text" => Some(PromptKind::LongText),
        "short_text" => Some(PromptKind::ShortText),
        "scale" => {
            let low = end_label("low_label", &p.low_label);
            let high = end_label("high_label", &p.high_label);
            low.zip(high)
                .map(|(low_label, high_label)| PromptKind::Scale {
                    low_label,
                    high_label,
                })
        }
        kind => match &p.options {
            None => {
                errors.add(field("options"), format!("is required for {kind}"));
                None
            }
            Some(options) => {
                let options: Vec<String> = options.iter().map(|o| o.trim().to_owned()).collect();
                Some(if kind == "checklist" {
                    PromptKind::Checklist { options }
                } else {
                    PromptKind::SingleChoice { options }
                })
            }
        },
    };
    if let Some(PromptKind::SingleChoice { options } | PromptKind::Checklist { options }) = &kind {
        let mut seen: Vec<&str> = Vec::new();
        for o in options {
            if seen.contains(&o.as_str()) {
                errors.add(field("options"), "lists the same choice twice");
                break;
            }
            seen.push(o);
        }
    }
    (errors.iter().count() == before).then_some(kind).flatten()
}

fn new_exercise(body: NewExerciseBody) -> Result<NewExercise, AppError> {
    let mut errors = FieldErrors::new();
    let stage = errors.check(
        "stage",
        Stage::from_key(&body.stage).ok_or(format!("must be {STAGE_KEYS}")),
    );
    let recipient = errors.check(
        "recipient",
        Recipient::from_key(&body.recipient).ok_or("must be involved, hurt or both"),
    );
    let mut prompts = Vec::with_capacity(body.prompts.len());
    for (i, p) in body.prompts.iter().enumerate() {
        // A prompt whose kind is wrong still has its key and label checked below.
        let kind = prompt_kind(i, p, &mut errors).unwrap_or(PromptKind::LongText);
        prompts.push(Prompt {
            key: p.key.trim().to_owned(),
            label: p.label.trim().to_owned(),
            kind,
            required: p.required,
        });
    }
    let new = NewExercise {
        title: body.title,
        stage: stage.unwrap_or(Stage::Admission),
        recipient: recipient.unwrap_or(Recipient::Both),
        instructions: body.instructions,
        prompts,
    };
    if let Err(CoreError::Invalid(found)) = new.validate() {
        for (field, message) in found.iter() {
            if errors.get(field).is_none() {
                errors.add(field, message);
            }
        }
    }
    if errors.is_empty() {
        Ok(new)
    } else {
        Err(AppError::Invalid(errors))
    }
}

/// Add an exercise of your own.
#[utoipa::path(
    post,
    path = "/api/v1/exercises",
    tag = "exercises",
    request_body = NewExerciseBody,
    responses(
        (status = 201, description = "Created", body = ExerciseJson),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, named like `prompts[2].label`", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    ApiCounselor(counselor): ApiCounselor,
    ip: ClientIp,
    ApiJson(body): ApiJson<NewExerciseBody>,
) -> Result<(StatusCode, Json<ExerciseJson>), ApiError> {
    let new = new_exercise(body)?;
    let actor = Actor::counselor(counselor.id, ip.to_audit());
    let created =
        library::create(&state.db, state.clock(), &actor, counselor.id, new, None).await?;
    Ok((StatusCode::CREATED, Json(exercise_json(&created))))
}
