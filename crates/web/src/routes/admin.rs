//! Practice administration: counselors (add, deactivate, reactivate) and practice settings.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kintsugi_core::audit::Actor;
use kintsugi_core::domain::{DisplayName, EmailAddress, Password, TimeZone};
use kintsugi_core::practice::{Role, counselors};
use kintsugi_core::{CoreError, FieldErrors};
use serde::Deserialize;

use crate::auth::csrf::SignedInForm;
use crate::auth::{Admin, SignedIn};
use crate::error::AppError;
use crate::forms::checked;
use crate::request::{ClientIp, parse_id};
use crate::state::AppState;
use crate::views::admin::{CounselorRow, CounselorsPage, NewCounselorValues, PracticePage};
use crate::views::{Chrome, Errors, time_zone_names};
use kintsugi_core::practice::settings::{self, PracticeInput};

async fn page(
    state: &AppState,
    signed: &SignedIn,
    values: NewCounselorValues,
    errors: FieldErrors,
    notice: Option<String>,
) -> Result<CounselorsPage, AppError> {
    let counselors = counselors::list(&state.db)
        .await?
        .into_iter()
        .map(|c| CounselorRow {
            id: c.id.to_string(),
            is_self: c.id == signed.counselor.id,
            name: c.name,
            email: c.email.to_string(),
            role: match c.role {
                Role::Admin => "Admin",
                Role::Counselor => "Counselor",
            },
            active: c.active,
        })
        .collect();
    Ok(CounselorsPage {
        chrome: Chrome::new(signed, "admin"),
        counselors,
        values: NewCounselorValues {
            password: String::new(),
            ..values
        },
        errors: Errors(errors),
        notice,
        time_zones: time_zone_names(),
    })
}

pub async fn counselors(
    State(state): State<AppState>,
    Admin(signed): Admin,
) -> Result<CounselorsPage, AppError> {
    let values = NewCounselorValues {
        timezone: signed.counselor.timezone.to_string(),
        ..Default::default()
    };
    page(&state, &signed, values, FieldErrors::new(), None).await
}

pub async fn create_counselor(
    State(state): State<AppState>,
    ip: ClientIp,
    SignedInForm { signed, form }: SignedInForm<NewCounselorValues>,
) -> Result<Response, AppError> {
    if !signed.is_admin() {
        return Err(AppError::NotFound);
    }
    let mut errors = FieldErrors::new();
    let name = errors.check("name", DisplayName::parse(&form.name));
    let email = errors.check("email", EmailAddress::parse(&form.email));
    let timezone = errors.check("timezone", TimeZone::parse(&form.timezone));
    let password = errors.check("password", Password::parse(&form.password));
    let role = if checked(&form.admin) {
        Role::Admin
    } else {
        Role::Counselor
    };
    let new = match (name, email, timezone, password) {
        (Some(name), Some(email), Some(timezone), Some(password)) if errors.is_empty() => {
            counselors::NewCounselor {
                name,
                email,
                password,
                role,
                timezone,
            }
        }
        _ => {
            let page = page(&state, &signed, form, errors, None).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let actor = Actor::counselor(signed.counselor.id, ip.to_audit());
    let created = match counselors::create(&state.db, state.clock(), &actor, new).await {
        Ok(c) => c,
        Err(CoreError::Invalid(errors)) => {
            let page = page(&state, &signed, form, errors, None).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
        Err(e) => return Err(e.into()),
    };
    let notice = format!(
        "{} can now sign in with the password you chose.",
        created.name
    );
    let values = NewCounselorValues {
        timezone: signed.counselor.timezone.to_string(),
        ..Default::default()
    };
    Ok(
        page(&state, &signed, values, FieldErrors::new(), Some(notice))
            .await?
            .into_response(),
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ActiveForm {
    active: String,
}

pub async fn set_active(
    State(state): State<AppState>,
    ip: ClientIp,
    Path(counselor_id): Path<String>,
    SignedInForm { signed, form }: SignedInForm<ActiveForm>,
) -> Result<Response, AppError> {
    if !signed.is_admin() {
        return Err(AppError::NotFound);
    }
    let id = parse_id(&counselor_id)?;
    if id == signed.counselor.id {
        return Err(AppError::BadRequest(
            "You cannot deactivate your own account.".into(),
        ));
    }
    let active = match form.active.as_str() {
        "true" => true,
        "false" => false,
        _ => {
            return Err(AppError::BadRequest(
                "Choose to activate or deactivate.".into(),
            ));
        }
    };
    let actor = Actor::counselor(signed.counselor.id, ip.to_audit());
    counselors::set_active(&state.db, state.clock(), &actor, id, active).await?;
    Ok(Redirect::to("/admin/counselors").into_response())
}

// ---------------------------------------------------------------------------------------------
// Practice settings: name, time zone, the default note format, paper size, reminders, the
// waking hours client emails keep to, and how long an unused homework link lives.

fn practice_page(
    signed: &SignedIn,
    values: PracticeInput,
    errors: FieldErrors,
    notice: Option<String>,
) -> PracticePage {
    PracticePage {
        chrome: Chrome::new(signed, "practice"),
        values,
        errors: Errors(errors),
        notice,
        time_zones: time_zone_names(),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DoneParams {
    done: String,
}

pub async fn practice(
    State(state): State<AppState>,
    Admin(signed): Admin,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Result<PracticePage, AppError> {
    let params: DoneParams =
        serde_urlencoded::from_str(raw.as_deref().unwrap_or_default()).unwrap_or_default();
    let current = settings::ensure(&state.db, state.clock()).await?;
    let notice = (params.done == "saved").then(|| "Practice settings saved.".to_owned());
    Ok(practice_page(
        &signed,
        PracticeInput::from_model(&current),
        FieldErrors::new(),
        notice,
    ))
}

pub async fn save_practice(
    State(state): State<AppState>,
    ip: ClientIp,
    SignedInForm { signed, form }: SignedInForm<PracticeInput>,
) -> Result<Response, AppError> {
    if !signed.is_admin() {
        return Err(AppError::NotFound);
    }
    let parsed = match form.parse() {
        Ok(p) => p,
        Err(CoreError::Invalid(errors)) => {
            let page = practice_page(&signed, form, errors, None);
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
        Err(e) => return Err(e.into()),
    };
    let current = settings::ensure(&state.db, state.clock()).await?;
    let actor = Actor::counselor(signed.counselor.id, ip.to_audit());
    settings::update(&state.db, state.clock(), &actor, current, parsed).await?;
    state.session_limits.forget();
    Ok(Redirect::to("/admin/practice?done=saved").into_response())
}
