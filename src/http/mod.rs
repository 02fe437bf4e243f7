//! HTTP plumbing shared by every feature (core: it names no feature): the application state, access
//! tokens, conditional reads (`ETag`), idempotent creates (`Idempotency-Key`).

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
        Ok(Self {
            pool,
            settings,
            jwt,
            features,
            observer: None,
        })
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
