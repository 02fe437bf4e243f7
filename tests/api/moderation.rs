//! Moderation over HTTP: flags and the threshold, the review queue, held drafts, watched words,
//! thread and member actions, statements of reasons with their emails, appeals, the append-only
//! log, limits and the DSA export.

use diesel::prelude::*;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::fixtures::*;
use crate::support::smtp::SmtpServer;
use crate::support::*;

fn uid(who: &Value) -> String {
    who["user"]["id"].as_str().unwrap().to_string()
}

/// A request with a JSON body; the future owns what it needs (closures build paths on the fly).
fn send(
    app: &TestApp,
    m: Method,
    path: &str,
    who: &Value,
    body: Value,
) -> impl std::future::Future<Output = reqwest::Response> + use<> {
    let request = app.authed(m, path, who).json(&body);
    async move { request.send().await.unwrap() }
}

fn sql(app: &TestApp, q: &str) {
    diesel::sql_query(q).execute(&mut app.conn()).unwrap();
}

fn mails_to(app: &TestApp, to: &str) -> Vec<String> {
    app.worker().run_until_idle().unwrap();
    app.mailer
        .sent()
        .into_iter()
        .filter(|m| m.to.iter().any(|t| t == to))
        .map(|m| {
            let parsed = mail_parser::MessageParser::default()
                .parse(m.raw.as_bytes())
                .unwrap();
            format!(
                "{}\n{}",
                parsed.subject().unwrap_or_default(),
                parsed.body_text(0).unwrap_or_default()
            )
        })
        .collect()
}

#[tokio::test]
async fn flags_reaching_the_threshold_hide_until_a_moderator_keeps_it() {
    let w = World::new().await;
    let app = &w.app;
    let post = reply(
        app,
        &w.author,
        &w.thread,
        "Achetez mes montres pas chères",
        None,
    )
    .await;
    let post_id = id(&post);
    let flag = |who: &Value, reason: &str, message: Option<&str>| {
        let body = json!({"target_type": "post", "target_id": post_id, "reason": reason, "message": message});
        send(app, Method::POST, "/api/v1/flags", who, body)
    };
    // Rules: a message for `other` and `illegal`; not one's own; a second flag updates the first.
    problem(flag(&w.member, "other", None).await, 422).await;
    problem(flag(&w.author, "spam", None).await, 422).await;
    problem(flag(&w.silenced, "spam", None).await, 403).await;
    assert_eq!(flag(&w.member, "spam", None).await.status(), 201);
    let (status, again) = json(flag(&w.member, "off_topic", None).await).await;
    assert_eq!((status, again["reason"].as_str()), (200, Some("off_topic")));
    assert_eq!(flag(&w.other, "spam", None).await.status(), 201);
    let path = format!("/api/v1/posts/{post_id}");
    let (_, seen) = json(app.get(&path).await).await;
    assert_eq!(seen["hidden"], false, "two distinct members: not yet");
    // The third distinct member is a DSA notice: confirmation mail.
    let (status, _) = json(
        flag(
            &w.admin,
            "illegal",
            Some("Escroquerie (art. 313-1 du Code pénal)"),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201);
    let (_, seen) = json(app.get(&path).await).await;
    assert_eq!(
        (seen["hidden"].as_bool(), seen["body"].as_str()),
        (Some(true), Some(""))
    );
    let (_, own) = json(app.get_as(&path, &w.author).await).await;
    assert_eq!(
        own["body"], "Achetez mes montres pas chères",
        "its author still reads it"
    );
    assert!(
        mails_to(app, "w_admin@example.org")
            .iter()
            .any(|m| m.contains("signalement")),
        "the notifier's confirmation"
    );
    // The author got an automated statement of reasons.
    let (_, notes) = json(app.get_as("/api/v1/notifications", &w.author).await).await;
    let note = notes["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "moderation_decision")
        .unwrap();
    let decision = note["decision_id"].as_str().unwrap();
    let (_, d) = json(
        app.get_as(
            &format!("/api/v1/moderation/decisions/{decision}"),
            &w.author,
        )
        .await,
    )
    .await;
    assert_eq!(
        (d["automated"].as_bool(), d["source_type"].as_str()),
        (Some(true), Some("SOURCE_ARTICLE_16"))
    );
    problem(
        app.get_as(
            &format!("/api/v1/moderation/decisions/{decision}"),
            &w.member,
        )
        .await,
        404,
    )
    .await;

    // One queue item for the target, with its three flags; a member cannot read the queue.
    problem(app.get_as("/api/v1/moderation/queue", &w.member).await, 403).await;
    let (_, queue) = json(
        app.get_as("/api/v1/moderation/queue?kind=flags", &w.moderator)
            .await,
    )
    .await;
    let items = queue["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    let item = &items[0];
    assert_eq!(
        (item["flag_count"].as_i64(), item["auto_hidden"].as_bool()),
        (Some(3), Some(true))
    );
    let item_id = item["id"].as_str().unwrap();
    let (status, claimed) = json(
        app.authed(
            Method::POST,
            &format!("/api/v1/moderation/queue/{item_id}/claim"),
            &w.moderator,
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(
        (status, claimed["claimed_by"]["username"].as_str()),
        (200, Some("w_moderator"))
    );
    problem(
        send(
            app,
            Method::POST,
            &format!("/api/v1/moderation/queue/{item_id}/resolve"),
            &w.admin,
            json!({"action": "dismiss", "reason": "ok"}),
        )
        .await,
        409,
    )
    .await;
    problem(
        send(
            app,
            Method::POST,
            &format!("/api/v1/moderation/queue/{item_id}/resolve"),
            &w.moderator,
            json!({"action": "dismiss", "reason": ""}),
        )
        .await,
        422,
    )
    .await;
    let (status, done) = json(send(app, Method::POST, &format!("/api/v1/moderation/queue/{item_id}/resolve"), &w.moderator, json!({"action": "approve", "reason": "Une publicité ? Non : un membre vend son matériel de terrain."})).await).await;
    assert_eq!(
        (status, done["status"].as_str(), done["resolution"].as_str()),
        (200, Some("resolved"), Some("approve"))
    );
    let (_, seen) = json(app.get(&path).await).await;
    assert_eq!(seen["hidden"], false, "kept: visible again");
    assert!(
        mails_to(app, "w_admin@example.org")
            .iter()
            .any(|m| m.contains("maintenu")),
        "the notifier hears the outcome"
    );
    // Resolved items keep their resolution and leave the pending list.
    let (_, pending) = json(app.get_as("/api/v1/moderation/queue", &w.moderator).await).await;
    assert!(pending["items"].as_array().unwrap().is_empty());
    let (_, resolved) = json(
        app.get_as("/api/v1/moderation/queue?status=resolved", &w.moderator)
            .await,
    )
    .await;
    assert_eq!(resolved["items"][0]["resolution"], "approve");

    // The log has the automatic hide and the moderator's resolution, and refuses UPDATE and DELETE.
    let (_, log) = json(
        app.get_as(
            &format!("/api/v1/moderation/log?target_id={post_id}"),
            &w.moderator,
        )
        .await,
    )
    .await;
    let actions: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"auto_hide_post"), "{actions:?}");
    assert!(
        log["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "auto_hide_post" && e["actor"].is_null())
    );
    let mut conn = app.conn();
    for q in [
        "UPDATE moderation_log SET reason = 'x'",
        "DELETE FROM moderation_log",
        "TRUNCATE moderation_log",
    ] {
        let err = diesel::sql_query(q)
            .execute(&mut conn)
            .unwrap_err()
            .to_string();
        assert!(err.contains("append-only"), "{q}: {err}");
    }
}

#[tokio::test]
async fn a_new_members_first_thread_is_held_then_published_numbered_and_notified() {
    let app = TestApp::spawn_with(|s| s.approve_first_posts = 1, |_| {});
    let admin = app.admin("held_admin").await;
    category(&app, &admin, "general", "everyone").await;
    let newbie = app.member("newbie").await;
    let resp = send(&app, Method::POST, "/api/v1/threads", &newbie,
        json!({"category": "general", "title": "Bonjour la communauté", "body": "Je découvre les géocommuns."})).await;
    assert_eq!(resp.status(), 202);
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    let held: Value = resp.json().await.unwrap();
    assert_eq!(
        (held["status"].as_str(), held["held_for"].as_str()),
        (Some("held"), Some("first_posts"))
    );
    // Invisible: not listed, not searchable, not counted; its author and moderators read the draft.
    let (_, list) = json(app.get("/api/v1/threads").await).await;
    assert!(list["items"].as_array().unwrap().is_empty());
    let (_, hits) = json(app.get("/api/v1/search?q=geocommuns").await).await;
    assert!(hits["items"].as_array().unwrap().is_empty());
    let (_, cats) = json(app.get("/api/v1/categories").await).await;
    assert_eq!(cats["items"][0]["thread_count"], 0);
    assert_eq!(app.get_as(&location, &newbie).await.status(), 200);
    let stranger = app.member("stranger").await;
    assert_eq!(app.get_as(&location, &stranger).await.status(), 404);
    assert!(
        mails_to(&app, "newbie@example.org")
            .iter()
            .any(|m| m.contains("relire")),
        "told it is held"
    );

    let (_, queue) = json(
        app.get_as("/api/v1/moderation/queue?kind=held", &admin)
            .await,
    )
    .await;
    let item = queue["items"][0]["id"].as_str().unwrap().to_string();
    let (status, done) = json(
        send(
            &app,
            Method::POST,
            &format!("/api/v1/moderation/queue/{item}/resolve"),
            &admin,
            json!({"action": "approve", "reason": "Bienvenue"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{done}");
    let (_, list) = json(app.get("/api/v1/threads").await).await;
    assert_eq!(list["items"][0]["title"], "Bonjour la communauté");
    let (_, cats) = json(app.get("/api/v1/categories").await).await;
    assert_eq!(cats["items"][0]["thread_count"], 1);
    let (_, draft) = json(app.get_as(&location, &newbie).await).await;
    assert_eq!(draft["status"], "approved");

    // A held reply gets its number when approved, after one published meanwhile; then it notifies.
    let thread = list["items"][0].clone();
    let other_new = app.member("other_new").await;
    let resp = send(
        &app,
        Method::POST,
        &format!("/api/v1/threads/{}/posts", id(&thread)),
        &other_new,
        json!({"body": "Bienvenue @newbie !"}),
    )
    .await;
    assert_eq!(resp.status(), 202);
    reply(&app, &admin, &thread, "Un mot de l'équipe", None).await;
    let (_, notes) = json(app.get_as("/api/v1/notifications", &newbie).await).await;
    assert!(
        !notes["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "mention"),
        "not before approval"
    );
    let (_, queue) = json(
        app.get_as("/api/v1/moderation/queue?kind=held", &admin)
            .await,
    )
    .await;
    let item = queue["items"][0]["id"].as_str().unwrap().to_string();
    send(
        &app,
        Method::POST,
        &format!("/api/v1/moderation/queue/{item}/resolve"),
        &admin,
        json!({"action": "approve", "reason": "ok"}),
    )
    .await;
    let (_, posts) = json(
        app.get(&format!("/api/v1/threads/{}/posts", id(&thread)))
            .await,
    )
    .await;
    let numbers: Vec<(i64, String)> = posts["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["number"].as_i64().unwrap(),
                p["author"]["username"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        numbers,
        vec![(2, "held_admin".to_string()), (3, "other_new".to_string())]
    );
    let (_, notes) = json(app.get_as("/api/v1/notifications", &newbie).await).await;
    assert!(
        notes["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "mention"),
        "notified on approval"
    );
    // Published once: the next post of that member is not held.
    let resp = send(
        &app,
        Method::POST,
        &format!("/api/v1/threads/{}/posts", id(&thread)),
        &other_new,
        json!({"body": "Merci"}),
    )
    .await;
    assert_eq!(resp.status(), 201);
}

#[tokio::test]
async fn watched_words_block_hold_and_replace() {
    let w = World::new().await;
    let app = &w.app;
    let add = |pattern: &str, action: &str, replacement: Option<&str>| {
        send(
            app,
            Method::POST,
            "/api/v1/admin/watched-words",
            &w.admin,
            json!({"pattern": pattern, "action": action, "replacement": replacement}),
        )
    };
    problem(
        send(
            app,
            Method::POST,
            "/api/v1/admin/watched-words",
            &w.moderator,
            json!({"pattern": "x", "action": "block"}),
        )
        .await,
        403,
    )
    .await;
    assert_eq!(add("casino", "block", None).await.status(), 201);
    assert_eq!(add("crypto-monnaie", "hold", None).await.status(), 201);
    assert_eq!(add("ign", "replace", Some("IGN")).await.status(), 201);
    problem(add("x", "replace", None).await, 422).await;
    let bad = send(
        app,
        Method::POST,
        "/api/v1/admin/watched-words",
        &w.admin,
        json!({"pattern": "(", "regex": true, "action": "block"}),
    )
    .await;
    let p = problem(bad, 422).await;
    assert_eq!(p["errors"][0]["field"], "pattern");

    let post = |body: &str| {
        send(
            app,
            Method::POST,
            &format!("/api/v1/threads/{}/posts", id(&w.thread)),
            &w.member,
            json!({"body": body}),
        )
    };
    let p = problem(post("Venez au CASINÔ ce soir").await, 422).await;
    assert_eq!(p["errors"][0]["field"], "body");
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("casino")
    );
    assert_eq!(post("Parlons crypto-monnaie").await.status(), 202);
    let (status, replaced) = json(post("Les données de l'ign sont ouvertes").await).await;
    assert_eq!(
        (status, replaced["body"].as_str()),
        (201, Some("Les données de l'IGN sont ouvertes"))
    );
    // Edits meet the same words: a blocked word cannot be edited in, in a body or a title.
    let clean = reply(app, &w.member, &w.thread, "Un message propre", None).await;
    let p = problem(
        send(
            app,
            Method::PATCH,
            &format!("/api/v1/posts/{}", id(&clean)),
            &w.member,
            json!({"body": "Au casino !"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "body");
    let p = problem(
        send(
            app,
            Method::PATCH,
            &format!("/api/v1/threads/{}", id(&w.thread)),
            &w.author,
            json!({"title": "Soirée casino du fil"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "title");
    let (_, list) = json(app.get_as("/api/v1/admin/watched-words", &w.admin).await).await;
    assert_eq!(list.as_array().unwrap().len(), 3);
    let casino = list[0]["id"].as_str().unwrap();
    assert_eq!(
        app.authed(
            Method::DELETE,
            &format!("/api/v1/admin/watched-words/{casino}"),
            &w.admin
        )
        .send()
        .await
        .unwrap()
        .status(),
        204
    );
    assert_eq!(post("Le casino municipal").await.status(), 201);
    let resp = app
        .authed(
            Method::DELETE,
            "/api/v1/admin/watched-words?pattern=ign",
            &w.admin,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    let (_, list) = json(app.get_as("/api/v1/admin/watched-words", &w.admin).await).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn post_actions_hide_restore_and_log_with_their_reasons() {
    let w = World::new().await;
    let app = &w.app;
    let post = reply(app, &w.member, &w.thread, "Première version", None).await;
    let path = format!("/api/v1/posts/{}", id(&post));
    send(
        app,
        Method::PATCH,
        &path,
        &w.member,
        json!({"body": "Seconde version"}),
    )
    .await;
    let act = |action: &str| {
        send(
            app,
            Method::POST,
            &format!("{path}/moderation"),
            &w.moderator,
            json!({"action": action, "reason": "Données personnelles publiées"}),
        )
    };
    let (status, done) = json(act("hide").await).await;
    assert_eq!(status, 200);
    assert!(done["decision_id"].is_string());
    problem(act("hide").await, 409).await;
    let (_, revs) = json(app.get(&format!("{path}/revisions")).await).await;
    assert_eq!(
        revs["items"][0]["previous_body"], "",
        "a hidden post's history is hidden too"
    );
    let (_, own) = json(app.get_as(&format!("{path}/revisions"), &w.member).await).await;
    assert_eq!(own["items"][0]["previous_body"], "Première version");
    assert_eq!(act("unhide").await.status(), 200);
    assert_eq!(act("delete").await.status(), 200);
    let (_, seen) = json(app.get(&path).await).await;
    assert_eq!(seen["deleted"], true);
    assert_eq!(act("restore").await.status(), 200);
    let (_, seen) = json(app.get(&path).await).await;
    assert_eq!(
        (seen["deleted"].as_bool(), seen["body"].as_str()),
        (Some(false), Some("Seconde version"))
    );
    // Acting directly on flagged content settles its flags: the queue item is resolved with the
    // decision, which names the notice as its source, and the notifier is told the outcome.
    let flagged = reply(app, &w.author, &w.thread, "Numéros de cartes volées", None).await;
    let flagged_path = format!("/api/v1/posts/{}", id(&flagged));
    let notice = json!({"target_type": "post", "target_id": id(&flagged), "reason": "illegal",
                        "message": "Recel (art. 321-1 du Code pénal)"});
    assert_eq!(
        send(app, Method::POST, "/api/v1/flags", &w.other, notice)
            .await
            .status(),
        201
    );
    let (status, done) = json(
        send(
            app,
            Method::POST,
            &format!("{flagged_path}/moderation"),
            &w.moderator,
            json!({"action": "delete", "reason": "Contenu illicite signalé"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    let (_, resolved) = json(
        app.get_as(
            "/api/v1/moderation/queue?kind=flags&status=resolved",
            &w.admin,
        )
        .await,
    )
    .await;
    let item = &resolved["items"][0];
    assert_eq!(
        (
            item["target_id"].as_str(),
            item["resolution"].as_str(),
            &item["decision_id"]
        ),
        (Some(id(&flagged)), Some("delete"), &done["decision_id"])
    );
    let (_, d) = json(
        app.get_as(
            &format!(
                "/api/v1/moderation/decisions/{}",
                done["decision_id"].as_str().unwrap()
            ),
            &w.admin,
        )
        .await,
    )
    .await;
    assert_eq!(d["source_type"], "SOURCE_ARTICLE_16");
    assert!(
        mails_to(app, "w_other@example.org")
            .iter()
            .any(|m| m.contains("a été examiné") && m.contains("retiré")),
        "the notifier learns the outcome"
    );
    // A moderator's move through PATCH is logged; the log filters by action and actor.
    category(app, &w.admin, "archives", "everyone").await;
    let resp = send(
        app,
        Method::PATCH,
        &format!("/api/v1/threads/{}", id(&w.thread)),
        &w.moderator,
        json!({"category": "archives", "reason": "Mieux rangé ici"}),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let moderator = uid(&w.moderator);
    let (_, log) = json(
        app.get_as(
            &format!("/api/v1/moderation/log?actor={moderator}"),
            &w.admin,
        )
        .await,
    )
    .await;
    let actions: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "move_thread",
            "delete_post",
            "restore_post",
            "delete_post",
            "unhide_post",
            "hide_post"
        ]
    );
    let (_, only) = json(
        app.get_as("/api/v1/moderation/log?action=move_thread", &w.admin)
            .await,
    )
    .await;
    assert_eq!(only["items"][0]["reason"], "Mieux rangé ici");
    problem(
        app.get_as("/api/v1/moderation/log?target_type=null", &w.admin)
            .await,
        422,
    )
    .await;
    problem(
        app.authed(
            Method::DELETE,
            &format!("{path}?reason={}", "x".repeat(2001)),
            &w.moderator,
        )
        .send()
        .await
        .unwrap(),
        422,
    )
    .await;
    problem(app.get_as("/api/v1/moderation/log", &w.member).await, 403).await;
}

#[tokio::test]
async fn posts_per_minute_are_limited_tighter_for_new_members() {
    let app = TestApp::spawn_with(
        |s| {
            s.moderation.posts_per_minute = 3;
            s.moderation.new_member_posts_per_minute = 1;
        },
        |_| {},
    );
    let admin = app.admin("rate_admin").await;
    category(&app, &admin, "general", "everyone").await;
    let t = thread(&app, &admin, "general", "Un fil animé", "corps").await;
    let newcomer = app.member("newcomer").await;
    let post = |who: &Value| {
        send(
            &app,
            Method::POST,
            &format!("/api/v1/threads/{}/posts", id(&t)),
            who,
            json!({"body": "encore un mot"}),
        )
    };
    assert_eq!(post(&newcomer).await.status(), 201);
    let resp = post(&newcomer).await;
    assert!(resp.headers().contains_key("retry-after"));
    problem(resp, 429).await;
    // A member of long standing (older than the new-member days, three posts) gets the wider limit.
    let senior = app.member("senior").await;
    sql(
        &app,
        "UPDATE users SET created_at = now() - interval '30 days', reply_count = 10 WHERE username = 'senior'",
    );
    for _ in 0..3 {
        assert_eq!(post(&senior).await.status(), 201);
    }
    problem(post(&senior).await, 429).await;
    // Staff are not limited.
    for _ in 0..5 {
        assert_eq!(post(&admin).await.status(), 201);
    }
}

#[tokio::test]
async fn locked_archived_and_slow_threads_refuse_members() {
    let w = World::new().await;
    let app = &w.app;
    let t = id(&w.thread).to_string();
    let post = reply(app, &w.member, &w.thread, "Avant le verrou", None).await;
    let act = |action: &str| {
        send(
            app,
            Method::POST,
            &format!("/api/v1/threads/{t}/moderation"),
            &w.moderator,
            json!({"action": action, "reason": "Le débat tourne en rond"}),
        )
    };
    problem(
        send(
            app,
            Method::POST,
            &format!("/api/v1/threads/{t}/moderation"),
            &w.member,
            json!({"action": "lock", "reason": "x"}),
        )
        .await,
        403,
    )
    .await;
    problem(
        send(
            app,
            Method::POST,
            &format!("/api/v1/threads/{t}/moderation"),
            &w.moderator,
            json!({"action": "lock"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(act("lock").await.status(), 200);
    problem(act("lock").await, 409).await;
    problem(
        send(
            app,
            Method::POST,
            &format!("/api/v1/threads/{t}/posts"),
            &w.member,
            json!({"body": "encore"}),
        )
        .await,
        403,
    )
    .await;
    problem(
        send(
            app,
            Method::PATCH,
            &format!("/api/v1/posts/{}", id(&post)),
            &w.member,
            json!({"body": "modifié"}),
        )
        .await,
        403,
    )
    .await;
    problem(
        app.authed(
            Method::PUT,
            &format!(
                "/api/v1/posts/{}/reactions/like",
                id(&w.thread["opening_post"])
            ),
            &w.member,
        )
        .send()
        .await
        .unwrap(),
        403,
    )
    .await;
    assert_eq!(act("unlock").await.status(), 200);
    assert_eq!(act("archive").await.status(), 200);
    problem(
        send(
            app,
            Method::POST,
            &format!("/api/v1/threads/{t}/posts"),
            &w.member,
            json!({"body": "archivé"}),
        )
        .await,
        403,
    )
    .await;
    let (_, list) = json(app.get("/api/v1/threads").await).await;
    assert!(
        list["items"].as_array().unwrap().is_empty(),
        "archived: out of the site-wide list"
    );
    let (_, in_cat) = json(app.get("/api/v1/threads?category=general").await).await;
    assert_eq!(in_cat["items"][0]["archived"], true);
    assert_eq!(act("unarchive").await.status(), 200);
    // Slow mode: a second post of one member inside the gap is a 429 with Retry-After.
    let resp = send(
        app,
        Method::PUT,
        &format!("/api/v1/threads/{t}/slow-mode"),
        &w.moderator,
        json!({"seconds": 600, "reason": "Calmons le jeu"}),
    )
    .await;
    assert_eq!(resp.status(), 200);
    problem(
        send(
            app,
            Method::PUT,
            &format!("/api/v1/threads/{t}/slow-mode"),
            &w.moderator,
            json!({"seconds": 90000, "reason": "x"}),
        )
        .await,
        422,
    )
    .await;
    let resp = send(
        app,
        Method::POST,
        &format!("/api/v1/threads/{t}/posts"),
        &w.member,
        json!({"body": "trop vite"}),
    )
    .await;
    let retry: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 0 && retry <= 600);
    problem(resp, 429).await;
    assert_eq!(
        send(
            app,
            Method::POST,
            &format!("/api/v1/threads/{t}/posts"),
            &w.other,
            json!({"body": "à mon tour"})
        )
        .await
        .status(),
        201
    );
    // Hide: out of lists for members, visible to its author and staff; the author is told.
    assert_eq!(act("hide").await.status(), 200);
    assert_eq!(app.get(&format!("/api/v1/threads/{t}")).await.status(), 404);
    assert_eq!(
        app.get_as(&format!("/api/v1/threads/{t}"), &w.author)
            .await
            .status(),
        200
    );
    assert_eq!(
        app.get_as(&format!("/api/v1/threads/{t}"), &w.moderator)
            .await
            .status(),
        200
    );
    assert!(
        mails_to(app, "w_author@example.org")
            .iter()
            .any(|m| m.contains("masqué") && m.contains("tourne en rond"))
    );
    // Nothing of a hidden thread shows through its replies, its opening post, search or feeds.
    assert_eq!(
        app.get(&format!("/api/v1/threads/{t}/posts"))
            .await
            .status(),
        404
    );
    assert_eq!(
        app.get(&format!("/api/v1/posts/{}", id(&w.thread["opening_post"])))
            .await
            .status(),
        404
    );
    assert_eq!(
        app.get(&format!("/api/v1/posts/{}/revisions", id(&post)))
            .await
            .status(),
        404
    );
    let feed = app
        .get("/api/v1/feeds/latest.atom")
        .await
        .text()
        .await
        .unwrap();
    assert!(!feed.contains("Le fil de référence"));
    let (_, hits) = json(app.get("/api/v1/search?q=r%C3%A9f%C3%A9rence").await).await;
    assert!(hits["items"].as_array().unwrap().is_empty());
    problem(
        send(
            app,
            Method::POST,
            &format!("/api/v1/threads/{t}/posts"),
            &w.other,
            json!({"body": "je réponds"}),
        )
        .await,
        404,
    )
    .await;
    assert_eq!(act("unhide").await.status(), 200);
    assert_eq!(
        app.get(&format!("/api/v1/threads/{t}/posts"))
            .await
            .status(),
        200
    );
    // A moderator's DELETE of another member's post needs a reason, and the author is told.
    let p = problem(
        app.authed(
            Method::DELETE,
            &format!("/api/v1/posts/{}", id(&post)),
            &w.moderator,
        )
        .send()
        .await
        .unwrap(),
        422,
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "reason");
    let resp = app
        .authed(
            Method::DELETE,
            &format!("/api/v1/posts/{}?reason=Hors%20sujet", id(&post)),
            &w.moderator,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    assert!(
        mails_to(app, "w_member@example.org")
            .iter()
            .any(|m| m.contains("retiré") && m.contains("Hors sujet"))
    );
}

#[tokio::test]
async fn sanctions_end_sessions_lift_by_themselves_and_an_appeal_reverses_them() {
    let w = World::new().await;
    let app = &w.app;
    let member = uid(&w.member);
    let path = format!("/api/v1/users/{member}/moderation");
    problem(
        send(
            app,
            Method::POST,
            &path,
            &w.moderator,
            json!({"action": "silence", "reason": "x", "until": "2020-01-01T00:00:00Z"}),
        )
        .await,
        422,
    )
    .await;
    problem(
        send(
            app,
            Method::POST,
            &format!("/api/v1/users/{}/moderation", uid(&w.admin)),
            &w.moderator,
            json!({"action": "silence", "reason": "x"}),
        )
        .await,
        403,
    )
    .await;
    let (status, r) = json(send(app, Method::POST, &path, &w.moderator, json!({"action": "silence", "reason": "Propos insultants répétés", "until": "2099-01-01T00:00:00Z"})).await).await;
    assert_eq!((status, r["silenced"].as_bool()), (200, Some(true)));
    let decision = r["decision_id"].as_str().unwrap().to_string();
    problem(
        send(
            app,
            Method::POST,
            &format!("/api/v1/threads/{}/posts", id(&w.thread)),
            &w.member,
            json!({"body": "je parle"}),
        )
        .await,
        403,
    )
    .await;
    // The silence ends by itself: here its end is moved to the past (the clock, simulated).
    sql(
        app,
        &format!(
            "UPDATE users SET silenced_until = now() - interval '1 second' WHERE id = '{member}'"
        ),
    );
    assert_eq!(
        send(
            app,
            Method::POST,
            &format!("/api/v1/threads/{}/posts", id(&w.thread)),
            &w.member,
            json!({"body": "je reparle"})
        )
        .await
        .status(),
        201
    );

    // Suspension: the session ends at once; login is refused; the email says why.
    let (status, r) = json(
        send(
            app,
            Method::POST,
            &path,
            &w.moderator,
            json!({"action": "suspend", "reason": "Harcèlement d'un membre"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (
            status,
            r["suspended"].as_bool(),
            r["suspended_until"].is_null()
        ),
        (200, Some(true), true)
    );
    let suspension = r["decision_id"].as_str().unwrap().to_string();
    problem(app.get_as("/api/v1/me", &w.member).await, 401).await;
    problem(app.login("w_member", PASSWORD).await, 403).await;
    assert!(
        mails_to(app, "w_member@example.org")
            .iter()
            .any(|m| m.contains("suspendu") && m.contains("Harcèlement"))
    );
    // A suspended member cannot log in, but appeals with the single-use token of that email.
    let mail = mails_to(app, "w_member@example.org")
        .into_iter()
        .find(|m| m.contains("suspendu"))
        .unwrap();
    let start = mail.find("token=").unwrap() + "token=".len();
    let token: String = mail[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    let appeal_path = format!("/api/v1/moderation/decisions/{suspension}/appeal");
    problem(
        app.post_json(&appeal_path, &json!({"message": "Sans jeton"}))
            .await,
        401,
    )
    .await;
    problem(
        app.post_json(&appeal_path, &json!({"message": "Faux", "token": "faux"}))
            .await,
        422,
    )
    .await;
    let resp = app
        .post_json(
            &appeal_path,
            &json!({"message": "Un malentendu.", "token": token}),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let again = app
        .post_json(&appeal_path, &json!({"message": "Encore", "token": token}))
        .await;
    problem(again, 422).await;
    let (_, queue) = json(
        app.get_as("/api/v1/moderation/queue?kind=appeal", &w.admin)
            .await,
    )
    .await;
    assert!(
        queue["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["appeal_message"] == "Un malentendu.")
    );
    sql(
        app,
        &format!("UPDATE users SET suspended_until = NULL WHERE id = '{member}'"),
    );
    let (_, tokens) = json(app.login("w_member", PASSWORD).await).await;

    // Appeal: once, by the person concerned; decided by another moderator; reversal lifts it.
    sql(
        app,
        &format!("UPDATE users SET silenced_until = '9999-12-31' WHERE id = '{member}'"),
    );
    let appeal = format!("/api/v1/moderation/decisions/{decision}/appeal");
    problem(
        send(
            app,
            Method::POST,
            &appeal,
            &w.other,
            json!({"message": "pour lui"}),
        )
        .await,
        404,
    )
    .await;
    let resp = send(
        app,
        Method::POST,
        &appeal,
        &tokens,
        json!({"message": "Je contestais une carte, pas une personne."}),
    )
    .await;
    assert_eq!(resp.status(), 201, "a silenced member appeals");
    problem(
        send(
            app,
            Method::POST,
            &appeal,
            &tokens,
            json!({"message": "encore"}),
        )
        .await,
        409,
    )
    .await;
    let (_, queue) = json(
        app.get_as("/api/v1/moderation/queue?kind=appeal", &w.admin)
            .await,
    )
    .await;
    let silence_appeal = queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["appeal_message"] == "Je contestais une carte, pas une personne.")
        .expect("the silence's appeal in the queue");
    let item = silence_appeal["id"].as_str().unwrap().to_string();
    let resolve = format!("/api/v1/moderation/queue/{item}/resolve");
    problem(
        send(
            app,
            Method::POST,
            &resolve,
            &w.moderator,
            json!({"action": "approve", "reason": "x"}),
        )
        .await,
        403,
    )
    .await;
    let (status, _) = json(
        send(
            app,
            Method::POST,
            &resolve,
            &w.admin,
            json!({"action": "approve", "reason": "Le contexte montre un débat technique."}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    let (_, d) = json(
        app.get_as(&format!("/api/v1/moderation/decisions/{decision}"), &tokens)
            .await,
    )
    .await;
    assert_eq!(
        (
            d["appeal"]["status"].as_str(),
            d["reversed_at"].is_null(),
            d["can_appeal"].as_bool()
        ),
        (Some("reversed"), false, Some(false))
    );
    assert_eq!(
        send(
            app,
            Method::POST,
            &format!("/api/v1/threads/{}/posts", id(&w.thread)),
            &tokens,
            json!({"body": "libre"})
        )
        .await
        .status(),
        201
    );
    assert!(
        mails_to(app, "w_member@example.org")
            .iter()
            .any(|m| m.contains("annulée"))
    );

    // The DSA export: every statement carries the Transparency Database's required fields.
    problem(
        app.get_as(
            "/api/v1/admin/statements?since=2026-01-01T00:00:00Z&until=2099-01-01T00:00:00Z",
            &w.moderator,
        )
        .await,
        403,
    )
    .await;
    let (status, export) = json(
        app.get_as(
            "/api/v1/admin/statements?since=2026-01-01T00:00:00Z&until=2099-01-01T00:00:00Z",
            &w.admin,
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    let statements = export["statements"].as_array().unwrap();
    assert!(statements.iter().any(|s| s["puid"] == suspension.as_str()
        && s["decision_account"] == "DECISION_ACCOUNT_SUSPENDED"));
    for s in statements {
        check_statement(s);
    }
    // And the OpenAPI document's `StatementsSubmission` describes it (an independent validator).
    let mut schema: Value = serde_json::from_str(&palabre::openapi::to_pretty_json()).unwrap();
    schema["$ref"] = json!("#/components/schemas/StatementsSubmission");
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&export)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

/// The DSA Transparency Database's submission rules (API documentation and its validation rules,
/// schema v2 of 2025; see README, "Moderation").
fn check_statement(s: &Value) {
    const REQUIRED: [&str; 10] = [
        "decision_ground",
        "content_type",
        "category",
        "content_date",
        "application_date",
        "decision_facts",
        "source_type",
        "automated_detection",
        "automated_decision",
        "puid",
    ];
    const KNOWN: [&str; 37] = [
        "decision_visibility",
        "decision_visibility_other",
        "decision_monetary",
        "decision_monetary_other",
        "decision_provision",
        "decision_account",
        "account_type",
        "decision_ground",
        "decision_ground_reference_url",
        "illegal_content_legal_ground",
        "illegal_content_explanation",
        "incompatible_content_ground",
        "incompatible_content_explanation",
        "incompatible_content_illegal",
        "category",
        "category_addition",
        "category_specification",
        "category_specification_other",
        "content_type",
        "content_type_other",
        "content_id",
        "territorial_scope",
        "content_language",
        "content_date",
        "application_date",
        "end_date_visibility_restriction",
        "end_date_monetary_restriction",
        "end_date_service_restriction",
        "end_date_account_restriction",
        "decision_facts",
        "source_type",
        "source_identity",
        "automated_detection",
        "automated_decision",
        "puid",
        "category_specification",
        "content_language",
    ];
    let o = s.as_object().unwrap();
    for k in REQUIRED {
        assert!(o.contains_key(k), "missing {k}: {s}");
    }
    for k in o.keys() {
        assert!(KNOWN.contains(&k.as_str()), "unknown field {k}");
    }
    assert!(
        [
            "decision_visibility",
            "decision_monetary",
            "decision_provision",
            "decision_account"
        ]
        .iter()
        .any(|k| o.contains_key(*k))
    );
    let one_of = |k: &str, values: &[&str]| {
        if let Some(v) = o.get(k) {
            assert!(values.contains(&v.as_str().unwrap()), "{k} = {v}");
        }
    };
    one_of(
        "decision_ground",
        &[
            "DECISION_GROUND_ILLEGAL_CONTENT",
            "DECISION_GROUND_INCOMPATIBLE_CONTENT",
        ],
    );
    one_of(
        "source_type",
        &[
            "SOURCE_ARTICLE_16",
            "SOURCE_TRUSTED_FLAGGER",
            "SOURCE_TYPE_OTHER_NOTIFICATION",
            "SOURCE_VOLUNTARY",
        ],
    );
    one_of("automated_detection", &["Yes", "No"]);
    one_of(
        "automated_decision",
        &[
            "AUTOMATED_DECISION_FULLY",
            "AUTOMATED_DECISION_PARTIALLY",
            "AUTOMATED_DECISION_NOT_AUTOMATED",
        ],
    );
    one_of(
        "decision_provision",
        &[
            "DECISION_PROVISION_PARTIAL_SUSPENSION",
            "DECISION_PROVISION_TOTAL_SUSPENSION",
            "DECISION_PROVISION_PARTIAL_TERMINATION",
            "DECISION_PROVISION_TOTAL_TERMINATION",
        ],
    );
    one_of(
        "decision_account",
        &["DECISION_ACCOUNT_SUSPENDED", "DECISION_ACCOUNT_TERMINATED"],
    );
    one_of(
        "account_type",
        &["ACCOUNT_TYPE_BUSINESS", "ACCOUNT_TYPE_PRIVATE"],
    );
    assert!(
        o["category"]
            .as_str()
            .unwrap()
            .starts_with("STATEMENT_CATEGORY_")
    );
    if o["decision_ground"] == "DECISION_GROUND_ILLEGAL_CONTENT" {
        assert!(
            o.contains_key("illegal_content_legal_ground")
                && o.contains_key("illegal_content_explanation")
        );
    } else {
        assert!(
            o.contains_key("incompatible_content_ground")
                && o.contains_key("incompatible_content_explanation")
        );
    }
    for v in o
        .get("decision_visibility")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        assert!(v.as_str().unwrap().starts_with("DECISION_VISIBILITY_"));
    }
    for v in o["content_type"].as_array().unwrap() {
        assert!(v.as_str().unwrap().starts_with("CONTENT_TYPE_"));
    }
    let puid = o["puid"].as_str().unwrap();
    assert!(
        puid.len() <= 500
            && puid
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    );
    for k in [
        "content_date",
        "application_date",
        "end_date_account_restriction",
        "end_date_visibility_restriction",
        "end_date_service_restriction",
    ] {
        if let Some(d) = o.get(k) {
            assert!(
                chrono::NaiveDate::parse_from_str(d.as_str().unwrap(), "%Y-%m-%d").is_ok(),
                "{k} = {d}"
            );
        }
    }
    assert!(o["decision_facts"].as_str().unwrap().chars().count() <= 5000);
}

#[tokio::test]
async fn flags_per_day_are_limited_with_retry_after() {
    let app = TestApp::spawn_with(|s| s.moderation.flags_per_day = 1, |_| {});
    let admin = app.admin("lim_admin").await;
    category(&app, &admin, "general", "everyone").await;
    let t = thread(&app, &admin, "general", "Un fil à signaler", "corps").await;
    let t2 = thread(&app, &admin, "general", "Un autre fil à signaler", "corps").await;
    let m = app.member("flagger").await;
    let flag = |target: &str| {
        send(
            &app,
            Method::POST,
            "/api/v1/flags",
            &m,
            json!({"target_type": "thread", "target_id": target, "reason": "spam"}),
        )
    };
    assert_eq!(flag(id(&t)).await.status(), 201);
    let resp = flag(id(&t2)).await;
    assert!(
        resp.headers().contains_key("retry-after"),
        "{}",
        resp.status()
    );
    problem(resp, 429).await;
}

#[test]
fn the_statement_of_reasons_reaches_a_real_smtp_server() {
    let smtp = SmtpServer::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let w = World::new().await;
        let app = &w.app;
        let post = reply(app, &w.author, &w.thread, "Un message déplacé", None).await;
        let resp = send(app, Method::POST, &format!("/api/v1/posts/{}/moderation", id(&post)), &w.moderator,
            json!({"action": "delete", "reason": "Attaque personnelle", "grounds": {"ground": "terms", "terms_rule": "Charte, §2 : respect"}})).await;
        assert_eq!(resp.status(), 200);
        let worker = app.worker_mailing_through(palabre::mail::Mailer::smtp(&smtp.url()).unwrap());
        worker.run_until_idle().unwrap();
    });
    // The outbox also held the set-up's mails (registrations): find the author's.
    let received = (0..20)
        .map(|_| smtp.next_message())
        .find(|m| {
            m.to == vec!["w_author@example.org"]
                && mail_parser::MessageParser::default()
                    .parse(&m.data)
                    .and_then(|p| p.subject().map(|s| s.contains("Décision de modération")))
                    .unwrap_or(false)
        })
        .expect("the statement of reasons");
    let parsed = mail_parser::MessageParser::default()
        .parse(&received.data)
        .unwrap();
    assert!(parsed.subject().unwrap().contains("Décision de modération"));
    let text = parsed.body_text(0).unwrap();
    for expected in [
        "retiré",
        "Attaque personnelle",
        "Charte, §2 : respect",
        "par un modérateur",
        "faire appel",
        "/moderation/decisions/",
    ] {
        assert!(text.contains(expected), "{expected} in {text}");
    }
    assert!(parsed.body_html(0).is_some(), "an HTML part too");
}

#[tokio::test]
async fn pinned_threads_come_first_in_their_category_page_after_page() {
    let w = World::new().await;
    let app = &w.app;
    let second = thread(
        app,
        &w.member,
        "general",
        "Deuxième sujet du forum",
        "corps",
    )
    .await;
    let third = thread(
        app,
        &w.member,
        "general",
        "Troisième sujet du forum",
        "corps",
    )
    .await;
    let t = id(&w.thread);
    let resp = send(
        app,
        Method::POST,
        &format!("/api/v1/threads/{t}/moderation"),
        &w.moderator,
        json!({"action": "pin", "reason": "Le fil de référence"}),
    )
    .await;
    assert_eq!(resp.status(), 200);
    for sort in ["latest", "active", "top"] {
        let mut seen = Vec::new();
        let mut next = format!("/api/v1/threads?category=general&sort={sort}&limit=1");
        loop {
            let (status, page) = json(app.get(&next).await).await;
            assert_eq!(status, 200, "{page}");
            seen.extend(
                page["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|i| i["id"].as_str().unwrap().to_string()),
            );
            match page["next_cursor"].as_str() {
                Some(c) => {
                    next =
                        format!("/api/v1/threads?category=general&sort={sort}&limit=1&cursor={c}")
                }
                None => break,
            }
        }
        assert_eq!(seen.len(), 3, "{sort}: each thread once");
        assert_eq!(seen[0], t, "{sort}: the pinned thread first");
        if sort == "latest" {
            assert_eq!(seen[1..], [id(&third).to_string(), id(&second).to_string()]);
        }
    }
    // Site-wide lists are not reordered; a category's cursor does not fit them.
    let (_, all) = json(app.get("/api/v1/threads?limit=1").await).await;
    assert_eq!(all["items"][0]["id"], third["id"]);
    let (_, cat) = json(app.get("/api/v1/threads?category=general&limit=1").await).await;
    let cursor = cat["next_cursor"].as_str().unwrap();
    problem(
        app.get(&format!("/api/v1/threads?limit=1&cursor={cursor}"))
            .await,
        422,
    )
    .await;
}

#[tokio::test]
async fn a_rejected_challenge_has_its_statement_and_an_appeal_reopens_it() {
    let w = World::new().await;
    let app = &w.app;
    let c = crate::challenges::challenge_in(app, &w.author, &w.moderator, "under_review").await;
    let resp = crate::challenges::move_to(app, &w.moderator, &c, "rejected").await;
    assert_eq!(resp.status(), 200);
    let (_, notes) = json(app.get_as("/api/v1/notifications", &w.author).await).await;
    let note = notes["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "moderation_decision" && n["target"]["id"] == c.as_str())
        .expect("a statement of reasons for the rejection");
    let decision = note["decision_id"].as_str().unwrap().to_string();
    let (_, d) = json(
        app.get_as(
            &format!("/api/v1/moderation/decisions/{decision}"),
            &w.author,
        )
        .await,
    )
    .await;
    assert_eq!(
        d["decision_visibility"][0],
        "DECISION_VISIBILITY_CONTENT_INTERACTION_RESTRICTED"
    );
    assert_eq!(d["decision_facts"], "Motif de la décision.");
    assert!(
        mails_to(app, "w_author@example.org")
            .iter()
            .any(|m| m.contains("refusé"))
    );
    let resp = send(
        app,
        Method::POST,
        &format!("/api/v1/moderation/decisions/{decision}/appeal"),
        &w.author,
        json!({"message": "Le défi concerne bien une politique publique."}),
    )
    .await;
    assert_eq!(resp.status(), 201);
    let (_, queue) = json(
        app.get_as("/api/v1/moderation/queue?kind=appeal", &w.admin)
            .await,
    )
    .await;
    let item = queue["items"][0]["id"].as_str().unwrap().to_string();
    let (status, _) = json(
        send(
            app,
            Method::POST,
            &format!("/api/v1/moderation/queue/{item}/resolve"),
            &w.admin,
            json!({"action": "approve", "reason": "Recevable après relecture."}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    let (_, challenge) = json(app.get(&format!("/api/v1/challenges/{c}")).await).await;
    assert_eq!(
        challenge["status"], "under_review",
        "back where the rejection took it from"
    );
    let (_, history) = json(app.get(&format!("/api/v1/challenges/{c}/history")).await).await;
    let last = history["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["from"].as_str(), last["to"].as_str()),
        (Some("rejected"), Some("under_review"))
    );
}

#[tokio::test]
async fn anonymous_writes_are_limited_per_client_address() {
    let app = TestApp::spawn_with(|s| s.moderation.anonymous_per_hour = 2, |_| {});
    let reset = json!({"email": "personne@example.org"});
    let reset = || app.post_json("/api/v1/auth/password-reset", &reset);
    assert_eq!(reset().await.status(), 202);
    assert_eq!(reset().await.status(), 202);
    let resp = reset().await;
    assert!(resp.headers().contains_key("retry-after"));
    problem(resp, 429).await;
    // Each kind is counted apart: wrong verification tokens count, and run out on their own.
    let token = json!({"token": "inconnu"});
    let verify = || app.post_json("/api/v1/auth/verify-email", &token);
    problem(verify().await, 422).await;
    problem(verify().await, 422).await;
    problem(verify().await, 429).await;
    assert_eq!(app.register("encore_possible").await.status(), 201);
}

#[tokio::test]
async fn erasing_an_account_removes_its_held_drafts_and_keeps_the_record() {
    let app = TestApp::spawn_with(|s| s.approve_first_posts = 1, |_| {});
    let admin = app.admin("erase_admin").await;
    category(&app, &admin, "general", "everyone").await;
    let newbie = app.member("erase_newbie").await;
    let resp = send(&app, Method::POST, "/api/v1/threads", &newbie,
        json!({"category": "general", "title": "Mon adresse personnelle", "body": "12 rue des Lilas, Brest"})).await;
    assert_eq!(resp.status(), 202);
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    // Held drafts are personal data: in the export, with their text.
    let (_, export) = json(app.get_as("/api/v1/me/export", &newbie).await).await;
    assert_eq!(
        export["moderation"]["held_drafts"][0]["body"],
        "12 rue des Lilas, Brest"
    );
    assert_eq!(
        export["moderation"]["decisions"][0]["action"],
        "hold_thread"
    );
    let erased = send(
        &app,
        Method::DELETE,
        "/api/v1/me",
        &newbie,
        json!({"password": crate::support::PASSWORD}),
    )
    .await;
    assert_eq!(erased.status(), 204);
    // The draft is gone, its queue item settled; the statement of reasons stays on record.
    assert_eq!(app.get_as(&location, &admin).await.status(), 404);
    let (_, pending) = json(
        app.get_as("/api/v1/moderation/queue?kind=held", &admin)
            .await,
    )
    .await;
    assert_eq!(pending["items"], json!([]));
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let kept: N =
        diesel::sql_query("SELECT count(*) AS n FROM decisions WHERE action = 'hold_thread'")
            .get_result(&mut app.conn())
            .unwrap();
    assert_eq!(kept.n, 1);
}
