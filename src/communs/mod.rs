//! Communs: the laureate projects of the call for commons — their maintainers and contributors,
//! partner organisations, followers, milestones, and the open resources they produce (typed links
//! with a licence from `licences.txt`).

pub mod handlers;
pub mod licences;
pub mod news;
pub mod service;
pub mod types;

use utoipa::OpenApi;

use crate::feature::Feature;

pub const FEATURE: Feature = Feature::new("communs", handlers::routes, ApiDoc::openapi)
    .personal_data(
        service::export,
        <service::CommunsExport as utoipa::ToSchema>::name,
        service::erase,
    );

#[derive(OpenApi)]
#[openapi(
    paths(
        handlers::licences,
        handlers::list,
        handlers::create,
        handlers::read,
        handlers::update,
        handlers::add_member,
        handlers::remove_member,
        handlers::subscribe,
        handlers::list_news,
        handlers::publish_news,
        handlers::list_milestones,
        handlers::create_milestone,
        handlers::update_milestone,
        handlers::list_resources,
        handlers::create_resource,
        handlers::update_resource,
        handlers::read_resource,
        handlers::timeline,
        handlers::take_up,
        handlers::drop_take_up,
    ),
    components(schemas(
        service::CommunsExport,
        types::CommunStatus,
        types::CommunRole,
        types::ResourceKind,
        types::Commun,
        types::Milestone,
        types::Resource,
        types::Licence,
        types::TakenUp,
        types::TimelineKind,
        types::TimelineEntry,
    )),
    tags((name = "communs", description = "Communs (laureate projects): members, partners, followers, milestones and resources")),
)]
pub struct ApiDoc;
