DROP INDEX notifications_user_post_idx;
DROP INDEX posts_thread_created_idx;
DROP INDEX thread_subscriptions_watching_idx;
DROP TABLE notification_reads;
DROP TABLE notification_marks;
