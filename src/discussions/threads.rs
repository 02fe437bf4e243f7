//! Threads and posts: create, list (keyset cursors), read, edit with revisions, soft delete,
//! reactions, accepted answers. Counters are kept in the writing transaction; notifications fan out
//! there too.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, put, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use serde::Serialize;
use uuid::Uuid;

use super::types::*;
use super::view::{self, PostRow, ThreadCursor, ThreadRow};
use crate::accounts::auth::{Actor, Bearer, MaybeBearer};
use crate::accounts::models::lower;
use crate::app::AppState;
use crate::db;
use crate::db::fixed::fixed;
use crate::error::{AppError, AppResult, FieldError, Problem};
use crate::http_util::{self, Stored};
use crate::input::one_line;
use crate::notifications::{self, Event};
use crate::pagination::{Page, PageQuery};
use crate::schema::{
    categories, post_reactions, post_revisions, posts, tags, thread_tags, threads, users,
};

/// Post bodies: at most 64 KiB of Markdown.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Mentions notified per post.
pub const MAX_MENTIONS: usize = 10;
/// How long an author may retitle, move or retag their thread.
pub const EDIT_WINDOW_HOURS: i64 = 24;

fn check_body(body: &str) -> AppResult<()> {
    if body.len() > MAX_BODY_BYTES {
        return Err(AppError::validation("body", "At most 64 KiB of text."));
    }
    if body.trim().is_empty() {
        return Err(AppError::validation("body", "Write something."));
    }
    Ok(())
}

/// Looks up tag slugs (unique, at most 5, all existing).
fn tag_ids(conn: &mut PgConnection, slugs: &[String]) -> AppResult<Vec<Uuid>> {
    let mut unique: Vec<&String> = slugs.iter().collect();
    unique.sort();
    unique.dedup();
    if unique.len() > 5 {
        return Err(AppError::validation("tags", "At most 5 tags."));
    }
    let found: Vec<(Uuid, String)> = tags::table
        .filter(tags::slug.eq_any(&unique))
        .select((tags::id, tags::slug))
        .load(conn)?;
    if found.len() != unique.len() {
        let missing: Vec<&str> = unique
            .iter()
            .filter(|s| !found.iter().any(|f| &f.1 == **s))
            .map(|s| s.as_str())
            .collect();
        return Err(AppError::validation(
            "tags",
            format!("Unknown tags: {}.", missing.join(", ")),
        ));
    }
    Ok(found.into_iter().map(|f| f.0).collect())
}

fn set_tags(conn: &mut PgConnection, thread: Uuid, ids: &[Uuid]) -> QueryResult<()> {
    diesel::delete(thread_tags::table.filter(thread_tags::thread_id.eq(thread))).execute(conn)?;
    let rows: Vec<_> = ids
        .iter()
        .map(|t| {
            (
                thread_tags::thread_id.eq(thread),
                thread_tags::tag_id.eq(*t),
            )
        })
        .collect();
    diesel::insert_into(thread_tags::table)
        .values(rows)
        .execute(conn)?;
    Ok(())
}

fn thread_row(conn: &mut PgConnection, id: Uuid) -> AppResult<ThreadRow> {
    Ok(threads::table
        .find(id)
        .select(ThreadRow::as_select())
        .first(conn)?)
}

pub fn thread_view(conn: &mut PgConnection, id: Uuid, viewer: Option<&Actor>) -> AppResult<Thread> {
    let select = view::ThreadSelect {
        id: Some(id),
        limit: 1,
        ..Default::default()
    };
    view::load_threads(conn, &select, viewer)?
        .pop()
        .map(|item| item.thread)
        .ok_or(AppError::NotFound)
}

fn post_row(conn: &mut PgConnection, id: Uuid) -> AppResult<PostRow> {
    Ok(posts::table
        .find(id)
        .select(PostRow::as_select())
        .first(conn)?)
}

fn post_view(conn: &mut PgConnection, id: Uuid, viewer: Option<&Actor>) -> AppResult<Post> {
    view::load_posts(conn, &view::PostSelect::One(id), viewer)?
        .pop()
        .ok_or(AppError::NotFound)
}

/// Existing, active members among `names` (any case).
fn existing_users(conn: &mut PgConnection, names: &[String]) -> QueryResult<Vec<Uuid>> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let lowered: Vec<String> = names.iter().map(|n| n.to_lowercase()).collect();
    users::table
        .filter(lower(users::username).eq_any(lowered))
        .filter(users::erased_at.is_null())
        .select(users::id)
        .load(conn)
}

/// The fingerprint of a create request, for `Idempotency-Key`.
fn fingerprint<T: Serialize>(method_path: &str, body: &T) -> String {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    format!("{method_path} {}", http_util::sha256_hex(&bytes, 16))
}

// ---- threads -------------------------------------------------------------------------------------

#[derive(Serialize)]
struct CreateThreadPrint<'a> {
    category: &'a str,
    title: &'a str,
    body: &'a str,
    tags: &'a [String],
    kind: Option<ThreadKind>,
}

pub(crate) fn create_thread(
    conn: &mut PgConnection,
    actor: &Actor,
    input: &CreateThread,
) -> AppResult<Thread> {
    actor.require_writer()?;
    let (category, who, category_name): (Uuid, String, String) = categories::table
        .filter(categories::slug.eq(&input.category))
        .select((categories::id, categories::who_can_start, categories::name))
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::validation("category", "No category has this slug."))?;
    let _ = category_name;
    if who == "staff" && !actor.is_staff() {
        return Err(AppError::Forbidden(
            "Only moderators start threads in this category.".into(),
        ));
    }
    let mut errors = Vec::new();
    let title = one_line(&input.title, 5, 200)
        .map_err(|m| errors.push(FieldError::new("title", m)))
        .ok();
    if let Err(AppError::Validation(mut e)) = check_body(&input.body) {
        errors.append(&mut e);
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let title = title.unwrap_or_default();
    let tag_ids = tag_ids(conn, &input.tags)?;
    let kind = input.kind.unwrap_or(ThreadKind::Discussion);
    conn.transaction(|conn| {
        let id = Uuid::now_v7();
        let post_id = Uuid::now_v7();
        let now = Utc::now();
        diesel::insert_into(threads::table)
            .values((
                threads::id.eq(id),
                threads::category_id.eq(category),
                threads::author_id.eq(actor.id),
                threads::title.eq(&title),
                threads::kind.eq(kind.as_str()),
                threads::last_activity_at.eq(now),
                threads::last_poster_id.eq(actor.id),
                threads::created_at.eq(now),
            ))
            .execute(conn)?;
        diesel::insert_into(posts::table)
            .values((
                posts::id.eq(post_id),
                posts::thread_id.eq(id),
                posts::number.eq(1),
                posts::author_id.eq(actor.id),
                posts::body.eq(&input.body),
                posts::body_html.eq(crate::markdown::render(&input.body)),
                posts::created_at.eq(now),
            ))
            .execute(conn)?;
        set_tags(conn, id, &tag_ids)?;
        diesel::update(categories::table.find(category))
            .set((
                categories::thread_count.eq(categories::thread_count + 1),
                categories::post_count.eq(categories::post_count + 1),
            ))
            .execute(conn)?;
        diesel::update(users::table.find(actor.id))
            .set(users::thread_count.eq(users::thread_count + 1))
            .execute(conn)?;
        notifications::watch_thread_by_default(conn, actor.id, id)?;
        let mentioned = existing_users(conn, &crate::markdown::mentions(&input.body, MAX_MENTIONS))?;
        let event = |kind| Event {
            kind,
            actor: actor.id,
            target_type: "thread",
            target_id: id,
            target_title: &title,
            post_id: Some(post_id),
            thread_id: Some(id),
        };
        notifications::notify(conn, &event("mention"), &mentioned)?;
        // Category watchers hear of the new thread.
        diesel::sql_query(
            "INSERT INTO notifications (id, user_id, kind, actor_id, target_type, target_id, target_title, post_id) \
             SELECT uuid_generate_v7(), c.user_id, 'new_thread', $1, 'thread', $2, $3, $4 \
             FROM category_subscriptions c JOIN users u ON u.id = c.user_id AND u.erased_at IS NULL \
             WHERE c.category_id = $5 AND c.level = 'watching' AND c.user_id <> $1 \
               AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.user_id = c.user_id AND n.post_id = $4)",
        )
        .bind::<diesel::sql_types::Uuid, _>(actor.id)
        .bind::<diesel::sql_types::Uuid, _>(id)
        .bind::<diesel::sql_types::Text, _>(&title)
        .bind::<diesel::sql_types::Uuid, _>(post_id)
        .bind::<diesel::sql_types::Uuid, _>(category)
        .execute(conn)?;
        thread_view(conn, id, Some(actor))
    })
}

pub(crate) fn create_reply(
    conn: &mut PgConnection,
    actor: &Actor,
    thread: Uuid,
    input: &CreatePost,
) -> AppResult<Post> {
    actor.require_writer()?;
    check_body(&input.body)?;
    // Work that needs no lock happens before the thread's row is locked: concurrent replies to a
    // hot thread wait on that lock, so it is held for as few round trips as possible.
    let body_html = crate::markdown::render(&input.body);
    let mentioned = existing_users(conn, &crate::markdown::mentions(&input.body, MAX_MENTIONS))?;
    db::atomic(conn, |conn| {
        // Lock the thread first: the statement below then runs with a snapshot taken after the
        // lock, so it sees the posts of replies that committed while this one waited.
        let (locked,): (bool,) = threads::table
            .find(thread)
            .select((threads::locked,))
            .for_update()
            .first(conn)?;
        if locked && !actor.is_staff() {
            return Err(AppError::Forbidden("This thread is locked.".into()));
        }
        let reply_to_author = match input.reply_to {
            None => None,
            Some(p) => {
                let target: Option<(Uuid, Uuid)> = posts::table
                    .find(p)
                    .select((posts::thread_id, posts::author_id))
                    .first(conn)
                    .optional()?;
                match target {
                    Some((t, author)) if t == thread => Some(author),
                    _ => {
                        return Err(AppError::validation(
                            "reply_to",
                            "Reply to a post of this thread.",
                        ));
                    }
                }
            }
        };
        let now = Utc::now();
        let id = Uuid::now_v7();
        // One statement writes the reply and everything it counts: the thread's counters (a
        // first-time participant adds one), the post, the category's and the author's counts, and
        // the author's default watch level on the thread. Prepared once per connection.
        let (title, category, number): (String, Uuid, i32) = fixed::<(Text, SqlUuid, Integer)>(
            "WITH t AS (UPDATE threads SET reply_count = reply_count + 1, \
                 participant_count = participant_count + (NOT EXISTS (SELECT 1 FROM posts p \
                     WHERE p.thread_id = threads.id AND p.author_id = ",
        )
        .bind::<SqlUuid, _>(actor.id)
        .sql("))::int, score = score + 2, last_activity_at = ")
        .bind::<Timestamptz, _>(now)
        .sql(", last_poster_id = ")
        .bind::<SqlUuid, _>(actor.id)
        .sql(" WHERE id = ")
        .bind::<SqlUuid, _>(thread)
        .sql(
            " RETURNING title, category_id, reply_count + 1 AS number), \
             p AS (INSERT INTO posts (id, thread_id, number, author_id, reply_to_id, body, \
                                      body_html, created_at) SELECT ",
        )
        .bind::<SqlUuid, _>(id)
        .sql(", ")
        .bind::<SqlUuid, _>(thread)
        .sql(", t.number, ")
        .bind::<SqlUuid, _>(actor.id)
        .sql(", ")
        .bind::<Nullable<SqlUuid>, _>(input.reply_to)
        .sql(", ")
        .bind::<Text, _>(&input.body)
        .sql(", ")
        .bind::<Text, _>(&body_html)
        .sql(", ")
        .bind::<Timestamptz, _>(now)
        .sql(
            " FROM t), \
             c AS (UPDATE categories SET post_count = post_count + 1 \
                   WHERE id = (SELECT category_id FROM t)), \
             u AS (UPDATE users SET reply_count = reply_count + 1 WHERE id = ",
        )
        .bind::<SqlUuid, _>(actor.id)
        .sql(
            "), \
             w AS (INSERT INTO thread_subscriptions (user_id, thread_id, level) SELECT ",
        )
        .bind::<SqlUuid, _>(actor.id)
        .sql(", ")
        .bind::<SqlUuid, _>(thread)
        .sql(", ")
        .bind::<Text, _>(notifications::LEVEL_ON_POSTING.as_str())
        .sql(" FROM t ON CONFLICT DO NOTHING) SELECT title, category_id, number FROM t")
        .get_result(conn)?;
        let row = PostRow {
            id,
            thread_id: thread,
            number,
            author_id: actor.id,
            reply_to_id: input.reply_to,
            body: input.body.clone(),
            body_html,
            reaction_counts: serde_json::json!({}),
            edited_at: None,
            deleted_at: None,
            created_at: now,
        };
        let event = |kind| Event {
            kind,
            actor: actor.id,
            target_type: "thread",
            target_id: thread,
            target_title: &title,
            post_id: Some(id),
            thread_id: Some(thread),
        };
        if let Some(author) = reply_to_author {
            notifications::notify(conn, &event("reply"), &[author])?;
        }
        notifications::notify(conn, &event("mention"), &mentioned)?;
        notifications::enqueue_watchers(conn, &event("watched_reply"), category)?;
        Ok(view::own_post(row, actor.public()))
    })
}

fn list_threads(
    conn: &mut PgConnection,
    q: &ThreadListQuery,
    viewer: Option<&Actor>,
) -> AppResult<Page<Thread>> {
    let paging = PageQuery {
        limit: q.limit,
        cursor: q.cursor.clone(),
    };
    let limit = paging.limit()?;
    let sort = q.sort.unwrap_or_default();
    let after: Option<ThreadCursor> = paging.after()?;
    match (sort, &after) {
        (ThreadSort::Latest | ThreadSort::Active, Some(ThreadCursor::Time(..)))
        | (ThreadSort::Top, Some(ThreadCursor::Score(..)))
        | (_, None) => {}
        _ => {
            return Err(AppError::validation(
                "cursor",
                "This cursor does not belong to this sort.",
            ));
        }
    }
    let category = match &q.category {
        None => None,
        Some(slug) => match categories::table
            .filter(categories::slug.eq(slug))
            .select(categories::id)
            .first::<Uuid>(conn)
            .optional()?
        {
            Some(id) => Some(id),
            None => return Ok(Page::empty()),
        },
    };
    let author = match &q.author {
        None => None,
        Some(name) => match users::table
            .filter(lower(users::username).eq(name.to_lowercase()))
            .select(users::id)
            .first::<Uuid>(conn)
            .optional()?
        {
            Some(id) => Some(id),
            None => return Ok(Page::empty()),
        },
    };
    let select = view::ThreadSelect {
        id: None,
        category,
        tag: q.tag.clone(),
        author,
        sort,
        after,
        limit: limit + 1,
    };
    let items = view::load_threads(conn, &select, viewer)?;
    Ok(Page::from_rows(
        items,
        limit,
        |i| {
            let t = &i.thread;
            match sort {
                ThreadSort::Latest => ThreadCursor::Time(t.created_at, t.id),
                ThreadSort::Active => ThreadCursor::Time(t.last_activity_at, t.id),
                ThreadSort::Top => ThreadCursor::Score(i.score, t.id),
            }
        },
        |i| i.thread,
    ))
}

fn viewer(conn: &mut PgConnection, bearer: &MaybeBearer) -> AppResult<Option<Actor>> {
    bearer.0.as_ref().map(|c| Actor::load(conn, c)).transpose()
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(read)
        .service(update)
        .service(list_posts)
        .service(reply)
        .service(accept_answer)
        .service(read_post)
        .service(edit_post)
        .service(delete_post)
        .service(revisions)
        .service(react)
        .service(unreact);
}

/// Threads, filtered by category, tag or author, sorted `latest`, `active` or `top`.
#[utoipa::path(
    operation_id = "list_threads",
    tag = "discussions",
    security((), ("bearer" = [])),
    params(ThreadListQuery),
    responses(
        (status = 200, description = "A page of threads", body = Page<Thread>,
         headers(("ETag" = String, description = "Send it back in If-None-Match"))),
        (status = 304, description = "Not modified since the ETag sent"),
        (status = 401, description = "Invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Account suspended", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid limit or cursor", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/threads")]
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    bearer: MaybeBearer,
    query: web::Query<ThreadListQuery>,
) -> AppResult<HttpResponse> {
    let q = query.into_inner();
    let page = db::run(&state.pool, move |conn| {
        let v = viewer(conn, &bearer)?;
        list_threads(conn, &q, v.as_ref())
    })
    .await?;
    http_util::json_with_etag(&req, &page)
}

/// Start a thread (its body is the opening post). Send an `Idempotency-Key` to make retries safe.
#[utoipa::path(
    operation_id = "create_thread",
    tag = "discussions",
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key return the first response")),
    request_body = CreateThread,
    responses(
        (status = 201, description = "Created", body = Thread, headers(("Location" = String, description = "The thread"))),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Email not confirmed, silenced, suspended, or a staff-only category", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/threads")]
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    bearer: Bearer,
    body: web::Json<CreateThread>,
) -> AppResult<HttpResponse> {
    let key = http_util::idempotency_key(&req)?;
    let input = body.into_inner();
    let stored = db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        let print = fingerprint(
            "POST /threads",
            &CreateThreadPrint {
                category: &input.category,
                title: &input.title,
                body: &input.body,
                tags: &input.tags,
                kind: input.kind,
            },
        );
        conn.transaction(|conn| {
            if let Some(k) = &key
                && let Some(s) = http_util::replay(conn, actor.id, k, &print)?
            {
                return Ok(s);
            }
            let thread = create_thread(conn, &actor, &input)?;
            let stored = Stored {
                status: 201,
                location: Some(format!("/api/v1/threads/{}", thread.id)),
                body: serde_json::to_value(&thread).map_err(|e| AppError::Internal(e.into()))?,
            };
            if let Some(k) = &key {
                http_util::remember(conn, actor.id, k, &print, &stored)?;
            }
            Ok(stored)
        })
    })
    .await?;
    Ok(stored.response())
}

/// A thread with its opening post.
#[utoipa::path(
    operation_id = "read_thread",
    tag = "discussions",
    security((), ("bearer" = [])),
    params(("id" = Uuid, Path, description = "Thread id")),
    responses(
        (status = 200, description = "The thread", body = Thread, headers(("ETag" = String, description = "Send it back in If-None-Match"))),
        (status = 304, description = "Not modified since the ETag sent"),
        (status = 401, description = "Invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Account suspended", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such thread", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/threads/{id}")]
pub async fn read(
    req: HttpRequest,
    state: web::Data<AppState>,
    bearer: MaybeBearer,
    path: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let thread = db::run(&state.pool, move |conn| {
        let v = viewer(conn, &bearer)?;
        thread_view(conn, id, v.as_ref())
    })
    .await?;
    http_util::json_with_etag(&req, &thread)
}

/// Retitle, move or retag a thread: its author within 24 hours, or a moderator.
#[utoipa::path(
    operation_id = "update_thread",
    tag = "discussions",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Thread id")),
    request_body = UpdateThread,
    responses(
        (status = 200, description = "Updated", body = Thread),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the author (or past the edit window), not a moderator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such thread", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/threads/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<Uuid>,
    body: web::Json<UpdateThread>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let input = body.into_inner();
    let thread = db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        actor.require_writer()?;
        let row = thread_row(conn, id)?;
        let in_window = row.author_id == actor.id
            && row.created_at + chrono::Duration::hours(EDIT_WINDOW_HOURS) > Utc::now();
        if !(in_window || actor.is_staff()) {
            return Err(AppError::Forbidden(
                "Only the author (within 24 hours) or a moderator may change this thread.".into(),
            ));
        }
        let title = match input.title.as_deref().map(|t| one_line(t, 5, 200)) {
            Some(Ok(t)) => Some(t),
            Some(Err(m)) => return Err(AppError::validation("title", m)),
            None => None,
        };
        let category = match &input.category {
            None => None,
            Some(slug) => {
                let (cid, who): (Uuid, String) = categories::table
                    .filter(categories::slug.eq(slug))
                    .select((categories::id, categories::who_can_start))
                    .first(conn)
                    .optional()?
                    .ok_or_else(|| {
                        AppError::validation("category", "No category has this slug.")
                    })?;
                if who == "staff" && !actor.is_staff() {
                    return Err(AppError::Forbidden(
                        "Only moderators move threads into this category.".into(),
                    ));
                }
                Some(cid)
            }
        };
        let tag_ids = input
            .tags
            .as_deref()
            .map(|t| tag_ids(conn, t))
            .transpose()?;
        conn.transaction(|conn| {
            if let Some(t) = &title {
                diesel::update(threads::table.find(id))
                    .set((threads::title.eq(t), threads::updated_at.eq(Utc::now())))
                    .execute(conn)?;
            }
            if let Some(c) = category
                && c != row.category_id
            {
                let posts_in: i32 = row.reply_count + 1;
                diesel::update(categories::table.find(row.category_id))
                    .set((
                        categories::thread_count.eq(categories::thread_count - 1),
                        categories::post_count.eq(categories::post_count - posts_in),
                    ))
                    .execute(conn)?;
                diesel::update(categories::table.find(c))
                    .set((
                        categories::thread_count.eq(categories::thread_count + 1),
                        categories::post_count.eq(categories::post_count + posts_in),
                    ))
                    .execute(conn)?;
                diesel::update(threads::table.find(id))
                    .set((
                        threads::category_id.eq(c),
                        threads::updated_at.eq(Utc::now()),
                    ))
                    .execute(conn)?;
            }
            if let Some(t) = &tag_ids {
                set_tags(conn, id, t)?;
            }
            thread_view(conn, id, Some(&actor))
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(thread))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PostListQuery {
    /// Items per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The replies of a thread, in order (the opening post comes with the thread).
#[utoipa::path(
    tag = "discussions",
    security((), ("bearer" = [])),
    params(("id" = Uuid, Path, description = "Thread id"), PostListQuery),
    responses(
        (status = 200, description = "A page of replies", body = Page<Post>),
        (status = 401, description = "Invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Account suspended", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such thread", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid limit or cursor", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/threads/{id}/posts")]
pub async fn list_posts(
    state: web::Data<AppState>,
    bearer: MaybeBearer,
    path: web::Path<Uuid>,
    query: web::Query<PostListQuery>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let paging = PageQuery {
        limit: query.limit,
        cursor: query.cursor.clone(),
    };
    let limit = paging.limit()?;
    let after: Option<i32> = paging.after()?;
    let page = db::run(&state.pool, move |conn| {
        let v = viewer(conn, &bearer)?;
        let select = view::PostSelect::Replies {
            thread: id,
            after: after.unwrap_or(1),
            limit: limit + 1,
        };
        let items = view::load_posts(conn, &select, v.as_ref())?;
        if items.is_empty() {
            // An empty page: tell an empty thread from no thread.
            threads::table
                .find(id)
                .select(threads::id)
                .first::<Uuid>(conn)?;
        }
        Ok(Page::from_rows(items, limit, |p| p.number, |p| p))
    })
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

#[derive(Serialize)]
struct CreatePostPrint<'a> {
    thread: Uuid,
    body: &'a str,
    reply_to: Option<Uuid>,
}

/// Reply to a thread. `@username` mentions notify (existing members, at most 10). Send an
/// `Idempotency-Key` to make retries safe.
#[utoipa::path(
    tag = "discussions",
    security(("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "Thread id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key return the first response"),
    ),
    request_body = CreatePost,
    responses(
        (status = 201, description = "Posted", body = Post, headers(("Location" = String, description = "The post"))),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Email not confirmed, silenced, suspended, or thread locked", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such thread", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid body or reply_to", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/threads/{id}/posts")]
pub async fn reply(
    req: HttpRequest,
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<Uuid>,
    body: web::Json<CreatePost>,
) -> AppResult<HttpResponse> {
    let thread = path.into_inner();
    let key = http_util::idempotency_key(&req)?;
    let input = body.into_inner();
    let stored = db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        let print = fingerprint(
            "POST /threads/posts",
            &CreatePostPrint {
                thread,
                body: &input.body,
                reply_to: input.reply_to,
            },
        );
        conn.transaction(|conn| {
            if let Some(k) = &key
                && let Some(s) = http_util::replay(conn, actor.id, k, &print)?
            {
                return Ok(s);
            }
            let post = create_reply(conn, &actor, thread, &input)?;
            let stored = Stored {
                status: 201,
                location: Some(format!("/api/v1/posts/{}", post.id)),
                body: serde_json::to_value(&post).map_err(|e| AppError::Internal(e.into()))?,
            };
            if let Some(k) = &key {
                http_util::remember(conn, actor.id, k, &print, &stored)?;
            }
            Ok(stored)
        })
    })
    .await?;
    Ok(stored.response())
}

/// Mark a reply as the accepted answer of a question (its author or a moderator).
#[utoipa::path(
    tag = "discussions",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Thread id")),
    request_body = AcceptAnswer,
    responses(
        (status = 200, description = "The thread, with its accepted answer", body = Thread),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the question's author nor a moderator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such thread", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The thread is not a question", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a reply of this thread", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/threads/{id}/accepted-answer")]
pub async fn accept_answer(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<Uuid>,
    body: web::Json<AcceptAnswer>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let post_id = body.into_inner().post_id;
    let thread = db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        actor.require_writer()?;
        let row = thread_row(conn, id)?;
        if row.author_id != actor.id && !actor.is_staff() {
            return Err(AppError::Forbidden(
                "Only the question's author or a moderator accepts an answer.".into(),
            ));
        }
        if row.kind != "question" {
            return Err(AppError::conflict(
                Some("kind"),
                "Only questions have an accepted answer.",
            ));
        }
        let post: Option<(Uuid, i32, Uuid, Option<DateTime<Utc>>)> = posts::table
            .find(post_id)
            .select((
                posts::thread_id,
                posts::number,
                posts::author_id,
                posts::deleted_at,
            ))
            .first(conn)
            .optional()?;
        let author = match post {
            Some((t, n, author, None)) if t == id && n > 1 => author,
            _ => {
                return Err(AppError::validation(
                    "post_id",
                    "Choose a reply of this thread.",
                ));
            }
        };
        conn.transaction(|conn| {
            diesel::update(threads::table.find(id))
                .set(threads::accepted_post_id.eq(post_id))
                .execute(conn)?;
            notifications::notify(
                conn,
                &Event {
                    kind: "accepted_answer",
                    actor: actor.id,
                    target_type: "thread",
                    target_id: id,
                    target_title: &row.title,
                    post_id: None,
                    thread_id: Some(id),
                },
                &[author],
            )?;
            thread_view(conn, id, Some(&actor))
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(thread))
}

// ---- posts ---------------------------------------------------------------------------------------

/// One post.
#[utoipa::path(
    tag = "discussions",
    security((), ("bearer" = [])),
    params(("id" = Uuid, Path, description = "Post id")),
    responses(
        (status = 200, description = "The post", body = Post),
        (status = 401, description = "Invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Account suspended", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such post", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/posts/{id}")]
pub async fn read_post(
    state: web::Data<AppState>,
    bearer: MaybeBearer,
    path: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let post = db::run(&state.pool, move |conn| {
        let v = viewer(conn, &bearer)?;
        post_view(conn, id, v.as_ref())
    })
    .await?;
    Ok(HttpResponse::Ok().json(post))
}

fn require_post_editor(conn: &mut PgConnection, actor: &Actor, id: Uuid) -> AppResult<PostRow> {
    actor.require_writer()?;
    let row = post_row(conn, id)?;
    if row.author_id != actor.id && !actor.is_staff() {
        return Err(AppError::Forbidden(
            "Only the author or a moderator may change this post.".into(),
        ));
    }
    Ok(row)
}

/// Edit a post (its author or a moderator); the previous body is kept as a revision.
#[utoipa::path(
    tag = "discussions",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Post id")),
    request_body = UpdatePost,
    responses(
        (status = 200, description = "Edited", body = Post),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the author nor a moderator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such post", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The post is deleted", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid body", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/posts/{id}")]
pub async fn edit_post(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<Uuid>,
    body: web::Json<UpdatePost>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let new_body = body.into_inner().body;
    let post = db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        let row = require_post_editor(conn, &actor, id)?;
        if row.deleted_at.is_some() {
            return Err(AppError::conflict(None, "A deleted post cannot be edited."));
        }
        check_body(&new_body)?;
        conn.transaction(|conn| {
            if new_body != row.body {
                diesel::insert_into(post_revisions::table)
                    .values((
                        post_revisions::id.eq(Uuid::now_v7()),
                        post_revisions::post_id.eq(id),
                        post_revisions::editor_id.eq(actor.id),
                        post_revisions::previous_body.eq(&row.body),
                    ))
                    .execute(conn)?;
                diesel::update(posts::table.find(id))
                    .set((
                        posts::body.eq(&new_body),
                        posts::body_html.eq(crate::markdown::render(&new_body)),
                        posts::edited_at.eq(Utc::now()),
                    ))
                    .execute(conn)?;
            }
            post_view(conn, id, Some(&actor))
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(post))
}

/// Delete a post (its author or a moderator). Soft: it stays in place as deleted, its body gone for
/// everyone but moderators.
#[utoipa::path(
    tag = "discussions",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Post id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the author nor a moderator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such post", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/posts/{id}")]
pub async fn delete_post(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        require_post_editor(conn, &actor, id)?;
        diesel::update(posts::table.find(id).filter(posts::deleted_at.is_null()))
            .set(posts::deleted_at.eq(Utc::now()))
            .execute(conn)?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The edit history of a post, oldest first.
#[utoipa::path(
    tag = "discussions",
    security((), ("bearer" = [])),
    params(("id" = Uuid, Path, description = "Post id")),
    responses(
        (status = 200, description = "Every revision: who, when, previous body", body = Vec<Revision>),
        (status = 401, description = "Invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Account suspended", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such post", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/posts/{id}/revisions")]
pub async fn revisions(
    state: web::Data<AppState>,
    bearer: MaybeBearer,
    path: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let revs = db::run(&state.pool, move |conn| {
        let v = viewer(conn, &bearer)?;
        let row = post_row(conn, id)?;
        let hidden = row.deleted_at.is_some() && !v.as_ref().is_some_and(Actor::is_staff);
        let revs: Vec<(Uuid, String, DateTime<Utc>)> = post_revisions::table
            .filter(post_revisions::post_id.eq(id))
            .order((post_revisions::created_at, post_revisions::id))
            .select((
                post_revisions::editor_id,
                post_revisions::previous_body,
                post_revisions::created_at,
            ))
            .load(conn)?;
        let editors = view::users_by_id(conn, revs.iter().map(|r| r.0))?;
        Ok(revs
            .into_iter()
            .filter_map(|(e, body, at)| {
                Some(Revision {
                    editor: editors.get(&e)?.clone(),
                    previous_body: if hidden { String::new() } else { body },
                    created_at: at,
                })
            })
            .collect::<Vec<_>>())
    })
    .await?;
    Ok(HttpResponse::Ok().json(revs))
}

/// Adds (`+1`) or removes (`-1`) one reaction count on a post and its thread, in SQL.
fn bump_reaction(
    conn: &mut PgConnection,
    post: Uuid,
    thread: Uuid,
    kind: &str,
    delta: i32,
) -> QueryResult<()> {
    diesel::sql_query(
        "UPDATE posts SET reaction_counts = jsonb_set(reaction_counts, ARRAY[$2], \
             to_jsonb(GREATEST(COALESCE((reaction_counts->>$2)::int, 0) + $3, 0))) WHERE id = $1",
    )
    .bind::<diesel::sql_types::Uuid, _>(post)
    .bind::<diesel::sql_types::Text, _>(kind)
    .bind::<diesel::sql_types::Integer, _>(delta)
    .execute(conn)?;
    diesel::update(threads::table.find(thread))
        .set((
            threads::reaction_count.eq(threads::reaction_count + delta),
            threads::score.eq(threads::score + delta),
        ))
        .execute(conn)?;
    Ok(())
}

pub(crate) fn set_reaction(
    conn: &mut PgConnection,
    actor: &Actor,
    post: Uuid,
    kind: ReactionKind,
    on: bool,
) -> AppResult<Post> {
    actor.require_writer()?;
    let row = post_row(conn, post)?;
    if row.deleted_at.is_some() {
        return Err(AppError::conflict(
            None,
            "A deleted post takes no reactions.",
        ));
    }
    conn.transaction(|conn| {
        let changed = if on {
            diesel::insert_into(post_reactions::table)
                .values((
                    post_reactions::post_id.eq(post),
                    post_reactions::user_id.eq(actor.id),
                    post_reactions::kind.eq(kind.as_str()),
                ))
                .on_conflict_do_nothing()
                .execute(conn)?
        } else {
            diesel::delete(post_reactions::table.find((post, actor.id, kind.as_str())))
                .execute(conn)?
        };
        if changed == 1 {
            bump_reaction(
                conn,
                post,
                row.thread_id,
                kind.as_str(),
                if on { 1 } else { -1 },
            )?;
        }
        post_view(conn, post, Some(actor))
    })
}

/// React to a post (idempotent: one reaction of each kind per member).
#[utoipa::path(
    tag = "discussions",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Post id"), ("kind" = ReactionKind, Path, description = "Reaction kind")),
    responses(
        (status = 200, description = "The post with its counts", body = Post),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Email not confirmed, silenced or suspended", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such post or reaction kind", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The post is deleted", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/posts/{id}/reactions/{kind}")]
pub async fn react(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<(Uuid, ReactionKind)>,
) -> AppResult<HttpResponse> {
    let (id, kind) = path.into_inner();
    let post = db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        set_reaction(conn, &actor, id, kind, true)
    })
    .await?;
    Ok(HttpResponse::Ok().json(post))
}

/// Remove one's reaction (idempotent).
#[utoipa::path(
    tag = "discussions",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Post id"), ("kind" = ReactionKind, Path, description = "Reaction kind")),
    responses(
        (status = 200, description = "The post with its counts", body = Post),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Email not confirmed, silenced or suspended", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such post or reaction kind", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The post is deleted", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/posts/{id}/reactions/{kind}")]
pub async fn unreact(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<(Uuid, ReactionKind)>,
) -> AppResult<HttpResponse> {
    let (id, kind) = path.into_inner();
    let post = db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        set_reaction(conn, &actor, id, kind, false)
    })
    .await?;
    Ok(HttpResponse::Ok().json(post))
}
