//! Reactions on posts: one per member per kind, counted per kind on the post and on its thread's
//! score, in the reacting transaction.

use diesel::prelude::*;
use uuid::Uuid;

use super::types::{Post, ReactionKind};
use crate::accounts::auth::Actor;
use crate::db;
use crate::error::{AppError, AppResult};
use crate::schema::{post_reactions, threads};

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

/// Adds (`on`) or removes the caller's reaction of `kind` on a post; idempotent.
pub fn set(
    conn: &mut PgConnection,
    actor: &Actor,
    post: Uuid,
    kind: ReactionKind,
    on: bool,
) -> AppResult<Post> {
    actor.require_writer()?;
    let row = super::posts::row(conn, post)?;
    if row.deleted_at.is_some() {
        return Err(AppError::conflict(
            None,
            "A deleted post takes no reactions.",
        ));
    }
    super::threads::refuse_if_thread_locked(conn, row.thread_id, actor)?;
    db::atomic(conn, |conn| {
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
        super::posts::view(conn, post, Some(actor))
    })
}
