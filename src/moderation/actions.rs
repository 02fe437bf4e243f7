//! Moderators' actions on posts, threads and members. Each needs a reason and is logged; each
//! that restricts someone is a decision with its statement of reasons.

use chrono::{DateTime, TimeZone, Utc};
use diesel::prelude::*;
use serde_json::json;
use uuid::Uuid;

use super::content::{self, Target};
use super::decisions::{self, Basis, NewDecision, Restriction, Source};
use super::log::{self, Entry};
use super::types::*;
use crate::accounts::auth::Actor;
use crate::accounts::view::users_by_id;
use crate::config::Settings;
use crate::error::{AppError, AppResult};
use crate::schema::{sessions, threads, users};

/// "Until lifted": silences and suspensions without an end are stored with this end.
pub fn indefinite() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(9999, 12, 31, 0, 0, 0).unwrap()
}

/// Staff who are not silenced: a silenced moderator does not moderate.
pub(super) fn require_moderator(actor: &Actor) -> AppResult<()> {
    if !actor.is_staff() {
        return Err(AppError::Forbidden("Moderators only.".into()));
    }
    if actor.silenced {
        return Err(AppError::Forbidden(
            "A silenced moderator does not moderate until the silence ends.".into(),
        ));
    }
    Ok(())
}

/// A restricting decision taken by a moderator on `target`.
#[allow(clippy::too_many_arguments)]
pub fn decide_on(
    conn: &mut PgConnection,
    settings: &Settings,
    actor: &Actor,
    target: &Target,
    action: &str,
    restriction: Restriction,
    basis: &Basis,
    source: Source,
) -> AppResult<Uuid> {
    decisions::decide(
        conn,
        settings,
        NewDecision {
            user: target.owner,
            actor: Some(actor.id),
            action,
            target_type: target.kind.as_str(),
            target_id: target.id,
            target_title: target.title.clone(),
            restriction,
            basis,
            source,
            automated_detection: false,
            content_date: Some(target.created_at),
            end_date: None,
        },
    )
}

/// A moderator's direct hide or delete: its decision names the pending flags on `target` as its
/// source, if any, and settles them (their item resolved, `illegal` notifiers told the outcome).
fn decide_settling(
    conn: &mut PgConnection,
    settings: &Settings,
    actor: &Actor,
    target: &Target,
    action: &str,
    resolution: Resolution,
    basis: &Basis,
) -> AppResult<Uuid> {
    let flagged = super::flags::pending_on(conn, target)?;
    let restriction = if resolution == Resolution::Delete {
        Restriction::Removed
    } else {
        Restriction::Disabled
    };
    let decision = decide_on(
        conn,
        settings,
        actor,
        target,
        action,
        restriction,
        basis,
        super::flags::source(flagged),
    )?;
    if let Some((item, _)) = flagged {
        super::flags::settle(
            conn,
            settings,
            actor,
            item,
            target,
            resolution,
            decision,
            &basis.facts,
        )?;
    }
    Ok(decision)
}

fn logged(
    conn: &mut PgConnection,
    actor: &Actor,
    action: &str,
    target: &Target,
    reason: &str,
    details: serde_json::Value,
) -> AppResult<()> {
    log::write(
        conn,
        Entry {
            actor: Some(actor.id),
            action,
            target_type: target.kind.as_str(),
            target_id: target.id,
            reason: Some(reason),
            details,
            decision: None,
        },
    )?;
    Ok(())
}

fn already(what: &str) -> AppError {
    AppError::conflict(Some("action"), format!("It is already {what}."))
}

/// `POST /posts/{id}/moderation`: hide, unhide, delete, restore.
pub fn on_post(
    conn: &mut PgConnection,
    settings: &Settings,
    actor: &Actor,
    id: Uuid,
    input: &PostModeration,
) -> AppResult<ActionTaken> {
    require_moderator(actor)?;
    let basis = decisions::basis(&input.reason, input.grounds.as_ref())?;
    let target = content::get(conn, TargetType::Post, id)?;
    let decision = match input.action {
        PostAction::Hide => {
            if !content::set_hidden(conn, &target, true)? {
                return Err(already("hidden"));
            }
            Some(decide_settling(
                conn,
                settings,
                actor,
                &target,
                "hide_post",
                Resolution::Hide,
                &basis,
            )?)
        }
        PostAction::Delete => {
            if !content::set_deleted(conn, &target, true)? {
                return Err(already("deleted"));
            }
            Some(decide_settling(
                conn,
                settings,
                actor,
                &target,
                "delete_post",
                Resolution::Delete,
                &basis,
            )?)
        }
        PostAction::Unhide => {
            if !content::set_hidden(conn, &target, false)? {
                return Err(already("visible"));
            }
            logged(conn, actor, "unhide_post", &target, &basis.facts, json!({}))?;
            None
        }
        PostAction::Restore => {
            if !content::set_deleted(conn, &target, false)? {
                return Err(already("restored"));
            }
            logged(
                conn,
                actor,
                "restore_post",
                &target,
                &basis.facts,
                json!({}),
            )?;
            None
        }
    };
    Ok(ActionTaken {
        target_type: TargetType::Post,
        target_id: id,
        action: input.action.as_str().into(),
        decision_id: decision,
    })
}

/// `POST /threads/{id}/moderation`: lock, pin, archive, move, hide and their opposites.
pub fn on_thread(
    conn: &mut PgConnection,
    settings: &Settings,
    actor: &Actor,
    id: Uuid,
    input: &ThreadModeration,
) -> AppResult<ActionTaken> {
    require_moderator(actor)?;
    let basis = decisions::basis(&input.reason, input.grounds.as_ref())?;
    let target = content::get(conn, TargetType::Thread, id)?;
    if input.category.is_some() && input.action != ThreadAction::Move {
        return Err(AppError::validation(
            "category",
            "Only a move takes a category.",
        ));
    }
    let t = threads::table.find(id);
    let changed = match input.action {
        ThreadAction::Lock => diesel::update(t.filter(threads::locked.eq(false)))
            .set(threads::locked.eq(true))
            .execute(conn)?,
        ThreadAction::Unlock => diesel::update(t.filter(threads::locked.eq(true)))
            .set(threads::locked.eq(false))
            .execute(conn)?,
        ThreadAction::Pin => diesel::update(t.filter(threads::pinned.eq(false)))
            .set(threads::pinned.eq(true))
            .execute(conn)?,
        ThreadAction::Unpin => diesel::update(t.filter(threads::pinned.eq(true)))
            .set(threads::pinned.eq(false))
            .execute(conn)?,
        ThreadAction::Archive => diesel::update(t.filter(threads::archived_at.is_null()))
            .set(threads::archived_at.eq(Utc::now()))
            .execute(conn)?,
        ThreadAction::Unarchive => diesel::update(t.filter(threads::archived_at.is_not_null()))
            .set(threads::archived_at.eq(None::<DateTime<Utc>>))
            .execute(conn)?,
        ThreadAction::Hide => usize::from(content::set_hidden(conn, &target, true)?),
        ThreadAction::Unhide => usize::from(content::set_hidden(conn, &target, false)?),
        ThreadAction::Move => {
            let slug = input
                .category
                .clone()
                .ok_or_else(|| AppError::validation("category", "Name the category to move to."))?;
            let before: Uuid = t.select(threads::category_id).first(conn)?;
            let moved = crate::discussions::threads::update(
                conn,
                actor,
                id,
                crate::discussions::types::UpdateThread {
                    title: None,
                    category: Some(slug),
                    tags: None,
                    reason: Some(basis.facts.clone()),
                },
                &crate::discussions::gate::Open,
            )?;
            usize::from(moved.category.id != before)
        }
    };
    if changed == 0 {
        return Err(AppError::conflict(
            Some("action"),
            format!(
                "The thread is already in the state `{}` asks for.",
                input.action.as_str()
            ),
        ));
    }
    let action = format!("{}_thread", input.action.as_str());
    let decision = if input.action == ThreadAction::Hide {
        Some(decide_settling(
            conn,
            settings,
            actor,
            &target,
            &action,
            Resolution::Hide,
            &basis,
        )?)
    } else {
        // A move of another member's thread is logged by the update itself; of one's own, here.
        if input.action != ThreadAction::Move || target.owner == actor.id {
            logged(conn, actor, &action, &target, &basis.facts, json!({}))?;
        }
        None
    };
    Ok(ActionTaken {
        target_type: TargetType::Thread,
        target_id: id,
        action: input.action.as_str().into(),
        decision_id: decision,
    })
}

/// `PUT /threads/{id}/slow-mode`.
pub fn slow_mode(
    conn: &mut PgConnection,
    actor: &Actor,
    id: Uuid,
    input: &SlowMode,
) -> AppResult<ActionTaken> {
    require_moderator(actor)?;
    if !(0..=86_400).contains(&input.seconds) {
        return Err(AppError::validation("seconds", "From 0 (off) to 86400."));
    }
    let reason = match input.reason.as_deref() {
        Some(r) => decisions::basis(r, None)?.facts,
        None => format!("slow mode: {} s", input.seconds),
    };
    let target = content::get(conn, TargetType::Thread, id)?;
    diesel::update(threads::table.find(id))
        .set(threads::slow_mode_seconds.eq(input.seconds))
        .execute(conn)?;
    logged(
        conn,
        actor,
        "slow_mode",
        &target,
        &reason,
        json!({ "seconds": input.seconds }),
    )?;
    Ok(ActionTaken {
        target_type: TargetType::Thread,
        target_id: id,
        action: "slow_mode".into(),
        decision_id: None,
    })
}

/// `POST /users/{id}/moderation`: silence, suspend, and lift them.
pub fn on_user(
    conn: &mut PgConnection,
    settings: &Settings,
    actor: &Actor,
    id: Uuid,
    input: &UserModeration,
) -> AppResult<MemberRestrictions> {
    require_moderator(actor)?;
    let basis = decisions::basis(&input.reason, input.grounds.as_ref())?;
    let target = content::get(conn, TargetType::User, id)?;
    if id == actor.id {
        return Err(AppError::Forbidden(
            "Moderators do not sanction themselves.".into(),
        ));
    }
    let role: String = users::table.find(id).select(users::role).first(conn)?;
    if role != "member" && !actor.is_admin() {
        return Err(AppError::Forbidden(
            "Only an administrator sanctions a moderator or an administrator.".into(),
        ));
    }
    let now = Utc::now();
    let lifting = matches!(input.action, UserAction::Unsilence | UserAction::Unsuspend);
    if lifting && input.until.is_some() {
        return Err(AppError::validation("until", "Lifting takes no end date."));
    }
    if let Some(until) = input.until
        && until <= now
    {
        return Err(AppError::validation("until", "Must be in the future."));
    }
    let end = input.until.unwrap_or_else(indefinite);
    let (silenced, suspended): (Option<DateTime<Utc>>, Option<DateTime<Utc>>) = users::table
        .find(id)
        .select((users::silenced_until, users::suspended_until))
        .first(conn)?;
    let active = |u: Option<DateTime<Utc>>| u.is_some_and(|u| u > now);
    let u = users::table.find(id);
    let decision = match input.action {
        UserAction::Silence => {
            diesel::update(u)
                .set(users::silenced_until.eq(end))
                .execute(conn)?;
            Some((Restriction::PartialSuspension, "silence"))
        }
        UserAction::Suspend => {
            diesel::update(u)
                .set(users::suspended_until.eq(end))
                .execute(conn)?;
            // Sessions end at once: the next request with their token is a 401.
            diesel::update(
                sessions::table
                    .filter(sessions::user_id.eq(id))
                    .filter(sessions::revoked_at.is_null()),
            )
            .set(sessions::revoked_at.eq(now))
            .execute(conn)?;
            Some((Restriction::AccountSuspended, "suspend"))
        }
        UserAction::Unsilence => {
            if !active(silenced) {
                return Err(AppError::conflict(
                    Some("action"),
                    "This member is not silenced.",
                ));
            }
            diesel::update(u)
                .set(users::silenced_until.eq(None::<DateTime<Utc>>))
                .execute(conn)?;
            None
        }
        UserAction::Unsuspend => {
            if !active(suspended) {
                return Err(AppError::conflict(
                    Some("action"),
                    "This member is not suspended.",
                ));
            }
            diesel::update(u)
                .set(users::suspended_until.eq(None::<DateTime<Utc>>))
                .execute(conn)?;
            None
        }
    };
    let decision_id = match decision {
        Some((restriction, action)) => Some(decisions::decide(
            conn,
            settings,
            NewDecision {
                user: id,
                actor: Some(actor.id),
                action,
                target_type: "user",
                target_id: id,
                target_title: target.title.clone(),
                restriction,
                basis: &basis,
                source: Source::Voluntary,
                automated_detection: false,
                content_date: None,
                end_date: input.until,
            },
        )?),
        None => {
            logged(
                conn,
                actor,
                input.action.as_str(),
                &target,
                &basis.facts,
                json!({}),
            )?;
            None
        }
    };
    restrictions(conn, id, decision_id)
}

/// A member's restrictions now.
pub fn restrictions(
    conn: &mut PgConnection,
    id: Uuid,
    decision_id: Option<Uuid>,
) -> AppResult<MemberRestrictions> {
    let (silenced, suspended): (Option<DateTime<Utc>>, Option<DateTime<Utc>>) = users::table
        .find(id)
        .select((users::silenced_until, users::suspended_until))
        .first(conn)?;
    let now = Utc::now();
    let user = users_by_id(conn, [id])?
        .remove(&id)
        .ok_or(AppError::NotFound)?;
    let shown = |u: Option<DateTime<Utc>>| u.filter(|u| *u > now && *u < indefinite());
    Ok(MemberRestrictions {
        user,
        silenced: silenced.is_some_and(|u| u > now),
        silenced_until: shown(silenced),
        suspended: suspended.is_some_and(|u| u > now),
        suspended_until: shown(suspended),
        decision_id,
    })
}

/// Undoes what a decision restricted (an appeal granted by `moderator`).
pub fn undo(
    conn: &mut PgConnection,
    moderator: Uuid,
    d: &decisions::DecisionRow,
    note: &str,
) -> AppResult<()> {
    let kind = TargetType::parse(&d.target_type);
    match (d.action.as_str(), kind) {
        ("reject_challenge" | "close_challenge", _) => {
            let expected = if d.action == "reject_challenge" {
                crate::challenges::ChallengeStatus::Rejected
            } else {
                crate::challenges::ChallengeStatus::Closed
            };
            crate::challenges::service::revert_last_move(
                conn,
                moderator,
                d.target_id,
                expected,
                note,
            )?;
        }
        ("silence", _) => {
            diesel::update(users::table.find(d.target_id))
                .set(users::silenced_until.eq(None::<DateTime<Utc>>))
                .execute(conn)?;
        }
        ("suspend", _) => {
            diesel::update(users::table.find(d.target_id))
                .set(users::suspended_until.eq(None::<DateTime<Utc>>))
                .execute(conn)?;
        }
        ("delete_post", Some(k)) => {
            if let Some(t) = content::find(conn, k, d.target_id)? {
                content::set_deleted(conn, &t, false)?;
            }
        }
        (_, Some(k)) => {
            if let Some(t) = content::find(conn, k, d.target_id)? {
                content::set_hidden(conn, &t, false)?;
            }
        }
        (_, None) => {}
    }
    Ok(())
}
