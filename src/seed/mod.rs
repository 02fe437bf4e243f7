//! `palabre seed --profile …`: fills an empty database. `demo` is a small, realistic French community
//! so that a newcomer sees a living forum; later profiles (bench) sit beside it.

pub mod bench;
pub mod bench_challenges;
pub mod check;
pub mod demo;
pub mod demo_challenges;
pub mod demo_communs;

use diesel::prelude::*;

use crate::config::Settings;
use crate::db::Pool;
use crate::error::AppError;
use crate::schema::{categories, challenges, threads};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Profile {
    /// A small French community: categories, members, threads, replies, reactions.
    Demo,
    /// The load-benchmark data set (scale 1: 20,000 members, 100,000 threads, 1,000,000 posts,
    /// 10,000 challenges); what is absent is loaded (the challenges into an existing forum).
    Bench,
}

/// Refuses to run on a database that already has threads or categories (but the challenges' own,
/// which a migration makes).
pub fn ensure_empty(conn: &mut PgConnection, settings: &Settings) -> anyhow::Result<()> {
    let cats: i64 = categories::table
        .filter(categories::slug.ne(&settings.challenges_category))
        .count()
        .get_result(conn)?;
    let ths: i64 = threads::table.count().get_result(conn)?;
    if cats > 0 || ths > 0 {
        anyhow::bail!(
            "the database already has content ({cats} categories, {ths} threads): seed fills an empty database only"
        );
    }
    Ok(())
}

pub fn run(
    pool: &Pool,
    settings: &Settings,
    profile: Profile,
    scale: f64,
    seed: u64,
) -> anyhow::Result<String> {
    let mut conn = pool
        .get()
        .map_err(|e| anyhow::anyhow!("cannot connect: {e}"))?;
    let result = match profile {
        Profile::Demo => {
            ensure_empty(&mut conn, settings)?;
            demo::seed(&mut conn, settings)
        }
        Profile::Bench => {
            if !(scale > 0.0 && scale <= 10.0) {
                anyhow::bail!("--scale must be above 0 and at most 10");
            }
            // Bulk loading: PostgreSQL's defaults (parallel workers, custom plans) suit it better
            // than the pool's settings for short requests.
            diesel::connection::SimpleConnection::batch_execute(&mut **conn, "RESET ALL")?;
            let mut done = Vec::new();
            let forum: i64 = threads::table.count().get_result(&mut **conn)?;
            if forum == 0 {
                ensure_empty(&mut conn, settings)?;
                let hash = crate::accounts::password::hash(bench::PASSWORD)?;
                done.push(bench::seed(&mut conn, scale, seed, &hash)?);
            }
            let had: i64 = challenges::table.count().get_result(&mut **conn)?;
            if had == 0 {
                done.push(bench_challenges::seed(
                    &mut conn,
                    scale,
                    seed,
                    &settings.challenges_category,
                )?);
                diesel::connection::SimpleConnection::batch_execute(&mut **conn, "ANALYZE")?;
            }
            if done.is_empty() {
                anyhow::bail!("the bench data set is already loaded");
            }
            Ok(done.join("\n"))
        }
    };
    result.map_err(|e| match e {
        AppError::Validation(v) => anyhow::anyhow!("seed content refused: {v:?}"),
        other => anyhow::anyhow!("{other:#}"),
    })
}
