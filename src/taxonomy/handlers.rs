//! HTTP handlers of themes and territories.

use actix_web::{HttpResponse, get, patch, post, web};

use super::service;
use super::types::*;
use crate::accounts::auth::{Actor, Bearer, create_as_member};
use crate::db;
use crate::error::{AppResult, Problem};
use crate::http::{AppState, Created, IdempotencyKey, Json, Query};
use crate::pagination::Page;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list_themes)
        .service(create_theme)
        .service(read_theme)
        .service(update_theme)
        .service(list_territories)
        .service(read_territory);
}

/// The curated themes, by position (retired ones included, with `active: false`).
#[utoipa::path(
    operation_id = "listThemes",
    tag = "taxonomy",
    security(()),
    responses((status = 200, description = "Every theme", body = Page<Theme>))
)]
#[get("/themes")]
pub async fn list_themes(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let page = db::run(&state.pool, service::all_themes).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Add a theme (administrators).
#[utoipa::path(
    operation_id = "createTheme",
    tag = "taxonomy",
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key return the first response")),
    request_body = CreateTheme,
    responses(
        (status = 201, description = "Created", body = Theme, headers(("Location" = String, description = "The theme"))),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Slug already taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/themes")]
pub async fn create_theme(
    state: web::Data<AppState>,
    bearer: Bearer,
    key: IdempotencyKey,
    body: Json<CreateTheme>,
) -> AppResult<HttpResponse> {
    create_as_member(
        &state,
        bearer,
        key,
        body.into_inner(),
        |conn, actor, body| {
            let theme = service::create_theme(conn, actor, body)?;
            Ok(Created::at(format!("/api/v1/themes/{}", theme.slug), theme))
        },
    )
    .await
}

/// One theme.
#[utoipa::path(
    operation_id = "getTheme",
    tag = "taxonomy",
    security(()),
    params(("slug" = String, Path, description = "Theme slug", example = "forets")),
    responses(
        (status = 200, description = "The theme", body = Theme),
        (status = 404, description = "No such theme", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/themes/{slug}")]
pub async fn read_theme(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let slug = path.into_inner();
    let theme = db::run(&state.pool, move |conn| service::one_theme(conn, &slug)).await?;
    Ok(HttpResponse::Ok().json(theme))
}

/// Change a theme (administrators): names, description, position; `active: false` retires it.
#[utoipa::path(
    operation_id = "updateTheme",
    tag = "taxonomy",
    security(("bearer" = [])),
    params(("slug" = String, Path, description = "Theme slug", example = "forets")),
    request_body = UpdateTheme,
    responses(
        (status = 200, description = "Updated", body = Theme),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such theme", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/themes/{slug}")]
pub async fn update_theme(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<String>,
    body: Json<UpdateTheme>,
) -> AppResult<HttpResponse> {
    let slug = path.into_inner();
    let body = body.into_inner();
    let theme = db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        service::update_theme(conn, &actor, &slug, body)
    })
    .await?;
    Ok(HttpResponse::Ok().json(theme))
}

/// Territories of the official geography whose name starts with `q`, for pickers.
#[utoipa::path(
    operation_id = "listTerritories",
    tag = "taxonomy",
    security(()),
    params(TerritoryQuery),
    responses(
        (status = 200, description = "A page of territories, by name", body = Page<Territory>),
        (status = 422, description = "Invalid q, limit or cursor", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/territories")]
pub async fn list_territories(
    state: web::Data<AppState>,
    query: Query<TerritoryQuery>,
) -> AppResult<HttpResponse> {
    let query = query.into_inner();
    let page = db::run(&state.pool, move |conn| {
        service::search_territories(conn, &query)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One territory, by id (`fr:departement:75`) or INSEE code (`29019`, `29`, `53` = the région),
/// with the territories that contain it.
#[utoipa::path(
    operation_id = "getTerritory",
    tag = "taxonomy",
    security(()),
    params(("id" = String, Path, description = "Territory id or INSEE code", example = "fr:commune:29019")),
    responses(
        (status = 200, description = "The territory", body = TerritoryDetail),
        (status = 404, description = "No such territory", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/territories/{id}")]
pub async fn read_territory(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let t = db::run(&state.pool, move |conn| service::one_territory(conn, &id)).await?;
    Ok(HttpResponse::Ok().json(t))
}
