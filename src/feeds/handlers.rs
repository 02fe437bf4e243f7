//! Atom feed endpoints.

use actix_web::{HttpResponse, get, web};

use super::service;
use crate::db;
use crate::error::{AppResult, Problem};
use crate::http::AppState;

fn atom(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/atom+xml; charset=utf-8")
        .body(body)
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(latest)
        .service(category_feed)
        .service(challenges)
        .service(commun);
}

/// The newest threads, as an Atom 1.0 feed.
#[utoipa::path(
    operation_id = "getLatestFeed",
    tag = "feeds",
    security(()),
    responses((status = 200, description = "Atom 1.0 feed", body = String, content_type = "application/atom+xml"))
)]
#[get("/feeds/latest.atom")]
pub async fn latest(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let settings = state.settings.clone();
    let body = db::run(&state.pool, move |conn| {
        service::thread_feed(conn, &settings, None, "/feeds/latest.atom")
    })
    .await?;
    Ok(atom(body))
}

/// The newest threads of a category, as an Atom 1.0 feed.
#[utoipa::path(
    operation_id = "getCategoryFeed",
    tag = "feeds",
    security(()),
    params(("slug" = String, Path, description = "Category slug")),
    responses(
        (status = 200, description = "Atom 1.0 feed", body = String, content_type = "application/atom+xml"),
        (status = 404, description = "No such category", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/feeds/categories/{slug}.atom")]
pub async fn category_feed(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let slug = path.into_inner();
    let settings = state.settings.clone();
    let body = db::run(&state.pool, move |conn| {
        service::category_feed(conn, &settings, &slug)
    })
    .await?;
    Ok(atom(body))
}

/// New and changed challenges, as an Atom 1.0 feed.
#[utoipa::path(
    operation_id = "getChallengesFeed",
    tag = "feeds",
    security(()),
    responses((status = 200, description = "Atom 1.0 feed", body = String, content_type = "application/atom+xml"))
)]
#[get("/feeds/challenges.atom")]
pub async fn challenges(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let settings = state.settings.clone();
    let body = db::run(&state.pool, move |conn| {
        service::challenges_feed(conn, &settings)
    })
    .await?;
    Ok(atom(body))
}

/// A commun's resources and milestones reached, as an Atom 1.0 feed.
#[utoipa::path(
    operation_id = "getCommunFeed",
    tag = "feeds",
    security(()),
    params(("slug" = String, Path, description = "The commun's slug")),
    responses(
        (status = 200, description = "Atom 1.0 feed", body = String, content_type = "application/atom+xml"),
        (status = 404, description = "No such commun", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/feeds/communs/{slug}.atom")]
pub async fn commun(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let slug = path.into_inner();
    let settings = state.settings.clone();
    let body = db::run(&state.pool, move |conn| {
        service::commun_feed(conn, &settings, &slug)
    })
    .await?;
    Ok(atom(body))
}
