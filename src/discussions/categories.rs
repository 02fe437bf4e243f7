//! Categories (admin-managed, ordered, one level of parent) and tags (moderators create them).

use actix_web::http::header;
use actix_web::{HttpResponse, get, patch, post, web};
use diesel::prelude::*;
use uuid::Uuid;

use super::types::*;
use crate::accounts::auth::{Actor, Bearer};
use crate::app::AppState;
use crate::db;
use crate::error::{AppError, AppResult, FieldError, Problem};
use crate::input::one_line;
use crate::schema::{categories, tags};

type CategoryRow = (
    Uuid,
    String,
    String,
    String,
    String,
    Option<Uuid>,
    i32,
    String,
    i32,
    i32,
);

fn columns() -> (
    categories::id,
    categories::slug,
    categories::name,
    categories::description,
    categories::color,
    categories::parent_id,
    categories::position,
    categories::who_can_start,
    categories::thread_count,
    categories::post_count,
) {
    (
        categories::id,
        categories::slug,
        categories::name,
        categories::description,
        categories::color,
        categories::parent_id,
        categories::position,
        categories::who_can_start,
        categories::thread_count,
        categories::post_count,
    )
}

/// Every category, ordered (position, name), with parents' slugs resolved in memory.
pub fn all(conn: &mut PgConnection) -> AppResult<Vec<Category>> {
    let rows: Vec<CategoryRow> = categories::table
        .select(columns())
        .order((
            categories::position,
            crate::accounts::models::lower(categories::name),
        ))
        .load(conn)?;
    let slug_of = |id: Uuid| rows.iter().find(|r| r.0 == id).map(|r| r.1.clone());
    Ok(rows
        .iter()
        .map(|r| Category {
            id: r.0,
            slug: r.1.clone(),
            name: r.2.clone(),
            description: r.3.clone(),
            color: r.4.clone(),
            parent: r.5.and_then(slug_of),
            position: r.6,
            who_can_start: WhoCanStart::parse(&r.7),
            thread_count: r.8,
            post_count: r.9,
        })
        .collect())
}

fn one(conn: &mut PgConnection, slug: &str) -> AppResult<Category> {
    all(conn)?
        .into_iter()
        .find(|c| c.slug == slug)
        .ok_or(AppError::NotFound)
}

fn check_slug(field: &str, slug: &str, max: usize) -> Result<(), FieldError> {
    let ok = (2..=max).contains(&slug.len())
        && slug.split('-').all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
    if ok {
        Ok(())
    } else {
        Err(FieldError::new(
            field,
            "Lower-case letters and digits, joined by single `-`.",
        ))
    }
}

fn check_color(color: &str) -> Result<(), FieldError> {
    let ok = color.len() == 7
        && color.starts_with('#')
        && color[1..].bytes().all(|b| b.is_ascii_hexdigit());
    if ok {
        Ok(())
    } else {
        Err(FieldError::new("color", "A colour as #RRGGBB."))
    }
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(read)
        .service(update)
        .service(list_tags)
        .service(create_tag)
        .service(read_tag);
}

/// Every category, in order, with thread and post counts.
#[utoipa::path(
    operation_id = "list_categories",
    tag = "discussions",
    security(()),
    responses((status = 200, description = "The categories", body = Vec<Category>))
)]
#[get("/categories")]
pub async fn list(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let cats = db::run(&state.pool, all).await?;
    Ok(HttpResponse::Ok().json(cats))
}

/// Create a category (administrators).
#[utoipa::path(
    operation_id = "create_category",
    tag = "discussions",
    security(("bearer" = [])),
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
    body: web::Json<CreateCategory>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let cat = db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        actor.require_admin()?;
        let mut errors = Vec::new();
        if let Err(e) = check_slug("slug", &body.slug, 50) {
            errors.push(e);
        }
        let name = one_line(&body.name, 2, 80)
            .map_err(|m| errors.push(FieldError::new("name", m)))
            .ok();
        if let Some(Err(e)) = body.color.as_deref().map(check_color) {
            errors.push(e);
        }
        if body
            .description
            .as_deref()
            .is_some_and(|d| d.chars().count() > 1000)
        {
            errors.push(FieldError::new("description", "At most 1000 characters."));
        }
        if body.position.is_some_and(|p| !(0..=10000).contains(&p)) {
            errors.push(FieldError::new("position", "0 to 10000."));
        }
        let parent = match &body.parent {
            None => None,
            Some(p) => match categories::table
                .filter(categories::slug.eq(p))
                .select((categories::id, categories::parent_id))
                .first::<(Uuid, Option<Uuid>)>(conn)
                .optional()?
            {
                Some((id, None)) => Some(id),
                Some((_, Some(_))) => {
                    errors.push(FieldError::new(
                        "parent",
                        "Categories nest one level deep only.",
                    ));
                    None
                }
                None => {
                    errors.push(FieldError::new("parent", "No category has this slug."));
                    None
                }
            },
        };
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        diesel::insert_into(categories::table)
            .values((
                categories::id.eq(Uuid::now_v7()),
                categories::slug.eq(&body.slug),
                categories::name.eq(name.unwrap_or_default()),
                categories::description.eq(body.description.unwrap_or_default()),
                categories::color.eq(body.color.unwrap_or_else(|| "#2f7d4f".into())),
                categories::parent_id.eq(parent),
                categories::position.eq(body.position.unwrap_or(0)),
                categories::who_can_start
                    .eq(body.who_can_start.unwrap_or(WhoCanStart::Everyone).as_str()),
            ))
            .execute(conn)?;
        one(conn, &body.slug)
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/categories/{}", cat.slug)))
        .json(cat))
}

/// Update a category (administrators).
#[utoipa::path(
    operation_id = "update_category",
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
    body: web::Json<UpdateCategory>,
) -> AppResult<HttpResponse> {
    let slug = path.into_inner();
    let body = body.into_inner();
    let cat = db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        actor.require_admin()?;
        let id: Uuid = categories::table
            .filter(categories::slug.eq(&slug))
            .select(categories::id)
            .first(conn)?;
        let mut errors = Vec::new();
        let name = match body.name.as_deref().map(|n| one_line(n, 2, 80)) {
            Some(Ok(n)) => Some(n),
            Some(Err(m)) => {
                errors.push(FieldError::new("name", m));
                None
            }
            None => None,
        };
        if let Some(Err(e)) = body.color.as_deref().map(check_color) {
            errors.push(e);
        }
        if body
            .description
            .as_deref()
            .is_some_and(|d| d.chars().count() > 1000)
        {
            errors.push(FieldError::new("description", "At most 1000 characters."));
        }
        if body.position.is_some_and(|p| !(0..=10000).contains(&p)) {
            errors.push(FieldError::new("position", "0 to 10000."));
        }
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        #[derive(AsChangeset)]
        #[diesel(table_name = categories)]
        struct Changes {
            name: Option<String>,
            description: Option<String>,
            color: Option<String>,
            position: Option<i32>,
            who_can_start: Option<&'static str>,
        }
        let changes = Changes {
            name,
            description: body.description,
            color: body.color,
            position: body.position,
            who_can_start: body.who_can_start.map(WhoCanStart::as_str),
        };
        if changes.name.is_some()
            || changes.description.is_some()
            || changes.color.is_some()
            || changes.position.is_some()
            || changes.who_can_start.is_some()
        {
            diesel::update(categories::table.find(id))
                .set(&changes)
                .execute(conn)?;
        }
        one(conn, &slug)
    })
    .await?;
    Ok(HttpResponse::Ok().json(cat))
}

/// Every tag, by slug.
#[utoipa::path(
    tag = "discussions",
    security(()),
    responses((status = 200, description = "The tags", body = Vec<Tag>))
)]
#[get("/tags")]
pub async fn list_tags(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let all: Vec<Tag> = db::run(&state.pool, |conn| {
        let rows: Vec<(String, String)> = tags::table
            .select((tags::slug, tags::name))
            .order(tags::slug)
            .load(conn)?;
        Ok(rows
            .into_iter()
            .map(|(slug, name)| Tag { slug, name })
            .collect())
    })
    .await?;
    Ok(HttpResponse::Ok().json(all))
}

/// Create a tag (moderators and administrators).
#[utoipa::path(
    tag = "discussions",
    security(("bearer" = [])),
    request_body = CreateTag,
    responses(
        (status = 201, description = "Created", body = Tag),
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
    body: web::Json<CreateTag>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let tag = db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        if !actor.is_staff() {
            return Err(AppError::Forbidden("Only moderators create tags.".into()));
        }
        let mut errors = Vec::new();
        if let Err(e) = check_slug("slug", &body.slug, 40) {
            errors.push(e);
        }
        let name = one_line(&body.name, 2, 60)
            .map_err(|m| errors.push(FieldError::new("name", m)))
            .ok();
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        let name = name.unwrap_or_default();
        diesel::insert_into(tags::table)
            .values((
                tags::id.eq(Uuid::now_v7()),
                tags::slug.eq(&body.slug),
                tags::name.eq(&name),
            ))
            .execute(conn)?;
        Ok(Tag {
            slug: body.slug,
            name,
        })
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/tags/{}", tag.slug)))
        .json(tag))
}

/// One category.
#[utoipa::path(
    operation_id = "read_category",
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
    let cat = db::run(&state.pool, move |conn| one(conn, &slug)).await?;
    Ok(HttpResponse::Ok().json(cat))
}

/// One tag.
#[utoipa::path(
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
    let tag = db::run(&state.pool, move |conn| {
        let (slug, name): (String, String) = tags::table
            .filter(tags::slug.eq(&slug))
            .select((tags::slug, tags::name))
            .first(conn)?;
        Ok(Tag { slug, name })
    })
    .await?;
    Ok(HttpResponse::Ok().json(tag))
}
