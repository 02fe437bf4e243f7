//! `palabre check`: stored counters, post numbering and rendered HTML against the rows.

use diesel::prelude::*;
use diesel::sql_types::BigInt;

use crate::schema::posts;

/// Each check: a description and a query counting the rows that disagree.
const CHECKS: &[(&str, &str)] = &[
    (
        "threads.reply_count",
        "SELECT count(*) FROM threads t WHERE reply_count <> (SELECT count(*) - 1 FROM posts p WHERE p.thread_id = t.id)",
    ),
    (
        "threads.participant_count",
        "SELECT count(*) FROM threads t WHERE participant_count <> (SELECT count(DISTINCT author_id) FROM posts p WHERE p.thread_id = t.id)",
    ),
    (
        "threads.reaction_count",
        "SELECT count(*) FROM threads t WHERE reaction_count <> (SELECT count(*) FROM post_reactions r JOIN posts p ON p.id = r.post_id WHERE p.thread_id = t.id)",
    ),
    (
        "threads.last_activity_at",
        "SELECT count(*) FROM threads t WHERE last_activity_at <> (SELECT max(created_at) FROM posts p WHERE p.thread_id = t.id)",
    ),
    (
        "posts numbered 1..n per thread",
        "SELECT count(*) FROM (SELECT thread_id, max(number) AS m, count(*) AS c, min(number) AS lo FROM posts GROUP BY thread_id) s WHERE m <> c OR lo <> 1",
    ),
    (
        "posts.reaction_counts",
        "SELECT count(*) FROM posts p WHERE coalesce((SELECT sum(value::int) FROM jsonb_each_text(p.reaction_counts)), 0) <> (SELECT count(*) FROM post_reactions r WHERE r.post_id = p.id)",
    ),
    (
        "categories.thread_count and post_count",
        "SELECT count(*) FROM categories c WHERE thread_count <> (SELECT count(*) FROM threads t WHERE t.category_id = c.id) \
         OR post_count <> (SELECT count(*) FROM posts p JOIN threads t ON t.id = p.thread_id WHERE t.category_id = c.id)",
    ),
    (
        "users.thread_count and reply_count",
        "SELECT count(*) FROM users u WHERE thread_count <> (SELECT count(*) FROM posts p WHERE p.author_id = u.id AND p.number = 1) \
         OR reply_count <> (SELECT count(*) FROM posts p WHERE p.author_id = u.id AND p.number > 1)",
    ),
    (
        "challenges.supports_count",
        "SELECT count(*) FROM challenges c WHERE supports_count <> (SELECT count(*) FROM challenge_supports s WHERE s.challenge_id = c.id)",
    ),
    (
        "challenges.pledges_count",
        "SELECT count(*) FROM challenges c WHERE pledges_count <> (SELECT count(*) FROM pledges p WHERE p.challenge_id = c.id AND p.status IN ('offered', 'accepted', 'delivered'))",
    ),
    (
        "challenges.territory_path",
        "SELECT count(*) FROM challenges c JOIN territories t ON t.id = c.territory_id WHERE c.territory_path <> t.path",
    ),
    (
        "submitted challenges have their thread",
        "SELECT count(*) FROM challenges WHERE thread_id IS NULL \
         AND status IN ('submitted', 'under_review', 'open', 'in_progress', 'solved', 'rejected')",
    ),
    (
        "users.challenge_count",
        "SELECT count(*) FROM users u WHERE challenge_count <> (SELECT count(*) FROM challenges c WHERE c.proposer_id = u.id AND c.thread_id IS NOT NULL)",
    ),
    (
        "search vectors",
        "SELECT count(*) FROM posts WHERE search <> to_tsvector('palabre_fr', body)",
    ),
    (
        "threads.search (title and visible opening post, kept by triggers)",
        "SELECT count(*) FROM threads t JOIN posts p ON p.thread_id = t.id AND p.number = 1 \
         WHERE t.search <> setweight(to_tsvector('palabre_fr', t.title), 'A') \
                           || setweight(to_tsvector('palabre_fr', \
                                  CASE WHEN p.deleted_at IS NULL THEN p.body ELSE '' END), 'B')",
    ),
];

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Returns one line per disagreement found (empty when everything agrees).
pub fn run(conn: &mut PgConnection) -> anyhow::Result<Vec<String>> {
    let mut problems = Vec::new();
    for (what, sql) in CHECKS {
        let c: Count = diesel::sql_query(format!("SELECT ({sql}) AS n")).get_result(conn)?;
        if c.n > 0 {
            problems.push(format!("{what}: {} rows disagree", c.n));
        }
    }
    // Rendered HTML: a deterministic sample of up to 2,000 posts, re-rendered.
    let sample: Vec<(String, String)> = posts::table
        .order(posts::id)
        .filter(posts::deleted_at.is_null())
        .select((posts::body, posts::body_html))
        .limit(2000)
        .load(conn)?;
    let wrong = sample
        .iter()
        .filter(|(body, html)| crate::markdown::render(body) != *html)
        .count();
    if wrong > 0 {
        problems.push(format!(
            "posts.body_html: {wrong} of {} sampled posts differ from their Markdown",
            sample.len()
        ));
    }
    Ok(problems)
}
