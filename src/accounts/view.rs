//! A member's public columns and shape, for every feature that shows members (authors, actors,
//! maintainers): selected the same way in every query, built the same way.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::Role;
use super::types::UserPublic;
use crate::error::AppResult;
use crate::schema::users;

/// Public users by id (duplicates allowed), in one query.
pub fn users_by_id(
    conn: &mut PgConnection,
    ids: impl IntoIterator<Item = Uuid>,
) -> AppResult<HashMap<Uuid, UserPublic>> {
    let mut ids: Vec<Uuid> = ids.into_iter().collect();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<UserCols> = users::table
        .filter(users::id.eq_any(&ids))
        .select(USER_COLUMNS)
        .load(conn)?;
    Ok(rows.into_iter().map(|c| (c.0, user(c))).collect())
}

/// The public columns of a member, in the order [`user`] reads them.
pub type UserCols = (Uuid, String, String, String, DateTime<Utc>);

/// A member's public columns, to select (aliases and joins select them the same way).
pub const USER_COLUMNS: (
    users::id,
    users::username,
    users::display_name,
    users::role,
    users::created_at,
) = (
    users::id,
    users::username,
    users::display_name,
    users::role,
    users::created_at,
);

pub fn user((id, username, display_name, role, created_at): UserCols) -> UserPublic {
    UserPublic {
        id,
        username,
        display_name,
        role: Role::parse(&role).unwrap_or(Role::Member),
        created_at,
    }
}
