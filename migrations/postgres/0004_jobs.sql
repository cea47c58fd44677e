-- One durable queue for all background work (mail now; webhooks, builds and garbage collection
-- later). A worker leases a due job (`locked_until`), runs it, and marks it finished or due again
-- with a backoff; after about a day of failures it is marked failed. Pending mail moves over.
CREATE TABLE jobs (
    id           BIGSERIAL PRIMARY KEY,
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    run_at       BIGINT NOT NULL,
    attempts     BIGINT NOT NULL DEFAULT 0,
    locked_until BIGINT NOT NULL DEFAULT 0,
    finished_at  BIGINT,
    failed_at    BIGINT,
    last_error   TEXT
);
CREATE INDEX jobs_due ON jobs (finished_at, run_at);

INSERT INTO jobs (kind, payload, created_at, run_at, attempts, last_error)
SELECT 'mail',
       json_build_object('Mail', json_build_object('to', recipient, 'subject', subject, 'text', body_text, 'html', body_html))::TEXT,
       created_at, next_attempt_at, attempts, last_error
FROM mail_queue WHERE sent_at IS NULL;

DROP TABLE mail_queue;
