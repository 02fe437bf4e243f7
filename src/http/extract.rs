//! Request bodies and query strings, read into typed values with every failure a problem that says
//! which field is wrong and how:
//! - **400** for what is not well-typed: JSON syntax, a wrong JSON type, an unknown field;
//! - **422** naming the field for a well-typed value that is not allowed: a string outside an
//!   enumeration, a number out of range, a missing required field — and for every query value that
//!   does not parse (a query string has no types to be wrong about);
//! - 413 for a body over the limit, 415 for a body that is not `application/json`.
//!
//! `serde_path_to_error` gives the path of the field where deserialisation stopped.

use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use serde::de::DeserializeOwned;

use crate::error::{AppError, FieldError};

/// A JSON body (palabre's `web::Json`).
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T> Json<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Json<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for Json<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

/// A query string (palabre's `web::Query`).
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T> Query<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Query<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// The field a path designates (`locale`, `location.coordinates[0]`); empty for the whole body.
fn field_of(path: &serde_path_to_error::Path) -> String {
    let p = path.to_string();
    if p == "." { String::new() } else { p }
}

/// The field named in a serde message between backticks (`missing field `title``).
fn quoted(message: &str) -> Option<&str> {
    let start = message.find('`')? + 1;
    let end = start + message[start..].find('`')?;
    Some(&message[start..end])
}

fn join(parent: &str, child: &str) -> String {
    if parent.is_empty() {
        child.to_string()
    } else {
        format!("{parent}.{child}")
    }
}

/// What a data error of a JSON body is: 400 (not well-typed) or 422 (a value not allowed).
pub fn classify_body(err: serde_path_to_error::Error<serde_json::Error>) -> AppError {
    let field = field_of(err.path());
    let inner = err.into_inner();
    if !inner.is_data() {
        return AppError::BadRequest("The body is not valid JSON.".into());
    }
    let message = inner.to_string();
    // serde_json appends " at line L column C"; the field says where.
    let message = match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message,
    };
    if message.starts_with("missing field") {
        let missing = join(&field, quoted(&message).unwrap_or(""));
        return AppError::Validation(vec![FieldError::new(missing, "This field is required.")]);
    }
    if message.starts_with("invalid type") || message.starts_with("unknown field") {
        let detail = if field.is_empty() {
            format!("Invalid JSON body: {message}.")
        } else {
            format!("Invalid JSON body: `{field}`: {message}.")
        };
        return AppError::BadRequest(detail);
    }
    // Unknown variants, values out of range, wrong lengths, and our own checks (`opt_int`).
    AppError::Validation(vec![FieldError::new(field, message)])
}

/// What an error of a query string is: always a 422 naming the parameter.
fn classify_query(err: serde_path_to_error::Error<serde_urlencoded::de::Error>) -> AppError {
    let field = field_of(err.path());
    let message = err.into_inner().to_string();
    if message.starts_with("missing field") {
        let missing = join(&field, quoted(&message).unwrap_or(""));
        return AppError::Validation(vec![FieldError::new(
            missing,
            "This parameter is required.",
        )]);
    }
    AppError::Validation(vec![FieldError::new(field, message)])
}

fn is_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .is_some_and(|m| m == "application/json" || m.ends_with("+json"))
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = is_json(req);
        // The body, within the configured limit (`web::PayloadConfig`).
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !json {
                return Err(AppError::UnsupportedMediaType(
                    "Send a JSON body with Content-Type: application/json.".into(),
                )
                .into());
            }
            let bytes = bytes.await.map_err(|e| {
                let app = match e.as_error::<actix_web::error::PayloadError>() {
                    Some(actix_web::error::PayloadError::Overflow) => {
                        AppError::PayloadTooLarge("The body exceeds the size limit.".into())
                    }
                    _ => match e.error_response().status().as_u16() {
                        413 => AppError::PayloadTooLarge("The body exceeds the size limit.".into()),
                        _ => AppError::BadRequest("The body could not be read.".into()),
                    },
                };
                actix_web::Error::from(app)
            })?;
            // Every body of this API is a JSON object: serde would also read a struct from an array
            // (`[null, null]`), which is not one.
            let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
            if first.is_some_and(|b| *b == b'[') {
                return Err(AppError::BadRequest(
                    "Invalid JSON body: expected an object, not an array.".into(),
                )
                .into());
            }
            let de = &mut serde_json::Deserializer::from_slice(&bytes);
            let value: T = serde_path_to_error::deserialize(&mut *de).map_err(classify_body)?;
            // Trailing characters after the value are a syntax error.
            de.end()
                .map_err(|_| AppError::BadRequest("The body is not valid JSON.".into()))?;
            Ok(Json(value))
        })
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Query<T> {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(
            req.query_string().as_bytes(),
        ));
        std::future::ready(
            serde_path_to_error::deserialize(de)
                .map(Query)
                .map_err(classify_query),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        locale: Option<crate::mail::Locale>,
        count: Option<u16>,
        name: String,
    }

    fn classify(json: &str) -> AppError {
        let de = &mut serde_json::Deserializer::from_str(json);
        classify_body(serde_path_to_error::deserialize::<_, Body>(de).unwrap_err())
    }

    fn field(e: &AppError) -> Option<(u16, String)> {
        let p = e.problem();
        Some((p.status, p.errors.first()?.field.clone()))
    }

    #[test]
    fn bodies_are_400_when_ill_typed_and_422_when_not_allowed() {
        assert_eq!(
            field(&classify(r#"{"name": "x", "locale": "xx"}"#)),
            Some((422, "locale".into()))
        );
        assert_eq!(
            field(&classify(r#"{"name": "x", "count": 70000}"#)),
            Some((422, "count".into()))
        );
        assert_eq!(field(&classify(r#"{}"#)), Some((422, "name".into())));
        assert_eq!(classify(r#"{"name": 3}"#).problem().status, 400);
        assert_eq!(
            classify(r#"{"name": "x", "extra": 1}"#).problem().status,
            400
        );
        assert!(
            classify(r#"{"name": 3}"#)
                .problem()
                .detail
                .unwrap()
                .contains("`name`")
        );
    }
}
