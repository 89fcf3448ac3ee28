//! Homework given in the session.

use super::*;

pub async fn assign_homework(
    State(state): State<AppState>,
    ip: ClientIp,
    Path(session_id): Path<String>,
    SignedInForm { signed, form }: SignedInForm<AssignFormValues>,
) -> Result<Response, AppError> {
    let id = parse_id(&session_id)?;
    let found = store::get(&state.db, signed.counselor.id, id).await?;
    let tz = signed.counselor.timezone;
    let now = state.clock().now();
    let exercises = library::list(&state.db, signed.counselor.id, LibraryFilter::default()).await?;
    let refuse = |errors: FieldErrors| {
        Kept {
        alert: Some(
            "The homework was not assigned: some details need your attention (see the Homework section). What you typed is kept.".into(),
        ),
        assign: Some((form.clone(), errors)),
        ..Default::default()
    }
    };
    let new = match parse_assignment(&form, &exercises, tz, now) {
        Ok(new) => new,
        Err(CoreError::Invalid(errors)) => {
            return page_with(
                &state,
                &signed,
                &found,
                refuse(errors),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
        Err(e) => return Err(e.into()),
    };
    let actor = actor(&signed, ip);
    match assignments::assign_in_session(
        &state.db,
        state.clock(),
        &actor,
        signed.counselor.id,
        found.couple.id,
        new,
        Some(id),
    )
    .await
    {
        Ok(_) => {
            Ok(Redirect::to(&format!("/sessions/{id}?done=assigned#homework")).into_response())
        }
        Err(CoreError::Invalid(errors)) => {
            page_with(
                &state,
                &signed,
                &found,
                refuse(errors),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
