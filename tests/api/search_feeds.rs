//! Search (French stemming, accent folding, ranking, snippets) and Atom feeds (parsed by feed-rs).

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{TestApp, category_named, json, problem, thread};

async fn setup(app: &TestApp) -> (Value, Value) {
    let admin = app.admin("admin_se").await;
    let anne = app.member("anne_se").await;
    for (slug, name) in [("forets", "Forêts"), ("adresses", "Adresses")] {
        category_named(app, &admin, slug, name, "everyone").await;
    }
    (admin, anne)
}

fn titles(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["title"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn search_folds_accents_and_stems_french() {
    let app = TestApp::spawn();
    let (_, anne) = setup(&app).await;
    let t = thread(
        &app,
        &anne,
        "forets",
        "Inventaire des forêts domaniales",
        "Les chênes de Brocéliande.",
    )
    .await;
    thread(
        &app,
        &anne,
        "adresses",
        "La cartographie des adresses",
        "Base Adresse Nationale <b>BAN</b>",
    )
    .await;
    thread(
        &app,
        &anne,
        "adresses",
        "Sans rapport",
        "Rien à voir avec le sujet.",
    )
    .await;
    let resp = app
        .authed(
            Method::POST,
            &format!("/api/v1/threads/{}/posts", t["id"].as_str().unwrap()),
            &anne,
        )
        .json(&json!({"body": "Il faudrait cartographier les haies et les forêts."}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);

    let (status, hits) = json(app.get("/api/v1/search?q=forets&type=threads").await).await;
    assert_eq!(status, 200);
    assert_eq!(titles(&hits), ["Inventaire des forêts domaniales"]);
    assert!(
        hits["items"][0]["snippet_html"]
            .as_str()
            .unwrap()
            .contains("<mark>forêts</mark>")
    );

    let (_, hits) = json(app.get("/api/v1/search?q=cartographier&type=threads").await).await;
    assert_eq!(
        titles(&hits),
        ["La cartographie des adresses"],
        "cartographier finds cartographie"
    );

    // Both kinds together; a post hit names its thread.
    let (_, hits) = json(app.get("/api/v1/search?q=cartographier").await).await;
    let kinds: Vec<&str> = hits["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.len(), 2);
    assert!(kinds.contains(&"post") && kinds.contains(&"thread"));
    let post_hit = hits["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["type"] == "post")
        .unwrap();
    assert_eq!(post_hit["title"], "Inventaire des forêts domaniales");
    assert_eq!(post_hit["author"]["username"], "anne_se");

    // Filters, snippets escaped, web-search syntax.
    let (_, hits) = json(
        app.get("/api/v1/search?q=cartographier&category=forets")
            .await,
    )
    .await;
    assert_eq!(hits["items"].as_array().unwrap().len(), 1);
    let (_, hits) = json(app.get("/api/v1/search?q=ban&type=posts").await).await;
    let snippet = hits["items"][0]["snippet_html"].as_str().unwrap();
    assert!(
        snippet.contains("&lt;b&gt;") && !snippet.contains("<b>"),
        "{snippet}"
    );
    let (_, hits) = json(
        app.get("/api/v1/search?q=forêts%20-chênes&type=posts")
            .await,
    )
    .await;
    assert_eq!(
        hits["items"].as_array().unwrap().len(),
        1,
        "the opening post with chênes is excluded"
    );
    let (_, none) = json(app.get("/api/v1/search?q=forets&type=challenges").await).await;
    assert!(none["items"].as_array().unwrap().is_empty());
    problem(app.get("/api/v1/search?q=%20").await, 422).await;
    assert_eq!(
        problem(app.get("/api/v1/search").await, 422).await["errors"][0]["field"],
        "q"
    );
}

#[tokio::test]
async fn search_takes_quotes_backslashes_and_stop_words() {
    let app = TestApp::spawn();
    let (_, anne) = setup(&app).await;
    thread(
        &app,
        &anne,
        "forets",
        "L'aménagement du territoire",
        "Un relevé de l'aménagement, chemin d'accès compris.",
    )
    .await;
    let (status, hits) = json(
        app.get("/api/v1/search?q=l%27am%C3%A9nagement&type=threads")
            .await,
    )
    .await;
    assert_eq!(status, 200, "{hits}");
    assert_eq!(titles(&hits), vec!["L'aménagement du territoire"]);
    for q in [
        "%27%27%27",
        "%5C%27%20OR%201%3D1%20--",
        "%24palabre_q%24%20am%C3%A9nagement",
        "%22chemin%20d%27acc%C3%A8s%22",
        "le%20et%20du",
    ] {
        let (status, body) = json(app.get(&format!("/api/v1/search?q={q}")).await).await;
        assert_eq!(status, 200, "{q}: {body}");
        assert!(body["items"].is_array(), "{q}: {body}");
    }
    let (_, hits) = json(
        app.get("/api/v1/search?q=%22chemin%20d%27acc%C3%A8s%22&type=posts")
            .await,
    )
    .await;
    assert_eq!(
        hits["items"].as_array().unwrap().len(),
        1,
        "a phrase with an apostrophe: {hits}"
    );
}

#[tokio::test]
async fn search_ranks_and_pages_with_a_cursor() {
    let app = TestApp::spawn();
    let (_, anne) = setup(&app).await;
    for i in 0..5 {
        let body = "lidar ".repeat(i + 1);
        thread(
            &app,
            &anne,
            "forets",
            &format!("Relevé lidar numéro {i}"),
            &body,
        )
        .await;
    }
    let mut seen = Vec::new();
    let mut path = "/api/v1/search?q=lidar&type=posts&limit=2".to_string();
    loop {
        let (_, page) = json(app.get(&path).await).await;
        for h in page["items"].as_array().unwrap() {
            seen.push((
                h["score"].as_f64().unwrap(),
                h["title"].as_str().unwrap().to_string(),
            ));
        }
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/search?q=lidar&type=posts&limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 5, "{seen:?}");
    assert!(
        seen.windows(2).all(|w| w[0].0 >= w[1].0),
        "most relevant first: {seen:?}"
    );
    assert_eq!(
        seen[0].1, "Relevé lidar numéro 4",
        "the post that says lidar most ranks first"
    );
}

#[tokio::test]
async fn atom_feeds_parse_with_a_real_parser() {
    let app = TestApp::spawn();
    let (admin, anne) = setup(&app).await;
    thread(
        &app,
        &anne,
        "forets",
        "Forêts & haies <bocagères>",
        "Du **gras** et un [lien](https://ign.fr).",
    )
    .await;
    thread(&app, &admin, "adresses", "Adresses", "BAN").await;

    let resp = app.get("/api/v1/feeds/latest.atom").await;
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/atom+xml")
    );
    let body = resp.bytes().await.unwrap();
    let feed = feed_rs::parser::parse(&body[..]).expect("a valid Atom feed");
    assert_eq!(feed.feed_type, feed_rs::model::FeedType::Atom);
    assert_eq!(feed.entries.len(), 2);
    let first = feed
        .entries
        .iter()
        .find(|e| e.title.as_ref().unwrap().content.contains("bocagères"))
        .unwrap();
    assert_eq!(
        first.title.as_ref().unwrap().content,
        "Forêts & haies <bocagères>"
    );
    // An excerpt of the opening post, plain text: feeds carry no whole opening post.
    assert!(first.content.is_none(), "{first:?}");
    assert_eq!(
        first.summary.as_ref().unwrap().content,
        "Du gras et un lien."
    );
    assert_eq!(first.authors[0].name.as_deref(), Some("anne_se Display"));
    assert!(first.links[0].href.contains("/threads/"));

    let body = app
        .get("/api/v1/feeds/categories/forets.atom")
        .await
        .bytes()
        .await
        .unwrap();
    let feed = feed_rs::parser::parse(&body[..]).unwrap();
    assert_eq!(feed.entries.len(), 1);
    assert_eq!(feed.title.unwrap().content, "palabre — Forêts");
    problem(app.get("/api/v1/feeds/categories/nope.atom").await, 404).await;

    let body = app
        .get("/api/v1/feeds/challenges.atom")
        .await
        .bytes()
        .await
        .unwrap();
    let feed = feed_rs::parser::parse(&body[..]).unwrap();
    assert!(feed.entries.is_empty());
}

/// A thread matches on its title and opening post together: a query naming words of both finds it,
/// and it follows the edits of either (issue 11).
#[tokio::test]
async fn a_thread_is_found_by_its_title_and_opening_post_together() {
    let app = TestApp::spawn();
    let (_, anne) = setup(&app).await;
    let t = thread(
        &app,
        &anne,
        "forets",
        "Les forêts domaniales et zorglub",
        "Comment cartographier les lisières ?",
    )
    .await;
    let search = |q: &'static str| {
        let app = &app;
        async move {
            let (status, hits) =
                json(app.get(&format!("/api/v1/search?q={q}&type=threads")).await).await;
            assert_eq!(status, 200, "{hits}");
            titles(&hits)
        }
    };
    let found = ["Les forêts domaniales et zorglub"];
    assert_eq!(search("cartographie zorglub").await, found);
    assert_eq!(search("zorglub").await, found);
    assert_eq!(search("cartographie").await, found);
    // Edits of the opening post and of the title are followed.
    let opening = format!(
        "/api/v1/posts/{}",
        t["opening_post"]["id"].as_str().unwrap()
    );
    let resp = app
        .authed(Method::PATCH, &opening, &anne)
        .json(&json!({"body": "Un inventaire des mares forestières."}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(search("cartographie zorglub").await.is_empty());
    assert_eq!(search("mares zorglub").await, found);
    let resp = app
        .authed(
            Method::PATCH,
            &format!("/api/v1/threads/{}", t["id"].as_str().unwrap()),
            &anne,
        )
        .json(&json!({"title": "Les forêts domaniales et leurs mares"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(search("mares zorglub").await.is_empty());
    assert_eq!(
        search("forestières domaniales").await,
        ["Les forêts domaniales et leurs mares"]
    );
    // A deleted opening post leaves the vector: its words no longer find the thread, the title does.
    let resp = app
        .authed(Method::DELETE, &opening, &anne)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    assert!(search("forestières").await.is_empty());
    assert_eq!(
        search("domaniales").await,
        ["Les forêts domaniales et leurs mares"]
    );
}
