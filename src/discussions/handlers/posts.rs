//! HTTP handlers of posts: replies, reads, edits, deletion, revisions, reactions.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, put, web};
use uuid::Uuid;

use crate::accounts::auth::{Actor, Bearer, MaybeBearer, create_as_member};
use crate::db;
use crate::discussions::gate::{Gate, HeldDraft};
use crate::discussions::owners::CategoryOwners;
use crate::discussions::types::*;
use crate::discussions::{posts, reactions};
use crate::error::{AppResult, Problem};
use crate::http::cache::{self, Key};
use crate::http::{AppState, IdempotencyKey, Json, Query};
use crate::pagination::{Page, PageQuery};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list_posts)
        .service(reply)
        .service(read_post)
        .service(edit_post)
        .service(delete_post)
        .service(revisions)
        .service(revision_diff)
        .service(set_wiki)
        .service(react)
        .service(unreact);
}

/// The replies of a thread, in order (the opening post comes with the thread).
#[utoipa::path(
    operation_id = "listReplies",
    tag = "discussions",
    security((), ("bearer" = [])),
    params(("id" = Uuid, Path, description = "Thread id"), PageQuery),
    responses(
        (status = 200, description = "A page of replies", body = Page<Post>,
         headers(("ETag" = String, description = "Send it back in If-None-Match"),
                 ("X-Cache" = String, description = "`hit` or `miss` (anonymous first pages of the default size): whether it came from the read cache"),
                 ("Cache-Control" = String, description = "Anonymous: `public, max-age=0, s-maxage=N, must-revalidate`; with a token: `private, no-cache`"))),
        (status = 304, description = "Not modified since the ETag sent"),
        (status = 401, description = "Invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Account suspended", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such thread", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid limit or cursor", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/threads/{id}/posts")]
pub async fn list_posts(
    req: HttpRequest,
    state: web::Data<AppState>,
    bearer: MaybeBearer,
    path: web::Path<Uuid>,
    query: Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let paging = query.into_inner();
    let cacheable = bearer.0.is_none() && paging.cursor.is_none() && paging.limit.is_none();
    let cache = state.cache.clone();
    let load = move || {
        let pool = state.pool.clone();
        async move {
            db::run(&pool, move |conn| {
                let v = Actor::viewer(conn, &bearer)?;
                posts::replies(conn, id, &paging, v.as_ref())
            })
            .await
        }
    };
    if cacheable {
        // The first page of the default size, anonymous: through the read cache.
        return cache::read(&cache, &req, Key::Replies(id), load).await;
    }
    crate::http::json_with_etag(&req, &load().await?)
}

/// Reply to a thread. `@username` mentions notify (existing members, at most 10). Send an
/// `Idempotency-Key` to make retries safe.
#[utoipa::path(
    operation_id = "createReply",
    tag = "discussions",
    security(("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "Thread id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key return the first response"),
    ),
    request_body = CreatePost,
    responses(
        (status = 201, description = "Posted", body = Post, headers(("Location" = String, description = "The post"))),
        (status = 202, description = "Held for approval: visible to its author and moderators only until approved", body = HeldDraft, headers(("Location" = String, description = "The held draft"))),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Email not confirmed, silenced, suspended, or thread locked", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such thread", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid body or reply_to, or a blocked word", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Slow mode or rate limit: wait the seconds of Retry-After", body = Problem, content_type = "application/problem+json",
         headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
#[post("/threads/{id}/posts")]
pub async fn reply(
    state: web::Data<AppState>,
    bearer: Bearer,
    key: IdempotencyKey,
    path: web::Path<Uuid>,
    body: Json<CreatePost>,
    gate: web::Data<dyn Gate>,
) -> AppResult<HttpResponse> {
    let thread = path.into_inner();
    let gate = gate.into_inner();
    create_as_member(
        &state,
        bearer,
        key,
        body.into_inner(),
        move |conn, actor, input| {
            let published = posts::create_reply(conn, actor, thread, &input, gate.as_ref())?;
            Ok(super::threads::created(published, |p| {
                format!("/api/v1/posts/{}", p.id)
            }))
        },
    )
    .await
}

/// One post.
#[utoipa::path(
    operation_id = "getPost",
    tag = "discussions",
    security((), ("bearer" = [])),
    params(("id" = Uuid, Path, description = "Post id")),
    responses(
        (status = 200, description = "The post", body = Post),
        (status = 401, description = "Invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Account suspended", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such post", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/posts/{id}")]
pub async fn read_post(
    state: web::Data<AppState>,
    bearer: MaybeBearer,
    path: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let post = db::run(&state.pool, move |conn| {
        let v = Actor::viewer(conn, &bearer)?;
        posts::view(conn, id, v.as_ref())
    })
    .await?;
    Ok(HttpResponse::Ok().json(post))
}

/// Edit a post (its author, a moderator, or — for a wiki — a member in good standing: an address
/// verified for 7 days and 3 published posts, or a maintainer of the commun whose news it is).
/// Each edit is a numbered revision keeping the whole body; send the `revision` you read to refuse
/// overwriting someone else's edit made meanwhile (409). Edits of a wiki notify its watchers.
#[utoipa::path(
    operation_id = "updatePost",
    tag = "discussions",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Post id")),
    request_body = UpdatePost,
    responses(
        (status = 200, description = "Edited", body = Post),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the author nor a moderator (nor, for a wiki, a member in good standing)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such post", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The post is deleted, or was edited since the `revision` sent", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid body or revision", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/posts/{id}")]
pub async fn edit_post(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<Uuid>,
    body: Json<UpdatePost>,
    gate: web::Data<dyn Gate>,
    owners: web::Data<dyn CategoryOwners>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let input = body.into_inner();
    let gate = gate.into_inner();
    let owners = owners.into_inner();
    let post = db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        posts::edit(conn, &actor, id, &input, gate.as_ref(), owners.as_ref())
    })
    .await?;
    Ok(HttpResponse::Ok().json(post))
}

/// Delete a post (its author, or a moderator with a `reason`: the author is told why, and may
/// appeal). Soft: it stays in place as deleted, its body gone for everyone but moderators.
#[utoipa::path(
    operation_id = "deletePost",
    tag = "discussions",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Post id"), DeleteQuery),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the author nor a moderator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such post", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A moderator deleting another member's post without a reason, or a reason over 2,000 characters", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/posts/{id}")]
pub async fn delete_post(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<Uuid>,
    query: Query<DeleteQuery>,
    gate: web::Data<dyn Gate>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let reason = query.into_inner().reason;
    let gate = gate.into_inner();
    db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        posts::delete(conn, &actor, id, reason.as_deref(), gate.as_ref())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The edit history of a post, oldest first (a page, as every list).
#[utoipa::path(
    operation_id = "listPostRevisions",
    tag = "discussions",
    security((), ("bearer" = [])),
    params(("id" = Uuid, Path, description = "Post id"), PageQuery),
    responses(
        (status = 200, description = "A page of revisions (edits, from number 2): who, when, the body before and after", body = Page<Revision>),
        (status = 400, description = "Malformed query", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Account suspended", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such post", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/posts/{id}/revisions")]
pub async fn revisions(
    state: web::Data<AppState>,
    bearer: MaybeBearer,
    path: web::Path<Uuid>,
    query: Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let paging = query.into_inner();
    let revs = db::run(&state.pool, move |conn| {
        let v = Actor::viewer(conn, &bearer)?;
        posts::revisions(conn, id, v.as_ref(), &paging)
    })
    .await?;
    Ok(HttpResponse::Ok().json(revs))
}

/// What revision `n` of a post changed, against the revision before it: both whole bodies, the
/// lines kept, removed and added, and a unified diff. Revision 1 is the post as first published
/// (shown against an empty text); the post's `revision` is its latest.
#[utoipa::path(
    operation_id = "getPostRevisionDiff",
    tag = "discussions",
    security((), ("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "Post id"),
        ("n" = i32, Path, minimum = 1, description = "Revision number: 1 (as first published) to the post's `revision`"),
    ),
    responses(
        (status = 200, description = "The revision and its diff", body = RevisionDiff),
        (status = 401, description = "Invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Account suspended", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such post or revision (or its text is hidden from the caller)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/posts/{id}/revisions/{n}/diff")]
pub async fn revision_diff(
    state: web::Data<AppState>,
    bearer: MaybeBearer,
    path: web::Path<(Uuid, i32)>,
) -> AppResult<HttpResponse> {
    let (id, n) = path.into_inner();
    let diff = db::run(&state.pool, move |conn| {
        let v = Actor::viewer(conn, &bearer)?;
        posts::revision_diff(conn, id, n, v.as_ref())
    })
    .await?;
    let diff = web::block(move || posts::with_changes(diff))
        .await
        .map_err(|e| crate::error::AppError::Internal(e.into()))?;
    Ok(HttpResponse::Ok().json(diff))
}

/// Make a thread's opening post a wiki (`enabled: true`) or give it back to its author alone: its
/// author or a moderator. Members in good standing (an address verified for 7 days and 3 published
/// posts) — and in a commun's news, its maintainers — may then edit it.
#[utoipa::path(
    operation_id = "setPostWiki",
    tag = "discussions",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Post id (an opening post)")),
    request_body = WikiSwitch,
    responses(
        (status = 200, description = "The post, with its `wiki` flag", body = Post),
        (status = 400, description = "Malformed body", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the author nor a moderator, or silenced", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such post", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A reply (only opening posts are wikis), or a deleted post", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/posts/{id}/wiki")]
pub async fn set_wiki(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<Uuid>,
    body: Json<WikiSwitch>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let enabled = body.into_inner().enabled;
    let post = db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        posts::set_wiki(conn, &actor, id, enabled)
    })
    .await?;
    Ok(HttpResponse::Ok().json(post))
}

/// React to a post (idempotent: one reaction of each kind per member).
#[utoipa::path(
    operation_id = "addReaction",
    tag = "discussions",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Post id"), ("kind" = ReactionKind, Path, description = "Reaction kind")),
    responses(
        (status = 200, description = "The post with its counts", body = Post),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Email not confirmed, silenced or suspended", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such post or reaction kind", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The post is deleted", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/posts/{id}/reactions/{kind}")]
pub async fn react(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<(Uuid, ReactionKind)>,
) -> AppResult<HttpResponse> {
    set_reaction(state, bearer, path, true).await
}

/// Remove one's reaction (idempotent).
#[utoipa::path(
    operation_id = "removeReaction",
    tag = "discussions",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Post id"), ("kind" = ReactionKind, Path, description = "Reaction kind")),
    responses(
        (status = 200, description = "The post with its counts", body = Post),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Email not confirmed, silenced or suspended", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such post or reaction kind", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The post is deleted", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/posts/{id}/reactions/{kind}")]
pub async fn unreact(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<(Uuid, ReactionKind)>,
) -> AppResult<HttpResponse> {
    set_reaction(state, bearer, path, false).await
}

async fn set_reaction(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<(Uuid, ReactionKind)>,
    on: bool,
) -> AppResult<HttpResponse> {
    let (id, kind) = path.into_inner();
    let post = db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        reactions::set(conn, &actor, id, kind, on)
    })
    .await?;
    Ok(HttpResponse::Ok().json(post))
}
