-- Pinned threads come first in their category's lists: the category indexes lead with `pinned`,
-- so that a page (and the keyset cursor after it) is still one index range.
DROP INDEX threads_category_latest_idx;
DROP INDEX threads_category_active_idx;
DROP INDEX threads_category_top_idx;
CREATE INDEX threads_category_latest_idx
    ON threads (category_id, pinned DESC, created_at DESC, id DESC);
CREATE INDEX threads_category_active_idx
    ON threads (category_id, pinned DESC, last_activity_at DESC, id DESC);
CREATE INDEX threads_category_top_idx
    ON threads (category_id, pinned DESC, score DESC, id DESC);
