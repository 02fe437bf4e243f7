//! Taxonomy shared by challenges, organisations' interests, communs and digests: the curated themes
//! (admins manage them) and the territories of the Code officiel géographique (read-only, loaded by
//! a migration generated from `@etalab/decoupage-administratif` by `cog/refresh.mjs`).

pub mod handlers;
pub mod service;
pub mod types;

use utoipa::OpenApi;

use crate::feature::Feature;
pub use service::{
    TerritoryRow, existing_theme, parse_themes, parse_themes_keeping, resolve_territories,
    resolve_territory, scope_of, territories_by_id,
};
pub use types::{Territory, TerritoryLevel, Theme, ThemeRef};

pub const FEATURE: Feature = Feature::new("taxonomy", handlers::routes, ApiDoc::openapi);

#[derive(OpenApi)]
#[openapi(
    paths(
        handlers::list_themes,
        handlers::create_theme,
        handlers::read_theme,
        handlers::update_theme,
        handlers::list_territories,
        handlers::read_territory,
    ),
    components(schemas(TerritoryLevel, ThemeRef)),
    tags((name = "taxonomy", description = "Themes and the official geography (territories)")),
)]
pub struct ApiDoc;
