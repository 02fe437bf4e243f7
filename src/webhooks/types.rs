//! API shapes of webhooks.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// The kinds of event an endpoint may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum WebhookEvent {
    /// A thread was started (not a commun's news: `commun.news`).
    #[serde(rename = "thread.created")]
    ThreadCreated,
    /// A reply was published.
    #[serde(rename = "post.created")]
    PostCreated,
    /// A challenge moved in its lifecycle.
    #[serde(rename = "challenge.status_changed")]
    ChallengeStatusChanged,
    /// A pledge was offered, accepted, declined, withdrawn or delivered.
    #[serde(rename = "pledge.changed")]
    PledgeChanged,
    /// A commun published news.
    #[serde(rename = "commun.news")]
    CommunNews,
    /// A commun published a resource.
    #[serde(rename = "resource.published")]
    ResourcePublished,
    /// A moderation decision (its facts: never the content nor the member concerned).
    #[serde(rename = "moderation.decision")]
    ModerationDecision,
}

impl WebhookEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ThreadCreated => "thread.created",
            Self::PostCreated => "post.created",
            Self::ChallengeStatusChanged => "challenge.status_changed",
            Self::PledgeChanged => "pledge.changed",
            Self::CommunNews => "commun.news",
            Self::ResourcePublished => "resource.published",
            Self::ModerationDecision => "moderation.decision",
        }
    }
}

/// A registered endpoint (its secret is shown once, on creation).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01938a4e-7c1a-7d2e-9b3f-2a6c1e0d4b90", "url": "https://chat.example.org/hooks/palabre",
    "events": ["challenge.status_changed", "resource.published"], "enabled": true,
    "disabled_reason": null, "failing_since": null,
    "created_at": "2026-12-05T10:00:00Z", "updated_at": "2026-12-05T10:00:00Z"
}))]
pub struct Webhook {
    pub id: Uuid,
    #[schema(format = "uri")]
    pub url: String,
    pub events: Vec<WebhookEvent>,
    /// `false` once an administrator turned it off, or after a day of failed deliveries.
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    /// Since when its deliveries fail (a day of it disables the hook).
    pub failing_since: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new endpoint, with its signing secret (shown this once).
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedWebhook {
    #[serde(flatten)]
    pub webhook: Webhook,
    /// `whsec_` and the base64 of the signing key (Standard Webhooks): keep it to verify the
    /// `webhook-signature` header.
    pub secret: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"url": "https://chat.example.org/hooks/palabre", "events": ["resource.published"]}))]
pub struct CreateWebhook {
    /// An `https` address whose host resolves to public addresses only (no user name or password).
    #[schema(format = "uri", max_length = 300)]
    pub url: String,
    #[schema(min_items = 1, max_items = 7)]
    pub events: Vec<WebhookEvent>,
}

/// Fields to change; absent fields stay. `enabled: true` turns a disabled hook back on.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWebhook {
    #[schema(format = "uri", max_length = 300)]
    pub url: Option<String>,
    #[schema(min_items = 1, max_items = 7)]
    pub events: Option<Vec<WebhookEvent>>,
    pub enabled: Option<bool>,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    /// Waiting for its first or next attempt.
    Pending,
    /// The endpoint answered 2xx.
    Delivered,
    /// Given up: the hook was disabled or deleted.
    Failed,
    /// Not sent: what it is about was hidden or deleted before it went out.
    Withheld,
}

impl DeliveryStatus {
    pub fn parse(s: &str) -> Self {
        match s {
            "delivered" => Self::Delivered,
            "failed" => Self::Failed,
            "withheld" => Self::Withheld,
            _ => Self::Pending,
        }
    }
}

/// One delivery of an event to an endpoint: the log an administrator reads.
#[derive(Debug, Serialize, ToSchema)]
pub struct Delivery {
    pub id: Uuid,
    /// The event's id (the `webhook-id` header), the same for every endpoint.
    pub event_id: Uuid,
    /// An event kind, or `webhook.test`.
    pub event_type: String,
    pub status: DeliveryStatus,
    pub attempts: i32,
    /// The HTTP status of the last attempt, if the endpoint answered.
    pub response_code: Option<i32>,
    /// How long the last attempt took.
    pub duration_ms: Option<i32>,
    pub last_error: Option<String>,
    /// When the next attempt is due (pending deliveries).
    pub next_attempt_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// The JSON body as sent (`{id, type, timestamp, data}`).
    pub body: String,
}
