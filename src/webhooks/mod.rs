//! Outgoing webhooks: administrators register HTTPS endpoints for event kinds; each event is queued
//! in the transaction that wrote it (database triggers insert one delivery and one job per endpoint:
//! no feature knows about webhooks), signed as the Standard Webhooks specification says, delivered by
//! the job queue with backoff, logged, withheld if what it is about became hidden or deleted, and a
//! hook failing for a day is disabled and administrators are told.

pub mod deliver;
pub mod handlers;
pub mod net;
pub mod service;
pub mod types;

use utoipa::OpenApi;

use crate::feature::Feature;

pub const FEATURE: Feature = Feature::new("webhooks", handlers::routes, ApiDoc::openapi)
    .jobs(deliver::register_jobs)
    .periodic(deliver::periodic);

#[derive(OpenApi)]
#[openapi(
    paths(
        handlers::list,
        handlers::create,
        handlers::read,
        handlers::update,
        handlers::delete,
        handlers::deliveries,
        handlers::test,
    ),
    components(schemas(types::WebhookEvent, types::DeliveryStatus)),
    tags((name = "webhooks", description = "Signed outgoing webhooks (administrators)")),
)]
pub struct ApiDoc;
