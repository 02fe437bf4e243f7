//! Watched-reply notifications, derived when they are read instead of written per watcher.
//!
//! A reply used to insert one `watched_reply` row per watcher (11,878 rows for one reply to the
//! bench's hottest thread). Now a reply writes nothing for its watchers: a member's watched-reply
//! notifications are the posts, by others, in the threads they watch, written while they watched:
//!
//! - a thread watched on its own (`thread_subscriptions.level = 'watching'`): its posts since that
//!   level was set (`updated_at`, which a level set again unchanged does not move);
//! - a thread of a watched category: its posts since the category was watched, until the member
//!   gave the thread a level of its own (muting a thread keeps what came before);
//! - never the opening post (watchers of a category hear of it as `new_thread`), a post of a hidden
//!   thread, a deleted or hidden post, nor a post the member already has a notification about (a
//!   direct reply, a mention: never twice for one post).
//!
//! Each is identified by its post's id and dated by the post. It is read once the member has read
//! the thread up to it (`PUT /threads/{id}/read`, or their own later post), marked all read after
//! it was written (`notification_marks`), or marked read by id (`notification_reads`).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

use crate::accounts::types::UserPublic;
use crate::accounts::view;

/// The threads `{me}` watches, each with the interval `[since, until)` its posts notify in.
fn watched(me: &str) -> String {
    format!(
        "SELECT s.thread_id, s.updated_at AS since, 'infinity'::timestamptz AS until \
         FROM thread_subscriptions s WHERE s.user_id = {me} AND s.level = 'watching' \
         UNION ALL \
         SELECT t.id, c.updated_at, COALESCE(s.updated_at, 'infinity'::timestamptz) \
         FROM category_subscriptions c \
         JOIN threads t ON t.category_id = c.category_id AND t.last_activity_at > c.updated_at \
         LEFT JOIN thread_subscriptions s ON s.user_id = c.user_id AND s.thread_id = t.id \
         WHERE c.user_id = {me} AND c.level = 'watching' \
           AND (s.updated_at IS NULL OR s.updated_at > c.updated_at)"
    )
}

/// When `{me}` last marked every notification read (`-infinity`: never).
fn all_read_at(me: &str) -> String {
    format!(
        "COALESCE((SELECT k.all_read_at FROM notification_marks k WHERE k.user_id = {me}), \
         '-infinity'::timestamptz)"
    )
}

/// The conditions every derived notification of post `p` in thread `t` meets, for `{me}`.
fn about(me: &str) -> String {
    format!(
        "p.number > 1 AND p.author_id <> {me} AND p.deleted_at IS NULL AND p.hidden_at IS NULL \
         AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.user_id = {me} AND n.post_id = p.id)"
    )
}

/// The number of unread derived notifications of `{me}`, as an SQL expression. Only the posts
/// after the member's read position and after their last "mark all read" are looked at (the
/// index on `(thread_id, created_at)`).
pub fn unread_count_sql(me: &str) -> String {
    format!(
        "(SELECT count(*) FROM ({watched}) w \
          JOIN threads t ON t.id = w.thread_id AND t.hidden_at IS NULL \
          LEFT JOIN thread_reads r ON r.user_id = {me} AND r.thread_id = t.id \
          JOIN posts p ON p.thread_id = t.id \
               AND p.created_at > GREATEST(w.since, {all_read}) AND p.created_at <= w.until \
               AND p.number > COALESCE(r.post_number, 0) \
          WHERE t.last_activity_at > GREATEST(w.since, {all_read}) \
            AND COALESCE(r.post_number, 0) < t.reply_count + 1 AND {about} \
            AND NOT EXISTS (SELECT 1 FROM notification_reads nr \
                            WHERE nr.user_id = {me} AND nr.post_id = p.id))",
        watched = watched(me),
        all_read = all_read_at(me),
        about = about(me),
    )
}

/// `user`'s unread derived notifications.
pub fn unread_count(conn: &mut PgConnection, user: Uuid) -> QueryResult<i64> {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let sql = format!("SELECT {} AS n", unread_count_sql("$1"));
    let row: N = diesel::sql_query(sql)
        .bind::<SqlUuid, _>(user)
        .get_result(conn)?;
    Ok(row.n)
}

/// One derived notification.
pub struct Derived {
    pub post_id: Uuid,
    pub thread_id: Uuid,
    pub title: String,
    pub created_at: DateTime<Utc>,
    pub read: bool,
    pub actor: UserPublic,
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = SqlUuid)]
    post_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    thread_id: Uuid,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Bool)]
    read: bool,
    #[diesel(sql_type = SqlUuid)]
    actor_id: Uuid,
    #[diesel(sql_type = Text)]
    username: String,
    #[diesel(sql_type = Text)]
    display_name: String,
    #[diesel(sql_type = Text)]
    role: String,
    #[diesel(sql_type = Timestamptz)]
    actor_created_at: DateTime<Utc>,
}

/// `user`'s newest derived notifications before `after` (a `(created_at, id)` cursor), at most
/// `limit`, newest first; only unread ones when `unread_only`. Per watched thread, its newest
/// posts in the watching interval (the index on `(thread_id, created_at)`), then the newest of all.
pub fn page(
    conn: &mut PgConnection,
    user: Uuid,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
    unread_only: bool,
) -> QueryResult<Vec<Derived>> {
    let me = "$1";
    let all_read = all_read_at(me);
    let read = format!(
        "(p.number <= COALESCE(r.post_number, 0) OR p.created_at <= {all_read} \
          OR EXISTS (SELECT 1 FROM notification_reads nr WHERE nr.user_id = {me} AND nr.post_id = p.id))"
    );
    // Unread only: from the later of the interval's start and the last "mark all read".
    let from = if unread_only {
        format!("GREATEST(w.since, {all_read})")
    } else {
        "w.since".to_string()
    };
    let unread_filter = if unread_only {
        format!(" AND NOT {read}")
    } else {
        String::new()
    };
    // Unread only: a thread read to its end has none (no need to walk its posts).
    let thread_filter = if unread_only {
        " AND COALESCE(r.post_number, 0) < t.reply_count + 1"
    } else {
        ""
    };
    let sql = format!(
        "SELECT p.id AS post_id, t.id AS thread_id, t.title, p.created_at, {read} AS read, \
                u.id AS actor_id, u.username, u.display_name, u.role, u.created_at AS actor_created_at \
         FROM ({watched}) w \
         JOIN threads t ON t.id = w.thread_id AND t.hidden_at IS NULL AND t.last_activity_at > {from} \
         LEFT JOIN thread_reads r ON r.user_id = {me} AND r.thread_id = t.id \
         CROSS JOIN LATERAL ( \
             SELECT p.* FROM posts p \
             WHERE p.thread_id = t.id AND p.created_at > {from} AND p.created_at <= w.until{thread_filter} \
               AND ($2::timestamptz IS NULL OR (p.created_at, p.id) < ($2::timestamptz, $3::uuid)) \
               AND {about}{unread_filter} \
             ORDER BY p.created_at DESC, p.id DESC LIMIT $4) p \
         JOIN users u ON u.id = p.author_id \
         ORDER BY p.created_at DESC, p.id DESC LIMIT $4",
        watched = watched(me),
        about = about(me),
    );
    let rows: Vec<Row> = diesel::sql_query(sql)
        .bind::<SqlUuid, _>(user)
        .bind::<Nullable<Timestamptz>, _>(after.map(|a| a.0))
        .bind::<Nullable<SqlUuid>, _>(after.map(|a| a.1))
        .bind::<BigInt, _>(limit)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| Derived {
            post_id: r.post_id,
            thread_id: r.thread_id,
            title: r.title,
            created_at: r.created_at,
            read: r.read,
            actor: view::user((
                r.actor_id,
                r.username,
                r.display_name,
                r.role,
                r.actor_created_at,
            )),
        })
        .collect())
}

/// Marks derived notifications read by id (their posts' ids); other ids are ignored.
pub fn mark_read(conn: &mut PgConnection, user: Uuid, ids: &[Uuid]) -> QueryResult<usize> {
    diesel::sql_query(
        "INSERT INTO notification_reads (user_id, post_id) \
         SELECT $1, p.id FROM posts p WHERE p.id = ANY($2) \
         ON CONFLICT DO NOTHING",
    )
    .bind::<SqlUuid, _>(user)
    .bind::<Array<SqlUuid>, _>(ids)
    .execute(conn)
}

/// Marks every derived notification written until now read: one mark replaces the single ones.
pub fn mark_all_read(conn: &mut PgConnection, user: Uuid) -> QueryResult<()> {
    diesel::sql_query(
        "WITH d AS (DELETE FROM notification_reads WHERE user_id = $1) \
         INSERT INTO notification_marks (user_id, all_read_at) VALUES ($1, now()) \
         ON CONFLICT (user_id) DO UPDATE SET all_read_at = now()",
    )
    .bind::<SqlUuid, _>(user)
    .execute(conn)?;
    Ok(())
}

/// Erasure: the member's marks.
pub fn erase(conn: &mut PgConnection, user: Uuid) -> QueryResult<()> {
    diesel::sql_query(
        "WITH d AS (DELETE FROM notification_reads WHERE user_id = $1) \
         DELETE FROM notification_marks WHERE user_id = $1",
    )
    .bind::<SqlUuid, _>(user)
    .execute(conn)?;
    Ok(())
}
