-- Storage lifecycle. Which blobs each manifest references, so collecting garbage and counting
-- usage read the database, never the storage; the foreign key makes it impossible to delete a
-- blob a manifest still references, or to reference one already deleted.
CREATE TABLE manifest_blobs (
    manifest_id BIGINT NOT NULL REFERENCES manifests(id) ON DELETE CASCADE,
    digest      TEXT NOT NULL REFERENCES blobs(digest),
    PRIMARY KEY (manifest_id, digest)
);
CREATE INDEX manifest_blobs_digest ON manifest_blobs (digest);

-- NULL while referenced (or until the first collection looked); otherwise when the blob was
-- found unreferenced or last uploaded, mounted or read since. Deleted after a grace period.
ALTER TABLE blobs ADD COLUMN unreferenced_since BIGINT;
CREATE INDEX blobs_unreferenced ON blobs (unreferenced_since);

-- Bytes of the distinct blobs a repository's manifests reference, kept in the transaction of each
-- manifest stored or deleted (the repository page shows it; counting 10,000 images took 40 ms).
ALTER TABLE repositories ADD COLUMN stored_bytes BIGINT NOT NULL DEFAULT 0;

-- Bytes a namespace may store; NULL is no limit.
ALTER TABLE users ADD COLUMN storage_limit BIGINT;

-- Tag rules of a repository (a row once someone set one). immutable_tags: '' none, '*' every
-- tag, otherwise a regular expression a whole tag name must match. Retention rules: 0 is off.
CREATE TABLE repository_policies (
    repository_id   BIGINT PRIMARY KEY REFERENCES repositories(id) ON DELETE CASCADE,
    immutable_tags  TEXT NOT NULL DEFAULT '',
    untagged_days   BIGINT NOT NULL DEFAULT 0,
    keep_last       BIGINT NOT NULL DEFAULT 0,
    keep_pattern    TEXT NOT NULL DEFAULT '',
    unpulled_days   BIGINT NOT NULL DEFAULT 0,
    updated_at      BIGINT NOT NULL
);

-- What retention rules deleted, per repository.
CREATE TABLE retention_log (
    id            BIGSERIAL PRIMARY KEY,
    repository_id BIGINT NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    at            BIGINT NOT NULL,
    what          TEXT NOT NULL,
    rule          TEXT NOT NULL,
    bytes         BIGINT NOT NULL
);
CREATE INDEX retention_log_repository ON retention_log (repository_id, at);
