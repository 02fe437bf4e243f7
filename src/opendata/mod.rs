//! Open data: challenges, communs and resources as CSV (UTF-8, RFC 4180) and GeoJSON, under a stated
//! licence, streamed in batches (memory does not grow with the data), with ETags; and a DCAT-AP
//! catalogue (JSON-LD) that data portals harvest.

pub mod handlers;
pub mod service;
pub mod stream;

use utoipa::OpenApi;

use crate::feature::Feature;

pub const FEATURE: Feature = Feature::new("opendata", handlers::routes, ApiDoc::openapi);

#[derive(OpenApi)]
#[openapi(
    paths(
        handlers::challenges_csv,
        handlers::challenges_geojson,
        handlers::communs_csv,
        handlers::resources_csv,
        handlers::catalog,
    ),
    components(schemas(
        service::OpenChallenge,
        service::OpenChallengeFeature,
        service::OpenChallengeCollection,
        service::LicenceStatement,
    )),
    tags((name = "open-data", description = "Open data exports (CSV, GeoJSON) and their DCAT-AP catalogue")),
)]
pub struct ApiDoc;
