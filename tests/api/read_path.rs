//! The read path's shapes and state over HTTP: thread list items with an excerpt instead of the
//! opening post; members' read positions and the unread counts they give on watched and tracked
//! threads.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::fixtures::World;
use crate::support::{TestApp, category, id, json, problem, reply, thread};

async fn send(app: &TestApp, m: Method, path: &str, who: &Value, body: Value) -> (u16, Value) {
    json(app.authed(m, path, who).json(&body).send().await.unwrap()).await
}

/// The list item of thread `t` in `GET /threads`, as `who` (anonymous when `None`) sees it.
async fn item(app: &TestApp, t: &str, who: Option<&Value>) -> Value {
    let resp = match who {
        Some(w) => app.get_as("/api/v1/threads?limit=100", w).await,
        None => app.get("/api/v1/threads?limit=100").await,
    };
    let (status, page) = json(resp).await;
    assert_eq!(status, 200, "{page}");
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == t)
        .cloned()
        .unwrap_or_else(|| panic!("{t} not in {page}"))
}

#[tokio::test]
async fn thread_lists_carry_a_plain_excerpt_and_the_thread_read_its_opening_post() {
    let w = World::new().await;
    let app = &w.app;
    let body = format!(
        "Un **relevé** des haies <script>alert(1)</script> de Brocéliande &amp; alentours. {}",
        "Les talus plantés sont cartographiés commune par commune. ".repeat(6)
    );
    let t = thread(app, &w.author, "general", "Haies et talus", &body).await;
    let tid = id(&t).to_string();

    let listed = item(app, &tid, None).await;
    assert!(listed.get("opening_post").is_none(), "{listed}");
    let excerpt = listed["excerpt"].as_str().unwrap();
    assert_eq!(excerpt.chars().count(), 240, "{excerpt}");
    assert!(excerpt.ends_with('…'), "{excerpt}");
    assert!(
        excerpt.starts_with("Un relevé des haies de Brocéliande & alentours. Les talus"),
        "plain text of the sanitised HTML: {excerpt}"
    );
    assert!(
        !excerpt.contains('<') && !excerpt.contains("alert"),
        "{excerpt}"
    );
    assert_eq!(listed["unread_count"], Value::Null, "anonymous");

    // The thread read keeps the whole opening post.
    let (_, read) = json(app.get(&format!("/api/v1/threads/{tid}")).await).await;
    assert_eq!(read["opening_post"]["number"], 1);
    assert!(
        read["opening_post"]["body_html"]
            .as_str()
            .unwrap()
            .contains("<strong>relevé</strong>")
    );
    assert_eq!(read["excerpt"], excerpt);

    // An edit of the opening post rewrites the excerpt; a reply's edit does not.
    let opening = format!("/api/v1/posts/{}", id(&read["opening_post"]));
    let (status, _) = send(
        app,
        Method::PATCH,
        &opening,
        &w.author,
        json!({"body": "Version _courte_."}),
    )
    .await;
    assert_eq!(status, 200);
    let r = reply(app, &w.other, &t, "Une réponse", None).await;
    let (status, _) = send(
        app,
        Method::PATCH,
        &format!("/api/v1/posts/{}", id(&r)),
        &w.other,
        json!({"body": "Une réponse corrigée"}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(item(app, &tid, None).await["excerpt"], "Version courte.");

    // Hidden by moderation, the opening post leaves the excerpt to staff; unhidden, it is back.
    let moderate = |action: &'static str| {
        let path = format!("{opening}/moderation");
        let who = w.moderator.clone();
        async move {
            send(
                app,
                Method::POST,
                &path,
                &who,
                json!({"action": action, "reason": "Données personnelles"}),
            )
            .await
        }
    };
    assert_eq!(moderate("hide").await.0, 200);
    assert_eq!(item(app, &tid, None).await["excerpt"], "");
    assert_eq!(item(app, &tid, Some(&w.member)).await["excerpt"], "");
    assert_eq!(
        item(app, &tid, Some(&w.moderator)).await["excerpt"],
        "Version courte."
    );
    assert_eq!(moderate("unhide").await.0, 200);
    assert_eq!(item(app, &tid, None).await["excerpt"], "Version courte.");
    // Deleted, likewise.
    assert_eq!(moderate("delete").await.0, 200);
    assert_eq!(item(app, &tid, None).await["excerpt"], "");
    assert_eq!(moderate("restore").await.0, 200);
    assert_eq!(item(app, &tid, None).await["excerpt"], "Version courte.");
}

#[tokio::test]
async fn read_positions_only_move_forward_and_refused_ones_change_nothing() {
    let w = World::new().await;
    let app = &w.app;
    let tid = id(&w.thread).to_string();
    for text in ["deux", "trois"] {
        reply(app, &w.other, &w.thread, text, None).await;
    }
    let path = format!("/api/v1/threads/{tid}/read");
    let (status, pos) = send(
        app,
        Method::PUT,
        &path,
        &w.member,
        json!({"post_number": 2}),
    )
    .await;
    assert_eq!(status, 200, "{pos}");
    assert_eq!(
        pos,
        json!({"thread_id": tid, "post_number": 2, "last_post_number": 3})
    );
    // JSON Schema counts 2.0 as an integer: so does palabre.
    let (status, _) = send(
        app,
        Method::PUT,
        &path,
        &w.member,
        json!({"post_number": 2.0}),
    )
    .await;
    assert_eq!(status, 200);
    // An older position, sent late: nothing moves back.
    let (_, pos) = send(
        app,
        Method::PUT,
        &path,
        &w.member,
        json!({"post_number": 1}),
    )
    .await;
    assert_eq!(pos["post_number"], 2);
    // Past the last post, or below 1: a 422 naming the field, and nothing stored.
    for n in [4, 0, -3] {
        let resp = app
            .authed(Method::PUT, &path, &w.member)
            .json(&json!({"post_number": n}))
            .send()
            .await
            .unwrap();
        let p = problem(resp, 422).await;
        assert_eq!(p["errors"][0]["field"], "post_number", "{p}");
    }
    for bad in [
        json!({"post_number": "2"}),
        json!({"post_number": 2, "x": 1}),
    ] {
        let resp = app
            .authed(Method::PUT, &path, &w.member)
            .json(&bad)
            .send()
            .await
            .unwrap();
        problem(resp, 400).await;
    }
    let (_, pos) = send(
        app,
        Method::PUT,
        &path,
        &w.member,
        json!({"post_number": 3}),
    )
    .await;
    assert_eq!(pos["post_number"], 3);
    let stored: i64 = {
        use diesel::prelude::*;
        #[derive(QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        diesel::sql_query("SELECT count(*) AS n FROM thread_reads r JOIN users u ON u.id = r.user_id WHERE u.username = 'w_member'")
            .get_result::<N>(&mut app.conn())
            .unwrap()
            .n
    };
    assert_eq!(stored, 1, "one row per member and thread");

    // Anonymous: 401. Unknown thread: 404. A hidden thread: 404 but for its author and staff.
    let resp = app
        .client
        .put(app.url(&path))
        .json(&json!({"post_number": 1}))
        .send()
        .await
        .unwrap();
    problem(resp, 401).await;
    let unknown = "/api/v1/threads/01938a4e-0000-7000-8000-000000000000/read";
    let resp = app
        .authed(Method::PUT, unknown, &w.member)
        .json(&json!({"post_number": 1}))
        .send()
        .await
        .unwrap();
    problem(resp, 404).await;
    let (status, _) = send(
        app,
        Method::POST,
        &format!("/api/v1/threads/{tid}/moderation"),
        &w.moderator,
        json!({"action": "hide", "reason": "Hors charte"}),
    )
    .await;
    assert_eq!(status, 200);
    let resp = app
        .authed(Method::PUT, &path, &w.member)
        .json(&json!({"post_number": 3}))
        .send()
        .await
        .unwrap();
    problem(resp, 404).await;
    for who in [&w.author, &w.moderator] {
        let (status, _) = send(app, Method::PUT, &path, who, json!({"post_number": 2})).await;
        assert_eq!(status, 200);
    }
}

#[tokio::test]
async fn unread_counts_show_on_watched_and_tracked_threads_only() {
    let app = TestApp::spawn();
    let admin = app.admin("admin_ur").await;
    let anne = app.member("anne_ur").await;
    let bob = app.member("bob_ur").await;
    let carl = app.member("carl_ur").await;
    let dora = app.member("dora_ur").await;
    category(&app, &admin, "forets", "everyone").await;
    let t = thread(
        &app,
        &anne,
        "forets",
        "Inventaire des haies",
        "Qui relève ?",
    )
    .await;
    let tid = id(&t).to_string();
    let thread_path = format!("/api/v1/threads/{tid}");
    let unread = |who: &Value| {
        let who = who.clone();
        let tid = tid.clone();
        let thread_path = thread_path.clone();
        let app = &app;
        async move {
            let listed = item(app, &tid, Some(&who)).await["unread_count"].clone();
            let (_, read) = json(app.get_as(&thread_path, &who).await).await;
            assert_eq!(listed, read["unread_count"], "list and read agree");
            listed
        }
    };
    // The author watches their thread and has read its opening post.
    assert_eq!(unread(&anne).await, json!(0));
    // Bob tracks it, Carl leaves it at normal, Dora tracks the whole category.
    let level = |who: &Value, path: String, level: &'static str| {
        let who = who.clone();
        let app = &app;
        async move {
            let (status, body) = send(app, Method::PUT, &path, &who, json!({"level": level})).await;
            assert_eq!(status, 200, "{body}");
        }
    };
    level(&bob, format!("{thread_path}/subscription"), "tracking").await;
    level(&carl, format!("{thread_path}/subscription"), "normal").await;
    level(
        &dora,
        "/api/v1/categories/forets/subscription".into(),
        "tracking",
    )
    .await;
    for text in ["un", "deux", "trois"] {
        reply(&app, &bob, &t, text, None).await;
    }
    // Bob's own replies count as read; he had never opened the thread before replying, and his
    // reply moved his position to his post.
    assert_eq!(unread(&bob).await, json!(0));
    assert_eq!(unread(&anne).await, json!(3));
    assert_eq!(unread(&carl).await, Value::Null, "normal: no unread count");
    assert_eq!(unread(&dora).await, json!(4), "never read: every post");
    let (_, anonymous) = json(app.get(&thread_path).await).await;
    assert_eq!(anonymous["unread_count"], Value::Null);

    let read = |who: &Value, n: i32| {
        let who = who.clone();
        let path = format!("{thread_path}/read");
        let app = &app;
        async move {
            let (status, body) =
                send(app, Method::PUT, &path, &who, json!({"post_number": n})).await;
            assert_eq!(status, 200, "{body}");
        }
    };
    read(&anne, 3).await;
    read(&dora, 4).await;
    assert_eq!(unread(&anne).await, json!(1));
    assert_eq!(unread(&dora).await, json!(0));
    // A level on the thread overrides the category's: muted leaves the list, normal shows none.
    level(&dora, format!("{thread_path}/subscription"), "normal").await;
    assert_eq!(unread(&dora).await, Value::Null);
    // Carl reads without a level: his position is kept, and counts once he tracks the thread.
    read(&carl, 2).await;
    level(&carl, format!("{thread_path}/subscription"), "tracking").await;
    assert_eq!(unread(&carl).await, json!(2));

    // Tracking is counted, not notified; watching is notified.
    reply(&app, &carl, &t, "quatre", None).await;
    app.worker().run_until_idle().unwrap();
    let kinds = |who: &Value| {
        let who = who.clone();
        let app = &app;
        async move {
            let (_, page) = json(app.get_as("/api/v1/notifications", &who).await).await;
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["kind"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    assert!(kinds(&anne).await.contains(&"watched_reply".to_string()));
    assert!(!kinds(&bob).await.contains(&"watched_reply".to_string()));
    assert!(!kinds(&dora).await.contains(&"watched_reply".to_string()));
    assert_eq!(unread(&bob).await, json!(1));

    // The positions are personal data: exported, and erased with the account.
    let (_, doc) = json(app.get_as("/api/v1/me/export", &carl).await).await;
    let positions = &doc["notifications"]["read_positions"];
    assert_eq!(positions[0]["thread_id"], tid.as_str(), "{doc}");
    assert_eq!(positions[0]["post_number"], 5);
    let resp = app
        .authed(Method::DELETE, "/api/v1/me", &carl)
        .json(&json!({"password": crate::support::PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let left = diesel::sql_query(
        "SELECT count(*) AS n FROM thread_reads r JOIN users u ON u.id = r.user_id \
         WHERE u.erased_at IS NOT NULL",
    )
    .get_result::<N>(&mut app.conn())
    .unwrap()
    .n;
    assert_eq!(left, 0);
}

/// The kinds, post ids and read flags of `who`'s notifications (`query`: e.g. `?unread=true`).
async fn notes(app: &TestApp, who: &Value, query: &str) -> Value {
    let (status, page) = json(
        app.get_as(&format!("/api/v1/notifications{query}"), who)
            .await,
    )
    .await;
    assert_eq!(status, 200, "{page}");
    page
}

fn watched(page: &Value) -> Vec<(String, bool)> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "watched_reply")
        .map(|n| {
            (
                n["post_id"].as_str().unwrap().to_string(),
                n["read"].as_bool().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn watched_replies_are_derived_from_watch_levels_and_read_state() {
    let app = TestApp::spawn();
    let admin = app.admin("admin_dw").await;
    let anne = app.member("anne_dw").await;
    let bob = app.member("bob_dw").await;
    category(&app, &admin, "forets", "everyone").await;
    let t = thread(&app, &anne, "forets", "Relevés de haies", "Qui relève ?").await;
    let tid = id(&t).to_string();

    // Bob replies three times; one answers Anne directly. No job runs: nothing is fanned out.
    let r1 = reply(&app, &bob, &t, "un", None).await;
    let r2 = reply(&app, &bob, &t, "deux", Some(&t["opening_post"])).await;
    let r3 = reply(&app, &bob, &t, "trois", None).await;
    let page = notes(&app, &anne, "").await;
    // Newest first; the direct reply is a `reply`, never also a watched reply.
    assert_eq!(
        watched(&page),
        [(id(&r3).to_string(), false), (id(&r1).to_string(), false)]
    );
    let kinds: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["watched_reply", "reply", "watched_reply"]);
    assert_eq!(page["items"][1]["post_id"], r2["id"]);
    assert_eq!(page["items"][0]["post_id"], r3["id"]);
    assert_eq!(page["items"][0]["actor"]["username"], "bob_dw");
    assert_eq!(
        page["items"][0]["target"],
        json!({"type": "thread", "id": tid, "title": "Relevés de haies"})
    );
    assert_eq!(page["unread_count"], 3);
    // Pages of one walk the merged list in order, each item once.
    let mut walked = Vec::new();
    let mut cursor = String::new();
    loop {
        let p = notes(&app, &anne, &format!("?limit=1{cursor}")).await;
        walked.extend(
            p["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["id"].clone()),
        );
        match p["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    let all: Vec<Value> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].clone())
        .collect();
    assert_eq!(walked, all);

    // Reading the thread up to post 2 reads the first watched reply.
    let (status, _) = send(
        &app,
        Method::PUT,
        &format!("/api/v1/threads/{tid}/read"),
        &anne,
        json!({"post_number": 2}),
    )
    .await;
    assert_eq!(status, 200);
    let page = notes(&app, &anne, "").await;
    assert_eq!(
        watched(&page),
        [(id(&r3).to_string(), false), (id(&r1).to_string(), true)]
    );
    assert_eq!(page["unread_count"], 2);
    assert_eq!(watched(&notes(&app, &anne, "?unread=true").await).len(), 1);
    // Marked read by id, like any notification.
    let r3_note = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["post_id"] == r3["id"])
        .unwrap()["id"]
        .clone();
    let (status, left) = send(
        &app,
        Method::POST,
        "/api/v1/notifications/read",
        &anne,
        json!({"ids": [r3_note]}),
    )
    .await;
    assert_eq!((status, &left["unread_count"]), (200, &json!(1)));
    assert!(watched(&notes(&app, &anne, "?unread=true").await).is_empty());
    // Marked all read; a later reply is new again.
    send(
        &app,
        Method::POST,
        "/api/v1/notifications/read",
        &anne,
        json!({"all": true}),
    )
    .await;
    let r4 = reply(&app, &bob, &t, "quatre", None).await;
    let page = notes(&app, &anne, "?unread=true").await;
    assert_eq!(watched(&page), [(id(&r4).to_string(), false)]);
    assert_eq!(page["unread_count"], 1);

    // A post hidden or deleted before the member looks is no notification.
    let moderator_act = |path: String, action: &'static str| {
        let admin = admin.clone();
        let app = &app;
        async move {
            let (status, body) = send(
                app,
                Method::POST,
                &path,
                &admin,
                json!({"action": action, "reason": "Hors sujet"}),
            )
            .await;
            assert_eq!(status, 200, "{body}");
        }
    };
    let r5 = reply(&app, &bob, &t, "cinq", None).await;
    moderator_act(format!("/api/v1/posts/{}/moderation", id(&r5)), "hide").await;
    let page = notes(&app, &anne, "").await;
    assert_eq!(page["unread_count"], 1);
    assert!(!watched(&page).iter().any(|(p, _)| p == id(&r5)));
    // Unhidden soon after, it is.
    moderator_act(format!("/api/v1/posts/{}/moderation", id(&r5)), "unhide").await;
    let page = notes(&app, &anne, "").await;
    assert_eq!(page["unread_count"], 2);
    // Reading the thread to its end reads them.
    let (status, _) = send(
        &app,
        Method::PUT,
        &format!("/api/v1/threads/{tid}/read"),
        &anne,
        json!({"post_number": 6}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(notes(&app, &anne, "").await["unread_count"], 0);
}

#[tokio::test]
async fn category_watchers_keep_what_came_before_a_thread_level_and_replies_cost_the_same() {
    let app = TestApp::spawn();
    let admin = app.admin("admin_cw").await;
    let anne = app.member("anne_cw").await;
    let bob = app.member("bob_cw").await;
    let dana = app.member("dana_cw").await;
    category(&app, &admin, "forets", "everyone").await;
    let t = thread(&app, &anne, "forets", "Chênes remarquables", "Inventaire.").await;
    let tid = id(&t).to_string();
    let level = |who: &Value, path: String, level: &'static str| {
        let who = who.clone();
        let app = &app;
        async move {
            let (status, _) = send(app, Method::PUT, &path, &who, json!({"level": level})).await;
            assert_eq!(status, 200);
        }
    };
    // Dana watches the category after the thread was written: replies from then on notify her.
    level(
        &dana,
        "/api/v1/categories/forets/subscription".into(),
        "watching",
    )
    .await;
    let r1 = reply(&app, &bob, &t, "un", None).await;
    assert_eq!(
        watched(&notes(&app, &dana, "").await),
        [(id(&r1).to_string(), false)]
    );
    // The same level set again moves nothing.
    level(
        &dana,
        "/api/v1/categories/forets/subscription".into(),
        "watching",
    )
    .await;
    assert_eq!(watched(&notes(&app, &dana, "").await).len(), 1);
    // Muting the thread: nothing more from it, and what came before stays.
    level(
        &dana,
        format!("/api/v1/threads/{tid}/subscription"),
        "muted",
    )
    .await;
    reply(&app, &bob, &t, "deux", None).await;
    assert_eq!(
        watched(&notes(&app, &dana, "").await),
        [(id(&r1).to_string(), false)]
    );

    // A reply writes the same statements whatever the number of watchers, and no notification
    // row for them.
    let statements = |app: &TestApp| app.statements.get();
    let count = |app: &TestApp, table: &str| -> i64 {
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        use diesel::prelude::*;
        diesel::sql_query(format!("SELECT count(*) AS n FROM {table}"))
            .get_result::<N>(&mut app.conn())
            .unwrap()
            .n
    };
    let count_rows = |app: &TestApp| count(app, "notifications");
    let before = (statements(&app), count_rows(&app));
    reply(&app, &bob, &t, "trois", None).await;
    let one_watcher = (statements(&app) - before.0, count_rows(&app) - before.1);
    for i in 0..30 {
        let w = app.member(&format!("watcher_cw{i}")).await;
        level(
            &w,
            format!("/api/v1/threads/{tid}/subscription"),
            "watching",
        )
        .await;
    }
    let before = (statements(&app), count_rows(&app));
    let last = reply(&app, &bob, &t, "quatre", None).await;
    let many = (statements(&app) - before.0, count_rows(&app) - before.1);
    assert_eq!(
        one_watcher, many,
        "statements and notification rows of a reply"
    );
    assert_eq!(many.1, 0);
    assert_eq!(
        count(&app, "jobs WHERE kind = 'notify_watchers'"),
        0,
        "no fan-out job either"
    );
    // Yet each watcher has it.
    let w = app.login("watcher_cw7", crate::support::PASSWORD).await;
    let (_, w) = json(w).await;
    assert_eq!(
        watched(&notes(&app, &w, "").await),
        [(id(&last).to_string(), false)]
    );
}

/// The migration that filled the excerpts of older threads writes what the application writes.
#[tokio::test]
async fn the_excerpt_backfill_matches_the_application() {
    use diesel::prelude::*;
    let app = TestApp::spawn();
    let admin = app.admin("admin_bf").await;
    category(&app, &admin, "forets", "everyone").await;
    let bodies = [
        "Un **relevé** _précis_ des haies & talus, [lien](https://ign.fr \"titre > piège\")."
            .to_string(),
        "- premier\n- second\n\n> citation <b>brute</b>\n\n`code <x>` fin".to_string(),
        format!("{} suite", "Brocéliande ".repeat(30)),
    ];
    let mut ids = Vec::new();
    for (i, body) in bodies.iter().enumerate() {
        let t = thread(&app, &admin, "forets", &format!("Fil numéro {i}"), body).await;
        ids.push(id(&t).to_string());
    }
    #[derive(QueryableByName, PartialEq, Debug)]
    struct E {
        #[diesel(sql_type = diesel::sql_types::Text)]
        excerpt: String,
    }
    let read = |conn: &mut diesel::PgConnection| -> Vec<String> {
        ids.iter()
            .map(|t| {
                diesel::sql_query(format!("SELECT excerpt FROM threads WHERE id = '{t}'"))
                    .get_result::<E>(conn)
                    .unwrap()
                    .excerpt
            })
            .collect()
    };
    let mut conn = app.conn();
    let written = read(&mut conn);
    assert!(written.iter().all(|e| !e.is_empty()));
    // The migration's statement, as shipped, run again over blanked excerpts.
    let up = include_str!("../../migrations/2026-12-05-000017_read_path/up.sql");
    let start = up.find("WITH plain AS").unwrap();
    let end = start + up[start..].find("WHERE plain.thread_id = t.id;").unwrap();
    let backfill = &up[start..end + "WHERE plain.thread_id = t.id".len()];
    diesel::sql_query("UPDATE threads SET excerpt = ''")
        .execute(&mut conn)
        .unwrap();
    diesel::sql_query(backfill).execute(&mut conn).unwrap();
    assert_eq!(read(&mut conn), written);
}
