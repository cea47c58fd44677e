-- Automated builds: a repository linked to a git repository (its source), build rules that map
-- pushed branches or tags to Docker tags, and the builds themselves with their logs.
CREATE TABLE build_sources (
    repository_id  BIGINT PRIMARY KEY REFERENCES repositories(id) ON DELETE CASCADE,
    git_url        TEXT NOT NULL,
    -- The access token for a private git repository, sealed with BERTH_SECRET_KEY.
    token_sealed   TEXT,
    -- The secret part of the build trigger URL.
    trigger_token  TEXT NOT NULL UNIQUE,
    -- Verifies push payloads' HMAC signatures when set.
    hook_secret    TEXT,
    -- 'off', 'failures' or 'all': which builds mail the owner.
    notify         TEXT NOT NULL DEFAULT 'failures',
    -- Whether a successful build takes the overview from the git repository's README.md.
    readme         BIGINT NOT NULL DEFAULT 0,
    -- Builds push as this account (who linked the source); checked again at every build.
    linked_by      BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at     BIGINT NOT NULL
);

-- source_type: 'branch' or 'tag'; source: a name, or a regular expression when is_regex.
CREATE TABLE build_rules (
    id             BIGSERIAL PRIMARY KEY,
    repository_id  BIGINT NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    source_type    TEXT NOT NULL,
    source         TEXT NOT NULL,
    is_regex       BIGINT NOT NULL DEFAULT 0,
    docker_tag     TEXT NOT NULL,
    dockerfile     TEXT NOT NULL,
    context        TEXT NOT NULL,
    -- KEY=VALUE lines.
    build_args     TEXT NOT NULL DEFAULT '',
    enabled        BIGINT NOT NULL DEFAULT 1,
    created_at     BIGINT NOT NULL
);
CREATE INDEX build_rules_repository ON build_rules (repository_id, id);

-- A build copies its rule's settings when queued. status: 'queued', 'cloning', 'building',
-- 'pushing', 'succeeded', 'failed' or 'cancelled'.
CREATE TABLE builds (
    id              BIGSERIAL PRIMARY KEY,
    repository_id   BIGINT NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    rule_id         BIGINT REFERENCES build_rules(id) ON DELETE SET NULL,
    source_ref      TEXT NOT NULL,
    docker_tag      TEXT NOT NULL,
    dockerfile      TEXT NOT NULL,
    context         TEXT NOT NULL,
    build_args      TEXT NOT NULL,
    -- What started it: 'manual' (with the account) or 'trigger'.
    cause           TEXT NOT NULL,
    requested_by    BIGINT REFERENCES users(id) ON DELETE SET NULL,
    -- The commit asked for (from a push payload) and the one built.
    want_commit     TEXT,
    commit_sha      TEXT,
    commit_message  TEXT,
    status          TEXT NOT NULL,
    log             TEXT NOT NULL DEFAULT '',
    error           TEXT,
    digest          TEXT,
    cancel_requested BIGINT NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    started_at      BIGINT,
    finished_at     BIGINT
);
CREATE INDEX builds_repository ON builds (repository_id, id);

-- Repositories with a linked source ("Automated"), for every listing and docker search.
ALTER TABLE repositories ADD COLUMN is_automated BIGINT NOT NULL DEFAULT 0;
-- The commit a tag was built from (cleared when a push moves the tag).
ALTER TABLE tags ADD COLUMN source_commit TEXT;
