//! Scheduling a session and changing its time, length and place; a refused form comes back
//! with what was typed and why.

use super::*;

impl SessionFormValues {
    fn to_input(&self, signed: &SignedIn) -> SessionInput {
        SessionInput {
            start: StartInput::Local {
                date: self.date.clone(),
                time: self.time.clone(),
                zone: signed.counselor.timezone,
            },
            duration_minutes: self.duration_minutes.clone(),
            location: self.location.clone(),
            location_detail: self.location_detail.clone(),
        }
    }
}

pub(super) enum FormMode {
    Schedule { couple_id: Uuid },
    Reschedule { session_id: Uuid, couple_id: Uuid },
}

pub(super) fn form_page(
    signed: &SignedIn,
    mode: &FormMode,
    couple_label: &str,
    values: SessionFormValues,
    errors: FieldErrors,
    conflict: Option<String>,
) -> SessionFormPage {
    let (heading, action, submit_label, cancel_url, couple_id) = match mode {
        FormMode::Schedule { couple_id } => (
            "Schedule a session".to_owned(),
            format!("/couples/{couple_id}/sessions"),
            "Schedule",
            format!("/couples/{couple_id}#sessions"),
            *couple_id,
        ),
        FormMode::Reschedule {
            session_id,
            couple_id,
        } => (
            "Change the session".to_owned(),
            format!("/sessions/{session_id}"),
            "Save changes",
            format!("/sessions/{session_id}"),
            *couple_id,
        ),
    };
    SessionFormPage {
        chrome: Chrome::new(signed, "caseload"),
        heading,
        couple_id: couple_id.to_string(),
        couple_label: couple_label.to_owned(),
        action,
        submit_label,
        cancel_url,
        values,
        errors: Errors(errors),
        conflict,
        time_zone: signed.counselor.timezone.name(),
    }
}

/// The session as typed, or the form shown again with what needs attention (422).
pub(super) fn parse_session_form(
    state: &AppState,
    signed: &SignedIn,
    mode: &FormMode,
    couple_label: &str,
    form: &SessionFormValues,
) -> Result<kintsugi_core::sessions::NewSession, Box<Response>> {
    match form.to_input(signed).parse(state.clock().now()) {
        Ok(new) => Ok(new),
        Err(CoreError::Invalid(errors)) => {
            let page = form_page(signed, mode, couple_label, form.clone(), errors, None);
            Err(Box::new(
                (StatusCode::UNPROCESSABLE_ENTITY, page).into_response(),
            ))
        }
        Err(e) => Err(Box::new(AppError::from(e).into_response())),
    }
}

pub async fn new_form(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(couple_id): Path<String>,
) -> Result<SessionFormPage, AppError> {
    let id = parse_id(&couple_id)?;
    let record = couples::get(&state.db, signed.counselor.id, id).await?;
    let tz = signed.counselor.timezone;
    let tomorrow = state.clock().now().with_timezone(&tz.tz()).date_naive() + Duration::days(1);
    let values = SessionFormValues {
        date: tomorrow.format("%Y-%m-%d").to_string(),
        time: "10:00".into(),
        duration_minutes: "50".into(),
        location: "office".into(),
        location_detail: String::new(),
    };
    Ok(form_page(
        &signed,
        &FormMode::Schedule { couple_id: id },
        &record.couple.label,
        values,
        FieldErrors::new(),
        None,
    ))
}

pub async fn schedule(
    State(state): State<AppState>,
    ip: ClientIp,
    Path(couple_id): Path<String>,
    SignedInForm { signed, form }: SignedInForm<SessionFormValues>,
) -> Result<Response, AppError> {
    let id = parse_id(&couple_id)?;
    let record = couples::get(&state.db, signed.counselor.id, id).await?;
    let mode = FormMode::Schedule { couple_id: id };
    let new = match parse_session_form(&state, &signed, &mode, &record.couple.label, &form) {
        Ok(new) => new,
        Err(refused) => return Ok(*refused),
    };
    let actor = actor(&signed, ip);
    let session = store::schedule(
        &state.db,
        state.clock(),
        &actor,
        signed.counselor.id,
        id,
        new,
    )
    .await?;
    Ok(Redirect::to(&format!("/sessions/{}?done=scheduled", session.id)).into_response())
}

pub async fn edit_form(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(session_id): Path<String>,
) -> Result<SessionFormPage, AppError> {
    let id = parse_id(&session_id)?;
    let found = store::get(&state.db, signed.counselor.id, id).await?;
    let s = &found.session;
    let (date, time) = local_inputs(s.starts_at, signed.counselor.timezone);
    let location = location_of(s);
    let values = SessionFormValues {
        date,
        time,
        duration_minutes: s.duration_minutes.to_string(),
        location: location.kind().to_owned(),
        location_detail: location.detail().unwrap_or_default().to_owned(),
    };
    let mode = FormMode::Reschedule {
        session_id: id,
        couple_id: s.couple_id,
    };
    Ok(form_page(
        &signed,
        &mode,
        &found.couple.label,
        values,
        FieldErrors::new(),
        None,
    ))
}

pub async fn reschedule(
    State(state): State<AppState>,
    ip: ClientIp,
    Path(session_id): Path<String>,
    SignedInForm { signed, form }: SignedInForm<SessionFormValues>,
) -> Result<Response, AppError> {
    let id = parse_id(&session_id)?;
    let found = store::get(&state.db, signed.counselor.id, id).await?;
    let mode = FormMode::Reschedule {
        session_id: id,
        couple_id: found.couple.id,
    };
    let new = match parse_session_form(&state, &signed, &mode, &found.couple.label, &form) {
        Ok(new) => new,
        Err(refused) => return Ok(*refused),
    };
    let actor = actor(&signed, ip);
    match store::reschedule(
        &state.db,
        state.clock(),
        &actor,
        signed.counselor.id,
        id,
        new,
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/sessions/{id}?done=rescheduled")).into_response()),
        Err(CoreError::Conflict(msg)) => {
            let page = form_page(
                &signed,
                &mode,
                &found.couple.label,
                form,
                FieldErrors::new(),
                Some(msg),
            );
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
