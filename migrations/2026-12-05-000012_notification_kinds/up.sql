-- The kinds of notification and what they are about are an enumeration of the API (OpenAPI
-- `NotificationKind`, `NotificationTargetType`): the database holds the column to the same lists,
-- and a test compares them. A feature that adds a kind extends both.
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check CHECK (kind IN (
    'reply', 'mention', 'watched_reply', 'new_thread', 'accepted_answer',
    'challenge_status', 'challenge_match', 'pledge',
    'organisation_admin_handed_over', 'organisation_without_members',
    'moderation_decision', 'flag_outcome', 'held_approved', 'appeal_outcome'
)) NOT VALID;
ALTER TABLE notifications VALIDATE CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_target_type_check CHECK (target_type IN (
    'thread', 'post', 'challenge', 'organisation', 'user', 'held'
)) NOT VALID;
ALTER TABLE notifications VALIDATE CONSTRAINT notifications_target_type_check;
