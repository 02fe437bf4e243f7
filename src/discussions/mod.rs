//! Discussions: categories, tags, threads, posts, revisions, reactions, accepted answers.

pub mod categories;
pub mod export;
pub mod gate;
pub mod handlers;
pub mod owners;
pub mod posts;
pub mod reactions;
pub mod threads;
pub mod types;
pub mod view;

use utoipa::OpenApi;

use crate::feature::Feature;

pub const FEATURE: Feature = Feature::new("discussions", handlers::routes, ApiDoc::openapi)
    .personal_data(
        export::export,
        <export::DiscussionsExport as utoipa::ToSchema>::name,
        export::erase,
    );

/// The feature's part of the OpenAPI document (nested under `/api/v1`).
#[derive(OpenApi)]
#[openapi(
    paths(
        handlers::categories::list,
        handlers::categories::create,
        handlers::categories::read,
        handlers::categories::update,
        handlers::categories::list_tags,
        handlers::categories::create_tag,
        handlers::categories::read_tag,
        handlers::threads::list,
        handlers::threads::create,
        handlers::threads::read,
        handlers::threads::update,
        handlers::posts::list_posts,
        handlers::posts::reply,
        handlers::threads::accept_answer,
        handlers::posts::read_post,
        handlers::posts::edit_post,
        handlers::posts::delete_post,
        handlers::posts::revisions,
        handlers::posts::revision_diff,
        handlers::posts::set_wiki,
        handlers::posts::react,
        handlers::posts::unreact,
    ),
    components(schemas(
        types::ReactionKind,
        types::ThreadSort,
        types::WhoCanStart,
        types::ThreadKind,
        types::NewThreadKind,
        export::DiscussionsExport
    )),
    tags(
        (name = "discussions", description = "Categories, tags, threads, posts and reactions"),
    )
)]
pub struct ApiDoc;
