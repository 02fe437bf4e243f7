//! The challenges of the bench data set (part of `palabre seed --profile bench`, loaded when the
//! database has none): at scale 1, 10,000 challenges across the official geography (communes
//! mostly, départements and régions too), most with a location (points, some small polygons) in
//! metropolitan France, 1 to 3 themes, every status, Zipf-like supports, their discussion threads,
//! histories, 100 organisations with interests and members, and pledges. Set-wise SQL, then every
//! counter computed from the rows; deterministic for a seed.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Double;

use crate::error::AppResult;

/// How many challenges and organisations at a scale.
pub fn size(scale: f64) -> (i64, i64) {
    (
        ((10_000.0 * scale).round() as i64).max(20),
        ((100.0 * scale).round() as i64).max(5),
    )
}

/// Loads the challenges (in one transaction); returns a summary.
pub fn seed(
    conn: &mut PgConnection,
    scale: f64,
    seed: u64,
    challenges_category: &str,
) -> AppResult<String> {
    let started = std::time::Instant::now();
    let (n, orgs) = size(scale);
    conn.transaction(|conn| {
        conn.batch_execute(
            "SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL synchronous_commit = off; \
             CREATE OR REPLACE FUNCTION pg_temp.bench_id(kind integer, i bigint, at timestamptz) RETURNS uuid \
               LANGUAGE sql IMMUTABLE AS $$ \
                 SELECT (lpad(to_hex((extract(epoch FROM at) * 1000)::bigint), 12, '0') || '7' \
                         || substr(md5(kind || ':' || i), 1, 3) || '8' || substr(md5(kind || ':' || i), 4, 15))::uuid $$; \
             CREATE TEMP TABLE bench_members ON COMMIT DROP AS \
               SELECT row_number() OVER (ORDER BY id) AS rn, id FROM users WHERE erased_at IS NULL; \
             CREATE TEMP TABLE bench_places ON COMMIT DROP AS \
               SELECT level, row_number() OVER (PARTITION BY level ORDER BY id) AS rn, id, path, name \
               FROM territories WHERE level <> 'country'; \
             CREATE INDEX ON bench_places (level, rn); \
             CREATE TEMP TABLE bench_counts ON COMMIT DROP AS \
               SELECT level, count(*) AS n FROM bench_places GROUP BY level;",
        )?;
        let seed_value = (((seed + 7) % 2_000_001) as f64 / 1_000_000.0) - 1.0;
        diesel::sql_query("SELECT setseed($1)")
            .bind::<Double, _>(seed_value)
            .execute(conn)?;
        let anchor = "timestamptz '2026-11-01 00:00:00+00'";
        let category = challenges_category.replace('\'', "''");
        let steps: Vec<(String, &str)> = vec![
            (
                // The plan: when, where, what, who, and where on the map.
                format!(
                    "CREATE TEMP TABLE bench_plan ON COMMIT DROP AS \
                     SELECT i, at, level, \
                            (SELECT id FROM bench_members WHERE rn = 1 + (i * 7919) % (SELECT count(*) FROM bench_members)) AS proposer, \
                            CASE WHEN h < 2 THEN 'draft' WHEN h < 17 THEN 'submitted' WHEN h < 27 THEN 'under_review' \
                                 WHEN h < 62 THEN 'open' WHEN h < 77 THEN 'in_progress' WHEN h < 87 THEN 'solved' \
                                 WHEN h < 92 THEN 'rejected' WHEN h < 96 THEN 'withdrawn' ELSE 'closed' END AS status, \
                            ARRAY[th[1 + i % 12]] \
                              || CASE WHEN i % 3 <> 0 THEN ARRAY[th[1 + (i + 5) % 12]] ELSE '{{}}'::text[] END \
                              || CASE WHEN i % 7 = 0 THEN ARRAY[th[1 + (i + 9) % 12]] ELSE '{{}}'::text[] END AS themes, \
                            CASE WHEN m < 70 THEN 'point' WHEN m < 80 THEN 'polygon' ELSE NULL END AS shape, \
                            -4.8 + random() * 13.0 AS lon, 42.4 + random() * 8.6 AS lat \
                     FROM (SELECT i, {anchor} - interval '700 days' + (i::float8 / $1) * interval '700 days' AS at, \
                                  abs(hashtext('s' || i)) % 100 AS h, abs(hashtext('m' || i)) % 100 AS m, \
                                  CASE WHEN i % 25 = 0 THEN 'region' WHEN i % 5 = 0 THEN 'departement' ELSE 'commune' END AS level \
                           FROM generate_series(1, $1) i) p, \
                          (SELECT ARRAY(SELECT slug FROM themes ORDER BY position, slug) AS th) t"
                ),
                "challenge plan",
            ),
            (
                "INSERT INTO challenges (id, title, summary, problem, problem_html, status, themes, \
                        territory_id, territory_path, location, proposer_id, last_activity_at, \
                        status_changed_at, created_at, updated_at) \
                     SELECT pg_temp.bench_id(20, p.i, p.at), \
                            'Défi ' || p.i || ' : ' || initcap(p.themes[1]) || ' à ' || t.name, \
                            'Un défi de banc d''essai sur ' || p.themes[1] || ' pour ' || t.name || '.', \
                            'Le problème du défi ' || p.i || ' : cartographier, mesurer et partager.', \
                            '<p>Le problème du défi ' || p.i || ' : cartographier, mesurer et partager.</p>\n', \
                            p.status, p.themes, t.id, t.path, \
                            CASE p.shape \
                              WHEN 'point' THEN jsonb_build_object('type', 'Point', 'coordinates', jsonb_build_array(round(p.lon::numeric, 5), round(p.lat::numeric, 5))) \
                              WHEN 'polygon' THEN jsonb_build_object('type', 'Polygon', 'coordinates', jsonb_build_array(jsonb_build_array( \
                                  jsonb_build_array(round(p.lon::numeric, 5), round(p.lat::numeric, 5)), \
                                  jsonb_build_array(round(p.lon::numeric + 0.05, 5), round(p.lat::numeric, 5)), \
                                  jsonb_build_array(round(p.lon::numeric + 0.05, 5), round(p.lat::numeric + 0.05, 5)), \
                                  jsonb_build_array(round(p.lon::numeric, 5), round(p.lat::numeric + 0.05, 5)), \
                                  jsonb_build_array(round(p.lon::numeric, 5), round(p.lat::numeric, 5))))) \
                            END, \
                            p.proposer, p.at, p.at, p.at, p.at \
                     FROM bench_plan p \
                     JOIN bench_counts c ON c.level = p.level \
                     JOIN bench_places t ON t.level = p.level AND t.rn = 1 + (p.i * 104729) % c.n"
                    .into(),
                "challenges",
            ),
            (
                "UPDATE challenges c SET bbox = CASE p.shape \
                   WHEN 'point' THEN box(point(round(p.lon::numeric, 5), round(p.lat::numeric, 5)), point(round(p.lon::numeric, 5), round(p.lat::numeric, 5))) \
                   ELSE box(point(round(p.lon::numeric, 5), round(p.lat::numeric, 5)), point(round(p.lon::numeric + 0.05, 5), round(p.lat::numeric + 0.05, 5))) END \
                 FROM bench_plan p WHERE c.id = pg_temp.bench_id(20, p.i, p.at) AND p.shape IS NOT NULL"
                    .into(),
                "bounding boxes",
            ),
            (
                "INSERT INTO challenge_transitions (id, challenge_id, actor_id, from_status, to_status, note, created_at) \
                 SELECT pg_temp.bench_id(21, p.i, p.at), pg_temp.bench_id(20, p.i, p.at), p.proposer, NULL, \
                        CASE WHEN p.status = 'draft' THEN 'draft' ELSE 'submitted' END, NULL, p.at \
                 FROM bench_plan p \
                 UNION ALL \
                 SELECT pg_temp.bench_id(22, p.i, p.at), pg_temp.bench_id(20, p.i, p.at), NULL, 'submitted', p.status, \
                        CASE WHEN p.status IN ('rejected', 'closed') THEN 'Décision du banc d''essai.' END, \
                        p.at + interval '3 days' \
                 FROM bench_plan p WHERE p.status NOT IN ('draft', 'submitted')"
                    .into(),
                "histories",
            ),
            (
                // Zipf-like supports: a few challenges gather hundreds, most a handful.
                "INSERT INTO challenge_supports (challenge_id, user_id, created_at) \
                 SELECT c.id, m.id, c.created_at + s * interval '1 hour' \
                 FROM challenges c \
                 JOIN bench_plan p ON c.id = pg_temp.bench_id(20, p.i, p.at) \
                 CROSS JOIN LATERAL generate_series(1, (400 / (1 + abs(hashtext('z' || p.i)) % 120))::int) s \
                 JOIN bench_members m ON m.rn = 1 + abs(hashtext(p.i || ':' || s)) % (SELECT count(*) FROM bench_members) \
                 WHERE c.status IN ('submitted', 'under_review', 'open', 'in_progress', 'solved', 'closed') \
                 ON CONFLICT DO NOTHING"
                    .into(),
                "supports",
            ),
            (
                "INSERT INTO challenge_subscriptions (user_id, challenge_id, level) \
                 SELECT user_id, challenge_id, 'watching' FROM challenge_supports \
                 UNION SELECT proposer_id, id, 'watching' FROM challenges \
                 ON CONFLICT DO NOTHING"
                    .into(),
                "follows",
            ),
            (
                format!(
                    "CREATE TEMP TABLE bench_orgs ON COMMIT DROP AS \
                     SELECT j, pg_temp.bench_id(23, j, {anchor} - interval '750 days') AS id, \
                            (ARRAY['public', 'private', 'association', 'research'])[1 + j % 4] AS kind \
                     FROM generate_series(1, $2) j"
                ),
                "organisation plan",
            ),
            (
                format!(
                    "INSERT INTO organisations (id, name, kind, description, member_count, themes, territories, \
                        territory_scope, created_at, updated_at) \
                     SELECT o.id, 'Organisation ' || o.j, o.kind, 'Organisation de banc d''essai', 0, \
                            ARRAY[th[1 + o.j % 12], th[1 + (o.j + 4) % 12]], ARRAY[t.id], t.path, \
                            {anchor} - interval '750 days', {anchor} - interval '750 days' \
                     FROM bench_orgs o \
                     JOIN bench_places t ON t.level = CASE WHEN o.j % 3 = 0 THEN 'region' ELSE 'departement' END \
                       AND t.rn = 1 + (o.j * 31) % (SELECT n FROM bench_counts WHERE level = t.level), \
                          (SELECT ARRAY(SELECT slug FROM themes ORDER BY position, slug) AS th) th"
                ),
                "organisations",
            ),
            (
                "INSERT INTO organisation_members (organisation_id, user_id, role) \
                 SELECT o.id, m.id, CASE WHEN k = 1 THEN 'admin' ELSE 'member' END \
                 FROM bench_orgs o CROSS JOIN generate_series(1, 3) k \
                 JOIN bench_members m ON m.rn = 1 + abs(hashtext('o' || o.j || ':' || k)) % (SELECT count(*) FROM bench_members) \
                 ON CONFLICT DO NOTHING"
                    .into(),
                "organisation members",
            ),
            (
                "INSERT INTO pledges (id, challenge_id, organisation_id, author_id, kind, message, message_html, status, created_at, updated_at) \
                 SELECT pg_temp.bench_id(24, p.i, p.at), pg_temp.bench_id(20, p.i, p.at), o.id, om.user_id, \
                        (ARRAY['funding', 'data', 'code', 'expertise', 'equipment', 'testing'])[1 + p.i % 6], \
                        'Un engagement de banc d''essai.', '<p>Un engagement de banc d''essai.</p>\n', \
                        CASE WHEN p.status = 'open' THEN 'offered' ELSE 'accepted' END, \
                        p.at + interval '5 days', p.at + interval '5 days' \
                 FROM bench_plan p \
                 JOIN bench_orgs o ON o.j = 1 + (p.i * 13) % (SELECT count(*) FROM bench_orgs) \
                 JOIN LATERAL (SELECT user_id FROM organisation_members WHERE organisation_id = o.id ORDER BY user_id LIMIT 1) om ON true \
                 WHERE p.status IN ('open', 'in_progress') AND p.i % 5 = 0"
                    .into(),
                "pledges",
            ),
            (
                "INSERT INTO pledge_events (id, pledge_id, actor_id, from_status, to_status, created_at) \
                 SELECT uuid_generate_v7(), id, author_id, NULL, 'offered', created_at FROM pledges"
                    .into(),
                "pledge histories",
            ),
            (
                format!(
                    "CREATE TEMP TABLE bench_challenge_threads ON COMMIT DROP AS \
                     SELECT c.id AS challenge_id, pg_temp.bench_id(25, p.i, p.at) AS thread_id, \
                            pg_temp.bench_id(26, p.i, p.at) AS post_id, c.title, c.summary, c.proposer_id, c.created_at, \
                            (SELECT id FROM categories WHERE slug = '{category}') AS category_id \
                     FROM challenges c JOIN bench_plan p ON c.id = pg_temp.bench_id(20, p.i, p.at) \
                     WHERE c.status <> 'draft'"
                ),
                "thread plan",
            ),
            (
                "INSERT INTO threads (id, category_id, author_id, title, kind, last_activity_at, last_poster_id, \
                    created_at, updated_at, subject_type, subject_id) \
                 SELECT thread_id, category_id, proposer_id, title, 'discussion', created_at, proposer_id, \
                        created_at, created_at, 'challenge', challenge_id FROM bench_challenge_threads"
                    .into(),
                "challenge threads",
            ),
            (
                "INSERT INTO posts (id, thread_id, number, author_id, body, body_html, created_at) \
                 SELECT post_id, thread_id, 1, proposer_id, summary, '<p>' || summary || '</p>\n', created_at \
                 FROM bench_challenge_threads"
                    .into(),
                "challenge opening posts",
            ),
            (
                "INSERT INTO thread_subscriptions (user_id, thread_id, level) \
                 SELECT proposer_id, thread_id, 'watching' FROM bench_challenge_threads ON CONFLICT DO NOTHING"
                    .into(),
                "thread follows",
            ),
            (
                "UPDATE challenges c SET thread_id = t.thread_id FROM bench_challenge_threads t WHERE t.challenge_id = c.id"
                    .into(),
                "thread links",
            ),
            (
                "UPDATE challenges c SET \
                   supports_count = (SELECT count(*) FROM challenge_supports s WHERE s.challenge_id = c.id), \
                   pledges_count = (SELECT count(*) FROM pledges p WHERE p.challenge_id = c.id \
                                    AND p.status IN ('offered', 'accepted', 'delivered')), \
                   last_activity_at = greatest(c.created_at, \
                       (SELECT max(created_at) FROM challenge_supports s WHERE s.challenge_id = c.id), \
                       (SELECT max(created_at) FROM challenge_transitions h WHERE h.challenge_id = c.id), \
                       (SELECT max(created_at) FROM pledges p WHERE p.challenge_id = c.id)), \
                   status_changed_at = (SELECT max(created_at) FROM challenge_transitions h WHERE h.challenge_id = c.id), \
                   organisation_ids = ARRAY(SELECT DISTINCT p.organisation_id FROM pledges p WHERE p.challenge_id = c.id \
                                            AND p.status IN ('offered', 'accepted', 'delivered') ORDER BY 1)"
                    .into(),
                "challenge counters",
            ),
            (
                "UPDATE organisations o SET member_count = (SELECT count(*) FROM organisation_members m WHERE m.organisation_id = o.id) \
                 WHERE o.id IN (SELECT id FROM bench_orgs)"
                    .into(),
                "organisation counters",
            ),
            (
                "UPDATE users u SET \
                   challenge_count = (SELECT count(*) FROM challenges c WHERE c.proposer_id = u.id AND c.thread_id IS NOT NULL), \
                   thread_count = (SELECT count(*) FROM posts p WHERE p.author_id = u.id AND p.number = 1) \
                 WHERE u.id IN (SELECT proposer_id FROM bench_challenge_threads)"
                    .into(),
                "member counters",
            ),
            (
                format!(
                    "UPDATE categories c SET \
                       thread_count = (SELECT count(*) FROM threads t WHERE t.category_id = c.id), \
                       post_count = (SELECT count(*) FROM posts p JOIN threads t ON t.id = p.thread_id WHERE t.category_id = c.id) \
                     WHERE c.slug = '{category}'"
                ),
                "category counters",
            ),
        ];
        let mut timings = Vec::new();
        for (sql, name) in steps {
            let t = std::time::Instant::now();
            // Plain statements (some create tables, which take no parameters): the two sizes are
            // whole numbers written in.
            conn.batch_execute(&sql.replace("$1", &n.to_string()).replace("$2", &orgs.to_string()))?;
            timings.push(format!("{name} {:.1}s", t.elapsed().as_secs_f64()));
        }
        Ok(format!(
            "bench challenges (scale {scale}, seed {seed}): {n} challenges, {orgs} organisations in {:.1}s ({}).",
            started.elapsed().as_secs_f64(),
            timings.join(", ")
        ))
    })
}
