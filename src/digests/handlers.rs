//! HTTP handlers of digests and subscribers: extract, parse, one service call, respond.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use chrono::Utc;
use uuid::Uuid;

use super::compose;
use super::render;
use super::subscribers;
use super::token::{self, Recipient};
use super::types::*;
use crate::accounts::auth::{Actor, Bearer};
use crate::accounts::handlers::client_info;
use crate::db;
use crate::error::{AppError, AppResult, Problem};
use crate::http::{AppState, Json, Query};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(preview_mine)
        .service(admin_preview)
        .service(get_interests)
        .service(put_interests)
        .service(subscribe)
        .service(confirm)
        .service(unsubscribe_page)
        .service(unsubscribe);
}

fn preview_response(
    format: PreviewFormat,
    found: Option<(super::content::Target, Digest)>,
) -> AppResult<HttpResponse> {
    let Some((_, digest)) = found else {
        return Err(AppError::conflict(
            None,
            "No digest goes to this member: their address is not verified (or the account was erased).",
        ));
    };
    Ok(match format {
        PreviewFormat::Json => HttpResponse::Ok().json(digest),
        PreviewFormat::Html => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(render::render(&digest)?.html),
        PreviewFormat::Text => HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .body(render::render(&digest)?.text),
    })
}

/// The caller's next digest, as it would be sent now: what happened since their previous digest.
/// `would_send` is false when there is nothing to say (no email goes out then).
#[utoipa::path(
    operation_id = "previewMyDigest",
    tag = "digests",
    security(("bearer" = [])),
    params(PreviewQuery),
    responses(
        (status = 200, description = "The digest: its data (`format=json`), its HTML or its plain text", content(
            (Digest = "application/json"),
            (String = "text/html"),
            (String = "text/plain"),
        )),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Account suspended", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "No digest goes to an unverified address", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown format", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/me/digest/preview")]
pub async fn preview_mine(
    state: web::Data<AppState>,
    bearer: Bearer,
    query: Query<PreviewQuery>,
) -> AppResult<HttpResponse> {
    let format = query.into_inner().format.unwrap_or_default();
    let st = state.clone();
    let found = db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        let secret = st.settings.resolve_jwt_secret()?;
        Ok(compose::preview(
            conn,
            &st.settings,
            secret.expose(),
            Recipient::Member(actor.id),
            Utc::now(),
        )?)
    })
    .await?;
    preview_response(format, found)
}

/// Any member's next digest, as it would be sent now (administrators).
#[utoipa::path(
    operation_id = "previewMemberDigest",
    tag = "digests",
    security(("bearer" = [])),
    params(("user_id" = Uuid, Path, description = "The member's id"), PreviewQuery),
    responses(
        (status = 200, description = "The digest: its data (`format=json`), its HTML or its plain text", content(
            (Digest = "application/json"),
            (String = "text/html"),
            (String = "text/plain"),
        )),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such member", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "No digest goes to this member (address not verified)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Malformed id or unknown format", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/admin/digests/preview/{user_id}")]
pub async fn admin_preview(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<String>,
    query: Query<PreviewQuery>,
) -> AppResult<HttpResponse> {
    let format = query.into_inner().format.unwrap_or_default();
    let user_id = Uuid::try_parse(&path.into_inner())
        .map_err(|_| AppError::validation("user_id", "Not a UUID."))?;
    let st = state.clone();
    let found = db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        actor.require_admin()?;
        Actor::member(conn, user_id)?;
        let secret = st.settings.resolve_jwt_secret()?;
        Ok(compose::preview(
            conn,
            &st.settings,
            secret.expose(),
            Recipient::Member(user_id),
            Utc::now(),
        )?)
    })
    .await?;
    preview_response(format, found)
}

/// What the caller follows for the "new challenges" part of their digest.
#[utoipa::path(
    operation_id = "getMyDigestInterests",
    tag = "digests",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Themes and territory followed", body = Interests),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Account suspended", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/me/digest/interests")]
pub async fn get_interests(state: web::Data<AppState>, bearer: Bearer) -> AppResult<HttpResponse> {
    let interests = db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        subscribers::interests(conn, actor.id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(interests))
}

/// Set the themes (at most 10) and the territory whose new challenges the caller's digest lists.
/// With neither, the digest lists every new challenge.
#[utoipa::path(
    operation_id = "setMyDigestInterests",
    tag = "digests",
    security(("bearer" = [])),
    request_body = InterestsInput,
    responses(
        (status = 200, description = "Themes and territory followed", body = Interests),
        (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Account suspended", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown theme or territory", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/me/digest/interests")]
pub async fn put_interests(
    state: web::Data<AppState>,
    bearer: Bearer,
    body: Json<InterestsInput>,
) -> AppResult<HttpResponse> {
    let input = body.into_inner();
    let interests = db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        subscribers::set_interests(conn, actor.id, &input)
    })
    .await?;
    Ok(HttpResponse::Ok().json(interests))
}

/// Subscribe an address to the digest without an account. A confirmation link is mailed; nothing is
/// sent until it is followed, and an unconfirmed request is deleted after 48 hours. The answer is
/// the same whether or not the address was already subscribed.
#[utoipa::path(
    operation_id = "createSubscriber",
    tag = "digests",
    security(()),
    request_body = SubscribeRequest,
    responses(
        (status = 202, description = "Confirmation link sent", body = SubscribeAccepted),
        (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid address, schedule, category, theme or territory", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests from this client or for this address; see Retry-After", body = Problem, content_type = "application/problem+json",
         headers(("Retry-After" = String, description = "Seconds to wait"))),
    )
)]
#[post("/subscribers")]
pub async fn subscribe(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Json<SubscribeRequest>,
) -> AppResult<HttpResponse> {
    let input = body.into_inner();
    let client = client_info(&req);
    let st = state.clone();
    let accepted = db::run(&state.pool, move |conn| {
        subscribers::subscribe(conn, &st.settings, &client, &input)
    })
    .await?;
    Ok(HttpResponse::Accepted().json(accepted))
}

/// Confirm a subscription with the token of the confirmation link.
#[utoipa::path(
    operation_id = "confirmSubscriber",
    tag = "digests",
    security(()),
    request_body = ConfirmRequest,
    responses(
        (status = 200, description = "Subscription confirmed", body = DigestSubscription),
        (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Token invalid, used or expired", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts from this client; see Retry-After", body = Problem, content_type = "application/problem+json",
         headers(("Retry-After" = String, description = "Seconds to wait"))),
    )
)]
#[post("/subscribers/confirm")]
pub async fn confirm(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Json<ConfirmRequest>,
) -> AppResult<HttpResponse> {
    let token = body.into_inner().token;
    let client = client_info(&req);
    let st = state.clone();
    let subscription = db::run(&state.pool, move |conn| {
        subscribers::confirm(conn, &st.settings, &client, &token)
    })
    .await?;
    Ok(HttpResponse::Ok().json(subscription))
}

fn wants_html(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"))
}

fn recipient_of(state: &AppState, token: &str) -> AppResult<Recipient> {
    let secret = state.settings.resolve_jwt_secret()?;
    token::verify(secret.expose(), token).ok_or(AppError::NotFound)
}

fn unsubscribe_response(
    req: &HttpRequest,
    token: &str,
    view: UnsubscribeView,
    locale: crate::mail::Locale,
    done: bool,
) -> AppResult<HttpResponse> {
    if !wants_html(req) {
        return Ok(HttpResponse::Ok().json(view));
    }
    let done = done.then_some(match (locale, view.subscribed) {
        (crate::mail::Locale::Fr, true) => {
            "C’est fait : vous recevrez le résumé une fois par semaine."
        }
        (crate::mail::Locale::Fr, false) => "C’est fait : vous ne recevrez plus le résumé palabre.",
        (crate::mail::Locale::En, true) => "Done: you will receive the digest once a week.",
        (crate::mail::Locale::En, false) => "Done: you will no longer receive the palabre digest.",
    });
    let html =
        render::unsubscribe_page(locale, &view, &format!("/api/v1/unsubscribe/{token}"), done)?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html))
}

/// What an unsubscribe link stops: JSON, or a page with the buttons when a browser asks for HTML.
/// The token is signed, never expires and needs no login.
#[utoipa::path(
    operation_id = "getUnsubscribe",
    tag = "digests",
    security(()),
    params(("token" = String, Path, description = "The token of the unsubscribe link")),
    responses(
        (status = 200, description = "What the link stops", content(
            (UnsubscribeView = "application/json"),
            (String = "text/html"),
        )),
        (status = 404, description = "Not a valid unsubscribe token", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/unsubscribe/{token}")]
pub async fn unsubscribe_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let token = path.into_inner();
    let recipient = recipient_of(&state, &token)?;
    let (view, locale) = db::run(&state.pool, move |conn| {
        Ok(subscribers::view(conn, recipient)?)
    })
    .await?;
    unsubscribe_response(&req, &token, view, locale, false)
}

/// Stop the digest at once: the RFC 8058 one-click target of `List-Unsubscribe-Post` (any body,
/// such as `List-Unsubscribe=One-Click`, is accepted and ignored). With `?frequency=weekly`, a daily
/// digest becomes weekly instead. Repeating it is harmless.
#[utoipa::path(
    operation_id = "unsubscribe",
    tag = "digests",
    security(()),
    params(("token" = String, Path, description = "The token of the unsubscribe link"), UnsubscribeQuery),
    responses(
        (status = 200, description = "Unsubscribed (or moved to the lower frequency)", content(
            (UnsubscribeView = "application/json"),
            (String = "text/html"),
        )),
        (status = 404, description = "Not a valid unsubscribe token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The frequency is not lower than the current one", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/unsubscribe/{token}")]
pub async fn unsubscribe(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: Query<UnsubscribeQuery>,
) -> AppResult<HttpResponse> {
    let token = path.into_inner();
    let lower = query.into_inner().frequency;
    let recipient = recipient_of(&state, &token)?;
    let (view, locale) = db::run(&state.pool, move |conn| {
        subscribers::unsubscribe(conn, recipient, lower)
    })
    .await?;
    unsubscribe_response(&req, &token, view, locale, true)
}
