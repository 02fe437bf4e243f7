//! Composes the application from its list of features, and builds the actix application. The same
//! builder serves production (`palabre serve`) and the tests.
//!
//! Adding a feature is a folder under `src/`, a migration, and one entry in [`FEATURES`]: its routes,
//! OpenAPI document, job kinds, periodic jobs and personal-data hooks are read from that entry.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use actix_cors::Cors;
use actix_web::dev::{ResourceDef, Server};
use actix_web::http::header;
use actix_web::middleware::{Condition, from_fn};
use actix_web::{App, HttpRequest, HttpResponse, ResponseError, web};
use utoipa_swagger_ui::SwaggerUi;

use crate::config::Settings;
use crate::db::Pool;
use crate::error::{self, AppError};
use crate::feature::Feature;
pub use crate::http::AppState;
use crate::http::server;
use crate::jobs::{Registry, Scheduler};
use crate::mail::Mailer;
use crate::telemetry::{self, Metrics};

/// The features of palabre, in the order of their layers (a feature may use the ones before it).
pub const FEATURES: &[Feature] = &[
    crate::accounts::FEATURE,
    crate::notifications::FEATURE,
    crate::taxonomy::FEATURE,
    crate::organisations::FEATURE,
    crate::discussions::FEATURE,
    crate::challenges::FEATURE,
    crate::communs::FEATURE,
    crate::moderation::FEATURE,
    crate::search::FEATURE,
    crate::feeds::FEATURE,
    crate::opendata::FEATURE,
    crate::webhooks::FEATURE,
    crate::digests::FEATURE,
];

/// The application state, composed of every feature.
pub fn state(pool: Pool, settings: Arc<Settings>) -> anyhow::Result<AppState> {
    AppState::new(pool, settings, FEATURES)
}

/// Every job kind: core's (mail delivery through `mailer`, housekeeping), then each feature's.
pub fn job_registry(mailer: &Mailer) -> Registry {
    let mut registry = Registry::new();
    crate::mail::register_jobs(&mut registry, mailer.clone());
    crate::housekeeping::register(&mut registry);
    for feature in FEATURES {
        (feature.jobs)(&mut registry);
    }
    registry
}

/// Every periodic job: core's, then each feature's.
pub fn scheduler() -> Scheduler {
    let mut periodic = crate::mail::periodic();
    periodic.extend(crate::housekeeping::periodic());
    for feature in FEATURES {
        periodic.extend((feature.periodic)());
    }
    Scheduler::new(periodic)
}

/// What settings name in the database must exist: checked at start-up, after the migrations, so
/// that a wrong value stops `serve` and `worker` with its variable's name instead of failing the
/// first request that needs it.
pub fn check_settings(conn: &mut diesel::PgConnection, settings: &Settings) -> anyhow::Result<()> {
    use diesel::prelude::*;
    let found: i64 = crate::schema::categories::table
        .filter(crate::schema::categories::slug.eq(&settings.challenges_category))
        .count()
        .get_result(conn)?;
    if found == 0 {
        anyhow::bail!(
            "invalid configuration: PALABRE_CHALLENGES_CATEGORY: no category has the slug {:?}",
            settings.challenges_category
        );
    }
    // Digests' one-click unsubscribe (RFC 8058) is an HTTPS URL on the public address: say so when
    // the public address is not HTTPS and not this machine.
    let host = settings.public_url.split("://").nth(1).unwrap_or_default();
    if !settings.public_url.starts_with("https://")
        && !["localhost", "127.", "[::1]"]
            .iter()
            .any(|l| host.starts_with(l))
    {
        tracing::warn!(
            public_url = %settings.public_url,
            "PALABRE_PUBLIC_URL is not https: mail clients ignore a one-click unsubscribe that is not"
        );
    }
    Ok(())
}

/// Registers every API route under `/api/v1`: each feature's, and the OpenAPI document.
fn api_v1(cfg: &mut web::ServiceConfig) {
    for feature in FEATURES {
        (feature.routes)(cfg);
    }
    cfg.route(
        "/openapi.json",
        web::get().to(|| async {
            HttpResponse::Ok()
                .content_type("application/json")
                .body(crate::openapi::to_pretty_json())
        }),
    );
}

/// Known route templates with their methods: answers 405 (with `Allow`) instead of 404 when a path
/// exists but the method does not.
struct RouteTable(Vec<(ResourceDef, String)>);

impl RouteTable {
    fn build() -> Self {
        let mut routes = crate::openapi::routes();
        routes.push(("/api/v1/openapi.json".into(), vec!["GET".into()]));
        routes.push(("/docs".into(), vec!["GET".into()]));
        routes.push(("/docs/{tail:.*}".into(), vec!["GET".into()]));
        RouteTable(
            routes
                .into_iter()
                .map(|(path, methods)| (ResourceDef::new(path), methods.join(", ")))
                .collect(),
        )
    }

    fn allowed(&self, path: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(def, _)| def.is_match(path))
            .map(|(_, allow)| allow.as_str())
    }
}

/// Unknown route: 405 with `Allow` when the path exists under another method, 404 otherwise.
async fn fallback(req: HttpRequest) -> HttpResponse {
    let table = req.app_data::<web::Data<RouteTable>>();
    let err = match table.and_then(|t| t.allowed(req.path())) {
        Some(allow) => AppError::MethodNotAllowed {
            allow: allow.to_string(),
        },
        None => AppError::NotFound,
    };
    err.error_response()
}

/// Configures a whole app instance (shared by every HTTP worker).
fn configure(
    state: AppState,
    metrics: Metrics,
    routes: web::Data<RouteTable>,
) -> impl Fn(&mut web::ServiceConfig) + Clone {
    move |cfg: &mut web::ServiceConfig| {
        let limit = state.settings.json_body_limit;
        if let Some(observer) = state.observer.clone() {
            cfg.app_data(web::Data::new(observer));
        }
        cfg.app_data(web::Data::new(state.clone()))
            .app_data(gate(&state))
            .app_data(challenge_hooks(&state))
            .app_data(category_owners())
            .app_data(web::Data::new(metrics.clone()))
            .app_data(routes.clone())
            .app_data(
                web::JsonConfig::default()
                    .limit(limit)
                    .error_handler(error::json_error),
            )
            .app_data(web::PayloadConfig::new(limit))
            .app_data(web::QueryConfig::default().error_handler(error::query_error))
            .app_data(web::PathConfig::default().error_handler(error::path_error))
            .service(crate::ops::healthz)
            .service(crate::ops::readyz)
            .service(web::scope("/api/v1").configure(api_v1))
            .route(
                "/docs",
                web::get().to(|| async {
                    HttpResponse::PermanentRedirect()
                        .insert_header((header::LOCATION, "/docs/"))
                        .content_type("text/plain")
                        .body("/docs/")
                }),
            )
            .service(
                SwaggerUi::new("/docs/{_:.*}")
                    .config(utoipa_swagger_ui::Config::from("/api/v1/openapi.json")),
            );
    }
}

/// The publishing hook of discussions, provided by moderation.
fn gate(state: &AppState) -> web::Data<dyn crate::discussions::gate::Gate> {
    let gate: Arc<dyn crate::discussions::gate::Gate> =
        Arc::new(crate::moderation::held::ModerationGate {
            settings: state.settings.clone(),
        });
    web::Data::from(gate)
}

/// Who maintains what owns a category (a commun's news), provided by communs.
fn category_owners() -> web::Data<dyn crate::discussions::owners::CategoryOwners> {
    let owners: Arc<dyn crate::discussions::owners::CategoryOwners> =
        Arc::new(crate::communs::news::Maintainers);
    web::Data::from(owners)
}

/// The lifecycle hook of challenges, provided by moderation.
fn challenge_hooks(state: &AppState) -> web::Data<dyn crate::challenges::hooks::ChallengeHooks> {
    let hooks: Arc<dyn crate::challenges::hooks::ChallengeHooks> =
        Arc::new(crate::moderation::challenges::ChallengeDecisions {
            settings: state.settings.clone(),
        });
    web::Data::from(hooks)
}

fn cors(settings: &Settings) -> Cors {
    let mut cors = Cors::default()
        .allow_any_method()
        .allow_any_header()
        .expose_headers([
            "x-request-id",
            "etag",
            "location",
            "retry-after",
            "www-authenticate",
        ])
        .max_age(3600)
        // Other origins get no CORS headers (the browser enforces that); the request itself is served.
        .block_on_origin_mismatch(false);
    for origin in &settings.cors_origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}

/// A bound, not yet running HTTP server: the API and, when `PALABRE_METRICS_BIND` is set, the
/// metrics listener.
pub struct Application {
    server: Server,
    addr: SocketAddr,
    metrics_addr: Option<SocketAddr>,
}

impl Application {
    /// Binds `settings.bind` (port 0 picks a free port) and prepares the server. It leaves signals
    /// alone: `palabre serve` listens for them before it announces itself, and stops the server
    /// through [`Application::handle`].
    pub fn build(state: AppState) -> anyhow::Result<Self> {
        Self::build_with(state, |_| {})
    }

    /// [`Application::build`] with extra routes (the test suite mounts probes of the shared
    /// extractor configuration this way).
    pub fn build_with(state: AppState, extra: fn(&mut web::ServiceConfig)) -> anyhow::Result<Self> {
        let bind = |addr: SocketAddr| {
            TcpListener::bind(addr).map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))
        };
        let listener = bind(state.settings.bind)?;
        let addr = listener.local_addr()?;
        let metrics_listener = state.settings.metrics_bind.map(bind).transpose()?;
        let metrics_addr = match &metrics_listener {
            Some(l) => Some(l.local_addr()?),
            None => None,
        };
        let metrics = Metrics::new();
        let routes = web::Data::new(RouteTable::build());
        let settings = state.settings.clone();
        let mut builder = actix_server::Server::build()
            .workers(settings.http_workers)
            .shutdown_timeout(10)
            .disable_signals();
        if let Some(listener) = metrics_listener {
            let (state, metrics) = (state.clone(), metrics.clone());
            builder = server::listen(builder, "palabre-metrics", listener, move || {
                App::new()
                    .app_data(web::Data::new(state.clone()))
                    .app_data(web::Data::new(metrics.clone()))
                    .service(crate::ops::metrics)
                    .default_service(web::to(fallback))
            })?;
        }
        if let Some(url) = &state.listen_url {
            crate::db::listen::spawn(
                url.clone(),
                crate::http::cache::CHANNEL,
                state.cache.clone(),
            );
        }
        let configure = configure(state, metrics, routes);
        builder = server::listen(builder, "palabre-api", listener, move || {
            App::new()
                .configure(configure.clone())
                .configure(extra)
                .default_service(web::to(fallback))
                .wrap(Condition::new(
                    !settings.cors_origins.is_empty(),
                    cors(&settings),
                ))
                .wrap(from_fn(crate::http::cache::cache_control))
                .wrap(from_fn(telemetry::request_middleware))
        })?;
        Ok(Self {
            server: builder.run(),
            addr,
            metrics_addr,
        })
    }

    /// Where `/metrics` is served, when it is.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped (signal or handle).
    pub async fn run(self) -> std::io::Result<()> {
        self.server.await
    }
}
