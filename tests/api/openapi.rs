use crate::support::{TestApp, json};

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
