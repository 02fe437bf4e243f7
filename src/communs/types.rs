//! API shapes of communs, their members, milestones and resources.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::accounts::types::UserPublic;
use crate::taxonomy::{Territory, ThemeRef};

/// Where a commun stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CommunStatus {
    Incubating,
    Active,
    Mature,
    Archived,
}

impl CommunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Incubating => "incubating",
            Self::Active => "active",
            Self::Mature => "mature",
            Self::Archived => "archived",
        }
    }
    pub fn parse(s: &str) -> Self {
        match s {
            "active" => Self::Active,
            "mature" => Self::Mature,
            "archived" => Self::Archived,
            _ => Self::Incubating,
        }
    }
}

/// A member's role in a commun: maintainers edit it, manage its members, publish its milestones
/// and resources; contributors are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CommunRole {
    Maintainer,
    Contributor,
}

impl CommunRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Maintainer => "maintainer",
            Self::Contributor => "contributor",
        }
    }
}

/// An organisation, named.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CommunPartner {
    pub id: Uuid,
    pub name: String,
}

/// A laureate project of the call for commons.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01938a4e-7c1a-7d2e-9b3f-2a6c1e0d4b70", "slug": "bal-bretagne", "name": "Bases adresses locales de Bretagne",
    "summary": "Des adresses tenues par les communes, ouvertes à tous.",
    "description": "Accompagner les **communes** bretonnes.", "description_html": "<p>Accompagner les <strong>communes</strong> bretonnes.</p>",
    "website": "https://bal.example.org", "repository": "https://git.example.org/bal", "licence_policy": "Données sous etalab-2.0, code sous MIT.",
    "logo_url": null, "themes": [{"slug": "adresses", "name": "Adresses"}],
    "territories": [{"id": "fr:region:53", "code": "53", "level": "region", "name": "Bretagne"}],
    "status": "active", "cohort": 2025, "maintainers": [], "contributors": [], "partners": [],
    "news_category": "commun-bal-bretagne",
    "created_at": "2026-12-05T10:00:00Z", "updated_at": "2026-12-05T10:00:00Z"
}))]
pub struct Commun {
    pub id: Uuid,
    /// Stable, for URLs.
    pub slug: String,
    pub name: String,
    pub summary: String,
    /// Markdown.
    pub description: String,
    /// Sanitised HTML of `description`.
    pub description_html: String,
    #[schema(format = "uri")]
    pub website: Option<String>,
    #[schema(format = "uri")]
    pub repository: Option<String>,
    /// How it licenses what it publishes, in words.
    pub licence_policy: String,
    #[schema(format = "uri")]
    pub logo_url: Option<String>,
    pub themes: Vec<ThemeRef>,
    pub territories: Vec<Territory>,
    pub status: CommunStatus,
    /// The year of the call it was selected in.
    pub cohort: Option<i16>,
    pub maintainers: Vec<UserPublic>,
    pub contributors: Vec<UserPublic>,
    /// Partner organisations.
    pub partners: Vec<CommunPartner>,
    /// The slug of the category holding its news (`GET /communs/{slug}/news` lists them).
    pub news_category: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new commun (administrators). Its maintainers are named by username.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"slug": "bal-bretagne", "name": "Bases adresses locales de Bretagne",
    "summary": "Des adresses tenues par les communes.", "themes": ["adresses"], "territories": ["53"],
    "status": "active", "cohort": 2025, "maintainers": ["maelle"]}))]
pub struct CreateCommun {
    #[schema(min_length = 2, max_length = 60, pattern = "^[a-z0-9]+(-[a-z0-9]+)*$")]
    pub slug: String,
    #[schema(
        min_length = 2,
        max_length = 120,
        pattern = "^[^\\x00-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x1F\\x7F-\\x9F]*$"
    )]
    pub name: String,
    #[schema(max_length = 500)]
    pub summary: Option<String>,
    /// Markdown.
    #[schema(max_length = 20000)]
    pub description: Option<String>,
    /// An http(s) URL.
    #[schema(
        format = "uri",
        max_length = 300,
        pattern = "^https?://[A-Za-z0-9._~:/?#@!$&'()*+,;=%-]{4,}$"
    )]
    pub website: Option<String>,
    /// An http(s) URL.
    #[schema(
        format = "uri",
        max_length = 300,
        pattern = "^https?://[A-Za-z0-9._~:/?#@!$&'()*+,;=%-]{4,}$"
    )]
    pub repository: Option<String>,
    #[schema(max_length = 1000)]
    pub licence_policy: Option<String>,
    /// An http(s) URL.
    #[schema(
        format = "uri",
        max_length = 300,
        pattern = "^https?://[A-Za-z0-9._~:/?#@!$&'()*+,;=%-]{4,}$"
    )]
    pub logo_url: Option<String>,
    /// Theme slugs (at most 5).
    #[serde(default)]
    #[schema(max_items = 5)]
    pub themes: Vec<String>,
    /// Territories, as ids or INSEE codes (at most 20).
    #[serde(default)]
    #[schema(max_items = 20)]
    pub territories: Vec<String>,
    pub status: Option<CommunStatus>,
    #[serde(default, deserialize_with = "crate::input::opt_int")]
    #[schema(minimum = 2000, maximum = 2100)]
    pub cohort: Option<i16>,
    /// Usernames of its first maintainers.
    #[serde(default)]
    #[schema(max_items = 20)]
    pub maintainers: Vec<String>,
}

/// Fields to change (maintainers and administrators); absent fields stay as they are.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "mature", "partners": ["01938a4e-7c1a-7d2e-9b3f-2a6c1e0d4b60"]}))]
pub struct UpdateCommun {
    #[schema(
        min_length = 2,
        max_length = 120,
        pattern = "^[^\\x00-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x1F\\x7F-\\x9F]*$"
    )]
    pub name: Option<String>,
    #[schema(max_length = 500)]
    pub summary: Option<String>,
    #[schema(max_length = 20000)]
    pub description: Option<String>,
    #[schema(
        format = "uri",
        max_length = 300,
        pattern = "^https?://[A-Za-z0-9._~:/?#@!$&'()*+,;=%-]{4,}$"
    )]
    pub website: Option<String>,
    #[schema(
        format = "uri",
        max_length = 300,
        pattern = "^https?://[A-Za-z0-9._~:/?#@!$&'()*+,;=%-]{4,}$"
    )]
    pub repository: Option<String>,
    #[schema(max_length = 1000)]
    pub licence_policy: Option<String>,
    #[schema(
        format = "uri",
        max_length = 300,
        pattern = "^https?://[A-Za-z0-9._~:/?#@!$&'()*+,;=%-]{4,}$"
    )]
    pub logo_url: Option<String>,
    #[schema(max_items = 5)]
    pub themes: Option<Vec<String>>,
    #[schema(max_items = 20)]
    pub territories: Option<Vec<String>>,
    pub status: Option<CommunStatus>,
    #[serde(default, deserialize_with = "crate::input::opt_int")]
    #[schema(minimum = 2000, maximum = 2100)]
    pub cohort: Option<i16>,
    /// Partner organisations' ids (replaces the list).
    #[schema(max_items = 50)]
    pub partners: Option<Vec<Uuid>>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CommunQuery {
    /// Only communs on this theme (slug).
    pub theme: Option<String>,
    /// Only communs working in this territory or within it (id or INSEE code).
    pub territory: Option<String>,
    pub status: Option<CommunStatus>,
    #[serde(default, deserialize_with = "crate::input::opt_int")]
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddCommunMember {
    #[schema(min_length = 3, max_length = 30, pattern = "^[A-Za-z0-9_-]{3,30}$")]
    pub username: String,
    pub role: CommunRole,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RemoveCommunMember {
    /// The member to remove.
    pub user_id: Uuid,
}

// ---- milestones ------------------------------------------------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "01938a4e-7c1a-7d2e-9b3f-2a6c1e0d4b71", "commun": "bal-bretagne",
    "title": "Première version publiée", "description": "", "description_html": "",
    "planned_on": "2026-06-30", "done_on": null, "created_at": "2026-12-05T10:00:00Z", "updated_at": "2026-12-05T10:00:00Z"}))]
pub struct Milestone {
    pub id: Uuid,
    /// The commun's slug.
    pub commun: String,
    pub title: String,
    pub description: String,
    pub description_html: String,
    pub planned_on: Option<NaiveDate>,
    /// When it was reached (`null`: not yet).
    pub done_on: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"title": "Première version publiée", "planned_on": "2026-06-30"}))]
pub struct NewMilestone {
    #[schema(
        min_length = 5,
        max_length = 200,
        pattern = "^[^\\x00-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x1F\\x7F-\\x9F]*$"
    )]
    pub title: String,
    #[schema(max_length = 5000)]
    pub description: Option<String>,
    pub planned_on: Option<NaiveDate>,
    pub done_on: Option<NaiveDate>,
}

/// Fields to change; `done_on: null` marks it not reached again.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"done_on": "2026-07-02"}))]
pub struct UpdateMilestone {
    #[schema(
        min_length = 5,
        max_length = 200,
        pattern = "^[^\\x00-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x1F\\x7F-\\x9F]*$"
    )]
    pub title: Option<String>,
    #[schema(max_length = 5000)]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "crate::input::present")]
    #[schema(value_type = Option<NaiveDate>)]
    pub planned_on: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "crate::input::present")]
    #[schema(value_type = Option<NaiveDate>)]
    pub done_on: Option<Option<NaiveDate>>,
}

// ---- resources -------------------------------------------------------------------------------------

/// What a resource is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ResourceKind {
    Dataset,
    Software,
    Standard,
    Documentation,
    Service,
}

impl ResourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Dataset => "dataset",
            Self::Software => "software",
            Self::Standard => "standard",
            Self::Documentation => "documentation",
            Self::Service => "service",
        }
    }
    pub fn parse(s: &str) -> Self {
        match s {
            "software" => Self::Software,
            "standard" => Self::Standard,
            "documentation" => Self::Documentation,
            "service" => Self::Service,
            _ => Self::Dataset,
        }
    }
}

/// A commun, named.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CommunName {
    pub slug: String,
    pub name: String,
}

/// An open resource a commun produced: a typed link with a licence.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "01938a4e-7c1a-7d2e-9b3f-2a6c1e0d4b72", "kind": "dataset",
    "title": "Adresses de Bretagne (BAL)", "url": "https://www.data.gouv.fr/datasets/bal-bretagne",
    "licence": "etalab-2.0", "description": "Mise à jour chaque semaine.", "description_html": "<p>Mise à jour chaque semaine.</p>",
    "commun": {"slug": "bal-bretagne", "name": "Bases adresses locales de Bretagne"}, "challenges": [],
    "created_at": "2026-12-05T10:00:00Z", "updated_at": "2026-12-05T10:00:00Z"}))]
pub struct Resource {
    pub id: Uuid,
    pub kind: ResourceKind,
    pub title: String,
    #[schema(format = "uri")]
    pub url: String,
    /// An identifier of the licence list (`GET /licences`).
    pub licence: String,
    pub description: String,
    pub description_html: String,
    pub commun: CommunName,
    /// The challenges it answers.
    pub challenges: Vec<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "dataset", "title": "Adresses de Bretagne (BAL)",
    "url": "https://www.data.gouv.fr/datasets/bal-bretagne", "licence": "etalab-2.0"}))]
pub struct NewResource {
    pub kind: ResourceKind,
    #[schema(
        min_length = 5,
        max_length = 200,
        pattern = "^[^\\x00-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x1F\\x7F-\\x9F]*$"
    )]
    pub title: String,
    /// A well-formed `https` URL.
    #[schema(
        format = "uri",
        max_length = 300,
        pattern = "^https://[A-Za-z0-9._~:/?#@!$&'()*+,;=%-]{4,}$"
    )]
    pub url: String,
    /// An identifier of the licence list (`GET /licences`), any case.
    #[schema(min_length = 2, max_length = 40)]
    pub licence: String,
    #[schema(max_length = 5000)]
    pub description: Option<String>,
    /// Challenges it answers (their ids).
    #[serde(default)]
    #[schema(max_items = 20)]
    pub challenges: Vec<Uuid>,
}

/// Fields to change; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"licence": "ODbL-1.0"}))]
pub struct UpdateResource {
    pub kind: Option<ResourceKind>,
    #[schema(
        min_length = 5,
        max_length = 200,
        pattern = "^[^\\x00-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x1F\\x7F-\\x9F]*$"
    )]
    pub title: Option<String>,
    #[schema(
        format = "uri",
        max_length = 300,
        pattern = "^https://[A-Za-z0-9._~:/?#@!$&'()*+,;=%-]{4,}$"
    )]
    pub url: Option<String>,
    #[schema(min_length = 2, max_length = 40)]
    pub licence: Option<String>,
    #[schema(max_length = 5000)]
    pub description: Option<String>,
    /// Replaces the list.
    #[schema(max_items = 20)]
    pub challenges: Option<Vec<Uuid>>,
}

/// A licence of the list.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "etalab-2.0"}))]
pub struct Licence {
    pub id: String,
}

/// Names the commun taking a challenge up.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"commun": "bal-bretagne"}))]
pub struct TakeUp {
    /// The commun's slug.
    #[schema(min_length = 2, max_length = 60)]
    pub commun: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DropTakeUp {
    /// The commun's slug.
    pub commun: String,
}

/// The communs taking a challenge up.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"challenge_id": "01938a4e-7c1a-7d2e-9b3f-2a6c1e0d4b5f",
    "communs": [{"slug": "bal-bretagne", "name": "Bases adresses locales de Bretagne"}]}))]
pub struct TakenUp {
    pub challenge_id: Uuid,
    pub communs: Vec<CommunName>,
}

/// What a timeline entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimelineKind {
    /// A milestone: dated when reached, else when planned.
    Milestone,
    /// A challenge the commun took up, dated when it did.
    Challenge,
    /// A resource it published.
    Resource,
    /// News it published (the id is the news thread's).
    News,
}

/// One event of a commun's public timeline.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"kind": "resource", "date": "2026-12-05", "id": "01938a4e-7c1a-7d2e-9b3f-2a6c1e0d4b72",
    "title": "Adresses de Bretagne (BAL)", "state": "dataset"}))]
pub struct TimelineEntry {
    pub kind: TimelineKind,
    pub date: NaiveDate,
    /// The milestone's, challenge's or resource's id, or the news thread's.
    pub id: Uuid,
    pub title: String,
    /// A milestone's `done` or `planned`, a challenge's status, a resource's kind, `published` for
    /// news.
    pub state: String,
}
