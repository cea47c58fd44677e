-- The registry: repositories, blobs, manifests, tags, uploads in progress, and shared settings
-- (the token signing key). Sizes and times are BIGINT; flags are 0/1 integers.
-- Tag and repository names use the "C" collation so that listings sort byte-wise, as on SQLite.
CREATE TABLE repositories (
    id             BIGSERIAL PRIMARY KEY,
    namespace      TEXT NOT NULL,
    name           TEXT NOT NULL,
    full_name      TEXT COLLATE "C" NOT NULL UNIQUE,
    owner_id       BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    is_private     BIGINT NOT NULL DEFAULT 0,
    description    TEXT NOT NULL DEFAULT '',
    overview       TEXT NOT NULL DEFAULT '',
    pull_count     BIGINT NOT NULL DEFAULT 0,
    created_at     BIGINT NOT NULL,
    last_pushed_at BIGINT
);
CREATE INDEX repositories_owner ON repositories (owner_id);

-- One row per stored blob, however many repositories use it.
CREATE TABLE blobs (
    digest     TEXT PRIMARY KEY,
    size       BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Which repositories may serve which blob: a blob is readable through a repository only after it
-- was pushed or mounted there.
CREATE TABLE repository_blobs (
    repository_id BIGINT NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    digest        TEXT NOT NULL REFERENCES blobs(digest),
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (repository_id, digest)
);

CREATE TABLE manifests (
    id             BIGSERIAL PRIMARY KEY,
    repository_id  BIGINT NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    digest         TEXT NOT NULL,
    media_type     TEXT NOT NULL,
    content        BYTEA NOT NULL,
    size           BIGINT NOT NULL,
    -- Sum of compressed layer sizes (an index: of its platforms' images).
    total_size     BIGINT NOT NULL,
    -- JSON array of {"os","architecture","variant"}.
    platforms      TEXT NOT NULL,
    artifact_type  TEXT,
    subject_digest TEXT,
    annotations    TEXT,
    pushed_at      BIGINT NOT NULL,
    pushed_by      BIGINT REFERENCES users(id) ON DELETE SET NULL,
    UNIQUE (repository_id, digest)
);
CREATE INDEX manifests_subject ON manifests (repository_id, subject_digest);

CREATE TABLE tags (
    repository_id   BIGINT NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    name            TEXT COLLATE "C" NOT NULL,
    manifest_digest TEXT NOT NULL,
    pushed_at       BIGINT NOT NULL,
    pushed_by       BIGINT REFERENCES users(id) ON DELETE SET NULL,
    PRIMARY KEY (repository_id, name)
);
CREATE INDEX tags_manifest ON tags (repository_id, manifest_digest);

-- Uploads in progress. The bytes live in the blob store's upload area; `size` is how many of
-- them are acknowledged, so bytes past it (from a request cut off mid-way) are discarded.
CREATE TABLE uploads (
    id            TEXT PRIMARY KEY,
    repository_id BIGINT NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    user_id       BIGINT REFERENCES users(id) ON DELETE CASCADE,
    size          BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
