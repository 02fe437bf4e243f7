-- Communs: the laureate projects of the call for commons, their members (maintainers, contributors),
-- partner organisations, followers, milestones, the resources they produce, and the challenges they
-- take up.

CREATE TABLE communs (
    id               uuid PRIMARY KEY,
    slug             text NOT NULL,
    name             text NOT NULL,
    summary          text NOT NULL DEFAULT '',
    description      text NOT NULL DEFAULT '',
    description_html text NOT NULL DEFAULT '',
    website          text,
    repository       text,
    licence_policy   text NOT NULL DEFAULT '',
    logo_url         text,
    -- Theme slugs and territory ids, as organisations keep them; the scope is every territory they
    -- cover with all that contains them (a filter on a région finds the communs of its communes).
    themes           text[] NOT NULL DEFAULT '{}',
    territories      text[] NOT NULL DEFAULT '{}',
    territory_scope  text[] NOT NULL DEFAULT '{}',
    status           text NOT NULL DEFAULT 'incubating'
                     CHECK (status IN ('incubating', 'active', 'mature', 'archived')),
    cohort           smallint CHECK (cohort BETWEEN 2000 AND 2100),
    created_by       uuid REFERENCES users (id),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    search           tsvector GENERATED ALWAYS AS (
                         setweight(to_tsvector('palabre_fr', name), 'A')
                         || setweight(to_tsvector('palabre_fr', summary), 'B')
                         || setweight(to_tsvector('palabre_fr', description), 'C')) STORED,
    CONSTRAINT communs_slug_key UNIQUE (slug)
);
CREATE INDEX communs_search_idx ON communs USING gin (search);
CREATE INDEX communs_name_idx ON communs (name, id);
CREATE INDEX communs_themes_idx ON communs USING gin (themes);
CREATE INDEX communs_territory_scope_idx ON communs USING gin (territory_scope);
CREATE INDEX communs_status_idx ON communs (status, name, id);
CREATE INDEX communs_created_by_idx ON communs (created_by);

CREATE TABLE commun_members (
    commun_id  uuid NOT NULL REFERENCES communs (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       text NOT NULL CHECK (role IN ('maintainer', 'contributor')),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (commun_id, user_id)
);
CREATE INDEX commun_members_user_id_idx ON commun_members (user_id);

CREATE TABLE commun_partners (
    commun_id       uuid NOT NULL REFERENCES communs (id) ON DELETE CASCADE,
    organisation_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (commun_id, organisation_id)
);
CREATE INDEX commun_partners_organisation_id_idx ON commun_partners (organisation_id);

-- Followers, with the watch levels of threads and challenges.
CREATE TABLE commun_subscriptions (
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    commun_id  uuid NOT NULL REFERENCES communs (id) ON DELETE CASCADE,
    level      text NOT NULL CHECK (level IN ('watching', 'tracking', 'normal', 'muted')),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, commun_id)
);
CREATE INDEX commun_subscriptions_commun_id_idx ON commun_subscriptions (commun_id, level);

CREATE TABLE milestones (
    id               uuid PRIMARY KEY,
    commun_id        uuid NOT NULL REFERENCES communs (id) ON DELETE CASCADE,
    title            text NOT NULL,
    description      text NOT NULL DEFAULT '',
    description_html text NOT NULL DEFAULT '',
    planned_on       date,
    done_on          date,
    -- When it was marked reached (digests tell followers of milestones reached in their period).
    reached_at       timestamptz,
    created_by       uuid REFERENCES users (id),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX milestones_commun_idx ON milestones (commun_id, planned_on, id);
CREATE INDEX milestones_created_by_idx ON milestones (created_by);
CREATE INDEX milestones_reached_at_idx ON milestones (reached_at) WHERE reached_at IS NOT NULL;

-- What a commun produced: a typed link with a licence.
CREATE TABLE resources (
    id               uuid PRIMARY KEY,
    commun_id        uuid NOT NULL REFERENCES communs (id) ON DELETE CASCADE,
    kind             text NOT NULL
                     CHECK (kind IN ('dataset', 'software', 'standard', 'documentation', 'service')),
    title            text NOT NULL,
    url              text NOT NULL,
    licence          text NOT NULL,
    description      text NOT NULL DEFAULT '',
    description_html text NOT NULL DEFAULT '',
    created_by       uuid REFERENCES users (id),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    search           tsvector GENERATED ALWAYS AS (
                         setweight(to_tsvector('palabre_fr', title), 'A')
                         || setweight(to_tsvector('palabre_fr', description), 'B')) STORED
);
CREATE INDEX resources_search_idx ON resources USING gin (search);
CREATE INDEX resources_commun_idx ON resources (commun_id, created_at DESC, id DESC);
CREATE INDEX resources_created_by_idx ON resources (created_by);
CREATE INDEX resources_created_at_idx ON resources (created_at);

-- The challenges a commun takes up, and the resources that answered a challenge.
CREATE TABLE challenge_communs (
    challenge_id uuid NOT NULL REFERENCES challenges (id) ON DELETE CASCADE,
    commun_id    uuid NOT NULL REFERENCES communs (id) ON DELETE CASCADE,
    added_by     uuid REFERENCES users (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (challenge_id, commun_id)
);
CREATE INDEX challenge_communs_commun_id_idx ON challenge_communs (commun_id);
CREATE INDEX challenge_communs_added_by_idx ON challenge_communs (added_by);

CREATE TABLE resource_challenges (
    resource_id  uuid NOT NULL REFERENCES resources (id) ON DELETE CASCADE,
    challenge_id uuid NOT NULL REFERENCES challenges (id) ON DELETE CASCADE,
    PRIMARY KEY (resource_id, challenge_id)
);
CREATE INDEX resource_challenges_challenge_id_idx ON resource_challenges (challenge_id);

-- Followers are told of milestones reached and resources published: two kinds of notification,
-- about a commun.
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check CHECK (kind IN (
    'reply', 'mention', 'watched_reply', 'new_thread', 'accepted_answer',
    'challenge_status', 'challenge_match', 'pledge',
    'organisation_admin_handed_over', 'organisation_without_members',
    'moderation_decision', 'flag_outcome', 'held_approved', 'appeal_outcome',
    'commun_milestone', 'commun_resource'
));
ALTER TABLE notifications DROP CONSTRAINT notifications_target_type_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_target_type_check CHECK (target_type IN (
    'thread', 'post', 'challenge', 'organisation', 'user', 'held', 'commun'
));
