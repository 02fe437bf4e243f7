//! What a digest says, chosen for a whole batch of recipients at once: a handful of set-based
//! queries per batch (per distinct period within it), never a query per recipient.
//!
//! Everything hidden, held or deleted stays out: held drafts are not posts until approved, and
//! every query here filters hidden threads, hidden or deleted posts, hidden challenges (which hide
//! their pledges) and challenges not yet public (drafts have no thread).

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

use super::token::{self, Recipient};
use super::types::*;
use crate::config::Settings;
use crate::mail::Locale;
use crate::markdown;

/// Per digest, at most this many items in each section.
pub const NEW_CHALLENGES_MAX: usize = 8;
pub const UPDATES_MAX: usize = 10;
pub const WATCHED_MAX: usize = 10;
pub const POPULAR_MAX: usize = 5;
pub const ANNOUNCEMENTS_MAX: usize = 5;
pub const COMMUNS_MAX: usize = 10;
/// Excerpts: plain text of the sanitised HTML, at most this many characters.
pub const EXCERPT_CHARS: usize = 280;
/// However long ago the previous digest was, a digest looks back at most this far.
pub const MAX_LOOKBACK_DAYS: i64 = 30;

/// One recipient of a batch, with what they follow and the period their digest covers.
#[derive(Debug, Clone)]
pub struct Target {
    pub recipient: Recipient,
    pub email: String,
    pub locale: Locale,
    pub frequency: Frequency,
    pub themes: Vec<String>,
    /// The followed territory's id and path (country → itself).
    pub territory: Option<(String, Vec<String>)>,
    /// Subscribers' categories (members follow categories through their watch levels).
    pub categories: Vec<Uuid>,
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

#[derive(QueryableByName)]
struct TargetRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    email: String,
    #[diesel(sql_type = Text)]
    locale: String,
    #[diesel(sql_type = Text)]
    frequency: String,
    #[diesel(sql_type = Array<Text>)]
    themes: Vec<String>,
    #[diesel(sql_type = Nullable<Text>)]
    territory_id: Option<String>,
    #[diesel(sql_type = Nullable<Array<Text>>)]
    territory_path: Option<Vec<String>>,
    #[diesel(sql_type = Array<SqlUuid>)]
    categories: Vec<Uuid>,
    #[diesel(sql_type = Timestamptz)]
    until: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    previous: Option<DateTime<Utc>>,
}

/// The recipients of `wanted` (each with the end of the period its digest covers) that can receive
/// a digest: members with a verified address, confirmed subscribers. The period starts at the
/// previous digest (sent or found empty) — or one frequency back for a first one — and never more
/// than [`MAX_LOOKBACK_DAYS`] back.
///
/// `sending`: only those who receive digests now (a member whose frequency is `never` or who is
/// suspended is left out — a member who unsubscribed after the dispatch gets nothing); a preview
/// shows anyone's.
pub fn targets(
    conn: &mut PgConnection,
    wanted: &[(Recipient, DateTime<Utc>)],
    sending: bool,
) -> QueryResult<Vec<Target>> {
    let mut out = Vec::with_capacity(wanted.len());
    for kind in ["member", "subscriber"] {
        let (ids, untils): (Vec<Uuid>, Vec<DateTime<Utc>>) = wanted
            .iter()
            .filter(|(r, _)| r.kind() == kind)
            .map(|(r, u)| (r.id(), *u))
            .unzip();
        if ids.is_empty() {
            continue;
        }
        let previous = "(SELECT max(d.slot_at) FROM digests d WHERE d.recipient_id = r.id \
                         AND d.status <> 'due' AND d.slot_at < r.until) AS previous";
        let sql = if kind == "member" {
            format!(
                "SELECT u.id, u.email, u.locale, u.digest_frequency AS frequency, \
                        coalesce(i.themes, '{{}}') AS themes, i.territory_id, t.path AS territory_path, \
                        '{{}}'::uuid[] AS categories, r.until, {previous} \
                 FROM unnest($1::uuid[], $2::timestamptz[]) AS r(id, until) \
                 JOIN users u ON u.id = r.id \
                 LEFT JOIN digest_interests i ON i.user_id = u.id \
                 LEFT JOIN territories t ON t.id = i.territory_id \
                 WHERE u.email IS NOT NULL AND u.email_verified_at IS NOT NULL AND u.erased_at IS NULL \
                 {}",
                if sending {
                    "AND u.digest_frequency IN ('daily', 'weekly') \
                     AND (u.suspended_until IS NULL OR u.suspended_until < now())"
                } else {
                    ""
                }
            )
        } else {
            format!(
                "SELECT s.id, s.email, s.locale, s.frequency, s.themes, s.territory_id, \
                        t.path AS territory_path, s.category_ids AS categories, r.until, {previous} \
                 FROM unnest($1::uuid[], $2::timestamptz[]) AS r(id, until) \
                 JOIN subscribers s ON s.id = r.id \
                 LEFT JOIN territories t ON t.id = s.territory_id \
                 WHERE s.confirmed_at IS NOT NULL"
            )
        };
        let rows: Vec<TargetRow> = diesel::sql_query(sql)
            .bind::<Array<SqlUuid>, _>(&ids)
            .bind::<Array<Timestamptz>, _>(&untils)
            .load(conn)?;
        for r in rows {
            let frequency = Frequency::parse(&r.frequency).unwrap_or(Frequency::Weekly);
            let oldest = r.until - chrono::Duration::days(MAX_LOOKBACK_DAYS);
            let since = r
                .previous
                .unwrap_or(r.until - frequency.length())
                .max(oldest);
            out.push(Target {
                recipient: Recipient::of(kind, r.id),
                email: r.email,
                locale: Locale::parse_or_default(&r.locale),
                frequency,
                themes: r.themes,
                territory: r.territory_id.zip(r.territory_path),
                categories: r.categories,
                since,
                until: r.until,
            });
        }
    }
    Ok(out)
}

// ---- rows --------------------------------------------------------------------------------------

#[derive(QueryableByName, Clone)]
struct NewChallengeRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Text)]
    summary: String,
    #[diesel(sql_type = Array<Text>)]
    themes: Vec<String>,
    #[diesel(sql_type = Text)]
    territory_id: String,
    #[diesel(sql_type = Array<Text>)]
    territory_path: Vec<String>,
    #[diesel(sql_type = Text)]
    territory_name: String,
}

#[derive(QueryableByName)]
struct UpdateRow {
    #[diesel(sql_type = SqlUuid)]
    user_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Text)]
    what: String,
    #[diesel(sql_type = Text)]
    a: String,
    #[diesel(sql_type = Text)]
    b: String,
    #[diesel(sql_type = Timestamptz)]
    at: DateTime<Utc>,
}

#[derive(QueryableByName)]
struct WatchedRow {
    #[diesel(sql_type = SqlUuid)]
    user_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    thread_id: Uuid,
    #[diesel(sql_type = BigInt)]
    new_replies: i64,
}

#[derive(QueryableByName)]
struct TopReplyRow {
    #[diesel(sql_type = SqlUuid)]
    thread_id: Uuid,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Nullable<diesel::sql_types::Integer>)]
    number: Option<i32>,
    #[diesel(sql_type = Nullable<Text>)]
    author: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    body_html: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    reactions: Option<i64>,
}

#[derive(QueryableByName, Clone)]
struct PopularRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = SqlUuid)]
    category_id: Uuid,
    #[diesel(sql_type = BigInt)]
    replies: i64,
    #[diesel(sql_type = BigInt)]
    participants: i64,
    #[diesel(sql_type = BigInt)]
    reactions: i64,
}

#[derive(QueryableByName, Clone)]
struct AnnouncementRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = SqlUuid)]
    category_id: Uuid,
    #[diesel(sql_type = Text)]
    body_html: String,
}

#[derive(QueryableByName)]
struct PairRow {
    #[diesel(sql_type = SqlUuid)]
    user_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
}

/// The reactions of a post, summed from its stored counters.
const REACTIONS: &str = "(SELECT coalesce(sum(e.value::bigint), 0)::bigint FROM jsonb_each_text(p.reaction_counts) AS e)";

// ---- what is shared by every recipient of a period -----------------------------------------------

struct Shared {
    new_challenges: Vec<NewChallengeRow>,
    popular: Vec<PopularRow>,
    announcements: Vec<AnnouncementRow>,
}

fn shared(
    conn: &mut PgConnection,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> QueryResult<Shared> {
    let new_challenges: Vec<NewChallengeRow> = diesel::sql_query(
        "SELECT c.id, c.title, c.summary, c.themes, c.territory_id, c.territory_path, \
                te.name AS territory_name \
         FROM (SELECT tr.challenge_id, min(tr.created_at) AS at FROM challenge_transitions tr \
               WHERE tr.to_status = 'submitted' AND tr.created_at > $1 AND tr.created_at <= $2 \
               GROUP BY tr.challenge_id) s \
         JOIN challenges c ON c.id = s.challenge_id \
         JOIN territories te ON te.id = c.territory_id \
         WHERE c.thread_id IS NOT NULL AND c.hidden_at IS NULL AND c.status <> 'draft' \
         ORDER BY s.at, c.id LIMIT 500",
    )
    .bind::<Timestamptz, _>(since)
    .bind::<Timestamptz, _>(until)
    .load(conn)?;
    let popular: Vec<PopularRow> = diesel::sql_query(format!(
        "SELECT t.id, t.title, t.category_id, \
                count(*) FILTER (WHERE p.number > 1) AS replies, \
                count(DISTINCT p.author_id) AS participants, \
                coalesce(sum({REACTIONS}), 0)::bigint AS reactions \
         FROM posts p JOIN threads t ON t.id = p.thread_id AND t.hidden_at IS NULL \
         WHERE p.created_at > $1 AND p.created_at <= $2 \
           AND p.deleted_at IS NULL AND p.hidden_at IS NULL \
         GROUP BY t.id, t.title, t.category_id \
         HAVING count(*) FILTER (WHERE p.number > 1) > 0 \
         ORDER BY count(*) FILTER (WHERE p.number > 1) + 3 * count(DISTINCT p.author_id) \
                  + coalesce(sum({REACTIONS}), 0) DESC, t.id \
         LIMIT 40"
    ))
    .bind::<Timestamptz, _>(since)
    .bind::<Timestamptz, _>(until)
    .load(conn)?;
    let announcements: Vec<AnnouncementRow> = diesel::sql_query(
        "SELECT t.id, t.title, t.category_id, p.body_html \
         FROM threads t \
         JOIN categories c ON c.id = t.category_id AND c.who_can_start = 'staff' \
         JOIN posts p ON p.thread_id = t.id AND p.number = 1 \
                     AND p.deleted_at IS NULL AND p.hidden_at IS NULL \
         WHERE t.created_at > $1 AND t.created_at <= $2 AND t.hidden_at IS NULL \
           AND t.subject_type IS NULL \
         ORDER BY t.created_at, t.id LIMIT 20",
    )
    .bind::<Timestamptz, _>(since)
    .bind::<Timestamptz, _>(until)
    .load(conn)?;
    Ok(Shared {
        new_challenges,
        popular,
        announcements,
    })
}

// ---- per recipient, for a whole group at once ------------------------------------------------------

/// Watched threads with new posts by others, for members (`subscribers = false`: thread and
/// category watch levels) or subscribers (their categories), for one period. It starts from the
/// period's posts (an index range on `posts.created_at`: a day is a few thousand posts whatever
/// the forum's size), aggregated per thread and author once, then joined to what each recipient
/// watches; a recipient's own posts are not news to them, and a thread opened in the period by
/// someone else counts even before its first reply.
fn watched(
    conn: &mut PgConnection,
    group: &[&Target],
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    subscribers: bool,
) -> QueryResult<Vec<WatchedRow>> {
    const PERIOD: &str = "agg AS (SELECT p.thread_id, p.author_id, \
                                count(*) FILTER (WHERE p.number > 1) AS n, \
                                bool_or(p.number = 1) AS opened \
                         FROM posts p \
                         WHERE p.created_at > $3 AND p.created_at <= $4 \
                           AND p.deleted_at IS NULL AND p.hidden_at IS NULL \
                         GROUP BY p.thread_id, p.author_id), \
         active AS (SELECT t.id AS thread_id, t.category_id FROM threads t \
                    WHERE t.id IN (SELECT thread_id FROM agg) AND t.hidden_at IS NULL)";
    const TAIL: &str = "SELECT w.user_id, w.thread_id, \
                coalesce(sum(a.n) FILTER (WHERE a.author_id <> w.user_id), 0)::bigint AS new_replies \
         FROM w JOIN agg a ON a.thread_id = w.thread_id \
         GROUP BY w.user_id, w.thread_id \
         HAVING coalesce(sum(a.n) FILTER (WHERE a.author_id <> w.user_id), 0) > 0 \
             OR bool_or(a.opened AND a.author_id <> w.user_id)";
    let (ids, cats): (Vec<Uuid>, Vec<Uuid>) = if subscribers {
        group
            .iter()
            .flat_map(|t| t.categories.iter().map(move |c| (t.recipient.id(), *c)))
            .unzip()
    } else {
        (group.iter().map(|t| t.recipient.id()).collect(), Vec::new())
    };
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let w = if subscribers {
        "w AS (SELECT r.id AS user_id, act.thread_id \
               FROM unnest($1::uuid[], $2::uuid[]) AS r(id, category_id) \
               JOIN active act ON act.category_id = r.category_id)"
    } else {
        // `$2` is unused here (an empty array), so that both shapes bind the same parameters.
        "w AS (SELECT ts.user_id, ts.thread_id FROM thread_subscriptions ts \
               JOIN active act ON act.thread_id = ts.thread_id \
               WHERE ts.user_id = ANY($1) AND ts.level IN ('watching', 'tracking') \
                 AND cardinality($2::uuid[]) = 0 \
               UNION \
               SELECT cs.user_id, act.thread_id FROM category_subscriptions cs \
               JOIN active act ON act.category_id = cs.category_id \
               WHERE cs.user_id = ANY($1) AND cs.level IN ('watching', 'tracking') \
                 AND NOT EXISTS (SELECT 1 FROM thread_subscriptions m WHERE m.user_id = cs.user_id \
                                 AND m.thread_id = act.thread_id AND m.level IN ('muted', 'normal')))"
    };
    diesel::sql_query(format!("WITH {PERIOD}, {w} {TAIL}"))
        .bind::<Array<SqlUuid>, _>(&ids)
        .bind::<Array<SqlUuid>, _>(&cats)
        .bind::<Timestamptz, _>(since)
        .bind::<Timestamptz, _>(until)
        .load(conn)
}

fn top_replies(
    conn: &mut PgConnection,
    threads: &[Uuid],
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> QueryResult<Vec<TopReplyRow>> {
    if threads.is_empty() {
        return Ok(Vec::new());
    }
    // The period's replies (the `created_at` index), the most reacted per thread.
    diesel::sql_query(format!(
        "SELECT t.id AS thread_id, t.title, x.number, x.author, x.body_html, x.reactions \
         FROM unnest($1::uuid[]) AS q(id) JOIN threads t ON t.id = q.id \
         LEFT JOIN (SELECT DISTINCT ON (p.thread_id) p.thread_id, p.number, \
                           coalesce(nullif(u.display_name, ''), u.username) AS author, p.body_html, \
                           {REACTIONS} AS reactions \
                    FROM posts p JOIN users u ON u.id = p.author_id \
                    WHERE p.created_at > $2 AND p.created_at <= $3 AND p.number > 1 \
                      AND p.thread_id = ANY($1) AND p.deleted_at IS NULL AND p.hidden_at IS NULL \
                    ORDER BY p.thread_id, 5 DESC, p.number) x ON x.thread_id = t.id"
    ))
    .bind::<Array<SqlUuid>, _>(threads)
    .bind::<Timestamptz, _>(since)
    .bind::<Timestamptz, _>(until)
    .load(conn)
}

fn updates(
    conn: &mut PgConnection,
    ids: &[Uuid],
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> QueryResult<Vec<UpdateRow>> {
    diesel::sql_query(
        "WITH r AS (SELECT unnest($1::uuid[]) AS id), \
         f AS (SELECT s.user_id, s.challenge_id FROM r \
               JOIN challenge_subscriptions s ON s.user_id = r.id AND s.level IN ('watching', 'tracking') \
               UNION \
               SELECT cs.user_id, cs.challenge_id FROM r \
               JOIN challenge_supports cs ON cs.user_id = r.id \
               WHERE NOT EXISTS (SELECT 1 FROM challenge_subscriptions m WHERE m.user_id = r.id \
                                 AND m.challenge_id = cs.challenge_id AND m.level = 'muted')) \
         SELECT f.user_id, c.id, c.title, 'status' AS what, tr.from_status AS a, tr.to_status AS b, \
                tr.created_at AS at \
         FROM f JOIN challenges c ON c.id = f.challenge_id AND c.thread_id IS NOT NULL AND c.hidden_at IS NULL \
         JOIN challenge_transitions tr ON tr.challenge_id = c.id AND tr.created_at > $2 AND tr.created_at <= $3 \
         WHERE tr.from_status IS NOT NULL AND tr.from_status <> 'draft' \
         UNION ALL \
         SELECT f.user_id, c.id, c.title, 'pledge', o.name, pl.kind, pl.created_at \
         FROM f JOIN challenges c ON c.id = f.challenge_id AND c.thread_id IS NOT NULL AND c.hidden_at IS NULL \
         JOIN pledges pl ON pl.challenge_id = c.id AND pl.created_at > $2 AND pl.created_at <= $3 \
                         AND pl.status IN ('offered', 'accepted', 'delivered') \
         JOIN organisations o ON o.id = pl.organisation_id \
         ORDER BY 1, 7",
    )
    .bind::<Array<SqlUuid>, _>(ids)
    .bind::<Timestamptz, _>(since)
    .bind::<Timestamptz, _>(until)
    .load(conn)
}

/// Members' muted threads and categories among `threads` and `categories`.
fn muted(
    conn: &mut PgConnection,
    ids: &[Uuid],
    threads: &[Uuid],
    categories: &[Uuid],
) -> QueryResult<HashSet<(Uuid, Uuid)>> {
    let rows: Vec<PairRow> = diesel::sql_query(
        "SELECT user_id, thread_id AS id FROM thread_subscriptions \
         WHERE user_id = ANY($1) AND level = 'muted' AND thread_id = ANY($2) \
         UNION ALL \
         SELECT user_id, category_id FROM category_subscriptions \
         WHERE user_id = ANY($1) AND level = 'muted' AND category_id = ANY($3)",
    )
    .bind::<Array<SqlUuid>, _>(ids)
    .bind::<Array<SqlUuid>, _>(threads)
    .bind::<Array<SqlUuid>, _>(categories)
    .load(conn)?;
    Ok(rows.into_iter().map(|r| (r.user_id, r.id)).collect())
}

#[derive(QueryableByName)]
struct CommunEventRow {
    #[diesel(sql_type = SqlUuid)]
    user_id: Uuid,
    #[diesel(sql_type = Text)]
    slug: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    what: String,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Text)]
    url: String,
    #[diesel(sql_type = Text)]
    licence: String,
}

/// News, milestones reached and resources published in the period by the communs members follow
/// (watching or tracking). A news row's `url` is its thread's id.
fn commun_events(
    conn: &mut PgConnection,
    ids: &[Uuid],
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> QueryResult<Vec<CommunEventRow>> {
    diesel::sql_query(
        "WITH f AS (SELECT s.user_id, s.commun_id FROM commun_subscriptions s \
                    WHERE s.user_id = ANY($1) AND s.level IN ('watching', 'tracking')) \
         SELECT f.user_id, c.slug, c.name, 'milestone' AS what, m.title, '' AS url, '' AS licence \
         FROM f JOIN communs c ON c.id = f.commun_id \
         JOIN milestones m ON m.commun_id = c.id AND m.reached_at > $2 AND m.reached_at <= $3 \
         UNION ALL \
         SELECT f.user_id, c.slug, c.name, 'resource', r.title, r.url, r.licence \
         FROM f JOIN communs c ON c.id = f.commun_id \
         JOIN resources r ON r.commun_id = c.id AND r.created_at > $2 AND r.created_at <= $3 \
         UNION ALL \
         SELECT f.user_id, c.slug, c.name, 'news', t.title, t.id::text, '' \
         FROM f JOIN communs c ON c.id = f.commun_id \
         JOIN categories g ON g.commun_id = c.id \
         JOIN threads t ON t.category_id = g.id AND t.kind = 'news' AND t.hidden_at IS NULL \
                       AND t.created_at > $2 AND t.created_at <= $3 \
         ORDER BY 1, 3, 2, 4, 5",
    )
    .bind::<Array<SqlUuid>, _>(ids)
    .bind::<Timestamptz, _>(since)
    .bind::<Timestamptz, _>(until)
    .load(conn)
}

/// Each member's unread notifications, their watched replies derived first (as their list would).
fn unread(conn: &mut PgConnection, ids: &[Uuid]) -> QueryResult<HashMap<Uuid, i64>> {
    let mut counts = HashMap::new();
    for id in ids {
        let n = crate::notifications::service::unread_with_derived(conn, *id)?;
        if n > 0 {
            counts.insert(*id, n);
        }
    }
    Ok(counts)
}

// ---- composing -----------------------------------------------------------------------------------

fn matches(t: &Target, c: &NewChallengeRow) -> bool {
    let themes = t.themes.is_empty() || c.themes.iter().any(|th| t.themes.contains(th));
    let territory = match &t.territory {
        None => true,
        // Within the followed territory, or covering it (short of the whole country).
        Some((id, path)) => {
            c.territory_path.contains(id)
                || (c.territory_id != "country:fr" && path.contains(&c.territory_id))
        }
    };
    themes && territory
}

fn excerpt(html: &str) -> String {
    markdown::excerpt(&markdown::plain_text(html), EXCERPT_CHARS)
}

/// The digests of `targets`: a few queries for the whole group, whatever its size.
pub fn compose(
    conn: &mut PgConnection,
    settings: &Settings,
    secret: &str,
    targets: &[Target],
) -> QueryResult<Vec<Digest>> {
    let front = settings.frontend_url.trim_end_matches('/');
    let public = settings.public_url.trim_end_matches('/');
    let thread_url = |id: Uuid| format!("{front}/threads/{id}");
    let challenge_url = |id: Uuid| format!("{front}/challenges/{id}");

    // Group by period: most recipients of a batch share theirs.
    let mut periods: BTreeMap<(DateTime<Utc>, DateTime<Utc>), Vec<&Target>> = BTreeMap::new();
    for t in targets {
        periods.entry((t.since, t.until)).or_default().push(t);
    }
    let mut by_recipient: HashMap<Recipient, Digest> = HashMap::with_capacity(targets.len());
    for ((since, until), group) in periods {
        let shared = shared(conn, since, until)?;
        let members: Vec<Uuid> = group
            .iter()
            .filter(|t| matches!(t.recipient, Recipient::Member(_)))
            .map(|t| t.recipient.id())
            .collect();
        let subscribers: Vec<&Target> = group
            .iter()
            .copied()
            .filter(|t| matches!(t.recipient, Recipient::Subscriber(_)))
            .collect();
        let members_t: Vec<&Target> = group
            .iter()
            .copied()
            .filter(|t| matches!(t.recipient, Recipient::Member(_)))
            .collect();
        let mut watched_rows = Vec::new();
        let mut update_rows = Vec::new();
        let mut muted_set = HashSet::new();
        let mut unread_map = HashMap::new();
        let mut commun_rows = Vec::new();
        if !members.is_empty() {
            commun_rows = commun_events(conn, &members, since, until)?;
            watched_rows.extend(watched(conn, &members_t, since, until, false)?);
            update_rows = updates(conn, &members, since, until)?;
            let threads: Vec<Uuid> = shared
                .popular
                .iter()
                .map(|p| p.id)
                .chain(shared.announcements.iter().map(|a| a.id))
                .collect();
            let categories: Vec<Uuid> = shared
                .popular
                .iter()
                .map(|p| p.category_id)
                .chain(shared.announcements.iter().map(|a| a.category_id))
                .collect();
            if !threads.is_empty() {
                muted_set = muted(conn, &members, &threads, &categories)?;
            }
            unread_map = unread(conn, &members)?;
        }
        if !subscribers.is_empty() {
            watched_rows.extend(watched(conn, &subscribers, since, until, true)?);
        }
        let mut thread_ids: Vec<Uuid> = watched_rows.iter().map(|w| w.thread_id).collect();
        thread_ids.sort();
        thread_ids.dedup();
        let tops: HashMap<Uuid, TopReplyRow> = top_replies(conn, &thread_ids, since, until)?
            .into_iter()
            .map(|r| (r.thread_id, r))
            .collect();
        let mut watched_by: HashMap<Uuid, Vec<&WatchedRow>> = HashMap::new();
        for w in &watched_rows {
            watched_by.entry(w.user_id).or_default().push(w);
        }
        let mut updates_by: HashMap<Uuid, Vec<&UpdateRow>> = HashMap::new();
        for u in &update_rows {
            updates_by.entry(u.user_id).or_default().push(u);
        }
        let announcement_excerpts: Vec<String> = shared
            .announcements
            .iter()
            .map(|a| excerpt(&a.body_html))
            .collect();

        for t in group {
            let id = t.recipient.id();
            let is_muted = |thread: Uuid, category: Uuid| {
                muted_set.contains(&(id, thread)) || muted_set.contains(&(id, category))
            };
            let new_challenges: Vec<DigestChallenge> = shared
                .new_challenges
                .iter()
                .filter(|c| matches(t, c))
                .take(NEW_CHALLENGES_MAX)
                .map(|c| DigestChallenge {
                    id: c.id,
                    title: c.title.clone(),
                    summary: c.summary.clone(),
                    territory: c.territory_name.clone(),
                    url: challenge_url(c.id),
                })
                .collect();
            let mut challenge_updates: Vec<ChallengeUpdate> = Vec::new();
            for u in updates_by.get(&id).map(Vec::as_slice).unwrap_or_default() {
                let entry = match challenge_updates.iter_mut().position(|c| c.id == u.id) {
                    Some(i) => &mut challenge_updates[i],
                    None => {
                        if challenge_updates.len() == UPDATES_MAX {
                            continue;
                        }
                        challenge_updates.push(ChallengeUpdate {
                            id: u.id,
                            title: u.title.clone(),
                            url: challenge_url(u.id),
                            status_changes: Vec::new(),
                            new_pledges: Vec::new(),
                        });
                        challenge_updates.last_mut().expect("just pushed")
                    }
                };
                if u.what == "status" {
                    entry.status_changes.push(StatusChange {
                        from: u.a.clone(),
                        to: u.b.clone(),
                        label: super::render::status_label(t.locale, &u.b).into(),
                        at: u.at,
                    });
                } else {
                    entry.new_pledges.push(NewPledge {
                        organisation: u.a.clone(),
                        kind: u.b.clone(),
                        label: super::render::pledge_label(t.locale, &u.b).into(),
                    });
                }
            }
            let mut mine: Vec<&&WatchedRow> = watched_by
                .get(&id)
                .map(|v| v.iter().collect())
                .unwrap_or_default();
            mine.sort_by(|a, b| {
                b.new_replies
                    .cmp(&a.new_replies)
                    .then(a.thread_id.cmp(&b.thread_id))
            });
            let watched: Vec<WatchedThread> = mine
                .iter()
                .take(WATCHED_MAX)
                .filter_map(|w| {
                    let top = tops.get(&w.thread_id)?;
                    Some(WatchedThread {
                        thread_id: w.thread_id,
                        title: top.title.clone(),
                        new_replies: w.new_replies,
                        url: thread_url(w.thread_id),
                        top_reply: match (&top.number, &top.author, &top.body_html) {
                            (Some(n), Some(author), Some(html)) => Some(Excerpt {
                                author: author.clone(),
                                excerpt: excerpt(html),
                                reactions: top.reactions.unwrap_or(0),
                                url: format!("{}#post-{n}", thread_url(w.thread_id)),
                            }),
                            _ => None,
                        },
                    })
                })
                .collect();
            let in_watched: HashSet<Uuid> = watched.iter().map(|w| w.thread_id).collect();
            let popular: Vec<PopularThread> = shared
                .popular
                .iter()
                .filter(|p| {
                    !is_muted(p.id, p.category_id)
                        && !in_watched.contains(&p.id)
                        && !shared.announcements.iter().any(|a| a.id == p.id)
                })
                .take(POPULAR_MAX)
                .map(|p| PopularThread {
                    thread_id: p.id,
                    title: p.title.clone(),
                    url: thread_url(p.id),
                    replies: p.replies,
                    participants: p.participants,
                    reactions: p.reactions,
                    score: p.replies + 3 * p.participants + p.reactions,
                })
                .collect();
            let announcements: Vec<Announcement> = shared
                .announcements
                .iter()
                .zip(&announcement_excerpts)
                .filter(|(a, _)| !is_muted(a.id, a.category_id))
                .take(ANNOUNCEMENTS_MAX)
                .map(|(a, e)| Announcement {
                    thread_id: a.id,
                    title: a.title.clone(),
                    url: thread_url(a.id),
                    excerpt: e.clone(),
                })
                .collect();
            let mut communs: Vec<CommunNews> = Vec::new();
            for e in commun_rows.iter().filter(|e| e.user_id == id) {
                if communs.last().is_none_or(|c| c.slug != e.slug) {
                    communs.push(CommunNews {
                        slug: e.slug.clone(),
                        name: e.name.clone(),
                        url: format!("{front}/communs/{}", e.slug),
                        news: Vec::new(),
                        milestones: Vec::new(),
                        resources: Vec::new(),
                    });
                }
                let c = communs.last_mut().expect("just pushed");
                if e.what == "milestone" {
                    c.milestones.push(e.title.clone());
                } else if e.what == "news" {
                    c.news.push(CommunNewsItem {
                        title: e.title.clone(),
                        url: format!("{front}/threads/{}", e.url),
                    });
                } else {
                    c.resources.push(CommunResourceNews {
                        title: e.title.clone(),
                        url: e.url.clone(),
                        licence: e.licence.clone(),
                    });
                }
            }
            communs.truncate(COMMUNS_MAX);
            let unread_notifications = match t.recipient {
                Recipient::Member(_) => Some(unread_map.get(&id).copied().unwrap_or(0)),
                Recipient::Subscriber(_) => None,
            };
            let unsubscribe = format!(
                "{public}/api/v1/unsubscribe/{}",
                token::sign(secret, t.recipient)
            );
            let kind = match t.recipient {
                Recipient::Member(_) => RecipientKind::Member,
                Recipient::Subscriber(_) => RecipientKind::Subscriber,
            };
            let mut digest = Digest {
                recipient: DigestRecipient {
                    kind,
                    locale: t.locale,
                    frequency: t.frequency,
                },
                period: DigestPeriod {
                    from: t.since,
                    until: t.until,
                },
                subject: String::new(),
                new_challenges,
                challenge_updates,
                watched,
                popular,
                announcements,
                communs,
                unread_notifications,
                links: DigestLinks {
                    notifications: format!("{front}/notifications"),
                    settings: match kind {
                        RecipientKind::Member => format!("{front}/settings"),
                        RecipientKind::Subscriber => unsubscribe.clone(),
                    },
                    unsubscribe,
                },
            };
            digest.subject = super::render::subject(&digest);
            by_recipient.insert(t.recipient, digest);
        }
    }
    Ok(targets
        .iter()
        .filter_map(|t| by_recipient.remove(&t.recipient))
        .collect())
}
