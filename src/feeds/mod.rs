//! Atom 1.0 feeds (atom_syndication): latest threads, per category, challenges.

pub mod handlers;
pub mod service;

use utoipa::OpenApi;

use crate::feature::Feature;

pub const FEATURE: Feature = Feature::new("feeds", handlers::routes, ApiDoc::openapi);

#[derive(OpenApi)]
#[openapi(
    paths(
        handlers::latest,
        handlers::category_feed,
        handlers::challenges,
        handlers::commun
    ),
    tags((name = "feeds", description = "Atom 1.0 feeds"))
)]
pub struct ApiDoc;
