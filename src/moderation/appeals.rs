//! Appeals (EU DSA Art. 20): once per decision, by the person concerned (silenced members too),
//! into the review queue; resolved by a moderator other than the one who decided.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::types::*;
use crate::accounts::auth::Actor;
use crate::error::{AppError, AppResult};
use crate::input::free_text;
use crate::schema::{appeals, moderation_items};

type Row = (
    Uuid,
    Uuid,
    String,
    String,
    Option<String>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
);

fn appeal((id, decision_id, status, message, reason, created_at, resolved_at): Row) -> Appeal {
    Appeal {
        id,
        decision_id,
        status: AppealStatus::parse(&status).unwrap_or(AppealStatus::Pending),
        message,
        reason,
        created_at,
        resolved_at,
    }
}

const COLUMNS: (
    appeals::id,
    appeals::decision_id,
    appeals::status,
    appeals::message,
    appeals::reason,
    appeals::created_at,
    appeals::resolved_at,
) = (
    appeals::id,
    appeals::decision_id,
    appeals::status,
    appeals::message,
    appeals::reason,
    appeals::created_at,
    appeals::resolved_at,
);

/// The appeal of a decision, if any.
pub fn of_decision(conn: &mut PgConnection, decision: Uuid) -> AppResult<Option<Appeal>> {
    Ok(appeals::table
        .filter(appeals::decision_id.eq(decision))
        .select(COLUMNS)
        .first::<Row>(conn)
        .optional()?
        .map(appeal))
}

/// Appeals a decision: the person concerned, once; the appeal joins the review queue.
pub fn create(
    conn: &mut PgConnection,
    actor: &Actor,
    decision: Uuid,
    input: &CreateAppeal,
) -> AppResult<Appeal> {
    create_for(conn, actor.id, decision, input)
}

/// Appeals a decision with the single-use token of a suspension's email (no login: the account
/// is suspended). The token is spent only when the appeal is made.
pub fn create_with_token(
    conn: &mut PgConnection,
    decision: Uuid,
    input: &CreateAppeal,
) -> AppResult<Appeal> {
    let token = input.token.as_deref().unwrap_or_default();
    let user =
        crate::accounts::service::use_user_token(conn, token, super::decisions::APPEAL_TOKEN)?;
    create_for(conn, user, decision, input)
}

fn create_for(
    conn: &mut PgConnection,
    user: Uuid,
    decision: Uuid,
    input: &CreateAppeal,
) -> AppResult<Appeal> {
    let message = free_text(&input.message, 4000)
        .and_then(|m| {
            if m.trim().is_empty() {
                Err("Say why the decision should be reversed.".to_string())
            } else {
                Ok(m)
            }
        })
        .map_err(|m| AppError::validation("message", m))?;
    let d = super::decisions::appealable(conn, decision, user)?;
    let id = Uuid::now_v7();
    let row: Row = diesel::insert_into(appeals::table)
        .values((
            appeals::id.eq(id),
            appeals::decision_id.eq(decision),
            appeals::user_id.eq(user),
            appeals::message.eq(&message),
        ))
        .returning(COLUMNS)
        .get_result(conn)?;
    diesel::insert_into(moderation_items::table)
        .values((
            moderation_items::id.eq(Uuid::now_v7()),
            moderation_items::kind.eq("appeal"),
            moderation_items::target_type.eq("decision"),
            moderation_items::target_id.eq(decision),
        ))
        .execute(conn)?;
    super::log::write(
        conn,
        super::log::Entry {
            actor: Some(user),
            action: "appeal",
            target_type: &d.target_type,
            target_id: d.target_id,
            reason: Some(&message),
            details: serde_json::json!({ "appeal_id": id }),
            decision: Some(decision),
        },
    )?;
    Ok(appeal(row))
}

/// Records an appeal's outcome.
pub fn close(
    conn: &mut PgConnection,
    decision: Uuid,
    moderator: Uuid,
    outcome: AppealStatus,
    reason: &str,
) -> QueryResult<()> {
    diesel::update(appeals::table.filter(appeals::decision_id.eq(decision)))
        .set((
            appeals::status.eq(outcome.as_str()),
            appeals::resolved_by.eq(moderator),
            appeals::reason.eq(reason),
            appeals::resolved_at.eq(Utc::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// An appeal's message (for the queue).
pub fn message(conn: &mut PgConnection, decision: Uuid) -> QueryResult<Option<String>> {
    appeals::table
        .filter(appeals::decision_id.eq(decision))
        .select(appeals::message)
        .first(conn)
        .optional()
}
