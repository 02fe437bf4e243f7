DROP INDEX notifications_watched_reply_idx;
ALTER TABLE notification_marks RENAME COLUMN derived_until TO all_read_at;
CREATE TABLE notification_reads (
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    post_id uuid NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    read_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, post_id)
);
CREATE INDEX notification_reads_post_id_idx ON notification_reads (post_id);
