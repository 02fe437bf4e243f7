//! API shapes of themes and territories.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A theme of the curated list (challenges, organisations' interests, communs, subscriptions).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"slug": "forets", "name": "Forêts", "name_en": "Forests",
    "description": "Peuplements, coupes, incendies, suivi forestier.", "position": 10, "active": true}))]
pub struct Theme {
    pub slug: String,
    /// The French name.
    pub name: String,
    /// The English name.
    pub name_en: String,
    pub description: String,
    pub position: i32,
    /// A retired theme stays on what has it and can no longer be chosen.
    pub active: bool,
}

/// A theme, as other resources name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"slug": "forets", "name": "Forêts"}))]
pub struct ThemeRef {
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTheme {
    #[schema(
        min_length = 2,
        max_length = 40,
        pattern = "^[a-z0-9]+(-[a-z0-9]+)*$",
        example = "littoral"
    )]
    pub slug: String,
    #[schema(min_length = 2, max_length = 60, example = "Littoral")]
    pub name: String,
    #[schema(min_length = 2, max_length = 60, example = "Coast")]
    pub name_en: String,
    #[schema(max_length = 500)]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "crate::input::opt_int")]
    #[schema(minimum = 0, maximum = 10000)]
    pub position: Option<i32>,
}

/// Fields to change; absent fields stay as they are. The slug never changes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTheme {
    #[schema(min_length = 2, max_length = 60)]
    pub name: Option<String>,
    #[schema(min_length = 2, max_length = 60)]
    pub name_en: Option<String>,
    #[schema(max_length = 500)]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "crate::input::opt_int")]
    #[schema(minimum = 0, maximum = 10000)]
    pub position: Option<i32>,
    pub active: Option<bool>,
}

/// The level of a territory in the official geography.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TerritoryLevel {
    Country,
    Region,
    Departement,
    Commune,
}

impl TerritoryLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Country => "country",
            Self::Region => "region",
            Self::Departement => "departement",
            Self::Commune => "commune",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "country" => Self::Country,
            "region" => Self::Region,
            "departement" => Self::Departement,
            _ => Self::Commune,
        }
    }
}

/// A territory of the Code officiel géographique.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(example = json!({"id": "fr:commune:29019", "code": "29019", "level": "commune", "name": "Brest"}))]
pub struct Territory {
    /// Unambiguous (data.gouv.fr geozone id): `country:fr`, `fr:region:53`, `fr:departement:29`,
    /// `fr:commune:29019`. Send it back to name this territory.
    pub id: String,
    /// The INSEE code (`FR` for the country). Région and département codes overlap (`53` is both
    /// Bretagne and Mayenne); a bare two-digit code sent to the API means the région.
    pub code: String,
    pub level: TerritoryLevel,
    pub name: String,
}

/// A territory with the territories that contain it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TerritoryDetail {
    #[serde(flatten)]
    pub territory: Territory,
    /// From the country down to the parent.
    pub within: Vec<Territory>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TerritoryQuery {
    /// The start of a name, accents and case ignored (`bre` finds Brest, Bretagne, Brélès…).
    #[param(min_length = 1, max_length = 100, example = "bre")]
    pub q: Option<String>,
    pub level: Option<TerritoryLevel>,
    /// Items per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}
