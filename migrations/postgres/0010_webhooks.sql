-- Webhooks of a repository, and their delivery log. A delivery is one event for one webhook
-- (its body kept exactly as signed); each attempt to send it is a row of its own.
CREATE TABLE webhooks (
    id            BIGSERIAL PRIMARY KEY,
    repository_id BIGINT NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    url           TEXT NOT NULL,
    -- Comma-separated event names.
    events        TEXT NOT NULL,
    secret        TEXT,
    active        BIGINT NOT NULL DEFAULT 1,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX webhooks_repository ON webhooks (repository_id);

-- state: 'pending', 'delivered', 'retrying', 'failed' (given up) or 'refused' (the guard).
CREATE TABLE webhook_deliveries (
    id          BIGSERIAL PRIMARY KEY,
    webhook_id  BIGINT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    delivery_id TEXT NOT NULL,
    event       TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    state       TEXT NOT NULL,
    last_status BIGINT
);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id);

CREATE TABLE webhook_attempts (
    id              BIGSERIAL PRIMARY KEY,
    delivery_row    BIGINT NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
    attempted_at    BIGINT NOT NULL,
    duration_ms     BIGINT NOT NULL,
    request_headers TEXT NOT NULL,
    status          BIGINT,
    response_body   TEXT NOT NULL,
    error           TEXT
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_row, id);
