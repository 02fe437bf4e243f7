//! Challenges: create, read, edit, list (filters, sorts, keyset cursors), GeoJSON, the lifecycle and
//! its history, supports and follows. Every write and what it triggers (history, counters, the
//! discussion thread, notifications) commit in one transaction.

use chrono::{DateTime, Utc};
use diesel::pg::sql_types::Record;
use diesel::prelude::*;
use diesel::sql_types::{
    Array, Bool, Double, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid,
};
use serde_json::Value;
use uuid::Uuid;

use super::geometry::{self, Location};
use super::lifecycle;
use super::types::*;
use crate::accounts::auth::Actor;
use crate::accounts::view::{USER_COLUMNS, UserCols, user, users_by_id};
use crate::config::Settings;
use crate::db::{self, fixed::fixed};
use crate::discussions::threads::{self as discussion, MAX_BODY_BYTES, Subject, check_body};
use crate::error::{AppError, AppResult};
use crate::input::{Errors, Title};
use crate::notifications::{WatchLevel, upsert_level};
use crate::organisations::OrganisationKind;
use crate::pagination::{At, Page, PageQuery};
use crate::schema::{
    challenge_communs, challenge_supports, challenge_transitions, challenges, communs,
    organisations, pledges, resource_challenges, resources, territories, users,
};
use crate::taxonomy::{self, Territory, TerritoryLevel, ThemeRef};

/// Notes of moves (public): at most 2,000 characters.
pub const MAX_NOTE_CHARS: usize = 2000;

// ---- reading ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = challenges)]
struct ItemRow {
    id: Uuid,
    title: String,
    summary: String,
    status: String,
    location: Option<Value>,
    thread_id: Option<Uuid>,
    supports_count: i32,
    pledges_count: i32,
    last_activity_at: DateTime<Utc>,
    status_changed_at: DateTime<Utc>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

type TerritoryCols = (String, String, String, String);
type OrgCols = (Uuid, String, String);
type ItemJoined = (
    ItemRow,
    UserCols,
    TerritoryCols,
    Option<OrgCols>,
    Vec<(String, String)>,
    bool,
);

fn status_of(s: &str) -> ChallengeStatus {
    ChallengeStatus::parse(s).unwrap_or(ChallengeStatus::Draft)
}

fn organisation_ref((id, name, kind): OrgCols) -> OrganisationRef {
    OrganisationRef {
        id,
        name,
        kind: OrganisationKind::parse(&kind),
    }
}

fn item(
    (r, proposer, (tid, code, level, name), org, themes, supported): ItemJoined,
) -> ChallengeItem {
    ChallengeItem {
        id: r.id,
        title: r.title,
        summary: r.summary,
        status: status_of(&r.status),
        themes: themes
            .into_iter()
            .map(|(slug, name)| ThemeRef { slug, name })
            .collect(),
        territory: Territory {
            id: tid,
            code,
            level: TerritoryLevel::parse(&level),
            name,
        },
        location: r.location,
        proposer: user(proposer),
        organisation: org.map(organisation_ref),
        supports_count: r.supports_count,
        pledges_count: r.pledges_count,
        thread_id: r.thread_id,
        supported,
        last_activity_at: r.last_activity_at,
        status_changed_at: r.status_changed_at,
        created_at: r.created_at,
        updated_at: r.updated_at,
    }
}

/// A keyset cursor in a challenge list: the sort key of the last item and its id.
#[derive(Debug, serde::Deserialize, serde::Serialize)]
#[serde(untagged)]
enum Cursor {
    Count(i32, Uuid),
    Time(At, Uuid),
}

/// Which challenges to load.
#[derive(Default)]
struct Select {
    id: Option<Uuid>,
    status: Option<ChallengeStatus>,
    theme: Option<String>,
    /// A territory id: the challenge's territory or one containing it.
    territory: Option<String>,
    bbox: Option<[f64; 4]>,
    organisation: Option<Uuid>,
    /// Open challenges matching an organisation's interests: (themes, territories, scope).
    matching: Option<(Vec<String>, Vec<String>, Vec<String>)>,
    located_only: bool,
    sort: ChallengeSort,
    after: Option<Cursor>,
    limit: i64,
}

/// Challenges with their proposer, territory, organisation, theme names and the viewer's support:
/// one statement. Drafts are left to their authors and to staff.
fn load(
    conn: &mut PgConnection,
    s: &Select,
    viewer: Option<&Actor>,
) -> AppResult<Vec<ChallengeItem>> {
    let viewer_id = viewer.map(|v| v.id);
    let theme_refs = fixed::<Array<Record<(Text, Text)>>>(
        "ARRAY(SELECT ROW(t.slug, t.name) FROM themes t WHERE t.slug = ANY(challenges.themes) \
         ORDER BY t.position, t.slug)",
    );
    let supported = fixed::<Bool>("CASE WHEN ")
        .bind::<Nullable<SqlUuid>, _>(viewer_id)
        .sql(
            "::uuid IS NULL THEN false ELSE EXISTS (SELECT 1 FROM challenge_supports s \
             WHERE s.challenge_id = challenges.id AND s.user_id = ",
        )
        .bind::<Nullable<SqlUuid>, _>(viewer_id)
        .sql(") END");
    let mut q = challenges::table
        .inner_join(users::table.on(users::id.eq(challenges::proposer_id)))
        .inner_join(territories::table)
        .left_join(organisations::table)
        .select((
            ItemRow::as_select(),
            USER_COLUMNS,
            (
                territories::id,
                territories::code,
                territories::level,
                territories::name,
            ),
            (organisations::id, organisations::name, organisations::kind).nullable(),
            theme_refs,
            supported,
        ))
        .into_boxed();
    let mut ids = challenges::table.select(challenges::id).into_boxed();
    let staff = viewer.is_some_and(Actor::is_staff);
    // A challenge is public once submitted (it then has its thread). The others — drafts, and
    // drafts withdrawn or closed — are their author's and staff's only, and only read by id or
    // listed with `status=draft`.
    if s.status == Some(ChallengeStatus::Draft) || s.id.is_some() {
        if !staff {
            let me = viewer_id.unwrap_or_else(Uuid::nil);
            ids = ids.filter(
                challenges::thread_id
                    .is_not_null()
                    .and(challenges::hidden_at.is_null())
                    .or(challenges::proposer_id.eq(me)),
            );
        }
    } else {
        ids = ids.filter(challenges::thread_id.is_not_null());
        // Hidden by moderation: out of lists but for staff.
        if !staff {
            ids = ids.filter(challenges::hidden_at.is_null());
        }
    }
    if let Some(id) = s.id {
        ids = ids.filter(challenges::id.eq(id));
    }
    if let Some(st) = s.status {
        ids = ids.filter(challenges::status.eq(st.as_str()));
    }
    if let Some(theme) = &s.theme {
        ids = ids.filter(
            fixed::<Bool>("challenges.themes @> ARRAY[")
                .bind::<Text, _>(theme.clone())
                .sql("]::text[]"),
        );
    }
    if let Some(t) = &s.territory {
        ids = ids.filter(
            fixed::<Bool>("challenges.territory_path @> ARRAY[")
                .bind::<Text, _>(t.clone())
                .sql("]::text[]"),
        );
    }
    if let Some([minlon, minlat, maxlon, maxlat]) = s.bbox {
        ids = ids.filter(
            fixed::<Bool>("challenges.bbox && box(point(")
                .bind::<Double, _>(minlon)
                .sql(", ")
                .bind::<Double, _>(minlat)
                .sql("), point(")
                .bind::<Double, _>(maxlon)
                .sql(", ")
                .bind::<Double, _>(maxlat)
                .sql("))"),
        );
    }
    if let Some(org) = s.organisation {
        ids = ids.filter(
            fixed::<Bool>("challenges.organisation_ids @> ARRAY[")
                .bind::<SqlUuid, _>(org)
                .sql("]::uuid[]"),
        );
    }
    if let Some((themes, territories_, scope)) = &s.matching {
        // A theme in common, and a territory of the organisation containing the challenge's or
        // inside it.
        ids = ids.filter(challenges::status.eq("open")).filter(
            fixed::<Bool>("(challenges.themes && ")
                .bind::<Array<Text>, _>(themes.clone())
                .sql(" AND (challenges.territory_path && ")
                .bind::<Array<Text>, _>(territories_.clone())
                .sql(" OR challenges.territory_id = ANY(")
                .bind::<Array<Text>, _>(scope.clone())
                .sql(")))"),
        );
    }
    if s.located_only {
        ids = ids.filter(challenges::location.is_not_null());
    }
    if s.id.is_some() {
        let rows: Vec<ItemJoined> = q.filter(challenges::id.eq_any(ids)).load(conn)?;
        return Ok(rows.into_iter().map(item).collect());
    }
    // Row-value comparisons, so that the cursor is an index range.
    ids = match &s.after {
        None => ids,
        Some(Cursor::Count(n, id)) => ids.filter(
            fixed::<Bool>("(challenges.supports_count, challenges.id) < (")
                .bind::<Integer, _>(*n)
                .sql(", ")
                .bind::<SqlUuid, _>(*id)
                .sql(")"),
        ),
        Some(Cursor::Time(t, id)) => ids.filter(
            match s.sort {
                ChallengeSort::Activity => {
                    fixed::<Bool>("(challenges.last_activity_at, challenges.id) < (")
                }
                _ => fixed::<Bool>("(challenges.created_at, challenges.id) < ("),
            }
            .bind::<Timestamptz, _>(t.0)
            .sql(", ")
            .bind::<SqlUuid, _>(*id)
            .sql(")"),
        ),
    };
    // The page is chosen on `challenges` alone (filters, sort, limit), then joined: joining first
    // made PostgreSQL fetch the proposer and territory of every match before keeping 20.
    (ids, q) = match s.sort {
        ChallengeSort::Supports => {
            let order = (challenges::supports_count.desc(), challenges::id.desc());
            (ids.order(order), q.order(order))
        }
        ChallengeSort::Newest => {
            let order = (challenges::created_at.desc(), challenges::id.desc());
            (ids.order(order), q.order(order))
        }
        ChallengeSort::Activity => {
            let order = (challenges::last_activity_at.desc(), challenges::id.desc());
            (ids.order(order), q.order(order))
        }
    };
    let q = q.filter(challenges::id.eq_any(ids.limit(s.limit)));
    let rows: Vec<ItemJoined> = q.load(conn)?;
    Ok(rows.into_iter().map(item).collect())
}

fn cursor_of(sort: ChallengeSort, c: &ChallengeItem) -> Cursor {
    match sort {
        ChallengeSort::Supports => Cursor::Count(c.supports_count, c.id),
        ChallengeSort::Newest => Cursor::Time(At(c.created_at), c.id),
        ChallengeSort::Activity => Cursor::Time(At(c.last_activity_at), c.id),
    }
}

/// The filters of a list query, parsed (422 naming the filter that is not valid).
struct Filters {
    status: Option<ChallengeStatus>,
    theme: Option<String>,
    territory: Option<String>,
    bbox: Option<[f64; 4]>,
    organisation: Option<Uuid>,
    sort: ChallengeSort,
    after: Option<Cursor>,
}

/// The filters of a list or GeoJSON query, as sent.
struct Asked<'a> {
    status: Option<ChallengeStatus>,
    theme: Option<&'a str>,
    territory: Option<&'a str>,
    bbox: Option<&'a str>,
    organisation: Option<Uuid>,
    sort: Option<ChallengeSort>,
}

fn parse_filters(conn: &mut PgConnection, asked: Asked, paging: &PageQuery) -> AppResult<Filters> {
    let Asked {
        status,
        theme,
        territory,
        bbox,
        organisation,
        sort,
    } = asked;
    let sort = sort.unwrap_or_default();
    let after: Option<Cursor> = paging.after()?;
    match (sort, &after) {
        (ChallengeSort::Supports, Some(Cursor::Count(..)))
        | (ChallengeSort::Newest | ChallengeSort::Activity, Some(Cursor::Time(..)))
        | (_, None) => {}
        _ => {
            return Err(AppError::validation(
                "cursor",
                "This cursor does not belong to this sort.",
            ));
        }
    }
    let theme = match theme {
        None => None,
        Some(t) => Some(taxonomy::existing_theme(conn, t, "theme")?),
    };
    let territory = territory
        .map(|t| taxonomy::resolve_territory(conn, t, "territory").map(|r| r.id))
        .transpose()?;
    let bbox = bbox
        .map(|b| geometry::parse_bbox(b).map_err(|m| AppError::validation("bbox", m)))
        .transpose()?;
    Ok(Filters {
        status,
        theme,
        territory,
        bbox,
        organisation,
        sort,
        after,
    })
}

fn select_of(f: Filters, limit: i64) -> Select {
    Select {
        status: f.status,
        theme: f.theme,
        territory: f.territory,
        bbox: f.bbox,
        organisation: f.organisation,
        sort: f.sort,
        after: f.after,
        limit,
        ..Default::default()
    }
}

/// A page of challenges, filtered and sorted as asked.
pub fn list(
    conn: &mut PgConnection,
    q: &ChallengeQuery,
    viewer: Option<&Actor>,
) -> AppResult<Page<ChallengeItem>> {
    let paging = PageQuery {
        limit: q.limit,
        cursor: q.cursor.clone(),
    };
    let limit = paging.limit()?;
    let filters = parse_filters(
        conn,
        Asked {
            status: q.status,
            theme: q.theme.as_deref(),
            territory: q.territory.as_deref(),
            bbox: q.bbox.as_deref(),
            organisation: q.organisation,
            sort: q.sort,
        },
        &paging,
    )?;
    let sort = filters.sort;
    let items = load(conn, &select_of(filters, limit + 1), viewer)?;
    Ok(Page::from_rows(items, limit, |c| cursor_of(sort, c), |c| c))
}

/// At most this many positions in one GeoJSON response (a few MB): a page stops early, with its
/// `next_cursor`, rather than hold thousands of large polygons at once.
pub const GEOJSON_POSITIONS: usize = 250_000;

/// Calls `f` with every position of a stored geometry; returns how many there were.
fn positions(v: &Value, f: &mut impl FnMut(f64, f64)) -> usize {
    match v {
        Value::Array(items) => {
            if let [Value::Number(x), Value::Number(y), ..] = items.as_slice() {
                f(x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0));
                1
            } else {
                items.iter().map(|i| positions(i, f)).sum()
            }
        }
        Value::Object(o) => o.get("coordinates").map_or(0, |c| positions(c, f)),
        _ => 0,
    }
}

/// The challenges with a location, as an RFC 7946 FeatureCollection (same filters as the list),
/// read in chunks of 100 so that a response holds at most `limit` features and
/// [`GEOJSON_POSITIONS`] positions.
pub fn geojson(
    conn: &mut PgConnection,
    q: &GeoJsonQuery,
    viewer: Option<&Actor>,
) -> AppResult<ChallengeFeatureCollection> {
    let limit = match q.limit {
        None => 1000,
        Some(n) if (1..=5000).contains(&n) => n as usize,
        Some(_) => {
            return Err(AppError::validation(
                "limit",
                "Use a number from 1 to 5000.",
            ));
        }
    };
    let paging = PageQuery {
        limit: None,
        cursor: q.cursor.clone(),
    };
    let filters = parse_filters(
        conn,
        Asked {
            status: q.status,
            theme: q.theme.as_deref(),
            territory: q.territory.as_deref(),
            bbox: q.bbox.as_deref(),
            organisation: q.organisation,
            sort: q.sort,
        },
        &paging,
    )?;
    let sort = filters.sort;
    let mut select = select_of(filters, 0);
    select.located_only = true;
    let mut features: Vec<ChallengeFeature> = Vec::new();
    let mut bbox: Option<[f64; 4]> = None;
    let mut spent = 0usize;
    let mut more = false;
    'chunks: loop {
        let chunk = (limit - features.len()).min(100);
        select.limit = chunk as i64 + 1;
        let items = load(conn, &select, viewer)?;
        let loaded = items.len();
        for (k, mut c) in items.into_iter().enumerate() {
            if k == chunk {
                break; // the extra row: there is more after this chunk
            }
            if spent >= GEOJSON_POSITIONS {
                more = true;
                break 'chunks;
            }
            let Some(geometry) = c.location.take() else {
                continue;
            };
            spent += positions(&geometry, &mut |x, y| {
                let b = bbox.get_or_insert([x, y, x, y]);
                *b = [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)];
            });
            select.after = Some(cursor_of(sort, &c));
            features.push(ChallengeFeature {
                kind: "Feature",
                id: c.id,
                geometry,
                properties: c,
            });
        }
        if loaded <= chunk {
            break;
        }
        if features.len() == limit {
            more = true;
            break;
        }
    }
    let next_cursor = match (&select.after, more) {
        (Some(c), true) => Some(crate::pagination::encode(c)),
        _ => None,
    };
    Ok(ChallengeFeatureCollection {
        kind: "FeatureCollection",
        bbox,
        features,
        next_cursor,
    })
}

/// The stored row of a challenge the viewer may see (404 otherwise: drafts are private).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = challenges)]
pub struct ChallengeRow {
    pub id: Uuid,
    pub title: String,
    pub summary: String,
    pub problem: String,
    pub status: String,
    pub themes: Vec<String>,
    pub territory_id: String,
    pub territory_path: Vec<String>,
    pub proposer_id: Uuid,
    pub organisation_id: Option<Uuid>,
    pub thread_id: Option<Uuid>,
    /// Hidden by moderation: its proposer's and staff's only.
    pub hidden_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl ChallengeRow {
    pub fn status(&self) -> ChallengeStatus {
        status_of(&self.status)
    }
}

/// A challenge's row, if `viewer` may see it (one never submitted: its author and staff only);
/// locked with `FOR UPDATE` when `lock`.
pub fn row(
    conn: &mut PgConnection,
    id: Uuid,
    viewer: Option<&Actor>,
    lock: bool,
) -> AppResult<ChallengeRow> {
    let q = challenges::table.find(id).select(ChallengeRow::as_select());
    let r: ChallengeRow = if lock {
        q.for_update().first(conn)?
    } else {
        q.first(conn)?
    };
    // The rule of `load`: public once submitted (it then has its thread), else its author's and
    // staff's only — a draft withdrawn or closed stays private.
    let may_see = (r.thread_id.is_some() && r.hidden_at.is_none())
        || viewer.is_some_and(|v| v.id == r.proposer_id || v.is_staff());
    if may_see {
        Ok(r)
    } else {
        Err(AppError::NotFound)
    }
}

/// A challenge with its texts, the organisations pledging and the communs taking it up.
pub fn read(conn: &mut PgConnection, id: Uuid, viewer: Option<&Actor>) -> AppResult<Challenge> {
    let select = Select {
        id: Some(id),
        limit: 1,
        ..Default::default()
    };
    let item = load(conn, &select, viewer)?
        .pop()
        .ok_or(AppError::NotFound)?;
    let (problem, problem_html, impact, impact_html): (String, String, String, String) =
        challenges::table
            .find(id)
            .select((
                challenges::problem,
                challenges::problem_html,
                challenges::impact,
                challenges::impact_html,
            ))
            .first(conn)?;
    let orgs: Vec<OrgCols> = pledges::table
        .inner_join(organisations::table)
        .filter(pledges::challenge_id.eq(id))
        .filter(pledges::status.eq_any(["offered", "accepted", "delivered"]))
        .select((organisations::id, organisations::name, organisations::kind))
        .distinct()
        .order((organisations::name, organisations::id))
        .load(conn)?;
    let communs: Vec<(String, String)> = challenge_communs::table
        .inner_join(communs::table)
        .filter(challenge_communs::challenge_id.eq(id))
        .order(communs::name)
        .select((communs::slug, communs::name))
        .load(conn)?;
    let resources: Vec<(Uuid, String, String, String, String)> = resource_challenges::table
        .inner_join(resources::table.inner_join(communs::table))
        .filter(resource_challenges::challenge_id.eq(id))
        .order((resources::created_at, resources::id))
        .select((
            resources::id,
            resources::title,
            resources::url,
            resources::licence,
            communs::slug,
        ))
        .load(conn)?;
    Ok(Challenge {
        item,
        problem,
        problem_html,
        impact,
        impact_html,
        organisations: orgs.into_iter().map(organisation_ref).collect(),
        communs: communs
            .into_iter()
            .map(|(slug, name)| CommunRef { slug, name })
            .collect(),
        resources: resources
            .into_iter()
            .map(|(id, title, url, licence, commun)| ResourceRef {
                id,
                title,
                url,
                licence,
                commun,
            })
            .collect(),
    })
}

// ---- writing ---------------------------------------------------------------------------------------

/// A Markdown text field, under a post body's rules ([`check_body`]); empty allowed unless
/// `required`.
fn check_text(errors: &mut Errors, field: &str, text: &str, required: bool) {
    let empty_allowed = !required && text.trim().is_empty() && text.len() <= MAX_BODY_BYTES;
    if !empty_allowed && let Err(m) = check_body(text) {
        errors.push(field, m);
    }
}

fn parse_summary(summary: &str) -> Result<String, String> {
    let s = summary.trim();
    if s.is_empty() {
        return Err("Write a summary.".into());
    }
    if s.chars().count() > 500 {
        return Err("At most 500 characters.".into());
    }
    if s.chars().any(|c| c.is_control() && c != '\n') {
        return Err("Plain text, without control characters.".into());
    }
    Ok(s.to_string())
}

/// The proposing organisation: one the proposer belongs to (422 on `organisation_id` otherwise).
fn check_organisation(conn: &mut PgConnection, proposer: Uuid, org: Uuid) -> AppResult<()> {
    if crate::organisations::service::is_member(conn, org, proposer)? {
        Ok(())
    } else {
        Err(AppError::validation(
            "organisation_id",
            "Name an organisation you are a member of.",
        ))
    }
}

fn write_bbox(conn: &mut PgConnection, id: Uuid, location: Option<&Location>) -> QueryResult<()> {
    match location {
        Some(l) => fixed::<Integer>("UPDATE challenges SET bbox = box(point(")
            .bind::<Double, _>(l.bbox[0])
            .sql(", ")
            .bind::<Double, _>(l.bbox[1])
            .sql("), point(")
            .bind::<Double, _>(l.bbox[2])
            .sql(", ")
            .bind::<Double, _>(l.bbox[3])
            .sql(")) WHERE id = ")
            .bind::<SqlUuid, _>(id)
            .sql("")
            .execute(conn)?,
        None => fixed::<Integer>("UPDATE challenges SET bbox = NULL WHERE id = ")
            .bind::<SqlUuid, _>(id)
            .sql("")
            .execute(conn)?,
    };
    Ok(())
}

/// Keeps `challenges.organisation_ids` — the proposing organisation and those with a pledge offered,
/// accepted or delivered — for the `organisation` filter (a GIN index).
pub fn refresh_organisations(conn: &mut PgConnection, id: Uuid) -> QueryResult<()> {
    fixed::<Integer>(
        "UPDATE challenges c SET organisation_ids = ARRAY(SELECT o FROM ( \
             SELECT c.organisation_id AS o WHERE c.organisation_id IS NOT NULL \
             UNION SELECT p.organisation_id FROM pledges p WHERE p.challenge_id = c.id \
               AND p.status IN ('offered', 'accepted', 'delivered')) s ORDER BY o) \
         WHERE c.id = ",
    )
    .bind::<SqlUuid, _>(id)
    .sql("")
    .execute(conn)?;
    Ok(())
}

fn record(
    conn: &mut PgConnection,
    id: Uuid,
    actor: Uuid,
    from: Option<ChallengeStatus>,
    to: ChallengeStatus,
    note: Option<&str>,
) -> QueryResult<()> {
    diesel::insert_into(challenge_transitions::table)
        .values((
            challenge_transitions::id.eq(Uuid::now_v7()),
            challenge_transitions::challenge_id.eq(id),
            challenge_transitions::actor_id.eq(actor),
            challenge_transitions::from_status.eq(from.map(ChallengeStatus::as_str)),
            challenge_transitions::to_status.eq(to.as_str()),
            challenge_transitions::note.eq(note.map(str::trim)),
        ))
        .execute(conn)?;
    Ok(())
}

/// What happens when a challenge leaves draft: its discussion thread opens (in the challenges'
/// category, by its proposer), and it counts among its proposer's challenges.
fn publish(
    conn: &mut PgConnection,
    settings: &Settings,
    proposer: &Actor,
    c: &ChallengeRow,
) -> AppResult<()> {
    let thread = discussion::create_about(
        conn,
        proposer,
        &settings.challenges_category,
        &c.title,
        &format!("{}\n\n{}", c.summary, c.problem),
        Subject {
            kind: "challenge",
            id: c.id,
        },
    )?;
    diesel::update(challenges::table.find(c.id))
        .set(challenges::thread_id.eq(thread.id))
        .execute(conn)?;
    diesel::update(users::table.find(c.proposer_id))
        .set(users::challenge_count.eq(users::challenge_count + 1))
        .execute(conn)?;
    Ok(())
}

/// Proposes a challenge (a draft, or submitted at once).
pub fn create(
    conn: &mut PgConnection,
    settings: &Settings,
    actor: &Actor,
    input: CreateChallenge,
) -> AppResult<Challenge> {
    actor.require_writer()?;
    let status: ChallengeStatus = input.status.map_or(ChallengeStatus::Draft, Into::into);
    let mut errors = Errors::new();
    let title = errors.check("title", Title::parse(&input.title));
    let summary = errors.check("summary", parse_summary(&input.summary));
    check_text(&mut errors, "problem", &input.problem, true);
    check_text(
        &mut errors,
        "impact",
        input.impact.as_deref().unwrap_or(""),
        false,
    );
    let location = errors.check_opt("location", input.location.as_ref(), geometry::parse);
    errors.finish()?;
    let themes = taxonomy::parse_themes(conn, &input.themes, "themes", 1, 3)?;
    let territory = taxonomy::resolve_territory(conn, &input.territory, "territory")?;
    if let Some(org) = input.organisation_id {
        check_organisation(conn, actor.id, org)?;
    }
    let impact = input.impact.unwrap_or_default();
    let id = Uuid::now_v7();
    let now = Utc::now();
    db::atomic(conn, |conn| {
        diesel::insert_into(challenges::table)
            .values((
                challenges::id.eq(id),
                challenges::title.eq(title.map(Title::into_inner).unwrap_or_default()),
                challenges::summary.eq(summary.unwrap_or_default()),
                challenges::problem.eq(&input.problem),
                challenges::problem_html.eq(crate::markdown::render(&input.problem)),
                challenges::impact_html.eq(crate::markdown::render(&impact)),
                challenges::impact.eq(&impact),
                challenges::status.eq(status.as_str()),
                challenges::themes.eq(&themes),
                challenges::territory_id.eq(&territory.id),
                challenges::territory_path.eq(&territory.path),
                challenges::location.eq(location.as_ref().map(|l| &l.geometry)),
                challenges::proposer_id.eq(actor.id),
                challenges::organisation_id.eq(input.organisation_id),
                challenges::last_activity_at.eq(now),
                challenges::status_changed_at.eq(now),
                challenges::created_at.eq(now),
                challenges::updated_at.eq(now),
            ))
            .execute(conn)?;
        if location.is_some() {
            write_bbox(conn, id, location.as_ref())?;
        }
        if input.organisation_id.is_some() {
            refresh_organisations(conn, id)?;
        }
        record(conn, id, actor.id, None, status, None)?;
        // The proposer follows their challenge.
        upsert_level(conn, UPSERT_LEVEL, actor.id, id, WatchLevel::Watching)?;
        if status != ChallengeStatus::Draft {
            let c = row(conn, id, Some(actor), false)?;
            publish(conn, settings, actor, &c)?;
        }
        read(conn, id, Some(actor))
    })
}

/// Edits a challenge: its author while it is a draft or submitted, or a moderator.
pub fn update(
    conn: &mut PgConnection,
    actor: &Actor,
    id: Uuid,
    input: UpdateChallenge,
) -> AppResult<Challenge> {
    actor.require_writer()?;
    let mut errors = Errors::new();
    let title = errors
        .check_opt("title", input.title.as_deref(), Title::parse)
        .map(Title::into_inner);
    let summary = errors.check_opt("summary", input.summary.as_deref(), parse_summary);
    if let Some(p) = &input.problem {
        check_text(&mut errors, "problem", p, true);
    }
    if let Some(i) = &input.impact {
        check_text(&mut errors, "impact", i, false);
    }
    let location = match &input.location {
        Some(Some(v)) => errors.check("location", geometry::parse(v)).map(Some),
        Some(None) => Some(None),
        None => None,
    };
    errors.finish()?;
    let current = row(conn, id, Some(actor), false)?;
    let themes = input
        .themes
        .as_deref()
        .map(|t| taxonomy::parse_themes_keeping(conn, t, "themes", 1, 3, &current.themes))
        .transpose()?;
    let territory = input
        .territory
        .as_deref()
        .map(|t| taxonomy::resolve_territory(conn, t, "territory"))
        .transpose()?;
    if let Some(Some(org)) = input.organisation_id {
        // The proposing organisation is the proposer's, whoever edits.
        check_organisation(conn, current.proposer_id, org)?;
    }
    #[derive(AsChangeset)]
    #[diesel(table_name = challenges)]
    struct Changes {
        title: Option<String>,
        summary: Option<String>,
        problem: Option<String>,
        problem_html: Option<String>,
        impact: Option<String>,
        impact_html: Option<String>,
        themes: Option<Vec<String>>,
        territory_id: Option<String>,
        territory_path: Option<Vec<String>>,
        location: Option<Option<Value>>,
        organisation_id: Option<Option<Uuid>>,
        updated_at: DateTime<Utc>,
        last_activity_at: DateTime<Utc>,
    }
    let now = Utc::now();
    db::atomic(conn, |conn| {
        // Checked on the locked row: a move to review cannot slip between the check and the edit.
        let c = row(conn, id, Some(actor), true)?;
        let author_may = c.proposer_id == actor.id
            && matches!(
                c.status(),
                ChallengeStatus::Draft | ChallengeStatus::Submitted
            );
        if !(author_may || actor.is_staff()) {
            return Err(AppError::Forbidden(
                "Only the author (while it is a draft or submitted) or a moderator edits a challenge."
                    .into(),
            ));
        }
        diesel::update(challenges::table.find(id))
            .set(&Changes {
                title,
                summary,
                problem_html: input.problem.as_deref().map(crate::markdown::render),
                problem: input.problem,
                impact_html: input.impact.as_deref().map(crate::markdown::render),
                impact: input.impact,
                themes,
                territory_id: territory.as_ref().map(|t| t.id.clone()),
                territory_path: territory.map(|t| t.path),
                location: location
                    .as_ref()
                    .map(|l| l.as_ref().map(|l| l.geometry.clone())),
                organisation_id: input.organisation_id,
                updated_at: now,
                last_activity_at: now,
            })
            .execute(conn)?;
        if let Some(l) = &location {
            write_bbox(conn, id, l.as_ref())?;
        }
        if input.organisation_id.is_some() {
            refresh_organisations(conn, id)?;
        }
        read(conn, id, Some(actor))
    })
}

/// A move's note (a challenge's or a pledge's): free text of at most [`MAX_NOTE_CHARS`], trimmed.
pub fn parse_note(note: Option<&str>) -> AppResult<Option<String>> {
    note.map(|n| crate::input::free_text(n, MAX_NOTE_CHARS))
        .transpose()
        .map_err(|m| AppError::validation("note", m))
}

/// Moves a challenge along its lifecycle: checked, recorded, announced.
pub fn transition(
    conn: &mut PgConnection,
    settings: &Settings,
    actor: &Actor,
    id: Uuid,
    input: Transition,
    hooks: &dyn super::hooks::ChallengeHooks,
) -> AppResult<Challenge> {
    actor.require_writer()?;
    let note = parse_note(input.note.as_deref())?;
    db::atomic(conn, |conn| {
        let c = row(conn, id, Some(actor), true)?;
        let from = c.status();
        let author = c.proposer_id == actor.id;
        lifecycle::check(from, input.to, author, actor.is_staff(), note.as_deref())?;
        let now = Utc::now();
        diesel::update(challenges::table.find(id))
            .set((
                challenges::status.eq(input.to.as_str()),
                challenges::status_changed_at.eq(now),
                challenges::last_activity_at.eq(now),
                challenges::updated_at.eq(now),
            ))
            .execute(conn)?;
        record(conn, id, actor.id, Some(from), input.to, note.as_deref())?;
        if from == ChallengeStatus::Draft && input.to == ChallengeStatus::Submitted {
            publish(conn, settings, actor, &c)?;
        }
        super::notify::status_changed(conn, actor.id, &c)?;
        if matches!(
            input.to,
            ChallengeStatus::Rejected | ChallengeStatus::Closed
        ) && !author
        {
            hooks.restricted(
                conn,
                actor,
                &super::hooks::Restricted {
                    challenge: id,
                    proposer: c.proposer_id,
                    title: c.title.clone(),
                    created_at: c.created_at,
                    to: input.to,
                    note: note.clone().unwrap_or_default(),
                },
            )?;
        }
        if input.to == ChallengeStatus::Open {
            super::notify::matching_organisations(conn, actor.id, &c)?;
        }
        read(conn, id, Some(actor))
    })
}

/// Moves a challenge back to where its last move took it from (an appeal against a rejection or a
/// closure, granted); recorded like any move. Returns whether it moved (not when it has moved on
/// since).
pub fn revert_last_move(
    conn: &mut PgConnection,
    actor: Uuid,
    id: Uuid,
    expected: ChallengeStatus,
    note: &str,
) -> AppResult<bool> {
    let last: Option<(Option<String>, String)> = challenge_transitions::table
        .filter(challenge_transitions::challenge_id.eq(id))
        .order((
            challenge_transitions::created_at.desc(),
            challenge_transitions::id.desc(),
        ))
        .select((
            challenge_transitions::from_status,
            challenge_transitions::to_status,
        ))
        .first(conn)
        .optional()?;
    let Some((Some(from), to)) = last else {
        return Ok(false);
    };
    if status_of(&to) != expected {
        return Ok(false);
    }
    let from = status_of(&from);
    let now = Utc::now();
    diesel::update(
        challenges::table
            .find(id)
            .filter(challenges::status.eq(expected.as_str())),
    )
    .set((
        challenges::status.eq(from.as_str()),
        challenges::status_changed_at.eq(now),
        challenges::updated_at.eq(now),
    ))
    .execute(conn)?;
    record(conn, id, actor, Some(expected), from, Some(note))?;
    Ok(true)
}

/// Every recorded move of a challenge, oldest first.
pub fn history(
    conn: &mut PgConnection,
    id: Uuid,
    viewer: Option<&Actor>,
) -> AppResult<Page<HistoryEntry>> {
    row(conn, id, viewer, false)?;
    type Row = (
        Uuid,
        Option<String>,
        String,
        Option<Uuid>,
        Option<String>,
        DateTime<Utc>,
    );
    let rows: Vec<Row> = challenge_transitions::table
        .filter(challenge_transitions::challenge_id.eq(id))
        .order((challenge_transitions::created_at, challenge_transitions::id))
        .select((
            challenge_transitions::id,
            challenge_transitions::from_status,
            challenge_transitions::to_status,
            challenge_transitions::actor_id,
            challenge_transitions::note,
            challenge_transitions::created_at,
        ))
        .load(conn)?;
    let actors = users_by_id(conn, rows.iter().filter_map(|r| r.3))?;
    Ok(Page {
        items: rows
            .into_iter()
            .map(|(id, from, to, actor, note, at)| HistoryEntry {
                id,
                from: from.as_deref().and_then(ChallengeStatus::parse),
                to: status_of(&to),
                actor: actor.and_then(|a| actors.get(&a).cloned()),
                note,
                at,
            })
            .collect(),
        next_cursor: None,
    })
}

/// The upsert of a member's watch level on a challenge.
pub const UPSERT_LEVEL: &str = "INSERT INTO challenge_subscriptions (user_id, challenge_id, level) \
     VALUES ($1, $2, $3) ON CONFLICT (user_id, challenge_id) \
     DO UPDATE SET level = EXCLUDED.level, updated_at = now()";

/// Supports (`on`) or stops supporting a challenge; idempotent. Supporting also follows it
/// (`watching`) unless the member chose a level.
pub fn support(
    conn: &mut PgConnection,
    actor: &Actor,
    id: Uuid,
    on: bool,
) -> AppResult<SupportState> {
    actor.require_writer()?;
    db::atomic(conn, |conn| {
        let c = row(conn, id, Some(actor), true)?;
        if !c.status().takes_supports() {
            return Err(AppError::conflict(
                None,
                format!(
                    "A challenge that is {} takes no supports (only while submitted, under review or open).",
                    c.status
                ),
            ));
        }
        let changed = if on {
            diesel::insert_into(challenge_supports::table)
                .values((
                    challenge_supports::challenge_id.eq(id),
                    challenge_supports::user_id.eq(actor.id),
                ))
                .on_conflict_do_nothing()
                .execute(conn)?
        } else {
            diesel::delete(challenge_supports::table.find((id, actor.id))).execute(conn)?
        };
        // Only a change counts, and only a change is activity: repeating a support moves nothing.
        let count: i32 = if changed == 1 {
            diesel::update(challenges::table.find(id))
                .set((
                    challenges::supports_count
                        .eq(challenges::supports_count + if on { 1 } else { -1 }),
                    challenges::last_activity_at.eq(Utc::now()),
                ))
                .returning(challenges::supports_count)
                .get_result(conn)?
        } else {
            challenges::table
                .find(id)
                .select(challenges::supports_count)
                .first(conn)?
        };
        if on && changed == 1 {
            fixed::<Integer>(
                "INSERT INTO challenge_subscriptions (user_id, challenge_id, level) VALUES (",
            )
            .bind::<SqlUuid, _>(actor.id)
            .sql(", ")
            .bind::<SqlUuid, _>(id)
            .sql(", 'watching') ON CONFLICT DO NOTHING")
            .execute(conn)?;
        }
        Ok(SupportState {
            supported: on,
            supports_count: count,
        })
    })
}

/// Sets the caller's watch level on a challenge.
pub fn subscribe(
    conn: &mut PgConnection,
    actor: &Actor,
    id: Uuid,
    level: WatchLevel,
) -> AppResult<()> {
    row(conn, id, Some(actor), false)?;
    upsert_level(conn, UPSERT_LEVEL, actor.id, id, level)?;
    Ok(())
}

/// Open challenges matching an organisation's themes and territories, newest first.
pub fn matching(
    conn: &mut PgConnection,
    organisation: Uuid,
    paging: &PageQuery,
    viewer: Option<&Actor>,
) -> AppResult<Page<ChallengeItem>> {
    let limit = paging.limit()?;
    let after: Option<Cursor> = paging.after()?;
    if matches!(after, Some(Cursor::Count(..))) {
        return Err(AppError::validation("cursor", "This cursor is not valid."));
    }
    let (themes, territories_, scope): (Vec<String>, Vec<String>, Vec<String>) =
        organisations::table
            .find(organisation)
            .select((
                organisations::themes,
                organisations::territories,
                organisations::territory_scope,
            ))
            .first(conn)?;
    let select = Select {
        matching: Some((themes, territories_, scope)),
        after,
        limit: limit + 1,
        ..Default::default()
    };
    let items = load(conn, &select, viewer)?;
    Ok(Page::from_rows(
        items,
        limit,
        |c| cursor_of(ChallengeSort::Newest, c),
        |c| c,
    ))
}
