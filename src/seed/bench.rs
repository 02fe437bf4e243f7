//! `palabre seed --profile bench [--scale N] [--seed S]`: a national-community data set for load
//! benchmarks. At scale 1: 20,000 members, 100 categories, 100,000 threads, 1,000,000 posts with
//! Zipf-like activity (a few hot threads, a long tail), reactions, mentions, subscriptions at every
//! watch level and notifications.
//!
//! Bodies come from a pool of French texts generated (and rendered to HTML by the real Markdown
//! pipeline) in Rust; rows are generated set-wise in PostgreSQL (`INSERT … SELECT generate_series`),
//! then every counter is computed from the rows. Deterministic for a given seed: ids are derived
//! from the row number, random choices come from a seeded generator (`setseed`, no parallel query).

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{Double, Text};
use rand::{RngExt, SeedableRng, rngs::StdRng};

use crate::error::AppResult;

/// The bench members' password (`membre1` … `membreN`).
pub const PASSWORD: &str = "Banc d'essai palabre, 2026 !";

/// How big a data set is at a given scale.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    pub users: i64,
    pub categories: i64,
    pub threads: i64,
    pub posts: i64,
}

impl Size {
    pub fn at(scale: f64) -> Self {
        let n = |base: f64, min: i64| ((base * scale).round() as i64).max(min);
        Size {
            users: n(20_000.0, 20),
            categories: n(100.0, 5).min(100),
            threads: n(100_000.0, 50),
            posts: n(1_000_000.0, 200),
        }
    }
}

const WORDS: &[&str] = &[
    "forêt",
    "haie",
    "bocage",
    "adresse",
    "commune",
    "hameau",
    "lidar",
    "donnée",
    "ouverte",
    "carte",
    "cartographie",
    "territoire",
    "parcelle",
    "cadastre",
    "route",
    "chemin",
    "rivière",
    "littoral",
    "imagerie",
    "photo",
    "immersive",
    "relevé",
    "inventaire",
    "peuplement",
    "chêne",
    "hêtre",
    "châtaignier",
    "incendie",
    "repousse",
    "sentinelle",
    "satellite",
    "modèle",
    "hauteur",
    "altitude",
    "qualité",
    "base",
    "nationale",
    "collectivité",
    "mairie",
    "habitant",
    "contributeur",
    "lauréat",
    "défi",
    "commun",
    "géocommun",
    "partenaire",
    "organisation",
    "projet",
    "atelier",
    "réunion",
    "outil",
    "logiciel",
    "format",
    "export",
    "import",
    "fichier",
    "serveur",
    "interface",
    "service",
    "public",
    "politique",
    "friche",
    "artificialisation",
    "biodiversité",
    "zone",
    "humide",
    "prairie",
    "verger",
    "sentier",
    "vélo",
    "école",
    "santé",
    "secours",
    "pompier",
    "livraison",
    "numérotation",
    "voie",
    "rue",
    "place",
    "quartier",
    "bourg",
    "village",
    "ville",
    "région",
    "département",
    "Bretagne",
    "Finistère",
    "Morbihan",
    "Gironde",
    "Vosges",
    "Alpes",
    "Jura",
    "Landes",
    "Corse",
    "mesurer",
    "cartographier",
    "publier",
    "partager",
    "vérifier",
    "corriger",
    "compléter",
    "ajouter",
    "télécharger",
    "documenter",
    "animer",
    "proposer",
    "améliorer",
    "suivre",
    "comparer",
    "croiser",
    "nouveau",
    "ancien",
    "précis",
    "complet",
    "libre",
    "utile",
    "simple",
    "rapide",
    "fiable",
    "local",
];

/// A deterministic pool of Markdown bodies of realistic lengths, with their rendered HTML.
fn body_pool(seed: u64, size: usize, users: i64) -> Vec<(String, String)> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut pool = Vec::with_capacity(size);
    for i in 0..size {
        // Lengths: mostly short replies, some long posts (2 to ~180 words).
        let sentences = match rng.random_range(0..100) {
            0..=39 => rng.random_range(1..3),
            40..=79 => rng.random_range(3..7),
            80..=94 => rng.random_range(7..14),
            _ => rng.random_range(14..24),
        };
        let mut paragraphs: Vec<String> = Vec::new();
        let mut current: Vec<String> = Vec::new();
        for s in 0..sentences {
            let len = rng.random_range(5..14);
            let mut words: Vec<&str> = (0..len)
                .map(|_| WORDS[rng.random_range(0..WORDS.len())])
                .collect();
            if i % 20 == 0 && s == 0 {
                // About 5 % of bodies mention someone.
                let who = format!("@membre{}", rng.random_range(1..=users));
                let mut sentence = format!("Merci {who}, ");
                sentence.push_str(&words.join(" "));
                current.push(format!("{sentence}."));
                continue;
            }
            if let Some(first) = words.first_mut() {
                let capital: String = first
                    .chars()
                    .take(1)
                    .flat_map(char::to_uppercase)
                    .chain(first.chars().skip(1))
                    .collect();
                current.push(format!("{capital} {}.", words[1..].join(" ")));
            }
            if rng.random_range(0..4) == 0 {
                paragraphs.push(current.join(" "));
                current.clear();
            }
        }
        if !current.is_empty() {
            paragraphs.push(current.join(" "));
        }
        let body = paragraphs.join("\n\n");
        let html = crate::markdown::render(&body);
        pool.push((body, html));
    }
    pool
}

/// Loads the data set into an empty database, in one transaction (a failed load leaves nothing),
/// then analyses the tables. Returns a summary.
pub fn seed(
    conn: &mut PgConnection,
    scale: f64,
    seed: u64,
    password_hash: &str,
) -> AppResult<String> {
    let summary = conn.transaction(|conn| load(conn, scale, seed, password_hash))?;
    conn.batch_execute("ANALYZE")?;
    Ok(summary)
}

fn load(conn: &mut PgConnection, scale: f64, seed: u64, password_hash: &str) -> AppResult<String> {
    let size = Size::at(scale);
    let started = std::time::Instant::now();
    let pool = body_pool(seed, 4000, size.users);
    conn.batch_execute(
        "SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL synchronous_commit = off; \
         CREATE TEMP TABLE bench_bodies (i integer PRIMARY KEY, body text NOT NULL, body_html text NOT NULL) ON COMMIT DROP; \
         CREATE TEMP TABLE bench_threads (j bigint, id uuid, at timestamptz, author bigint, category bigint, \
           body integer, question boolean) ON COMMIT DROP; \
         CREATE TEMP TABLE bench_replies (k bigint, thread_id uuid, thread_j bigint, thread_at timestamptz, \
           at timestamptz, author bigint, body integer, to_opening boolean) ON COMMIT DROP; \
         CREATE FUNCTION pg_temp.bench_id(kind integer, i bigint, at timestamptz) RETURNS uuid \
           LANGUAGE sql IMMUTABLE AS $$ \
             SELECT (lpad(to_hex((extract(epoch FROM at) * 1000)::bigint), 12, '0') || '7' \
                     || substr(md5(kind || ':' || i), 1, 3) || '8' || substr(md5(kind || ':' || i), 4, 15))::uuid $$;",
    )?;
    for (chunk_no, chunk) in pool.chunks(500).enumerate() {
        let mut sql = String::from("INSERT INTO bench_bodies (i, body, body_html) VALUES ");
        for (k, (body, html)) in chunk.iter().enumerate() {
            let i = chunk_no * 500 + k;
            if k > 0 {
                sql.push(',');
            }
            sql.push_str(&format!("({i}, {}, {})", quote(body), quote(html)));
        }
        conn.batch_execute(&sql)?;
    }
    let seed_value = ((seed % 2_000_001) as f64 / 1_000_000.0) - 1.0;
    diesel::sql_query("SELECT setseed($1)")
        .bind::<Double, _>(seed_value)
        .execute(conn)?;
    let words_sql = format!(
        "ARRAY[{}]",
        WORDS.iter().map(|w| quote(w)).collect::<Vec<_>>().join(",")
    );
    // The anchor: the data set's "now"; everything happened in the two years before it.
    let anchor = "timestamptz '2026-11-01 00:00:00+00'";
    let steps: Vec<(String, &str)> = vec![
        (
            format!(
                "INSERT INTO users (id, username, email, display_name, password_hash, role, locale, \
                   email_verified_at, digest_frequency, created_at, updated_at) \
                 SELECT pg_temp.bench_id(1, i, {anchor} - interval '800 days' + i * interval '1 minute'), \
                        'membre' || i, 'membre' || i || '@bench.palabre.localhost', \
                        initcap(w[1 + (i * 7) % n]) || ' ' || initcap(w[1 + (i * 13) % n]), $1, \
                        CASE WHEN i = 1 THEN 'admin' WHEN i <= 20 THEN 'moderator' ELSE 'member' END, \
                        CASE WHEN i % 5 = 0 THEN 'en' ELSE 'fr' END, \
                        {anchor} - interval '800 days', \
                        (ARRAY['weekly', 'weekly', 'daily', 'never'])[1 + i % 4], \
                        {anchor} - interval '800 days' + i * interval '1 minute', {anchor} \
                 FROM generate_series(1, $2) i, (SELECT {words_sql} AS w) ws, LATERAL (SELECT cardinality(ws.w) AS n) c"
            ),
            "users",
        ),
        (
            format!(
                "INSERT INTO categories (id, slug, name, description, color, position, who_can_start) \
                 SELECT pg_temp.bench_id(2, i, {anchor} - interval '900 days'), 'categorie-' || i, \
                        initcap(w[1 + (i * 11) % n]) || ' ' || i, 'Catégorie de banc d''essai', '#2f7d4f', i, \
                        CASE WHEN i = 1 THEN 'staff' ELSE 'everyone' END \
                 FROM generate_series(1, $3) i, (SELECT {words_sql} AS w) ws, LATERAL (SELECT cardinality(ws.w) AS n) c"
            ),
            "categories",
        ),
        (
            // Threads spread evenly over two years; authors skewed towards the most active members.
            format!(
                "INSERT INTO bench_threads \
                 SELECT j, pg_temp.bench_id(3, j, at) AS id, at, \
                        1 + floor($2 * power(random(), 2))::bigint AS author, \
                        1 + floor($3 * random())::bigint AS category, \
                        floor(random() * 4000)::int AS body, random() < 0.1 AS question \
                 FROM (SELECT j, {anchor} - interval '730 days' + (j::float8 / $4) * interval '730 days' AS at \
                       FROM generate_series(1, $4) j) g"
            ),
            "thread plan",
        ),
        ("CREATE UNIQUE INDEX ON bench_threads (j)".into(), "thread plan index"),
        (
            format!(
                "INSERT INTO threads (id, category_id, author_id, title, kind, created_at, updated_at, last_activity_at) \
                 SELECT t.id, pg_temp.bench_id(2, t.category, {anchor} - interval '900 days'), \
                        pg_temp.bench_id(1, t.author, {anchor} - interval '800 days' + t.author * interval '1 minute'), \
                        initcap(w[1 + (t.j * 3) % n]) || ' ' || w[1 + (t.j * 17) % n] || ' ' || w[1 + (t.j * 29) % n] \
                          || ' ' || w[1 + (t.j * 31) % n] || ' ' || t.j, \
                        CASE WHEN t.question THEN 'question' ELSE 'discussion' END, t.at, t.at, t.at \
                 FROM bench_threads t, (SELECT {words_sql} AS w) ws, LATERAL (SELECT cardinality(ws.w) AS n) c"
            ),
            "threads",
        ),
        (
            format!(
                "INSERT INTO posts (id, thread_id, number, author_id, body, body_html, created_at) \
                 SELECT pg_temp.bench_id(4, t.j, t.at), t.id, 1, \
                        pg_temp.bench_id(1, t.author, {anchor} - interval '800 days' + t.author * interval '1 minute'), \
                        b.body, b.body_html, t.at \
                 FROM bench_threads t JOIN bench_bodies b ON b.i = t.body"
            ),
            "opening posts",
        ),
        (
            // Replies: thread chosen with a Zipf-like skew (a few hot threads, a long tail), after the
            // thread's creation; numbered by time.
            format!(
                "INSERT INTO bench_replies \
                 SELECT k, t.id AS thread_id, t.j AS thread_j, t.at AS thread_at, \
                        t.at + random() * ({anchor} - t.at) AS at, \
                        1 + floor($2 * power(random(), 1.5))::bigint AS author, \
                        floor(random() * 4000)::int AS body, random() < 0.3 AS to_opening \
                 FROM (SELECT k, 1 + floor($4 * power(random(), 3))::bigint AS tj FROM generate_series(1, $5 - $4) k) r \
                 JOIN bench_threads t ON t.j = r.tj"
            ),
            "reply plan",
        ),
        ("CREATE UNIQUE INDEX ON bench_replies (k)".into(), "reply plan index"),
        (
            format!(
                "INSERT INTO posts (id, thread_id, number, author_id, reply_to_id, body, body_html, created_at) \
                 SELECT pg_temp.bench_id(5, r.k, r.at), r.thread_id, \
                        1 + row_number() OVER (PARTITION BY r.thread_id ORDER BY r.at, r.k), \
                        pg_temp.bench_id(1, r.author, {anchor} - interval '800 days' + r.author * interval '1 minute'), \
                        CASE WHEN r.to_opening THEN pg_temp.bench_id(4, r.thread_j, r.thread_at) END, \
                        b.body, b.body_html, r.at \
                 FROM bench_replies r JOIN bench_bodies b ON b.i = r.body"
            ),
            "replies",
        ),
        (
            // Reactions: about one per post, on a skewed choice of posts.
            "INSERT INTO post_reactions (post_id, user_id, kind, created_at) \
             SELECT p.id, u.id, (ARRAY['like','thanks','insightful','agree','laugh','celebrate'])[1 + floor(random() * 6)::int], \
                    p.created_at \
             FROM (SELECT 1 + floor(($5 - $4) * power(random(), 2))::bigint AS k, \
                          1 + floor($2 * random())::bigint AS uj FROM generate_series(1, $5) g) x \
             JOIN bench_replies br ON br.k = x.k \
             JOIN posts p ON p.id = pg_temp.bench_id(5, br.k, br.at) \
             JOIN users u ON u.username = 'membre' || x.uj \
             ON CONFLICT DO NOTHING"
                .into(),
            "reactions",
        ),
        (
            // Everyone who posted in a thread watches it; a sample sets other levels.
            "INSERT INTO thread_subscriptions (user_id, thread_id, level) \
             SELECT DISTINCT author_id, thread_id, 'watching' FROM posts ON CONFLICT DO NOTHING"
                .into(),
            "watching",
        ),
        (
            "INSERT INTO thread_subscriptions (user_id, thread_id, level) \
             SELECT u.id, t.id, (ARRAY['tracking','normal','muted'])[1 + floor(random() * 3)::int] \
             FROM (SELECT 1 + floor($2 * random())::bigint AS uj, 1 + floor($4 * random())::bigint AS tj \
                   FROM generate_series(1, $4 / 2) g) x \
             JOIN users u ON u.username = 'membre' || x.uj \
             JOIN bench_threads bt ON bt.j = x.tj JOIN threads t ON t.id = bt.id \
             ON CONFLICT DO NOTHING"
                .into(),
            "other watch levels",
        ),
        (
            "INSERT INTO category_subscriptions (user_id, category_id, level) \
             SELECT u.id, c.id, (ARRAY['watching','tracking','normal','muted'])[1 + floor(random() * 4)::int] \
             FROM users u JOIN categories c ON c.position = 1 + (abs(hashtext(u.username)) % $3) \
             WHERE random() < 0.3 ON CONFLICT DO NOTHING"
                .into(),
            "category levels",
        ),
        (
            // Replies to an opening post notify the thread's author.
            "INSERT INTO notifications (id, user_id, kind, actor_id, target_type, target_id, target_title, post_id, created_at, read_at) \
             SELECT p.id, t.author_id, 'reply', p.author_id, 'thread', t.id, t.title, p.id, p.created_at, \
                    CASE WHEN p.created_at < timestamptz '2026-10-01 00:00:00+00' THEN p.created_at END \
             FROM posts p JOIN threads t ON t.id = p.thread_id \
             WHERE p.reply_to_id IS NOT NULL AND p.author_id <> t.author_id"
                .into(),
            "notifications",
        ),
        (
            "UPDATE posts p SET reaction_counts = r.counts FROM ( \
               SELECT post_id, jsonb_object_agg(kind, n) AS counts FROM ( \
                 SELECT post_id, kind, count(*) AS n FROM post_reactions GROUP BY post_id, kind) k GROUP BY post_id) r \
             WHERE p.id = r.post_id"
                .into(),
            "reaction counts",
        ),
        (
            "UPDATE threads t SET reply_count = s.replies, participant_count = s.participants, \
                    reaction_count = s.reactions, score = 2 * s.replies + s.reactions, \
                    last_activity_at = s.last_at, last_poster_id = s.last_poster, updated_at = s.last_at \
             FROM (SELECT p.thread_id, count(*) - 1 AS replies, count(DISTINCT p.author_id) AS participants, \
                          coalesce(max(rc.n), 0) AS reactions, max(p.created_at) AS last_at, \
                          (array_agg(p.author_id ORDER BY p.created_at DESC, p.number DESC))[1] AS last_poster \
                   FROM posts p LEFT JOIN (SELECT p2.thread_id, count(*) AS n FROM post_reactions r \
                                           JOIN posts p2 ON p2.id = r.post_id GROUP BY p2.thread_id) rc \
                        ON rc.thread_id = p.thread_id \
                   GROUP BY p.thread_id) s \
             WHERE t.id = s.thread_id"
                .into(),
            "thread counters",
        ),
        (
            "UPDATE categories c SET thread_count = s.threads, post_count = s.posts \
             FROM (SELECT t.category_id, count(DISTINCT t.id) AS threads, count(p.id) AS posts \
                   FROM threads t JOIN posts p ON p.thread_id = t.id GROUP BY t.category_id) s \
             WHERE c.id = s.category_id"
                .into(),
            "category counters",
        ),
        (
            "UPDATE users u SET thread_count = s.threads, reply_count = s.replies \
             FROM (SELECT author_id, count(*) FILTER (WHERE number = 1) AS threads, \
                          count(*) FILTER (WHERE number > 1) AS replies FROM posts GROUP BY author_id) s \
             WHERE u.id = s.author_id"
                .into(),
            "member counters",
        ),
        (
            "UPDATE threads t SET accepted_post_id = p.id FROM posts p \
             WHERE t.kind = 'question' AND p.thread_id = t.id AND p.number = 2"
                .into(),
            "accepted answers",
        ),
    ];
    let mut timings = Vec::new();
    for (sql, name) in steps {
        let t = std::time::Instant::now();
        if sql.starts_with("CREATE") {
            conn.batch_execute(&sql)?;
        } else {
            diesel::sql_query(sql)
                .bind::<Text, _>(password_hash)
                .bind::<diesel::sql_types::BigInt, _>(size.users)
                .bind::<diesel::sql_types::BigInt, _>(size.categories)
                .bind::<diesel::sql_types::BigInt, _>(size.threads)
                .bind::<diesel::sql_types::BigInt, _>(size.posts)
                .execute(conn)?;
        }
        timings.push(format!("{name} {:.1}s", t.elapsed().as_secs_f64()));
        tracing::info!(
            step = name,
            secs = t.elapsed().as_secs_f64(),
            "bench seed step"
        );
    }
    Ok(format!(
        "bench data set (scale {scale}, seed {seed}): {} members, {} categories, {} threads, {} posts in {:.1}s \
         ({}).\nEvery member's password: {PASSWORD}",
        size.users,
        size.categories,
        size.threads,
        size.posts,
        started.elapsed().as_secs_f64(),
        timings.join(", ")
    ))
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}
