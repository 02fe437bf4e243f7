-- The columns moderation added are NULL in every row, but a column added to a table has no
-- statistics until the table is analyzed again, and nothing else triggers that (adding a column
-- changes no row). Without them PostgreSQL guessed that `hidden_at IS NULL` keeps 0.5 % of the
-- rows and chose a bitmap over the GIN index for search: search fell from ~300 to 11 requests/s at
-- scale 1, with timeouts (bench/run at b18bfac). With them it walks the recent posts again.
ANALYZE posts (hidden_at);
ANALYZE threads (hidden_at, archived_at, slow_mode_seconds);
ANALYZE challenges (hidden_at);
