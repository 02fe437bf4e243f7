//! Users in the database, and the rules for creating them.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::password;
use crate::error::{AppError, AppResult, FieldError};
use crate::schema::users;

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

/// `^[A-Za-z0-9_-]{3,30}$`; uniqueness ignores case.
pub fn check_username(username: &str) -> Result<(), String> {
    let ok_chars = username
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !(3..=30).contains(&username.len()) || !ok_chars {
        return Err("3 to 30 characters: letters a-z, digits, `_` and `-`.".into());
    }
    Ok(())
}

/// Trims and lower-cases an email address, and checks its form.
pub fn normalise_email(email: &str) -> Result<String, String> {
    let e = email.trim().to_lowercase();
    if e.len() > 254 || e.parse::<lettre::Address>().is_err() {
        return Err("Not a valid email address.".into());
    }
    Ok(e)
}

/// Checks `input` and creates the account (password hashed with argon2id). Blocking: run it off the
/// async executor.
pub fn create_user(conn: &mut PgConnection, input: NewUser) -> AppResult<User> {
    let mut errors = Vec::new();
    if let Err(m) = check_username(&input.username) {
        errors.push(FieldError::new("username", m));
    }
    let email = match normalise_email(&input.email) {
        Ok(e) => e,
        Err(m) => {
            errors.push(FieldError::new("email", m));
            String::new()
        }
    };
    if !matches!(input.locale.as_str(), "fr" | "en") {
        errors.push(FieldError::new("locale", "Use `fr` or `en`."));
    }
    if let Some(m) = password::weakness(&input.password, &[&input.username, &email]) {
        errors.push(FieldError::new("password", m));
    }
    let display_name = match input
        .display_name
        .as_deref()
        .map(|d| crate::input::one_line(d, 1, 80))
    {
        Some(Ok(d)) => Some(d),
        Some(Err(m)) => {
            errors.push(FieldError::new("display_name", m));
            None
        }
        None => None,
    };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let hash = password::hash(&input.password)?;
    let display_name = display_name.unwrap_or_else(|| input.username.clone());
    let now = Utc::now();
    let user = diesel::insert_into(users::table)
        .values((
            users::id.eq(Uuid::now_v7()),
            users::username.eq(&input.username),
            users::email.eq(&email),
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
