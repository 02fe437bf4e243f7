//! The review queue: flags gathered per target, held drafts and appeals. Moderators list it, claim
//! an item (a claim lapses after an hour) and resolve it; resolved items keep their decision.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde_json::json;
use uuid::Uuid;

use super::actions::require_moderator;
use super::content;
use super::decisions::{self, Restriction, Source};
use super::types::*;
use super::{actions, appeals, flags, held};
use crate::accounts::auth::Actor;
use crate::accounts::view::users_by_id;
use crate::config::Settings;
use crate::error::{AppError, AppResult};
use crate::pagination::{At, Page, PageQuery};
use crate::schema::{flags as flag_rows, moderation_items as items};

/// How long a claim holds an item against other moderators.
pub const CLAIM_MINUTES: i64 = 60;

type Row = (
    (Uuid, String, String, Uuid, String, i32, bool),
    (
        Option<Uuid>,
        Option<DateTime<Utc>>,
        Option<String>,
        Option<String>,
        Option<Uuid>,
        Option<DateTime<Utc>>,
        Option<Uuid>,
        DateTime<Utc>,
    ),
);

#[allow(clippy::type_complexity)]
const COLUMNS: (
    (
        items::id,
        items::kind,
        items::target_type,
        items::target_id,
        items::status,
        items::flag_count,
        items::auto_hidden,
    ),
    (
        items::claimed_by,
        items::claimed_at,
        items::resolution,
        items::resolution_reason,
        items::resolved_by,
        items::resolved_at,
        items::decision_id,
        items::created_at,
    ),
) = (
    (
        items::id,
        items::kind,
        items::target_type,
        items::target_id,
        items::status,
        items::flag_count,
        items::auto_hidden,
    ),
    (
        items::claimed_by,
        items::claimed_at,
        items::resolution,
        items::resolution_reason,
        items::resolved_by,
        items::resolved_at,
        items::decision_id,
        items::created_at,
    ),
);

/// The queue, oldest first, filtered by kind and status (default `pending`).
pub fn list(conn: &mut PgConnection, actor: &Actor, q: &QueueQuery) -> AppResult<Page<QueueItem>> {
    require_moderator(actor)?;
    let paging = PageQuery {
        limit: q.limit,
        cursor: q.cursor.clone(),
    };
    let limit = paging.limit()?;
    let after: Option<(At, Uuid)> = paging.after()?;
    let mut query = items::table
        .filter(items::status.eq(q.status.unwrap_or(ItemStatus::Pending).as_str()))
        .order((items::created_at, items::id))
        .select(COLUMNS)
        .limit(limit + 1)
        .into_boxed();
    if let Some(k) = q.kind {
        query = query.filter(items::kind.eq(k.as_str()));
    }
    if let Some((At(at), id)) = after {
        query = query.filter(
            items::created_at
                .gt(at)
                .or(items::created_at.eq(at).and(items::id.gt(id))),
        );
    }
    let rows: Vec<Row> = query.load(conn)?;
    let page = Page::from_rows(rows, limit, |r| (At(r.1.7), r.0.0), |r| r);
    let mut out = Vec::with_capacity(page.items.len());
    for r in page.items {
        out.push(item(conn, r)?);
    }
    Ok(Page {
        items: out,
        next_cursor: page.next_cursor,
    })
}

/// One item (moderators).
pub fn read(conn: &mut PgConnection, actor: &Actor, id: Uuid) -> AppResult<QueueItem> {
    require_moderator(actor)?;
    let r: Row = items::table.find(id).select(COLUMNS).first(conn)?;
    item(conn, r)
}

fn item(conn: &mut PgConnection, (a, b): Row) -> AppResult<QueueItem> {
    let (id, kind, target_type, target_id, status, flag_count, auto_hidden) = a;
    let (
        claimed_by,
        claimed_at,
        resolution,
        resolution_reason,
        resolved_by,
        resolved_at,
        decision_id,
        created_at,
    ) = b;
    let kind = ItemKind::parse(&kind).unwrap_or(ItemKind::Flags);
    let (title, concerned, appeal_message) = match kind {
        ItemKind::Flags => {
            let t = TargetType::parse(&target_type)
                .map(|k| content::find(conn, k, target_id))
                .transpose()?
                .flatten();
            (
                t.as_ref().map(|t| t.title.clone()).unwrap_or_default(),
                t.map(|t| t.owner),
                None,
            )
        }
        ItemKind::Held => {
            let h = held::row(conn, target_id)?;
            let title = if h.title.is_empty() {
                content::excerpt(&h.body, 80)
            } else {
                h.title.clone()
            };
            (title, Some(h.author), None)
        }
        ItemKind::Appeal => {
            let d = decisions::row(conn, target_id)?;
            (
                d.target_title.clone(),
                Some(d.user),
                appeals::message(conn, target_id)?,
            )
        }
    };
    let flag_list: Vec<(Uuid, String, String, DateTime<Utc>)> = flag_rows::table
        .filter(flag_rows::item_id.eq(id))
        .order((flag_rows::created_at, flag_rows::id))
        .select((
            flag_rows::flagger_id,
            flag_rows::reason,
            flag_rows::message,
            flag_rows::created_at,
        ))
        .load(conn)?;
    let users = users_by_id(
        conn,
        flag_list
            .iter()
            .map(|f| f.0)
            .chain(concerned)
            .chain(claimed_by)
            .chain(resolved_by),
    )?;
    Ok(QueueItem {
        id,
        kind,
        status: ItemStatus::parse(&status).unwrap_or(ItemStatus::Pending),
        target_type,
        target_id,
        target_title: title,
        concerned: concerned.and_then(|u| users.get(&u).cloned()),
        flag_count,
        auto_hidden,
        flags: flag_list
            .into_iter()
            .filter_map(|(u, reason, message, at)| {
                Some(QueueFlag {
                    flagger: users.get(&u)?.clone(),
                    reason: FlagReason::parse(&reason)?,
                    message,
                    created_at: at,
                })
            })
            .collect(),
        appeal_message,
        claimed_by: claimed_by.and_then(|u| users.get(&u).cloned()),
        claimed_at,
        resolution: resolution.as_deref().and_then(Resolution::parse),
        resolution_reason,
        resolved_by: resolved_by.and_then(|u| users.get(&u).cloned()),
        resolved_at,
        decision_id,
        created_at,
    })
}

/// A pending item, locked; 409 when resolved or claimed by another moderator (claims lapse).
fn pending(conn: &mut PgConnection, actor: &Actor, id: Uuid) -> AppResult<Row> {
    let r: Row = items::table
        .find(id)
        .select(COLUMNS)
        .for_update()
        .first(conn)?;
    if r.0.4 != "pending" {
        return Err(AppError::conflict(None, "This item is already resolved."));
    }
    if let (Some(holder), Some(at)) = (r.1.0, r.1.1)
        && holder != actor.id
        && at + chrono::Duration::minutes(CLAIM_MINUTES) > Utc::now()
    {
        return Err(AppError::conflict(
            None,
            "Another moderator holds this item (claims lapse after an hour).",
        ));
    }
    Ok(r)
}

pub fn claim(conn: &mut PgConnection, actor: &Actor, id: Uuid) -> AppResult<QueueItem> {
    require_moderator(actor)?;
    let (a, _) = pending(conn, actor, id)?;
    super::log::write(
        conn,
        super::log::Entry {
            actor: Some(actor.id),
            action: "claim",
            target_type: &a.2,
            target_id: a.3,
            reason: None,
            details: json!({ "item_id": id }),
            decision: None,
        },
    )?;
    diesel::update(items::table.find(id))
        .set((
            items::claimed_by.eq(actor.id),
            items::claimed_at.eq(Utc::now()),
            items::updated_at.eq(Utc::now()),
        ))
        .execute(conn)?;
    read(conn, actor, id)
}

/// Resolves an item; what the resolution does depends on the item's kind (see [`Resolution`]).
pub fn resolve(
    conn: &mut PgConnection,
    settings: &Settings,
    actor: &Actor,
    id: Uuid,
    input: &Resolve,
) -> AppResult<QueueItem> {
    require_moderator(actor)?;
    let basis = decisions::basis(&input.reason, input.grounds.as_ref())?;
    let (a, b) = pending(conn, actor, id)?;
    let kind = ItemKind::parse(&a.1).unwrap_or(ItemKind::Flags);
    let target_id = a.3;
    let auto_decision = b.6;
    let decision = match kind {
        ItemKind::Flags => {
            let tkind = TargetType::parse(&a.2).ok_or(AppError::NotFound)?;
            let target = content::get(conn, tkind, target_id)?;
            if target.owner == actor.id {
                return Err(AppError::Forbidden(
                    "Flags on your own content or account are for another moderator.".into(),
                ));
            }
            let illegal = flags::any_illegal(conn, id)?;
            let source = Source::Flags { illegal };
            let outcome;
            let decision = match input.action {
                Resolution::Approve | Resolution::Dismiss => {
                    outcome = "kept";
                    let unhidden = a.6 && content::set_hidden(conn, &target, false)?;
                    if unhidden && let Some(d) = auto_decision {
                        // The threshold's hiding is undone: its decision is reversed.
                        decisions::mark_reversed(conn, d)?;
                    }
                    super::log::write(
                        conn,
                        super::log::Entry {
                            actor: Some(actor.id),
                            action: "keep_flagged",
                            target_type: tkind.as_str(),
                            target_id,
                            reason: Some(&basis.facts),
                            details: json!({ "item_id": id, "unhidden": unhidden }),
                            decision: auto_decision,
                        },
                    )?;
                    None
                }
                Resolution::Hide => {
                    outcome = "hidden";
                    content::set_hidden(conn, &target, true)?;
                    Some(actions::decide_on(
                        conn,
                        settings,
                        actor,
                        &target,
                        &format!("hide_{}", tkind.as_str()),
                        Restriction::Disabled,
                        &basis,
                        source,
                    )?)
                }
                Resolution::Delete | Resolution::Reject => {
                    outcome = "removed";
                    content::set_deleted(conn, &target, true)?;
                    Some(actions::decide_on(
                        conn,
                        settings,
                        actor,
                        &target,
                        &format!("delete_{}", tkind.as_str()),
                        Restriction::Removed,
                        &basis,
                        source,
                    )?)
                }
            };
            flags::tell_notifiers(conn, settings, id, &target, outcome, &basis.facts)?;
            decision.or(auto_decision)
        }
        ItemKind::Held => match input.action {
            Resolution::Approve => {
                let published = held::publish(conn, target_id)?;
                // The hold is over: its decision can no longer be appealed.
                if let Some(d) = auto_decision {
                    decisions::mark_reversed(conn, d)?;
                }
                let h = held::row(conn, target_id)?;
                crate::notifications::notify_personal(
                    conn,
                    h.author,
                    "held_approved",
                    Some(actor.id),
                    if h.thread_id.is_some() {
                        "post"
                    } else {
                        "thread"
                    },
                    published,
                    &h.title,
                    auto_decision,
                )?;
                super::log::write(
                    conn,
                    super::log::Entry {
                        actor: Some(actor.id),
                        action: "approve_held",
                        target_type: "held",
                        target_id,
                        reason: Some(&basis.facts),
                        details: json!({ "published_id": published }),
                        decision: None,
                    },
                )?;
                None
            }
            Resolution::Reject => {
                let h = held::refuse(conn, target_id)?;
                Some(decisions::decide(
                    conn,
                    settings,
                    decisions::NewDecision {
                        user: h.author,
                        actor: Some(actor.id),
                        action: "reject_held",
                        target_type: "held",
                        target_id,
                        target_title: if h.title.is_empty() {
                            content::excerpt(&h.body, 80)
                        } else {
                            h.title.clone()
                        },
                        restriction: Restriction::Removed,
                        basis: &basis,
                        source: Source::Voluntary,
                        automated_detection: true,
                        content_date: Some(h.created_at),
                        end_date: None,
                    },
                )?)
            }
            _ => {
                return Err(AppError::validation(
                    "action",
                    "A held draft is approved or rejected.",
                ));
            }
        },
        ItemKind::Appeal => {
            let d = decisions::row(conn, target_id)?;
            if d.actor == Some(actor.id) || d.user == actor.id {
                return Err(AppError::Forbidden(
                    "An appeal is decided by a moderator other than the one who decided, and not \
                     by the member concerned."
                        .into(),
                ));
            }
            let outcome = match input.action {
                Resolution::Approve => AppealStatus::Reversed,
                Resolution::Reject | Resolution::Dismiss => AppealStatus::Upheld,
                _ => {
                    return Err(AppError::validation(
                        "action",
                        "An appeal is approved (the decision is reversed) or rejected (upheld).",
                    ));
                }
            };
            if outcome == AppealStatus::Reversed {
                match d.action.as_str() {
                    "hold_post" | "hold_thread" | "reject_held" => {
                        reopen_and_publish(conn, d.target_id)?;
                    }
                    _ => actions::undo(conn, actor.id, &d, &basis.facts)?,
                }
                decisions::mark_reversed(conn, d.id)?;
            }
            appeals::close(conn, d.id, actor.id, outcome, &basis.facts)?;
            super::log::write(
                conn,
                super::log::Entry {
                    actor: Some(actor.id),
                    action: if outcome == AppealStatus::Reversed {
                        "appeal_reversed"
                    } else {
                        "appeal_upheld"
                    },
                    target_type: &d.target_type,
                    target_id: d.target_id,
                    reason: Some(&basis.facts),
                    details: json!({}),
                    decision: Some(d.id),
                },
            )?;
            crate::notifications::notify_personal(
                conn,
                d.user,
                "appeal_outcome",
                Some(actor.id),
                &d.target_type,
                d.target_id,
                &d.target_title,
                Some(d.id),
            )?;
            decisions::mail_member(
                conn,
                settings,
                d.user,
                "moderation_notice",
                json!({
                    "what": "appeal",
                    "outcome": outcome.as_str(),
                    "reason": basis.facts,
                    "title": d.target_title,
                    "reference": d.id,
                }),
            )?;
            Some(d.id)
        }
    };
    diesel::update(items::table.find(id))
        .set((
            items::status.eq("resolved"),
            items::resolution.eq(input.action.as_str()),
            items::resolution_reason.eq(&basis.facts),
            items::resolved_by.eq(actor.id),
            items::resolved_at.eq(Utc::now()),
            items::decision_id.eq(decision),
            items::updated_at.eq(Utc::now()),
        ))
        .execute(conn)?;
    read(conn, actor, id)
}

/// An appeal against holding (or refusing) a draft, granted: the draft is published, and its
/// pending held item, if any, resolved with it.
fn reopen_and_publish(conn: &mut PgConnection, draft: Uuid) -> AppResult<()> {
    if held::row_locked(conn, draft)?.status == "approved" {
        return Ok(());
    }
    diesel::update(crate::schema::held_drafts::table.find(draft))
        .set(crate::schema::held_drafts::status.eq("held"))
        .execute(conn)?;
    held::publish(conn, draft)?;
    diesel::update(
        items::table
            .filter(items::kind.eq("held"))
            .filter(items::target_id.eq(draft))
            .filter(items::status.eq("pending")),
    )
    .set((
        items::status.eq("resolved"),
        items::resolution.eq("approve"),
        items::resolved_at.eq(Utc::now()),
    ))
    .execute(conn)?;
    Ok(())
}
