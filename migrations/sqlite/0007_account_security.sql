-- Account security: personal access tokens, two-factor authentication with recovery codes, names
-- that can never be taken again, rate-limit counters shared by replicas, and the activity log.
CREATE TABLE access_tokens (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id         BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    description     TEXT NOT NULL,
    token_hash      TEXT NOT NULL UNIQUE,
    -- public_read, read, read_write or read_write_delete
    level           TEXT NOT NULL,
    -- NAMESPACE or NAMESPACE/NAME entries, space-separated; empty: every repository
    limits          TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT,
    active          BIGINT NOT NULL DEFAULT 1,
    last_used_at    BIGINT,
    last_used_ip    TEXT,
    last_used_agent TEXT
);
CREATE INDEX access_tokens_user ON access_tokens (user_id);

-- A refresh token (docker login) made with an access token acts with that token's rights.
ALTER TABLE user_tokens ADD COLUMN access_token_id BIGINT REFERENCES access_tokens(id) ON DELETE CASCADE;
-- What a one-time link carries besides its purpose (the new address of an email change).
ALTER TABLE user_tokens ADD COLUMN data TEXT;

-- TOTP secrets (base32): the one in use, and one being set up until its first code is entered.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_pending TEXT;
-- The time step of the last code accepted, so a code works once.
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;

CREATE TABLE recovery_codes (
    user_id   BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at   BIGINT,
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE retired_names (
    name       TEXT PRIMARY KEY,
    retired_at BIGINT NOT NULL
);

CREATE TABLE rate_counts (
    bucket       TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    count        BIGINT NOT NULL,
    PRIMARY KEY (bucket, window_start)
);

CREATE TABLE activity (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    at      BIGINT NOT NULL,
    kind    TEXT NOT NULL,
    detail  TEXT NOT NULL DEFAULT '',
    ip      TEXT
);
CREATE INDEX activity_user ON activity (user_id, at);
