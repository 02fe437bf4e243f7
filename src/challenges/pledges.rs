//! Pledges: what an organisation offers a challenge, in its name, and their own small lifecycle:
//!
//! ```text
//! offered → accepted | declined   (the challenge's author or a moderator)
//! offered → withdrawn             (the organisation's members)
//! accepted → delivered | withdrawn (the organisation's members)
//! ```
//! Every move is recorded and notifies both sides.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

use super::service::{self, ChallengeRow};
use super::types::*;
use crate::accounts::auth::Actor;
use crate::accounts::view::{USER_COLUMNS, UserCols, user};
use crate::db::{self, fixed::fixed};
use crate::error::{AppError, AppResult};
use crate::organisations::OrganisationKind;
use crate::pagination::{At, Page, PageQuery};
use crate::schema::{challenges, organisations, pledge_events, pledges, users};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    /// The challenge's author, or a moderator.
    Challenge,
    /// A member of the pledging organisation.
    Organisation,
}

const MOVES: &[(PledgeStatus, PledgeStatus, Side)] = &[
    (
        PledgeStatus::Offered,
        PledgeStatus::Accepted,
        Side::Challenge,
    ),
    (
        PledgeStatus::Offered,
        PledgeStatus::Declined,
        Side::Challenge,
    ),
    (
        PledgeStatus::Offered,
        PledgeStatus::Withdrawn,
        Side::Organisation,
    ),
    (
        PledgeStatus::Accepted,
        PledgeStatus::Delivered,
        Side::Organisation,
    ),
    (
        PledgeStatus::Accepted,
        PledgeStatus::Withdrawn,
        Side::Organisation,
    ),
];

/// Pledges that count: offered, accepted or delivered.
fn counts(s: PledgeStatus) -> bool {
    matches!(
        s,
        PledgeStatus::Offered | PledgeStatus::Accepted | PledgeStatus::Delivered
    )
}

type PledgeJoined = (
    (
        Uuid,
        Uuid,
        String,
        String,
        String,
        String,
        DateTime<Utc>,
        DateTime<Utc>,
    ),
    String,
    (Uuid, String, String),
    UserCols,
);

fn pledge(
    (
        (id, challenge_id, kind, message, message_html, status, created_at, updated_at),
        title,
        (oid, oname, okind),
        author,
    ): PledgeJoined,
) -> Pledge {
    Pledge {
        id,
        challenge_id,
        challenge_title: title,
        organisation: OrganisationRef {
            id: oid,
            name: oname,
            kind: OrganisationKind::parse(&okind),
        },
        author: user(author),
        kind: PledgeKind::parse(&kind),
        message,
        message_html,
        status: PledgeStatus::parse(&status),
        created_at,
        updated_at,
    }
}

/// Which pledges to load.
enum Of {
    One(Uuid),
    Challenge(Uuid),
    Organisation(Uuid),
}

fn load(
    conn: &mut PgConnection,
    of: Of,
    after: Option<(At, Uuid)>,
    limit: i64,
) -> AppResult<Vec<Pledge>> {
    let mut q = pledges::table
        .inner_join(challenges::table)
        .inner_join(organisations::table.on(organisations::id.eq(pledges::organisation_id)))
        .inner_join(users::table.on(users::id.eq(pledges::author_id)))
        .select((
            (
                pledges::id,
                pledges::challenge_id,
                pledges::kind,
                pledges::message,
                pledges::message_html,
                pledges::status,
                pledges::created_at,
                pledges::updated_at,
            ),
            challenges::title,
            (organisations::id, organisations::name, organisations::kind),
            USER_COLUMNS,
        ))
        .into_boxed();
    q = match of {
        Of::One(id) => {
            return Ok(q
                .filter(pledges::id.eq(id))
                .load(conn)?
                .into_iter()
                .map(pledge)
                .collect());
        }
        // A challenge's pledges, oldest first (few); an organisation's, newest first.
        Of::Challenge(c) => q
            .filter(pledges::challenge_id.eq(c))
            .order((pledges::created_at, pledges::id)),
        Of::Organisation(o) => {
            // A public list: pledges to challenges hidden by moderation are left out.
            let mut q = q
                .filter(pledges::organisation_id.eq(o))
                .filter(challenges::hidden_at.is_null())
                .order((pledges::created_at.desc(), pledges::id.desc()));
            if let Some((at, id)) = after {
                q = q.filter(
                    fixed::<Bool>("(pledges.created_at, pledges.id) < (")
                        .bind::<Timestamptz, _>(at.0)
                        .sql(", ")
                        .bind::<SqlUuid, _>(id)
                        .sql(")"),
                );
            }
            q
        }
    };
    if let (Of::Challenge(_), Some((at, id))) = (&of, after) {
        q = q.filter(
            fixed::<Bool>("(pledges.created_at, pledges.id) > (")
                .bind::<Timestamptz, _>(at.0)
                .sql(", ")
                .bind::<SqlUuid, _>(id)
                .sql(")"),
        );
    }
    Ok(q.limit(limit).load(conn)?.into_iter().map(pledge).collect())
}

/// A challenge's pledges, oldest first.
pub fn of_challenge(
    conn: &mut PgConnection,
    challenge: Uuid,
    paging: &PageQuery,
    viewer: Option<&Actor>,
) -> AppResult<Page<Pledge>> {
    service::row(conn, challenge, viewer, false)?;
    let limit = paging.limit()?;
    let items = load(conn, Of::Challenge(challenge), paging.after()?, limit + 1)?;
    Ok(Page::from_rows(
        items,
        limit,
        |p| (At(p.created_at), p.id),
        |p| p,
    ))
}

/// An organisation's pledges, newest first.
pub fn of_organisation(
    conn: &mut PgConnection,
    organisation: Uuid,
    paging: &PageQuery,
) -> AppResult<Page<Pledge>> {
    crate::organisations::service::exists(conn, organisation)?;
    let limit = paging.limit()?;
    let items = load(
        conn,
        Of::Organisation(organisation),
        paging.after()?,
        limit + 1,
    )?;
    Ok(Page::from_rows(
        items,
        limit,
        |p| (At(p.created_at), p.id),
        |p| p,
    ))
}

/// One pledge, if `viewer` may see its challenge (the one visibility rule of challenges: a
/// challenge hidden by moderation hides its pledges).
pub fn read(conn: &mut PgConnection, id: Uuid, viewer: Option<&Actor>) -> AppResult<Pledge> {
    let p = load(conn, Of::One(id), None, 1)?
        .pop()
        .ok_or(AppError::NotFound)?;
    service::row(conn, p.challenge_id, viewer, false)?;
    Ok(p)
}

fn event(
    conn: &mut PgConnection,
    pledge: Uuid,
    actor: Uuid,
    from: Option<PledgeStatus>,
    to: PledgeStatus,
    note: Option<&str>,
) -> QueryResult<()> {
    diesel::insert_into(pledge_events::table)
        .values((
            pledge_events::id.eq(Uuid::now_v7()),
            pledge_events::pledge_id.eq(pledge),
            pledge_events::actor_id.eq(actor),
            pledge_events::from_status.eq(from.map(PledgeStatus::as_str)),
            pledge_events::to_status.eq(to.as_str()),
            pledge_events::note.eq(note.map(str::trim)),
        ))
        .execute(conn)?;
    Ok(())
}

fn bump_count(conn: &mut PgConnection, challenge: Uuid, delta: i32) -> QueryResult<()> {
    diesel::update(challenges::table.find(challenge))
        .set((
            challenges::pledges_count.eq(challenges::pledges_count + delta),
            challenges::last_activity_at.eq(Utc::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// An organisation offers a challenge something, through one of its members.
pub fn create(
    conn: &mut PgConnection,
    actor: &Actor,
    challenge: Uuid,
    input: &CreatePledge,
) -> AppResult<Pledge> {
    actor.require_writer()?;
    let message = crate::input::free_text(&input.message, 5000)
        .ok()
        .filter(|m| !m.is_empty())
        .ok_or_else(|| AppError::validation("message", "1 to 5000 characters."))?;
    let message = message.as_str();
    let org_exists = organisations::table
        .find(input.organisation_id)
        .select(organisations::id)
        .first::<Uuid>(conn)
        .optional()?
        .is_some();
    if !org_exists {
        return Err(AppError::validation(
            "organisation_id",
            "No organisation has this id.",
        ));
    }
    if !crate::organisations::service::is_member(conn, input.organisation_id, actor.id)? {
        return Err(AppError::Forbidden(
            "Only the organisation's members pledge in its name.".into(),
        ));
    }
    db::atomic(conn, |conn| {
        let c: ChallengeRow = service::row(conn, challenge, Some(actor), true)?;
        if !c.status().takes_pledges() {
            return Err(AppError::conflict(
                None,
                format!(
                    "A challenge that is {} takes no pledges (only while open or in progress).",
                    c.status
                ),
            ));
        }
        let id = Uuid::now_v7();
        diesel::insert_into(pledges::table)
            .values((
                pledges::id.eq(id),
                pledges::challenge_id.eq(challenge),
                pledges::organisation_id.eq(input.organisation_id),
                pledges::author_id.eq(actor.id),
                pledges::kind.eq(input.kind.as_str()),
                pledges::message.eq(message),
                pledges::message_html.eq(crate::markdown::render(message)),
            ))
            .execute(conn)?;
        event(conn, id, actor.id, None, PledgeStatus::Offered, None)?;
        bump_count(conn, challenge, 1)?;
        service::refresh_organisations(conn, challenge)?;
        super::notify::pledge(conn, actor.id, &c, input.organisation_id)?;
        read(conn, id, Some(actor))
    })
}

/// Moves a pledge (see the module's table): 409 naming the allowed moves, 403 when the move is the
/// other side's.
pub fn update(
    conn: &mut PgConnection,
    actor: &Actor,
    id: Uuid,
    input: &UpdatePledge,
) -> AppResult<Pledge> {
    actor.require_writer()?;
    let note = super::service::parse_note(input.note.as_deref())?;
    db::atomic(conn, |conn| {
        let (challenge, organisation, status): (Uuid, Uuid, String) = pledges::table
            .find(id)
            .select((
                pledges::challenge_id,
                pledges::organisation_id,
                pledges::status,
            ))
            .for_update()
            .first(conn)?;
        let from = PledgeStatus::parse(&status);
        let c = service::row(conn, challenge, Some(actor), false)?;
        let org_side = crate::organisations::service::is_member(conn, organisation, actor.id)?;
        // No one accepts their own organisation's offer: a proposer who belongs to it leaves that
        // to a moderator.
        let challenge_side = (c.proposer_id == actor.id && !org_side) || actor.is_staff();
        let mine = |side: Side| match side {
            Side::Challenge => challenge_side,
            Side::Organisation => org_side,
        };
        let asked = PledgeStatus::from(input.status);
        let Some(&(_, to, side)) = MOVES.iter().find(|(f, t, _)| *f == from && *t == asked) else {
            let open: Vec<&str> = MOVES
                .iter()
                .filter(|(f, _, side)| *f == from && mine(*side))
                .map(|(_, t, _)| t.as_str())
                .collect();
            return Err(AppError::conflict(
                Some("status"),
                if open.is_empty() {
                    format!(
                        "A pledge that is {} cannot become {}; no move is open to you.",
                        from.as_str(),
                        asked.as_str()
                    )
                } else {
                    format!(
                        "A pledge that is {} cannot become {}; allowed: {}.",
                        from.as_str(),
                        asked.as_str(),
                        open.join(", ")
                    )
                },
            ));
        };
        // Offers are answered while the challenge runs; what was accepted can be delivered once it
        // is solved too, and withdrawn at any time.
        let open_now = match to {
            PledgeStatus::Accepted | PledgeStatus::Declined => c.status().takes_pledges(),
            PledgeStatus::Delivered => {
                c.status().takes_pledges() || c.status() == super::ChallengeStatus::Solved
            }
            _ => true,
        };
        if !open_now {
            return Err(AppError::conflict(
                Some("status"),
                format!(
                    "The challenge is {}: its pledges can only be withdrawn now.",
                    c.status
                ),
            ));
        }
        if !mine(side) {
            return Err(AppError::Forbidden(match side {
                Side::Challenge => {
                    "Only the challenge's author or a moderator accepts or declines a pledge."
                        .into()
                }
                Side::Organisation => {
                    "Only the organisation's members withdraw a pledge or mark it delivered.".into()
                }
            }));
        }
        diesel::update(pledges::table.find(id))
            .set((
                pledges::status.eq(to.as_str()),
                pledges::updated_at.eq(Utc::now()),
            ))
            .execute(conn)?;
        event(conn, id, actor.id, Some(from), to, note.as_deref())?;
        match (counts(from), counts(to)) {
            (true, false) => bump_count(conn, challenge, -1)?,
            (false, true) => bump_count(conn, challenge, 1)?,
            _ => bump_count(conn, challenge, 0)?,
        }
        service::refresh_organisations(conn, challenge)?;
        super::notify::pledge(conn, actor.id, &c, organisation)?;
        read(conn, id, Some(actor))
    })
}
