//! HTTP handlers of organisations: extract, parse, one service call in one database hop, respond.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use uuid::Uuid;

use super::service;
use super::types::*;
use crate::accounts::auth::{Actor, Bearer, create_as_member};
use crate::db;
use crate::error::{AppResult, Problem};
use crate::http::{AppState, Created, IdempotencyKey, Json, Query};
use crate::pagination::{Page, PageQuery};

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
    operation_id = "listOrganisations",
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
pub async fn list(state: web::Data<AppState>, query: Query<PageQuery>) -> AppResult<HttpResponse> {
    let query = query.into_inner();
    let page = db::run(&state.pool, move |conn| service::list(conn, &query)).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Create an organisation; the creator becomes its admin.
#[utoipa::path(
    operation_id = "createOrganisation",
    tag = "organisations",
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key return the first response")),
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
    key: IdempotencyKey,
    body: Json<CreateOrganisation>,
) -> AppResult<HttpResponse> {
    create_as_member(
        &state,
        bearer,
        key,
        body.into_inner(),
        |conn, actor, body| {
            let org = service::create(conn, actor, &body)?;
            let location = format!("/api/v1/organisations/{}", org.organisation.id);
            Ok(Created::at(location, org))
        },
    )
    .await
}

/// An organisation with its members.
#[utoipa::path(
    operation_id = "getOrganisation",
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
    let org = db::run(&state.pool, move |conn| service::detail(conn, id)).await?;
    Ok(HttpResponse::Ok().json(org))
}

/// Update an organisation (its admins).
#[utoipa::path(
    operation_id = "updateOrganisation",
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
    body: Json<UpdateOrganisation>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let body = body.into_inner();
    let org = db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        service::update(conn, &actor, id, body)
    })
    .await?;
    Ok(HttpResponse::Ok().json(org))
}

/// Add a member, or change a member's role (the organisation's admins).
#[utoipa::path(
    operation_id = "addOrganisationMember",
    tag = "organisations",
    security(("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "Organisation id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key return the first response"),
    ),
    request_body = AddMember,
    responses(
        (status = 200, description = "The member's role changed", body = OrganisationDetail),
        (status = 201, description = "Member added", body = OrganisationDetail,
         headers(("Location" = String, description = "The organisation"))),
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
    key: IdempotencyKey,
    path: web::Path<Uuid>,
    body: Json<AddMember>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    create_as_member(
        &state,
        bearer,
        key,
        body.into_inner(),
        move |conn, actor, body| {
            let (added, org) = service::add_member(conn, actor, id, &body)?;
            let created = Created::at(format!("/api/v1/organisations/{id}"), org);
            Ok(if added {
                created
            } else {
                created.status(StatusCode::OK)
            })
        },
    )
    .await
}

/// Remove a member (the organisation's admins, or the member leaving).
#[utoipa::path(
    operation_id = "removeOrganisationMember",
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
    query: Query<RemoveMember>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let user = query.user_id;
    db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        service::remove_member(conn, &actor, id, user)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
