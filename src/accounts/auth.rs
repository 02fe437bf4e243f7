//! The caller's identity: [`Actor::load`] runs first thing inside a handler's single database hop
//! and checks that the access token's session is still open and the account still active, so
//! logout, suspension and role changes take effect on the very next request. (Tokens themselves are
//! core: `crate::http::tokens`.)

use actix_web::HttpResponse;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use uuid::Uuid;

use super::Role;
use crate::error::{AppError, AppResult};
use crate::http::{AppState, Created, IdempotencyKey};
use crate::schema::{sessions, users};

pub use crate::http::tokens::{
    ACCESS_TTL_SECONDS, Bearer, Claims, JwtKeys, MaybeBearer, REFRESH_TTL_DAYS, hash_token,
    random_token,
};

/// The authenticated caller, as the database sees them now.
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: Uuid,
    pub username: String,
    pub role: Role,
    pub session_id: Uuid,
    pub verified: bool,
    pub silenced: bool,
    pub display_name: String,
    pub created_at: DateTime<Utc>,
}

impl Actor {
    /// Checks the session and the account in one query.
    pub fn load(conn: &mut PgConnection, claims: &Claims) -> AppResult<Actor> {
        type Row = (
            String,
            String,
            Option<DateTime<Utc>>,
            Option<DateTime<Utc>>,
            Option<DateTime<Utc>>,
            String,
            DateTime<Utc>,
        );
        let row: Option<Row> = sessions::table
            .inner_join(users::table)
            .filter(sessions::id.eq(claims.sid))
            .filter(sessions::user_id.eq(claims.sub))
            .filter(sessions::revoked_at.is_null())
            .filter(users::erased_at.is_null())
            .select((
                users::username,
                users::role,
                users::email_verified_at,
                users::suspended_until,
                users::silenced_until,
                users::display_name,
                users::created_at,
            ))
            .first(conn)
            .optional()?;
        let Some((
            username,
            role,
            verified_at,
            suspended_until,
            silenced_until,
            display_name,
            created_at,
        )) = row
        else {
            return Err(AppError::Unauthorized(
                "This session has ended; log in again.".into(),
            ));
        };
        let now = Utc::now();
        if let Some(until) = suspended_until.filter(|u| *u > now) {
            return Err(AppError::Forbidden(format!(
                "This account is suspended until {}.",
                until.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            )));
        }
        Ok(Actor {
            id: claims.sub,
            username,
            role: Role::parse(&role).unwrap_or(Role::Member),
            session_id: claims.sid,
            verified: verified_at.is_some(),
            silenced: silenced_until.is_some_and(|u| u > now),
            display_name,
            created_at,
        })
    }

    /// A member acting without a request of theirs (a held draft published on approval): their
    /// account as it is now, with no session.
    pub fn member(conn: &mut PgConnection, id: Uuid) -> AppResult<Actor> {
        type Row = (
            String,
            String,
            Option<DateTime<Utc>>,
            Option<DateTime<Utc>>,
            String,
            DateTime<Utc>,
        );
        let (username, role, verified_at, silenced_until, display_name, created_at): Row =
            users::table
                .find(id)
                .filter(users::erased_at.is_null())
                .select((
                    users::username,
                    users::role,
                    users::email_verified_at,
                    users::silenced_until,
                    users::display_name,
                    users::created_at,
                ))
                .first(conn)?;
        Ok(Actor {
            id,
            username,
            role: Role::parse(&role).unwrap_or(Role::Member),
            session_id: Uuid::nil(),
            verified: verified_at.is_some(),
            silenced: silenced_until.is_some_and(|u| u > Utc::now()),
            display_name,
            created_at,
        })
    }

    /// The reader of an endpoint open to anyone: `None` when no token was sent; a sent token must
    /// be valid and its session open.
    pub fn viewer(conn: &mut PgConnection, bearer: &MaybeBearer) -> AppResult<Option<Actor>> {
        bearer.0.as_ref().map(|c| Actor::load(conn, c)).transpose()
    }

    /// The member as anyone sees them.
    pub fn public(&self) -> crate::accounts::types::UserPublic {
        crate::accounts::types::UserPublic {
            id: self.id,
            username: self.username.clone(),
            display_name: self.display_name.clone(),
            role: self.role,
            created_at: self.created_at,
        }
    }

    /// Writing needs a verified address and no silence.
    pub fn require_writer(&self) -> AppResult<()> {
        if !self.verified {
            return Err(AppError::Forbidden(
                "Confirm your email address before writing (see the message we sent you).".into(),
            ));
        }
        if self.silenced {
            return Err(AppError::Forbidden(
                "This account is silenced: it can read but not write.".into(),
            ));
        }
        Ok(())
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    pub fn is_staff(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Moderator)
    }

    pub fn require_admin(&self) -> AppResult<()> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(AppError::Forbidden(
                "Only administrators may do this.".into(),
            ))
        }
    }
}

/// Runs `f` as the authenticated caller, in one database hop.
pub async fn as_member<T, F>(state: &AppState, bearer: Bearer, f: F) -> AppResult<T>
where
    F: FnOnce(&mut PgConnection, &Actor) -> AppResult<T> + Send + 'static,
    T: Send + 'static,
{
    crate::db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        f(conn, &actor)
    })
    .await
}

/// A create by an authenticated member, the way every feature's `POST` runs one: in one database
/// hop, the caller's session checked, then `create` with the parsed body, replayed for a retried
/// `Idempotency-Key`.
pub async fn create_as_member<B, T, F>(
    state: &AppState,
    bearer: Bearer,
    key: IdempotencyKey,
    body: B,
    create: F,
) -> AppResult<HttpResponse>
where
    B: Serialize + Send + 'static,
    T: Serialize,
    F: FnOnce(&mut PgConnection, &Actor, B) -> AppResult<Created<T>> + Send + 'static,
{
    let idem = key.with_body(&body);
    let stored = crate::db::run(&state.pool, move |conn| {
        let actor = Actor::load(conn, &bearer.0)?;
        idem.run(conn, Some(actor.id), |conn| create(conn, &actor, body))
    })
    .await?;
    Ok(stored.response())
}
