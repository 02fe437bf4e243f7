//! HTTP handlers of webhooks (administrators).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use uuid::Uuid;

use super::service;
use super::types::*;
use crate::accounts::auth::{Actor, Bearer};
use crate::db;
use crate::error::{AppResult, Problem};
use crate::http::{AppState, Json, Query};
use crate::pagination::{Page, PageQuery};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(read)
        .service(update)
        .service(delete)
        .service(deliveries)
        .service(test);
}

/// The registered endpoints (administrators).
#[utoipa::path(
    operation_id = "listWebhooks",
    tag = "webhooks",
    security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "A page of endpoints (without their secrets)", body = Page<Webhook>),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/admin/webhooks")]
pub async fn list(
    state: web::Data<AppState>,
    bearer: Bearer,
    query: Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let paging = query.into_inner();
    let page = db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        service::list(conn, &actor, &paging)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Register an endpoint for event kinds: an `https` address whose host resolves to public
/// addresses only (`PALABRE_WEBHOOKS_ALLOW_PRIVATE=1` lifts this for local development). The answer
/// carries the signing secret, shown this once.
#[utoipa::path(
    operation_id = "createWebhook",
    tag = "webhooks",
    security(("bearer" = [])),
    request_body = CreateWebhook,
    responses(
        (status = 201, description = "Registered, with its secret", body = CreatedWebhook,
         headers(("Location" = String, description = "The endpoint"))),
        (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not https, a host that does not resolve or resolves inside, no event, or an unknown event kind", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/admin/webhooks")]
pub async fn create(
    state: web::Data<AppState>,
    bearer: Bearer,
    body: Json<CreateWebhook>,
) -> AppResult<HttpResponse> {
    // No Idempotency-Key: a stored response would keep the secret.
    let settings = state.settings.clone();
    let input = body.into_inner();
    let hook = db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        service::create(conn, &settings, &actor, &input)
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/admin/webhooks/{}", hook.webhook.id),
        ))
        .json(hook))
}

/// One endpoint.
#[utoipa::path(
    operation_id = "getWebhook",
    tag = "webhooks",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Webhook id")),
    responses(
        (status = 200, description = "The endpoint", body = Webhook),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such webhook", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/admin/webhooks/{id}")]
pub async fn read(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let hook = db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        service::read(conn, &actor, id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(hook))
}

/// Change an endpoint's address or events, turn it off, or back on (which clears its failures).
#[utoipa::path(
    operation_id = "updateWebhook",
    tag = "webhooks",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Webhook id")),
    request_body = UpdateWebhook,
    responses(
        (status = 200, description = "Changed", body = Webhook),
        (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such webhook", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An address refused, no event, or an unknown event kind", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/admin/webhooks/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<Uuid>,
    body: Json<UpdateWebhook>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let input = body.into_inner();
    let settings = state.settings.clone();
    let hook = db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        service::update(conn, &settings, &actor, id, &input)
    })
    .await?;
    Ok(HttpResponse::Ok().json(hook))
}

/// Remove an endpoint and its delivery log.
#[utoipa::path(
    operation_id = "deleteWebhook",
    tag = "webhooks",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Webhook id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such webhook", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/admin/webhooks/{id}")]
pub async fn delete(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        service::delete(conn, &actor, id)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// An endpoint's delivery log, newest first: status, attempts, response code, duration, the body.
#[utoipa::path(
    operation_id = "listWebhookDeliveries",
    tag = "webhooks",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Webhook id"), PageQuery),
    responses(
        (status = 200, description = "A page of deliveries", body = Page<Delivery>),
        (status = 400, description = "Malformed query", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such webhook", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/admin/webhooks/{id}/deliveries")]
pub async fn deliveries(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<Uuid>,
    query: Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let paging = query.into_inner();
    let page = db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        service::deliveries(conn, &actor, id, &paging)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Send a test event (`webhook.test`) to an endpoint, through the job queue like any other.
#[utoipa::path(
    operation_id = "sendWebhookTest",
    tag = "webhooks",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Webhook id")),
    responses(
        (status = 202, description = "Queued: the delivery, pending", body = Delivery,
         headers(("Location" = String, description = "The endpoint's delivery log"))),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such webhook", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The hook is disabled", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/admin/webhooks/{id}/test")]
pub async fn test(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let delivery = db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        service::test(conn, &actor, id)
    })
    .await?;
    Ok(HttpResponse::build(StatusCode::ACCEPTED)
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/admin/webhooks/{id}/deliveries"),
        ))
        .json(delivery))
}
