DROP INDEX throttles_window_start_idx;
DROP INDEX periodic_runs_period_start_idx;
DROP INDEX idempotency_keys_user_id_idx;
DELETE FROM idempotency_keys WHERE user_id IS NULL OR scope <> user_id::text;
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_pkey;
ALTER TABLE idempotency_keys DROP COLUMN scope;
ALTER TABLE idempotency_keys
    ALTER COLUMN user_id SET NOT NULL,
    ADD CONSTRAINT idempotency_keys_pkey PRIMARY KEY (user_id, key);
