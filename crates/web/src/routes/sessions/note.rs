//! The note: drafts saved by hand or in the background, signing with a password or code,
//! and addenda after signing.

use super::*;

/// What the note form asks for: its `action` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NoteAction {
    /// Save the draft and show the page again (the default).
    Save,
    /// Save in the background: 204 with the new version in `X-Draft-Version`, no page.
    Autosave,
    /// Save, then sign with the password or a code.
    Sign,
}

impl NoteAction {
    fn from_form(raw: Option<&str>) -> Self {
        match raw.map(str::trim) {
            Some("autosave") => NoteAction::Autosave,
            Some("sign") => NoteAction::Sign,
            _ => NoteAction::Save,
        }
    }
}

/// Save, autosave or save and sign the note (see [`NoteAction`]).
pub async fn save_note(
    State(state): State<AppState>,
    ip: ClientIp,
    Path(session_id): Path<String>,
    SignedInForm { signed, form }: SignedInForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let id = parse_id(&session_id)?;
    let found = store::get(&state.db, signed.counselor.id, id).await?;
    let field = |k: &str| form.get(k).map(String::as_str);
    let action = NoteAction::from_form(field("action"));
    let format_key = field("format").unwrap_or_default().to_owned();
    let typed: HashMap<String, String> = NoteFormat::ALL
        .iter()
        .flat_map(|f| f.sections().iter())
        .filter_map(|(k, _)| form.get(*k).map(|v| ((*k).to_owned(), v.clone())))
        .collect();
    let version: Option<i32> = match field("version").map(str::trim) {
        None | Some("") => None,
        Some(v) => v.parse().ok().or(Some(-1)),
    };
    let kept =
        |note_errors: FieldErrors, note_alert: Option<String>, sign_error: Option<String>| Kept {
            note: Some((format_key.clone(), typed.clone())),
            note_errors,
            note_alert,
            sign_error,
            ..Default::default()
        };
    let content = match NoteContent::parse(&format_key, field) {
        Ok(c) => c,
        Err(CoreError::Invalid(errors)) => {
            if action == NoteAction::Autosave {
                return Ok(StatusCode::UNPROCESSABLE_ENTITY.into_response());
            }
            let alert = Some(
                "The note was not saved: see the sections marked below. What you typed is kept."
                    .to_owned(),
            );
            let kept = kept(errors, alert, None);
            return page_with(
                &state,
                &signed,
                &found,
                kept,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
        Err(e) => return Err(e.into()),
    };
    let actor = actor(&signed, ip);
    let saved = note_store::save_draft(
        &state.db,
        state.clock(),
        &actor,
        signed.counselor.id,
        id,
        &content,
        version,
    )
    .await;
    let saved = match saved {
        Ok(n) => n,
        Err(CoreError::Conflict(msg)) => {
            if action == NoteAction::Autosave {
                return Ok(StatusCode::CONFLICT.into_response());
            }
            let kept = kept(FieldErrors::new(), Some(msg), None);
            return page_with(&state, &signed, &found, kept, StatusCode::CONFLICT).await;
        }
        Err(e) => return Err(e.into()),
    };
    match action {
        NoteAction::Autosave => {
            let mut response = StatusCode::NO_CONTENT.into_response();
            if let Ok(v) = HeaderValue::from_str(&saved.version.to_string()) {
                response.headers_mut().insert("x-draft-version", v);
            }
            Ok(response)
        }
        NoteAction::Sign => {
            // A code from the app when one is given (counselors with two-factor sign-in),
            // otherwise the password.
            let code = field("code").map(str::trim).filter(|c| !c.is_empty());
            let password = field("password").unwrap_or_default();
            let proof = match code {
                Some(code) => signature::Proof::Code(code),
                None => signature::Proof::Password(password),
            };
            let confirmation = signature::confirm(
                &state,
                signed.counselor.id,
                signed.counselor.email.as_str(),
                ip.0,
                proof,
            )
            .await?;
            let confirmed = match confirmation {
                Ok(c) => c,
                Err(CoreError::Invalid(errors)) => {
                    let (msg, what) = match errors.get("code") {
                        Some(m) => (m, "the code did not match"),
                        None => (
                            errors.get("password").unwrap_or("is not right"),
                            "your password did not match",
                        ),
                    };
                    let msg = msg.to_owned();
                    let alert = Some(format!(
                        "The draft is saved, but the note is not signed: {what}."
                    ));
                    let kept = kept(FieldErrors::new(), alert, Some(msg));
                    return page_with(
                        &state,
                        &signed,
                        &found,
                        kept,
                        StatusCode::UNPROCESSABLE_ENTITY,
                    )
                    .await;
                }
                Err(e) => return Err(e.into()),
            };
            match note_store::sign(
                &state.db,
                state.clock(),
                &actor,
                confirmed,
                id,
                Some(saved.version),
            )
            .await
            {
                Ok(_) => {
                    Ok(Redirect::to(&format!("/sessions/{id}?done=signed#note")).into_response())
                }
                Err(CoreError::Conflict(msg)) => {
                    let kept = kept(FieldErrors::new(), Some(msg), None);
                    page_with(&state, &signed, &found, kept, StatusCode::CONFLICT).await
                }
                Err(CoreError::Invalid(errors)) => {
                    let msg = errors
                        .iter()
                        .map(|(_, m)| m.to_owned())
                        .collect::<Vec<_>>()
                        .join("; ");
                    let alert = Some(format!("The note is not signed: {msg}."));
                    let kept = kept(FieldErrors::new(), alert, None);
                    page_with(
                        &state,
                        &signed,
                        &found,
                        kept,
                        StatusCode::UNPROCESSABLE_ENTITY,
                    )
                    .await
                }
                Err(e) => Err(e.into()),
            }
        }
        NoteAction::Save => {
            Ok(Redirect::to(&format!("/sessions/{id}?done=saved#note")).into_response())
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AddendumForm {
    text: String,
}

pub async fn add_addendum(
    State(state): State<AppState>,
    ip: ClientIp,
    Path(session_id): Path<String>,
    SignedInForm { signed, form }: SignedInForm<AddendumForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&session_id)?;
    let found = store::get(&state.db, signed.counselor.id, id).await?;
    let refuse = |error: Option<String>, alert: Option<String>| Kept {
        addendum: Some((form.text.clone(), error)),
        alert,
        ..Default::default()
    };
    let text = match AddendumText::parse(&form.text) {
        Ok(t) => t,
        Err(CoreError::Invalid(errors)) => {
            let msg = errors.get("text").map(str::to_owned);
            let kept = refuse(msg, None);
            return page_with(
                &state,
                &signed,
                &found,
                kept,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
        Err(e) => return Err(e.into()),
    };
    let actor = actor(&signed, ip);
    match note_store::add_addendum(
        &state.db,
        state.clock(),
        &actor,
        signed.counselor.id,
        id,
        &text,
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/sessions/{id}?done=addendum#addenda")).into_response()),
        Err(CoreError::Conflict(msg)) => {
            let kept = refuse(None, Some(msg));
            page_with(&state, &signed, &found, kept, StatusCode::CONFLICT).await
        }
        Err(e) => Err(e.into()),
    }
}
