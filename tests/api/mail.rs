//! Mail goes through the outbox and the `send_email` job: memory, files, and a real SMTP server.

use diesel::prelude::*;
use mail_parser::{MessageParser, MimeHeaders};
use palabre::jobs::Outcome;
use palabre::mail::{self, Locale, Mailer};
use palabre::schema::outbox;
use serde_json::json;

use crate::support::TestApp;
use crate::support::smtp::SmtpServer;

fn queue_verification(app: &TestApp, to: &str, locale: Locale) -> uuid::Uuid {
    let rendered = mail::render(
        "verify_email",
        locale,
        &json!({"name": "Zoé Lefèvre", "link": "https://front.example/verify-email?token=t0k3n"}),
    )
    .unwrap();
    let mut conn = app.conn();
    let to = palabre::input::Email::parse(to).unwrap();
    conn.transaction::<_, anyhow::Error, _>(|conn| {
        mail::queue(
            conn,
            &app.settings,
            &to,
            &rendered,
            &[(
                "List-Unsubscribe",
                "<https://api.example/api/v1/unsubscribe/abc>".to_string(),
            )],
        )
    })
    .unwrap()
}

#[test]
fn nothing_is_sent_until_the_job_runs_and_a_second_run_sends_nothing() {
    let app = TestApp::spawn();
    queue_verification(&app, "zoe@example.org", Locale::Fr);
    assert!(app.mailer.sent().is_empty(), "queuing does not send");
    let outcomes = app.worker().run_until_idle().unwrap();
    assert!(matches!(outcomes.as_slice(), [Outcome::Succeeded { .. }]));
    let sent = app.mailer.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to, vec!["zoe@example.org"]);
    let sent_at: Option<chrono::DateTime<chrono::Utc>> = outbox::table
        .select(outbox::sent_at)
        .first(&mut app.conn())
        .unwrap();
    assert!(sent_at.is_some());

    // A job that runs again for the same message (crash after send) sends nothing more.
    let id: uuid::Uuid = outbox::table
        .select(outbox::id)
        .first(&mut app.conn())
        .unwrap();
    palabre::jobs::enqueue(
        &mut app.conn(),
        palabre::jobs::NewJob::new(mail::SEND_EMAIL_JOB, json!({ "outbox_id": id })),
    )
    .unwrap();
    app.worker().run_until_idle().unwrap();
    assert_eq!(app.mailer.sent().len(), 1);
}

#[test]
fn smtp_delivery_to_a_real_server_with_retries() {
    let app = TestApp::spawn();
    queue_verification(&app, "zoe@example.org", Locale::Fr);
    queue_verification(&app, "sam@example.org", Locale::En);

    // First, an SMTP server that is not there: delivery fails, is kept, and is retried.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_url = format!("smtp://{}", closed.local_addr().unwrap());
    drop(closed);
    let worker = app.worker_mailing_through(Mailer::smtp(&dead_url).unwrap());
    let first = worker.run_one().unwrap().unwrap();
    assert!(
        matches!(first, Outcome::Retrying { attempt: 1, .. }),
        "{first:?}"
    );
    let unsent: i64 = outbox::table
        .filter(outbox::sent_at.is_null())
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(unsent, 2);

    // Then the real server: both arrive.
    let smtp = SmtpServer::start();
    let worker = app.worker_mailing_through(Mailer::smtp(&smtp.url()).unwrap());
    let outcomes = worker.run_until_idle().unwrap();
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| matches!(o, Outcome::Succeeded { .. }))
            .count(),
        2
    );

    let mut received = [smtp.next_message(), smtp.next_message()];
    received.sort_by_key(|r| r.to.clone());
    let (sam, zoe) = (&received[0], &received[1]);
    assert_eq!(zoe.to, vec!["zoe@example.org"]);
    assert_eq!(zoe.from, "noreply@localhost");

    let parsed = MessageParser::default()
        .parse(&zoe.data)
        .expect("a parseable message");
    assert_eq!(
        parsed.subject(),
        Some("Confirmez votre adresse électronique — palabre")
    );
    let raw = String::from_utf8_lossy(&zoe.data);
    assert!(
        raw.lines()
            .any(|l| l.starts_with("Subject: ") && l.to_ascii_lowercase().contains("=?utf-8?b?")),
        "the French subject is encoded as UTF-8: {raw}"
    );
    let text = parsed.body_text(0).unwrap();
    assert!(text.contains("Bonjour,"));
    assert!(
        text.contains("adresse électronique"),
        "accented text arrives whole"
    );
    assert!(text.contains("https://front.example/verify-email?token=t0k3n"));
    let html = parsed.body_html(0).unwrap();
    assert!(html.contains("<a href=\"https://front.example/verify-email?token=t0k3n\""));
    assert!(html.contains("lang=\"fr\""));
    assert!(parsed.root_part().content_type().is_some_and(
        |ct| ct.c_type == "multipart" && ct.c_subtype.as_deref() == Some("alternative")
    ));
    let message_id = parsed.message_id().expect("a Message-ID").to_string();
    assert!(message_id.ends_with("@localhost"));
    assert_eq!(
        parsed.header_raw("List-Unsubscribe").map(str::trim),
        Some("<https://api.example/api/v1/unsubscribe/abc>")
    );
    let sam_parsed = MessageParser::default().parse(&sam.data).unwrap();
    assert_eq!(
        sam_parsed.subject(),
        Some("Confirm your email address — palabre")
    );
    assert_ne!(
        sam_parsed.message_id().unwrap(),
        message_id,
        "each message has its own Message-ID"
    );
}

#[test]
fn the_file_transport_writes_eml_files() {
    let app = TestApp::spawn();
    queue_verification(&app, "zoe@example.org", Locale::Fr);
    let mailer = Mailer::from_settings(&app.settings).unwrap();
    let worker = app.worker_mailing_through(mailer);
    worker.run_until_idle().unwrap();
    let dir = app.settings.data_dir.join("mail");
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
        .collect();
    assert_eq!(files.len(), 1);
    let content = std::fs::read(files[0].path()).unwrap();
    let parsed = MessageParser::default().parse(&content).unwrap();
    assert_eq!(
        parsed.subject(),
        Some("Confirmez votre adresse électronique — palabre")
    );
}

/// A worker with the production retry settings (10 s doubling, at most 15 min between attempts).
fn production_worker(app: &TestApp, mailer: Mailer) -> palabre::jobs::Worker {
    palabre::jobs::Worker::new(
        palabre::jobs::JobContext {
            pool: app.pool.clone(),
            settings: app.settings.clone(),
        },
        palabre::app::job_registry(&mailer),
        palabre::jobs::WorkerConfig::from_settings(&app.settings),
    )
}

fn dead_smtp() -> Mailer {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("smtp://{}", closed.local_addr().unwrap());
    drop(closed);
    Mailer::smtp(&url).unwrap()
}

#[derive(QueryableByName)]
struct Due {
    #[diesel(sql_type = diesel::sql_types::Double)]
    wait: f64,
}

/// The clock, simulated: the job's next attempt is made due now; returns how long it would have
/// waited.
fn skip_wait(app: &TestApp) -> f64 {
    let due: Due = diesel::sql_query(
        "UPDATE jobs j SET run_at = now() FROM (SELECT id, run_at FROM jobs) old \
         WHERE old.id = j.id RETURNING extract(epoch FROM old.run_at - now())::float8 AS wait",
    )
    .get_result(&mut app.conn())
    .unwrap();
    due.wait
}

#[test]
fn mail_survives_an_smtp_outage_and_failed_mail_can_be_retried() {
    let app = TestApp::spawn();
    queue_verification(&app, "zoe@example.org", Locale::Fr);

    // The SMTP server is down for an hour: attempts continue, never more than 15 minutes apart,
    // well past the 8 attempts (~21 minutes) that used to lose the message.
    let down = production_worker(&app, dead_smtp());
    let (mut waited, mut attempts) = (0.0, 0);
    while waited < 3600.0 {
        let outcome = down.run_one().unwrap().unwrap();
        attempts += 1;
        assert!(
            matches!(outcome, Outcome::Retrying { .. }),
            "attempt {attempts}: {outcome:?}"
        );
        let wait = skip_wait(&app);
        assert!(wait <= 900.5, "attempt {attempts} waits {wait} s");
        waited += wait;
    }
    assert!(attempts > 8, "{attempts} attempts in an hour");

    // The server comes back: the message goes out.
    let smtp = SmtpServer::start();
    let up = production_worker(&app, Mailer::smtp(&smtp.url()).unwrap());
    assert!(matches!(
        up.run_one().unwrap().unwrap(),
        Outcome::Succeeded { .. }
    ));
    assert_eq!(smtp.next_message().to, vec!["zoe@example.org"]);

    // A message that fails every attempt (here, all but its last made already) is kept as
    // failed, listed, and queued again by `palabre mail retry`.
    let id = queue_verification(&app, "sam@example.org", Locale::En);
    diesel::sql_query(format!(
        "UPDATE jobs SET attempts = {} WHERE kind = 'send_email'",
        mail::DELIVERY_ATTEMPTS - 1
    ))
    .execute(&mut app.conn())
    .unwrap();
    assert!(matches!(
        down.run_one().unwrap().unwrap(),
        Outcome::Failed { .. }
    ));
    let failed = mail::failed(&mut app.conn()).unwrap();
    assert_eq!(
        (failed.len(), failed[0].outbox_id, failed[0].attempts),
        (1, id, mail::DELIVERY_ATTEMPTS)
    );
    assert_eq!(mail::retry_failed(&mut app.conn()).unwrap(), 1);
    assert!(mail::failed(&mut app.conn()).unwrap().is_empty());
    assert!(matches!(
        up.run_one().unwrap().unwrap(),
        Outcome::Succeeded { .. }
    ));
    assert_eq!(smtp.next_message().to, vec!["sam@example.org"]);
}
