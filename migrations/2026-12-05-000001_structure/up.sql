-- Idempotency keys for every create, anonymous ones included (registration): a key is scoped to a
-- member (their id) or to `anonymous`; `user_id` says whose personal data the stored response is
-- (erasure removes it), and is NULL for an anonymous create that made no member.
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_pkey;
ALTER TABLE idempotency_keys ADD COLUMN scope text;
UPDATE idempotency_keys SET scope = user_id::text;
ALTER TABLE idempotency_keys
    ALTER COLUMN scope SET NOT NULL,
    ALTER COLUMN user_id DROP NOT NULL,
    ADD CONSTRAINT idempotency_keys_pkey PRIMARY KEY (scope, key);
CREATE INDEX idempotency_keys_user_id_idx ON idempotency_keys (user_id);

-- Housekeeping removes periodic runs older than a week.
CREATE INDEX periodic_runs_period_start_idx ON periodic_runs (period_start);
-- ... and throttle windows that ended long ago.
CREATE INDEX throttles_window_start_idx ON throttles (window_start);
