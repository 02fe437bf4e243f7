//! Challenges (défis): public-policy problems that open geodata could solve. A member proposes one
//! (themes, an official territory, an optional location); the community supports and follows it;
//! moderators move it along its lifecycle; organisations pledge funding, data, code, expertise,
//! equipment or testing; its discussion thread lives in the challenges' category.

pub mod export;
pub mod geometry;
pub mod handlers;
pub mod hooks;
pub mod lifecycle;
pub mod notify;
pub mod pledges;
pub mod service;
pub mod types;

use utoipa::OpenApi;

use crate::feature::Feature;
pub use types::{ChallengeStatus, PledgeKind, PledgeStatus};

pub const FEATURE: Feature = Feature::new("challenges", handlers::routes, ApiDoc::openapi)
    .personal_data(
        export::export,
        <export::ChallengesExport as utoipa::ToSchema>::name,
        export::erase,
    );

#[derive(OpenApi)]
#[openapi(
    paths(
        handlers::list,
        handlers::geojson,
        handlers::create,
        handlers::read,
        handlers::update,
        handlers::transition,
        handlers::history,
        handlers::support,
        handlers::unsupport,
        handlers::subscribe,
        handlers::list_pledges,
        handlers::create_pledge,
        handlers::read_pledge,
        handlers::update_pledge,
        handlers::organisation_pledges,
        handlers::matching_challenges,
    ),
    components(schemas(
        export::ChallengesExport,
        types::ChallengeStatus,
        types::ChallengeSort,
        types::Geometry,
        types::PledgeKind,
        types::PledgeStatus,
        types::PledgeMove,
        types::NewChallengeStatus,
        types::ChallengeFeature,
    )),
    tags((name = "challenges", description = "Challenges (défis), their lifecycle, supports and organisations' pledges")),
)]
pub struct ApiDoc;
