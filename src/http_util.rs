//! Conditional reads (`ETag` / `If-None-Match`) and idempotent creates (`Idempotency-Key`).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use diesel::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::schema::idempotency_keys;

/// The first `bytes` bytes of the SHA-256 of `data`, in hex (ETags, request fingerprints, stored
/// token hashes).
pub fn sha256_hex(data: &[u8], bytes: usize) -> String {
    Sha256::digest(data)
        .iter()
        .take(bytes)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A JSON 200 with a weak `ETag` of its body, or a 304 when the client already has it.
pub fn json_with_etag<T: Serialize>(req: &HttpRequest, value: &T) -> AppResult<HttpResponse> {
    let body = serde_json::to_vec(value).map_err(|e| AppError::Internal(e.into()))?;
    // A fast non-cryptographic hash: SHA-256 of a 44 KB thread list page took 7 % of palabre's CPU
    // under load, and a weak validator only has to change when the body does.
    let tag = format!("{:032x}", xxhash_rust::xxh3::xxh3_128(&body));
    let etag = format!("W/\"{tag}\"");
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if matches {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .finish());
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag))
        .content_type("application/json")
        .body(body))
}

/// The `Idempotency-Key` header, if any (at most 255 bytes; an empty one counts as absent).
pub fn idempotency_key(req: &HttpRequest) -> AppResult<Option<String>> {
    let Some(v) = req.headers().get("idempotency-key") else {
        return Ok(None);
    };
    let key = String::from_utf8_lossy(v.as_bytes()).trim().to_string();
    if key.len() > 255 {
        return Err(AppError::validation(
            "Idempotency-Key",
            "At most 255 bytes.",
        ));
    }
    Ok((!key.is_empty()).then_some(key))
}

/// A create's response, as stored for replays.
pub struct Stored {
    pub status: u16,
    pub location: Option<String>,
    pub body: serde_json::Value,
}

impl Stored {
    pub fn response(&self) -> HttpResponse {
        let mut r = HttpResponse::build(
            actix_web::http::StatusCode::from_u16(self.status)
                .unwrap_or(actix_web::http::StatusCode::OK),
        );
        if let Some(l) = &self.location {
            r.insert_header((header::LOCATION, l.clone()));
        }
        r.json(&self.body)
    }
}

/// The first response for (`user`, `key`) if this request was already made; 422 if the key was
/// used for a different request.
pub fn replay(
    conn: &mut PgConnection,
    user: Uuid,
    key: &str,
    request: &str,
) -> AppResult<Option<Stored>> {
    let row: Option<(String, i16, Option<String>, serde_json::Value)> = idempotency_keys::table
        .find((user, key))
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
        Some((r, _, _, _)) if r != request => Err(AppError::validation(
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

/// Keeps the response of a create under (`user`, `key`), in the create's transaction.
pub fn remember(
    conn: &mut PgConnection,
    user: Uuid,
    key: &str,
    request: &str,
    stored: &Stored,
) -> AppResult<()> {
    diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::user_id.eq(user),
            idempotency_keys::key.eq(key),
            idempotency_keys::request.eq(request),
            idempotency_keys::status.eq(stored.status as i16),
            idempotency_keys::location.eq(&stored.location),
            idempotency_keys::body.eq(&stored.body),
        ))
        .execute(conn)?;
    Ok(())
}
