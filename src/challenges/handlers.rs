//! HTTP handlers of challenges, their lifecycle, supports, follows and pledges.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, put, web};
use uuid::Uuid;

use super::hooks::ChallengeHooks;
use super::types::*;
use super::{pledges, service};
use crate::accounts::auth::{Actor, Bearer, MaybeBearer, create_as_member};
use crate::db;
use crate::error::{AppResult, Problem};
use crate::http::{self, AppState, Created, IdempotencyKey, Json, Query};
use crate::notifications::Subscription;
use crate::pagination::{Page, PageQuery};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list)
        .service(geojson)
        .service(create)
        .service(read)
        .service(update)
        .service(transition)
        .service(history)
        .service(support)
        .service(unsupport)
        .service(subscribe)
        .service(list_pledges)
        .service(create_pledge)
        .service(read_pledge)
        .service(update_pledge)
        .service(organisation_pledges)
        .service(matching_challenges);
}

/// Challenges, filtered by status, theme, territory (and everything inside it), bounding box or
/// organisation; sorted by supports, newest or activity. Drafts are listed to their authors only.
#[utoipa::path(
    operation_id = "listChallenges",
    tag = "challenges",
    security((), ("bearer" = [])),
    params(ChallengeQuery),
    responses(
        (status = 200, description = "A page of challenges", body = Page<ChallengeItem>,
         headers(("ETag" = String, description = "Send it back in If-None-Match"))),
        (status = 304, description = "Not modified since the ETag sent"),
        (status = 401, description = "Invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Account suspended", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown theme or territory, invalid bbox, limit or cursor", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/challenges")]
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    bearer: MaybeBearer,
    query: Query<ChallengeQuery>,
) -> AppResult<HttpResponse> {
    let q = query.into_inner();
    let page = db::run(&state.pool, move |conn| {
        let v = Actor::viewer(conn, &bearer)?;
        service::list(conn, &q, v.as_ref())
    })
    .await?;
    http::json_with_etag(&req, &page)
}

/// The challenges with a location, as an RFC 7946 GeoJSON FeatureCollection (`application/geo+json`):
/// the list's filters; each feature's `id` is the challenge's, its properties the list fields.
#[utoipa::path(
    operation_id = "getChallengesGeoJson",
    tag = "challenges",
    security((), ("bearer" = [])),
    params(GeoJsonQuery),
    responses(
        (status = 200, description = "A FeatureCollection", body = ChallengeFeatureCollection,
         content_type = "application/geo+json",
         headers(("ETag" = String, description = "Send it back in If-None-Match"))),
        (status = 304, description = "Not modified since the ETag sent"),
        (status = 401, description = "Invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Account suspended", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown theme or territory, invalid bbox, limit or cursor", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/challenges.geojson")]
pub async fn geojson(
    req: HttpRequest,
    state: web::Data<AppState>,
    bearer: MaybeBearer,
    query: Query<GeoJsonQuery>,
) -> AppResult<HttpResponse> {
    let q = query.into_inner();
    let collection = db::run(&state.pool, move |conn| {
        let v = Actor::viewer(conn, &bearer)?;
        service::geojson(conn, &q, v.as_ref())
    })
    .await?;
    let body =
        serde_json::to_vec(&collection).map_err(|e| crate::error::AppError::Internal(e.into()))?;
    Ok(http::conditional::bytes_with_etag(
        &req,
        body,
        "application/geo+json",
    ))
}

/// Propose a challenge: a draft (seen by you and moderators only) or `submitted` at once. Its
/// discussion thread opens when it is submitted.
#[utoipa::path(
    operation_id = "createChallenge",
    tag = "challenges",
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key return the first response")),
    request_body = CreateChallenge,
    responses(
        (status = 201, description = "Created", body = Challenge, headers(("Location" = String, description = "The challenge"))),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Email not confirmed, silenced or suspended", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields: unknown theme or territory, invalid location…", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/challenges")]
pub async fn create(
    state: web::Data<AppState>,
    bearer: Bearer,
    key: IdempotencyKey,
    body: Json<CreateChallenge>,
) -> AppResult<HttpResponse> {
    let settings = state.settings.clone();
    create_as_member(
        &state,
        bearer,
        key,
        body.into_inner(),
        move |conn, actor, body| {
            let c = service::create(conn, &settings, actor, body)?;
            Ok(Created::at(format!("/api/v1/challenges/{}", c.item.id), c))
        },
    )
    .await
}

/// A challenge with its texts, the organisations pledging and the communs taking it up.
#[utoipa::path(
    operation_id = "getChallenge",
    tag = "challenges",
    security((), ("bearer" = [])),
    params(("id" = Uuid, Path, description = "Challenge id")),
    responses(
        (status = 200, description = "The challenge", body = Challenge,
         headers(("ETag" = String, description = "Send it back in If-None-Match"))),
        (status = 304, description = "Not modified since the ETag sent"),
        (status = 401, description = "Invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Account suspended", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such challenge (or a draft of someone else's)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/challenges/{id}")]
pub async fn read(
    req: HttpRequest,
    state: web::Data<AppState>,
    bearer: MaybeBearer,
    path: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let c = db::run(&state.pool, move |conn| {
        let v = Actor::viewer(conn, &bearer)?;
        service::read(conn, id, v.as_ref())
    })
    .await?;
    http::json_with_etag(&req, &c)
}

/// Edit a challenge: its author while it is a draft or submitted, or a moderator.
#[utoipa::path(
    operation_id = "updateChallenge",
    tag = "challenges",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Challenge id")),
    request_body = UpdateChallenge,
    responses(
        (status = 200, description = "Updated", body = Challenge),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the author (or past submission), not a moderator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such challenge", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/challenges/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<Uuid>,
    body: Json<UpdateChallenge>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let body = body.into_inner();
    let c = db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        service::update(conn, &actor, id, body)
    })
    .await?;
    Ok(HttpResponse::Ok().json(c))
}

/// Move a challenge along its lifecycle. Authors submit and withdraw; moderators do the rest;
/// rejecting and closing need a note. The move is recorded and notified.
#[utoipa::path(
    operation_id = "transitionChallenge",
    tag = "challenges",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Challenge id")),
    request_body = Transition,
    responses(
        (status = 200, description = "Moved", body = Challenge),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The move is someone else's to make", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such challenge", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "No such move from the current state; the detail names the allowed ones", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A note is required, or too long", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/challenges/{id}/transitions")]
pub async fn transition(
    state: web::Data<AppState>,
    hooks: web::Data<dyn ChallengeHooks>,
    bearer: Bearer,
    path: web::Path<Uuid>,
    body: Json<Transition>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let body = body.into_inner();
    let settings = state.settings.clone();
    let hooks = hooks.into_inner();
    let c = db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        service::transition(conn, &settings, &actor, id, body, hooks.as_ref())
    })
    .await?;
    Ok(HttpResponse::Ok().json(c))
}

/// Every move of a challenge: who, from, to, the public note, when.
#[utoipa::path(
    operation_id = "getChallengeHistory",
    tag = "challenges",
    security((), ("bearer" = [])),
    params(("id" = Uuid, Path, description = "Challenge id")),
    responses(
        (status = 200, description = "The history, oldest first", body = Page<HistoryEntry>),
        (status = 401, description = "Invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Account suspended", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such challenge", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/challenges/{id}/history")]
pub async fn history(
    state: web::Data<AppState>,
    bearer: MaybeBearer,
    path: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let h = db::run(&state.pool, move |conn| {
        let v = Actor::viewer(conn, &bearer)?;
        service::history(conn, id, v.as_ref())
    })
    .await?;
    Ok(HttpResponse::Ok().json(h))
}

/// Support a challenge (idempotent; while submitted, under review or open). Supporting follows it
/// unless you chose a level.
#[utoipa::path(
    operation_id = "supportChallenge",
    tag = "challenges",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Challenge id")),
    responses(
        (status = 200, description = "Supported", body = SupportState),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Email not confirmed, silenced or suspended", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such challenge", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The challenge takes no supports in its state", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/challenges/{id}/support")]
pub async fn support(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    set_support(state, bearer, path, true).await
}

/// Stop supporting a challenge (idempotent; while submitted, under review or open).
#[utoipa::path(
    operation_id = "unsupportChallenge",
    tag = "challenges",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Challenge id")),
    responses(
        (status = 200, description = "Not supported", body = SupportState),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Email not confirmed, silenced or suspended", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such challenge", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The challenge takes no supports in its state", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/challenges/{id}/support")]
pub async fn unsupport(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    set_support(state, bearer, path, false).await
}

async fn set_support(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<Uuid>,
    on: bool,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let s = db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        service::support(conn, &actor, id, on)
    })
    .await?;
    Ok(HttpResponse::Ok().json(s))
}

/// Set the caller's watch level on a challenge (`watching`: notified of its moves).
#[utoipa::path(
    operation_id = "setChallengeSubscription",
    tag = "challenges",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Challenge id")),
    request_body = Subscription,
    responses(
        (status = 200, description = "The level now in force", body = Subscription),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Account suspended", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such challenge", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/challenges/{id}/subscription")]
pub async fn subscribe(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<Uuid>,
    body: Json<Subscription>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let level = body.into_inner().level;
    db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        service::subscribe(conn, &actor, id, level)
    })
    .await?;
    Ok(HttpResponse::Ok().json(Subscription { level }))
}

/// A challenge's pledges, oldest first.
#[utoipa::path(
    operation_id = "listChallengePledges",
    tag = "challenges",
    security((), ("bearer" = [])),
    params(("id" = Uuid, Path, description = "Challenge id"), PageQuery),
    responses(
        (status = 200, description = "A page of pledges", body = Page<Pledge>),
        (status = 401, description = "Invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Account suspended", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such challenge", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid limit or cursor", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/challenges/{id}/pledges")]
pub async fn list_pledges(
    state: web::Data<AppState>,
    bearer: MaybeBearer,
    path: web::Path<Uuid>,
    query: Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let paging = query.into_inner();
    let page = db::run(&state.pool, move |conn| {
        let v = Actor::viewer(conn, &bearer)?;
        pledges::of_challenge(conn, id, &paging, v.as_ref())
    })
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Offer something to a challenge in an organisation's name (its members; while the challenge is
/// open or in progress).
#[utoipa::path(
    operation_id = "createPledge",
    tag = "challenges",
    security(("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "Challenge id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key return the first response"),
    ),
    request_body = CreatePledge,
    responses(
        (status = 201, description = "Offered", body = Pledge, headers(("Location" = String, description = "The pledge"))),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of the organisation; email not confirmed, silenced or suspended", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such challenge", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The challenge takes no pledges in its state", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown organisation, invalid message", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/challenges/{id}/pledges")]
pub async fn create_pledge(
    state: web::Data<AppState>,
    bearer: Bearer,
    key: IdempotencyKey,
    path: web::Path<Uuid>,
    body: Json<CreatePledge>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    create_as_member(
        &state,
        bearer,
        key,
        body.into_inner(),
        move |conn, actor, body| {
            let p = pledges::create(conn, actor, id, &body)?;
            Ok(Created::at(format!("/api/v1/pledges/{}", p.id), p))
        },
    )
    .await
}

/// One pledge.
#[utoipa::path(
    operation_id = "getPledge",
    tag = "challenges",
    security(()),
    params(("id" = Uuid, Path, description = "Pledge id")),
    responses(
        (status = 200, description = "The pledge", body = Pledge),
        (status = 404, description = "No such pledge, or its challenge is not public (a draft, or hidden by moderation)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/pledges/{id}")]
pub async fn read_pledge(
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let p = db::run(&state.pool, move |conn| pledges::read(conn, id, None)).await?;
    Ok(HttpResponse::Ok().json(p))
}

/// Move a pledge: the challenge's author or a moderator accepts or declines an offer; the
/// organisation's members withdraw it or mark it delivered.
#[utoipa::path(
    operation_id = "updatePledge",
    tag = "challenges",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Pledge id")),
    request_body = UpdatePledge,
    responses(
        (status = 200, description = "Moved", body = Pledge),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The move is the other side's", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such pledge", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "No such move from the current state; the detail names the allowed ones", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Note too long", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/pledges/{id}")]
pub async fn update_pledge(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<Uuid>,
    body: Json<UpdatePledge>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let body = body.into_inner();
    let p = db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        pledges::update(conn, &actor, id, &body)
    })
    .await?;
    Ok(HttpResponse::Ok().json(p))
}

/// An organisation's pledges, newest first.
#[utoipa::path(
    operation_id = "listOrganisationPledges",
    tag = "challenges",
    security(()),
    params(("id" = Uuid, Path, description = "Organisation id"), PageQuery),
    responses(
        (status = 200, description = "A page of pledges", body = Page<Pledge>),
        (status = 404, description = "No such organisation", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid limit or cursor", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/organisations/{id}/pledges")]
pub async fn organisation_pledges(
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    query: Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let paging = query.into_inner();
    let page = db::run(&state.pool, move |conn| {
        pledges::of_organisation(conn, id, &paging)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Open challenges matching an organisation's interests (a theme in common, and a territory of
/// the organisation containing the challenge's or inside it), newest first.
#[utoipa::path(
    operation_id = "listMatchingChallenges",
    tag = "challenges",
    security((), ("bearer" = [])),
    params(("id" = Uuid, Path, description = "Organisation id"), PageQuery),
    responses(
        (status = 200, description = "A page of open challenges", body = Page<ChallengeItem>),
        (status = 401, description = "Invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Account suspended", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such organisation", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid limit or cursor", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/organisations/{id}/matching-challenges")]
pub async fn matching_challenges(
    state: web::Data<AppState>,
    bearer: MaybeBearer,
    path: web::Path<Uuid>,
    query: Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let paging = query.into_inner();
    let page = db::run(&state.pool, move |conn| {
        let v = Actor::viewer(conn, &bearer)?;
        service::matching(conn, id, &paging, v.as_ref())
    })
    .await?;
    Ok(HttpResponse::Ok().json(page))
}
