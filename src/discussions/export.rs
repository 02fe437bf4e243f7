//! The discussions' part of a member's personal data: what `GET /me/export` returns and what
//! `DELETE /me` removes (their threads and posts stay, attributed to the anonymous placeholder).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::error::AppResult;
use crate::schema::{category_subscriptions, post_reactions, posts, thread_subscriptions, threads};

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
    Ok(json!({
        "threads": thread_rows.into_iter().map(|t| json!({"id": t.0, "title": t.1, "created_at": t.2})).collect::<Vec<_>>(),
        "posts": post_rows.into_iter().map(|p| json!({
            "id": p.0, "thread_id": p.1, "number": p.2, "body": p.3, "created_at": p.4,
            "edited_at": p.5, "deleted_at": p.6,
        })).collect::<Vec<_>>(),
        "reactions": reactions.into_iter().map(|r| json!({"post_id": r.0, "kind": r.1, "at": r.2})).collect::<Vec<_>>(),
        "thread_subscriptions": thread_levels.into_iter().map(|s| json!({"thread_id": s.0, "level": s.1})).collect::<Vec<_>>(),
        "category_subscriptions": category_levels.into_iter().map(|s| json!({"category_id": s.0, "level": s.1})).collect::<Vec<_>>(),
    }))
}

/// Removes what only concerns `user` (watch levels); their threads and posts stay.
pub fn erase(conn: &mut PgConnection, user: Uuid) -> AppResult<()> {
    diesel::delete(thread_subscriptions::table.filter(thread_subscriptions::user_id.eq(user)))
        .execute(conn)?;
    diesel::delete(category_subscriptions::table.filter(category_subscriptions::user_id.eq(user)))
        .execute(conn)?;
    Ok(())
}
