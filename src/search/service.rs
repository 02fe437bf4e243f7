//! Full-text search: PostgreSQL `tsvector` columns generated with the `palabre_fr` configuration
//! (French stemming after `unaccent`), GIN indexes, `websearch_to_tsquery`, ranked by relevance with
//! a recency boost, with highlighted snippets.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::accounts::types::UserPublic;
use crate::accounts::view::users_by_id;
use crate::error::{AppError, AppResult};
use crate::pagination::{Page, PageQuery};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SearchType {
    Threads,
    Posts,
    /// Challenges (title, summary and problem; drafts never).
    Challenges,
    /// Communs (name, summary and description).
    Communs,
    /// Resources communs published (title and description).
    Resources,
}

/// What a search hit is.
#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum HitType {
    Thread,
    Post,
    Challenge,
    /// `GET /communs/{id}` opens it.
    Commun,
    /// `GET /resources/{id}` opens it.
    Resource,
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
    #[serde(rename = "type")]
    #[schema(value_type = HitType)]
    pub kind: String,
    pub id: Uuid,
    /// The thread of the hit (a challenge's discussion thread).
    pub thread_id: Option<Uuid>,
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
    #[diesel(sql_type = Nullable<SqlUuid>)]
    thread_id: Option<Uuid>,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Text)]
    snippet: String,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    author_id: Option<Uuid>,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Double)]
    score: f64,
}

/// The query as `tsquery` text: web-search syntax, French stemming and accent folding; then every
/// lexeme of eight letters or more loses its last letter and matches as a prefix, because the French
/// stemmer does not bring verbs and nouns to one stem ("cartographier" gives `cartographi`,
/// "cartographie" `cartograph`). Shorter stems match exactly: as prefixes they matched other words
/// ("chemin" found "cheminée"), and a prefix of a common stem makes PostgreSQL gather every post
/// holding any word it starts (35 ms for "chemin rural" at scale 1, even with no "rural" anywhere).
/// The searched text is bound between the two halves.
const TSQUERY_BEFORE: &str =
    "(to_tsquery('simple', regexp_replace(websearch_to_tsquery('palabre_fr', ";
const TSQUERY_AFTER: &str = r#")::text, '''([^'']{7,})[^'']''', '''\1'':*', 'g')))::text"#;

/// How many of the most recent matching posts are ranked. Common words match a large share of
/// a million posts, and ranking every match read all of their `tsvector`s (1-2 s at scale 1); the
/// most recent matches come from an index walk that stops once it has them.
const POST_CANDIDATES: i64 = 500;

/// Thread titles: fewer candidates than posts, because a walk of the activity index that filters
/// titles reads about 40 threads per match of a common word (4 ms for 100 at scale 1).
const THREAD_CANDIDATES: i64 = 100;

/// Escapes text for HTML before it is headlined, so that only `<mark>` is markup. Snippets are made
/// for the page's rows only, after ranking and limiting (ts_headline is the expensive part).
const ESCAPE: &str = "replace(replace(replace(%s, '&', '&amp;'), '<', '&lt;'), '>', '&gt;')";
const HEADLINE_OPTIONS: &str =
    "'StartSel=<mark>, StopSel=</mark>, MaxWords=30, MinWords=12, MaxFragments=2'";
/// Relevance, boosted for recent activity (×2 today, ×1.5 a month ago, towards ×1).
/// Uses the start of the day, not `now()`, so that scores (and cursors) hold steady within a day.
const BOOST: &str =
    "(1 + 1 / (1 + greatest(extract(epoch FROM date_trunc('day', now()) - %s), 0) / 2592000))";

/// A `tsquery` as an SQL literal, so that the planner sees the words and estimates how many rows
/// match: behind a parameter or a CTE it cannot, and chose a wrong plan both ways. The text is
/// PostgreSQL's own output of a parsed query, dollar-quoted (independent of
/// `standard_conforming_strings`); a text containing the quote tag is refused (`None`).
fn literal(tsquery: &str) -> Option<String> {
    const TAG: &str = "$palabre_q$";
    (!tsquery.contains(TAG)).then(|| format!("{TAG}{tsquery}{TAG}::tsquery"))
}

/// The query with its phrase operators (`<->`, `<N>`) turned into AND, outside quoted lexemes.
/// PostgreSQL estimates a phrase as the AND of its words: for two common words it walked half a
/// million posts looking for a rare phrase (0.6 s at scale 1). Candidates are chosen with this
/// looser query, so the walk stops after the most recent posts holding all the words, and the
/// phrase is checked on them.
fn loosen(tsquery: &str) -> String {
    let mut out = String::with_capacity(tsquery.len());
    let mut quoted = false;
    let mut chars = tsquery.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' {
            quoted = !quoted;
        }
        if c == '<' && !quoted {
            // `<->` or `<N>`: skip to the closing `>`.
            for d in chars.by_ref() {
                if d == '>' {
                    break;
                }
            }
            out.push('&');
            continue;
        }
        out.push(c);
    }
    out
}

/// A category filter, as SQL text: the id is one palabre read from its own table, written as a
/// literal like the words so that the planner sees the statement it will run. Behind a parameter
/// (`$1 IS NULL OR …`) the generic plan estimated a few hundred matching threads, chose the GIN
/// bitmap and sorted every match: 40 ms for two common words at scale 1 once threads carried their
/// opening post's words, against 1 ms walking the activity index.
fn category_filter(category: Option<Uuid>, column: &str) -> String {
    match category {
        Some(id) => format!(" AND {column} = '{id}'::uuid"),
        None => String::new(),
    }
}

fn threads_sql(q: &str, loose: &str, category: Option<Uuid>) -> String {
    format!(
        "SELECT 'thread'::text AS kind, c.id, c.id AS thread_id, c.title, c.title AS text, \
                c.author_id, c.created_at, \
                (ts_rank(c.search, {q}) * {boost})::float8 AS score \
         FROM (SELECT t.id, t.title, t.author_id, t.created_at, t.last_activity_at, t.search \
               FROM threads t \
               WHERE t.search @@ {loose} AND t.hidden_at IS NULL{filter} \
               ORDER BY t.last_activity_at DESC, t.id DESC LIMIT {THREAD_CANDIDATES}) c \
         WHERE c.search @@ {q}",
        boost = BOOST.replace("%s", "c.last_activity_at"),
        filter = category_filter(category, "t.category_id"),
    )
}

fn posts_sql(q: &str, loose: &str, category: Option<Uuid>) -> String {
    format!(
        "SELECT 'post'::text AS kind, c.id, c.thread_id, t.title, c.body AS text, \
                c.author_id, c.created_at, \
                (ts_rank(c.search, {q}) * {boost})::float8 AS score \
         FROM (SELECT p.id, p.thread_id, p.body, p.author_id, p.created_at, p.search \
               FROM posts p \
               WHERE p.search @@ {loose} AND p.deleted_at IS NULL AND p.hidden_at IS NULL{filter} \
               ORDER BY p.id DESC LIMIT {POST_CANDIDATES}) c \
         JOIN threads t ON t.id = c.thread_id \
         WHERE c.search @@ {q} AND t.hidden_at IS NULL",
        boost = BOOST.replace("%s", "c.created_at"),
        filter = match category {
            // The category's threads as an array: PostgreSQL then reads their posts through the
            // (thread_id, number) index (70 ms for "foret" in the largest bench category) instead
            // of walking every recent post that holds the word (3.2 s with `IN (SELECT …)`).
            Some(id) => format!(
                " AND p.thread_id = ANY(ARRAY(SELECT id FROM threads WHERE category_id = '{id}'::uuid))"
            ),
            None => String::new(),
        },
    )
}

fn challenges_sql(q: &str, loose: &str) -> String {
    format!(
        "SELECT 'challenge'::text AS kind, c.id, c.thread_id, c.title, c.text, \
                c.proposer_id AS author_id, c.created_at, \
                (ts_rank(c.search, {q}) * {boost})::float8 AS score \
         FROM (SELECT ch.id, ch.thread_id, ch.title, ch.summary || ' ' || ch.problem AS text, \
                      ch.proposer_id, ch.created_at, ch.last_activity_at, ch.search \
               FROM challenges ch \
               WHERE ch.search @@ {loose} AND ch.thread_id IS NOT NULL AND ch.hidden_at IS NULL \
               ORDER BY ch.last_activity_at DESC, ch.id DESC LIMIT {THREAD_CANDIDATES}) c \
         WHERE c.search @@ {q}",
        boost = BOOST.replace("%s", "c.last_activity_at"),
    )
}

/// Communs; their hits name no author (a commun is its members').
fn communs_sql(q: &str, loose: &str) -> String {
    format!(
        "SELECT 'commun'::text AS kind, c.id, NULL::uuid AS thread_id, c.name AS title, \
                c.summary || ' ' || c.description AS text, NULL::uuid AS author_id, c.created_at, \
                (ts_rank(c.search, {q}) * {boost})::float8 AS score \
         FROM communs c WHERE c.search @@ {loose} AND c.search @@ {q}",
        boost = BOOST.replace("%s", "c.updated_at"),
    )
}

/// Resources; the member who published one is not its author (the commun is).
fn resources_sql(q: &str, loose: &str) -> String {
    format!(
        "SELECT 'resource'::text AS kind, r.id, NULL::uuid AS thread_id, r.title, \
                r.title || ' ' || r.description AS text, NULL::uuid AS author_id, r.created_at, \
                (ts_rank(r.search, {q}) * {boost})::float8 AS score \
         FROM resources r WHERE r.search @@ {loose} AND r.search @@ {q}",
        boost = BOOST.replace("%s", "r.created_at"),
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
                None => return Ok(Page::empty()),
            }
        }
    };
    // The words first, then a statement that carries them as a literal (see `literal`).
    let tsquery: String = diesel::select(
        crate::db::fixed::fixed::<Text>(TSQUERY_BEFORE)
            .bind::<Text, _>(text)
            .sql(TSQUERY_AFTER),
    )
    .get_result(conn)?;
    if tsquery.is_empty() {
        // Only words too common to be indexed ("le", "et"…).
        return Ok(Page::empty());
    }
    let (Some(lit), Some(loose)) = (literal(&tsquery), literal(&loosen(&tsquery))) else {
        return Err(AppError::validation("q", "These words cannot be searched."));
    };
    let inner = match q.kind {
        Some(SearchType::Threads) => threads_sql(&lit, &loose, category),
        Some(SearchType::Posts) => posts_sql(&lit, &loose, category),
        Some(SearchType::Challenges) => challenges_sql(&lit, &loose),
        Some(SearchType::Communs) => communs_sql(&lit, &loose),
        Some(SearchType::Resources) => resources_sql(&lit, &loose),
        _ => format!(
            "({}) UNION ALL ({})",
            threads_sql(&lit, &loose, category),
            posts_sql(&lit, &loose, category)
        ),
    };
    let sql = format!(
        "WITH top AS (SELECT * FROM ({inner}) hits \
                      WHERE $1::float8 IS NULL OR (score, id) < ($1, $2) \
                      ORDER BY score DESC, id DESC LIMIT $3) \
         SELECT top.kind, top.id, top.thread_id, top.title, \
                ts_headline('palabre_fr', {text}, {lit}, {HEADLINE_OPTIONS}) AS snippet, \
                top.author_id, top.created_at, top.score \
         FROM top ORDER BY top.score DESC, top.id DESC",
        text = ESCAPE.replace("%s", "top.text"),
    );
    let rows: Vec<Row> = diesel::sql_query(sql)
        .bind::<Nullable<Double>, _>(after.map(|a| a.0))
        .bind::<SqlUuid, _>(after.map(|a| a.1).unwrap_or_else(Uuid::nil))
        .bind::<BigInt, _>(limit + 1)
        .load(conn)?;
    let authors = users_by_id(conn, rows.iter().filter_map(|r| r.author_id))?;
    Ok(Page::from_rows(
        rows,
        limit,
        |r| (r.score, r.id),
        |r| SearchHit {
            author: r.author_id.and_then(|a| authors.get(&a).cloned()),
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

#[cfg(test)]
mod tests {
    use super::loosen;

    #[test]
    fn loosen_turns_phrases_into_and_outside_quotes() {
        assert_eq!(loosen("'bas' <-> 'nationa':*"), "'bas' & 'nationa':*");
        assert_eq!(loosen("'a' <2> 'b' & !'c'"), "'a' & 'b' & !'c'");
        assert_eq!(loosen("'x<->y' | 'z'"), "'x<->y' | 'z'");
        assert_eq!(loosen("'l''eau' <-> 'clair'"), "'l''eau' & 'clair'");
        assert_eq!(loosen("'foret'"), "'foret'");
    }
}
