DROP TRIGGER threads_title_search ON threads;
DROP FUNCTION threads_search_from_title();
DROP TRIGGER posts_opening_search ON posts;
DROP FUNCTION threads_search_from_opening_post();
DROP INDEX threads_search_idx;
ALTER TABLE threads DROP COLUMN search;
ALTER TABLE threads ADD COLUMN search tsvector GENERATED ALWAYS AS (to_tsvector('palabre_fr', title)) STORED;
CREATE INDEX threads_search_idx ON threads USING gin (search);
DROP TABLE retired_usernames;
