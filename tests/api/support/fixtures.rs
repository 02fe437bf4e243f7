//! Shared fixtures: categories, tags, threads, replies, organisations made over HTTP, and a world of
//! members in every role (the authorization matrix of the features to come reads its table).

use reqwest::Method;
use serde_json::{Value, json};

use super::{TestApp, json};

/// The `id` of a JSON resource.
pub fn id(v: &Value) -> &str {
    v["id"].as_str().unwrap()
}

/// A category `slug` named "Catégorie {slug}", where `who` (`everyone`, `staff`) starts threads.
pub async fn category(app: &TestApp, admin: &Value, slug: &str, who: &str) -> Value {
    category_named(app, admin, slug, &format!("Catégorie {slug}"), who).await
}

pub async fn category_named(
    app: &TestApp,
    admin: &Value,
    slug: &str,
    name: &str,
    who: &str,
) -> Value {
    let resp = app
        .authed(Method::POST, "/api/v1/categories", admin)
        .json(&json!({"slug": slug, "name": name, "who_can_start": who,
                      "description": "Pour parler de géocommuns", "color": "#1a7f37"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());
    resp.json().await.unwrap()
}

pub async fn tag(app: &TestApp, admin: &Value, slug: &str) {
    let resp = app
        .authed(Method::POST, "/api/v1/tags", admin)
        .json(&json!({"slug": slug, "name": slug.replace('-', " ")}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
}

pub async fn thread(app: &TestApp, who: &Value, category: &str, title: &str, body: &str) -> Value {
    let resp = app
        .authed(Method::POST, "/api/v1/threads", who)
        .json(&json!({"category": category, "title": title, "body": body}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());
    resp.json().await.unwrap()
}

pub async fn reply(
    app: &TestApp,
    who: &Value,
    thread: &Value,
    body: &str,
    reply_to: Option<&Value>,
) -> Value {
    let resp = app
        .authed(
            Method::POST,
            &format!("/api/v1/threads/{}/posts", thread["id"].as_str().unwrap()),
            who,
        )
        .json(&json!({"body": body, "reply_to": reply_to.map(|p| p["id"].clone())}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());
    resp.json().await.unwrap()
}

/// A public organisation `name`, made by `tokens` (its admin); checks its `Location`.
pub async fn create_org(app: &TestApp, tokens: &Value, name: &str) -> Value {
    let resp = app
        .authed(Method::POST, "/api/v1/organisations", tokens)
        .json(
            &json!({"name": name, "kind": "public", "website": "https://www.brest.fr",
                      "description": "Ville de Brest"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    let (_, org) = json(resp).await;
    assert_eq!(
        location,
        format!("/api/v1/organisations/{}", org["id"].as_str().unwrap())
    );
    org
}

/// Who calls: every role an operation may be tried as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Anonymous,
    /// Registered, address not confirmed.
    Unverified,
    Member,
    /// The member who wrote the world's thread.
    Author,
    /// A member who did not.
    Other,
    Moderator,
    Admin,
    Silenced,
    Suspended,
}

impl Role {
    pub const ALL: [Role; 9] = [
        Role::Anonymous,
        Role::Unverified,
        Role::Member,
        Role::Author,
        Role::Other,
        Role::Moderator,
        Role::Admin,
        Role::Silenced,
        Role::Suspended,
    ];
}

/// An app with a member of each role, a category `general` and a thread by the author in it.
pub struct World {
    pub app: TestApp,
    pub admin: Value,
    pub moderator: Value,
    pub member: Value,
    pub author: Value,
    pub other: Value,
    pub unverified: Value,
    pub silenced: Value,
    pub suspended: Value,
    pub category: Value,
    pub thread: Value,
}

impl World {
    pub async fn new() -> Self {
        let app = TestApp::spawn();
        let admin = app.admin("w_admin").await;
        let moderator = app.member("w_moderator").await;
        let member = app.member("w_member").await;
        let author = app.member("w_author").await;
        let other = app.member("w_other").await;
        let silenced = app.member("w_silenced").await;
        let suspended = app.member("w_suspended").await;
        assert_eq!(app.register("w_unverified").await.status(), 201);
        let (_, unverified) = json(app.login("w_unverified", super::PASSWORD).await).await;
        {
            use diesel::prelude::*;
            let mut conn = app.conn();
            diesel::sql_query(
                "UPDATE users SET role = 'moderator' WHERE username = 'w_moderator'; ",
            )
            .execute(&mut conn)
            .unwrap();
            diesel::sql_query(
                "UPDATE users SET silenced_until = now() + interval '1 day' \
                 WHERE username = 'w_silenced'",
            )
            .execute(&mut conn)
            .unwrap();
        }
        let category = category(&app, &admin, "general", "everyone").await;
        let thread = thread(
            &app,
            &author,
            "general",
            "Le fil de référence",
            "Un premier message pour tout le monde.",
        )
        .await;
        {
            use diesel::prelude::*;
            // Suspended last: its session then stops working on the next request.
            diesel::sql_query(
                "UPDATE users SET suspended_until = now() + interval '1 day' \
                 WHERE username = 'w_suspended'",
            )
            .execute(&mut app.conn())
            .unwrap();
        }
        World {
            app,
            admin,
            moderator,
            member,
            author,
            other,
            unverified,
            silenced,
            suspended,
            category,
            thread,
        }
    }

    /// The tokens of `role` (`None` for anonymous).
    pub fn tokens(&self, role: Role) -> Option<&Value> {
        match role {
            Role::Anonymous => None,
            Role::Unverified => Some(&self.unverified),
            Role::Member => Some(&self.member),
            Role::Author => Some(&self.author),
            Role::Other => Some(&self.other),
            Role::Moderator => Some(&self.moderator),
            Role::Admin => Some(&self.admin),
            Role::Silenced => Some(&self.silenced),
            Role::Suspended => Some(&self.suspended),
        }
    }

    /// A request as `role`.
    pub fn request(&self, role: Role, method: Method, path: &str) -> reqwest::RequestBuilder {
        match self.tokens(role) {
            Some(t) => self.app.authed(method, path, t),
            None => self.app.client.request(method, self.app.url(path)),
        }
    }
}
