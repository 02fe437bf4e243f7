//! Accounts: users, roles, sessions, organisations and personal data.

pub mod auth;
pub mod handlers;
pub mod models;
pub mod organisations;
pub mod password;
pub mod service;
pub mod throttle;
pub mod types;

pub use models::{NewUser, Role, User};

/// Registers the feature's routes under `/api/v1`.
pub fn routes(cfg: &mut actix_web::web::ServiceConfig) {
    handlers::routes(cfg);
    organisations::routes(cfg);
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
        organisations::list,
        organisations::create,
        organisations::read,
        organisations::update,
        organisations::add_member,
        organisations::remove_member,
    ),
    tags(
        (name = "auth", description = "Registration, login, tokens, password reset"),
        (name = "me", description = "The caller's account, settings and personal data"),
        (name = "users", description = "Public profiles"),
        (name = "admin", description = "Administration"),
        (name = "organisations", description = "Organisations and their members"),
    )
)]
pub struct ApiDoc;
