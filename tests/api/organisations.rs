//! Organisations and their members; personal data export and erasure.

use diesel::prelude::*;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{PASSWORD, TestApp, create_org, json, problem};

#[tokio::test]
async fn organisations_are_created_managed_and_listed() {
    let app = TestApp::spawn();
    let anne = app.member("anne").await;
    let bruno = app.member("bruno").await;
    let org = create_org(&app, &anne, "Brest métropole").await;
    let id = org["id"].as_str().unwrap().to_string();
    assert_eq!(org["member_count"], 1);
    assert_eq!(org["members"][0]["user"]["username"], "anne");
    assert_eq!(
        org["members"][0]["role"], "admin",
        "the creator is its admin"
    );

    // Same name in another case: 409. Bad fields: 422.
    let resp = app
        .authed(Method::POST, "/api/v1/organisations", &bruno)
        .json(&json!({"name": "BREST MÉTROPOLE", "kind": "public"}))
        .send()
        .await
        .unwrap();
    let body = problem(resp, 409).await;
    assert_eq!(body["errors"][0]["field"], "name");
    for bad in [
        json!({"name": "x", "kind": "public"}),
        json!({"name": "Valid name", "kind": "public", "website": "javascript:alert(1)"}),
    ] {
        let resp = app
            .authed(Method::POST, "/api/v1/organisations", &bruno)
            .json(&bad)
            .send()
            .await
            .unwrap();
        problem(resp, 422).await;
    }
    let resp = app
        .authed(Method::POST, "/api/v1/organisations", &bruno)
        .json(&json!({"name": "Valid name", "kind": "church"}))
        .send()
        .await
        .unwrap();
    assert_eq!(problem(resp, 422).await["errors"][0]["field"], "kind");

    // Only its admins update it.
    let path = format!("/api/v1/organisations/{id}");
    let resp = app
        .authed(Method::PATCH, &path, &bruno)
        .json(&json!({"description": "hijack"}))
        .send()
        .await
        .unwrap();
    problem(resp, 403).await;
    let resp = app
        .authed(Method::PATCH, &path, &anne)
        .json(&json!({"description": "Métropole de Brest", "kind": "public"}))
        .send()
        .await
        .unwrap();
    let (status, updated) = json(resp).await;
    assert_eq!(
        (status, updated["description"].as_str()),
        (200, Some("Métropole de Brest"))
    );

    // Members: add (201), change role (200), the last admin cannot leave (409), removal (204).
    let members = format!("/api/v1/organisations/{id}/members");
    let resp = app
        .authed(Method::POST, &members, &bruno)
        .json(&json!({"username": "bruno", "role": "admin"}))
        .send()
        .await
        .unwrap();
    problem(resp, 403).await;
    let resp = app
        .authed(Method::POST, &members, &anne)
        .json(&json!({"username": "BRUNO", "role": "member"}))
        .send()
        .await
        .unwrap();
    let (status, org) = json(resp).await;
    assert_eq!(status, 201);
    assert_eq!(org["member_count"], 2);
    let resp = app
        .authed(Method::POST, &members, &anne)
        .json(&json!({"username": "ghost", "role": "member"}))
        .send()
        .await
        .unwrap();
    problem(resp, 422).await;
    let anne_id = anne["user"]["id"].as_str().unwrap();
    let bruno_id = bruno["user"]["id"].as_str().unwrap();
    let resp = app
        .authed(
            Method::DELETE,
            &format!("{members}?user_id={anne_id}"),
            &anne,
        )
        .send()
        .await
        .unwrap();
    problem(resp, 409).await;
    let resp = app
        .authed(Method::POST, &members, &anne)
        .json(&json!({"username": "bruno", "role": "admin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let resp = app
        .authed(
            Method::DELETE,
            &format!("{members}?user_id={anne_id}"),
            &anne,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204, "anne leaves; bruno is admin now");
    let (_, org) = json(app.get(&path).await).await;
    assert_eq!(org["member_count"], 1);
    assert_eq!(org["members"][0]["user"]["id"], bruno_id);
    let resp = app
        .authed(
            Method::DELETE,
            &format!("{members}?user_id={anne_id}"),
            &bruno,
        )
        .send()
        .await
        .unwrap();
    problem(resp, 404).await;

    problem(
        app.get(&format!("/api/v1/organisations/{}", uuid::Uuid::now_v7()))
            .await,
        404,
    )
    .await;
    problem(app.get("/api/v1/organisations/not-a-uuid").await, 404).await;
}

#[tokio::test]
async fn organisation_lists_are_keyset_paginated() {
    let app = TestApp::spawn();
    let t = app.member("paginator").await;
    let names = [
        "Cerema",
        "IGN",
        "Ademe",
        "OpenStreetMap France",
        "Région Bretagne",
    ];
    for n in names {
        create_org(&app, &t, n).await;
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/organisations?limit=2&cursor={c}"),
            None => "/api/v1/organisations?limit=2".to_string(),
        };
        let (status, page) = json(app.get(&path).await).await;
        assert_eq!(status, 200);
        for item in page["items"].as_array().unwrap() {
            seen.push(item["name"].as_str().unwrap().to_string());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    let mut sorted: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    sorted.sort();
    assert_eq!(seen, sorted);
    problem(app.get("/api/v1/organisations?limit=0").await, 422).await;
    problem(app.get("/api/v1/organisations?limit=101").await, 422).await;
    problem(app.get("/api/v1/organisations?cursor=@@@").await, 422).await;
}

#[tokio::test]
async fn export_returns_everything_stored_about_the_caller() {
    let app = TestApp::spawn();
    let tokens = app.member("exporte").await;
    create_org(&app, &tokens, "Parc naturel régional d'Armorique").await;
    let resp = app
        .authed(Method::GET, "/api/v1/me/export", &tokens)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    let doc: Value = resp.json().await.unwrap();
    assert_eq!(doc["account"]["email"], "exporte@example.org");
    assert_eq!(doc["account"]["digest_frequency"], "weekly");
    assert_eq!(doc["sessions"].as_array().unwrap().len(), 1);
    assert!(
        doc["sessions"][0]["ip"]
            .as_str()
            .unwrap()
            .starts_with("127.")
    );
    assert_eq!(
        doc["organisations"][0]["name"],
        "Parc naturel régional d'Armorique"
    );
    assert_eq!(doc["organisations"][0]["role"], "admin");
    assert_eq!(doc["activity_counts"]["threads"], 0);
}

/// Every text and JSON column of every table that contains `needle` (case-insensitive), but the
/// official geography's (place names, such as the town in a member's bio, are no one's data).
fn tables_containing(app: &TestApp, needle: &str) -> Vec<String> {
    #[derive(QueryableByName)]
    struct Col {
        #[diesel(sql_type = diesel::sql_types::Text)]
        table_name: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        column_name: String,
    }
    let mut conn = app.conn();
    let cols: Vec<Col> = diesel::sql_query(
        "SELECT table_name::text, column_name::text FROM information_schema.columns \
         WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'jsonb', 'json') \
           AND table_name <> 'territories'",
    )
    .load(&mut conn)
    .unwrap();
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut found = Vec::new();
    for c in cols {
        let hits: Count = diesel::sql_query(format!(
            "SELECT count(*) AS n FROM \"{}\" WHERE \"{}\"::text ILIKE $1",
            c.table_name, c.column_name
        ))
        .bind::<diesel::sql_types::Text, _>(format!("%{needle}%"))
        .get_result(&mut conn)
        .unwrap();
        if hits.n > 0 {
            found.push(format!("{}.{}", c.table_name, c.column_name));
        }
    }
    found
}

#[tokio::test]
async fn erasure_leaves_no_personal_data_and_no_way_back_in() {
    let app = TestApp::spawn();
    let tokens = app.member("Efflam").await;
    let other = app.member("witness").await;
    let org = create_org(&app, &tokens, "Collectif Géocommuns").await;
    let members = format!(
        "/api/v1/organisations/{}/members",
        org["id"].as_str().unwrap()
    );
    app.authed(Method::POST, &members, &tokens)
        .json(&json!({"username": "witness", "role": "admin"}))
        .send()
        .await
        .unwrap();
    app.authed(Method::PATCH, "/api/v1/me", &tokens)
        .json(
            &json!({"bio": "Bénévole cartographe à Douarnenez", "display_name": "Efflam Kerbrat"}),
        )
        .send()
        .await
        .unwrap();
    // A failed login leaves a throttle row keyed by the login.
    problem(
        app.login("efflam@example.org", "wrong password here").await,
        401,
    )
    .await;
    app.post_json(
        "/api/v1/auth/password-reset",
        &json!({"email": "efflam@example.org"}),
    )
    .await;
    app.worker().run_until_idle().unwrap();

    let resp = app
        .authed(Method::DELETE, "/api/v1/me", &tokens)
        .json(&json!({"password": "not it at all"}))
        .send()
        .await
        .unwrap();
    problem(resp, 403).await;
    let resp = app
        .authed(Method::DELETE, "/api/v1/me", &tokens)
        .json(&json!({"password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);

    for personal in [
        "efflam@example.org",
        "Efflam Kerbrat",
        "Douarnenez",
        "Efflam",
    ] {
        let found = tables_containing(&app, personal);
        assert!(found.is_empty(), "{personal:?} still stored in {found:?}");
    }
    problem(
        app.authed(Method::GET, "/api/v1/me", &tokens)
            .send()
            .await
            .unwrap(),
        401,
    )
    .await;
    problem(app.login("efflam", PASSWORD).await, 401).await;
    problem(app.login("efflam@example.org", PASSWORD).await, 401).await;
    problem(app.get("/api/v1/users/efflam").await, 404).await;
    // Content stays attributed to a placeholder; the organisation keeps its other member.
    let (_, org) = json(
        app.get(&format!(
            "/api/v1/organisations/{}",
            org["id"].as_str().unwrap()
        ))
        .await,
    )
    .await;
    assert_eq!(org["member_count"], 1);
    assert_eq!(org["members"][0]["user"]["username"], "witness");
    let placeholder: String = diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>(
        "(SELECT username FROM users WHERE erased_at IS NOT NULL)",
    ))
    .get_result(&mut app.conn())
    .unwrap();
    assert!(placeholder.starts_with("anonyme-"));
    // The name stays unavailable, so old @efflam mentions never point to a newcomer (issue 11).
    let p = problem(app.register("Efflam").await, 409).await;
    assert_eq!(p["errors"][0]["field"], "username");
    let _ = other;
}

#[tokio::test]
async fn nul_characters_are_refused_not_a_server_error() {
    let app = TestApp::spawn();
    let t = app.member("nul_tester").await;
    let resp = app
        .authed(Method::POST, "/api/v1/organisations", &t)
        .json(&json!({"name": "Mairie\u{0}de Quimper", "kind": "public"}))
        .send()
        .await
        .unwrap();
    problem(resp, 422).await;
    let (_, page) = json(app.get("/api/v1/organisations").await).await;
    assert!(
        page["items"].as_array().unwrap().is_empty(),
        "nothing stored"
    );
    problem(app.login("nul\u{0}tester", PASSWORD).await, 401).await;
}

/// Two admins demoting each other at the same moment: one wins, the other is refused, and the
/// organisation keeps an admin (issue 11). Eight organisations race at once to give the race room.
#[tokio::test]
async fn two_admins_demoting_each_other_at_once_leave_one_admin() {
    let app = TestApp::spawn();
    let anne = app.member("anne").await;
    let bruno = app.member("bruno").await;
    let mut orgs = Vec::new();
    for i in 0..8 {
        let org = create_org(&app, &anne, &format!("Commune numéro {i}")).await;
        let members = format!(
            "/api/v1/organisations/{}/members",
            org["id"].as_str().unwrap()
        );
        let resp = app
            .authed(Method::POST, &members, &anne)
            .json(&json!({"username": "bruno", "role": "admin"}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 201);
        orgs.push((org["id"].as_str().unwrap().to_string(), members));
    }
    let demotions = orgs.iter().flat_map(|(_, members)| {
        [("bruno", &anne), ("anne", &bruno)].map(|(who, by)| {
            app.authed(Method::POST, members, by)
                .json(&json!({"username": who, "role": "member"}))
                .send()
        })
    });
    let statuses: Vec<u16> = futures_util::future::join_all(demotions)
        .await
        .into_iter()
        .map(|r| r.unwrap().status().as_u16())
        .collect();
    for (i, (id, _)) in orgs.iter().enumerate() {
        let pair = &statuses[2 * i..2 * i + 2];
        assert_eq!(pair.iter().filter(|s| **s == 200).count(), 1, "{pair:?}");
        assert!(pair.iter().all(|s| [200, 403, 409].contains(s)), "{pair:?}");
        let (_, org) = json(app.get(&format!("/api/v1/organisations/{id}")).await).await;
        let admins = org["members"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["role"] == "admin")
            .count();
        assert_eq!(admins, 1, "{org}");
    }
}

async fn erase(app: &TestApp, tokens: &Value) {
    let resp = app
        .authed(Method::DELETE, "/api/v1/me", tokens)
        .json(&json!({"password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
}

async fn notification_kinds(app: &TestApp, tokens: &Value) -> Vec<(String, String)> {
    let (_, page) = json(
        app.authed(Method::GET, "/api/v1/notifications", tokens)
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
            let kind = n["kind"].as_str().unwrap().to_string();
            (kind, n["target"]["id"].as_str().unwrap().to_string())
        })
        .collect()
}

/// The last admin's erasure hands the role to the oldest member, who is told; an organisation left
/// with nobody is reported to the site's admins (issue 11).
#[tokio::test]
async fn erasing_the_last_admin_hands_the_role_over_or_tells_the_staff() {
    let app = TestApp::spawn();
    let staff = app.admin("gwen").await;
    let anne = app.member("anne").await;
    let bruno = app.member("bruno").await;
    let carla = app.member("carla").await;
    let shared = create_org(&app, &anne, "Parc naturel d'Armorique").await;
    let alone = create_org(&app, &anne, "Syndicat mixte du Léon").await;
    let shared_id = shared["id"].as_str().unwrap().to_string();
    let alone_id = alone["id"].as_str().unwrap().to_string();
    let members = format!("/api/v1/organisations/{shared_id}/members");
    for who in ["bruno", "carla"] {
        let resp = app
            .authed(Method::POST, &members, &anne)
            .json(&json!({"username": who, "role": "member"}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 201);
    }
    erase(&app, &anne).await;

    let (_, org) = json(app.get(&format!("/api/v1/organisations/{shared_id}")).await).await;
    let roles: Vec<(String, String)> = org["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let name = m["user"]["username"].as_str().unwrap().to_string();
            (name, m["role"].as_str().unwrap().to_string())
        })
        .collect();
    assert!(
        roles.contains(&("bruno".into(), "admin".into())),
        "{roles:?}"
    );
    assert!(
        roles.contains(&("carla".into(), "member".into())),
        "{roles:?}"
    );
    assert_eq!(org["member_count"], 2);
    let handed = (
        "organisation_admin_handed_over".to_string(),
        shared_id.clone(),
    );
    assert!(notification_kinds(&app, &bruno).await.contains(&handed));
    assert!(!notification_kinds(&app, &carla).await.contains(&handed));
    // The new admin manages the organisation at once.
    let resp = app
        .authed(Method::POST, &members, &bruno)
        .json(&json!({"username": "carla", "role": "admin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);

    let (_, org) = json(app.get(&format!("/api/v1/organisations/{alone_id}")).await).await;
    assert_eq!(org["member_count"], 0);
    let orphan = ("organisation_without_members".to_string(), alone_id.clone());
    assert!(notification_kinds(&app, &staff).await.contains(&orphan));
    let logged: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
        "(SELECT count(*) FROM moderation_log WHERE target_type = 'organisation' \
          AND action IN ('organisation_admin_handed_over', 'organisation_without_members'))",
    ))
    .get_result(&mut app.conn())
    .unwrap();
    assert_eq!(logged, 2);
}
