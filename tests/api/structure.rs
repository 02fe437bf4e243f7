//! What the structure gives every feature: idempotent creates, personal data assembled from the
//! features' hooks, housekeeping, and the world of roles the authorization tests stand on.

use diesel::prelude::*;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::fixtures::{Role, World};
use crate::support::{TestApp, category, id, json, problem, thread};

fn count(app: &TestApp, sql: &str) -> i64 {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query(sql)
        .get_result::<N>(&mut app.conn())
        .unwrap()
        .n
}

/// Sends `body` twice with one key, then another body with the same key: the second answer is the
/// first one again (status, Location, body) and creates nothing; the third is a 422.
async fn replays(
    app: &TestApp,
    tokens: Option<&Value>,
    path: &str,
    body: Value,
    other_body: Value,
    rows: &str,
) {
    let key = format!("key-{}", uuid::Uuid::now_v7());
    let send = |b: &Value| {
        let req = match tokens {
            Some(t) => app.authed(Method::POST, path, t),
            None => app.client.post(app.url(path)),
        };
        req.header("Idempotency-Key", &key).json(b).send()
    };
    let before = count(app, rows);
    let first = send(&body).await.unwrap();
    let status = first.status();
    assert!(
        status.is_success(),
        "{path}: {}",
        first.text().await.unwrap()
    );
    let location = first.headers().get("location").cloned();
    let first_body: Value = first.json().await.unwrap();
    assert_eq!(count(app, rows), before + 1, "{path}: one row created");

    let again = send(&body).await.unwrap();
    assert_eq!(again.status(), status, "{path}: same status");
    assert_eq!(again.headers().get("location"), location.as_ref(), "{path}");
    let again_body: Value = again.json().await.unwrap();
    assert_eq!(again_body, first_body, "{path}: the first response again");
    assert_eq!(count(app, rows), before + 1, "{path}: nothing more created");

    let err = problem(send(&other_body).await.unwrap(), 422).await;
    assert_eq!(err["errors"][0]["field"], "Idempotency-Key", "{path}");
    assert_eq!(
        count(app, rows),
        before + 1,
        "{path}: a refused retry creates nothing"
    );
}

#[tokio::test]
async fn every_create_replays_its_first_response_for_the_same_key() {
    let app = TestApp::spawn();
    let admin = app.admin("admin_idem").await;
    let anne = app.member("anne_idem").await;
    app.member("bob_idem").await;
    app.member("carl_idem").await;

    let register = |name: &str| {
        json!({"username": name, "email": format!("{name}@example.org"),
               "password": crate::support::PASSWORD})
    };
    replays(
        &app,
        None,
        "/api/v1/auth/register",
        register("zoe_idem"),
        register("zac_idem"),
        "SELECT count(*) AS n FROM users",
    )
    .await;
    replays(
        &app,
        Some(&anne),
        "/api/v1/organisations",
        json!({"name": "Ville de Quimper", "kind": "public"}),
        json!({"name": "Ville de Morlaix", "kind": "public"}),
        "SELECT count(*) AS n FROM organisations",
    )
    .await;
    let (_, orgs) = json(app.get("/api/v1/organisations").await).await;
    let org = id(&orgs["items"][0]).to_string();
    replays(
        &app,
        Some(&anne),
        &format!("/api/v1/organisations/{org}/members"),
        json!({"username": "bob_idem", "role": "member"}),
        json!({"username": "carl_idem", "role": "member"}),
        "SELECT count(*) AS n FROM organisation_members",
    )
    .await;
    replays(
        &app,
        Some(&admin),
        "/api/v1/categories",
        json!({"slug": "eau", "name": "Eau"}),
        json!({"slug": "mer", "name": "Mer"}),
        "SELECT count(*) AS n FROM categories",
    )
    .await;
    replays(
        &app,
        Some(&admin),
        "/api/v1/tags",
        json!({"slug": "lidar", "name": "LiDAR"}),
        json!({"slug": "ortho", "name": "Ortho"}),
        "SELECT count(*) AS n FROM tags",
    )
    .await;
    replays(
        &app,
        Some(&anne),
        "/api/v1/threads",
        json!({"category": "eau", "title": "Les zones humides", "body": "Où sont-elles ?"}),
        json!({"category": "eau", "title": "Les zones sèches", "body": "Et celles-ci ?"}),
        "SELECT count(*) AS n FROM threads",
    )
    .await;
    let t = thread(
        &app,
        &anne,
        "eau",
        "Un fil pour répondre",
        "Premier message",
    )
    .await;
    replays(
        &app,
        Some(&anne),
        &format!("/api/v1/threads/{}/posts", id(&t)),
        json!({"body": "Une réponse"}),
        json!({"body": "Une autre réponse"}),
        "SELECT count(*) AS n FROM posts",
    )
    .await;
}

#[tokio::test]
async fn keys_are_scoped_to_the_member_and_erased_with_them() {
    let app = TestApp::spawn();
    let admin = app.admin("admin_scope").await;
    let anne = app.member("anne_scope").await;
    let bob = app.member("bob_scope").await;
    category(&app, &admin, "forets", "everyone").await;
    let post = |who: &Value, title: &str| {
        app.authed(Method::POST, "/api/v1/threads", who)
            .header("Idempotency-Key", "shared-key")
            .json(&json!({"category": "forets", "title": title, "body": "Texte"}))
            .send()
    };
    assert_eq!(post(&anne, "Le fil d'Anne").await.unwrap().status(), 201);
    // Another member's identical key is another key.
    assert_eq!(post(&bob, "Le fil de Bob").await.unwrap().status(), 201);
    assert_eq!(count(&app, "SELECT count(*) AS n FROM idempotency_keys"), 2);
    let resp = app
        .authed(Method::DELETE, "/api/v1/me", &anne)
        .json(&json!({"password": crate::support::PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM idempotency_keys"),
        1,
        "the erased member's stored responses go with them"
    );
}

#[tokio::test]
async fn the_export_is_assembled_from_every_features_hook() {
    let app = TestApp::spawn();
    let admin = app.admin("admin_exp").await;
    let anne = app.member("anne_exp").await;
    let bob = app.member("bob_exp").await;
    category(&app, &admin, "forets", "everyone").await;
    let t = thread(&app, &anne, "forets", "Un fil à suivre", "Texte").await;
    let bobs = crate::support::reply(&app, &bob, &t, "@anne_exp regarde ceci", None).await;
    crate::support::create_org(&app, &anne, "Syndicat mixte").await;
    let flagged = app
        .authed(Method::POST, "/api/v1/flags", &anne)
        .json(&json!({"target_type": "post", "target_id": crate::support::id(&bobs), "reason": "off_topic"}))
        .send()
        .await
        .unwrap();
    assert_eq!(flagged.status(), 201);
    let (status, doc) = json(app.get_as("/api/v1/me/export", &anne).await).await;
    assert_eq!(status, 200);
    assert_eq!(doc["account"]["username"], "anne_exp");
    assert_eq!(doc["discussions"]["threads"][0]["title"], "Un fil à suivre");
    assert_eq!(doc["organisations"][0]["name"], "Syndicat mixte");
    let kinds: Vec<&str> = doc["notifications"]["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"mention"), "{kinds:?}");
    assert_eq!(doc["moderation"]["flags"][0]["reason"], "off_topic");
    // The export is typed: it validates against the document's `MeExport` (an independent JSON
    // Schema validator, the document as the root so that its references resolve).
    let mut schema: serde_json::Value =
        serde_json::from_str(&palabre::openapi::to_pretty_json()).unwrap();
    schema["$ref"] = json!("#/components/schemas/MeExport");
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "the export breaks MeExport: {errors:#?}");
    // And the schema names every section: one left out would fail it.
    let mut missing = doc.clone();
    missing.as_object_mut().unwrap().remove("moderation");
    assert!(!validator.is_valid(&missing));
}

#[tokio::test]
async fn housekeeping_removes_what_is_past_its_retention() {
    let app = TestApp::spawn();
    let mut conn = app.conn();
    use diesel::connection::SimpleConnection;
    conn.batch_execute(
        "INSERT INTO idempotency_keys (scope, key, request, status, body, created_at) VALUES \
           ('anonymous', 'old', 'POST /x', 201, '{}', now() - interval '25 hours'), \
           ('anonymous', 'new', 'POST /x', 201, '{}', now() - interval '23 hours'); \
         INSERT INTO throttles (key, window_start, failures) VALUES \
           ('login:old', now() - interval '3 days', 5), ('login:new', now() - interval '1 hour', 5); \
         INSERT INTO periodic_runs (name, period_start) VALUES \
           ('x', now() - interval '8 days'), ('x', now() - interval '6 days')",
    )
    .unwrap();
    palabre::jobs::enqueue(
        &mut conn,
        palabre::jobs::NewJob::of(&palabre::housekeeping::Housekeeping),
    )
    .unwrap();
    let outcomes = app.worker().run_until_idle().unwrap();
    assert!(
        outcomes
            .iter()
            .any(|o| matches!(o, palabre::jobs::Outcome::Succeeded { kind, .. } if kind == "housekeeping")),
        "{outcomes:?}"
    );
    let left = |sql: &str| count(&app, sql);
    assert_eq!(
        left("SELECT count(*) AS n FROM idempotency_keys WHERE key = 'old'"),
        0
    );
    assert_eq!(
        left("SELECT count(*) AS n FROM idempotency_keys WHERE key = 'new'"),
        1
    );
    assert_eq!(
        left("SELECT count(*) AS n FROM throttles WHERE key = 'login:old'"),
        0
    );
    assert_eq!(
        left("SELECT count(*) AS n FROM throttles WHERE key = 'login:new'"),
        1
    );
    assert_eq!(left("SELECT count(*) AS n FROM periodic_runs"), 1);
    // The scheduler enqueues it every hour.
    let scheduler = palabre::app::scheduler();
    let names = scheduler.tick(&mut conn, chrono::Utc::now()).unwrap();
    assert!(names.contains(&"housekeeping".to_string()), "{names:?}");
}

#[tokio::test]
async fn the_world_has_a_member_in_every_role() {
    let w = World::new().await;
    // Starting a thread, as each role: the shape the authorization matrices of later features take.
    let expected = [
        (Role::Anonymous, 401),
        (Role::Unverified, 403),
        (Role::Member, 201),
        (Role::Author, 201),
        (Role::Other, 201),
        (Role::Moderator, 201),
        (Role::Admin, 201),
        (Role::Silenced, 403),
        (Role::Suspended, 403),
    ];
    assert_eq!(expected.len(), Role::ALL.len());
    for (role, status) in expected {
        let resp = w
            .request(role, Method::POST, "/api/v1/threads")
            .json(&json!({"category": "general", "title": format!("Un fil {role:?}"), "body": "Texte"}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), status, "{role:?}");
    }
    let (_, me) = json(
        w.request(Role::Moderator, Method::GET, "/api/v1/me")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(me["role"], "moderator");
    assert_eq!(w.thread["author"]["username"], "w_author");
    assert_eq!(w.category["slug"], "general");
}
