-- Accounts: sessions with rotating refresh tokens, single-use email tokens, login throttling,
-- organisations and their members, and the moderation log (role changes now; moderation later).

ALTER TABLE users
    ADD COLUMN silenced_until   timestamptz,
    ADD COLUMN suspended_until  timestamptz,
    -- Counters kept by the features that write threads, replies and challenges, in their transaction.
    ADD COLUMN thread_count     integer NOT NULL DEFAULT 0,
    ADD COLUMN reply_count      integer NOT NULL DEFAULT 0,
    ADD COLUMN challenge_count  integer NOT NULL DEFAULT 0;

CREATE TABLE sessions (
    id            uuid PRIMARY KEY,
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz NOT NULL DEFAULT now(),
    -- The refresh token's lifetime; refreshing slides it.
    expires_at    timestamptz NOT NULL,
    revoked_at    timestamptz,
    user_agent    text,
    ip            text
);
CREATE INDEX sessions_user_id_idx ON sessions (user_id);

-- Refresh tokens are stored only as SHA-256 hashes. A used one stays (with used_at) so that its reuse
-- can be recognised and the session revoked.
CREATE TABLE refresh_tokens (
    token_hash  text PRIMARY KEY,
    session_id  uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    used_at     timestamptz
);
CREATE INDEX refresh_tokens_session_id_idx ON refresh_tokens (session_id);

-- Single-use tokens sent by email (verification, password reset), stored as hashes.
CREATE TABLE user_tokens (
    token_hash  text PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose     text NOT NULL CHECK (purpose IN ('verify_email', 'password_reset')),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX user_tokens_user_id_idx ON user_tokens (user_id);

-- Fixed-window failure counters (login per account and per client address).
CREATE TABLE throttles (
    key           text PRIMARY KEY,
    window_start  timestamptz NOT NULL,
    failures      integer NOT NULL
);

CREATE TABLE organisations (
    id            uuid PRIMARY KEY,
    name          text NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('public', 'private', 'association', 'research')),
    website       text,
    description   text NOT NULL DEFAULT '',
    created_by    uuid REFERENCES users (id) ON DELETE SET NULL,
    member_count  integer NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX organisations_lower_name_key ON organisations (lower(name));
CREATE INDEX organisations_created_by_idx ON organisations (created_by);
-- Lists are ordered by name, keyset-paginated on (name, id).
CREATE INDEX organisations_name_id_idx ON organisations (name, id);

CREATE TABLE organisation_members (
    organisation_id  uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    user_id          uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role             text NOT NULL CHECK (role IN ('admin', 'member')),
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organisation_id, user_id)
);
CREATE INDEX organisation_members_user_id_idx ON organisation_members (user_id);

-- Every moderation and administration action: who, what, on what, why, when.
CREATE TABLE moderation_log (
    id           uuid PRIMARY KEY,
    actor_id     uuid REFERENCES users (id) ON DELETE SET NULL,
    action       text NOT NULL,
    target_type  text NOT NULL,
    target_id    uuid NOT NULL,
    reason       text,
    details      jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX moderation_log_actor_id_idx ON moderation_log (actor_id);
CREATE INDEX moderation_log_created_at_idx ON moderation_log (created_at DESC, id DESC);
CREATE INDEX moderation_log_target_idx ON moderation_log (target_type, target_id);
