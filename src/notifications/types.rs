//! API shapes of notifications and watch levels.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::accounts::types::UserPublic;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum WatchLevel {
    /// Notified of every new post.
    Watching,
    /// Listed as unread, no notification.
    Tracking,
    /// Notified when mentioned or replied to.
    Normal,
    /// Nothing; left out of lists and digests.
    Muted,
}

impl WatchLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Watching => "watching",
            Self::Tracking => "tracking",
            Self::Normal => "normal",
            Self::Muted => "muted",
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Subscription {
    pub level: WatchLevel,
}

/// What a notification is about.
#[derive(Debug, Serialize, ToSchema)]
pub struct Target {
    /// `thread`, `post`, `challenge`, …
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Uuid,
    pub title: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Notification {
    pub id: Uuid,
    /// `reply`, `mention`, `watched_reply`, `new_thread`, `accepted_answer`, the challenge kinds
    /// (`challenge_status`, `challenge_match`, `pledge`), `organisation_admin_handed_over` (you became its admin when its
    /// last admin erased their account) and, for site admins, `organisation_without_members`, …
    pub kind: String,
    pub created_at: DateTime<Utc>,
    pub read: bool,
    pub actor: Option<UserPublic>,
    pub target: Target,
    /// The post that caused it, when there is one.
    pub post_id: Option<Uuid>,
    pub decision_id: Option<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationPage {
    pub items: Vec<Notification>,
    pub next_cursor: Option<String>,
    /// Unread notifications in all.
    pub unread_count: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationQuery {
    /// Only unread notifications.
    pub unread: Option<bool>,
    /// Items per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// `{"ids": [...]}` or `{"all": true}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkRead {
    #[schema(max_items = 100)]
    pub ids: Option<Vec<Uuid>>,
    pub all: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnreadCount {
    pub unread_count: i64,
}
