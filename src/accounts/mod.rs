//! Accounts: users, roles, sessions, organisations and personal data.

pub mod auth;
pub mod domain;
pub mod handlers;
pub mod models;
pub mod password;
pub mod service;
pub mod types;
pub mod view;

use utoipa::OpenApi;

use crate::feature::Feature;
pub use models::{NewUser, Role, User};

/// The feature's description (its own personal data is the base of the export, not a hook).
pub const FEATURE: Feature =
    Feature::new("accounts", routes, ApiDoc::openapi).jobs(service::register_jobs);

/// Registers the feature's routes under `/api/v1`.
pub fn routes(cfg: &mut actix_web::web::ServiceConfig) {
    handlers::routes(cfg);
}

/// The feature's part of the OpenAPI document (nested under `/api/v1`).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        handlers::register,
        handlers::verify_email,
        handlers::login,
        handlers::refresh,
        handlers::logout,
        handlers::password_reset,
        handlers::password_reset_confirm,
        handlers::get_me,
        handlers::update_me,
        handlers::erase_me,
        handlers::export_me,
        handlers::end_sessions,
        handlers::user_profile,
        handlers::admin_update_user,
    ),
    tags(
        (name = "auth", description = "Registration, login, tokens, password reset"),
        (name = "me", description = "The caller's account, settings and personal data"),
        (name = "users", description = "Public profiles"),
        (name = "admin", description = "Administration"),
    )
)]
pub struct ApiDoc;
