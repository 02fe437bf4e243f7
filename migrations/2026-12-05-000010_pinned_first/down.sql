DROP INDEX threads_category_latest_idx;
DROP INDEX threads_category_active_idx;
DROP INDEX threads_category_top_idx;
CREATE INDEX threads_category_latest_idx ON threads (category_id, created_at DESC, id DESC);
CREATE INDEX threads_category_active_idx ON threads (category_id, last_activity_at DESC, id DESC);
CREATE INDEX threads_category_top_idx ON threads (category_id, score DESC, id DESC);
