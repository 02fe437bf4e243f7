//! The rules every operation of the document follows, applied once to the whole generated document
//! rather than written on each handler — so an operation a new feature adds follows them too:
//!
//! - every response declares `X-Request-Id`; every 401 `WWW-Authenticate`; every 429 and 503
//!   `Retry-After` (the headers the server sends on them, `components.headers`);
//! - a read that sends an `ETag` takes `If-None-Match` and declares its `304`;
//! - `limit` and `cursor` are the shared `components.parameters` `Limit` and `Cursor`;
//! - the problem responses every operation of a kind shares are `components.responses`;
//! - a `Page_X` refers to the named schema `X` for its items instead of inlining it;
//! - in a schema only ever sent (never read from a request), a nullable field is also required:
//!   palabre always sends it, as `null` when empty, so a client has two states, not three.

use serde_json::{Map, Value, json};

/// Fields sent only when they have a value (`skip_serializing_if`): optional, not required.
const ABSENT_WHEN_EMPTY: &[(&str, &str)] = &[
    ("Problem", "detail"),
    ("Problem", "errors"),
    ("ChallengeFeatureCollection", "bbox"),
];

/// Problem responses shared by name: (status, the descriptions handlers give it, component
/// name, the shared description).
const SHARED_RESPONSES: &[(&str, &[&str], &str, &str)] = &[
    (
        "400",
        &[
            "Malformed request",
            "Malformed request: invalid JSON, a wrong type or an unknown field",
        ],
        "BadRequest",
        "Malformed request: invalid JSON, a wrong type or an unknown field",
    ),
    (
        "400",
        &["Malformed query"],
        "BadQuery",
        "Malformed query string",
    ),
    (
        "401",
        &["Not authenticated"],
        "Unauthorized",
        "Not authenticated",
    ),
    (
        "401",
        &["Invalid token"],
        "InvalidToken",
        "The access token is invalid or expired",
    ),
    (
        "403",
        &["Account suspended"],
        "Suspended",
        "Account suspended",
    ),
    (
        "403",
        &["Email not confirmed, silenced or suspended"],
        "CannotWrite",
        "Email not confirmed, silenced or suspended",
    ),
    (
        "403",
        &["Moderators only"],
        "ModeratorsOnly",
        "Moderators only",
    ),
    (
        "403",
        &["Administrators only", "Not an administrator"],
        "AdminsOnly",
        "Administrators only",
    ),
    (
        "413",
        &["Request body too large"],
        "PayloadTooLarge",
        "Request body too large",
    ),
    (
        "414",
        &["The request target (path and query) is over 64 KiB"],
        "UriTooLong",
        "The request target (path and query) is over 64 KiB",
    ),
    (
        "415",
        &["Send the body as application/json"],
        "UnsupportedMediaType",
        "Send the body as application/json",
    ),
    (
        "422",
        &[
            "A field is missing or holds a value that is not allowed (named in `errors`)",
            "Invalid fields",
        ],
        "InvalidBody",
        "A field is missing or holds a value that is not allowed (named in `errors`)",
    ),
    (
        "422",
        &["A query parameter is missing or does not parse (named in `errors`)"],
        "InvalidQuery",
        "A query parameter is missing or does not parse (named in `errors`)",
    ),
    (
        "422",
        &["Invalid limit or cursor"],
        "InvalidPage",
        "`limit` out of 1 to 100, or a `cursor` that is not one of ours",
    ),
    (
        "503",
        &["Database unavailable; retry later"],
        "Unavailable",
        "Database unavailable; retry later",
    ),
];

pub fn apply(doc: &mut Value) {
    add_components(doc);
    refer_page_items(doc);
    // After the pages refer to their items: a schema reached only through a page is sent too.
    let response_only = response_only_schemas(doc);
    let mut shared: Map<String, Value> = Map::new();
    let paths = doc["paths"].as_object_mut().expect("paths");
    for item in paths.values_mut() {
        for (method, op) in item.as_object_mut().expect("path item") {
            if !["get", "put", "post", "delete", "patch"].contains(&method.as_str()) {
                continue;
            }
            shared_parameters(op);
            let responses = op["responses"].as_object_mut().expect("responses");
            let sends_etag = responses
                .iter()
                .any(|(code, r)| code.starts_with('2') && r["headers"].get("ETag").is_some());
            if sends_etag && method == "get" {
                let not_modified = responses.entry("304").or_insert_with(|| {
                    json!({"description": "Not modified: the `If-None-Match` ETag still matches (empty body)"})
                });
                not_modified["headers"]["ETag"] = json!({
                    "description": "The representation's entity tag, unchanged",
                    "schema": {"type": "string"}
                });
            }
            for (code, response) in responses.iter_mut() {
                declare_headers(code, response);
                if let Some((name, description)) = shared_name(code, response) {
                    let mut r = response.clone();
                    r["description"] = json!(description);
                    shared.insert(name.into(), r);
                    *response = json!({"$ref": format!("#/components/responses/{name}")});
                }
            }
            let declared = op["parameters"]
                .as_array()
                .is_some_and(|ps| ps.iter().any(|p| p["name"] == "If-None-Match"));
            if sends_etag && method == "get" && !declared {
                let params = op
                    .as_object_mut()
                    .expect("operation")
                    .entry("parameters")
                    .or_insert_with(|| json!([]));
                params
                    .as_array_mut()
                    .expect("parameters")
                    .push(json!({"$ref": "#/components/parameters/IfNoneMatch"}));
            }
        }
    }
    doc["components"]["responses"] = Value::Object(shared);
    let schemas = doc["components"]["schemas"]
        .as_object_mut()
        .expect("schemas");
    for (name, schema) in schemas.iter_mut() {
        if response_only.contains(name) {
            require_nullable(name, schema);
        }
    }
}

/// `Page_X` refers to the named schema `X` for its items.
fn refer_page_items(doc: &mut Value) {
    let schemas = doc["components"]["schemas"]
        .as_object_mut()
        .expect("schemas");
    let names: Vec<String> = schemas.keys().cloned().collect();
    for (name, schema) in schemas.iter_mut() {
        if let Some(item) = name.strip_prefix("Page_")
            && names.iter().any(|n| n == item)
        {
            schema["properties"]["items"]["items"] =
                json!({"$ref": format!("#/components/schemas/{item}")});
        }
    }
}

fn add_components(doc: &mut Value) {
    let components = doc["components"].as_object_mut().expect("components");
    components.insert(
        "headers".into(),
        json!({
            "X-Request-Id": {
                "description": "The request's id: the one the client sent (1 to 64 letters, digits, `-` or `_`), else a new UUID. Quote it when reporting a problem.",
                "schema": {"type": "string", "example": "01938a4e-7c1a-7d2e-9b3f-2a6c1e0d4b5f"}
            },
            "WWW-Authenticate": {
                "description": "`Bearer`: send an access token in `Authorization: Bearer <token>`",
                "schema": {"type": "string", "example": "Bearer"}
            },
            "Retry-After": {
                "description": "Seconds to wait before trying again",
                "schema": {"type": "integer", "minimum": 0, "example": 30}
            }
        }),
    );
    let parameters = components
        .entry("parameters")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .expect("parameters");
    parameters.insert(
        "Limit".into(),
        json!({
            "name": "limit", "in": "query", "required": false,
            "description": "Items per page, 1 to 100.",
            "schema": {"type": "integer", "format": "int64", "minimum": 1, "maximum": 100, "default": crate::pagination::DEFAULT_LIMIT}
        }),
    );
    parameters.insert(
        "Cursor".into(),
        json!({
            "name": "cursor", "in": "query", "required": false,
            "description": "The `next_cursor` of the previous page (opaque).",
            "schema": {"type": "string"}
        }),
    );
    parameters.insert(
        "RequestId".into(),
        json!({
            "name": "X-Request-Id", "in": "header", "required": false,
            "description": "Your id for this request, echoed in the response's `X-Request-Id` and in palabre's logs when it is 1 to 64 letters, digits, `-` or `_`; any other value is replaced by a new id (never refused).",
            "schema": {"type": "string", "example": "checkout-7f3a9c"}
        }),
    );
    parameters.insert(
        "IfNoneMatch".into(),
        json!({
            "name": "If-None-Match", "in": "header", "required": false,
            "description": "The `ETag` of a copy the client holds: `304 Not Modified` with no body while it still matches.",
            "schema": {"type": "string", "example": "W/\"3f9a1c2b\""}
        }),
    );
}

/// `limit` and `cursor` of the shared page query become references to the shared parameters.
fn shared_parameters(op: &mut Value) {
    let params = op
        .as_object_mut()
        .expect("operation")
        .entry("parameters")
        .or_insert_with(|| json!([]))
        .as_array_mut()
        .expect("parameters");
    // Every operation reads a client's `X-Request-Id` (and echoes it).
    params.push(json!({"$ref": "#/components/parameters/RequestId"}));
    for p in params.iter_mut() {
        // A header is sent or not: never `null` (`Option<String>` in a handler's parameters).
        if p["in"] == "header" && p["schema"]["type"] == json!(["string", "null"]) {
            p["schema"]["type"] = json!("string");
        }
        let shared = match (p["in"].as_str(), p["name"].as_str()) {
            (Some("query"), Some("limit")) if p["schema"]["maximum"] == 100 => "Limit",
            (Some("query"), Some("cursor")) => "Cursor",
            _ => continue,
        };
        *p = json!({"$ref": format!("#/components/parameters/{shared}")});
    }
}

fn declare_headers(code: &str, response: &mut Value) {
    let Some(r) = response.as_object_mut() else {
        return;
    };
    if r.contains_key("$ref") {
        return;
    }
    let headers = r
        .entry("headers")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .expect("headers");
    let mut add = |name: &str| {
        headers.insert(
            name.into(),
            json!({"$ref": format!("#/components/headers/{name}")}),
        );
    };
    add("X-Request-Id");
    match code {
        "401" => add("WWW-Authenticate"),
        "429" | "503" => add("Retry-After"),
        _ => {}
    }
}

fn shared_name(code: &str, response: &Value) -> Option<(&'static str, &'static str)> {
    let description = response["description"].as_str()?;
    SHARED_RESPONSES
        .iter()
        .find(|(c, ds, _, _)| *c == code && ds.contains(&description))
        .map(|(_, _, name, shared)| (*name, *shared))
}

/// Schemas reachable from responses and never from a request body or a parameter.
fn response_only_schemas(doc: &Value) -> Vec<String> {
    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(o) => {
                if let Some(r) = o.get("$ref").and_then(Value::as_str)
                    && let Some(name) = r.strip_prefix("#/components/schemas/")
                    && !out.iter().any(|n| n == name)
                {
                    out.push(name.to_string());
                }
                o.values().for_each(|v| refs(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let schemas = &doc["components"]["schemas"];
    let close = |mut names: Vec<String>| {
        let mut i = 0;
        while i < names.len() {
            let schema = schemas[&names[i]].clone();
            refs(&schema, &mut names);
            i += 1;
        }
        names
    };
    let (mut requests, mut responses) = (Vec::new(), Vec::new());
    for item in doc["paths"].as_object().expect("paths").values() {
        for op in item.as_object().expect("path item").values() {
            refs(&op["requestBody"], &mut requests);
            refs(&op["parameters"], &mut requests);
            refs(&op["responses"], &mut responses);
        }
    }
    let requests = close(requests);
    close(responses)
        .into_iter()
        .filter(|n| !requests.contains(n))
        .collect()
}

fn is_nullable(schema: &Value) -> bool {
    schema["type"]
        .as_array()
        .is_some_and(|t| t.iter().any(|t| t == "null"))
        || schema["oneOf"]
            .as_array()
            .is_some_and(|o| o.iter().any(|s| s["type"] == "null"))
}

/// Marks the nullable properties of `schema` required, and those of the objects it holds inline
/// (array items, nested objects): an inline object is sent as its named owner is.
fn require_nullable(name: &str, schema: &mut Value) {
    if let Some(items) = schema.get_mut("items") {
        require_nullable(name, items);
    }
    let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) else {
        return;
    };
    let mut missing = Vec::new();
    for (field, s) in properties.iter_mut() {
        if is_nullable(s) && !ABSENT_WHEN_EMPTY.contains(&(name, field.as_str())) {
            missing.push(field.clone());
        }
        require_nullable(name, s);
    }
    let required = schema
        .as_object_mut()
        .expect("object schema")
        .entry("required")
        .or_insert_with(|| json!([]))
        .as_array_mut()
        .expect("required");
    for field in missing {
        if !required.iter().any(|r| r == field.as_str()) {
            required.push(Value::String(field));
        }
    }
}
