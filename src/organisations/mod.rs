//! Organisations (public bodies, companies, associations, research labs) and their members. They are
//! what pledges to challenges. The creator is the organisation's first admin.

pub mod handlers;
pub mod service;
pub mod types;

use utoipa::OpenApi;

use crate::feature::Feature;
pub use types::*;

/// Its personal-data section is the member's memberships.
pub const FEATURE: Feature = Feature::new("organisations", handlers::routes, ApiDoc::openapi)
    .personal_data(
        service::export,
        <service::OrganisationsExport as utoipa::ToSchema>::name,
        service::erase,
    );

#[derive(OpenApi)]
#[openapi(
    paths(
        handlers::list,
        handlers::create,
        handlers::read,
        handlers::update,
        handlers::add_member,
        handlers::remove_member,
    ),
    components(schemas(service::OrganisationsExport)),
    tags((name = "organisations", description = "Organisations and their members")),
)]
pub struct ApiDoc;
