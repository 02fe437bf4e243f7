-- A commun's news: each commun owns one category, where only its maintainers start threads, of the
-- new kind `news` (through POST /communs/{slug}/news).
ALTER TABLE categories ADD COLUMN commun_id uuid REFERENCES communs (id) ON DELETE RESTRICT;
CREATE UNIQUE INDEX categories_commun_id_key ON categories (commun_id);
ALTER TABLE categories DROP CONSTRAINT categories_who_can_start_check;
ALTER TABLE categories ADD CONSTRAINT categories_who_can_start_check
    CHECK (who_can_start IN ('everyone', 'staff', 'maintainers'));
-- The rule `maintainers` means "the owning commun's maintainers": only an owned category has it.
ALTER TABLE categories ADD CONSTRAINT categories_owner_check
    CHECK ((who_can_start = 'maintainers') = (commun_id IS NOT NULL));
ALTER TABLE threads DROP CONSTRAINT threads_kind_check;
ALTER TABLE threads ADD CONSTRAINT threads_kind_check
    CHECK (kind IN ('discussion', 'question', 'news'));

-- The communs created before: their news category now (a taken slug gets the end of the commun's id).
INSERT INTO categories (id, slug, name, description, position, who_can_start, commun_id)
SELECT uuid_generate_v7(),
       CASE WHEN EXISTS (SELECT 1 FROM categories k WHERE k.slug = 'commun-' || c.slug)
            THEN 'commun-' || c.slug || '-' || right(c.id::text, 12)
            ELSE 'commun-' || c.slug END,
       c.name, 'Actualités du commun ' || c.name || '.', 1000, 'maintainers', c.id
FROM communs c;

-- Wiki posts: an opening post that trusted members may edit. Every revision keeps its whole body;
-- a post knows its current revision number (1 until it is edited), and revision n >= 2 is the
-- edit that made it: its editor, time, the body before and the body after.
ALTER TABLE posts ADD COLUMN wiki boolean NOT NULL DEFAULT false;
ALTER TABLE posts ADD COLUMN revision integer NOT NULL DEFAULT 1;
ALTER TABLE post_revisions ADD COLUMN number integer;
ALTER TABLE post_revisions ADD COLUMN body text;
UPDATE post_revisions r
SET number = s.n + 1, body = coalesce(s.next_body, p.body)
FROM (SELECT id, post_id,
             row_number() OVER w AS n,
             lead(previous_body) OVER w AS next_body
      FROM post_revisions
      WINDOW w AS (PARTITION BY post_id ORDER BY created_at, id)) s
JOIN posts p ON p.id = s.post_id
WHERE r.id = s.id;
UPDATE posts p SET revision = 1 + (SELECT count(*) FROM post_revisions r WHERE r.post_id = p.id)
WHERE p.id IN (SELECT post_id FROM post_revisions);
ALTER TABLE post_revisions ALTER COLUMN number SET NOT NULL;
ALTER TABLE post_revisions ALTER COLUMN body SET NOT NULL;
CREATE UNIQUE INDEX post_revisions_number_key ON post_revisions (post_id, number);

-- News of a watched commun, and edits of a watched wiki.
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check CHECK (kind IN (
    'reply', 'mention', 'watched_reply', 'new_thread', 'accepted_answer',
    'challenge_status', 'challenge_match', 'pledge',
    'organisation_admin_handed_over', 'organisation_without_members',
    'moderation_decision', 'flag_outcome', 'held_approved', 'appeal_outcome',
    'commun_milestone', 'commun_resource', 'commun_news', 'wiki_edit'
));
