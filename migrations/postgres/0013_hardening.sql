-- A blob whose row is gone and whose bytes are being deleted (collection, stray sweep). Written in
-- the transaction that deletes the row, so the blob is unreadable and unreferenceable before any
-- byte goes; removed once the bytes are gone. An upload of the same digest waits while it exists,
-- and one left by a crash is finished by the next collection or upload that meets it.
CREATE TABLE blob_deletions (
    digest     TEXT PRIMARY KEY,
    started_at BIGINT NOT NULL
);

-- Who added (or last saved) a webhook: its deliveries stop when that account may no longer manage
-- the repository (an editor removed from the organization must not keep receiving a private
-- repository's events). NULL for webhooks made before this was kept. disabled_reason says why a
-- webhook was turned off by Berth rather than by a person.
ALTER TABLE webhooks ADD COLUMN created_by BIGINT;
ALTER TABLE webhooks ADD COLUMN disabled_reason TEXT;

-- The order tags were pushed in, per repository, for "newest" where push times (whole seconds)
-- tie: `docker push --all-tags` pushes several in one second, and "keep the newest N" must keep
-- the last one pushed, not the alphabetically first. Tags pushed before this keep 0 (ties go to
-- the name, as before).
ALTER TABLE tags ADD COLUMN push_seq BIGINT NOT NULL DEFAULT 0;
DROP INDEX tags_newest;
CREATE INDEX tags_newest ON tags (repository_id, pushed_at DESC, push_seq DESC, name);

-- The order pushes happened in across repositories ("recently updated" on explore, the dashboard):
-- last_pushed_at has whole seconds, and repositories pushed in one second must still list the
-- last one first.
ALTER TABLE repositories ADD COLUMN push_seq BIGINT NOT NULL DEFAULT 0;
CREATE INDEX repositories_push_seq ON repositories (push_seq);
