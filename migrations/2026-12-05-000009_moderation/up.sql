-- Moderation: visibility restrictions on content, slow mode, flags, the review queue, held drafts,
-- statements of reasons (decisions) with their appeals, watched words, and an append-only log.

-- Hidden content is out of every public read until unhidden; an archived thread is read-only and
-- out of "latest"; slow mode is a minimum gap (seconds) between two posts of one member.
ALTER TABLE posts ADD COLUMN hidden_at timestamptz;
ALTER TABLE threads ADD COLUMN hidden_at timestamptz;
ALTER TABLE threads ADD COLUMN archived_at timestamptz;
ALTER TABLE threads ADD COLUMN slow_mode_seconds integer NOT NULL DEFAULT 0
    CHECK (slow_mode_seconds BETWEEN 0 AND 86400);
ALTER TABLE challenges ADD COLUMN hidden_at timestamptz;

-- A suspended member cannot log in: the suspension's email carries a single-use appeal token.
ALTER TABLE user_tokens DROP CONSTRAINT user_tokens_purpose_check;
ALTER TABLE user_tokens ADD CONSTRAINT user_tokens_purpose_check
    CHECK (purpose IN ('verify_email', 'password_reset', 'appeal'));

-- A statement of reasons: every decision that restricts someone (EU DSA Art. 17). The DSA
-- Transparency Database's own field names and values are kept (see README, "Moderation").
CREATE TABLE decisions (
    id                                uuid PRIMARY KEY,
    -- The person concerned (the author of the content, or the member restricted).
    user_id                           uuid NOT NULL REFERENCES users (id),
    -- Who decided; NULL when the decision was automated (threshold hide, held first posts).
    actor_id                          uuid REFERENCES users (id),
    action                            text NOT NULL,
    target_type                       text NOT NULL
        CHECK (target_type IN ('post', 'thread', 'user', 'challenge', 'held')),
    target_id                         uuid NOT NULL,
    target_title                      text NOT NULL DEFAULT '',
    decision_visibility               text[] NOT NULL DEFAULT '{}',
    decision_provision                text,
    decision_account                  text,
    decision_ground                   text NOT NULL
        CHECK (decision_ground IN ('DECISION_GROUND_ILLEGAL_CONTENT',
                                   'DECISION_GROUND_INCOMPATIBLE_CONTENT')),
    decision_ground_reference_url     text,
    illegal_content_legal_ground      text,
    illegal_content_explanation       text,
    incompatible_content_ground       text,
    incompatible_content_explanation  text,
    category                          text NOT NULL,
    content_type                      text[] NOT NULL DEFAULT '{CONTENT_TYPE_TEXT}',
    content_date                      timestamptz,
    decision_facts                    text NOT NULL,
    source_type                       text NOT NULL,
    automated_detection               boolean NOT NULL,
    automated_decision                text NOT NULL
        CHECK (automated_decision IN ('AUTOMATED_DECISION_FULLY', 'AUTOMATED_DECISION_PARTIALLY',
                                      'AUTOMATED_DECISION_NOT_AUTOMATED')),
    application_date                  timestamptz NOT NULL DEFAULT now(),
    end_date                          timestamptz,
    reversed_at                       timestamptz,
    created_at                        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX decisions_user_id_idx ON decisions (user_id, created_at DESC);
CREATE INDEX decisions_actor_id_idx ON decisions (actor_id);
CREATE INDEX decisions_created_at_idx ON decisions (created_at, id);
CREATE INDEX decisions_target_idx ON decisions (target_type, target_id);

-- The review queue: one pending item per target and kind (flags aggregated per target, a held
-- draft, an appeal). Resolved items keep their resolution.
CREATE TABLE moderation_items (
    id                 uuid PRIMARY KEY,
    kind               text NOT NULL CHECK (kind IN ('flags', 'held', 'appeal')),
    target_type        text NOT NULL
        CHECK (target_type IN ('post', 'thread', 'user', 'challenge', 'held', 'decision')),
    target_id          uuid NOT NULL,
    status             text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'resolved')),
    flag_count         integer NOT NULL DEFAULT 0,
    auto_hidden        boolean NOT NULL DEFAULT false,
    claimed_by         uuid REFERENCES users (id),
    claimed_at         timestamptz,
    resolution         text CHECK (resolution IN ('approve', 'reject', 'hide', 'delete', 'dismiss')),
    resolution_reason  text,
    resolved_by        uuid REFERENCES users (id),
    resolved_at        timestamptz,
    decision_id        uuid REFERENCES decisions (id),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX moderation_items_pending_key ON moderation_items (kind, target_type, target_id)
    WHERE status = 'pending';
CREATE INDEX moderation_items_queue_idx ON moderation_items (status, created_at, id);
CREATE INDEX moderation_items_target_idx ON moderation_items (target_type, target_id);
CREATE INDEX moderation_items_claimed_by_idx ON moderation_items (claimed_by);
CREATE INDEX moderation_items_resolved_by_idx ON moderation_items (resolved_by);
CREATE INDEX moderation_items_decision_id_idx ON moderation_items (decision_id);

-- Flags (DSA Art. 16 notices when the reason is `illegal`): one per member and target; a second
-- one from the same member updates the first.
CREATE TABLE flags (
    id           uuid PRIMARY KEY,
    item_id      uuid NOT NULL REFERENCES moderation_items (id),
    flagger_id   uuid NOT NULL REFERENCES users (id),
    target_type  text NOT NULL CHECK (target_type IN ('post', 'thread', 'user', 'challenge')),
    target_id    uuid NOT NULL,
    reason       text NOT NULL
        CHECK (reason IN ('spam', 'inappropriate', 'off_topic', 'illegal', 'other')),
    message      text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT flags_one_per_member UNIQUE (flagger_id, target_type, target_id)
);
CREATE INDEX flags_item_id_idx ON flags (item_id);
CREATE INDEX flags_target_idx ON flags (target_type, target_id);

-- Drafts held for approval (a new member's first posts, watched words): nothing of them is in
-- threads or posts until approved, so no public read can see them.
CREATE TABLE held_drafts (
    id           uuid PRIMARY KEY,
    author_id    uuid NOT NULL REFERENCES users (id),
    kind         text NOT NULL CHECK (kind IN ('thread', 'post')),
    thread_id    uuid REFERENCES threads (id),
    title        text NOT NULL DEFAULT '',
    body         text NOT NULL,
    draft        jsonb NOT NULL,
    held_for     text NOT NULL,
    status       text NOT NULL DEFAULT 'held' CHECK (status IN ('held', 'approved', 'rejected')),
    published_id uuid,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX held_drafts_author_id_idx ON held_drafts (author_id, created_at DESC);
CREATE INDEX held_drafts_thread_id_idx ON held_drafts (thread_id);

-- Appeals (DSA Art. 20): once per decision, by the person concerned.
CREATE TABLE appeals (
    id           uuid PRIMARY KEY,
    decision_id  uuid NOT NULL UNIQUE REFERENCES decisions (id),
    user_id      uuid NOT NULL REFERENCES users (id),
    message      text NOT NULL,
    status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'upheld', 'reversed')),
    resolved_by  uuid REFERENCES users (id),
    reason       text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    resolved_at  timestamptz
);
CREATE INDEX appeals_user_id_idx ON appeals (user_id);
CREATE INDEX appeals_resolved_by_idx ON appeals (resolved_by);

-- Watched words: a word (matched as a whole word, case and accents folded) or a regular
-- expression; `block` refuses the text, `hold` holds it for approval, `replace` rewrites it.
CREATE TABLE watched_words (
    id           uuid PRIMARY KEY,
    pattern      text NOT NULL,
    is_regex     boolean NOT NULL DEFAULT false,
    action       text NOT NULL CHECK (action IN ('block', 'hold', 'replace')),
    replacement  text,
    created_by   uuid REFERENCES users (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT watched_words_pattern_key UNIQUE (pattern, is_regex),
    CHECK ((action = 'replace') = (replacement IS NOT NULL))
);
CREATE INDEX watched_words_created_by_idx ON watched_words (created_by);

-- The log names the decision an action took, and is append-only.
ALTER TABLE moderation_log ADD COLUMN decision_id uuid REFERENCES decisions (id);
CREATE INDEX moderation_log_decision_id_idx ON moderation_log (decision_id);
CREATE INDEX moderation_log_action_idx ON moderation_log (action, created_at DESC, id DESC);

CREATE FUNCTION moderation_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'moderation_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER moderation_log_append_only BEFORE UPDATE OR DELETE ON moderation_log
    FOR EACH ROW EXECUTE FUNCTION moderation_log_append_only();
CREATE TRIGGER moderation_log_no_truncate BEFORE TRUNCATE ON moderation_log
    FOR EACH STATEMENT EXECUTE FUNCTION moderation_log_append_only();
