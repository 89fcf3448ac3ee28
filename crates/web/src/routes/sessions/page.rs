//! The session page: the note editor, the current stage's markers, homework given in the
//! session, and what the last action did.

use super::*;

/// What the session page says about the last action, and anything typed that was refused.
#[derive(Debug, Default)]
pub(super) struct Kept {
    pub(super) notice: Option<String>,
    pub(super) alert: Option<String>,
    /// The note as typed: format key and section texts.
    pub(super) note: Option<(String, HashMap<String, String>)>,
    pub(super) note_errors: FieldErrors,
    pub(super) note_alert: Option<String>,
    pub(super) sign_error: Option<String>,
    pub(super) addendum: Option<(String, Option<String>)>,
    pub(super) assign: Option<(AssignFormValues, FieldErrors)>,
    /// The format asked for with `?format=`.
    pub(super) format: Option<NoteFormat>,
}

/// Fixed notices after a redirect: the URL carries a key, never text.
pub(super) fn notice_for(key: &str) -> Option<&'static str> {
    Some(match key {
        "scheduled" => "Session scheduled.",
        "rescheduled" => "Session changed.",
        "attended" => "Recorded as attended.",
        "no_show" => "Recorded as a no-show.",
        "cancelled" => "Session cancelled. Reminders for it will not be sent.",
        "saved" => "Draft saved.",
        "signed" => "Note signed and locked.",
        "addendum" => "Addendum added.",
        "ratings" => "Marker ratings saved for this session.",
        "unchanged" => "No ratings changed, so nothing new was recorded.",
        "assigned" => "Homework assigned. Each partner sees it behind their homework link.",
        _ => return None,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ShowParams {
    done: String,
    format: String,
}

pub async fn show(
    State(state): State<AppState>,
    signed: SignedIn,
    ip: ClientIp,
    Path(session_id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<SessionPage, AppError> {
    let id = parse_id(&session_id)?;
    let params: ShowParams =
        serde_urlencoded::from_str(raw.as_deref().unwrap_or_default()).unwrap_or_default();
    let kept = Kept {
        notice: notice_for(&params.done).map(str::to_owned),
        format: NoteFormat::from_key(&params.format),
        ..Default::default()
    };
    let found = store::get(&state.db, signed.counselor.id, id).await?;
    let page = session_page(&state, &signed, &found, kept).await?;
    if page.note.started {
        state
            .views
            .record(
                state.clock(),
                &actor(&signed, ip),
                Action::NoteViewed,
                Some(Record::session(id)),
            )
            .await?;
    }
    Ok(page)
}

/// The page again after a refused action, with the status that says why.
pub(super) async fn page_with(
    state: &AppState,
    signed: &SignedIn,
    found: &SessionRecord,
    kept: Kept,
    status: StatusCode,
) -> Result<Response, AppError> {
    let page = session_page(state, signed, found, kept).await?;
    Ok((status, page).into_response())
}

pub(super) fn note_view(
    record: Option<&NoteRecord>,
    kept: &Kept,
    default_format: NoteFormat,
    signer: Option<String>,
    tz: kintsugi_core::domain::TimeZone,
) -> NoteView {
    let saved = record.map(|r| &r.content);
    let signed = record.is_some_and(NoteRecord::is_signed);
    // The format: as typed, else as asked for (while switching loses nothing), else as saved.
    let typed_format = kept
        .note
        .as_ref()
        .and_then(|(f, _)| NoteFormat::from_key(f));
    let saved_format = saved.map(NoteContent::format);
    let may_switch = |to: NoteFormat| {
        !signed
            && saved.is_none_or(|c| {
                c.sections()
                    .filter(|(k, _, _)| !to.sections().iter().any(|(tk, _)| tk == k))
                    .all(|(_, _, t)| t.trim().is_empty())
            })
    };
    let format = typed_format
        .or(kept.format.filter(|f| may_switch(*f)))
        .or(saved_format)
        .unwrap_or(default_format);
    let sections = format
        .sections()
        .iter()
        .map(|(key, heading)| {
            let typed = kept.note.as_ref().and_then(|(_, m)| m.get(*key)).cloned();
            SectionField {
                key,
                heading,
                hint: section_hint(key),
                value: typed
                    .unwrap_or_else(|| saved.map(|c| c.text(key).to_owned()).unwrap_or_default()),
                error: kept.note_errors.get(key).map(str::to_owned),
            }
        })
        .collect();
    let other = NoteFormat::ALL.into_iter().find(|f| *f != format);
    NoteView {
        format_key: format.key(),
        format_label: format.describe(),
        sections,
        version: record.map_or(0, |r| r.note.version).to_string(),
        switch_to: other.filter(|f| may_switch(*f)).map(|f| (f.key(), f.key())),
        signature: record.filter(|r| r.is_signed()).map(|r| SignatureView {
            signer: signer.unwrap_or_else(|| "A former counselor".into()),
            signed_at: r.note.signed_at.map(|t| when(t, tz)).unwrap_or_default(),
            content_hash: r.note.content_hash.clone().unwrap_or_default(),
        }),
        started: record.is_some(),
        last_saved: record
            .filter(|r| !r.is_signed())
            .map(|r| when(r.note.updated_at, tz)),
    }
}

pub(super) async fn session_page(
    state: &AppState,
    signed: &SignedIn,
    found: &SessionRecord,
    kept: Kept,
) -> Result<SessionPage, AppError> {
    let tz = signed.counselor.timezone;
    let now = state.clock().now();
    let s = &found.session;
    let record = couples::get(&state.db, signed.counselor.id, found.couple.id).await?;
    let note = note_store::get(&state.db, s.id).await?;
    let settings = kintsugi_core::practice::settings::ensure(&state.db, state.clock()).await?;
    let default_format = settings.note_format;
    // Signer and addenda authors, in one query (the note's reader may have left the practice).
    let people: Vec<Uuid> = note
        .iter()
        .flat_map(|n| {
            n.note
                .signed_by
                .into_iter()
                .chain(n.addenda.iter().map(|a| a.signed_by))
        })
        .collect();
    let names = kintsugi_core::sessions::report_data::counselor_names(&state.db, people).await?;
    let signer = note
        .as_ref()
        .and_then(|n| n.note.signed_by)
        .and_then(|id| names.get(&id).cloned());
    let note_view = note_view(note.as_ref(), &kept, default_format, signer, tz);
    let mut addenda = Vec::new();
    for a in note.iter().flat_map(|n| &n.addenda) {
        addenda.push(AddendumView {
            author: names
                .get(&a.signed_by)
                .cloned()
                .unwrap_or_else(|| "A former counselor".into()),
            written_at: when(a.signed_at, tz),
            text: a.body.clone(),
            content_hash: a.content_hash.clone(),
        });
    }

    let state_now = SessionState::of(s.attendance.as_deref());
    let attendance_actions = match state_now {
        SessionState::Scheduled if s.starts_at <= now => vec![
            ("attended", "Attended"),
            ("no_show", "No-show"),
            ("cancelled", "Cancelled"),
        ],
        SessionState::Scheduled => vec![("cancelled", "Cancel this session")],
        SessionState::Recorded(Attendance::Attended) => vec![("no_show", "Change to no-show")],
        SessionState::Recorded(Attendance::NoShow) => vec![("attended", "Change to attended")],
        SessionState::Recorded(Attendance::Cancelled) => vec![],
    };

    // The current stage's markers, to rate in the session.
    let history = kintsugi_core::stages::store::history(&state.db, &record.couple).await?;
    let tracker = crate::views::stages::tracker(&history, now.date_naive(), &None, None);
    let markers = tracker
        .stages
        .into_iter()
        .find(|c| c.current && c.can_rate && !c.complete);

    let details = assignments::for_couple(&state.db, &record).await?;
    let assigned_here = details
        .iter()
        .filter(|d| d.assignment.session_id == Some(s.id))
        .map(|d| {
            (
                d.exercise.model.title.clone(),
                when(d.assignment.due_at, tz),
            )
        })
        .collect();
    let exercises = library::list(&state.db, signed.counselor.id, LibraryFilter::default()).await?;
    let (values, errors) = kept
        .assign
        .unwrap_or_else(|| (default_assign(now, tz), FieldErrors::new()));
    let assign = assign_form(
        values,
        Errors(errors),
        &exercises,
        record.couple.current_stage,
        tz,
    );
    let location = location_of(s);
    let (addendum_text, addendum_error) = kept.addendum.unwrap_or_default();
    Ok(SessionPage {
        chrome: Chrome::new(signed, "caseload"),
        id: s.id.to_string(),
        couple_id: record.couple.id.to_string(),
        couple_label: record.couple.label.clone(),
        when: session_when(s, tz),
        duration: format!("{} minutes", s.duration_minutes),
        location: location.describe(),
        video_link: match location {
            Location::Video(url) => Some(url),
            Location::Office(_) => None,
        },
        time_zone: tz.name(),
        state_key: state_now.key(),
        state_label: state_now.label(),
        can_reschedule: state_now == SessionState::Scheduled,
        attendance_actions,
        notice: kept.notice,
        alert: kept.alert,
        note: note_view,
        note_alert: kept.note_alert,
        sign_error: kept.sign_error,
        sign_with_code: totp_store::is_enabled(&signed.counselor),
        addenda,
        addendum_text,
        addendum_error,
        markers,
        assign,
        assign_action: format!("/sessions/{}/homework", s.id),
        assigned_here,
    })
}
