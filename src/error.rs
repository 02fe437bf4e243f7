//! One error type for the whole API, rendered as RFC 9457 problem details
//! (`application/problem+json`). Internal causes are logged, never returned.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde::Serialize;
use utoipa::ToSchema;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// One invalid field of a request.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct FieldError {
    /// The field's name, as in the request (`title`, `body`, …); empty for the request as a whole.
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// The kinds of problem, each a URI (`urn:palabre:problem:<slug>`): a client switches on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub enum ProblemType {
    #[serde(rename = "urn:palabre:problem:bad-request")]
    BadRequest,
    #[serde(rename = "urn:palabre:problem:unauthorized")]
    Unauthorized,
    #[serde(rename = "urn:palabre:problem:forbidden")]
    Forbidden,
    #[serde(rename = "urn:palabre:problem:not-found")]
    NotFound,
    #[serde(rename = "urn:palabre:problem:method-not-allowed")]
    MethodNotAllowed,
    #[serde(rename = "urn:palabre:problem:request-timeout")]
    RequestTimeout,
    #[serde(rename = "urn:palabre:problem:conflict")]
    Conflict,
    #[serde(rename = "urn:palabre:problem:payload-too-large")]
    PayloadTooLarge,
    #[serde(rename = "urn:palabre:problem:uri-too-long")]
    UriTooLong,
    #[serde(rename = "urn:palabre:problem:unsupported-media-type")]
    UnsupportedMediaType,
    #[serde(rename = "urn:palabre:problem:validation")]
    Validation,
    #[serde(rename = "urn:palabre:problem:rate-limited")]
    RateLimited,
    #[serde(rename = "urn:palabre:problem:header-fields-too-large")]
    HeaderFieldsTooLarge,
    #[serde(rename = "urn:palabre:problem:internal")]
    Internal,
    #[serde(rename = "urn:palabre:problem:unavailable")]
    Unavailable,
}

/// RFC 9457 problem details.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:palabre:problem:validation",
    "title": "Invalid request",
    "status": 422,
    "detail": "One or more fields are invalid.",
    "errors": [{"field": "title", "message": "Entre 5 et 200 caractères."}]
}))]
pub struct Problem {
    /// The kind of problem, a URI.
    #[serde(rename = "type")]
    pub kind: ProblemType,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("malformed request: {0}")]
    BadRequest(String),
    #[error("authentication required")]
    Unauthorized(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed { allow: String },
    #[error("conflict: {detail}")]
    Conflict {
        field: Option<String>,
        detail: String,
    },
    #[error("payload too large")]
    PayloadTooLarge(String),
    #[error("unsupported media type")]
    UnsupportedMediaType(String),
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("rate limited")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0:#}")]
    Internal(#[from] anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        AppError::Validation(vec![FieldError::new(field, message)])
    }

    pub fn conflict(field: Option<&str>, detail: impl Into<String>) -> Self {
        AppError::Conflict {
            field: field.map(str::to_string),
            detail: detail.into(),
        }
    }

    fn kind_title(&self) -> (ProblemType, &'static str) {
        match self {
            AppError::BadRequest(_) => (ProblemType::BadRequest, "Malformed request"),
            AppError::Unauthorized(_) => (ProblemType::Unauthorized, "Authentication required"),
            AppError::Forbidden(_) => (ProblemType::Forbidden, "Not allowed"),
            AppError::NotFound => (ProblemType::NotFound, "Not found"),
            AppError::MethodNotAllowed { .. } => {
                (ProblemType::MethodNotAllowed, "Method not allowed")
            }
            AppError::Conflict { .. } => (ProblemType::Conflict, "Conflict"),
            AppError::PayloadTooLarge(_) => {
                (ProblemType::PayloadTooLarge, "Request body too large")
            }
            AppError::UnsupportedMediaType(_) => {
                (ProblemType::UnsupportedMediaType, "Unsupported media type")
            }
            AppError::Validation(_) => (ProblemType::Validation, "Invalid request"),
            AppError::TooManyRequests { .. } => (ProblemType::RateLimited, "Too many requests"),
            AppError::Unavailable(_) => (ProblemType::Unavailable, "Service unavailable"),
            AppError::Internal(_) => (ProblemType::Internal, "Internal server error"),
        }
    }

    /// The problem document, with nothing internal in it.
    pub fn problem(&self) -> Problem {
        let (kind, title) = self.kind_title();
        let detail = match self {
            AppError::BadRequest(d)
            | AppError::Unauthorized(d)
            | AppError::Forbidden(d)
            | AppError::PayloadTooLarge(d)
            | AppError::UnsupportedMediaType(d) => Some(d.clone()),
            AppError::Conflict { detail, .. } => Some(detail.clone()),
            AppError::NotFound => Some("No such resource.".into()),
            AppError::MethodNotAllowed { allow } => Some(format!("Allowed methods: {allow}.")),
            AppError::Validation(_) => Some("One or more fields are invalid.".into()),
            AppError::TooManyRequests { retry_after_secs } => {
                Some(format!("Try again in {retry_after_secs} seconds."))
            }
            AppError::Unavailable(_) => {
                Some("The database is unavailable; try again shortly.".into())
            }
            AppError::Internal(_) => None,
        };
        let errors = match self {
            AppError::Validation(errors) => errors.clone(),
            AppError::Conflict {
                field: Some(f),
                detail,
            } => vec![FieldError::new(f, detail)],
            _ => Vec::new(),
        };
        Problem {
            kind,
            title: title.into(),
            status: self.status_code().as_u16(),
            detail,
            errors,
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            AppError::Internal(e) => tracing::error!(error = %format!("{e:#}"), "internal error"),
            AppError::Unavailable(e) => tracing::warn!(error = %e, "database unavailable"),
            _ => {}
        }
        let mut resp = HttpResponse::build(self.status_code());
        resp.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        match self {
            AppError::Unauthorized(_) => {
                resp.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            AppError::TooManyRequests { retry_after_secs } => {
                resp.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            AppError::MethodNotAllowed { allow } => {
                if let Ok(v) = HeaderValue::from_str(allow) {
                    resp.insert_header((header::ALLOW, v));
                }
            }
            AppError::Unavailable(_) => {
                resp.insert_header((header::RETRY_AFTER, "5"));
            }
            _ => {}
        }
        resp.body(serde_json::to_vec(&self.problem()).unwrap_or_default())
    }
}

/// True for errors that mean the connection itself is gone (server restarted, network cut).
pub fn is_connection_lost(e: &DieselError) -> bool {
    matches!(
        e,
        DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, _)
            | DieselError::DatabaseError(DatabaseErrorKind::UnableToSendCommand, _)
            | DieselError::BrokenTransactionManager
    )
}

impl From<DieselError> for AppError {
    fn from(e: DieselError) -> Self {
        match &e {
            DieselError::NotFound => AppError::NotFound,
            _ if is_connection_lost(&e) => AppError::Unavailable(e.to_string()),
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                // Constraint names follow `<table>_<column>_key`; the column is what the client sent.
                let field = info.constraint_name().and_then(field_from_constraint);
                AppError::Conflict {
                    detail: match &field {
                        Some(f) => format!("This {f} is already taken."),
                        None => "This resource already exists.".into(),
                    },
                    field,
                }
            }
            // PostgreSQL text cannot hold U+0000; whatever field carried it, the input is invalid.
            DieselError::DatabaseError(_, info) if info.message().contains("0x00") => {
                AppError::validation("", "Text may not contain the NUL character (U+0000).")
            }
            _ => AppError::Internal(anyhow::Error::new(e)),
        }
    }
}

fn field_from_constraint(name: &str) -> Option<String> {
    let stem = name.strip_suffix("_key")?;
    let (_, column) = stem.split_once('_')?;
    let column = column.strip_prefix("lower_").unwrap_or(column);
    Some(column.to_string())
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        AppError::Unavailable(e.to_string())
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        AppError::Internal(anyhow::anyhow!("blocking task failed: {e}"))
    }
}

// ---- actix's own failures, mapped to problems -------------------------------------------------

pub fn json_error(err: actix_web::error::JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    use actix_web::error::JsonPayloadError as J;
    let app = match &err {
        J::OverflowKnownLength { length, limit } => {
            AppError::PayloadTooLarge(format!("The body is {length} bytes; the limit is {limit}."))
        }
        J::Overflow { limit } => {
            AppError::PayloadTooLarge(format!("The body exceeds the limit of {limit} bytes."))
        }
        J::ContentType => AppError::UnsupportedMediaType(
            "Send a JSON body with Content-Type: application/json.".into(),
        ),
        J::Deserialize(e) if e.is_data() => {
            // Wrong types or missing fields: the serde message names the field and type, not our internals.
            AppError::BadRequest(format!("Invalid JSON body: {e}"))
        }
        J::Deserialize(_) => AppError::BadRequest("The body is not valid JSON.".into()),
        _ => AppError::BadRequest("The body could not be read.".into()),
    };
    app.into()
}

pub fn query_error(
    err: actix_web::error::QueryPayloadError,
    _req: &HttpRequest,
) -> actix_web::Error {
    AppError::BadRequest(format!("Invalid query string: {err}")).into()
}

pub fn path_error(err: actix_web::error::PathError, _req: &HttpRequest) -> actix_web::Error {
    let _ = err;
    AppError::NotFound.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constraint_names_give_the_field() {
        assert_eq!(
            field_from_constraint("users_username_key").as_deref(),
            Some("username")
        );
        assert_eq!(
            field_from_constraint("users_lower_username_key").as_deref(),
            Some("username")
        );
        assert_eq!(field_from_constraint("users_pkey"), None);
    }

    #[test]
    fn internal_errors_carry_no_detail() {
        let p = AppError::Internal(anyhow::anyhow!("password=hunter2 at db.rs:42")).problem();
        assert_eq!(p.status, 500);
        assert!(p.detail.is_none());
        assert!(!serde_json::to_string(&p).unwrap().contains("hunter2"));
    }
}
