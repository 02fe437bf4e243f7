CREATE OR REPLACE FUNCTION threads_search_from_opening_post() RETURNS trigger AS $$
BEGIN
    UPDATE threads SET search = setweight(to_tsvector('palabre_fr', title), 'A')
        || setweight(to_tsvector('palabre_fr', NEW.body), 'B')
    WHERE id = NEW.thread_id;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
DROP TRIGGER posts_opening_search ON posts;
CREATE TRIGGER posts_opening_search AFTER INSERT OR UPDATE OF body ON posts
    FOR EACH ROW WHEN (NEW.number = 1) EXECUTE FUNCTION threads_search_from_opening_post();

CREATE OR REPLACE FUNCTION threads_search_from_title() RETURNS trigger AS $$
BEGIN
    NEW.search := setweight(to_tsvector('palabre_fr', NEW.title), 'A')
        || setweight(to_tsvector('palabre_fr', coalesce(
               (SELECT body FROM posts WHERE thread_id = NEW.id AND number = 1), '')), 'B');
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

UPDATE threads t SET search = setweight(to_tsvector('palabre_fr', t.title), 'A')
    || setweight(to_tsvector('palabre_fr', p.body), 'B')
FROM posts p WHERE p.thread_id = t.id AND p.number = 1 AND p.deleted_at IS NOT NULL;
