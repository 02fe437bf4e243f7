//! The challenges' part of a member's personal data. Erasure keeps what they made public — the
//! challenges they submitted, their supports and pledges, under the anonymous placeholder the
//! account becomes — and removes the rest: challenges never submitted (private drafts), and their
//! watch levels.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::AppResult;
use crate::schema::{
    challenge_subscriptions, challenge_supports, challenge_transitions, challenges, pledges,
};

pub fn export(conn: &mut PgConnection, user: Uuid) -> AppResult<Value> {
    type Proposed = (Uuid, String, String, String, String, String, DateTime<Utc>);
    let proposed: Vec<Proposed> = challenges::table
        .filter(challenges::proposer_id.eq(user))
        .order(challenges::created_at)
        .select((
            challenges::id,
            challenges::title,
            challenges::summary,
            challenges::problem,
            challenges::impact,
            challenges::status,
            challenges::created_at,
        ))
        .load(conn)?;
    type Move = (Uuid, Option<String>, String, Option<String>, DateTime<Utc>);
    let moves: Vec<Move> = challenge_transitions::table
        .filter(challenge_transitions::actor_id.eq(user))
        .order(challenge_transitions::created_at)
        .select((
            challenge_transitions::challenge_id,
            challenge_transitions::from_status,
            challenge_transitions::to_status,
            challenge_transitions::note,
            challenge_transitions::created_at,
        ))
        .load(conn)?;
    let supports: Vec<(Uuid, DateTime<Utc>)> = challenge_supports::table
        .filter(challenge_supports::user_id.eq(user))
        .order(challenge_supports::created_at)
        .select((
            challenge_supports::challenge_id,
            challenge_supports::created_at,
        ))
        .load(conn)?;
    type PledgeRow = (Uuid, Uuid, Uuid, String, String, String, DateTime<Utc>);
    let pledged: Vec<PledgeRow> = pledges::table
        .filter(pledges::author_id.eq(user))
        .order(pledges::created_at)
        .select((
            pledges::id,
            pledges::challenge_id,
            pledges::organisation_id,
            pledges::kind,
            pledges::message,
            pledges::status,
            pledges::created_at,
        ))
        .load(conn)?;
    let levels: Vec<(Uuid, String)> = challenge_subscriptions::table
        .filter(challenge_subscriptions::user_id.eq(user))
        .select((
            challenge_subscriptions::challenge_id,
            challenge_subscriptions::level,
        ))
        .load(conn)?;
    crate::feature::section(ChallengesExport {
        proposed: proposed
            .into_iter()
            .map(|c| ExportedChallenge {
                id: c.0,
                title: c.1,
                summary: c.2,
                problem: c.3,
                impact: c.4,
                status: c.5,
                created_at: c.6,
            })
            .collect(),
        moves: moves
            .into_iter()
            .map(|m| ExportedMove {
                challenge_id: m.0,
                from: m.1,
                to: m.2,
                note: m.3,
                at: m.4,
            })
            .collect(),
        supports: supports
            .into_iter()
            .map(|s| ExportedSupport {
                challenge_id: s.0,
                at: s.1,
            })
            .collect(),
        pledges: pledged
            .into_iter()
            .map(|p| ExportedPledge {
                id: p.0,
                challenge_id: p.1,
                organisation_id: p.2,
                kind: p.3,
                message: p.4,
                status: p.5,
                created_at: p.6,
            })
            .collect(),
        subscriptions: levels
            .into_iter()
            .map(|l| ChallengeLevel {
                challenge_id: l.0,
                level: l.1,
            })
            .collect(),
    })
}

/// The challenges' section of `GET /me/export`.
#[derive(Serialize, ToSchema)]
pub struct ChallengesExport {
    /// The challenges you proposed, drafts included.
    #[schema(inline)]
    pub proposed: Vec<ExportedChallenge>,
    /// The moves of a challenge's lifecycle you made.
    #[schema(inline)]
    pub moves: Vec<ExportedMove>,
    #[schema(inline)]
    pub supports: Vec<ExportedSupport>,
    /// The pledges you made for an organisation.
    #[schema(inline)]
    pub pledges: Vec<ExportedPledge>,
    /// Your watch levels on challenges.
    #[schema(inline)]
    pub subscriptions: Vec<ChallengeLevel>,
}

#[derive(Serialize, ToSchema)]
pub struct ExportedChallenge {
    pub id: Uuid,
    pub title: String,
    pub summary: String,
    /// Markdown, as written.
    pub problem: String,
    /// Markdown, as written.
    pub impact: String,
    #[schema(value_type = super::types::ChallengeStatus)]
    pub status: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct ExportedMove {
    pub challenge_id: Uuid,
    #[schema(value_type = Option<super::types::ChallengeStatus>)]
    pub from: Option<String>,
    #[schema(value_type = super::types::ChallengeStatus)]
    pub to: String,
    pub note: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct ExportedSupport {
    pub challenge_id: Uuid,
    pub at: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct ExportedPledge {
    pub id: Uuid,
    pub challenge_id: Uuid,
    pub organisation_id: Uuid,
    #[schema(value_type = super::types::PledgeKind)]
    pub kind: String,
    pub message: String,
    #[schema(value_type = super::types::PledgeStatus)]
    pub status: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct ChallengeLevel {
    pub challenge_id: Uuid,
    #[schema(value_type = crate::notifications::WatchLevel)]
    pub level: String,
}

pub fn erase(conn: &mut PgConnection, user: Uuid) -> AppResult<()> {
    diesel::delete(
        challenges::table
            .filter(challenges::proposer_id.eq(user))
            .filter(challenges::thread_id.is_null()),
    )
    .execute(conn)?;
    diesel::delete(
        challenge_subscriptions::table.filter(challenge_subscriptions::user_id.eq(user)),
    )
    .execute(conn)?;
    Ok(())
}
