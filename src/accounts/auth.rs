//! Access tokens (JWT, HS256) and the caller's identity.
//!
//! The `Bearer` extractor checks the token itself (signature, algorithm, issuer, audience, expiry)
//! without touching the database. Handlers then call [`Actor::load`] first thing inside their single
//! database hop: it checks that the session is still open and the account still active, so logout,
//! suspension and role changes take effect on the very next request.

use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Role;
use crate::app::AppState;
use crate::error::{AppError, AppResult};
use crate::schema::{sessions, users};

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

/// The authenticated caller, as the database sees them now.
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: Uuid,
    pub username: String,
    pub role: Role,
    pub session_id: Uuid,
    pub verified: bool,
    pub silenced: bool,
    pub display_name: String,
    pub created_at: DateTime<Utc>,
}

impl Actor {
    /// Checks the session and the account in one query.
    pub fn load(conn: &mut PgConnection, claims: &Claims) -> AppResult<Actor> {
        type Row = (
            String,
            String,
            Option<DateTime<Utc>>,
            Option<DateTime<Utc>>,
            Option<DateTime<Utc>>,
            String,
            DateTime<Utc>,
        );
        let row: Option<Row> = sessions::table
            .inner_join(users::table)
            .filter(sessions::id.eq(claims.sid))
            .filter(sessions::user_id.eq(claims.sub))
            .filter(sessions::revoked_at.is_null())
            .filter(users::erased_at.is_null())
            .select((
                users::username,
                users::role,
                users::email_verified_at,
                users::suspended_until,
                users::silenced_until,
                users::display_name,
                users::created_at,
            ))
            .first(conn)
            .optional()?;
        let Some((
            username,
            role,
            verified_at,
            suspended_until,
            silenced_until,
            display_name,
            created_at,
        )) = row
        else {
            return Err(AppError::Unauthorized(
                "This session has ended; log in again.".into(),
            ));
        };
        let now = Utc::now();
        if let Some(until) = suspended_until.filter(|u| *u > now) {
            return Err(AppError::Forbidden(format!(
                "This account is suspended until {}.",
                until.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            )));
        }
        Ok(Actor {
            id: claims.sub,
            username,
            role: Role::parse(&role).unwrap_or(Role::Member),
            session_id: claims.sid,
            verified: verified_at.is_some(),
            silenced: silenced_until.is_some_and(|u| u > now),
            display_name,
            created_at,
        })
    }

    /// The member as anyone sees them.
    pub fn public(&self) -> crate::accounts::types::UserPublic {
        crate::accounts::types::UserPublic {
            id: self.id,
            username: self.username.clone(),
            display_name: self.display_name.clone(),
            role: self.role,
            created_at: self.created_at,
        }
    }

    /// Writing needs a verified address and no silence.
    pub fn require_writer(&self) -> AppResult<()> {
        if !self.verified {
            return Err(AppError::Forbidden(
                "Confirm your email address before writing (see the message we sent you).".into(),
            ));
        }
        if self.silenced {
            return Err(AppError::Forbidden(
                "This account is silenced: it can read but not write.".into(),
            ));
        }
        Ok(())
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    pub fn is_staff(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Moderator)
    }

    pub fn require_admin(&self) -> AppResult<()> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(AppError::Forbidden(
                "Only administrators may do this.".into(),
            ))
        }
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
    crate::http_util::sha256_hex(token.as_bytes(), 32)
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
