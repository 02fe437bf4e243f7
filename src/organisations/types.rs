//! API shapes of organisations.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::accounts::types::UserPublic;
use crate::taxonomy::{Territory, ThemeRef};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OrganisationKind {
    Public,
    Private,
    Association,
    Research,
}

impl OrganisationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Private => "private",
            Self::Association => "association",
            Self::Research => "research",
        }
    }
    pub fn parse(s: &str) -> Self {
        match s {
            "public" => Self::Public,
            "private" => Self::Private,
            "research" => Self::Research,
            _ => Self::Association,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MemberRole {
    Admin,
    Member,
}

impl MemberRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Member => "member",
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Organisation {
    pub id: Uuid,
    pub name: String,
    pub kind: OrganisationKind,
    #[schema(format = "uri")]
    pub website: Option<String>,
    pub description: String,
    pub member_count: i32,
    /// The themes it works on.
    pub themes: Vec<ThemeRef>,
    /// The territories it works on (challenges in them, or containing them, match).
    pub territories: Vec<Territory>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrganisationMember {
    pub user: UserPublic,
    pub role: MemberRole,
    pub since: DateTime<Utc>,
}

/// An organisation with its members.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrganisationDetail {
    #[serde(flatten)]
    pub organisation: Organisation,
    pub members: Vec<OrganisationMember>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrganisation {
    #[schema(
        min_length = 2,
        max_length = 120,
        pattern = "^[^\\x00-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x1F\\x7F-\\x9F]*$"
    )]
    pub name: String,
    pub kind: OrganisationKind,
    /// An http(s) URL.
    #[schema(
        format = "uri",
        max_length = 300,
        pattern = "^https?://[A-Za-z0-9._~:/?#@!$&'()*+,;=%-]{4,}$"
    )]
    pub website: Option<String>,
    #[schema(max_length = 5000)]
    pub description: Option<String>,
}

/// Fields to change; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrganisation {
    #[schema(
        min_length = 2,
        max_length = 120,
        pattern = "^[^\\x00-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x1F\\x7F-\\x9F]*$"
    )]
    pub name: Option<String>,
    pub kind: Option<OrganisationKind>,
    /// An http(s) URL.
    #[schema(
        format = "uri",
        max_length = 300,
        pattern = "^https?://[A-Za-z0-9._~:/?#@!$&'()*+,;=%-]{4,}$"
    )]
    pub website: Option<String>,
    #[schema(max_length = 5000)]
    pub description: Option<String>,
    /// Theme slugs it works on (replaces the list; at most 12).
    #[schema(max_items = 12, example = json!(["forets", "biodiversite"]))]
    pub themes: Option<Vec<String>>,
    /// Territories it works on, as ids or INSEE codes (replaces the list; at most 50).
    #[schema(max_items = 50, example = json!(["29", "fr:commune:56260"]))]
    pub territories: Option<Vec<String>>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMember {
    /// The member to add (any case).
    #[schema(min_length = 3, max_length = 30, pattern = "^[A-Za-z0-9_-]{3,30}$")]
    pub username: String,
    pub role: MemberRole,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RemoveMember {
    /// The member to remove.
    pub user_id: Uuid,
}
