//! Turning rows into API shapes with a fixed number of queries per page, whatever its size:
//! authors, tags, opening posts and the viewer's reactions are each loaded once for the whole page.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::types::{CategoryRef, Post, Tag, Thread, ThreadKind};
use crate::accounts::Role;
use crate::accounts::auth::Actor;
use crate::accounts::types::UserPublic;
use crate::error::AppResult;
use crate::schema::{categories, post_reactions, posts, tags, thread_tags, threads, users};

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
}

/// Public users by id (duplicates allowed), in one query.
pub fn users_by_id(
    conn: &mut PgConnection,
    ids: impl IntoIterator<Item = Uuid>,
) -> AppResult<HashMap<Uuid, UserPublic>> {
    let mut ids: Vec<Uuid> = ids.into_iter().collect();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(Uuid, String, String, String, DateTime<Utc>)> = users::table
        .filter(users::id.eq_any(&ids))
        .select((
            users::id,
            users::username,
            users::display_name,
            users::role,
            users::created_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, username, display_name, role, created_at)| {
            (
                id,
                UserPublic {
                    id,
                    username,
                    display_name,
                    role: Role::parse(&role).unwrap_or(Role::Member),
                    created_at,
                },
            )
        })
        .collect())
}

fn unknown_user(id: Uuid) -> UserPublic {
    UserPublic {
        id,
        username: "inconnu".into(),
        display_name: String::new(),
        role: Role::Member,
        created_at: DateTime::<Utc>::MIN_UTC,
    }
}

/// Posts as the viewer sees them (deleted bodies hidden but for staff), with two extra queries.
pub fn posts(
    conn: &mut PgConnection,
    rows: Vec<PostRow>,
    viewer: Option<&Actor>,
) -> AppResult<Vec<Post>> {
    let authors = users_by_id(conn, rows.iter().map(|r| r.author_id))?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mine: Vec<(Uuid, String)> = match viewer {
        Some(v) if !ids.is_empty() => post_reactions::table
            .filter(post_reactions::user_id.eq(v.id))
            .filter(post_reactions::post_id.eq_any(&ids))
            .select((post_reactions::post_id, post_reactions::kind))
            .load(conn)?,
        _ => Vec::new(),
    };
    let staff = viewer.is_some_and(Actor::is_staff);
    Ok(rows
        .into_iter()
        .map(|r| {
            let deleted = r.deleted_at.is_some();
            let show = !deleted || staff;
            let reactions: BTreeMap<String, i64> = r
                .reaction_counts
                .as_object()
                .map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| v.as_i64().filter(|n| *n > 0).map(|n| (k.clone(), n)))
                        .collect()
                })
                .unwrap_or_default();
            let mut my_reactions: Vec<String> = mine
                .iter()
                .filter(|(p, _)| *p == r.id)
                .map(|(_, k)| k.clone())
                .collect();
            my_reactions.sort();
            Post {
                id: r.id,
                thread_id: r.thread_id,
                number: r.number,
                author: authors
                    .get(&r.author_id)
                    .cloned()
                    .unwrap_or_else(|| unknown_user(r.author_id)),
                body: if show { r.body } else { String::new() },
                body_html: if show { r.body_html } else { String::new() },
                reply_to: r.reply_to_id,
                reactions,
                my_reactions,
                edited_at: r.edited_at,
                deleted,
                created_at: r.created_at,
            }
        })
        .collect())
}

/// Threads with their category, tags, author, last poster and opening post: six queries for a page.
pub fn threads(
    conn: &mut PgConnection,
    rows: Vec<ThreadRow>,
    viewer: Option<&Actor>,
) -> AppResult<Vec<Thread>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut category_ids: Vec<Uuid> = rows.iter().map(|r| r.category_id).collect();
    category_ids.sort();
    category_ids.dedup();
    let cats: HashMap<Uuid, (String, String)> = categories::table
        .filter(categories::id.eq_any(&category_ids))
        .select((categories::id, categories::slug, categories::name))
        .load::<(Uuid, String, String)>(conn)?
        .into_iter()
        .map(|(id, slug, name)| (id, (slug, name)))
        .collect();
    let tag_rows: Vec<(Uuid, String, String)> = thread_tags::table
        .inner_join(tags::table)
        .filter(thread_tags::thread_id.eq_any(&ids))
        .order(tags::slug)
        .select((thread_tags::thread_id, tags::slug, tags::name))
        .load(conn)?;
    let opening: Vec<PostRow> = posts::table
        .filter(posts::thread_id.eq_any(&ids))
        .filter(posts::number.eq(1))
        .select(PostRow::as_select())
        .load(conn)?;
    let mut opening: HashMap<Uuid, Post> = self::posts(conn, opening, viewer)?
        .into_iter()
        .map(|p| (p.thread_id, p))
        .collect();
    let people = users_by_id(
        conn,
        rows.iter()
            .flat_map(|r| std::iter::once(r.author_id).chain(r.last_poster_id)),
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let (slug, name) = cats.get(&r.category_id).cloned().unwrap_or_default();
        let Some(opening_post) = opening.remove(&r.id) else {
            continue;
        };
        out.push(Thread {
            id: r.id,
            title: r.title,
            category: CategoryRef {
                id: r.category_id,
                slug,
                name,
            },
            tags: tag_rows
                .iter()
                .filter(|t| t.0 == r.id)
                .map(|t| Tag {
                    slug: t.1.clone(),
                    name: t.2.clone(),
                })
                .collect(),
            kind: ThreadKind::parse(&r.kind),
            author: people
                .get(&r.author_id)
                .cloned()
                .unwrap_or_else(|| unknown_user(r.author_id)),
            opening_post,
            reply_count: r.reply_count,
            participant_count: r.participant_count,
            reaction_count: r.reaction_count,
            last_activity_at: r.last_activity_at,
            last_poster: r.last_poster_id.and_then(|id| people.get(&id).cloned()),
            pinned: r.pinned,
            locked: r.locked,
            accepted_answer: r.accepted_post_id,
            created_at: r.created_at,
        });
    }
    Ok(out)
}
