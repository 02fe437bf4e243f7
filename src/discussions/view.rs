//! Turning rows into API shapes. A thread list page, a thread, a replies page or a post is one
//! statement whatever its size: category, authors, opening post, tags and the viewer's reactions are
//! joined or gathered in subqueries, so that a read costs one round trip to PostgreSQL (each round
//! trip costs more CPU in context switches than the lookups themselves; see BENCHMARKS.md).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use diesel::pg::sql_types::Record;
use diesel::prelude::*;
use diesel::sql_types::{Array, Bool, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

use super::types::{
    CategoryRef, Post, Tag, Thread, ThreadKind, ThreadListItem, ThreadSort, ThreadSubject,
};
use crate::accounts::auth::Actor;
use crate::accounts::types::UserPublic;
use crate::accounts::view::{USER_COLUMNS, UserCols, user};
use crate::db::fixed::fixed;
use crate::error::AppResult;
use crate::pagination::At;
use crate::schema::{
    categories, category_subscriptions, posts, tags, thread_subscriptions, thread_tags, threads,
    users,
};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = posts)]
pub struct PostRow {
    pub id: Uuid,
    pub thread_id: Uuid,
    pub number: i32,
    pub author_id: Uuid,
    pub reply_to_id: Option<Uuid>,
    pub body: String,
    pub body_html: String,
    pub reaction_counts: serde_json::Value,
    pub edited_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub hidden_at: Option<DateTime<Utc>>,
    pub wiki: bool,
    pub revision: i32,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = threads)]
pub struct ThreadRow {
    pub id: Uuid,
    pub category_id: Uuid,
    pub author_id: Uuid,
    pub title: String,
    pub kind: String,
    pub pinned: bool,
    pub locked: bool,
    pub reply_count: i32,
    pub participant_count: i32,
    pub reaction_count: i32,
    pub score: i32,
    pub last_activity_at: DateTime<Utc>,
    pub last_poster_id: Option<Uuid>,
    pub accepted_post_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub subject_type: Option<String>,
    pub subject_id: Option<Uuid>,
    pub hidden_at: Option<DateTime<Utc>>,
    pub archived_at: Option<DateTime<Utc>>,
    pub slow_mode_seconds: i32,
    pub excerpt: String,
    pub opening_shown: bool,
}

diesel::alias!(users as last_posters: LastPosters);

/// The viewer's own reactions on `posts.id`, as an array (empty for anonymous readers), to put in a
/// select clause. The viewer is bound twice so that an anonymous read skips the subquery.
macro_rules! my_reactions {
    ($viewer:expr) => {
        fixed::<Array<Text>>("CASE WHEN ")
            .bind::<Nullable<SqlUuid>, _>($viewer)
            .sql(
                "::uuid IS NULL THEN '{}'::text[] ELSE ARRAY(SELECT r.kind FROM post_reactions r \
                 WHERE r.post_id = posts.id AND r.user_id = ",
            )
            .bind::<Nullable<SqlUuid>, _>($viewer)
            .sql(" ORDER BY r.kind) END")
    };
}

/// The caller's unread posts in a thread they watch or track (its level on the thread, or else its
/// category's), to put in a select clause: NULL for anonymous readers and on other threads. Every
/// number after the member's read position counts (numbers are `reply_count + 1` at most).
macro_rules! unread_count {
    ($viewer:expr) => {
        fixed::<Nullable<Integer>>("CASE WHEN ")
            .bind::<Nullable<SqlUuid>, _>($viewer)
            .sql(
                "::uuid IS NULL THEN NULL ELSE (SELECT GREATEST(threads.reply_count + 1 - \
                 COALESCE((SELECT r.post_number FROM thread_reads r WHERE r.user_id = ",
            )
            .bind::<Nullable<SqlUuid>, _>($viewer)
            .sql(
                " AND r.thread_id = threads.id), 0), 0) WHERE COALESCE((SELECT s.level \
                 FROM thread_subscriptions s WHERE s.user_id = ",
            )
            .bind::<Nullable<SqlUuid>, _>($viewer)
            .sql(
                " AND s.thread_id = threads.id), (SELECT c.level FROM category_subscriptions c \
                 WHERE c.user_id = ",
            )
            .bind::<Nullable<SqlUuid>, _>($viewer)
            .sql(" AND c.category_id = threads.category_id)) IN ('watching', 'tracking')) END")
    };
}

/// Builds a post as `viewer` sees it: a deleted post's text is hidden but for staff; a post hidden
/// by moderation is shown to staff and its author only.
fn post(r: PostRow, author: UserPublic, my_reactions: Vec<String>, viewer: Viewer) -> Post {
    let deleted = r.deleted_at.is_some();
    let hidden = r.hidden_at.is_some();
    let show = viewer.staff || (!deleted && (!hidden || viewer.id == Some(r.author_id)));
    let reactions: BTreeMap<String, i64> = r
        .reaction_counts
        .as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_i64().filter(|n| *n > 0).map(|n| (k.clone(), n)))
                .collect()
        })
        .unwrap_or_default();
    Post {
        id: r.id,
        thread_id: r.thread_id,
        number: r.number,
        author,
        body: if show { r.body } else { String::new() },
        body_html: if show { r.body_html } else { String::new() },
        reply_to: r.reply_to_id,
        reactions,
        my_reactions,
        edited_at: r.edited_at,
        deleted,
        hidden,
        wiki: r.wiki,
        revision: r.revision,
        created_at: r.created_at,
    }
}

/// Who reads: their id, and whether they are staff.
#[derive(Debug, Clone, Copy)]
struct Viewer {
    id: Option<Uuid>,
    staff: bool,
}

impl Viewer {
    fn of(viewer: Option<&Actor>) -> Self {
        Self {
            id: viewer.map(|v| v.id),
            staff: viewer.is_some_and(Actor::is_staff),
        }
    }
}

/// A just-written post as its author sees it, built without reading it back.
pub fn own_post(r: PostRow, author: UserPublic) -> Post {
    let id = Some(r.author_id);
    post(r, author, Vec::new(), Viewer { id, staff: false })
}

/// Which posts to load.
pub enum PostSelect {
    One(Uuid),
    /// The replies of a thread after number `after`, in order.
    Replies {
        thread: Uuid,
        after: i32,
        limit: i64,
    },
}

/// Posts with their author and the viewer's reactions: one statement.
pub fn load_posts(
    conn: &mut PgConnection,
    select: &PostSelect,
    viewer: Option<&Actor>,
) -> AppResult<Vec<Post>> {
    let viewer_id = viewer.map(|v| v.id);
    let mut q = posts::table
        .inner_join(users::table.on(users::id.eq(posts::author_id)))
        .select((PostRow::as_select(), USER_COLUMNS, my_reactions!(viewer_id)))
        .into_boxed();
    // Posts of a hidden thread are seen by staff and the thread's author only.
    let staff = viewer.is_some_and(Actor::is_staff);
    q = q.filter(
        fixed::<Bool>(
            "EXISTS (SELECT 1 FROM threads t WHERE t.id = posts.thread_id \
             AND (t.hidden_at IS NULL OR ",
        )
        .bind::<Bool, _>(staff)
        .sql(" OR t.author_id = ")
        .bind::<Nullable<SqlUuid>, _>(viewer_id)
        .sql("))"),
    );
    q = match *select {
        PostSelect::One(id) => q.filter(posts::id.eq(id)),
        PostSelect::Replies {
            thread,
            after,
            limit,
        } => q
            .filter(posts::thread_id.eq(thread))
            .filter(posts::number.gt(after))
            .order(posts::number)
            .limit(limit),
    };
    let rows: Vec<(PostRow, UserCols, Vec<String>)> = q.load(conn)?;
    let v = Viewer::of(viewer);
    Ok(rows
        .into_iter()
        .map(|(r, author, mine)| post(r, user(author), mine, v))
        .collect())
}

/// A keyset cursor in a thread list: the sort key of the last item and its id.
#[derive(Debug, serde::Deserialize, serde::Serialize)]
#[serde(untagged)]
pub enum ThreadCursor {
    Time(At, Uuid),
    Score(i32, Uuid),
    /// In a category's list, pinned threads first: whether the last item was pinned, then its key.
    PinnedTime(bool, At, Uuid),
    PinnedScore(bool, i32, Uuid),
}

/// Which threads to load; filters are ANDed.
#[derive(Default)]
pub struct ThreadSelect {
    pub category: Option<Uuid>,
    pub tag: Option<String>,
    pub author: Option<Uuid>,
    pub sort: ThreadSort,
    /// Must match `sort` (checked by the caller).
    pub after: Option<ThreadCursor>,
    pub limit: i64,
}

/// A thread list item with its sort keys, to make the next cursor from.
pub struct ThreadItem {
    pub thread: ThreadListItem,
    pub score: i32,
}

/// The tags of `threads.id`, as an array of (slug, name), to put in a select clause.
fn tag_list() -> crate::db::fixed::Fixed<Array<Record<(Text, Text)>>> {
    fixed::<Array<Record<(Text, Text)>>>(
        "ARRAY(SELECT ROW(g.slug, g.name) FROM thread_tags tt JOIN tags g ON g.id = tt.tag_id \
         WHERE tt.thread_id = threads.id ORDER BY g.slug)",
    )
}

/// A page of thread list items with their category, tags, author, last poster and the caller's
/// unread count, in one statement; no post is read (the excerpt is the thread's). A member's muted
/// threads and categories are left out.
pub fn load_threads(
    conn: &mut PgConnection,
    s: &ThreadSelect,
    viewer: Option<&Actor>,
) -> AppResult<Vec<ThreadItem>> {
    let viewer_id = viewer.map(|v| v.id);
    let mut q = threads::table
        .inner_join(categories::table)
        .inner_join(users::table.on(users::id.eq(threads::author_id)))
        .left_join(
            last_posters.on(threads::last_poster_id.eq(last_posters.field(users::id).nullable())),
        )
        .select((
            ThreadRow::as_select(),
            (categories::slug, categories::name),
            USER_COLUMNS,
            last_posters.fields(USER_COLUMNS).nullable(),
            tag_list(),
            unread_count!(viewer_id),
        ))
        .into_boxed();
    if let Some(category) = s.category {
        q = q.filter(threads::category_id.eq(category));
    }
    if let Some(tag) = &s.tag {
        q = q.filter(diesel::dsl::exists(
            thread_tags::table
                .inner_join(tags::table)
                .filter(thread_tags::thread_id.eq(threads::id))
                .filter(tags::slug.eq(tag.clone())),
        ));
    }
    if let Some(author) = s.author {
        q = q.filter(threads::author_id.eq(author));
    }
    // Hidden threads are out of lists but for staff; read by id, their author sees them too. One
    // shape for every reader, so that each list is one prepared statement.
    let staff = viewer.is_some_and(Actor::is_staff);
    q = q.filter(
        fixed::<Bool>("(threads.hidden_at IS NULL OR ")
            .bind::<Bool, _>(staff)
            .sql(")"),
    );
    // Archived threads leave the site-wide lists; their category's list keeps them.
    if s.category.is_none() {
        q = q.filter(fixed::<Bool>("threads.archived_at IS NULL"));
    }
    if let Some(v) = viewer {
        // Muted threads and categories are left out of the member's lists.
        // 'muted' is a literal, not a parameter, so that the generic plan can use the partial
        // index of muted threads (a parameter made it read all the member's subscriptions).
        q = q
            .filter(diesel::dsl::not(diesel::dsl::exists(
                thread_subscriptions::table
                    .filter(thread_subscriptions::user_id.eq(v.id))
                    .filter(thread_subscriptions::thread_id.eq(threads::id))
                    .filter(fixed::<Bool>("thread_subscriptions.level = 'muted'")),
            )))
            .filter(diesel::dsl::not(diesel::dsl::exists(
                category_subscriptions::table
                    .filter(category_subscriptions::user_id.eq(v.id))
                    .filter(category_subscriptions::category_id.eq(threads::category_id))
                    .filter(fixed::<Bool>("category_subscriptions.level = 'muted'")),
            )));
    }
    // Row-value comparisons, so that PostgreSQL turns the cursor into an index range: with
    // `a < x OR (a = x AND id < y)` it scanned from the top (page 500 cost 3x page 1).
    q = match &s.after {
        None => q,
        Some(ThreadCursor::PinnedTime(pinned, t, id)) => {
            let column = match s.sort {
                ThreadSort::Active => "(threads.pinned, threads.last_activity_at, threads.id) < (",
                _ => "(threads.pinned, threads.created_at, threads.id) < (",
            };
            q.filter(
                fixed::<Bool>(column)
                    .bind::<Bool, _>(*pinned)
                    .sql(", ")
                    .bind::<Timestamptz, _>(t.0)
                    .sql(", ")
                    .bind::<SqlUuid, _>(*id)
                    .sql(")"),
            )
        }
        Some(ThreadCursor::PinnedScore(pinned, score, id)) => q.filter(
            fixed::<Bool>("(threads.pinned, threads.score, threads.id) < (")
                .bind::<Bool, _>(*pinned)
                .sql(", ")
                .bind::<Integer, _>(*score)
                .sql(", ")
                .bind::<SqlUuid, _>(*id)
                .sql(")"),
        ),
        Some(ThreadCursor::Time(t, id)) => {
            let column = match s.sort {
                ThreadSort::Active => "(threads.last_activity_at, threads.id) < (",
                _ => "(threads.created_at, threads.id) < (",
            };
            q.filter(
                fixed::<Bool>(column)
                    .bind::<Timestamptz, _>(t.0)
                    .sql(", ")
                    .bind::<SqlUuid, _>(*id)
                    .sql(")"),
            )
        }
        Some(ThreadCursor::Score(score, id)) => q.filter(
            fixed::<Bool>("(threads.score, threads.id) < (")
                .bind::<Integer, _>(*score)
                .sql(", ")
                .bind::<SqlUuid, _>(*id)
                .sql(")"),
        ),
    };
    // A category's list puts its pinned threads first (its indexes lead with `pinned`).
    q = match (s.sort, s.category.is_some()) {
        (ThreadSort::Latest, false) => q.order((threads::created_at.desc(), threads::id.desc())),
        (ThreadSort::Active, false) => {
            q.order((threads::last_activity_at.desc(), threads::id.desc()))
        }
        (ThreadSort::Top, false) => q.order((threads::score.desc(), threads::id.desc())),
        (ThreadSort::Latest, true) => q.order((
            threads::pinned.desc(),
            threads::created_at.desc(),
            threads::id.desc(),
        )),
        (ThreadSort::Active, true) => q.order((
            threads::pinned.desc(),
            threads::last_activity_at.desc(),
            threads::id.desc(),
        )),
        (ThreadSort::Top, true) => q.order((
            threads::pinned.desc(),
            threads::score.desc(),
            threads::id.desc(),
        )),
    };
    let rows: Vec<ListRow> = q.limit(s.limit.max(1)).load(conn)?;
    let v = Viewer::of(viewer);
    Ok(rows
        .into_iter()
        .map(|(r, cat, author, last, tags, unread)| {
            let score = r.score;
            let thread = list_item(r, cat, user(author), last, tags, unread, v);
            ThreadItem { thread, score }
        })
        .collect())
}

/// A list row: the thread and what [`load_threads`] joins to it.
type ListRow = (
    ThreadRow,
    (String, String),
    UserCols,
    Option<UserCols>,
    Vec<(String, String)>,
    Option<i32>,
);

/// One thread with its opening post, as `viewer` sees it: hidden threads are seen by staff and
/// their author only. One statement.
pub fn load_thread(
    conn: &mut PgConnection,
    id: Uuid,
    viewer: Option<&Actor>,
) -> AppResult<Option<Thread>> {
    let viewer_id = viewer.map(|v| v.id);
    let staff = viewer.is_some_and(Actor::is_staff);
    // No ORDER BY nor LIMIT: the generic plan then uses the primary key.
    let row: Option<ThreadRowJoined> = threads::table
        .inner_join(categories::table)
        .inner_join(users::table.on(users::id.eq(threads::author_id)))
        // A constant, not a bind parameter: the generic plan then knows it is one row a thread.
        .inner_join(
            posts::table.on(posts::thread_id
                .eq(threads::id)
                .and(fixed::<Bool>("posts.number = 1"))),
        )
        .left_join(
            last_posters.on(threads::last_poster_id.eq(last_posters.field(users::id).nullable())),
        )
        .select((
            ThreadRow::as_select(),
            (categories::slug, categories::name),
            USER_COLUMNS,
            last_posters.fields(USER_COLUMNS).nullable(),
            PostRow::as_select(),
            tag_list(),
            my_reactions!(viewer_id),
            unread_count!(viewer_id),
        ))
        .filter(threads::id.eq(id))
        .filter(
            fixed::<Bool>("(threads.hidden_at IS NULL OR ")
                .bind::<Bool, _>(staff)
                .sql(" OR threads.author_id = ")
                .bind::<Nullable<SqlUuid>, _>(viewer_id)
                .sql(")"),
        )
        .get_result(conn)
        .optional()?;
    let v = Viewer::of(viewer);
    Ok(
        row.map(|(r, cat, author, last, opening, tags, mine, unread)| {
            let author = user(author);
            // The opening post is written by the thread's author, in the same transaction.
            let opening_post = post(opening, author.clone(), mine, v);
            Thread {
                item: list_item(r, cat, author, last, tags, unread, v),
                opening_post,
            }
        }),
    )
}

/// A thread row with what [`load_thread`] joins to it.
type ThreadRowJoined = (
    ThreadRow,
    (String, String),
    UserCols,
    Option<UserCols>,
    PostRow,
    Vec<(String, String)>,
    Vec<String>,
    Option<i32>,
);

fn list_item(
    r: ThreadRow,
    (slug, name): (String, String),
    author: UserPublic,
    last: Option<UserCols>,
    tags: Vec<(String, String)>,
    unread_count: Option<i32>,
    v: Viewer,
) -> ThreadListItem {
    ThreadListItem {
        id: r.id,
        title: r.title,
        category: CategoryRef {
            id: r.category_id,
            slug,
            name,
        },
        tags: tags
            .into_iter()
            .map(|(slug, name)| Tag { slug, name })
            .collect(),
        kind: ThreadKind::parse(&r.kind),
        author,
        // The opening post deleted or hidden: no excerpt of it, but for staff.
        excerpt: if r.opening_shown || v.staff {
            r.excerpt
        } else {
            String::new()
        },
        reply_count: r.reply_count,
        participant_count: r.participant_count,
        reaction_count: r.reaction_count,
        last_activity_at: r.last_activity_at,
        last_poster: last.map(user),
        pinned: r.pinned,
        locked: r.locked,
        archived: r.archived_at.is_some(),
        hidden: r.hidden_at.is_some(),
        slow_mode_seconds: r.slow_mode_seconds,
        accepted_answer: r.accepted_post_id,
        created_at: r.created_at,
        subject: r
            .subject_type
            .zip(r.subject_id)
            .map(|(kind, id)| ThreadSubject { kind, id }),
        unread_count,
    }
}
