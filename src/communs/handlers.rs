//! HTTP handlers of communs: extract, parse, one service call in one database hop, respond.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, put, web};
use uuid::Uuid;

use super::service;
use super::types::*;
use crate::accounts::auth::{Actor, Bearer, MaybeBearer, create_as_member};
use crate::db;
use crate::discussions::gate::Gate;
use crate::discussions::types::{NewsInput, Thread, ThreadListItem};
use crate::error::{AppResult, Problem};
use crate::http::{AppState, Created, IdempotencyKey, Json, Query};
use crate::notifications::Subscription;
use crate::pagination::{Page, PageQuery};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(licences)
        .service(list)
        .service(create)
        .service(read)
        .service(update)
        .service(add_member)
        .service(remove_member)
        .service(subscribe)
        .service(list_news)
        .service(publish_news)
        .service(list_milestones)
        .service(create_milestone)
        .service(update_milestone)
        .service(list_resources)
        .service(create_resource)
        .service(update_resource)
        .service(read_resource)
        .service(timeline)
        .service(take_up)
        .service(drop_take_up);
}

/// The licences a resource may name.
#[utoipa::path(
    operation_id = "listLicences",
    tag = "communs",
    security(()),
    responses((status = 200, description = "Every accepted licence (SPDX identifiers, `etalab-2.0`, `ODbL-1.0`)", body = Vec<Licence>))
)]
#[get("/licences")]
pub async fn licences() -> HttpResponse {
    let all: Vec<Licence> = super::licences::all()
        .map(|id| Licence { id: id.to_string() })
        .collect();
    HttpResponse::Ok().json(all)
}

/// Communs, by name; filter by theme, territory (those working in it or within it) and status.
#[utoipa::path(
    operation_id = "listCommuns",
    tag = "communs",
    security(()),
    params(CommunQuery),
    responses(
        (status = 200, description = "A page of communs", body = Page<Commun>),
        (status = 400, description = "Malformed query", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown theme, territory or status; invalid limit or cursor", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/communs")]
pub async fn list(
    state: web::Data<AppState>,
    query: Query<CommunQuery>,
) -> AppResult<HttpResponse> {
    let query = query.into_inner();
    let page = db::run(&state.pool, move |conn| service::list(conn, &query)).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Create a commun (administrators); the members named become its maintainers.
#[utoipa::path(
    operation_id = "createCommun",
    tag = "communs",
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key return the first response")),
    request_body = CreateCommun,
    responses(
        (status = 201, description = "Created", body = Commun,
         headers(("Location" = String, description = "The commun"))),
        (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Slug already taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/communs")]
pub async fn create(
    state: web::Data<AppState>,
    bearer: Bearer,
    key: IdempotencyKey,
    body: Json<CreateCommun>,
) -> AppResult<HttpResponse> {
    create_as_member(
        &state,
        bearer,
        key,
        body.into_inner(),
        |conn, actor, body| {
            let commun = service::create(conn, actor, &body)?;
            Ok(Created::at(
                format!("/api/v1/communs/{}", commun.slug),
                commun,
            ))
        },
    )
    .await
}

/// A commun, with its maintainers, contributors and partners (by slug, or by id).
#[utoipa::path(
    operation_id = "getCommun",
    tag = "communs",
    security(()),
    params(("slug" = String, Path, description = "The commun's slug")),
    responses(
        (status = 200, description = "The commun", body = Commun),
        (status = 404, description = "No such commun", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/communs/{slug}")]
pub async fn read(state: web::Data<AppState>, path: web::Path<String>) -> AppResult<HttpResponse> {
    let slug = path.into_inner();
    let commun = db::run(&state.pool, move |conn| service::read(conn, &slug)).await?;
    Ok(HttpResponse::Ok().json(commun))
}

/// Edit a commun (its maintainers, administrators); `partners` replaces the partner organisations.
#[utoipa::path(
    operation_id = "updateCommun",
    tag = "communs",
    security(("bearer" = [])),
    params(("slug" = String, Path, description = "The commun's slug")),
    request_body = UpdateCommun,
    responses(
        (status = 200, description = "Updated", body = Commun),
        (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a maintainer of this commun", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such commun", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/communs/{slug}")]
pub async fn update(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<String>,
    body: Json<UpdateCommun>,
) -> AppResult<HttpResponse> {
    let slug = path.into_inner();
    let body = body.into_inner();
    let commun = db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        service::update(conn, &actor, &slug, body)
    })
    .await?;
    Ok(HttpResponse::Ok().json(commun))
}

/// Add a member (`maintainer` or `contributor`), or change a member's role (maintainers).
#[utoipa::path(
    operation_id = "addCommunMember",
    tag = "communs",
    security(("bearer" = [])),
    params(
        ("slug" = String, Path, description = "The commun's slug"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key return the first response"),
    ),
    request_body = AddCommunMember,
    responses(
        (status = 200, description = "The member's role changed", body = Commun),
        (status = 201, description = "Member added", body = Commun,
         headers(("Location" = String, description = "The commun"))),
        (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a maintainer of this commun", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such commun", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The last maintainer cannot step down", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No such member", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/communs/{slug}/members")]
pub async fn add_member(
    state: web::Data<AppState>,
    bearer: Bearer,
    key: IdempotencyKey,
    path: web::Path<String>,
    body: Json<AddCommunMember>,
) -> AppResult<HttpResponse> {
    let slug = path.into_inner();
    create_as_member(
        &state,
        bearer,
        key,
        body.into_inner(),
        move |conn, actor, body| {
            let (added, commun) = service::add_member(conn, actor, &slug, &body)?;
            let created = Created::at(format!("/api/v1/communs/{slug}"), commun);
            Ok(if added {
                created
            } else {
                created.status(StatusCode::OK)
            })
        },
    )
    .await
}

/// Remove a member (maintainers, administrators, or the member leaving).
#[utoipa::path(
    operation_id = "removeCommunMember",
    tag = "communs",
    security(("bearer" = [])),
    params(("slug" = String, Path, description = "The commun's slug"), RemoveCommunMember),
    responses(
        (status = 204, description = "Removed"),
        (status = 400, description = "Malformed query", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a maintainer of this commun", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such commun or member", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The last maintainer cannot leave", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Malformed user id", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/communs/{slug}/members")]
pub async fn remove_member(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<String>,
    query: Query<RemoveCommunMember>,
) -> AppResult<HttpResponse> {
    let slug = path.into_inner();
    let user = query.user_id;
    db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        service::remove_member(conn, &actor, &slug, user)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Follow a commun: `watching`, `tracking`, `normal` or `muted`.
#[utoipa::path(
    operation_id = "setCommunSubscription",
    tag = "communs",
    security(("bearer" = [])),
    params(("slug" = String, Path, description = "The commun's slug")),
    request_body = Subscription,
    responses(
        (status = 200, description = "The level now in force", body = Subscription),
        (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Account suspended", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such commun", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown level", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/communs/{slug}/subscription")]
pub async fn subscribe(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<String>,
    body: Json<Subscription>,
) -> AppResult<HttpResponse> {
    let slug = path.into_inner();
    let level = body.into_inner().level;
    db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        service::subscribe(conn, &actor, &slug, level)
    })
    .await?;
    Ok(HttpResponse::Ok().json(Subscription { level }))
}

/// A commun's news, newest first (pinned news first): threads of kind `news` in its category,
/// which everyone may reply to.
#[utoipa::path(
    operation_id = "listCommunNews",
    tag = "communs",
    security((), ("bearer" = [])),
    params(("slug" = String, Path, description = "The commun's slug"), PageQuery),
    responses(
        (status = 200, description = "A page of news threads", body = Page<ThreadListItem>,
         headers(("ETag" = String, description = "Send it back in If-None-Match to get a 304"))),
        (status = 304, description = "Not modified since the ETag sent"),
        (status = 400, description = "Malformed query", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Account suspended", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such commun", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/communs/{slug}/news")]
pub async fn list_news(
    req: HttpRequest,
    state: web::Data<AppState>,
    bearer: MaybeBearer,
    path: web::Path<String>,
    query: Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let slug = path.into_inner();
    let paging = query.into_inner();
    let page = db::run(&state.pool, move |conn| {
        let v = Actor::viewer(conn, &bearer)?;
        super::news::list(conn, &slug, &paging, v.as_ref())
    })
    .await?;
    crate::http::json_with_etag(&req, &page)
}

/// Publish news of the commun (its maintainers, administrators): a thread of kind `news` in the
/// commun's category, told to the commun's watching followers. Watched words apply; news is never
/// held for approval (a `hold` word refuses it).
#[utoipa::path(
    operation_id = "createCommunNews",
    tag = "communs",
    security(("bearer" = [])),
    params(
        ("slug" = String, Path, description = "The commun's slug"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key return the first response"),
    ),
    request_body = NewsInput,
    responses(
        (status = 201, description = "Published", body = Thread,
         headers(("Location" = String, description = "The news thread"))),
        (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a maintainer of this commun, or silenced", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such commun", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or a watched word", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/communs/{slug}/news")]
pub async fn publish_news(
    state: web::Data<AppState>,
    gate: web::Data<dyn Gate>,
    bearer: Bearer,
    key: IdempotencyKey,
    path: web::Path<String>,
    body: Json<NewsInput>,
) -> AppResult<HttpResponse> {
    let slug = path.into_inner();
    let gate = gate.into_inner();
    create_as_member(
        &state,
        bearer,
        key,
        body.into_inner(),
        move |conn, actor, body| {
            let t = super::news::publish(conn, actor, &slug, &body, gate.as_ref())?;
            Ok(Created::at(format!("/api/v1/threads/{}", t.id), t))
        },
    )
    .await
}

/// A commun's milestones, by planned date (undated last).
#[utoipa::path(
    operation_id = "listCommunMilestones",
    tag = "communs",
    security(()),
    params(("slug" = String, Path, description = "The commun's slug")),
    responses(
        (status = 200, description = "Its milestones", body = Vec<Milestone>),
        (status = 404, description = "No such commun", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/communs/{slug}/milestones")]
pub async fn list_milestones(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let slug = path.into_inner();
    let items = db::run(&state.pool, move |conn| service::milestones_of(conn, &slug)).await?;
    Ok(HttpResponse::Ok().json(items))
}

/// Add a milestone (maintainers).
#[utoipa::path(
    operation_id = "createCommunMilestone",
    tag = "communs",
    security(("bearer" = [])),
    params(
        ("slug" = String, Path, description = "The commun's slug"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key return the first response"),
    ),
    request_body = NewMilestone,
    responses(
        (status = 201, description = "Created", body = Milestone,
         headers(("Location" = String, description = "The commun's milestones"))),
        (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a maintainer of this commun", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such commun", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/communs/{slug}/milestones")]
pub async fn create_milestone(
    state: web::Data<AppState>,
    bearer: Bearer,
    key: IdempotencyKey,
    path: web::Path<String>,
    body: Json<NewMilestone>,
) -> AppResult<HttpResponse> {
    let slug = path.into_inner();
    create_as_member(
        &state,
        bearer,
        key,
        body.into_inner(),
        move |conn, actor, body| {
            let m = service::create_milestone(conn, actor, &slug, &body)?;
            Ok(Created::at(format!("/api/v1/communs/{slug}/milestones"), m))
        },
    )
    .await
}

/// Edit a milestone (maintainers): `done_on` marks it reached, `null` not yet.
#[utoipa::path(
    operation_id = "updateCommunMilestone",
    tag = "communs",
    security(("bearer" = [])),
    params(
        ("slug" = String, Path, description = "The commun's slug"),
        ("id" = Uuid, Path, description = "Milestone id"),
    ),
    request_body = UpdateMilestone,
    responses(
        (status = 200, description = "Updated", body = Milestone),
        (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a maintainer of this commun", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such commun or milestone", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/communs/{slug}/milestones/{id}")]
pub async fn update_milestone(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<(String, Uuid)>,
    body: Json<UpdateMilestone>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let body = body.into_inner();
    let m = db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        service::update_milestone(conn, &actor, &slug, id, body)
    })
    .await?;
    Ok(HttpResponse::Ok().json(m))
}

/// The resources a commun produced, newest first.
#[utoipa::path(
    operation_id = "listCommunResources",
    tag = "communs",
    security(()),
    params(("slug" = String, Path, description = "The commun's slug")),
    responses(
        (status = 200, description = "Its resources", body = Vec<Resource>),
        (status = 404, description = "No such commun", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/communs/{slug}/resources")]
pub async fn list_resources(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let slug = path.into_inner();
    let items = db::run(&state.pool, move |conn| service::resources_of(conn, &slug)).await?;
    Ok(HttpResponse::Ok().json(items))
}

/// Publish a resource (maintainers): a typed `https` link with a licence of the list
/// (`GET /licences`), and the challenges it answers.
#[utoipa::path(
    operation_id = "createCommunResource",
    tag = "communs",
    security(("bearer" = [])),
    params(
        ("slug" = String, Path, description = "The commun's slug"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key return the first response"),
    ),
    request_body = NewResource,
    responses(
        (status = 201, description = "Created", body = Resource,
         headers(("Location" = String, description = "The commun's resources"))),
        (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a maintainer of this commun", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such commun", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields: an address that is not https, a licence not on the list, an unknown challenge", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/communs/{slug}/resources")]
pub async fn create_resource(
    state: web::Data<AppState>,
    bearer: Bearer,
    key: IdempotencyKey,
    path: web::Path<String>,
    body: Json<NewResource>,
) -> AppResult<HttpResponse> {
    let slug = path.into_inner();
    create_as_member(
        &state,
        bearer,
        key,
        body.into_inner(),
        move |conn, actor, body| {
            let r = service::create_resource(conn, actor, &slug, &body)?;
            Ok(Created::at(format!("/api/v1/communs/{slug}/resources"), r))
        },
    )
    .await
}

/// Edit a resource (its commun's maintainers); `challenges` replaces the list.
#[utoipa::path(
    operation_id = "updateResource",
    tag = "communs",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Resource id")),
    request_body = UpdateResource,
    responses(
        (status = 200, description = "Updated", body = Resource),
        (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a maintainer of its commun", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such resource", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/resources/{id}")]
pub async fn update_resource(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<Uuid>,
    body: Json<UpdateResource>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let body = body.into_inner();
    let r = db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        service::update_resource(conn, &actor, id, body)
    })
    .await?;
    Ok(HttpResponse::Ok().json(r))
}

/// A commun's public timeline, newest first: milestones, the challenges it took up, its resources.
#[utoipa::path(
    operation_id = "getCommunTimeline",
    tag = "communs",
    security(()),
    params(("slug" = String, Path, description = "The commun's slug")),
    responses(
        (status = 200, description = "Its timeline", body = Vec<TimelineEntry>),
        (status = 404, description = "No such commun", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/communs/{slug}/timeline")]
pub async fn timeline(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let slug = path.into_inner();
    let items = db::run(&state.pool, move |conn| service::timeline(conn, &slug)).await?;
    Ok(HttpResponse::Ok().json(items))
}

/// Name a commun taking the challenge up (moderators, or the commun's maintainers on a challenge
/// their organisation pledged to), once it is in progress.
#[utoipa::path(
    operation_id = "addChallengeCommun",
    tag = "communs",
    security(("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "Challenge id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key return the first response"),
    ),
    request_body = TakeUp,
    responses(
        (status = 200, description = "It already took it up", body = TakenUp),
        (status = 201, description = "Taken up", body = TakenUp,
         headers(("Location" = String, description = "The challenge"))),
        (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither a moderator nor a maintainer whose organisation pledged", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such challenge", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The challenge is not in progress", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No such commun", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/challenges/{id}/communs")]
pub async fn take_up(
    state: web::Data<AppState>,
    bearer: Bearer,
    key: IdempotencyKey,
    path: web::Path<Uuid>,
    body: Json<TakeUp>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    create_as_member(
        &state,
        bearer,
        key,
        body.into_inner(),
        move |conn, actor, body| {
            let (added, taken) = service::take_up(conn, actor, id, &body.commun)?;
            let created = Created::at(format!("/api/v1/challenges/{id}"), taken);
            Ok(if added {
                created
            } else {
                created.status(StatusCode::OK)
            })
        },
    )
    .await
}

/// The commun no longer takes the challenge up (the same people).
#[utoipa::path(
    operation_id = "removeChallengeCommun",
    tag = "communs",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Challenge id"), DropTakeUp),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither a moderator nor a maintainer whose organisation pledged", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such challenge or commun, or the commun did not take it up", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The challenge is not in progress", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Missing commun", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/challenges/{id}/communs")]
pub async fn drop_take_up(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<Uuid>,
    query: Query<DropTakeUp>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let commun = query.into_inner().commun;
    db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        service::drop_take_up(conn, &actor, id, &commun)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// One resource, with its commun and the challenges it answers.
#[utoipa::path(
    operation_id = "getResource",
    tag = "communs",
    security(()),
    params(("id" = Uuid, Path, description = "Resource id")),
    responses(
        (status = 200, description = "The resource", body = Resource),
        (status = 404, description = "No such resource", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Malformed id", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/resources/{id}")]
pub async fn read_resource(
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let r = db::run(&state.pool, move |conn| service::one_resource(conn, id)).await?;
    Ok(HttpResponse::Ok().json(r))
}
