//! The read cache over HTTP: hot anonymous reads served from memory, dropped by the database's
//! notifications in this process and in another `serve` on the same database; everything dropped
//! when the listening connection comes back; the `Cache-Control` a shared cache can honour.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{TempDir, TestApp, category, id, json, reply, thread};

const BIN: &str = env!("CARGO_BIN_EXE_palabre");

/// A counter of the read cache from `/metrics`.
async fn counter(app: &TestApp, name: &str) -> i64 {
    let text = app.metrics().await.text().await.unwrap();
    let prefix = format!("palabre_read_cache{{counter=\"{name}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .map(|v| v.trim().parse().unwrap())
        .unwrap_or(0)
}

/// Waits for the cache's counter `name` to reach `at_least` (it is moved by a notification or a
/// reconnection, which the test cannot await otherwise). Bounded: a cache that never hears the
/// database fails here.
async fn until(app: &TestApp, name: &str, at_least: i64) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while counter(app, name).await < at_least {
        assert!(Instant::now() < deadline, "{name} never reached {at_least}");
        tokio::task::yield_now().await;
    }
}

/// An anonymous GET: status, `X-Cache`, `ETag`, body.
async fn get(base: &str, path: &str, etag: Option<&str>) -> (u16, String, String, Value) {
    let mut req = reqwest::Client::new().get(format!("{base}{path}"));
    if let Some(e) = etag {
        req = req.header("if-none-match", e);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let header = |h: &str| {
        resp.headers()
            .get(h)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };
    let (cache, tag) = (header("x-cache"), header("etag"));
    let body = if status == 200 {
        resp.json().await.unwrap()
    } else {
        Value::Null
    };
    (status, cache, tag, body)
}

fn cached(tune: &mut palabre::config::Settings) {
    tune.read_cache = true;
}

#[tokio::test]
async fn anonymous_hot_reads_come_from_memory_until_a_write_is_notified() {
    let app = TestApp::spawn_with(cached, |_| {});
    until(&app, "live", 1).await;
    let admin = app.admin("admin_rc").await;
    let anne = app.member("anne_rc").await;
    category(&app, &admin, "forets", "everyone").await;
    let t = thread(&app, &anne, "forets", "Haies en cache", "Premier message.").await;
    let tid = id(&t).to_string();
    let base = app.url("");
    let paths = [
        format!("/api/v1/threads/{tid}"),
        format!("/api/v1/threads/{tid}/posts"),
        "/api/v1/threads".to_string(),
        "/api/v1/threads?category=forets&sort=active".to_string(),
        "/api/v1/categories".to_string(),
    ];
    // Each read: a miss, then a hit with the same body and ETag, and a 304 from memory.
    let mut seen = Vec::new();
    for path in &paths {
        let (status, first, tag, body) = get(&base, path, None).await;
        assert_eq!((status, first.as_str()), (200, "miss"), "{path}");
        let (status, again, tag2, body2) = get(&base, path, None).await;
        assert_eq!((status, again.as_str()), (200, "hit"), "{path}");
        assert_eq!((&tag, &body), (&tag2, &body2), "{path}");
        let (status, cached, _, _) = get(&base, path, Some(&tag)).await;
        assert_eq!((status, cached.as_str()), (304, "hit"), "{path}");
        seen.push(body);
    }
    // Members' reads carry their own fields: never from memory, and private.
    let resp = app
        .authed(Method::GET, &format!("/api/v1/threads/{tid}"), &anne)
        .send()
        .await
        .unwrap();
    assert!(resp.headers().get("x-cache").is_none());
    assert_eq!(resp.headers()["cache-control"], "private, no-cache");

    // A reply through the API: its transaction notifies; once heard, every read above is read
    // again and shows it.
    let before = counter(&app, "invalidations").await;
    reply(&app, &admin, &t, "Une réponse", None).await;
    until(&app, "invalidations", before + 1).await;
    let (_, cache, _, body) = get(&base, &paths[0], None).await;
    assert_eq!((cache.as_str(), &body["reply_count"]), ("miss", &json!(1)));
    let (_, cache, _, body) = get(&base, &paths[1], None).await;
    assert_eq!(
        (cache.as_str(), body["items"][0]["body"].as_str()),
        ("miss", Some("Une réponse"))
    );
    for (path, old) in paths[2..].iter().zip(&seen[2..]) {
        let (_, cache, _, body) = get(&base, path, None).await;
        assert_eq!(cache, "miss", "{path}");
        assert_ne!(&body, old, "{path}: counters moved");
    }

    // A write straight to the database is heard too (the triggers send it, not the handlers):
    // a member's new display name shows in every thread.
    for path in &paths {
        get(&base, path, None).await;
    }
    let before = counter(&app, "invalidations").await;
    diesel::sql_query(
        "UPDATE users SET display_name = 'Anne des Haies' WHERE username = 'anne_rc'",
    )
    .execute(&mut app.conn())
    .unwrap();
    until(&app, "invalidations", before + 1).await;
    let (_, cache, _, body) = get(&base, &paths[0], None).await;
    assert_eq!(cache, "miss");
    assert_eq!(body["author"]["display_name"], "Anne des Haies");

    // The listening connection lost: nothing is served from memory until it is back, and then
    // everything is read again (a change made meanwhile may not have been heard).
    assert_eq!(get(&base, &paths[0], None).await.1, "hit");
    let connects = counter(&app, "connects").await;
    diesel::sql_query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE application_name = 'palabre-listen' AND datname = current_database()",
    )
    .execute(&mut app.conn())
    .unwrap();
    diesel::sql_query(
        "UPDATE threads SET title = 'Haies, titre changé' WHERE title = 'Haies en cache'",
    )
    .execute(&mut app.conn())
    .unwrap();
    until(&app, "connects", connects + 1).await;
    until(&app, "live", 1).await;
    let (_, cache, _, body) = get(&base, &paths[0], None).await;
    assert_eq!(cache, "miss");
    assert_eq!(body["title"], "Haies, titre changé");
}

/// `Cache-Control` for shared caches, with the cache on or off.
#[tokio::test]
async fn anonymous_reads_tell_shared_caches_how_long_to_keep_them() {
    let app = TestApp::spawn_with(|s| s.shared_cache_seconds = 7, |_| {});
    let admin = app.admin("admin_cc2").await;
    category(&app, &admin, "forets", "everyone").await;
    let resp = app.get("/api/v1/threads").await;
    assert_eq!(
        resp.headers()["cache-control"],
        "public, max-age=0, s-maxage=7, must-revalidate"
    );
    assert_eq!(resp.headers()["vary"], "Authorization");
    assert!(resp.headers().contains_key("etag"));
    let resp = app.get("/api/v1/categories").await;
    assert_eq!(
        resp.headers()["cache-control"],
        "public, max-age=0, s-maxage=7, must-revalidate"
    );
    // With a token: private. Errors: nothing to keep. Open data keeps its own.
    let resp = app.get_as("/api/v1/threads", &admin).await;
    assert_eq!(resp.headers()["cache-control"], "private, no-cache");
    let resp = app
        .get("/api/v1/threads/01938a4e-0000-7000-8000-000000000000")
        .await;
    assert_eq!(resp.status(), 404);
    assert!(resp.headers().get("cache-control").is_none());
    let resp = app.get("/api/v1/open-data/communs.csv").await;
    assert_eq!(resp.headers()["cache-control"], "public, max-age=300");
    // Tokens in the path are never stored.
    let resp = app.get("/api/v1/unsubscribe/abc").await;
    assert_eq!(resp.headers()["cache-control"], "no-store");
}

/// A `palabre serve` on the test's database, with the read cache on.
struct Node {
    child: Child,
    lines: Receiver<String>,
    base: String,
}

impl Node {
    fn start(db: &crate::support::TestDb, dir: &std::path::Path) -> Self {
        let mut cmd = Command::new(BIN);
        for (k, _) in std::env::vars() {
            if k.starts_with("PALABRE_") && k != "PALABRE_PG_BINDIR" {
                cmd.env_remove(k);
            }
        }
        if db.pooler == palabre::db::DbPooler::Transaction {
            // Through the pooler; the cache listens on a direct connection.
            cmd.env("PALABRE_DB_POOLER", "transaction")
                .env("PALABRE_LISTEN_DATABASE_URL", &db.url);
        }
        let mut child = cmd
            .current_dir(dir)
            .stdin(Stdio::null())
            .env("DATABASE_URL", &db.app_url)
            .env("PALABRE_DATA_DIR", dir)
            .env("PALABRE_BIND", "127.0.0.1:0")
            .env("PALABRE_PUBLIC_URL", "http://palabre.test")
            .env(
                "PALABRE_JWT_SECRET",
                "two-nodes-secret-two-nodes-secret-0123",
            )
            .env("PALABRE_RATE_LIMITS", "off")
            .env("PALABRE_APPROVE_FIRST_POSTS", "0")
            .env("PALABRE_READ_CACHE", "on")
            .env("PALABRE_DB_POOL_SIZE", "2")
            .env("PALABRE_HTTP_WORKERS", "1")
            .env("PALABRE_LOG", "info")
            .arg("serve")
            .arg("--no-worker")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut node = Node {
            child,
            lines,
            base: String::new(),
        };
        let listening = node.wait_for("palabre listening");
        node.base = format!("http://{}", listening["addr"].as_str().unwrap());
        node.wait_for("the read cache listens for changes");
        node
    }

    /// The next log line with this message (JSON logs: stdout is a pipe).
    fn wait_for(&self, message: &str) -> Value {
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(60))
                .unwrap_or_else(|_| panic!("serve never logged `{message}`"));
            let v: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
            if v["message"] == message {
                return v;
            }
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        // SAFETY: a signal to our own child.
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        let _ = self.child.wait();
    }
}

/// Reads `path` anonymously from `base` until it is read again from the database, checking that
/// until then only the old body is served from memory; returns the new body.
async fn until_fresh(base: &str, path: &str, old: &Value) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, cache, _, body) = get(base, path, None).await;
        assert_eq!(status, 200);
        if cache == "miss" {
            return body;
        }
        assert_eq!(
            &body, old,
            "from memory: the old body, until the notification arrives"
        );
        assert!(
            Instant::now() < deadline,
            "{path}: the notification never arrived"
        );
        tokio::task::yield_now().await;
    }
}

#[tokio::test]
async fn a_write_through_one_node_is_seen_through_the_other() {
    let app = TestApp::spawn();
    let admin = app.admin("admin_2n").await;
    app.member("anne_2n").await;
    category(&app, &admin, "forets", "everyone").await;
    let t = thread(&app, &admin, "forets", "Deux nœuds", "Un fil lu partout.").await;
    let tid = id(&t).to_string();
    let dir_a = TempDir::new("palabre-node-a");
    let dir_b = TempDir::new("palabre-node-b");
    let a = Node::start(&app.db, &dir_a.0);
    let b = Node::start(&app.db, &dir_b.0);

    let login = reqwest::Client::new()
        .post(format!("{}/api/v1/auth/login", a.base))
        .json(&json!({"login": "anne_2n", "password": crate::support::PASSWORD}))
        .send()
        .await
        .unwrap();
    let (status, tokens) = json(login).await;
    assert_eq!(status, 200, "{tokens}");
    let token = tokens["access_token"].as_str().unwrap().to_string();

    let thread_path = format!("/api/v1/threads/{tid}");
    let replies_path = format!("{thread_path}/posts");
    let list_path = "/api/v1/threads?category=forets";
    // Node B holds the three reads in memory.
    let mut old = Vec::new();
    for path in [&thread_path, &replies_path, &list_path.to_string()] {
        get(&b.base, path, None).await;
        let (_, cache, _, body) = get(&b.base, path, None).await;
        assert_eq!(cache, "hit", "{path}");
        old.push(body);
    }
    // Anne replies through node A.
    let resp = reqwest::Client::new()
        .post(format!("{}{replies_path}", a.base))
        .bearer_auth(&token)
        .json(&json!({"body": "Vu depuis l'autre nœud"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    // Node B serves its old copy only until the notification arrives, then the reply.
    let read = until_fresh(&b.base, &thread_path, &old[0]).await;
    assert_eq!(read["reply_count"], 1);
    let replies = until_fresh(&b.base, &replies_path, &old[1]).await;
    assert_eq!(replies["items"][0]["body"], "Vu depuis l'autre nœud");
    let list = until_fresh(&b.base, list_path, &old[2]).await;
    assert_eq!(list["items"][0]["last_poster"]["username"], "anne_2n");
    // And keeps the new one.
    let (_, cache, _, body) = get(&b.base, &thread_path, None).await;
    assert_eq!((cache.as_str(), &body), ("hit", &read));

    // A's listening connection lost and back: it starts empty.
    get(&a.base, &thread_path, None).await;
    assert_eq!(get(&a.base, &thread_path, None).await.1, "hit");
    diesel::sql_query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE application_name = 'palabre-listen' AND datname = current_database()",
    )
    .execute(&mut app.conn())
    .unwrap();
    a.wait_for("the read cache listens for changes");
    b.wait_for("the read cache listens for changes");
    assert_eq!(get(&a.base, &thread_path, None).await.1, "miss");
    assert_eq!(get(&b.base, &thread_path, None).await.1, "miss");
}
