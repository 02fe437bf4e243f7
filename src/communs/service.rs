//! Communs: create (administrators), read, list, edit (maintainers), members, partners, followers,
//! milestones and resources, and the personal data they keep.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text, Uuid as SqlUuid};
use uuid::Uuid;

use super::licences;
use super::types::*;
use crate::accounts::auth::Actor;
use crate::accounts::models::lower;
use crate::accounts::view::{USER_COLUMNS, UserCols, user};
use crate::db::fixed::fixed;
use crate::error::{AppError, AppResult};
use crate::input::{Errors, Slug, Title, free_text, one_line, web_address};
use crate::notifications::{WatchLevel, upsert_level};
use crate::pagination::{Page, PageQuery};
use crate::schema::{
    categories, challenges, commun_members, commun_partners, communs, milestones, organisations,
    resource_challenges, resources, users,
};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = communs)]
struct CommunRow {
    id: Uuid,
    slug: String,
    name: String,
    summary: String,
    description: String,
    description_html: String,
    website: Option<String>,
    repository: Option<String>,
    licence_policy: String,
    logo_url: Option<String>,
    themes: Vec<String>,
    territories: Vec<String>,
    status: String,
    cohort: Option<i16>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// Communs with their themes, territories, members and partners named: four look-ups for a whole
/// page.
fn communs_of(conn: &mut PgConnection, rows: Vec<CommunRow>) -> AppResult<Vec<Commun>> {
    let mut slugs: Vec<String> = rows.iter().flat_map(|r| r.themes.clone()).collect();
    slugs.sort();
    slugs.dedup();
    let mut ids: Vec<String> = rows.iter().flat_map(|r| r.territories.clone()).collect();
    ids.sort();
    ids.dedup();
    let themes = crate::taxonomy::service::theme_refs(conn, &slugs)?;
    let territories = crate::taxonomy::territories_by_id(conn, &ids)?;
    let communs: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let members: Vec<(Uuid, String, UserCols)> = commun_members::table
        .inner_join(users::table)
        .filter(commun_members::commun_id.eq_any(&communs))
        .order((commun_members::created_at, users::username))
        .select((
            commun_members::commun_id,
            commun_members::role,
            USER_COLUMNS,
        ))
        .load(conn)?;
    let partners: Vec<(Uuid, Uuid, String)> = commun_partners::table
        .inner_join(organisations::table)
        .filter(commun_partners::commun_id.eq_any(&communs))
        .order(organisations::name)
        .select((
            commun_partners::commun_id,
            organisations::id,
            organisations::name,
        ))
        .load(conn)?;
    let news: Vec<(Option<Uuid>, String)> = categories::table
        .filter(categories::commun_id.eq_any(&communs))
        .select((categories::commun_id, categories::slug))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let people = |role: &str| {
                members
                    .iter()
                    .filter(|(c, ro, _)| *c == r.id && ro == role)
                    .map(|(_, _, u)| user(u.clone()))
                    .collect()
            };
            Commun {
                id: r.id,
                maintainers: people("maintainer"),
                contributors: people("contributor"),
                partners: partners
                    .iter()
                    .filter(|(c, _, _)| *c == r.id)
                    .map(|(_, id, name)| CommunPartner {
                        id: *id,
                        name: name.clone(),
                    })
                    .collect(),
                themes: r
                    .themes
                    .iter()
                    .filter_map(|s| themes.iter().find(|t| &t.slug == s).cloned())
                    .collect(),
                territories: r
                    .territories
                    .iter()
                    .filter_map(|id| territories.iter().find(|t| &t.id == id).cloned())
                    .collect(),
                slug: r.slug,
                name: r.name,
                summary: r.summary,
                description: r.description,
                description_html: r.description_html,
                website: r.website,
                repository: r.repository,
                licence_policy: r.licence_policy,
                logo_url: r.logo_url,
                status: CommunStatus::parse(&r.status),
                cohort: r.cohort,
                news_category: news
                    .iter()
                    .find(|(c, _)| *c == Some(r.id))
                    .map(|(_, slug)| slug.clone()),
                created_at: r.created_at,
                updated_at: r.updated_at,
            }
        })
        .collect())
}

/// The commun of `slug` (or of that id: notifications name communs by id): its id (404 when there
/// is none).
pub fn id_of(conn: &mut PgConnection, slug: &str) -> AppResult<Uuid> {
    let by_id = Uuid::try_parse(slug).unwrap_or(Uuid::nil());
    communs::table
        .filter(communs::slug.eq(slug).or(communs::id.eq(by_id)))
        .order(communs::slug.ne(slug))
        .select(communs::id)
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound)
}

pub fn read(conn: &mut PgConnection, slug: &str) -> AppResult<Commun> {
    let id = id_of(conn, slug)?;
    let row: CommunRow = communs::table
        .find(id)
        .select(CommunRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound)?;
    Ok(communs_of(conn, vec![row])?.remove(0))
}

fn role_of(conn: &mut PgConnection, commun: Uuid, user: Uuid) -> AppResult<Option<String>> {
    Ok(commun_members::table
        .find((commun, user))
        .select(commun_members::role)
        .first(conn)
        .optional()?)
}

/// Whether `user` maintains `commun`.
pub fn is_maintainer(conn: &mut PgConnection, commun: Uuid, user: Uuid) -> AppResult<bool> {
    Ok(role_of(conn, commun, user)?.as_deref() == Some("maintainer"))
}

/// A commun's maintainers and the site's administrators manage it.
pub(super) fn require_maintainer(
    conn: &mut PgConnection,
    commun: Uuid,
    actor: &Actor,
) -> AppResult<()> {
    actor.require_writer()?;
    if actor.is_admin() || is_maintainer(conn, commun, actor.id)? {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "Only this commun's maintainers (or an administrator) may do this.".into(),
        ))
    }
}

/// Communs by name, filtered by theme, territory and status; keyset-paginated.
pub fn list(conn: &mut PgConnection, q: &CommunQuery) -> AppResult<Page<Commun>> {
    let paging = PageQuery {
        limit: q.limit,
        cursor: q.cursor.clone(),
    };
    let limit = paging.limit()?;
    let after: Option<(String, Uuid)> = paging.after()?;
    let mut query = communs::table.select(CommunRow::as_select()).into_boxed();
    if let Some(theme) = &q.theme {
        let theme = crate::taxonomy::service::existing_theme(conn, theme, "theme")?;
        query = query.filter(communs::themes.contains(vec![theme]));
    }
    if let Some(t) = &q.territory {
        let t = crate::taxonomy::resolve_territory(conn, t, "territory")?;
        query = query.filter(communs::territory_scope.contains(vec![t.id]));
    }
    if let Some(status) = q.status {
        query = query.filter(communs::status.eq(status.as_str()));
    }
    if let Some((name, id)) = after {
        query = query.filter(
            fixed::<Bool>("(communs.name, communs.id) > (")
                .bind::<Text, _>(name)
                .sql(", ")
                .bind::<SqlUuid, _>(id)
                .sql(")"),
        );
    }
    let rows: Vec<CommunRow> = query
        .order((communs::name.asc(), communs::id.asc()))
        .limit(limit + 1)
        .load(conn)?;
    let Page { items, next_cursor } =
        Page::from_rows(rows, limit, |r| (r.name.clone(), r.id), |r| r);
    Ok(Page {
        items: communs_of(conn, items)?,
        next_cursor,
    })
}

fn url_field(errors: &mut Errors, field: &str, value: Option<&str>) {
    errors.check_opt(field, value, web_address);
}

fn user_by_name(conn: &mut PgConnection, name: &str, field: &str) -> AppResult<Uuid> {
    users::table
        .filter(lower(users::username).eq(name.to_lowercase()))
        .filter(users::erased_at.is_null())
        .select(users::id)
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::validation(field, "No member has this username."))
}

/// Creates a commun (administrators); the named members become its maintainers.
pub fn create(conn: &mut PgConnection, actor: &Actor, input: &CreateCommun) -> AppResult<Commun> {
    actor.require_writer()?;
    actor.require_admin()?;
    let mut errors = Errors::new();
    let slug = errors.check("slug", Slug::parse(&input.slug, 60));
    errors.ensure(
        "slug",
        Uuid::try_parse(&input.slug).is_err(),
        "A slug is not an id: use words.",
    );
    let name = errors.check("name", one_line(&input.name, 2, 120));
    errors.check_opt("summary", input.summary.as_deref(), |s| free_text(s, 500));
    errors.check_opt("description", input.description.as_deref(), |s| {
        free_text(s, 20000)
    });
    errors.check_opt("licence_policy", input.licence_policy.as_deref(), |s| {
        free_text(s, 1000)
    });
    url_field(&mut errors, "website", input.website.as_deref());
    url_field(&mut errors, "repository", input.repository.as_deref());
    url_field(&mut errors, "logo_url", input.logo_url.as_deref());
    errors.ensure(
        "maintainers",
        input.maintainers.len() <= 20,
        "At most 20 maintainers.",
    );
    errors.ensure(
        "territories",
        input.territories.len() <= 20,
        "At most 20 territories.",
    );
    errors.ensure("themes", input.themes.len() <= 5, "At most 5 themes.");
    if let Some(c) = input.cohort {
        errors.ensure(
            "cohort",
            (2000..=2100).contains(&c),
            "A year, 2000 to 2100.",
        );
    }
    errors.finish()?;
    let themes = crate::taxonomy::parse_themes(conn, &input.themes, "themes", 0, 5)?;
    let territories =
        crate::taxonomy::resolve_territories(conn, &input.territories, "territories", 20)?;
    let mut maintainers = Vec::new();
    for m in &input.maintainers {
        let id = user_by_name(conn, m, "maintainers")?;
        if !maintainers.contains(&id) {
            maintainers.push(id);
        }
    }
    let description = input.description.clone().unwrap_or_default();
    let slug = slug.expect("checked").into_inner();
    crate::db::atomic(conn, |conn| {
        let id = Uuid::now_v7();
        let inserted = diesel::insert_into(communs::table)
            .values((
                communs::id.eq(id),
                communs::slug.eq(&slug),
                communs::name.eq(name.clone().expect("checked")),
                communs::summary.eq(input.summary.clone().unwrap_or_default().trim()),
                communs::description_html.eq(crate::markdown::render(&description)),
                communs::description.eq(&description),
                communs::website.eq(&input.website),
                communs::repository.eq(&input.repository),
                communs::licence_policy.eq(input.licence_policy.clone().unwrap_or_default()),
                communs::logo_url.eq(&input.logo_url),
                communs::themes.eq(&themes),
                communs::territory_scope.eq(crate::taxonomy::scope_of(&territories)),
                communs::territories
                    .eq(territories.iter().map(|t| t.id.clone()).collect::<Vec<_>>()),
                communs::status.eq(input.status.unwrap_or(CommunStatus::Incubating).as_str()),
                communs::cohort.eq(input.cohort),
                communs::created_by.eq(actor.id),
            ))
            .on_conflict_do_nothing()
            .execute(conn)?;
        if inserted == 0 {
            return Err(AppError::conflict(
                Some("slug"),
                "A commun already has this slug.",
            ));
        }
        for m in &maintainers {
            diesel::insert_into(commun_members::table)
                .values((
                    commun_members::commun_id.eq(id),
                    commun_members::user_id.eq(m),
                    commun_members::role.eq("maintainer"),
                ))
                .execute(conn)?;
        }
        super::news::create_category(conn, id, &slug, name.as_deref().expect("checked"))?;
        read(conn, &slug)
    })
}

/// Edits a commun (its maintainers, administrators).
pub fn update(
    conn: &mut PgConnection,
    actor: &Actor,
    slug: &str,
    input: UpdateCommun,
) -> AppResult<Commun> {
    let id = id_of(conn, slug)?;
    require_maintainer(conn, id, actor)?;
    let mut errors = Errors::new();
    let name = errors.check_opt("name", input.name.as_deref(), |n| one_line(n, 2, 120));
    errors.check_opt("summary", input.summary.as_deref(), |s| free_text(s, 500));
    errors.check_opt("description", input.description.as_deref(), |s| {
        free_text(s, 20000)
    });
    errors.check_opt("licence_policy", input.licence_policy.as_deref(), |s| {
        free_text(s, 1000)
    });
    url_field(&mut errors, "website", input.website.as_deref());
    url_field(&mut errors, "repository", input.repository.as_deref());
    url_field(&mut errors, "logo_url", input.logo_url.as_deref());
    if let Some(c) = input.cohort {
        errors.ensure(
            "cohort",
            (2000..=2100).contains(&c),
            "A year, 2000 to 2100.",
        );
    }
    if let Some(p) = &input.partners {
        errors.ensure("partners", p.len() <= 50, "At most 50 partners.");
    }
    if let Some(t) = &input.themes {
        errors.ensure("themes", t.len() <= 5, "At most 5 themes.");
    }
    errors.finish()?;
    let themes = input
        .themes
        .as_deref()
        .map(|t| crate::taxonomy::parse_themes(conn, t, "themes", 0, 5))
        .transpose()?;
    let territories = input
        .territories
        .as_deref()
        .map(|t| crate::taxonomy::resolve_territories(conn, t, "territories", 20))
        .transpose()?;
    let partners = match &input.partners {
        Some(p) => {
            let mut p = p.clone();
            p.sort();
            p.dedup();
            let found: i64 = organisations::table
                .filter(organisations::id.eq_any(&p))
                .count()
                .get_result(conn)?;
            if found != p.len() as i64 {
                return Err(AppError::validation(
                    "partners",
                    "No organisation has one of these ids.",
                ));
            }
            Some(p)
        }
        None => None,
    };
    #[derive(AsChangeset)]
    #[diesel(table_name = communs)]
    struct Changes {
        name: Option<String>,
        summary: Option<String>,
        description: Option<String>,
        description_html: Option<String>,
        website: Option<String>,
        repository: Option<String>,
        licence_policy: Option<String>,
        logo_url: Option<String>,
        themes: Option<Vec<String>>,
        territories: Option<Vec<String>>,
        territory_scope: Option<Vec<String>>,
        status: Option<&'static str>,
        cohort: Option<i16>,
        updated_at: DateTime<Utc>,
    }
    crate::db::atomic(conn, |conn| {
        diesel::update(communs::table.find(id))
            .set(&Changes {
                name: name.clone(),
                summary: input.summary.as_deref().map(|s| s.trim().to_string()),
                description_html: input.description.as_deref().map(crate::markdown::render),
                description: input.description.clone(),
                website: input.website.clone(),
                repository: input.repository.clone(),
                licence_policy: input.licence_policy.clone(),
                logo_url: input.logo_url.clone(),
                themes: themes.clone(),
                territory_scope: territories.as_deref().map(crate::taxonomy::scope_of),
                territories: territories
                    .as_ref()
                    .map(|t| t.iter().map(|t| t.id.clone()).collect()),
                status: input.status.map(CommunStatus::as_str),
                cohort: input.cohort,
                updated_at: Utc::now(),
            })
            .execute(conn)?;
        if let Some(name) = &name {
            crate::discussions::categories::rename_owned(conn, id, name)?;
        }
        if let Some(p) = &partners {
            diesel::delete(commun_partners::table.filter(commun_partners::commun_id.eq(id)))
                .execute(conn)?;
            for org in p {
                diesel::insert_into(commun_partners::table)
                    .values((
                        commun_partners::commun_id.eq(id),
                        commun_partners::organisation_id.eq(org),
                    ))
                    .execute(conn)?;
            }
        }
        read(conn, slug)
    })
}

/// Locks the commun's row: membership changes of one commun run one after the other (two
/// maintainers removing each other cannot both succeed).
fn lock(conn: &mut PgConnection, id: Uuid) -> AppResult<()> {
    communs::table
        .find(id)
        .select(communs::id)
        .for_update()
        .first::<Uuid>(conn)?;
    Ok(())
}

fn ensure_another_maintainer(
    conn: &mut PgConnection,
    commun: Uuid,
    leaving: Uuid,
) -> AppResult<()> {
    let others: i64 = commun_members::table
        .filter(commun_members::commun_id.eq(commun))
        .filter(commun_members::role.eq("maintainer"))
        .filter(commun_members::user_id.ne(leaving))
        .count()
        .get_result(conn)?;
    if others == 0 {
        return Err(AppError::conflict(
            Some("user_id"),
            "A commun keeps at least one maintainer: name another maintainer first.",
        ));
    }
    Ok(())
}

/// Adds a member or changes a member's role (maintainers, administrators). `true` when added.
pub fn add_member(
    conn: &mut PgConnection,
    actor: &Actor,
    slug: &str,
    input: &AddCommunMember,
) -> AppResult<(bool, Commun)> {
    let id = id_of(conn, slug)?;
    require_maintainer(conn, id, actor)?;
    let member = user_by_name(conn, &input.username, "username")?;
    crate::db::atomic(conn, |conn| {
        lock(conn, id)?;
        require_maintainer(conn, id, actor)?;
        let added = match role_of(conn, id, member)? {
            None => {
                diesel::insert_into(commun_members::table)
                    .values((
                        commun_members::commun_id.eq(id),
                        commun_members::user_id.eq(member),
                        commun_members::role.eq(input.role.as_str()),
                    ))
                    .execute(conn)?;
                true
            }
            Some(old) => {
                if old == "maintainer" && input.role == CommunRole::Contributor {
                    ensure_another_maintainer(conn, id, member)?;
                }
                diesel::update(commun_members::table.find((id, member)))
                    .set(commun_members::role.eq(input.role.as_str()))
                    .execute(conn)?;
                false
            }
        };
        Ok((added, read(conn, slug)?))
    })
}

/// Removes a member (maintainers, administrators, or the member leaving).
pub fn remove_member(
    conn: &mut PgConnection,
    actor: &Actor,
    slug: &str,
    member: Uuid,
) -> AppResult<()> {
    let id = id_of(conn, slug)?;
    if member != actor.id {
        require_maintainer(conn, id, actor)?;
    }
    conn.transaction(|conn| {
        lock(conn, id)?;
        let role = role_of(conn, id, member)?.ok_or(AppError::NotFound)?;
        if role == "maintainer" {
            ensure_another_maintainer(conn, id, member)?;
        }
        diesel::delete(commun_members::table.find((id, member))).execute(conn)?;
        Ok(())
    })
}

pub const UPSERT_LEVEL: &str = "INSERT INTO commun_subscriptions (user_id, commun_id, level) \
     VALUES ($1, $2, $3) ON CONFLICT (user_id, commun_id) \
     DO UPDATE SET level = EXCLUDED.level, updated_at = now()";

/// Follows a commun at `level`.
pub fn subscribe(
    conn: &mut PgConnection,
    actor: &Actor,
    slug: &str,
    level: WatchLevel,
) -> AppResult<()> {
    let id = id_of(conn, slug)?;
    upsert_level(conn, UPSERT_LEVEL, actor.id, id, level)?;
    Ok(())
}

/// Tells the commun's watching followers (never the actor) of `kind` about `title`: the target is
/// the commun, or `news` — a news thread and its opening post (who already heard of that post, as a
/// watcher of the category, is not told twice).
pub(super) fn tell_followers(
    conn: &mut PgConnection,
    actor: &Actor,
    commun: Uuid,
    kind: &str,
    title: String,
    news: Option<(Uuid, Uuid)>,
) -> AppResult<()> {
    use crate::notifications::service::{Event, notify};
    use crate::schema::commun_subscriptions;
    let followers: Vec<Uuid> = commun_subscriptions::table
        .filter(commun_subscriptions::commun_id.eq(commun))
        .filter(commun_subscriptions::level.eq("watching"))
        .select(commun_subscriptions::user_id)
        .load(conn)?;
    let name: String = communs::table
        .find(commun)
        .select(communs::name)
        .first(conn)?;
    let event = Event {
        kind: kind.into(),
        actor: actor.id,
        target_type: if news.is_some() { "thread" } else { "commun" }.into(),
        target_id: news.map_or(commun, |n| n.0),
        target_title: format!("{name} — {title}"),
        post_id: news.map(|n| n.1),
        thread_id: news.map(|n| n.0),
    };
    notify(conn, &event, &followers)?;
    Ok(())
}

// ---- milestones ------------------------------------------------------------------------------------

type MilestoneRow = (
    Uuid,
    String,
    String,
    String,
    Option<NaiveDate>,
    Option<NaiveDate>,
    DateTime<Utc>,
    DateTime<Utc>,
);

const MILESTONE_COLUMNS: (
    milestones::id,
    milestones::title,
    milestones::description,
    milestones::description_html,
    milestones::planned_on,
    milestones::done_on,
    milestones::created_at,
    milestones::updated_at,
) = (
    milestones::id,
    milestones::title,
    milestones::description,
    milestones::description_html,
    milestones::planned_on,
    milestones::done_on,
    milestones::created_at,
    milestones::updated_at,
);

fn milestone(slug: &str, r: MilestoneRow) -> Milestone {
    Milestone {
        id: r.0,
        commun: slug.to_string(),
        title: r.1,
        description: r.2,
        description_html: r.3,
        planned_on: r.4,
        done_on: r.5,
        created_at: r.6,
        updated_at: r.7,
    }
}

/// Milestone dates: a plausible year, and a milestone is not reached in the future.
fn check_dates(errors: &mut Errors, planned: Option<NaiveDate>, done: Option<NaiveDate>) {
    use chrono::Datelike;
    for (field, d) in [("planned_on", planned), ("done_on", done)] {
        if let Some(d) = d {
            errors.ensure(
                field,
                (2000..=2100).contains(&d.year()),
                "A date from 2000 to 2100.",
            );
        }
    }
    if let Some(d) = done {
        errors.ensure(
            "done_on",
            d <= Utc::now().date_naive() + chrono::Duration::days(1),
            "A milestone is reached on a past date (or today).",
        );
    }
}

/// A commun's milestones, by planned date (undated last).
pub fn milestones_of(conn: &mut PgConnection, slug: &str) -> AppResult<Vec<Milestone>> {
    let id = id_of(conn, slug)?;
    let rows: Vec<MilestoneRow> = milestones::table
        .filter(milestones::commun_id.eq(id))
        .order((
            milestones::planned_on.asc().nulls_last(),
            milestones::created_at,
            milestones::id,
        ))
        .limit(500)
        .select(MILESTONE_COLUMNS)
        .load(conn)?;
    Ok(rows.into_iter().map(|r| milestone(slug, r)).collect())
}

pub fn create_milestone(
    conn: &mut PgConnection,
    actor: &Actor,
    slug: &str,
    input: &NewMilestone,
) -> AppResult<Milestone> {
    let id = id_of(conn, slug)?;
    require_maintainer(conn, id, actor)?;
    let mut errors = Errors::new();
    let title = errors.check("title", Title::parse(&input.title));
    errors.check_opt("description", input.description.as_deref(), |s| {
        free_text(s, 5000)
    });
    check_dates(&mut errors, input.planned_on, input.done_on);
    errors.finish()?;
    let description = input.description.clone().unwrap_or_default();
    let mid = Uuid::now_v7();
    crate::db::atomic(conn, |conn| {
        let row: MilestoneRow = diesel::insert_into(milestones::table)
            .values((
                milestones::id.eq(mid),
                milestones::commun_id.eq(id),
                milestones::title.eq(title.expect("checked").into_inner()),
                milestones::description_html.eq(crate::markdown::render(&description)),
                milestones::description.eq(&description),
                milestones::planned_on.eq(input.planned_on),
                milestones::done_on.eq(input.done_on),
                milestones::reached_at.eq(input.done_on.map(|_| Utc::now())),
                milestones::created_by.eq(actor.id),
            ))
            .returning(MILESTONE_COLUMNS)
            .get_result(conn)?;
        if row.5.is_some() {
            tell_followers(conn, actor, id, "commun_milestone", row.1.clone(), None)?;
        }
        Ok(milestone(slug, row))
    })
}

pub fn update_milestone(
    conn: &mut PgConnection,
    actor: &Actor,
    slug: &str,
    milestone_id: Uuid,
    input: UpdateMilestone,
) -> AppResult<Milestone> {
    let id = id_of(conn, slug)?;
    let was_done: Option<Option<NaiveDate>> = milestones::table
        .find(milestone_id)
        .filter(milestones::commun_id.eq(id))
        .select(milestones::done_on)
        .first(conn)
        .optional()?;
    let was_done = was_done.ok_or(AppError::NotFound)?;
    require_maintainer(conn, id, actor)?;
    let mut errors = Errors::new();
    let title = errors.check_opt("title", input.title.as_deref(), Title::parse);
    errors.check_opt("description", input.description.as_deref(), |s| {
        free_text(s, 5000)
    });
    check_dates(
        &mut errors,
        input.planned_on.flatten(),
        input.done_on.flatten(),
    );
    errors.finish()?;
    #[derive(AsChangeset)]
    #[diesel(table_name = milestones)]
    struct Changes {
        title: Option<String>,
        description: Option<String>,
        description_html: Option<String>,
        planned_on: Option<Option<NaiveDate>>,
        done_on: Option<Option<NaiveDate>>,
        reached_at: Option<Option<DateTime<Utc>>>,
        updated_at: DateTime<Utc>,
    }
    // Reached now, or not reached any more; a new date for a milestone reached keeps its time.
    let reached_at = match input.done_on {
        Some(Some(_)) if was_done.is_none() => Some(Some(Utc::now())),
        Some(None) => Some(None),
        _ => None,
    };
    crate::db::atomic(conn, |conn| {
        let row: MilestoneRow = diesel::update(milestones::table.find(milestone_id))
            .set(&Changes {
                title: title.clone().map(Title::into_inner),
                description_html: input.description.as_deref().map(crate::markdown::render),
                description: input.description.clone(),
                planned_on: input.planned_on,
                done_on: input.done_on,
                reached_at,
                updated_at: Utc::now(),
            })
            .returning(MILESTONE_COLUMNS)
            .get_result(conn)?;
        // Reached now (it was not): the followers hear of it.
        if was_done.is_none() && row.5.is_some() {
            tell_followers(conn, actor, id, "commun_milestone", row.1.clone(), None)?;
        }
        Ok(milestone(slug, row))
    })
}

// ---- resources -------------------------------------------------------------------------------------

/// A well-formed `https` address.
fn https_address(value: &str) -> Result<(), String> {
    if value.starts_with("https://") && web_address(value).is_ok() {
        Ok(())
    } else {
        Err("A well-formed https:// address (ASCII, no spaces).".into())
    }
}

type ResourceRow = (
    Uuid,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    DateTime<Utc>,
    DateTime<Utc>,
);

fn resources_by(
    conn: &mut PgConnection,
    filter: impl FnOnce(
        resources::BoxedQuery<'static, diesel::pg::Pg>,
    ) -> resources::BoxedQuery<'static, diesel::pg::Pg>,
) -> AppResult<Vec<Resource>> {
    let q = filter(resources::table.into_boxed());
    let rows: Vec<ResourceRow> = q
        .inner_join(communs::table)
        .order((resources::created_at.desc(), resources::id.desc()))
        .limit(500)
        .select((
            resources::id,
            resources::kind,
            resources::title,
            resources::url,
            resources::licence,
            resources::description,
            resources::description_html,
            communs::slug,
            communs::name,
            resources::created_at,
            resources::updated_at,
        ))
        .load(conn)?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.0).collect();
    let links: Vec<(Uuid, Uuid)> = resource_challenges::table
        .inner_join(challenges::table)
        .filter(resource_challenges::resource_id.eq_any(&ids))
        .filter(challenges::thread_id.is_not_null())
        .filter(challenges::hidden_at.is_null())
        .order(resource_challenges::challenge_id)
        .select((
            resource_challenges::resource_id,
            resource_challenges::challenge_id,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| Resource {
            challenges: links
                .iter()
                .filter(|(res, _)| *res == r.0)
                .map(|(_, c)| *c)
                .collect(),
            id: r.0,
            kind: ResourceKind::parse(&r.1),
            title: r.2,
            url: r.3,
            licence: r.4,
            description: r.5,
            description_html: r.6,
            commun: CommunName {
                slug: r.7,
                name: r.8,
            },
            created_at: r.9,
            updated_at: r.10,
        })
        .collect())
}

/// A commun's resources, newest first.
pub fn resources_of(conn: &mut PgConnection, slug: &str) -> AppResult<Vec<Resource>> {
    let id = id_of(conn, slug)?;
    resources_by(conn, |q| q.filter(resources::commun_id.eq(id)))
}

/// One resource (404 when there is none).
pub fn one_resource(conn: &mut PgConnection, id: Uuid) -> AppResult<Resource> {
    resources_by(conn, |q| q.filter(resources::id.eq(id)))?
        .pop()
        .ok_or(AppError::NotFound)
}

/// Public challenges among `ids` (422 on `challenges` naming any other).
fn public_challenges(conn: &mut PgConnection, ids: &[Uuid]) -> AppResult<Vec<Uuid>> {
    let mut ids = ids.to_vec();
    ids.sort();
    ids.dedup();
    let found: Vec<Uuid> = challenges::table
        .filter(challenges::id.eq_any(&ids))
        .filter(challenges::thread_id.is_not_null())
        .filter(challenges::hidden_at.is_null())
        .select(challenges::id)
        .load(conn)?;
    if found.len() != ids.len() {
        return Err(AppError::validation(
            "challenges",
            "No public challenge has one of these ids.",
        ));
    }
    Ok(ids)
}

fn link_challenges(conn: &mut PgConnection, resource: Uuid, ids: &[Uuid]) -> AppResult<()> {
    diesel::delete(
        resource_challenges::table.filter(resource_challenges::resource_id.eq(resource)),
    )
    .execute(conn)?;
    for c in ids {
        diesel::insert_into(resource_challenges::table)
            .values((
                resource_challenges::resource_id.eq(resource),
                resource_challenges::challenge_id.eq(c),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn create_resource(
    conn: &mut PgConnection,
    actor: &Actor,
    slug: &str,
    input: &NewResource,
) -> AppResult<Resource> {
    let commun = id_of(conn, slug)?;
    require_maintainer(conn, commun, actor)?;
    let mut errors = Errors::new();
    let title = errors.check("title", Title::parse(&input.title));
    errors.check("url", https_address(&input.url));
    let licence = errors.check("licence", licences::parse(&input.licence));
    errors.check_opt("description", input.description.as_deref(), |s| {
        free_text(s, 5000)
    });
    errors.ensure(
        "challenges",
        input.challenges.len() <= 20,
        "At most 20 challenges.",
    );
    errors.finish()?;
    let challenges = public_challenges(conn, &input.challenges)?;
    let description = input.description.clone().unwrap_or_default();
    let id = Uuid::now_v7();
    crate::db::atomic(conn, |conn| {
        diesel::insert_into(resources::table)
            .values((
                resources::id.eq(id),
                resources::commun_id.eq(commun),
                resources::kind.eq(input.kind.as_str()),
                resources::title.eq(title.clone().expect("checked").into_inner()),
                resources::url.eq(&input.url),
                resources::licence.eq(licence.expect("checked")),
                resources::description_html.eq(crate::markdown::render(&description)),
                resources::description.eq(&description),
                resources::created_by.eq(actor.id),
            ))
            .execute(conn)?;
        link_challenges(conn, id, &challenges)?;
        let r = one_resource(conn, id)?;
        tell_followers(
            conn,
            actor,
            commun,
            "commun_resource",
            r.title.clone(),
            None,
        )?;
        Ok(r)
    })
}

pub fn update_resource(
    conn: &mut PgConnection,
    actor: &Actor,
    id: Uuid,
    input: UpdateResource,
) -> AppResult<Resource> {
    let commun: Uuid = resources::table
        .find(id)
        .select(resources::commun_id)
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound)?;
    require_maintainer(conn, commun, actor)?;
    let mut errors = Errors::new();
    let title = errors.check_opt("title", input.title.as_deref(), Title::parse);
    errors.check_opt("url", input.url.as_deref(), https_address);
    let licence = errors.check_opt("licence", input.licence.as_deref(), licences::parse);
    errors.check_opt("description", input.description.as_deref(), |s| {
        free_text(s, 5000)
    });
    if let Some(c) = &input.challenges {
        errors.ensure("challenges", c.len() <= 20, "At most 20 challenges.");
    }
    errors.finish()?;
    let challenges = input
        .challenges
        .as_deref()
        .map(|c| public_challenges(conn, c))
        .transpose()?;
    #[derive(AsChangeset)]
    #[diesel(table_name = resources)]
    struct Changes {
        kind: Option<&'static str>,
        title: Option<String>,
        url: Option<String>,
        licence: Option<&'static str>,
        description: Option<String>,
        description_html: Option<String>,
        updated_at: DateTime<Utc>,
    }
    crate::db::atomic(conn, |conn| {
        diesel::update(resources::table.find(id))
            .set(&Changes {
                kind: input.kind.map(ResourceKind::as_str),
                title: title.clone().map(Title::into_inner),
                url: input.url.clone(),
                licence,
                description_html: input.description.as_deref().map(crate::markdown::render),
                description: input.description.clone(),
                updated_at: Utc::now(),
            })
            .execute(conn)?;
        if let Some(c) = &challenges {
            link_challenges(conn, id, c)?;
        }
        one_resource(conn, id)
    })
}

// ---- personal data ---------------------------------------------------------------------------------

/// The communs' section of `GET /me/export`: your memberships and the communs you follow.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct CommunsExport {
    pub memberships: Vec<CommunMembership>,
    pub following: Vec<FollowedCommun>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct CommunMembership {
    pub slug: String,
    pub name: String,
    pub role: CommunRole,
    pub since: DateTime<Utc>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct FollowedCommun {
    pub slug: String,
    pub level: WatchLevel,
}

pub fn export(conn: &mut PgConnection, user: Uuid) -> AppResult<serde_json::Value> {
    use crate::schema::commun_subscriptions;
    let memberships: Vec<(String, String, String, DateTime<Utc>)> = commun_members::table
        .inner_join(communs::table)
        .filter(commun_members::user_id.eq(user))
        .order(communs::name)
        .select((
            communs::slug,
            communs::name,
            commun_members::role,
            commun_members::created_at,
        ))
        .load(conn)?;
    let following: Vec<(String, String)> = commun_subscriptions::table
        .inner_join(communs::table.on(communs::id.eq(commun_subscriptions::commun_id)))
        .filter(commun_subscriptions::user_id.eq(user))
        .order(communs::slug)
        .select((communs::slug, commun_subscriptions::level))
        .load(conn)?;
    crate::feature::section(CommunsExport {
        memberships: memberships
            .into_iter()
            .map(|(slug, name, role, since)| CommunMembership {
                slug,
                name,
                role: if role == "maintainer" {
                    CommunRole::Maintainer
                } else {
                    CommunRole::Contributor
                },
                since,
            })
            .collect(),
        following: following
            .into_iter()
            .map(|(slug, level)| FollowedCommun {
                slug,
                level: WatchLevel::parse(&level),
            })
            .collect(),
    })
}

/// Ends a member's memberships and follows (erasure). What they published for a commun stays, as
/// the commun's (milestones and resources name no author publicly).
pub fn erase(conn: &mut PgConnection, user: Uuid) -> AppResult<()> {
    use crate::schema::commun_subscriptions;
    diesel::delete(commun_members::table.filter(commun_members::user_id.eq(user))).execute(conn)?;
    diesel::delete(commun_subscriptions::table.filter(commun_subscriptions::user_id.eq(user)))
        .execute(conn)?;
    Ok(())
}

// ---- challenges taken up, timeline -----------------------------------------------------------------

/// The communs taking challenge `id` up.
fn taken_up(conn: &mut PgConnection, id: Uuid) -> AppResult<TakenUp> {
    use crate::schema::challenge_communs;
    let rows: Vec<(String, String)> = challenge_communs::table
        .inner_join(communs::table)
        .filter(challenge_communs::challenge_id.eq(id))
        .order(communs::name)
        .select((communs::slug, communs::name))
        .load(conn)?;
    Ok(TakenUp {
        challenge_id: id,
        communs: rows
            .into_iter()
            .map(|(slug, name)| CommunName { slug, name })
            .collect(),
    })
}

/// Who may say that `commun` takes challenge `challenge` up: moderators, or a maintainer of the
/// commun who belongs to an organisation with a live pledge on the challenge. The challenge must
/// be public and in progress (or solved).
fn may_take_up(
    conn: &mut PgConnection,
    actor: &Actor,
    challenge: Uuid,
    commun: Uuid,
) -> AppResult<()> {
    use crate::schema::{organisation_members, pledges};
    actor.require_writer()?;
    let status: String = challenges::table
        .find(challenge)
        .filter(challenges::thread_id.is_not_null())
        .filter(challenges::hidden_at.is_null())
        .select(challenges::status)
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound)?;
    if !actor.is_staff() {
        let pledged: bool = diesel::select(diesel::dsl::exists(
            pledges::table
                .inner_join(
                    organisation_members::table
                        .on(organisation_members::organisation_id.eq(pledges::organisation_id)),
                )
                .filter(pledges::challenge_id.eq(challenge))
                .filter(pledges::status.eq_any(["offered", "accepted", "delivered"]))
                .filter(organisation_members::user_id.eq(actor.id)),
        ))
        .get_result(conn)?;
        if !(pledged && is_maintainer(conn, commun, actor.id)?) {
            return Err(AppError::Forbidden(
                "Moderators, or the commun's maintainers on a challenge their organisation pledged \
                 to, name the communs taking it up."
                    .into(),
            ));
        }
    }
    if !matches!(status.as_str(), "in_progress" | "solved") {
        return Err(AppError::conflict(
            Some("status"),
            "A commun takes a challenge up once it is in progress.",
        ));
    }
    Ok(())
}

/// `commun` takes challenge `id` up; `true` when it was not already.
pub fn take_up(
    conn: &mut PgConnection,
    actor: &Actor,
    id: Uuid,
    commun_slug: &str,
) -> AppResult<(bool, TakenUp)> {
    use crate::schema::challenge_communs;
    let commun = id_of(conn, commun_slug)
        .map_err(|_| AppError::validation("commun", "No commun has this slug."))?;
    may_take_up(conn, actor, id, commun)?;
    let added = diesel::insert_into(challenge_communs::table)
        .values((
            challenge_communs::challenge_id.eq(id),
            challenge_communs::commun_id.eq(commun),
            challenge_communs::added_by.eq(actor.id),
        ))
        .on_conflict_do_nothing()
        .execute(conn)?;
    Ok((added == 1, taken_up(conn, id)?))
}

/// `commun` no longer takes challenge `id` up (404 when it did not).
pub fn drop_take_up(
    conn: &mut PgConnection,
    actor: &Actor,
    id: Uuid,
    commun_slug: &str,
) -> AppResult<()> {
    use crate::schema::challenge_communs;
    let commun = id_of(conn, commun_slug)?;
    // Moderators undo a take-up whatever became of the challenge since (hidden, closed).
    if actor.is_staff() {
        actor.require_writer()?;
    } else {
        may_take_up(conn, actor, id, commun)?;
    }
    let n = diesel::delete(challenge_communs::table.find((id, commun))).execute(conn)?;
    if n == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// A commun's public timeline, newest first: milestones (reached, else planned), the challenges it
/// took up, the resources and the news it published.
pub fn timeline(conn: &mut PgConnection, slug: &str) -> AppResult<Vec<TimelineEntry>> {
    use crate::schema::challenge_communs;
    let id = id_of(conn, slug)?;
    let mut out: Vec<TimelineEntry> = Vec::new();
    type Dated = (
        Uuid,
        String,
        Option<NaiveDate>,
        Option<NaiveDate>,
        DateTime<Utc>,
    );
    let ms: Vec<Dated> = milestones::table
        .filter(milestones::commun_id.eq(id))
        .select((
            milestones::id,
            milestones::title,
            milestones::planned_on,
            milestones::done_on,
            milestones::created_at,
        ))
        .limit(500)
        .load(conn)?;
    for (mid, title, planned, done, created) in ms {
        out.push(TimelineEntry {
            kind: TimelineKind::Milestone,
            date: done.or(planned).unwrap_or(created.date_naive()),
            id: mid,
            title,
            state: if done.is_some() { "done" } else { "planned" }.into(),
        });
    }
    let cs: Vec<(Uuid, String, String, DateTime<Utc>)> = challenge_communs::table
        .inner_join(challenges::table)
        .filter(challenge_communs::commun_id.eq(id))
        .filter(challenges::hidden_at.is_null())
        .select((
            challenges::id,
            challenges::title,
            challenges::status,
            challenge_communs::created_at,
        ))
        .limit(500)
        .load(conn)?;
    for (cid, title, status, at) in cs {
        out.push(TimelineEntry {
            kind: TimelineKind::Challenge,
            date: at.date_naive(),
            id: cid,
            title,
            state: status,
        });
    }
    for r in resources_by(conn, |q| q.filter(resources::commun_id.eq(id)))? {
        out.push(TimelineEntry {
            kind: TimelineKind::Resource,
            date: r.created_at.date_naive(),
            id: r.id,
            title: r.title,
            state: r.kind.as_str().into(),
        });
    }
    let news: Vec<(Uuid, String, DateTime<Utc>)> = crate::schema::threads::table
        .inner_join(categories::table)
        .filter(categories::commun_id.eq(id))
        .filter(crate::schema::threads::kind.eq("news"))
        .filter(crate::schema::threads::hidden_at.is_null())
        .order(crate::schema::threads::created_at.desc())
        .select((
            crate::schema::threads::id,
            crate::schema::threads::title,
            crate::schema::threads::created_at,
        ))
        .limit(500)
        .load(conn)?;
    for (tid, title, at) in news {
        out.push(TimelineEntry {
            kind: TimelineKind::News,
            date: at.date_naive(),
            id: tid,
            title,
            state: "published".into(),
        });
    }
    out.sort_by(|a, b| b.date.cmp(&a.date).then(b.id.cmp(&a.id)));
    Ok(out)
}
