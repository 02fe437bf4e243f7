//! How a feature describes itself, once: its routes, its part of the OpenAPI document, its job kinds,
//! its periodic jobs and its personal-data hooks. `app` holds the list of features; the router, the
//! OpenAPI document, the job registry, the scheduler and the account's export and erasure are all
//! composed from that list, so adding a feature is a folder, a migration and one entry in it.
//!
//! Core: it names no feature. Features build a [`Feature`] with [`Feature::new`] and the builder
//! methods, in a `const`.

use diesel::PgConnection;
use uuid::Uuid;

use crate::error::AppResult;
use crate::jobs::{Periodic, Registry};

/// What a feature keeps about a member, for `GET /me/export` and `DELETE /me`.
#[derive(Clone, Copy)]
pub struct PersonalData {
    /// Everything the feature stores about the member, as one JSON value (a section of the export,
    /// named after the feature).
    pub export: fn(&mut PgConnection, Uuid) -> AppResult<serde_json::Value>,
    /// The name of the OpenAPI schema of that section (a component the feature's document
    /// registers): `GET /me/export` is typed from these.
    pub schema: fn() -> std::borrow::Cow<'static, str>,
    /// Removes what only concerns the member and anonymises what stays (their content keeps
    /// pointing at the anonymous placeholder). Runs in the erasure's transaction.
    pub erase: fn(&mut PgConnection, Uuid) -> AppResult<()>,
}

/// One feature's description of itself.
#[derive(Clone, Copy)]
pub struct Feature {
    /// Lower-case name; also the feature's section in a member's data export.
    pub name: &'static str,
    /// Registers the feature's routes under `/api/v1`.
    pub routes: fn(&mut actix_web::web::ServiceConfig),
    /// The feature's part of the OpenAPI document (paths relative to `/api/v1`).
    pub openapi: fn() -> utoipa::openapi::OpenApi,
    /// Registers the feature's job kinds.
    pub jobs: fn(&mut Registry),
    /// The feature's periodic jobs.
    pub periodic: fn() -> Vec<Periodic>,
    pub personal_data: Option<PersonalData>,
}

impl Feature {
    /// A feature with routes and an OpenAPI document, and no jobs nor personal data.
    pub const fn new(
        name: &'static str,
        routes: fn(&mut actix_web::web::ServiceConfig),
        openapi: fn() -> utoipa::openapi::OpenApi,
    ) -> Self {
        Self {
            name,
            routes,
            openapi,
            jobs: |_| {},
            periodic: Vec::new,
            personal_data: None,
        }
    }

    pub const fn jobs(mut self, jobs: fn(&mut Registry)) -> Self {
        self.jobs = jobs;
        self
    }

    pub const fn periodic(mut self, periodic: fn() -> Vec<Periodic>) -> Self {
        self.periodic = periodic;
        self
    }

    /// The feature's personal data: its section of the export (typed by the schema named
    /// `schema`, e.g. `<DiscussionsExport as utoipa::ToSchema>::name`) and its erasure.
    pub const fn personal_data(
        mut self,
        export: fn(&mut PgConnection, Uuid) -> AppResult<serde_json::Value>,
        schema: fn() -> std::borrow::Cow<'static, str>,
        erase: fn(&mut PgConnection, Uuid) -> AppResult<()>,
    ) -> Self {
        self.personal_data = Some(PersonalData {
            export,
            schema,
            erase,
        });
        self
    }
}

/// A feature's section of `GET /me/export`, as JSON: built from the type its schema documents.
pub fn section(section: impl serde::Serialize) -> AppResult<serde_json::Value> {
    serde_json::to_value(section).map_err(|e| crate::error::AppError::Internal(e.into()))
}
