//! Logs (tracing; JSON when stdout is not a terminal), request ids and Prometheus metrics.

use std::io::IsTerminal;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};
use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry};
use tracing::Instrument;
use tracing_subscriber::EnvFilter;

use crate::config::{LogFormat, Settings};

/// Installs the global subscriber. Safe to call more than once (later calls do nothing).
pub fn init(settings: &Settings) {
    let filter = EnvFilter::try_new(&settings.log).unwrap_or_else(|_| EnvFilter::new("info"));
    let json = match settings.log_format {
        LogFormat::Json => true,
        LogFormat::Pretty => false,
        LogFormat::Auto => !std::io::stdout().is_terminal(),
    };
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let _ = if json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init()
    } else {
        builder.try_init()
    };
}

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The request id of the current request, as stored in its extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

fn acceptable_request_id(v: &HeaderValue) -> Option<String> {
    let s = v.to_str().ok()?;
    (!s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
    .then(|| s.to_string())
}

/// Metrics of one app instance.
#[derive(Clone)]
pub struct Metrics {
    pub registry: Registry,
    pub requests: IntCounterVec,
    pub latency: HistogramVec,
    pub db_pool: IntGaugeVec,
    pub jobs: IntGaugeVec,
    /// The read cache's counters (`http::cache`), copied at each scrape.
    pub read_cache: IntGaugeVec,
}

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "palabre_http_requests_total",
                "HTTP requests by route template, method and status",
            ),
            &["route", "method", "status"],
        )
        .unwrap();
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "palabre_http_request_duration_seconds",
                "HTTP request latency by route template",
            )
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ]),
            &["route"],
        )
        .unwrap();
        let db_pool = IntGaugeVec::new(
            Opts::new(
                "palabre_db_pool_connections",
                "Database pool connections by state",
            ),
            &["state"],
        )
        .unwrap();
        let jobs = IntGaugeVec::new(
            Opts::new("palabre_jobs", "Background jobs by status"),
            &["status"],
        )
        .unwrap();
        registry.register(Box::new(requests.clone())).unwrap();
        registry.register(Box::new(latency.clone())).unwrap();
        registry.register(Box::new(db_pool.clone())).unwrap();
        let read_cache = IntGaugeVec::new(
            Opts::new(
                "palabre_read_cache",
                "Read cache: hits, misses, invalidations received, listener connects, live (1/0)",
            ),
            &["counter"],
        )
        .unwrap();
        registry.register(Box::new(jobs.clone())).unwrap();
        registry.register(Box::new(read_cache.clone())).unwrap();
        Self {
            registry,
            requests,
            latency,
            db_pool,
            jobs,
            read_cache,
        }
    }

    pub fn encode(&self) -> String {
        prometheus::TextEncoder::new()
            .encode_to_string(&self.registry.gather())
            .unwrap_or_default()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// Gives every request an id (the client's `X-Request-Id` when well-formed, else a new UUIDv7), a
/// tracing span carrying it, an `X-Request-Id` response header, a log line and metrics.
/// A response as it leaves: its operation (the route pattern matched), status and headers.
pub struct Observed<'a> {
    pub method: &'a str,
    /// The route's pattern (`/api/v1/threads/{id}`); `None` when no route matched.
    pub pattern: Option<&'a str>,
    pub status: u16,
    pub headers: &'a actix_web::http::header::HeaderMap,
}

/// Sees every response as it leaves, when the application registers one (the test suite checks
/// each response against the OpenAPI document); `serve` registers none.
pub type ResponseObserver = std::sync::Arc<dyn Fn(&Observed) + Send + Sync>;

pub async fn request_middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(acceptable_request_id)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    let method = req.method().to_string();
    let path = req.path().to_string();
    let span = tracing::info_span!("request", request_id = %id, method = %method, path = %path);
    req.extensions_mut().insert(RequestId(id.clone()));
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    let started = Instant::now();

    let mut res = next.call(req).instrument(span.clone()).await?;

    let elapsed = started.elapsed();
    let status = res.status().as_u16();
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_string());
    if let Some(m) = metrics {
        m.requests
            .with_label_values(&[route.as_str(), method.as_str(), &status.to_string()])
            .inc();
        m.latency
            .with_label_values(&[route.as_str()])
            .observe(elapsed.as_secs_f64());
    }
    span.in_scope(|| {
        tracing::info!(status, route = %route, latency_ms = elapsed.as_secs_f64() * 1000.0, "request finished")
    });
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID, v);
    }
    if let Some(observe) = res.request().app_data::<web::Data<ResponseObserver>>() {
        let pattern = res.request().match_pattern();
        observe(&Observed {
            method: &method,
            pattern: pattern.as_deref(),
            status,
            headers: res.headers(),
        });
    }
    Ok(res)
}
