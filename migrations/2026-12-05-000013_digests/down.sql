DROP TRIGGER users_digest_adopt ON users;
DROP FUNCTION digest_adopt_on_verify();
DROP FUNCTION digest_adopt_subscriber(uuid);
DROP INDEX pledges_created_at_idx;
DROP INDEX posts_created_at_idx;
DROP INDEX challenge_transitions_created_at_idx;
DROP TABLE adopted_subscribers;
DROP TABLE digests;
DROP TABLE digest_interests;
DROP TABLE subscribers;
ALTER TABLE outbox ALTER COLUMN body_html SET COMPRESSION default,
                   ALTER COLUMN body_text SET COMPRESSION default;
