//! Communs (issue 16, first part): who creates and edits them, members, partners, followers,
//! milestones, resources with their licence and address checks.

use reqwest::Method;
use serde_json::{Value, json};

use crate::challenges::challenge_in;
use crate::support::{TestApp, create_org, id, json, problem};

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

async fn bal(app: &TestApp, admin: &Value) -> Value {
    let resp = send(
        app,
        Method::POST,
        "/api/v1/communs",
        admin,
        json!({"slug": "bal-bretagne", "name": "Bases adresses locales de Bretagne",
               "summary": "Des adresses tenues par les communes.",
               "description": "Accompagner les **communes** bretonnes.",
               "website": "https://bal.example.org", "themes": ["adresses"], "territories": ["29019"],
               "status": "active", "cohort": 2025, "maintainers": ["maelle"]}),
    )
    .await;
    assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());
    assert_eq!(resp.headers()["location"], "/api/v1/communs/bal-bretagne");
    resp.json().await.unwrap()
}

#[tokio::test]
async fn administrators_create_communs_and_their_maintainers_edit_them_and_their_members() {
    let app = TestApp::spawn();
    let admin = app.admin("admin").await;
    let maelle = app.member("maelle").await;
    let yann = app.member("yann").await;
    let other = app.member("other").await;

    // Only administrators create communs.
    let refused = send(
        &app,
        Method::POST,
        "/api/v1/communs",
        &maelle,
        json!({"slug": "mon-commun", "name": "Mon commun"}),
    )
    .await;
    problem(refused, 403).await;
    let c = bal(&app, &admin).await;
    assert_eq!(c["maintainers"][0]["username"], "maelle");
    assert_eq!(c["territories"][0]["name"], "Brest");
    assert_eq!(c["themes"][0]["slug"], "adresses");
    assert_eq!(
        c["description_html"],
        "<p>Accompagner les <strong>communes</strong> bretonnes.</p>\n"
    );
    assert_eq!(
        (c["status"].clone(), c["cohort"].clone()),
        (json!("active"), json!(2025))
    );
    let again = send(
        &app,
        Method::POST,
        "/api/v1/communs",
        &admin,
        json!({"slug": "bal-bretagne", "name": "Un autre"}),
    )
    .await;
    assert_eq!(problem(again, 409).await["errors"][0]["field"], "slug");
    for (body, field) in [
        (json!({"slug": "Pas Un Slug", "name": "Un commun"}), "slug"),
        (
            json!({"slug": "01938a4e-7c1a-7d2e-9b3f-2a6c1e0d4b5f", "name": "Un commun"}),
            "slug",
        ),
        (
            json!({"slug": "ok-slug", "name": "Un commun", "website": "ftp://x.example"}),
            "website",
        ),
        (
            json!({"slug": "ok-slug", "name": "Un commun", "cohort": 1999}),
            "cohort",
        ),
        (
            json!({"slug": "ok-slug", "name": "Un commun", "maintainers": ["personne"]}),
            "maintainers",
        ),
        (
            json!({"slug": "ok-slug", "name": "Un commun", "territories": ["99999"]}),
            "territories",
        ),
    ] {
        let p = problem(
            send(&app, Method::POST, "/api/v1/communs", &admin, body.clone()).await,
            422,
        )
        .await;
        assert_eq!(p["errors"][0]["field"], field, "{body}");
    }
    let (_, all) = json(app.get("/api/v1/communs").await).await;
    assert_eq!(
        all["items"].as_array().unwrap().len(),
        1,
        "refused creates stored nothing"
    );

    // Its maintainer edits it, partners included; someone else may not.
    let org = create_org(&app, &other, "Région Bretagne").await;
    let resp = send(
        &app,
        Method::PATCH,
        "/api/v1/communs/bal-bretagne",
        &maelle,
        json!({"status": "mature", "partners": [id(&org)], "territories": ["29019", "56260"]}),
    )
    .await;
    let (status, c) = json(resp).await;
    assert_eq!(status, 200, "{c}");
    assert_eq!(c["status"], "mature");
    assert_eq!(c["partners"][0]["name"], "Région Bretagne");
    assert_eq!(c["territories"].as_array().unwrap().len(), 2);
    problem(
        send(
            &app,
            Method::PATCH,
            "/api/v1/communs/bal-bretagne",
            &other,
            json!({"status": "archived"}),
        )
        .await,
        403,
    )
    .await;
    let p = problem(
        send(
            &app,
            Method::PATCH,
            "/api/v1/communs/bal-bretagne",
            &maelle,
            json!({"partners": ["01938a4e-7c1a-7d2e-9b3f-2a6c1e0d4b5f"]}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "partners");
    problem(app.get("/api/v1/communs/nulle-part").await, 404).await;

    // Filters: a territory finds the communs working in it or within it.
    for (query, found) in [
        ("territory=29", 1),
        ("territory=53", 1),
        ("territory=75", 0),
        ("theme=adresses", 1),
        ("theme=forets", 0),
        ("status=mature", 1),
        ("status=archived", 0),
    ] {
        let (status, page) = json(app.get(&format!("/api/v1/communs?{query}")).await).await;
        assert_eq!(status, 200);
        assert_eq!(page["items"].as_array().unwrap().len(), found, "{query}");
    }
    problem(app.get("/api/v1/communs?status=inconnu").await, 422).await;

    // Members: the maintainer adds a contributor, makes them maintainer, then leaves; the last
    // maintainer cannot leave.
    let resp = send(
        &app,
        Method::POST,
        "/api/v1/communs/bal-bretagne/members",
        &maelle,
        json!({"username": "yann", "role": "contributor"}),
    )
    .await;
    let (status, c) = json(resp).await;
    assert_eq!(
        (status, c["contributors"][0]["username"].clone()),
        (201, json!("yann"))
    );
    problem(
        send(
            &app,
            Method::POST,
            "/api/v1/communs/bal-bretagne/members",
            &yann,
            json!({"username": "other", "role": "maintainer"}),
        )
        .await,
        403,
    )
    .await;
    let resp = send(
        &app,
        Method::POST,
        "/api/v1/communs/bal-bretagne/members",
        &maelle,
        json!({"username": "yann", "role": "maintainer"}),
    )
    .await;
    assert_eq!(resp.status(), 200, "a role changed, nothing created");
    let maelle_id = maelle["user"]["id"].as_str().unwrap();
    let yann_id = yann["user"]["id"].as_str().unwrap();
    let leave = app
        .authed(
            Method::DELETE,
            &format!("/api/v1/communs/bal-bretagne/members?user_id={maelle_id}"),
            &maelle,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(leave.status(), 204);
    let last = app
        .authed(
            Method::DELETE,
            &format!("/api/v1/communs/bal-bretagne/members?user_id={yann_id}"),
            &yann,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(problem(last, 409).await["errors"][0]["field"], "user_id");
    // Maëlle is no longer a maintainer: she may not edit it.
    problem(
        send(
            &app,
            Method::PATCH,
            "/api/v1/communs/bal-bretagne",
            &maelle,
            json!({"status": "active"}),
        )
        .await,
        403,
    )
    .await;

    // Followers, and what a member's export says.
    let resp = send(
        &app,
        Method::PUT,
        "/api/v1/communs/bal-bretagne/subscription",
        &other,
        json!({"level": "watching"}),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let (_, export) = json(app.get_as("/api/v1/me/export", &other).await).await;
    assert_eq!(export["communs"]["following"][0]["slug"], "bal-bretagne");
    let (_, export) = json(app.get_as("/api/v1/me/export", &yann).await).await;
    assert_eq!(export["communs"]["memberships"][0]["role"], "maintainer");
}

#[tokio::test]
async fn milestones_and_resources_need_a_maintainer_an_https_address_and_a_licence_of_the_list() {
    let app = TestApp::spawn();
    let admin = app.admin("admin").await;
    let maelle = app.member("maelle").await;
    let other = app.member("other").await;
    let moderator = app.member("moderatrice").await;
    {
        use diesel::prelude::*;
        diesel::sql_query("UPDATE users SET role = 'moderator' WHERE username = 'moderatrice'")
            .execute(&mut app.conn())
            .unwrap();
    }
    bal(&app, &admin).await;

    // Milestones: planned, reached, and back to not yet.
    let m = |body: Value| {
        send(
            &app,
            Method::POST,
            "/api/v1/communs/bal-bretagne/milestones",
            &maelle,
            body,
        )
    };
    let resp = m(json!({"title": "Deuxième version", "planned_on": "2027-03-31"})).await;
    assert_eq!(resp.status(), 201);
    let resp = m(json!({"title": "Première version publiée", "planned_on": "2026-06-30"})).await;
    let (status, first) = json(resp).await;
    assert_eq!(status, 201, "{first}");
    problem(m(json!({"title": "x"})).await, 422).await;
    for (body, field) in [
        (
            json!({"title": "Un jour lointain", "planned_on": "-5000-01-01"}),
            "planned_on",
        ),
        (
            json!({"title": "Atteint demain ?", "done_on": "2099-01-01"}),
            "done_on",
        ),
    ] {
        assert_eq!(
            problem(m(body).await, 422).await["errors"][0]["field"],
            field
        );
    }
    problem(
        m(json!({"title": "Une date", "planned_on": "2026-02-30"})).await,
        422,
    )
    .await;
    problem(
        send(
            &app,
            Method::POST,
            "/api/v1/communs/bal-bretagne/milestones",
            &other,
            json!({"title": "Pas à moi"}),
        )
        .await,
        403,
    )
    .await;
    let path = format!("/api/v1/communs/bal-bretagne/milestones/{}", id(&first));
    let (status, done) = json(
        send(
            &app,
            Method::PATCH,
            &path,
            &maelle,
            json!({"done_on": "2026-07-02"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, done["done_on"].clone()),
        (200, json!("2026-07-02"))
    );
    let (_, undone) = json(
        send(
            &app,
            Method::PATCH,
            &path,
            &maelle,
            json!({"done_on": null}),
        )
        .await,
    )
    .await;
    assert_eq!(undone["done_on"], Value::Null);
    assert_eq!(undone["planned_on"], "2026-06-30", "absent fields stay");
    let (_, list) = json(app.get("/api/v1/communs/bal-bretagne/milestones").await).await;
    let titles: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Première version publiée", "Deuxième version"]);

    // Resources: https only, a licence of the list (any case, stored canonical), public challenges.
    let (_, licences) = json(app.get("/api/v1/licences").await).await;
    assert!(
        licences
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["id"] == "etalab-2.0")
    );
    let challenge = challenge_in(&app, &other, &moderator, "submitted").await;
    let r = |body: Value| {
        send(
            &app,
            Method::POST,
            "/api/v1/communs/bal-bretagne/resources",
            &maelle,
            body,
        )
    };
    let base = json!({"kind": "dataset", "title": "Adresses de Bretagne", "url": "https://www.data.gouv.fr/datasets/bal",
        "licence": "odbl-1.0", "challenges": [challenge]});
    for (field, value) in [
        ("url", json!("http://www.data.gouv.fr/datasets/bal")),
        ("url", json!("https://exa mple.org")),
        ("licence", json!("proprietaire")),
        (
            "challenges",
            json!(["01938a4e-7c1a-7d2e-9b3f-2a6c1e0d4b5f"]),
        ),
        ("title", json!("x")),
    ] {
        let mut body = base.clone();
        body[field] = value;
        let p = problem(r(body).await, 422).await;
        assert_eq!(p["errors"][0]["field"], field);
    }
    let (_, none) = json(app.get("/api/v1/communs/bal-bretagne/resources").await).await;
    assert_eq!(
        none.as_array().unwrap().len(),
        0,
        "refused resources stored nothing"
    );
    let (status, res) = json(r(base.clone()).await).await;
    assert_eq!(status, 201, "{res}");
    assert_eq!(res["licence"], "ODbL-1.0");
    assert_eq!(res["challenges"], json!([challenge]));
    assert_eq!(res["commun"]["slug"], "bal-bretagne");
    problem(
        send(
            &app,
            Method::POST,
            "/api/v1/communs/bal-bretagne/resources",
            &other,
            base.clone(),
        )
        .await,
        403,
    )
    .await;
    let rpath = format!("/api/v1/resources/{}", id(&res));
    let (status, changed) = json(
        send(
            &app,
            Method::PATCH,
            &rpath,
            &maelle,
            json!({"licence": "Etalab-2.0", "challenges": []}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (
            status,
            changed["licence"].clone(),
            changed["challenges"].clone()
        ),
        (200, json!("etalab-2.0"), json!([]))
    );
    problem(
        send(
            &app,
            Method::PATCH,
            &rpath,
            &other,
            json!({"licence": "MIT"}),
        )
        .await,
        403,
    )
    .await;
    problem(
        send(
            &app,
            Method::PATCH,
            &rpath,
            &maelle,
            json!({"url": "ftp://x.example.org"}),
        )
        .await,
        422,
    )
    .await;
    let (_, list) = json(app.get("/api/v1/communs/bal-bretagne/resources").await).await;
    assert_eq!(list[0]["licence"], "etalab-2.0");
    // An administrator may act for any commun.
    let resp = send(
        &app,
        Method::PATCH,
        &rpath,
        &admin,
        json!({"kind": "service"}),
    )
    .await;
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn a_challenge_taken_up_and_solved_with_resources_is_visible_from_both_sides() {
    use crate::challenges::move_to;
    let app = TestApp::spawn();
    let admin = app.admin("admin").await;
    let maelle = app.member("maelle").await;
    let dave = app.member("dave").await;
    let moderator = app.member("moderatrice").await;
    {
        use diesel::prelude::*;
        diesel::sql_query("UPDATE users SET role = 'moderator' WHERE username = 'moderatrice'")
            .execute(&mut app.conn())
            .unwrap();
    }
    bal(&app, &admin).await;
    let org = create_org(&app, &maelle, "Ville de Brest").await;
    let cid = challenge_in(&app, &dave, &moderator, "open").await;
    let take_path = format!("/api/v1/challenges/{cid}/communs");
    let take_body = json!({"commun": "bal-bretagne"});
    // Not in progress yet: refused even to a moderator; a maintainer whose organisation has not
    // pledged may not either.
    assert_eq!(
        problem(
            send(
                &app,
                Method::POST,
                &take_path,
                &moderator,
                take_body.clone()
            )
            .await,
            409
        )
        .await["errors"][0]["field"],
        "status"
    );
    let pledge = send(
        &app,
        Method::POST,
        &format!("/api/v1/challenges/{cid}/pledges"),
        &maelle,
        json!({"organisation_id": id(&org), "kind": "data", "message": "Nos adresses, mises à jour chaque semaine."}),
    )
    .await;
    assert_eq!(pledge.status(), 201, "{}", pledge.text().await.unwrap());
    assert_eq!(
        move_to(&app, &moderator, &cid, "in_progress")
            .await
            .status(),
        200
    );
    problem(
        send(&app, Method::POST, &take_path, &dave, take_body.clone()).await,
        403,
    )
    .await;
    let p = problem(
        send(
            &app,
            Method::POST,
            &format!("/api/v1/challenges/{cid}/communs"),
            &maelle,
            json!({"commun": "nulle-part"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "commun");

    // The maintainer, whose organisation pledged, names the commun taking it up.
    let resp = send(&app, Method::POST, &take_path, &maelle, take_body.clone()).await;
    assert_eq!(
        resp.headers()["location"],
        format!("/api/v1/challenges/{cid}").as_str()
    );
    let (status, taken) = json(resp).await;
    assert_eq!(
        (status, taken["communs"][0]["slug"].clone()),
        (201, json!("bal-bretagne"))
    );
    assert_eq!(
        send(&app, Method::POST, &take_path, &maelle, take_body.clone())
            .await
            .status(),
        200,
        "already taken up"
    );

    // A resource answers it; the challenge is solved: both sides show it.
    let resp = send(
        &app,
        Method::POST,
        "/api/v1/communs/bal-bretagne/resources",
        &maelle,
        json!({"kind": "dataset", "title": "Haies du Finistère", "url": "https://www.data.gouv.fr/datasets/haies",
               "licence": "etalab-2.0", "challenges": [cid]}),
    )
    .await;
    assert_eq!(resp.status(), 201);
    let solved = app
        .authed(
            Method::POST,
            &format!("/api/v1/challenges/{cid}/transitions"),
            &moderator,
        )
        .json(&json!({"to": "solved", "note": "Les données sont publiées."}))
        .send()
        .await
        .unwrap();
    assert_eq!(solved.status(), 200, "{}", solved.text().await.unwrap());
    let (_, c) = json(app.get(&format!("/api/v1/challenges/{cid}")).await).await;
    assert_eq!(c["status"], "solved");
    assert_eq!(
        c["communs"][0]["name"],
        "Bases adresses locales de Bretagne"
    );
    assert_eq!(c["resources"][0]["title"], "Haies du Finistère");
    assert_eq!(c["resources"][0]["licence"], "etalab-2.0");
    assert_eq!(c["resources"][0]["commun"], "bal-bretagne");
    let (_, res) = json(app.get("/api/v1/communs/bal-bretagne/resources").await).await;
    assert_eq!(res[0]["challenges"], json!([cid]));

    // The commun's timeline: the resource, the challenge and a milestone, newest first.
    let m = send(
        &app,
        Method::POST,
        "/api/v1/communs/bal-bretagne/milestones",
        &maelle,
        json!({"title": "Lancement du projet", "done_on": "2025-01-15"}),
    )
    .await;
    assert_eq!(m.status(), 201);
    let (status, timeline) = json(app.get("/api/v1/communs/bal-bretagne/timeline").await).await;
    assert_eq!(status, 200);
    let kinds: Vec<&str> = timeline
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.len(), 3);
    assert_eq!(kinds[2], "milestone", "the oldest last: {timeline}");
    assert!(kinds.contains(&"challenge") && kinds.contains(&"resource"));
    assert!(
        timeline
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "challenge" && e["state"] == "solved")
    );

    // Dropped by a moderator; dropping it again is a 404.
    let path = format!("/api/v1/challenges/{cid}/communs?commun=bal-bretagne");
    assert_eq!(
        app.authed(Method::DELETE, &path, &moderator)
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    problem(
        app.authed(Method::DELETE, &path, &moderator)
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    let (_, c) = json(app.get(&format!("/api/v1/challenges/{cid}")).await).await;
    assert_eq!(c["communs"], json!([]));
}

#[tokio::test]
async fn watching_followers_hear_of_milestones_reached_and_resources_published() {
    let app = TestApp::spawn();
    let admin = app.admin("admin").await;
    let maelle = app.member("maelle").await;
    let watcher = app.member("watcher").await;
    let quiet = app.member("quiet").await;
    let c = bal(&app, &admin).await;
    for (who, level) in [(&watcher, "watching"), (&quiet, "muted")] {
        let resp = send(
            &app,
            Method::PUT,
            "/api/v1/communs/bal-bretagne/subscription",
            who,
            json!({"level": level}),
        )
        .await;
        assert_eq!(resp.status(), 200);
    }
    let (_, m) = json(
        send(
            &app,
            Method::POST,
            "/api/v1/communs/bal-bretagne/milestones",
            &maelle,
            json!({"title": "Version 2 publiée"}),
        )
        .await,
    )
    .await;
    // Planned only: nothing yet. Reached: the watcher hears of it, once.
    let path = format!("/api/v1/communs/bal-bretagne/milestones/{}", id(&m));
    for _ in 0..2 {
        let resp = send(
            &app,
            Method::PATCH,
            &path,
            &maelle,
            json!({"done_on": "2026-12-01"}),
        )
        .await;
        assert_eq!(resp.status(), 200);
    }
    let resp = send(
        &app,
        Method::POST,
        "/api/v1/communs/bal-bretagne/resources",
        &maelle,
        json!({"kind": "software", "title": "Éditeur de BAL", "url": "https://git.example.org/bal", "licence": "MIT"}),
    )
    .await;
    assert_eq!(resp.status(), 201);
    let (_, n) = json(app.get_as("/api/v1/notifications", &watcher).await).await;
    let got: Vec<(String, String)> = n["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["kind"].as_str().unwrap().to_string(),
                i["target"]["title"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "commun_resource".to_string(),
                "Bases adresses locales de Bretagne — Éditeur de BAL".to_string()
            ),
            (
                "commun_milestone".to_string(),
                "Bases adresses locales de Bretagne — Version 2 publiée".to_string()
            ),
        ]
    );
    assert_eq!(n["items"][0]["target"]["type"], "commun");
    // The target's id opens the commun.
    let (status, by_id) = json(
        app.get(&format!(
            "/api/v1/communs/{}",
            n["items"][0]["target"]["id"].as_str().unwrap()
        ))
        .await,
    )
    .await;
    assert_eq!(
        (status, by_id["slug"].clone()),
        (200, json!("bal-bretagne"))
    );
    assert_eq!(by_id["id"], c["id"]);
    let (_, n) = json(app.get_as("/api/v1/notifications", &quiet).await).await;
    assert_eq!(n["items"].as_array().unwrap().len(), 0, "muted");
}

#[tokio::test]
async fn communs_and_resources_are_found_by_search_in_french() {
    let app = TestApp::spawn();
    let admin = app.admin("admin").await;
    let maelle = app.member("maelle").await;
    bal(&app, &admin).await;
    let resp = send(
        &app,
        Method::POST,
        "/api/v1/communs/bal-bretagne/resources",
        &maelle,
        json!({"kind": "dataset", "title": "Adresses géolocalisées de Brest",
               "url": "https://www.data.gouv.fr/datasets/bal-brest", "licence": "etalab-2.0",
               "description": "Les numéros et voies, mis à jour chaque semaine."}),
    )
    .await;
    let (_, res) = json(resp).await;
    // Accents and inflections: "adresse" finds "adresses", "communes" finds "commune".
    let (status, hits) = json(
        app.get("/api/v1/search?q=adresse%20commune&type=communs")
            .await,
    )
    .await;
    assert_eq!(status, 200, "{hits}");
    assert_eq!(hits["items"][0]["type"], "commun");
    assert_eq!(
        hits["items"][0]["title"],
        "Bases adresses locales de Bretagne"
    );
    assert_eq!(hits["items"][0]["author"], Value::Null);
    let (_, hits) = json(
        app.get("/api/v1/search?q=geolocalisees&type=resources")
            .await,
    )
    .await;
    assert_eq!(hits["items"][0]["type"], "resource");
    assert_eq!(hits["items"][0]["id"], res["id"]);
    assert!(
        hits["items"][0]["snippet_html"]
            .as_str()
            .unwrap()
            .contains("<mark>")
    );
    // The hit opens: GET /resources/{id}.
    let (status, one) = json(app.get(&format!("/api/v1/resources/{}", id(&res))).await).await;
    assert_eq!(
        (status, one["commun"]["slug"].clone()),
        (200, json!("bal-bretagne"))
    );
    let (_, none) = json(app.get("/api/v1/search?q=cadastre&type=communs").await).await;
    assert_eq!(none["items"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn a_communs_atom_feed_reads_in_a_real_parser() {
    let app = TestApp::spawn();
    let admin = app.admin("admin").await;
    let maelle = app.member("maelle").await;
    bal(&app, &admin).await;
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
            json!({"kind": "software", "title": "Éditeur de BAL & co", "url": "https://git.example.org/bal", "licence": "MIT"}),
        ),
        (
            "/api/v1/communs/bal-bretagne/news",
            json!({"title": "Douze communes de plus", "body": "Elles publient leur **base adresse**."}),
        ),
    ] {
        assert_eq!(
            send(&app, Method::POST, path, &maelle, body).await.status(),
            201
        );
    }
    let resp = app.get("/api/v1/feeds/communs/bal-bretagne.atom").await;
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/atom+xml")
    );
    let body = resp.bytes().await.unwrap();
    let feed = feed_rs::parser::parse(&body[..]).expect("a valid Atom feed");
    assert_eq!(
        feed.title.unwrap().content,
        "palabre — Bases adresses locales de Bretagne"
    );
    let titles: Vec<String> = feed
        .entries
        .iter()
        .map(|e| e.title.clone().unwrap().content)
        .collect();
    assert_eq!(
        titles,
        [
            "Douze communes de plus",
            "Nouvelle ressource : Éditeur de BAL & co",
            "Étape franchie : Version 2 publiée"
        ]
    );
    // The news entry carries its opening post's excerpt (plain text), its author and its
    // thread's page.
    let news = &feed.entries[0];
    assert!(news.content.is_none(), "{news:?}");
    let summary = &news.summary.as_ref().unwrap().content;
    assert!(summary.contains("base adresse"), "{news:?}");
    assert!(!summary.contains('<'), "{news:?}");
    assert_eq!(news.authors[0].name.as_deref(), Some("maelle Display"));
    assert!(news.links[0].href.contains("/threads/"), "{news:?}");
    assert_eq!(feed.entries[1].links[0].href, "https://git.example.org/bal");
    problem(app.get("/api/v1/feeds/communs/nulle-part.atom").await, 404).await;
}

#[tokio::test]
async fn maintainers_publish_news_in_the_communs_own_category_and_everyone_replies() {
    let app = TestApp::spawn();
    let admin = app.admin("admin").await;
    let maelle = app.member("maelle").await;
    let yann = app.member("yann").await;
    let watcher = app.member("watcher").await;
    let both = app.member("both").await;
    let c = bal(&app, &admin).await;
    crate::support::category(&app, &admin, "general", "everyone").await;

    // The commun came with its news category, which only its maintainers publish in.
    assert_eq!(c["news_category"], "commun-bal-bretagne");
    let (_, cat) = json(app.get("/api/v1/categories/commun-bal-bretagne").await).await;
    assert_eq!(
        (
            cat["who_can_start"].clone(),
            cat["commun_id"].clone(),
            cat["name"].clone()
        ),
        (
            json!("maintainers"),
            c["id"].clone(),
            json!("Bases adresses locales de Bretagne")
        )
    );
    // Administrators may neither give the rule to another category nor take it from this one.
    let refused = send(
        &app,
        Method::POST,
        "/api/v1/categories",
        &admin,
        json!({"slug": "a-moi", "name": "À moi", "who_can_start": "maintainers"}),
    )
    .await;
    assert_eq!(
        problem(refused, 422).await["errors"][0]["field"],
        "who_can_start"
    );
    let refused = send(
        &app,
        Method::PATCH,
        "/api/v1/categories/commun-bal-bretagne",
        &admin,
        json!({"who_can_start": "everyone"}),
    )
    .await;
    assert_eq!(
        problem(refused, 422).await["errors"][0]["field"],
        "who_can_start"
    );

    // `watcher` follows the commun; `both` also watches its category (told once).
    for (who, path) in [
        (&watcher, "/api/v1/communs/bal-bretagne/subscription"),
        (&both, "/api/v1/communs/bal-bretagne/subscription"),
        (&both, "/api/v1/categories/commun-bal-bretagne/subscription"),
    ] {
        let resp = send(&app, Method::PUT, path, who, json!({"level": "watching"})).await;
        assert_eq!(resp.status(), 200);
    }

    // Neither a member who does not maintain it, nor anyone through POST /threads.
    let news =
        json!({"title": "Douze communes de plus", "body": "Elles publient leur **base adresse**."});
    problem(
        send(
            &app,
            Method::POST,
            "/api/v1/communs/bal-bretagne/news",
            &yann,
            news.clone(),
        )
        .await,
        403,
    )
    .await;
    let resp = app
        .client
        .post(app.url("/api/v1/communs/bal-bretagne/news"))
        .json(&news)
        .send()
        .await
        .unwrap();
    problem(resp, 401).await;
    let direct = send(&app, Method::POST, "/api/v1/threads", &maelle,
        json!({"category": "commun-bal-bretagne", "title": "Par la grande porte", "body": "Bonjour."})).await;
    problem(direct, 403).await;
    // A refused title changes nothing.
    let bad = send(
        &app,
        Method::POST,
        "/api/v1/communs/bal-bretagne/news",
        &maelle,
        json!({"title": "ab", "body": "Trop court."}),
    )
    .await;
    assert_eq!(problem(bad, 422).await["errors"][0]["field"], "title");
    let (_, page) = json(app.get("/api/v1/communs/bal-bretagne/news").await).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 0);

    let resp = send(
        &app,
        Method::POST,
        "/api/v1/communs/bal-bretagne/news",
        &maelle,
        news,
    )
    .await;
    assert_eq!(resp.status(), 201);
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    let t: Value = resp.json().await.unwrap();
    assert_eq!(location, format!("/api/v1/threads/{}", id(&t)));
    assert_eq!(
        (
            t["kind"].clone(),
            t["category"]["slug"].clone(),
            t["subject"].clone()
        ),
        (
            json!("news"),
            json!("commun-bal-bretagne"),
            json!({"type": "commun", "id": c["id"]})
        )
    );
    // An administrator publishes too.
    let resp = send(
        &app,
        Method::POST,
        "/api/v1/communs/bal-bretagne/news",
        &admin,
        json!({"title": "Atelier à Quimper", "body": "Le 12 janvier."}),
    )
    .await;
    assert_eq!(resp.status(), 201);
    // Everyone replies.
    let r = crate::support::reply(&app, &yann, &t, "Bravo aux communes !", None).await;
    assert_eq!(r["number"], 2);

    // Listed newest first, on the timeline, found by search.
    let (_, page) = json(app.get("/api/v1/communs/bal-bretagne/news").await).await;
    let titles: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Atelier à Quimper", "Douze communes de plus"]);
    assert_eq!(page["items"][1]["reply_count"], 1);
    let (_, timeline) = json(app.get("/api/v1/communs/bal-bretagne/timeline").await).await;
    assert!(
        timeline
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "news" && e["id"] == t["id"] && e["state"] == "published"),
        "{timeline}"
    );
    let (_, hits) = json(app.get("/api/v1/search?q=commune&type=threads").await).await;
    assert!(
        hits["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["thread_id"] == t["id"]),
        "{hits}"
    );
    problem(app.get("/api/v1/communs/nulle-part/news").await, 404).await;

    // Followers are told, once each, through the news thread.
    for who in [&watcher, &both] {
        let (_, n) = json(app.get_as("/api/v1/notifications", who).await).await;
        let about_first: Vec<&Value> = n["items"]
            .as_array()
            .unwrap()
            .iter()
            // Yann's reply is another event (a watched reply, for who watches the category).
            .filter(|i| i["target"]["id"] == t["id"] && i["kind"] != "watched_reply")
            .collect();
        assert_eq!(about_first.len(), 1, "{n}");
        assert_eq!(about_first[0]["target"]["type"], "thread");
    }
    let (_, n) = json(app.get_as("/api/v1/notifications", &watcher).await).await;
    assert_eq!(n["items"][1]["kind"], "commun_news");
    assert_eq!(
        n["items"][1]["target"]["title"],
        "Bases adresses locales de Bretagne — Douze communes de plus"
    );

    // News stay in their category, and nothing else moves in.
    let moved = send(
        &app,
        Method::PATCH,
        &format!("/api/v1/threads/{}", id(&t)),
        &admin,
        json!({"category": "general", "reason": "Rangement"}),
    )
    .await;
    assert_eq!(problem(moved, 422).await["errors"][0]["field"], "category");
    let other =
        crate::support::thread(&app, &yann, "general", "Une question d'adresse", "Où ?").await;
    let moved = send(
        &app,
        Method::PATCH,
        &format!("/api/v1/threads/{}", id(&other)),
        &admin,
        json!({"category": "commun-bal-bretagne", "reason": "Rangement"}),
    )
    .await;
    assert_eq!(problem(moved, 422).await["errors"][0]["field"], "category");

    // Hidden by moderation, news leave the list, the timeline and the feed.
    let resp = send(
        &app,
        Method::POST,
        &format!("/api/v1/threads/{}/moderation", id(&t)),
        &admin,
        json!({"action": "hide", "reason": "Doublon"}),
    )
    .await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    let (_, page) = json(app.get("/api/v1/communs/bal-bretagne/news").await).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let (_, timeline) = json(app.get("/api/v1/communs/bal-bretagne/timeline").await).await;
    assert!(
        !timeline
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["id"] == t["id"]),
        "{timeline}"
    );
    let feed = app
        .get("/api/v1/feeds/communs/bal-bretagne.atom")
        .await
        .text()
        .await
        .unwrap();
    assert!(!feed.contains("Douze communes"), "{feed}");
    assert!(feed.contains("Atelier à Quimper"), "{feed}");

    // Renaming the commun renames its category.
    let resp = send(
        &app,
        Method::PATCH,
        "/api/v1/communs/bal-bretagne",
        &maelle,
        json!({"name": "BAL de Bretagne"}),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let (_, cat) = json(app.get("/api/v1/categories/commun-bal-bretagne").await).await;
    assert_eq!(cat["name"], "BAL de Bretagne");
}
