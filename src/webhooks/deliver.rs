//! Sending a delivery: the job handler, the visibility check, the signature, the log, the backoff,
//! and disabling a hook after a day of failures.

use std::time::Instant;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::config::Settings;
use crate::error::AppResult;
use crate::jobs::{Job, NewJob, Registry};
use crate::schema::{challenges, posts, threads, users, webhook_deliveries, webhooks};

/// Sends one delivery (queued by the database triggers in the writing transaction, by a test event,
/// or again after a failure).
#[derive(Debug, Serialize, Deserialize)]
pub struct DeliverWebhook {
    pub delivery_id: Uuid,
}

impl Job for DeliverWebhook {
    const KIND: &'static str = "webhook_delivery";
}

pub fn register_jobs(registry: &mut Registry) {
    registry.add(|ctx, conn, job: DeliverWebhook| {
        deliver(conn, &ctx.settings, job.delivery_id, Utc::now())?;
        Ok(())
    });
    registry.add(|_ctx, conn, _job: SweepWebhooks| {
        sweep(conn, Utc::now())?;
        Ok(())
    });
}

/// Every ten minutes: re-queues pending deliveries that lost their job (a crash, a clock
/// disagreement), and removes finished deliveries after 30 days (their bodies name members).
#[derive(Debug, Serialize, Deserialize)]
pub struct SweepWebhooks {}

impl Job for SweepWebhooks {
    const KIND: &'static str = "webhook_sweep";
}

pub fn periodic() -> Vec<crate::jobs::Periodic> {
    vec![crate::jobs::Periodic::of(
        "webhook_sweep",
        std::time::Duration::from_secs(600),
        &SweepWebhooks {},
    )]
}

/// Finished deliveries are kept this long in the log.
pub const RETENTION: chrono::Duration = chrono::Duration::days(30);

pub fn sweep(conn: &mut PgConnection, now: DateTime<Utc>) -> QueryResult<(usize, usize)> {
    use diesel::sql_types::Timestamptz;
    let requeued = diesel::sql_query(
        "INSERT INTO jobs (id, kind, payload, run_at) \
         SELECT uuid_generate_v7(), 'webhook_delivery', jsonb_build_object('delivery_id', d.id), now() \
         FROM webhook_deliveries d \
         WHERE d.status = 'pending' AND d.next_attempt_at <= $1 - interval '5 minutes' \
           AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.kind = 'webhook_delivery' \
                           AND j.payload->>'delivery_id' = d.id::text)",
    )
    .bind::<Timestamptz, _>(now)
    .execute(conn)?;
    let removed = diesel::delete(
        webhook_deliveries::table
            .filter(webhook_deliveries::status.ne("pending"))
            .filter(webhook_deliveries::created_at.lt(now - RETENTION)),
    )
    .execute(conn)?;
    Ok((requeued, removed))
}

/// A hook whose deliveries fail for this long is disabled; a delivery failing this long since it
/// was queued is given up (even when other deliveries of its hook succeed).
pub const DISABLE_AFTER: chrono::Duration = chrono::Duration::hours(24);

/// The wait before attempt `n + 1` after `n` failed ones: 30 s, doubled each time, at most an hour.
pub fn backoff(attempts: i32) -> chrono::Duration {
    let secs = 30i64 << (attempts.clamp(1, 8) - 1);
    chrono::Duration::seconds(secs.min(3600))
}

/// Whether what a delivery is about is still public (hidden, held and deleted items never go out).
fn still_public(
    conn: &mut PgConnection,
    subject_type: Option<&str>,
    subject_id: Option<Uuid>,
) -> QueryResult<bool> {
    let Some(id) = subject_id else {
        return Ok(true);
    };
    Ok(match subject_type {
        Some("thread") => threads::table
            .find(id)
            .filter(threads::hidden_at.is_null())
            .select(threads::id)
            .first::<Uuid>(conn)
            .optional()?
            .is_some(),
        Some("post") => posts::table
            .inner_join(threads::table.on(threads::id.eq(posts::thread_id)))
            .filter(posts::id.eq(id))
            .filter(posts::deleted_at.is_null())
            .filter(posts::hidden_at.is_null())
            .filter(threads::hidden_at.is_null())
            .select(posts::id)
            .first::<Uuid>(conn)
            .optional()?
            .is_some(),
        Some("challenge") => challenges::table
            .find(id)
            .filter(challenges::thread_id.is_not_null())
            .filter(challenges::hidden_at.is_null())
            .select(challenges::id)
            .first::<Uuid>(conn)
            .optional()?
            .is_some(),
        _ => true,
    })
}

type Due = (
    Uuid,
    Uuid,
    Option<String>,
    Option<Uuid>,
    String,
    i32,
    DateTime<Utc>,
    DateTime<Utc>,
);

/// Attempts delivery `id` at `now` (the job passes the clock; tests pass a simulated one). A
/// delivery no longer pending is left as it is; one not yet due gets a job at its time. No row is
/// locked while the endpoint is called: the outcome is recorded only if no other attempt was
/// recorded meanwhile (deliveries are at least once: endpoints deduplicate on `webhook-id`).
pub fn deliver(
    conn: &mut PgConnection,
    settings: &Settings,
    id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let due: Option<Due> = webhook_deliveries::table
        .find(id)
        .filter(webhook_deliveries::status.eq("pending"))
        .select((
            webhook_deliveries::webhook_id,
            webhook_deliveries::event_id,
            webhook_deliveries::subject_type,
            webhook_deliveries::subject_id,
            webhook_deliveries::body,
            webhook_deliveries::attempts,
            webhook_deliveries::next_attempt_at,
            webhook_deliveries::created_at,
        ))
        .first(conn)
        .optional()?;
    let Some((hook_id, event_id, subject_type, subject_id, body, attempts, next, created)) = due
    else {
        return Ok(());
    };
    if next > now {
        // Early (clocks disagree, or a duplicate job): try again when it is due.
        crate::jobs::enqueue(
            conn,
            NewJob::of(&DeliverWebhook { delivery_id: id }).run_at(next),
        )?;
        return Ok(());
    }
    type Hook = (String, String, bool, Option<DateTime<Utc>>);
    let (url, secret, enabled, retry_after): Hook = webhooks::table
        .find(hook_id)
        .select((
            webhooks::url,
            webhooks::secret,
            webhooks::enabled,
            webhooks::retry_after,
        ))
        .first(conn)?;
    // Finishes the delivery if its attempts are still `attempts` (no other run recorded one).
    let finish = |conn: &mut PgConnection, status: &str, error: Option<&str>| {
        diesel::update(
            webhook_deliveries::table
                .find(id)
                .filter(webhook_deliveries::status.eq("pending"))
                .filter(webhook_deliveries::attempts.eq(attempts)),
        )
        .set((
            webhook_deliveries::status.eq(status),
            webhook_deliveries::last_error.eq(error),
            webhook_deliveries::finished_at.eq(now),
        ))
        .execute(conn)
    };
    if !enabled {
        finish(conn, "failed", Some("The hook is disabled."))?;
        return Ok(());
    }
    if !still_public(conn, subject_type.as_deref(), subject_id)? {
        finish(
            conn,
            "withheld",
            Some("Hidden or deleted before it was sent."),
        )?;
        return Ok(());
    }
    // The endpoint is failing and another delivery tried it a moment ago: wait for its next
    // attempt instead of spending a timeout now (no attempt is counted).
    if let Some(at) = retry_after.filter(|at| *at > now) {
        diesel::update(
            webhook_deliveries::table
                .find(id)
                .filter(webhook_deliveries::status.eq("pending")),
        )
        .set(webhook_deliveries::next_attempt_at.eq(at))
        .execute(conn)?;
        crate::jobs::enqueue(
            conn,
            NewJob::of(&DeliverWebhook { delivery_id: id }).run_at(at),
        )?;
        return Ok(());
    }
    let timestamp = now.timestamp();
    let event = event_id.to_string();
    let signature = super::net::sign(&secret, &event, timestamp, &body);
    let started = Instant::now();
    // The address was checked when registered; the client's resolver checks where it points now
    // (no second lookup here), and the scheme is checked again in case the setting changed since.
    let allowed = super::net::check_scheme(&url, settings.webhooks_allow_private);
    let result: Result<u16, (Option<u16>, String)> = match allowed {
        Err(e) => Err((None, e)),
        Ok(()) => match super::net::agent(settings.webhooks_allow_private)
            .post(&url)
            .set("content-type", "application/json")
            .set("webhook-id", &event)
            .set("webhook-timestamp", &timestamp.to_string())
            .set("webhook-signature", &signature)
            .send_string(&body)
        {
            Ok(resp) => Ok(resp.status()),
            Err(ureq::Error::Status(code, _)) => Err((Some(code), format!("HTTP {code}"))),
            Err(ureq::Error::Transport(t)) => Err((None, t.to_string())),
        },
    };
    let duration = started.elapsed().as_millis().min(i32::MAX as u128) as i32;
    let this = webhook_deliveries::table
        .find(id)
        .filter(webhook_deliveries::status.eq("pending"))
        .filter(webhook_deliveries::attempts.eq(attempts));
    let attempts = attempts + 1;
    match result {
        Ok(code) if (200..300).contains(&code) => {
            let n = diesel::update(this)
                .set((
                    webhook_deliveries::status.eq("delivered"),
                    webhook_deliveries::attempts.eq(attempts),
                    webhook_deliveries::response_code.eq(i32::from(code)),
                    webhook_deliveries::duration_ms.eq(duration),
                    webhook_deliveries::last_error.eq(None::<String>),
                    webhook_deliveries::finished_at.eq(now),
                ))
                .execute(conn)?;
            if n == 1 {
                diesel::update(webhooks::table.find(hook_id))
                    .set((
                        webhooks::failing_since.eq(None::<DateTime<Utc>>),
                        webhooks::failures.eq(0),
                        webhooks::retry_after.eq(None::<DateTime<Utc>>),
                    ))
                    .execute(conn)?;
            }
        }
        other => {
            let (code, error) = match other {
                Ok(code) => (Some(code), format!("HTTP {code}")),
                Err(e) => e,
            };
            let given_up = now - created >= DISABLE_AFTER;
            let n = diesel::update(this)
                .set((
                    webhook_deliveries::attempts.eq(attempts),
                    webhook_deliveries::response_code.eq(code.map(i32::from)),
                    webhook_deliveries::duration_ms.eq(duration),
                    webhook_deliveries::last_error.eq(&error),
                    webhook_deliveries::next_attempt_at.eq(now + backoff(attempts)),
                ))
                .execute(conn)?;
            if n == 0 {
                return Ok(()); // another run recorded this attempt
            }
            // The hook's run of failures starts at its first failure (kept, or set now).
            let (since, failures): (DateTime<Utc>, i32) =
                diesel::update(webhooks::table.find(hook_id))
                    .set((
                        webhooks::failing_since.eq(diesel::dsl::sql::<
                            diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>,
                        >(
                            "coalesce(failing_since, "
                        )
                        .bind::<diesel::sql_types::Timestamptz, _>(now)
                        .sql(")")),
                        webhooks::failures.eq(webhooks::failures + 1),
                    ))
                    .returning((
                        webhooks::failing_since.assume_not_null(),
                        webhooks::failures,
                    ))
                    .get_result(conn)?;
            diesel::update(webhooks::table.find(hook_id))
                .set(webhooks::retry_after.eq(now + backoff(failures)))
                .execute(conn)?;
            if now - since >= DISABLE_AFTER {
                disable(conn, hook_id, &url, &error, now)?;
            } else if given_up {
                finish_failed(conn, id, now)?;
            } else {
                crate::jobs::enqueue(
                    conn,
                    NewJob::of(&DeliverWebhook { delivery_id: id }).run_at(now + backoff(attempts)),
                )?;
            }
        }
    }
    Ok(())
}

/// Gives a delivery up after a day of failures of its own.
fn finish_failed(conn: &mut PgConnection, id: Uuid, now: DateTime<Utc>) -> QueryResult<usize> {
    diesel::update(webhook_deliveries::table.find(id))
        .set((
            webhook_deliveries::status.eq("failed"),
            webhook_deliveries::finished_at.eq(now),
        ))
        .execute(conn)
}

/// Disables a hook that failed for a day: its pending deliveries are given up, and every
/// administrator (its creator among them) is told.
fn disable(
    conn: &mut PgConnection,
    hook: Uuid,
    url: &str,
    error: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let reason = format!("Every delivery failed for a day (last: {error}).");
    diesel::update(webhooks::table.find(hook))
        .set((
            webhooks::enabled.eq(false),
            webhooks::disabled_reason.eq(&reason),
            webhooks::updated_at.eq(now),
        ))
        .execute(conn)?;
    super::service::give_up_pending(conn, hook, "The hook was disabled after a day of failures.")?;
    let admins: Vec<Uuid> = users::table
        .filter(users::role.eq("admin"))
        .filter(users::erased_at.is_null())
        .select(users::id)
        .load(conn)?;
    for admin in admins {
        crate::notifications::notify_personal(
            conn,
            admin,
            "webhook_disabled",
            None,
            "webhook",
            hook,
            url,
            None,
        )?;
    }
    Ok(())
}
