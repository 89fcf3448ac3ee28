//! Sealing in bulk: the plain text left from before encryption (at start-up) and every value
//! under an older key (`kintsugi rotate-key`).
//!
//! Each column is walked in id order, a batch of rows per write transaction; a row is changed
//! only if it still holds the value that was read (a compare-and-set), so a save racing the walk
//! is never overwritten. Rows already sealed with the target key are skipped, which makes the
//! walk safe to interrupt and to run again: it carries on where it stopped.

use std::collections::BTreeSet;

use sea_orm::sea_query::{Alias, Expr, ExprTrait as _, Order, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use uuid::Uuid;

use super::{Field, KeyId, Keyring, sealed_with};
use crate::db::begin_write;
use crate::error::CoreError;

/// Rows per transaction.
pub const BATCH: u64 = 200;

/// What the database holds, as far as keys go.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyUse {
    /// The keys the sealed values name.
    pub sealed_with: BTreeSet<KeyId>,
    /// Whether some value is still plain (written before encryption existed).
    pub has_plain_text: bool,
}

impl KeyUse {
    pub fn is_empty(&self) -> bool {
        self.sealed_with.is_empty() && !self.has_plain_text
    }
}

/// Which keys the stored values were sealed with, and whether any value is plain text.
pub async fn key_use(db: &impl ConnectionTrait) -> Result<KeyUse, CoreError> {
    let backend = db.get_database_backend();
    let mut out = KeyUse::default();
    for field in Field::ALL {
        let (table, column) = (field.table(), field.column());
        // The key id is the eight characters after "v1:".
        let ids = db
            .query_all_raw(Statement::from_string(
                backend,
                format!(
                    "SELECT DISTINCT substr({column}, 4, 8) AS k FROM {table} \
                     WHERE {column} LIKE 'v1:%'"
                ),
            ))
            .await?;
        for row in ids {
            let text: String = row.try_get("", "k")?;
            if let Some(id) = KeyId::parse(&text) {
                out.sealed_with.insert(id);
            }
        }
        if !out.has_plain_text {
            out.has_plain_text = db
                .query_one_raw(Statement::from_string(
                    backend,
                    format!(
                        "SELECT 1 AS one FROM {table} WHERE {column} IS NOT NULL \
                         AND {column} NOT LIKE 'v1:%' LIMIT 1"
                    ),
                ))
                .await?
                .is_some();
        }
    }
    Ok(out)
}

/// Progress of a walk, reported after every batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub field: Field,
    /// Rows of this column looked at so far, and how many there are.
    pub seen: u64,
    pub total: u64,
    /// Rows of this column sealed anew so far.
    pub changed: u64,
}

/// Totals of a whole walk.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub seen: u64,
    pub changed: u64,
}

/// Seal every value of every sealed column ([`Field::ALL`]) with `keyring`'s primary key: plain
/// text is sealed, values under another key the keyring knows are opened and sealed again,
/// values already under the primary key are left alone. A value under a key the keyring does
/// not know stops the walk with an error (nothing is lost: the batches before it are committed
/// and consistent).
pub async fn reseal_all(
    db: &DatabaseConnection,
    keyring: &Keyring,
    mut progress: impl FnMut(Progress),
) -> Result<Summary, CoreError> {
    let mut summary = Summary::default();
    for field in Field::ALL {
        let total = count(db, field).await?;
        let mut p = Progress {
            field,
            seen: 0,
            total,
            changed: 0,
        };
        let mut after: Option<Uuid> = None;
        loop {
            let tx = begin_write(db).await?;
            let rows = batch(&tx, field, after).await?;
            let Some((last, _)) = rows.last() else {
                tx.commit().await?;
                break;
            };
            after = Some(*last);
            for (id, stored) in &rows {
                p.seen += 1;
                let fresh = match sealed_with(stored) {
                    Some(k) if k == keyring.primary_id() => continue,
                    Some(_) => {
                        let plain = keyring
                            .open(field, *id, stored)
                            .map_err(|e| super::failed(field, *id, e))?;
                        keyring.seal(field, *id, &plain)
                    }
                    None => keyring.seal(field, *id, stored),
                }
                .map_err(|e| super::failed(field, *id, e))?;
                if replace(&tx, field, *id, stored, &fresh).await? {
                    p.changed += 1;
                }
            }
            tx.commit().await?;
            progress(p);
        }
        summary.seen += p.seen;
        summary.changed += p.changed;
        if p.seen == 0 {
            progress(p);
        }
    }
    Ok(summary)
}

fn id_col(field: Field) -> Alias {
    Alias::new(field.id_column())
}

async fn count(db: &impl ConnectionTrait, field: Field) -> Result<u64, CoreError> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!(
                "SELECT COUNT(*) AS n FROM {} WHERE {} IS NOT NULL",
                field.table(),
                field.column()
            ),
        ))
        .await?;
    let n: i64 = match row {
        Some(r) => r.try_get("", "n")?,
        None => 0,
    };
    Ok(u64::try_from(n).unwrap_or_default())
}

async fn batch(
    db: &impl ConnectionTrait,
    field: Field,
    after: Option<Uuid>,
) -> Result<Vec<(Uuid, String)>, CoreError> {
    let column = Alias::new(field.column());
    let mut q = Query::select();
    q.column(id_col(field))
        .column(column.clone())
        .from(Alias::new(field.table()))
        .and_where(Expr::col(column.clone()).is_not_null())
        .order_by(id_col(field), Order::Asc)
        .limit(BATCH);
    if let Some(after) = after {
        q.and_where(Expr::col(id_col(field)).gt(after));
    }
    let rows = db.query_all(&q).await?;
    rows.into_iter()
        .map(|r| {
            Ok((
                r.try_get::<Uuid>("", field.id_column())?,
                r.try_get::<String>("", field.column())?,
            ))
        })
        .collect()
}

/// Write `fresh` where the row still holds `stored`; false when it changed meanwhile (the
/// newer value was written sealed by the application).
async fn replace(
    tx: &impl ConnectionTrait,
    field: Field,
    id: Uuid,
    stored: &str,
    fresh: &str,
) -> Result<bool, CoreError> {
    let column = Alias::new(field.column());
    let mut q = Query::update();
    q.table(Alias::new(field.table()))
        .value(column.clone(), fresh)
        .and_where(Expr::col(id_col(field)).eq(id))
        .and_where(Expr::col(column).eq(stored));
    Ok(tx.execute(&q).await?.rows_affected() == 1)
}

/// Every stored value of one sealed column with its row id, as the database holds it (for
/// checks and tests; the walk above reads in batches instead).
pub async fn stored_values(
    db: &impl ConnectionTrait,
    field: Field,
) -> Result<Vec<(Uuid, String)>, CoreError> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let rows = batch(db, field, after).await?;
        let Some((last, _)) = rows.last() else {
            return Ok(out);
        };
        after = Some(*last);
        out.extend(rows);
    }
}
