//! The OpenAPI 3.1 document, generated from the handlers' annotations. Each feature contributes its
//! own document (its entry in `app::FEATURES`), nested here under `/api/v1`. `palabre openapi` prints it; `api-spec/openapi.json`
//! is the committed copy (a test fails when they differ).

use std::sync::OnceLock;

use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

use crate::error::{FieldError, Problem, ProblemType};
use crate::ops;

mod conventions;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "palabre",
        description = "Forum and discussion backend for open-data communities: threads, challenges \
                       (défis), organisations and their pledges, moderation, search, notifications, feeds \
                       and email digests. Errors are RFC 9457 problem details, including for requests \
                       refused before routing: a request target over 64 KiB is a 414, a request head \
                       over 128 KiB a 431, a request that is not HTTP/1.1 a 400, a head that does not \
                       arrive within 5 seconds a 408.",
        license(name = "AGPL-3.0-or-later", identifier = "AGPL-3.0-or-later"),
    ),
    servers((url = "http://127.0.0.1:8080", description = "A local `palabre serve`")),
    // `/metrics` is not here: it is served on its own listener (PALABRE_METRICS_BIND), not the API's.
    paths(ops::healthz, ops::readyz),
    components(schemas(Problem, ProblemType, FieldError, ops::Status)),
    tags(
        (name = "ops", description = "Liveness and readiness (Prometheus metrics are served apart, on PALABRE_METRICS_BIND)"),
    )
)]
struct RootDoc;

/// The whole document, as JSON: the generated document with the conventions every operation
/// follows applied ([`conventions`]).
pub fn spec() -> &'static serde_json::Value {
    static SPEC: OnceLock<serde_json::Value> = OnceLock::new();
    SPEC.get_or_init(|| {
        let mut doc = RootDoc::openapi();
        for feature in crate::app::FEATURES {
            doc = doc.nest("/api/v1", (feature.openapi)());
        }
        doc.info.version = env!("CARGO_PKG_VERSION").to_string();
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        add_common_responses(&mut doc);
        let mut value = serde_json::to_value(&doc).expect("the OpenAPI document serialises");
        type_the_export(&mut value);
        conventions::apply(&mut value);
        value
    })
}

/// `GET /me/export` is the account's part (`AccountExport`) and one section per feature that keeps
/// personal data, named after it and typed by the schema it names (`Feature::personal_data`): the
/// document's `MeExport`, composed from the list of features as the export itself is.
fn type_the_export(doc: &mut serde_json::Value) {
    use serde_json::json;
    let mut properties = serde_json::Map::new();
    let mut required = Vec::new();
    for feature in crate::app::FEATURES {
        if let Some(hooks) = &feature.personal_data {
            let schema = (hooks.schema)();
            assert!(
                doc["components"]["schemas"].get(schema.as_ref()).is_some(),
                "the feature {} names its export schema {schema} but does not register it",
                feature.name
            );
            properties.insert(
                feature.name.into(),
                json!({"$ref": format!("#/components/schemas/{schema}")}),
            );
            required.push(feature.name);
        }
    }
    doc["components"]["schemas"]["MeExport"] = json!({
        "description": "Everything palabre keeps about you (GDPR access): the account's part, then one section per feature that keeps personal data, named after the feature.",
        "allOf": [
            {"$ref": "#/components/schemas/AccountExport"},
            {"type": "object", "required": required, "properties": properties}
        ]
    });
    doc["paths"]["/api/v1/me/export"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] =
        json!({"$ref": "#/components/schemas/MeExport"});
}

/// Failures every operation of a kind can answer, documented once here rather than on each handler:
/// a JSON body can be malformed (400), hold a value not allowed (422), be too large (413) or of the
/// wrong type (415); a query parameter can fail to parse (422) or make the request target too long
/// (414); anything under `/api` reads the
/// database and can find it unavailable (503).
fn add_common_responses(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::ParameterIn;
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
    let problem = |description: &str| {
        RefOr::T(
            ResponseBuilder::new()
                .description(description)
                .content(
                    crate::error::PROBLEM_JSON,
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Problem")))
                        .build(),
                )
                .build(),
        )
    };
    for (path, item) in doc.paths.paths.iter_mut() {
        let ops = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for op in ops.into_iter().flatten() {
            let has_query = op.parameters.as_ref().is_some_and(|ps| {
                ps.iter().any(
                    |p| matches!(p, RefOr::T(p) if matches!(p.parameter_in, ParameterIn::Query)),
                )
            });
            let responses = &mut op.responses.responses;
            if op.request_body.is_some() {
                responses.entry("400".into()).or_insert_with(|| {
                    problem("Malformed request: invalid JSON, a wrong type or an unknown field")
                });
                responses.entry("422".into()).or_insert_with(|| {
                    problem("A field is missing or holds a value that is not allowed (named in `errors`)")
                });
                responses
                    .entry("413".into())
                    .or_insert_with(|| problem("Request body too large"));
                responses
                    .entry("415".into())
                    .or_insert_with(|| problem("Send the body as application/json"));
            }
            if has_query {
                responses.entry("422".into()).or_insert_with(|| {
                    problem("A query parameter is missing or does not parse (named in `errors`)")
                });
                responses.entry("414".into()).or_insert_with(|| {
                    problem("The request target (path and query) is over 64 KiB")
                });
            }
            if path.starts_with("/api/") {
                responses
                    .entry("503".into())
                    .or_insert_with(|| problem("Database unavailable; retry later"));
            }
        }
    }
}

/// The document as committed in `api-spec/openapi.json`.
pub fn to_pretty_json() -> String {
    let mut s = serde_json::to_string_pretty(spec()).expect("the OpenAPI document serialises");
    s.push('\n');
    s
}

/// Every path template of the API with its methods (upper case), for 404 versus 405.
pub fn routes() -> Vec<(String, Vec<String>)> {
    const METHODS: [&str; 7] = ["get", "put", "post", "delete", "patch", "head", "options"];
    spec()["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .map(|(path, item)| {
            let methods = METHODS
                .iter()
                .filter(|m| item.get(**m).is_some())
                .map(|m| m.to_uppercase())
                .collect();
            (path.clone(), methods)
        })
        .collect()
}
