-- Discussions: categories, tags, threads, posts (the opening post is number 1), revisions, reactions,
-- subscriptions, notifications, idempotency keys; French full-text search with unaccent.

CREATE EXTENSION IF NOT EXISTS unaccent;

-- UUIDv7 (time-ordered) for rows created in SQL, e.g. notification fan-out (PostgreSQL 18 has
-- uuidv7(); this works from 13 on): a random v4 with its first 48 bits replaced by the Unix time in
-- milliseconds and the version nibble set to 7.
CREATE FUNCTION uuid_generate_v7() RETURNS uuid AS $$
    SELECT encode(
        set_bit(
            set_bit(
                overlay(uuid_send(gen_random_uuid())
                        PLACING substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
                        FROM 1 FOR 6),
                52, 1),
            53, 1),
        'hex')::uuid
$$ LANGUAGE sql VOLATILE;
-- French stemming after accent folding: "forets" finds "forêts", "cartographier" finds "cartographie".
CREATE TEXT SEARCH CONFIGURATION palabre_fr (COPY = french);
ALTER TEXT SEARCH CONFIGURATION palabre_fr
    ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem;

CREATE TABLE categories (
    id             uuid PRIMARY KEY,
    slug           text NOT NULL,
    name           text NOT NULL,
    description    text NOT NULL DEFAULT '',
    color          text NOT NULL DEFAULT '#2f7d4f' CHECK (color ~ '^#[0-9a-fA-F]{6}$'),
    parent_id      uuid REFERENCES categories (id) ON DELETE RESTRICT,
    position       integer NOT NULL DEFAULT 0,
    who_can_start  text NOT NULL DEFAULT 'everyone' CHECK (who_can_start IN ('everyone', 'staff')),
    thread_count   integer NOT NULL DEFAULT 0,
    post_count     integer NOT NULL DEFAULT 0,
    created_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT categories_slug_key UNIQUE (slug)
);
CREATE INDEX categories_parent_id_idx ON categories (parent_id);
CREATE INDEX categories_position_idx ON categories (position, name);

CREATE TABLE tags (
    id          uuid PRIMARY KEY,
    slug        text NOT NULL,
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT tags_slug_key UNIQUE (slug)
);

CREATE TABLE threads (
    id                 uuid PRIMARY KEY,
    category_id        uuid NOT NULL REFERENCES categories (id) ON DELETE RESTRICT,
    author_id          uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    title              text NOT NULL,
    kind               text NOT NULL DEFAULT 'discussion' CHECK (kind IN ('discussion', 'question')),
    pinned             boolean NOT NULL DEFAULT false,
    locked             boolean NOT NULL DEFAULT false,
    reply_count        integer NOT NULL DEFAULT 0,
    participant_count  integer NOT NULL DEFAULT 1,
    reaction_count     integer NOT NULL DEFAULT 0,
    -- Stored rank for sort=top: replies and reactions, kept in the writing transaction.
    score              integer NOT NULL DEFAULT 0,
    last_activity_at   timestamptz NOT NULL DEFAULT now(),
    last_poster_id     uuid REFERENCES users (id) ON DELETE SET NULL,
    accepted_post_id   uuid,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    search             tsvector GENERATED ALWAYS AS (to_tsvector('palabre_fr', title)) STORED
);
-- Keyset indexes for each sort, overall and per category.
CREATE INDEX threads_latest_idx ON threads (created_at DESC, id DESC);
CREATE INDEX threads_active_idx ON threads (last_activity_at DESC, id DESC);
CREATE INDEX threads_top_idx ON threads (score DESC, id DESC);
CREATE INDEX threads_category_latest_idx ON threads (category_id, created_at DESC, id DESC);
CREATE INDEX threads_category_active_idx ON threads (category_id, last_activity_at DESC, id DESC);
CREATE INDEX threads_category_top_idx ON threads (category_id, score DESC, id DESC);
CREATE INDEX threads_author_idx ON threads (author_id, created_at DESC, id DESC);
CREATE INDEX threads_last_poster_id_idx ON threads (last_poster_id);
CREATE INDEX threads_search_idx ON threads USING gin (search);

CREATE TABLE thread_tags (
    thread_id  uuid NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    tag_id     uuid NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (thread_id, tag_id)
);
CREATE INDEX thread_tags_tag_id_idx ON thread_tags (tag_id, thread_id);

CREATE TABLE posts (
    id               uuid PRIMARY KEY,
    thread_id        uuid NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    number           integer NOT NULL,
    author_id        uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    reply_to_id      uuid REFERENCES posts (id) ON DELETE SET NULL,
    body             text NOT NULL,
    body_html        text NOT NULL,
    reaction_counts  jsonb NOT NULL DEFAULT '{}'::jsonb,
    edited_at        timestamptz,
    deleted_at       timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    search           tsvector GENERATED ALWAYS AS (to_tsvector('palabre_fr', body)) STORED,
    CONSTRAINT posts_thread_number_key UNIQUE (thread_id, number)
);
CREATE INDEX posts_author_id_idx ON posts (author_id, created_at DESC);
CREATE INDEX posts_reply_to_id_idx ON posts (reply_to_id);
CREATE INDEX posts_search_idx ON posts USING gin (search);

ALTER TABLE threads
    ADD CONSTRAINT threads_accepted_post_id_fkey FOREIGN KEY (accepted_post_id) REFERENCES posts (id) ON DELETE SET NULL;
CREATE INDEX threads_accepted_post_id_idx ON threads (accepted_post_id);

CREATE TABLE post_revisions (
    id             uuid PRIMARY KEY,
    post_id        uuid NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    editor_id      uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    previous_body  text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX post_revisions_post_id_idx ON post_revisions (post_id, created_at);
CREATE INDEX post_revisions_editor_id_idx ON post_revisions (editor_id);

CREATE TABLE post_reactions (
    post_id     uuid NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('like', 'thanks', 'insightful', 'agree', 'laugh', 'celebrate')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (post_id, user_id, kind)
);
CREATE INDEX post_reactions_user_id_idx ON post_reactions (user_id);

-- Watch levels: watching (notified of every reply), tracking (unread, no notification),
-- normal (mentions and direct replies), muted (nothing; hidden from lists and digests).
CREATE TABLE thread_subscriptions (
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    thread_id   uuid NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    level       text NOT NULL CHECK (level IN ('watching', 'tracking', 'normal', 'muted')),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, thread_id)
);
CREATE INDEX thread_subscriptions_thread_id_idx ON thread_subscriptions (thread_id, level);

CREATE TABLE category_subscriptions (
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    category_id  uuid NOT NULL REFERENCES categories (id) ON DELETE CASCADE,
    level        text NOT NULL CHECK (level IN ('watching', 'tracking', 'normal', 'muted')),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, category_id)
);
CREATE INDEX category_subscriptions_category_id_idx ON category_subscriptions (category_id, level);

-- Every feature notifies through this table (challenges, pledges and moderation add kinds).
CREATE TABLE notifications (
    id            uuid PRIMARY KEY,
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind          text NOT NULL,
    actor_id      uuid REFERENCES users (id) ON DELETE SET NULL,
    target_type   text NOT NULL,
    target_id     uuid NOT NULL,
    target_title  text NOT NULL,
    -- The post that caused it, for replies and mentions (links land on it).
    post_id       uuid REFERENCES posts (id) ON DELETE CASCADE,
    decision_id   uuid,
    created_at    timestamptz NOT NULL DEFAULT now(),
    read_at       timestamptz
);
CREATE INDEX notifications_user_idx ON notifications (user_id, created_at DESC, id DESC);
CREATE INDEX notifications_unread_idx ON notifications (user_id) WHERE read_at IS NULL;
CREATE INDEX notifications_actor_id_idx ON notifications (actor_id);
CREATE INDEX notifications_post_id_idx ON notifications (post_id);

-- Idempotency-Key: the first response to a create, replayed for retries by the same member.
CREATE TABLE idempotency_keys (
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key         text NOT NULL,
    request     text NOT NULL,
    status      smallint NOT NULL,
    location    text,
    body        jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at);
