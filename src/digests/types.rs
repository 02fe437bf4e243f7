//! The digests' shapes: what a digest says (its JSON preview), subscription requests, the
//! unsubscribe page and members' interests.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

pub use super::schedule::Frequency;
use crate::mail::Locale;

/// A digest, as it would be sent: every section, in the recipient's locale.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "recipient": {"kind": "member", "locale": "fr", "frequency": "weekly"},
    "period": {"from": "2026-11-30T07:00:00Z", "until": "2026-12-07T07:00:00Z"},
    "subject": "Votre résumé de la semaine — palabre",
    "new_challenges": [{"id": "01938a4e-7c1a-7d2e-9b3f-2a6c1e0d4b5f", "title": "Cartographier les haies bocagères",
        "summary": "Un inventaire ouvert des haies pour les plans de paysage.", "territory": "Finistère",
        "url": "https://palabre.example.org/challenges/01938a4e-7c1a-7d2e-9b3f-2a6c1e0d4b5f"}],
    "challenge_updates": [],
    "watched": [{"thread_id": "01938a4e-7c1a-7d2e-9b3f-2a6c1e0d4b60", "title": "Base adresse locale de Brest",
        "new_replies": 4, "url": "https://palabre.example.org/threads/01938a4e-7c1a-7d2e-9b3f-2a6c1e0d4b60",
        "top_reply": {"author": "Maëlle Le Goff", "excerpt": "Nous avons publié la version 2…", "reactions": 3,
            "url": "https://palabre.example.org/threads/01938a4e-7c1a-7d2e-9b3f-2a6c1e0d4b60#post-5"}}],
    "popular": [],
    "announcements": [],
    "communs": [{"slug": "bal-bretagne", "name": "Bases adresses locales de Bretagne",
        "url": "https://palabre.example.org/communs/bal-bretagne",
        "news": [{"title": "Douze communes de plus", "url": "https://palabre.example.org/threads/01938a4e-7c1a-7d2e-9b3f-2a6c1e0d4b5f"}],
        "milestones": ["Version 2 publiée"],
        "resources": [{"title": "Éditeur de BAL", "url": "https://git.example.org/bal", "licence": "MIT"}]}],
    "unread_notifications": 2,
    "links": {"notifications": "https://palabre.example.org/notifications",
        "settings": "https://palabre.example.org/settings",
        "unsubscribe": "https://api.palabre.example.org/api/v1/unsubscribe/m0193….abc"}
}))]
pub struct Digest {
    pub recipient: DigestRecipient,
    pub period: DigestPeriod,
    /// The email's subject.
    pub subject: String,
    /// Challenges published in the period that match what the recipient follows (themes,
    /// territory); every new one when they follow neither.
    pub new_challenges: Vec<DigestChallenge>,
    /// Status changes and new pledges of the challenges the member follows or supports.
    pub challenge_updates: Vec<ChallengeUpdate>,
    /// Watched and tracked threads (and threads of watched or tracked categories) with new
    /// replies by others.
    pub watched: Vec<WatchedThread>,
    /// The period's most active threads, old ones included, minus muted threads and categories.
    pub popular: Vec<PopularThread>,
    /// New threads of staff-only categories.
    pub announcements: Vec<Announcement>,
    /// The communs a member follows: milestones reached and resources published in the period.
    pub communs: Vec<CommunNews>,
    /// Unread notifications of a member (`null` for email-only subscribers).
    pub unread_notifications: Option<i64>,
    pub links: DigestLinks,
}

impl Digest {
    /// Whether it says anything: an unread count alone does not make a digest (each of those
    /// notifications was already shown).
    pub fn is_empty(&self) -> bool {
        self.new_challenges.is_empty()
            && self.challenge_updates.is_empty()
            && self.watched.is_empty()
            && self.popular.is_empty()
            && self.announcements.is_empty()
            && self.communs.is_empty()
    }

    /// How many items it lists.
    pub fn items(&self) -> usize {
        self.new_challenges.len()
            + self.challenge_updates.len()
            + self.watched.len()
            + self.popular.len()
            + self.announcements.len()
            + self.communs.len()
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DigestRecipient {
    pub kind: RecipientKind,
    pub locale: Locale,
    pub frequency: Frequency,
}

/// A member (with an account) or an email-only subscriber.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RecipientKind {
    Member,
    Subscriber,
}

/// What the digest covers: (from, until].
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DigestPeriod {
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DigestChallenge {
    pub id: Uuid,
    pub title: String,
    pub summary: String,
    /// The territory's name.
    pub territory: String,
    pub url: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChallengeUpdate {
    pub id: Uuid,
    pub title: String,
    pub url: String,
    /// Status changes in the period, in order.
    pub status_changes: Vec<StatusChange>,
    /// Organisations that pledged in the period.
    pub new_pledges: Vec<NewPledge>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatusChange {
    pub from: String,
    pub to: String,
    /// The new status, in the recipient's language.
    pub label: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NewPledge {
    pub organisation: String,
    pub kind: String,
    /// The kind, in the recipient's language.
    pub label: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WatchedThread {
    pub thread_id: Uuid,
    pub title: String,
    pub new_replies: i64,
    pub url: String,
    /// The period's most-reacted reply (the earliest among equals).
    pub top_reply: Option<Excerpt>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Excerpt {
    pub author: String,
    /// Plain text of the sanitised HTML, at most 280 characters.
    pub excerpt: String,
    pub reactions: i64,
    pub url: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PopularThread {
    pub thread_id: Uuid,
    pub title: String,
    pub url: String,
    pub replies: i64,
    pub participants: i64,
    pub reactions: i64,
    /// `replies + 3 × participants + reactions` over the period.
    pub score: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Announcement {
    pub thread_id: Uuid,
    pub title: String,
    pub url: String,
    pub excerpt: String,
}

/// What a followed commun did in the period.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CommunNews {
    pub slug: String,
    pub name: String,
    pub url: String,
    /// The news it published.
    pub news: Vec<CommunNewsItem>,
    /// Titles of the milestones reached.
    pub milestones: Vec<String>,
    pub resources: Vec<CommunResourceNews>,
}

/// A news thread of a followed commun.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CommunNewsItem {
    pub title: String,
    pub url: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CommunResourceNews {
    pub title: String,
    pub url: String,
    pub licence: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DigestLinks {
    pub notifications: String,
    pub settings: String,
    /// The one-click unsubscribe URL (the API's own, no login).
    pub unsubscribe: String,
}

/// How a preview is rendered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PreviewFormat {
    /// The digest's data (`Digest`).
    #[default]
    Json,
    /// The HTML part of the email.
    Html,
    /// The plain-text part of the email.
    Text,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PreviewQuery {
    /// `json` (default), `html` or `text`.
    pub format: Option<PreviewFormat>,
}

// ---- subscribers -------------------------------------------------------------------------------

/// An email-only subscription: no account. Confirmed by the link mailed to the address.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "camille@example.org", "frequency": "weekly", "day": 1, "hour": 8,
    "locale": "fr", "categories": ["annonces"], "themes": ["mobilite"], "territory": "29"}))]
pub struct SubscribeRequest {
    #[schema(format = "email", max_length = 254)]
    pub email: String,
    pub frequency: Frequency,
    /// ISO weekday of a weekly digest (1 = Monday), Europe/Paris. Default 1.
    #[serde(default, deserialize_with = "crate::input::opt_int")]
    #[schema(minimum = 1, maximum = 7)]
    pub day: Option<i16>,
    /// Hour of the digest (0–23), Europe/Paris. Default 8.
    #[serde(default, deserialize_with = "crate::input::opt_int")]
    #[schema(minimum = 0, maximum = 23)]
    pub hour: Option<i16>,
    /// Language of the digest. Default `fr`.
    pub locale: Option<Locale>,
    /// Category slugs: their new threads and replies.
    #[serde(default)]
    #[schema(max_items = 20)]
    pub categories: Vec<String>,
    /// Theme slugs: new challenges on these themes.
    #[serde(default)]
    #[schema(max_items = 10)]
    pub themes: Vec<String>,
    /// A territory (INSEE code or territory id): new challenges in or around it.
    pub territory: Option<String>,
}

/// The answer to a subscription request: the same whatever the address (no one learns who
/// subscribes).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"status": "confirmation_sent", "email": "camille@example.org"}))]
pub struct SubscribeAccepted {
    pub status: AcceptedStatus,
    pub email: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AcceptedStatus {
    ConfirmationSent,
}

/// `{token}` from the confirmation link.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmRequest {
    pub token: String,
}

/// A confirmed subscription.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"email": "camille@example.org", "frequency": "weekly", "day": 1, "hour": 8,
    "locale": "fr", "categories": ["annonces"], "themes": ["mobilite"],
    "territory": {"id": "fr:region:53", "code": "53", "level": "region", "name": "Bretagne"},
    "confirmed_at": "2026-12-05T10:00:00Z"}))]
pub struct DigestSubscription {
    pub email: String,
    pub frequency: Frequency,
    pub day: i16,
    pub hour: i16,
    pub locale: Locale,
    pub categories: Vec<String>,
    pub themes: Vec<String>,
    pub territory: Option<crate::taxonomy::types::Territory>,
    pub confirmed_at: DateTime<Utc>,
}

/// What an unsubscribe link stops.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"kind": "member", "email": "m***@example.org", "frequency": "daily",
    "subscribed": true, "lower_frequencies": ["weekly"]}))]
pub struct UnsubscribeView {
    pub kind: RecipientKind,
    /// The address, masked (`null` when the link's recipient is gone).
    pub email: Option<String>,
    /// The current frequency (`null` once stopped).
    pub frequency: Option<Frequency>,
    /// Whether digests still go out.
    pub subscribed: bool,
    /// Frequencies `POST ?frequency=` may switch to instead of stopping.
    pub lower_frequencies: Vec<Frequency>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UnsubscribeQuery {
    /// Keep the digest at this lower frequency instead of stopping it (`weekly` from `daily`).
    pub frequency: Option<Frequency>,
}

/// What a member follows for the "new challenges" part of their digest.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"themes": ["mobilite", "biodiversite"], "territory": "29"}))]
pub struct InterestsInput {
    #[serde(default)]
    #[schema(max_items = 10)]
    pub themes: Vec<String>,
    pub territory: Option<String>,
}

/// A member's interests.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"themes": ["mobilite"],
    "territory": {"id": "fr:departement:29", "code": "29", "level": "departement", "name": "Finistère"}}))]
pub struct Interests {
    pub themes: Vec<String>,
    pub territory: Option<crate::taxonomy::types::Territory>,
}
