//! Full-text search: PostgreSQL `tsvector` columns generated with the `palabre_fr` configuration
//! (French stemming after `unaccent`), GIN indexes, `websearch_to_tsquery`, ranked by relevance with
//! a recency boost, with highlighted snippets.

pub mod handlers;
pub mod service;

use utoipa::OpenApi;

use crate::feature::Feature;
pub use service::{SearchHit, SearchQuery, SearchType, search};

pub const FEATURE: Feature = Feature::new("search", handlers::routes, ApiDoc::openapi);

#[derive(OpenApi)]
#[openapi(
    paths(handlers::search_handler),
    components(schemas(SearchType)),
    tags((name = "search", description = "Full-text search, French first"))
)]
pub struct ApiDoc;
