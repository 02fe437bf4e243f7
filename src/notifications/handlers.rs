//! HTTP handlers of notifications and watch levels: extract, parse, one service call, respond.

use actix_web::{HttpResponse, get, post, put, web};
use uuid::Uuid;

use super::service;
use super::types::*;
use crate::accounts::auth::{Actor, Bearer};
use crate::db;
use crate::error::{AppResult, Problem};
use crate::http::{AppState, Json, Query};
use crate::pagination::PageQuery;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list)
        .service(mark_read)
        .service(subscribe_thread)
        .service(subscribe_category)
        .service(read_thread);
}

/// Record how far the caller has read a thread: the highest post number they have seen. Cheap (one
/// statement) and monotonic, so that the frontend may send it batched and out of order.
#[utoipa::path(
    operation_id = "markThreadRead",
    tag = "notifications",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Thread id")),
    request_body = ReadInput,
    responses(
        (status = 200, description = "The read position now stored", body = ReadPosition),
        (status = 400, description = "Malformed JSON, a wrong type or an unknown field", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Account suspended", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such thread (or hidden from the caller)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`post_number` below 1 or past the thread's last post", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/threads/{id}/read")]
pub async fn read_thread(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<Uuid>,
    body: Json<ReadInput>,
) -> AppResult<HttpResponse> {
    let thread = path.into_inner();
    let number = PostNumber::parse(body.into_inner().post_number)?;
    let position = db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        service::mark_thread_read(conn, &actor, thread, number)
    })
    .await?;
    Ok(HttpResponse::Ok().json(position))
}

/// The caller's notifications, newest first, with the unread count.
#[utoipa::path(
    operation_id = "listNotifications",
    tag = "notifications",
    security(("bearer" = [])),
    params(NotificationQuery),
    responses(
        (status = 200, description = "A page of notifications", body = NotificationPage),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Account suspended", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid limit or cursor", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/notifications")]
pub async fn list(
    state: web::Data<AppState>,
    bearer: Bearer,
    query: Query<NotificationQuery>,
) -> AppResult<HttpResponse> {
    let query = query.into_inner();
    let paging = PageQuery {
        limit: query.limit,
        cursor: query.cursor,
    };
    let unread_only = query.unread.unwrap_or(false);
    let page = db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        service::list(conn, &actor, &paging, unread_only)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Mark notifications read: `{"ids": [...]}` or `{"all": true}`.
#[utoipa::path(
    operation_id = "markNotificationsRead",
    tag = "notifications",
    security(("bearer" = [])),
    request_body = MarkRead,
    responses(
        (status = 200, description = "Marked; the unread count that remains", body = UnreadCount),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Account suspended", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Neither ids nor all", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/notifications/read")]
pub async fn mark_read(
    state: web::Data<AppState>,
    bearer: Bearer,
    body: Json<MarkRead>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let count = db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        service::mark_read(conn, &actor, body)
    })
    .await?;
    Ok(HttpResponse::Ok().json(count))
}

/// Set the caller's watch level on a thread.
#[utoipa::path(
    operation_id = "setThreadSubscription",
    tag = "notifications",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Thread id")),
    request_body = Subscription,
    responses(
        (status = 200, description = "The level now in force", body = Subscription),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Account suspended", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such thread", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/threads/{id}/subscription")]
pub async fn subscribe_thread(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<Uuid>,
    body: Json<Subscription>,
) -> AppResult<HttpResponse> {
    let thread = path.into_inner();
    let level = body.into_inner().level;
    db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        service::set_thread_level(conn, &actor, thread, level)
    })
    .await?;
    Ok(HttpResponse::Ok().json(Subscription { level }))
}

/// Set the caller's watch level on a category.
#[utoipa::path(
    operation_id = "setCategorySubscription",
    tag = "notifications",
    security(("bearer" = [])),
    params(("slug" = String, Path, description = "Category slug")),
    request_body = Subscription,
    responses(
        (status = 200, description = "The level now in force", body = Subscription),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Account suspended", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such category", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/categories/{slug}/subscription")]
pub async fn subscribe_category(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<String>,
    body: Json<Subscription>,
) -> AppResult<HttpResponse> {
    let slug = path.into_inner();
    let level = body.into_inner().level;
    db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        service::set_category_level(conn, &actor, &slug, level)
    })
    .await?;
    Ok(HttpResponse::Ok().json(Subscription { level }))
}
