//! Moderation's side of the challenges' hook: a challenge rejected or closed by a moderator is a
//! decision restricting its proposer, with its statement of reasons (and so, an appeal).

use std::sync::Arc;

use diesel::PgConnection;

use super::decisions::{self, NewDecision, Restriction, Source};
use crate::accounts::auth::Actor;
use crate::challenges::ChallengeStatus;
use crate::challenges::hooks::{ChallengeHooks, Restricted};
use crate::config::Settings;
use crate::error::AppResult;

pub struct ChallengeDecisions {
    pub settings: Arc<Settings>,
}

impl ChallengeHooks for ChallengeDecisions {
    fn restricted(&self, conn: &mut PgConnection, actor: &Actor, r: &Restricted) -> AppResult<()> {
        let basis = decisions::basis(&r.note, None)?;
        decisions::decide(
            conn,
            &self.settings,
            NewDecision {
                user: r.proposer,
                actor: Some(actor.id),
                action: if r.to == ChallengeStatus::Rejected {
                    "reject_challenge"
                } else {
                    "close_challenge"
                },
                target_type: "challenge",
                target_id: r.challenge,
                target_title: r.title.clone(),
                restriction: Restriction::InteractionRestricted,
                basis: &basis,
                source: Source::Voluntary,
                automated_detection: false,
                content_date: Some(r.created_at),
                end_date: None,
            },
        )?;
        Ok(())
    }
}
