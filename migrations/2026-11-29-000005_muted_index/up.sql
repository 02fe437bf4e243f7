-- A member's muted threads, for the NOT EXISTS that leaves them out of the member's thread lists.
-- Without it the list read every subscription of the member (700 heap blocks for a busy one, about
-- 1 ms a page) to find the few muted ones. The query spells 'muted' as a literal so that its
-- prepared, generic plan can use this partial index.
CREATE INDEX thread_subscriptions_muted_idx ON thread_subscriptions (user_id, thread_id)
    WHERE level = 'muted';
