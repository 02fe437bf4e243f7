//! Atom 1.0 feeds (atom_syndication): latest threads, per category, challenges.

use atom_syndication::{Entry, Feed, Link, Person, Text};
use chrono::{DateTime, FixedOffset, Utc};
use diesel::prelude::*;
use std::collections::HashMap;
use uuid::Uuid;

use crate::accounts::types::UserPublic;
use crate::accounts::view::users_by_id;
use crate::config::Settings;
use crate::discussions::view::ThreadRow;
use crate::error::{AppError, AppResult};
use crate::schema::{categories, challenges, threads};

/// Entries per feed.
const ENTRIES: i64 = 30;

fn fixed(t: DateTime<Utc>) -> DateTime<FixedOffset> {
    t.fixed_offset()
}

/// An entry's author: the member's display name, or username; `inconnu` when not found.
fn author(authors: &HashMap<Uuid, UserPublic>, id: Uuid) -> Vec<Person> {
    let name = authors
        .get(&id)
        .map(|u| {
            if u.display_name.is_empty() {
                u.username.clone()
            } else {
                u.display_name.clone()
            }
        })
        .unwrap_or_else(|| "inconnu".into());
    vec![Person {
        name,
        ..Default::default()
    }]
}

/// A palabre feed of `entries`: its own address `self_url`, the frontend page it mirrors.
fn feed(
    title: &str,
    self_url: String,
    alternate: String,
    updated: DateTime<Utc>,
    entries: Vec<Entry>,
) -> String {
    Feed {
        title: Text::plain(title),
        id: self_url.clone(),
        updated: fixed(updated),
        authors: vec![Person {
            name: "palabre".into(),
            ..Default::default()
        }],
        links: vec![
            link(self_url, "self", Some("application/atom+xml")),
            link(alternate, "alternate", Some("text/html")),
        ],
        lang: Some("fr".into()),
        entries,
        ..Default::default()
    }
    .to_string()
}

fn link(href: String, rel: &str, mime: Option<&str>) -> Link {
    Link {
        href,
        rel: rel.into(),
        mime_type: mime.map(str::to_string),
        ..Default::default()
    }
}

/// Builds a feed of the newest threads (optionally of one category).
pub fn thread_feed(
    conn: &mut PgConnection,
    settings: &Settings,
    category: Option<(Uuid, String)>,
    self_path: &str,
) -> AppResult<String> {
    let mut q = threads::table
        .select(ThreadRow::as_select())
        .filter(threads::hidden_at.is_null())
        .into_boxed();
    match &category {
        Some((id, _)) => q = q.filter(threads::category_id.eq(*id)),
        // Archived threads leave the site-wide feed, as they leave the site-wide lists.
        None => q = q.filter(threads::archived_at.is_null()),
    }
    let rows: Vec<ThreadRow> = q
        .order((threads::created_at.desc(), threads::id.desc()))
        .limit(ENTRIES)
        .load(conn)?;
    let authors = users_by_id(conn, rows.iter().map(|r| r.author_id))?;
    let front = &settings.frontend_url;
    let title = match &category {
        Some((_, name)) => format!("palabre — {name}"),
        None => "palabre — derniers sujets".to_string(),
    };
    let updated = rows
        .iter()
        .map(|r| r.last_activity_at)
        .max()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    let self_url = format!("{}/api/v1{self_path}", settings.public_url);
    let entries = rows
        .into_iter()
        .map(|r| {
            // The opening post's excerpt, kept with the thread: feeds, like lists, carry no
            // whole opening post (none when it is deleted or hidden).
            let excerpt = if r.opening_shown {
                r.excerpt
            } else {
                String::new()
            };
            Entry {
                title: Text::plain(r.title),
                id: format!("urn:uuid:{}", r.id),
                updated: fixed(r.last_activity_at),
                published: Some(fixed(r.created_at)),
                authors: author(&authors, r.author_id),
                links: vec![link(
                    format!("{front}/threads/{}", r.id),
                    "alternate",
                    Some("text/html"),
                )],
                summary: (!excerpt.is_empty()).then(|| Text::plain(excerpt)),
                ..Default::default()
            }
        })
        .collect();
    Ok(feed(&title, self_url, front.clone(), updated, entries))
}

/// The newest threads of the category `slug` (404 when unknown).
pub fn category_feed(
    conn: &mut PgConnection,
    settings: &Settings,
    slug: &str,
) -> AppResult<String> {
    let (id, name): (Uuid, String) = categories::table
        .filter(categories::slug.eq(slug))
        .select((categories::id, categories::name))
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound)?;
    thread_feed(
        conn,
        settings,
        Some((id, name)),
        &format!("/feeds/categories/{slug}.atom"),
    )
}

/// How a challenge's state reads in a French feed.
fn status_fr(status: &str) -> &'static str {
    match status {
        "submitted" => "proposé",
        "under_review" => "en examen",
        "open" => "ouvert",
        "in_progress" => "en cours",
        "solved" => "résolu",
        "rejected" => "refusé",
        "withdrawn" => "retiré",
        "closed" => "clos",
        _ => "brouillon",
    }
}

/// New and changed challenges (public ones: submitted at some point), the most recently changed
/// first.
pub fn challenges_feed(conn: &mut PgConnection, settings: &Settings) -> AppResult<String> {
    type Row = (
        Uuid,
        String,
        String,
        String,
        Uuid,
        DateTime<Utc>,
        DateTime<Utc>,
    );
    let rows: Vec<Row> = challenges::table
        .filter(challenges::thread_id.is_not_null())
        .filter(challenges::hidden_at.is_null())
        .order((challenges::updated_at.desc(), challenges::id.desc()))
        .limit(ENTRIES)
        .select((
            challenges::id,
            challenges::title,
            challenges::summary,
            challenges::status,
            challenges::proposer_id,
            challenges::created_at,
            challenges::updated_at,
        ))
        .load(conn)?;
    let authors = users_by_id(conn, rows.iter().map(|r| r.4))?;
    let front = &settings.frontend_url;
    let self_url = format!("{}/api/v1/feeds/challenges.atom", settings.public_url);
    let updated = rows
        .iter()
        .map(|r| r.6)
        .max()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    let entries = rows
        .into_iter()
        .map(
            |(id, title, summary, status, proposer, created, changed)| Entry {
                title: Text::plain(title),
                id: format!("urn:uuid:{id}"),
                updated: fixed(changed),
                published: Some(fixed(created)),
                authors: author(&authors, proposer),
                links: vec![link(
                    format!("{front}/challenges/{id}"),
                    "alternate",
                    Some("text/html"),
                )],
                summary: Some(Text::plain(format!(
                    "Défi {} — {summary}",
                    status_fr(&status)
                ))),
                ..Default::default()
            },
        )
        .collect();
    Ok(feed(
        "palabre — défis",
        self_url,
        format!("{front}/challenges"),
        updated,
        entries,
    ))
}

/// A commun's feed: its news, the resources it published and the milestones it reached, newest
/// first. 404 when there is no such commun.
pub fn commun_feed(conn: &mut PgConnection, settings: &Settings, slug: &str) -> AppResult<String> {
    use crate::schema::{communs, milestones, resources};
    let (commun, name): (Uuid, String) = communs::table
        .filter(communs::slug.eq(slug))
        .select((communs::id, communs::name))
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound)?;
    let front = &settings.frontend_url;
    let page = format!("{front}/communs/{slug}");
    let mut dated: Vec<(DateTime<Utc>, Entry)> = Vec::new();
    type Published = (
        Uuid,
        String,
        String,
        String,
        String,
        DateTime<Utc>,
        DateTime<Utc>,
    );
    let published: Vec<Published> = resources::table
        .filter(resources::commun_id.eq(commun))
        .order((resources::created_at.desc(), resources::id.desc()))
        .limit(ENTRIES)
        .select((
            resources::id,
            resources::title,
            resources::url,
            resources::licence,
            resources::description,
            resources::created_at,
            resources::updated_at,
        ))
        .load(conn)?;
    for (id, title, url, licence, description, created, changed) in published {
        dated.push((
            created,
            Entry {
                title: Text::plain(format!("Nouvelle ressource : {title}")),
                id: format!("urn:uuid:{id}"),
                updated: fixed(changed),
                published: Some(fixed(created)),
                links: vec![link(url, "alternate", None)],
                summary: Some(Text::plain(
                    format!("Licence {licence}. {description}")
                        .trim()
                        .to_string(),
                )),
                ..Default::default()
            },
        ));
    }
    let reached: Vec<(Uuid, String, String, DateTime<Utc>)> = milestones::table
        .filter(milestones::commun_id.eq(commun))
        .filter(milestones::reached_at.is_not_null())
        .order((milestones::reached_at.desc(), milestones::id.desc()))
        .limit(ENTRIES)
        .select((
            milestones::id,
            milestones::title,
            milestones::description,
            milestones::reached_at.assume_not_null(),
        ))
        .load(conn)?;
    for (id, title, description, at) in reached {
        dated.push((
            at,
            Entry {
                title: Text::plain(format!("Étape franchie : {title}")),
                id: format!("urn:uuid:{id}"),
                updated: fixed(at),
                published: Some(fixed(at)),
                links: vec![link(page.clone(), "alternate", Some("text/html"))],
                summary: (!description.is_empty()).then(|| Text::plain(description)),
                ..Default::default()
            },
        ));
    }
    // Its news: threads of kind `news` in its category, with their opening post's excerpt.
    type News = (
        Uuid,
        String,
        Uuid,
        DateTime<Utc>,
        DateTime<Utc>,
        String,
        bool,
    );
    let news: Vec<News> = threads::table
        .inner_join(categories::table)
        .filter(categories::commun_id.eq(commun))
        .filter(threads::kind.eq("news"))
        .filter(threads::hidden_at.is_null())
        .order((threads::created_at.desc(), threads::id.desc()))
        .limit(ENTRIES)
        .select((
            threads::id,
            threads::title,
            threads::author_id,
            threads::created_at,
            threads::last_activity_at,
            threads::excerpt,
            threads::opening_shown,
        ))
        .load(conn)?;
    let authors = users_by_id(conn, news.iter().map(|n| n.2))?;
    for (id, title, author_id, created, active, excerpt, shown) in news {
        let excerpt = if shown { excerpt } else { String::new() };
        dated.push((
            created,
            Entry {
                title: Text::plain(title),
                id: format!("urn:uuid:{id}"),
                updated: fixed(active),
                published: Some(fixed(created)),
                authors: author(&authors, author_id),
                links: vec![link(
                    format!("{front}/threads/{id}"),
                    "alternate",
                    Some("text/html"),
                )],
                summary: (!excerpt.is_empty()).then(|| Text::plain(excerpt)),
                ..Default::default()
            },
        ));
    }
    dated.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
    dated.truncate(ENTRIES as usize);
    let updated = dated
        .first()
        .map(|(at, _)| *at)
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    Ok(feed(
        &format!("palabre — {name}"),
        format!("{}/api/v1/feeds/communs/{slug}.atom", settings.public_url),
        page,
        updated,
        dated.into_iter().map(|(_, e)| e).collect(),
    ))
}
