//! Sending each digest exactly once.
//!
//! - The periodic `digest_dispatch` job finds the recipients due now with one statement per kind of
//!   recipient (members, subscribers): every schedule whose latest slot is within the catch-up window
//!   ([`schedule::due`]) joined to the recipients on it who have no digest for that period. It
//!   inserts their `digests` rows (`due`) — the primary key (recipient, period) is the unique key —
//!   and enqueues one `compose_digests` job per batch of `PALABRE_DIGEST_BATCH` recipients, in the
//!   same transaction.
//! - A `compose_digests` job locks its batch's `due` rows, composes every digest with a few
//!   set-based queries ([`content::compose`]), writes the messages to the outbox and marks the rows
//!   `sent` (or `empty`: nothing to say, no email) — all in the job's transaction. A crash before the
//!   commit leaves the rows `due` for the job's retry; a second worker running the same batch waits
//!   on the row locks and then finds nothing `due`; a re-run of the dispatcher finds the rows there.
//!   Delivery is the outbox's, with its retries.

use std::time::Duration as StdDuration;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Date, Int2, Integer, Text, Timestamptz, Uuid as SqlUuid};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::content::{self, Target};
use super::render;
use super::schedule;
use super::token::{self, Recipient};
use super::types::Digest;
use crate::config::Settings;
use crate::input::Email;
use crate::jobs::{Job, NewJob, Periodic, Registry, enqueue};
use crate::mail::{self, Outgoing};

/// Finds the recipients due now and hands them to `compose_digests` jobs (no payload).
#[derive(Debug, Serialize, Deserialize)]
pub struct DigestDispatch;

impl Job for DigestDispatch {
    const KIND: &'static str = "digest_dispatch";
}

/// Composes and queues the digests of a batch of recipients for one period.
#[derive(Debug, Serialize, Deserialize)]
pub struct ComposeDigests {
    pub period: NaiveDate,
    pub recipients: Vec<Uuid>,
}

impl Job for ComposeDigests {
    const KIND: &'static str = "compose_digests";
}

/// How often the dispatcher looks for due recipients.
pub const DISPATCH_EVERY: StdDuration = StdDuration::from_secs(300);

pub fn periodic() -> Vec<Periodic> {
    vec![Periodic::of(
        "digest_dispatch",
        DISPATCH_EVERY,
        &DigestDispatch,
    )]
}

pub fn register_jobs(registry: &mut Registry) {
    registry.add(|ctx, conn, _: DigestDispatch| {
        let d = dispatch(conn, &ctx.settings, Utc::now())?;
        tracing::info!(
            recipients = d.recipients,
            jobs = d.jobs,
            "digests dispatched"
        );
        Ok(())
    });
    registry.add(|ctx, conn, job: ComposeDigests| {
        let secret = ctx.settings.resolve_jwt_secret()?;
        let c = compose_batch(
            conn,
            &ctx.settings,
            secret.expose(),
            job.period,
            &job.recipients,
        )?;
        tracing::info!(period = %job.period, sent = c.sent, empty = c.empty, "digests composed");
        Ok(())
    });
}

/// What a dispatch did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Dispatched {
    pub recipients: usize,
    pub jobs: usize,
}

/// The schedules due at `now`, as the arrays the dispatch statements join.
struct DueArrays {
    frequency: Vec<&'static str>,
    day: Vec<i16>,
    hour: Vec<i16>,
    period: Vec<NaiveDate>,
    slot_at: Vec<DateTime<Utc>>,
}

fn due_arrays(now: DateTime<Utc>) -> DueArrays {
    let due = schedule::due(now);
    DueArrays {
        frequency: due.iter().map(|d| d.frequency.as_str()).collect(),
        day: due.iter().map(|d| d.day).collect(),
        hour: due.iter().map(|d| d.hour).collect(),
        period: due.iter().map(|d| d.slot.period).collect(),
        slot_at: due.iter().map(|d| d.slot.at).collect(),
    }
}

/// The recipients due at `now` with no digest for their period yet (members with a verified
/// address who are not suspended, confirmed subscribers; each since before their slot).
const DUE_MEMBERS: &str = "SELECT u.id AS recipient_id, s.period, 'member' AS kind, s.slot_at \
     FROM unnest($1::text[], $2::int2[], $3::int2[], $4::date[], $5::timestamptz[]) \
          AS s(frequency, day, hour, period, slot_at) \
     JOIN users u ON u.digest_frequency = s.frequency AND u.digest_hour = s.hour \
                 AND (s.frequency = 'daily' OR u.digest_day = s.day) \
     WHERE u.email IS NOT NULL AND u.email_verified_at IS NOT NULL AND u.erased_at IS NULL \
       AND (u.suspended_until IS NULL OR u.suspended_until < $6) AND u.created_at < s.slot_at \
       AND NOT EXISTS (SELECT 1 FROM digests d WHERE d.recipient_id = u.id AND d.period = s.period)";

const DUE_SUBSCRIBERS: &str = "SELECT b.id AS recipient_id, s.period, 'subscriber' AS kind, s.slot_at \
     FROM unnest($1::text[], $2::int2[], $3::int2[], $4::date[], $5::timestamptz[]) \
          AS s(frequency, day, hour, period, slot_at) \
     JOIN subscribers b ON b.frequency = s.frequency AND b.digest_hour = s.hour \
                       AND (s.frequency = 'daily' OR b.digest_day = s.day) \
     WHERE b.confirmed_at IS NOT NULL AND b.confirmed_at < s.slot_at AND $6 IS NOT NULL \
       AND NOT EXISTS (SELECT 1 FROM digests d WHERE d.recipient_id = b.id AND d.period = s.period)";

/// Claims every recipient due at `now` and enqueues their batches, in one transaction.
pub fn dispatch(
    conn: &mut PgConnection,
    settings: &Settings,
    now: DateTime<Utc>,
) -> QueryResult<Dispatched> {
    #[derive(QueryableByName)]
    struct Counts {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        recipients: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        jobs: i64,
    }
    let a = due_arrays(now);
    // One statement: the claimed rows are numbered per period and cut into batches, each queued as
    // a job, in PostgreSQL — the process holds no list of recipients, however many are due.
    let c: Counts = diesel::sql_query(format!(
        "WITH claimed AS ( \
             INSERT INTO digests (recipient_id, period, recipient_kind, slot_at) \
             {DUE_MEMBERS} UNION ALL {DUE_SUBSCRIBERS} \
             ON CONFLICT DO NOTHING RETURNING recipient_id, period), \
         batches AS ( \
             SELECT period, array_agg(recipient_id ORDER BY recipient_id) AS ids \
             FROM (SELECT recipient_id, period, \
                          (row_number() OVER (PARTITION BY period ORDER BY recipient_id) - 1) / $7 AS b \
                   FROM claimed) n \
             GROUP BY period, b), \
         queued AS ( \
             INSERT INTO jobs (id, kind, payload, run_at) \
             SELECT uuid_generate_v7(), $8, \
                    jsonb_build_object('period', period, 'recipients', to_jsonb(ids)), now() \
             FROM batches RETURNING 1) \
         SELECT (SELECT count(*) FROM claimed) AS recipients, (SELECT count(*) FROM queued) AS jobs"
    ))
    .bind::<Array<Text>, _>(&a.frequency)
    .bind::<Array<Int2>, _>(&a.day)
    .bind::<Array<Int2>, _>(&a.hour)
    .bind::<Array<Date>, _>(&a.period)
    .bind::<Array<Timestamptz>, _>(&a.slot_at)
    .bind::<Timestamptz, _>(now)
    .bind::<Integer, _>(settings.digest_batch.max(1) as i32)
    .bind::<Text, _>(ComposeDigests::KIND)
    .get_result(conn)?;
    Ok(Dispatched {
        recipients: c.recipients as usize,
        jobs: c.jobs as usize,
    })
}

/// Who would be due at `now` (for `palabre digest run --dry-run`), without claiming anyone.
pub fn due_now(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
) -> QueryResult<Vec<(Recipient, NaiveDate, DateTime<Utc>)>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = SqlUuid)]
        recipient_id: Uuid,
        #[diesel(sql_type = Date)]
        period: NaiveDate,
        #[diesel(sql_type = Text)]
        kind: String,
        #[diesel(sql_type = Timestamptz)]
        slot_at: DateTime<Utc>,
    }
    let a = due_arrays(now);
    let rows: Vec<Row> = diesel::sql_query(format!(
        "{DUE_MEMBERS} UNION ALL {DUE_SUBSCRIBERS} ORDER BY 3, 1"
    ))
    .bind::<Array<Text>, _>(&a.frequency)
    .bind::<Array<Int2>, _>(&a.day)
    .bind::<Array<Int2>, _>(&a.hour)
    .bind::<Array<Date>, _>(&a.period)
    .bind::<Array<Timestamptz>, _>(&a.slot_at)
    .bind::<Timestamptz, _>(now)
    .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| (Recipient::of(&r.kind, r.recipient_id), r.period, r.slot_at))
        .collect())
}

/// What composing a batch did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Composed {
    pub sent: usize,
    pub empty: usize,
}

#[derive(QueryableByName)]
struct DueRow {
    #[diesel(sql_type = SqlUuid)]
    recipient_id: Uuid,
    #[diesel(sql_type = Text)]
    recipient_kind: String,
    #[diesel(sql_type = Timestamptz)]
    slot_at: DateTime<Utc>,
}

/// The message of a composed digest.
pub fn message(
    settings: &Settings,
    secret: &str,
    t: &Target,
    d: &Digest,
) -> anyhow::Result<Outgoing> {
    let token = token::sign(secret, t.recipient);
    Ok(Outgoing {
        to: Email::stored(t.email.clone()),
        message: render::render(d)?,
        headers: render::headers(settings, &d.links.unsubscribe, &token),
    })
}

/// Composes the digests of the `due` rows of `recipients` for `period` and queues their messages,
/// on the caller's connection (the job's transaction). Rows already composed are left alone.
pub fn compose_batch(
    conn: &mut PgConnection,
    settings: &Settings,
    secret: &str,
    period: NaiveDate,
    recipients: &[Uuid],
) -> anyhow::Result<Composed> {
    conn.transaction(|conn| {
        let due: Vec<DueRow> = diesel::sql_query(
            "SELECT recipient_id, recipient_kind, slot_at FROM digests \
             WHERE period = $1 AND recipient_id = ANY($2) AND status = 'due' \
             ORDER BY recipient_id FOR UPDATE",
        )
        .bind::<Date, _>(period)
        .bind::<Array<SqlUuid>, _>(recipients)
        .load(conn)?;
        let wanted: Vec<(Recipient, DateTime<Utc>)> = due
            .iter()
            .map(|r| (Recipient::of(&r.recipient_kind, r.recipient_id), r.slot_at))
            .collect();
        let targets = content::targets(conn, &wanted, true)?;
        let digests = content::compose(conn, settings, secret, &targets)?;
        let mut outgoing = Vec::new();
        let mut sent_ids = Vec::new();
        let mut items = Vec::new();
        let mut from = Vec::new();
        for (t, d) in targets.iter().zip(&digests) {
            if d.is_empty() {
                continue;
            }
            outgoing.push(message(settings, secret, t, d)?);
            sent_ids.push(t.recipient.id());
            items.push(d.items() as i32);
            from.push(t.since);
        }
        let outbox = mail::queue_many(conn, settings, &outgoing)?;
        diesel::sql_query(
            "UPDATE digests d SET status = 'sent', outbox_id = u.outbox_id, items = u.items, \
                    covered_from = u.covered_from, composed_at = now() \
             FROM unnest($2::uuid[], $3::uuid[], $4::int4[], $5::timestamptz[]) \
                  AS u(recipient_id, outbox_id, items, covered_from) \
             WHERE d.period = $1 AND d.recipient_id = u.recipient_id",
        )
        .bind::<Date, _>(period)
        .bind::<Array<SqlUuid>, _>(&sent_ids)
        .bind::<Array<SqlUuid>, _>(&outbox)
        .bind::<Array<Integer>, _>(&items)
        .bind::<Array<Timestamptz>, _>(&from)
        .execute(conn)?;
        // The rest had nothing to say (or can no longer receive: an address gone, unconfirmed).
        let due_ids: Vec<Uuid> = due.iter().map(|r| r.recipient_id).collect();
        let empty = diesel::sql_query(
            "UPDATE digests SET status = 'empty', composed_at = now() \
             WHERE period = $1 AND recipient_id = ANY($2) AND status = 'due'",
        )
        .bind::<Date, _>(period)
        .bind::<Array<SqlUuid>, _>(&due_ids)
        .execute(conn)?;
        Ok(Composed {
            sent: outbox.len(),
            empty,
        })
    })
}

/// Composes every batch still `due` (for `palabre digest run`, which does not wait for workers),
/// oldest period first, on `threads` connections side by side (as that many workers would).
pub fn compose_due(
    pool: &crate::db::Pool,
    settings: &Settings,
    secret: &str,
    threads: usize,
) -> anyhow::Result<Composed> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Date)]
        period: NaiveDate,
        #[diesel(sql_type = SqlUuid)]
        recipient_id: Uuid,
    }
    // The next batch after the last one handed out (keyset on the primary key): the process holds
    // one batch per thread, never the whole list.
    let cursor = std::sync::Mutex::new(None::<(NaiveDate, Uuid)>);
    let next = |conn: &mut PgConnection| -> anyhow::Result<Option<(NaiveDate, Vec<Uuid>)>> {
        let mut after = cursor.lock().expect("cursor");
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("a date");
        let (period, id) = after.unwrap_or((epoch, Uuid::nil()));
        let rows: Vec<Row> = diesel::sql_query(
            "SELECT period, recipient_id FROM digests \
             WHERE status = 'due' AND (period, recipient_id) > ($1, $2) \
             ORDER BY period, recipient_id LIMIT $3",
        )
        .bind::<Date, _>(period)
        .bind::<SqlUuid, _>(id)
        .bind::<Integer, _>(settings.digest_batch.max(1) as i32)
        .load(conn)?;
        let Some(first) = rows.first() else {
            return Ok(None);
        };
        // One period per batch.
        let period = first.period;
        let ids: Vec<Uuid> = rows
            .iter()
            .take_while(|r| r.period == period)
            .map(|r| r.recipient_id)
            .collect();
        *after = Some((period, *ids.last().expect("one at least")));
        Ok(Some((period, ids)))
    };
    let total = std::sync::Mutex::new(Composed::default());
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let workers: Vec<_> = (0..threads.max(1))
            .map(|_| {
                scope.spawn(|| -> anyhow::Result<()> {
                    let mut conn = pool.get()?;
                    while let Some((period, ids)) = next(&mut conn)? {
                        let c = compose_batch(&mut conn, settings, secret, period, &ids)?;
                        let mut t = total.lock().expect("total");
                        t.sent += c.sent;
                        t.empty += c.empty;
                    }
                    Ok(())
                })
            })
            .collect();
        for w in workers {
            w.join().expect("a composing thread panicked")?;
        }
        Ok(())
    })?;
    Ok(total.into_inner().expect("total"))
}

/// The next digest of `recipient` as it would be sent now: it covers what happened since their
/// previous digest. `None` when they cannot receive one (an address not verified, an erased
/// account, an unconfirmed subscription).
pub fn preview(
    conn: &mut PgConnection,
    settings: &Settings,
    secret: &str,
    recipient: Recipient,
    now: DateTime<Utc>,
) -> QueryResult<Option<(Target, Digest)>> {
    let targets = content::targets(conn, &[(recipient, now)], false)?;
    let Some(target) = targets.into_iter().next() else {
        return Ok(None);
    };
    let digest = content::compose(conn, settings, secret, std::slice::from_ref(&target))?
        .into_iter()
        .next();
    Ok(digest.map(|d| (target, d)))
}

/// What [`sweep`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    /// Recipients whose batch was queued again.
    pub requeued: usize,
    /// Recipients whose slot passed out of the catch-up window before their digest was composed:
    /// their next digest covers the period.
    pub dropped: usize,
}

/// Recovers digests that stayed `due` (hourly, with the cleanup): a batch whose job failed for good,
/// or was lost, is queued again after an hour; a slot older than the catch-up window is given up —
/// its row removed, so that the next digest starts from the last one actually composed and covers
/// the period. Batches are idempotent, so an extra one does no harm.
pub fn sweep(
    conn: &mut PgConnection,
    settings: &Settings,
    now: DateTime<Utc>,
) -> QueryResult<Swept> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Date)]
        period: NaiveDate,
        #[diesel(sql_type = Array<SqlUuid>)]
        ids: Vec<Uuid>,
    }
    conn.transaction(|conn| {
        let dropped = diesel::sql_query(
            "DELETE FROM digests WHERE status = 'due' AND slot_at < $1 - make_interval(hours => $2)",
        )
        .bind::<Timestamptz, _>(now)
        .bind::<Integer, _>(schedule::CATCH_UP_HOURS as i32)
        .execute(conn)?;
        let stale: Vec<Row> = diesel::sql_query(
            "SELECT d.period, array_agg(d.recipient_id ORDER BY d.recipient_id) AS ids FROM digests d \
             WHERE d.status = 'due' AND d.created_at < $1 - interval '1 hour' \
               AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.kind = $2 AND j.status = 'pending' \
                               AND j.payload->>'period' = d.period::text) \
             GROUP BY d.period",
        )
        .bind::<Timestamptz, _>(now)
        .bind::<Text, _>(ComposeDigests::KIND)
        .load(conn)?;
        let mut requeued = 0;
        for r in stale {
            for chunk in r.ids.chunks(settings.digest_batch.max(1) as usize) {
                enqueue(
                    conn,
                    NewJob::of(&ComposeDigests {
                        period: r.period,
                        recipients: chunk.to_vec(),
                    }),
                )?;
                requeued += chunk.len();
            }
        }
        if dropped > 0 || requeued > 0 {
            tracing::warn!(dropped, requeued, "digests left due were recovered");
        }
        Ok(Swept { requeued, dropped })
    })
}

/// Removes composed digest rows older than 60 days (the latest of each recipient is enough to
/// know where their next digest starts, and no period is that long).
pub fn expire(conn: &mut PgConnection) -> QueryResult<usize> {
    diesel::sql_query(
        "DELETE FROM digests WHERE status <> 'due' AND period < (now() - interval '60 days')::date",
    )
    .execute(conn)
}
