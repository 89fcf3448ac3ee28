//! The note and progress-report PDFs.

use super::*;

pub async fn note_pdf(
    State(state): State<AppState>,
    signed: SignedIn,
    ip: ClientIp,
    Path(session_id): Path<String>,
) -> Result<Response, AppError> {
    let id = parse_id(&session_id)?;
    let actor = actor(&signed, ip);
    Ok(documents::note_pdf(&state, &signed.counselor, &actor, id)
        .await?
        .into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReportParams {
    from: String,
    to: String,
}

/// The progress report for a period (`from` and `to` as dates; by default from the intake date
/// to today). A bad period shows the couple page again with the reason.
pub async fn report_pdf(
    State(state): State<AppState>,
    signed: SignedIn,
    ip: ClientIp,
    Path(couple_id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let id = parse_id(&couple_id)?;
    let record = couples::get(&state.db, signed.counselor.id, id).await?;
    let params: ReportParams =
        serde_urlencoded::from_str(raw.as_deref().unwrap_or_default()).unwrap_or_default();
    let today = state
        .clock()
        .now()
        .with_timezone(&signed.counselor.timezone.tz())
        .date_naive();
    let period = ReportPeriod::parse(
        Some(&params.from),
        Some(&params.to),
        record.couple.intake_date,
        today,
    );
    let errors = match period {
        Ok(ReportPeriod { from, to }) => {
            let actor = actor(&signed, ip);
            return Ok(
                documents::report_pdf(&state, &signed.counselor, &actor, id, from, to)
                    .await?
                    .into_response(),
            );
        }
        Err(CoreError::Invalid(errors)) => errors,
        Err(e) => return Err(e.into()),
    };
    let problem: Vec<String> = errors
        .iter()
        .map(|(field, message)| {
            let which = if field == "from" { "start" } else { "end" };
            format!("The report's {which} date {message}.")
        })
        .collect();
    let feedback = Feedback {
        alert: Some(problem.join(" ")),
        ..Default::default()
    };
    let page = couple_page(&state, &signed, id, feedback).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}
