//! Atom 1.0 feeds (atom_syndication): latest threads, per category, challenges.

use actix_web::{HttpResponse, get, web};
use atom_syndication::{Content, Entry, Feed, Link, Person, Text};
use chrono::{DateTime, FixedOffset, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::app::AppState;
use crate::config::Settings;
use crate::db;
use crate::discussions::view::{ThreadRow, users_by_id};
use crate::error::{AppError, AppResult, Problem};
use crate::schema::{categories, posts, threads};

/// Entries per feed.
const ENTRIES: i64 = 30;

fn fixed(t: DateTime<Utc>) -> DateTime<FixedOffset> {
    t.fixed_offset()
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
fn thread_feed(
    conn: &mut PgConnection,
    settings: &Settings,
    category: Option<(Uuid, String)>,
    self_path: &str,
) -> AppResult<String> {
    let mut q = threads::table.select(ThreadRow::as_select()).into_boxed();
    if let Some((id, _)) = &category {
        q = q.filter(threads::category_id.eq(*id));
    }
    let rows: Vec<ThreadRow> = q
        .order((threads::created_at.desc(), threads::id.desc()))
        .limit(ENTRIES)
        .load(conn)?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let bodies: Vec<(Uuid, String, Option<DateTime<Utc>>)> = posts::table
        .filter(posts::thread_id.eq_any(&ids))
        .filter(posts::number.eq(1))
        .select((posts::thread_id, posts::body_html, posts::deleted_at))
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
            let author = authors
                .get(&r.author_id)
                .map(|u| {
                    if u.display_name.is_empty() {
                        u.username.clone()
                    } else {
                        u.display_name.clone()
                    }
                })
                .unwrap_or_else(|| "inconnu".into());
            let html = bodies
                .iter()
                .find(|b| b.0 == r.id && b.2.is_none())
                .map(|b| b.1.clone())
                .unwrap_or_default();
            Entry {
                title: Text::plain(r.title),
                id: format!("urn:uuid:{}", r.id),
                updated: fixed(r.last_activity_at),
                published: Some(fixed(r.created_at)),
                authors: vec![Person {
                    name: author,
                    ..Default::default()
                }],
                links: vec![link(
                    format!("{front}/threads/{}", r.id),
                    "alternate",
                    Some("text/html"),
                )],
                content: Some(Content {
                    value: Some(html),
                    content_type: Some("html".into()),
                    ..Default::default()
                }),
                ..Default::default()
            }
        })
        .collect();
    let feed = Feed {
        title: Text::plain(title),
        id: self_url.clone(),
        updated: fixed(updated),
        authors: vec![Person {
            name: "palabre".into(),
            ..Default::default()
        }],
        links: vec![
            link(self_url, "self", Some("application/atom+xml")),
            link(front.clone(), "alternate", Some("text/html")),
        ],
        lang: Some("fr".into()),
        entries,
        ..Default::default()
    };
    Ok(feed.to_string())
}

fn atom(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/atom+xml; charset=utf-8")
        .body(body)
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(latest)
        .service(category_feed)
        .service(challenges);
}

/// The newest threads, as an Atom 1.0 feed.
#[utoipa::path(
    tag = "feeds",
    security(()),
    responses((status = 200, description = "Atom 1.0 feed", body = String, content_type = "application/atom+xml"))
)]
#[get("/feeds/latest.atom")]
pub async fn latest(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let settings = state.settings.clone();
    let body = db::run(&state.pool, move |conn| {
        thread_feed(conn, &settings, None, "/feeds/latest.atom")
    })
    .await?;
    Ok(atom(body))
}

/// The newest threads of a category, as an Atom 1.0 feed.
#[utoipa::path(
    tag = "feeds",
    security(()),
    params(("slug" = String, Path, description = "Category slug")),
    responses(
        (status = 200, description = "Atom 1.0 feed", body = String, content_type = "application/atom+xml"),
        (status = 404, description = "No such category", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/feeds/categories/{slug}.atom")]
pub async fn category_feed(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let slug = path.into_inner();
    let settings = state.settings.clone();
    let body = db::run(&state.pool, move |conn| {
        let (id, name): (Uuid, String) = categories::table
            .filter(categories::slug.eq(&slug))
            .select((categories::id, categories::name))
            .first(conn)
            .optional()?
            .ok_or(AppError::NotFound)?;
        thread_feed(
            conn,
            &settings,
            Some((id, name)),
            &format!("/feeds/categories/{slug}.atom"),
        )
    })
    .await?;
    Ok(atom(body))
}

/// Challenges, as an Atom 1.0 feed (empty until challenges exist).
#[utoipa::path(
    tag = "feeds",
    security(()),
    responses((status = 200, description = "Atom 1.0 feed", body = String, content_type = "application/atom+xml"))
)]
#[get("/feeds/challenges.atom")]
pub async fn challenges(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let self_url = format!("{}/api/v1/feeds/challenges.atom", state.settings.public_url);
    let feed = Feed {
        title: Text::plain("palabre — défis"),
        id: self_url.clone(),
        updated: fixed(DateTime::<Utc>::UNIX_EPOCH),
        authors: vec![Person {
            name: "palabre".into(),
            ..Default::default()
        }],
        links: vec![link(self_url, "self", Some("application/atom+xml"))],
        lang: Some("fr".into()),
        ..Default::default()
    };
    Ok(atom(feed.to_string()))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(latest, category_feed, challenges),
    tags((name = "feeds", description = "Atom 1.0 feeds"))
)]
pub struct ApiDoc;
