//! Idempotent creates: every `POST` that creates accepts an `Idempotency-Key` header. A retry with
//! the same key (by the same member, or anonymously for anonymous creates) and the same request gets
//! the first response back and creates nothing; the same key with another request is a 422.
//!
//! A handler extracts [`IdempotencyKey`], binds it to its parsed body with
//! [`IdempotencyKey::with_body`], and runs its create through [`Idempotent::run`] inside its one
//! database hop.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use diesel::prelude::*;
use serde::Serialize;
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::schema::idempotency_keys;

/// How long a stored response is replayed (housekeeping removes older keys).
pub const RETENTION_HOURS: i64 = 24;

/// The `Idempotency-Key` header of a request (at most 255 bytes; an empty one counts as absent),
/// with the request line it came with.
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    key: Option<String>,
    line: String,
}

impl IdempotencyKey {
    fn parse(req: &HttpRequest) -> AppResult<Self> {
        let line = format!("{} {}", req.method(), req.path());
        let Some(v) = req.headers().get("idempotency-key") else {
            return Ok(Self { key: None, line });
        };
        let key = String::from_utf8_lossy(v.as_bytes()).trim().to_string();
        if key.len() > 255 {
            return Err(AppError::validation(
                "Idempotency-Key",
                "At most 255 bytes.",
            ));
        }
        Ok(Self {
            key: (!key.is_empty()).then_some(key),
            line,
        })
    }

    /// Binds the key to the request's parsed body: the fingerprint a retry must match.
    pub fn with_body<T: Serialize>(self, body: &T) -> Idempotent {
        let bytes = serde_json::to_vec(body).unwrap_or_default();
        Idempotent {
            fingerprint: format!("{} {}", self.line, super::sha256_hex(&bytes, 16)),
            key: self.key,
        }
    }
}

impl FromRequest for IdempotencyKey {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Self::parse(req))
    }
}

/// A create's key and fingerprint, ready to run the create.
#[derive(Debug, Clone)]
pub struct Idempotent {
    key: Option<String>,
    fingerprint: String,
}

/// What a create made: its status (201 unless said otherwise), where it lives, its body.
pub struct Created<T> {
    pub status: StatusCode,
    pub location: Option<String>,
    pub body: T,
    /// For anonymous creates that make a member (registration): whose personal data the stored
    /// response is, so that erasing that member removes it.
    pub owner: Option<Uuid>,
}

impl<T> Created<T> {
    /// `201 Created` with `Location`.
    pub fn at(location: impl Into<String>, body: T) -> Self {
        Self {
            status: StatusCode::CREATED,
            location: Some(location.into()),
            body,
            owner: None,
        }
    }

    /// Another status; a `200 OK` (nothing created: an existing resource changed) sends no
    /// `Location`.
    pub fn status(mut self, status: StatusCode) -> Self {
        self.status = status;
        if status == StatusCode::OK {
            self.location = None;
        }
        self
    }

    pub fn owned_by(mut self, owner: Uuid) -> Self {
        self.owner = Some(owner);
        self
    }
}

/// A create's response, as stored for replays.
pub struct Stored {
    pub status: u16,
    pub location: Option<String>,
    pub body: serde_json::Value,
}

impl Stored {
    pub fn response(&self) -> HttpResponse {
        let mut r =
            HttpResponse::build(StatusCode::from_u16(self.status).unwrap_or(StatusCode::OK));
        if let Some(l) = &self.location {
            r.insert_header((header::LOCATION, l.clone()));
        }
        r.json(&self.body)
    }
}

impl Idempotent {
    /// Runs `create` in a transaction (the caller's, if one is open), unless this key already made
    /// this request: then its first response comes back and nothing is created. `member` scopes
    /// the key (`None`: an anonymous create).
    pub fn run<T: Serialize>(
        &self,
        conn: &mut PgConnection,
        member: Option<Uuid>,
        create: impl FnOnce(&mut PgConnection) -> AppResult<Created<T>>,
    ) -> AppResult<Stored> {
        let scope = member.map_or_else(|| "anonymous".to_string(), |m| m.to_string());
        crate::db::atomic(conn, |conn| {
            if let Some(k) = &self.key
                && let Some(s) = self.replay(conn, &scope, k)?
            {
                return Ok(s);
            }
            let created = create(conn)?;
            let stored = Stored {
                status: created.status.as_u16(),
                location: created.location,
                body: serde_json::to_value(&created.body)
                    .map_err(|e| AppError::Internal(e.into()))?,
            };
            if let Some(k) = &self.key {
                diesel::insert_into(idempotency_keys::table)
                    .values((
                        idempotency_keys::scope.eq(&scope),
                        idempotency_keys::user_id.eq(member.or(created.owner)),
                        idempotency_keys::key.eq(k),
                        idempotency_keys::request.eq(&self.fingerprint),
                        idempotency_keys::status.eq(stored.status as i16),
                        idempotency_keys::location.eq(&stored.location),
                        idempotency_keys::body.eq(&stored.body),
                    ))
                    .execute(conn)?;
            }
            Ok(stored)
        })
    }

    /// The first response for (`scope`, `key`) if this request was already made; 422 if the key
    /// was used for a different request.
    fn replay(&self, conn: &mut PgConnection, scope: &str, key: &str) -> AppResult<Option<Stored>> {
        let row: Option<(String, i16, Option<String>, serde_json::Value)> = idempotency_keys::table
            .find((scope, key))
            .select((
                idempotency_keys::request,
                idempotency_keys::status,
                idempotency_keys::location,
                idempotency_keys::body,
            ))
            .first(conn)
            .optional()?;
        match row {
            None => Ok(None),
            Some((r, _, _, _)) if r != self.fingerprint => Err(AppError::validation(
                "Idempotency-Key",
                "This key was already used for a different request.",
            )),
            Some((_, status, location, body)) => Ok(Some(Stored {
                status: status as u16,
                location,
                body,
            })),
        }
    }
}

/// Removes stored responses older than [`RETENTION_HOURS`] (housekeeping); returns how many.
pub fn expire(conn: &mut PgConnection) -> QueryResult<usize> {
    let cutoff = chrono::Utc::now() - chrono::Duration::hours(RETENTION_HOURS);
    diesel::delete(idempotency_keys::table.filter(idempotency_keys::created_at.lt(cutoff)))
        .execute(conn)
}
