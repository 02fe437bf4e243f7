-- Background jobs: a PostgreSQL queue. A worker claims a job with FOR UPDATE SKIP LOCKED and holds the
-- row lock while the job runs (a crashed worker releases it); a finished job is deleted in the
-- transaction of its work; a job out of attempts stays as `failed` for inspection.
CREATE TABLE jobs (
    id            uuid PRIMARY KEY,
    kind          text NOT NULL,
    payload       jsonb NOT NULL DEFAULT '{}'::jsonb,
    status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'failed')),
    attempts      integer NOT NULL DEFAULT 0,
    -- NULL: the worker's configured maximum (PALABRE_JOB_MAX_ATTEMPTS).
    max_attempts  integer CHECK (max_attempts > 0),
    run_at        timestamptz NOT NULL DEFAULT now(),
    last_error    text,
    -- Optional de-duplication key: at most one queued or failed job per key.
    unique_key    text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    failed_at     timestamptz,
    CONSTRAINT jobs_unique_key_key UNIQUE (unique_key)
);
-- The dequeue scan: due pending jobs in order.
CREATE INDEX jobs_pending_run_at_idx ON jobs (run_at, id) WHERE status = 'pending';
CREATE INDEX jobs_failed_idx ON jobs (failed_at) WHERE status = 'failed';

-- One row per periodic job and period: the primary key makes "at most once per period" hold however
-- many schedulers run.
CREATE TABLE periodic_runs (
    name          text NOT NULL,
    period_start  timestamptz NOT NULL,
    enqueued_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (name, period_start)
);

-- Email outbox: every message is written here in the transaction that caused it, then delivered by
-- the `send_email` job. `sent_at` makes delivery idempotent when a job runs twice.
CREATE TABLE outbox (
    id            uuid PRIMARY KEY,
    message_id    text NOT NULL,
    to_address    text NOT NULL,
    subject       text NOT NULL,
    body_text     text NOT NULL,
    body_html     text NOT NULL,
    headers       jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at    timestamptz NOT NULL DEFAULT now(),
    sent_at       timestamptz,
    CONSTRAINT outbox_message_id_key UNIQUE (message_id)
);
CREATE INDEX outbox_unsent_idx ON outbox (created_at) WHERE sent_at IS NULL;
