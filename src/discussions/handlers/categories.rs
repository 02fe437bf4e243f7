//! HTTP handlers of categories and tags.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};

use crate::accounts::auth::{Actor, Bearer, create_as_member};
use crate::db;
use crate::discussions::categories;
use crate::discussions::types::*;
use crate::error::{AppResult, Problem};
use crate::http::cache::{self, Key};
use crate::http::{AppState, Created, IdempotencyKey, Json, Query};
use crate::pagination::{Page, PageQuery};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(read)
        .service(update)
        .service(list_tags)
        .service(create_tag)
        .service(read_tag);
}

/// The categories, in order, with thread and post counts (a page, as every list).
#[utoipa::path(
    operation_id = "listCategories",
    tag = "discussions",
    security(()),
    params(PageQuery),
    responses(
        (status = 200, description = "A page of categories", body = Page<Category>,
         headers(("ETag" = String, description = "Send it back in If-None-Match"),
                 ("X-Cache" = String, description = "`hit` or `miss`: whether the first page came from the read cache"),
                 ("Cache-Control" = String, description = "`public, max-age=0, s-maxage=N, must-revalidate`"))),
        (status = 304, description = "Not modified since the ETag sent"),
        (status = 400, description = "Malformed query", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid limit or cursor", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/categories")]
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let paging = query.into_inner();
    let load = |paging: PageQuery| {
        let pool = state.pool.clone();
        async move { db::run(&pool, move |conn| categories::page(conn, &paging)).await }
    };
    if paging.cursor.is_some() {
        return crate::http::json_with_etag(&req, &load(paging).await?);
    }
    // The first page is the same for everyone: through the read cache.
    let key = Key::List(format!("categories?limit={:?}", paging.limit));
    cache::read(&state.cache, &req, key, || load(paging)).await
}

/// Create a category (administrators).
#[utoipa::path(
    operation_id = "createCategory",
    tag = "discussions",
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key return the first response")),
    request_body = CreateCategory,
    responses(
        (status = 201, description = "Created", body = Category, headers(("Location" = String, description = "The category"))),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Slug already taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/categories")]
pub async fn create(
    state: web::Data<AppState>,
    bearer: Bearer,
    key: IdempotencyKey,
    body: Json<CreateCategory>,
) -> AppResult<HttpResponse> {
    create_as_member(
        &state,
        bearer,
        key,
        body.into_inner(),
        |conn, actor, body| {
            let cat = categories::create(conn, actor, body)?;
            Ok(Created::at(format!("/api/v1/categories/{}", cat.slug), cat))
        },
    )
    .await
}

/// Update a category (administrators).
#[utoipa::path(
    operation_id = "updateCategory",
    tag = "discussions",
    security(("bearer" = [])),
    params(("slug" = String, Path, description = "Category slug")),
    request_body = UpdateCategory,
    responses(
        (status = 200, description = "Updated", body = Category),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such category", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/categories/{slug}")]
pub async fn update(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<String>,
    body: Json<UpdateCategory>,
) -> AppResult<HttpResponse> {
    let slug = path.into_inner();
    let body = body.into_inner();
    let cat = db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        categories::update(conn, &actor, &slug, body)
    })
    .await?;
    Ok(HttpResponse::Ok().json(cat))
}

/// The tags, by slug (a page, as every list).
#[utoipa::path(
    operation_id = "listTags",
    tag = "discussions",
    security(()),
    params(PageQuery),
    responses(
        (status = 200, description = "A page of tags", body = Page<Tag>),
        (status = 400, description = "Malformed query", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid limit or cursor", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/tags")]
pub async fn list_tags(
    state: web::Data<AppState>,
    query: Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let paging = query.into_inner();
    let page = db::run(&state.pool, move |conn| {
        categories::tags_page(conn, &paging)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Create a tag (moderators and administrators).
#[utoipa::path(
    operation_id = "createTag",
    tag = "discussions",
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key return the first response")),
    request_body = CreateTag,
    responses(
        (status = 201, description = "Created", body = Tag, headers(("Location" = String, description = "The tag"))),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a moderator", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Slug already taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/tags")]
pub async fn create_tag(
    state: web::Data<AppState>,
    bearer: Bearer,
    key: IdempotencyKey,
    body: Json<CreateTag>,
) -> AppResult<HttpResponse> {
    create_as_member(
        &state,
        bearer,
        key,
        body.into_inner(),
        |conn, actor, body| {
            let tag = categories::create_tag(conn, actor, body)?;
            Ok(Created::at(format!("/api/v1/tags/{}", tag.slug), tag))
        },
    )
    .await
}

/// One category.
#[utoipa::path(
    operation_id = "getCategory",
    tag = "discussions",
    security(()),
    params(("slug" = String, Path, description = "Category slug")),
    responses(
        (status = 200, description = "The category", body = Category),
        (status = 404, description = "No such category", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/categories/{slug}")]
pub async fn read(state: web::Data<AppState>, path: web::Path<String>) -> AppResult<HttpResponse> {
    let slug = path.into_inner();
    let cat = db::run(&state.pool, move |conn| categories::one(conn, &slug)).await?;
    Ok(HttpResponse::Ok().json(cat))
}

/// One tag.
#[utoipa::path(
    operation_id = "getTag",
    tag = "discussions",
    security(()),
    params(("slug" = String, Path, description = "Tag slug")),
    responses(
        (status = 200, description = "The tag", body = Tag),
        (status = 404, description = "No such tag", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/tags/{slug}")]
pub async fn read_tag(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let slug = path.into_inner();
    let tag = db::run(&state.pool, move |conn| categories::tag(conn, &slug)).await?;
    Ok(HttpResponse::Ok().json(tag))
}
