//! Every failure is an RFC 9457 problem, including actix's own (bad JSON, content type, size, route,
//! method). The probe route below uses the app's own extractors and shared configuration.

use actix_web::{HttpResponse, web};
use palabre::http::{Json, Query};
use serde::Deserialize;
use serde_json::json;

use crate::support::{TestApp, problem};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Probe {
    name: String,
    count: u32,
    #[allow(dead_code)]
    kind: Option<palabre::accounts::Role>,
}

async fn probe(body: Json<Probe>, q: Query<ProbeQuery>) -> HttpResponse {
    HttpResponse::Ok().json(json!({"name": body.name, "count": body.count, "page": q.page}))
}

#[derive(Deserialize)]
struct ProbeQuery {
    page: Option<u32>,
}

fn probe_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/_probe", web::post().to(probe));
}

fn app() -> TestApp {
    TestApp::spawn_with(|s| s.json_body_limit = 1024, probe_routes)
}

#[tokio::test]
async fn a_valid_request_passes() {
    let app = app();
    let resp = app
        .post_json("/_probe?page=2", &json!({"name": "forêt", "count": 3}))
        .await;
    assert_eq!(resp.status(), 200);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body, json!({"name": "forêt", "count": 3, "page": 2}));
}

#[tokio::test]
async fn malformed_json_is_400() {
    let app = app();
    let resp = app
        .client
        .post(app.url("/_probe"))
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    let body = problem(resp, 400).await;
    assert_eq!(body["type"], "urn:palabre:problem:bad-request");
}

#[tokio::test]
async fn wrong_types_and_unknown_fields_are_400() {
    let app = app();
    let body = problem(
        app.post_json("/_probe", &json!({"name": "x", "count": "three"}))
            .await,
        400,
    )
    .await;
    assert!(
        body["detail"].as_str().unwrap().contains("count")
            || body["detail"].as_str().unwrap().contains("invalid type")
    );
    problem(
        app.post_json(
            "/_probe",
            &json!({"name": "x", "count": 1, "colour": "red"}),
        )
        .await,
        400,
    )
    .await;
    // A body is an object: serde alone would read the struct from an array.
    let body = problem(app.post_json("/_probe", &json!(["x", 1, null])).await, 400).await;
    assert!(body["detail"].as_str().unwrap().contains("object"));
}

/// API.md: a well-typed value that is not allowed — a missing required field, a string outside an
/// enumeration, a number out of range — is a 422 naming the field; so is a query value that does
/// not parse.
#[tokio::test]
async fn values_not_allowed_are_422_naming_the_field() {
    let app = app();
    for (path, body, field) in [
        ("/_probe", json!({"name": "x"}), "count"),
        ("/_probe", json!({"name": "x", "count": -1}), "count"),
        (
            "/_probe",
            json!({"name": "x", "count": 1, "kind": "galaxy"}),
            "kind",
        ),
        (
            "/_probe?page=minus-one",
            json!({"name": "x", "count": 1}),
            "page",
        ),
    ] {
        let p = problem(app.post_json(path, &body).await, 422).await;
        assert_eq!(p["errors"][0]["field"], field, "{path} {body}");
    }
}

#[tokio::test]
async fn missing_or_wrong_content_type_is_415() {
    let app = app();
    let resp = app
        .client
        .post(app.url("/_probe"))
        .body(r#"{"name":"x","count":1}"#)
        .send()
        .await
        .unwrap();
    problem(resp, 415).await;
    let resp = app
        .client
        .post(app.url("/_probe"))
        .header("content-type", "text/plain")
        .body(r#"{"name":"x","count":1}"#)
        .send()
        .await
        .unwrap();
    problem(resp, 415).await;
}

#[tokio::test]
async fn a_body_over_the_limit_is_413() {
    let app = app();
    let big = "x".repeat(4096);
    let body = problem(
        app.post_json("/_probe", &json!({"name": big, "count": 1}))
            .await,
        413,
    )
    .await;
    assert_eq!(body["type"], "urn:palabre:problem:payload-too-large");
}

#[tokio::test]
async fn unknown_route_is_404_and_wrong_method_is_405() {
    let app = app();
    let body = problem(app.get("/api/v1/does-not-exist").await, 404).await;
    assert_eq!(body["type"], "urn:palabre:problem:not-found");
    problem(app.get("/").await, 404).await;

    let resp = app.client.post(app.url("/healthz")).send().await.unwrap();
    assert_eq!(resp.headers()["allow"], "GET");
    problem(resp, 405).await;
    let resp = app
        .client
        .delete(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    problem(resp, 405).await;
}

#[tokio::test]
async fn database_down_is_503_not_500() {
    let app = app();
    app.db.cut_off();
    let resp = app.metrics().await;
    assert_eq!(
        resp.status(),
        200,
        "metrics still answer without the database"
    );
    let body = problem(app.get("/readyz").await, 503).await;
    assert_eq!(body["type"], "urn:palabre:problem:unavailable");
    app.db.restore();
}
