-- The read cache (src/http/cache.rs): every transaction that changes what a cached anonymous read
-- returns (the category list, thread lists, a thread, its first replies) notifies the channel
-- `palabre_cache`; every palabre process listens and drops what is named. Notifications are sent
-- at commit, and identical ones are sent once per transaction. Payloads: `thread:<id>` (that
-- thread, and the lists, which show it), `lists` (the lists only), `all`.
-- Triggers rather than calls in the features: no write path can forget to send one.

CREATE FUNCTION palabre_cache_thread() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('palabre_cache', 'thread:' || OLD.id);
    ELSE
        PERFORM pg_notify('palabre_cache', 'thread:' || NEW.id);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER threads_read_cache AFTER INSERT OR UPDATE OR DELETE ON threads
    FOR EACH ROW EXECUTE FUNCTION palabre_cache_thread();

-- Posts and tags of a thread name their thread.
CREATE FUNCTION palabre_cache_thread_of() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('palabre_cache', 'thread:' || OLD.thread_id);
    ELSE
        PERFORM pg_notify('palabre_cache', 'thread:' || NEW.thread_id);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER posts_read_cache AFTER INSERT OR UPDATE OR DELETE ON posts
    FOR EACH ROW EXECUTE FUNCTION palabre_cache_thread_of();
CREATE TRIGGER thread_tags_read_cache AFTER INSERT OR DELETE ON thread_tags
    FOR EACH ROW EXECUTE FUNCTION palabre_cache_thread_of();

-- Categories: their counters and rules are in the category list (`lists`); their slug and name
-- are in every thread (`all`).
CREATE FUNCTION palabre_cache_category() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.slug = NEW.slug AND OLD.name = NEW.name THEN
        PERFORM pg_notify('palabre_cache', 'lists');
    ELSIF TG_OP = 'INSERT' THEN
        PERFORM pg_notify('palabre_cache', 'lists');
    ELSE
        PERFORM pg_notify('palabre_cache', 'all');
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER categories_read_cache AFTER INSERT OR UPDATE OR DELETE ON categories
    FOR EACH ROW EXECUTE FUNCTION palabre_cache_category();

-- What every read may show of a tag or a member: everything goes.
CREATE FUNCTION palabre_cache_all() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('palabre_cache', 'all');
    RETURN NULL;
END $$;

CREATE TRIGGER tags_read_cache AFTER UPDATE OR DELETE ON tags
    FOR EACH ROW EXECUTE FUNCTION palabre_cache_all();
-- A member's public face (`UserPublic`: username, display name, role, creation), and erasure;
-- their counters change with each post and are not shown in these reads.
CREATE TRIGGER users_read_cache AFTER UPDATE ON users
    FOR EACH ROW
    WHEN (OLD.username IS DISTINCT FROM NEW.username
          OR OLD.display_name IS DISTINCT FROM NEW.display_name
          OR OLD.role IS DISTINCT FROM NEW.role
          OR OLD.created_at IS DISTINCT FROM NEW.created_at
          OR OLD.erased_at IS DISTINCT FROM NEW.erased_at)
    EXECUTE FUNCTION palabre_cache_all();
CREATE TRIGGER users_deleted_read_cache AFTER DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION palabre_cache_all();
