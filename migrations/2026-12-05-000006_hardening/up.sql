-- Usernames of erased accounts stay unavailable, so that old @mentions and links never point to a
-- newcomer who took the name. Kept as the SHA-256 of the name in lower case: enough to refuse it,
-- without keeping the erased member's name.
CREATE TABLE retired_usernames (
    username_hash  text PRIMARY KEY,
    retired_at     timestamptz NOT NULL DEFAULT now()
);

-- A thread is found by its title and its opening post together ("cartographie zorglub" finds a
-- thread titled "… zorglub" whose opening post speaks of cartography). The vector is kept by
-- triggers: a new or edited opening post, a new title. Replies (number > 1) pay nothing: the WHEN
-- clause is evaluated without a query.
DROP INDEX threads_search_idx;
ALTER TABLE threads DROP COLUMN search;
ALTER TABLE threads ADD COLUMN search tsvector NOT NULL DEFAULT ''::tsvector;
UPDATE threads t SET search = setweight(to_tsvector('palabre_fr', t.title), 'A')
    || setweight(to_tsvector('palabre_fr', coalesce(p.body, '')), 'B')
FROM posts p WHERE p.thread_id = t.id AND p.number = 1;
CREATE INDEX threads_search_idx ON threads USING gin (search);

CREATE FUNCTION threads_search_from_opening_post() RETURNS trigger AS $$
BEGIN
    UPDATE threads SET search = setweight(to_tsvector('palabre_fr', title), 'A')
        || setweight(to_tsvector('palabre_fr', NEW.body), 'B')
    WHERE id = NEW.thread_id;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER posts_opening_search AFTER INSERT OR UPDATE OF body ON posts
    FOR EACH ROW WHEN (NEW.number = 1) EXECUTE FUNCTION threads_search_from_opening_post();

CREATE FUNCTION threads_search_from_title() RETURNS trigger AS $$
BEGIN
    NEW.search := setweight(to_tsvector('palabre_fr', NEW.title), 'A')
        || setweight(to_tsvector('palabre_fr', coalesce(
               (SELECT body FROM posts WHERE thread_id = NEW.id AND number = 1), '')), 'B');
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER threads_title_search BEFORE INSERT OR UPDATE OF title ON threads
    FOR EACH ROW EXECUTE FUNCTION threads_search_from_title();
