-- Digests: email-only subscribers (double opt-in), members' digest interests, and one row per
-- recipient and period — the key that makes a digest go out at most once.

-- Email-only subscribers: no account. A request is stored unconfirmed with its token; the
-- confirmation applies `pending` (the choices asked for). A confirmed subscriber who asks again keeps
-- their current choices until the new request is confirmed too. Unconfirmed requests expire.
CREATE TABLE subscribers (
    id               uuid PRIMARY KEY,
    email            text NOT NULL,
    locale           text NOT NULL DEFAULT 'fr' CHECK (locale IN ('fr', 'en')),
    frequency        text NOT NULL CHECK (frequency IN ('daily', 'weekly')),
    digest_day       smallint NOT NULL DEFAULT 1 CHECK (digest_day BETWEEN 1 AND 7),
    digest_hour      smallint NOT NULL DEFAULT 8 CHECK (digest_hour BETWEEN 0 AND 23),
    category_ids     uuid[] NOT NULL DEFAULT '{}',
    themes           text[] NOT NULL DEFAULT '{}',
    territory_id     text REFERENCES territories (id),
    confirmed_at     timestamptz,
    pending          jsonb,
    token_hash       text UNIQUE,
    token_expires_at timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX subscribers_email_key ON subscribers (lower(email));
CREATE INDEX subscribers_due_idx ON subscribers (frequency, digest_hour, digest_day)
    WHERE confirmed_at IS NOT NULL;
CREATE INDEX subscribers_expiry_idx ON subscribers (token_expires_at)
    WHERE token_expires_at IS NOT NULL;
CREATE INDEX subscribers_territory_idx ON subscribers (territory_id) WHERE territory_id IS NOT NULL;

-- What a member follows for the "new challenges" part of their digest.
CREATE TABLE digest_interests (
    user_id      uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    themes       text[] NOT NULL DEFAULT '{}',
    territory_id text REFERENCES territories (id),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX digest_interests_territory_idx ON digest_interests (territory_id)
    WHERE territory_id IS NOT NULL;

-- One row per recipient (a member's or a subscriber's id) and period (the Europe/Paris date of the
-- recipient's slot). The dispatcher claims the row (`due`); the compose job turns it into `sent`
-- (its message is in the outbox, in the same transaction) or `empty` (nothing to say). A digest
-- covers (previous digest's slot_at, slot_at].
CREATE TABLE digests (
    recipient_id   uuid NOT NULL,
    period         date NOT NULL,
    recipient_kind text NOT NULL CHECK (recipient_kind IN ('member', 'subscriber')),
    slot_at        timestamptz NOT NULL,
    status         text NOT NULL DEFAULT 'due' CHECK (status IN ('due', 'sent', 'empty')),
    covered_from   timestamptz,
    outbox_id      uuid,
    items          integer NOT NULL DEFAULT 0,
    created_at     timestamptz NOT NULL DEFAULT now(),
    composed_at    timestamptz,
    PRIMARY KEY (recipient_id, period)
);
CREATE INDEX digests_due_idx ON digests (slot_at) WHERE status = 'due';
CREATE INDEX digests_period_idx ON digests (period);

-- Digests write thousands of messages a minute: lz4 compresses their bodies several times faster
-- than the default pglz (bench/digests: the outbox insert of 500 digests, 115 ms → 35 ms). A server
-- built without lz4 keeps pglz.
DO $$
BEGIN
    ALTER TABLE outbox ALTER COLUMN body_html SET COMPRESSION lz4,
                       ALTER COLUMN body_text SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
    RAISE NOTICE 'lz4 is not available: outbox bodies keep the default compression';
END $$;

-- Digest content reads the posts and challenge events of a period: a range on created_at (a day is
-- a few thousand posts however large the forum; timestamps only grow, so the index is appended to).
CREATE INDEX posts_created_at_idx ON posts (created_at);
CREATE INDEX challenge_transitions_created_at_idx ON challenge_transitions (created_at);
CREATE INDEX pledges_created_at_idx ON pledges (created_at);

-- Subscriptions adopted by an account (below): the links already mailed to the subscriber keep
-- working, on the account.
CREATE TABLE adopted_subscribers (
    subscriber_id uuid PRIMARY KEY,
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    adopted_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX adopted_subscribers_user_id_idx ON adopted_subscribers (user_id);

-- A subscriber who registers (or verifies a changed address) with the same address keeps their
-- choices: the member's digest takes the subscriber's frequency, day and hour, their categories are
-- tracked, their themes and territory become the member's interests, and the subscription's last
-- digest carries over (so no period is sent twice). The subscriber row then goes.
CREATE FUNCTION digest_adopt_subscriber(member uuid) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    s subscribers;
    addr text;
BEGIN
    SELECT email INTO addr FROM users
     WHERE id = member AND email IS NOT NULL AND email_verified_at IS NOT NULL AND erased_at IS NULL;
    IF addr IS NULL THEN
        RETURN;
    END IF;
    SELECT * INTO s FROM subscribers
     WHERE lower(email) = lower(addr) AND confirmed_at IS NOT NULL FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    UPDATE users SET digest_frequency = s.frequency, digest_day = s.digest_day,
                     digest_hour = s.digest_hour, updated_at = now()
     WHERE id = member;
    INSERT INTO category_subscriptions (user_id, category_id, level)
    SELECT member, c.id, 'tracking' FROM categories c WHERE c.id = ANY (s.category_ids)
    ON CONFLICT DO NOTHING;
    INSERT INTO digest_interests (user_id, themes, territory_id)
    VALUES (member, s.themes, s.territory_id)
    ON CONFLICT (user_id) DO UPDATE SET themes = EXCLUDED.themes,
                                        territory_id = EXCLUDED.territory_id, updated_at = now();
    -- The record of what was sent carries over; a digest not yet composed is dropped (its batch
    -- looks for the subscriber), and the member's own dispatch takes that period if still due.
    INSERT INTO digests (recipient_id, period, recipient_kind, slot_at, status, covered_from,
                         outbox_id, items, created_at, composed_at)
    SELECT member, period, 'member', slot_at, status, covered_from, outbox_id, items, created_at,
           composed_at
      FROM digests WHERE recipient_id = s.id AND status <> 'due'
    ON CONFLICT DO NOTHING;
    DELETE FROM digests WHERE recipient_id = s.id;
    INSERT INTO adopted_subscribers (subscriber_id, user_id) VALUES (s.id, member)
    ON CONFLICT DO NOTHING;
    DELETE FROM subscribers WHERE id = s.id;
END;
$$;

CREATE FUNCTION digest_adopt_on_verify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.email_verified_at IS NOT NULL AND NEW.email IS NOT NULL
       AND (TG_OP = 'INSERT' OR OLD.email_verified_at IS NULL OR OLD.email IS DISTINCT FROM NEW.email) THEN
        PERFORM digest_adopt_subscriber(NEW.id);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER users_digest_adopt
    AFTER INSERT OR UPDATE OF email_verified_at, email ON users
    FOR EACH ROW EXECUTE FUNCTION digest_adopt_on_verify();
