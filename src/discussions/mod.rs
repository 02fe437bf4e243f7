//! Discussions: categories, tags, threads, posts, revisions, reactions, accepted answers.

pub mod categories;
pub mod export;
pub mod threads;
pub mod types;
pub mod view;

/// Registers the feature's routes under `/api/v1`.
pub fn routes(cfg: &mut actix_web::web::ServiceConfig) {
    categories::routes(cfg);
    threads::routes(cfg);
}

/// The feature's part of the OpenAPI document (nested under `/api/v1`).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        categories::list,
        categories::create,
        categories::read,
        categories::update,
        categories::list_tags,
        categories::create_tag,
        categories::read_tag,
        threads::list,
        threads::create,
        threads::read,
        threads::update,
        threads::list_posts,
        threads::reply,
        threads::accept_answer,
        threads::read_post,
        threads::edit_post,
        threads::delete_post,
        threads::revisions,
        threads::react,
        threads::unreact,
        crate::notifications::list,
        crate::notifications::mark_read,
        crate::notifications::subscribe_thread,
        crate::notifications::subscribe_category,
    ),
    components(schemas(types::ReactionKind, types::ThreadSort, types::WhoCanStart, types::ThreadKind)),
    tags(
        (name = "discussions", description = "Categories, tags, threads, posts and reactions"),
        (name = "notifications", description = "Watch levels and notifications"),
    )
)]
pub struct ApiDoc;
