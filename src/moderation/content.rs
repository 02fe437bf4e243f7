//! The content moderation acts on: who it belongs to, what it is called, and the visibility
//! switches (hide, unhide, delete, restore) on posts, threads and challenges.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::types::TargetType;
use crate::error::{AppError, AppResult};
use crate::schema::{challenges, posts, threads, users};

/// What a flag or an action targets.
#[derive(Debug, Clone)]
pub struct Target {
    pub kind: TargetType,
    pub id: Uuid,
    /// The member the content belongs to (the member themselves for a user target).
    pub owner: Uuid,
    /// A title, or an excerpt for a post.
    pub title: String,
    pub created_at: DateTime<Utc>,
    pub hidden: bool,
    pub deleted: bool,
}

/// Finds a target; `None` when it does not exist (or is an erased member).
pub fn find(conn: &mut PgConnection, kind: TargetType, id: Uuid) -> AppResult<Option<Target>> {
    Ok(match kind {
        TargetType::Post => posts::table
            .inner_join(threads::table.on(threads::id.eq(posts::thread_id)))
            .filter(posts::id.eq(id))
            .select((
                posts::author_id,
                threads::title,
                posts::body,
                posts::number,
                posts::created_at,
                posts::hidden_at,
                posts::deleted_at,
                threads::hidden_at,
            ))
            .first::<(
                Uuid,
                String,
                String,
                i32,
                DateTime<Utc>,
                Option<DateTime<Utc>>,
                Option<DateTime<Utc>>,
                Option<DateTime<Utc>>,
            )>(conn)
            .optional()?
            .map(
                |(owner, title, body, number, at, hidden, deleted, thread_hidden)| Target {
                    kind,
                    id,
                    owner,
                    title: format!("{title} (#{number}) : {}", excerpt(&body, 80)),
                    created_at: at,
                    hidden: hidden.is_some() || thread_hidden.is_some(),
                    deleted: deleted.is_some(),
                },
            ),
        TargetType::Thread => threads::table
            .find(id)
            .select((
                threads::author_id,
                threads::title,
                threads::created_at,
                threads::hidden_at,
            ))
            .first::<(Uuid, String, DateTime<Utc>, Option<DateTime<Utc>>)>(conn)
            .optional()?
            .map(|(owner, title, at, hidden)| Target {
                kind,
                id,
                owner,
                title,
                created_at: at,
                hidden: hidden.is_some(),
                deleted: false,
            }),
        TargetType::Challenge => challenges::table
            .find(id)
            .select((
                challenges::proposer_id,
                challenges::title,
                challenges::created_at,
                challenges::hidden_at,
            ))
            .first::<(Uuid, String, DateTime<Utc>, Option<DateTime<Utc>>)>(conn)
            .optional()?
            .map(|(owner, title, at, hidden)| Target {
                kind,
                id,
                owner,
                title,
                created_at: at,
                hidden: hidden.is_some(),
                deleted: false,
            }),
        TargetType::User => users::table
            .find(id)
            .filter(users::erased_at.is_null())
            .select((users::username, users::created_at))
            .first::<(String, DateTime<Utc>)>(conn)
            .optional()?
            .map(|(name, at)| Target {
                kind,
                id,
                owner: id,
                title: format!("@{name}"),
                created_at: at,
                hidden: false,
                deleted: false,
            }),
    })
}

/// [`find`], or a 404.
pub fn get(conn: &mut PgConnection, kind: TargetType, id: Uuid) -> AppResult<Target> {
    find(conn, kind, id)?.ok_or(AppError::NotFound)
}

/// The first `max` characters of a text, on one line.
pub fn excerpt(text: &str, max: usize) -> String {
    crate::markdown::excerpt(text, max)
}

/// Hides (`true`) or unhides a post, thread or challenge; false when it was already so.
pub fn set_hidden(conn: &mut PgConnection, t: &Target, hidden: bool) -> AppResult<bool> {
    let at = hidden.then(Utc::now);
    let n = match t.kind {
        TargetType::Post => diesel::update(
            posts::table
                .find(t.id)
                .filter(posts::hidden_at.is_null().eq(hidden)),
        )
        .set(posts::hidden_at.eq(at))
        .execute(conn)?,
        TargetType::Thread => diesel::update(
            threads::table
                .find(t.id)
                .filter(threads::hidden_at.is_null().eq(hidden)),
        )
        .set(threads::hidden_at.eq(at))
        .execute(conn)?,
        TargetType::Challenge => {
            // Its discussion thread (whose opening post is the challenge's text) goes with it.
            diesel::update(
                threads::table
                    .filter(threads::subject_type.eq("challenge"))
                    .filter(threads::subject_id.eq(t.id)),
            )
            .set(threads::hidden_at.eq(at))
            .execute(conn)?;
            diesel::update(
                challenges::table
                    .find(t.id)
                    .filter(challenges::hidden_at.is_null().eq(hidden)),
            )
            .set(challenges::hidden_at.eq(at))
            .execute(conn)?
        }
        TargetType::User => {
            return Err(AppError::validation(
                "action",
                "A member is silenced or suspended, not hidden: use /users/{id}/moderation.",
            ));
        }
    };
    Ok(n > 0)
}

/// Deletes (`true`, softly) or restores a post; false when it was already so. Threads and
/// challenges are removed by hiding them (they hold other members' replies and pledges).
pub fn set_deleted(conn: &mut PgConnection, t: &Target, deleted: bool) -> AppResult<bool> {
    match t.kind {
        TargetType::Post => {
            let at = deleted.then(Utc::now);
            let n = diesel::update(
                posts::table
                    .find(t.id)
                    .filter(posts::deleted_at.is_null().eq(deleted)),
            )
            .set(posts::deleted_at.eq(at))
            .execute(conn)?;
            Ok(n > 0)
        }
        _ => set_hidden(conn, t, deleted),
    }
}
