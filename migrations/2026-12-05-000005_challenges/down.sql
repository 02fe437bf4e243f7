DROP TRIGGER threads_challenge_activity ON threads;
DROP FUNCTION challenges_follow_thread_activity();
DELETE FROM categories c WHERE c.slug = 'defis'
    AND NOT EXISTS (SELECT 1 FROM threads t WHERE t.category_id = c.id);
DROP TABLE pledge_events;
DROP TABLE pledges;
DROP TABLE challenge_subscriptions;
DROP TABLE challenge_supports;
DROP TABLE challenge_transitions;
DROP TABLE challenges;
DROP INDEX organisations_themes_idx;
ALTER TABLE organisations DROP COLUMN territory_scope, DROP COLUMN territories, DROP COLUMN themes;
