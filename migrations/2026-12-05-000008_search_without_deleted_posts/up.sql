-- A soft-deleted opening post leaves the thread's search vector: a thread is no longer found by the
-- words of a post its readers cannot see (its title still finds it). Same triggers as migration
-- 000006, now also on deletion and restoration.
CREATE OR REPLACE FUNCTION threads_search_from_opening_post() RETURNS trigger AS $$
BEGIN
    UPDATE threads SET search = setweight(to_tsvector('palabre_fr', title), 'A')
        || setweight(to_tsvector('palabre_fr',
               CASE WHEN NEW.deleted_at IS NULL THEN NEW.body ELSE '' END), 'B')
    WHERE id = NEW.thread_id;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
DROP TRIGGER posts_opening_search ON posts;
CREATE TRIGGER posts_opening_search AFTER INSERT OR UPDATE OF body, deleted_at ON posts
    FOR EACH ROW WHEN (NEW.number = 1) EXECUTE FUNCTION threads_search_from_opening_post();

CREATE OR REPLACE FUNCTION threads_search_from_title() RETURNS trigger AS $$
BEGIN
    NEW.search := setweight(to_tsvector('palabre_fr', NEW.title), 'A')
        || setweight(to_tsvector('palabre_fr', coalesce(
               (SELECT body FROM posts WHERE thread_id = NEW.id AND number = 1
                                         AND deleted_at IS NULL), '')), 'B');
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

UPDATE threads t SET search = setweight(to_tsvector('palabre_fr', t.title), 'A')
FROM posts p WHERE p.thread_id = t.id AND p.number = 1 AND p.deleted_at IS NOT NULL;
