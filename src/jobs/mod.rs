//! A PostgreSQL job queue.
//!
//! - [`enqueue`] takes the caller's connection, so a job commits (or not) with the write that caused it.
//! - A worker claims one due job with `FOR UPDATE SKIP LOCKED` and keeps the row locked while the job
//!   runs, in one transaction: two workers never run the same job, and a crashed worker's job becomes
//!   available again. The handler runs in a savepoint; on success the job row is deleted in the same
//!   transaction as the handler's writes.
//! - A failure (error or panic) is recorded and retried with exponential backoff; a job that keeps
//!   failing is kept as `failed` after its last attempt, for inspection.
//! - Jobs may run twice (crash after a side effect, before commit): handlers are idempotent.
//! - Each job kind has a payload type implementing [`Job`]; handlers get it parsed
//!   ([`Registry::add`]) and callers enqueue it typed ([`NewJob::of`]).
//!
//! Core: the queue names no feature (nor mail). The application composes its registry and scheduler
//! from its list of features.

pub mod scheduler;

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::prelude::*;
use diesel::sql_types::{Int4, Jsonb, Nullable, Text, Uuid as SqlUuid};
use serde_json::Value;
use uuid::Uuid;

use crate::config::Settings;
use crate::db::Pool;
use crate::schema::jobs;

pub use scheduler::{Periodic, Scheduler};

/// What a job handler gets besides its connection. (What else a handler needs, such as the mail
/// transport, is captured by the handler when it is registered.)
pub struct JobContext {
    pub pool: Pool,
    pub settings: Arc<Settings>,
}

/// A job kind and its payload: a serde struct, stored as the job's JSON payload.
pub trait Job: serde::Serialize + serde::de::DeserializeOwned {
    /// The kind's name in the `jobs` table.
    const KIND: &'static str;
}

/// A job handler: runs inside the claiming transaction (in a savepoint) with the job's payload.
pub type Handler =
    Arc<dyn Fn(&JobContext, &mut PgConnection, &Value) -> anyhow::Result<()> + Send + Sync>;

/// The job kinds this process knows how to run.
#[derive(Clone, Default)]
pub struct Registry {
    handlers: HashMap<String, Handler>,
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers the handler of job kind `J`, which gets the payload parsed (a payload that does not
    /// parse fails the job, and is retried like any failure).
    pub fn add<J, F>(&mut self, handler: F) -> &mut Self
    where
        J: Job + 'static,
        F: Fn(&JobContext, &mut PgConnection, J) -> anyhow::Result<()> + Send + Sync + 'static,
    {
        self.register(J::KIND, move |ctx, conn, payload| {
            let job = J::deserialize(payload)
                .map_err(|e| anyhow::anyhow!("invalid {} payload: {e}", J::KIND))?;
            handler(ctx, conn, job)
        })
    }

    /// Registers a handler of raw JSON payloads (prefer [`Registry::add`]).
    pub fn register<F>(&mut self, kind: &str, handler: F) -> &mut Self
    where
        F: Fn(&JobContext, &mut PgConnection, &Value) -> anyhow::Result<()> + Send + Sync + 'static,
    {
        self.handlers.insert(kind.to_string(), Arc::new(handler));
        self
    }
}

/// A job to enqueue.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub kind: String,
    pub payload: Value,
    pub run_at: Option<DateTime<Utc>>,
    pub max_attempts: Option<i32>,
    /// At most one queued (or failed) job per key: enqueueing a duplicate does nothing.
    pub unique_key: Option<String>,
}

impl NewJob {
    pub fn new(kind: &str, payload: Value) -> Self {
        Self {
            kind: kind.to_string(),
            payload,
            run_at: None,
            max_attempts: None,
            unique_key: None,
        }
    }

    /// A job of kind `J` with its payload.
    pub fn of<J: Job>(job: &J) -> Self {
        Self::new(
            J::KIND,
            serde_json::to_value(job).expect("job payloads serialise"),
        )
    }

    pub fn unique_key(mut self, key: impl Into<String>) -> Self {
        self.unique_key = Some(key.into());
        self
    }

    pub fn max_attempts(mut self, n: i32) -> Self {
        self.max_attempts = Some(n);
        self
    }

    pub fn run_at(mut self, at: DateTime<Utc>) -> Self {
        self.run_at = Some(at);
        self
    }
}

/// Enqueues a job on the caller's connection (and so in the caller's transaction, if any).
/// Returns `None` when a job with the same unique key is already queued.
pub fn enqueue(conn: &mut PgConnection, job: NewJob) -> QueryResult<Option<Uuid>> {
    let id = Uuid::now_v7();
    use diesel::sql_types::{Integer, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
    // Fixed SQL rather than the query builder: diesel never caches `ON CONFLICT` statements, and
    // this one runs with every reply.
    let inserted = crate::db::fixed::fixed::<Integer>(
        "INSERT INTO jobs (id, kind, payload, run_at, max_attempts, unique_key) VALUES (",
    )
    .bind::<SqlUuid, _>(id)
    .sql(", ")
    .bind::<Text, _>(&job.kind)
    .sql(", ")
    .bind::<Jsonb, _>(&job.payload)
    .sql(", ")
    .bind::<Timestamptz, _>(job.run_at.unwrap_or_else(Utc::now))
    .sql(", ")
    .bind::<Nullable<Integer>, _>(job.max_attempts)
    .sql(", ")
    .bind::<Nullable<Text>, _>(&job.unique_key)
    .sql(") ON CONFLICT DO NOTHING")
    .execute(conn)?;
    Ok((inserted == 1).then_some(id))
}

/// How a claimed job ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Succeeded {
        id: Uuid,
        kind: String,
    },
    Retrying {
        id: Uuid,
        kind: String,
        attempt: i32,
    },
    Failed {
        id: Uuid,
        kind: String,
        attempt: i32,
    },
}

#[derive(QueryableByName, Debug)]
struct Claimed {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Jsonb)]
    payload: Value,
    #[diesel(sql_type = Int4)]
    attempts: i32,
    #[diesel(sql_type = Nullable<Int4>)]
    max_attempts: Option<i32>,
}

/// Worker settings.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    pub max_attempts: i32,
    /// Delay before the first retry; doubled at each further failure, up to `max_backoff`.
    pub backoff: Duration,
    pub max_backoff: Duration,
    /// How long an idle worker waits before looking again.
    pub poll_interval: Duration,
}

impl WorkerConfig {
    pub fn from_settings(s: &Settings) -> Self {
        Self {
            max_attempts: s.job_max_attempts,
            backoff: s.job_backoff,
            max_backoff: s.job_max_backoff,
            poll_interval: Duration::from_millis(500),
        }
    }

    /// Delay before retry number `attempt` (1 = after the first failure).
    pub fn backoff_after(&self, attempt: i32) -> Duration {
        let exp = (attempt.max(1) - 1).min(20) as u32;
        self.backoff
            .saturating_mul(2u32.saturating_pow(exp))
            .min(self.max_backoff)
    }
}

/// Runs jobs. Cheap to clone; share one per process.
#[derive(Clone)]
pub struct Worker {
    ctx: Arc<JobContext>,
    registry: Arc<Registry>,
    config: WorkerConfig,
}

impl Worker {
    pub fn new(ctx: JobContext, registry: Registry, config: WorkerConfig) -> Self {
        Self {
            ctx: Arc::new(ctx),
            registry: Arc::new(registry),
            config,
        }
    }

    pub fn context(&self) -> &JobContext {
        &self.ctx
    }

    /// Claims one due job and runs it. `Ok(None)`: nothing was due.
    pub fn run_one(&self) -> anyhow::Result<Option<Outcome>> {
        let mut conn = self.ctx.pool.get()?;
        let result = conn.transaction::<_, diesel::result::Error, _>(|conn| {
            let claimed: Option<Claimed> = diesel::sql_query(
                "SELECT id, kind, payload, attempts, max_attempts FROM jobs \
                 WHERE status = 'pending' AND run_at <= now() \
                 ORDER BY run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED",
            )
            .get_result(conn)
            .optional()?;
            let Some(job) = claimed else { return Ok(None) };
            let attempt = job.attempts + 1;
            let span = tracing::info_span!("job", id = %job.id, kind = %job.kind, attempt);
            let _entered = span.enter();

            let error = match self.registry.handlers.get(&job.kind) {
                None => Some(format!("no handler for job kind {:?}", job.kind)),
                Some(handler) => self.run_handler(handler, conn, &job.payload)?,
            };
            let outcome = match error {
                None => {
                    diesel::delete(jobs::table.find(job.id)).execute(conn)?;
                    tracing::info!("job succeeded");
                    Outcome::Succeeded { id: job.id, kind: job.kind }
                }
                Some(message) => {
                    let max = job.max_attempts.unwrap_or(self.config.max_attempts);
                    if attempt >= max {
                        diesel::update(jobs::table.find(job.id))
                            .set((
                                jobs::attempts.eq(attempt),
                                jobs::status.eq("failed"),
                                jobs::failed_at.eq(Utc::now()),
                                jobs::last_error.eq(&message),
                            ))
                            .execute(conn)?;
                        tracing::error!(error = %message, "job failed for good");
                        Outcome::Failed { id: job.id, kind: job.kind, attempt }
                    } else {
                        let delay = chrono::Duration::from_std(self.config.backoff_after(attempt))
                            .unwrap_or_else(|_| chrono::Duration::days(1));
                        diesel::update(jobs::table.find(job.id))
                            .set((
                                jobs::attempts.eq(attempt),
                                jobs::run_at.eq(Utc::now() + delay),
                                jobs::last_error.eq(&message),
                            ))
                            .execute(conn)?;
                        tracing::warn!(error = %message, retry_in_s = delay.num_seconds(), "job failed; will retry");
                        Outcome::Retrying { id: job.id, kind: job.kind, attempt }
                    }
                }
            };
            Ok(Some(outcome))
        });
        match result {
            Ok(o) => Ok(o),
            Err(e) => {
                let app: crate::error::AppError = e.into();
                conn.note_error(&app);
                Err(anyhow::anyhow!("job queue: {app}"))
            }
        }
    }

    /// Runs the handler in a savepoint. `Ok(Some(message))` when it failed or panicked (its writes
    /// rolled back); `Err` only when the database itself failed.
    fn run_handler(
        &self,
        handler: &Handler,
        conn: &mut PgConnection,
        payload: &Value,
    ) -> QueryResult<Option<String>> {
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            conn.transaction::<_, anyhow::Error, _>(|conn| handler(&self.ctx, conn, payload))
        }));
        match outcome {
            Ok(Ok(())) => Ok(None),
            Ok(Err(e)) => Ok(Some(format!("{e:#}"))),
            Err(panic) => {
                // The panic unwound past the savepoint's rollback: roll back every level it left open.
                while AnsiTransactionManager::transaction_manager_status_mut(conn)
                    .transaction_depth()?
                    .is_some_and(|d| d.get() > 1)
                {
                    AnsiTransactionManager::rollback_transaction(conn)?;
                }
                let msg = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "non-string panic".into());
                Ok(Some(format!("panicked: {msg}")))
            }
        }
    }

    /// Runs due jobs until none is left; returns what ran. Retries scheduled in the future wait.
    pub fn run_until_idle(&self) -> anyhow::Result<Vec<Outcome>> {
        let mut done = Vec::new();
        while let Some(o) = self.run_one()? {
            done.push(o);
        }
        Ok(done)
    }

    /// Starts `threads` worker threads and the scheduler thread; they stop when the handle is stopped.
    pub fn spawn(&self, threads: usize, scheduler: Option<Scheduler>) -> WorkerHandle {
        let stop = Arc::new(StopSignal::default());
        let mut joins = Vec::new();
        for n in 0..threads {
            let worker = self.clone();
            let stop = stop.clone();
            joins.push(
                std::thread::Builder::new()
                    .name(format!("palabre-worker-{n}"))
                    .spawn(move || {
                        while !stop.is_set() {
                            match worker.run_one() {
                                Ok(Some(_)) => continue,
                                Ok(None) => stop.wait(worker.config.poll_interval),
                                Err(e) => {
                                    tracing::warn!(error = %format!("{e:#}"), "worker cannot reach the queue");
                                    stop.wait(worker.config.poll_interval * 4);
                                }
                            }
                        }
                    })
                    .expect("spawn worker thread"),
            );
        }
        if let Some(scheduler) = scheduler {
            let pool = self.ctx.pool.clone();
            let stop = stop.clone();
            joins.push(
                std::thread::Builder::new()
                    .name("palabre-scheduler".into())
                    .spawn(move || {
                        while !stop.is_set() {
                            let res = crate::db::with_conn(&pool, |conn| {
                                scheduler.tick(conn, Utc::now()).map_err(Into::into)
                            });
                            if let Err(e) = res {
                                tracing::warn!(error = %e, "scheduler tick failed");
                            }
                            stop.wait(scheduler.tick_interval());
                        }
                    })
                    .expect("spawn scheduler thread"),
            );
        }
        WorkerHandle { stop, joins }
    }
}

#[derive(Default)]
struct StopSignal {
    stopped: Mutex<bool>,
    cv: Condvar,
}

impl StopSignal {
    fn is_set(&self) -> bool {
        *self.stopped.lock().unwrap()
    }
    /// Waits up to `d`, returning early when stopped.
    fn wait(&self, d: Duration) {
        let guard = self.stopped.lock().unwrap();
        let _unused = self
            .cv
            .wait_timeout_while(guard, d, |stopped| !*stopped)
            .unwrap();
    }
    fn set(&self) {
        *self.stopped.lock().unwrap() = true;
        self.cv.notify_all();
    }
}

/// Running worker threads.
pub struct WorkerHandle {
    stop: Arc<StopSignal>,
    joins: Vec<std::thread::JoinHandle<()>>,
}

impl WorkerHandle {
    /// Lets running jobs finish, then joins every thread.
    pub fn stop(self) {
        self.stop.set();
        for j in self.joins {
            let _ = j.join();
        }
    }
}

/// Counts of jobs by status, for `/metrics`.
pub fn counts(conn: &mut PgConnection) -> QueryResult<(i64, i64)> {
    let rows: Vec<(String, i64)> = jobs::table
        .group_by(jobs::status)
        .select((jobs::status, diesel::dsl::count_star()))
        .load(conn)?;
    let get = |s: &str| rows.iter().find(|r| r.0 == s).map(|r| r.1).unwrap_or(0);
    Ok((get("pending"), get("failed")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let c = WorkerConfig {
            max_attempts: 5,
            backoff: Duration::from_secs(10),
            max_backoff: Duration::from_secs(900),
            poll_interval: Duration::from_millis(10),
        };
        assert_eq!(c.backoff_after(1), Duration::from_secs(10));
        assert_eq!(c.backoff_after(2), Duration::from_secs(20));
        assert_eq!(c.backoff_after(4), Duration::from_secs(80));
        assert_eq!(c.backoff_after(7), Duration::from_secs(640));
        assert_eq!(c.backoff_after(8), Duration::from_secs(900));
        assert_eq!(c.backoff_after(40), Duration::from_secs(900));
    }
}
