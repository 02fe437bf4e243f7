//! Test support: one throwaway PostgreSQL cluster per test run (or `PALABRE_TEST_DATABASE_URL`), a
//! template database migrated once, and per test a database cloned from it and the real app served
//! over HTTP on a free port.

pub mod contract;
pub mod fixtures;
pub mod receiver;
pub mod smtp;

pub use fixtures::{category, category_named, create_org, id, reply, tag, thread};

use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};
use std::thread::JoinHandle;

use actix_web::dev::ServerHandle;
use diesel::prelude::*;
use palabre::app::Application;
use palabre::config::Settings;
use palabre::db::{self, Pool, embedded::LocalPostgres};
use palabre::jobs::{JobContext, Registry, Worker, WorkerConfig};
use palabre::mail::Mailer;
use serde_json::Value;

struct Cluster {
    /// URL of a maintenance database on the cluster (for CREATE/DROP DATABASE).
    admin_url: String,
    template: String,
    /// `postgresql://…/{db}` with `{db}` to replace.
    url_pattern: String,
    /// `PALABRE_TEST_POOLER_URL`: a transaction-mode PgBouncer in front of the cluster; the apps
    /// then connect through it (`PALABRE_DB_POOLER=transaction`), and set-up SQL goes direct.
    pooler_pattern: Option<String>,
}

static LOCAL: Mutex<Option<(LocalPostgres, PathBuf)>> = Mutex::new(None);
static CLUSTER: OnceLock<Cluster> = OnceLock::new();

extern "C" fn stop_cluster_at_exit() {
    if let Ok(mut guard) = LOCAL.lock()
        && let Some((mut pg, dir)) = guard.take()
    {
        pg.stop();
        let _ = std::fs::remove_dir_all(dir);
    }
    if let Some(c) = CLUSTER.get()
        && std::env::var("PALABRE_TEST_DATABASE_URL").is_ok()
        && let Ok(mut conn) = PgConnection::establish(&c.admin_url)
    {
        let _ = diesel::sql_query(format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            c.template
        ))
        .execute(&mut conn);
    }
}

fn replace_db(url: &str, db: &str) -> String {
    // postgresql://user@host:port/dbname?params  →  same with another dbname
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let path_start = base[scheme_end..].find('/').map(|i| i + scheme_end);
    let prefix = match path_start {
        Some(i) => &base[..i],
        None => base,
    };
    match query {
        Some(q) => format!("{prefix}/{db}?{q}"),
        None => format!("{prefix}/{db}"),
    }
}

fn cluster() -> &'static Cluster {
    CLUSTER.get_or_init(|| {
        let admin_url = match std::env::var("PALABRE_TEST_DATABASE_URL") {
            Ok(url) => url,
            Err(_) => {
                let dir = std::env::temp_dir().join(format!("palabre-test-{}", std::process::id()));
                let _ = std::fs::remove_dir_all(&dir);
                let pg = LocalPostgres::start(
                    &dir,
                    &db::embedded::Options {
                        bindir: std::env::var_os("PALABRE_PG_BINDIR").map(PathBuf::from),
                        ephemeral: true,
                    },
                )
                .expect("start a throwaway PostgreSQL cluster for the tests");
                let url = pg.url_for("postgres");
                *LOCAL.lock().unwrap() = Some((pg, dir));
                url
            }
        };
        // SAFETY: registering a plain extern "C" function.
        unsafe {
            libc::atexit(stop_cluster_at_exit);
        }
        let template = format!("palabre_tpl_{}", uuid::Uuid::now_v7().simple());
        let mut admin = PgConnection::establish(&admin_url).expect("connect to the test cluster");
        diesel::sql_query(format!("CREATE DATABASE {template}"))
            .execute(&mut admin)
            .expect("create the template database");
        let url_pattern = replace_db(&admin_url, "{db}");
        let mut conn = PgConnection::establish(&url_pattern.replace("{db}", &template)).unwrap();
        db::migrate(&mut conn).expect("migrate the template database");
        drop(conn);
        let pooler_pattern = std::env::var("PALABRE_TEST_POOLER_URL")
            .ok()
            .map(|url| replace_db(&url, "{db}"));
        Cluster {
            admin_url,
            template,
            url_pattern,
            pooler_pattern,
        }
    })
}

/// A fresh database cloned from the migrated template; dropped when this value is dropped.
pub struct TestDb {
    pub name: String,
    /// A direct connection (set-up SQL, the read cache's listener).
    pub url: String,
    /// What the app connects to: the pooler when there is one, else `url`.
    pub app_url: String,
    pub pooler: db::DbPooler,
}

impl TestDb {
    pub fn new() -> Self {
        Self::from_template(Some(&cluster().template))
    }

    /// An empty database (no migrations), for the schema test.
    pub fn empty() -> Self {
        Self::from_template(None)
    }

    fn from_template(template: Option<&str>) -> Self {
        let c = cluster();
        let name = format!("t_{}", uuid::Uuid::now_v7().simple());
        let mut admin = PgConnection::establish(&c.admin_url).expect("connect to the test cluster");
        let sql = match template {
            Some(t) => format!("CREATE DATABASE {name} TEMPLATE {t} STRATEGY FILE_COPY"),
            None => format!("CREATE DATABASE {name}"),
        };
        diesel::sql_query(sql)
            .execute(&mut admin)
            .expect("create a test database");
        let url = c.url_pattern.replace("{db}", &name);
        let (app_url, pooler) = match &c.pooler_pattern {
            Some(p) => (p.replace("{db}", &name), db::DbPooler::Transaction),
            None => (url.clone(), db::DbPooler::None),
        };
        if pooler == db::DbPooler::Transaction && template.is_some() {
            let mut conn = PgConnection::establish(&url).expect("connect to the test database");
            db::role_settings(&mut conn).expect("the role's planner settings");
        }
        TestDb {
            name,
            url,
            app_url,
            pooler,
        }
    }

    pub fn connect(&self) -> PgConnection {
        PgConnection::establish(&self.url).expect("connect to the test database")
    }

    /// Runs SQL on the cluster's maintenance database (ALTER DATABASE, pg_terminate_backend, …).
    pub fn admin_execute(&self, sql: &str) {
        let mut admin = PgConnection::establish(&cluster().admin_url).unwrap();
        diesel::sql_query(sql).execute(&mut admin).unwrap();
    }
}

impl TestDb {
    /// Cuts the database off: new connections refused, open ones terminated.
    pub fn cut_off(&self) {
        self.admin_execute(&format!(
            "ALTER DATABASE {} ALLOW_CONNECTIONS false",
            self.name
        ));
        self.admin_execute(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{}'",
            self.name
        ));
    }

    /// Lets connections in again after [`TestDb::cut_off`].
    pub fn restore(&self) {
        self.admin_execute(&format!(
            "ALTER DATABASE {} ALLOW_CONNECTIONS true",
            self.name
        ));
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Ok(mut admin) = PgConnection::establish(&cluster().admin_url) {
            let _ = diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut admin);
        }
    }
}

/// The real application on a free port, on its own database, with the memory mail transport.
pub struct TestApp {
    pub base: String,
    /// The metrics listener (`PALABRE_METRICS_BIND`), when the settings have one.
    pub metrics_base: Option<String>,
    pub client: reqwest::Client,
    pub pool: Pool,
    /// Statements run by the app's own pool.
    pub statements: db::StatementCounter,
    pub mailer: Mailer,
    pub settings: std::sync::Arc<Settings>,
    server: Option<(ServerHandle, JoinHandle<()>)>,
    /// Responses that broke the OpenAPI document's contract (see [`contract`]).
    violations: contract::Violations,
    _data_dir: TempDir,
    // Declared last: dropped after the server and the pool.
    pub db: TestDb,
}

/// A directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(prefix: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("{prefix}-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl TestApp {
    pub fn spawn() -> Self {
        Self::spawn_with(|_| {}, |_| {})
    }

    /// `tune` adjusts the settings; `extra` mounts extra routes.
    pub fn spawn_with(
        tune: impl FnOnce(&mut Settings),
        extra: fn(&mut actix_web::web::ServiceConfig),
    ) -> Self {
        let db = TestDb::new();
        let data_dir = TempDir::new("palabre-data");
        let mut settings = Settings::for_tests(db.app_url.clone(), &data_dir.0);
        settings.db_pooler = db.pooler;
        settings.listen_database_url = Some(palabre::config::Secret::new(db.url.clone()));
        // Most tests publish at once; the moderation tests turn holding back on.
        settings.approve_first_posts = 0;
        // Per-member write limits are tested on their own; other tests write as fast as they like.
        settings.moderation.posts_per_minute = 100_000;
        settings.moderation.threads_per_day = 100_000;
        settings.moderation.new_member_posts_per_minute = 100_000;
        settings.moderation.new_member_threads_per_day = 100_000;
        settings.moderation.anonymous_per_hour = 100_000;
        tune(&mut settings);
        let settings = std::sync::Arc::new(settings);
        let (pool, statements) = db::build_counted_pool(
            &db.app_url,
            settings.db_pool_size,
            0,
            std::time::Duration::from_secs(5),
            settings.db_pooler,
        )
        .unwrap();
        let mailer = Mailer::memory();
        let mut state = palabre::app::state(pool.clone(), settings.clone())
            .unwrap()
            .with_read_cache(&db.url);
        let violations = contract::Violations::default();
        let seen = violations.clone();
        state.observer = Some(std::sync::Arc::new(move |o| contract::check(o, &seen)));
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let app = Application::build_with(state, extra).expect("build the app");
                tx.send((app.addr(), app.metrics_addr(), app.handle()))
                    .unwrap();
                let _ = app.run().await;
            })
        });
        let (addr, metrics_addr, handle) = rx.recv().expect("the app starts");
        TestApp {
            base: format!("http://{addr}"),
            metrics_base: metrics_addr.map(|a| format!("http://{a}")),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            pool,
            statements,
            mailer,
            settings,
            server: Some((handle, thread)),
            violations,
            _data_dir: data_dir,
            db,
        }
    }

    /// `GET /metrics` on the metrics listener.
    pub async fn metrics(&self) -> reqwest::Response {
        let base = self.metrics_base.as_ref().expect("a metrics listener");
        self.client
            .get(format!("{base}/metrics"))
            .send()
            .await
            .unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    /// `GET path` with `who`'s access token.
    pub async fn get_as(&self, path: &str, who: &Value) -> reqwest::Response {
        self.authed(reqwest::Method::GET, path, who)
            .send()
            .await
            .unwrap()
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// A connection of its own to this app's database.
    pub fn conn(&self) -> PgConnection {
        self.db.connect()
    }

    /// A job worker on this app's database, with the app's mailer and no backoff.
    pub fn worker(&self) -> Worker {
        self.worker_mailing_through(self.mailer.clone())
    }

    /// A job worker running every job kind of the app, delivering mail through `mailer`.
    pub fn worker_mailing_through(&self, mailer: Mailer) -> Worker {
        self.worker_with(palabre::app::job_registry(&mailer))
    }

    /// A job worker running the job kinds of `registry`.
    pub fn worker_with(&self, registry: Registry) -> Worker {
        Worker::new(
            JobContext {
                pool: self.pool.clone(),
                settings: self.settings.clone(),
            },
            registry,
            WorkerConfig {
                max_attempts: 5,
                backoff: std::time::Duration::ZERO,
                max_backoff: std::time::Duration::ZERO,
                poll_interval: std::time::Duration::from_millis(20),
            },
        )
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some((handle, thread)) = self.server.take() {
            // The server runs on its own thread and runtime; stop it from yet another one, so that
            // this works inside and outside of a test's async runtime.
            std::thread::spawn(move || actix_web::rt::System::new().block_on(handle.stop(false)))
                .join()
                .ok();
            let _ = thread.join();
        }
        let violations = std::mem::take(&mut *self.violations.lock().unwrap());
        if !std::thread::panicking() && !violations.is_empty() {
            panic!(
                "responses that break the OpenAPI document (api-spec/openapi.json):\n  {}",
                violations.join("\n  ")
            );
        }
    }
}

/// Reads a response as (status, JSON body), asserting the body is JSON.
pub async fn json(resp: reqwest::Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (status, body)
}

/// Asserts an RFC 9457 problem response with `status`; returns its body.
pub async fn problem(resp: reqwest::Response, status: u16) -> Value {
    assert_eq!(resp.status().as_u16(), status, "status");
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert_eq!(ct, "application/problem+json", "content type");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["status"], status);
    assert!(
        body["type"]
            .as_str()
            .unwrap()
            .starts_with("urn:palabre:problem:")
    );
    assert!(body["title"].is_string());
    body
}

// ---- accounts helpers ------------------------------------------------------------------------

pub const PASSWORD: &str = "Forêt domaniale de Brocéliande 1789!";

impl TestApp {
    /// Runs the jobs and returns the `token` of the last link mailed to `to`.
    pub fn mailed_token(&self, to: &str) -> String {
        self.worker().run_until_idle().unwrap();
        let sent = self.mailer.sent();
        let mail = sent
            .iter()
            .rev()
            .find(|m| m.to.iter().any(|t| t == to))
            .unwrap_or_else(|| panic!("no mail to {to}"));
        let parsed = mail_parser::MessageParser::default()
            .parse(mail.raw.as_bytes())
            .unwrap();
        let text = parsed.body_text(0).unwrap().to_string();
        let start = text.find("token=").expect("a link with a token") + "token=".len();
        text[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect()
    }

    pub async fn register(&self, username: &str) -> reqwest::Response {
        self.post_json(
            "/api/v1/auth/register",
            &serde_json::json!({
                "username": username,
                "email": format!("{}@example.org", username.to_lowercase()),
                "password": PASSWORD,
                "display_name": format!("{username} Display"),
            }),
        )
        .await
    }

    pub async fn login(&self, login: &str, password: &str) -> reqwest::Response {
        self.post_json(
            "/api/v1/auth/login",
            &serde_json::json!({"login": login, "password": password}),
        )
        .await
    }

    /// Registers, verifies and logs in a member; returns the login response (tokens).
    pub async fn member(&self, username: &str) -> Value {
        let resp = self.register(username).await;
        assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());
        let email = format!("{}@example.org", username.to_lowercase());
        let token = self.mailed_token(&email);
        let resp = self
            .post_json(
                "/api/v1/auth/verify-email",
                &serde_json::json!({ "token": token }),
            )
            .await;
        assert_eq!(resp.status(), 204);
        let (status, tokens) = json(self.login(username, PASSWORD).await).await;
        assert_eq!(status, 200, "{tokens}");
        tokens
    }

    /// A verified administrator, logged in.
    pub async fn admin(&self, username: &str) -> Value {
        let mut conn = self.conn();
        palabre::accounts::models::create_user(
            &mut conn,
            palabre::accounts::NewUser {
                username: username.into(),
                email: format!("{username}@example.org"),
                display_name: None,
                password: PASSWORD.into(),
                role: palabre::accounts::Role::Admin,
                locale: "fr".into(),
                verified: true,
            },
        )
        .unwrap();
        let (status, tokens) = json(self.login(username, PASSWORD).await).await;
        assert_eq!(status, 200);
        tokens
    }

    pub fn authed(
        &self,
        method: reqwest::Method,
        path: &str,
        tokens: &Value,
    ) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(tokens["access_token"].as_str().unwrap())
    }
}
