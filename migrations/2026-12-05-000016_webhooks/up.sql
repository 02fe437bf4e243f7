-- Outgoing webhooks: endpoints registered by administrators for event kinds, each with its secret;
-- one delivery per endpoint and event, with its log (attempts, response code, duration).
CREATE TABLE webhooks (
    id              uuid PRIMARY KEY,
    url             text NOT NULL,
    events          text[] NOT NULL,
    -- `whsec_` and the base64 of the signing key, as the Standard Webhooks specification writes it.
    secret          text NOT NULL,
    enabled         boolean NOT NULL DEFAULT true,
    disabled_reason text,
    -- The first failure of the current run of failures (a day of them disables the hook).
    failing_since   timestamptz,
    -- Consecutive failed attempts, and when the next attempt may reach the endpoint: while it is
    -- failing, one delivery at a time tries it (the others wait), so that a dead endpoint does not
    -- hold the job workers for a timeout per queued delivery.
    failures        integer NOT NULL DEFAULT 0,
    retry_after     timestamptz,
    created_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhooks_created_by_idx ON webhooks (created_by);

CREATE TABLE webhook_deliveries (
    id              uuid PRIMARY KEY,
    webhook_id      uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    -- The event's id, the same for every endpoint (the `webhook-id` header), and its type.
    event_id        uuid NOT NULL,
    event_type      text NOT NULL,
    -- What the event is about, to withhold it if that is hidden or deleted when it is sent.
    subject_type    text CHECK (subject_type IN ('thread', 'post', 'challenge', 'resource')),
    subject_id      uuid,
    -- The JSON body, exactly as it is signed and sent.
    body            text NOT NULL,
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'delivered', 'failed', 'withheld')),
    attempts        integer NOT NULL DEFAULT 0,
    response_code   integer,
    duration_ms     integer,
    last_error      text,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    created_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz,
    CONSTRAINT webhook_deliveries_event_key UNIQUE (webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_log_idx ON webhook_deliveries (webhook_id, id DESC);
CREATE INDEX webhook_deliveries_finished_idx ON webhook_deliveries (created_at) WHERE status <> 'pending';
CREATE INDEX webhook_deliveries_pending_idx ON webhook_deliveries (webhook_id) WHERE status = 'pending';

-- Queues an event for every enabled endpoint that asked for its type, in the writing transaction:
-- a delivery row and a job (`webhook_delivery`) that sends it.
CREATE FUNCTION webhook_emit(p_type text, p_subject_type text, p_subject_id uuid, p_data jsonb)
RETURNS void AS $$
DECLARE
    ev uuid := uuid_generate_v7();
    v_delivery uuid;
    hook record;
    v_body text := jsonb_build_object(
        'id', ev, 'type', p_type,
        'timestamp', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'data', p_data)::text;
BEGIN
    FOR hook IN SELECT id FROM webhooks WHERE enabled AND p_type = ANY (events) LOOP
        v_delivery := uuid_generate_v7();
        INSERT INTO webhook_deliveries (id, webhook_id, event_id, event_type, subject_type, subject_id, body)
        VALUES (v_delivery, hook.id, ev, p_type, p_subject_type, p_subject_id, v_body);
        INSERT INTO jobs (id, kind, payload)
        VALUES (uuid_generate_v7(), 'webhook_delivery', jsonb_build_object('delivery_id', v_delivery));
    END LOOP;
END;
$$ LANGUAGE plpgsql;

-- Whether an endpoint wants `p_type` (the triggers build no payload otherwise).
CREATE FUNCTION webhook_wanted(p_type text) RETURNS boolean AS $$
    SELECT EXISTS (SELECT 1 FROM webhooks WHERE enabled AND p_type = ANY (events));
$$ LANGUAGE sql STABLE;

-- The events, from the tables the features write: no feature needs to know about webhooks.
CREATE FUNCTION webhook_on_thread() RETURNS trigger AS $$
DECLARE
    v_kind text := CASE WHEN NEW.kind = 'news' THEN 'commun.news' ELSE 'thread.created' END;
BEGIN
    IF webhook_wanted(v_kind) THEN
        PERFORM webhook_emit(v_kind, 'thread', NEW.id, jsonb_build_object(
            'thread_id', NEW.id, 'title', NEW.title, 'kind', NEW.kind,
            'category', (SELECT slug FROM categories WHERE id = NEW.category_id),
            'commun', (SELECT c.slug FROM categories g JOIN communs c ON c.id = g.commun_id
                       WHERE g.id = NEW.category_id),
            'author', (SELECT username FROM users WHERE id = NEW.author_id),
            'created_at', NEW.created_at));
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER webhook_thread AFTER INSERT ON threads FOR EACH ROW EXECUTE FUNCTION webhook_on_thread();

CREATE FUNCTION webhook_on_post() RETURNS trigger AS $$
BEGIN
    IF webhook_wanted('post.created') THEN
        PERFORM webhook_emit('post.created', 'post', NEW.id, jsonb_build_object(
            'post_id', NEW.id, 'thread_id', NEW.thread_id, 'number', NEW.number,
            'thread_title', (SELECT title FROM threads WHERE id = NEW.thread_id),
            'author', (SELECT username FROM users WHERE id = NEW.author_id),
            'body', NEW.body, 'reply_to', NEW.reply_to_id, 'created_at', NEW.created_at));
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
-- Replies only: an opening post comes with its thread's event.
CREATE TRIGGER webhook_post AFTER INSERT ON posts FOR EACH ROW WHEN (NEW.number > 1)
    EXECUTE FUNCTION webhook_on_post();

CREATE FUNCTION webhook_on_challenge_transition() RETURNS trigger AS $$
BEGIN
    IF webhook_wanted('challenge.status_changed') THEN
        PERFORM webhook_emit('challenge.status_changed', 'challenge', NEW.challenge_id, jsonb_build_object(
            'challenge_id', NEW.challenge_id,
            'title', (SELECT title FROM challenges WHERE id = NEW.challenge_id),
            'from', NEW.from_status, 'to', NEW.to_status, 'note', NEW.note,
            'created_at', NEW.created_at));
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER webhook_challenge_transition AFTER INSERT ON challenge_transitions FOR EACH ROW
    EXECUTE FUNCTION webhook_on_challenge_transition();

CREATE FUNCTION webhook_on_pledge_event() RETURNS trigger AS $$
DECLARE
    p record;
BEGIN
    IF webhook_wanted('pledge.changed') THEN
        SELECT pl.challenge_id, pl.kind, o.name AS organisation INTO p
        FROM pledges pl JOIN organisations o ON o.id = pl.organisation_id WHERE pl.id = NEW.pledge_id;
        PERFORM webhook_emit('pledge.changed', 'challenge', p.challenge_id, jsonb_build_object(
            'pledge_id', NEW.pledge_id, 'challenge_id', p.challenge_id, 'kind', p.kind,
            'organisation', p.organisation, 'from', NEW.from_status, 'to', NEW.to_status,
            'created_at', NEW.created_at));
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER webhook_pledge_event AFTER INSERT ON pledge_events FOR EACH ROW
    EXECUTE FUNCTION webhook_on_pledge_event();

CREATE FUNCTION webhook_on_resource() RETURNS trigger AS $$
BEGIN
    IF webhook_wanted('resource.published') THEN
        PERFORM webhook_emit('resource.published', 'resource', NEW.id, jsonb_build_object(
            'resource_id', NEW.id, 'commun', (SELECT slug FROM communs WHERE id = NEW.commun_id),
            'kind', NEW.kind, 'title', NEW.title, 'url', NEW.url, 'licence', NEW.licence,
            'created_at', NEW.created_at));
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER webhook_resource AFTER INSERT ON resources FOR EACH ROW
    EXECUTE FUNCTION webhook_on_resource();

-- A decision's facts, never the content it is about nor the member it concerns (nor the id of
-- either: a post's id would name its author through post.created).
CREATE FUNCTION webhook_on_decision() RETURNS trigger AS $$
BEGIN
    IF webhook_wanted('moderation.decision') THEN
        PERFORM webhook_emit('moderation.decision', NULL, NULL, jsonb_build_object(
            'decision_id', NEW.id, 'action', NEW.action, 'target_type', NEW.target_type,
            'category', NEW.category,
            'decision_ground', NEW.decision_ground, 'automated', NEW.actor_id IS NULL,
            'created_at', NEW.created_at));
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER webhook_decision AFTER INSERT ON decisions FOR EACH ROW
    EXECUTE FUNCTION webhook_on_decision();

-- A hook disabled after a day of failures is told to administrators.
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check CHECK (kind IN (
    'reply', 'mention', 'watched_reply', 'new_thread', 'accepted_answer',
    'challenge_status', 'challenge_match', 'pledge',
    'organisation_admin_handed_over', 'organisation_without_members',
    'moderation_decision', 'flag_outcome', 'held_approved', 'appeal_outcome',
    'commun_milestone', 'commun_resource', 'commun_news', 'wiki_edit', 'webhook_disabled'
));
ALTER TABLE notifications DROP CONSTRAINT notifications_target_type_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_target_type_check CHECK (target_type IN (
    'thread', 'post', 'challenge', 'organisation', 'user', 'held', 'commun', 'webhook'
));
