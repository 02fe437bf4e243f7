-- Challenges (défis): public-policy problems that open geodata could solve, with their lifecycle,
-- supports, followers, organisations' pledges, and the interests organisations declare.

-- What organisations work on: theme slugs, territory ids, and the scope those territories cover (each
-- one's path: itself and what contains it), kept with them so that matching is one statement.
ALTER TABLE organisations
    ADD COLUMN themes text[] NOT NULL DEFAULT '{}',
    ADD COLUMN territories text[] NOT NULL DEFAULT '{}',
    ADD COLUMN territory_scope text[] NOT NULL DEFAULT '{}';
CREATE INDEX organisations_themes_idx ON organisations USING gin (themes);

CREATE TABLE challenges (
    id                 uuid PRIMARY KEY,
    title              text NOT NULL,
    summary            text NOT NULL,
    problem            text NOT NULL,
    problem_html       text NOT NULL,
    impact             text NOT NULL DEFAULT '',
    impact_html        text NOT NULL DEFAULT '',
    status             text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'submitted',
                           'under_review', 'open', 'in_progress', 'solved', 'rejected', 'withdrawn',
                           'closed')),
    -- Theme slugs (themes are never deleted, only retired).
    themes             text[] NOT NULL CHECK (cardinality(themes) BETWEEN 1 AND 3),
    territory_id       text NOT NULL REFERENCES territories (id),
    -- The territory's path, kept here: `territory_path @> '{fr:region:53}'` finds what lies in 53.
    territory_path     text[] NOT NULL,
    -- An RFC 7946 geometry (Point, LineString, Polygon, MultiPolygon), and its bounding box.
    location           jsonb,
    bbox               box,
    proposer_id        uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    organisation_id    uuid REFERENCES organisations (id) ON DELETE SET NULL,
    -- The discussion thread, created when the challenge leaves draft.
    thread_id          uuid REFERENCES threads (id) ON DELETE SET NULL,
    supports_count     integer NOT NULL DEFAULT 0,
    pledges_count      integer NOT NULL DEFAULT 0,
    -- Changes of the challenge, its supports, pledges and replies in its thread (trigger below).
    last_activity_at   timestamptz NOT NULL DEFAULT now(),
    status_changed_at  timestamptz NOT NULL DEFAULT now(),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    search             tsvector GENERATED ALWAYS AS (
                           setweight(to_tsvector('palabre_fr', title), 'A')
                           || setweight(to_tsvector('palabre_fr', summary), 'B')
                           || setweight(to_tsvector('palabre_fr', problem), 'C')) STORED,
    CONSTRAINT challenges_thread_id_key UNIQUE (thread_id)
);
-- Keyset indexes for each sort, overall and per status.
CREATE INDEX challenges_supports_idx ON challenges (supports_count DESC, id DESC);
CREATE INDEX challenges_newest_idx ON challenges (created_at DESC, id DESC);
CREATE INDEX challenges_activity_idx ON challenges (last_activity_at DESC, id DESC);
CREATE INDEX challenges_status_supports_idx ON challenges (status, supports_count DESC, id DESC);
CREATE INDEX challenges_status_newest_idx ON challenges (status, created_at DESC, id DESC);
CREATE INDEX challenges_status_activity_idx ON challenges (status, last_activity_at DESC, id DESC);
CREATE INDEX challenges_themes_idx ON challenges USING gin (themes);
CREATE INDEX challenges_territory_path_idx ON challenges USING gin (territory_path);
CREATE INDEX challenges_bbox_idx ON challenges USING gist (bbox);
CREATE INDEX challenges_search_idx ON challenges USING gin (search);
CREATE INDEX challenges_territory_id_idx ON challenges (territory_id);
CREATE INDEX challenges_proposer_id_idx ON challenges (proposer_id, created_at DESC);
CREATE INDEX challenges_organisation_id_idx ON challenges (organisation_id);

-- Every move of the lifecycle: who, from, to, the public note, when (creation is from NULL).
CREATE TABLE challenge_transitions (
    id            uuid PRIMARY KEY,
    challenge_id  uuid NOT NULL REFERENCES challenges (id) ON DELETE CASCADE,
    actor_id      uuid REFERENCES users (id) ON DELETE SET NULL,
    from_status   text,
    to_status     text NOT NULL,
    note          text,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX challenge_transitions_challenge_idx ON challenge_transitions (challenge_id, created_at, id);
CREATE INDEX challenge_transitions_actor_id_idx ON challenge_transitions (actor_id);

CREATE TABLE challenge_supports (
    challenge_id  uuid NOT NULL REFERENCES challenges (id) ON DELETE CASCADE,
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (challenge_id, user_id)
);
CREATE INDEX challenge_supports_user_id_idx ON challenge_supports (user_id);

-- Watch levels on challenges (same levels as threads).
CREATE TABLE challenge_subscriptions (
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    challenge_id  uuid NOT NULL REFERENCES challenges (id) ON DELETE CASCADE,
    level         text NOT NULL CHECK (level IN ('watching', 'tracking', 'normal', 'muted')),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, challenge_id)
);
CREATE INDEX challenge_subscriptions_challenge_idx ON challenge_subscriptions (challenge_id, level);

-- What an organisation offers a challenge, in its name.
CREATE TABLE pledges (
    id               uuid PRIMARY KEY,
    challenge_id     uuid NOT NULL REFERENCES challenges (id) ON DELETE CASCADE,
    organisation_id  uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    author_id        uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    kind             text NOT NULL CHECK (kind IN ('funding', 'data', 'code', 'expertise',
                         'equipment', 'testing')),
    message          text NOT NULL,
    message_html     text NOT NULL,
    status           text NOT NULL DEFAULT 'offered' CHECK (status IN ('offered', 'accepted',
                         'declined', 'withdrawn', 'delivered')),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX pledges_challenge_idx ON pledges (challenge_id, created_at, id);
CREATE INDEX pledges_organisation_idx ON pledges (organisation_id, created_at DESC, id DESC);
CREATE INDEX pledges_author_id_idx ON pledges (author_id);

CREATE TABLE pledge_events (
    id           uuid PRIMARY KEY,
    pledge_id    uuid NOT NULL REFERENCES pledges (id) ON DELETE CASCADE,
    actor_id     uuid REFERENCES users (id) ON DELETE SET NULL,
    from_status  text,
    to_status    text NOT NULL,
    note         text,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX pledge_events_pledge_idx ON pledge_events (pledge_id, created_at, id);
CREATE INDEX pledge_events_actor_id_idx ON pledge_events (actor_id);

-- The category of the challenges' threads (PALABRE_CHALLENGES_CATEGORY names it; `defis` by
-- default). Staff only: members discuss a challenge in the thread made with it.
INSERT INTO categories (id, slug, name, description, color, position, who_can_start)
VALUES (uuid_generate_v7(), 'defis', 'Défis',
        'Un fil de discussion par défi proposé à la communauté.', '#b35c00', 5, 'staff')
ON CONFLICT (slug) DO NOTHING;

-- A reply in a challenge's thread is activity of the challenge. The WHEN clause is evaluated
-- without a query, so replies to other threads pay nothing for it.
CREATE FUNCTION challenges_follow_thread_activity() RETURNS trigger AS $$
BEGIN
    UPDATE challenges SET last_activity_at = NEW.last_activity_at
    WHERE id = NEW.subject_id AND last_activity_at < NEW.last_activity_at;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER threads_challenge_activity
    AFTER UPDATE OF last_activity_at ON threads
    FOR EACH ROW WHEN (NEW.subject_type = 'challenge')
    EXECUTE FUNCTION challenges_follow_thread_activity();
