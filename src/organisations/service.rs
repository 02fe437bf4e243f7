//! Organisations and their members: create, read, update, list, membership, personal data.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text, Uuid as SqlUuid};
use uuid::Uuid;

use super::types::*;
use crate::accounts::auth::Actor;
use crate::accounts::domain::OrganisationName;
use crate::accounts::models::lower;
use crate::accounts::view::{USER_COLUMNS, UserCols, user};
use crate::db::fixed::fixed;
use crate::error::{AppError, AppResult};
use crate::input::{Errors, web_address};
use crate::pagination::{Page, PageQuery};
use crate::schema::{organisation_members, organisations, users};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = organisations)]
struct OrgRow {
    id: Uuid,
    name: String,
    kind: String,
    website: Option<String>,
    description: String,
    member_count: i32,
    themes: Vec<String>,
    territories: Vec<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// Organisations with their themes and territories named: two look-ups for the whole list.
fn organisations_of(conn: &mut PgConnection, rows: Vec<OrgRow>) -> AppResult<Vec<Organisation>> {
    let mut slugs: Vec<String> = rows.iter().flat_map(|r| r.themes.clone()).collect();
    slugs.sort();
    slugs.dedup();
    let mut ids: Vec<String> = rows.iter().flat_map(|r| r.territories.clone()).collect();
    ids.sort();
    ids.dedup();
    let themes = crate::taxonomy::service::theme_refs(conn, &slugs)?;
    let territories = crate::taxonomy::territories_by_id(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(|r| Organisation {
            id: r.id,
            name: r.name,
            kind: OrganisationKind::parse(&r.kind),
            website: r.website,
            description: r.description,
            member_count: r.member_count,
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
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
        .collect())
}

/// The fields of a create or an update, parsed: the name trimmed.
struct Fields {
    name: Option<String>,
}

fn parse_fields(
    name: Option<&str>,
    website: Option<&str>,
    description: Option<&str>,
) -> AppResult<Fields> {
    let mut errors = Errors::new();
    let name = errors
        .check_opt("name", name, OrganisationName::parse)
        .map(OrganisationName::into_inner);
    errors.check_opt("website", website, web_address);
    errors.check_opt("description", description, |d| {
        crate::input::free_text(d, 5000)
    });
    errors.finish()?;
    Ok(Fields { name })
}

fn member_role(conn: &mut PgConnection, org: Uuid, user: Uuid) -> AppResult<Option<String>> {
    Ok(organisation_members::table
        .find((org, user))
        .select(organisation_members::role)
        .first(conn)
        .optional()?)
}

/// Whether `user` belongs to organisation `org` (any role).
pub fn is_member(conn: &mut PgConnection, org: Uuid, user: Uuid) -> AppResult<bool> {
    Ok(member_role(conn, org, user)?.is_some())
}

/// 404 unless the organisation exists.
pub fn exists(conn: &mut PgConnection, id: Uuid) -> AppResult<()> {
    organisations::table
        .find(id)
        .select(organisations::id)
        .first::<Uuid>(conn)?;
    Ok(())
}

/// Locks the organisation's row for the rest of the transaction: membership changes of one
/// organisation run one after the other, so two admins demoting each other at the same moment cannot
/// both succeed (the second sees the first's change). 404 unless it exists.
fn lock(conn: &mut PgConnection, id: Uuid) -> AppResult<()> {
    organisations::table
        .find(id)
        .select(organisations::id)
        .for_update()
        .first::<Uuid>(conn)?;
    Ok(())
}

/// Organisation admins and site administrators manage an organisation.
fn require_manager(conn: &mut PgConnection, org: Uuid, actor: &Actor) -> AppResult<()> {
    actor.require_writer()?;
    if actor.is_admin() || member_role(conn, org, actor.id)?.as_deref() == Some("admin") {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "Only this organisation's admins may do this.".into(),
        ))
    }
}

/// An organisation with its members.
pub fn detail(conn: &mut PgConnection, id: Uuid) -> AppResult<OrganisationDetail> {
    let row: OrgRow = organisations::table
        .find(id)
        .select(OrgRow::as_select())
        .first(conn)?;
    let members: Vec<(UserCols, String, DateTime<Utc>)> = organisation_members::table
        .inner_join(users::table)
        .filter(organisation_members::organisation_id.eq(id))
        .order((organisation_members::role.asc(), users::username.asc()))
        .select((
            USER_COLUMNS,
            organisation_members::role,
            organisation_members::created_at,
        ))
        .load(conn)?;
    Ok(OrganisationDetail {
        organisation: organisations_of(conn, vec![row])?.remove(0),
        members: members
            .into_iter()
            .map(|(u, role, since)| OrganisationMember {
                user: user(u),
                role: if role == "admin" {
                    MemberRole::Admin
                } else {
                    MemberRole::Member
                },
                since,
            })
            .collect(),
    })
}

/// Organisations by name, a page after the cursor.
pub fn list(conn: &mut PgConnection, paging: &PageQuery) -> AppResult<Page<Organisation>> {
    let limit = paging.limit()?;
    let after: Option<(String, Uuid)> = paging.after()?;
    let mut q = organisations::table
        .select(OrgRow::as_select())
        .into_boxed();
    if let Some((name, id)) = after {
        // A row-value comparison, so that the cursor is an index range.
        q = q.filter(
            fixed::<Bool>("(organisations.name, organisations.id) > (")
                .bind::<Text, _>(name)
                .sql(", ")
                .bind::<SqlUuid, _>(id)
                .sql(")"),
        );
    }
    let rows: Vec<OrgRow> = q
        .order((organisations::name.asc(), organisations::id.asc()))
        .limit(limit + 1)
        .load(conn)?;
    let Page { items, next_cursor } =
        Page::from_rows(rows, limit, |r| (r.name.clone(), r.id), |r| r);
    Ok(Page {
        items: organisations_of(conn, items)?,
        next_cursor,
    })
}

/// Creates an organisation; the creator becomes its admin.
pub fn create(
    conn: &mut PgConnection,
    actor: &Actor,
    input: &CreateOrganisation,
) -> AppResult<OrganisationDetail> {
    actor.require_writer()?;
    let name = parse_fields(
        Some(&input.name),
        input.website.as_deref(),
        input.description.as_deref(),
    )?
    .name
    .unwrap_or_default();
    let id = Uuid::now_v7();
    crate::db::atomic(conn, |conn| {
        diesel::insert_into(organisations::table)
            .values((
                organisations::id.eq(id),
                organisations::name.eq(&name),
                organisations::kind.eq(input.kind.as_str()),
                organisations::website.eq(&input.website),
                organisations::description.eq(input.description.clone().unwrap_or_default()),
                organisations::created_by.eq(actor.id),
                organisations::member_count.eq(1),
            ))
            .execute(conn)?;
        diesel::insert_into(organisation_members::table)
            .values((
                organisation_members::organisation_id.eq(id),
                organisation_members::user_id.eq(actor.id),
                organisation_members::role.eq("admin"),
            ))
            .execute(conn)?;
        detail(conn, id)
    })
}

/// Updates an organisation (its admins).
pub fn update(
    conn: &mut PgConnection,
    actor: &Actor,
    id: Uuid,
    input: UpdateOrganisation,
) -> AppResult<OrganisationDetail> {
    exists(conn, id)?;
    require_manager(conn, id, actor)?;
    let Fields { name } = parse_fields(
        input.name.as_deref(),
        input.website.as_deref(),
        input.description.as_deref(),
    )?;
    let themes = input
        .themes
        .as_deref()
        .map(|t| crate::taxonomy::parse_themes(conn, t, "themes", 0, 12))
        .transpose()?;
    let territories = input
        .territories
        .as_deref()
        .map(|t| crate::taxonomy::resolve_territories(conn, t, "territories", 50))
        .transpose()?;
    #[derive(AsChangeset)]
    #[diesel(table_name = organisations)]
    struct Changes {
        name: Option<String>,
        kind: Option<&'static str>,
        website: Option<String>,
        description: Option<String>,
        themes: Option<Vec<String>>,
        territories: Option<Vec<String>>,
        territory_scope: Option<Vec<String>>,
        updated_at: DateTime<Utc>,
    }
    diesel::update(organisations::table.find(id))
        .set(&Changes {
            name,
            kind: input.kind.map(OrganisationKind::as_str),
            website: input.website,
            description: input.description,
            themes,
            territory_scope: territories.as_deref().map(crate::taxonomy::scope_of),
            territories: territories.map(|t| t.into_iter().map(|t| t.id).collect()),
            updated_at: Utc::now(),
        })
        .execute(conn)?;
    detail(conn, id)
}

/// Adds a member or changes a member's role (the organisation's admins). `true` when added.
pub fn add_member(
    conn: &mut PgConnection,
    actor: &Actor,
    id: Uuid,
    input: &AddMember,
) -> AppResult<(bool, OrganisationDetail)> {
    exists(conn, id)?;
    require_manager(conn, id, actor)?;
    let user: Uuid = users::table
        .filter(lower(users::username).eq(input.username.to_lowercase()))
        .filter(users::erased_at.is_null())
        .select(users::id)
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::validation("username", "No member has this username."))?;
    crate::db::atomic(conn, |conn| {
        lock(conn, id)?;
        // Checked again under the lock: a concurrent change may have demoted the actor.
        require_manager(conn, id, actor)?;
        let created = match member_role(conn, id, user)? {
            None => {
                diesel::insert_into(organisation_members::table)
                    .values((
                        organisation_members::organisation_id.eq(id),
                        organisation_members::user_id.eq(user),
                        organisation_members::role.eq(input.role.as_str()),
                    ))
                    .execute(conn)?;
                diesel::update(organisations::table.find(id))
                    .set(organisations::member_count.eq(organisations::member_count + 1))
                    .execute(conn)?;
                true
            }
            Some(old) => {
                if old == "admin" && input.role == MemberRole::Member {
                    ensure_another_admin(conn, id, user)?;
                }
                diesel::update(organisation_members::table.find((id, user)))
                    .set(organisation_members::role.eq(input.role.as_str()))
                    .execute(conn)?;
                false
            }
        };
        Ok((created, detail(conn, id)?))
    })
}

fn ensure_another_admin(conn: &mut PgConnection, org: Uuid, leaving: Uuid) -> AppResult<()> {
    let others: i64 = organisation_members::table
        .filter(organisation_members::organisation_id.eq(org))
        .filter(organisation_members::role.eq("admin"))
        .filter(organisation_members::user_id.ne(leaving))
        .count()
        .get_result(conn)?;
    if others == 0 {
        return Err(AppError::conflict(
            Some("user_id"),
            "An organisation keeps at least one admin: name another admin first.",
        ));
    }
    Ok(())
}

/// Removes a member (the organisation's admins, or the member leaving).
pub fn remove_member(
    conn: &mut PgConnection,
    actor: &Actor,
    id: Uuid,
    user: Uuid,
) -> AppResult<()> {
    exists(conn, id)?;
    if user != actor.id {
        require_manager(conn, id, actor)?;
    }
    conn.transaction(|conn| {
        lock(conn, id)?;
        if user != actor.id {
            require_manager(conn, id, actor)?;
        }
        let role = member_role(conn, id, user)?.ok_or(AppError::NotFound)?;
        if role == "admin" {
            ensure_another_admin(conn, id, user)?;
        }
        diesel::delete(organisation_members::table.find((id, user))).execute(conn)?;
        diesel::update(organisations::table.find(id))
            .set(organisations::member_count.eq(organisations::member_count - 1))
            .execute(conn)?;
        Ok(())
    })
}

/// A member's memberships (personal-data export): the organisations, their role, since when.
pub fn export(conn: &mut PgConnection, user: Uuid) -> AppResult<serde_json::Value> {
    let memberships: Vec<(Uuid, String, String, DateTime<Utc>)> = organisation_members::table
        .inner_join(organisations::table)
        .filter(organisation_members::user_id.eq(user))
        .order(organisations::name)
        .select((
            organisations::id,
            organisations::name,
            organisation_members::role,
            organisation_members::created_at,
        ))
        .load(conn)?;
    crate::feature::section(
        memberships
            .into_iter()
            .map(|m| Membership {
                id: m.0,
                name: m.1,
                role: m.2,
                since: m.3,
            })
            .collect::<Vec<_>>(),
    )
}

/// The organisations' section of `GET /me/export`: your memberships.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct OrganisationsExport(#[schema(inline)] pub Vec<Membership>);

/// One organisation you belong to.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Membership {
    /// The organisation.
    pub id: Uuid,
    pub name: String,
    #[schema(value_type = super::types::MemberRole)]
    pub role: String,
    pub since: DateTime<Utc>,
}

/// Ends a member's memberships (erasure). Erasure never leaves an organisation without an admin:
/// where the member was its last admin, the oldest remaining member becomes admin and is notified;
/// an organisation left with no member at all is reported to the site's admins. Both are written to
/// `moderation_log` (no actor: the system did it).
pub fn erase(conn: &mut PgConnection, user: Uuid) -> AppResult<()> {
    // Lock the organisations first, in one order, as membership changes do (no deadlock with them).
    let _locked: Vec<Uuid> = organisations::table
        .filter(
            organisations::id.eq_any(
                organisation_members::table
                    .filter(organisation_members::user_id.eq(user))
                    .select(organisation_members::organisation_id),
            ),
        )
        .order(organisations::id)
        .select(organisations::id)
        .for_update()
        .load(conn)?;
    let left: Vec<(Uuid, String)> =
        diesel::delete(organisation_members::table.filter(organisation_members::user_id.eq(user)))
            .returning((
                organisation_members::organisation_id,
                organisation_members::role,
            ))
            .get_results(conn)?;
    let ids: Vec<Uuid> = left.iter().map(|(org, _)| *org).collect();
    diesel::update(organisations::table.filter(organisations::id.eq_any(&ids)))
        .set(organisations::member_count.eq(organisations::member_count - 1))
        .execute(conn)?;
    for (org, role) in left {
        if role == "admin" {
            keep_an_admin(conn, org, user)?;
        }
    }
    Ok(())
}

/// After `leaving` (an admin) was removed by erasure: hands the role to the oldest member when no
/// admin remains, or tells the site's admins the organisation has nobody left.
fn keep_an_admin(conn: &mut PgConnection, org: Uuid, leaving: Uuid) -> AppResult<()> {
    use crate::notifications::service::{Event, notify};
    use crate::schema::moderation_log;
    let admins: i64 = organisation_members::table
        .filter(organisation_members::organisation_id.eq(org))
        .filter(organisation_members::role.eq("admin"))
        .count()
        .get_result(conn)?;
    if admins > 0 {
        return Ok(());
    }
    let name: String = organisations::table
        .find(org)
        .select(organisations::name)
        .first(conn)?;
    let heir: Option<Uuid> = organisation_members::table
        .filter(organisation_members::organisation_id.eq(org))
        .order((
            organisation_members::created_at,
            organisation_members::user_id,
        ))
        .select(organisation_members::user_id)
        .first(conn)
        .optional()?;
    let (kind, recipients) = match heir {
        Some(heir) => {
            diesel::update(organisation_members::table.find((org, heir)))
                .set(organisation_members::role.eq("admin"))
                .execute(conn)?;
            ("organisation_admin_handed_over", vec![heir])
        }
        None => {
            let staff: Vec<Uuid> = users::table
                .filter(users::role.eq("admin"))
                .filter(users::erased_at.is_null())
                .select(users::id)
                .load(conn)?;
            ("organisation_without_members", staff)
        }
    };
    diesel::insert_into(moderation_log::table)
        .values((
            moderation_log::id.eq(Uuid::now_v7()),
            moderation_log::action.eq(kind),
            moderation_log::target_type.eq("organisation"),
            moderation_log::target_id.eq(org),
            moderation_log::reason.eq("The last admin erased their account."),
            moderation_log::details.eq(serde_json::json!({ "new_admin": heir })),
        ))
        .execute(conn)?;
    let event = Event {
        kind: kind.into(),
        actor: leaving,
        target_type: "organisation".into(),
        target_id: org,
        target_title: name,
        post_id: None,
        thread_id: None,
    };
    notify(conn, &event, &recipients)?;
    Ok(())
}
