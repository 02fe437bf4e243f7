//! Full-text search: PostgreSQL `tsvector` columns generated with the `palabre_fr` configuration
//! (French stemming after `unaccent`), GIN indexes, `websearch_to_tsquery`, ranked by relevance with
//! a recency boost, with highlighted snippets.

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::accounts::types::UserPublic;
use crate::app::AppState;
use crate::db;
use crate::discussions::view::users_by_id;
use crate::error::{AppError, AppResult, Problem};
use crate::pagination::{Page, PageQuery};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SearchType {
    Threads,
    Posts,
    /// Challenges (none exist yet: always empty).
    Challenges,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Words to find; quotes, `or` and `-word` work as in web search engines.
    #[param(min_length = 1, max_length = 200)]
    pub q: String,
    /// What to search; threads and posts together when absent.
    #[serde(rename = "type")]
    pub kind: Option<SearchType>,
    /// Only in this category (slug).
    pub category: Option<String>,
    /// Items per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchHit {
    /// `thread` or `post`.
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Uuid,
    pub thread_id: Uuid,
    /// The thread's title.
    pub title: String,
    /// An excerpt, HTML-escaped, with the matching words in `<mark>`.
    pub snippet_html: String,
    pub author: Option<UserPublic>,
    pub created_at: DateTime<Utc>,
    pub score: f64,
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    thread_id: Uuid,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Text)]
    snippet: String,
    #[diesel(sql_type = SqlUuid)]
    author_id: Uuid,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Double)]
    score: f64,
}

/// The query: web-search syntax, French stemming and accent folding; then every lexeme of six letters
/// or more loses its last letter and matches as a prefix, because the French stemmer does not bring
/// verbs and nouns to one stem ("cartographier" gives `cartographi`, "cartographie" `cartograph`).
const QUERY: &str = r#"to_tsquery('simple', regexp_replace(websearch_to_tsquery('palabre_fr', $1)::text, '''([^'']{5,})[^'']''', '''\1'':*', 'g'))"#;

/// Escapes text for HTML before it is headlined, so that only `<mark>` is markup. Snippets are made
/// for the page's rows only, after ranking and limiting (ts_headline is the expensive part).
const ESCAPE: &str = "replace(replace(replace(%s, '&', '&amp;'), '<', '&lt;'), '>', '&gt;')";
const HEADLINE_OPTIONS: &str =
    "'StartSel=<mark>, StopSel=</mark>, MaxWords=30, MinWords=12, MaxFragments=2'";
/// Relevance, boosted for recent activity (×2 today, ×1.5 a month ago, towards ×1).
/// Uses the start of the day, not `now()`, so that scores (and cursors) hold steady within a day.
const BOOST: &str =
    "(1 + 1 / (1 + greatest(extract(epoch FROM date_trunc('day', now()) - %s), 0) / 2592000))";

fn threads_sql() -> String {
    format!(
        "SELECT 'thread'::text AS kind, t.id, t.id AS thread_id, t.title, t.title AS text, \
                t.author_id, t.created_at, \
                (ts_rank(t.search, q) * {boost})::float8 AS score \
         FROM threads t, query \
         WHERE t.search @@ q AND ($2::uuid IS NULL OR t.category_id = $2)",
        boost = BOOST.replace("%s", "t.last_activity_at"),
    )
}

fn posts_sql() -> String {
    format!(
        "SELECT 'post'::text AS kind, p.id, p.thread_id, t.title, p.body AS text, \
                p.author_id, p.created_at, \
                (ts_rank(p.search, q) * {boost})::float8 AS score \
         FROM posts p JOIN threads t ON t.id = p.thread_id, query \
         WHERE p.search @@ q AND p.deleted_at IS NULL AND ($2::uuid IS NULL OR t.category_id = $2)",
        boost = BOOST.replace("%s", "p.created_at"),
    )
}

pub fn search(conn: &mut PgConnection, q: &SearchQuery) -> AppResult<Page<SearchHit>> {
    let paging = PageQuery {
        limit: q.limit,
        cursor: q.cursor.clone(),
    };
    let limit = paging.limit()?;
    let after: Option<(f64, Uuid)> = paging.after()?;
    let text = q.q.trim();
    if text.is_empty() || text.chars().count() > 200 {
        return Err(AppError::validation("q", "1 to 200 characters."));
    }
    if text.contains('\0') {
        return Err(AppError::validation(
            "q",
            "Text may not contain the NUL character (U+0000).",
        ));
    }
    let category: Option<Uuid> = match &q.category {
        None => None,
        Some(slug) => {
            use crate::schema::categories;
            match categories::table
                .filter(categories::slug.eq(slug))
                .select(categories::id)
                .first(conn)
                .optional()?
            {
                Some(id) => Some(id),
                None => {
                    return Ok(Page {
                        items: Vec::new(),
                        next_cursor: None,
                    });
                }
            }
        }
    };
    let inner = match q.kind {
        Some(SearchType::Challenges) => {
            return Ok(Page {
                items: Vec::new(),
                next_cursor: None,
            });
        }
        Some(SearchType::Threads) => threads_sql(),
        Some(SearchType::Posts) => posts_sql(),
        None => format!("{} UNION ALL {}", threads_sql(), posts_sql()),
    };
    let sql = format!(
        "WITH query AS (SELECT {QUERY} AS q), \
              top AS (SELECT * FROM ({inner}) hits \
                      WHERE $3::float8 IS NULL OR (score, id) < ($3, $4) \
                      ORDER BY score DESC, id DESC LIMIT $5) \
         SELECT top.kind, top.id, top.thread_id, top.title, \
                ts_headline('palabre_fr', {text}, query.q, {HEADLINE_OPTIONS}) AS snippet, \
                top.author_id, top.created_at, top.score \
         FROM top, query ORDER BY top.score DESC, top.id DESC",
        text = ESCAPE.replace("%s", "top.text"),
    );
    let rows: Vec<Row> = diesel::sql_query(sql)
        .bind::<Text, _>(text)
        .bind::<Nullable<SqlUuid>, _>(category)
        .bind::<Nullable<Double>, _>(after.map(|a| a.0))
        .bind::<SqlUuid, _>(after.map(|a| a.1).unwrap_or_else(Uuid::nil))
        .bind::<BigInt, _>(limit + 1)
        .load(conn)?;
    let authors = users_by_id(conn, rows.iter().map(|r| r.author_id))?;
    Ok(Page::from_rows(
        rows,
        limit,
        |r| (r.score, r.id),
        |r| SearchHit {
            author: authors.get(&r.author_id).cloned(),
            kind: r.kind,
            id: r.id,
            thread_id: r.thread_id,
            title: r.title,
            snippet_html: r.snippet,
            created_at: r.created_at,
            score: r.score,
        },
    ))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(search_handler);
}

/// Search threads and posts (French stemming, accents ignored: "forets" finds "forêts").
#[utoipa::path(
    tag = "search",
    security(()),
    params(SearchQuery),
    responses(
        (status = 200, description = "Hits, most relevant first (recent activity ranks higher)", body = Page<SearchHit>),
        (status = 422, description = "Empty or too long query, invalid limit or cursor", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/search")]
pub async fn search_handler(
    state: web::Data<AppState>,
    query: web::Query<SearchQuery>,
) -> AppResult<HttpResponse> {
    let q = query.into_inner();
    let page = db::run(&state.pool, move |conn| search(conn, &q)).await?;
    Ok(HttpResponse::Ok().json(page))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(search_handler),
    components(schemas(SearchType)),
    tags((name = "search", description = "Full-text search, French first"))
)]
pub struct ApiDoc;
