//! Open-data endpoints: a version query answers conditional requests; the body is streamed.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};

use super::service::{self, Dataset, OpenChallengeCollection};
use super::stream::{NextBatch, batches};
use crate::db;
use crate::error::{AppResult, Problem};
use crate::http::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(challenges_csv)
        .service(challenges_geojson)
        .service(communs_csv)
        .service(resources_csv)
        .service(catalog);
}

const CSV: &str = "text/csv; charset=utf-8; header=present";

/// Answers a conditional request with a 304, or starts a streamed 200: its ETag is made of the
/// dataset's version, the format and the licence.
async fn export<F>(
    req: &HttpRequest,
    state: &AppState,
    dataset: Dataset,
    content_type: &str,
    head: Vec<u8>,
    tail: Vec<u8>,
    next: F,
) -> AppResult<HttpResponse>
where
    F: NextBatch,
{
    let version = db::run(&state.pool, move |conn| service::version(conn, dataset)).await?;
    let licence = service::licence(&state.settings);
    let tag = xxhash_rust::xxh3::xxh3_128(
        format!(
            "{}|{content_type}|{}|{}",
            version.fingerprint, licence.id, licence.url
        )
        .as_bytes(),
    );
    let etag = format!("W/\"{tag:032x}\"");
    let link = format!(
        "<{}>; rel=\"license\", <{}/api/v1/open-data/catalog.jsonld>; rel=\"describedby\"",
        licence.url, state.settings.public_url
    );
    let matches = crate::http::conditional::not_modified(req, &etag);
    let mut resp = if matches {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    resp.insert_header((header::ETAG, etag))
        .insert_header((header::LINK, link))
        // Shared caches may keep an export five minutes, then revalidate with the ETag.
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"));
    if let Some(m) = version.modified {
        let at = std::time::SystemTime::from(m);
        resp.insert_header((
            header::LAST_MODIFIED,
            header::HttpDate::from(at).to_string(),
        ));
    }
    if matches {
        return Ok(resp.finish());
    }
    Ok(resp
        .content_type(content_type.to_string())
        .streaming(batches(state.pool.clone(), head, tail, next)))
}

/// Every public challenge as CSV (UTF-8, RFC 4180, a header line), under the open-data licence
/// (its address in the `Link` header, `rel="license"`).
#[utoipa::path(
    operation_id = "getOpenDataChallengesCsv",
    tag = "open-data",
    security(()),
    responses(
        (status = 200, description = "The CSV; columns `id`, `title`, `summary`, `status`, `themes` (slugs separated by `;`), `territory_code`, `territory_level`, `territory_name`, `organisation`, `supports`, `pledges`, `communs` (slugs separated by `;`), `longitude`, `latitude` (WGS 84: the point, or the centre of the location's box), `url`, `created_at`, `last_modified` — the properties of the `OpenChallenge` schema", body = String, content_type = "text/csv",
         headers(
            ("ETag" = String, description = "Send it back in If-None-Match to get a 304"),
            ("Last-Modified" = String, description = "When the data last changed"),
            ("Link" = String, description = "The licence (`rel=\"license\"`) and the catalogue (`rel=\"describedby\"`)"),
            ("Cache-Control" = String, description = "`public, max-age=300`"),
         )),
        (status = 304, description = "Not modified since the ETag sent"),
    )
)]
#[get("/open-data/challenges.csv")]
pub async fn challenges_csv(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> AppResult<HttpResponse> {
    let settings = state.settings.clone();
    export(
        &req,
        &state,
        Dataset::Challenges,
        CSV,
        service::challenges_csv_header(),
        Vec::new(),
        move |conn, after, _| service::challenges_csv(conn, &settings, after),
    )
    .await
}

/// Every public challenge as an RFC 7946 FeatureCollection (`application/geo+json`), with its
/// licence as a foreign member; a challenge without a location has a `null` geometry.
#[utoipa::path(
    operation_id = "getOpenDataChallengesGeojson",
    tag = "open-data",
    security(()),
    responses(
        (status = 200, description = "The FeatureCollection", body = OpenChallengeCollection, content_type = "application/geo+json",
         headers(
            ("ETag" = String, description = "Send it back in If-None-Match to get a 304"),
            ("Last-Modified" = String, description = "When the data last changed"),
            ("Link" = String, description = "The licence (`rel=\"license\"`) and the catalogue (`rel=\"describedby\"`)"),
            ("Cache-Control" = String, description = "`public, max-age=300`"),
         )),
        (status = 304, description = "Not modified since the ETag sent"),
    )
)]
#[get("/open-data/challenges.geojson")]
pub async fn challenges_geojson(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> AppResult<HttpResponse> {
    let settings = state.settings.clone();
    export(
        &req,
        &state,
        Dataset::Challenges,
        "application/geo+json",
        service::challenges_geojson_head(&state.settings),
        service::GEOJSON_TAIL.to_vec(),
        move |conn, after, first| service::challenges_geojson(conn, &settings, after, first),
    )
    .await
}

/// Every commun as CSV (UTF-8, RFC 4180, a header line).
#[utoipa::path(
    operation_id = "getOpenDataCommunsCsv",
    tag = "open-data",
    security(()),
    responses(
        (status = 200, description = "The CSV; columns `id`, `slug`, `name`, `summary`, `status`, `cohort`, `themes` (slugs separated by `;`), `territories` (ids separated by `;`), `website`, `repository`, `licence_policy`, `resources` (how many it published), `url`, `created_at`, `last_modified`", body = String, content_type = "text/csv",
         headers(
            ("ETag" = String, description = "Send it back in If-None-Match to get a 304"),
            ("Last-Modified" = String, description = "When the data last changed"),
            ("Link" = String, description = "The licence (`rel=\"license\"`) and the catalogue (`rel=\"describedby\"`)"),
            ("Cache-Control" = String, description = "`public, max-age=300`"),
         )),
        (status = 304, description = "Not modified since the ETag sent"),
    )
)]
#[get("/open-data/communs.csv")]
pub async fn communs_csv(req: HttpRequest, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let settings = state.settings.clone();
    export(
        &req,
        &state,
        Dataset::Communs,
        CSV,
        service::communs_csv_header(),
        Vec::new(),
        move |conn, after, _| service::communs_csv(conn, &settings, after),
    )
    .await
}

/// Every resource the communs published, as CSV (UTF-8, RFC 4180, a header line).
#[utoipa::path(
    operation_id = "getOpenDataResourcesCsv",
    tag = "open-data",
    security(()),
    responses(
        (status = 200, description = "The CSV; columns `id`, `commun` (its slug), `kind`, `title`, `url`, `licence`, `description`, `challenges` (ids of the public challenges it answers, separated by `;`), `created_at`, `last_modified`", body = String, content_type = "text/csv",
         headers(
            ("ETag" = String, description = "Send it back in If-None-Match to get a 304"),
            ("Last-Modified" = String, description = "When the data last changed"),
            ("Link" = String, description = "The licence (`rel=\"license\"`) and the catalogue (`rel=\"describedby\"`)"),
            ("Cache-Control" = String, description = "`public, max-age=300`"),
         )),
        (status = 304, description = "Not modified since the ETag sent"),
    )
)]
#[get("/open-data/resources.csv")]
pub async fn resources_csv(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> AppResult<HttpResponse> {
    export(
        &req,
        &state,
        Dataset::Resources,
        CSV,
        service::resources_csv_header(),
        Vec::new(),
        move |conn, after, _| service::resources_csv(conn, after),
    )
    .await
}

/// The DCAT-AP catalogue of the exports, as JSON-LD (its context inline): what a data portal
/// harvests — each dataset with its title and description (fr, en), licence, last modification and
/// distributions.
#[utoipa::path(
    operation_id = "getOpenDataCatalog",
    tag = "open-data",
    security(()),
    responses(
        (status = 200, description = "A dcat:Catalog", body = Object, content_type = "application/ld+json",
         headers(("ETag" = String, description = "Send it back in If-None-Match to get a 304"))),
        (status = 304, description = "Not modified since the ETag sent"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/open-data/catalog.jsonld")]
pub async fn catalog(req: HttpRequest, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let settings = state.settings.clone();
    let doc = db::run(&state.pool, move |conn| service::catalog(conn, &settings)).await?;
    let body = serde_json::to_vec(&doc).map_err(|e| crate::error::AppError::Internal(e.into()))?;
    Ok(crate::http::conditional::bytes_with_etag(
        &req,
        body,
        "application/ld+json",
    ))
}
