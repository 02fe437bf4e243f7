//! The search endpoint.

use actix_web::{HttpResponse, get, web};

use super::service::{self, SearchHit, SearchQuery};
use crate::db;
use crate::error::{AppError, AppResult, Problem};
use crate::http::{AppState, Query};
use crate::pagination::Page;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(search_handler);
}

/// Search threads and posts (French stemming, accents ignored: "forets" finds "forêts").
#[utoipa::path(
    operation_id = "search",
    tag = "search",
    security(()),
    params(SearchQuery),
    responses(
        (status = 200, description = "Hits, most relevant first (recent activity ranks higher)", body = Page<SearchHit>),
        (status = 422, description = "Empty or too long query, invalid limit or cursor", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many searches waiting (for longer than the database connection timeout): retry later", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/search")]
pub async fn search_handler(
    state: web::Data<AppState>,
    query: Query<SearchQuery>,
) -> AppResult<HttpResponse> {
    let q = query.into_inner();
    // A few searches at a time: the others queue here, not for the pool's connections.
    let _permit = tokio::time::timeout(
        state.settings.db_connect_timeout,
        state.heavy_reads.acquire(),
    )
    .await
    .map_err(|_| AppError::Unavailable("too many searches at once".into()))?
    .map_err(|e| AppError::Internal(e.into()))?;
    let page = db::run(&state.pool, move |conn| service::search(conn, &q)).await?;
    Ok(HttpResponse::Ok().json(page))
}
