//! Digests (issue 14): what a digest says and to whom, exactly once per recipient and period,
//! subscribers' double opt-in, one-click unsubscribe, previews, Europe/Paris schedules.
//!
//! The dispatcher runs with a simulated `now` (the next slot after the test's writes), and the
//! workers run the jobs it queues: no sleeps.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Europe::Paris;
use diesel::prelude::*;
use mail_parser::MessageParser;
use palabre::digests::compose;
use palabre::digests::schedule::instant;
use palabre::mail::Mailer;
use reqwest::Method;
use serde_json::{Value, json};

use crate::challenges::{challenge_in, move_to};
use crate::support::smtp::SmtpServer;
use crate::support::{TestApp, category, id, json, problem, reply, thread};

/// `hour`:00 (Paris) of the next day that has one after now, plus a minute: the dispatcher's
/// "now" in these tests. Everything the test wrote is less than a day older than that slot, so a
/// first digest (which covers one period back) sees it.
fn next_slot(hour: u32) -> DateTime<Utc> {
    let now = Utc::now();
    let today = now.with_timezone(&Paris).date_naive();
    let mut at = instant(today, hour);
    if at <= now {
        at = instant(today + Duration::days(1), hour);
    }
    at + Duration::minutes(1)
}

async fn set_me(app: &TestApp, who: &Value, body: Value) {
    let resp = app
        .authed(Method::PATCH, "/api/v1/me", who)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
}

/// A verified member receiving a daily digest at 08:00, in `locale`.
async fn daily_member(app: &TestApp, name: &str, locale: &str) -> Value {
    let m = app.member(name).await;
    set_me(
        app,
        &m,
        json!({"locale": locale, "digest_frequency": "daily", "digest_hour": 8}),
    )
    .await;
    m
}

fn dispatch(app: &TestApp, now: DateTime<Utc>) -> compose::Dispatched {
    compose::dispatch(&mut app.conn(), &app.settings, now).unwrap()
}

/// A digest as it arrived: its recipient, headers and both parts.
struct Received {
    to: String,
    subject: String,
    headers: Vec<(String, String)>,
    text: String,
    html: String,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn parse(raw: &[u8]) -> Received {
    let m = MessageParser::default().parse(raw).unwrap();
    Received {
        to: m
            .to()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .unwrap_or_default()
            .to_string(),
        subject: m.subject().unwrap_or_default().to_string(),
        headers: m
            .headers()
            .iter()
            .map(|h| {
                let raw = String::from_utf8_lossy(
                    &raw[h.offset_start() as usize..h.offset_end() as usize],
                );
                (
                    h.name().to_string(),
                    raw.split_whitespace().collect::<Vec<_>>().join(" "),
                )
            })
            .collect(),
        text: m.body_text(0).unwrap_or_default().to_string(),
        html: m.body_html(0).unwrap_or_default().to_string(),
    }
}

/// Runs every queued job and returns the digests the memory transport has sent so far.
fn run_and_collect(app: &TestApp) -> Vec<Received> {
    app.worker().run_until_idle().unwrap();
    #[derive(QueryableByName)]
    struct Failed {
        #[diesel(sql_type = diesel::sql_types::Text)]
        e: String,
    }
    let failed: Vec<Failed> =
        diesel::sql_query("SELECT kind || ': ' || coalesce(last_error, '') AS e FROM jobs")
            .load(&mut app.conn())
            .unwrap();
    assert!(
        failed.is_empty(),
        "jobs left: {:?}",
        failed.iter().map(|f| &f.e).collect::<Vec<_>>()
    );
    app.mailer
        .sent()
        .iter()
        .map(|m| parse(m.raw.as_bytes()))
        .filter(|m| m.header("List-Id").is_some())
        .collect()
}

fn digest_to<'a>(sent: &'a [Received], address: &str) -> &'a Received {
    let mine: Vec<&Received> = sent.iter().filter(|m| m.to == address).collect();
    assert_eq!(mine.len(), 1, "one digest to {address}");
    mine[0]
}

async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    who: &Value,
    body: Value,
) -> reqwest::Response {
    app.authed(method, path, who)
        .json(&body)
        .send()
        .await
        .unwrap()
}

fn count_rows(app: &TestApp, sql: &str) -> i64 {
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

#[tokio::test]
async fn digests_say_what_each_recipient_follows_in_their_language_and_nothing_hidden_or_held() {
    let app = TestApp::spawn();
    let admin = app.admin("admin").await;
    set_me(&app, &admin, json!({"digest_frequency": "never"})).await;
    let moderator = app.member("moderatrice").await;
    diesel::sql_query("UPDATE users SET role = 'moderator' WHERE username = 'moderatrice'")
        .execute(&mut app.conn())
        .unwrap();
    set_me(&app, &moderator, json!({"digest_frequency": "never"})).await;
    let alice = daily_member(&app, "alice", "fr").await;
    let bob = daily_member(&app, "bob", "en").await;
    let carol = daily_member(&app, "carol", "fr").await;
    let dave = app.member("dave").await;
    set_me(&app, &dave, json!({"digest_frequency": "never"})).await;
    category(&app, &admin, "general", "everyone").await;
    category(&app, &admin, "annonces", "staff").await;

    // Alice's thread gets three replies by others, one of them much liked; a fourth is held.
    let t1 = thread(
        &app,
        &alice,
        "general",
        "Base adresse locale de Brest",
        "Où en est la BAL ?",
    )
    .await;
    let t1_id = id(&t1).to_string();
    let r1 = reply(
        &app,
        &bob,
        &t1,
        "La version 2 est **publiée** sur data.gouv.fr.",
        None,
    )
    .await;
    reply(&app, &bob, &t1, "Avec les lieux-dits.", None).await;
    reply(&app, &carol, &t1, "Merci pour le suivi.", None).await;
    for who in [&carol, &dave] {
        let resp = send(
            &app,
            Method::PUT,
            &format!("/api/v1/posts/{}/reactions/like", id(&r1)),
            who,
            json!({}),
        )
        .await;
        assert!(resp.status().is_success(), "{}", resp.text().await.unwrap());
    }
    let word = send(
        &app,
        Method::POST,
        "/api/v1/admin/watched-words",
        &admin,
        json!({"pattern": "crypto-monnaie", "action": "hold"}),
    )
    .await;
    assert_eq!(word.status(), 201);
    let held = send(
        &app,
        Method::POST,
        &format!("/api/v1/threads/{t1_id}/posts"),
        &dave,
        json!({"body": "Payez en crypto-monnaie, secret retenu"}),
    )
    .await;
    assert_eq!(held.status(), 202, "held for review");

    // A thread hidden by a moderator: in no digest, even with replies.
    let t2 = thread(
        &app,
        &dave,
        "general",
        "Un fil bientôt masqué",
        "Contenu masqué ensuite.",
    )
    .await;
    reply(&app, &bob, &t2, "Réponse dans un fil masqué.", None).await;
    let hide = send(
        &app,
        Method::POST,
        &format!("/api/v1/threads/{}/moderation", id(&t2)),
        &moderator,
        json!({"action": "hide", "reason": "Hors sujet."}),
    )
    .await;
    assert_eq!(hide.status(), 200, "{}", hide.text().await.unwrap());

    // An announcement; Carol mutes Alice's thread.
    thread(
        &app,
        &admin,
        "annonces",
        "Ouverture de l'appel à communs 2027",
        "Les candidatures ouvrent en janvier.",
    )
    .await;
    let mute = send(
        &app,
        Method::PUT,
        &format!("/api/v1/threads/{t1_id}/subscription"),
        &carol,
        json!({"level": "muted"}),
    )
    .await;
    assert_eq!(mute.status(), 200);

    // Challenges: one on biodiversity in Brest (within Finistère), which Alice supports and a
    // moderator then reviews; Bob follows other themes only.
    let cid = challenge_in(&app, &dave, &moderator, "submitted").await;
    let support = send(
        &app,
        Method::PUT,
        &format!("/api/v1/challenges/{cid}/support"),
        &alice,
        json!({}),
    )
    .await;
    assert!(support.status().is_success());
    assert_eq!(
        move_to(&app, &moderator, &cid, "under_review")
            .await
            .status(),
        200
    );
    for (who, body) in [
        (
            &alice,
            json!({"themes": ["biodiversite"], "territory": "29"}),
        ),
        (&bob, json!({"themes": ["mobilite"]})),
    ] {
        let resp = send(&app, Method::PUT, "/api/v1/me/digest/interests", who, body).await;
        assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    }

    let d = dispatch(&app, next_slot(8));
    assert_eq!(d.recipients, 3, "alice, bob and carol are due");
    let sent = run_and_collect(&app);
    assert_eq!(sent.len(), 3);

    let a = digest_to(&sent, "alice@example.org");
    assert!(
        a.subject.starts_with("Votre résumé palabre"),
        "{}",
        a.subject
    );
    for expected in [
        "Vos sujets suivis",
        "Base adresse locale de Brest",
        "3 nouvelles réponses",
        // The most-reacted reply's excerpt: plain text of its HTML, never its Markdown.
        "La version 2 est publiée sur data.gouv.fr.",
        "Nouveaux défis",
        "Un défi à l'état submitted",
        "Les défis que vous suivez",
        "Désormais en examen",
        "Annonces",
        "Ouverture de l'appel à communs 2027",
    ] {
        assert!(
            a.text.contains(expected),
            "{expected:?} in Alice's digest:\n{}",
            a.text
        );
    }
    for absent in [
        "**",
        "Un fil bientôt masqué",
        "crypto-monnaie",
        "Réponse dans un fil masqué",
    ] {
        assert!(
            !a.text.contains(absent) && !a.html.contains(absent),
            "{absent:?} in Alice's digest"
        );
    }
    assert!(a.html.contains("lang=\"fr\"") && a.html.contains("style=\""));
    assert!(a.html.contains(&format!("/threads/{t1_id}")));

    let b = digest_to(&sent, "bob@example.org");
    assert!(
        b.subject.starts_with("Your palabre digest"),
        "{}",
        b.subject
    );
    assert!(b.text.contains("Announcements"), "{}", b.text);
    assert!(
        !b.text.contains("New challenges"),
        "Bob follows other themes:\n{}",
        b.text
    );
    assert!(!b.text.contains("Un fil bientôt masqué"));

    let c = digest_to(&sent, "carol@example.org");
    assert!(
        !c.text.contains("Base adresse locale de Brest"),
        "Carol muted it:\n{}",
        c.text
    );
    assert!(c.text.contains("Ouverture de l'appel à communs 2027"));
    assert!(
        c.text.contains("Nouveaux défis"),
        "no interests: every new challenge"
    );

    // The list headers (RFC 2369, RFC 8058) and the marks of bulk, automatic mail.
    let unsubscribe = a.header("List-Unsubscribe").unwrap().to_string();
    let https = unsubscribe
        .split(['<', '>'])
        .find(|p| p.contains("/api/v1/unsubscribe/"))
        .unwrap()
        .to_string();
    assert!(
        unsubscribe.contains("<mailto:noreply@localhost?subject=unsubscribe%20m"),
        "{unsubscribe}"
    );
    assert_eq!(
        a.header("List-Unsubscribe-Post"),
        Some("List-Unsubscribe=One-Click")
    );
    assert!(a.header("List-Id").unwrap().contains("<digest.127.0.0.1>"));
    assert_eq!(a.header("Precedence"), Some("bulk"));
    assert_eq!(a.header("Auto-Submitted"), Some("auto-generated"));
    assert!(a.text.contains(&https) && a.html.contains(&https));

    // One click: a POST with no login, as a mail client sends it.
    let path = https
        .split_once("/api/v1")
        .map(|(_, p)| format!("/api/v1{p}"))
        .unwrap();
    let (status, view) = json(app.get(&path).await).await;
    assert_eq!(
        (
            status,
            view["subscribed"].clone(),
            view["frequency"].clone()
        ),
        (200, json!(true), json!("daily"))
    );
    assert_eq!(view["lower_frequencies"], json!(["weekly"]));
    let page = app
        .client
        .get(app.url(&path))
        .header("Accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let page = page.text().await.unwrap();
    assert!(
        page.contains("Me désabonner") && page.contains("method=\"post\""),
        "{page}"
    );
    let resp = app
        .client
        .post(app.url(&path))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    let (status, view) = json(resp).await;
    assert_eq!((status, view["subscribed"].clone()), (200, json!(false)));
    let (_, me) = json(app.get_as("/api/v1/me", &alice).await).await;
    assert_eq!(me["digest_frequency"], "never");
    // A link only stops or lowers: once stopped, it turns nothing back on.
    let (status, view) = json(
        app.client
            .post(app.url(&format!("{path}?frequency=weekly")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, view["subscribed"].clone()), (200, json!(false)));
    let (_, me) = json(app.get_as("/api/v1/me", &alice).await).await;
    assert_eq!(me["digest_frequency"], "never");
    // Again: harmless. A forged token: 404.
    assert_eq!(
        app.client
            .post(app.url(&path))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let forged = format!("{}x", &path[..path.len() - 1]);
    problem(app.client.post(app.url(&forged)).send().await.unwrap(), 404).await;

    // Bob lowers his to weekly instead.
    let b_path = b
        .header("List-Unsubscribe")
        .unwrap()
        .split(['<', '>'])
        .find(|p| p.contains("/api/v1/unsubscribe/"))
        .and_then(|u| u.split_once("/api/v1"))
        .map(|(_, p)| format!("/api/v1{p}"))
        .unwrap();
    let (status, view) = json(
        app.client
            .post(app.url(&format!("{b_path}?frequency=weekly")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (
            status,
            view["frequency"].clone(),
            view["subscribed"].clone()
        ),
        (200, json!("weekly"), json!(true))
    );
    let p = problem(
        app.client
            .post(app.url(&format!("{b_path}?frequency=daily")))
            .send()
            .await
            .unwrap(),
        422,
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "frequency");
}

#[tokio::test]
async fn nothing_to_say_sends_nothing_and_a_missed_period_is_covered_once() {
    let app = TestApp::spawn();
    let admin = app.admin("admin").await;
    set_me(&app, &admin, json!({"digest_frequency": "never"})).await;
    let alice = daily_member(&app, "alice", "fr").await;
    let bob = app.member("bob").await;
    set_me(&app, &bob, json!({"digest_frequency": "never"})).await;
    category(&app, &admin, "general", "everyone").await;
    let t = thread(
        &app,
        &alice,
        "general",
        "Haies du bocage",
        "Un inventaire à lancer.",
    )
    .await;
    reply(&app, &bob, &t, "Première réponse.", None).await;

    let first = next_slot(8);
    assert_eq!(dispatch(&app, first).recipients, 1);
    assert_eq!(run_and_collect(&app).len(), 1);

    // The next day, nothing happened since: no email, and the period is recorded as empty.
    let second = first + Duration::days(1);
    assert_eq!(dispatch(&app, second).recipients, 1);
    assert_eq!(
        run_and_collect(&app).len(),
        1,
        "nothing to say, nothing sent"
    );
    assert_eq!(
        count_rows(
            &app,
            "SELECT count(*) AS n FROM digests WHERE status = 'empty'"
        ),
        1
    );

    // The previous digest's slot is moved to the present (the simulated clock runs ahead of the
    // real one, where the replies are written). A reply, then the workers are down: the next day's
    // slot is missed (out of the catch-up window), and the one after covers the reply — once.
    diesel::sql_query(
        "UPDATE digests SET slot_at = now() - CASE status WHEN 'sent' THEN interval '1 day' \
         ELSE interval '0' END",
    )
    .execute(&mut app.conn())
    .unwrap();
    reply(&app, &bob, &t, "Une réponse pendant la panne.", None).await;
    let after_outage = second + Duration::days(2);
    assert_eq!(dispatch(&app, after_outage).recipients, 1);
    assert_eq!(
        dispatch(&app, after_outage + Duration::minutes(5)).recipients,
        0,
        "a re-run claims no one"
    );
    let sent = run_and_collect(&app);
    assert_eq!(sent.len(), 2);
    let latest = &sent[1];
    assert!(
        latest.text.contains("1 nouvelle réponse"),
        "{}",
        latest.text
    );
    assert!(
        latest.text.contains("Une réponse pendant la panne."),
        "{}",
        latest.text
    );
    assert!(
        !latest.text.contains("Première réponse."),
        "told once:\n{}",
        latest.text
    );
    // Its period starts where the previous digest ended.
    #[derive(QueryableByName)]
    struct Cover {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        chained: bool,
    }
    let c: Cover = diesel::sql_query(
        "SELECT d.covered_from = (SELECT max(p.slot_at) FROM digests p WHERE p.period < d.period) AS chained \
         FROM digests d ORDER BY period DESC LIMIT 1",
    )
    .get_result(&mut app.conn())
    .unwrap();
    assert!(c.chained);
    // A later day with nothing new: the reply is not told twice.
    assert_eq!(
        dispatch(&app, after_outage + Duration::days(1)).recipients,
        1
    );
    assert_eq!(run_and_collect(&app).len(), 2);
}

#[tokio::test]
async fn exactly_one_digest_per_period_with_two_workers_a_crash_and_a_rerun() {
    let app = TestApp::spawn_with(|s| s.digest_batch = 2, |_| {});
    let admin = app.admin("admin").await;
    set_me(&app, &admin, json!({"digest_frequency": "never"})).await;
    category(&app, &admin, "general", "everyone").await;
    let mut members = Vec::new();
    for name in ["membre1", "membre2", "membre3", "membre4", "membre5"] {
        members.push(daily_member(&app, name, "fr").await);
    }
    thread(
        &app,
        &members[0],
        "general",
        "Un sujet pour tous",
        "Bonjour à toutes et tous.",
    )
    .await;
    let t = thread(&app, &members[1], "general", "Un autre sujet", "Bonjour.").await;
    reply(&app, &members[2], &t, "Une réponse.", None).await;
    let slot = next_slot(8);

    // A crash after composing, before the commit: the compose job's transaction rolls back, so
    // nothing is half-done and its retry composes the batch.
    let d = dispatch(&app, slot);
    assert_eq!((d.recipients, d.jobs), (5, 3), "batches of two");
    {
        let mut conn = app.conn();
        let ids: Vec<uuid::Uuid> = diesel::sql_query(
            "SELECT recipient_id AS id FROM digests ORDER BY recipient_id LIMIT 2",
        )
        .load::<IdRow>(&mut conn)
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
        let period: NaiveDate = slot.with_timezone(&Paris).date_naive();
        let crashed = conn.transaction::<(), anyhow::Error, _>(|conn| {
            let secret = app.settings.resolve_jwt_secret()?;
            let c = compose::compose_batch(conn, &app.settings, secret.expose(), period, &ids)?;
            assert_eq!(c.sent, 2);
            anyhow::bail!("the worker dies here")
        });
        assert!(crashed.is_err());
    }
    assert_eq!(
        count_rows(
            &app,
            "SELECT count(*) AS n FROM outbox WHERE headers ? 'List-Id'"
        ),
        0
    );
    assert_eq!(
        count_rows(
            &app,
            "SELECT count(*) AS n FROM digests WHERE status = 'due'"
        ),
        5
    );

    // Two workers at once, and a dispatcher re-run: each member gets one digest.
    assert_eq!(dispatch(&app, slot + Duration::minutes(5)).jobs, 0);
    // The same batches queued twice, as a retried dispatch might.
    diesel::sql_query(
        "INSERT INTO jobs (id, kind, payload, run_at) \
         SELECT gen_random_uuid(), kind, payload, now() FROM jobs WHERE kind = 'compose_digests'",
    )
    .execute(&mut app.conn())
    .unwrap();
    let (w1, w2) = (app.worker(), app.worker());
    let a = std::thread::spawn(move || w1.run_until_idle().unwrap());
    let b = std::thread::spawn(move || w2.run_until_idle().unwrap());
    a.join().unwrap();
    b.join().unwrap();
    let sent = run_and_collect(&app);
    let mut to: Vec<String> = sent.iter().map(|m| m.to.clone()).collect();
    to.sort();
    assert_eq!(
        to,
        [
            "membre1@example.org",
            "membre2@example.org",
            "membre3@example.org",
            "membre4@example.org",
            "membre5@example.org"
        ]
    );
    assert_eq!(
        count_rows(
            &app,
            "SELECT count(*) AS n FROM digests WHERE status = 'sent'"
        ),
        5
    );
}

#[tokio::test]
async fn digests_left_due_are_queued_again_or_given_up_and_an_unsubscribe_after_the_dispatch_holds()
{
    let app = TestApp::spawn();
    let admin = app.admin("admin").await;
    set_me(&app, &admin, json!({"digest_frequency": "never"})).await;
    category(&app, &admin, "general", "everyone").await;
    let alice = daily_member(&app, "alice", "fr").await;
    let bob = daily_member(&app, "bob", "fr").await;
    let t = thread(&app, &alice, "general", "Un sujet actif", "Bonjour.").await;
    reply(&app, &bob, &t, "Une réponse.", None).await;
    let slot = next_slot(8);
    assert_eq!(dispatch(&app, slot).recipients, 2);
    // Bob unsubscribes between the dispatch and the composing: he gets nothing.
    set_me(&app, &bob, json!({"digest_frequency": "never"})).await;
    // The batch's job fails for good (or is lost), and an hour passes.
    diesel::sql_query(
        "UPDATE jobs SET status = 'failed', failed_at = now() WHERE kind = 'compose_digests'; ",
    )
    .execute(&mut app.conn())
    .unwrap();
    diesel::sql_query("UPDATE digests SET created_at = created_at - interval '2 hours'")
        .execute(&mut app.conn())
        .unwrap();
    let swept = compose::sweep(&mut app.conn(), &app.settings, slot + Duration::hours(1)).unwrap();
    assert_eq!((swept.requeued, swept.dropped), (2, 0));
    // A second sweep while that batch waits queues nothing more.
    let again = compose::sweep(&mut app.conn(), &app.settings, slot + Duration::hours(1)).unwrap();
    assert_eq!(again.requeued, 0);
    diesel::sql_query("DELETE FROM jobs WHERE status = 'failed'")
        .execute(&mut app.conn())
        .unwrap();
    let sent = run_and_collect(&app);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to, "alice@example.org");
    assert_eq!(
        count_rows(
            &app,
            "SELECT count(*) AS n FROM digests WHERE status = 'empty'"
        ),
        1,
        "Bob's row"
    );

    // A slot older than the catch-up window is given up, not sent a day late.
    let next = slot + Duration::days(1);
    assert_eq!(dispatch(&app, next).recipients, 1);
    diesel::sql_query("DELETE FROM jobs WHERE kind = 'compose_digests'")
        .execute(&mut app.conn())
        .unwrap();
    let swept = compose::sweep(&mut app.conn(), &app.settings, next + Duration::hours(25)).unwrap();
    assert_eq!((swept.requeued, swept.dropped), (0, 1));
    assert_eq!(
        count_rows(
            &app,
            "SELECT count(*) AS n FROM digests WHERE status = 'due'"
        ),
        0
    );
}

#[tokio::test]
async fn followers_of_a_commun_read_its_news_milestones_and_resources_in_their_digest() {
    let app = TestApp::spawn();
    let admin = app.admin("admin").await;
    set_me(&app, &admin, json!({"digest_frequency": "never"})).await;
    let maelle = app.member("maelle").await;
    set_me(&app, &maelle, json!({"digest_frequency": "never"})).await;
    let alice = daily_member(&app, "alice", "fr").await;
    let resp = send(
        &app,
        Method::POST,
        "/api/v1/communs",
        &admin,
        json!({"slug": "bal-bretagne", "name": "Bases adresses locales", "maintainers": ["maelle"]}),
    )
    .await;
    assert_eq!(resp.status(), 201);
    let resp = send(
        &app,
        Method::PUT,
        "/api/v1/communs/bal-bretagne/subscription",
        &alice,
        json!({"level": "tracking"}),
    )
    .await;
    assert_eq!(resp.status(), 200);
    for (path, body) in [
        (
            "/api/v1/communs/bal-bretagne/milestones",
            json!({"title": "Version 2 publiée", "done_on": "2026-12-01"}),
        ),
        (
            "/api/v1/communs/bal-bretagne/milestones",
            json!({"title": "Version 3 prévue", "planned_on": "2027-06-01"}),
        ),
        (
            "/api/v1/communs/bal-bretagne/resources",
            json!({"kind": "software", "title": "Éditeur de BAL", "url": "https://git.example.org/bal", "licence": "mit"}),
        ),
        (
            "/api/v1/communs/bal-bretagne/news",
            json!({"title": "Douze communes de plus", "body": "Elles publient leur base adresse."}),
        ),
    ] {
        assert_eq!(
            send(&app, Method::POST, path, &maelle, body).await.status(),
            201
        );
    }
    assert_eq!(dispatch(&app, next_slot(8)).recipients, 1);
    let sent = run_and_collect(&app);
    let a = digest_to(&sent, "alice@example.org");
    for expected in [
        "Les communs que vous suivez",
        "Bases adresses locales",
        "Étape franchie\u{a0}: Version 2 publiée",
        "Nouvelle ressource\u{a0}: Éditeur de BAL (MIT) https://git.example.org/bal",
        "Actualité\u{a0}: Douze communes de plus http://127.0.0.1:8080/threads/",
    ] {
        assert!(a.text.contains(expected), "{expected:?} in:\n{}", a.text);
    }
    assert!(!a.text.contains("Version 3 prévue"), "planned only");
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    id: uuid::Uuid,
}

#[tokio::test]
async fn daylight_saving_days_keep_the_local_hour_and_send_once_a_day() {
    let app = TestApp::spawn();
    let admin = app.admin("admin").await;
    set_me(&app, &admin, json!({"digest_frequency": "never"})).await;
    let early = daily_member(&app, "early", "fr").await;
    set_me(&app, &early, json!({"digest_hour": 2})).await;
    daily_member(&app, "late", "fr").await;
    // The dispatcher every 15 minutes from 2027-03-27 to 2027-03-30 (clocks go forward on the
    // 28th) and from 2027-10-30 to 2027-11-02 (back on the 31st).
    for start in ["2027-03-27T00:00:00Z", "2027-10-30T00:00:00Z"] {
        let mut now: DateTime<Utc> = start.parse().unwrap();
        for _ in 0..(4 * 24 * 3) {
            dispatch(&app, now);
            now += Duration::minutes(15);
        }
    }
    #[derive(QueryableByName, Debug, PartialEq)]
    struct Slot {
        #[diesel(sql_type = diesel::sql_types::Text)]
        username: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        period: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        slot_at: String,
    }
    let slots: Vec<Slot> = diesel::sql_query(
        "SELECT u.username, d.period::text AS period, \
                to_char(d.slot_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI') AS slot_at \
         FROM digests d JOIN users u ON u.id = d.recipient_id ORDER BY u.username, d.period",
    )
    .load(&mut app.conn())
    .unwrap();
    let got: Vec<(String, String, String)> = slots
        .into_iter()
        .map(|s| (s.username, s.period, s.slot_at))
        .collect();
    let want = |user: &str, rows: &[(&str, &str)]| -> Vec<(String, String, String)> {
        rows.iter()
            .map(|(p, s)| (user.to_string(), p.to_string(), s.to_string()))
            .collect()
    };
    let mut expected = want(
        "early",
        &[
            // The first dispatch (midnight UTC) catches up the slot of the day before.
            ("2027-03-26", "2027-03-26T01:00"),
            ("2027-03-27", "2027-03-27T01:00"),
            // 02:00 does not exist that night: the first instant after the gap, 03:00 CEST.
            ("2027-03-28", "2027-03-28T01:00"),
            ("2027-03-29", "2027-03-29T00:00"),
            ("2027-10-30", "2027-10-30T00:00"),
            // 02:00 happens twice: the first one, and only once.
            ("2027-10-31", "2027-10-31T00:00"),
            ("2027-11-01", "2027-11-01T01:00"),
        ],
    );
    expected.extend(want(
        "late",
        &[
            ("2027-03-26", "2027-03-26T07:00"),
            ("2027-03-27", "2027-03-27T07:00"),
            ("2027-03-28", "2027-03-28T06:00"),
            ("2027-03-29", "2027-03-29T06:00"),
            ("2027-10-29", "2027-10-29T06:00"),
            ("2027-10-30", "2027-10-30T06:00"),
            ("2027-10-31", "2027-10-31T07:00"),
            ("2027-11-01", "2027-11-01T07:00"),
        ],
    ));
    assert_eq!(got, expected);
}

#[tokio::test]
async fn subscribers_confirm_by_email_expire_unconfirmed_and_keep_their_choices_when_they_register()
{
    let app = TestApp::spawn();
    let admin = app.admin("admin").await;
    set_me(&app, &admin, json!({"digest_frequency": "never"})).await;
    category(&app, &admin, "general", "everyone").await;
    category(&app, &admin, "annonces", "staff").await;

    // Refused: a bad address, an unknown category, theme or territory, an hour out of range.
    for (body, field) in [
        (
            json!({"email": "pas une adresse", "frequency": "daily"}),
            "email",
        ),
        (
            json!({"email": "zoe@example.org", "frequency": "daily", "categories": ["nulle-part"]}),
            "categories",
        ),
        (
            json!({"email": "zoe@example.org", "frequency": "daily", "themes": ["pas-un-theme"]}),
            "themes",
        ),
        // More items than the document allows, even when they repeat one theme.
        (
            json!({"email": "zoe@example.org", "frequency": "daily", "themes": vec!["climat"; 11]}),
            "themes",
        ),
        (
            json!({"email": "zoe@example.org", "frequency": "daily", "territory": "99999"}),
            "territory",
        ),
        (
            json!({"email": "zoe@example.org", "frequency": "daily", "hour": 24}),
            "hour",
        ),
        (
            json!({"email": "zoe@example.org", "frequency": "hourly"}),
            "frequency",
        ),
    ] {
        let p = problem(app.post_json("/api/v1/subscribers", &body).await, 422).await;
        assert_eq!(p["errors"][0]["field"], field, "{body}");
    }
    assert_eq!(
        count_rows(&app, "SELECT count(*) AS n FROM subscribers"),
        0,
        "refused: nothing stored"
    );

    let request = json!({"email": "Zoe@Example.org", "frequency": "daily", "hour": 8, "locale": "en",
        "categories": ["general"], "themes": ["biodiversite"], "territory": "29"});
    let resp = app.post_json("/api/v1/subscribers", &request).await;
    let (status, body) = json(resp).await;
    assert_eq!(
        (status, body["status"].clone()),
        (202, json!("confirmation_sent"))
    );
    // Not confirmed: no digest.
    let member = app.member("alice").await;
    set_me(&app, &member, json!({"digest_frequency": "never"})).await;
    thread(&app, &member, "general", "Un fil du jour", "Bonjour.").await;
    assert_eq!(dispatch(&app, next_slot(8)).recipients, 0);

    // Confirmed by the link's token; a wrong or replayed token is refused.
    let token = app.mailed_token("zoe@example.org");
    let mail = app
        .mailer
        .sent()
        .iter()
        .map(|m| parse(m.raw.as_bytes()))
        .rfind(|m| m.to == "zoe@example.org")
        .unwrap();
    assert!(
        mail.text.contains("/subscribe/confirm?token="),
        "a link to the frontend"
    );
    problem(
        app.post_json("/api/v1/subscribers/confirm", &json!({"token": "faux"}))
            .await,
        422,
    )
    .await;
    let (status, sub) = json(
        app.post_json("/api/v1/subscribers/confirm", &json!({"token": token}))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{sub}");
    assert_eq!(sub["email"], "zoe@example.org");
    assert_eq!(sub["categories"], json!(["general"]));
    assert_eq!(sub["territory"]["name"], "Finistère");
    problem(
        app.post_json("/api/v1/subscribers/confirm", &json!({"token": token}))
            .await,
        422,
    )
    .await;

    // Asking again for a confirmed address changes nothing until that is confirmed too.
    let again = json!({"email": "zoe@example.org", "frequency": "weekly"});
    assert_eq!(
        app.post_json("/api/v1/subscribers", &again).await.status(),
        202
    );
    let (freq,): (String,) = palabre::schema::subscribers::table
        .select((palabre::schema::subscribers::frequency,))
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(freq, "daily");

    // The digest of a subscriber: their categories' threads, in English, with its own unsubscribe
    // link (which deletes the subscription).
    diesel::sql_query("UPDATE subscribers SET confirmed_at = now() - interval '2 days'")
        .execute(&mut app.conn())
        .unwrap();
    assert_eq!(dispatch(&app, next_slot(8)).recipients, 1);
    let sent = run_and_collect(&app);
    let z = digest_to(&sent, "zoe@example.org");
    assert!(
        z.subject.starts_with("Your palabre digest"),
        "{}",
        z.subject
    );
    assert!(z.text.contains("Un fil du jour"), "{}", z.text);
    assert!(z.text.contains("you subscribed"), "{}", z.text);
    let zoe_link = z
        .header("List-Unsubscribe")
        .unwrap()
        .split(['<', '>'])
        .find(|p| p.contains("/api/v1/unsubscribe/s"))
        .and_then(|u| u.split_once("/api/v1"))
        .map(|(_, p)| format!("/api/v1{p}"))
        .unwrap();

    // An unconfirmed request expires and is deleted; a stale pending change is dropped.
    let other = json!({"email": "yann@example.org", "frequency": "weekly"});
    assert_eq!(
        app.post_json("/api/v1/subscribers", &other).await.status(),
        202
    );
    diesel::sql_query("UPDATE subscribers SET token_expires_at = now() - interval '1 minute'")
        .execute(&mut app.conn())
        .unwrap();
    assert_eq!(
        palabre::digests::subscribers::expire(&mut app.conn()).unwrap(),
        1
    );
    assert_eq!(
        count_rows(
            &app,
            "SELECT count(*) AS n FROM subscribers WHERE pending IS NULL AND email = 'zoe@example.org'"
        ),
        1
    );
    assert_eq!(count_rows(&app, "SELECT count(*) AS n FROM subscribers"), 1);

    // Zoé registers with the same address: her account takes her choices, and the subscription
    // becomes the account's (no second digest for the same period).
    let zoe = {
        let resp = app
            .post_json(
                "/api/v1/auth/register",
                &json!({"username": "zoe", "email": "zoe@example.org", "password": crate::support::PASSWORD}),
            )
            .await;
        assert_eq!(resp.status(), 201);
        let token = app.mailed_token("zoe@example.org");
        assert_eq!(
            app.post_json("/api/v1/auth/verify-email", &json!({"token": token}))
                .await
                .status(),
            204
        );
        let (_, tokens) = json(app.login("zoe", crate::support::PASSWORD).await).await;
        tokens
    };
    let (_, me) = json(app.get_as("/api/v1/me", &zoe).await).await;
    assert_eq!(
        (me["digest_frequency"].clone(), me["digest_hour"].clone()),
        (json!("daily"), json!(8))
    );
    let (_, interests) = json(app.get_as("/api/v1/me/digest/interests", &zoe).await).await;
    assert_eq!(interests["themes"], json!(["biodiversite"]));
    assert_eq!(interests["territory"]["id"], "fr:departement:29");
    assert_eq!(count_rows(&app, "SELECT count(*) AS n FROM subscribers"), 0);
    assert_eq!(
        count_rows(
            &app,
            "SELECT count(*) AS n FROM category_subscriptions cs JOIN users u ON u.id = cs.user_id WHERE u.username = 'zoe' AND cs.level = 'tracking'"
        ),
        1
    );
    assert_eq!(
        dispatch(&app, next_slot(8)).recipients,
        0,
        "today's digest already went to this address"
    );

    // The link of a digest she received as a subscriber still works: on her account now.
    let (status, view) = json(app.client.post(app.url(&zoe_link)).send().await.unwrap()).await;
    assert_eq!(
        (status, view["kind"].clone(), view["subscribed"].clone()),
        (200, json!("member"), json!(false))
    );
    let (_, me) = json(app.get_as("/api/v1/me", &zoe).await).await;
    assert_eq!(me["digest_frequency"], "never");

    // Her personal data: interests and digests on record; erased with the account.
    let (_, export) = json(app.get_as("/api/v1/me/export", &zoe).await).await;
    assert_eq!(
        export["digests"]["interests"]["themes"],
        json!(["biodiversite"])
    );
    assert_eq!(export["digests"]["digests"].as_array().unwrap().len(), 1);
    let resp = app
        .authed(Method::DELETE, "/api/v1/me", &zoe)
        .json(&json!({"password": crate::support::PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    assert_eq!(count_rows(&app, "SELECT count(*) AS n FROM digests"), 0);
    assert_eq!(
        count_rows(&app, "SELECT count(*) AS n FROM digest_interests"),
        0
    );
}

#[tokio::test]
async fn previews_show_the_next_digest_to_its_member_and_to_administrators() {
    let app = TestApp::spawn();
    let admin = app.admin("admin").await;
    let alice = daily_member(&app, "alice", "en").await;
    category(&app, &admin, "general", "everyone").await;
    let t = thread(&app, &alice, "general", "A thread to preview", "Hello.").await;
    let bob = app.member("bob").await;
    reply(
        &app,
        &bob,
        &t,
        "A reply with a <b>tag</b> & an ampersand.",
        None,
    )
    .await;

    let (status, d) = json(app.get_as("/api/v1/me/digest/preview", &alice).await).await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(d["recipient"]["locale"], "en");
    assert_eq!(d["watched"][0]["new_replies"], 1);
    assert!(
        d["subject"]
            .as_str()
            .unwrap()
            .contains("1 reply in threads you follow")
    );
    let html = app
        .get_as("/api/v1/me/digest/preview?format=html", &alice)
        .await;
    assert!(
        html.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = html.text().await.unwrap();
    assert!(
        html.contains("A thread to preview") && html.contains("&amp;"),
        "{html}"
    );
    assert!(!html.contains("<b>tag</b>"), "excerpts are text, escaped");
    let text = app
        .get_as("/api/v1/me/digest/preview?format=text", &alice)
        .await;
    assert!(
        text.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    assert!(text.text().await.unwrap().contains("Threads you follow"));
    problem(
        app.get_as("/api/v1/me/digest/preview?format=pdf", &alice)
            .await,
        422,
    )
    .await;

    // Nothing is recorded by a preview: the real digest still goes out.
    assert_eq!(count_rows(&app, "SELECT count(*) AS n FROM digests"), 0);

    let alice_id = alice["user"]["id"].as_str().unwrap();
    let (status, d) = json(
        app.get_as(&format!("/api/v1/admin/digests/preview/{alice_id}"), &admin)
            .await,
    )
    .await;
    assert_eq!(
        (status, d["watched"][0]["title"].clone()),
        (200, json!("A thread to preview"))
    );
    problem(
        app.get_as(&format!("/api/v1/admin/digests/preview/{alice_id}"), &bob)
            .await,
        403,
    )
    .await;
    problem(
        app.get_as(
            "/api/v1/admin/digests/preview/01938a4e-7c1a-7d2e-9b3f-2a6c1e0d4b5f",
            &admin,
        )
        .await,
        404,
    )
    .await;
}

#[test]
fn a_digest_waits_out_an_smtp_outage_of_an_hour_and_arrives_with_its_headers() {
    use palabre::jobs::Outcome;
    let app = TestApp::spawn();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let admin = app.admin("admin").await;
        set_me(&app, &admin, json!({"digest_frequency": "never"})).await;
        let alice = daily_member(&app, "alice", "fr").await;
        category(&app, &admin, "general", "everyone").await;
        let t = thread(&app, &alice, "general", "Un sujet", "Bonjour.").await;
        let bob = app.member("bob").await;
        set_me(&app, &bob, json!({"digest_frequency": "never"})).await;
        reply(&app, &bob, &t, "Une réponse à lire demain.", None).await;
    });
    // Only the digest is left to deliver once composed.
    app.worker().run_until_idle().unwrap();
    assert_eq!(dispatch(&app, next_slot(8)).recipients, 1);
    let production = |mailer: Mailer| {
        palabre::jobs::Worker::new(
            palabre::jobs::JobContext {
                pool: app.pool.clone(),
                settings: app.settings.clone(),
            },
            palabre::app::job_registry(&mailer),
            palabre::jobs::WorkerConfig::from_settings(&app.settings),
        )
    };
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = Mailer::smtp(&format!("smtp://{}", closed.local_addr().unwrap())).unwrap();
    drop(closed);
    let down = production(dead);
    assert!(
        matches!(down.run_one().unwrap().unwrap(), Outcome::Succeeded { .. }),
        "composed"
    );
    let mut waited = 0.0;
    while waited < 3600.0 {
        assert!(matches!(
            down.run_one().unwrap().unwrap(),
            Outcome::Retrying { .. }
        ));
        #[derive(QueryableByName)]
        struct Wait {
            #[diesel(sql_type = diesel::sql_types::Double)]
            wait: f64,
        }
        let w: Wait = diesel::sql_query(
            "UPDATE jobs j SET run_at = now() FROM (SELECT id, run_at FROM jobs) old \
             WHERE old.id = j.id RETURNING extract(epoch FROM old.run_at - now())::float8 AS wait",
        )
        .get_result(&mut app.conn())
        .unwrap();
        waited += w.wait;
    }
    let smtp = SmtpServer::start();
    let up = production(Mailer::smtp(&smtp.url()).unwrap());
    assert!(matches!(
        up.run_one().unwrap().unwrap(),
        Outcome::Succeeded { .. }
    ));
    let got = smtp.next_message();
    assert_eq!(got.to, vec!["alice@example.org"]);
    let m = parse(&got.data);
    assert!(m.subject.starts_with("Votre résumé palabre"));
    assert!(
        m.header("List-Unsubscribe")
            .unwrap()
            .contains("/api/v1/unsubscribe/m")
    );
    assert!(m.header("List-Unsubscribe-Post").is_some() && m.header("Auto-Submitted").is_some());
    assert!(
        !m.html.is_empty() && !m.text.is_empty(),
        "HTML with a plain-text alternative"
    );
    assert_eq!(
        count_rows(
            &app,
            "SELECT count(*) AS n FROM digests WHERE status = 'sent'"
        ),
        1
    );
}

/// A digest with every section, fixed ids and dates, for the snapshots.
fn sample_digest(locale: palabre::mail::Locale) -> palabre::digests::types::Digest {
    use palabre::digests::types::*;
    let front = "https://palabre.example.org";
    let uuid = |n: u32| uuid::Uuid::parse_str(&format!("01938a4e-7c1a-7d2e-9b3f-{n:012}")).unwrap();
    let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
    let fr = locale == palabre::mail::Locale::Fr;
    let mut d = Digest {
        recipient: DigestRecipient {
            kind: RecipientKind::Member,
            locale,
            frequency: Frequency::Weekly,
        },
        period: DigestPeriod {
            from: at("2026-11-30T07:00:00Z"),
            until: at("2026-12-07T07:00:00Z"),
        },
        subject: String::new(),
        new_challenges: vec![DigestChallenge {
            id: uuid(1),
            title: "Cartographier les haies bocagères du Finistère".into(),
            summary:
                "Un inventaire ouvert des haies pour suivre leur arrachage & leur replantation."
                    .into(),
            territory: "Finistère".into(),
            url: format!("{front}/challenges/{}", uuid(1)),
        }],
        challenge_updates: vec![ChallengeUpdate {
            id: uuid(2),
            title: "Fiabiliser les adresses des hameaux".into(),
            url: format!("{front}/challenges/{}", uuid(2)),
            status_changes: vec![StatusChange {
                from: "open".into(),
                to: "in_progress".into(),
                label: if fr { "en cours" } else { "in progress" }.into(),
                at: at("2026-12-03T10:00:00Z"),
            }],
            new_pledges: vec![NewPledge {
                organisation: "Région Bretagne".into(),
                kind: "funding".into(),
                label: if fr { "financement" } else { "funding" }.into(),
            }],
        }],
        watched: vec![WatchedThread {
            thread_id: uuid(3),
            title: "Base adresse locale de Brest".into(),
            new_replies: 4,
            url: format!("{front}/threads/{}", uuid(3)),
            top_reply: Some(Excerpt {
                author: "Maëlle Le Goff".into(),
                excerpt: "La version 2 est publiée sur data.gouv.fr, avec les lieux-dits <enfin> !"
                    .into(),
                reactions: 3,
                url: format!("{front}/threads/{}#post-5", uuid(3)),
            }),
        }],
        popular: vec![PopularThread {
            thread_id: uuid(4),
            title: "Quel format pour les pistes cyclables ?".into(),
            url: format!("{front}/threads/{}", uuid(4)),
            replies: 12,
            participants: 7,
            reactions: 9,
            score: 42,
        }],
        announcements: vec![Announcement {
            thread_id: uuid(5),
            title: "Ouverture de l'appel à communs 2027".into(),
            url: format!("{front}/threads/{}", uuid(5)),
            excerpt: "Les candidatures ouvrent le 15 janvier.".into(),
        }],
        communs: vec![CommunNews {
            slug: "bal-bretagne".into(),
            name: "Bases adresses locales de Bretagne".into(),
            url: format!("{front}/communs/bal-bretagne"),
            news: vec![CommunNewsItem {
                title: "Douze communes de plus".into(),
                url: format!("{front}/threads/{}", uuid(6)),
            }],
            milestones: vec!["Version 2 publiée".into()],
            resources: vec![CommunResourceNews {
                title: "Éditeur de BAL".into(),
                url: "https://git.example.org/bal".into(),
                licence: "MIT".into(),
            }],
        }],
        unread_notifications: Some(2),
        links: DigestLinks {
            notifications: format!("{front}/notifications"),
            settings: format!("{front}/settings"),
            unsubscribe: "https://api.palabre.example.org/api/v1/unsubscribe/m0193.signature"
                .into(),
        },
    };
    d.subject = palabre::digests::render::subject(&d);
    d
}

#[test]
fn the_digest_email_in_french_and_english() {
    for (locale, name) in [
        (palabre::mail::Locale::Fr, "digest_fr"),
        (palabre::mail::Locale::En, "digest_en"),
    ] {
        let m = palabre::digests::render::render(&sample_digest(locale)).unwrap();
        insta::assert_snapshot!(format!("{name}_html"), m.html);
        insta::assert_snapshot!(
            format!("{name}_text"),
            format!("Subject: {}\n\n{}", m.subject, m.text)
        );
    }
}
