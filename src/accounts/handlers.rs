//! HTTP handlers of accounts and auth: extract, parse, one service call in one database hop, respond.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use uuid::Uuid;

use super::auth::{Actor, Bearer};
use super::models::NewUser;
use super::service::{self, ClientInfo};
use super::types::*;
use crate::db;
use crate::error::{AppResult, Problem};
use crate::http::{AppState, Created, IdempotencyKey, Json};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(register)
        .service(verify_email)
        .service(login)
        .service(refresh)
        .service(logout)
        .service(password_reset)
        .service(password_reset_confirm)
        .service(get_me)
        .service(update_me)
        .service(erase_me)
        .service(export_me)
        .service(end_sessions)
        .service(user_profile)
        .service(admin_update_user);
}

pub fn client_info(req: &HttpRequest) -> ClientInfo {
    ClientInfo {
        ip: req.peer_addr().map(|a| a.ip().to_string()),
        user_agent: req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
    }
}

/// Create an account. A verification email is sent; the account can log in and read at once, and
/// write once the address is confirmed.
#[utoipa::path(
    operation_id = "register",
    tag = "auth",
    security(()),
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key return the first response")),
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Account created; verification email queued", body = Me,
         headers(("Location" = String, description = "The public profile"))),
        (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Username taken (an address that has an account gets the 201, and its owner an email)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid username, email or weak password", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many registrations from this address; see Retry-After", body = Problem, content_type = "application/problem+json",
         headers(("Retry-After" = String, description = "Seconds to wait"))),
    )
)]
#[post("/auth/register")]
pub async fn register(
    req: HttpRequest,
    state: web::Data<AppState>,
    key: IdempotencyKey,
    body: Json<RegisterRequest>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let idem = key.with_body(&body);
    let settings = state.settings.clone();
    let client = client_info(&req);
    let stored = db::run(&state.pool, move |conn| {
        idem.run(conn, None, |conn| {
            service::per_address(conn, &settings, &client, "register")?;
            let registered = service::register(
                conn,
                &settings,
                NewUser {
                    username: body.username,
                    email: body.email,
                    display_name: body.display_name,
                    password: body.password,
                    role: super::Role::Member,
                    locale: body.locale.unwrap_or_default().as_str().into(),
                    verified: false,
                },
            )?;
            let me = registered.me;
            let created = Created::at(format!("/api/v1/users/{}", me.username), me);
            // The stored response of a real account is that member's data (erased with them).
            Ok(if registered.created {
                let owner = created.body.id;
                created.owned_by(owner)
            } else {
                created
            })
        })
    })
    .await?;
    Ok(stored.response())
}

/// Confirm an email address with the token from the verification email.
#[utoipa::path(
    operation_id = "verifyEmail",
    tag = "auth",
    security(()),
    request_body = TokenRequest,
    responses(
        (status = 204, description = "Address confirmed"),
        (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Token invalid, used or expired", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts from this address; see Retry-After", body = Problem, content_type = "application/problem+json",
         headers(("Retry-After" = String, description = "Seconds to wait"))),
    )
)]
#[post("/auth/verify-email")]
pub async fn verify_email(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Json<TokenRequest>,
) -> AppResult<HttpResponse> {
    let token = body.into_inner().token;
    let settings = state.settings.clone();
    let client = client_info(&req);
    db::run(&state.pool, move |conn| {
        // Counted apart from the verification: a wrong token counts too.
        service::per_address(conn, &settings, &client, "verify")?;
        service::verify_email(conn, &token)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Log in with username or email. Repeated failures are throttled per account and per address.
#[utoipa::path(
    operation_id = "login",
    tag = "auth",
    security(()),
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = Tokens),
        (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Unknown login or wrong password", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Account suspended", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failures; see Retry-After", body = Problem, content_type = "application/problem+json",
         headers(("Retry-After" = String, description = "Seconds to wait"))),
    )
)]
#[post("/auth/login")]
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Json<LoginRequest>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let client = client_info(&req);
    let st = state.clone();
    let tokens = db::run(&state.pool, move |conn| {
        service::login(
            conn,
            &st.settings,
            &st.jwt,
            &body.login,
            &body.password,
            &client,
        )
    })
    .await?;
    Ok(HttpResponse::Ok().json(tokens))
}

/// Exchange a refresh token for a new pair. Each refresh token works once; presenting a used one
/// closes its session.
#[utoipa::path(
    operation_id = "refreshTokens",
    tag = "auth",
    security(()),
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new token pair", body = Tokens),
        (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Refresh token invalid, reused or session ended", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Account suspended", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/refresh")]
pub async fn refresh(
    state: web::Data<AppState>,
    body: Json<RefreshRequest>,
) -> AppResult<HttpResponse> {
    let token = body.into_inner().refresh_token;
    let st = state.clone();
    let tokens = db::run(&state.pool, move |conn| {
        service::refresh(conn, &st.jwt, &token)
    })
    .await?;
    Ok(HttpResponse::Ok().json(tokens))
}

/// End this session.
#[utoipa::path(
    operation_id = "logout",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Session ended"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Account suspended", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/logout")]
pub async fn logout(state: web::Data<AppState>, bearer: Bearer) -> AppResult<HttpResponse> {
    db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        service::logout(conn, &actor)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Ask for a password-reset email. Always 202, whether or not the address is known.
#[utoipa::path(
    operation_id = "requestPasswordReset",
    tag = "auth",
    security(()),
    request_body = PasswordResetRequest,
    responses(
        (status = 202, description = "If the address belongs to an account, a reset link is on its way"),
        (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests from this address; see Retry-After", body = Problem, content_type = "application/problem+json",
         headers(("Retry-After" = String, description = "Seconds to wait"))),
    )
)]
#[post("/auth/password-reset")]
pub async fn password_reset(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Json<PasswordResetRequest>,
) -> AppResult<HttpResponse> {
    let email = body.into_inner().email;
    let settings = state.settings.clone();
    let client = client_info(&req);
    db::run(&state.pool, move |conn| {
        service::per_address(conn, &settings, &client, "reset")?;
        service::request_password_reset(conn, &email)
    })
    .await?;
    Ok(HttpResponse::Accepted().finish())
}

/// Set a new password with the token from the reset email. Ends every session of the account.
#[utoipa::path(
    operation_id = "confirmPasswordReset",
    tag = "auth",
    security(()),
    request_body = PasswordResetConfirm,
    responses(
        (status = 204, description = "Password changed; every session ended"),
        (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Token invalid, used or expired, or weak password", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts from this address; see Retry-After", body = Problem, content_type = "application/problem+json",
         headers(("Retry-After" = String, description = "Seconds to wait"))),
    )
)]
#[post("/auth/password-reset/confirm")]
pub async fn password_reset_confirm(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Json<PasswordResetConfirm>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let settings = state.settings.clone();
    let client = client_info(&req);
    db::run(&state.pool, move |conn| {
        service::per_address(conn, &settings, &client, "reset_confirm")?;
        service::confirm_password_reset(conn, &body.token, &body.password)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller's account and settings.
#[utoipa::path(
    operation_id = "getMe",
    tag = "me",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller", body = Me),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Account suspended", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/me")]
pub async fn get_me(state: web::Data<AppState>, bearer: Bearer) -> AppResult<HttpResponse> {
    let me = db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        service::me(conn, actor.id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(me))
}

/// Change profile and settings: display name, bio, locale, digest frequency, day and hour.
#[utoipa::path(
    operation_id = "updateMe",
    tag = "me",
    security(("bearer" = [])),
    request_body = UpdateMe,
    responses(
        (status = 200, description = "Updated", body = Me),
        (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Account suspended", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid values", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/me")]
pub async fn update_me(
    state: web::Data<AppState>,
    bearer: Bearer,
    body: Json<UpdateMe>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let me = db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        service::update_me(conn, &actor, body)
    })
    .await?;
    Ok(HttpResponse::Ok().json(me))
}

/// Erase the account (password re-entered): personal data removed, content kept under an anonymous
/// placeholder, no further login possible.
#[utoipa::path(
    operation_id = "eraseMe",
    tag = "me",
    security(("bearer" = [])),
    request_body = EraseRequest,
    responses(
        (status = 204, description = "Account erased"),
        (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Wrong password or account suspended", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many wrong passwords (the login limits); see Retry-After", body = Problem, content_type = "application/problem+json",
         headers(("Retry-After" = String, description = "Seconds to wait"))),
    )
)]
#[delete("/me")]
pub async fn erase_me(
    state: web::Data<AppState>,
    bearer: Bearer,
    body: Json<EraseRequest>,
) -> AppResult<HttpResponse> {
    let password = body.into_inner().password;
    let st = state.clone();
    db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        service::erase(conn, &st.settings, &actor, &password, st.features)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Everything stored about the caller, as one JSON document (GDPR access).
#[utoipa::path(
    operation_id = "exportMe",
    tag = "me",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's data: the account's part, then one section per feature that keeps personal data (the schema `MeExport`)", body = service::AccountExport),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Account suspended", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/me/export")]
pub async fn export_me(state: web::Data<AppState>, bearer: Bearer) -> AppResult<HttpResponse> {
    let st = state.clone();
    let doc = db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        service::export(conn, &actor, st.features)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"palabre-export.json\"",
        ))
        .json(doc))
}

/// End every session of the caller (this one included).
#[utoipa::path(
    operation_id = "endSessions",
    tag = "me",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Every session ended"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Account suspended", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/me/sessions")]
pub async fn end_sessions(state: web::Data<AppState>, bearer: Bearer) -> AppResult<HttpResponse> {
    db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        service::end_all_sessions(conn, actor.id).map(|_| ())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A member's public profile, with activity counts.
#[utoipa::path(
    operation_id = "getUserProfile",
    tag = "users",
    security(()),
    params(("username" = String, Path, description = "Username (any case)")),
    responses(
        (status = 200, description = "The profile", body = Profile),
        (status = 404, description = "No such member", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/users/{username}")]
pub async fn user_profile(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let username = path.into_inner();
    let profile = db::run(&state.pool, move |conn| service::profile(conn, &username)).await?;
    Ok(HttpResponse::Ok().json(profile))
}

/// Change a member's role (administrators). Every change is kept in the moderation log.
#[utoipa::path(
    operation_id = "updateUserAsAdmin",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The member's id")),
    request_body = AdminUpdateUser,
    responses(
        (status = 200, description = "Updated", body = UserPublic),
        (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such member", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Administrators cannot change their own role", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/admin/users/{id}")]
pub async fn admin_update_user(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<Uuid>,
    body: Json<AdminUpdateUser>,
) -> AppResult<HttpResponse> {
    let target = path.into_inner();
    let body = body.into_inner();
    let user = db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        service::set_role(conn, &actor, target, body.role, body.reason)
    })
    .await?;
    Ok(HttpResponse::Ok().json(user))
}
