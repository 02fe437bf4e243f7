//! Users in the database, and the rules for creating them.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::domain::{DisplayName, Email, Username};
use super::password;
use crate::error::{AppError, AppResult};
use crate::input::Errors;
use crate::schema::{retired_usernames, users};

diesel::define_sql_function! {
    /// SQL `lower(text)`, matching the case-insensitive unique index on usernames.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Member,
    Moderator,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::Moderator => "moderator",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "member" => Some(Role::Member),
            "moderator" => Some(Role::Moderator),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: Uuid,
    pub username: String,
    pub email: Option<String>,
    pub display_name: String,
    pub bio: String,
    pub role: String,
    pub locale: String,
    pub email_verified_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// Input for a new account, not yet checked.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub email: String,
    pub display_name: Option<String>,
    pub password: String,
    pub role: Role,
    pub locale: String,
    pub verified: bool,
}

/// How an erased account's name is kept to refuse it later: the SHA-256 of the name in lower case.
pub fn retired_hash(username: &str) -> String {
    crate::http::sha256_hex(username.to_lowercase().as_bytes(), 32)
}

/// Checks `input` and creates the account (password hashed with argon2id). Blocking: run it off the
/// async executor.
pub fn create_user(conn: &mut PgConnection, input: NewUser) -> AppResult<User> {
    let mut errors = Errors::new();
    let username = errors.check("username", Username::parse(&input.username));
    let email = errors.check("email", Email::parse(&input.email));
    errors.ensure(
        "locale",
        matches!(input.locale.as_str(), "fr" | "en"),
        "Use `fr` or `en`.",
    );
    let email_str = email.as_ref().map(Email::as_str).unwrap_or_default();
    if let Some(m) = password::weakness(&input.password, &[&input.username, email_str]) {
        errors.push("password", m);
    }
    let display_name = errors.check_opt(
        "display_name",
        input.display_name.as_deref(),
        DisplayName::parse,
    );
    errors.finish()?;
    let (Some(username), Some(email)) = (username, email) else {
        unreachable!("checked above")
    };
    // The names of erased accounts stay theirs: old @mentions never point to a newcomer.
    let retired: i64 = retired_usernames::table
        .filter(retired_usernames::username_hash.eq(retired_hash(username.as_str())))
        .count()
        .get_result(conn)?;
    if retired > 0 {
        return Err(AppError::conflict(
            Some("username"),
            "This username is taken.",
        ));
    }
    let hash = password::hash(&input.password)?;
    let display_name = display_name.map_or_else(|| input.username.clone(), DisplayName::into_inner);
    let now = Utc::now();
    let user = diesel::insert_into(users::table)
        .values((
            users::id.eq(Uuid::now_v7()),
            users::username.eq(username.as_str()),
            users::email.eq(email.as_str()),
            users::display_name.eq(display_name),
            users::password_hash.eq(hash),
            users::role.eq(input.role.as_str()),
            users::locale.eq(&input.locale),
            users::email_verified_at.eq(input.verified.then_some(now)),
        ))
        .returning(User::as_returning())
        .get_result(conn)?;
    Ok(user)
}
