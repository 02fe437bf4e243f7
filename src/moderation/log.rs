//! The moderation log: every moderator action and every automatic one, append-only (a trigger
//! refuses UPDATE, DELETE and TRUNCATE).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::types::{LogEntry, LogQuery, RECORD_TARGETS};
use crate::accounts::view::users_by_id;
use crate::error::AppResult;
use crate::pagination::{At, Page, PageQuery};
use crate::schema::moderation_log;

/// One log entry; `actor` `None` is the system (an automated action).
pub struct Entry<'a> {
    pub actor: Option<Uuid>,
    pub action: &'a str,
    pub target_type: &'a str,
    pub target_id: Uuid,
    pub reason: Option<&'a str>,
    pub details: serde_json::Value,
    pub decision: Option<Uuid>,
}

pub fn write(conn: &mut PgConnection, e: Entry) -> QueryResult<()> {
    diesel::insert_into(moderation_log::table)
        .values((
            moderation_log::id.eq(Uuid::now_v7()),
            moderation_log::actor_id.eq(e.actor),
            moderation_log::action.eq(e.action),
            moderation_log::target_type.eq(e.target_type),
            moderation_log::target_id.eq(e.target_id),
            moderation_log::reason.eq(e.reason),
            moderation_log::details.eq(e.details),
            moderation_log::decision_id.eq(e.decision),
        ))
        .execute(conn)?;
    Ok(())
}

type Row = (
    Uuid,
    Option<Uuid>,
    String,
    String,
    Uuid,
    Option<String>,
    serde_json::Value,
    Option<Uuid>,
    DateTime<Utc>,
);

/// The log, newest first, filtered.
pub fn list(conn: &mut PgConnection, q: &LogQuery) -> AppResult<Page<LogEntry>> {
    let paging = PageQuery {
        limit: q.limit,
        cursor: q.cursor.clone(),
    };
    let limit = paging.limit()?;
    let after: Option<(At, Uuid)> = paging.after()?;
    let mut query = moderation_log::table
        .select((
            moderation_log::id,
            moderation_log::actor_id,
            moderation_log::action,
            moderation_log::target_type,
            moderation_log::target_id,
            moderation_log::reason,
            moderation_log::details,
            moderation_log::decision_id,
            moderation_log::created_at,
        ))
        .order((moderation_log::created_at.desc(), moderation_log::id.desc()))
        .limit(limit + 1)
        .into_boxed();
    if let Some(a) = &q.action {
        query = query.filter(moderation_log::action.eq(a.clone()));
    }
    if let Some(t) = &q.target_type
        && !RECORD_TARGETS.contains(&t.as_str())
    {
        return Err(crate::error::AppError::validation(
            "target_type",
            format!("One of: {}.", RECORD_TARGETS.join(", ")),
        ));
    }
    if let Some(t) = &q.target_type {
        query = query.filter(moderation_log::target_type.eq(t.clone()));
    }
    if let Some(t) = q.target_id {
        query = query.filter(moderation_log::target_id.eq(t));
    }
    if let Some(a) = q.actor {
        query = query.filter(moderation_log::actor_id.eq(a));
    }
    if let Some((At(at), id)) = after {
        query = query.filter(
            moderation_log::created_at
                .lt(at)
                .or(moderation_log::created_at
                    .eq(at)
                    .and(moderation_log::id.lt(id))),
        );
    }
    let rows: Vec<Row> = query.load(conn)?;
    let actors = users_by_id(conn, rows.iter().filter_map(|r| r.1))?;
    Ok(Page::from_rows(
        rows,
        limit,
        |r| (At(r.8), r.0),
        |r| LogEntry {
            id: r.0,
            actor: r.1.and_then(|a| actors.get(&a).cloned()),
            action: r.2,
            target_type: r.3,
            target_id: r.4,
            reason: r.5,
            details: r.6,
            decision_id: r.7,
            created_at: r.8,
        },
    ))
}
