//! Wiki posts (issue 16): who makes an opening post a wiki, who may then edit it, revisions that
//! keep whole bodies, diffs between them, and the watchers told of edits.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{TestApp, category, id, json, problem, reply, thread};

async fn edit(app: &TestApp, who: &Value, post: &str, body: Value) -> reqwest::Response {
    app.authed(Method::PATCH, &format!("/api/v1/posts/{post}"), who)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn wiki(app: &TestApp, who: &Value, post: &str, enabled: bool) -> reqwest::Response {
    app.authed(Method::POST, &format!("/api/v1/posts/{post}/wiki"), who)
        .json(&json!({ "enabled": enabled }))
        .send()
        .await
        .unwrap()
}

/// Moves `who`'s address verification `days` back.
fn verified_days_ago(app: &TestApp, who: &Value, days: i32) {
    use diesel::prelude::*;
    let mut conn = app.conn();
    diesel::sql_query(format!(
        "UPDATE users SET email_verified_at = now() - interval '{days} days' WHERE id = '{}'",
        who["user"]["id"].as_str().unwrap()
    ))
    .execute(&mut conn)
    .unwrap();
}

#[tokio::test]
async fn members_in_good_standing_edit_wikis_and_each_revision_keeps_its_whole_body() {
    let app = TestApp::spawn();
    let admin = app.admin("admin").await;
    category(&app, &admin, "general", "everyone").await;
    let author = app.member("autrice").await;
    let veteran = app.member("veteran").await;
    let novice = app.member("novice").await;
    let recent = app.member("recent").await;
    let watcher = app.member("watcher").await;
    let t = thread(
        &app,
        &author,
        "general",
        "Guide de saisie des haies",
        "Sources :\n- BD TOPO\n",
    )
    .await;
    let first = t["opening_post"]["id"].as_str().unwrap().to_string();
    assert_eq!(
        (
            t["opening_post"]["wiki"].clone(),
            t["opening_post"]["revision"].clone()
        ),
        (json!(false), json!(1))
    );
    // Standing: `veteran` verified 8 days ago with 3 published posts; `recent` has the posts but
    // was verified 6 days ago; `novice` was verified 8 days ago with 2 posts.
    verified_days_ago(&app, &veteran, 8);
    verified_days_ago(&app, &recent, 6);
    verified_days_ago(&app, &novice, 8);
    let mut replies = Vec::new();
    for who in [
        &veteran, &veteran, &veteran, &recent, &recent, &recent, &novice, &novice,
    ] {
        replies.push(reply(&app, who, &t, "Merci pour ce guide.", None).await);
    }
    let resp = app
        .authed(
            Method::PUT,
            &format!("/api/v1/threads/{}/subscription", id(&t)),
            &watcher,
        )
        .json(&json!({"level": "watching"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);

    // Not a wiki yet: only its author (and moderators) edit it.
    problem(
        edit(&app, &veteran, &first, json!({"body": "Vandale"})).await,
        403,
    )
    .await;
    // Only the opening post's author or a moderator makes it a wiki; a reply cannot be one.
    problem(wiki(&app, &veteran, &first, true).await, 403).await;
    problem(wiki(&app, &veteran, id(&replies[0]), true).await, 409).await;
    let (status, post) = json(wiki(&app, &author, &first, true).await).await;
    assert_eq!((status, post["wiki"].clone()), (200, json!(true)));

    // Standing decides.
    for who in [&novice, &recent] {
        problem(
            edit(&app, who, &first, json!({"body": "Sources :\n"})).await,
            403,
        )
        .await;
    }
    // A reply of someone else stays theirs, wiki or not.
    problem(
        edit(&app, &veteran, id(&replies[3]), json!({"body": "Non."})).await,
        403,
    )
    .await;
    let (status, post) = json(
        edit(
            &app,
            &veteran,
            &first,
            json!({"body": "Sources :\n- BD TOPO\n- OpenStreetMap\n", "revision": 1}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, post["revision"].clone()),
        (200, json!(2)),
        "{post}"
    );
    // An edit from an older revision would overwrite this one: refused, nothing changed.
    let stale = edit(
        &app,
        &author,
        &first,
        json!({"body": "Sources : aucune\n", "revision": 1}),
    )
    .await;
    assert_eq!(problem(stale, 409).await["errors"][0]["field"], "revision");
    let (_, now) = json(app.get(&format!("/api/v1/posts/{first}")).await).await;
    assert_eq!(now["body"], "Sources :\n- BD TOPO\n- OpenStreetMap\n");
    problem(
        edit(&app, &author, &first, json!({"body": "x", "revision": 0})).await,
        422,
    )
    .await;
    // The author edits from the latest revision.
    let (status, post) = json(
        edit(
            &app,
            &author,
            &first,
            json!({"body": "Sources :\n- OpenStreetMap\n- Relevés de terrain\n", "revision": 2}),
        )
        .await,
    )
    .await;
    assert_eq!((status, post["revision"].clone()), (200, json!(3)));

    // Every revision keeps its whole body, its editor and its time.
    let (_, revs) = json(app.get(&format!("/api/v1/posts/{first}/revisions")).await).await;
    let got: Vec<(i64, String, String, String)> = revs["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["number"].as_i64().unwrap(),
                r["editor"]["username"].as_str().unwrap().to_string(),
                r["previous_body"].as_str().unwrap().to_string(),
                r["body"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                2,
                "veteran".into(),
                "Sources :\n- BD TOPO\n".into(),
                "Sources :\n- BD TOPO\n- OpenStreetMap\n".into()
            ),
            (
                3,
                "autrice".into(),
                "Sources :\n- BD TOPO\n- OpenStreetMap\n".into(),
                "Sources :\n- OpenStreetMap\n- Relevés de terrain\n".into()
            ),
        ]
    );

    // Diffs: each revision against the one before; the first against nothing.
    let (status, d) = json(
        app.get(&format!("/api/v1/posts/{first}/revisions/3/diff"))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{d}");
    let lines: Vec<(String, Value, Value, String)> = d["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["op"].as_str().unwrap().to_string(),
                c["old_line"].clone(),
                c["new_line"].clone(),
                c["text"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            ("equal".into(), json!(1), json!(1), "Sources :\n".into()),
            ("delete".into(), json!(2), json!(null), "- BD TOPO\n".into()),
            (
                "equal".into(),
                json!(3),
                json!(2),
                "- OpenStreetMap\n".into()
            ),
            (
                "insert".into(),
                json!(null),
                json!(3),
                "- Relevés de terrain\n".into()
            ),
        ]
    );
    assert_eq!(d["editor"]["username"], "autrice");
    assert_eq!(
        d["unified"],
        "@@ -1,3 +1,3 @@\n Sources :\n-- BD TOPO\n - OpenStreetMap\n+- Relevés de terrain\n"
    );
    let (_, d1) = json(
        app.get(&format!("/api/v1/posts/{first}/revisions/1/diff"))
            .await,
    )
    .await;
    assert_eq!(
        (
            d1["previous_body"].clone(),
            d1["body"].clone(),
            d1["editor"]["username"].clone()
        ),
        (json!(""), json!("Sources :\n- BD TOPO\n"), json!("autrice"))
    );
    assert!(
        d1["changes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["op"] == "insert")
    );
    for n in ["0", "4", "-1"] {
        problem(
            app.get(&format!("/api/v1/posts/{first}/revisions/{n}/diff"))
                .await,
            404,
        )
        .await;
    }

    // The watcher heard of the edits: once until read, then again.
    let kinds = |n: &Value| -> Vec<String> {
        n["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["kind"] == "wiki_edit")
            .map(|i| i["target"]["id"].as_str().unwrap().to_string())
            .collect()
    };
    let (_, n) = json(app.get_as("/api/v1/notifications", &watcher).await).await;
    assert_eq!(kinds(&n), [id(&t)], "{n}");
    let resp = app
        .authed(Method::POST, "/api/v1/notifications/read", &watcher)
        .json(&json!({"all": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let resp = edit(
        &app,
        &veteran,
        &first,
        json!({"body": "Sources :\n- OpenStreetMap\n"}),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let (_, n) = json(app.get_as("/api/v1/notifications", &watcher).await).await;
    assert_eq!(kinds(&n).len(), 2, "{n}");
    // The veteran watches it too (they replied): told of the author's edit, never of their own.
    let (_, n) = json(app.get_as("/api/v1/notifications", &veteran).await).await;
    let actors: Vec<&str> = n["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "wiki_edit")
        .map(|i| i["actor"]["username"].as_str().unwrap())
        .collect();
    assert_eq!(actors, ["autrice"], "{n}");

    // No longer a wiki: back to its author alone.
    let (status, post) = json(wiki(&app, &author, &first, false).await).await;
    assert_eq!((status, post["wiki"].clone()), (200, json!(false)));
    problem(
        edit(&app, &veteran, &first, json!({"body": "Encore moi"})).await,
        403,
    )
    .await;
}

#[tokio::test]
async fn a_communs_maintainers_edit_the_wikis_of_its_news() {
    let app = TestApp::spawn();
    let admin = app.admin("admin").await;
    let maelle = app.member("maelle").await;
    let yann = app.member("yann").await;
    let outsider = app.member("outsider").await;
    let resp = app
        .authed(Method::POST, "/api/v1/communs", &admin)
        .json(&json!({"slug": "haies", "name": "Inventaire des haies", "maintainers": ["maelle", "yann"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let resp = app
        .authed(Method::POST, "/api/v1/communs/haies/news", &maelle)
        .json(&json!({"title": "Guide de saisie", "body": "1. Tracer la haie.\n"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let t: Value = resp.json().await.unwrap();
    let first = t["opening_post"]["id"].as_str().unwrap().to_string();
    // Before it is a wiki, a co-maintainer may not edit it either.
    problem(
        edit(&app, &yann, &first, json!({"body": "1. Tracer.\n"})).await,
        403,
    )
    .await;
    assert_eq!(wiki(&app, &maelle, &first, true).await.status(), 200);
    // Yann (just verified, no posts) edits as a maintainer; an outsider like him may not.
    problem(
        edit(&app, &outsider, &first, json!({"body": "1. Rien.\n"})).await,
        403,
    )
    .await;
    let (status, post) = json(
        edit(
            &app,
            &yann,
            &first,
            json!({"body": "1. Tracer la haie.\n2. Noter son type.\n"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, post["revision"].clone()),
        (200, json!(2)),
        "{post}"
    );
    // In a commun's news, standing is not enough: its maintainers only.
    let veteran = app.member("veteran").await;
    verified_days_ago(&app, &veteran, 30);
    for _ in 0..3 {
        reply(&app, &veteran, &t, "Très utile, merci.", None).await;
    }
    problem(
        edit(&app, &veteran, &first, json!({"body": "1. Autre chose.\n"})).await,
        403,
    )
    .await;
    // Leaving the commun ends it.
    let resp = app
        .authed(
            Method::DELETE,
            &format!(
                "/api/v1/communs/haies/members?user_id={}",
                yann["user"]["id"].as_str().unwrap()
            ),
            &maelle,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204, "{}", resp.text().await.unwrap());
    problem(
        edit(&app, &yann, &first, json!({"body": "1. Plus rien.\n"})).await,
        403,
    )
    .await;
}
