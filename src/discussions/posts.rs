//! Posts: replies (numbered in order, one statement with their counters), reads, edits that keep
//! revisions, soft deletion.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

use super::gate::{Draft, DraftKind, Gate, Published};
use super::threads::{MAX_MENTIONS, check_body, existing_users};
use super::types::*;
use super::view::{self, PostRow};
use crate::accounts::auth::Actor;
use crate::accounts::view::users_by_id;
use crate::db;
use crate::db::fixed::fixed;
use crate::error::{AppError, AppResult};
use crate::notifications::{self, Event};
use crate::pagination::{At, Page, PageQuery};
use crate::schema::{moderation_log, post_revisions, posts, threads};

/// A post's row (404 when unknown).
pub fn row(conn: &mut PgConnection, id: Uuid) -> AppResult<PostRow> {
    Ok(posts::table
        .find(id)
        .select(PostRow::as_select())
        .first(conn)?)
}

/// A post as `viewer` sees it.
pub fn view(conn: &mut PgConnection, id: Uuid, viewer: Option<&Actor>) -> AppResult<Post> {
    view::load_posts(conn, &view::PostSelect::One(id), viewer)?
        .pop()
        .ok_or(AppError::NotFound)
}

/// Replies to a thread: the post, the thread's counters, the author's watch level and the
/// notifications (the watchers' fan-out is a job), in the caller's transaction; or, when `gate`
/// holds it, a held draft (numbered, counted and notified when approved).
pub fn create_reply(
    conn: &mut PgConnection,
    actor: &Actor,
    thread: Uuid,
    input: &CreatePost,
    gate: &dyn Gate,
) -> AppResult<Published<Post>> {
    actor.require_writer()?;
    check_body(&input.body).map_err(|m| AppError::validation("body", m))?;
    // Work that needs no lock happens before the thread's row is locked: concurrent replies to a
    // hot thread wait on that lock, so it is held for as few round trips as possible.
    let draft = Draft {
        kind: DraftKind::Post,
        thread_id: Some(thread),
        title: String::new(),
        body: input.body.clone(),
        input: serde_json::to_value(input).unwrap_or_default(),
    };
    let verdict = gate.screen(conn, actor, &draft)?.checked()?;
    let body = verdict.body.unwrap_or(draft.body.clone());
    let body_html = crate::markdown::render(&body);
    let mentioned = match verdict.hold {
        None => existing_users(conn, &crate::markdown::mentions(&body_html, MAX_MENTIONS))?,
        Some(_) => Vec::new(),
    };
    db::atomic(conn, |conn| {
        // Lock the thread first: the statement below then runs with a snapshot taken after the
        // lock, so it sees the posts of replies that committed while this one waited.
        let (read_only, slow_mode, title, hidden, thread_author): (
            bool,
            i32,
            String,
            Option<DateTime<Utc>>,
            Uuid,
        ) = threads::table
            .find(thread)
            .select((
                super::threads::read_only(),
                threads::slow_mode_seconds,
                threads::title,
                threads::hidden_at,
                threads::author_id,
            ))
            .for_update()
            .first(conn)?;
        if hidden.is_some() && !actor.is_staff() && thread_author != actor.id {
            return Err(AppError::NotFound);
        }
        super::threads::refuse_if_locked(read_only, actor)?;
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
        if slow_mode > 0 && !actor.is_staff() {
            refuse_if_too_soon(conn, actor, thread, slow_mode)?;
        }
        if let Some(reason) = &verdict.hold {
            let draft = Draft {
                title,
                body: body.clone(),
                ..draft.clone()
            };
            return Ok(Published::Held(gate.hold(conn, actor, &draft, reason)?));
        }
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
        .bind::<Text, _>(&body)
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
            body,
            body_html,
            reaction_counts: serde_json::json!({}),
            edited_at: None,
            deleted_at: None,
            created_at: now,
            hidden_at: None,
        };
        let event = |kind: &str| Event {
            kind: kind.into(),
            actor: actor.id,
            target_type: "thread".into(),
            target_id: thread,
            target_title: title.clone(),
            post_id: Some(id),
            thread_id: Some(thread),
        };
        if let Some(author) = reply_to_author {
            notifications::notify(conn, &event("reply"), &[author])?;
        }
        notifications::notify(conn, &event("mention"), &mentioned)?;
        notifications::enqueue_watchers(conn, &event("watched_reply"), category)?;
        Ok(Published::Now(view::own_post(row, actor.public())))
    })
}

/// Slow mode: a member's previous post in the thread must be `seconds` old (429 otherwise, with
/// the seconds left).
fn refuse_if_too_soon(
    conn: &mut PgConnection,
    actor: &Actor,
    thread: Uuid,
    seconds: i32,
) -> AppResult<()> {
    let last: Option<DateTime<Utc>> = posts::table
        .filter(posts::thread_id.eq(thread))
        .filter(posts::author_id.eq(actor.id))
        .select(diesel::dsl::max(posts::created_at))
        .first(conn)?;
    if let Some(last) = last {
        let next = last + chrono::Duration::seconds(seconds.into());
        let now = Utc::now();
        if next > now {
            return Err(AppError::TooManyRequests {
                retry_after_secs: (next - now).num_seconds().max(1) as u64,
            });
        }
    }
    Ok(())
}

/// A page of a thread's replies, in order (404 for an unknown thread).
pub fn replies(
    conn: &mut PgConnection,
    thread: Uuid,
    paging: &PageQuery,
    viewer: Option<&Actor>,
) -> AppResult<Page<Post>> {
    let limit = paging.limit()?;
    let after: Option<i32> = paging.after()?;
    let select = view::PostSelect::Replies {
        thread,
        after: after.unwrap_or(1),
        limit: limit + 1,
    };
    let items = view::load_posts(conn, &select, viewer)?;
    if items.is_empty() {
        // An empty page: tell an empty thread from no thread (or one hidden from the viewer).
        let (hidden, author): (Option<DateTime<Utc>>, Uuid) = threads::table
            .find(thread)
            .select((threads::hidden_at, threads::author_id))
            .first(conn)?;
        if hidden.is_some() && !viewer.is_some_and(|v| v.is_staff() || v.id == author) {
            return Err(AppError::NotFound);
        }
    }
    Ok(Page::from_rows(items, limit, |p| p.number, |p| p))
}

fn require_editor(conn: &mut PgConnection, actor: &Actor, id: Uuid) -> AppResult<PostRow> {
    actor.require_writer()?;
    let row = row(conn, id)?;
    if row.author_id != actor.id && !actor.is_staff() {
        return Err(AppError::Forbidden(
            "Only the author or a moderator may change this post.".into(),
        ));
    }
    super::threads::refuse_if_thread_locked(conn, row.thread_id, actor)?;
    Ok(row)
}

/// Edits a post (its author or a moderator); the previous body is kept as a revision. Watched
/// words apply to the new text; a moderator's edit of another member's post is logged.
pub fn edit(
    conn: &mut PgConnection,
    actor: &Actor,
    id: Uuid,
    new_body: &str,
    gate: &dyn Gate,
) -> AppResult<Post> {
    let row = require_editor(conn, actor, id)?;
    if row.deleted_at.is_some() {
        return Err(AppError::conflict(None, "A deleted post cannot be edited."));
    }
    check_body(new_body).map_err(|m| AppError::validation("body", m))?;
    let draft = Draft {
        kind: DraftKind::Post,
        thread_id: Some(row.thread_id),
        title: String::new(),
        body: new_body.to_string(),
        input: serde_json::Value::Null,
    };
    let verdict = gate.screen_edit(conn, actor, &draft)?.checked()?;
    let replaced = verdict.body;
    let new_body = replaced.as_deref().unwrap_or(new_body);
    db::atomic(conn, |conn| {
        if actor.is_staff() && row.author_id != actor.id && new_body != row.body {
            diesel::insert_into(moderation_log::table)
                .values((
                    moderation_log::id.eq(Uuid::now_v7()),
                    moderation_log::actor_id.eq(actor.id),
                    moderation_log::action.eq("edit_post"),
                    moderation_log::target_type.eq("post"),
                    moderation_log::target_id.eq(id),
                    moderation_log::details.eq(serde_json::json!({ "author_id": row.author_id })),
                ))
                .execute(conn)?;
        }
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
                    posts::body.eq(new_body),
                    posts::body_html.eq(crate::markdown::render(new_body)),
                    posts::edited_at.eq(Utc::now()),
                ))
                .execute(conn)?;
        }
        view(conn, id, Some(actor))
    })
}

/// Deletes a post, softly: its author, or a moderator with a reason (the author is then owed a
/// statement of reasons, given through `gate`).
pub fn delete(
    conn: &mut PgConnection,
    actor: &Actor,
    id: Uuid,
    reason: Option<&str>,
    gate: &dyn Gate,
) -> AppResult<()> {
    if reason.is_some_and(|r| r.chars().count() > 2000) {
        return Err(AppError::validation("reason", "At most 2,000 characters."));
    }
    let row = require_editor(conn, actor, id)?;
    let by_staff = row.author_id != actor.id;
    let reason = match (by_staff, reason.map(str::trim)) {
        (true, Some(r)) if !r.is_empty() => Some(r),
        (true, _) => {
            return Err(AppError::validation(
                "reason",
                "Say why you remove another member's post (?reason=…): they are told.",
            ));
        }
        (false, _) => None,
    };
    db::atomic(conn, |conn| {
        let n = diesel::update(posts::table.find(id).filter(posts::deleted_at.is_null()))
            .set(posts::deleted_at.eq(Utc::now()))
            .execute(conn)?;
        if let (1, Some(reason)) = (n, reason) {
            gate.staff_removed(conn, actor, id, reason)?;
        }
        Ok(())
    })
}

/// A post's edit history, oldest first (previous bodies hidden but for staff once it is deleted).
pub fn revisions(
    conn: &mut PgConnection,
    id: Uuid,
    viewer: Option<&Actor>,
    paging: &PageQuery,
) -> AppResult<Page<Revision>> {
    let limit = paging.limit()?;
    let after: Option<(At, Uuid)> = paging.after()?;
    // Through `view`: a post of a hidden thread is a 404 to those who may not see it.
    view(conn, id, viewer)?;
    let row = row(conn, id)?;
    let may_read = viewer.is_some_and(|v| v.is_staff())
        || (row.deleted_at.is_none()
            && (row.hidden_at.is_none() || viewer.is_some_and(|v| v.id == row.author_id)));
    let hidden = !may_read;
    let mut query = post_revisions::table
        .filter(post_revisions::post_id.eq(id))
        .order((post_revisions::created_at, post_revisions::id))
        .select((
            post_revisions::id,
            post_revisions::editor_id,
            post_revisions::previous_body,
            post_revisions::created_at,
        ))
        .limit(limit + 1)
        .into_boxed();
    if let Some((At(at), rev)) = after {
        query = query.filter(
            post_revisions::created_at
                .gt(at)
                .or(post_revisions::created_at
                    .eq(at)
                    .and(post_revisions::id.gt(rev))),
        );
    }
    let revs: Vec<(Uuid, Uuid, String, DateTime<Utc>)> = query.load(conn)?;
    let editors = users_by_id(conn, revs.iter().map(|r| r.1))?;
    let page = Page::from_rows(
        revs,
        limit,
        |r| (At(r.3), r.0),
        |(_, e, body, at)| {
            editors.get(&e).map(|editor| Revision {
                editor: editor.clone(),
                previous_body: if hidden { String::new() } else { body },
                created_at: at,
            })
        },
    );
    // Every revision has its editor (a foreign key); an erased one is shown as its placeholder.
    Ok(Page {
        items: page.items.into_iter().flatten().collect(),
        next_cursor: page.next_cursor,
    })
}
