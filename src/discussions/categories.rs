//! Categories (admin-managed, ordered, one level of parent) and tags (moderators create them).

use diesel::prelude::*;
use uuid::Uuid;

use super::types::*;
use crate::accounts::auth::Actor;
use crate::error::{AppError, AppResult};
use crate::input::{Errors, Slug, one_line};
use crate::pagination::{Page, PageQuery};
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
    Option<Uuid>,
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
    categories::commun_id,
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
        categories::commun_id,
    )
}

/// Every category, ordered by [`category_key`], with parents' slugs resolved in memory.
pub fn all(conn: &mut PgConnection) -> AppResult<Vec<Category>> {
    let rows: Vec<CategoryRow> = categories::table.select(columns()).load(conn)?;
    let slug_of = |id: Uuid| rows.iter().find(|r| r.0 == id).map(|r| r.1.clone());
    let mut all: Vec<Category> = rows
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
            commun_id: r.10,
        })
        .collect();
    all.sort_by_key(category_key);
    Ok(all)
}

/// The order of categories (position, then name without regard to case, then id); the key a
/// categories cursor carries.
fn category_key(c: &Category) -> (i32, String, Uuid) {
    (c.position, c.name.to_lowercase(), c.id)
}

/// One page of the categories, in order. Categories are few (administrators create them) and each
/// names its parent: the page is cut from the ordered whole, so every page costs the same.
pub fn page(conn: &mut PgConnection, paging: &PageQuery) -> AppResult<Page<Category>> {
    let limit = paging.limit()?;
    let after: Option<(i32, String, Uuid)> = paging.after()?;
    let rows: Vec<Category> = all(conn)?
        .into_iter()
        .filter(|c| after.as_ref().is_none_or(|a| category_key(c) > *a))
        .take(limit as usize + 1)
        .collect();
    Ok(Page::from_rows(rows, limit, category_key, |c| c))
}

pub fn one(conn: &mut PgConnection, slug: &str) -> AppResult<Category> {
    all(conn)?
        .into_iter()
        .find(|c| c.slug == slug)
        .ok_or(AppError::NotFound)
}

/// `#RRGGBB`.
fn parse_color(color: &str) -> Result<(), String> {
    let ok = color.len() == 7
        && color.starts_with('#')
        && color[1..].bytes().all(|b| b.is_ascii_hexdigit());
    if ok {
        Ok(())
    } else {
        Err("A colour as #RRGGBB.".into())
    }
}

/// Checks the fields a create and an update share; returns the name trimmed.
fn check_common(
    errors: &mut Errors,
    name: Option<&str>,
    color: Option<&str>,
    description: Option<&str>,
    position: Option<i32>,
) -> Option<String> {
    let name = errors.check_opt("name", name, |n| one_line(n, 2, 80));
    errors.check_opt("color", color, parse_color);
    errors.check_opt("description", description, |d| {
        crate::input::free_text(d, 1000)
    });
    if let Some(p) = position {
        errors.ensure("position", (0..=10000).contains(&p), "0 to 10000.");
    }
    name
}

const MAINTAINERS_RULE: &str = "Only a commun's news category has the rule `maintainers`, and it \
    keeps it: palabre sets it when the commun is created.";

/// Creates a commun's news category (in the caller's transaction): only its maintainers start
/// threads there, through the commun. A taken slug gets the last 12
/// digits of the commun's id.
pub fn create_owned(
    conn: &mut PgConnection,
    commun: Uuid,
    slug: &str,
    name: &str,
    description: &str,
) -> AppResult<Uuid> {
    let id = Uuid::now_v7();
    let taken: bool = diesel::select(diesel::dsl::exists(
        categories::table.filter(categories::slug.eq(slug)),
    ))
    .get_result(conn)?;
    let slug = if taken {
        format!("{slug}-{}", &commun.simple().to_string()[20..])
    } else {
        slug.to_string()
    };
    diesel::insert_into(categories::table)
        .values((
            categories::id.eq(id),
            categories::slug.eq(&slug),
            categories::name.eq(name),
            categories::description.eq(description),
            categories::position.eq(1000),
            categories::who_can_start.eq(WhoCanStart::Maintainers.as_str()),
            categories::commun_id.eq(commun),
        ))
        .execute(conn)?;
    Ok(id)
}

/// Renames a commun's news category with its commun.
pub fn rename_owned(conn: &mut PgConnection, commun: Uuid, name: &str) -> AppResult<()> {
    diesel::update(categories::table.filter(categories::commun_id.eq(commun)))
        .set(categories::name.eq(name))
        .execute(conn)?;
    Ok(())
}

/// Creates a category (administrators).
pub fn create(
    conn: &mut PgConnection,
    actor: &Actor,
    input: CreateCategory,
) -> AppResult<Category> {
    actor.require_admin()?;
    let mut errors = Errors::new();
    let slug = errors.check("slug", Slug::parse(&input.slug, 50));
    errors.ensure(
        "who_can_start",
        input.who_can_start != Some(WhoCanStart::Maintainers),
        MAINTAINERS_RULE,
    );
    let name = check_common(
        &mut errors,
        Some(&input.name),
        input.color.as_deref(),
        input.description.as_deref(),
        input.position,
    );
    let parent = match &input.parent {
        None => None,
        Some(p) => match categories::table
            .filter(categories::slug.eq(p))
            .select((categories::id, categories::parent_id))
            .first::<(Uuid, Option<Uuid>)>(conn)
            .optional()?
        {
            Some((id, None)) => Some(id),
            Some((_, Some(_))) => {
                errors.push("parent", "Categories nest one level deep only.");
                None
            }
            None => {
                errors.push("parent", "No category has this slug.");
                None
            }
        },
    };
    errors.finish()?;
    let slug = slug.map(Slug::into_inner).unwrap_or_default();
    diesel::insert_into(categories::table)
        .values((
            categories::id.eq(Uuid::now_v7()),
            categories::slug.eq(&slug),
            categories::name.eq(name.unwrap_or_default()),
            categories::description.eq(input.description.unwrap_or_default()),
            categories::color.eq(input.color.unwrap_or_else(|| "#2f7d4f".into())),
            categories::parent_id.eq(parent),
            categories::position.eq(input.position.unwrap_or(0)),
            categories::who_can_start.eq(input
                .who_can_start
                .unwrap_or(WhoCanStart::Everyone)
                .as_str()),
        ))
        .execute(conn)?;
    one(conn, &slug)
}

/// Updates a category (administrators).
pub fn update(
    conn: &mut PgConnection,
    actor: &Actor,
    slug: &str,
    input: UpdateCategory,
) -> AppResult<Category> {
    actor.require_admin()?;
    let (id, owner): (Uuid, Option<Uuid>) = categories::table
        .filter(categories::slug.eq(slug))
        .select((categories::id, categories::commun_id))
        .first(conn)?;
    let mut errors = Errors::new();
    if let Some(rule) = input.who_can_start {
        errors.ensure(
            "who_can_start",
            (rule == WhoCanStart::Maintainers) == owner.is_some(),
            MAINTAINERS_RULE,
        );
    }
    let name = check_common(
        &mut errors,
        input.name.as_deref(),
        input.color.as_deref(),
        input.description.as_deref(),
        input.position,
    );
    errors.finish()?;
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
        description: input.description,
        color: input.color,
        position: input.position,
        who_can_start: input.who_can_start.map(WhoCanStart::as_str),
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
    one(conn, slug)
}

/// Every tag, by slug.
/// One page of the tags, by slug.
pub fn tags_page(conn: &mut PgConnection, paging: &PageQuery) -> AppResult<Page<Tag>> {
    let limit = paging.limit()?;
    let after: Option<String> = paging.after()?;
    let mut query = tags::table
        .select((tags::slug, tags::name))
        .order(tags::slug)
        .limit(limit + 1)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(tags::slug.gt(after));
    }
    let rows: Vec<(String, String)> = query.load(conn)?;
    Ok(Page::from_rows(
        rows,
        limit,
        |(slug, _)| slug.clone(),
        |(slug, name)| Tag { slug, name },
    ))
}

/// One tag.
pub fn tag(conn: &mut PgConnection, slug: &str) -> AppResult<Tag> {
    let (slug, name): (String, String) = tags::table
        .filter(tags::slug.eq(slug))
        .select((tags::slug, tags::name))
        .first(conn)?;
    Ok(Tag { slug, name })
}

/// Creates a tag (moderators and administrators).
pub fn create_tag(conn: &mut PgConnection, actor: &Actor, input: CreateTag) -> AppResult<Tag> {
    if !actor.is_staff() {
        return Err(AppError::Forbidden("Only moderators create tags.".into()));
    }
    let mut errors = Errors::new();
    let slug = errors.check("slug", Slug::parse(&input.slug, 40));
    let name = errors.check("name", one_line(&input.name, 2, 60));
    errors.finish()?;
    let (slug, name) = (
        slug.map(Slug::into_inner).unwrap_or_default(),
        name.unwrap_or_default(),
    );
    diesel::insert_into(tags::table)
        .values((
            tags::id.eq(Uuid::now_v7()),
            tags::slug.eq(&slug),
            tags::name.eq(&name),
        ))
        .execute(conn)?;
    Ok(Tag { slug, name })
}

/// Looks up tag slugs (unique, at most 5, all existing).
pub fn tag_ids(conn: &mut PgConnection, slugs: &[String]) -> AppResult<Vec<Uuid>> {
    let mut unique: Vec<&String> = slugs.iter().collect();
    unique.sort();
    unique.dedup();
    if unique.len() > 5 {
        return Err(AppError::validation("tags", "At most 5 tags."));
    }
    let found: Vec<(Uuid, String)> = tags::table
        .filter(tags::slug.eq_any(&unique))
        .select((tags::id, tags::slug))
        .load(conn)?;
    if found.len() != unique.len() {
        let missing: Vec<&str> = unique
            .iter()
            .filter(|s| !found.iter().any(|f| &f.1 == **s))
            .map(|s| s.as_str())
            .collect();
        return Err(AppError::validation(
            "tags",
            format!("Unknown tags: {}.", missing.join(", ")),
        ));
    }
    Ok(found.into_iter().map(|f| f.0).collect())
}

/// A category by slug: its id and who may start threads in it; 422 on `field` when unknown.
pub fn by_slug(conn: &mut PgConnection, slug: &str, field: &str) -> AppResult<(Uuid, WhoCanStart)> {
    let (id, who): (Uuid, String) = categories::table
        .filter(categories::slug.eq(slug))
        .select((categories::id, categories::who_can_start))
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::validation(field, "No category has this slug."))?;
    Ok((id, WhoCanStart::parse(&who)))
}
