//! Notifications and watch levels. Every feature notifies through [`notify`] and the fan-out helpers,
//! inside its own writing transaction: one statement per kind of recipient, never one query per
//! recipient.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use super::types::*;
use crate::accounts::auth::Actor;
use crate::accounts::view::{USER_COLUMNS, UserCols, user};
use crate::db::fixed::fixed;
use crate::error::{AppError, AppResult};
use crate::jobs::{Job, Registry};
use crate::pagination::{At, Page, PageQuery};
use crate::schema::{
    categories, notifications, thread_reads, thread_subscriptions, threads, users,
};

/// Binds an [`Event`]'s fields, as `$1` to `$6` (kind, actor, target type, id and title, post), to
/// a fan-out statement.
macro_rules! with_event {
    ($query:expr, $event:expr) => {
        $query
            .bind::<Text, _>(&$event.kind)
            .bind::<SqlUuid, _>($event.actor)
            .bind::<Text, _>(&$event.target_type)
            .bind::<SqlUuid, _>($event.target_id)
            .bind::<Text, _>(&$event.target_title)
            .bind::<Nullable<SqlUuid>, _>($event.post_id)
    };
}

/// The level a member gets on a thread they start or reply to, unless they chose one.
pub const LEVEL_ON_POSTING: WatchLevel = WatchLevel::Watching;

/// Sets `user`'s level on a thread to [`LEVEL_ON_POSTING`] only if they have none yet (an explicit
/// choice is kept). A reply does the same inside its one statement (`discussions::posts`).
pub fn watch_thread_by_default(
    conn: &mut PgConnection,
    user: Uuid,
    thread: Uuid,
) -> QueryResult<()> {
    diesel::insert_into(thread_subscriptions::table)
        .values((
            thread_subscriptions::user_id.eq(user),
            thread_subscriptions::thread_id.eq(thread),
            thread_subscriptions::level.eq(LEVEL_ON_POSTING.as_str()),
        ))
        .on_conflict_do_nothing()
        .execute(conn)?;
    Ok(())
}

/// Moves `user`'s read position in `thread` up to `number` (never back), in the caller's
/// transaction: a thread's author has read its opening post. Replies do the same inside their one
/// statement (`discussions::posts`).
pub fn read_up_to(
    conn: &mut PgConnection,
    user: Uuid,
    thread: Uuid,
    number: i32,
) -> QueryResult<()> {
    diesel::insert_into(thread_reads::table)
        .values((
            thread_reads::user_id.eq(user),
            thread_reads::thread_id.eq(thread),
            thread_reads::post_number.eq(number),
        ))
        .on_conflict((thread_reads::user_id, thread_reads::thread_id))
        .do_update()
        .set((
            thread_reads::post_number.eq(diesel::dsl::sql::<diesel::sql_types::Integer>(
                "GREATEST(thread_reads.post_number, EXCLUDED.post_number)",
            )),
            thread_reads::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)?;
    Ok(())
}

/// `PUT /threads/{id}/read`: the caller has read `thread` up to post `number` (and its watched
/// replies up to there are read: a second statement). The position: one statement; it only
/// moves forward (an older, late request changes nothing); a number past the thread's
/// last post is refused (422 `post_number`) and changes nothing; a thread the caller may not see is
/// a 404.
pub fn mark_thread_read(
    conn: &mut PgConnection,
    actor: &Actor,
    thread: Uuid,
    number: PostNumber,
) -> AppResult<ReadPosition> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        last: i32,
        #[diesel(sql_type = Nullable<diesel::sql_types::Integer>)]
        stored: Option<i32>,
    }
    let row: Option<Row> = diesel::sql_query(
        "WITH t AS (SELECT id, reply_count + 1 AS last FROM threads WHERE id = $2 \
                    AND (hidden_at IS NULL OR $4 OR author_id = $1)), \
              w AS (INSERT INTO thread_reads (user_id, thread_id, post_number) \
                    SELECT $1, t.id, $3 FROM t WHERE $3 <= t.last \
                    ON CONFLICT (user_id, thread_id) DO UPDATE \
                    SET post_number = EXCLUDED.post_number, updated_at = now() \
                    WHERE thread_reads.post_number < EXCLUDED.post_number \
                    RETURNING post_number) \
         SELECT t.last, COALESCE((SELECT post_number FROM w), \
                (SELECT post_number FROM thread_reads WHERE user_id = $1 AND thread_id = $2)) \
                AS stored \
         FROM t",
    )
    .bind::<SqlUuid, _>(actor.id)
    .bind::<SqlUuid, _>(thread)
    .bind::<diesel::sql_types::Integer, _>(number.get())
    .bind::<Bool, _>(actor.is_staff())
    .get_result(conn)
    .optional()?;
    let row = row.ok_or(AppError::NotFound)?;
    if number.get() > row.last {
        return Err(AppError::validation(
            "post_number",
            format!("This thread's last post is number {}.", row.last),
        ));
    }
    let post_number = row.stored.unwrap_or(number.get());
    // Reading the thread reads its watched replies up to there.
    super::derived::read_up_to(conn, actor.id, thread, post_number)?;
    Ok(ReadPosition {
        thread_id: thread,
        post_number,
        last_post_number: row.last,
    })
}

/// What a notification fan-out is about.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Event {
    pub kind: String,
    pub actor: Uuid,
    pub target_type: String,
    pub target_id: Uuid,
    pub target_title: String,
    pub post_id: Option<Uuid>,
    /// The thread whose muting silences this event, if any.
    pub thread_id: Option<Uuid>,
}

/// Notifies `recipients` (never the actor, never who muted the thread, never twice for one post);
/// one statement. Returns who was notified.
pub fn notify(
    conn: &mut PgConnection,
    event: &Event,
    recipients: &[Uuid],
) -> QueryResult<Vec<Uuid>> {
    if recipients.is_empty() {
        return Ok(Vec::new());
    }
    #[derive(QueryableByName)]
    struct Notified {
        #[diesel(sql_type = SqlUuid)]
        user_id: Uuid,
    }
    let rows: Vec<Notified> = with_event!(
        diesel::sql_query(
            "INSERT INTO notifications (id, user_id, kind, actor_id, target_type, target_id, target_title, post_id) \
             SELECT uuid_generate_v7(), u.id, $1, $2, $3, $4, $5, $6 FROM users u \
             WHERE u.id = ANY($7) AND u.id <> $2 AND u.erased_at IS NULL \
               AND NOT EXISTS (SELECT 1 FROM thread_subscriptions s \
                               WHERE s.user_id = u.id AND s.thread_id = $8 AND s.level = 'muted') \
               AND ($6 IS NULL OR NOT EXISTS (SELECT 1 FROM notifications n \
                                              WHERE n.user_id = u.id AND n.post_id = $6)) \
             RETURNING user_id",
        ),
        event
    )
    .bind::<Array<SqlUuid>, _>(recipients)
    .bind::<Nullable<SqlUuid>, _>(event.thread_id)
    .load(conn)?;
    Ok(rows.into_iter().map(|r| r.user_id).collect())
}

/// The watchers' fan-out of a new post, as a job. Replies no longer queue it (watched replies are
/// derived: `derived`); the kind stays registered for the jobs queued before that change.
#[derive(Debug, Serialize, Deserialize)]
pub struct NotifyWatchers {
    #[serde(flatten)]
    pub event: Event,
    /// The thread's category, whose watchers hear of it too.
    pub category: Uuid,
}

impl Job for NotifyWatchers {
    const KIND: &'static str = "notify_watchers";
}

pub fn register_jobs(registry: &mut Registry) {
    registry.add(|_ctx, conn, job: NotifyWatchers| {
        // Idempotent: who was already notified of this post is skipped.
        notify_watchers(conn, &job.event, job.category)?;
        Ok(())
    });
}

/// Notifies everyone watching the thread, or watching its category without a level on the thread
/// itself (skipping who was already notified of this post). One statement.
pub fn notify_watchers(
    conn: &mut PgConnection,
    event: &Event,
    category: Uuid,
) -> QueryResult<usize> {
    let thread = event.thread_id.unwrap_or(event.target_id);
    with_event!(
        diesel::sql_query(
            "INSERT INTO notifications (id, user_id, kind, actor_id, target_type, target_id, target_title, post_id) \
             SELECT uuid_generate_v7(), w.user_id, $1, $2, $3, $4, $5, $6 FROM ( \
                 SELECT user_id FROM thread_subscriptions WHERE thread_id = $7 AND level = 'watching' \
                 UNION \
                 SELECT c.user_id FROM category_subscriptions c \
                 WHERE c.category_id = $8 AND c.level = 'watching' \
                   AND NOT EXISTS (SELECT 1 FROM thread_subscriptions t \
                                   WHERE t.user_id = c.user_id AND t.thread_id = $7) \
             ) w JOIN users u ON u.id = w.user_id AND u.erased_at IS NULL \
             WHERE w.user_id <> $2 \
               AND ($6 IS NULL OR NOT EXISTS (SELECT 1 FROM notifications n \
                                              WHERE n.user_id = w.user_id AND n.post_id = $6))",
        ),
        event
    )
    .bind::<SqlUuid, _>(thread)
    .bind::<SqlUuid, _>(category)
    .execute(conn)
}

/// Notifies the thread's watchers (and its category's, as [`notify_watchers`]) of an event that
/// may repeat (a wiki's edits): a watcher who has not read the previous one of this kind about
/// this target gets no other. One statement.
pub fn notify_watchers_once(
    conn: &mut PgConnection,
    event: &Event,
    category: Uuid,
) -> QueryResult<usize> {
    let thread = event.thread_id.unwrap_or(event.target_id);
    with_event!(
        diesel::sql_query(
            "INSERT INTO notifications (id, user_id, kind, actor_id, target_type, target_id, target_title, post_id) \
             SELECT uuid_generate_v7(), w.user_id, $1, $2, $3, $4, $5, $6 FROM ( \
                 SELECT user_id FROM thread_subscriptions WHERE thread_id = $7 AND level = 'watching' \
                 UNION \
                 SELECT c.user_id FROM category_subscriptions c \
                 WHERE c.category_id = $8 AND c.level = 'watching' \
                   AND NOT EXISTS (SELECT 1 FROM thread_subscriptions t \
                                   WHERE t.user_id = c.user_id AND t.thread_id = $7) \
             ) w JOIN users u ON u.id = w.user_id AND u.erased_at IS NULL \
             WHERE w.user_id <> $2 \
               AND NOT EXISTS (SELECT 1 FROM notifications n \
                               WHERE n.user_id = w.user_id AND n.kind = $1 \
                                 AND n.target_id = $4 AND n.read_at IS NULL)",
        ),
        event
    )
    .bind::<SqlUuid, _>(thread)
    .bind::<SqlUuid, _>(category)
    .execute(conn)
}

/// Tells the watchers of a category of a new thread in it (`new_thread`; its opening post is
/// `event.post_id`). One statement.
pub fn notify_new_thread(
    conn: &mut PgConnection,
    event: &Event,
    category: Uuid,
) -> QueryResult<usize> {
    with_event!(
        diesel::sql_query(
            "INSERT INTO notifications (id, user_id, kind, actor_id, target_type, target_id, target_title, post_id) \
             SELECT uuid_generate_v7(), c.user_id, $1, $2, $3, $4, $5, $6 \
             FROM category_subscriptions c JOIN users u ON u.id = c.user_id AND u.erased_at IS NULL \
             WHERE c.category_id = $7 AND c.level = 'watching' AND c.user_id <> $2 \
               AND ($6 IS NULL OR NOT EXISTS (SELECT 1 FROM notifications n \
                                              WHERE n.user_id = c.user_id AND n.post_id = $6))",
        ),
        event
    )
    .bind::<SqlUuid, _>(category)
    .execute(conn)
}

fn unread_count(conn: &mut PgConnection, user: Uuid) -> QueryResult<i64> {
    notifications::table
        .filter(notifications::user_id.eq(user))
        .filter(notifications::read_at.is_null())
        .count()
        .get_result(conn)
}

/// A member's unread notifications, their watched replies derived first (digests count them).
pub fn unread_with_derived(conn: &mut PgConnection, user: Uuid) -> QueryResult<i64> {
    super::derived::derive(conn, user)?;
    unread_count(conn, user)
}

type NotificationRow = (
    Uuid,
    String,
    Option<Uuid>,
    String,
    Uuid,
    String,
    Option<Uuid>,
    Option<Uuid>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
);

/// A member's notifications, newest first, with the unread count: their watched replies derived
/// since the last look (`derived`, two statements), then one statement (the page, each actor's
/// public columns, and the unread count as an uncorrelated subquery PostgreSQL runs once).
pub fn list(
    conn: &mut PgConnection,
    actor: &Actor,
    paging: &PageQuery,
    unread_only: bool,
) -> AppResult<NotificationPage> {
    let limit = paging.limit()?;
    let after: Option<(At, Uuid)> = paging.after()?;
    // Watched replies since the last look become rows first (`derived`).
    super::derived::derive(conn, actor.id)?;
    let mut q = notifications::table
        .left_join(users::table.on(notifications::actor_id.eq(users::id.nullable())))
        .filter(notifications::user_id.eq(actor.id))
        .select((
            (
                notifications::id,
                notifications::kind,
                notifications::actor_id,
                notifications::target_type,
                notifications::target_id,
                notifications::target_title,
                notifications::post_id,
                notifications::decision_id,
                notifications::created_at,
                notifications::read_at,
            ),
            USER_COLUMNS.nullable(),
            fixed::<BigInt>("(SELECT count(*) FROM notifications unread WHERE unread.user_id = ")
                .bind::<SqlUuid, _>(actor.id)
                .sql(" AND unread.read_at IS NULL)"),
        ))
        .into_boxed();
    if unread_only {
        q = q.filter(notifications::read_at.is_null());
    }
    if let Some((at, id)) = after {
        // A row-value comparison, so that the cursor is an index range.
        q = q.filter(
            fixed::<Bool>("(notifications.created_at, notifications.id) < (")
                .bind::<Timestamptz, _>(at.0)
                .sql(", ")
                .bind::<SqlUuid, _>(id)
                .sql(")"),
        );
    }
    let rows: Vec<(NotificationRow, Option<UserCols>, i64)> = q
        .order((notifications::created_at.desc(), notifications::id.desc()))
        .limit(limit + 1)
        .load(conn)?;
    let unread_count = match rows.first() {
        Some(r) => r.2,
        None => unread_count(conn, actor.id)?,
    };
    let Page { items, next_cursor } = Page::from_rows(
        rows,
        limit,
        |r| (At(r.0.8), r.0.0),
        |(r, who, _)| Notification {
            id: r.0,
            kind: r.1,
            actor: who.map(user),
            target: Target {
                kind: r.3,
                id: r.4,
                title: r.5,
            },
            post_id: r.6,
            decision_id: r.7,
            created_at: r.8,
            read: r.9.is_some(),
        },
    );
    Ok(NotificationPage {
        items,
        next_cursor,
        unread_count,
    })
}

/// Marks `{ids}` (at most 100) or `{all: true}` read; returns the unread count left.
pub fn mark_read(
    conn: &mut PgConnection,
    actor: &Actor,
    input: MarkRead,
) -> AppResult<UnreadCount> {
    let unread = notifications::table
        .filter(notifications::user_id.eq(actor.id))
        .filter(notifications::read_at.is_null());
    if input.ids.as_ref().is_some_and(|ids| ids.len() > 100) {
        return Err(AppError::validation("ids", "At most 100 ids at a time."));
    }
    match (input.ids, input.all) {
        (_, Some(true)) => {
            diesel::update(unread)
                .set(notifications::read_at.eq(Utc::now()))
                .execute(conn)?;
        }
        (Some(ids), _) => {
            diesel::update(unread.filter(notifications::id.eq_any(ids)))
                .set(notifications::read_at.eq(Utc::now()))
                .execute(conn)?;
        }
        _ => {
            return Err(AppError::validation(
                "ids",
                "Give `ids` (at most 100) or `all: true`.",
            ));
        }
    }
    Ok(UnreadCount {
        unread_count: unread_count(conn, actor.id)?,
    })
}

/// Sets `user`'s watch level on a target, through `upsert`: an `INSERT … ON CONFLICT DO UPDATE` of a
/// subscription table taking the member, the target and the level (`$1`, `$2`, `$3`).
pub fn upsert_level(
    conn: &mut PgConnection,
    upsert: &'static str,
    user: Uuid,
    target: Uuid,
    level: WatchLevel,
) -> QueryResult<()> {
    diesel::sql_query(upsert)
        .bind::<SqlUuid, _>(user)
        .bind::<SqlUuid, _>(target)
        .bind::<Text, _>(level.as_str())
        .execute(conn)?;
    Ok(())
}

/// Sets the caller's level on a thread (404 for an unknown thread).
pub fn set_thread_level(
    conn: &mut PgConnection,
    actor: &Actor,
    thread: Uuid,
    level: WatchLevel,
) -> AppResult<()> {
    threads::table
        .find(thread)
        .select(threads::id)
        .first::<Uuid>(conn)?;
    upsert_level(
        conn,
        "INSERT INTO thread_subscriptions (user_id, thread_id, level) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id, thread_id) DO UPDATE SET level = EXCLUDED.level, \
         updated_at = CASE WHEN thread_subscriptions.level = EXCLUDED.level \
                           THEN thread_subscriptions.updated_at ELSE now() END",
        actor.id,
        thread,
        level,
    )?;
    Ok(())
}

/// Sets the caller's level on a category (404 for an unknown slug).
pub fn set_category_level(
    conn: &mut PgConnection,
    actor: &Actor,
    slug: &str,
    level: WatchLevel,
) -> AppResult<()> {
    let category: Uuid = categories::table
        .filter(categories::slug.eq(slug))
        .select(categories::id)
        .first(conn)?;
    upsert_level(
        conn,
        "INSERT INTO category_subscriptions (user_id, category_id, level) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id, category_id) DO UPDATE SET level = EXCLUDED.level, \
         updated_at = CASE WHEN category_subscriptions.level = EXCLUDED.level \
                           THEN category_subscriptions.updated_at ELSE now() END",
        actor.id,
        category,
        level,
    )?;
    Ok(())
}

/// A member's notifications (personal-data export).
pub fn export(conn: &mut PgConnection, user: Uuid) -> AppResult<Value> {
    type NoteRow = (
        String,
        String,
        Uuid,
        String,
        DateTime<Utc>,
        Option<DateTime<Utc>>,
    );
    let notes: Vec<NoteRow> = notifications::table
        .filter(notifications::user_id.eq(user))
        .order(notifications::created_at)
        .select((
            notifications::kind,
            notifications::target_type,
            notifications::target_id,
            notifications::target_title,
            notifications::created_at,
            notifications::read_at,
        ))
        .load(conn)?;
    let reads: Vec<(Uuid, i32, DateTime<Utc>)> = thread_reads::table
        .filter(thread_reads::user_id.eq(user))
        .order(thread_reads::updated_at)
        .select((
            thread_reads::thread_id,
            thread_reads::post_number,
            thread_reads::updated_at,
        ))
        .load(conn)?;
    crate::feature::section(NotificationsExport {
        read_positions: reads
            .into_iter()
            .map(|(thread_id, post_number, at)| ExportedReadPosition {
                thread_id,
                post_number,
                at,
            })
            .collect(),
        notifications: notes
            .into_iter()
            .map(|n| ExportedNotification {
                kind: n.0,
                target: Target {
                    kind: n.1,
                    id: n.2,
                    title: n.3,
                },
                at: n.4,
                read_at: n.5,
            })
            .collect(),
    })
}

/// The notifications' section of `GET /me/export`.
#[derive(Serialize, ToSchema)]
pub struct NotificationsExport {
    #[schema(inline)]
    pub notifications: Vec<ExportedNotification>,
    /// How far you have read each thread you opened.
    #[schema(inline)]
    pub read_positions: Vec<ExportedReadPosition>,
}

#[derive(Serialize, ToSchema)]
pub struct ExportedReadPosition {
    pub thread_id: Uuid,
    pub post_number: i32,
    pub at: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct ExportedNotification {
    #[schema(value_type = super::types::NotificationKind)]
    pub kind: String,
    pub target: Target,
    pub at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

/// Removes a member's notifications and read positions (erasure).
pub fn erase(conn: &mut PgConnection, user: Uuid) -> AppResult<()> {
    diesel::delete(notifications::table.filter(notifications::user_id.eq(user))).execute(conn)?;
    diesel::delete(thread_reads::table.filter(thread_reads::user_id.eq(user))).execute(conn)?;
    super::derived::erase(conn, user)?;
    Ok(())
}

/// A notification that concerns the member personally (a moderation decision about them, its
/// outcome, their notice's outcome): never muted, and it names the decision when there is one.
#[allow(clippy::too_many_arguments)]
pub fn notify_personal(
    conn: &mut PgConnection,
    user: Uuid,
    kind: &str,
    actor: Option<Uuid>,
    target_type: &str,
    target_id: Uuid,
    title: &str,
    decision: Option<Uuid>,
) -> QueryResult<()> {
    diesel::insert_into(notifications::table)
        .values((
            notifications::id.eq(Uuid::now_v7()),
            notifications::user_id.eq(user),
            notifications::kind.eq(kind),
            notifications::actor_id.eq(actor),
            notifications::target_type.eq(target_type),
            notifications::target_id.eq(target_id),
            notifications::target_title.eq(title),
            notifications::decision_id.eq(decision),
        ))
        .execute(conn)?;
    Ok(())
}
