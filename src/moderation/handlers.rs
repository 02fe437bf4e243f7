//! HTTP handlers of moderation: extract, parse, one service call in one database hop, respond.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, post, put, web};
use uuid::Uuid;

use super::types::*;
use super::{actions, appeals, decisions, flags, held, log, queue, words};
use crate::accounts::auth::{Bearer, MaybeBearer, as_member as as_caller, create_as_member};
use crate::db;
use crate::discussions::gate::HeldDraft;
use crate::error::{AppResult, Problem};
use crate::http::{AppState, Created, IdempotencyKey, Json, Query};
use crate::pagination::Page;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(create_flag)
        .service(list_queue)
        .service(read_queue_item)
        .service(claim)
        .service(resolve)
        .service(moderate_post)
        .service(moderate_thread)
        .service(slow_mode)
        .service(moderate_user)
        .service(read_decision)
        .service(appeal)
        .service(read_log)
        .service(list_watched_words)
        .service(create_watched_word)
        .service(delete_watched_word)
        .service(delete_watched_word_by_pattern)
        .service(statements)
        .service(read_held);
}

/// Flag a post, thread, member or challenge. A first flag is a `201`; flagging the same target
/// again updates your flag (`200`). `illegal` is a notice under Art. 16 of the EU DSA: you get a
/// confirmation by email now, and the outcome later. Flags from distinct members reaching the
/// threshold hide the content until a moderator reviews it.
#[utoipa::path(
    operation_id = "createFlag",
    tag = "moderation",
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key return the first response")),
    request_body = CreateFlag,
    responses(
        (status = 201, description = "Flagged", body = Flag,
         headers(("Location" = String, description = "The review-queue item gathering the target's flags (moderators read it)"))),
        (status = 200, description = "Your earlier flag of this target, updated", body = Flag),
        (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Email not confirmed, silenced or suspended", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown target, your own content, or a missing message", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many flags today", body = Problem, content_type = "application/problem+json",
         headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
#[post("/flags")]
pub async fn create_flag(
    state: web::Data<AppState>,
    bearer: Bearer,
    key: IdempotencyKey,
    body: Json<CreateFlag>,
) -> AppResult<HttpResponse> {
    let settings = state.settings.clone();
    create_as_member(
        &state,
        bearer,
        key,
        body.into_inner(),
        move |conn, actor, input| {
            let (new, flag) = flags::flag(conn, &settings, actor, &input)?;
            Ok(Created {
                status: if new {
                    StatusCode::CREATED
                } else {
                    StatusCode::OK
                },
                location: new.then(|| format!("/api/v1/moderation/queue/{}", flag.item_id)),
                body: flag,
                owner: None,
            })
        },
    )
    .await
}

/// The review queue (moderators): flagged content grouped per target, held drafts, appeals;
/// oldest first.
#[utoipa::path(
    operation_id = "listModerationQueue",
    tag = "moderation",
    security(("bearer" = [])),
    params(QueueQuery),
    responses(
        (status = 200, description = "A page of queue items", body = Page<QueueItem>),
        (status = 400, description = "Malformed query", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Moderators only", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid limit or cursor", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/moderation/queue")]
pub async fn list_queue(
    state: web::Data<AppState>,
    bearer: Bearer,
    query: Query<QueueQuery>,
) -> AppResult<HttpResponse> {
    let q = query.into_inner();
    let page = as_caller(&state, bearer, move |conn, actor| {
        queue::list(conn, actor, &q)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One queue item (moderators).
#[utoipa::path(
    operation_id = "getModerationQueueItem",
    tag = "moderation",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Queue item id")),
    responses(
        (status = 200, description = "The item", body = QueueItem),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Moderators only", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such item", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/moderation/queue/{id}")]
pub async fn read_queue_item(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let item = as_caller(&state, bearer, move |conn, actor| {
        queue::read(conn, actor, id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(item))
}

/// Claim a queue item: it shows who holds it, and other moderators cannot resolve it for an hour.
#[utoipa::path(
    operation_id = "claimModerationQueueItem",
    tag = "moderation",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Queue item id")),
    responses(
        (status = 200, description = "Claimed", body = QueueItem),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Moderators only", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such item", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Resolved, or held by another moderator", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/moderation/queue/{id}/claim")]
pub async fn claim(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let item = as_caller(&state, bearer, move |conn, actor| {
        db::atomic(conn, |conn| queue::claim(conn, actor, id))
    })
    .await?;
    Ok(HttpResponse::Ok().json(item))
}

/// Resolve a queue item with a reason. Flags: `approve`/`dismiss` keep the content (unhiding it if
/// the flags hid it), `hide` hides it, `delete`/`reject` remove it. Held drafts: `approve`
/// publishes, `reject` refuses. Appeals: `approve` reverses the decision, `reject`/`dismiss`
/// uphold it (by a moderator other than the one who decided).
#[utoipa::path(
    operation_id = "resolveModerationQueueItem",
    tag = "moderation",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Queue item id")),
    request_body = Resolve,
    responses(
        (status = 200, description = "Resolved", body = QueueItem),
        (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Moderators only; an appeal by the moderator who decided", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such item", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already resolved, or held by another moderator", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Missing reason, or an action this kind of item does not take", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/moderation/queue/{id}/resolve")]
pub async fn resolve(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<Uuid>,
    body: Json<Resolve>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let input = body.into_inner();
    let settings = state.settings.clone();
    let item = as_caller(&state, bearer, move |conn, actor| {
        db::atomic(conn, |conn| {
            queue::resolve(conn, &settings, actor, id, &input)
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(item))
}

/// Hide, unhide, delete or restore a post (moderators), with a reason: the author is told why.
#[utoipa::path(
    operation_id = "moderatePost",
    tag = "moderation",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Post id")),
    request_body = PostModeration,
    responses(
        (status = 200, description = "Done", body = ActionTaken),
        (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Moderators only", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such post", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The post is already in that state", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Missing reason or grounds", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/posts/{id}/moderation")]
pub async fn moderate_post(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<Uuid>,
    body: Json<PostModeration>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let input = body.into_inner();
    let settings = state.settings.clone();
    let done = as_caller(&state, bearer, move |conn, actor| {
        db::atomic(conn, |conn| {
            actions::on_post(conn, &settings, actor, id, &input)
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(done))
}

/// Lock, pin, archive, move or hide a thread, or undo it (moderators), with a reason.
#[utoipa::path(
    operation_id = "moderateThread",
    tag = "moderation",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Thread id")),
    request_body = ThreadModeration,
    responses(
        (status = 200, description = "Done", body = ActionTaken),
        (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Moderators only", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such thread", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The thread is already in that state", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Missing reason, grounds or category", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/threads/{id}/moderation")]
pub async fn moderate_thread(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<Uuid>,
    body: Json<ThreadModeration>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let input = body.into_inner();
    let settings = state.settings.clone();
    let done = as_caller(&state, bearer, move |conn, actor| {
        db::atomic(conn, |conn| {
            actions::on_thread(conn, &settings, actor, id, &input)
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(done))
}

/// Slow mode (moderators): the minimum seconds between two posts of one member in the thread.
#[utoipa::path(
    operation_id = "setThreadSlowMode",
    tag = "moderation",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Thread id")),
    request_body = SlowMode,
    responses(
        (status = 200, description = "Set", body = ActionTaken),
        (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Moderators only", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such thread", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Seconds out of range, or no reason", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/threads/{id}/slow-mode")]
pub async fn slow_mode(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<Uuid>,
    body: Json<SlowMode>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let input = body.into_inner();
    let done = as_caller(&state, bearer, move |conn, actor| {
        db::atomic(conn, |conn| actions::slow_mode(conn, actor, id, &input))
    })
    .await?;
    Ok(HttpResponse::Ok().json(done))
}

/// Silence (read-only) or suspend (no login; sessions end at once) a member, until a date or until
/// lifted; or lift it. The member is told why and may appeal.
#[utoipa::path(
    operation_id = "moderateUser",
    tag = "moderation",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "User id")),
    request_body = UserModeration,
    responses(
        (status = 200, description = "The member's restrictions now", body = MemberRestrictions),
        (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Moderators only; staff are sanctioned by an administrator; not yourself", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such member", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Nothing to lift", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Missing reason, or an end in the past", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/users/{id}/moderation")]
pub async fn moderate_user(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<Uuid>,
    body: Json<UserModeration>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let input = body.into_inner();
    let settings = state.settings.clone();
    let done = as_caller(&state, bearer, move |conn, actor| {
        db::atomic(conn, |conn| {
            actions::on_user(conn, &settings, actor, id, &input)
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(done))
}

/// A statement of reasons: the person concerned and moderators read it.
#[utoipa::path(
    operation_id = "getDecision",
    tag = "moderation",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Decision id (a notification's `decision_id`)")),
    responses(
        (status = 200, description = "The decision", body = Decision),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Account suspended", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such decision, or not yours", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/moderation/decisions/{id}")]
pub async fn read_decision(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let d = as_caller(&state, bearer, move |conn, actor| {
        decisions::read(conn, actor, id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(d))
}

/// Appeal a decision about you (once per decision; silenced members too; a suspended member, who
/// cannot log in, sends the `token` of the suspension's email instead). A moderator other than the
/// one who decided resolves it; you are told the outcome.
#[utoipa::path(
    operation_id = "appealDecision",
    tag = "moderation",
    security(("bearer" = []), ()),
    params(
        ("id" = Uuid, Path, description = "Decision id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key return the first response"),
    ),
    request_body = CreateAppeal,
    responses(
        (status = 201, description = "Appealed", body = Appeal, headers(("Location" = String, description = "The decision, which shows its appeal"))),
        (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Neither logged in nor a token sent", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Account suspended", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such decision, or not about you", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already appealed, or already reversed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Missing message, or a token invalid, used or expired", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/moderation/decisions/{id}/appeal")]
pub async fn appeal(
    state: web::Data<AppState>,
    bearer: MaybeBearer,
    key: IdempotencyKey,
    path: web::Path<Uuid>,
    body: Json<CreateAppeal>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let input = body.into_inner();
    let location = format!("/api/v1/moderation/decisions/{id}");
    // A suspended member appeals with the token of their email, without logging in.
    if input.token.is_some() {
        let a = db::run(&state.pool, move |conn| {
            db::atomic(conn, |conn| appeals::create_with_token(conn, id, &input))
        })
        .await?;
        return Ok(HttpResponse::Created()
            .insert_header((actix_web::http::header::LOCATION, location))
            .json(a));
    }
    let bearer = bearer.0.map(Bearer).ok_or_else(|| {
        crate::error::AppError::Unauthorized("Log in, or send the token of your email.".into())
    })?;
    // Appealing is open to silenced members: no `require_writer` here.
    create_as_member(&state, bearer, key, input, move |conn, actor, input| {
        let a = appeals::create(conn, actor, id, &input)?;
        Ok(Created::at(location, a))
    })
    .await
}

/// The moderation log (moderators): every action, by moderators and by the system, newest first.
#[utoipa::path(
    operation_id = "listModerationLog",
    tag = "moderation",
    security(("bearer" = [])),
    params(LogQuery),
    responses(
        (status = 200, description = "A page of log entries", body = Page<LogEntry>),
        (status = 400, description = "Malformed query", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Moderators only", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid limit, cursor or target_type", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/moderation/log")]
pub async fn read_log(
    state: web::Data<AppState>,
    bearer: Bearer,
    query: Query<LogQuery>,
) -> AppResult<HttpResponse> {
    let q = query.into_inner();
    let page = as_caller(&state, bearer, move |conn, actor| {
        if !actor.is_staff() {
            return Err(crate::error::AppError::Forbidden("Moderators only.".into()));
        }
        log::list(conn, &q)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Watched words (admins).
#[utoipa::path(
    operation_id = "listWatchedWords",
    tag = "moderation",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every watched word", body = Vec<WatchedWord>),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Administrators only", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/admin/watched-words")]
pub async fn list_watched_words(
    state: web::Data<AppState>,
    bearer: Bearer,
) -> AppResult<HttpResponse> {
    let list = as_caller(&state, bearer, words::list).await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Add a watched word or expression that blocks, holds or replaces (admins).
#[utoipa::path(
    operation_id = "createWatchedWord",
    tag = "moderation",
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key return the first response")),
    request_body = CreateWatchedWord,
    responses(
        (status = 201, description = "Added", body = WatchedWord, headers(("Location" = String, description = "The list of watched words"))),
        (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Administrators only", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already watched", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid pattern or replacement", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/admin/watched-words")]
pub async fn create_watched_word(
    state: web::Data<AppState>,
    bearer: Bearer,
    key: IdempotencyKey,
    body: Json<CreateWatchedWord>,
) -> AppResult<HttpResponse> {
    create_as_member(
        &state,
        bearer,
        key,
        body.into_inner(),
        |conn, actor, input| {
            let w = words::create(conn, actor, &input)?;
            Ok(Created::at("/api/v1/admin/watched-words", w))
        },
    )
    .await
}

/// Remove a watched word (admins).
#[utoipa::path(
    operation_id = "deleteWatchedWord",
    tag = "moderation",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Watched word id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Administrators only", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such watched word", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/admin/watched-words/{id}")]
pub async fn delete_watched_word(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    as_caller(&state, bearer, move |conn, actor| {
        db::atomic(conn, |conn| words::delete(conn, actor, id))
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Remove a watched word by its text (admins): `?pattern=casino`, or `&regex=true` for an
/// expression.
#[utoipa::path(
    operation_id = "deleteWatchedWordByPattern",
    tag = "moderation",
    security(("bearer" = [])),
    params(WatchedWordQuery),
    responses(
        (status = 204, description = "Removed"),
        (status = 400, description = "Malformed query", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Administrators only", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such watched word", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/admin/watched-words")]
pub async fn delete_watched_word_by_pattern(
    state: web::Data<AppState>,
    bearer: Bearer,
    query: Query<WatchedWordQuery>,
) -> AppResult<HttpResponse> {
    let q = query.into_inner();
    as_caller(&state, bearer, move |conn, actor| {
        db::atomic(conn, |conn| {
            words::delete_pattern(conn, actor, &q.pattern, q.regex.unwrap_or(false))
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The statements of reasons of a period, as the EU DSA Transparency Database's multiple-statement
/// submission (`{"statements": [...]}`; its API takes 100 a call), for the host to file (admins).
#[utoipa::path(
    operation_id = "exportStatements",
    tag = "moderation",
    security(("bearer" = [])),
    params(StatementsQuery),
    responses(
        (status = 200, description = "The statements, in the Transparency Database's format", body = StatementsSubmission),
        (status = 400, description = "Malformed query", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Administrators only", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Missing or invalid since or until", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/admin/statements")]
pub async fn statements(
    state: web::Data<AppState>,
    bearer: Bearer,
    query: Query<StatementsQuery>,
) -> AppResult<HttpResponse> {
    let q = query.into_inner();
    let body = as_caller(&state, bearer, move |conn, actor| {
        actor.require_admin()?;
        decisions::statements(conn, q.since, q.until)
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}

/// A held draft: its author and moderators read it until it is approved or refused.
#[utoipa::path(
    operation_id = "getHeldDraft",
    tag = "moderation",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Held draft id (the `Location` of a 202)")),
    responses(
        (status = 200, description = "The draft; `status` is `held`, `approved` or `rejected`", body = HeldDraft),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Account suspended", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such draft, or not yours", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/held/{id}")]
pub async fn read_held(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let h = as_caller(&state, bearer, move |conn, actor| {
        held::read(conn, actor, id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(h))
}
