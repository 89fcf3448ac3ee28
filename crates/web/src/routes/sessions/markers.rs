//! Rating the current stage's markers from the session.

use super::*;

pub async fn rate_markers(
    State(state): State<AppState>,
    ip: ClientIp,
    Path(session_id): Path<String>,
    SignedInForm { signed, form }: SignedInForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let id = parse_id(&session_id)?;
    let found = store::get(&state.db, signed.counselor.id, id).await?;
    let refused = |error: CoreError| {
        let (status, alert) = match error {
            CoreError::Refused { message, .. } => (StatusCode::CONFLICT, message),
            CoreError::Invalid(errors) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                errors
                    .iter()
                    .map(|(_, m)| format!("Ratings: {m}."))
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            other => return Err(other),
        };
        Ok((
            status,
            Kept {
                alert: Some(alert),
                ..Default::default()
            },
        ))
    };
    let ratings = match crate::routes::stages::form_ratings(&form) {
        Ok(r) => r,
        Err(e) => {
            let (status, kept) = refused(e)?;
            return page_with(&state, &signed, &found, kept, status).await;
        }
    };
    if ratings.is_empty() {
        return Ok(Redirect::to(&format!("/sessions/{id}?done=unchanged#markers")).into_response());
    }
    let actor = actor(&signed, ip);
    let result = kintsugi_core::stages::store::act(
        &state.db,
        state.clock(),
        &actor,
        signed.counselor.id,
        found.couple.id,
        StageAction::Rate {
            ratings,
            session_id: Some(id),
        },
    )
    .await;
    match result {
        Ok(acted) if acted.recorded == 0 => {
            Ok(Redirect::to(&format!("/sessions/{id}?done=unchanged#markers")).into_response())
        }
        Ok(_) => Ok(Redirect::to(&format!("/sessions/{id}?done=ratings#markers")).into_response()),
        Err(e) => {
            let (status, kept) = refused(e)?;
            page_with(&state, &signed, &found, kept, status).await
        }
    }
}
