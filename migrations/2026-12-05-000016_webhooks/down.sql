DELETE FROM notifications WHERE kind = 'webhook_disabled' OR target_type = 'webhook';
ALTER TABLE notifications DROP CONSTRAINT notifications_target_type_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_target_type_check CHECK (target_type IN (
    'thread', 'post', 'challenge', 'organisation', 'user', 'held', 'commun'
));
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check CHECK (kind IN (
    'reply', 'mention', 'watched_reply', 'new_thread', 'accepted_answer',
    'challenge_status', 'challenge_match', 'pledge',
    'organisation_admin_handed_over', 'organisation_without_members',
    'moderation_decision', 'flag_outcome', 'held_approved', 'appeal_outcome',
    'commun_milestone', 'commun_resource', 'commun_news', 'wiki_edit'
));
DROP TRIGGER webhook_decision ON decisions;
DROP TRIGGER webhook_resource ON resources;
DROP TRIGGER webhook_pledge_event ON pledge_events;
DROP TRIGGER webhook_challenge_transition ON challenge_transitions;
DROP TRIGGER webhook_post ON posts;
DROP TRIGGER webhook_thread ON threads;
DROP FUNCTION webhook_on_decision();
DROP FUNCTION webhook_on_resource();
DROP FUNCTION webhook_on_pledge_event();
DROP FUNCTION webhook_on_challenge_transition();
DROP FUNCTION webhook_on_post();
DROP FUNCTION webhook_on_thread();
DROP FUNCTION webhook_wanted(text);
DROP FUNCTION webhook_emit(text, text, uuid, jsonb);
DELETE FROM jobs WHERE kind = 'webhook_delivery';
DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
