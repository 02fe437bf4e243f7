//! Access tokens (JWT, HS256): issued at login, verified by the `Bearer` extractor without touching
//! the database (signature, algorithm, issuer, audience, expiry). Features then check the session
//! itself (`accounts::auth::Actor::load`) inside their one database hop.

use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::AppState;
use crate::error::{AppError, AppResult};

/// Access tokens live 15 minutes; refresh tokens 30 days (sliding with each refresh).
pub const ACCESS_TTL_SECONDS: i64 = 15 * 60;
pub const REFRESH_TTL_DAYS: i64 = 30;
pub const AUDIENCE: &str = "palabre";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: Uuid,
    pub sid: Uuid,
    pub exp: i64,
    pub iat: i64,
    pub iss: String,
    pub aud: String,
}

pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    issuer: String,
    validation: Validation,
}

impl JwtKeys {
    pub fn new(secret: &str, issuer: &str) -> anyhow::Result<Self> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[AUDIENCE]);
        validation.set_issuer(&[issuer]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = 5;
        Ok(Self {
            encoding: EncodingKey::from_secret(secret.as_bytes())?,
            decoding: DecodingKey::from_secret(secret.as_bytes())?,
            issuer: issuer.to_string(),
            validation,
        })
    }

    /// A signed access token for this session, and its lifetime in seconds.
    pub fn issue(&self, user_id: Uuid, session_id: Uuid) -> AppResult<(String, i64)> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: user_id,
            sid: session_id,
            iat: now,
            exp: now + ACCESS_TTL_SECONDS,
            iss: self.issuer.clone(),
            aud: AUDIENCE.into(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("cannot sign a token: {e}")))?;
        Ok((token, ACCESS_TTL_SECONDS))
    }

    pub fn verify(&self, token: &str) -> AppResult<Claims> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|d| d.claims)
            .map_err(|e| {
                use jsonwebtoken::errors::ErrorKind;
                let detail = match e.kind() {
                    ErrorKind::ExpiredSignature => "The access token has expired; refresh it.",
                    _ => "The access token is not valid.",
                };
                AppError::Unauthorized(detail.into())
            })
    }
}

/// A valid access token's claims (checked without the database).
pub struct Bearer(pub Claims);

fn bearer_from(req: &HttpRequest) -> AppResult<Option<Claims>> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .ok_or_else(|| {
            AppError::Unauthorized("Use `Authorization: Bearer <access token>`.".into())
        })?;
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no app state")))?;
    state.jwt.verify(token).map(Some)
}

impl FromRequest for Bearer {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(bearer_from(req).and_then(|c| {
            c.map(Bearer)
                .ok_or_else(|| AppError::Unauthorized("Authentication required.".into()))
        }))
    }
}

/// An access token if one is sent (and then it must be valid), for endpoints open to anyone.
pub struct MaybeBearer(pub Option<Claims>);

impl FromRequest for MaybeBearer {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(bearer_from(req).map(MaybeBearer))
    }
}

/// A new random secret for a refresh or email token (256 bits, URL-safe).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// How tokens are stored: their SHA-256, hex.
pub fn hash_token(token: &str) -> String {
    super::sha256_hex(token.as_bytes(), 32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_reject_tampering() {
        let keys = JwtKeys::new("a-secret-of-at-least-32-characters!!", "http://x").unwrap();
        let (token, ttl) = keys.issue(Uuid::now_v7(), Uuid::now_v7()).unwrap();
        assert_eq!(ttl, ACCESS_TTL_SECONDS);
        assert!(keys.verify(&token).is_ok());
        let other = JwtKeys::new("another-secret-of-at-least-32-chars!", "http://x").unwrap();
        assert!(other.verify(&token).is_err());
        let other_issuer =
            JwtKeys::new("a-secret-of-at-least-32-characters!!", "http://y").unwrap();
        assert!(other_issuer.verify(&token).is_err());
    }

    #[test]
    fn token_hashes_are_stable_hex() {
        assert_eq!(hash_token("abc").len(), 64);
        assert_eq!(hash_token("abc"), hash_token("abc"));
        assert_ne!(random_token(), random_token());
    }
}
