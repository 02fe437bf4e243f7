//! Periodic jobs. Each period of each periodic job is claimed by inserting `(name, period_start)` into
//! `periodic_runs`; the primary key lets exactly one of any number of schedulers enqueue it.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use diesel::prelude::*;
use serde_json::Value;

use super::{NewJob, enqueue};
use crate::schema::periodic_runs;

/// A job enqueued once per period (periods are aligned on the Unix epoch, UTC).
#[derive(Debug, Clone)]
pub struct Periodic {
    pub name: String,
    pub every: Duration,
    pub kind: String,
    pub payload: Value,
}

impl Periodic {
    /// Job `J` (with its payload) every `every`, under `name`.
    pub fn of<J: super::Job>(name: &str, every: Duration, job: &J) -> Self {
        Self::new(
            name,
            every,
            J::KIND,
            serde_json::to_value(job).expect("job payloads serialise"),
        )
    }

    pub fn new(name: &str, every: Duration, kind: &str, payload: Value) -> Self {
        assert!(every.as_secs() > 0, "a period is at least one second");
        Self {
            name: name.into(),
            every,
            kind: kind.into(),
            payload,
        }
    }

    /// Start of the period that contains `now`.
    pub fn period_start(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let secs = self.every.as_secs() as i64;
        let start = now.timestamp().div_euclid(secs) * secs;
        Utc.timestamp_opt(start, 0).single().unwrap_or(now)
    }
}

#[derive(Debug, Clone, Default)]
pub struct Scheduler {
    jobs: Vec<Periodic>,
}

impl Scheduler {
    pub fn new(jobs: Vec<Periodic>) -> Self {
        Self { jobs }
    }

    /// How often the scheduler thread looks: often enough for the shortest period.
    pub fn tick_interval(&self) -> Duration {
        self.jobs
            .iter()
            .map(|p| p.every / 4)
            .min()
            .unwrap_or(Duration::from_secs(60))
            .clamp(Duration::from_secs(1), Duration::from_secs(60))
    }

    /// Enqueues every periodic job whose current period has not been enqueued yet. Returns the names
    /// of the jobs this call enqueued.
    pub fn tick(&self, conn: &mut PgConnection, now: DateTime<Utc>) -> QueryResult<Vec<String>> {
        let mut enqueued = Vec::new();
        for p in &self.jobs {
            let start = p.period_start(now);
            let claimed = conn.transaction::<_, diesel::result::Error, _>(|conn| {
                let inserted = diesel::insert_into(periodic_runs::table)
                    .values((
                        periodic_runs::name.eq(&p.name),
                        periodic_runs::period_start.eq(start),
                    ))
                    .on_conflict_do_nothing()
                    .execute(conn)?;
                if inserted == 1 {
                    enqueue(conn, NewJob::new(&p.kind, p.payload.clone()))?;
                }
                Ok(inserted == 1)
            })?;
            if claimed {
                tracing::info!(job = %p.name, period_start = %start, "enqueued periodic job");
                enqueued.push(p.name.clone());
            }
        }
        Ok(enqueued)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_align_on_the_epoch() {
        let p = Periodic::new("x", Duration::from_secs(3600), "k", Value::Null);
        let t = Utc.with_ymd_and_hms(2026, 11, 29, 10, 42, 7).unwrap();
        assert_eq!(
            p.period_start(t),
            Utc.with_ymd_and_hms(2026, 11, 29, 10, 0, 0).unwrap()
        );
    }
}
