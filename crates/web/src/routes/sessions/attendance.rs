//! Recording who came: attended, cancelled or no-show.

use super::*;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AttendanceForm {
    attendance: String,
}

pub async fn attendance(
    State(state): State<AppState>,
    ip: ClientIp,
    Path(session_id): Path<String>,
    SignedInForm { signed, form }: SignedInForm<AttendanceForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&session_id)?;
    let found = store::get(&state.db, signed.counselor.id, id).await?;
    let Some(attendance) = Attendance::from_key(form.attendance.trim()) else {
        let kept = Kept {
            alert: Some("Choose attended, no-show or cancelled.".into()),
            ..Default::default()
        };
        return page_with(
            &state,
            &signed,
            &found,
            kept,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let actor = actor(&signed, ip);
    let result = store::record_attendance(
        &state.db,
        state.clock(),
        &actor,
        signed.counselor.id,
        id,
        attendance,
    )
    .await;
    let (status, alert) = match result {
        Ok(_) => {
            return Ok(
                Redirect::to(&format!("/sessions/{id}?done={}", attendance.key())).into_response(),
            );
        }
        Err(CoreError::Conflict(msg)) => (StatusCode::CONFLICT, msg),
        Err(CoreError::Invalid(errors)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            errors
                .iter()
                .map(|(_, m)| format!("Attendance {m}."))
                .collect::<Vec<_>>()
                .join(" "),
        ),
        Err(e) => return Err(e.into()),
    };
    let found = store::get(&state.db, signed.counselor.id, id).await?;
    let kept = Kept {
        alert: Some(alert),
        ..Default::default()
    };
    page_with(&state, &signed, &found, kept, status).await
}
