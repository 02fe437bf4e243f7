-- Accounts. Erasure (GDPR) nulls the personal columns and replaces the username with a placeholder;
-- content keeps pointing at the row.
CREATE TABLE users (
    id                 uuid PRIMARY KEY,
    username           text NOT NULL CHECK (username ~ '^[A-Za-z0-9_-]{3,30}$' OR erased_at IS NOT NULL),
    email              text,
    display_name       text NOT NULL DEFAULT '',
    bio                text NOT NULL DEFAULT '',
    password_hash      text,
    role               text NOT NULL DEFAULT 'member' CHECK (role IN ('member', 'moderator', 'admin')),
    locale             text NOT NULL DEFAULT 'fr' CHECK (locale IN ('fr', 'en')),
    email_verified_at  timestamptz,
    digest_frequency   text NOT NULL DEFAULT 'weekly' CHECK (digest_frequency IN ('never', 'daily', 'weekly')),
    -- ISO weekday (1 = Monday) and hour, Europe/Paris.
    digest_day         smallint NOT NULL DEFAULT 1 CHECK (digest_day BETWEEN 1 AND 7),
    digest_hour        smallint NOT NULL DEFAULT 8 CHECK (digest_hour BETWEEN 0 AND 23),
    erased_at          timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
-- Usernames are unique without regard to case; emails are stored normalised (lower case).
CREATE UNIQUE INDEX users_lower_username_key ON users (lower(username));
CREATE UNIQUE INDEX users_email_key ON users (email) WHERE email IS NOT NULL;
