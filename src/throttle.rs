//! Fixed-window counters in PostgreSQL (so that every app process sees the same counts): login
//! failures today, per-member write limits tomorrow. Core: features define their own [`Limit`]s.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text, Timestamptz};

use crate::schema::throttles;

/// At most `max_failures` within `window_secs` for one key.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub max_failures: i32,
    pub window_secs: i64,
}

/// Counts one attempt for `key` before it is made, atomically, and says whether it is within the
/// limit: of any number of concurrent attempts, exactly `max_failures` a window get through (the
/// count is taken in the same statement as the increment). `Err` holds the seconds left in the
/// window.
pub fn reserve(conn: &mut PgConnection, key: &str, limit: Limit) -> QueryResult<Result<(), u64>> {
    #[derive(QueryableByName)]
    struct Counted {
        #[diesel(sql_type = Integer)]
        failures: i32,
        #[diesel(sql_type = Timestamptz)]
        window_start: DateTime<Utc>,
    }
    let now = Utc::now();
    let c: Counted = diesel::sql_query(
        "INSERT INTO throttles (key, window_start, failures) VALUES ($1, $2, 1) \
         ON CONFLICT (key) DO UPDATE SET \
           failures = CASE WHEN throttles.window_start <= $2 - make_interval(secs => $3) \
                           THEN 1 ELSE throttles.failures + 1 END, \
           window_start = CASE WHEN throttles.window_start <= $2 - make_interval(secs => $3) \
                               THEN $2 ELSE throttles.window_start END \
         RETURNING failures, window_start",
    )
    .bind::<Text, _>(key)
    .bind::<Timestamptz, _>(now)
    .bind::<Integer, _>(limit.window_secs as i32)
    .get_result(conn)?;
    if c.failures > limit.max_failures {
        let ends = c.window_start + chrono::Duration::seconds(limit.window_secs);
        Ok(Err((ends - now).num_seconds().max(1) as u64))
    } else {
        Ok(Ok(()))
    }
}

pub fn clear(conn: &mut PgConnection, key: &str) -> QueryResult<()> {
    diesel::delete(throttles::table.find(key)).execute(conn)?;
    Ok(())
}

/// Removes counters whose window ended long ago (housekeeping): no limit's window is longer than a
/// day. Returns how many were removed.
pub fn expire(conn: &mut PgConnection) -> QueryResult<usize> {
    let cutoff = Utc::now() - chrono::Duration::days(2);
    diesel::delete(throttles::table.filter(throttles::window_start.lt(cutoff))).execute(conn)
}
