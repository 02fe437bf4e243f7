//! Flags: members report posts, threads, members and challenges. One flag per member and target
//! (flagging again updates it); a member's flags per day are limited; flags from distinct members
//! reaching the threshold hide the target pending review (an automated decision). An `illegal`
//! flag is a DSA Art. 16 notice: its author gets a confirmation now and the outcome later.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Integer, Text, Timestamptz, Uuid as SqlUuid};
use serde_json::json;
use uuid::Uuid;

use super::content::{self, Target};
use super::decisions::{self, NewDecision, Restriction, Source};
use super::types::*;
use crate::accounts::auth::Actor;
use crate::config::Settings;
use crate::error::{AppError, AppResult};
use crate::input::free_text;
use crate::throttle;

#[derive(QueryableByName)]
struct Upserted {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Bool)]
    inserted: bool,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    updated_at: DateTime<Utc>,
}

#[derive(QueryableByName)]
struct Counted {
    #[diesel(sql_type = Integer)]
    flag_count: i32,
    #[diesel(sql_type = Bool)]
    auto_hidden: bool,
}

/// Flags a target; `true` when the flag is new (an update of the member's earlier flag: `false`).
pub fn flag(
    conn: &mut PgConnection,
    settings: &Settings,
    actor: &Actor,
    input: &CreateFlag,
) -> AppResult<(bool, Flag)> {
    actor.require_writer()?;
    let message = match &input.message {
        None => String::new(),
        Some(m) => free_text(m, 2000).map_err(|e| AppError::validation("message", e))?,
    };
    if matches!(input.reason, FlagReason::Illegal | FlagReason::Other) && message.trim().is_empty()
    {
        return Err(AppError::validation(
            "message",
            "Say what is wrong (required for illegal and other).",
        ));
    }
    let target = content::find(conn, input.target_type, input.target_id)?
        .ok_or_else(|| AppError::validation("target_id", "Nothing to flag with this id."))?;
    if target.owner == actor.id {
        return Err(AppError::validation(
            "target_id",
            "You cannot flag your own content or account.",
        ));
    }
    // What members cannot see, they cannot flag (and learn nothing of it through the mails).
    if (target.hidden || target.deleted) && !actor.is_staff() {
        return Err(AppError::validation(
            "target_id",
            "Nothing to flag with this id.",
        ));
    }
    if settings.rate_limits
        && let Err(retry_after_secs) = throttle::reserve(
            conn,
            &format!("flags:{}", actor.id),
            throttle::Limit {
                max_failures: settings.moderation.flags_per_day as i32,
                window_secs: 86_400,
            },
        )?
    {
        return Err(AppError::TooManyRequests { retry_after_secs });
    }
    // A flag a moderator already reviewed stands as decided: flagging again is a 409.
    let reviewed: bool = diesel::select(diesel::dsl::exists(
        crate::schema::flags::table
            .inner_join(
                crate::schema::moderation_items::table
                    .on(crate::schema::moderation_items::id.eq(crate::schema::flags::item_id)),
            )
            .filter(crate::schema::flags::flagger_id.eq(actor.id))
            .filter(crate::schema::flags::target_type.eq(input.target_type.as_str()))
            .filter(crate::schema::flags::target_id.eq(input.target_id))
            .filter(crate::schema::moderation_items::status.eq("resolved")),
    ))
    .get_result(conn)?;
    if reviewed {
        return Err(AppError::conflict(
            Some("target_id"),
            "A moderator already reviewed your flag of this; the decision stands (the person \
             concerned may appeal it).",
        ));
    }
    let item: Uuid = diesel::sql_query(
        "INSERT INTO moderation_items (id, kind, target_type, target_id) \
         VALUES (uuid_generate_v7(), 'flags', $1, $2) \
         ON CONFLICT (kind, target_type, target_id) WHERE status = 'pending' \
         DO UPDATE SET updated_at = now() RETURNING id, true AS inserted, created_at, updated_at",
    )
    .bind::<Text, _>(input.target_type.as_str())
    .bind::<SqlUuid, _>(input.target_id)
    .get_result::<Upserted>(conn)?
    .id;
    let f: Upserted = diesel::sql_query(
        "INSERT INTO flags (id, item_id, flagger_id, target_type, target_id, reason, message) \
         VALUES (uuid_generate_v7(), $1, $2, $3, $4, $5, $6) \
         ON CONFLICT (flagger_id, target_type, target_id) DO UPDATE SET \
           item_id = EXCLUDED.item_id, reason = EXCLUDED.reason, message = EXCLUDED.message, \
           updated_at = now() \
         RETURNING id, (xmax = 0) AS inserted, created_at, updated_at",
    )
    .bind::<SqlUuid, _>(item)
    .bind::<SqlUuid, _>(actor.id)
    .bind::<Text, _>(input.target_type.as_str())
    .bind::<SqlUuid, _>(input.target_id)
    .bind::<Text, _>(input.reason.as_str())
    .bind::<Text, _>(&message)
    .get_result(conn)?;
    let c: Counted = diesel::sql_query(
        "UPDATE moderation_items SET flag_count = \
           (SELECT count(DISTINCT flagger_id) FROM flags WHERE item_id = $1)::int \
         WHERE id = $1 RETURNING flag_count, auto_hidden",
    )
    .bind::<SqlUuid, _>(item)
    .get_result(conn)?;
    if c.flag_count as u32 >= settings.moderation.flag_hide_threshold
        && !c.auto_hidden
        && target.kind != TargetType::User
        && !target.hidden
        && !target.deleted
        && !kept_before(conn, &target)?
        && !owner_is_staff(conn, target.owner)?
    {
        auto_hide(conn, settings, item, &target, c.flag_count)?;
    }
    if input.reason == FlagReason::Illegal {
        decisions::mail_member(
            conn,
            settings,
            actor.id,
            "moderation_notice",
            json!({ "what": "received", "title": target.title, "reference": f.id }),
        )?;
    }
    Ok((
        f.inserted,
        Flag {
            id: f.id,
            target_type: input.target_type,
            target_id: input.target_id,
            reason: input.reason,
            message,
            item_id: item,
            created_at: f.created_at,
            updated_at: f.updated_at,
        },
    ))
}

/// The threshold was reached: hide the target pending review, as an automated decision.
fn auto_hide(
    conn: &mut PgConnection,
    settings: &Settings,
    item: Uuid,
    target: &Target,
    count: i32,
) -> AppResult<()> {
    content::set_hidden(conn, target, true)?;
    let illegal = any_illegal(conn, item)?;
    let basis = decisions::automated_basis(
        &format!(
            "{count} members flagged this content; it is hidden until a moderator reviews it. \
             / {count} membres ont signalé ce contenu ; il est masqué en attendant l'examen d'un modérateur."
        ),
        decisions::DEFAULT_TERMS_RULE,
    );
    let decision = decisions::decide(
        conn,
        settings,
        NewDecision {
            user: target.owner,
            actor: None,
            action: &format!("auto_hide_{}", target.kind.as_str()),
            target_type: target.kind.as_str(),
            target_id: target.id,
            target_title: target.title.clone(),
            restriction: Restriction::Disabled,
            basis: &basis,
            source: Source::Flags { illegal },
            automated_detection: false,
            content_date: Some(target.created_at),
            end_date: None,
        },
    )?;
    diesel::sql_query(
        "UPDATE moderation_items SET auto_hidden = true, decision_id = $2 WHERE id = $1",
    )
    .bind::<SqlUuid, _>(item)
    .bind::<SqlUuid, _>(decision)
    .execute(conn)?;
    Ok(())
}

/// Whether a moderator already kept this target on review: its flags then queue without hiding
/// it again (three new accounts cannot undo a moderator's decision).
fn kept_before(conn: &mut PgConnection, target: &Target) -> QueryResult<bool> {
    use crate::schema::moderation_items as items;
    diesel::select(diesel::dsl::exists(
        items::table
            .filter(items::kind.eq("flags"))
            .filter(items::target_type.eq(target.kind.as_str()))
            .filter(items::target_id.eq(target.id))
            .filter(items::resolution.eq_any(["approve", "dismiss"])),
    ))
    .get_result(conn)
}

/// Staff content is queued, never hidden by members' flags alone.
fn owner_is_staff(conn: &mut PgConnection, owner: Uuid) -> QueryResult<bool> {
    use crate::schema::users;
    let role: String = users::table.find(owner).select(users::role).first(conn)?;
    Ok(role != "member")
}

/// Whether any flag of `item` says the content is illegal.
pub fn any_illegal(conn: &mut PgConnection, item: Uuid) -> QueryResult<bool> {
    use crate::schema::flags;
    diesel::select(diesel::dsl::exists(
        flags::table
            .filter(flags::item_id.eq(item))
            .filter(flags::reason.eq("illegal")),
    ))
    .get_result(conn)
}

/// Tells the authors of `illegal` flags on `item` the outcome of their notice.
pub fn tell_notifiers(
    conn: &mut PgConnection,
    settings: &Settings,
    item: Uuid,
    target: &Target,
    outcome: &str,
    reason: &str,
) -> AppResult<()> {
    use crate::schema::flags;
    let notifiers: Vec<(Uuid, Uuid)> = flags::table
        .filter(flags::item_id.eq(item))
        .filter(flags::reason.eq("illegal"))
        .select((flags::flagger_id, flags::id))
        .load(conn)?;
    for (user, flag) in notifiers {
        crate::notifications::notify_personal(
            conn,
            user,
            "flag_outcome",
            None,
            target.kind.as_str(),
            target.id,
            &target.title,
            None,
        )?;
        decisions::mail_member(
            conn,
            settings,
            user,
            "moderation_notice",
            json!({ "what": "outcome", "outcome": outcome, "reason": reason,
                    "title": target.title, "reference": flag }),
        )?;
    }
    Ok(())
}

/// The pending flags item on `target`, if any, and whether one of its flags says the content is
/// illegal. A moderator acting on flagged content directly (not through the queue) settles it.
pub fn pending_on(conn: &mut PgConnection, target: &Target) -> QueryResult<Option<(Uuid, bool)>> {
    use crate::schema::moderation_items as items;
    let item: Option<Uuid> = items::table
        .filter(items::kind.eq("flags"))
        .filter(items::target_type.eq(target.kind.as_str()))
        .filter(items::target_id.eq(target.id))
        .filter(items::status.eq("pending"))
        .select(items::id)
        .first(conn)
        .optional()?;
    match item {
        Some(item) => Ok(Some((item, any_illegal(conn, item)?))),
        None => Ok(None),
    }
}

/// The decision's source when a moderator acts on `flagged` content: the notices, if any.
pub fn source(flagged: Option<(Uuid, bool)>) -> Source {
    flagged.map_or(Source::Voluntary, |(_, illegal)| Source::Flags { illegal })
}

/// Resolves the pending flags item `item` with a moderator's direct action (`hide` or `delete`)
/// and its decision, and tells the authors of `illegal` flags the outcome.
#[allow(clippy::too_many_arguments)]
pub fn settle(
    conn: &mut PgConnection,
    settings: &Settings,
    actor: &Actor,
    item: Uuid,
    target: &Target,
    resolution: Resolution,
    decision: Uuid,
    reason: &str,
) -> AppResult<()> {
    use crate::schema::moderation_items as items;
    diesel::update(items::table.find(item))
        .set((
            items::status.eq("resolved"),
            items::resolution.eq(resolution.as_str()),
            items::resolution_reason.eq(reason),
            items::resolved_by.eq(actor.id),
            items::resolved_at.eq(Utc::now()),
            items::decision_id.eq(decision),
            items::updated_at.eq(Utc::now()),
        ))
        .execute(conn)?;
    let outcome = if resolution == Resolution::Delete {
        "removed"
    } else {
        "hidden"
    };
    tell_notifiers(conn, settings, item, target, outcome, reason)
}
