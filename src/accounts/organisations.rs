//! Organisations (public bodies, companies, associations, research labs) and their members. They are
//! what pledges to challenges later. The creator is the organisation's first admin.

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::auth::{Actor, Bearer};
use super::models::lower;
use super::types::UserPublic;
use crate::app::AppState;
use crate::db;
use crate::error::{AppError, AppResult, FieldError, Problem};
use crate::input::{one_line, web_address};
use crate::pagination::{Page, PageQuery};
use crate::schema::{organisation_members, organisations, users};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OrganisationKind {
    Public,
    Private,
    Association,
    Research,
}

impl OrganisationKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Private => "private",
            Self::Association => "association",
            Self::Research => "research",
        }
    }
    fn parse(s: &str) -> Self {
        match s {
            "public" => Self::Public,
            "private" => Self::Private,
            "research" => Self::Research,
            _ => Self::Association,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MemberRole {
    Admin,
    Member,
}

impl MemberRole {
    fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Member => "member",
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Organisation {
    pub id: Uuid,
    pub name: String,
    pub kind: OrganisationKind,
    pub website: Option<String>,
    pub description: String,
    pub member_count: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrganisationMember {
    pub user: UserPublic,
    pub role: MemberRole,
    pub since: DateTime<Utc>,
}

/// An organisation with its members.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrganisationDetail {
    #[serde(flatten)]
    pub organisation: Organisation,
    pub members: Vec<OrganisationMember>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrganisation {
    #[schema(
        min_length = 2,
        max_length = 120,
        pattern = "^[^\\x00-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x1F\\x7F-\\x9F]*$"
    )]
    pub name: String,
    pub kind: OrganisationKind,
    /// An http(s) URL.
    #[schema(max_length = 300, pattern = "^https?://[!-Z^-~]{4,}$")]
    pub website: Option<String>,
    #[schema(max_length = 5000)]
    pub description: Option<String>,
}

/// Fields to change; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrganisation {
    #[schema(
        min_length = 2,
        max_length = 120,
        pattern = "^[^\\x00-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x1F\\x7F-\\x9F]*$"
    )]
    pub name: Option<String>,
    pub kind: Option<OrganisationKind>,
    /// An http(s) URL.
    #[schema(max_length = 300, pattern = "^https?://[!-Z^-~]{4,}$")]
    pub website: Option<String>,
    #[schema(max_length = 5000)]
    pub description: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMember {
    /// The member to add (any case).
    #[schema(min_length = 3, max_length = 30, pattern = "^[A-Za-z0-9_-]{3,30}$")]
    pub username: String,
    pub role: MemberRole,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RemoveMember {
    /// The member to remove.
    pub user_id: Uuid,
}

type OrgRow = (
    Uuid,
    String,
    String,
    Option<String>,
    String,
    i32,
    DateTime<Utc>,
    DateTime<Utc>,
);

fn org_columns() -> (
    organisations::id,
    organisations::name,
    organisations::kind,
    organisations::website,
    organisations::description,
    organisations::member_count,
    organisations::created_at,
    organisations::updated_at,
) {
    (
        organisations::id,
        organisations::name,
        organisations::kind,
        organisations::website,
        organisations::description,
        organisations::member_count,
        organisations::created_at,
        organisations::updated_at,
    )
}

fn from_row(r: OrgRow) -> Organisation {
    Organisation {
        id: r.0,
        name: r.1,
        kind: OrganisationKind::parse(&r.2),
        website: r.3,
        description: r.4,
        member_count: r.5,
        created_at: r.6,
        updated_at: r.7,
    }
}

/// Checks the fields given; returns the name trimmed.
fn check_fields(
    name: Option<&str>,
    website: Option<&str>,
    description: Option<&str>,
) -> AppResult<Option<String>> {
    let mut errors = Vec::new();
    let name = match name.map(|n| one_line(n, 2, 120)) {
        Some(Ok(n)) => Some(n),
        Some(Err(m)) => {
            errors.push(FieldError::new("name", m));
            None
        }
        None => None,
    };
    if let Some(Err(m)) = website.map(web_address) {
        errors.push(FieldError::new("website", m));
    }
    if let Some(d) = description
        && d.chars().count() > 5000
    {
        errors.push(FieldError::new("description", "At most 5000 characters."));
    }
    if errors.is_empty() {
        Ok(name)
    } else {
        Err(AppError::Validation(errors))
    }
}

fn member_role(conn: &mut PgConnection, org: Uuid, user: Uuid) -> AppResult<Option<String>> {
    Ok(organisation_members::table
        .find((org, user))
        .select(organisation_members::role)
        .first(conn)
        .optional()?)
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

fn detail(conn: &mut PgConnection, id: Uuid) -> AppResult<OrganisationDetail> {
    let row: OrgRow = organisations::table
        .find(id)
        .select(org_columns())
        .first(conn)?;
    type MemberRow = (
        Uuid,
        String,
        String,
        String,
        DateTime<Utc>,
        String,
        DateTime<Utc>,
    );
    let members: Vec<MemberRow> = organisation_members::table
        .inner_join(users::table)
        .filter(organisation_members::organisation_id.eq(id))
        .order((organisation_members::role.asc(), users::username.asc()))
        .select((
            users::id,
            users::username,
            users::display_name,
            users::role,
            users::created_at,
            organisation_members::role,
            organisation_members::created_at,
        ))
        .load(conn)?;
    Ok(OrganisationDetail {
        organisation: from_row(row),
        members: members
            .into_iter()
            .map(|m| OrganisationMember {
                user: UserPublic {
                    id: m.0,
                    username: m.1,
                    display_name: m.2,
                    role: super::Role::parse(&m.3).unwrap_or(super::Role::Member),
                    created_at: m.4,
                },
                role: if m.5 == "admin" {
                    MemberRole::Admin
                } else {
                    MemberRole::Member
                },
                since: m.6,
            })
            .collect(),
    })
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(read)
        .service(update)
        .service(add_member)
        .service(remove_member);
}

/// Organisations, by name.
#[utoipa::path(
    operation_id = "list_organisations",
    tag = "organisations",
    security(()),
    params(PageQuery),
    responses(
        (status = 200, description = "A page of organisations", body = Page<Organisation>),
        (status = 400, description = "Malformed query", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid limit or cursor", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/organisations")]
pub async fn list(
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let limit = query.limit()?;
    let after: Option<(String, Uuid)> = query.after()?;
    let page = db::run(&state.pool, move |conn| {
        let mut q = organisations::table.select(org_columns()).into_boxed();
        if let Some((name, id)) = after {
            // A row-value comparison, so that the cursor is an index range.
            q = q.filter(
                diesel::dsl::sql::<diesel::sql_types::Bool>(
                    "(organisations.name, organisations.id) > (",
                )
                .bind::<diesel::sql_types::Text, _>(name)
                .sql(", ")
                .bind::<diesel::sql_types::Uuid, _>(id)
                .sql(")"),
            );
        }
        let rows: Vec<OrgRow> = q
            .order((organisations::name.asc(), organisations::id.asc()))
            .limit(limit + 1)
            .load(conn)?;
        Ok(Page::from_rows(
            rows,
            limit,
            |r| (r.1.clone(), r.0),
            from_row,
        ))
    })
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Create an organisation; the creator becomes its admin.
#[utoipa::path(
    operation_id = "create_organisation",
    tag = "organisations",
    security(("bearer" = [])),
    request_body = CreateOrganisation,
    responses(
        (status = 201, description = "Created", body = OrganisationDetail,
         headers(("Location" = String, description = "The organisation"))),
        (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Email not confirmed, silenced or suspended", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Name already taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/organisations")]
pub async fn create(
    state: web::Data<AppState>,
    bearer: Bearer,
    body: web::Json<CreateOrganisation>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let org = db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        actor.require_writer()?;
        let name = check_fields(
            Some(&body.name),
            body.website.as_deref(),
            body.description.as_deref(),
        )?
        .unwrap_or_default();
        let id = Uuid::now_v7();
        conn.transaction(|conn| {
            diesel::insert_into(organisations::table)
                .values((
                    organisations::id.eq(id),
                    organisations::name.eq(&name),
                    organisations::kind.eq(body.kind.as_str()),
                    organisations::website.eq(&body.website),
                    organisations::description.eq(body.description.unwrap_or_default()),
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
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/organisations/{}", org.organisation.id),
        ))
        .json(org))
}

/// An organisation with its members.
#[utoipa::path(
    operation_id = "read_organisation",
    tag = "organisations",
    security(()),
    params(("id" = Uuid, Path, description = "Organisation id")),
    responses(
        (status = 200, description = "The organisation", body = OrganisationDetail),
        (status = 404, description = "No such organisation", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/organisations/{id}")]
pub async fn read(state: web::Data<AppState>, path: web::Path<Uuid>) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let org = db::run(&state.pool, move |conn| detail(conn, id)).await?;
    Ok(HttpResponse::Ok().json(org))
}

/// Update an organisation (its admins).
#[utoipa::path(
    operation_id = "update_organisation",
    tag = "organisations",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Organisation id")),
    request_body = UpdateOrganisation,
    responses(
        (status = 200, description = "Updated", body = OrganisationDetail),
        (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin of this organisation", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such organisation", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Name already taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/organisations/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<Uuid>,
    body: web::Json<UpdateOrganisation>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let body = body.into_inner();
    let org = db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        organisations::table
            .find(id)
            .select(organisations::id)
            .first::<Uuid>(conn)?;
        require_manager(conn, id, &actor)?;
        let name = check_fields(
            body.name.as_deref(),
            body.website.as_deref(),
            body.description.as_deref(),
        )?;
        #[derive(AsChangeset)]
        #[diesel(table_name = organisations)]
        struct Changes {
            name: Option<String>,
            kind: Option<&'static str>,
            website: Option<String>,
            description: Option<String>,
            updated_at: DateTime<Utc>,
        }
        diesel::update(organisations::table.find(id))
            .set(&Changes {
                name,
                kind: body.kind.map(OrganisationKind::as_str),
                website: body.website,
                description: body.description,
                updated_at: Utc::now(),
            })
            .execute(conn)?;
        detail(conn, id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(org))
}

/// Add a member, or change a member's role (the organisation's admins).
#[utoipa::path(
    tag = "organisations",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Organisation id")),
    request_body = AddMember,
    responses(
        (status = 200, description = "The member's role changed", body = OrganisationDetail),
        (status = 201, description = "Member added", body = OrganisationDetail),
        (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin of this organisation", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such organisation", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The last admin cannot step down", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No such member", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/organisations/{id}/members")]
pub async fn add_member(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<Uuid>,
    body: web::Json<AddMember>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let body = body.into_inner();
    let (created, org) = db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        organisations::table
            .find(id)
            .select(organisations::id)
            .first::<Uuid>(conn)?;
        require_manager(conn, id, &actor)?;
        let user: Uuid = users::table
            .filter(lower(users::username).eq(body.username.to_lowercase()))
            .filter(users::erased_at.is_null())
            .select(users::id)
            .first(conn)
            .optional()?
            .ok_or_else(|| AppError::validation("username", "No member has this username."))?;
        conn.transaction(|conn| {
            let created = match member_role(conn, id, user)? {
                None => {
                    diesel::insert_into(organisation_members::table)
                        .values((
                            organisation_members::organisation_id.eq(id),
                            organisation_members::user_id.eq(user),
                            organisation_members::role.eq(body.role.as_str()),
                        ))
                        .execute(conn)?;
                    diesel::update(organisations::table.find(id))
                        .set(organisations::member_count.eq(organisations::member_count + 1))
                        .execute(conn)?;
                    true
                }
                Some(old) => {
                    if old == "admin" && body.role == MemberRole::Member {
                        ensure_another_admin(conn, id, user)?;
                    }
                    diesel::update(organisation_members::table.find((id, user)))
                        .set(organisation_members::role.eq(body.role.as_str()))
                        .execute(conn)?;
                    false
                }
            };
            Ok((created, detail(conn, id)?))
        })
    })
    .await?;
    Ok(if created {
        HttpResponse::Created().json(org)
    } else {
        HttpResponse::Ok().json(org)
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

/// Remove a member (the organisation's admins, or the member leaving).
#[utoipa::path(
    tag = "organisations",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Organisation id"), RemoveMember),
    responses(
        (status = 204, description = "Removed"),
        (status = 400, description = "Malformed query", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin of this organisation", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such organisation or member", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The last admin cannot leave", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/organisations/{id}/members")]
pub async fn remove_member(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<Uuid>,
    query: web::Query<RemoveMember>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let user = query.user_id;
    db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        organisations::table
            .find(id)
            .select(organisations::id)
            .first::<Uuid>(conn)?;
        if user != actor.id {
            require_manager(conn, id, &actor)?;
        }
        conn.transaction(|conn| {
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
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
