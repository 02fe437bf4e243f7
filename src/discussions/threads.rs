//! Threads: create (with the opening post), list with keyset cursors, read, retitle/move/retag,
//! accepted answers. Counters are kept in the writing transaction; notifications fan out there too.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::gate::{Draft, DraftKind, Gate, Published};
use super::types::*;
use super::view::{self, ThreadCursor, ThreadRow};
use crate::accounts::auth::Actor;
use crate::accounts::models::lower;
use crate::db;
use crate::error::{AppError, AppResult};
use crate::input::{Errors, Title};
use crate::notifications::{self, Event};
use crate::pagination::{At, Page, PageQuery};
use crate::schema::{categories, moderation_log, posts, thread_tags, threads, users};

/// Post bodies: at most 64 KiB of Markdown.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Mentions notified per post.
pub const MAX_MENTIONS: usize = 10;
/// How long an author may retitle, move or retag their thread.
pub const EDIT_WINDOW_HOURS: i64 = 24;
/// The longest excerpt of an opening post in thread lists, in characters.
pub const EXCERPT_CHARS: usize = 240;

/// A post body: Markdown, not blank, at most [`MAX_BODY_BYTES`].
pub fn check_body(body: &str) -> Result<(), String> {
    if body.len() > MAX_BODY_BYTES {
        return Err("At most 64 KiB of text.".into());
    }
    if body.trim().is_empty() {
        return Err("Write something.".into());
    }
    Ok(())
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

/// A locked (or archived) thread takes no change by members: no reply, edit, deletion, reaction,
/// accepted answer or retitling; moderators and administrators still act on it.
pub fn refuse_if_locked(locked: bool, actor: &Actor) -> AppResult<()> {
    if locked && !actor.is_staff() {
        return Err(AppError::Forbidden("This thread is locked.".into()));
    }
    Ok(())
}

/// [`refuse_if_locked`] for the thread of a post being changed.
pub fn refuse_if_thread_locked(conn: &mut PgConnection, id: Uuid, actor: &Actor) -> AppResult<()> {
    if actor.is_staff() {
        return Ok(());
    }
    let locked: bool = threads::table.find(id).select(read_only()).first(conn)?;
    refuse_if_locked(locked, actor)
}

/// Whether members may change a thread no more: locked, or archived (read-only).
pub fn read_only() -> diesel::dsl::Or<threads::locked, diesel::dsl::IsNotNull<threads::archived_at>>
{
    threads::locked.or(threads::archived_at.is_not_null())
}

/// A thread with its opening post, as `viewer` sees it.
pub fn view(conn: &mut PgConnection, id: Uuid, viewer: Option<&Actor>) -> AppResult<Thread> {
    view::load_thread(conn, id, viewer)?.ok_or(AppError::NotFound)
}

/// Existing, active members among `names` (any case).
pub fn existing_users(conn: &mut PgConnection, names: &[String]) -> QueryResult<Vec<Uuid>> {
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

/// Starts a thread: the thread, its opening post, tags, counters, the author's watch level and the
/// notifications, in one transaction; or, when `gate` holds it, a held draft.
pub fn create(
    conn: &mut PgConnection,
    actor: &Actor,
    input: &CreateThread,
    gate: &dyn Gate,
) -> AppResult<Published<Thread>> {
    actor.require_writer()?;
    let (category, who) = super::categories::by_slug(conn, &input.category, "category")?;
    if who == WhoCanStart::Staff && !actor.is_staff() {
        return Err(AppError::Forbidden(
            "Only moderators start threads in this category.".into(),
        ));
    }
    if who == WhoCanStart::Maintainers {
        return Err(AppError::Forbidden(
            "This category holds a commun's news: its maintainers publish them with \
             POST /communs/{slug}/news."
                .into(),
        ));
    }
    let mut errors = Errors::new();
    let title = errors.check("title", Title::parse(&input.title));
    errors.check("body", check_body(&input.body));
    errors.finish()?;
    let title = title.map(Title::into_inner).unwrap_or_default();
    let tag_ids = super::categories::tag_ids(conn, &input.tags)?;
    let kind: ThreadKind = input.kind.unwrap_or(NewThreadKind::Discussion).into();
    let draft = Draft {
        kind: DraftKind::Thread,
        thread_id: None,
        title,
        body: input.body.clone(),
        input: serde_json::to_value(input).unwrap_or_default(),
    };
    let verdict = gate.screen(conn, actor, &draft)?.checked()?;
    let title = verdict.title.unwrap_or(draft.title.clone());
    let body = verdict.body.unwrap_or(draft.body.clone());
    if let Some(reason) = verdict.hold {
        let draft = Draft {
            title,
            body,
            ..draft
        };
        return Ok(Published::Held(gate.hold(conn, actor, &draft, &reason)?));
    }
    insert(
        conn,
        actor,
        NewThread {
            category,
            title: &title,
            body: &body,
            tag_ids: &tag_ids,
            kind,
            subject: None,
        },
    )
    .map(Published::Now)
}

/// What a thread is about, when another feature owns it (a challenge, a commun's news).
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub kind: &'a str,
    pub id: Uuid,
}

/// Opens the thread of something another feature owns, by `author`, in the category `category`
/// (a setting of that feature, so its staff-only rule does not apply: members discuss challenges
/// in their own threads, and do not start others there). `title` and `body` were checked by the
/// feature.
pub fn create_about(
    conn: &mut PgConnection,
    author: &Actor,
    category: &str,
    title: &str,
    body: &str,
    subject: Subject,
) -> AppResult<Thread> {
    let (category, _) = super::categories::by_slug(conn, category, "category").map_err(|_| {
        AppError::Internal(anyhow::anyhow!(
            "no category has the slug {category:?} (a setting names it)"
        ))
    })?;
    insert(
        conn,
        author,
        NewThread {
            category,
            title,
            body,
            tag_ids: &[],
            kind: ThreadKind::Discussion,
            subject: Some(subject),
        },
    )
}

/// Publishes a commun's news in its category (the feature owning the category checked that
/// `author` maintains it): a thread of kind `news` about `subject`. Watched words apply as to an
/// edit — a maintainer's news is never held for approval, and a `hold` word refuses it (422).
pub fn create_news(
    conn: &mut PgConnection,
    author: &Actor,
    category: Uuid,
    input: &NewsInput,
    subject: Subject,
    gate: &dyn Gate,
) -> AppResult<Thread> {
    author.require_writer()?;
    let mut errors = Errors::new();
    let title = errors.check("title", Title::parse(&input.title));
    errors.check("body", check_body(&input.body));
    errors.finish()?;
    let title = title.map(Title::into_inner).unwrap_or_default();
    let draft = Draft {
        kind: DraftKind::Thread,
        thread_id: None,
        title,
        body: input.body.clone(),
        input: serde_json::Value::Null,
    };
    let verdict = gate.screen_edit(conn, author, &draft)?.checked()?;
    let title = verdict.title.unwrap_or(draft.title);
    let body = verdict.body.unwrap_or(draft.body);
    insert(
        conn,
        author,
        NewThread {
            category,
            title: &title,
            body: &body,
            tag_ids: &[],
            kind: ThreadKind::News,
            subject: Some(subject),
        },
    )
}

struct NewThread<'a> {
    category: Uuid,
    title: &'a str,
    body: &'a str,
    tag_ids: &'a [Uuid],
    kind: ThreadKind,
    subject: Option<Subject<'a>>,
}

/// Writes a checked thread: the thread, its opening post, tags, counters, the author's watch level
/// and the notifications, in the caller's transaction (or one of its own).
fn insert(conn: &mut PgConnection, actor: &Actor, t: NewThread) -> AppResult<Thread> {
    let NewThread {
        category,
        title,
        body,
        tag_ids,
        kind,
        subject,
    } = t;
    let body_html = crate::markdown::render(body);
    db::atomic(conn, |conn| {
        let id = Uuid::now_v7();
        let post_id = Uuid::now_v7();
        let now = Utc::now();
        diesel::insert_into(threads::table)
            .values((
                threads::id.eq(id),
                threads::category_id.eq(category),
                threads::author_id.eq(actor.id),
                threads::title.eq(title),
                threads::kind.eq(kind.as_str()),
                threads::last_activity_at.eq(now),
                threads::last_poster_id.eq(actor.id),
                threads::created_at.eq(now),
                threads::subject_type.eq(subject.map(|s| s.kind)),
                threads::subject_id.eq(subject.map(|s| s.id)),
                threads::excerpt.eq(crate::markdown::summary(&body_html, EXCERPT_CHARS)),
            ))
            .execute(conn)?;
        diesel::insert_into(posts::table)
            .values((
                posts::id.eq(post_id),
                posts::thread_id.eq(id),
                posts::number.eq(1),
                posts::author_id.eq(actor.id),
                posts::body.eq(body),
                posts::body_html.eq(&body_html),
                posts::created_at.eq(now),
            ))
            .execute(conn)?;
        set_tags(conn, id, tag_ids)?;
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
        notifications::read_up_to(conn, actor.id, id, 1)?;
        let mentioned = existing_users(conn, &crate::markdown::mentions(&body_html, MAX_MENTIONS))?;
        let event = |kind: &str| Event {
            kind: kind.into(),
            actor: actor.id,
            target_type: "thread".into(),
            target_id: id,
            target_title: title.to_string(),
            post_id: Some(post_id),
            thread_id: Some(id),
        };
        notifications::notify(conn, &event("mention"), &mentioned)?;
        // Category watchers hear of the new thread.
        notifications::notify_new_thread(conn, &event("new_thread"), category)?;
        view(conn, id, Some(actor))
    })
}

/// A page of threads, filtered and sorted as asked.
pub fn list(
    conn: &mut PgConnection,
    q: &ThreadListQuery,
    viewer: Option<&Actor>,
) -> AppResult<Page<ThreadListItem>> {
    let paging = PageQuery {
        limit: q.limit,
        cursor: q.cursor.clone(),
    };
    let limit = paging.limit()?;
    let sort = q.sort.unwrap_or_default();
    let after: Option<ThreadCursor> = paging.after()?;
    // A category's list has pinned threads first: its cursors carry `pinned`.
    let in_category = q.category.is_some();
    match (sort, &after, in_category) {
        (ThreadSort::Latest | ThreadSort::Active, Some(ThreadCursor::Time(..)), false)
        | (ThreadSort::Top, Some(ThreadCursor::Score(..)), false)
        | (ThreadSort::Latest | ThreadSort::Active, Some(ThreadCursor::PinnedTime(..)), true)
        | (ThreadSort::Top, Some(ThreadCursor::PinnedScore(..)), true)
        | (_, None, _) => {}
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
            match (sort, in_category) {
                (ThreadSort::Latest, false) => ThreadCursor::Time(At(t.created_at), t.id),
                (ThreadSort::Active, false) => ThreadCursor::Time(At(t.last_activity_at), t.id),
                (ThreadSort::Top, false) => ThreadCursor::Score(i.score, t.id),
                (ThreadSort::Latest, true) => {
                    ThreadCursor::PinnedTime(t.pinned, At(t.created_at), t.id)
                }
                (ThreadSort::Active, true) => {
                    ThreadCursor::PinnedTime(t.pinned, At(t.last_activity_at), t.id)
                }
                (ThreadSort::Top, true) => ThreadCursor::PinnedScore(t.pinned, i.score, t.id),
            }
        },
        |i| i.thread,
    ))
}

/// Retitles, moves or retags a thread: its author within 24 hours, or a moderator.
pub fn update(
    conn: &mut PgConnection,
    actor: &Actor,
    id: Uuid,
    input: UpdateThread,
    gate: &dyn Gate,
) -> AppResult<Thread> {
    actor.require_writer()?;
    let row = thread_row(conn, id)?;
    refuse_if_locked(row.locked || row.archived_at.is_some(), actor)?;
    let in_window = row.author_id == actor.id
        && row.created_at + chrono::Duration::hours(EDIT_WINDOW_HOURS) > Utc::now();
    if !(in_window || actor.is_staff()) {
        return Err(AppError::Forbidden(
            "Only the author (within 24 hours) or a moderator may change this thread.".into(),
        ));
    }
    // A moderator changing another member's thread is logged (with the reason given, if any).
    let staff_change = actor.is_staff() && row.author_id != actor.id;
    let reason = match input
        .reason
        .as_deref()
        .map(|r| crate::input::free_text(r, 2000))
    {
        Some(Ok(r)) => Some(r).filter(|r| !r.trim().is_empty()),
        Some(Err(m)) => return Err(AppError::validation("reason", m)),
        None => None,
    };
    let title = match input.title.as_deref().map(Title::parse) {
        Some(Ok(t)) => Some(t.into_inner()),
        Some(Err(m)) => return Err(AppError::validation("title", m)),
        None => None,
    };
    // Watched words apply to a new title as to a new thread's.
    let title = match title {
        None => None,
        Some(t) => {
            let draft = Draft {
                kind: DraftKind::Thread,
                thread_id: Some(id),
                title: t.clone(),
                body: String::new(),
                input: serde_json::Value::Null,
            };
            Some(
                gate.screen_edit(conn, actor, &draft)?
                    .checked()?
                    .title
                    .unwrap_or(t),
            )
        }
    };
    let category = match &input.category {
        None => None,
        Some(slug) => {
            let (cid, who) = super::categories::by_slug(conn, slug, "category")?;
            if who == WhoCanStart::Staff && !actor.is_staff() {
                return Err(AppError::Forbidden(
                    "Only moderators move threads into this category.".into(),
                ));
            }
            // A commun's news stay in its category, and nothing else goes there.
            let news = row.kind == ThreadKind::News.as_str();
            if cid != row.category_id && (news || who == WhoCanStart::Maintainers) {
                return Err(AppError::validation(
                    "category",
                    "A commun's news stay in its news category, which holds nothing else.",
                ));
            }
            Some(cid)
        }
    };
    let tag_ids = input
        .tags
        .as_deref()
        .map(|t| super::categories::tag_ids(conn, t))
        .transpose()?;
    db::atomic(conn, |conn| {
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
        if staff_change {
            let moved = category.filter(|c| *c != row.category_id);
            diesel::insert_into(moderation_log::table)
                .values((
                    moderation_log::id.eq(Uuid::now_v7()),
                    moderation_log::actor_id.eq(actor.id),
                    moderation_log::action.eq(if moved.is_some() {
                        "move_thread"
                    } else {
                        "edit_thread"
                    }),
                    moderation_log::target_type.eq("thread"),
                    moderation_log::target_id.eq(id),
                    moderation_log::reason.eq(&reason),
                    moderation_log::details.eq(serde_json::json!({
                        "from_category": row.category_id,
                        "to_category": moved,
                        "title": title,
                        "tags": input.tags,
                    })),
                ))
                .execute(conn)?;
        }
        view(conn, id, Some(actor))
    })
}

/// Marks a reply as the accepted answer of a question (its author or a moderator).
pub fn accept_answer(
    conn: &mut PgConnection,
    actor: &Actor,
    id: Uuid,
    post_id: Uuid,
) -> AppResult<Thread> {
    actor.require_writer()?;
    let row = thread_row(conn, id)?;
    refuse_if_locked(row.locked || row.archived_at.is_some(), actor)?;
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
    db::atomic(conn, |conn| {
        diesel::update(threads::table.find(id))
            .set(threads::accepted_post_id.eq(post_id))
            .execute(conn)?;
        notifications::notify(
            conn,
            &Event {
                kind: "accepted_answer".into(),
                actor: actor.id,
                target_type: "thread".into(),
                target_id: id,
                target_title: row.title.clone(),
                post_id: None,
                thread_id: Some(id),
            },
            &[author],
        )?;
        view(conn, id, Some(actor))
    })
}
