//! HTTP handlers of discussions, by resource: extract, parse, one service call in one database hop,
//! respond. No SQL here.

pub mod categories;
pub mod posts;
pub mod threads;

/// Registers the feature's routes under `/api/v1`.
pub fn routes(cfg: &mut actix_web::web::ServiceConfig) {
    categories::routes(cfg);
    threads::routes(cfg);
    posts::routes(cfg);
}
