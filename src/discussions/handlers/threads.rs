//! HTTP handlers of threads.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use uuid::Uuid;

use crate::accounts::auth::{Actor, Bearer, MaybeBearer, create_as_member};
use crate::db;
use crate::discussions::gate::{Gate, HeldDraft, Published};
use crate::discussions::threads;
use crate::discussions::types::*;
use crate::error::{AppResult, Problem};
use crate::http::cache::{self, Key};
use crate::http::{self, AppState, Created, IdempotencyKey, Json, Query};
use crate::pagination::Page;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(read)
        .service(update)
        .service(accept_answer);
}

/// Threads, filtered by category, tag or author, sorted `latest`, `active` or `top`.
#[utoipa::path(
    operation_id = "listThreads",
    tag = "discussions",
    security((), ("bearer" = [])),
    params(ThreadListQuery),
    responses(
        (status = 200, description = "A page of threads", body = Page<ThreadListItem>,
         headers(("ETag" = String, description = "Send it back in If-None-Match"),
                 ("X-Cache" = String, description = "`hit` or `miss` (anonymous first pages): whether it came from the read cache"),
                 ("Cache-Control" = String, description = "Anonymous: `public, max-age=0, s-maxage=N, must-revalidate`; with a token: `private, no-cache`"))),
        (status = 304, description = "Not modified since the ETag sent"),
        (status = 401, description = "Invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Account suspended", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid limit or cursor", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/threads")]
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    bearer: MaybeBearer,
    query: Query<ThreadListQuery>,
) -> AppResult<HttpResponse> {
    let q = query.into_inner();
    let key = (bearer.0.is_none() && q.cursor.is_none()).then(|| {
        Key::List(format!(
            "threads?category={:?}&tag={:?}&author={:?}&sort={:?}&limit={:?}",
            q.category, q.tag, q.author, q.sort, q.limit
        ))
    });
    let cache = state.cache.clone();
    let load = move || async move {
        db::run(&state.pool, move |conn| {
            let v = Actor::viewer(conn, &bearer)?;
            threads::list(conn, &q, v.as_ref())
        })
        .await
    };
    match key {
        // An anonymous first page: through the read cache.
        Some(key) => cache::read(&cache, &req, key, load).await,
        None => http::json_with_etag(&req, &load().await?),
    }
}

/// Start a thread (its body is the opening post). Send an `Idempotency-Key` to make retries safe.
#[utoipa::path(
    operation_id = "createThread",
    tag = "discussions",
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key return the first response")),
    request_body = CreateThread,
    responses(
        (status = 201, description = "Created", body = Thread, headers(("Location" = String, description = "The thread"))),
        (status = 202, description = "Held for approval: visible to its author and moderators only until approved", body = HeldDraft, headers(("Location" = String, description = "The held draft"))),
        (status = 429, description = "Too many threads today: wait the seconds of Retry-After", body = Problem, content_type = "application/problem+json",
         headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Email not confirmed, silenced, suspended, or a staff-only category", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/threads")]
pub async fn create(
    state: web::Data<AppState>,
    gate: web::Data<dyn Gate>,
    bearer: Bearer,
    key: IdempotencyKey,
    body: Json<CreateThread>,
) -> AppResult<HttpResponse> {
    let gate = gate.into_inner();
    create_as_member(
        &state,
        bearer,
        key,
        body.into_inner(),
        move |conn, actor, input| {
            let published = threads::create(conn, actor, &input, gate.as_ref())?;
            Ok(created(published, |t| format!("/api/v1/threads/{}", t.id)))
        },
    )
    .await
}

/// `201` with the thread or post, or `202` with the held draft.
pub fn created<T>(
    published: Published<T>,
    location: impl Fn(&T) -> String,
) -> Created<Published<T>> {
    match published {
        Published::Now(item) => Created::at(location(&item), Published::Now(item)),
        Published::Held(held) => {
            Created::at(format!("/api/v1/held/{}", held.id), Published::Held(held))
                .status(actix_web::http::StatusCode::ACCEPTED)
        }
    }
}

/// A thread with its opening post.
#[utoipa::path(
    operation_id = "getThread",
    tag = "discussions",
    security((), ("bearer" = [])),
    params(("id" = Uuid, Path, description = "Thread id")),
    responses(
        (status = 200, description = "The thread", body = Thread,
         headers(("ETag" = String, description = "Send it back in If-None-Match"),
                 ("X-Cache" = String, description = "`hit` or `miss` (anonymous reads): whether it came from the read cache"),
                 ("Cache-Control" = String, description = "Anonymous: `public, max-age=0, s-maxage=N, must-revalidate`; with a token: `private, no-cache`"))),
        (status = 304, description = "Not modified since the ETag sent"),
        (status = 401, description = "Invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Account suspended", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such thread", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/threads/{id}")]
pub async fn read(
    req: HttpRequest,
    state: web::Data<AppState>,
    bearer: MaybeBearer,
    path: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let anonymous = bearer.0.is_none();
    let cache = state.cache.clone();
    let load = move || async move {
        db::run(&state.pool, move |conn| {
            let v = Actor::viewer(conn, &bearer)?;
            threads::view(conn, id, v.as_ref())
        })
        .await
    };
    if anonymous {
        return cache::read(&cache, &req, Key::Thread(id), load).await;
    }
    http::json_with_etag(&req, &load().await?)
}

/// Retitle, move or retag a thread: its author within 24 hours, or a moderator.
#[utoipa::path(
    operation_id = "updateThread",
    tag = "discussions",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Thread id")),
    request_body = UpdateThread,
    responses(
        (status = 200, description = "Updated", body = Thread),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the author (or past the edit window), not a moderator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such thread", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/threads/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<Uuid>,
    body: Json<UpdateThread>,
    gate: web::Data<dyn Gate>,
) -> AppResult<HttpResponse> {
    let gate = gate.into_inner();
    let id = path.into_inner();
    let input = body.into_inner();
    let thread = db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        threads::update(conn, &actor, id, input, gate.as_ref())
    })
    .await?;
    Ok(HttpResponse::Ok().json(thread))
}

/// Mark a reply as the accepted answer of a question (its author or a moderator).
#[utoipa::path(
    operation_id = "acceptAnswer",
    tag = "discussions",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Thread id")),
    request_body = AcceptAnswer,
    responses(
        (status = 200, description = "The thread, with its accepted answer", body = Thread),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the question's author nor a moderator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such thread", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The thread is not a question", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a reply of this thread", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/threads/{id}/accepted-answer")]
pub async fn accept_answer(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<Uuid>,
    body: Json<AcceptAnswer>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let post_id = body.into_inner().post_id;
    let thread = db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        threads::accept_answer(conn, &actor, id, post_id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(thread))
}
