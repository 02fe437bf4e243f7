//! Posts: replies (numbered in order, one statement with their counters), reads, edits that keep
//! revisions, soft deletion.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

use super::gate::{Draft, DraftKind, Gate, Published};
use super::owners::CategoryOwners;
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
use crate::schema::{moderation_log, post_revisions, posts, threads, users};

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
        let (title, _category, number): (String, Uuid, i32) = fixed::<(Text, SqlUuid, Integer)>(
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
        // The author has read what they answer: their read position moves to their post.
        .sql(
            " FROM t ON CONFLICT DO NOTHING), \
             r AS (INSERT INTO thread_reads (user_id, thread_id, post_number) SELECT ",
        )
        .bind::<SqlUuid, _>(actor.id)
        .sql(", ")
        .bind::<SqlUuid, _>(thread)
        .sql(
            ", t.number FROM t ON CONFLICT (user_id, thread_id) DO UPDATE \
             SET post_number = GREATEST(thread_reads.post_number, EXCLUDED.post_number), \
             updated_at = now()) SELECT title, category_id, number FROM t",
        )
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
            wiki: false,
            revision: 1,
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
        // Watchers are told nothing here: their watched replies are derived when they read their
        // notifications (`notifications::derived`), so a reply costs the same whoever watches.
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

/// Standing that lets a member edit another member's wiki: a verified address for this long…
pub const WIKI_VERIFIED_DAYS: i64 = 7;
/// … and this many published posts (neither deleted nor hidden by moderation).
pub const WIKI_POSTS: i64 = 3;

/// Whether `actor` may edit wikis in `category`: in a category something owns (a commun's news),
/// its maintainers only; elsewhere, a member in good standing.
fn may_edit_wikis(
    conn: &mut PgConnection,
    actor: &Actor,
    category: Uuid,
    owners: &dyn CategoryOwners,
) -> AppResult<bool> {
    if let Some(maintains) = owners.maintains(conn, actor.id, category)? {
        return Ok(maintains);
    }
    let verified: Option<DateTime<Utc>> = users::table
        .find(actor.id)
        .select(users::email_verified_at)
        .first(conn)?;
    let since = Utc::now() - chrono::Duration::days(WIKI_VERIFIED_DAYS);
    if verified.is_none_or(|at| at > since) {
        return Ok(false);
    }
    let published: Vec<Uuid> = posts::table
        .filter(posts::author_id.eq(actor.id))
        .filter(posts::deleted_at.is_null())
        .filter(posts::hidden_at.is_null())
        .select(posts::id)
        .limit(WIKI_POSTS)
        .load(conn)?;
    Ok(published.len() as i64 >= WIKI_POSTS)
}

/// The post `actor` is about to edit: theirs, any for a moderator, or a wiki for members in good
/// standing; never in a thread locked to them, nor a wiki of a hidden thread.
fn require_text_editor(
    conn: &mut PgConnection,
    actor: &Actor,
    id: Uuid,
    owners: &dyn CategoryOwners,
) -> AppResult<PostRow> {
    actor.require_writer()?;
    let row = row(conn, id)?;
    if row.author_id != actor.id && !actor.is_staff() {
        let (category, thread_hidden): (Uuid, Option<DateTime<Utc>>) = threads::table
            .find(row.thread_id)
            .select((threads::category_id, threads::hidden_at))
            .first(conn)?;
        if !row.wiki || row.hidden_at.is_some() || thread_hidden.is_some() {
            return Err(AppError::Forbidden(
                "Only the author or a moderator may change this post.".into(),
            ));
        }
        if !may_edit_wikis(conn, actor, category, owners)? {
            return Err(AppError::Forbidden(format!(
                "A wiki is edited by members in good standing (an address verified for \
                 {WIKI_VERIFIED_DAYS} days and {WIKI_POSTS} published posts) and, in a commun's \
                 news, by its maintainers only."
            )));
        }
    }
    super::threads::refuse_if_thread_locked(conn, row.thread_id, actor)?;
    Ok(row)
}

/// Edits a post (its author, a moderator, or for a wiki a member in good standing); the edit is
/// kept as a numbered revision with the whole body. Watched words apply to the new text; a
/// moderator's edit of another member's post is logged; a wiki's watchers are told of its edits.
/// With `base`, the edit is refused (409) if the post moved past that revision meanwhile.
pub fn edit(
    conn: &mut PgConnection,
    actor: &Actor,
    id: Uuid,
    input: &UpdatePost,
    gate: &dyn Gate,
    owners: &dyn CategoryOwners,
) -> AppResult<Post> {
    let new_body = input.body.as_str();
    if input.revision.is_some_and(|r| r < 1) {
        return Err(AppError::validation(
            "revision",
            "A revision number, from 1.",
        ));
    }
    let row = require_text_editor(conn, actor, id, owners)?;
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
        // The post's row is locked: concurrent edits take their revision numbers in turn, and what
        // allowed this edit (a wiki, not deleted, not hidden) is checked again under the lock.
        type Locked = (
            i32,
            String,
            bool,
            Option<DateTime<Utc>>,
            Option<DateTime<Utc>>,
        );
        let (revision, body, wiki, deleted, hidden): Locked = posts::table
            .find(id)
            .select((
                posts::revision,
                posts::body,
                posts::wiki,
                posts::deleted_at,
                posts::hidden_at,
            ))
            .for_update()
            .first(conn)?;
        if deleted.is_some() {
            return Err(AppError::conflict(None, "A deleted post cannot be edited."));
        }
        if row.author_id != actor.id && !actor.is_staff() && (!wiki || hidden.is_some()) {
            return Err(AppError::Forbidden(
                "Only the author or a moderator may change this post.".into(),
            ));
        }
        if let Some(base) = input.revision
            && base != revision
        {
            return Err(AppError::conflict(
                Some("revision"),
                format!(
                    "This post was edited since revision {base}: it is at revision {revision}. \
                     Read it again and apply your change to it."
                ),
            ));
        }
        if new_body == body {
            return view(conn, id, Some(actor));
        }
        // A moderator's edit of another member's post is a moderation act; of a wiki, a member's.
        if actor.is_staff() && row.author_id != actor.id && !wiki {
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
        let number = revision + 1;
        diesel::insert_into(post_revisions::table)
            .values((
                post_revisions::id.eq(Uuid::now_v7()),
                post_revisions::post_id.eq(id),
                post_revisions::editor_id.eq(actor.id),
                post_revisions::number.eq(number),
                post_revisions::previous_body.eq(&body),
                post_revisions::body.eq(new_body),
            ))
            .execute(conn)?;
        let new_html = crate::markdown::render(new_body);
        if row.number == 1 {
            // Lists show the opening post's excerpt, kept with the thread.
            diesel::update(threads::table.find(row.thread_id))
                .set(threads::excerpt.eq(crate::markdown::summary(
                    &new_html,
                    super::threads::EXCERPT_CHARS,
                )))
                .execute(conn)?;
        }
        diesel::update(posts::table.find(id))
            .set((
                posts::body.eq(new_body),
                posts::body_html.eq(new_html),
                posts::edited_at.eq(Utc::now()),
                posts::revision.eq(number),
            ))
            .execute(conn)?;
        let (title, category, thread_hidden): (String, Uuid, Option<DateTime<Utc>>) =
            threads::table
                .find(row.thread_id)
                .select((threads::title, threads::category_id, threads::hidden_at))
                .first(conn)?;
        // A hidden thread's watchers are not told of its wiki's edits (its title would leak).
        if wiki && thread_hidden.is_none() {
            let event = Event {
                kind: "wiki_edit".into(),
                actor: actor.id,
                target_type: "thread".into(),
                target_id: row.thread_id,
                target_title: title,
                post_id: None,
                thread_id: Some(row.thread_id),
            };
            notifications::notify_watchers_once(conn, &event, category)?;
        }
        view(conn, id, Some(actor))
    })
}

/// Makes an opening post a wiki, or gives it back to its author alone (its author or a
/// moderator).
pub fn set_wiki(
    conn: &mut PgConnection,
    actor: &Actor,
    id: Uuid,
    enabled: bool,
) -> AppResult<Post> {
    let row = require_editor(conn, actor, id)?;
    if row.number != 1 {
        return Err(AppError::conflict(
            None,
            "Only a thread's opening post can be a wiki; this post is a reply.",
        ));
    }
    if row.deleted_at.is_some() {
        return Err(AppError::conflict(None, "A deleted post cannot be a wiki."));
    }
    diesel::update(posts::table.find(id))
        .set(posts::wiki.eq(enabled))
        .execute(conn)?;
    view(conn, id, Some(actor))
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

/// Whether `viewer` may read the texts of `row`'s past revisions: staff always; others while the
/// post is neither deleted nor hidden (its author also while hidden).
fn may_read_texts(row: &PostRow, viewer: Option<&Actor>) -> bool {
    viewer.is_some_and(|v| v.is_staff())
        || (row.deleted_at.is_none()
            && (row.hidden_at.is_none() || viewer.is_some_and(|v| v.id == row.author_id)))
}

/// A post's edit history, oldest first (bodies hidden but for staff once it is deleted).
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
    let hidden = !may_read_texts(&row, viewer);
    let mut query = post_revisions::table
        .filter(post_revisions::post_id.eq(id))
        .order((post_revisions::created_at, post_revisions::id))
        .select((
            post_revisions::id,
            post_revisions::editor_id,
            post_revisions::number,
            post_revisions::previous_body,
            post_revisions::body,
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
    let revs: Vec<(Uuid, Uuid, i32, String, String, DateTime<Utc>)> = query.load(conn)?;
    let editors = users_by_id(conn, revs.iter().map(|r| r.1))?;
    let page = Page::from_rows(
        revs,
        limit,
        |r| (At(r.5), r.0),
        |(_, e, number, previous, body, at)| {
            editors.get(&e).map(|editor| Revision {
                number,
                editor: editor.clone(),
                previous_body: if hidden { String::new() } else { previous },
                body: if hidden { String::new() } else { body },
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

/// Revision `number` of a post and the one before (revision 1 against an empty text), to diff with
/// [`with_changes`]. 404 for a revision the post does not have, or whose text `viewer` may
/// not read.
pub fn revision_diff(
    conn: &mut PgConnection,
    id: Uuid,
    number: i32,
    viewer: Option<&Actor>,
) -> AppResult<RevisionDiff> {
    view(conn, id, viewer)?;
    let row = row(conn, id)?;
    if !may_read_texts(&row, viewer) || number < 1 || number > row.revision {
        return Err(AppError::NotFound);
    }
    let (editor, created_at, body, previous_body) = if number == 1 {
        // The first text is the body before the first edit, or the body when there was none.
        let first: Option<String> = post_revisions::table
            .filter(post_revisions::post_id.eq(id))
            .filter(post_revisions::number.eq(2))
            .select(post_revisions::previous_body)
            .first(conn)
            .optional()?;
        (
            row.author_id,
            row.created_at,
            first.unwrap_or(row.body),
            String::new(),
        )
    } else {
        let (editor, at, body, previous): (Uuid, DateTime<Utc>, String, String) =
            post_revisions::table
                .filter(post_revisions::post_id.eq(id))
                .filter(post_revisions::number.eq(number))
                .select((
                    post_revisions::editor_id,
                    post_revisions::created_at,
                    post_revisions::body,
                    post_revisions::previous_body,
                ))
                .first(conn)?;
        (editor, at, body, previous)
    };
    let editor = users_by_id(conn, [editor])?
        .remove(&editor)
        .ok_or(AppError::NotFound)?;
    Ok(RevisionDiff {
        post_id: id,
        number,
        editor,
        created_at,
        body,
        previous_body,
        changes: Vec::new(),
        unified: String::new(),
    })
}

/// Computes the diff of a revision read by [`revision_diff`] (off the database connection: it is
/// CPU work, up to the diff's deadline).
pub fn with_changes(mut d: RevisionDiff) -> RevisionDiff {
    let (changes, unified) = line_diff(&d.previous_body, &d.body);
    d.changes = changes;
    d.unified = unified;
    d
}

/// A line diff (Myers, with a deadline: a pathological pair of 64 KiB bodies falls back to a
/// coarser but correct diff rather than holding a worker).
fn line_diff(old: &str, new: &str) -> (Vec<DiffLine>, String) {
    use similar::{ChangeTag, TextDiff};
    let diff = TextDiff::configure()
        .timeout(std::time::Duration::from_millis(200))
        .diff_lines(old, new);
    let changes = diff
        .iter_all_changes()
        .map(|c| DiffLine {
            op: match c.tag() {
                ChangeTag::Equal => DiffOp::Equal,
                ChangeTag::Delete => DiffOp::Delete,
                ChangeTag::Insert => DiffOp::Insert,
            },
            old_line: c.old_index().map(|i| i as u32 + 1),
            new_line: c.new_index().map(|i| i as u32 + 1),
            text: c.value().to_string(),
        })
        .collect();
    let unified = diff.unified_diff().context_radius(3).to_string();
    (changes, unified)
}
