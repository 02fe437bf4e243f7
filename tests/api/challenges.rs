//! Challenges over HTTP: themes and territories, proposals and their validation, drafts, the
//! lifecycle for every role, supports, follows and notifications, pledges, matching organisations,
//! filters, GeoJSON, search, feeds, personal data.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::fixtures::{Role, World};
use crate::support::{TestApp, create_org, id, json, problem};

const STATES: [&str; 9] = [
    "draft",
    "submitted",
    "under_review",
    "open",
    "in_progress",
    "solved",
    "rejected",
    "withdrawn",
    "closed",
];

/// The lifecycle as the contract states it (written here independently of the code): who may make
/// each move, and whether it needs a note.
pub(crate) fn rule(from: &str, to: &str) -> Option<(&'static str, bool)> {
    match (from, to) {
        ("draft", "submitted") => Some(("author", false)),
        ("draft" | "submitted" | "under_review" | "open", "withdrawn") => Some(("author", false)),
        ("submitted", "under_review") => Some(("moderator", false)),
        ("submitted" | "under_review", "rejected") => Some(("moderator", true)),
        ("under_review", "open") => Some(("moderator", false)),
        ("open", "in_progress") => Some(("moderator", false)),
        ("in_progress", "solved") => Some(("moderator", false)),
        (f, "closed") if f != "closed" => Some(("moderator", true)),
        _ => None,
    }
}

/// How to reach a state from a new draft: (to, by the author?) moves.
pub(crate) fn path_to(state: &str) -> Vec<(&'static str, bool)> {
    let mut p = vec![];
    if state == "draft" {
        return p;
    }
    p.push(("submitted", true));
    match state {
        "submitted" => {}
        "under_review" => p.push(("under_review", false)),
        "open" => p.extend([("under_review", false), ("open", false)]),
        "in_progress" => p.extend([
            ("under_review", false),
            ("open", false),
            ("in_progress", false),
        ]),
        "solved" => p.extend([
            ("under_review", false),
            ("open", false),
            ("in_progress", false),
            ("solved", false),
        ]),
        "rejected" => p.push(("rejected", false)),
        "withdrawn" => p.push(("withdrawn", true)),
        "closed" => p.push(("closed", false)),
        _ => unreachable!(),
    }
    p
}

pub(crate) fn proposal(title: &str) -> Value {
    json!({
        "title": title,
        "summary": "Un inventaire ouvert des haies pour suivre leur arrachage.",
        "problem": "Les haies disparaissent sans que l'on sache **où**.",
        "impact": "Un suivi partagé.",
        "themes": ["biodiversite", "agriculture"],
        "territory": "29019",
        "location": {"type": "Point", "coordinates": [-4.4861, 48.3904]}
    })
}

pub(crate) async fn propose(app: &TestApp, who: &Value, body: Value) -> Value {
    let resp = app
        .authed(Method::POST, "/api/v1/challenges", who)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());
    resp.json().await.unwrap()
}

pub(crate) async fn move_to(
    app: &TestApp,
    who: &Value,
    challenge: &str,
    to: &str,
) -> reqwest::Response {
    app.authed(
        Method::POST,
        &format!("/api/v1/challenges/{challenge}/transitions"),
        who,
    )
    .json(&json!({"to": to, "note": "Motif de la décision."}))
    .send()
    .await
    .unwrap()
}

/// A challenge by `author`, brought to `state` (the moderator making the moderators' moves).
pub(crate) async fn challenge_in(
    app: &TestApp,
    author: &Value,
    moderator: &Value,
    state: &str,
) -> String {
    let c = propose(app, author, proposal(&format!("Un défi à l'état {state}"))).await;
    let cid = id(&c).to_string();
    for (to, by_author) in path_to(state) {
        let who = if by_author { author } else { moderator };
        let resp = move_to(app, who, &cid, to).await;
        assert_eq!(
            resp.status(),
            200,
            "to {to}: {}",
            resp.text().await.unwrap()
        );
    }
    cid
}

#[tokio::test]
async fn themes_are_curated_by_administrators() {
    let w = World::new().await;
    let (status, themes) = json(w.app.get("/api/v1/themes").await).await;
    assert_eq!(status, 200);
    let slugs: Vec<&str> = themes["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["slug"].as_str().unwrap())
        .collect();
    for s in [
        "forets",
        "adresses",
        "mobilite",
        "climat",
        "urbanisme",
        "imagerie",
        "biodiversite",
        "risques",
        "eau",
        "energie",
        "agriculture",
        "mer-et-littoral",
    ] {
        assert!(slugs.contains(&s), "{s} seeded");
    }
    let new = json!({"slug": "patrimoine", "name": "Patrimoine", "name_en": "Heritage"});
    let resp = w
        .request(Role::Member, Method::POST, "/api/v1/themes")
        .json(&new)
        .send()
        .await
        .unwrap();
    problem(resp, 403).await;
    let resp = w
        .request(Role::Admin, Method::POST, "/api/v1/themes")
        .json(&new)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    assert_eq!(resp.headers()["location"], "/api/v1/themes/patrimoine");
    let resp = w
        .request(Role::Admin, Method::POST, "/api/v1/themes")
        .json(&new)
        .send()
        .await
        .unwrap();
    problem(resp, 409).await;
    let resp = w
        .request(Role::Admin, Method::POST, "/api/v1/themes")
        .json(&json!({"slug": "Pas Un Slug", "name": "X", "name_en": "Y"}))
        .send()
        .await
        .unwrap();
    let p = problem(resp, 422).await;
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["slug", "name", "name_en"]);
    // Retired: kept, marked, and no longer chosen.
    let resp = w
        .request(Role::Admin, Method::PATCH, "/api/v1/themes/patrimoine")
        .json(&json!({"active": false, "name": "Patrimoine bâti"}))
        .send()
        .await
        .unwrap();
    let (status, t) = json(resp).await;
    assert_eq!(
        (status, t["active"].clone(), t["name"].clone()),
        (200, json!(false), json!("Patrimoine bâti"))
    );
    let mut body = proposal("Un défi patrimonial");
    body["themes"] = json!(["patrimoine"]);
    let resp = w
        .request(Role::Member, Method::POST, "/api/v1/challenges")
        .json(&body)
        .send()
        .await
        .unwrap();
    let p = problem(resp, 422).await;
    assert_eq!(p["errors"][0]["field"], "themes");
}

#[tokio::test]
async fn territories_come_from_the_official_geography() {
    let app = TestApp::spawn();
    let app = &app;
    let get = |path: String| async move { json(app.get(&path).await).await };
    let (status, brest) = get("/api/v1/territories/29019".into()).await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            brest["code"].as_str(),
            brest["level"].as_str(),
            brest["name"].as_str()
        ),
        (Some("29019"), Some("commune"), Some("Brest"))
    );
    let within: Vec<&str> = brest["within"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(within, ["France", "Bretagne", "Finistère"]);
    // A bare two-digit code is the région; the id names the département.
    let (_, r53) = get("/api/v1/territories/53".into()).await;
    assert_eq!(
        (r53["level"].as_str(), r53["name"].as_str()),
        (Some("region"), Some("Bretagne"))
    );
    let (_, d53) = get("/api/v1/territories/fr:departement:53".into()).await;
    assert_eq!(d53["name"], "Mayenne");
    let (_, corse) = get("/api/v1/territories/2A".into()).await;
    assert_eq!(
        (corse["level"].as_str(), corse["name"].as_str()),
        (Some("departement"), Some("Corse-du-Sud"))
    );
    let (_, gp) = get("/api/v1/territories/971".into()).await;
    assert_eq!(
        (gp["level"].as_str(), gp["name"].as_str()),
        (Some("departement"), Some("Guadeloupe"))
    );
    assert_eq!(gp["within"][1]["name"], "Guadeloupe", "the overseas région");
    let (_, ajaccio) = get("/api/v1/territories/2A004".into()).await;
    assert_eq!(ajaccio["name"], "Ajaccio");
    let (_, fr) = get("/api/v1/territories/FR".into()).await;
    assert_eq!(fr["level"], "country");
    problem(app.get("/api/v1/territories/99999").await, 404).await;
    problem(app.get("/api/v1/territories/Brest").await, 404).await;
    let p = problem(app.get("/api/v1/territories?q=").await, 422).await;
    assert_eq!(p["errors"][0]["field"], "q");
    // Look-up by name, accents and case ignored.
    let (_, found) = get("/api/v1/territories?q=BRÉ&level=commune&limit=100".into()).await;
    let names: Vec<&str> = found["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"Brest"), "{names:?}");
    assert!(
        names.iter().all(|n| n.to_lowercase().starts_with("br")),
        "{names:?}"
    );
    let (_, page1) = get("/api/v1/territories?q=saint&limit=5".into()).await;
    let cursor = page1["next_cursor"].as_str().unwrap();
    let (_, page2) = get(format!(
        "/api/v1/territories?q=saint&limit=5&cursor={cursor}"
    ))
    .await;
    assert_ne!(page1["items"][0]["id"], page2["items"][0]["id"]);
}

#[tokio::test]
async fn a_proposal_is_checked_field_by_field() {
    let w = World::new().await;
    let app = &w.app;
    let c = propose(app, &w.author, proposal("Cartographier les haies de Brest")).await;
    assert_eq!(c["status"], "draft");
    assert_eq!(c["territory"]["code"], "29019");
    assert_eq!(c["territory"]["level"], "commune");
    assert_eq!(c["territory"]["name"], "Brest");
    assert_eq!(c["themes"][0]["slug"], "biodiversite");
    assert!(
        c["problem_html"]
            .as_str()
            .unwrap()
            .contains("<strong>où</strong>")
    );
    assert_eq!(c["location"]["type"], "Point");
    assert!(c["thread_id"].is_null(), "no thread while a draft");

    let wr = &w;
    let refused = |change: Value, field: &'static str| {
        let mut body = proposal("Un défi refusé");
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        async move {
            let resp = wr
                .request(Role::Member, Method::POST, "/api/v1/challenges")
                .json(&body)
                .send()
                .await
                .unwrap();
            let p = problem(resp, 422).await;
            assert_eq!(p["errors"][0]["field"], field, "{body}");
        }
    };
    refused(json!({"territory": "99999"}), "territory").await;
    refused(json!({"territory": "Brest"}), "territory").await;
    refused(json!({"themes": ["inconnu"]}), "themes").await;
    refused(json!({"themes": []}), "themes").await;
    refused(
        json!({"themes": ["eau", "climat", "forets", "risques"]}),
        "themes",
    )
    .await;
    refused(json!({"summary": "x".repeat(501)}), "summary").await;
    refused(json!({"title": "Non"}), "title").await;
    refused(json!({"status": "open"}), "status").await;
    refused(
        json!({"organisation_id": "01938f5e-7c1a-7d2b-9e3f-4a5b6c7d8e9f"}),
        "organisation_id",
    )
    .await;
    for bad in [
        json!({"type": "Point", "coordinates": [200, 48]}),
        json!({"type": "Point", "coordinates": [2, -91]}),
        json!({"type": "MultiPoint", "coordinates": [[2, 48]]}),
        json!({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}),
        json!({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]}),
        json!({"type": "LineString", "coordinates": (0..10_001).map(|i| json!([i as f64 / 1e4, 45.0])).collect::<Vec<_>>()}),
        json!("POINT(2 48)"),
    ] {
        refused(json!({"location": bad}), "location").await;
    }
    // Nothing refused was stored.
    let (_, mine) = json(
        w.request(Role::Member, Method::GET, "/api/v1/challenges?status=draft")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 0);
    // A proposing organisation must be one of the proposer's.
    let org = create_org(app, &w.author, "Collectif bocage").await;
    let mut body = proposal("Un défi porté par un collectif");
    body["organisation_id"] = org["id"].clone();
    let c = propose(app, &w.author, body.clone()).await;
    assert_eq!(c["organisation"]["name"], "Collectif bocage");
    let resp = w
        .request(Role::Other, Method::POST, "/api/v1/challenges")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        problem(resp, 422).await["errors"][0]["field"],
        "organisation_id"
    );
}

#[tokio::test]
async fn drafts_are_private_and_submission_opens_the_thread() {
    let w = World::new().await;
    let app = &w.app;
    let c = propose(app, &w.author, proposal("Un brouillon de défi")).await;
    let cid = id(&c).to_string();
    let path = format!("/api/v1/challenges/{cid}");
    for (role, status) in [
        (Role::Anonymous, 404),
        (Role::Other, 404),
        (Role::Author, 200),
        (Role::Moderator, 200),
    ] {
        let resp = w.request(role, Method::GET, &path).send().await.unwrap();
        assert_eq!(resp.status().as_u16(), status, "{role:?}");
    }
    let (_, public) = json(app.get("/api/v1/challenges").await).await;
    assert_eq!(public["items"].as_array().unwrap().len(), 0);
    let (_, profile) = json(app.get("/api/v1/users/w_author").await).await;
    assert_eq!(profile["challenge_count"], 0);

    let resp = move_to(app, &w.author, &cid, "submitted").await;
    let (status, c) = json(resp).await;
    assert_eq!(status, 200);
    assert_eq!(c["status"], "submitted");
    let thread = c["thread_id"].as_str().expect("a thread once submitted");
    let (_, t) = json(app.get(&format!("/api/v1/threads/{thread}")).await).await;
    assert_eq!(t["category"]["slug"], "defis");
    assert_eq!(t["title"], "Un brouillon de défi");
    assert_eq!(t["author"]["username"], "w_author");
    assert_eq!(t["subject"], json!({"type": "challenge", "id": cid}));
    let (_, profile) = json(app.get("/api/v1/users/w_author").await).await;
    assert_eq!(profile["challenge_count"], 1);
    // Members discuss it in its thread, and do not start other threads in that category.
    crate::support::reply(app, &w.other, &t, "Bonne idée !", None).await;
    let resp = w
        .request(Role::Other, Method::POST, "/api/v1/threads")
        .json(&json!({"category": "defis", "title": "Un autre fil", "body": "Texte"}))
        .send()
        .await
        .unwrap();
    problem(resp, 403).await;
    // A reply is activity of the challenge.
    let (_, after) = json(app.get(&path).await).await;
    let at = |v: &Value| {
        chrono::DateTime::parse_from_rfc3339(v["last_activity_at"].as_str().unwrap()).unwrap()
    };
    assert!(
        at(&after) > at(&c),
        "{} then {}",
        c["last_activity_at"],
        after["last_activity_at"]
    );
    // And the history says what happened.
    let (_, h) = json(app.get(&format!("{path}/history")).await).await;
    let moves: Vec<(Value, Value)> = h["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["from"].clone(), e["to"].clone()))
        .collect();
    assert_eq!(
        moves,
        [
            (json!(null), json!("draft")),
            (json!("draft"), json!("submitted"))
        ]
    );
    assert_eq!(h["items"][1]["actor"]["username"], "w_author");
}

#[tokio::test]
async fn every_move_of_the_lifecycle_for_every_role() {
    let w = World::new().await;
    let app = &w.app;
    let roles = [
        (Role::Anonymous, "anonymous"),
        (Role::Author, "author"),
        (Role::Other, "other"),
        (Role::Moderator, "moderator"),
        (Role::Admin, "admin"),
    ];
    let mut checked = 0;
    for from in STATES {
        // One challenge per state for the refusals; a fresh one for each move that succeeds.
        let shared = challenge_in(app, &w.author, &w.moderator, from).await;
        for to in STATES {
            for (role, name) in roles {
                let expected = match (name, rule(from, to)) {
                    ("anonymous", _) => 401,
                    ("other", _) if from == "draft" => 404,
                    (_, None) => 409,
                    ("author", Some(("author", _))) => 200,
                    ("moderator" | "admin", Some(("moderator", _))) => 200,
                    (_, Some(_)) => 403,
                };
                let cid = if expected == 200 {
                    challenge_in(app, &w.author, &w.moderator, from).await
                } else {
                    shared.clone()
                };
                let resp = w
                    .request(
                        role,
                        Method::POST,
                        &format!("/api/v1/challenges/{cid}/transitions"),
                    )
                    .json(&json!({"to": to, "note": "Motif de la décision."}))
                    .send()
                    .await
                    .unwrap();
                let status = resp.status().as_u16();
                let body = resp.text().await.unwrap();
                assert_eq!(status, expected, "{from} → {to} as {name}: {body}");
                if expected == 409 && name == "moderator" {
                    // The refusal names the moves that are open from here.
                    let allowed: Vec<&str> = STATES
                        .iter()
                        .copied()
                        .filter(|t| rule(from, t).is_some_and(|(who, _)| who == "moderator"))
                        .collect();
                    for a in allowed {
                        assert!(body.contains(a), "{from} → {to}: {body} names {a}");
                    }
                }
                if expected == 200 {
                    let c: Value = serde_json::from_str(&body).unwrap();
                    assert_eq!(c["status"], to);
                }
                checked += 1;
            }
        }
        // The shared challenge never moved.
        let (_, c) = json(
            app.get_as(&format!("/api/v1/challenges/{shared}"), &w.moderator)
                .await,
        )
        .await;
        assert_eq!(c["status"], from);
    }
    assert_eq!(checked, 9 * 9 * 5);
    // Rejecting and closing need a note.
    let cid = challenge_in(app, &w.author, &w.moderator, "submitted").await;
    for to in ["rejected", "closed"] {
        let resp = app
            .authed(
                Method::POST,
                &format!("/api/v1/challenges/{cid}/transitions"),
                &w.moderator,
            )
            .json(&json!({"to": to, "note": "  "}))
            .send()
            .await
            .unwrap();
        assert_eq!(problem(resp, 422).await["errors"][0]["field"], "note");
    }
    // A state outside the enumeration is refused, and changes nothing.
    let resp = app
        .authed(
            Method::POST,
            &format!("/api/v1/challenges/{cid}/transitions"),
            &w.moderator,
        )
        .json(&json!({"to": "archived"}))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_client_error());
    let (_, h) = json(app.get(&format!("/api/v1/challenges/{cid}/history")).await).await;
    assert_eq!(h["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn supports_are_counted_once_and_only_while_the_challenge_seeks_them() {
    let w = World::new().await;
    let app = &w.app;
    let cid = challenge_in(app, &w.author, &w.moderator, "submitted").await;
    let support = |role: Role, method: Method| {
        w.request(role, method, &format!("/api/v1/challenges/{cid}/support"))
            .send()
    };
    for _ in 0..2 {
        let (status, s) = json(support(Role::Member, Method::PUT).await.unwrap()).await;
        assert_eq!(
            (status, s["supports_count"].clone(), s["supported"].clone()),
            (200, json!(1), json!(true))
        );
    }
    let (_, s) = json(support(Role::Other, Method::PUT).await.unwrap()).await;
    assert_eq!(s["supports_count"], 2);
    for _ in 0..2 {
        let (_, s) = json(support(Role::Other, Method::DELETE).await.unwrap()).await;
        assert_eq!(s["supports_count"], 1);
    }
    problem(support(Role::Anonymous, Method::PUT).await.unwrap(), 401).await;
    problem(support(Role::Unverified, Method::PUT).await.unwrap(), 403).await;
    problem(support(Role::Silenced, Method::PUT).await.unwrap(), 403).await;
    let (_, c) = json(
        w.request(
            Role::Member,
            Method::GET,
            &format!("/api/v1/challenges/{cid}"),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(
        (c["supports_count"].clone(), c["supported"].clone()),
        (json!(1), json!(true))
    );
    // Closed states take no supports, nor their withdrawal.
    for state in ["in_progress", "solved", "rejected", "withdrawn", "closed"] {
        let closed = challenge_in(app, &w.author, &w.moderator, state).await;
        for method in [Method::PUT, Method::DELETE] {
            let resp = w
                .request(
                    Role::Member,
                    method,
                    &format!("/api/v1/challenges/{closed}/support"),
                )
                .send()
                .await
                .unwrap();
            problem(resp, 409).await;
        }
    }
    let draft = challenge_in(app, &w.author, &w.moderator, "draft").await;
    let resp = w
        .request(
            Role::Author,
            Method::PUT,
            &format!("/api/v1/challenges/{draft}/support"),
        )
        .send()
        .await
        .unwrap();
    problem(resp, 409).await;
    // Concurrent supports are each counted once.
    let open = challenge_in(app, &w.author, &w.moderator, "open").await;
    let mut members = Vec::new();
    for i in 0..6 {
        members.push(app.member(&format!("soutien{i}")).await);
    }
    let futures: Vec<_> = members
        .iter()
        .map(|m| {
            app.authed(
                Method::PUT,
                &format!("/api/v1/challenges/{open}/support"),
                m,
            )
            .send()
        })
        .collect();
    for r in futures_util::future::join_all(futures).await {
        assert_eq!(r.unwrap().status(), 200);
    }
    let (_, c) = json(app.get(&format!("/api/v1/challenges/{open}")).await).await;
    assert_eq!(c["supports_count"], 6);
}

async fn notifications_of(app: &TestApp, who: &Value) -> Vec<(String, String)> {
    let (_, page) = json(
        app.authed(Method::GET, "/api/v1/notifications?limit=100", who)
            .send()
            .await
            .unwrap(),
    )
    .await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["kind"].as_str().unwrap().to_string(),
                n["target"]["id"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn moves_notify_the_author_followers_and_supporters() {
    let w = World::new().await;
    let app = &w.app;
    let cid = challenge_in(app, &w.author, &w.moderator, "submitted").await;
    let follower = app.member("suiveuse").await;
    let muted = app.member("silencieux").await;
    app.authed(
        Method::PUT,
        &format!("/api/v1/challenges/{cid}/subscription"),
        &follower,
    )
    .json(&json!({"level": "watching"}))
    .send()
    .await
    .unwrap();
    // A supporter follows by default; one who muted it first hears nothing.
    app.authed(
        Method::PUT,
        &format!("/api/v1/challenges/{cid}/support"),
        &w.member,
    )
    .send()
    .await
    .unwrap();
    app.authed(
        Method::PUT,
        &format!("/api/v1/challenges/{cid}/subscription"),
        &muted,
    )
    .json(&json!({"level": "muted"}))
    .send()
    .await
    .unwrap();
    app.authed(
        Method::PUT,
        &format!("/api/v1/challenges/{cid}/support"),
        &muted,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(
        move_to(app, &w.moderator, &cid, "under_review")
            .await
            .status(),
        200
    );
    let status_of = |v: Vec<(String, String)>| {
        v.iter()
            .filter(|(k, t)| k == "challenge_status" && *t == cid)
            .count()
    };
    assert_eq!(status_of(notifications_of(app, &w.author).await), 1);
    assert_eq!(status_of(notifications_of(app, &follower).await), 1);
    assert_eq!(status_of(notifications_of(app, &w.member).await), 1);
    assert_eq!(status_of(notifications_of(app, &muted).await), 0);
    assert_eq!(
        status_of(notifications_of(app, &w.moderator).await),
        0,
        "not the actor"
    );
    assert_eq!(status_of(notifications_of(app, &w.other).await), 0);
}

#[tokio::test]
async fn pledges_follow_their_own_lifecycle() {
    let w = World::new().await;
    let app = &w.app;
    let org = create_org(app, &w.other, "Syndicat des eaux").await;
    let oid = id(&org).to_string();
    let colleague = app.member("collegue").await;
    app.authed(
        Method::POST,
        &format!("/api/v1/organisations/{oid}/members"),
        &w.other,
    )
    .json(&json!({"username": "collegue", "role": "member"}))
    .send()
    .await
    .unwrap();
    let offer =
        json!({"organisation_id": oid, "kind": "data", "message": "Nos relevés **2019-2025**."});
    // Not while the challenge is only submitted.
    let submitted = challenge_in(app, &w.author, &w.moderator, "submitted").await;
    let resp = app
        .authed(
            Method::POST,
            &format!("/api/v1/challenges/{submitted}/pledges"),
            &w.other,
        )
        .json(&offer)
        .send()
        .await
        .unwrap();
    problem(resp, 409).await;
    let cid = challenge_in(app, &w.author, &w.moderator, "open").await;
    let pledges = format!("/api/v1/challenges/{cid}/pledges");
    // Only the organisation's members pledge in its name.
    let resp = app
        .authed(Method::POST, &pledges, &w.member)
        .json(&offer)
        .send()
        .await
        .unwrap();
    problem(resp, 403).await;
    let resp = app
        .authed(Method::POST, &pledges, &w.other)
        .json(&json!({"organisation_id": "01938f5e-7c1a-7d2b-9e3f-4a5b6c7d8e9f", "kind": "data", "message": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        problem(resp, 422).await["errors"][0]["field"],
        "organisation_id"
    );
    let resp = app
        .authed(Method::POST, &pledges, &w.other)
        .json(&offer)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    let p: Value = resp.json().await.unwrap();
    assert_eq!(location, format!("/api/v1/pledges/{}", id(&p)));
    assert_eq!(
        (p["status"].as_str(), p["kind"].as_str()),
        (Some("offered"), Some("data"))
    );
    assert!(p["message_html"].as_str().unwrap().contains("<strong>"));
    let pid = id(&p).to_string();
    let set = |who: &Value, status: &str| {
        app.authed(Method::PATCH, &format!("/api/v1/pledges/{pid}"), who)
            .json(&json!({"status": status}))
            .send()
    };
    // Who moves what.
    problem(set(&colleague, "accepted").await.unwrap(), 403).await;
    problem(set(&w.author, "delivered").await.unwrap(), 409).await;
    problem(set(&w.member, "withdrawn").await.unwrap(), 403).await;
    let (status, p) = json(set(&w.author, "accepted").await.unwrap()).await;
    assert_eq!((status, p["status"].as_str()), (200, Some("accepted")));
    problem(set(&w.moderator, "declined").await.unwrap(), 409).await;
    problem(set(&w.author, "delivered").await.unwrap(), 403).await;
    let (status, p) = json(set(&colleague, "delivered").await.unwrap()).await;
    assert_eq!((status, p["status"].as_str()), (200, Some("delivered")));
    let body = problem(set(&w.other, "withdrawn").await.unwrap(), 409).await;
    assert!(body["detail"].as_str().unwrap().contains("delivered"));
    // A second offer, declined by a moderator, stops counting.
    let (_, p2) = json(
        app.authed(Method::POST, &pledges, &colleague)
            .json(&offer)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let (_, c) = json(app.get(&format!("/api/v1/challenges/{cid}")).await).await;
    assert_eq!(c["pledges_count"], 2);
    assert_eq!(c["organisations"][0]["name"], "Syndicat des eaux");
    let resp = app
        .authed(
            Method::PATCH,
            &format!("/api/v1/pledges/{}", id(&p2)),
            &w.moderator,
        )
        .json(&json!({"status": "declined", "note": "Doublon."}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let (_, c) = json(app.get(&format!("/api/v1/challenges/{cid}")).await).await;
    assert_eq!(c["pledges_count"], 1);
    // Lists, from both sides.
    let (_, list) = json(app.get(&pledges).await).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    let (_, of_org) = json(
        app.get(&format!("/api/v1/organisations/{oid}/pledges"))
            .await,
    )
    .await;
    assert_eq!(of_org["items"][0]["challenge_id"], cid.as_str());
    let (_, filtered) = json(
        app.get(&format!("/api/v1/challenges?organisation={oid}"))
            .await,
    )
    .await;
    assert_eq!(filtered["items"][0]["id"], cid.as_str());
    // Both sides heard of it: the author, and the organisation's other member.
    let pledge_notes = |v: Vec<(String, String)>| v.iter().filter(|(k, _)| k == "pledge").count();
    assert!(pledge_notes(notifications_of(app, &w.author).await) >= 2);
    assert!(pledge_notes(notifications_of(app, &colleague).await) >= 1);
    // A challenge hidden by moderation (here set directly) hides its pledges from the public.
    {
        use diesel::prelude::*;
        diesel::sql_query(format!(
            "UPDATE challenges SET hidden_at = now() WHERE id = '{cid}'"
        ))
        .execute(&mut app.conn())
        .unwrap();
    }
    assert_eq!(
        app.get(&format!("/api/v1/pledges/{}", id(&p2)))
            .await
            .status(),
        404
    );
    let (_, of_org) = json(
        app.get(&format!("/api/v1/organisations/{oid}/pledges"))
            .await,
    )
    .await;
    assert_eq!(of_org["items"], json!([]));
}

#[tokio::test]
async fn organisations_whose_interests_match_hear_of_an_opening_once() {
    let w = World::new().await;
    let app = &w.app;
    let both = app.member("deuxcasquettes").await;
    let interests = |org: &Value, themes: Value, territories: Value| {
        app.authed(
            Method::PATCH,
            &format!("/api/v1/organisations/{}", id(org)),
            &both,
        )
        .json(&json!({"themes": themes, "territories": territories}))
        .send()
    };
    // A: biodiversité in Bretagne (contains Brest); B: in Brest itself (inside the challenge's
    // Finistère); C: forests only; D: biodiversité in Nouvelle-Aquitaine.
    let a = create_org(app, &both, "Région bocagère").await;
    let b = create_org(app, &both, "Ville de Brest").await;
    let c = create_org(app, &w.member, "Forestiers réunis").await;
    let d = create_org(app, &w.other, "Aquitaine nature").await;
    let (status, a_org) = json(
        interests(&a, json!(["biodiversite"]), json!(["53"]))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{a_org}");
    assert_eq!(a_org["territories"][0]["id"], "fr:region:53");
    assert_eq!(a_org["themes"][0]["slug"], "biodiversite");
    interests(&b, json!(["agriculture", "eau"]), json!(["29019"]))
        .await
        .unwrap();
    app.authed(
        Method::PATCH,
        &format!("/api/v1/organisations/{}", id(&c)),
        &w.member,
    )
    .json(&json!({"themes": ["forets"], "territories": ["29"]}))
    .send()
    .await
    .unwrap();
    app.authed(
        Method::PATCH,
        &format!("/api/v1/organisations/{}", id(&d)),
        &w.other,
    )
    .json(&json!({"themes": ["biodiversite"], "territories": ["75"]}))
    .send()
    .await
    .unwrap();
    let resp = app
        .authed(
            Method::PATCH,
            &format!("/api/v1/organisations/{}", id(&d)),
            &w.other,
        )
        .json(&json!({"territories": ["nulle-part"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        problem(resp, 422).await["errors"][0]["field"],
        "territories"
    );

    let mut body = proposal("Les haies du Finistère");
    body["territory"] = json!("29");
    body["status"] = json!("submitted");
    let ch = propose(app, &w.author, body).await;
    let cid = id(&ch).to_string();
    assert_eq!(
        move_to(app, &w.moderator, &cid, "under_review")
            .await
            .status(),
        200
    );
    let matches = |v: Vec<(String, String)>| {
        v.iter()
            .filter(|(k, t)| k == "challenge_match" && *t == cid)
            .count()
    };
    assert_eq!(
        matches(notifications_of(app, &both).await),
        0,
        "not before it opens"
    );
    assert_eq!(move_to(app, &w.moderator, &cid, "open").await.status(), 200);
    assert_eq!(
        matches(notifications_of(app, &both).await),
        1,
        "once, for two organisations"
    );
    assert_eq!(
        matches(notifications_of(app, &w.member).await),
        0,
        "no theme in common"
    );
    assert_eq!(
        matches(notifications_of(app, &w.other).await),
        0,
        "another région"
    );
    for (org, expected) in [(&a, 1), (&b, 1), (&c, 0), (&d, 0)] {
        let (_, page) = json(
            app.get(&format!(
                "/api/v1/organisations/{}/matching-challenges",
                id(org)
            ))
            .await,
        )
        .await;
        assert_eq!(
            page["items"].as_array().unwrap().len(),
            expected,
            "{}",
            org["name"]
        );
    }
}

#[tokio::test]
async fn lists_filter_by_theme_territory_box_and_page_with_cursors() {
    let w = World::new().await;
    let app = &w.app;
    let mut ids = Vec::new();
    for (title, territory, themes, location) in [
        (
            "Défi à Brest",
            "29019",
            json!(["biodiversite"]),
            json!({"type": "Point", "coordinates": [-4.4861, 48.3904]}),
        ),
        (
            "Défi à Quimper",
            "29232",
            json!(["eau"]),
            json!({"type": "Point", "coordinates": [-4.1024, 47.9960]}),
        ),
        (
            "Défi à Lyon",
            "69123",
            json!(["climat", "urbanisme"]),
            json!({"type": "Polygon", "coordinates": [[[4.80, 45.73], [4.88, 45.73], [4.88, 45.79], [4.80, 45.79], [4.80, 45.73]]]}),
        ),
        ("Défi en Guadeloupe", "971", json!(["risques"]), Value::Null),
    ] {
        let mut body = proposal(title);
        body["territory"] = json!(territory);
        body["themes"] = themes;
        body["location"] = location;
        body["status"] = json!("submitted");
        ids.push(id(&propose(app, &w.author, body).await).to_string());
    }
    let titles = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["title"].as_str().unwrap().to_string())
            .collect()
    };
    let get = |q: &str| {
        let path = format!("/api/v1/challenges?{q}");
        async move { json(app.get(&path).await).await }
    };
    let (_, bretagne) = get("territory=53").await;
    assert_eq!(titles(&bretagne), ["Défi à Quimper", "Défi à Brest"]);
    let (_, finistere) = get("territory=29").await;
    assert_eq!(titles(&finistere).len(), 2);
    let (_, brest) = get("territory=fr:commune:29019").await;
    assert_eq!(titles(&brest), ["Défi à Brest"]);
    let (_, france) = get("territory=FR").await;
    assert_eq!(titles(&france).len(), 4);
    let (_, guadeloupe) = get("territory=01").await;
    assert_eq!(titles(&guadeloupe), ["Défi en Guadeloupe"]);
    let (_, none) = get("territory=75").await;
    assert_eq!(titles(&none).len(), 0);
    let (_, eau) = get("theme=eau").await;
    assert_eq!(titles(&eau), ["Défi à Quimper"]);
    let (_, boxed) = get("bbox=-5.2,47.6,-3.3,48.9").await;
    assert_eq!(titles(&boxed), ["Défi à Quimper", "Défi à Brest"]);
    let (_, lyon) = get("bbox=4.85,45.75,4.86,45.76").await;
    assert_eq!(
        titles(&lyon),
        ["Défi à Lyon"],
        "a box meeting the polygon's"
    );
    let (_, empty) = get("bbox=0,0,1,1").await;
    assert_eq!(titles(&empty).len(), 0);
    let (_, status) = get("status=submitted&theme=climat").await;
    assert_eq!(titles(&status), ["Défi à Lyon"]);
    for (q, field) in [
        ("territory=99999", "territory"),
        ("theme=inconnu", "theme"),
        ("bbox=1,2,3", "bbox"),
        ("bbox=10,0,5,1", "bbox"),
        ("limit=0", "limit"),
        ("cursor=@@", "cursor"),
    ] {
        let p = problem(app.get(&format!("/api/v1/challenges?{q}")).await, 422).await;
        assert_eq!(p["errors"][0]["field"], field, "{q}");
    }
    // Sorts and cursors: supports first, then pages of one.
    for (i, who) in [&w.member, &w.other, &w.moderator].iter().enumerate() {
        for cid in &ids[..=i.min(1)] {
            app.authed(
                Method::PUT,
                &format!("/api/v1/challenges/{cid}/support"),
                who,
            )
            .send()
            .await
            .unwrap();
        }
    }
    let (_, top) = get("sort=supports").await;
    assert_eq!(titles(&top)[..2], ["Défi à Brest", "Défi à Quimper"]);
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let q = match &cursor {
            Some(c) => format!("sort=supports&limit=1&cursor={c}"),
            None => "sort=supports&limit=1".into(),
        };
        let (_, page) = get(&q).await;
        seen.extend(titles(&page));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen, titles(&top));
    let (_, newest) = get("sort=newest&limit=2").await;
    let c = newest["next_cursor"].as_str().unwrap();
    let p = problem(
        app.get(&format!("/api/v1/challenges?sort=supports&cursor={c}"))
            .await,
        422,
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "cursor");
    // ETags on lists and reads.
    for path in [
        "/api/v1/challenges".to_string(),
        format!("/api/v1/challenges/{}", ids[0]),
    ] {
        let first = app.get(&path).await;
        let etag = first.headers()["etag"].to_str().unwrap().to_string();
        let again = app
            .client
            .get(app.url(&path))
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304, "{path}");
    }
}

#[tokio::test]
async fn the_geojson_is_an_rfc_7946_feature_collection() {
    let w = World::new().await;
    let app = &w.app;
    let mut located = Vec::new();
    for (title, location) in [
        (
            "Un point",
            json!({"type": "Point", "coordinates": [-4.4861, 48.3904]}),
        ),
        (
            "Une ligne",
            json!({"type": "LineString", "coordinates": [[-1.2055, 45.0402], [-1.1915, 44.9350]]}),
        ),
        (
            "Un polygone",
            json!({"type": "Polygon", "coordinates": [[[4.80, 45.73], [4.88, 45.73], [4.88, 45.79], [4.80, 45.79], [4.80, 45.73]]]}),
        ),
        (
            "Un multipolygone",
            json!({"type": "MultiPolygon", "coordinates": [[[[55.6, -21.0], [55.66, -21.0], [55.66, -20.95], [55.6, -20.95], [55.6, -21.0]]]]}),
        ),
        ("Sans lieu", Value::Null),
    ] {
        let mut body = proposal(title);
        body["location"] = location.clone();
        body["status"] = json!("submitted");
        let c = propose(app, &w.author, body).await;
        if !location.is_null() {
            located.push(id(&c).to_string());
        }
    }
    let resp = app.get("/api/v1/challenges.geojson").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/geo+json");
    assert!(resp.headers().get("etag").is_some());
    let text = resp.text().await.unwrap();
    // Read by the `geojson` crate's own reader (not the code that wrote it).
    let fc: geojson::FeatureCollection = text.parse().expect("a GeoJSON FeatureCollection");
    assert_eq!(
        fc.features.len(),
        4,
        "challenges without a location are left out"
    );
    let mut ids: Vec<String> = fc
        .features
        .iter()
        .map(|f| match &f.id {
            Some(geojson::feature::Id::String(s)) => s.clone(),
            other => panic!("feature id: {other:?}"),
        })
        .collect();
    ids.sort();
    located.sort();
    assert_eq!(ids, located);
    for f in &fc.features {
        let props = f.properties.as_ref().unwrap();
        assert!(props["title"].is_string() && props["status"] == "submitted");
        assert!(
            props.get("location").is_none_or(Value::is_null),
            "the geometry is the feature's, not repeated in its properties: {props:?}"
        );
    }
    let raw: Value = serde_json::from_str(&text).unwrap();
    let bbox = raw["bbox"].as_array().unwrap();
    assert_eq!(bbox.len(), 4);
    assert!(bbox[0].as_f64().unwrap() <= -4.4861 && bbox[2].as_f64().unwrap() >= 55.66);
    // The list's filters apply.
    let (_, boxed) = json(
        app.get("/api/v1/challenges.geojson?bbox=-5.2,47.6,-3.3,48.9")
            .await,
    )
    .await;
    assert_eq!(boxed["features"].as_array().unwrap().len(), 1);
    assert_eq!(boxed["features"][0]["geometry"]["type"], "Point");
    let p = problem(app.get("/api/v1/challenges.geojson?limit=5001").await, 422).await;
    assert_eq!(p["errors"][0]["field"], "limit");
}

#[tokio::test]
async fn search_and_the_feed_find_challenges() {
    let w = World::new().await;
    let app = &w.app;
    let mut body = proposal("Recenser les mares forestières");
    body["problem"] = json!("Les mares disparaissent dans les chênaies domaniales zorglubiennes.");
    body["status"] = json!("submitted");
    let c = propose(app, &w.author, body).await;
    let draft = propose(app, &w.author, proposal("Un brouillon de mares secrètes")).await;
    let (status, hits) = json(
        app.get("/api/v1/search?q=zorglubiennes&type=challenges")
            .await,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(hits["items"][0]["type"], "challenge");
    assert_eq!(hits["items"][0]["id"], c["id"]);
    assert_eq!(hits["items"][0]["thread_id"], c["thread_id"]);
    let (_, hits) = json(app.get("/api/v1/search?q=mares&type=challenges").await).await;
    assert!(
        hits["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["id"] != draft["id"]),
        "drafts are not found"
    );
    let resp = app.get("/api/v1/feeds/challenges.atom").await;
    assert_eq!(resp.status(), 200);
    let feed = feed_rs::parser::parse(resp.bytes().await.unwrap().as_ref()).unwrap();
    let titles: Vec<String> = feed
        .entries
        .iter()
        .map(|e| e.title.as_ref().unwrap().content.clone())
        .collect();
    assert_eq!(titles, ["Recenser les mares forestières"]);
}

#[tokio::test]
async fn personal_data_covers_challenges_supports_and_pledges() {
    let w = World::new().await;
    let app = &w.app;
    let org = create_org(app, &w.member, "Conservatoire du littoral").await;
    let cid = challenge_in(app, &w.author, &w.moderator, "open").await;
    app.authed(
        Method::PUT,
        &format!("/api/v1/challenges/{cid}/support"),
        &w.member,
    )
    .send()
    .await
    .unwrap();
    app.authed(Method::POST, &format!("/api/v1/challenges/{cid}/pledges"), &w.member)
        .json(&json!({"organisation_id": org["id"], "kind": "expertise", "message": "Nos gardes du littoral."}))
        .send()
        .await
        .unwrap();
    let (_, doc) = json(app.get_as("/api/v1/me/export", &w.member).await).await;
    assert_eq!(
        doc["challenges"]["supports"][0]["challenge_id"],
        cid.as_str()
    );
    assert_eq!(
        doc["challenges"]["pledges"][0]["message"],
        "Nos gardes du littoral."
    );
    assert_eq!(doc["challenges"]["subscriptions"][0]["level"], "watching");
    let (_, doc) = json(app.get_as("/api/v1/me/export", &w.author).await).await;
    assert_eq!(doc["challenges"]["proposed"][0]["id"], cid.as_str());
    let resp = app
        .authed(Method::DELETE, "/api/v1/me", &w.author)
        .json(&json!({"password": crate::support::PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    let (_, c) = json(app.get(&format!("/api/v1/challenges/{cid}")).await).await;
    assert!(
        c["proposer"]["username"]
            .as_str()
            .unwrap()
            .starts_with("anonyme-")
    );
    assert_eq!(c["title"], "Un défi à l'état open", "content stays");
    assert_eq!(c["supports_count"], 1);
}

#[tokio::test]
async fn creates_are_idempotent_and_edits_follow_the_rules() {
    let w = World::new().await;
    let app = &w.app;
    let send = || {
        app.authed(Method::POST, "/api/v1/challenges", &w.author)
            .header("Idempotency-Key", "defi-1")
            .json(&proposal("Un défi envoyé deux fois"))
            .send()
    };
    let first: Value = send().await.unwrap().json().await.unwrap();
    let again: Value = send().await.unwrap().json().await.unwrap();
    assert_eq!(first, again);
    let cid = id(&first).to_string();
    let path = format!("/api/v1/challenges/{cid}");
    // The author edits while it is a draft or submitted; others never; moderators always.
    let edit = |role: Role, body: Value| w.request(role, Method::PATCH, &path).json(&body).send();
    problem(
        edit(Role::Other, json!({"title": "Un autre titre"}))
            .await
            .unwrap(),
        404,
    )
    .await;
    let (status, c) = json(
        edit(
            Role::Author,
            json!({"title": "Un titre revu", "location": null, "territory": "2A"}),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            c["title"].as_str(),
            c["location"].is_null(),
            c["territory"]["name"].as_str()
        ),
        (Some("Un titre revu"), true, Some("Corse-du-Sud"))
    );
    let p = problem(
        edit(
            Role::Author,
            json!({"location": {"type": "Point", "coordinates": [0, 100]}}),
        )
        .await
        .unwrap(),
        422,
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "location");
    move_to(app, &w.author, &cid, "submitted").await;
    move_to(app, &w.moderator, &cid, "under_review").await;
    problem(
        edit(Role::Author, json!({"title": "Trop tard pour changer"}))
            .await
            .unwrap(),
        403,
    )
    .await;
    let (status, c) = json(
        edit(Role::Moderator, json!({"themes": ["eau"]}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, c["themes"][0]["slug"].as_str()),
        (200, Some("eau"))
    );
}

#[tokio::test]
async fn repeated_supports_are_not_activity_and_drafts_withdrawn_stay_private() {
    let w = World::new().await;
    let app = &w.app;
    let cid = challenge_in(app, &w.author, &w.moderator, "submitted").await;
    let path = format!("/api/v1/challenges/{cid}");
    app.authed(Method::PUT, &format!("{path}/support"), &w.member)
        .send()
        .await
        .unwrap();
    let (_, before) = json(app.get(&path).await).await;
    for method in [Method::PUT, Method::PUT] {
        app.authed(method, &format!("{path}/support"), &w.member)
            .send()
            .await
            .unwrap();
    }
    let (_, after) = json(app.get(&path).await).await;
    assert_eq!(
        before["last_activity_at"], after["last_activity_at"],
        "nothing changed"
    );
    assert_eq!(after["supports_count"], 1);
    // A draft withdrawn (or closed) was never public, and stays private.
    let draft = challenge_in(app, &w.author, &w.moderator, "draft").await;
    assert_eq!(
        move_to(app, &w.author, &draft, "withdrawn").await.status(),
        200
    );
    problem(app.get(&format!("/api/v1/challenges/{draft}")).await, 404).await;
    let (_, withdrawn) = json(app.get("/api/v1/challenges?status=withdrawn").await).await;
    assert!(withdrawn["items"].as_array().unwrap().is_empty());
    let (_, feed) = json(app.get("/api/v1/challenges.geojson").await).await;
    assert!(
        feed["features"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["id"] != draft.as_str())
    );
    let other = challenge_in(app, &w.author, &w.moderator, "draft").await;
    assert_eq!(
        move_to(app, &w.moderator, &other, "closed").await.status(),
        200
    );
    problem(app.get(&format!("/api/v1/challenges/{other}")).await, 404).await;
    let (_, h) = json(
        app.get_as(&format!("/api/v1/challenges/{other}/history"), &w.author)
            .await,
    )
    .await;
    assert_eq!(h["items"][1]["to"], "closed");
    // Nor through its history, subscription or pledges, to anyone but its author and staff (the
    // rule of the read above, not `status != draft`).
    for (method, path) in [
        (Method::GET, format!("/api/v1/challenges/{other}/history")),
        (Method::GET, format!("/api/v1/challenges/{other}/pledges")),
        (
            Method::PUT,
            format!("/api/v1/challenges/{other}/subscription"),
        ),
    ] {
        let mut req = app.authed(method.clone(), &path, &w.other);
        if method == Method::PUT {
            req = req.json(&json!({"level": "watching"}));
        }
        problem(req.send().await.unwrap(), 404).await;
    }
    problem(
        app.get(&format!("/api/v1/challenges/{draft}/history"))
            .await,
        404,
    )
    .await;
}

#[tokio::test]
async fn organisations_answer_no_offer_of_their_own_and_pledges_end_with_the_challenge() {
    let w = World::new().await;
    let app = &w.app;
    // The author belongs to the pledging organisation: a moderator answers the offer, not them.
    let org = create_org(app, &w.author, "Bureau d'études du bocage").await;
    let cid = challenge_in(app, &w.author, &w.moderator, "open").await;
    let offer = json!({"organisation_id": org["id"], "kind": "code", "message": "Notre outil."});
    let (status, p) = json(
        app.authed(
            Method::POST,
            &format!("/api/v1/challenges/{cid}/pledges"),
            &w.author,
        )
        .json(&offer)
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 201);
    let set = |who: &Value, status: &str| {
        app.authed(Method::PATCH, &format!("/api/v1/pledges/{}", id(&p)), who)
            .json(&json!({"status": status}))
            .send()
    };
    problem(set(&w.author, "accepted").await.unwrap(), 403).await;
    assert_eq!(set(&w.moderator, "accepted").await.unwrap().status(), 200);
    // A value outside the moves is refused as such.
    assert_eq!(
        problem(set(&w.moderator, "offered").await.unwrap(), 422).await["errors"][0]["field"],
        "status"
    );
    // Once the challenge is closed, its pledges can only be withdrawn.
    let second = challenge_in(app, &w.other, &w.moderator, "open").await;
    let (_, p2) = json(
        app.authed(
            Method::POST,
            &format!("/api/v1/challenges/{second}/pledges"),
            &w.author,
        )
        .json(&offer)
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(
        move_to(app, &w.moderator, &second, "closed").await.status(),
        200
    );
    let resp = app
        .authed(
            Method::PATCH,
            &format!("/api/v1/pledges/{}", id(&p2)),
            &w.other,
        )
        .json(&json!({"status": "accepted"}))
        .send()
        .await
        .unwrap();
    problem(resp, 409).await;
    let resp = app
        .authed(
            Method::PATCH,
            &format!("/api/v1/pledges/{}", id(&p2)),
            &w.author,
        )
        .json(&json!({"status": "withdrawn"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    // The organisation filter finds a challenge by its pledges, and stops when they are withdrawn.
    let (_, by_org) = json(
        app.get(&format!("/api/v1/challenges?organisation={}", id(&org)))
            .await,
    )
    .await;
    let ids: Vec<&str> = by_org["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [cid.as_str()]);
}

#[tokio::test]
async fn moderators_edit_with_the_proposers_organisations_and_retired_themes_still_filter() {
    let w = World::new().await;
    let app = &w.app;
    let mine = create_org(app, &w.moderator, "Association des modérateurs").await;
    let theirs = create_org(app, &w.author, "Collectif de l'auteur").await;
    let cid = challenge_in(app, &w.author, &w.moderator, "submitted").await;
    let path = format!("/api/v1/challenges/{cid}");
    let resp = app
        .authed(Method::PATCH, &path, &w.moderator)
        .json(&json!({"organisation_id": mine["id"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        problem(resp, 422).await["errors"][0]["field"],
        "organisation_id"
    );
    let resp = app
        .authed(Method::PATCH, &path, &w.moderator)
        .json(&json!({"organisation_id": theirs["id"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    // A theme retired after the challenge took it: still a filter, and an edit may keep it.
    app.authed(Method::PATCH, "/api/v1/themes/agriculture", &w.admin)
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    let (status, page) = json(app.get("/api/v1/challenges?theme=agriculture").await).await;
    assert_eq!(
        (status, page["items"][0]["id"].as_str()),
        (200, Some(cid.as_str()))
    );
    let resp = app
        .authed(Method::PATCH, &path, &w.moderator)
        .json(&json!({"themes": ["agriculture", "eau"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let resp = app
        .authed(Method::PATCH, &path, &w.moderator)
        .json(&json!({"themes": ["eau"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let resp = app
        .authed(Method::PATCH, &path, &w.moderator)
        .json(&json!({"themes": ["agriculture"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        problem(resp, 422).await["errors"][0]["field"],
        "themes",
        "no longer on it"
    );
}

#[tokio::test]
async fn a_geojson_page_stops_at_its_limit_and_continues_with_its_cursor() {
    let w = World::new().await;
    let app = &w.app;
    for i in 0..5 {
        let mut body = proposal(&format!("Un défi localisé numéro {i}"));
        body["status"] = json!("submitted");
        body["location"] = json!({"type": "Point", "coordinates": [2.0 + i as f64 / 10.0, 48.0]});
        propose(app, &w.author, body).await;
    }
    let mut seen = Vec::new();
    let mut path = "/api/v1/challenges.geojson?limit=2".to_string();
    loop {
        let (_, fc) = json(app.get(&path).await).await;
        let features = fc["features"].as_array().unwrap();
        assert!(features.len() <= 2);
        seen.extend(
            features
                .iter()
                .map(|f| f["id"].as_str().unwrap().to_string()),
        );
        match fc["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/challenges.geojson?limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 5);
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 5, "each once");
}
