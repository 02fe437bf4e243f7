-- Watched-reply notifications are derived when a member reads their notifications, from watch
-- levels, read positions and the posts themselves, instead of one row per watcher per reply
-- (src/notifications/derived.rs). What they need to be read or not:

-- "Mark all read": every derived notification of a post written before this time is read.
CREATE TABLE notification_marks (
    user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    all_read_at timestamptz NOT NULL
);

-- Derived notifications marked read one by one (by the post they are about).
CREATE TABLE notification_reads (
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    post_id uuid NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    read_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, post_id)
);
CREATE INDEX notification_reads_post_id_idx ON notification_reads (post_id);

-- A member's watching threads, found from the member (the primary key leads with user_id, but
-- holds every level).
CREATE INDEX thread_subscriptions_watching_idx ON thread_subscriptions (user_id, thread_id)
    WHERE level = 'watching';

-- A thread's posts by time: a member's watched replies are a thread's newest posts in the interval
-- they watched it.
CREATE INDEX posts_thread_created_idx ON posts (thread_id, created_at);

-- "Never twice for one post": a derived watched reply is left out when the member has a stored
-- notification about its post.
CREATE INDEX notifications_user_post_idx ON notifications (user_id, post_id) WHERE post_id IS NOT NULL;

-- Members have read what they wrote: each thread's read position starts at their own last post
-- (unread counts and derived notifications would otherwise start with the whole thread unread).
INSERT INTO thread_reads (user_id, thread_id, post_number)
SELECT author_id, thread_id, max(number) FROM posts GROUP BY author_id, thread_id
ON CONFLICT (user_id, thread_id) DO UPDATE
SET post_number = GREATEST(thread_reads.post_number, EXCLUDED.post_number);
