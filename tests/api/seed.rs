//! Seed profiles: the bench data set is consistent and deterministic; `check` finds what disagrees.

use diesel::prelude::*;
use palabre::seed::{self, Profile};

use crate::support::{TempDir, TestDb};

fn seeded(profile: Profile, scale: f64, seed_value: u64) -> (TestDb, palabre::db::Pool) {
    let db = TestDb::new();
    let dir = TempDir::new("palabre-seed");
    let settings = palabre::config::Settings::for_tests(db.url.clone(), &dir.0);
    let pool = palabre::db::build_pool(
        &db.url,
        2,
        0,
        std::time::Duration::from_secs(5),
        palabre::db::DbPooler::None,
    )
    .unwrap();
    let summary = seed::run(&pool, &settings, profile, scale, seed_value).unwrap();
    assert!(!summary.is_empty());
    (db, pool)
}

fn digest(conn: &mut PgConnection) -> String {
    diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>(
        "(SELECT md5(string_agg(t.id::text || t.title || p.number || p.body || p.author_id::text, ',' ORDER BY p.id)) \
          FROM posts p JOIN threads t ON t.id = p.thread_id)",
    ))
    .get_result(conn)
    .unwrap()
}

fn count(conn: &mut PgConnection, sql: &str) -> i64 {
    diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(&format!(
        "({sql})"
    )))
    .get_result(conn)
    .unwrap()
}

#[test]
fn the_bench_data_set_is_consistent_and_deterministic() {
    let (db_a, pool_a) = seeded(Profile::Bench, 0.002, 7);
    let mut a = db_a.connect();
    assert_eq!(count(&mut a, "SELECT count(*) FROM users"), 40);
    // The forum's threads; challenges bring theirs (one each once submitted).
    assert_eq!(
        count(
            &mut a,
            "SELECT count(*) FROM threads WHERE subject_type IS NULL"
        ),
        200
    );
    assert_eq!(count(&mut a, "SELECT count(*) FROM challenges"), 20);
    assert_eq!(
        count(
            &mut a,
            "SELECT count(*) FROM threads WHERE subject_type = 'challenge'"
        ),
        count(
            &mut a,
            "SELECT count(*) FROM challenges WHERE status <> 'draft'"
        )
    );
    assert!(
        count(
            &mut a,
            "SELECT count(*) FROM challenges WHERE bbox IS NOT NULL"
        ) > 10
    );
    assert!(count(&mut a, "SELECT count(*) FROM challenge_supports") > 20);
    assert!(count(&mut a, "SELECT count(*) FROM pledges") > 0);
    assert!(
        count(&mut a, "SELECT count(DISTINCT status) FROM challenges") >= 6,
        "statuses all along the lifecycle"
    );
    assert_eq!(
        count(
            &mut a,
            "SELECT count(*) FROM posts p JOIN threads t ON t.id = p.thread_id \
             WHERE t.subject_type IS NULL"
        ),
        2000
    );
    assert!(count(&mut a, "SELECT count(*) FROM post_reactions") > 500);
    assert!(count(&mut a, "SELECT count(*) FROM notifications") > 0);
    assert_eq!(
        count(
            &mut a,
            "SELECT count(DISTINCT level) FROM thread_subscriptions"
        ),
        4,
        "every watch level"
    );
    assert!(
        count(
            &mut a,
            "SELECT count(*) FROM posts WHERE body LIKE '%@membre%'"
        ) > 0,
        "mentions"
    );
    // Zipf-like: the hottest thread has far more replies than the median one.
    let hottest = count(&mut a, "SELECT max(reply_count)::bigint FROM threads");
    let median = count(
        &mut a,
        "SELECT (percentile_disc(0.5) WITHIN GROUP (ORDER BY reply_count))::bigint FROM threads",
    );
    assert!(
        hottest > 10 * median.max(1),
        "hot threads: max {hottest}, median {median}"
    );
    let mut conn = pool_a.get().unwrap();
    assert_eq!(seed::check::run(&mut conn).unwrap(), Vec::<String>::new());

    let (db_b, _) = seeded(Profile::Bench, 0.002, 7);
    let (db_c, _) = seeded(Profile::Bench, 0.002, 8);
    assert_eq!(
        digest(&mut a),
        digest(&mut db_b.connect()),
        "same seed, same data"
    );
    assert_ne!(
        digest(&mut a),
        digest(&mut db_c.connect()),
        "another seed, other data"
    );
}

#[test]
fn check_reports_what_disagrees() {
    let (db, pool) = seeded(Profile::Demo, 1.0, 1);
    let mut conn = pool.get().unwrap();
    assert!(
        seed::check::run(&mut conn).unwrap().is_empty(),
        "the demo content is consistent"
    );
    let mut raw = db.connect();
    diesel::sql_query("UPDATE threads SET reply_count = reply_count + 1 WHERE id = (SELECT id FROM threads ORDER BY id LIMIT 1)")
        .execute(&mut raw)
        .unwrap();
    diesel::sql_query("UPDATE posts SET body_html = '<p>tampered</p>' WHERE id = (SELECT id FROM posts ORDER BY id LIMIT 1)")
        .execute(&mut raw)
        .unwrap();
    let problems = seed::check::run(&mut conn).unwrap();
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("threads.reply_count")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.starts_with("posts.body_html")),
        "{problems:?}"
    );
}
