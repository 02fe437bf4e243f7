//! The job queue: transactional enqueue, exclusive claims, retries with backoff, failure after the
//! last attempt, panics survived, periodic jobs once per period.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};

use chrono::{TimeZone, Utc};
use diesel::prelude::*;
use palabre::jobs::{NewJob, Outcome, Periodic, Registry, Scheduler, enqueue};
use palabre::schema::jobs;
use serde_json::json;
use uuid::Uuid;

use crate::support::TestApp;

fn job_rows(app: &TestApp) -> Vec<(String, String, i32, Option<String>)> {
    jobs::table
        .select((jobs::kind, jobs::status, jobs::attempts, jobs::last_error))
        .order(jobs::created_at)
        .load(&mut app.conn())
        .unwrap()
}

#[test]
fn a_job_commits_or_rolls_back_with_the_write_that_caused_it() {
    let app = TestApp::spawn();
    let mut conn = app.conn();
    let _ = conn.transaction::<(), diesel::result::Error, _>(|conn| {
        enqueue(conn, NewJob::new("x", json!({}))).unwrap();
        Err(diesel::result::Error::RollbackTransaction)
    });
    assert!(
        job_rows(&app).is_empty(),
        "rolled back with its transaction"
    );
    conn.transaction::<_, diesel::result::Error, _>(|conn| {
        enqueue(conn, NewJob::new("x", json!({})))
    })
    .unwrap();
    assert_eq!(job_rows(&app).len(), 1);
    // A unique key de-duplicates.
    assert!(
        enqueue(
            &mut conn,
            NewJob::new("y", json!({})).unique_key("digest:u1:2026-W48")
        )
        .unwrap()
        .is_some()
    );
    assert!(
        enqueue(
            &mut conn,
            NewJob::new("y", json!({})).unique_key("digest:u1:2026-W48")
        )
        .unwrap()
        .is_none()
    );
}

#[test]
fn two_workers_never_run_the_same_job() {
    let app = TestApp::spawn();
    let runs: Arc<Mutex<HashMap<i64, usize>>> = Arc::default();
    let mut registry = Registry::new();
    let r = runs.clone();
    registry.register("count", move |_ctx, conn, payload| {
        // Hold the job a little inside its transaction so that the workers really overlap.
        diesel::sql_query("SELECT pg_sleep(0.002)").execute(conn)?;
        *r.lock()
            .unwrap()
            .entry(payload["n"].as_i64().unwrap())
            .or_default() += 1;
        Ok(())
    });
    {
        let mut conn = app.conn();
        for n in 0..60 {
            enqueue(&mut conn, NewJob::new("count", json!({ "n": n }))).unwrap();
        }
    }
    let barrier = Arc::new(Barrier::new(2));
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let worker = app.worker_with(registry.clone());
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                worker.run_until_idle().unwrap().len()
            })
        })
        .collect();
    let per_worker: Vec<usize> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let runs = runs.lock().unwrap();
    assert_eq!(runs.len(), 60, "every job ran");
    assert!(runs.values().all(|&n| n == 1), "no job ran twice: {runs:?}");
    assert_eq!(per_worker.iter().sum::<usize>(), 60);
    assert!(
        per_worker.iter().all(|&n| n > 0),
        "both workers took jobs: {per_worker:?}"
    );
    assert!(job_rows(&app).is_empty(), "finished jobs are removed");
}

#[test]
fn a_job_that_fails_twice_then_succeeds_runs_to_success_once() {
    let app = TestApp::spawn();
    let calls = Arc::new(AtomicUsize::new(0));
    let successes = Arc::new(AtomicUsize::new(0));
    let mut registry = Registry::new();
    let (c, s) = (calls.clone(), successes.clone());
    registry.register("flaky", move |_ctx, conn, _payload| {
        // A write that must be rolled back when the attempt fails.
        diesel::sql_query("CREATE TABLE IF NOT EXISTS flaky_marks (n int)").execute(conn)?;
        diesel::sql_query("INSERT INTO flaky_marks VALUES (1)").execute(conn)?;
        if c.fetch_add(1, Ordering::SeqCst) < 2 {
            anyhow::bail!("transient failure");
        }
        s.fetch_add(1, Ordering::SeqCst);
        Ok(())
    });
    let id = enqueue(&mut app.conn(), NewJob::new("flaky", json!({})))
        .unwrap()
        .unwrap();
    let worker = app.worker_with(registry);
    let outcomes = worker.run_until_idle().unwrap();
    assert_eq!(
        outcomes,
        vec![
            Outcome::Retrying {
                id,
                kind: "flaky".into(),
                attempt: 1
            },
            Outcome::Retrying {
                id,
                kind: "flaky".into(),
                attempt: 2
            },
            Outcome::Succeeded {
                id,
                kind: "flaky".into()
            },
        ]
    );
    assert_eq!(successes.load(Ordering::SeqCst), 1);
    assert!(
        worker.run_until_idle().unwrap().is_empty(),
        "nothing runs again"
    );
    let marks: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
        "(SELECT count(*) FROM flaky_marks)",
    ))
    .get_result(&mut app.conn())
    .unwrap();
    assert_eq!(marks, 1, "failed attempts' writes were rolled back");
}

/// Seconds between `since` and the (only) job's next run.
fn retry_delay_secs(app: &TestApp, since: chrono::DateTime<Utc>) -> i64 {
    let run_at: chrono::DateTime<Utc> = jobs::table
        .select(jobs::run_at)
        .first(&mut app.conn())
        .unwrap();
    (run_at - since).num_seconds()
}

#[test]
fn failures_back_off_exponentially() {
    let app = TestApp::spawn();
    let mut registry = Registry::new();
    registry.register("always_fails", |_, _, _| anyhow::bail!("nope"));
    enqueue(&mut app.conn(), NewJob::new("always_fails", json!({}))).unwrap();
    let worker = palabre::jobs::Worker::new(
        palabre::jobs::JobContext {
            pool: app.pool.clone(),
            settings: app.settings.clone(),
        },
        registry,
        palabre::jobs::WorkerConfig {
            max_attempts: 5,
            backoff: std::time::Duration::from_secs(60),
            max_backoff: std::time::Duration::from_secs(3600),
            poll_interval: std::time::Duration::from_millis(10),
        },
    );
    let before = Utc::now();
    assert!(matches!(
        worker.run_one().unwrap(),
        Some(Outcome::Retrying { attempt: 1, .. })
    ));
    assert_eq!(
        worker.run_one().unwrap(),
        None,
        "the retry waits for its time"
    );
    let delay = retry_delay_secs(&app, before);
    assert!(
        (59..=61).contains(&delay),
        "first retry after the base delay, got {delay}s"
    );
    // Make it due, fail again: the delay doubles.
    diesel::update(jobs::table)
        .set(jobs::run_at.eq(Utc::now()))
        .execute(&mut app.conn())
        .unwrap();
    let before = Utc::now();
    assert!(matches!(
        worker.run_one().unwrap(),
        Some(Outcome::Retrying { attempt: 2, .. })
    ));
    let delay = retry_delay_secs(&app, before);
    assert!(
        (119..=121).contains(&delay),
        "second retry after twice the delay, got {delay}s"
    );
}

#[test]
fn a_job_out_of_attempts_is_kept_as_failed_and_panics_are_survived() {
    let app = TestApp::spawn();
    let mut registry = Registry::new();
    registry.register("panics", |_ctx, conn, _| {
        // Panic inside a nested transaction: the worker must roll it back and carry on.
        conn.transaction::<(), anyhow::Error, _>(|_| panic!("boom in a job"))
    });
    registry.register("fine", |_, _, _| Ok(()));
    {
        let mut conn = app.conn();
        enqueue(&mut conn, NewJob::new("panics", json!({})).max_attempts(3)).unwrap();
        enqueue(
            &mut conn,
            NewJob::new("unknown-kind", json!({})).max_attempts(1),
        )
        .unwrap();
        enqueue(&mut conn, NewJob::new("fine", json!({}))).unwrap();
    }
    let worker = app.worker_with(registry);
    let outcomes = worker.run_until_idle().unwrap();
    let failed: Vec<_> = outcomes
        .iter()
        .filter(|o| matches!(o, Outcome::Failed { .. }))
        .collect();
    assert_eq!(failed.len(), 2, "{outcomes:?}");
    assert!(
        outcomes
            .iter()
            .any(|o| matches!(o, Outcome::Succeeded { kind, .. } if kind == "fine"))
    );
    let rows = job_rows(&app);
    assert_eq!(rows.len(), 2);
    let panicked = rows.iter().find(|r| r.0 == "panics").unwrap();
    assert_eq!((panicked.1.as_str(), panicked.2), ("failed", 3));
    assert!(panicked.3.as_deref().unwrap().contains("boom in a job"));
    let unknown = rows.iter().find(|r| r.0 == "unknown-kind").unwrap();
    assert_eq!(unknown.1, "failed");
    // The worker still works after the panics.
    enqueue(&mut app.conn(), NewJob::new("fine", json!({}))).unwrap();
    assert_eq!(worker.run_until_idle().unwrap().len(), 1);
}

#[test]
fn a_periodic_job_is_enqueued_once_per_period_by_two_schedulers() {
    let app = TestApp::spawn();
    let periodic = vec![Periodic::new(
        "hourly_thing",
        std::time::Duration::from_secs(3600),
        "hourly",
        json!({}),
    )];
    let at = Utc.with_ymd_and_hms(2026, 11, 29, 10, 5, 0).unwrap();
    let barrier = Arc::new(Barrier::new(2));
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let scheduler = Scheduler::new(periodic.clone());
            let pool = app.pool.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let mut conn = pool.get().unwrap();
                barrier.wait();
                let mut total = 0;
                // Both tick several times within the same period.
                for minute in [5, 20, 59] {
                    let now = Utc.with_ymd_and_hms(2026, 11, 29, 10, minute, 0).unwrap();
                    total += scheduler.tick(&mut conn, now).unwrap().len();
                }
                total
            })
        })
        .collect();
    let total: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(
        total, 1,
        "one enqueue for the period across both schedulers"
    );
    let count = |app: &TestApp| -> i64 {
        jobs::table
            .filter(jobs::kind.eq("hourly"))
            .count()
            .get_result(&mut app.conn())
            .unwrap()
    };
    assert_eq!(count(&app), 1);
    // The next period gets its own run.
    let scheduler = Scheduler::new(periodic);
    let next = at + chrono::Duration::hours(1);
    assert_eq!(
        scheduler.tick(&mut app.conn(), next).unwrap(),
        vec!["hourly_thing".to_string()]
    );
    assert!(scheduler.tick(&mut app.conn(), next).unwrap().is_empty());
    assert_eq!(count(&app), 2);
}

#[test]
fn spawned_worker_threads_run_jobs_and_stop_cleanly() {
    let app = TestApp::spawn();
    let (tx, rx) = std::sync::mpsc::channel::<Uuid>();
    let tx = Arc::new(Mutex::new(tx));
    let mut registry = Registry::new();
    registry.register("signal", move |_, _, payload| {
        tx.lock()
            .unwrap()
            .send(payload["id"].as_str().unwrap().parse()?)?;
        Ok(())
    });
    let handle = app
        .worker_with(registry)
        .spawn(2, Some(Scheduler::new(vec![])));
    let id = Uuid::now_v7();
    enqueue(&mut app.conn(), NewJob::new("signal", json!({ "id": id }))).unwrap();
    let got = rx
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("a worker thread ran the job");
    assert_eq!(got, id);
    handle.stop();
}
