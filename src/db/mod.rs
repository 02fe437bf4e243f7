//! Database access: the r2d2 pool, the one-hop blocking helper, embedded migrations, and the local
//! PostgreSQL launcher used when no `DATABASE_URL` is set.

pub mod embedded;
pub mod fixed;
pub mod listen;

use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use diesel::connection::InstrumentationEvent;
use diesel::r2d2::{self, ManageConnection};
use diesel::{Connection, PgConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

pub use crate::config::DbPooler;
use crate::error::{AppError, AppResult};

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// A pooled PostgreSQL connection that remembers when the server went away, so that the pool drops it
/// instead of handing a dead connection to the next request (diesel's r2d2 manager does not notice).
pub struct DbConn {
    conn: PgConnection,
    lost: bool,
}

impl Deref for DbConn {
    type Target = PgConnection;
    fn deref(&self) -> &PgConnection {
        &self.conn
    }
}

impl DerefMut for DbConn {
    fn deref_mut(&mut self) -> &mut PgConnection {
        &mut self.conn
    }
}

impl DbConn {
    /// Marks the connection as lost when `err` says the server is gone.
    pub fn note_error(&mut self, err: &AppError) {
        if matches!(err, AppError::Unavailable(_)) {
            self.lost = true;
        }
    }
}

#[derive(Debug, Clone)]
pub struct Manager {
    url: String,
    statements: Arc<AtomicU64>,
    pooler: DbPooler,
}

/// How many SQL statements a pool's connections have run (for query-count checks and metrics).
#[derive(Debug, Clone, Default)]
pub struct StatementCounter(Arc<AtomicU64>);

impl StatementCounter {
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

impl ManageConnection for Manager {
    type Connection = DbConn;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConn, r2d2::Error> {
        let mut conn = PgConnection::establish(&self.url).map_err(r2d2::Error::ConnectionError)?;
        if self.pooler == DbPooler::Transaction {
            // Behind a transaction-mode pooler the next statement may reach another server
            // connection: no named prepared statement (diesel then sends each statement with its
            // parameters in one message), no session setting (the role has them: [`role_settings`]).
            conn.set_prepared_statement_cache_size(diesel::connection::CacheSize::Disabled);
            let counter = self.statements.clone();
            conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
                if let InstrumentationEvent::StartQuery { .. } = event {
                    counter.fetch_add(1, Ordering::Relaxed);
                }
            });
            return Ok(DbConn { conn, lost: false });
        }
        // Session settings for short OLTP statements, each measured on the bench data set
        // (BENCHMARKS.md). Diesel prepares a statement once per connection; PostgreSQL's default
        // `auto` mode then re-plans it on every call whenever the generic plan looks costlier than
        // a custom one, which it always does for `LIMIT $n` (it assumes 10 % of the table): a
        // thread list page was planned anew each time (1.5-2.5 ms). Forcing the generic plan keeps
        // the plan made once; with its over-estimated row counts, memoize nodes (hash tables sized
        // for 100,000 rows: 0.88 ms instead of 0.22 ms a page), JIT compilation and parallel workers
        // are all harmful, and are turned off. Searches, whose plans depend on the words asked, put
        // their query in the SQL text instead of a parameter.
        {
            use diesel::connection::SimpleConnection;
            conn.batch_execute(
                "SET plan_cache_mode = force_generic_plan; SET enable_memoize = off; \
                 SET jit = off; SET max_parallel_workers_per_gather = 0",
            )
            .map_err(r2d2::Error::QueryError)?;
        }
        let counter = self.statements.clone();
        conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
            if let InstrumentationEvent::StartQuery { .. } = event {
                counter.fetch_add(1, Ordering::Relaxed);
            }
        });
        Ok(DbConn { conn, lost: false })
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), r2d2::Error> {
        use diesel::connection::SimpleConnection;
        conn.conn.batch_execute("").map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConn) -> bool {
        use diesel::r2d2::R2D2Connection;
        conn.lost || std::thread::panicking() || conn.conn.is_broken()
    }
}

/// The r2d2 pool, with a gate in front of it for requests: at most twice as many requests wait for
/// a connection on blocking threads as there are connections, the others wait on the async executor.
/// Without it, 64 concurrent requests parked 60 blocking threads on the pool's condition variable,
/// and the wake-ups that followed doubled p99 (thread list 40 -> 23 ms, thread read 15 -> 7.5 ms at
/// 64 connections, for the same throughput within 8 %; BENCHMARKS.md).
#[derive(Clone)]
pub struct Pool {
    inner: r2d2::Pool<Manager>,
    gate: Arc<tokio::sync::Semaphore>,
}

impl Deref for Pool {
    type Target = r2d2::Pool<Manager>;
    fn deref(&self) -> &r2d2::Pool<Manager> {
        &self.inner
    }
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("state", &self.inner.state())
            .finish()
    }
}

pub type PooledConn = r2d2::PooledConnection<Manager>;

/// Builds the pool, keeping `min_idle` connections open. Connections are not tested on checkout (one
/// round trip saved per request); a connection that fails with a lost-connection error is discarded
/// on return instead.
pub fn build_pool(
    url: &str,
    size: u32,
    min_idle: u32,
    timeout: Duration,
    pooler: DbPooler,
) -> anyhow::Result<Pool> {
    Ok(build_counted_pool(url, size, min_idle, timeout, pooler)?.0)
}

/// The planner settings every connection needs (see `Manager::connect`), as the role's defaults in
/// this database, for a transaction-mode pooler that keeps no session setting: each server
/// connection the pooler opens starts with them. Run by `palabre migrate` and `serve` when
/// `PALABRE_DB_POOLER=transaction`; a role may set its own defaults.
pub fn role_settings(conn: &mut PgConnection) -> anyhow::Result<()> {
    use diesel::connection::SimpleConnection;
    conn.batch_execute(
        "DO $$ BEGIN \
           EXECUTE format('ALTER ROLE CURRENT_USER IN DATABASE %I SET plan_cache_mode = force_generic_plan', current_database()); \
           EXECUTE format('ALTER ROLE CURRENT_USER IN DATABASE %I SET enable_memoize = off', current_database()); \
           EXECUTE format('ALTER ROLE CURRENT_USER IN DATABASE %I SET jit = off', current_database()); \
           EXECUTE format('ALTER ROLE CURRENT_USER IN DATABASE %I SET max_parallel_workers_per_gather = 0', current_database()); \
         END $$",
    )
    .map_err(|e| anyhow::anyhow!("cannot set the role's planner settings: {e}"))
}

/// [`build_pool`], with the counter of the statements its connections run.
pub fn build_counted_pool(
    url: &str,
    size: u32,
    min_idle: u32,
    timeout: Duration,
    pooler: DbPooler,
) -> anyhow::Result<(Pool, StatementCounter)> {
    let counter = StatementCounter::default();
    let inner = r2d2::Pool::builder()
        .max_size(size)
        .min_idle(Some(min_idle.min(size)))
        .test_on_check_out(false)
        .connection_timeout(timeout)
        .build_unchecked(Manager {
            url: url.to_string(),
            statements: counter.0.clone(),
            pooler,
        });
    let gate = Arc::new(tokio::sync::Semaphore::new(2 * size as usize));
    Ok((Pool { inner, gate }, counter))
}

/// Runs `f` on a pooled connection on actix's blocking thread pool: one hop per request, all of its
/// database work inside. Lost connections are not returned to the pool.
pub async fn run<T, F>(pool: &Pool, f: F) -> AppResult<T>
where
    F: FnOnce(&mut PgConnection) -> AppResult<T> + Send + 'static,
    T: Send + 'static,
{
    let _permit = tokio::time::timeout(pool.connection_timeout(), pool.gate.acquire())
        .await
        .map_err(|_| AppError::Unavailable("timed out waiting for a database connection".into()))?
        .map_err(|e| AppError::Internal(e.into()))?;
    let pool = pool.clone();
    let span = tracing::Span::current();
    actix_web::web::block(move || {
        let _entered = span.enter();
        with_conn(&pool, f)
    })
    .await?
}

/// The synchronous core of [`run`], for jobs and commands already off the async executor.
pub fn with_conn<T>(
    pool: &Pool,
    f: impl FnOnce(&mut PgConnection) -> AppResult<T>,
) -> AppResult<T> {
    let mut conn = pool.get()?;
    let result = f(&mut conn);
    if let Err(e) = &result {
        conn.note_error(e);
    }
    result
}

/// Runs `f` in a transaction, or in the caller's when there is one already, without the
/// `SAVEPOINT`/`RELEASE` pair a nested `Connection::transaction` would add: two round trips, on a
/// reply while it holds its thread's row lock. An error from `f` must then end the caller's
/// transaction (every caller returns it), since nothing is rolled back to a savepoint.
pub fn atomic<T, E, F>(conn: &mut PgConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut PgConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    let depth = AnsiTransactionManager::transaction_manager_status_mut(conn).transaction_depth()?;
    if depth.is_some() {
        f(conn)
    } else {
        conn.transaction(f)
    }
}

/// Applies every pending migration.
pub fn migrate(conn: &mut PgConnection) -> anyhow::Result<Vec<String>> {
    let applied = conn
        .run_pending_migrations(MIGRATIONS)
        .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?;
    Ok(applied.iter().map(|v| v.to_string()).collect())
}

pub fn has_pending_migrations(conn: &mut PgConnection) -> anyhow::Result<bool> {
    conn.has_pending_migration(MIGRATIONS)
        .map_err(|e| anyhow::anyhow!("cannot read migrations: {e}"))
}

/// Masks an URL's password for logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..scheme + 3], user, &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_passwords() {
        assert_eq!(
            super::redact_url("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(super::redact_url("postgres://u@h/db"), "postgres://u@h/db");
    }
}
