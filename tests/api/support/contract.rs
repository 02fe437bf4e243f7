//! Every response the app sends during the suite is checked against the OpenAPI document: its
//! status must be documented for its operation, and each header a client relies on that it carries
//! (`Location`, `ETag`, `Retry-After`, `WWW-Authenticate`, `X-Request-Id`, `Allow`) must be declared
//! on that response. A test whose requests meet an undocumented status or header fails when its app
//! is dropped, naming each one.

use std::sync::{Arc, Mutex};

use palabre::telemetry::Observed;
use serde_json::Value;

/// The headers a typed client reads: each one sent must be documented.
const CONTRACT_HEADERS: &[&str] = &[
    "location",
    "etag",
    "retry-after",
    "www-authenticate",
    "x-request-id",
    "allow",
];

pub type Violations = Arc<Mutex<Vec<String>>>;

pub fn check(o: &Observed, violations: &Violations) {
    let Some(pattern) = o.pattern else {
        return; // no route: the fallback's 404/405, documented once in the description
    };
    let doc = palabre::openapi::spec();
    let Some(op) = doc["paths"]
        .get(pattern)
        .and_then(|item| item.get(o.method.to_lowercase()))
    else {
        return; // not an API operation (Swagger UI, the document itself)
    };
    let name = op["operationId"].as_str().unwrap_or("?");
    let status = o.status.to_string();
    let Some(response) = op["responses"].get(&status) else {
        // 500s are bugs that the test itself reports; 405 is answered before any operation.
        if o.status != 500 && o.status != 405 {
            violations.lock().unwrap().push(format!(
                "{name} ({} {pattern}) answered {status}, which it does not document",
                o.method
            ));
        }
        return;
    };
    let response = resolve(doc, response);
    let declared: Vec<String> = response["headers"]
        .as_object()
        .map(|h| h.keys().map(|k| k.to_lowercase()).collect())
        .unwrap_or_default();
    for header in CONTRACT_HEADERS {
        if o.headers.contains_key(*header) && !declared.iter().any(|d| d == header) {
            violations.lock().unwrap().push(format!(
                "{name} ({} {pattern}) sent `{header}` on {status} without declaring it",
                o.method
            ));
        }
    }
}

fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v["$ref"].as_str() {
        Some(r) => {
            let path = r.trim_start_matches("#/");
            path.split('/').fold(doc, |node, key| &node[key])
        }
        None => v,
    }
}
