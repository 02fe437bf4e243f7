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

    /// A stored level (`normal` for anything else).
    pub fn parse(s: &str) -> Self {
        match s {
            "watching" => Self::Watching,
            "tracking" => Self::Tracking,
            "muted" => Self::Muted,
            _ => Self::Normal,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Subscription {
    pub level: WatchLevel,
}

/// `PUT /threads/{id}/read`'s body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadInput {
    /// The highest post number the caller has now read (1 is the opening post). A lower number
    /// than the one stored changes nothing: the position never moves back.
    #[serde(deserialize_with = "crate::input::int")]
    #[schema(minimum = 1, maximum = 2147483647, example = 12)]
    pub post_number: i32,
}

/// A post number, from 1.
#[derive(Debug, Clone, Copy)]
pub struct PostNumber(i32);

impl PostNumber {
    pub fn parse(n: i32) -> Result<Self, crate::error::AppError> {
        if n < 1 {
            return Err(crate::error::AppError::validation(
                "post_number",
                "Post numbers start at 1.",
            ));
        }
        Ok(Self(n))
    }

    pub fn get(self) -> i32 {
        self.0
    }
}

/// The caller's read position in a thread.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"thread_id": "01938a4e-7c1a-7d2e-9b3f-2a6c1e0d4b5f", "post_number": 12, "last_post_number": 15}))]
pub struct ReadPosition {
    pub thread_id: Uuid,
    /// The highest post number read (the one sent, or a higher one stored before).
    #[schema(minimum = 1)]
    pub post_number: i32,
    /// The thread's last post number: posts after `post_number` are unread.
    #[schema(minimum = 1)]
    pub last_post_number: i32,
}

/// The kinds of notification. The column holds plain text; a CHECK constraint holds it to this
/// list, and a test compares the two, so a kind a feature adds is added here too.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// A reply to your post.
    Reply,
    /// You were mentioned (`@username`).
    Mention,
    /// A reply in a thread or category you watch (derived when you look, not fanned out when
    /// posted).
    WatchedReply,
    /// A new thread in a category you watch.
    NewThread,
    /// Your post was accepted as the answer.
    AcceptedAnswer,
    /// A challenge you proposed, follow or support changed status.
    ChallengeStatus,
    /// A challenge opened that matches your organisation's interests.
    ChallengeMatch,
    /// A pledge was offered or moved on a challenge of yours or by your organisation.
    Pledge,
    /// You became an organisation's admin when its last admin erased their account.
    OrganisationAdminHandedOver,
    /// (Site admins) an organisation was left without members.
    OrganisationWithoutMembers,
    /// A moderation decision about you (its `decision_id` names the statement of reasons).
    ModerationDecision,
    /// The outcome of your notice of illegal content.
    FlagOutcome,
    /// Your held draft was approved and published.
    HeldApproved,
    /// The outcome of your appeal.
    AppealOutcome,
    /// A commun you watch reached a milestone.
    CommunMilestone,
    /// A commun you watch published a resource.
    CommunResource,
    /// A commun you watch published news (the target is the news thread).
    CommunNews,
    /// A wiki you watch was edited (one until you read it; the target is its thread).
    WikiEdit,
    /// (Site admins) a webhook was disabled after a day of failed deliveries (the target is the
    /// hook: `GET /admin/webhooks/{id}`).
    WebhookDisabled,
}

/// What notifications are about (the same CHECK constraint and test as [`NotificationKind`]).
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotificationTargetType {
    Thread,
    Post,
    Challenge,
    Organisation,
    User,
    /// A held draft.
    Held,
    /// A commun (`GET /communs/{slug}` also takes its id).
    Commun,
    /// A webhook (administrators).
    Webhook,
}

/// What a notification is about.
#[derive(Debug, Serialize, ToSchema)]
pub struct Target {
    #[serde(rename = "type")]
    #[schema(value_type = NotificationTargetType)]
    pub kind: String,
    pub id: Uuid,
    pub title: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01938a50-2e31-7c22-b4d5-6f708192a314",
    "kind": "reply",
    "created_at": "2026-12-01T10:30:00Z",
    "read": false,
    "actor": {"id": "01938a4e-7c1a-7d2e-9b3f-2a6c1e0d4b60", "username": "yann", "display_name": "Yann Kervella", "role": "member", "created_at": "2026-11-30T18:02:00Z"},
    "target": {"type": "thread", "id": "01938a4e-7c1a-7d2e-9b3f-2a6c1e0d4b5f", "title": "Où trouver le cadastre solaire de Brest ?"},
    "post_id": "01938a4f-1d20-7b11-a3c4-5e6f70819203",
    "decision_id": null
}))]
pub struct Notification {
    /// Send it to `POST /notifications/read`.
    pub id: Uuid,
    #[schema(value_type = NotificationKind)]
    pub kind: String,
    pub created_at: DateTime<Utc>,
    /// A `watched_reply` is also read once the caller has read the thread up to its post
    /// (`PUT /threads/{id}/read`).
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
    /// Notification ids; unknown ones are ignored.
    #[schema(max_items = 100)]
    pub ids: Option<Vec<Uuid>>,
    pub all: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnreadCount {
    pub unread_count: i64,
}
