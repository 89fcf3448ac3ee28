//! Opening whole rows of the tables that hold sealed columns: each store calls these on every
//! row it reads, before the row leaves the store.

use crate::entities::{note, note_addendum, response, stage_event};
use crate::error::CoreError;

use super::{Field, open, open_opt};

pub fn note(mut n: note::Model) -> Result<note::Model, CoreError> {
    n.body = open(Field::NoteBody, n.id, &n.body)?;
    Ok(n)
}

pub fn addendum(mut a: note_addendum::Model) -> Result<note_addendum::Model, CoreError> {
    a.body = open(Field::AddendumBody, a.id, &a.body)?;
    Ok(a)
}

pub fn response(mut r: response::Model) -> Result<response::Model, CoreError> {
    r.answers = open_opt(Field::ResponseAnswers, r.id, r.answers.take())?;
    r.counselor_comment = open_opt(Field::ResponseComment, r.id, r.counselor_comment.take())?;
    Ok(r)
}

pub fn stage_event(mut e: stage_event::Model) -> Result<stage_event::Model, CoreError> {
    e.reason = open_opt(Field::StageEventReason, e.id, e.reason.take())?;
    Ok(e)
}

/// Open every row of a list.
pub fn all<T>(rows: Vec<T>, open_one: fn(T) -> Result<T, CoreError>) -> Result<Vec<T>, CoreError> {
    rows.into_iter().map(open_one).collect()
}
