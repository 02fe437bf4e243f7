//! Webhooks (issue 17): delivered to a real local HTTP server, signatures checked by an
//! independent implementation (Python's hmac), a retry after a 500, a dead hook disabled after a
//! day (simulated clock, no sleeps), hidden content withheld, a test event, and the address rules.

use std::io::Write;
use std::process::{Command, Stdio};

use chrono::{Duration, Utc};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::receiver::{Received, Receiver};
use crate::support::{TestApp, category, id, json, problem, reply, thread};

/// Verifies a delivery's `webhook-signature` as the Standard Webhooks specification says, with
/// Python's standard hmac module (not the code that signed it).
fn python_verifies(secret: &str, r: &Received) -> bool {
    let script = "import base64, hashlib, hmac, sys\n\
        secret, msg_id, ts, sigs = sys.argv[1:5]\n\
        body = sys.stdin.buffer.read()\n\
        key = base64.b64decode(secret.split('_', 1)[1])\n\
        signed = msg_id.encode() + b'.' + ts.encode() + b'.' + body\n\
        expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()\n\
        ok = any(s.split(',', 1)[0] == 'v1' and hmac.compare_digest(s.split(',', 1)[1], expected)\n\
                 for s in sigs.split(' '))\n\
        sys.exit(0 if ok else 1)";
    let mut child = Command::new("python3")
        .args([
            "-c",
            script,
            secret,
            &r.headers["webhook-id"],
            &r.headers["webhook-timestamp"],
            &r.headers["webhook-signature"],
        ])
        .stdin(Stdio::piped())
        .spawn()
        .expect("python3 (the CI installs it)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(r.body.as_bytes())
        .unwrap();
    child.wait().unwrap().success()
}

fn private_app() -> TestApp {
    TestApp::spawn_with(|s| s.webhooks_allow_private = true, |_| {})
}

async fn register(app: &TestApp, admin: &Value, url: &str, events: Value) -> Value {
    let resp = app
        .authed(Method::POST, "/api/v1/admin/webhooks", admin)
        .json(&json!({"url": url, "events": events}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    let hook: Value = resp.json().await.unwrap();
    assert_eq!(location, format!("/api/v1/admin/webhooks/{}", id(&hook)));
    hook
}

async fn deliveries(app: &TestApp, admin: &Value, hook: &Value) -> Vec<Value> {
    let (status, page) = json(
        app.get_as(
            &format!("/api/v1/admin/webhooks/{}/deliveries", id(hook)),
            admin,
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    page["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn events_are_signed_delivered_retried_after_a_500_and_withheld_when_hidden() {
    let app = private_app();
    let receiver = Receiver::start();
    let admin = app.admin("admin").await;
    let maelle = app.member("maelle").await;
    category(&app, &admin, "general", "everyone").await;
    let hook = register(
        &app,
        &admin,
        &receiver.url("/hooks/palabre"),
        json!(["thread.created", "post.created"]),
    )
    .await;
    let secret = hook["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"), "{hook}");
    // The secret is shown once: not in reads.
    let (_, read) = json(
        app.get_as(&format!("/api/v1/admin/webhooks/{}", id(&hook)), &admin)
            .await,
    )
    .await;
    assert!(read.get("secret").is_none(), "{read}");
    assert_eq!(read["events"], json!(["post.created", "thread.created"]));

    // A thread and a reply: two events queued with what wrote them, delivered by the job queue.
    let t = thread(
        &app,
        &maelle,
        "general",
        "Cadastre solaire de Brest",
        "Où le trouver ?",
    )
    .await;
    reply(&app, &admin, &t, "Sur data.gouv.fr.", None).await;
    assert_eq!(deliveries(&app, &admin, &hook).await.len(), 2);
    assert!(
        receiver.received().is_empty(),
        "nothing sent inside the request"
    );
    app.worker().run_until_idle().unwrap();
    let got = receiver.received();
    assert_eq!(got.len(), 2);
    for r in &got {
        assert_eq!(r.path, "/hooks/palabre");
        assert!(python_verifies(&secret, r), "signature of {r:?}");
        let body: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(body["id"].as_str().unwrap(), r.headers["webhook-id"]);
        let ts: i64 = r.headers["webhook-timestamp"].parse().unwrap();
        assert!((Utc::now().timestamp() - ts).abs() < 300);
        assert_eq!(r.headers["content-type"], "application/json");
    }
    // A tampered body does not verify.
    let mut forged = got[0].clone();
    forged.body = forged.body.replace("Cadastre", "Cadastres");
    assert!(!python_verifies(&secret, &forged));
    let types: Vec<String> = got
        .iter()
        .map(|r| {
            serde_json::from_str::<Value>(&r.body).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(types, ["thread.created", "post.created"]);
    let first: Value = serde_json::from_str(&got[0].body).unwrap();
    assert_eq!(first["data"]["title"], "Cadastre solaire de Brest");
    assert_eq!(first["data"]["author"], "maelle");
    let log = deliveries(&app, &admin, &hook).await;
    assert!(
        log.iter()
            .all(|d| d["status"] == "delivered" && d["attempts"] == 1 && d["response_code"] == 200),
        "{log:?}"
    );

    // A 500, then a retry when its backoff is over: the same event id and body, delivered.
    receiver.answer(&[500]);
    reply(&app, &maelle, &t, "Merci !", None).await;
    app.worker().run_until_idle().unwrap();
    let log = deliveries(&app, &admin, &hook).await;
    let d = &log[0];
    assert_eq!(
        (
            d["status"].clone(),
            d["attempts"].clone(),
            d["response_code"].clone()
        ),
        (json!("pending"), json!(1), json!(500)),
        "{d}"
    );
    let delivery: uuid::Uuid = d["id"].as_str().unwrap().parse().unwrap();
    let mut conn = app.conn();
    // Not due yet: nothing is sent.
    palabre::webhooks::deliver::deliver(
        &mut conn,
        &app.settings,
        delivery,
        Utc::now() + Duration::seconds(5),
    )
    .unwrap();
    assert_eq!(receiver.received().len(), 3);
    palabre::webhooks::deliver::deliver(
        &mut conn,
        &app.settings,
        delivery,
        Utc::now() + Duration::seconds(31),
    )
    .unwrap();
    let got = receiver.received();
    assert_eq!(got.len(), 4);
    assert_eq!(got[2].headers["webhook-id"], got[3].headers["webhook-id"]);
    assert_eq!(got[2].body, got[3].body);
    assert!(python_verifies(&secret, &got[3]));
    let log = deliveries(&app, &admin, &hook).await;
    assert_eq!(
        (
            log[0]["status"].clone(),
            log[0]["attempts"].clone(),
            log[0]["response_code"].clone()
        ),
        (json!("delivered"), json!(2), json!(200))
    );

    // A reply hidden before its delivery goes out is withheld.
    let hidden = reply(&app, &maelle, &t, "Un message à masquer.", None).await;
    let resp = app
        .authed(
            Method::POST,
            &format!("/api/v1/posts/{}/moderation", id(&hidden)),
            &admin,
        )
        .json(&json!({"action": "hide", "reason": "Hors sujet"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    app.worker().run_until_idle().unwrap();
    assert_eq!(
        receiver.received().len(),
        4,
        "nothing of a hidden reply goes out"
    );
    assert_eq!(
        deliveries(&app, &admin, &hook).await[0]["status"],
        "withheld"
    );

    // A test event, through the queue.
    let resp = app
        .authed(
            Method::POST,
            &format!("/api/v1/admin/webhooks/{}/test", id(&hook)),
            &admin,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 202);
    app.worker().run_until_idle().unwrap();
    let last = receiver.received().pop().unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&last.body).unwrap()["type"],
        "webhook.test"
    );
    assert!(python_verifies(&secret, &last));
}

#[tokio::test]
async fn a_hook_failing_for_a_day_is_disabled_and_administrators_are_told() {
    let app = private_app();
    let receiver = Receiver::start();
    receiver.always(Some(500));
    let admin = app.admin("admin").await;
    let maelle = app.member("maelle").await;
    let resp = app
        .authed(Method::POST, "/api/v1/communs", &admin)
        .json(&json!({"slug": "haies", "name": "Inventaire des haies", "maintainers": ["maelle"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let hook = register(
        &app,
        &admin,
        &receiver.url("/dead"),
        json!(["resource.published"]),
    )
    .await;
    let publish = |title: &'static str| {
        let app = &app;
        let maelle = &maelle;
        async move {
            let resp = app
                .authed(Method::POST, "/api/v1/communs/haies/resources", maelle)
                .json(&json!({"kind": "dataset", "title": title, "url": "https://data.example.org/haies", "licence": "ODbL-1.0"}))
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 201);
        }
    };
    publish("Haies du Finistère").await;
    publish("Haies des Côtes-d'Armor").await;
    let d = deliveries(&app, &admin, &hook).await;
    let delivery: uuid::Uuid = d[1]["id"].as_str().unwrap().parse().unwrap();
    let other: uuid::Uuid = d[0]["id"].as_str().unwrap().parse().unwrap();
    let mut conn = app.conn();
    let t0 = Utc::now();
    palabre::webhooks::deliver::deliver(&mut conn, &app.settings, delivery, t0).unwrap();
    assert_eq!(receiver.received().len(), 1);
    // The endpoint just failed: the other delivery waits for the hook's next attempt instead of
    // spending a timeout on it.
    palabre::webhooks::deliver::deliver(&mut conn, &app.settings, other, t0 + Duration::seconds(1))
        .unwrap();
    assert_eq!(
        receiver.received().len(),
        1,
        "one attempt at a time on a failing endpoint"
    );
    let d = deliveries(&app, &admin, &hook).await;
    assert_eq!(d[0]["attempts"], 0);
    // Failing for 23 hours: still enabled, still retried.
    for hours in [6, 12, 23] {
        palabre::webhooks::deliver::deliver(
            &mut conn,
            &app.settings,
            delivery,
            t0 + Duration::hours(hours),
        )
        .unwrap();
    }
    let (_, h) = json(
        app.get_as(&format!("/api/v1/admin/webhooks/{}", id(&hook)), &admin)
            .await,
    )
    .await;
    assert_eq!(h["enabled"], true, "{h}");
    assert!(h["failing_since"].is_string());
    // A day: disabled, its delivery given up, administrators told.
    palabre::webhooks::deliver::deliver(
        &mut conn,
        &app.settings,
        delivery,
        t0 + Duration::hours(24),
    )
    .unwrap();
    assert_eq!(receiver.received().len(), 5);
    let (_, h) = json(
        app.get_as(&format!("/api/v1/admin/webhooks/{}", id(&hook)), &admin)
            .await,
    )
    .await;
    assert_eq!(h["enabled"], false, "{h}");
    assert!(
        h["disabled_reason"].as_str().unwrap().contains("HTTP 500"),
        "{h}"
    );
    let d = deliveries(&app, &admin, &hook).await;
    assert_eq!(
        (d[1]["status"].clone(), d[1]["attempts"].clone()),
        (json!("failed"), json!(5))
    );
    let (_, n) = json(app.get_as("/api/v1/notifications", &admin).await).await;
    assert_eq!(n["items"][0]["kind"], "webhook_disabled", "{n}");
    assert_eq!(
        n["items"][0]["target"],
        json!({"type": "webhook", "id": hook["id"], "title": receiver.url("/dead")})
    );
    // No more deliveries: new events do not queue for it, the test action is refused.
    publish("Haies du Morbihan").await;
    assert_eq!(
        d[0]["status"], "failed",
        "the waiting delivery is given up with its hook"
    );
    assert_eq!(deliveries(&app, &admin, &hook).await.len(), 2);
    let resp = app
        .authed(
            Method::POST,
            &format!("/api/v1/admin/webhooks/{}/test", id(&hook)),
            &admin,
        )
        .send()
        .await
        .unwrap();
    problem(resp, 409).await;
    // Turned back on, it starts afresh.
    let resp = app
        .authed(
            Method::PATCH,
            &format!("/api/v1/admin/webhooks/{}", id(&hook)),
            &admin,
        )
        .json(&json!({"enabled": true}))
        .send()
        .await
        .unwrap();
    let (status, h) = json(resp).await;
    assert_eq!(
        (status, h["enabled"].clone(), h["failing_since"].clone()),
        (200, json!(true), json!(null))
    );
}

#[tokio::test]
async fn endpoints_must_be_https_and_outside_the_hosts_network() {
    let app = TestApp::spawn();
    let admin = app.admin("admin").await;
    for url in [
        "http://example.org/hook",
        "https://127.0.0.1/hook",
        "https://localhost:8443/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://10.0.0.7/hook",
    ] {
        let resp = app
            .authed(Method::POST, "/api/v1/admin/webhooks", &admin)
            .json(&json!({"url": url, "events": ["post.created"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            problem(resp, 422).await["errors"][0]["field"],
            "url",
            "{url}"
        );
    }
    let resp = app
        .authed(Method::POST, "/api/v1/admin/webhooks", &admin)
        .json(&json!({"url": "https://127.0.0.1/hook", "events": []}))
        .send()
        .await
        .unwrap();
    let p = problem(resp, 422).await;
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["url", "events"]);
    let resp = app
        .authed(Method::POST, "/api/v1/admin/webhooks", &admin)
        .json(&json!({"url": "https://127.0.0.1/hook", "events": ["pas.un.evenement"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(problem(resp, 422).await["errors"][0]["field"], "events[0]");
    let (_, page) = json(app.get_as("/api/v1/admin/webhooks", &admin).await).await;
    assert_eq!(
        page["items"].as_array().unwrap().len(),
        0,
        "nothing refused was stored"
    );
}

#[tokio::test]
async fn challenge_moves_news_and_decisions_go_out_without_what_is_private() {
    use crate::challenges::{move_to, proposal, propose};
    let app = private_app();
    let receiver = Receiver::start();
    let admin = app.admin("admin").await;
    let maelle = app.member("maelle").await;
    category(&app, &admin, "general", "everyone").await;
    let hook = register(
        &app,
        &admin,
        &receiver.url("/all"),
        json!([
            "challenge.status_changed",
            "moderation.decision",
            "commun.news",
            "thread.created"
        ]),
    )
    .await;
    let secret = hook["secret"].as_str().unwrap().to_string();
    // A draft is private: its creation is withheld; once submitted it goes out.
    let c = propose(&app, &maelle, proposal("Haies du Léon")).await;
    app.worker().run_until_idle().unwrap();
    let before = receiver.received().len();
    assert_eq!(
        move_to(&app, &maelle, id(&c), "submitted").await.status(),
        200
    );
    app.worker().run_until_idle().unwrap();
    let got = receiver.received();
    let bodies: Vec<Value> = got[before..]
        .iter()
        .map(|r| serde_json::from_str(&r.body).unwrap())
        .collect();
    let moved = bodies
        .iter()
        .find(|b| b["type"] == "challenge.status_changed")
        .expect("the move went out");
    assert_eq!(
        (
            moved["data"]["challenge_id"].clone(),
            moved["data"]["to"].clone()
        ),
        (c["id"].clone(), json!("submitted"))
    );
    assert!(got.iter().all(|r| python_verifies(&secret, r)));
    let log = deliveries(&app, &admin, &hook).await;
    assert!(
        log.iter().any(|d| d["status"] == "withheld"),
        "the draft's own event stayed home: {log:?}"
    );
    // News of a commun.
    let resp = app
        .authed(Method::POST, "/api/v1/communs", &admin)
        .json(&json!({"slug": "haies", "name": "Inventaire des haies", "maintainers": ["maelle"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let resp = app
        .authed(Method::POST, "/api/v1/communs/haies/news", &maelle)
        .json(&json!({"title": "Guide de saisie publié", "body": "Le voici."}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    // A moderation decision: its facts, not the content nor whom it concerns.
    let t = thread(&app, &maelle, "general", "Un fil à masquer", "Du texte.").await;
    let resp = app
        .authed(
            Method::POST,
            &format!("/api/v1/threads/{}/moderation", id(&t)),
            &admin,
        )
        .json(&json!({"action": "hide", "reason": "Hors sujet"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    app.worker().run_until_idle().unwrap();
    let bodies: Vec<Value> = receiver
        .received()
        .iter()
        .map(|r| serde_json::from_str(&r.body).unwrap())
        .collect();
    let news = bodies
        .iter()
        .find(|b| b["type"] == "commun.news")
        .expect("news went out");
    assert_eq!(
        (
            news["data"]["commun"].clone(),
            news["data"]["title"].clone()
        ),
        (json!("haies"), json!("Guide de saisie publié"))
    );
    let decision = bodies
        .iter()
        .find(|b| b["type"] == "moderation.decision")
        .expect("the decision went out");
    assert_eq!(decision["data"]["target_type"], "thread");
    let text = decision.to_string();
    assert!(
        !text.contains(id(&t)) && !text.contains("Un fil à masquer") && !text.contains("maelle"),
        "{text}"
    );
    // The hidden thread's own creation event was withheld.
    assert!(
        !bodies
            .iter()
            .any(|b| b["type"] == "thread.created" && b["data"]["thread_id"] == t["id"]),
        "nothing of the hidden thread"
    );
}

#[tokio::test]
async fn the_sweep_requeues_a_delivery_that_lost_its_job_and_forgets_old_ones() {
    use diesel::prelude::*;
    let app = private_app();
    let receiver = Receiver::start();
    let admin = app.admin("admin").await;
    let maelle = app.member("maelle").await;
    category(&app, &admin, "general", "everyone").await;
    let hook = register(&app, &admin, &receiver.url("/h"), json!(["thread.created"])).await;
    thread(&app, &maelle, "general", "Un fil à livrer", "Bonjour.").await;
    let mut conn = app.conn();
    // The job is lost (a crash, a clock disagreement): nothing would deliver it.
    diesel::sql_query("DELETE FROM jobs WHERE kind = 'webhook_delivery'")
        .execute(&mut conn)
        .unwrap();
    app.worker().run_until_idle().unwrap();
    assert!(receiver.received().is_empty());
    let (requeued, _) =
        palabre::webhooks::deliver::sweep(&mut conn, Utc::now() + Duration::minutes(10)).unwrap();
    assert_eq!(requeued, 1);
    app.worker().run_until_idle().unwrap();
    assert_eq!(receiver.received().len(), 1);
    assert_eq!(
        deliveries(&app, &admin, &hook).await[0]["status"],
        "delivered"
    );
    // A month later the finished delivery leaves the log.
    let (_, removed) =
        palabre::webhooks::deliver::sweep(&mut conn, Utc::now() + Duration::days(31)).unwrap();
    assert_eq!(removed, 1);
    assert!(deliveries(&app, &admin, &hook).await.is_empty());
}
