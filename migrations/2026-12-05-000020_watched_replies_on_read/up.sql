-- Watched replies are derived when a member reads their notifications and kept as rows from then on
-- (src/notifications/derived.rs): deriving the whole list on every read cost 0.4 s for a member
-- watching 1,856 threads with 27,000 unread replies (BENCHMARKS.md). A member's mark says up to when
-- their watched replies were derived; the reads and marks of derived items become plain rows.
DROP TABLE notification_reads;
ALTER TABLE notification_marks RENAME COLUMN all_read_at TO derived_until;
-- One watched reply per member and post, whoever derives it first.
CREATE UNIQUE INDEX notifications_watched_reply_idx ON notifications (user_id, post_id)
    WHERE kind = 'watched_reply';
