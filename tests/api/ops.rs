use crate::support::{TestApp, json, problem};

#[tokio::test]
async fn healthz_answers_with_a_request_id() {
    let app = TestApp::spawn();
    let resp = app.get("/healthz").await;
    let id1 = resp.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(resp.headers()["content-type"], "application/json");
    let (status, body) = json(resp).await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "ok");
    let id2 = app.get("/healthz").await.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    assert_ne!(id1, id2, "each request gets its own id");
    assert_eq!(id1.len(), 36, "a UUID");

    // A well-formed client id is kept; a malformed one is replaced.
    let resp = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "trace-abc_123")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["x-request-id"], "trace-abc_123");
    let resp = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "bad id; drop table")
        .send()
        .await
        .unwrap();
    assert_ne!(resp.headers()["x-request-id"], "bad id; drop table");
    // Errors carry one too.
    let resp = app.get("/nowhere").await;
    assert!(resp.headers().contains_key("x-request-id"));
}

#[tokio::test]
async fn readyz_follows_the_database_without_a_restart() {
    let app = TestApp::spawn();
    let (status, body) = json(app.get("/readyz").await).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ready")));

    // Cut the database off: refuse new connections and end the open ones.
    app.db.cut_off();
    let body = problem(app.get("/readyz").await, 503).await;
    assert!(
        !body.to_string().contains("terminat"),
        "no internal message leaks: {body}"
    );
    // Still down on the next try (a dead pooled connection is not reused).
    problem(app.get("/readyz").await, 503).await;

    app.db.restore();
    // The pool reconnects by itself; each probe waits up to 1 s for a connection.
    let mut ready = false;
    for _ in 0..20 {
        if app.get("/readyz").await.status() == 200 {
            ready = true;
            break;
        }
    }
    assert!(ready, "readyz is 200 again once the database is back");
}

#[tokio::test]
async fn readyz_is_503_while_migrations_are_pending() {
    let app = TestApp::spawn();
    {
        let mut conn = app.conn();
        use diesel::RunQueryDsl;
        diesel::sql_query("DELETE FROM __diesel_schema_migrations WHERE version = (SELECT max(version) FROM __diesel_schema_migrations)")
            .execute(&mut conn)
            .unwrap();
    }
    problem(app.get("/readyz").await, 503).await;
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_and_status() {
    let app = TestApp::spawn();
    app.get("/healthz").await;
    app.get("/healthz").await;
    app.get("/no/such/route").await;
    app.client.delete(app.url("/healthz")).send().await.unwrap();
    {
        let mut conn = app.conn();
        palabre::jobs::enqueue(
            &mut conn,
            palabre::jobs::NewJob::new("noop", serde_json::json!({})),
        )
        .unwrap();
    }
    let resp = app.metrics().await;
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = resp.text().await.unwrap();
    assert!(
        text.contains(
            r#"palabre_http_requests_total{method="GET",route="/healthz",status="200"} 2"#
        ),
        "{text}"
    );
    assert!(
        text.contains(r#"route="unmatched",status="404"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(r#"method="DELETE",route="/healthz",status="405"} 1"#),
        "{text}"
    );
    assert!(
        text.contains("palabre_http_request_duration_seconds_bucket{route=\"/healthz\""),
        "{text}"
    );
    assert!(
        text.contains("palabre_db_pool_connections{state=\"in_use\"}"),
        "{text}"
    );
    assert!(
        text.contains("palabre_db_pool_connections{state=\"idle\"}"),
        "{text}"
    );
    assert!(text.contains("palabre_jobs{status=\"queued\"} 1"), "{text}");
    assert!(text.contains("palabre_jobs{status=\"failed\"} 0"), "{text}");
}

#[tokio::test]
async fn cors_allows_configured_origins_only() {
    let app = TestApp::spawn_with(
        |s| s.cors_origins = vec!["https://geocommuns.example".into()],
        |_| {},
    );
    let resp = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/healthz"))
        .header("origin", "https://geocommuns.example")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["access-control-allow-origin"],
        "https://geocommuns.example"
    );
    let resp = app
        .client
        .get(app.url("/healthz"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert!(!resp.headers().contains_key("access-control-allow-origin"));
}

/// `/metrics` is not on the API's listener; its own listener serves nothing else; without
/// `PALABRE_METRICS_BIND` there is none (issue 11).
#[tokio::test]
async fn metrics_are_served_apart_from_the_api() {
    let app = TestApp::spawn();
    problem(app.get("/metrics").await, 404).await;
    let resp = app.metrics().await;
    assert_eq!(resp.status(), 200);
    let base = app.metrics_base.clone().unwrap();
    for path in ["/api/v1/threads", "/healthz", "/docs/"] {
        let resp = app
            .client
            .get(format!("{base}{path}"))
            .send()
            .await
            .unwrap();
        problem(resp, 404).await;
    }
    let off = TestApp::spawn_with(|s| s.metrics_bind = None, |_| {});
    assert!(off.metrics_base.is_none());
    problem(off.get("/metrics").await, 404).await;
}

/// Sends raw bytes and returns the status and the parsed problem document of the answer.
async fn raw(app: &TestApp, request: Vec<u8>) -> (u16, String, serde_json::Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.base.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    // The server may answer and close before the whole request is written.
    let _ = stream.write_all(&request).await;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    let text = String::from_utf8_lossy(&answer).to_string();
    let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP answer");
    let status: u16 = head[9..12].parse().unwrap();
    assert!(
        head.to_ascii_lowercase().contains("\r\nx-request-id: "),
        "every answer carries a request id, those refused before routing too: {head}"
    );
    let content_type = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-type: ")
                .map(str::to_string)
        })
        .unwrap_or_default();
    let doc = serde_json::from_str(body).unwrap_or(serde_json::Value::Null);
    (status, content_type, doc)
}

/// What actix-http refuses before palabre sees it still gets a problem document: a request target
/// over 64 KiB is a 414, a head over 128 KiB a 431 (or 414 when the target is what is too long),
/// a malformed request line a 400 (issue 11).
#[tokio::test]
async fn unparseable_requests_get_problem_documents() {
    let app = TestApp::spawn();
    let long = format!(
        "GET /api/v1/search?q={} HTTP/1.1\r\nHost: x\r\n\r\n",
        "a".repeat(70 * 1024)
    );
    let (status, ct, doc) = raw(&app, long.into_bytes()).await;
    assert_eq!((status, ct.as_str()), (414, "application/problem+json"));
    assert_eq!(doc["status"], 414);
    assert_eq!(doc["type"], "urn:palabre:problem:uri-too-long");

    let big_head = format!(
        "GET /healthz HTTP/1.1\r\nHost: x\r\n{}\r\n",
        (0..40)
            .map(|i| format!("x-filler-{i}: {}\r\n", "b".repeat(4000)))
            .collect::<String>()
    );
    let (status, ct, doc) = raw(&app, big_head.into_bytes()).await;
    assert_eq!((status, ct.as_str()), (431, "application/problem+json"));
    assert_eq!(doc["status"], 431);

    let (status, ct, doc) = raw(&app, b"GET /healthz HTTP/1.1\r\nHost x\r\n\r\n".to_vec()).await;
    assert_eq!((status, ct.as_str()), (400, "application/problem+json"));
    assert_eq!(doc["type"], "urn:palabre:problem:bad-request");

    // A request just under the limit is served.
    let fine = format!(
        "GET /healthz?padding={} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "a".repeat(60 * 1024)
    );
    let (status, _, _) = raw(&app, fine.into_bytes()).await;
    assert_eq!(status, 200);
}
