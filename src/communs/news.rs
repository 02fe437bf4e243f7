//! A commun's news: threads of kind `news` in the category the commun owns, published by its
//! maintainers; followers who watch the commun are told. Discussions store and show them (their
//! replies, reactions, search, feeds); this module decides who publishes and owns the category.

use diesel::prelude::*;
use uuid::Uuid;

use super::service::{id_of, is_maintainer, require_maintainer};
use crate::accounts::auth::Actor;
use crate::discussions::gate::Gate;
use crate::discussions::owners::CategoryOwners;
use crate::discussions::threads::Subject;
use crate::discussions::types::{NewsInput, Thread, ThreadListItem, ThreadListQuery, ThreadSort};
use crate::error::AppResult;
use crate::pagination::{Page, PageQuery};
use crate::schema::{categories, communs};

/// Creates the news category of a new commun, in its transaction.
pub fn create_category(
    conn: &mut PgConnection,
    commun: Uuid,
    slug: &str,
    name: &str,
) -> AppResult<()> {
    crate::discussions::categories::create_owned(
        conn,
        commun,
        &format!("commun-{slug}"),
        name,
        &format!("Actualités du commun {name}."),
    )?;
    Ok(())
}

/// The news category of a commun: its id and slug (created now for a commun that had none).
fn category_of(conn: &mut PgConnection, commun: Uuid) -> AppResult<(Uuid, String)> {
    let found: Option<(Uuid, String)> = categories::table
        .filter(categories::commun_id.eq(commun))
        .select((categories::id, categories::slug))
        .first(conn)
        .optional()?;
    if let Some(c) = found {
        return Ok(c);
    }
    let (slug, name): (String, String) = communs::table
        .find(commun)
        .select((communs::slug, communs::name))
        .first(conn)?;
    create_category(conn, commun, &slug, &name)?;
    Ok(categories::table
        .filter(categories::commun_id.eq(commun))
        .select((categories::id, categories::slug))
        .first(conn)?)
}

/// A commun's news, newest first (pinned ones first), as thread list items.
pub fn list(
    conn: &mut PgConnection,
    slug: &str,
    paging: &PageQuery,
    viewer: Option<&Actor>,
) -> AppResult<Page<ThreadListItem>> {
    let id = id_of(conn, slug)?;
    let category: Option<String> = categories::table
        .filter(categories::commun_id.eq(id))
        .select(categories::slug)
        .first(conn)
        .optional()?;
    let Some(category) = category else {
        return Ok(Page::empty());
    };
    let q = ThreadListQuery {
        category: Some(category),
        tag: None,
        author: None,
        sort: Some(ThreadSort::Latest),
        limit: paging.limit,
        cursor: paging.cursor.clone(),
    };
    crate::discussions::threads::list(conn, &q, viewer)
}

/// Publishes news of a commun (its maintainers, administrators): a `news` thread in its category;
/// watching followers of the commun are told (`commun_news`), besides the category's watchers.
pub fn publish(
    conn: &mut PgConnection,
    actor: &Actor,
    slug: &str,
    input: &NewsInput,
    gate: &dyn Gate,
) -> AppResult<Thread> {
    let id = id_of(conn, slug)?;
    require_maintainer(conn, id, actor)?;
    crate::db::atomic(conn, |conn| {
        let (category, _) = category_of(conn, id)?;
        let thread = crate::discussions::threads::create_news(
            conn,
            actor,
            category,
            input,
            Subject { kind: "commun", id },
            gate,
        )?;
        super::service::tell_followers(
            conn,
            actor,
            id,
            "commun_news",
            thread.title.clone(),
            Some((thread.id, thread.opening_post.id)),
        )?;
        Ok(thread)
    })
}

/// Maintainers of a commun (and only they, besides authors and moderators) edit the wikis of its
/// news category.
pub struct Maintainers;

impl CategoryOwners for Maintainers {
    fn maintains(
        &self,
        conn: &mut PgConnection,
        user: Uuid,
        category: Uuid,
    ) -> AppResult<Option<bool>> {
        let owner: Option<Uuid> = categories::table
            .find(category)
            .select(categories::commun_id)
            .first(conn)
            .optional()?
            .flatten();
        match owner {
            Some(commun) => Ok(Some(is_maintainer(conn, commun, user)?)),
            None => Ok(None),
        }
    }
}
