//! A session's note: one per session, drafted and saved as often as the counselor likes,
//! then signed (after the counselor confirms who they are), which records the signer, the time
//! and the content hash and locks it. After that only addenda can be added.
//!
//! Locking is enforced by the database write itself: every draft save and the signature are
//! conditional updates on `status = 'draft'` (and the version the editor started from), so a
//! save racing a signature, or two signatures racing each other, cannot both win.

use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use uuid::Uuid;

use super::notes::{AddendumText, NoteContent, NoteStatus};
use super::store;
use crate::audit::{self, Action, Actor, Record};
use crate::clock::Clock;
use crate::crypto::{self, Field};
use crate::db::begin_write;
use crate::entities::{note, note_addendum};
use crate::error::CoreError;
use crate::practice::counselors;

const LOCKED: &str = "This note is signed and locked. Add an addendum instead.";
const STALE: &str = "This note was changed elsewhere since you opened it. Reload the page to see \
                     the latest draft; your text is shown here so you can copy it.";

/// A note with its words and addenda (oldest first).
#[derive(Debug, Clone)]
pub struct NoteRecord {
    pub note: note::Model,
    pub content: NoteContent,
    pub addenda: Vec<note_addendum::Model>,
}

impl NoteRecord {
    pub fn is_signed(&self) -> bool {
        self.note.status == NoteStatus::Signed
    }
}

/// The note of a session, if one was started. The caller has checked the session.
pub async fn get(
    db: &impl ConnectionTrait,
    session_id: Uuid,
) -> Result<Option<NoteRecord>, CoreError> {
    let Some(note) = note::Entity::find()
        .filter(note::Column::SessionId.eq(session_id))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let note = crypto::records::note(note)?;
    let content = NoteContent::from_body(&note.body)?;
    let addenda = note_addendum::Entity::find()
        .filter(note_addendum::Column::NoteId.eq(note.id))
        .order_by_asc(note_addendum::Column::SignedAt)
        .all(db)
        .await?;
    let addenda = crypto::records::all(addenda, crypto::records::addendum)?;
    Ok(Some(NoteRecord {
        note,
        content,
        addenda,
    }))
}

/// Notes of several sessions at once (the couple page lists them), by session id.
pub async fn statuses(
    db: &impl ConnectionTrait,
    session_ids: Vec<Uuid>,
) -> Result<std::collections::HashMap<Uuid, NoteStatus>, CoreError> {
    if session_ids.is_empty() {
        return Ok(Default::default());
    }
    use sea_orm::QuerySelect;
    // Two columns only: the bodies (sealed, often long) are not needed for a status.
    let rows: Vec<(Uuid, NoteStatus)> = note::Entity::find()
        .select_only()
        .column(note::Column::SessionId)
        .column(note::Column::Status)
        .filter(note::Column::SessionId.is_in(session_ids))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

/// Save the draft. `expected_version` is the version the editor started from (`None` from the
/// API when the client does not send one: the latest draft is replaced). A signed note is
/// refused with a conflict; so is a stale version.
pub async fn save_draft(
    db: &DatabaseConnection,
    clock: &dyn Clock,
    actor: &Actor,
    counselor_id: Uuid,
    session_id: Uuid,
    content: &NoteContent,
    expected_version: Option<i32>,
) -> Result<note::Model, CoreError> {
    let now = clock.now();
    let tx = begin_write(db).await?;
    store::get(&tx, counselor_id, session_id).await?;
    let existing = note::Entity::find()
        .filter(note::Column::SessionId.eq(session_id))
        .one(&tx)
        .await?;
    let saved = match existing {
        None => {
            if expected_version.is_some_and(|v| v != 0) {
                return Err(CoreError::Conflict(STALE.into()));
            }
            let id = Uuid::new_v4();
            note::ActiveModel {
                id: Set(id),
                session_id: Set(session_id),
                format: Set(content.format()),
                body: Set(crypto::seal(Field::NoteBody, id, &content.to_body())?),
                status: Set(NoteStatus::Draft),
                signed_by: Set(None),
                signed_at: Set(None),
                content_hash: Set(None),
                version: Set(1),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(&tx)
            .await?
        }
        Some(current) => {
            if current.status == NoteStatus::Signed {
                return Err(CoreError::Conflict(LOCKED.into()));
            }
            if expected_version.is_some_and(|v| v != current.version) {
                return Err(CoreError::Conflict(STALE.into()));
            }
            let result = note::Entity::update_many()
                .col_expr(note::Column::Format, Expr::value(content.format()))
                .col_expr(
                    note::Column::Body,
                    Expr::value(crypto::seal(
                        Field::NoteBody,
                        current.id,
                        &content.to_body(),
                    )?),
                )
                .col_expr(note::Column::Version, Expr::value(current.version + 1))
                .col_expr(note::Column::UpdatedAt, Expr::value(now))
                .filter(note::Column::Id.eq(current.id))
                .filter(note::Column::Status.eq(NoteStatus::Draft))
                .filter(note::Column::Version.eq(current.version))
                .exec(&tx)
                .await?;
            if result.rows_affected != 1 {
                return Err(CoreError::Conflict(STALE.into()));
            }
            note::Entity::find_by_id(current.id)
                .one(&tx)
                .await?
                .ok_or(CoreError::NotFound)?
        }
    };
    audit::record(
        &tx,
        clock,
        actor,
        Action::NoteSaved,
        Some(Record::session(session_id)),
    )
    .await?;
    tx.commit().await?;
    crypto::records::note(saved)
}

/// Proof that the counselor confirmed who they are just now: only [`confirm_signer`] and
/// [`confirm_signer_with_code`] make one.
#[derive(Debug, Clone, Copy)]
pub struct Confirmed {
    counselor_id: Uuid,
}

impl Confirmed {
    /// For the demo practice only, which signs its history without typing passwords.
    pub(crate) fn for_demo(counselor_id: Uuid) -> Self {
        Self { counselor_id }
    }
}

/// Check the counselor's password again before a signature.
pub async fn confirm_signer(
    db: &impl ConnectionTrait,
    counselor_id: Uuid,
    password: &str,
) -> Result<Confirmed, CoreError> {
    if counselors::password_matches(db, counselor_id, password).await? {
        Ok(Confirmed { counselor_id })
    } else {
        Err(CoreError::invalid(
            "password",
            "does not match your password; the note was not signed",
        ))
    }
}

/// Check a code from the counselor's authenticator app before a signature (counselors with
/// two-factor sign-in on). The code's time step is used up like at sign-in, so the same code
/// cannot sign twice; recovery codes are for signing in only.
pub async fn confirm_signer_with_code(
    db: &impl ConnectionTrait,
    clock: &dyn Clock,
    counselor_id: Uuid,
    code: &str,
) -> Result<Confirmed, CoreError> {
    use crate::access::totp_store::{self, Check};
    match totp_store::check(db, clock, counselor_id, code, false).await? {
        Check::Accepted(_) => Ok(Confirmed { counselor_id }),
        Check::Reused => Err(CoreError::invalid(
            "code",
            "was already used; wait for the next one from your app; the note was not signed",
        )),
        Check::Wrong => Err(CoreError::invalid(
            "code",
            "does not match your app; the note was not signed",
        )),
        Check::Unreadable => Err(CoreError::invalid(
            "code",
            "cannot be checked: the secret of your app was saved by an earlier version of Kintsugi; turn two-factor sign-in off with a recovery code and set it up again (Settings); the note was not signed",
        )),
    }
}

/// Sign and lock the note of one of the counselor's sessions.
pub async fn sign(
    db: &DatabaseConnection,
    clock: &dyn Clock,
    actor: &Actor,
    confirmed: Confirmed,
    session_id: Uuid,
    expected_version: Option<i32>,
) -> Result<NoteRecord, CoreError> {
    let now = clock.now();
    let tx = begin_write(db).await?;
    store::get(&tx, confirmed.counselor_id, session_id).await?;
    let Some(current) = get(&tx, session_id).await? else {
        return Err(CoreError::invalid(
            "note",
            "write the note before signing it",
        ));
    };
    if current.is_signed() {
        return Err(CoreError::Conflict("This note is already signed.".into()));
    }
    if expected_version.is_some_and(|v| v != current.note.version) {
        return Err(CoreError::Conflict(STALE.into()));
    }
    if current.content.is_blank() {
        return Err(CoreError::invalid(
            "note",
            "write at least one section before signing",
        ));
    }
    let hash = current.content.content_hash(session_id);
    let result = note::Entity::update_many()
        .col_expr(note::Column::Status, Expr::value(NoteStatus::Signed))
        .col_expr(
            note::Column::SignedBy,
            Expr::value(Some(confirmed.counselor_id)),
        )
        .col_expr(note::Column::SignedAt, Expr::value(Some(now)))
        .col_expr(note::Column::ContentHash, Expr::value(Some(hash)))
        .col_expr(
            note::Column::Version,
            Expr::col(note::Column::Version).add(1),
        )
        .col_expr(note::Column::UpdatedAt, Expr::value(now))
        .filter(note::Column::Id.eq(current.note.id))
        .filter(note::Column::Status.eq(NoteStatus::Draft))
        .filter(note::Column::Version.eq(current.note.version))
        .exec(&tx)
        .await?;
    if result.rows_affected != 1 {
        return Err(CoreError::Conflict("This note is already signed.".into()));
    }
    audit::record(
        &tx,
        clock,
        actor,
        Action::NoteSigned,
        Some(Record::session(session_id)),
    )
    .await?;
    let signed = get(&tx, session_id).await?.ok_or(CoreError::NotFound)?;
    tx.commit().await?;
    Ok(signed)
}

/// Append a dated, signed addendum to a signed note.
pub async fn add_addendum(
    db: &DatabaseConnection,
    clock: &dyn Clock,
    actor: &Actor,
    counselor_id: Uuid,
    session_id: Uuid,
    text: &AddendumText,
) -> Result<note_addendum::Model, CoreError> {
    let now = clock.now();
    let tx = begin_write(db).await?;
    store::get(&tx, counselor_id, session_id).await?;
    let note = note::Entity::find()
        .filter(note::Column::SessionId.eq(session_id))
        .one(&tx)
        .await?
        .filter(|n| n.status == NoteStatus::Signed)
        .ok_or_else(|| {
            CoreError::Conflict(
                "Addenda are for signed notes. While the note is a draft, edit it instead.".into(),
            )
        })?;
    let id = Uuid::new_v4();
    let addendum = note_addendum::ActiveModel {
        id: Set(id),
        note_id: Set(note.id),
        body: Set(crypto::seal(Field::AddendumBody, id, text.as_str())?),
        signed_by: Set(counselor_id),
        signed_at: Set(now),
        content_hash: Set(text.content_hash(note.id, now)),
    }
    .insert(&tx)
    .await?;
    audit::record(
        &tx,
        clock,
        actor,
        Action::AddendumAdded,
        Some(Record::session(session_id)),
    )
    .await?;
    tx.commit().await?;
    crypto::records::addendum(addendum)
}
