//! Watched-reply notifications, derived when their member reads them instead of written per watcher.
//!
//! A reply used to insert one `watched_reply` row per watcher (11,878 rows for one reply to the
//! bench's hottest thread). Now a reply writes nothing for its watchers. When a member lists or
//! counts their notifications, [`derive`] first writes their watched replies since the last time:
//! the posts, by others, in the threads they watch, written while they watched:
//!
//! - a thread watched on its own (`thread_subscriptions.level = 'watching'`): its posts since that
//!   level was set (`updated_at`, which a level set again unchanged does not move);
//! - a thread of a watched category: its posts since the category was watched, until the member
//!   gave the thread a level of its own (muting a thread keeps what came before);
//! - never the opening post (watchers of a category hear of it as `new_thread`), a post of a hidden
//!   thread, a deleted or hidden post, nor a post the member already has a notification about (a
//!   direct reply, a mention: never twice for one post).
//!
//! Each is dated by its post, and is already read when the member has read the thread up to it.
//! From then on it is a row like any other: listed, counted, marked read. The cost of a reply no
//! longer grows with its watchers; a member pays for their own watched threads' new posts, when
//! they look, and members who never look cost nothing.
//!
//! `notification_marks.derived_until` says up to when a member's watched replies were derived. It
//! lags a minute behind: a reply is dated when its transaction starts and may commit a little later;
//! the posts of that last minute are looked at again, and the unique index on
//! `(user_id, post_id) WHERE kind = 'watched_reply'` keeps each once.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

/// The threads `{me}` watches that were active after `{active}`, each with the interval
/// `[since, until)` its posts notify in. Driven from the threads active since (an index range), not
/// from every thread the member watches.
fn watched(me: &str, active: &str) -> String {
    format!(
        "SELECT s.thread_id, s.updated_at AS since, 'infinity'::timestamptz AS until \
         FROM threads a \
         JOIN thread_subscriptions s ON s.thread_id = a.id AND s.user_id = {me} AND s.level = 'watching' \
         WHERE a.last_activity_at > {active} \
         UNION ALL \
         SELECT t.id, c.updated_at, COALESCE(s.updated_at, 'infinity'::timestamptz) \
         FROM category_subscriptions c \
         JOIN threads t ON t.category_id = c.category_id AND t.last_activity_at > c.updated_at \
              AND t.last_activity_at > {active} \
         LEFT JOIN thread_subscriptions s ON s.user_id = c.user_id AND s.thread_id = t.id \
         WHERE c.user_id = {me} AND c.level = 'watching' \
           AND (s.updated_at IS NULL OR s.updated_at > c.updated_at)"
    )
}

#[derive(QueryableByName)]
struct Mark {
    #[diesel(sql_type = Timestamptz)]
    derived_until: DateTime<Utc>,
    /// Some thread was active since: there may be something to derive.
    #[diesel(sql_type = diesel::sql_types::Bool)]
    moved: bool,
}

/// Writes `user`'s watched replies posted since the last time (see the module). One statement when
/// no thread was active since the member's mark (a reply dates its thread's last activity with its
/// own time), else two: the mark, then the new rows and the mark moved on (the mark is bound as a value, so
/// that PostgreSQL plans with it: from the threads active since, not from every watched thread).
/// One request of a member derives at a time: another one meanwhile (a transaction-scoped
/// advisory lock taken without waiting) reads what is there rather than queueing behind it on the
/// same rows (the bench's 64 concurrent requests of one member serialised on its mark).
pub fn derive(conn: &mut PgConnection, user: Uuid) -> QueryResult<usize> {
    // Nothing was posted anywhere since the mark (one probe of the newest thread activity): nothing
    // to derive, and no statement to plan.
    let mark: Option<Mark> = diesel::sql_query(
        "SELECT k.derived_until, \
                EXISTS (SELECT 1 FROM threads t WHERE t.last_activity_at > k.derived_until) AS moved \
         FROM notification_marks k WHERE k.user_id = $1",
    )
    .bind::<SqlUuid, _>(user)
    .get_result(conn)
    .optional()?;
    if mark.as_ref().is_some_and(|m| !m.moved) {
        return Ok(0);
    }
    let from = mark.map_or(DateTime::<Utc>::UNIX_EPOCH, |m| m.derived_until);
    // The mark is written into the statement's text, not bound: the pool's connections plan
    // with `force_generic_plan`, and only a constant lets PostgreSQL start from the threads active
    // since. On the bench data, for the busy member (1,856 watched threads) with nothing new:
    // 0.7-0.9 ms of planning, 0.04 ms to run (BENCHMARKS.md). A timestamp formatted here.
    let active = format!(
        "'{}'::timestamptz",
        from.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
    );
    let sql = format!(
        "WITH turn AS (SELECT pg_try_advisory_xact_lock(hashtextextended($1::text, 7)) AS mine), \
         new AS ( \
             INSERT INTO notifications (id, user_id, kind, actor_id, target_type, target_id, \
                                        target_title, post_id, created_at, read_at) \
             SELECT uuid_generate_v7(), $1, 'watched_reply', p.author_id, 'thread', t.id, t.title, \
                    p.id, p.created_at, CASE WHEN p.number <= COALESCE(r.post_number, 0) THEN now() END \
             FROM turn, ({watched}) w \
             JOIN threads t ON t.id = w.thread_id AND t.hidden_at IS NULL \
                  AND t.last_activity_at > w.since \
             LEFT JOIN thread_reads r ON r.user_id = $1 AND r.thread_id = t.id \
             JOIN posts p ON p.thread_id = t.id AND p.created_at > {active} \
                  AND p.created_at > w.since AND p.created_at <= w.until \
             WHERE turn.mine AND p.number > 1 AND p.author_id <> $1 AND p.deleted_at IS NULL AND p.hidden_at IS NULL \
               AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.user_id = $1 AND n.post_id = p.id) \
             ON CONFLICT DO NOTHING \
             RETURNING 1) \
         INSERT INTO notification_marks (user_id, derived_until) \
         SELECT $1, now() - interval '1 minute' FROM turn, (SELECT count(*) FROM new) c \
         WHERE turn.mine \
         ON CONFLICT (user_id) DO UPDATE \
         SET derived_until = GREATEST(notification_marks.derived_until, EXCLUDED.derived_until)",
        watched = watched("$1", &active),
    );
    diesel::sql_query(sql)
        .bind::<SqlUuid, _>(user)
        .execute(conn)
}

/// The caller read `thread` up to post `number`: their watched replies about the posts up to there
/// are read.
pub fn read_up_to(
    conn: &mut PgConnection,
    user: Uuid,
    thread: Uuid,
    number: i32,
) -> QueryResult<usize> {
    diesel::sql_query(
        "UPDATE notifications n SET read_at = now() FROM posts p \
         WHERE n.user_id = $1 AND n.kind = 'watched_reply' AND n.target_id = $2 \
           AND n.read_at IS NULL AND p.id = n.post_id AND p.number <= $3",
    )
    .bind::<SqlUuid, _>(user)
    .bind::<SqlUuid, _>(thread)
    .bind::<diesel::sql_types::Integer, _>(number)
    .execute(conn)
}

/// Erasure: the member's mark.
pub fn erase(conn: &mut PgConnection, user: Uuid) -> QueryResult<()> {
    diesel::sql_query("DELETE FROM notification_marks WHERE user_id = $1")
        .bind::<SqlUuid, _>(user)
        .execute(conn)?;
    Ok(())
}
