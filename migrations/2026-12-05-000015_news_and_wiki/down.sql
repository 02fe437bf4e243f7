DELETE FROM notifications WHERE kind IN ('commun_news', 'wiki_edit');
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check CHECK (kind IN (
    'reply', 'mention', 'watched_reply', 'new_thread', 'accepted_answer',
    'challenge_status', 'challenge_match', 'pledge',
    'organisation_admin_handed_over', 'organisation_without_members',
    'moderation_decision', 'flag_outcome', 'held_approved', 'appeal_outcome',
    'commun_milestone', 'commun_resource'
));
DROP INDEX post_revisions_number_key;
ALTER TABLE post_revisions DROP COLUMN body;
ALTER TABLE post_revisions DROP COLUMN number;
ALTER TABLE posts DROP COLUMN revision;
ALTER TABLE posts DROP COLUMN wiki;
-- News threads go back to discussions; the commun categories stay as staff-only categories.
UPDATE threads SET kind = 'discussion' WHERE kind = 'news';
ALTER TABLE threads DROP CONSTRAINT threads_kind_check;
ALTER TABLE threads ADD CONSTRAINT threads_kind_check CHECK (kind IN ('discussion', 'question'));
ALTER TABLE categories DROP CONSTRAINT categories_owner_check;
UPDATE categories SET who_can_start = 'staff' WHERE who_can_start = 'maintainers';
ALTER TABLE categories DROP CONSTRAINT categories_who_can_start_check;
ALTER TABLE categories ADD CONSTRAINT categories_who_can_start_check
    CHECK (who_can_start IN ('everyone', 'staff'));
DROP INDEX categories_commun_id_key;
ALTER TABLE categories DROP COLUMN commun_id;
