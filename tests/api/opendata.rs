//! Open data (issue 17): CSV read back by Python's csv module (an independent, strict RFC 4180
//! reader), GeoJSON by the `geojson` crate's reader, the catalogue as JSON-LD; public content only;
//! ETags; batches.

use std::io::Write;
use std::process::{Command, Stdio};

use reqwest::Method;
use serde_json::{Value, json};

use crate::challenges::{move_to, proposal, propose};
use crate::support::{TestApp, id, problem};

/// Parses CSV with Python's standard csv module (strict mode: a malformed quote is an error).
fn python_csv(body: &str) -> Vec<Vec<String>> {
    let mut child = Command::new("python3")
        .args([
            "-c",
            "import csv, io, json, sys\n\
             text = sys.stdin.buffer.read().decode('utf-8')\n\
             print(json.dumps(list(csv.reader(io.StringIO(text, newline=''), strict=True))))",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 (the CI installs it)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(body.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "python's csv refused it:\n{body}");
    serde_json::from_slice(&out.stdout).unwrap()
}

async fn get_csv(app: &TestApp, path: &str) -> (reqwest::header::HeaderMap, String) {
    let resp = app.get(path).await;
    assert_eq!(resp.status(), 200, "{path}");
    let headers = resp.headers().clone();
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv; charset=utf-8"),
        "{headers:?}"
    );
    (headers, resp.text().await.unwrap())
}

/// The rows of a parsed CSV as maps from its header.
fn records(rows: &[Vec<String>]) -> Vec<serde_json::Map<String, Value>> {
    rows[1..]
        .iter()
        .map(|r| {
            rows[0]
                .iter()
                .zip(r)
                .map(|(k, v)| (k.clone(), json!(v)))
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn challenges_communs_and_resources_as_csv_geojson_and_a_catalogue() {
    let app = TestApp::spawn();
    let admin = app.admin("admin").await;
    let maelle = app.member("maelle").await;
    // A public challenge whose text needs quoting: a comma, quotes, a line break, accents.
    let mut body = proposal("Haies, talus et \"bocage\" du Léon");
    body["summary"] = json!("Première ligne,\nseconde ligne « citée ».");
    let public = propose(&app, &maelle, body).await;
    assert_eq!(
        move_to(&app, &maelle, id(&public), "submitted")
            .await
            .status(),
        200
    );
    // A draft, and a submitted challenge hidden by moderation, stay out.
    let draft = propose(&app, &maelle, proposal("Un brouillon privé")).await;
    let hidden = propose(&app, &maelle, proposal("Un défi masqué")).await;
    assert_eq!(
        move_to(&app, &maelle, id(&hidden), "submitted")
            .await
            .status(),
        200
    );
    {
        // Hidden as the flag threshold or a moderator's decision hides it (tested in moderation).
        use diesel::prelude::*;
        diesel::sql_query(format!(
            "UPDATE challenges SET hidden_at = now() WHERE id = '{}'",
            id(&hidden)
        ))
        .execute(&mut app.conn())
        .unwrap();
    }
    // A commun with a resource answering the public challenge.
    let resp = app
        .authed(Method::POST, "/api/v1/communs", &admin)
        .json(
            &json!({"slug": "haies", "name": "Inventaire des haies", "status": "active",
                      "cohort": 2025, "themes": ["biodiversite"], "territories": ["29"],
                      "maintainers": ["maelle"]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let resp = app
        .authed(Method::POST, "/api/v1/communs/haies/resources", &maelle)
        .json(
            &json!({"kind": "dataset", "title": "Haies du Finistère", "licence": "ODbL-1.0",
                      "url": "https://data.example.org/haies", "challenges": [public["id"]]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());

    // Challenges as CSV: CRLF lines, the header, one public row, read back intact.
    let (headers, text) = get_csv(&app, "/api/v1/open-data/challenges.csv").await;
    assert!(text.starts_with("id,title,summary,status,"), "{text}");
    assert!(
        text.ends_with("\r\n") && !text.replace("\r\n", "").contains("\r"),
        "{text:?}"
    );
    let link = headers["link"].to_str().unwrap();
    assert!(
        link.contains(
            "<https://www.etalab.gouv.fr/licence-ouverte-open-licence/>; rel=\"license\""
        ),
        "{link}"
    );
    assert!(headers.contains_key("last-modified"));
    let rows = python_csv(&text);
    let recs = records(&rows);
    assert_eq!(recs.len(), 1, "{rows:?}");
    let r = &recs[0];
    assert_eq!(r["id"], public["id"]);
    assert_eq!(r["title"], "Haies, talus et \"bocage\" du Léon");
    assert_eq!(r["summary"], "Première ligne,\nseconde ligne « citée ».");
    assert_eq!(r["status"], "submitted");
    assert_eq!(r["themes"], "biodiversite;agriculture");
    assert_eq!(
        (r["territory_code"].clone(), r["territory_name"].clone()),
        (json!("29019"), json!("Brest"))
    );
    assert_eq!(
        (r["longitude"].clone(), r["latitude"].clone()),
        (json!("-4.4861"), json!("48.3904"))
    );
    for gone in [&draft, &hidden] {
        assert!(!text.contains(id(gone)), "{text}");
    }

    // Conditional requests: the same ETag is a 304 until the data changes.
    let etag = headers["etag"].to_str().unwrap().to_string();
    let resp = app
        .client
        .get(app.url("/api/v1/open-data/challenges.csv"))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 304);
    let resp = app
        .authed(
            Method::PUT,
            &format!("/api/v1/challenges/{}/support", id(&public)),
            &admin,
        )
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success());
    let (headers, text) = get_csv(&app, "/api/v1/open-data/challenges.csv").await;
    assert_ne!(headers["etag"].to_str().unwrap(), etag);
    assert_eq!(records(&python_csv(&text))[0]["supports"], "1");
    assert_eq!(headers["cache-control"], "public, max-age=300");
    // Hidden by moderation, it leaves the data: a new ETag, and an empty export.
    let etag = headers["etag"].to_str().unwrap().to_string();
    {
        use diesel::prelude::*;
        diesel::sql_query(format!(
            "UPDATE challenges SET hidden_at = now() WHERE id = '{}'",
            id(&public)
        ))
        .execute(&mut app.conn())
        .unwrap();
    }
    let (headers, text) = get_csv(&app, "/api/v1/open-data/challenges.csv").await;
    assert_ne!(headers["etag"].to_str().unwrap(), etag);
    assert_eq!(python_csv(&text).len(), 1, "the header only");
    {
        use diesel::prelude::*;
        diesel::sql_query(format!(
            "UPDATE challenges SET hidden_at = NULL WHERE id = '{}'",
            id(&public)
        ))
        .execute(&mut app.conn())
        .unwrap();
    }

    // GeoJSON, read by the geojson crate's reader: the point, the properties, the licence.
    let resp = app.get("/api/v1/open-data/challenges.geojson").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/geo+json");
    let text = resp.text().await.unwrap();
    let fc: geojson::FeatureCollection = text.parse().expect("a GeoJSON FeatureCollection");
    assert_eq!(fc.features.len(), 1);
    let f = &fc.features[0];
    assert_eq!(
        serde_json::to_value(f.geometry.as_ref().unwrap()).unwrap(),
        json!({"type": "Point", "coordinates": [-4.4861, 48.3904]})
    );
    assert_eq!(
        f.property("title").unwrap(),
        "Haies, talus et \"bocage\" du Léon"
    );
    assert_eq!(
        fc.foreign_members.as_ref().unwrap()["license"]["id"],
        "etalab-2.0"
    );

    // Communs and resources.
    let (_, text) = get_csv(&app, "/api/v1/open-data/communs.csv").await;
    let recs = records(&python_csv(&text));
    assert_eq!(recs.len(), 1);
    assert_eq!(
        (
            recs[0]["slug"].clone(),
            recs[0]["status"].clone(),
            recs[0]["cohort"].clone(),
            recs[0]["resources"].clone()
        ),
        (json!("haies"), json!("active"), json!("2025"), json!("1"))
    );
    let (_, text) = get_csv(&app, "/api/v1/open-data/resources.csv").await;
    let recs = records(&python_csv(&text));
    assert_eq!(
        (
            recs[0]["commun"].clone(),
            recs[0]["licence"].clone(),
            recs[0]["challenges"].clone()
        ),
        (json!("haies"), json!("ODbL-1.0"), public["id"].clone())
    );

    // The catalogue: a dcat:Catalog of three datasets whose distributions are the exports.
    let resp = app.get("/api/v1/open-data/catalog.jsonld").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/ld+json");
    let cat: Value = resp.json().await.unwrap();
    assert_eq!(cat["@type"], "dcat:Catalog");
    assert_eq!(cat["@context"]["dcat"], "http://www.w3.org/ns/dcat#");
    let datasets = cat["dcat:dataset"].as_array().unwrap();
    assert_eq!(datasets.len(), 3);
    let mut urls = Vec::new();
    for d in datasets {
        assert_eq!(d["@type"], "dcat:Dataset");
        assert_eq!(
            d["dct:license"]["@id"],
            "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
        );
        for dist in d["dcat:distribution"].as_array().unwrap() {
            urls.push(
                dist["dcat:downloadURL"]["@id"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            );
        }
    }
    assert_eq!(urls.len(), 4);
    for u in urls {
        let path = u
            .split_once("/api/v1/")
            .map(|(_, p)| format!("/api/v1/{p}"))
            .unwrap();
        assert_eq!(app.get(&path).await.status(), 200, "{u}");
    }
    problem(app.get("/api/v1/open-data/nothing.csv").await, 404).await;
}

#[tokio::test]
async fn a_large_export_is_streamed_in_batches_and_keeps_every_row_once() {
    use diesel::prelude::*;
    let app = TestApp::spawn();
    // 1,234 communs: three batches of 500 and a part.
    let mut conn = app.conn();
    diesel::sql_query(
        "INSERT INTO communs (id, slug, name, summary) \
         SELECT uuid_generate_v7(), 'commun-' || n, 'Commun n°' || n, 'Résumé, \"cité\"' \
         FROM generate_series(1, 1234) n",
    )
    .execute(&mut conn)
    .unwrap();
    let (_, text) = get_csv(&app, "/api/v1/open-data/communs.csv").await;
    let rows = python_csv(&text);
    assert_eq!(rows.len(), 1 + 1234);
    let mut ids: Vec<&String> = rows[1..].iter().map(|r| &r[0]).collect();
    let sorted = {
        let mut s = ids.clone();
        s.sort();
        s
    };
    assert_eq!(ids, sorted, "rows in id order");
    ids.dedup();
    assert_eq!(ids.len(), 1234, "each row once");
    assert!(rows[1..].iter().all(|r| r[3] == "Résumé, \"cité\""));
}
