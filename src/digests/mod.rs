//! Email digests of community activity, for members and for email-only subscribers.
//!
//! - [`schedule`]: each recipient's day and hour in Europe/Paris; the period key.
//! - [`compose`]: the dispatcher and the batch job that send each digest exactly once.
//! - [`content`]: what a digest says, chosen for a whole batch with set-based queries.
//! - [`render`]: the email (HTML + text, French and English) and its list headers.
//! - [`subscribers`]: double opt-in, unsubscribing (link, one-click POST, mailbox), interests.
//! - [`token`]: signed unsubscribe tokens.

pub mod compose;
pub mod content;
pub mod export;
pub mod handlers;
pub mod render;
pub mod schedule;
pub mod subscribers;
pub mod token;
pub mod types;

use std::time::Duration;

use serde::{Deserialize, Serialize};
use utoipa::OpenApi;

use crate::feature::Feature;
use crate::jobs::{Job, Periodic, Registry};

pub const FEATURE: Feature = Feature::new("digests", handlers::routes, ApiDoc::openapi)
    .jobs(register_jobs)
    .periodic(periodic)
    .personal_data(
        export::export,
        <export::DigestsExport as utoipa::ToSchema>::name,
        export::erase,
    );

/// Hourly: expired subscription requests and old digest records go, and digests left `due` are
/// recovered (no payload).
#[derive(Debug, Serialize, Deserialize)]
pub struct DigestCleanup;

impl Job for DigestCleanup {
    const KIND: &'static str = "digest_cleanup";
}

fn register_jobs(registry: &mut Registry) {
    compose::register_jobs(registry);
    registry.add(|ctx, conn, _: DigestCleanup| {
        let requests = subscribers::expire(conn)?;
        let records = compose::expire(conn)?;
        let swept = compose::sweep(conn, &ctx.settings, chrono::Utc::now())?;
        tracing::info!(requests, records, ?swept, "digest cleanup done");
        Ok(())
    });
}

fn periodic() -> Vec<Periodic> {
    let mut p = compose::periodic();
    p.push(Periodic::of(
        "digest_cleanup",
        Duration::from_secs(3600),
        &DigestCleanup,
    ));
    p
}

#[derive(OpenApi)]
#[openapi(
    paths(
        handlers::preview_mine,
        handlers::admin_preview,
        handlers::get_interests,
        handlers::put_interests,
        handlers::subscribe,
        handlers::confirm,
        handlers::unsubscribe_page,
        handlers::unsubscribe,
    ),
    components(schemas(
        export::DigestsExport,
        types::Digest,
        types::PreviewFormat,
        types::Frequency,
        types::RecipientKind,
        types::SubscribeRequest,
        types::SubscribeAccepted,
        types::DigestSubscription,
        types::UnsubscribeView,
        types::InterestsInput,
        types::Interests,
    )),
    tags((name = "digests", description = "Email digests: previews, members' interests, email-only subscribers and unsubscribing")),
)]
pub struct ApiDoc;
