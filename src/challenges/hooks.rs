//! The hook through which a higher layer (moderation) hears of the lifecycle moves that restrict a
//! proposer — a challenge `rejected` or `closed` — to give them a statement of reasons. Challenges
//! define it and call it in the move's transaction; `app` provides moderation's implementation.

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use uuid::Uuid;

use super::ChallengeStatus;
use crate::accounts::auth::Actor;
use crate::error::AppResult;

/// A move that restricts the challenge's proposer.
#[derive(Debug, Clone)]
pub struct Restricted {
    pub challenge: Uuid,
    pub proposer: Uuid,
    pub title: String,
    pub created_at: DateTime<Utc>,
    pub to: ChallengeStatus,
    /// The moderator's public note (required for these moves).
    pub note: String,
}

pub trait ChallengeHooks: Send + Sync {
    fn restricted(&self, conn: &mut PgConnection, actor: &Actor, r: &Restricted) -> AppResult<()>;
}

/// Hears nothing (an application without moderation).
pub struct Silent;

impl ChallengeHooks for Silent {
    fn restricted(&self, _: &mut PgConnection, _: &Actor, _: &Restricted) -> AppResult<()> {
        Ok(())
    }
}
