//! Storage lifecycle: which blobs manifests reference, online garbage collection, storage usage
//! and limits, immutable tags and retention rules.
//!
//! How collection stays safe while pushes go on (ARCHITECTURE.md has the longer story):
//! - `manifest_blobs` rows, written in the manifest's transaction, reference `blobs` rows by
//!   foreign key: the database itself refuses to delete a referenced blob, and refuses a reference
//!   to one already deleted (that push gets MANIFEST_BLOB_UNKNOWN and nothing is stored).
//! - An unreferenced blob is first *marked* (`unreferenced_since`), and deleted only once the mark
//!   is older than the grace period (`BERTH_GC_GRACE`, a day). Uploading, mounting or reading a
//!   marked blob restarts its grace period, so a push that checked a layer and is about to put
//!   the manifest referencing it finds it still there.
//! - A blob is made unreadable and unreferenceable before any of its bytes go: one committed
//!   transaction deletes its row and records the deletion (`blob_deletions`); only then are the
//!   bytes deleted, and the record removed. A crash in between leaves a record and bytes no row
//!   knows, never a row without bytes; the next collection (or an upload of the same digest)
//!   finishes it once it is [`DELETION_STALE`] old. An upload claims the row (inserting or
//!   touching it) and checks for a recorded deletion in one transaction before it moves its
//!   bytes into place, so it waits for a deletion of the same digest and then writes them again.
//! - No transaction is open while bytes are deleted: pushes never wait for the blob store.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use crate::{
    accounts::User,
    clock,
    error::CoreError,
    hub::Hub,
    registry::{names::Digest, repos::Repository, RegistryError},
    repositories::RepoError,
    store,
};

/// Stray files (bytes no row knows: a crash between storing and recording) younger than this
/// are left alone; an upload may be about to record them.
pub const STRAY_AFTER: i64 = clock::DAY;
/// A recorded deletion of a blob's bytes older than this was interrupted (a crash, or an error
/// from the store) and is finished by whoever meets it next. Each byte deletion is cut off at
/// [`DELETE_TIMEOUT`], well before, so a slow one is never overtaken.
pub const DELETION_STALE: i64 = 30;
const DELETE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// How often an upload looks again while a deletion of its digest is under way.
const DELETION_POLL: std::time::Duration = std::time::Duration::from_millis(50);
/// Rows read per batch while collecting.
const BATCH: i64 = 500;
/// Retention log entries shown per repository.
pub const LOG_SHOWN: i64 = 50;
const BACKFILLED: &str = "manifest_blobs_backfilled";

/// The blobs (config and layers) an image manifest references; none for an index, whose
/// children are manifests.
pub fn blob_refs(content: &[u8]) -> Vec<String> {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(content) else {
        return Vec::new();
    };
    let mut out: BTreeSet<String> = BTreeSet::new();
    if let Some(d) = v.pointer("/config/digest").and_then(|d| d.as_str()) {
        out.insert(d.to_string());
    }
    for key in ["layers", "blobs"] {
        for l in v.get(key).and_then(|l| l.as_array()).into_iter().flatten() {
            if let Some(d) = l.get("digest").and_then(|d| d.as_str()) {
                out.insert(d.to_string());
            }
        }
    }
    out.into_iter().collect()
}

fn subject_of(content: &[u8]) -> Option<String> {
    let v = serde_json::from_slice::<serde_json::Value>(content).ok()?;
    v.pointer("/subject/digest")
        .and_then(|d| d.as_str())
        .map(String::from)
}

/// Records, in the manifest's transaction, which blobs it references and clears their marks.
/// A blob collected since the push checked it fails the push with MANIFEST_BLOB_UNKNOWN.
pub(crate) async fn record_refs(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    repository_id: i64,
    manifest_digest: &str,
    refs: &[String],
) -> Result<(), RegistryError> {
    if refs.is_empty() {
        return Ok(());
    }
    let Some(id) = store::lifecycle::manifest_id(&mut **tx, repository_id, manifest_digest).await?
    else {
        return Ok(());
    };
    if store::lifecycle::has_refs(&mut **tx, id).await? {
        // The same manifest pushed again: nothing new.
        return Ok(());
    }
    store::lifecycle::unmark(&mut **tx, refs).await?;
    match store::lifecycle::add_refs(&mut **tx, id, refs).await {
        Err(e)
            if e.as_database_error()
                .is_some_and(|d| d.is_foreign_key_violation()) =>
        {
            return Err(RegistryError::ManifestBlobUnknown(refs.join(", ")));
        }
        other => other?,
    }
    let added = store::lifecycle::bytes_only_in(&mut **tx, repository_id, id).await?;
    store::lifecycle::add_stored(&mut **tx, repository_id, added).await?;
    Ok(())
}

/// Takes the repository's row lock first thing in a transaction that stores or deletes
/// manifests, so its stored bytes change by what committed references say.
pub(crate) async fn lock(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    repository_id: i64,
) -> Result<(), sqlx::Error> {
    store::lifecycle::lock_repository(&mut **tx, repository_id).await
}

/// Before a manifest is deleted (in the same transaction, after [`lock`]): the bytes only it
/// references in its repository, which the repository stores no more once it is gone.
pub(crate) async fn bytes_freed_by(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    repository_id: i64,
    manifest_digest: &str,
) -> Result<i64, sqlx::Error> {
    match store::lifecycle::manifest_id(&mut **tx, repository_id, manifest_digest).await? {
        Some(id) => store::lifecycle::bytes_only_in(&mut **tx, repository_id, id).await,
        None => Ok(0),
    }
}

/// After a manifest was deleted: its repository stores `bytes` fewer.
pub(crate) async fn forget_bytes(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    repository_id: i64,
    bytes: i64,
) -> Result<(), sqlx::Error> {
    store::lifecycle::add_stored(&mut **tx, repository_id, -bytes).await
}

/// Restarts the grace period of a blob that carries a collection mark (it is being mounted or
/// read: a push may be about to reference it); false if it was collected meanwhile.
pub(crate) async fn touch(hub: &Hub, digest: &str) -> Result<bool, sqlx::Error> {
    if store::lifecycle::touch(hub.db.pool(), digest, clock::now()).await? {
        return Ok(true);
    }
    // No marked row: referenced again (fine), or deleted by a collection (gone).
    Ok(
        !store::lifecycle::known(hub.db.pool(), &[digest.to_string()])
            .await?
            .is_empty(),
    )
}

/// Records the references of manifests stored before references were kept. Runs once; garbage
/// collection refuses to mark anything before it has.
pub async fn backfill(hub: &Hub) -> Result<u64, CoreError> {
    let pool = hub.db.pool();
    if store::settings::get(pool, BACKFILLED).await?.is_some() {
        return Ok(0);
    }
    let (mut after, mut done) = (0i64, 0u64);
    loop {
        let batch = store::lifecycle::unindexed_manifests(pool, after, BATCH).await?;
        let Some((last, _)) = batch.last() else { break };
        after = *last;
        let mut tx = hub.db.begin_write().await?;
        for (id, content) in &batch {
            let refs = blob_refs(content);
            let known = store::lifecycle::known(&mut *tx, &refs).await?;
            if known.len() < refs.len() {
                tracing::warn!(
                    manifest = id,
                    "a stored manifest references blobs Berth does not have"
                );
            }
            store::lifecycle::add_refs(&mut *tx, *id, &known).await?;
            done += 1;
        }
        tx.commit().await?;
    }
    store::lifecycle::recount_all(pool).await?;
    store::settings::insert_if_absent(pool, BACKFILLED, "1").await?;
    if done > 0 {
        tracing::info!(
            manifests = done,
            "recorded the blob references of stored manifests"
        );
    }
    Ok(done)
}

/// What a collection removed (or, dry, would remove).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GcReport {
    pub dry_run: bool,
    /// Blobs found unreferenced this time (their grace period starts); for a dry run, how many
    /// would be.
    pub marked: u64,
    /// Blobs deleted (digest, bytes).
    pub blobs: Vec<(String, u64)>,
    /// Files under the storage that no row knew, deleted (digest or upload id, bytes).
    pub strays: Vec<(String, u64)>,
    /// Upload-area leftovers with no upload in progress.
    pub stray_uploads: Vec<String>,
    pub seconds: f64,
}

impl GcReport {
    pub fn bytes(&self) -> u64 {
        self.blobs.iter().chain(&self.strays).map(|(_, n)| n).sum()
    }
}

/// Collects garbage: marks unreferenced blobs, deletes those marked longer than the grace period
/// (bytes and row), and removes stray files older than [`STRAY_AFTER`]. Safe to run while the
/// hub serves pushes and pulls, and on several replicas at once (each deletion is conditional).
/// `dry_run` changes nothing and lists what would go, marks included.
pub async fn collect(hub: &Hub, dry_run: bool) -> Result<GcReport, CoreError> {
    collect_at(hub, dry_run, clock::now()).await
}

/// [`collect`] as if the time were `now` (tests: stray files a day old, without the day).
#[doc(hidden)]
pub async fn collect_at(hub: &Hub, dry_run: bool, now: i64) -> Result<GcReport, CoreError> {
    let started = std::time::Instant::now();
    backfill(hub).await?;
    let pool = hub.db.pool();
    let cutoff = now - hub.config.gc_grace_secs;
    let mut report = GcReport {
        dry_run,
        ..GcReport::default()
    };
    if dry_run {
        report.marked = store::lifecycle::count_unmarked(pool).await?;
    } else {
        finish_interrupted(hub, now).await?;
        store::lifecycle::unmark_referenced(pool).await?;
        report.marked = store::lifecycle::mark_unreferenced(pool, now).await?;
    }
    let mut after = String::new();
    loop {
        let batch = store::lifecycle::collectable(pool, cutoff, &after, BATCH).await?;
        let Some((last, _)) = batch.last() else { break };
        after = last.clone();
        for (digest, size) in batch {
            if dry_run || delete_blob(hub, &digest, cutoff).await? {
                report.blobs.push((digest, size as u64));
            }
        }
    }
    sweep_strays(hub, now, dry_run, &mut report).await?;
    report.seconds = started.elapsed().as_secs_f64();
    if !dry_run && (!report.blobs.is_empty() || !report.strays.is_empty()) {
        tracing::info!(
            blobs = report.blobs.len(),
            strays = report.strays.len(),
            bytes = report.bytes(),
            seconds = report.seconds,
            "garbage collected"
        );
    }
    Ok(report)
}

/// Deletes one collectable blob: its row and a record of the deletion in one committed
/// transaction, then its bytes, then the record. False if it became referenced or touched
/// meanwhile. Bytes that could not be deleted now are deleted by a later collection.
async fn delete_blob(hub: &Hub, digest: &str, cutoff: i64) -> Result<bool, CoreError> {
    let Ok(parsed) = digest.parse::<Digest>() else {
        return Ok(false);
    };
    let now = clock::now();
    let mut tx = hub.db.begin_write().await?;
    match store::lifecycle::delete_if_collectable(&mut tx, digest, cutoff).await {
        Ok(true) => {}
        Ok(false) => return Ok(false),
        // A reference written concurrently (PostgreSQL reports it at the delete).
        Err(e)
            if e.as_database_error()
                .is_some_and(|d| d.is_foreign_key_violation()) =>
        {
            return Ok(false)
        }
        Err(e) => return Err(e.into()),
    }
    store::lifecycle::begin_deletion(&mut *tx, digest, now).await?;
    tx.commit().await?;
    remove_bytes(hub, &parsed, now).await?;
    Ok(true)
}

/// Deletes the bytes of a blob whose deletion was recorded at `started_at`, then the record.
/// An error from the store leaves the record for a later attempt (false).
async fn remove_bytes(hub: &Hub, digest: &Digest, started_at: i64) -> Result<bool, CoreError> {
    match tokio::time::timeout(DELETE_TIMEOUT, hub.registry.blobs.delete(digest)).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            tracing::warn!(%digest, error = %e, "could not delete a blob's bytes; a later collection will");
            return Ok(false);
        }
        Err(_) => {
            tracing::warn!(%digest, "deleting a blob's bytes took too long; a later collection will");
            return Ok(false);
        }
    }
    store::lifecycle::end_deletion(hub.db.pool(), &digest.to_string(), started_at).await?;
    Ok(true)
}

/// Finishes the deletion of `digest` recorded at `started_at` if it is still that one (nobody
/// took it over meanwhile).
async fn finish_deletion(hub: &Hub, digest: &Digest, started_at: i64) -> Result<(), CoreError> {
    let now = clock::now();
    if store::lifecycle::retake_deletion(hub.db.pool(), &digest.to_string(), started_at, now)
        .await?
    {
        remove_bytes(hub, digest, now).await?;
    }
    Ok(())
}

/// Finishes every deletion interrupted longer than [`DELETION_STALE`] ago.
async fn finish_interrupted(hub: &Hub, now: i64) -> Result<u64, CoreError> {
    let mut finished = 0;
    for (digest, started) in
        store::lifecycle::stale_deletions(hub.db.pool(), now - DELETION_STALE).await?
    {
        if let Ok(parsed) = digest.parse::<Digest>() {
            finish_deletion(hub, &parsed, started).await?;
            finished += 1;
        }
    }
    Ok(finished)
}

/// Records a blob about to be stored by an upload, before its bytes move into place (see the
/// module's notes): waits while a deletion of the same digest is under way, and finishes one
/// that was interrupted.
pub(crate) async fn claim(hub: &Hub, digest: &Digest, size: i64) -> Result<(), CoreError> {
    let d = digest.to_string();
    loop {
        let now = clock::now();
        let mut tx = hub.db.begin_write().await?;
        store::blobs::claim(&mut *tx, &d, size, now).await?;
        let Some(started) = store::lifecycle::deletion(&mut *tx, &d).await? else {
            tx.commit().await?;
            return Ok(());
        };
        drop(tx);
        if now - started >= DELETION_STALE {
            finish_deletion(hub, digest, started).await?;
        } else {
            tokio::time::sleep(DELETION_POLL).await;
        }
    }
}

/// Removes files no row knows: blobs older than [`STRAY_AFTER`] (each recorded as a deletion
/// first, so an upload of the same digest waits and writes its bytes after), and upload-area
/// leftovers of uploads no longer in progress.
async fn sweep_strays(
    hub: &Hub,
    now: i64,
    dry_run: bool,
    report: &mut GcReport,
) -> Result<(), CoreError> {
    let io = |e| CoreError::io("blob store", e);
    let old = now - STRAY_AFTER;
    let files = hub.registry.blobs.list_blobs().await.map_err(io)?;
    for chunk in files.chunks(BATCH as usize) {
        let digests: Vec<String> = chunk.iter().map(|f| f.digest.to_string()).collect();
        let known: HashSet<String> = store::lifecycle::known(hub.db.pool(), &digests)
            .await?
            .into_iter()
            .collect();
        for f in chunk.iter().filter(|f| f.modified < old) {
            let d = f.digest.to_string();
            if known.contains(&d) {
                continue;
            }
            if dry_run {
                report.strays.push((d, f.size));
                continue;
            }
            let started = clock::now();
            let mut tx = hub.db.begin_write().await?;
            if !store::lifecycle::claim_stray(&mut tx, &d, started).await? {
                continue;
            }
            tx.commit().await?;
            if remove_bytes(hub, &f.digest, started).await? {
                report.strays.push((d, f.size));
            }
        }
    }
    let in_progress: HashSet<String> = store::uploads::all_ids(hub.db.pool())
        .await?
        .into_iter()
        .collect();
    for (id, modified) in hub.registry.blobs.list_uploads().await.map_err(io)? {
        if modified < old && !in_progress.contains(&id) {
            if !dry_run {
                hub.registry.blobs.abort_upload(&id).await.map_err(io)?;
            }
            report.stray_uploads.push(id);
        }
    }
    Ok(())
}

/// How many bytes the hub stores, per namespace, and in all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamespaceUsage {
    pub namespace: String,
    pub bytes: i64,
    pub limit: Option<i64>,
}

/// Bytes of the distinct blobs a repository's manifests reference.
pub async fn repository_bytes(hub: &Hub, repo: &Repository) -> Result<i64, CoreError> {
    Ok(store::lifecycle::repository_bytes(hub.db.pool(), repo.id).await?)
}

/// A namespace's stored bytes (a layer its repositories share counts once) and its limit.
pub async fn namespace_usage(hub: &Hub, owner_id: i64) -> Result<(i64, Option<i64>), CoreError> {
    let pool = hub.db.pool();
    Ok((
        store::lifecycle::namespace_bytes(pool, owner_id).await?,
        store::lifecycle::storage_limit(pool, owner_id).await?,
    ))
}

/// Every namespace that stores anything, largest first (or by name), for administrators; and
/// the hub's total (blobs, bytes).
pub async fn usage_overview(
    hub: &Hub,
    user: &User,
    by_name: bool,
    limit: i64,
) -> Result<Option<(Vec<NamespaceUsage>, (i64, i64))>, CoreError> {
    if !user.is_admin {
        return Ok(None);
    }
    let pool = hub.db.pool();
    let rows = store::lifecycle::usage_by_namespace(pool, by_name, limit).await?;
    let total = store::lifecycle::total_bytes(pool).await?;
    Ok(Some((
        rows.into_iter()
            .map(|(namespace, bytes, limit)| NamespaceUsage {
                namespace,
                bytes,
                limit,
            })
            .collect(),
        total,
    )))
}

/// "1.5 GB": decimal units, as sizes read everywhere else.
fn human(bytes: i64) -> String {
    match bytes {
        b if b >= 1_000_000_000 => format!("{:.1} GB", b as f64 / 1e9),
        b if b >= 1_000_000 => format!("{:.1} MB", b as f64 / 1e6),
        b if b >= 1_000 => format!("{:.1} kB", b as f64 / 1e3),
        b => format!("{b} B"),
    }
}

/// Refuses a push that would take the namespace past its storage limit (pulls never are).
pub(crate) async fn check_limit(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    kind: crate::db::DbKind,
    repo: &Repository,
    refs: &[String],
) -> Result<(), RegistryError> {
    let Some(limit) = store::lifecycle::storage_limit(&mut **tx, repo.owner_id).await? else {
        return Ok(());
    };
    // Counted under the namespace's lock, in the push's own transaction: two pushes at once
    // cannot both fit in the room that is left for one (SQLite's write lock serialises them).
    store::users::lock(&mut **tx, kind, repo.owner_id).await?;
    let adds = store::lifecycle::bytes_new_to_namespace(&mut **tx, repo.owner_id, refs).await?;
    if adds == 0 {
        return Ok(());
    }
    let used = store::lifecycle::namespace_bytes(&mut **tx, repo.owner_id).await?;
    if used + adds > limit {
        return Err(RegistryError::Denied(format!(
            "storage limit reached: {} may store {}, stores {} and this push adds {}; delete tags or ask an administrator for a larger plan",
            repo.namespace,
            human(limit),
            human(used),
            human(adds)
        )));
    }
    Ok(())
}

/// Sets (or with `None` removes) a namespace's storage limit; administrators only.
pub async fn set_storage_limit(
    hub: &Hub,
    user: &User,
    namespace: &str,
    limit: Option<i64>,
) -> Result<(), RepoError> {
    if !user.is_admin {
        return Err(RepoError::NotFound);
    }
    if limit.is_some_and(|l| l < 0) {
        return Err(RepoError::Refused(
            "A storage limit cannot be negative.".into(),
        ));
    }
    if store::lifecycle::set_storage_limit(hub.db.pool(), namespace, limit).await? {
        Ok(())
    } else {
        Err(RepoError::Refused(format!(
            "There is no account {namespace}."
        )))
    }
}

/// Which tags may not move or be deleted.
#[derive(Clone, Debug)]
pub enum Immutable {
    None,
    All,
    Matching(regex::Regex),
}

impl Immutable {
    fn parse(stored: &str) -> Immutable {
        match stored {
            "" => Immutable::None,
            "*" => Immutable::All,
            pattern => match whole(pattern) {
                Ok(re) => Immutable::Matching(re),
                // Validated when saved; an unreadable rule protects everything.
                Err(_) => Immutable::All,
            },
        }
    }

    pub fn covers(&self, tag: &str) -> bool {
        match self {
            Immutable::None => false,
            Immutable::All => true,
            Immutable::Matching(re) => re.is_match(tag),
        }
    }

    /// The rule in words, for refusals.
    fn describe(&self) -> String {
        match self {
            Immutable::None => "none".into(),
            Immutable::All => "every tag is immutable".into(),
            Immutable::Matching(re) => format!(
                "tags matching {} are immutable",
                re.as_str()
                    .trim_start_matches("^(?:")
                    .trim_end_matches(")$")
            ),
        }
    }
}

/// The repository's immutable-tag rule, for the pages (a lock instead of Delete).
pub async fn immutable_tags(hub: &Hub, repo: &Repository) -> Result<Immutable, CoreError> {
    Ok(immutable_rule(hub.db.pool(), repo.id).await?)
}

/// A regular expression a whole name must match.
fn whole(pattern: &str) -> Result<regex::Regex, regex::Error> {
    regex::RegexBuilder::new(&format!("^(?:{pattern})$"))
        .size_limit(1 << 20)
        .build()
}

async fn immutable_rule<'c>(
    ex: impl sqlx::Executor<'c, Database = sqlx::Any>,
    repository_id: i64,
) -> Result<Immutable, sqlx::Error> {
    Ok(store::lifecycle::policy(ex, repository_id)
        .await?
        .map_or(Immutable::None, |p| Immutable::parse(&p.immutable_tags)))
}

/// Refuses moving an immutable tag to another manifest (pushing the same manifest again is fine).
pub(crate) async fn check_tag_move(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    repo: &Repository,
    tag: &str,
    digest: &str,
) -> Result<(), RegistryError> {
    let rule = immutable_rule(&mut **tx, repo.id).await?;
    if !rule.covers(tag) {
        return Ok(());
    }
    match store::tags::digest_of(&mut **tx, repo.id, tag).await? {
        Some(current) if current != digest => Err(RegistryError::Denied(format!(
            "tag {tag} of {} is immutable ({}): push under a new tag",
            repo.full_name,
            rule.describe()
        ))),
        _ => Ok(()),
    }
}

/// Refuses deleting an immutable tag, or a manifest an immutable tag points at.
pub(crate) async fn check_delete(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    repo: &Repository,
    tag: Option<&str>,
    digest: Option<&str>,
) -> Result<(), RegistryError> {
    let rule = immutable_rule(&mut **tx, repo.id).await?;
    if matches!(rule, Immutable::None) {
        return Ok(());
    }
    let tags = match (tag, digest) {
        (Some(t), _) => vec![t.to_string()],
        (None, Some(d)) => store::tags::names_for_manifest(&mut **tx, repo.id, d).await?,
        (None, None) => Vec::new(),
    };
    match tags.iter().find(|t| rule.covers(t)) {
        Some(t) => Err(RegistryError::Denied(format!(
            "tag {t} of {} is immutable ({}) and cannot be deleted",
            repo.full_name,
            rule.describe()
        ))),
        None => Ok(()),
    }
}

/// A repository's tag rules as its settings show them.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Policy {
    /// "" mutable, "*" all immutable, otherwise a regular expression.
    pub immutable_tags: String,
    /// Delete untagged manifests older than this many days (0: off).
    pub untagged_days: i64,
    /// Keep the newest this many tags matching `keep_pattern` (0: off).
    pub keep_last: i64,
    /// Which tags `keep_last` counts ("" every tag).
    pub keep_pattern: String,
    /// Delete tags not pulled for this many days (0: off).
    pub unpulled_days: i64,
}

impl From<store::lifecycle::PolicyRow> for Policy {
    fn from(r: store::lifecycle::PolicyRow) -> Self {
        Policy {
            immutable_tags: r.immutable_tags,
            untagged_days: r.untagged_days,
            keep_last: r.keep_last,
            keep_pattern: r.keep_pattern,
            unpulled_days: r.unpulled_days,
        }
    }
}

pub async fn policy(hub: &Hub, repo: &Repository) -> Result<Policy, CoreError> {
    Ok(store::lifecycle::policy(hub.db.pool(), repo.id)
        .await?
        .map(Policy::from)
        .unwrap_or_default())
}

const MAX_DAYS: i64 = 3650;
const MAX_KEEP: i64 = 10_000;

/// Saves a repository's tag rules (owners and repository administrators), after checking each
/// field: a message per field when one is wrong, and nothing saved.
pub async fn set_policy(
    hub: &Hub,
    user: &User,
    full_name: &str,
    policy: Policy,
) -> Result<(), RepoError> {
    let repo = crate::repositories::open_to_manage(hub, user, full_name).await?;
    let mut errors = Vec::new();
    let pattern_error = |p: &str| {
        if p.len() > 200 {
            Some("At most 200 characters.".to_string())
        } else {
            whole(p)
                .err()
                .map(|e| format!("Not a regular expression: {}", first_line(&e.to_string())))
        }
    };
    if !matches!(policy.immutable_tags.as_str(), "" | "*") {
        if let Some(e) = pattern_error(&policy.immutable_tags) {
            errors.push(("immutable_tags", e));
        }
    }
    if !policy.keep_pattern.is_empty() {
        if let Some(e) = pattern_error(&policy.keep_pattern) {
            errors.push(("keep_pattern", e));
        }
    }
    for (field, value, max) in [
        ("untagged_days", policy.untagged_days, MAX_DAYS),
        ("keep_last", policy.keep_last, MAX_KEEP),
        ("unpulled_days", policy.unpulled_days, MAX_DAYS),
    ] {
        if !(0..=max).contains(&value) {
            errors.push((field, format!("A whole number from 0 (off) to {max}.")));
        }
    }
    if !errors.is_empty() {
        return Err(RepoError::Invalid(crate::accounts::FieldErrors(errors)));
    }
    let row = store::lifecycle::PolicyRow {
        immutable_tags: policy.immutable_tags,
        untagged_days: policy.untagged_days,
        keep_last: policy.keep_last,
        keep_pattern: policy.keep_pattern,
        unpulled_days: policy.unpulled_days,
    };
    store::lifecycle::set_policy(hub.db.pool(), repo.id, &row, clock::now()).await?;
    Ok(())
}

fn first_line(s: &str) -> String {
    s.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(s)
        .trim()
        .to_string()
}

/// One thing a retention run deletes.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Planned {
    /// `repo:tag` or `repo@digest`.
    pub what: String,
    pub tag: Option<String>,
    pub digest: String,
    /// Which rule, in words.
    pub rule: String,
}

/// What the retention rules would delete now, and the bytes that frees.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RetentionPlan {
    pub items: Vec<Planned>,
    pub bytes: i64,
}

async fn plan(hub: &Hub, repo: &Repository, p: &Policy) -> Result<RetentionPlan, CoreError> {
    let pool = hub.db.pool();
    let now = clock::now();
    let immutable = Immutable::parse(&p.immutable_tags);
    let tags = store::lifecycle::tags(pool, repo.id).await?;
    let mut items = Vec::new();
    let mut gone_tags: BTreeSet<String> = BTreeSet::new();
    if p.keep_last > 0 {
        let pattern = if p.keep_pattern.is_empty() {
            None
        } else {
            whole(&p.keep_pattern).ok()
        };
        let counted = tags
            .iter()
            .filter(|t| pattern.as_ref().is_none_or(|re| re.is_match(&t.name)));
        for t in counted.skip(p.keep_last as usize) {
            if !immutable.covers(&t.name) && gone_tags.insert(t.name.clone()) {
                items.push(tag_item(
                    repo,
                    t,
                    format!("keeps the newest {}", p.keep_last),
                ));
            }
        }
    }
    if p.unpulled_days > 0 {
        let cutoff = now - p.unpulled_days * clock::DAY;
        for t in &tags {
            let last = t.last_pulled_at.unwrap_or(t.pushed_at);
            if last < cutoff && !immutable.covers(&t.name) && gone_tags.insert(t.name.clone()) {
                items.push(tag_item(
                    repo,
                    t,
                    format!("not pulled for {} days", p.unpulled_days),
                ));
            }
        }
    }
    // Manifests that end up untagged go too when their tag was deleted by a rule (that is what
    // frees space), or when they are untagged and old enough for the untagged rule; never one an
    // index or a signature that stays still needs.
    let manifests = store::lifecycle::manifests(pool, repo.id).await?;
    let remaining: HashSet<&str> = tags
        .iter()
        .filter(|t| !gone_tags.contains(&t.name))
        .map(|t| t.manifest_digest.as_str())
        .collect();
    let freed_by_tags: HashSet<&str> = tags
        .iter()
        .filter(|t| gone_tags.contains(&t.name))
        .map(|t| t.manifest_digest.as_str())
        .collect();
    let untagged_cutoff = (p.untagged_days > 0).then(|| now - p.untagged_days * clock::DAY);
    let mut going: BTreeMap<String, String> = BTreeMap::new();
    for m in &manifests {
        if remaining.contains(m.digest.as_str()) {
            continue;
        }
        if freed_by_tags.contains(m.digest.as_str()) {
            going.insert(m.digest.clone(), "its tags were removed by a rule".into());
        } else if untagged_cutoff.is_some_and(|c| m.pushed_at < c) {
            going.insert(
                m.digest.clone(),
                format!("untagged for more than {} days", p.untagged_days),
            );
        }
    }
    // Keep what a staying manifest needs (index children, signature subjects), to a fixed point.
    loop {
        let mut needed: HashSet<String> = HashSet::new();
        for m in manifests.iter().filter(|m| !going.contains_key(&m.digest)) {
            needed.extend(crate::registry::manifests::index_children(&m.content));
        }
        for m in manifests.iter().filter(|m| going.contains_key(&m.digest)) {
            // A referrer whose subject stays is kept with it.
            if let Some(s) = subject_of(&m.content) {
                if !going.contains_key(&s) && manifests.iter().any(|x| x.digest == s) {
                    needed.insert(m.digest.clone());
                }
            }
        }
        let before = going.len();
        going.retain(|d, _| !needed.contains(d));
        if going.len() == before {
            break;
        }
    }
    for (digest, rule) in &going {
        items.push(Planned {
            what: format!("{}@{digest}", repo.full_name),
            tag: None,
            digest: digest.clone(),
            rule: rule.clone(),
        });
    }
    let digests: Vec<String> = going.keys().cloned().collect();
    let bytes = store::lifecycle::freed_by(pool, repo.id, &digests).await?;
    Ok(RetentionPlan { items, bytes })
}

fn tag_item(repo: &Repository, t: &store::lifecycle::TagRow, rule: String) -> Planned {
    Planned {
        what: format!("{}:{}", repo.full_name, t.name),
        tag: Some(t.name.clone()),
        digest: t.manifest_digest.clone(),
        rule,
    }
}

/// What the repository's retention rules would delete now (owners and repository admins).
pub async fn preview(hub: &Hub, user: &User, full_name: &str) -> Result<RetentionPlan, RepoError> {
    let repo = crate::repositories::open_to_manage(hub, user, full_name).await?;
    let p = policy(hub, &repo).await?;
    Ok(plan(hub, &repo, &p).await?)
}

/// Runs the repository's retention rules now (owners and repository admins).
pub async fn run_retention(
    hub: &Hub,
    user: &User,
    full_name: &str,
) -> Result<RetentionPlan, RepoError> {
    let repo = crate::repositories::open_to_manage(hub, user, full_name).await?;
    Ok(apply(hub, &repo, &user.username).await?)
}

/// Plans and deletes. Each deletion is conditional on what the plan saw (a tag still pointing
/// at the same manifest, a manifest still untagged), so a push meanwhile is never undone.
async fn apply(hub: &Hub, repo: &Repository, actor: &str) -> Result<RetentionPlan, CoreError> {
    let p = policy(hub, repo).await?;
    let planned = plan(hub, repo, &p).await?;
    let mut done = RetentionPlan {
        items: Vec::new(),
        bytes: planned.bytes,
    };
    for item in planned.items {
        let mut tx = hub.db.begin_write().await?;
        let mut hub_freed = 0;
        let deleted = match &item.tag {
            Some(tag) => {
                let gone =
                    store::lifecycle::delete_tag_if(&mut *tx, repo.id, tag, &item.digest).await?;
                if gone {
                    crate::webhooks::record(
                        &mut tx,
                        hub,
                        repo,
                        crate::webhooks::Change {
                            event: crate::webhooks::Event::TagDeleted,
                            actor,
                            tag: Some(tag),
                            digest: Some(&item.digest),
                            media_type: None,
                            platforms: None,
                        },
                    )
                    .await?;
                }
                gone
            }
            None => {
                lock(&mut tx, repo.id).await?;
                let freed = bytes_freed_by(&mut tx, repo.id, &item.digest).await?;
                // What the hub frees, as the preview counts it: read before the manifest goes
                // (afterwards nothing references those blobs, and the figure read 0 B).
                hub_freed = store::lifecycle::freed_by(
                    &mut *tx,
                    repo.id,
                    std::slice::from_ref(&item.digest),
                )
                .await?;
                let gone =
                    store::lifecycle::delete_manifest_if_untagged(&mut *tx, repo.id, &item.digest)
                        .await?;
                if gone {
                    forget_bytes(&mut tx, repo.id, freed).await?;
                }
                gone
            }
        };
        if deleted {
            let bytes = if item.tag.is_none() { hub_freed } else { 0 };
            store::lifecycle::log(
                &mut *tx,
                repo.id,
                clock::now(),
                &item.what,
                &item.rule,
                bytes,
            )
            .await?;
            tx.commit().await?;
            done.items.push(item);
        }
    }
    hub.jobs.wake();
    if !done.items.is_empty() {
        tracing::info!(repository = %repo.full_name, deleted = done.items.len(), "retention rules ran");
    }
    Ok(done)
}

/// Runs every repository's retention rules (the daily lifecycle job).
pub async fn run_all_retention(hub: &Hub) -> Result<usize, CoreError> {
    let mut deleted = 0;
    for id in store::lifecycle::with_retention(hub.db.pool()).await? {
        let Some(row) = store::repositories::by_id(hub.db.pool(), id).await? else {
            continue;
        };
        deleted += apply(hub, &Repository::from(row), "retention")
            .await?
            .items
            .len();
    }
    Ok(deleted)
}

/// A retention log entry.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LogEntry {
    pub at: i64,
    pub what: String,
    pub rule: String,
    pub bytes: i64,
}

/// What retention rules deleted in the repository, newest first.
pub async fn retention_log(hub: &Hub, repo: &Repository) -> Result<Vec<LogEntry>, CoreError> {
    Ok(store::lifecycle::log_of(hub.db.pool(), repo.id, LOG_SHOWN)
        .await?
        .into_iter()
        .map(|r| LogEntry {
            at: r.at,
            what: r.what,
            rule: r.rule,
            bytes: r.bytes,
        })
        .collect())
}

/// The daily lifecycle job: retention rules of every repository, then garbage collection.
pub async fn daily(hub: &Hub) -> Result<(), CoreError> {
    run_all_retention(hub).await?;
    collect(hub, false).await?;
    Ok(())
}

const NEXT_RUN: &str = "lifecycle_next_run";

/// Queues the daily lifecycle job when it is due. Every replica calls this hourly; the one whose
/// compare-and-set of the next run time wins queues it, so it runs once a day on one replica.
pub async fn schedule(hub: &Hub) -> Result<bool, CoreError> {
    let pool = hub.db.pool();
    let now = clock::now();
    store::settings::insert_if_absent(pool, NEXT_RUN, &now.to_string()).await?;
    let Some(current) = store::settings::get(pool, NEXT_RUN).await? else {
        return Ok(false);
    };
    if current.parse::<i64>().unwrap_or(0) > now {
        return Ok(false);
    }
    let mut tx = hub.db.begin_write().await?;
    let next = (now + clock::DAY).to_string();
    if !store::settings::compare_and_set(&mut *tx, NEXT_RUN, &current, &next).await? {
        return Ok(false);
    }
    crate::jobs::enqueue(&mut *tx, &crate::jobs::Job::Lifecycle).await?;
    tx.commit().await?;
    hub.jobs.wake();
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_manifests_reference_config_and_layers_once() {
        let m = br#"{"schemaVersion":2,"config":{"digest":"sha256:c"},"layers":[{"digest":"sha256:a"},{"digest":"sha256:a"},{"digest":"sha256:b"}]}"#;
        assert_eq!(blob_refs(m), vec!["sha256:a", "sha256:b", "sha256:c"]);
        let ix = br#"{"schemaVersion":2,"manifests":[{"digest":"sha256:x"}]}"#;
        assert!(blob_refs(ix).is_empty());
        assert_eq!(
            crate::registry::manifests::index_children(ix),
            vec!["sha256:x"]
        );
    }

    #[test]
    fn immutable_rules_match_whole_tag_names() {
        let rule = Immutable::parse(r"v[0-9]+");
        assert!(rule.covers("v1"));
        assert!(!rule.covers("v1-rc"));
        assert!(!rule.covers("latest"));
        assert!(Immutable::parse("*").covers("anything"));
        assert!(!Immutable::parse("").covers("v1"));
        assert_eq!(rule.describe(), "tags matching v[0-9]+ are immutable");
    }
}
