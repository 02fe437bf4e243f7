-- Read path, second pass: thread list items carry an excerpt of the opening post (computed when it
-- is written) instead of the post; members keep a read position per thread.

-- The excerpt: plain text of the opening post's sanitised HTML, at most 240 characters, written by
-- the application with the post (and rewritten with each edit of it). `opening_shown` follows the
-- opening post's deletion and hiding (trigger below), so that a list shows no excerpt of a post
-- that its readers may not read, without joining the post.
ALTER TABLE threads ADD COLUMN excerpt text NOT NULL DEFAULT '';
ALTER TABLE threads ADD COLUMN opening_shown boolean NOT NULL DEFAULT true;

-- The threads written before: the same text as the application's `markdown::summary` (inline tags
-- removed, other tags become spaces, the sanitiser's character references read back, whitespace collapsed, cut to 239
-- characters and an ellipsis when longer than 240).
WITH plain AS (
    SELECT p.thread_id,
           btrim(regexp_replace(
               replace(replace(replace(replace(replace(replace(
                   regexp_replace(regexp_replace(p.body_html,
                       '</?(a|abbr|b|code|del|em|i|ins|kbd|mark|q|s|small|span|strong|sub|sup|u)([\s/]("[^"]*"|''[^'']*''|[^''">])*)?>',
                       '', 'gi'),
                   '<("[^"]*"|''[^'']*''|[^''">])*>', ' ', 'g'),
                   '&lt;', '<'), '&gt;', '>'), '&quot;', '"'), '&#39;', ''''), '&nbsp;', ' '), '&amp;', '&'),
               '\s+', ' ', 'g')) AS text,
           p.hidden_at IS NULL AND p.deleted_at IS NULL AS shown
    FROM posts p
    WHERE p.number = 1
)
UPDATE threads t
SET excerpt = CASE WHEN char_length(plain.text) <= 240 THEN plain.text
                   ELSE rtrim(left(plain.text, 239)) || '…' END,
    opening_shown = plain.shown
FROM plain
WHERE plain.thread_id = t.id;

CREATE FUNCTION palabre_opening_shown() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE threads SET opening_shown = (NEW.hidden_at IS NULL AND NEW.deleted_at IS NULL)
    WHERE id = NEW.thread_id;
    RETURN NULL;
END $$;

CREATE TRIGGER posts_opening_shown
    AFTER UPDATE OF hidden_at, deleted_at ON posts
    FOR EACH ROW
    WHEN (NEW.number = 1 AND (OLD.hidden_at IS DISTINCT FROM NEW.hidden_at
                              OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at))
    EXECUTE FUNCTION palabre_opening_shown();

-- Read state: the highest post number a member has read in a thread (it never moves back). Kept
-- apart from watch levels: a row of `thread_subscriptions` is a level chosen on the thread, which
-- overrides the category's; reading a thread must not.
CREATE TABLE thread_reads (
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    thread_id uuid NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    post_number integer NOT NULL CHECK (post_number >= 1),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, thread_id)
);
CREATE INDEX thread_reads_thread_id_idx ON thread_reads (thread_id);
