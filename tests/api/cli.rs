//! The binary itself: configuration errors, the embedded PostgreSQL cluster, clean shutdown.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use crate::support::{TempDir, TestDb};

const BIN: &str = env!("CARGO_BIN_EXE_palabre");

/// The binary with a clean environment: no DATABASE_URL, run from a fresh directory (no stray `.env`).
fn palabre(dir: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir)
        .env_remove("DATABASE_URL")
        .stdin(Stdio::null());
    for (k, _) in std::env::vars() {
        if k.starts_with("PALABRE_") && k != "PALABRE_PG_BINDIR" {
            cmd.env_remove(k);
        }
    }
    // No PALABRE_LOG_FORMAT: stdout is a pipe, so logs must come out as JSON by themselves.
    cmd.env("PALABRE_DATA_DIR", dir.join("data"))
        .env("PALABRE_LOG", "info");
    cmd
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn a_bad_setting_stops_start_up_and_names_the_variable() {
    let dir = TempDir::new("palabre-cli");
    let out = palabre(&dir.0)
        .env("PALABRE_BIND", "not-an-address")
        .arg("serve")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("PALABRE_BIND"), "{stderr}");
    assert!(!dir.0.join("data").exists(), "nothing was started");
}

#[test]
fn a_challenges_category_that_does_not_exist_stops_start_up() {
    let db = TestDb::new();
    let dir = TempDir::new("palabre-cli");
    let out = palabre(&dir.0)
        .env("DATABASE_URL", &db.url)
        .env("PALABRE_CHALLENGES_CATEGORY", "nulle-part")
        .arg("check")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let all = text(&out);
    assert!(all.contains("PALABRE_CHALLENGES_CATEGORY"), "{all}");
    assert!(all.contains("nulle-part"), "{all}");
}

#[test]
fn without_postgres_binaries_it_says_how_to_get_them() {
    let dir = TempDir::new("palabre-cli");
    let out = palabre(&dir.0)
        .env("PALABRE_PG_BINDIR", "/nonexistent/bin")
        .arg("migrate")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let all = text(&out);
    assert!(all.contains("apt-get install postgresql"), "{all}");
    assert!(all.contains("DATABASE_URL"), "{all}");
}

#[test]
fn with_database_url_it_starts_nothing() {
    let db = TestDb::new();
    let dir = TempDir::new("palabre-cli");
    let out = palabre(&dir.0)
        .env("DATABASE_URL", &db.url)
        .arg("migrate")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 migration(s) applied"));
    assert!(!dir.0.join("data/postgres").exists(), "no embedded cluster");
}

#[test]
fn openapi_command_prints_the_document() {
    let dir = TempDir::new("palabre-cli");
    let out = palabre(&dir.0).arg("openapi").output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        palabre::openapi::to_pretty_json()
    );
}

/// A running `palabre serve`; sends SIGTERM (and waits) when dropped.
struct Serving {
    child: Child,
    lines: Receiver<String>,
    addr: String,
}

impl Serving {
    fn start(dir: &Path) -> Self {
        let mut child = palabre(dir)
            .env("PALABRE_BIND", "127.0.0.1:0")
            .env("PALABRE_JOB_WORKERS", "1")
            .arg("serve")
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
        let mut addr = None;
        while addr.is_none() {
            let line = lines
                .recv_timeout(Duration::from_secs(60))
                .expect("serve logs `palabre listening`");
            let v: serde_json::Value =
                serde_json::from_str(&line).unwrap_or_else(|_| panic!("JSON log line: {line}"));
            if v["message"] == "palabre listening" {
                addr = v["addr"].as_str().map(str::to_string);
            }
        }
        Serving {
            child,
            lines,
            addr: addr.unwrap(),
        }
    }

    /// SIGTERM, then the exit status and every remaining log line.
    fn terminate(mut self) -> (std::process::ExitStatus, Vec<String>) {
        // SAFETY: a signal to our own child.
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        let status = self.child.wait().unwrap();
        // Every line up to EOF: the reader thread ends (and the channel closes) when palabre exits.
        let rest: Vec<String> = self.lines.iter().collect();
        let _ = std::mem::ManuallyDrop::new(self);
        (status, rest)
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        // SAFETY: a signal to our own child.
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        let _ = self.child.wait();
    }
}

fn postmaster_pid(data: &Path) -> Option<i32> {
    std::fs::read_to_string(data.join("postgres/postmaster.pid"))
        .ok()?
        .lines()
        .next()?
        .trim()
        .parse()
        .ok()
}

fn alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks existence.
    unsafe { libc::kill(pid, 0) == 0 }
}

#[tokio::test]
async fn serve_runs_its_own_postgres_reuses_it_and_stops_cleanly() {
    let dir = TempDir::new("palabre-serve");
    let data = dir.0.join("data");
    let client = reqwest::Client::new();

    // First start: a new cluster under ./data/postgres.
    let serving = Serving::start(&dir.0);
    let base = format!("http://{}", serving.addr);
    assert_eq!(
        client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let resp = client
        .get(format!("{base}/readyz"))
        .header("x-request-id", "probe-req-42")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    // A registration: its email is queued, then sent (to a file) by the in-process worker.
    let resp = client
        .post(format!("{base}/api/v1/auth/register"))
        .json(
            &serde_json::json!({"username": "secretive", "email": "secret.person@example.org",
                                  "password": "Forêt domaniale de Brocéliande 1789!"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let pg_pid = postmaster_pid(&data).expect("the embedded cluster runs");
    assert!(alive(pg_pid));

    // Another command uses the running cluster (and leaves it running).
    let out = palabre(&dir.0)
        .args([
            "admin",
            "create-user",
            "--username",
            "camille",
            "--email",
            "Camille@Example.org",
        ])
        .args([
            "--password",
            "Forêt domaniale de Brocéliande 1789!",
            "--role",
            "admin",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("created camille"));
    assert!(
        alive(pg_pid),
        "the cluster of the running serve is left running"
    );

    let (status, rest) = serving.terminate();
    assert!(
        status.success(),
        "clean exit on SIGTERM: {status:?}\n{}",
        rest.join("\n")
    );
    assert!(!alive(pg_pid), "PostgreSQL stopped with palabre");
    assert!(
        postmaster_pid(&data).is_none(),
        "PostgreSQL shut down cleanly (no postmaster.pid left)"
    );
    assert!(
        rest.iter()
            .any(|l| l.contains("stopped the embedded PostgreSQL cluster"))
    );
    // Logs are JSON by themselves (stdout is a pipe) and a request's lines carry its id.
    let logs: Vec<serde_json::Value> = rest
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("a JSON log line: {l}")))
        .collect();
    assert!(
        logs.iter()
            .any(|v| v["span"]["request_id"] == "probe-req-42"
                && v["message"] == "request finished"
                && v["status"] == 200),
        "the request's log line carries its id: {rest:?}"
    );
    // Email addresses appear in logs masked only.
    assert!(
        rest.iter().any(|l| l.contains("s***@example.org")),
        "{rest:?}"
    );
    assert!(
        !rest.iter().any(|l| l.contains("secret.person")),
        "an unmasked address in the logs"
    );

    // Second start reuses the same data: the user is still there.
    let serving = Serving::start(&dir.0);
    let out = palabre(&dir.0)
        .args([
            "admin",
            "create-user",
            "--username",
            "CAMILLE",
            "--email",
            "other@example.org",
        ])
        .args(["--password", "Forêt domaniale de Brocéliande 1789!"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("username is already taken"),
        "{}",
        text(&out)
    );
    let pg_pid = postmaster_pid(&data).unwrap();
    let (status, rest) = serving.terminate();
    assert!(status.success(), "{status:?} {rest:?}");
    assert!(!alive(pg_pid));

    // With nothing running, a command starts the cluster for its own run and stops it afterwards.
    let out = palabre(&dir.0)
        .args([
            "admin",
            "create-user",
            "--username",
            "lea_b",
            "--email",
            "lea@example.org",
        ])
        .args([
            "--password",
            "Forêt domaniale de Brocéliande 1789!",
            "--role",
            "moderator",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(postmaster_pid(&data).is_none(), "no PostgreSQL left behind");
}

#[test]
fn serve_stopped_as_soon_as_it_listens_stops_cleanly() {
    // SIGTERM the moment `palabre listening` is logged: the signal is caught by then, so the server
    // stops gracefully and stops its embedded PostgreSQL (the default action would kill palabre
    // and leave PostgreSQL running).
    let dir = TempDir::new("palabre-quick-stop");
    let data = dir.0.join("data");
    let serving = Serving::start(&dir.0);
    let pg_pid = postmaster_pid(&data).unwrap();
    let (status, rest) = serving.terminate();
    assert!(status.success(), "{status:?} {rest:?}");
    assert!(
        rest.iter().any(|l| l.contains("HTTP server stopped")),
        "{rest:?}"
    );
    assert!(!alive(pg_pid), "the embedded PostgreSQL was left running");
}

#[test]
fn the_worker_command_delivers_queued_mail_and_stops_on_sigterm() {
    use crate::support::smtp::SmtpServer;
    let db = TestDb::new();
    let smtp = SmtpServer::start();
    let dir = TempDir::new("palabre-worker");
    // A message queued by "the app", before the worker runs.
    {
        let mut conn = db.connect();
        let settings = palabre::config::Settings::for_tests(db.url.clone(), &dir.0);
        let rendered = palabre::mail::render(
            "verify_email",
            palabre::mail::Locale::Fr,
            &serde_json::json!({"name": "Yann", "link": "https://front.example/verify-email?token=x"}),
        )
        .unwrap();
        let to = palabre::input::Email::parse("yann@example.org").unwrap();
        palabre::mail::queue(&mut conn, &settings, &to, &rendered, &[]).unwrap();
    }
    let mut child = palabre(&dir.0)
        .env("DATABASE_URL", &db.url)
        .env("PALABRE_SMTP_URL", smtp.url())
        .arg("worker")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let got = smtp.next_message();
    assert_eq!(got.to, vec!["yann@example.org"]);
    // SAFETY: a signal to our own child.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    assert!(
        !dir.0.join("data/postgres").exists(),
        "DATABASE_URL set: no embedded cluster"
    );
}

#[test]
fn seed_demo_fills_an_empty_database_once() {
    use diesel::prelude::*;
    let db = TestDb::new();
    let dir = TempDir::new("palabre-seed");
    let out = palabre(&dir.0)
        .env("DATABASE_URL", &db.url)
        .args(["seed", "--profile", "demo"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("demo content"));
    let mut conn = db.connect();
    let count = |conn: &mut PgConnection, sql: &str| -> i64 {
        diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(&format!(
            "({sql})"
        )))
        .get_result(conn)
        .unwrap()
    };
    assert!(count(&mut conn, "SELECT count(*) FROM users") >= 6);
    assert_eq!(
        count(
            &mut conn,
            "SELECT count(*) FROM categories WHERE slug IN ('annonces', 'forets', 'adresses', 'imagerie-immersive')"
        ),
        4
    );
    let threads = count(&mut conn, "SELECT count(*) FROM threads");
    assert!(threads >= 10);
    assert!(count(&mut conn, "SELECT count(*) FROM posts") > 2 * threads);
    assert!(count(&mut conn, "SELECT count(*) FROM post_reactions") > 0);
    // Counters agree with the rows.
    assert_eq!(
        count(
            &mut conn,
            "SELECT count(*) FROM threads t WHERE t.reply_count <> (SELECT count(*) - 1 FROM posts p WHERE p.thread_id = t.id)"
        ),
        0
    );
    assert_eq!(
        count(
            &mut conn,
            "SELECT count(*) FROM categories c WHERE c.post_count <> \
             (SELECT count(*) FROM posts p JOIN threads t ON t.id = p.thread_id WHERE t.category_id = c.id)"
        ),
        0
    );
    // Communs of the call, with milestones, resources, and a challenge taken up and answered.
    assert_eq!(count(&mut conn, "SELECT count(*) FROM communs"), 5);
    assert!(
        count(
            &mut conn,
            "SELECT count(*) FROM milestones WHERE reached_at IS NOT NULL"
        ) >= 5
    );
    assert!(count(&mut conn, "SELECT count(*) FROM resources") >= 6);
    assert_eq!(
        count(&mut conn, "SELECT count(*) FROM challenge_communs"),
        1
    );
    assert_eq!(
        count(&mut conn, "SELECT count(*) FROM resource_challenges"),
        1
    );
    // French search works on it.
    assert!(
        count(
            &mut conn,
            "SELECT count(*) FROM threads WHERE search @@ websearch_to_tsquery('palabre_fr', 'forets')"
        ) >= 1
    );
    assert!(
        count(
            &mut conn,
            "SELECT count(*) FROM posts WHERE search @@ websearch_to_tsquery('palabre_fr', 'forets')"
        ) >= 2
    );

    let again = palabre(&dir.0)
        .env("DATABASE_URL", &db.url)
        .args(["seed", "--profile", "demo"])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(1));
    assert!(
        text(&again).contains("already has content"),
        "{}",
        text(&again)
    );
}

/// A data dir inside a `0700` folder (root's home on Debian and Ubuntu): the first command works.
/// As root, PostgreSQL runs as `postgres`, which cannot reach it: the cluster is kept under
/// `/var/lib/palabre/`, the log says where, `data/postgres` links there, and the next command finds
/// it the same way. As another user, PostgreSQL runs as that user and the cluster stays in place.
#[test]
fn a_data_dir_in_a_private_home_still_gets_its_cluster() {
    use std::os::unix::fs::PermissionsExt;
    let home = TempDir::new("palabre-home");
    std::fs::set_permissions(&home.0, std::fs::Permissions::from_mode(0o700)).unwrap();
    let checkout = home.0.join("palabre");
    std::fs::create_dir_all(&checkout).unwrap();
    let migrate = || palabre(&checkout).arg("migrate").output().unwrap();
    let first = migrate();
    let cluster = checkout.join("data/postgres");
    // Whatever happens, a relocated cluster is removed with the test.
    struct Cleanup(Option<std::path::PathBuf>);
    impl Drop for Cleanup {
        fn drop(&mut self) {
            if let Some(p) = &self.0 {
                let _ = std::fs::remove_dir_all(p);
            }
        }
    }
    let relocated = std::fs::read_link(&cluster).ok();
    let _cleanup = Cleanup(relocated.clone());
    assert!(first.status.success(), "{}", text(&first));
    assert!(
        text(&first).contains("migration(s) applied"),
        "{}",
        text(&first)
    );
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        let target = relocated.expect("data/postgres links to the relocated cluster");
        assert!(
            target.starts_with("/var/lib/palabre/"),
            "{}",
            target.display()
        );
        assert!(target.join("PG_VERSION").is_file());
        let log = text(&first);
        assert!(
            log.contains(&*target.to_string_lossy()),
            "the log says where: {log}"
        );
    } else {
        assert!(relocated.is_none());
        assert!(cluster.join("PG_VERSION").is_file());
    }
    let second = migrate();
    assert!(second.status.success(), "{}", text(&second));
    assert!(
        String::from_utf8_lossy(&second.stdout).contains("0 migration(s) applied"),
        "the same cluster, found again: {}",
        text(&second)
    );
}

#[test]
fn mail_failed_lists_and_mail_retry_requeues_failed_deliveries() {
    use diesel::prelude::*;
    let app = crate::support::TestApp::spawn();
    let rendered = palabre::mail::render(
        "verify_email",
        palabre::mail::Locale::Fr,
        &serde_json::json!({"name": "Zoé", "link": "https://front.example/verify-email?token=t"}),
    )
    .unwrap();
    let to = palabre::input::Email::parse("zoe@example.org").unwrap();
    palabre::mail::queue(&mut app.conn(), &app.settings, &to, &rendered, &[]).unwrap();
    // Every attempt made and failed (the retries themselves are tested in tests/api/mail.rs).
    diesel::sql_query(
        "UPDATE jobs SET status = 'failed', failed_at = now(), attempts = 120, \
         last_error = 'connection refused' WHERE kind = 'send_email'",
    )
    .execute(&mut app.conn())
    .unwrap();
    let dir = TempDir::new("palabre-cli");
    let run = |command: &str| {
        palabre(&dir.0)
            .env("DATABASE_URL", &app.db.url)
            .args(["mail", command])
            .output()
            .unwrap()
    };
    let out = run("failed");
    assert!(out.status.success(), "{}", text(&out));
    let listed = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        listed.contains("zoe@example.org") && listed.contains("120 attempts"),
        "{listed}"
    );
    let out = run("retry");
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 message(s) queued again"));
    let out = run("failed");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("zoe@example.org"));
    app.worker().run_until_idle().unwrap();
    assert_eq!(app.mailer.sent().len(), 1, "delivered once queued again");
}

#[test]
fn digest_commands_preview_run_and_read_the_unsubscribe_mailbox() {
    use diesel::prelude::*;
    use serde_json::json;
    let app = crate::support::TestApp::spawn();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let alice_id = rt.block_on(async {
        let admin = app.admin("admin").await;
        let alice = app.member("alice").await;
        for (who, body) in [
            (&admin, json!({"digest_frequency": "never"})),
            (
                &alice,
                json!({"digest_frequency": "daily", "digest_hour": 8}),
            ),
        ] {
            let resp = app
                .authed(reqwest::Method::PATCH, "/api/v1/me", who)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 200);
        }
        crate::support::category(&app, &admin, "general", "everyone").await;
        let t =
            crate::support::thread(&app, &alice, "general", "Un sujet à résumer", "Bonjour.").await;
        let bob = app.member("bob").await;
        crate::support::reply(&app, &bob, &t, "Une réponse de Bob.", None).await;
        alice["user"]["id"].as_str().unwrap().to_string()
    });
    // Alice has been a member for a while and her hour was an hour ago, after the thread and the
    // reply were written: her digest is due now and has something to say.
    diesel::sql_query(
        "UPDATE users SET created_at = now() - interval '3 days', \
                digest_hour = extract(hour FROM (now() - interval '1 hour') AT TIME ZONE 'Europe/Paris') \
         WHERE username = 'alice'",
    )
    .execute(&mut app.conn())
    .unwrap();
    diesel::sql_query("UPDATE posts SET created_at = now() - interval '3 hours'")
        .execute(&mut app.conn())
        .unwrap();
    diesel::sql_query(
        "UPDATE threads SET created_at = now() - interval '3 hours', \
                            last_activity_at = now() - interval '3 hours'",
    )
    .execute(&mut app.conn())
    .unwrap();
    let secret = app.settings.resolve_jwt_secret().unwrap();
    let dir = TempDir::new("palabre-cli");
    let run = |args: &[&str], stdin: Option<&[u8]>| {
        let mut cmd = palabre(&dir.0);
        cmd.env("DATABASE_URL", &app.db.url)
            .env("PALABRE_JWT_SECRET", secret.expose())
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if stdin.is_some() {
            cmd.stdin(Stdio::piped());
        }
        let mut child = cmd.spawn().unwrap();
        if let Some(input) = stdin {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(input).unwrap();
        }
        child.wait_with_output().unwrap()
    };
    let digests = |app: &crate::support::TestApp| -> i64 {
        palabre::schema::digests::table
            .count()
            .get_result(&mut app.conn())
            .unwrap()
    };

    let out = run(&["digest", "preview", "--user", "alice"], None);
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Subject: Votre résumé palabre"), "{stdout}");
    assert!(
        stdout.contains("Un sujet à résumer") && stdout.contains("Vos sujets suivis"),
        "{stdout}"
    );
    let out = run(
        &["digest", "preview", "--user", "alice", "--format", "html"],
        None,
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("<html lang=\"fr\">"));
    let out = run(&["digest", "preview", "--user", "personne"], None);
    assert_eq!(out.status.code(), Some(1));

    let out = run(&["digest", "run", "--dry-run"], None);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&format!("member\t{alice_id}")),
        "{}",
        text(&out)
    );
    assert!(text(&out).contains("1 recipient(s) due; nothing was changed"));
    assert_eq!(digests(&app), 0);
    let out = run(&["digest", "run"], None);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("1 recipient(s) due; 1 digest(s) queued"),
        "{}",
        text(&out)
    );
    assert_eq!(digests(&app), 1);
    let out = run(&["digest", "run"], None);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("0 recipient(s) due"),
        "{}",
        text(&out)
    );

    // The unsubscribe mailbox: a reply to the `mailto:` of List-Unsubscribe, piped to the command.
    let token = palabre::digests::token::sign(
        secret.expose(),
        palabre::digests::token::Recipient::Member(alice_id.parse().unwrap()),
    );
    let message = format!(
        "From: Alice <alice@example.org>\r\nTo: noreply@localhost\r\nSubject: unsubscribe {token}\r\n\
         Message-ID: <1@example.org>\r\n\r\nunsubscribe\r\n"
    );
    let out = run(
        &["digest", "unsubscribe"],
        Some(b"Subject: hello\r\n\r\nno token here\r\n"),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    // An out-of-office reply, or a message with the token in its text only, stops nothing.
    let vacation = message.replace(
        "Subject: unsubscribe",
        "Auto-Submitted: auto-replied\r\nSubject: unsubscribe",
    );
    let out = run(&["digest", "unsubscribe"], Some(vacation.as_bytes()));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let quoted = format!("Subject: Re: votre résumé\r\n\r\n> unsubscribe {token}\r\n");
    let out = run(&["digest", "unsubscribe"], Some(quoted.as_bytes()));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let out = run(&["digest", "unsubscribe"], Some(message.as_bytes()));
    assert!(out.status.success(), "{}", text(&out));
    let frequency: String = palabre::schema::users::table
        .filter(palabre::schema::users::username.eq("alice"))
        .select(palabre::schema::users::digest_frequency)
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(frequency, "never");
}
