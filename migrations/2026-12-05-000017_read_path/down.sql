DROP TABLE thread_reads;
DROP TRIGGER posts_opening_shown ON posts;
DROP FUNCTION palabre_opening_shown();
ALTER TABLE threads DROP COLUMN opening_shown;
ALTER TABLE threads DROP COLUMN excerpt;
