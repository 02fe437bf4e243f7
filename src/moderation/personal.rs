//! Moderation's part of a member's personal data: the flags they sent, their appeals, their held
//! drafts and the decisions about them (`GET /me/export`). Erasure removes their held drafts — text
//! never published, theirs alone — and settles the queue items that held them; the flags, appeals
//! and decisions stay, pointing at the anonymised account: they are the record of notices and
//! statements of reasons the host keeps (DSA Art. 16, 17, 20).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use super::types::{AppealStatus, FlagReason, TargetType};
use crate::error::AppResult;
use crate::schema::{appeals, decisions, flags, held_drafts, moderation_items};

/// Moderation's section of `GET /me/export`.
#[derive(Serialize, ToSchema)]
pub struct ModerationExport {
    /// The flags you sent.
    #[schema(inline)]
    pub flags: Vec<ExportedFlag>,
    /// Your appeals.
    #[schema(inline)]
    pub appeals: Vec<ExportedAppeal>,
    /// What you wrote that was held for review, whatever became of it.
    #[schema(inline)]
    pub held_drafts: Vec<ExportedDraft>,
    /// The decisions about you or your content (their statements of reasons).
    #[schema(inline)]
    pub decisions: Vec<ExportedDecision>,
}

#[derive(Serialize, ToSchema)]
pub struct ExportedFlag {
    pub id: Uuid,
    #[schema(value_type = TargetType)]
    pub target_type: String,
    pub target_id: Uuid,
    #[schema(value_type = FlagReason)]
    pub reason: String,
    pub message: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct ExportedAppeal {
    pub id: Uuid,
    pub decision_id: Uuid,
    pub message: String,
    #[schema(value_type = AppealStatus)]
    pub status: String,
    /// The moderator's reason, once resolved.
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
}

#[derive(Serialize, ToSchema)]
pub struct ExportedDraft {
    pub id: Uuid,
    #[schema(value_type = crate::discussions::gate::DraftKind)]
    pub kind: String,
    pub thread_id: Option<Uuid>,
    pub title: String,
    /// Markdown, as written.
    pub body: String,
    #[schema(value_type = crate::discussions::gate::HeldReason)]
    pub held_for: String,
    #[schema(value_type = crate::discussions::gate::HeldStatus)]
    pub status: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct ExportedDecision {
    pub id: Uuid,
    pub action: String,
    #[schema(value_type = super::types::RecordTarget)]
    pub target_type: String,
    pub target_id: Uuid,
    pub target_title: String,
    /// The facts, as the moderator wrote them.
    pub decision_facts: String,
    #[schema(value_type = super::types::DecisionGround)]
    pub decision_ground: String,
    pub automated_detection: bool,
    pub application_date: DateTime<Utc>,
    pub end_date: Option<DateTime<Utc>>,
    pub reversed_at: Option<DateTime<Utc>>,
}

pub fn export(conn: &mut PgConnection, user: Uuid) -> AppResult<Value> {
    let flags = flags::table
        .filter(flags::flagger_id.eq(user))
        .order(flags::created_at)
        .select((
            flags::id,
            flags::target_type,
            flags::target_id,
            flags::reason,
            flags::message,
            flags::created_at,
        ))
        .load::<(Uuid, String, Uuid, String, String, DateTime<Utc>)>(conn)?
        .into_iter()
        .map(|f| ExportedFlag {
            id: f.0,
            target_type: f.1,
            target_id: f.2,
            reason: f.3,
            message: f.4,
            created_at: f.5,
        })
        .collect();
    type AppealRow = (
        Uuid,
        Uuid,
        String,
        String,
        Option<String>,
        DateTime<Utc>,
        Option<DateTime<Utc>>,
    );
    let appeals = appeals::table
        .filter(appeals::user_id.eq(user))
        .order(appeals::created_at)
        .select((
            appeals::id,
            appeals::decision_id,
            appeals::message,
            appeals::status,
            appeals::reason,
            appeals::created_at,
            appeals::resolved_at,
        ))
        .load::<AppealRow>(conn)?
        .into_iter()
        .map(|a| ExportedAppeal {
            id: a.0,
            decision_id: a.1,
            message: a.2,
            status: a.3,
            reason: a.4,
            created_at: a.5,
            resolved_at: a.6,
        })
        .collect();
    type DraftRow = (
        Uuid,
        String,
        Option<Uuid>,
        String,
        String,
        String,
        String,
        DateTime<Utc>,
    );
    let held_drafts = held_drafts::table
        .filter(held_drafts::author_id.eq(user))
        .order(held_drafts::created_at)
        .select((
            held_drafts::id,
            held_drafts::kind,
            held_drafts::thread_id,
            held_drafts::title,
            held_drafts::body,
            held_drafts::held_for,
            held_drafts::status,
            held_drafts::created_at,
        ))
        .load::<DraftRow>(conn)?
        .into_iter()
        .map(|d| ExportedDraft {
            id: d.0,
            kind: d.1,
            thread_id: d.2,
            title: d.3,
            body: d.4,
            held_for: d.5,
            status: d.6,
            created_at: d.7,
        })
        .collect();
    type DecisionRow = (
        (Uuid, String, String, Uuid, String, String, String),
        (
            bool,
            DateTime<Utc>,
            Option<DateTime<Utc>>,
            Option<DateTime<Utc>>,
        ),
    );
    let decisions = decisions::table
        .filter(decisions::user_id.eq(user))
        .order(decisions::created_at)
        .select((
            (
                decisions::id,
                decisions::action,
                decisions::target_type,
                decisions::target_id,
                decisions::target_title,
                decisions::decision_facts,
                decisions::decision_ground,
            ),
            (
                decisions::automated_detection,
                decisions::application_date,
                decisions::end_date,
                decisions::reversed_at,
            ),
        ))
        .load::<DecisionRow>(conn)?
        .into_iter()
        .map(|(a, b)| ExportedDecision {
            id: a.0,
            action: a.1,
            target_type: a.2,
            target_id: a.3,
            target_title: a.4,
            decision_facts: a.5,
            decision_ground: a.6,
            automated_detection: b.0,
            application_date: b.1,
            end_date: b.2,
            reversed_at: b.3,
        })
        .collect();
    crate::feature::section(ModerationExport {
        flags,
        appeals,
        held_drafts,
        decisions,
    })
}

/// Removes the member's held drafts and settles the queue items still holding them.
pub fn erase(conn: &mut PgConnection, user: Uuid) -> AppResult<()> {
    let drafts: Vec<Uuid> =
        diesel::delete(held_drafts::table.filter(held_drafts::author_id.eq(user)))
            .returning(held_drafts::id)
            .get_results(conn)?;
    diesel::update(
        moderation_items::table
            .filter(moderation_items::kind.eq("held"))
            .filter(moderation_items::target_id.eq_any(&drafts))
            .filter(moderation_items::status.eq("pending")),
    )
    .set((
        moderation_items::status.eq("resolved"),
        moderation_items::resolution.eq("reject"),
        moderation_items::resolution_reason.eq("The author erased their account."),
        moderation_items::resolved_at.eq(Utc::now()),
        moderation_items::updated_at.eq(Utc::now()),
    ))
    .execute(conn)?;
    Ok(())
}
