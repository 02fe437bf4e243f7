//! API shapes of the accounts feature.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::Role;
pub use crate::mail::Locale;

/// A member as anyone may see them.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01938a4e-7c1a-7d2e-9b3f-2a6c1e0d4b5f",
    "username": "maelle",
    "display_name": "Maëlle Le Goff",
    "role": "member",
    "created_at": "2026-11-29T09:14:00Z"
}))]
pub struct UserPublic {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
}

/// A public profile, with activity counts.
#[derive(Debug, Serialize, ToSchema)]
pub struct Profile {
    #[serde(flatten)]
    pub user: UserPublic,
    pub bio: String,
    pub thread_count: i32,
    pub reply_count: i32,
    pub challenge_count: i32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DigestFrequency {
    Never,
    Daily,
    Weekly,
}

impl DigestFrequency {
    pub fn as_str(self) -> &'static str {
        match self {
            DigestFrequency::Never => "never",
            DigestFrequency::Daily => "daily",
            DigestFrequency::Weekly => "weekly",
        }
    }
    pub fn parse(s: &str) -> Self {
        match s {
            "never" => DigestFrequency::Never,
            "daily" => DigestFrequency::Daily,
            _ => DigestFrequency::Weekly,
        }
    }
}

/// The caller's own account and settings.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01938a4e-7c1a-7d2e-9b3f-2a6c1e0d4b5f",
    "username": "maelle",
    "display_name": "Maëlle Le Goff",
    "email": "maelle@example.org",
    "email_verified": true,
    "bio": "Cartographe bénévole, Finistère.",
    "role": "member",
    "locale": "fr",
    "digest_frequency": "weekly",
    "digest_day": 1,
    "digest_hour": 8,
    "created_at": "2026-11-29T09:14:00Z"
}))]
pub struct Me {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    #[schema(format = Email)]
    pub email: String,
    pub bio: String,
    pub locale: Locale,
    pub digest_frequency: DigestFrequency,
    /// ISO weekday of the weekly digest (1 = Monday), Europe/Paris.
    pub digest_day: i16,
    /// Hour of the digest (0–23), Europe/Paris.
    pub digest_hour: i16,
    pub email_verified: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// 3 to 30 characters: letters, digits, `_` and `-`; unique without regard to case.
    #[schema(min_length = 3, max_length = 30, pattern = "^[A-Za-z0-9_-]{3,30}$")]
    pub username: String,
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    /// At least 10 characters, and not easily guessed (zxcvbn score 3 or more).
    #[schema(min_length = 10, max_length = 256)]
    pub password: String,
    /// Defaults to the username.
    #[schema(
        min_length = 1,
        max_length = 80,
        pattern = "^[^\\x00-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x1F\\x7F-\\x9F]*$"
    )]
    pub display_name: Option<String>,
    /// `fr` (default) or `en`.
    pub locale: Option<Locale>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    #[schema(min_length = 1)]
    pub token: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Username or email address.
    #[schema(min_length = 1)]
    pub login: String,
    #[schema(min_length = 1)]
    pub password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    #[schema(min_length = 1)]
    pub refresh_token: String,
}

/// How to send the access token: always `Bearer`.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub enum TokenType {
    Bearer,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    pub token_type: TokenType,
    pub user: Me,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetRequest {
    /// The account's address. Any string is accepted and answered the same `202` (what is not an
    /// address finds no account), so that the answer tells nothing about who has an account.
    pub email: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetConfirm {
    #[schema(min_length = 1)]
    pub token: String,
    #[schema(min_length = 10, max_length = 256)]
    pub password: String,
}

/// Fields to change; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMe {
    #[schema(
        min_length = 1,
        max_length = 80,
        pattern = "^[^\\x00-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x1F\\x7F-\\x9F]*$"
    )]
    pub display_name: Option<String>,
    #[schema(max_length = 2000)]
    pub bio: Option<String>,
    pub locale: Option<Locale>,
    pub digest_frequency: Option<DigestFrequency>,
    #[serde(default, deserialize_with = "crate::input::opt_int")]
    #[schema(minimum = 1, maximum = 7)]
    pub digest_day: Option<i16>,
    #[serde(default, deserialize_with = "crate::input::opt_int")]
    #[schema(minimum = 0, maximum = 23)]
    pub digest_hour: Option<i16>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EraseRequest {
    /// The account's password, re-entered.
    #[schema(min_length = 1)]
    pub password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminUpdateUser {
    pub role: Role,
    /// Why (kept in the moderation log).
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}
