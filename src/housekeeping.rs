//! Housekeeping: a periodic job that removes rows nobody needs any more. Retention:
//! - stored responses of idempotent creates: 24 hours ([`crate::http::idempotency::RETENTION_HOURS`]);
//! - throttle counters: 2 days after their window started (no window is longer than a day);
//! - the record of which periods of periodic jobs were enqueued: 7 days.
//!
//! (Sent mail is removed by mail's own `outbox_cleanup`, after 30 days.)

use std::time::Duration;

use chrono::Utc;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::jobs::{Job, Periodic, Registry};
use crate::schema::periodic_runs;

/// How long the record of an enqueued period is kept.
pub const PERIODIC_RUNS_DAYS: i64 = 7;

/// The housekeeping job (no payload).
#[derive(Debug, Serialize, Deserialize)]
pub struct Housekeeping;

impl Job for Housekeeping {
    const KIND: &'static str = "housekeeping";
}

/// What one run removed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Removed {
    pub idempotency_keys: usize,
    pub throttles: usize,
    pub periodic_runs: usize,
}

/// Removes what is past its retention, in the caller's transaction.
pub fn run(conn: &mut PgConnection) -> QueryResult<Removed> {
    let cutoff = Utc::now() - chrono::Duration::days(PERIODIC_RUNS_DAYS);
    Ok(Removed {
        idempotency_keys: crate::http::idempotency::expire(conn)?,
        throttles: crate::throttle::expire(conn)?,
        periodic_runs: diesel::delete(
            periodic_runs::table.filter(periodic_runs::period_start.lt(cutoff)),
        )
        .execute(conn)?,
    })
}

pub fn register(registry: &mut Registry) {
    registry.add(|_ctx, conn, _: Housekeeping| {
        let removed = run(conn)?;
        tracing::info!(?removed, "housekeeping done");
        Ok(())
    });
}

/// Hourly.
pub fn periodic() -> Vec<Periodic> {
    vec![Periodic::of(
        "housekeeping",
        Duration::from_secs(3600),
        &Housekeeping,
    )]
}
