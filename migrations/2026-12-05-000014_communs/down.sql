DELETE FROM notifications WHERE kind IN ('commun_milestone', 'commun_resource');
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check CHECK (kind IN (
    'reply', 'mention', 'watched_reply', 'new_thread', 'accepted_answer',
    'challenge_status', 'challenge_match', 'pledge',
    'organisation_admin_handed_over', 'organisation_without_members',
    'moderation_decision', 'flag_outcome', 'held_approved', 'appeal_outcome'
));
ALTER TABLE notifications DROP CONSTRAINT notifications_target_type_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_target_type_check CHECK (target_type IN (
    'thread', 'post', 'challenge', 'organisation', 'user', 'held'
));
DROP TABLE resource_challenges;
DROP TABLE challenge_communs;
DROP TABLE resources;
DROP TABLE milestones;
DROP TABLE commun_subscriptions;
DROP TABLE commun_partners;
DROP TABLE commun_members;
DROP TABLE communs;
