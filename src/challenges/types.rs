//! API shapes of challenges, their history, supports and pledges.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::accounts::types::UserPublic;
use crate::taxonomy::{Territory, ThemeRef};

/// Where a challenge stands in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChallengeStatus {
    Draft,
    Submitted,
    UnderReview,
    Open,
    InProgress,
    Solved,
    Rejected,
    Withdrawn,
    Closed,
}

impl ChallengeStatus {
    pub const ALL: [ChallengeStatus; 9] = [
        Self::Draft,
        Self::Submitted,
        Self::UnderReview,
        Self::Open,
        Self::InProgress,
        Self::Solved,
        Self::Rejected,
        Self::Withdrawn,
        Self::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Submitted => "submitted",
            Self::UnderReview => "under_review",
            Self::Open => "open",
            Self::InProgress => "in_progress",
            Self::Solved => "solved",
            Self::Rejected => "rejected",
            Self::Withdrawn => "withdrawn",
            Self::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Supports are taken (and withdrawn) only while the challenge is looking for them.
    pub fn takes_supports(self) -> bool {
        matches!(self, Self::Submitted | Self::UnderReview | Self::Open)
    }

    /// Organisations pledge while the challenge is open or being worked on.
    pub fn takes_pledges(self) -> bool {
        matches!(self, Self::Open | Self::InProgress)
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ChallengeSort {
    /// Most supported first.
    Supports,
    /// Newest first (the default).
    #[default]
    Newest,
    /// Most recent activity first: changes, supports, pledges, replies in its thread.
    Activity,
}

/// A geometry of RFC 7946 (GeoJSON), longitude before latitude, WGS 84.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type")]
#[schema(example = json!({"type": "Point", "coordinates": [-4.4861, 48.3904]}))]
pub enum Geometry {
    Point {
        #[schema(value_type = Vec<f64>, min_items = 2, max_items = 3)]
        coordinates: Vec<f64>,
    },
    LineString {
        #[schema(value_type = Vec<Vec<f64>>, min_items = 2)]
        coordinates: Vec<Vec<f64>>,
    },
    Polygon {
        /// Linear rings, the exterior first; each closed, with at least 4 positions.
        #[schema(value_type = Vec<Vec<Vec<f64>>>, min_items = 1)]
        coordinates: Vec<Vec<Vec<f64>>>,
    },
    MultiPolygon {
        #[schema(value_type = Vec<Vec<Vec<Vec<f64>>>>, min_items = 1)]
        coordinates: Vec<Vec<Vec<Vec<f64>>>>,
    },
}

/// An organisation, as a challenge names it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrganisationRef {
    pub id: Uuid,
    pub name: String,
    pub kind: crate::organisations::OrganisationKind,
}

/// A challenge in a list: everything but its long texts.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01938a60-11aa-7bb2-8cc3-9dd4eef50617",
    "title": "Cartographier les zones inondables du bassin de l'Odet",
    "summary": "Les communes riveraines manquent d'une carte partagée et à jour des zones inondables.",
    "status": "open",
    "themes": [{"slug": "risques-naturels", "name": "Risques naturels"}],
    "territory": {"id": "fr:departement:29", "code": "29", "level": "departement", "name": "Finistère"},
    "proposer": {"id": "01938a4e-7c1a-7d2e-9b3f-2a6c1e0d4b61", "username": "maelle", "display_name": "Maëlle Le Goff", "role": "member", "created_at": "2026-11-29T09:14:00Z"},
    "supports_count": 12,
    "pledges_count": 1,
    "supported": false,
    "location": {"type": "Point", "coordinates": [-4.1024, 47.9960]},
    "organisation": null,
    "thread_id": "01938a60-11aa-7bb2-8cc3-9dd4eef50618",
    "last_activity_at": "2026-12-02T16:45:00Z",
    "status_changed_at": "2026-12-01T11:00:00Z",
    "created_at": "2026-11-30T08:20:00Z",
    "updated_at": "2026-12-01T11:00:00Z"
}))]
pub struct ChallengeItem {
    pub id: Uuid,
    pub title: String,
    /// At most 500 characters, plain text.
    pub summary: String,
    pub status: ChallengeStatus,
    pub themes: Vec<ThemeRef>,
    pub territory: Territory,
    /// Where, when it is somewhere more precise than its territory.
    #[schema(value_type = Option<Geometry>)]
    pub location: Option<serde_json::Value>,
    pub proposer: UserPublic,
    /// The organisation proposing it with its author, if any.
    pub organisation: Option<OrganisationRef>,
    pub supports_count: i32,
    pub pledges_count: i32,
    /// Its discussion thread (none while it is a draft).
    pub thread_id: Option<Uuid>,
    /// Whether the caller supports it (always false for anonymous readers).
    pub supported: bool,
    pub last_activity_at: DateTime<Utc>,
    pub status_changed_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A commun taking the challenge up (communs come with their own feature).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CommunRef {
    pub slug: String,
    pub name: String,
}

/// A challenge with its texts.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Challenge {
    #[serde(flatten)]
    pub item: ChallengeItem,
    /// The problem, in Markdown, and as sanitised HTML.
    pub problem: String,
    pub problem_html: String,
    /// The expected impact, in Markdown, and as sanitised HTML.
    pub impact: String,
    pub impact_html: String,
    /// Organisations with a pledge offered, accepted or delivered.
    pub organisations: Vec<OrganisationRef>,
    /// Communs taking it up.
    pub communs: Vec<CommunRef>,
    /// The resources communs published that answer it.
    pub resources: Vec<ResourceRef>,
}

/// A resource answering a challenge (resources come with the communs feature).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ResourceRef {
    pub id: Uuid,
    pub title: String,
    #[schema(format = "uri")]
    pub url: String,
    pub licence: String,
    /// The slug of the commun that produced it.
    pub commun: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "title": "Cartographier les haies bocagères du Finistère",
    "summary": "Un inventaire ouvert des haies pour suivre leur arrachage et leur replantation.",
    "problem": "Les haies disparaissent sans que l'on sache **où** ni **combien**.",
    "impact": "Un suivi annuel partagé entre communes, agriculteurs et associations.",
    "themes": ["biodiversite", "agriculture"],
    "territory": "29",
    "location": {"type": "Point", "coordinates": [-4.1, 48.2]},
    "status": "submitted"
}))]
pub struct CreateChallenge {
    #[schema(min_length = 5, max_length = 200)]
    pub title: String,
    /// Plain text, at most 500 characters.
    #[schema(min_length = 1, max_length = 500)]
    pub summary: String,
    /// Markdown.
    #[schema(min_length = 1, max_length = 65536)]
    pub problem: String,
    /// Markdown.
    #[schema(max_length = 65536)]
    pub impact: Option<String>,
    /// 1 to 3 theme slugs (`GET /themes`).
    #[schema(min_items = 1, max_items = 3)]
    pub themes: Vec<String>,
    /// A territory id or INSEE code: `29019` (commune), `29` (département), `53` (région), `FR`.
    #[schema(example = "29")]
    pub territory: String,
    #[schema(value_type = Option<Geometry>)]
    pub location: Option<serde_json::Value>,
    /// The organisation proposing it with you (you must be one of its members).
    pub organisation_id: Option<Uuid>,
    /// `draft` (the default: only you and moderators see it) or `submitted`.
    pub status: Option<NewChallengeStatus>,
}

/// How a challenge starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NewChallengeStatus {
    Draft,
    Submitted,
}

impl From<NewChallengeStatus> for ChallengeStatus {
    fn from(s: NewChallengeStatus) -> Self {
        match s {
            NewChallengeStatus::Draft => ChallengeStatus::Draft,
            NewChallengeStatus::Submitted => ChallengeStatus::Submitted,
        }
    }
}

/// Fields to change; absent fields stay as they are; `location: null` removes the location.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateChallenge {
    #[schema(min_length = 5, max_length = 200)]
    pub title: Option<String>,
    #[schema(min_length = 1, max_length = 500)]
    pub summary: Option<String>,
    #[schema(max_length = 65536)]
    pub problem: Option<String>,
    #[schema(max_length = 65536)]
    pub impact: Option<String>,
    #[schema(min_items = 1, max_items = 3)]
    pub themes: Option<Vec<String>>,
    pub territory: Option<String>,
    #[serde(default, deserialize_with = "crate::input::present")]
    #[schema(value_type = Option<Geometry>)]
    pub location: Option<Option<serde_json::Value>>,
    #[serde(default, deserialize_with = "crate::input::present")]
    #[schema(value_type = Option<Uuid>)]
    pub organisation_id: Option<Option<Uuid>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"to": "rejected", "note": "Ce défi relève d'une autre instance : voir le fil."}))]
pub struct Transition {
    pub to: ChallengeStatus,
    /// Public; required to reject or close.
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

/// One recorded move of a challenge's lifecycle (creation has no `from`).
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryEntry {
    pub id: Uuid,
    pub from: Option<ChallengeStatus>,
    pub to: ChallengeStatus,
    /// Who moved it (none once their account is erased).
    pub actor: Option<UserPublic>,
    pub note: Option<String>,
    pub at: DateTime<Utc>,
}

/// Whether the caller supports a challenge, and how many do.
#[derive(Debug, Serialize, ToSchema)]
pub struct SupportState {
    pub supported: bool,
    pub supports_count: i32,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChallengeQuery {
    /// Only challenges in this state. Drafts are listed to their authors (and moderators) only.
    pub status: Option<ChallengeStatus>,
    /// Only challenges with this theme (slug).
    #[param(example = "forets")]
    pub theme: Option<String>,
    /// Only challenges in this territory or inside it (`53` finds those on commune `29019`).
    #[param(example = "53")]
    pub territory: Option<String>,
    /// Only challenges whose location's box meets `minlon,minlat,maxlon,maxlat` (WGS 84).
    #[param(example = "-5.2,47.6,-3.3,48.9")]
    pub bbox: Option<String>,
    /// Only challenges this organisation proposed or pledged to.
    pub organisation: Option<Uuid>,
    pub sort: Option<ChallengeSort>,
    /// Items per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

// ---- GeoJSON output -------------------------------------------------------------------------------

/// One challenge on a map: its geometry, and its list fields as properties.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChallengeFeature {
    #[serde(rename = "type")]
    #[schema(value_type = FeatureType)]
    pub kind: &'static str,
    /// The challenge's id.
    pub id: Uuid,
    #[schema(value_type = Geometry)]
    pub geometry: serde_json::Value,
    pub properties: ChallengeItem,
}

/// Always `Feature` (RFC 7946).
#[allow(dead_code)]
#[derive(ToSchema)]
pub enum FeatureType {
    Feature,
}

/// Always `FeatureCollection` (RFC 7946).
#[allow(dead_code)]
#[derive(ToSchema)]
pub enum FeatureCollectionType {
    FeatureCollection,
}

/// An RFC 7946 FeatureCollection of challenges (those with a location).
#[derive(Debug, Serialize, ToSchema)]
pub struct ChallengeFeatureCollection {
    #[serde(rename = "type")]
    #[schema(value_type = FeatureCollectionType)]
    pub kind: &'static str,
    /// `[minlon, minlat, maxlon, maxlat]` of every feature, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bbox: Option<[f64; 4]>,
    pub features: Vec<ChallengeFeature>,
    /// Pass it as `cursor` for the next features; `null` on the last page (a foreign member).
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GeoJsonQuery {
    pub status: Option<ChallengeStatus>,
    #[param(example = "forets")]
    pub theme: Option<String>,
    #[param(example = "53")]
    pub territory: Option<String>,
    #[param(example = "-5.2,47.6,-3.3,48.9")]
    pub bbox: Option<String>,
    pub organisation: Option<Uuid>,
    pub sort: Option<ChallengeSort>,
    /// Features per response, 1 to 5000.
    #[param(minimum = 1, maximum = 5000, default = 1000)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous response.
    pub cursor: Option<String>,
}

// ---- pledges --------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PledgeKind {
    Funding,
    Data,
    Code,
    Expertise,
    Equipment,
    Testing,
}

impl PledgeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Funding => "funding",
            Self::Data => "data",
            Self::Code => "code",
            Self::Expertise => "expertise",
            Self::Equipment => "equipment",
            Self::Testing => "testing",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "funding" => Self::Funding,
            "data" => Self::Data,
            "code" => Self::Code,
            "equipment" => Self::Equipment,
            "testing" => Self::Testing,
            _ => Self::Expertise,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PledgeStatus {
    Offered,
    Accepted,
    Declined,
    Withdrawn,
    Delivered,
}

impl PledgeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Offered => "offered",
            Self::Accepted => "accepted",
            Self::Declined => "declined",
            Self::Withdrawn => "withdrawn",
            Self::Delivered => "delivered",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "accepted" => Self::Accepted,
            "declined" => Self::Declined,
            "withdrawn" => Self::Withdrawn,
            "delivered" => Self::Delivered,
            _ => Self::Offered,
        }
    }
}

/// The states a pledge can be moved to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PledgeMove {
    Accepted,
    Declined,
    Withdrawn,
    Delivered,
}

impl From<PledgeMove> for PledgeStatus {
    fn from(m: PledgeMove) -> Self {
        match m {
            PledgeMove::Accepted => PledgeStatus::Accepted,
            PledgeMove::Declined => PledgeStatus::Declined,
            PledgeMove::Withdrawn => PledgeStatus::Withdrawn,
            PledgeMove::Delivered => PledgeStatus::Delivered,
        }
    }
}

/// What an organisation offers a challenge.
#[derive(Debug, Serialize, ToSchema)]
pub struct Pledge {
    pub id: Uuid,
    pub challenge_id: Uuid,
    /// The challenge's title.
    pub challenge_title: String,
    pub organisation: OrganisationRef,
    /// The member who offered it, in the organisation's name.
    pub author: UserPublic,
    pub kind: PledgeKind,
    pub message: String,
    pub message_html: String,
    pub status: PledgeStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"organisation_id": "01938f5e-7c1a-7d2b-9e3f-4a5b6c7d8e9f", "kind": "data",
    "message": "Nous ouvrons nos relevés de haies 2019-2025 sous Licence Ouverte."}))]
pub struct CreatePledge {
    /// An organisation you are a member of.
    pub organisation_id: Uuid,
    pub kind: PledgeKind,
    /// Markdown.
    #[schema(min_length = 1, max_length = 5000)]
    pub message: String,
}

/// A move of a pledge: the challenge's author or a moderator accepts or declines an offer; the
/// organisation's members withdraw it or mark it delivered.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "accepted", "note": "Merci, c'est exactement ce qu'il manquait."}))]
pub struct UpdatePledge {
    pub status: PledgeMove,
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}
