//! The discussions' part of a member's personal data: what `GET /me/export` returns and what
//! `DELETE /me` removes (their threads and posts stay, attributed to the anonymous placeholder).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::AppResult;
use crate::schema::{
    category_subscriptions, post_reactions, post_revisions, posts, thread_subscriptions, threads,
};

/// Threads, posts (with their Markdown), reactions and watch levels of `user`.
pub fn export(conn: &mut PgConnection, user: Uuid) -> AppResult<Value> {
    let thread_rows: Vec<(Uuid, String, DateTime<Utc>)> = threads::table
        .filter(threads::author_id.eq(user))
        .order(threads::created_at)
        .select((threads::id, threads::title, threads::created_at))
        .load(conn)?;
    type PostRow = (
        Uuid,
        Uuid,
        i32,
        String,
        DateTime<Utc>,
        Option<DateTime<Utc>>,
        Option<DateTime<Utc>>,
    );
    let post_rows: Vec<PostRow> = posts::table
        .filter(posts::author_id.eq(user))
        .order(posts::created_at)
        .select((
            posts::id,
            posts::thread_id,
            posts::number,
            posts::body,
            posts::created_at,
            posts::edited_at,
            posts::deleted_at,
        ))
        .load(conn)?;
    let reactions: Vec<(Uuid, String, DateTime<Utc>)> = post_reactions::table
        .filter(post_reactions::user_id.eq(user))
        .order(post_reactions::created_at)
        .select((
            post_reactions::post_id,
            post_reactions::kind,
            post_reactions::created_at,
        ))
        .load(conn)?;
    let thread_levels: Vec<(Uuid, String)> = thread_subscriptions::table
        .filter(thread_subscriptions::user_id.eq(user))
        .select((thread_subscriptions::thread_id, thread_subscriptions::level))
        .load(conn)?;
    let category_levels: Vec<(Uuid, String)> = category_subscriptions::table
        .filter(category_subscriptions::user_id.eq(user))
        .select((
            category_subscriptions::category_id,
            category_subscriptions::level,
        ))
        .load(conn)?;
    let revisions: Vec<(Uuid, i32, String, DateTime<Utc>)> = post_revisions::table
        .filter(post_revisions::editor_id.eq(user))
        .order(post_revisions::created_at)
        .select((
            post_revisions::post_id,
            post_revisions::number,
            post_revisions::body,
            post_revisions::created_at,
        ))
        .load(conn)?;
    let section = DiscussionsExport {
        threads: thread_rows
            .into_iter()
            .map(|t| ExportedThread {
                id: t.0,
                title: t.1,
                created_at: t.2,
            })
            .collect(),
        posts: post_rows
            .into_iter()
            .map(|p| ExportedPost {
                id: p.0,
                thread_id: p.1,
                number: p.2,
                body: p.3,
                created_at: p.4,
                edited_at: p.5,
                deleted_at: p.6,
            })
            .collect(),
        revisions: revisions
            .into_iter()
            .map(|r| ExportedRevision {
                post_id: r.0,
                number: r.1,
                body: r.2,
                created_at: r.3,
            })
            .collect(),
        reactions: reactions
            .into_iter()
            .map(|r| ExportedReaction {
                post_id: r.0,
                kind: r.1,
                at: r.2,
            })
            .collect(),
        thread_subscriptions: thread_levels
            .into_iter()
            .map(|s| ThreadLevel {
                thread_id: s.0,
                level: s.1,
            })
            .collect(),
        category_subscriptions: category_levels
            .into_iter()
            .map(|s| CategoryLevel {
                category_id: s.0,
                level: s.1,
            })
            .collect(),
    };
    crate::feature::section(section)
}

/// The discussions' section of `GET /me/export`.
#[derive(Serialize, ToSchema)]
pub struct DiscussionsExport {
    /// The threads you started.
    #[schema(inline)]
    pub threads: Vec<ExportedThread>,
    /// Your posts, with their Markdown, deleted ones included.
    #[schema(inline)]
    pub posts: Vec<ExportedPost>,
    /// The edits you made (of your posts, of wikis, or as a moderator): the whole body each wrote.
    #[schema(inline)]
    pub revisions: Vec<ExportedRevision>,
    #[schema(inline)]
    pub reactions: Vec<ExportedReaction>,
    /// Your watch levels on threads.
    #[schema(inline)]
    pub thread_subscriptions: Vec<ThreadLevel>,
    /// Your watch levels on categories.
    #[schema(inline)]
    pub category_subscriptions: Vec<CategoryLevel>,
}

#[derive(Serialize, ToSchema)]
pub struct ExportedThread {
    pub id: Uuid,
    pub title: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct ExportedPost {
    pub id: Uuid,
    pub thread_id: Uuid,
    pub number: i32,
    /// Markdown, as written.
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub edited_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
}

#[derive(Serialize, ToSchema)]
pub struct ExportedRevision {
    pub post_id: Uuid,
    pub number: i32,
    /// The whole body this edit wrote.
    pub body: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct ExportedReaction {
    pub post_id: Uuid,
    #[schema(value_type = super::types::ReactionKind)]
    pub kind: String,
    pub at: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct ThreadLevel {
    pub thread_id: Uuid,
    #[schema(value_type = crate::notifications::WatchLevel)]
    pub level: String,
}

#[derive(Serialize, ToSchema)]
pub struct CategoryLevel {
    pub category_id: Uuid,
    #[schema(value_type = crate::notifications::WatchLevel)]
    pub level: String,
}

/// Removes what only concerns `user` (watch levels); their threads and posts stay.
pub fn erase(conn: &mut PgConnection, user: Uuid) -> AppResult<()> {
    diesel::delete(thread_subscriptions::table.filter(thread_subscriptions::user_id.eq(user)))
        .execute(conn)?;
    diesel::delete(category_subscriptions::table.filter(category_subscriptions::user_id.eq(user)))
        .execute(conn)?;
    Ok(())
}
