//! HTTP plumbing shared by every feature (core: it names no feature): the application state, access
//! tokens, conditional reads (`ETag`), idempotent creates (`Idempotency-Key`).

pub mod cache;
pub mod conditional;
pub mod extract;
pub mod idempotency;
pub mod server;
pub mod tokens;

use std::sync::Arc;

use sha2::{Digest, Sha256};

pub use conditional::json_with_etag;
pub use extract::{Json, Query};
pub use idempotency::{Created, IdempotencyKey, Idempotent, Stored};
pub use tokens::{Bearer, Claims, JwtKeys, MaybeBearer};

use crate::config::Settings;
use crate::db::Pool;
use crate::feature::Feature;

/// What every handler may need. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    pub settings: Arc<Settings>,
    pub jwt: Arc<JwtKeys>,
    /// The features this application is composed of (their personal-data hooks, for instance).
    pub features: &'static [Feature],
    /// Sees every response as it leaves (the test suite checks each one against the OpenAPI
    /// document); `None` in `serve`.
    pub observer: Option<crate::telemetry::ResponseObserver>,
    /// Hot anonymous reads from memory (`http::cache`); disabled unless [`AppState::with_read_cache`].
    pub cache: Arc<cache::ReadCache>,
    /// Where the cache's listener connects (set with the cache).
    pub listen_url: Option<String>,
    /// Bounds the expensive reads (searches) running at once (`PALABRE_SEARCH_CONCURRENCY`), so
    /// that a storm of them leaves connections to the rest; the others wait without holding one.
    pub heavy_reads: Arc<tokio::sync::Semaphore>,
}

impl AppState {
    /// Resolves the JWT secret (configured, or generated once in the data dir).
    pub fn new(
        pool: Pool,
        settings: Arc<Settings>,
        features: &'static [Feature],
    ) -> anyhow::Result<Self> {
        let secret = settings.resolve_jwt_secret()?;
        let jwt = Arc::new(JwtKeys::new(secret.expose(), &settings.public_url)?);
        let search_concurrency = settings.search_concurrency;
        Ok(Self {
            pool,
            settings,
            jwt,
            features,
            observer: None,
            cache: Arc::new(cache::ReadCache::disabled()),
            listen_url: None,
            heavy_reads: Arc::new(tokio::sync::Semaphore::new(search_concurrency as usize)),
        })
    }

    /// Turns the read cache on when the settings ask (`PALABRE_READ_CACHE`): its listener
    /// connects to `PALABRE_LISTEN_DATABASE_URL`, else to `database_url`, once the server runs.
    pub fn with_read_cache(mut self, database_url: &str) -> Self {
        if self.settings.read_cache {
            let bytes = self.settings.read_cache_mb * 1024 * 1024;
            self.cache = Arc::new(cache::ReadCache::new(true, bytes));
            self.listen_url = Some(match &self.settings.listen_database_url {
                Some(url) => url.expose().to_string(),
                None => database_url.to_string(),
            });
        }
        self
    }
}

/// The first `bytes` bytes of the SHA-256 of `data`, in hex (request fingerprints, stored token
/// hashes).
pub fn sha256_hex(data: &[u8], bytes: usize) -> String {
    Sha256::digest(data)
        .iter()
        .take(bytes)
        .map(|b| format!("{b:02x}"))
        .collect()
}
