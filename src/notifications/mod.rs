//! Notifications: watch levels on threads and categories, the fan-out helpers every feature writes
//! through, and the member's notification list.

pub mod derived;
pub mod handlers;
pub mod service;
pub mod types;

use utoipa::OpenApi;

use crate::feature::Feature;
pub use service::{
    Event, LEVEL_ON_POSTING, NotifyWatchers, notify, notify_new_thread, notify_personal,
    notify_watchers, notify_watchers_once, read_up_to, upsert_level, watch_thread_by_default,
};
pub use types::{Subscription, WatchLevel};

pub const FEATURE: Feature = Feature::new("notifications", handlers::routes, ApiDoc::openapi)
    .jobs(service::register_jobs)
    .personal_data(
        service::export,
        <service::NotificationsExport as utoipa::ToSchema>::name,
        service::erase,
    );

/// The feature's part of the OpenAPI document (nested under `/api/v1`).
#[derive(OpenApi)]
#[openapi(
    paths(
        handlers::list,
        handlers::mark_read,
        handlers::subscribe_thread,
        handlers::subscribe_category,
        handlers::read_thread,
    ),
    components(schemas(service::NotificationsExport)),
    tags((name = "notifications", description = "Watch levels and notifications")),
)]
pub struct ApiDoc;
