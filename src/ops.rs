//! Operations endpoints: liveness, readiness, metrics.

use std::time::Duration;

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{AppError, AppResult, Problem};
use crate::http::AppState;
use crate::telemetry::Metrics;

#[derive(Serialize, ToSchema)]
pub struct Status {
    pub status: Health,
}

/// `ok` (alive) or `ready` (database reachable, migrations applied).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    Ok,
    Ready,
}

/// The process is alive.
#[utoipa::path(
    operation_id = "getHealth",
    tag = "ops",
    security(()),
    responses((status = 200, description = "The process is alive", body = Status))
)]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Status { status: Health::Ok })
}

/// The database is reachable and every migration is applied.
#[utoipa::path(
    operation_id = "getReadiness",
    tag = "ops",
    security(()),
    responses(
        (status = 200, description = "Ready to serve", body = Status),
        (status = 503, description = "Database unreachable or migrations pending", body = Problem,
         content_type = "application/problem+json"),
    )
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let pool = state.pool.clone();
    web::block(move || -> AppResult<()> {
        let mut conn = pool.get_timeout(Duration::from_secs(1))?;
        let pending = crate::db::has_pending_migrations(&mut conn).map_err(|e| {
            let e = AppError::Unavailable(format!("{e:#}"));
            conn.note_error(&e);
            e
        })?;
        if pending {
            return Err(AppError::Unavailable("migrations pending".into()));
        }
        Ok(())
    })
    .await??;
    Ok(HttpResponse::Ok().json(Status {
        status: Health::Ready,
    }))
}

/// Prometheus metrics: requests by route template and status, latency, database pool, jobs. Served
/// only on the metrics listener (`PALABRE_METRICS_BIND`, off by default), never on the API's address.
#[utoipa::path(
    tag = "ops",
    security(()),
    responses((status = 200, description = "Prometheus text format", body = String,
               content_type = "text/plain; version=0.0.4"))
)]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>, metrics: web::Data<Metrics>) -> HttpResponse {
    let pool_state = state.pool.state();
    metrics
        .db_pool
        .with_label_values(&["idle"])
        .set(pool_state.idle_connections as i64);
    metrics
        .db_pool
        .with_label_values(&["in_use"])
        .set((pool_state.connections - pool_state.idle_connections) as i64);
    {
        use std::sync::atomic::Ordering::Relaxed;
        let c = &state.cache;
        for (name, value) in [
            ("hits", c.hits.load(Relaxed)),
            ("misses", c.misses.load(Relaxed)),
            ("invalidations", c.invalidations.load(Relaxed)),
            ("connects", c.connects.load(Relaxed)),
            ("live", u64::from(c.usable())),
        ] {
            metrics
                .read_cache
                .with_label_values(&[name])
                .set(value as i64);
        }
    }
    let pool = state.pool.clone();
    // The job counts need the database; when it is down the last known values stay.
    let counts = web::block(move || -> AppResult<(i64, i64)> {
        let mut conn = pool.get_timeout(Duration::from_millis(500))?;
        crate::jobs::counts(&mut conn).map_err(|e| {
            let e = AppError::from(e);
            conn.note_error(&e);
            e
        })
    })
    .await;
    if let Ok(Ok((pending, failed))) = counts {
        metrics.jobs.with_label_values(&["queued"]).set(pending);
        metrics.jobs.with_label_values(&["failed"]).set(failed);
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(metrics.encode())
}
