//! What the open data holds and how each row is written. Public only: challenges once submitted
//! (they have their thread) and not hidden by moderation; every commun and resource (a resource
//! names only public challenges).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, SmallInt, Text, Timestamptz, Uuid as SqlUuid};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::stream::{BATCH, Batch};
use crate::config::Settings;
use crate::error::{AppError, AppResult};

/// The licence the exports are published under.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LicenceStatement {
    /// Its identifier (`etalab-2.0`: the Licence Ouverte 2.0, by default).
    pub id: String,
    /// Its text.
    pub url: String,
}

pub fn licence(settings: &Settings) -> LicenceStatement {
    let id = settings.open_data_licence.clone();
    let url = settings.open_data_licence_url.clone().unwrap_or_else(|| {
        match id.to_ascii_lowercase().as_str() {
            "etalab-2.0" => "https://www.etalab.gouv.fr/licence-ouverte-open-licence/".into(),
            "odbl-1.0" => "https://opendatacommons.org/licenses/odbl/1-0/".into(),
            _ => format!("https://spdx.org/licenses/{id}.html"),
        }
    });
    LicenceStatement { id, url }
}

// ---- challenges --------------------------------------------------------------------------------------

#[derive(QueryableByName)]
struct ChallengeRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Text)]
    summary: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Text)]
    themes: String,
    #[diesel(sql_type = Text)]
    territory_code: String,
    #[diesel(sql_type = Text)]
    territory_level: String,
    #[diesel(sql_type = Text)]
    territory_name: String,
    #[diesel(sql_type = Nullable<Text>)]
    organisation: Option<String>,
    #[diesel(sql_type = Integer)]
    supports: i32,
    #[diesel(sql_type = Integer)]
    pledges: i32,
    #[diesel(sql_type = Text)]
    communs: String,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    last_modified: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Text>)]
    location: Option<String>,
}

/// A public challenge, as a CSV row or a GeoJSON feature's properties.
#[derive(Debug, Serialize, ToSchema)]
pub struct OpenChallenge {
    pub id: Uuid,
    pub title: String,
    pub summary: String,
    /// `submitted`, `under_review`, `open`, `in_progress`, `solved`, `rejected`, `withdrawn`,
    /// `closed`.
    pub status: String,
    /// Theme slugs, separated by `;`.
    pub themes: String,
    /// The official code of its territory (INSEE code of a commune, département or région; `FR`).
    pub territory_code: String,
    /// `commune`, `departement`, `region` or `country`.
    pub territory_level: String,
    pub territory_name: String,
    /// The organisation that proposed it with its author, if any.
    pub organisation: Option<String>,
    pub supports: i32,
    pub pledges: i32,
    /// Slugs of the communs that took it up, separated by `;`.
    pub communs: String,
    /// A point of its location (the point itself, or the centre of its bounding box), WGS 84.
    pub longitude: Option<f64>,
    pub latitude: Option<f64>,
    /// Its page on the community's site.
    pub url: String,
    pub created_at: DateTime<Utc>,
    /// When its text or status last changed.
    pub last_modified: DateTime<Utc>,
}

const PUBLIC_CHALLENGES: &str = "c.thread_id IS NOT NULL AND c.hidden_at IS NULL";

/// Every public challenge's row of the exports (batches add their key range).
fn challenge_select() -> String {
    format!(
        "SELECT c.id, c.title, c.summary, c.status, array_to_string(c.themes, ';') AS themes, \
                t.code AS territory_code, t.level AS territory_level, t.name AS territory_name, \
                o.name AS organisation, c.supports_count AS supports, c.pledges_count AS pledges, \
                coalesce((SELECT string_agg(m.slug, ';' ORDER BY m.slug) FROM challenge_communs cc \
                          JOIN communs m ON m.id = cc.commun_id WHERE cc.challenge_id = c.id), '') \
                    AS communs, \
                c.created_at, greatest(c.updated_at, c.status_changed_at) AS last_modified, \
                c.location::text AS location \
         FROM challenges c JOIN territories t ON t.id = c.territory_id \
         LEFT JOIN organisations o ON o.id = c.organisation_id \
         WHERE {PUBLIC_CHALLENGES}"
    )
}

/// A batch of public challenges after `after`, with their locations as GeoJSON text.
fn challenge_batch(
    conn: &mut PgConnection,
    settings: &Settings,
    after: Option<Uuid>,
) -> QueryResult<Vec<(OpenChallenge, Option<String>)>> {
    let rows: Vec<ChallengeRow> = diesel::sql_query(format!(
        "{} AND c.id > $1 ORDER BY c.id LIMIT $2",
        challenge_select()
    ))
    .bind::<SqlUuid, _>(after.unwrap_or_else(Uuid::nil))
    .bind::<BigInt, _>(BATCH)
    .load(conn)?;
    let front = &settings.frontend_url;
    Ok(rows
        .into_iter()
        .map(|r| {
            let point = r.location.as_deref().and_then(point_of);
            let c = OpenChallenge {
                url: format!("{front}/challenges/{}", r.id),
                id: r.id,
                title: r.title,
                summary: r.summary,
                status: r.status,
                themes: r.themes,
                territory_code: r.territory_code,
                territory_level: r.territory_level,
                territory_name: r.territory_name,
                organisation: r.organisation,
                supports: r.supports,
                pledges: r.pledges,
                communs: r.communs,
                longitude: point.map(|p| p.0),
                latitude: point.map(|p| p.1),
                created_at: r.created_at,
                last_modified: r.last_modified,
            };
            (c, r.location)
        })
        .collect())
}

/// A representative point of a GeoJSON geometry: a point itself, else the centre of its bounding
/// box.
fn point_of(geometry: &str) -> Option<(f64, f64)> {
    let v: serde_json::Value = serde_json::from_str(geometry).ok()?;
    let mut b: Option<[f64; 4]> = None;
    fn walk(v: &serde_json::Value, b: &mut Option<[f64; 4]>) {
        if let Some(items) = v.as_array() {
            if let [x, y, ..] = items.as_slice()
                && let (Some(x), Some(y)) = (x.as_f64(), y.as_f64())
            {
                let e = b.get_or_insert([x, y, x, y]);
                *e = [e[0].min(x), e[1].min(y), e[2].max(x), e[3].max(y)];
                return;
            }
            for i in items {
                walk(i, b);
            }
        }
    }
    walk(v.get("coordinates")?, &mut b);
    let [x0, y0, x1, y1] = b?;
    let round = |f: f64| (f * 1e6).round() / 1e6;
    Some((round((x0 + x1) / 2.0), round((y0 + y1) / 2.0)))
}

/// A CSV writer as RFC 4180 asks: CRLF line ends, quotes where needed.
fn csv_writer(headers: bool) -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .has_headers(headers)
        .from_writer(Vec::new())
}

fn csv_bytes<T: Serialize>(rows: &[T], headers: bool) -> AppResult<Vec<u8>> {
    let mut w = csv_writer(headers);
    for r in rows {
        w.serialize(r).map_err(|e| AppError::Internal(e.into()))?;
    }
    w.into_inner()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))
}

/// The CSV header line of `T` (from an empty writer: serde names the columns).
fn csv_header(columns: &[&str]) -> Vec<u8> {
    let mut w = csv_writer(false);
    w.write_record(columns).expect("writing to memory");
    w.into_inner().expect("writing to memory")
}

pub const CHALLENGE_COLUMNS: &[&str] = &[
    "id",
    "title",
    "summary",
    "status",
    "themes",
    "territory_code",
    "territory_level",
    "territory_name",
    "organisation",
    "supports",
    "pledges",
    "communs",
    "longitude",
    "latitude",
    "url",
    "created_at",
    "last_modified",
];

pub fn challenges_csv_header() -> Vec<u8> {
    csv_header(CHALLENGE_COLUMNS)
}

/// The next batch of the challenges' CSV.
pub fn challenges_csv(
    conn: &mut PgConnection,
    settings: &Settings,
    after: Option<Uuid>,
) -> AppResult<Batch> {
    let rows = challenge_batch(conn, settings, after)?;
    let more = rows.len() as i64 == BATCH;
    let last = rows.last().map(|r| r.0.id);
    let rows: Vec<OpenChallenge> = rows.into_iter().map(|r| r.0).collect();
    Ok(Batch {
        bytes: csv_bytes(&rows, false)?,
        last,
        more,
    })
}

/// A challenge as a GeoJSON feature (`geometry` is `null` for a challenge without a location).
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct OpenChallengeFeature {
    /// Always `Feature`.
    #[schema(rename = "type", example = "Feature")]
    pub kind: String,
    pub id: Uuid,
    /// A GeoJSON geometry (RFC 7946), WGS 84; `null` when the challenge has no location.
    #[schema(value_type = Option<Object>)]
    pub geometry: Option<serde_json::Value>,
    pub properties: OpenChallenge,
}

/// Every public challenge as an RFC 7946 FeatureCollection, with its licence (a foreign member).
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct OpenChallengeCollection {
    /// Always `FeatureCollection`.
    #[schema(rename = "type", example = "FeatureCollection")]
    pub kind: String,
    pub license: LicenceStatement,
    pub features: Vec<OpenChallengeFeature>,
}

pub fn challenges_geojson_head(settings: &Settings) -> Vec<u8> {
    let licence = serde_json::to_string(&licence(settings)).unwrap_or_default();
    format!(r#"{{"type":"FeatureCollection","license":{licence},"features":["#).into_bytes()
}

pub const GEOJSON_TAIL: &[u8] = b"]}";

/// The next batch of the challenges' GeoJSON features (comma-separated, a leading comma but for
/// the first batch).
pub fn challenges_geojson(
    conn: &mut PgConnection,
    settings: &Settings,
    after: Option<Uuid>,
    first: bool,
) -> AppResult<Batch> {
    let rows = challenge_batch(conn, settings, after)?;
    let mut out = Vec::new();
    let last = rows.last().map(|r| r.0.id);
    let more = rows.len() as i64 == BATCH;
    for (i, (r, location)) in rows.into_iter().enumerate() {
        if i > 0 || !first {
            out.push(b',');
        }
        let geometry: serde_json::Value = location
            .as_deref()
            .and_then(|g| serde_json::from_str(g).ok())
            .unwrap_or(serde_json::Value::Null);
        let feature = serde_json::json!({
            "type": "Feature",
            "id": r.id,
            "geometry": geometry,
            "properties": r,
        });
        serde_json::to_writer(&mut out, &feature).map_err(|e| AppError::Internal(e.into()))?;
    }
    Ok(Batch {
        bytes: out,
        last,
        more,
    })
}

// ---- communs and resources ---------------------------------------------------------------------------

/// A commun, as a CSV row.
#[derive(Debug, Serialize, QueryableByName)]
pub struct OpenCommun {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Text)]
    pub slug: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Text)]
    pub summary: String,
    /// `incubating`, `active`, `mature`, `archived`.
    #[diesel(sql_type = Text)]
    pub status: String,
    /// The year of the call it was selected in.
    #[diesel(sql_type = Nullable<SmallInt>)]
    pub cohort: Option<i16>,
    /// Theme slugs, separated by `;`.
    #[diesel(sql_type = Text)]
    pub themes: String,
    /// Territory ids (`fr:commune:29019`, `fr:region:53`…), separated by `;`.
    #[diesel(sql_type = Text)]
    pub territories: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub website: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub repository: Option<String>,
    #[diesel(sql_type = Text)]
    pub licence_policy: String,
    /// How many resources it published.
    #[diesel(sql_type = BigInt)]
    pub resources: i64,
    /// Its page on the community's site.
    #[diesel(sql_type = Text)]
    pub url: String,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub last_modified: DateTime<Utc>,
}

pub const COMMUN_COLUMNS: &[&str] = &[
    "id",
    "slug",
    "name",
    "summary",
    "status",
    "cohort",
    "themes",
    "territories",
    "website",
    "repository",
    "licence_policy",
    "resources",
    "url",
    "created_at",
    "last_modified",
];

pub fn communs_csv_header() -> Vec<u8> {
    csv_header(COMMUN_COLUMNS)
}

pub fn communs_csv(
    conn: &mut PgConnection,
    settings: &Settings,
    after: Option<Uuid>,
) -> AppResult<Batch> {
    let rows: Vec<OpenCommun> = diesel::sql_query(
        "SELECT c.id, c.slug, c.name, c.summary, c.status, c.cohort, \
                array_to_string(c.themes, ';') AS themes, \
                array_to_string(c.territories, ';') AS territories, \
                c.website, c.repository, c.licence_policy, \
                (SELECT count(*) FROM resources r WHERE r.commun_id = c.id) AS resources, \
                $3 || '/communs/' || c.slug AS url, \
                c.created_at, c.updated_at AS last_modified \
         FROM communs c WHERE c.id > $1 ORDER BY c.id LIMIT $2",
    )
    .bind::<SqlUuid, _>(after.unwrap_or_else(Uuid::nil))
    .bind::<BigInt, _>(BATCH)
    .bind::<Text, _>(&settings.frontend_url)
    .load(conn)?;
    Ok(Batch {
        bytes: csv_bytes(&rows, false)?,
        last: rows.last().map(|r| r.id),
        more: rows.len() as i64 == BATCH,
    })
}

/// A resource, as a CSV row.
#[derive(Debug, Serialize, QueryableByName)]
pub struct OpenResource {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    /// The slug of the commun that produced it.
    #[diesel(sql_type = Text)]
    pub commun: String,
    /// `dataset`, `software`, `standard`, `documentation`, `service`.
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = Text)]
    pub url: String,
    /// An SPDX identifier, `etalab-2.0` or `ODbL-1.0`.
    #[diesel(sql_type = Text)]
    pub licence: String,
    #[diesel(sql_type = Text)]
    pub description: String,
    /// Ids of the public challenges it answers, separated by `;`.
    #[diesel(sql_type = Text)]
    pub challenges: String,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub last_modified: DateTime<Utc>,
}

pub const RESOURCE_COLUMNS: &[&str] = &[
    "id",
    "commun",
    "kind",
    "title",
    "url",
    "licence",
    "description",
    "challenges",
    "created_at",
    "last_modified",
];

pub fn resources_csv_header() -> Vec<u8> {
    csv_header(RESOURCE_COLUMNS)
}

/// Every resource's row of the exports.
fn resource_select() -> String {
    format!(
        "SELECT r.id, m.slug AS commun, r.kind, r.title, r.url, r.licence, r.description, \
                coalesce((SELECT string_agg(rc.challenge_id::text, ';' ORDER BY rc.challenge_id) \
                          FROM resource_challenges rc JOIN challenges c ON c.id = rc.challenge_id \
                          WHERE rc.resource_id = r.id AND {PUBLIC_CHALLENGES}), '') AS challenges, \
                r.created_at, r.updated_at AS last_modified \
         FROM resources r JOIN communs m ON m.id = r.commun_id"
    )
}

pub fn resources_csv(conn: &mut PgConnection, after: Option<Uuid>) -> AppResult<Batch> {
    let rows: Vec<OpenResource> = diesel::sql_query(format!(
        "{} WHERE r.id > $1 ORDER BY r.id LIMIT $2",
        resource_select()
    ))
    .bind::<SqlUuid, _>(after.unwrap_or_else(Uuid::nil))
    .bind::<BigInt, _>(BATCH)
    .load(conn)?;
    Ok(Batch {
        bytes: csv_bytes(&rows, false)?,
        last: rows.last().map(|r| r.id),
        more: rows.len() as i64 == BATCH,
    })
}

// ---- versions: ETag and Last-Modified --------------------------------------------------------------

/// Which export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dataset {
    Challenges,
    Communs,
    Resources,
}

/// What changes whenever a dataset's content does (its ETag is made from it), and when it last
/// changed.
pub struct Version {
    pub fingerprint: String,
    pub modified: Option<DateTime<Utc>>,
}

#[derive(QueryableByName)]
struct VersionRow {
    #[diesel(sql_type = Text)]
    fingerprint: String,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    modified: Option<DateTime<Utc>>,
}

/// A digest of every row the export would write (so any change of what it shows changes the
/// ETag), and the latest modification — a challenge hidden counts, since it leaves the data. Reads
/// the rows but writes nothing: a 304 costs one statement and no transfer.
pub fn version(conn: &mut PgConnection, d: Dataset) -> AppResult<Version> {
    let sql = match d {
        Dataset::Challenges => format!(
            "SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x.id), '')) AS fingerprint, \
                    greatest(max(x.last_modified), \
                             (SELECT max(hidden_at) FROM challenges)) AS modified \
             FROM ({}) x",
            challenge_select()
        ),
        Dataset::Communs => "SELECT md5(coalesce(string_agg(c::text, '|' ORDER BY c.id), '') \
                    || (SELECT count(*) FROM resources)) AS fingerprint, \
                    max(c.updated_at) AS modified FROM communs c"
            .to_string(),
        Dataset::Resources => format!(
            "SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x.id), '')) AS fingerprint, \
                    max(x.last_modified) AS modified FROM ({}) x",
            resource_select()
        ),
    };
    let row: VersionRow = diesel::sql_query(sql).get_result(conn)?;
    Ok(Version {
        fingerprint: row.fingerprint,
        modified: row.modified,
    })
}

/// The DCAT-AP catalogue of the exports (JSON-LD, its context inline so that it expands offline).
pub fn catalog(conn: &mut PgConnection, settings: &Settings) -> AppResult<serde_json::Value> {
    use serde_json::json;
    let api = format!("{}/api/v1", settings.public_url);
    let licence = licence(settings);
    let mut datasets = Vec::new();
    /// (dataset, name, title fr, title en, description fr, description en, [(file, type, format)])
    type Spec<'a> = (
        Dataset,
        &'a str,
        &'a str,
        &'a str,
        &'a str,
        &'a str,
        &'a [(&'a str, &'a str, &'a str)],
    );
    let specs: [Spec; 3] = [
        (
            Dataset::Challenges,
            "challenges",
            "Défis de la communauté des géocommuns",
            "Community challenges (défis)",
            "Les défis proposés par la communauté : des problèmes de politique publique que les \
             données géographiques ouvertes pourraient résoudre, avec leur statut, leur territoire, \
             leurs soutiens et les communs qui s'en sont saisis.",
            "Challenges proposed by the community: public-policy problems that open geographic \
             data could solve, with their status, territory, supports and the communs taking them up.",
            &[
                ("challenges.csv", "text/csv", "CSV"),
                ("challenges.geojson", "application/geo+json", "GEOJSON"),
            ],
        ),
        (
            Dataset::Communs,
            "communs",
            "Communs lauréats de l'appel à communs",
            "Laureate communs of the call for commons",
            "Les projets lauréats (communs) : leur statut, leur promotion, leurs thèmes, territoires \
             et adresses.",
            "The laureate projects (communs): their status, cohort, themes, territories and addresses.",
            &[("communs.csv", "text/csv", "CSV")],
        ),
        (
            Dataset::Resources,
            "resources",
            "Ressources ouvertes produites par les communs",
            "Open resources produced by the communs",
            "Les ressources publiées par les communs (jeux de données, logiciels, standards, \
             documentation, services) avec leur licence et les défis auxquels elles répondent.",
            "Resources the communs published (datasets, software, standards, documentation, \
             services) with their licence and the challenges they answer.",
            &[("resources.csv", "text/csv", "CSV")],
        ),
    ];
    let mut latest: Option<DateTime<Utc>> = None;
    for (d, name, fr, en, desc_fr, desc_en, files) in specs {
        let v = version(conn, d)?;
        latest = latest.max(v.modified);
        let distributions: Vec<serde_json::Value> = files
            .iter()
            .map(|(file, mime, format)| {
                let url = format!("{api}/open-data/{file}");
                json!({
                    "@id": url,
                    "@type": "dcat:Distribution",
                    "dct:title": file,
                    "dcat:accessURL": {"@id": url},
                    "dcat:downloadURL": {"@id": url},
                    "dcat:mediaType": {"@id": format!("http://www.iana.org/assignments/media-types/{mime}")},
                    "dct:format": {"@id": format!("http://publications.europa.eu/resource/authority/file-type/{format}")},
                    "dct:license": {"@id": licence.url},
                })
            })
            .collect();
        datasets.push(json!({
            "@id": format!("{api}/open-data/catalog.jsonld#{name}"),
            "@type": "dcat:Dataset",
            "dct:identifier": format!("palabre-{name}"),
            "dct:title": [{"@value": fr, "@language": "fr"}, {"@value": en, "@language": "en"}],
            "dct:description": [{"@value": desc_fr, "@language": "fr"}, {"@value": desc_en, "@language": "en"}],
            "dct:license": {"@id": licence.url},
            "dct:modified": v.modified.map(|m| json!({"@value": m.to_rfc3339(), "@type": "xsd:dateTime"})),
            "dct:language": {"@id": "http://publications.europa.eu/resource/authority/language/FRA"},
            "dcat:keyword": ["géocommuns", "données ouvertes", name],
            "dcat:landingPage": {"@id": format!("{}/open-data", settings.frontend_url)},
            "dcat:distribution": distributions,
        }));
    }
    Ok(json!({
        "@context": {
            "dcat": "http://www.w3.org/ns/dcat#",
            "dct": "http://purl.org/dc/terms/",
            "foaf": "http://xmlns.com/foaf/0.1/",
            "xsd": "http://www.w3.org/2001/XMLSchema#"
        },
        "@id": format!("{api}/open-data/catalog.jsonld"),
        "@type": "dcat:Catalog",
        "dct:title": [
            {"@value": "palabre — données ouvertes de la communauté", "@language": "fr"},
            {"@value": "palabre — the community's open data", "@language": "en"}
        ],
        "dct:description": [
            {"@value": "Défis, communs et ressources de l'appel à communs, en CSV et GeoJSON.", "@language": "fr"},
            {"@value": "Challenges, communs and resources of the call for commons, as CSV and GeoJSON.", "@language": "en"}
        ],
        "dct:publisher": {"@type": "foaf:Agent", "foaf:name": "palabre", "foaf:homepage": {"@id": settings.frontend_url}},
        "dct:license": {"@id": licence.url},
        "dct:modified": latest.map(|m| json!({"@value": m.to_rfc3339(), "@type": "xsd:dateTime"})),
        "dct:language": {"@id": "http://publications.europa.eu/resource/authority/language/FRA"},
        "dcat:dataset": datasets,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header_of<T: Serialize>(row: &T) -> String {
        let mut w = csv_writer(true);
        w.serialize(row).unwrap();
        let bytes = w.into_inner().unwrap();
        String::from_utf8(bytes)
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .to_string()
    }

    #[test]
    fn the_csv_headers_name_the_columns_in_the_order_rows_write_them() {
        let at = Utc::now();
        let c = OpenChallenge {
            id: Uuid::nil(),
            title: String::new(),
            summary: String::new(),
            status: String::new(),
            themes: String::new(),
            territory_code: String::new(),
            territory_level: String::new(),
            territory_name: String::new(),
            organisation: None,
            supports: 0,
            pledges: 0,
            communs: String::new(),
            longitude: None,
            latitude: None,
            url: String::new(),
            created_at: at,
            last_modified: at,
        };
        assert_eq!(header_of(&c), CHALLENGE_COLUMNS.join(","));
        let m = OpenCommun {
            id: Uuid::nil(),
            slug: String::new(),
            name: String::new(),
            summary: String::new(),
            status: String::new(),
            cohort: None,
            themes: String::new(),
            territories: String::new(),
            website: None,
            repository: None,
            licence_policy: String::new(),
            resources: 0,
            url: String::new(),
            created_at: at,
            last_modified: at,
        };
        assert_eq!(header_of(&m), COMMUN_COLUMNS.join(","));
        let r = OpenResource {
            id: Uuid::nil(),
            commun: String::new(),
            kind: String::new(),
            title: String::new(),
            url: String::new(),
            licence: String::new(),
            description: String::new(),
            challenges: String::new(),
            created_at: at,
            last_modified: at,
        };
        assert_eq!(header_of(&r), RESOURCE_COLUMNS.join(","));
    }

    #[test]
    fn a_location_is_represented_by_its_point_or_the_centre_of_its_box() {
        assert_eq!(
            point_of(r#"{"type":"Point","coordinates":[-4.48,48.39]}"#),
            Some((-4.48, 48.39))
        );
        assert_eq!(
            point_of(
                r#"{"type":"Polygon","coordinates":[[[-5,48],[-3,48],[-3,49],[-5,49],[-5,48]]]}"#
            ),
            Some((-4.0, 48.5))
        );
        assert_eq!(point_of("null"), None);
    }
}
