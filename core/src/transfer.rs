//! `berth migrate-data`: moving a single-machine hub onto PostgreSQL, and its blobs onto
//! another store (an S3 bucket), checking everything that was copied.

use sqlx::Connection;

use crate::{
    db::{Db, DbKind},
    error::CoreError,
    registry::{
        names::{Digest, Hasher},
        storage::BlobStore,
        uploads::HashingReader,
    },
    store,
};

#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error("the source must be a SQLite database (sqlite://…)")]
    SourceNotSqlite,
    #[error("the target must be a PostgreSQL database (postgres://…)")]
    TargetNotPostgres,
    #[error("the target database already holds {0} accounts: migrate-data copies into an empty hub only")]
    TargetNotEmpty(i64),
    /// A table this version of `migrate-data` does not know how to treat: copying would lose it.
    #[error("table {0} is neither copied nor known to be left behind; this is a bug in Berth")]
    UnknownTable(String),
    #[error("table {table}: {source_rows} rows in the source but {target_rows} in the target")]
    CountMismatch {
        table: String,
        source_rows: i64,
        target_rows: i64,
    },
    #[error("blob {digest}: {problem}")]
    Blob { digest: String, problem: String },
    #[error(transparent)]
    Core(#[from] CoreError),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
}

/// Rows copied per table, in copy order.
pub type TableCounts = Vec<(String, i64)>;

/// Copies every table (see [`store::copy::TABLES`]) from a SQLite hub into an empty PostgreSQL
/// one, whose schema is brought up to date first. The source is read in one transaction, so a
/// running hub yields a consistent snapshot; the target is written in one transaction, committed
/// only once every table's row count matches the source's.
pub async fn copy_database(from: &Db, to: &Db) -> Result<TableCounts, TransferError> {
    if from.kind() != DbKind::Sqlite {
        return Err(TransferError::SourceNotSqlite);
    }
    if to.kind() != DbKind::Postgres {
        return Err(TransferError::TargetNotPostgres);
    }
    from.migrate().await?;
    to.migrate().await?;
    let mut source = from.pool().acquire().await?;
    let mut snapshot = source.begin().await?;
    for table in store::copy::schema_tables(&mut snapshot).await? {
        if !store::copy::TABLES.contains(&table.as_str())
            && !store::copy::NOT_COPIED.contains(&table.as_str())
        {
            return Err(TransferError::UnknownTable(table));
        }
    }
    let mut target = to.pool().begin().await?;
    let accounts = store::copy::count(&mut target, "users").await?;
    if accounts > 0 {
        return Err(TransferError::TargetNotEmpty(accounts));
    }
    let mut counts = Vec::new();
    for table in store::copy::TABLES {
        let copied = store::copy::copy_table(&mut snapshot, &mut target, table).await?;
        store::copy::reset_sequence(&mut target, table).await?;
        let source_rows = store::copy::count(&mut snapshot, table).await?;
        let target_rows = store::copy::count(&mut target, table).await?;
        if source_rows != target_rows || copied != source_rows {
            return Err(TransferError::CountMismatch {
                table: table.to_string(),
                source_rows,
                target_rows,
            });
        }
        counts.push((table.to_string(), target_rows));
    }
    store::copy::recount(&mut target).await?;
    target.commit().await?;
    snapshot.rollback().await?;
    Ok(counts)
}

/// What [`copy_blobs`] did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct BlobCounts {
    pub copied: u64,
    pub bytes: u64,
    /// Already in the target with the right size (a migration run again).
    pub present: u64,
}

/// Copies every blob the database `db` lists from one store to another, verifying each one's
/// digest on the way; a blob whose bytes do not match is not committed. Safe to run again.
pub async fn copy_blobs(
    db: &Db,
    from: &dyn BlobStore,
    to: &dyn BlobStore,
) -> Result<BlobCounts, TransferError> {
    let mut conn = db.pool().acquire().await?;
    let blobs = store::copy::blob_list(&mut conn).await?;
    drop(conn);
    let mut counts = BlobCounts::default();
    for (raw, size) in blobs {
        let failed = |problem: String| TransferError::Blob {
            digest: raw.clone(),
            problem,
        };
        let digest: Digest = raw
            .parse()
            .map_err(|_| failed("not a valid digest".into()))?;
        let size = u64::try_from(size).map_err(|_| failed("negative size".into()))?;
        if to.size(&digest).await.map_err(|e| failed(e.to_string()))? == Some(size) {
            counts.present += 1;
            continue;
        }
        let mut reader = from
            .read(&digest, 0, size)
            .await
            .map_err(|e| failed(format!("reading it from the source store: {e}")))?;
        let mut hasher = Hasher::new(digest.algorithm());
        let mut hashing = HashingReader {
            inner: &mut reader,
            hasher: Some(&mut hasher),
        };
        let id = format!("migrate-{}", crate::tokens::generate().1);
        let copied = async {
            to.start_upload(&id).await?;
            to.append_upload(&id, 0, &mut hashing).await
        }
        .await
        .map_err(|e| failed(format!("writing it to the target store: {e}")))?;
        if copied != size || hasher.finish() != digest {
            let _ = to.abort_upload(&id).await;
            return Err(failed(format!(
                "the source store holds {copied} bytes that do not match (expected {size})"
            )));
        }
        to.commit_upload(&id, size, &digest)
            .await
            .map_err(|e| failed(format!("committing it in the target store: {e}")))?;
        counts.copied += 1;
        counts.bytes += size;
    }
    Ok(counts)
}
