-- Accounts, one-time tokens and the mail queue. Times are Unix seconds; flags are 0/1 integers
-- so that the same queries serve SQLite and PostgreSQL.
CREATE TABLE users (
    id                 BIGSERIAL PRIMARY KEY,
    username           TEXT NOT NULL UNIQUE,
    email              TEXT NOT NULL,
    email_lower        TEXT NOT NULL UNIQUE,
    password_hash      TEXT NOT NULL,
    email_confirmed_at BIGINT,
    is_admin           BIGINT NOT NULL DEFAULT 0,
    session_generation BIGINT NOT NULL DEFAULT 0,
    created_at         BIGINT NOT NULL
);

CREATE TABLE user_tokens (
    id         BIGSERIAL PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX user_tokens_user_purpose ON user_tokens (user_id, purpose);

CREATE TABLE mail_queue (
    id              BIGSERIAL PRIMARY KEY,
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body_text       TEXT NOT NULL,
    body_html       TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    locked_until    BIGINT NOT NULL DEFAULT 0,
    sent_at         BIGINT,
    last_error      TEXT
);
CREATE INDEX mail_queue_due ON mail_queue (sent_at, next_attempt_at);
