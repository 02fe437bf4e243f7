//! Subscriptions (watch levels on threads and categories) and notifications. Every feature notifies
//! through [`notify`] and the fan-out helpers, inside its own writing transaction: one statement per
//! kind of recipient, never one query per recipient.

use actix_web::{HttpResponse, get, post, put, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Text, Timestamptz, Uuid as SqlUuid};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::accounts::auth::{Actor, Bearer};
use crate::accounts::types::UserPublic;
use crate::app::AppState;
use crate::db;
use crate::db::fixed::fixed;
use crate::discussions::view::{USER_COLUMNS, UserCols, user};
use crate::error::{AppError, AppResult, Problem};
use crate::pagination::Page;
use crate::schema::{
    categories, category_subscriptions, notifications, thread_subscriptions, threads, users,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum WatchLevel {
    /// Notified of every new post.
    Watching,
    /// Listed as unread, no notification.
    Tracking,
    /// Notified when mentioned or replied to.
    Normal,
    /// Nothing; left out of lists and digests.
    Muted,
}

impl WatchLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Watching => "watching",
            Self::Tracking => "tracking",
            Self::Normal => "normal",
            Self::Muted => "muted",
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Subscription {
    pub level: WatchLevel,
}

/// What a notification is about.
#[derive(Debug, Serialize, ToSchema)]
pub struct Target {
    /// `thread`, `post`, `challenge`, …
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Uuid,
    pub title: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Notification {
    pub id: Uuid,
    /// `reply`, `mention`, `watched_reply`, `new_thread`, `accepted_answer`, …
    pub kind: String,
    pub created_at: DateTime<Utc>,
    pub read: bool,
    pub actor: Option<UserPublic>,
    pub target: Target,
    /// The post that caused it, when there is one.
    pub post_id: Option<Uuid>,
    pub decision_id: Option<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationPage {
    pub items: Vec<Notification>,
    pub next_cursor: Option<String>,
    /// Unread notifications in all.
    pub unread_count: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationQuery {
    /// Only unread notifications.
    pub unread: Option<bool>,
    /// Items per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// `{"ids": [...]}` or `{"all": true}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkRead {
    #[schema(max_items = 100)]
    pub ids: Option<Vec<Uuid>>,
    pub all: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnreadCount {
    pub unread_count: i64,
}

/// The level a member gets on a thread they start or reply to, unless they chose one.
pub const LEVEL_ON_POSTING: WatchLevel = WatchLevel::Watching;

/// Sets `user`'s level on a thread to [`LEVEL_ON_POSTING`] only if they have none yet (an explicit
/// choice is kept). A reply does the same inside its one statement (`threads::create_reply`).
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

/// What a notification fan-out is about.
pub struct Event<'a> {
    pub kind: &'a str,
    pub actor: Uuid,
    pub target_type: &'a str,
    pub target_id: Uuid,
    pub target_title: &'a str,
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
    let rows: Vec<Notified> = diesel::sql_query(
        "INSERT INTO notifications (id, user_id, kind, actor_id, target_type, target_id, target_title, post_id) \
         SELECT uuid_generate_v7(), u.id, $1, $2, $3, $4, $5, $6 FROM users u \
         WHERE u.id = ANY($7) AND u.id <> $2 AND u.erased_at IS NULL \
           AND NOT EXISTS (SELECT 1 FROM thread_subscriptions s \
                           WHERE s.user_id = u.id AND s.thread_id = $8 AND s.level = 'muted') \
           AND ($6 IS NULL OR NOT EXISTS (SELECT 1 FROM notifications n \
                                          WHERE n.user_id = u.id AND n.post_id = $6)) \
         RETURNING user_id",
    )
    .bind::<Text, _>(event.kind)
    .bind::<SqlUuid, _>(event.actor)
    .bind::<Text, _>(event.target_type)
    .bind::<SqlUuid, _>(event.target_id)
    .bind::<Text, _>(event.target_title)
    .bind::<diesel::sql_types::Nullable<SqlUuid>, _>(event.post_id)
    .bind::<Array<SqlUuid>, _>(recipients)
    .bind::<diesel::sql_types::Nullable<SqlUuid>, _>(event.thread_id)
    .load(conn)?;
    Ok(rows.into_iter().map(|r| r.user_id).collect())
}

/// Job kind: the watchers' fan-out of a new post.
pub const NOTIFY_WATCHERS_JOB: &str = "notify_watchers";

/// Enqueues the watchers' fan-out of a post, on the caller's connection (so with the post). A hot
/// thread can have thousands of watchers: writing their notifications in the reply's transaction
/// held the thread's row lock for the whole fan-out (replies at 0.07x TPC-B in bench/run).
pub fn enqueue_watchers(conn: &mut PgConnection, event: &Event, category: Uuid) -> QueryResult<()> {
    crate::jobs::enqueue(
        conn,
        crate::jobs::NewJob::new(
            NOTIFY_WATCHERS_JOB,
            serde_json::json!({
                "kind": event.kind,
                "actor": event.actor,
                "target_type": event.target_type,
                "target_id": event.target_id,
                "target_title": event.target_title,
                "post_id": event.post_id,
                "thread_id": event.thread_id,
                "category": category,
            }),
        ),
    )?;
    Ok(())
}

pub fn register_jobs(registry: &mut crate::jobs::Registry) {
    registry.register(NOTIFY_WATCHERS_JOB, |_ctx, conn, payload| {
        let uuid = |k: &str| -> anyhow::Result<Uuid> {
            payload
                .get(k)
                .and_then(serde_json::Value::as_str)
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| anyhow::anyhow!("payload without {k}"))
        };
        let text = |k: &str| {
            payload
                .get(k)
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let (kind, target_type, title) = (text("kind"), text("target_type"), text("target_title"));
        let event = Event {
            kind: &kind,
            actor: uuid("actor")?,
            target_type: &target_type,
            target_id: uuid("target_id")?,
            target_title: &title,
            post_id: uuid("post_id").ok(),
            thread_id: uuid("thread_id").ok(),
        };
        // Idempotent: who was already notified of this post is skipped.
        notify_watchers(conn, &event, uuid("category")?)?;
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
    )
    .bind::<Text, _>(event.kind)
    .bind::<SqlUuid, _>(event.actor)
    .bind::<Text, _>(event.target_type)
    .bind::<SqlUuid, _>(event.target_id)
    .bind::<Text, _>(event.target_title)
    .bind::<diesel::sql_types::Nullable<SqlUuid>, _>(event.post_id)
    .bind::<SqlUuid, _>(thread)
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

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list)
        .service(mark_read)
        .service(subscribe_thread)
        .service(subscribe_category);
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

/// The caller's notifications, newest first, with the unread count.
#[utoipa::path(
    operation_id = "list_notifications",
    tag = "notifications",
    security(("bearer" = [])),
    params(NotificationQuery),
    responses(
        (status = 200, description = "A page of notifications", body = NotificationPage),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Account suspended", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid limit or cursor", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/notifications")]
pub async fn list(
    state: web::Data<AppState>,
    bearer: Bearer,
    query: web::Query<NotificationQuery>,
) -> AppResult<HttpResponse> {
    let page_query = crate::pagination::PageQuery {
        limit: query.limit,
        cursor: query.cursor.clone(),
    };
    let limit = page_query.limit()?;
    let after: Option<(DateTime<Utc>, Uuid)> = page_query.after()?;
    let unread_only = query.unread.unwrap_or(false);
    let page = db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        // One statement: the page, each actor's public columns, and the unread count (an
        // uncorrelated subquery, which PostgreSQL runs once for the page).
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
                fixed::<BigInt>(
                    "(SELECT count(*) FROM notifications unread WHERE unread.user_id = ",
                )
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
                    .bind::<Timestamptz, _>(at)
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
            |r| (r.0.8, r.0.0),
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
    })
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Mark notifications read: `{"ids": [...]}` or `{"all": true}`.
#[utoipa::path(
    tag = "notifications",
    security(("bearer" = [])),
    request_body = MarkRead,
    responses(
        (status = 200, description = "Marked; the unread count that remains", body = UnreadCount),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Account suspended", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Neither ids nor all", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/notifications/read")]
pub async fn mark_read(
    state: web::Data<AppState>,
    bearer: Bearer,
    body: web::Json<MarkRead>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let count = db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        let unread = notifications::table
            .filter(notifications::user_id.eq(actor.id))
            .filter(notifications::read_at.is_null());
        match (body.ids, body.all) {
            (_, Some(true)) => {
                diesel::update(unread)
                    .set(notifications::read_at.eq(Utc::now()))
                    .execute(conn)?;
            }
            (Some(ids), _) if ids.len() <= 100 => {
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
    })
    .await?;
    Ok(HttpResponse::Ok().json(count))
}

/// Set the caller's watch level on a thread.
#[utoipa::path(
    tag = "notifications",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Thread id")),
    request_body = Subscription,
    responses(
        (status = 200, description = "The level now in force", body = Subscription),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Account suspended", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such thread", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/threads/{id}/subscription")]
pub async fn subscribe_thread(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<Uuid>,
    body: web::Json<Subscription>,
) -> AppResult<HttpResponse> {
    let thread = path.into_inner();
    let level = body.into_inner().level;
    db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        threads::table
            .find(thread)
            .select(threads::id)
            .first::<Uuid>(conn)?;
        diesel::insert_into(thread_subscriptions::table)
            .values((
                thread_subscriptions::user_id.eq(actor.id),
                thread_subscriptions::thread_id.eq(thread),
                thread_subscriptions::level.eq(level.as_str()),
            ))
            .on_conflict((
                thread_subscriptions::user_id,
                thread_subscriptions::thread_id,
            ))
            .do_update()
            .set((
                thread_subscriptions::level.eq(level.as_str()),
                thread_subscriptions::updated_at.eq(Utc::now()),
            ))
            .execute(conn)?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::Ok().json(Subscription { level }))
}

/// Set the caller's watch level on a category.
#[utoipa::path(
    tag = "notifications",
    security(("bearer" = [])),
    params(("slug" = String, Path, description = "Category slug")),
    request_body = Subscription,
    responses(
        (status = 200, description = "The level now in force", body = Subscription),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Account suspended", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such category", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/categories/{slug}/subscription")]
pub async fn subscribe_category(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<String>,
    body: web::Json<Subscription>,
) -> AppResult<HttpResponse> {
    let slug = path.into_inner();
    let level = body.into_inner().level;
    db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        let category: Uuid = categories::table
            .filter(categories::slug.eq(&slug))
            .select(categories::id)
            .first(conn)?;
        diesel::insert_into(category_subscriptions::table)
            .values((
                category_subscriptions::user_id.eq(actor.id),
                category_subscriptions::category_id.eq(category),
                category_subscriptions::level.eq(level.as_str()),
            ))
            .on_conflict((
                category_subscriptions::user_id,
                category_subscriptions::category_id,
            ))
            .do_update()
            .set((
                category_subscriptions::level.eq(level.as_str()),
                category_subscriptions::updated_at.eq(Utc::now()),
            ))
            .execute(conn)?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::Ok().json(Subscription { level }))
}
