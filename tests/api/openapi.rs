use serde_json::Value;

use crate::support::{TestApp, json};

/// Follows a `$ref` inside the document.
fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v["$ref"].as_str() {
        Some(r) => r
            .trim_start_matches("#/")
            .split('/')
            .fold(doc, |node, key| &node[key]),
        None => v,
    }
}

fn operations(doc: &Value) -> Vec<(String, String, &Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            out.push((method.to_uppercase(), path.clone(), op));
        }
    }
    out
}

fn doc() -> Value {
    serde_json::from_str(&palabre::openapi::to_pretty_json()).unwrap()
}

/// How generated SDK methods read: `listThreads`, `createReply`, `getChallengesFeed`.
const VERBS: &[&str] = &[
    "list",
    "get",
    "create",
    "update",
    "delete",
    "set",
    "add",
    "remove",
    "mark",
    "claim",
    "resolve",
    "login",
    "logout",
    "refresh",
    "register",
    "verify",
    "request",
    "confirm",
    "erase",
    "export",
    "end",
    "appeal",
    "accept",
    "moderate",
    "support",
    "unsupport",
    "transition",
    "search",
    "preview",
    "unsubscribe",
    "send",
];

#[test]
fn operation_ids_are_unique_camel_case_verbs() {
    let doc = doc();
    let mut seen = std::collections::BTreeSet::new();
    for (method, path, op) in operations(&doc) {
        let id = op["operationId"].as_str().unwrap_or_default();
        assert!(seen.insert(id.to_string()), "{id} is used twice");
        let verb: String = id.chars().take_while(|c| c.is_ascii_lowercase()).collect();
        assert!(
            VERBS.contains(&verb.as_str()) && id.chars().all(|c| c.is_ascii_alphanumeric()),
            "{method} {path}: `{id}` is not a lowerCamelCase verb phrase (listX, getX, createX…)"
        );
    }
}

#[test]
fn every_response_declares_the_headers_the_server_sends_on_it() {
    let doc = doc();
    for (method, path, op) in operations(&doc) {
        for (status, resp) in op["responses"].as_object().unwrap() {
            let headers = &resolve(&doc, resp)["headers"];
            let mut wanted = vec!["X-Request-Id"];
            match status.as_str() {
                "201" => wanted.push("Location"),
                "401" => wanted.push("WWW-Authenticate"),
                "429" | "503" => wanted.push("Retry-After"),
                _ => {}
            }
            for h in wanted {
                assert!(
                    headers.get(h).is_some(),
                    "{method} {path} {status} does not declare {h}"
                );
            }
        }
        let sends_etag = op["responses"]["200"]["headers"].get("ETag").is_some();
        let takes_inm = op["parameters"].as_array().is_some_and(|ps| {
            ps.iter()
                .any(|p| resolve(&doc, p)["name"] == "If-None-Match")
        });
        assert_eq!(
            sends_etag, takes_inm,
            "{method} {path}: a read that sends an ETag takes If-None-Match (and only it)"
        );
        if sends_etag {
            assert!(
                op["responses"].get("304").is_some(),
                "{method} {path} has no 304"
            );
        }
    }
}

#[test]
fn pages_refer_to_their_items_and_lists_share_limit_and_cursor() {
    let doc = doc();
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        if name.starts_with("Page_") {
            assert!(
                schema["properties"]["items"]["items"]["$ref"].is_string(),
                "{name} inlines its items"
            );
        }
    }
    for (method, path, op) in operations(&doc) {
        for p in op["parameters"].as_array().into_iter().flatten() {
            if p["in"] == "query" && (p["name"] == "cursor") {
                panic!(
                    "{method} {path} writes `cursor` out instead of #/components/parameters/Cursor"
                );
            }
        }
    }
    let limit = &doc["components"]["parameters"]["Limit"]["schema"];
    assert_eq!(limit["default"], 20);
}

#[test]
fn fields_always_sent_are_required_even_when_null() {
    let doc = doc();
    let schemas = &doc["components"]["schemas"];
    for (schema, field) in [
        ("Page_ThreadListItem", "next_cursor"),
        ("Post", "edited_at"),
        ("ThreadListItem", "last_poster"),
        ("ThreadListItem", "unread_count"),
        ("Notification", "actor"),
        // Reached only through a page: sent all the same.
        ("SearchHit", "author"),
        ("LogEntry", "actor"),
        ("HistoryEntry", "note"),
    ] {
        let required = schemas[schema]["required"].as_array().unwrap();
        assert!(
            required.iter().any(|r| r == field),
            "{schema}.{field} is always sent: required (and nullable)"
        );
    }
    // Sent only when set: optional.
    let problem = schemas["Problem"]["required"].as_array().unwrap();
    assert!(!problem.iter().any(|r| r == "detail"));
}

/// The enumerations a client switches on are enumerations in the document, and the ones the
/// database holds as text are held to the same lists there.
#[tokio::test]
async fn enumerations_match_what_the_database_accepts() {
    use diesel::prelude::*;
    let doc = doc();
    let schemas = &doc["components"]["schemas"];
    let values = |name: &str| -> std::collections::BTreeSet<String> {
        schemas[name]["enum"]
            .as_array()
            .unwrap_or_else(|| panic!("{name} is not an enumeration"))
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    let app = TestApp::spawn();
    #[derive(QueryableByName)]
    struct Def {
        #[diesel(sql_type = diesel::sql_types::Text)]
        def: String,
    }
    let check = |constraint: &str| -> std::collections::BTreeSet<String> {
        let d: Def = diesel::sql_query(format!(
            "SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conname = '{constraint}'"
        ))
        .get_result(&mut app.conn())
        .unwrap();
        d.def
            .split('\'')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect()
    };
    assert_eq!(
        values("NotificationKind"),
        check("notifications_kind_check")
    );
    assert_eq!(
        values("NotificationTargetType"),
        check("notifications_target_type_check")
    );
    assert_eq!(values("ReactionKind"), check("post_reactions_kind_check"));
    assert_eq!(values("HeldStatus"), check("held_drafts_status_check"));
    assert_eq!(
        values("RecordTarget"),
        palabre::moderation::types::RECORD_TARGETS
            .iter()
            .map(|s| s.to_string())
            .collect()
    );
    assert_eq!(
        values("DecisionGround"),
        check("decisions_decision_ground_check")
    );
    for (schema, field, enumeration) in [
        ("Notification", "kind", "NotificationKind"),
        ("Target", "type", "NotificationTargetType"),
        ("SearchHit", "type", "HitType"),
        ("Problem", "type", "ProblemType"),
        ("Tokens", "token_type", "TokenType"),
        ("Status", "status", "Health"),
        ("QueueItem", "target_type", "RecordTarget"),
        ("Decision", "category", "StatementCategory"),
        ("Decision", "source_type", "SourceType"),
        ("HeldDraft", "status", "HeldStatus"),
        ("ThreadSubject", "type", "SubjectType"),
    ] {
        assert_eq!(
            schemas[schema]["properties"][field]["$ref"],
            format!("#/components/schemas/{enumeration}"),
            "{schema}.{field}"
        );
    }
    assert_eq!(
        schemas["Post"]["properties"]["my_reactions"]["items"]["$ref"],
        "#/components/schemas/ReactionKind"
    );
}

const REGENERATE: &str = "cargo run --quiet -- openapi > api-spec/openapi.json";

#[test]
fn committed_spec_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/api-spec/openapi.json");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    let generated = palabre::openapi::to_pretty_json();
    assert!(
        committed == generated,
        "api-spec/openapi.json is out of date with the code; regenerate it with:\n    {REGENERATE}"
    );
}

#[test]
fn spec_is_openapi_3_1_and_every_response_is_described() {
    let doc: serde_json::Value = serde_json::from_str(&palabre::openapi::to_pretty_json()).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for (status, resp) in op["responses"].as_object().unwrap() {
                let resp = resolve(&doc, resp);
                assert!(
                    resp["description"].as_str().is_some_and(|d| !d.is_empty()),
                    "{method} {path} {status} has no description"
                );
            }
        }
    }
}

#[tokio::test]
async fn spec_and_swagger_ui_are_served() {
    let app = TestApp::spawn();
    let (status, doc) = json(app.get("/api/v1/openapi.json").await).await;
    assert_eq!(status, 200);
    assert_eq!(doc["info"]["title"], "palabre");
    assert!(doc["paths"]["/readyz"]["get"].is_object());

    let resp = app.get("/docs").await;
    assert_eq!(resp.status(), 308);
    assert_eq!(resp.headers()["location"], "/docs/");
    let resp = app.get("/docs/").await;
    assert_eq!(resp.status(), 200);
    assert!(resp.text().await.unwrap().contains("swagger"));
    let resp = app.get("/docs/swagger-ui.css").await;
    assert_eq!(resp.status(), 200, "Swagger UI assets are vendored");
}

/// Mock servers and generated clients show the examples: each one must be a valid instance of its
/// schema (validated by an independent JSON Schema validator, the document as the root).
#[test]
fn examples_are_valid_instances_of_their_schemas() {
    let doc = doc();
    let mut checked = 0;
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        let Some(example) = schema.get("example") else {
            continue;
        };
        let mut root = doc.clone();
        root["$ref"] = serde_json::json!(format!("#/components/schemas/{name}"));
        let validator = jsonschema::validator_for(&root).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(example)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "the example of {name}: {errors:#?}");
        checked += 1;
    }
    assert!(checked >= 8, "only {checked} schemas have an example");
}

/// Two types deriving `ToSchema` under one name make one component of the document: the last one
/// registered silently replaces the other, and every response typed with the first is documented
/// wrong (communs' partners once replaced challenges' `OrganisationRef`, and the digest subscription
/// the watch-level `Subscription`). Each schema name stands for one type.
#[test]
fn every_schema_name_is_one_type() {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(
        std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src")),
        &mut files,
    );
    let mut seen: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let t = line.trim();
            let Some(rest) = t
                .strip_prefix("pub struct ")
                .or_else(|| t.strip_prefix("pub enum "))
            else {
                continue;
            };
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            // The attributes above the item, up to the previous blank or code line.
            let attrs: Vec<&str> = lines[..i]
                .iter()
                .rev()
                .take_while(|l| {
                    let l = l.trim();
                    l.starts_with("#[")
                        || l.starts_with("///")
                        || l.starts_with("//")
                        || l.ends_with(',')
                        || l.ends_with(")]")
                        || l.ends_with('(')
                })
                .copied()
                .collect();
            let derives_schema = attrs.iter().any(|a| a.contains("ToSchema"));
            let renamed = attrs
                .iter()
                .any(|a| a.contains("as =") || a.contains("as="));
            if derives_schema && !renamed {
                seen.entry(name).or_default().push(
                    f.strip_prefix(env!("CARGO_MANIFEST_DIR"))
                        .unwrap_or(&f)
                        .display()
                        .to_string(),
                );
            }
        }
    }
    let twice: Vec<String> = seen
        .iter()
        .filter(|(_, at)| at.len() > 1)
        .map(|(n, at)| format!("{n}: {}", at.join(", ")))
        .collect();
    assert!(
        twice.is_empty(),
        "schema names used by more than one type:\n  {}",
        twice.join("\n  ")
    );
    assert!(
        seen.len() > 100,
        "the scan found the schemas ({})",
        seen.len()
    );
}
