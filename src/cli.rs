//! The command line: `serve`, `worker`, `migrate`, `openapi`, `admin create-user`.

use std::sync::Arc;

use clap::{Parser, Subcommand};

use crate::accounts::{self, NewUser, Role};
use crate::app::Application;
use crate::config::Settings;
use crate::db::{self, Pool, embedded::LocalPostgres};
use crate::jobs::{JobContext, Worker, WorkerConfig};
use crate::mail::Mailer;

#[derive(Parser, Debug)]
#[command(
    name = "palabre",
    version,
    about = "Forum and discussion backend for open-data communities"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the HTTP API (with an in-process job worker unless --no-worker).
    Serve {
        /// Do not run background jobs in this process (run `palabre worker` separately).
        #[arg(long)]
        no_worker: bool,
    },
    /// Run background jobs (email delivery, periodic jobs) until stopped.
    Worker,
    /// Apply pending database migrations.
    Migrate,
    /// Print the OpenAPI document.
    Openapi,
    /// Fill an empty database (`--profile demo`: a small French community to look around).
    Seed {
        #[arg(long, value_enum, default_value = "demo")]
        profile: crate::seed::Profile,
        /// Size of the bench data set (1 = 20,000 members, 1,000,000 posts; 0.01 for quick runs).
        #[arg(long, default_value_t = 1.0)]
        scale: f64,
        /// Seed of the bench data set's random choices (same seed, same data).
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Check that stored counters, rendered HTML and numbering agree with the rows.
    Check,
    /// Administration commands.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Email digests: preview one, run the due ones now, read an unsubscribe message.
    Digest {
        #[command(subcommand)]
        command: DigestCommand,
    },
    /// Outgoing mail whose delivery failed for good.
    Mail {
        #[command(subcommand)]
        command: MailCommand,
    },
}

#[derive(Subcommand, Debug)]
pub enum MailCommand {
    /// List the messages whose every delivery attempt failed (oldest first).
    Failed,
    /// Queue every failed message again, with all its attempts.
    Retry,
}

#[derive(Subcommand, Debug)]
pub enum DigestCommand {
    /// Print a member's next digest as it would be sent now.
    Preview {
        /// The member's username.
        #[arg(long)]
        user: String,
        #[arg(long, value_enum, default_value = "text")]
        format: PreviewFormatArg,
    },
    /// Claim the recipients due now and compose their digests at once (the worker sends them);
    /// `--dry-run` lists who is due and what their digest would hold, and changes nothing.
    Run {
        #[arg(long)]
        dry_run: bool,
        /// As if it were this instant (RFC 3339), instead of now: a benchmark on a past data set,
        /// or a slot to replay.
        #[arg(long)]
        at: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// Read a message sent to the unsubscribe address (`PALABRE_UNSUBSCRIBE_MAILTO`) on standard
    /// input and stop the digest its token names (point the mailbox at this command).
    Unsubscribe,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum PreviewFormatArg {
    Text,
    Html,
    Json,
}

#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Create a verified account.
    CreateUser {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
        /// The password (or set PALABRE_ADMIN_PASSWORD to keep it out of the shell history).
        #[arg(long, env = "PALABRE_ADMIN_PASSWORD", hide_env_values = true)]
        password: String,
        #[arg(long, value_enum, default_value = "member")]
        role: Role,
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long, default_value = "fr")]
        locale: String,
    },
}

/// Parses arguments and runs; returns the process exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    let _ = dotenvy::dotenv();
    if let Command::Openapi = cli.command {
        print!("{}", crate::openapi::to_pretty_json());
        return 0;
    }
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    crate::telemetry::init(&settings);
    match run(cli.command, settings) {
        Ok(()) => 0,
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "palabre stopped with an error");
            eprintln!("error: {e:#}");
            1
        }
    }
}

/// The database this process uses: `DATABASE_URL`, or the embedded cluster (started if needed).
pub struct Database {
    pub url: String,
    pub local: Option<LocalPostgres>,
}

impl Database {
    pub fn open(settings: &Settings) -> anyhow::Result<Self> {
        match &settings.database_url {
            Some(url) => {
                tracing::info!(url = %db::redact_url(url.expose()), "using DATABASE_URL");
                Ok(Self {
                    url: url.expose().to_string(),
                    local: None,
                })
            }
            None => {
                let local = LocalPostgres::start(
                    &settings.data_dir.join("postgres"),
                    &db::embedded::Options {
                        bindir: settings.pg_bindir.clone(),
                        ephemeral: false,
                    },
                )?;
                Ok(Self {
                    url: local.url(),
                    local: Some(local),
                })
            }
        }
    }

    /// A pool on this database, with migrations applied.
    pub fn migrated_pool(&self, settings: &Settings) -> anyhow::Result<Pool> {
        let pool = db::build_pool(
            &self.url,
            settings.db_pool_size,
            2,
            settings.db_connect_timeout,
            settings.db_pooler,
        )?;
        let mut conn = pool
            .get()
            .map_err(|e| anyhow::anyhow!("cannot connect to the database: {e}"))?;
        let applied = db::migrate(&mut conn)?;
        if settings.db_pooler == db::DbPooler::Transaction {
            db::role_settings(&mut conn)?;
        }
        if !applied.is_empty() {
            tracing::info!(?applied, "migrations applied");
        }
        crate::app::check_settings(&mut conn, settings)?;
        Ok(pool)
    }
}

fn worker_for(pool: &Pool, settings: &Arc<Settings>, mailer: &Mailer) -> Worker {
    Worker::new(
        JobContext {
            pool: pool.clone(),
            settings: settings.clone(),
        },
        crate::app::job_registry(mailer),
        WorkerConfig::from_settings(settings),
    )
}

fn run(command: Command, settings: Settings) -> anyhow::Result<()> {
    let settings = Arc::new(settings);
    match command {
        Command::Openapi => unreachable!("handled before configuration"),
        Command::Migrate => {
            let database = Database::open(&settings)?;
            let pool = db::build_pool(
                &database.url,
                1,
                0,
                settings.db_connect_timeout,
                settings.db_pooler,
            )?;
            let mut conn = pool
                .get()
                .map_err(|e| anyhow::anyhow!("cannot connect to the database: {e}"))?;
            let applied = db::migrate(&mut conn)?;
            if settings.db_pooler == db::DbPooler::Transaction {
                db::role_settings(&mut conn)?;
                println!("role settings for a transaction-mode pooler applied");
            }
            println!("{} migration(s) applied", applied.len());
            for v in applied {
                println!("  {v}");
            }
            Ok(())
        }
        Command::Digest { command } => {
            let database = Database::open(&settings)?;
            let pool = database.migrated_pool(&settings)?;
            digest_command(&pool, &settings, command)
        }
        Command::Mail { command } => {
            let database = Database::open(&settings)?;
            let pool = database.migrated_pool(&settings)?;
            match command {
                MailCommand::Failed => {
                    let failed = db::with_conn(&pool, |conn| Ok(crate::mail::failed(conn)?))?;
                    for m in &failed {
                        println!(
                            "{}\t{}\t{}\t{} attempts\t{}\t{}",
                            m.outbox_id,
                            m.failed_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
                            m.to_address,
                            m.attempts,
                            m.subject,
                            m.last_error.as_deref().unwrap_or_default()
                        );
                    }
                    eprintln!("{} failed message(s)", failed.len());
                }
                MailCommand::Retry => {
                    let n = db::with_conn(&pool, |conn| Ok(crate::mail::retry_failed(conn)?))?;
                    println!("{n} message(s) queued again");
                }
            }
            Ok(())
        }
        Command::Admin {
            command:
                AdminCommand::CreateUser {
                    username,
                    email,
                    password,
                    role,
                    display_name,
                    locale,
                },
        } => {
            let database = Database::open(&settings)?;
            let pool = database.migrated_pool(&settings)?;
            let user = db::with_conn(&pool, |conn| {
                accounts::models::create_user(
                    conn,
                    NewUser {
                        username,
                        email,
                        display_name,
                        password,
                        role,
                        locale,
                        verified: true,
                    },
                )
            })
            .map_err(|e| match e {
                crate::error::AppError::Validation(errors) => anyhow::anyhow!(
                    "{}",
                    errors
                        .iter()
                        .map(|f| format!("{}: {}", f.field, f.message))
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
                other => anyhow::anyhow!(
                    "{}",
                    other.problem().detail.unwrap_or_else(|| other.to_string())
                ),
            })?;
            println!(
                "created {} ({}) with role {}",
                user.username, user.id, user.role
            );
            Ok(())
        }
        Command::Seed {
            profile,
            scale,
            seed,
        } => {
            let database = Database::open(&settings)?;
            let pool = database.migrated_pool(&settings)?;
            let summary = crate::seed::run(&pool, &settings, profile, scale, seed)?;
            println!("{summary}");
            Ok(())
        }
        Command::Check => {
            let database = Database::open(&settings)?;
            let pool = database.migrated_pool(&settings)?;
            let mut conn = pool
                .get()
                .map_err(|e| anyhow::anyhow!("cannot connect: {e}"))?;
            let problems = crate::seed::check::run(&mut conn)?;
            if problems.is_empty() {
                println!("consistent: counters, numbering and rendered HTML agree with the rows");
                Ok(())
            } else {
                for p in &problems {
                    println!("inconsistent: {p}");
                }
                anyhow::bail!("{} inconsistencies", problems.len())
            }
        }
        Command::Worker => {
            let database = Database::open(&settings)?;
            let pool = database.migrated_pool(&settings)?;
            let mailer = Mailer::from_settings(&settings)?;
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let shutdown = rt.block_on(async { ShutdownSignal::listen() })?;
            tracing::info!(mail = %mailer.describe(), threads = settings.job_workers, "worker started");
            let handle = worker_for(&pool, &settings, &mailer)
                .spawn(settings.job_workers.max(1), Some(crate::app::scheduler()));
            rt.block_on(shutdown.recv());
            tracing::info!("stopping the worker");
            handle.stop();
            drop(pool);
            drop(database);
            Ok(())
        }
        Command::Serve { no_worker } => {
            let database = Database::open(&settings)?;
            let pool = database.migrated_pool(&settings)?;
            let mailer = Mailer::from_settings(&settings)?;
            let worker = (!no_worker).then(|| {
                tracing::info!(mail = %mailer.describe(), threads = settings.job_workers, "in-process worker started");
                worker_for(&pool, &settings, &mailer).spawn(settings.job_workers, Some(crate::app::scheduler()))
            });
            let state =
                crate::app::state(pool.clone(), settings.clone())?.with_read_cache(&database.url);
            let result = actix_web::rt::System::new().block_on(async move {
                let shutdown = ShutdownSignal::listen()?;
                let app = Application::build(state)?;
                let server = app.handle();
                actix_web::rt::spawn(async move {
                    shutdown.recv().await;
                    // Graceful: in-flight requests finish (up to the shutdown timeout).
                    server.stop(true).await;
                });
                tracing::info!(addr = %app.addr(), "palabre listening");
                app.run().await?;
                anyhow::Ok(())
            });
            tracing::info!("HTTP server stopped");
            if let Some(w) = worker {
                w.stop();
                tracing::info!("worker stopped");
            }
            drop(pool);
            drop(database);
            result
        }
    }
}

fn digest_command(pool: &Pool, settings: &Settings, command: DigestCommand) -> anyhow::Result<()> {
    use crate::digests::{compose, render, subscribers, token::Recipient};
    let secret = settings.resolve_jwt_secret()?;
    let secret = secret.expose();
    let mut pooled = pool
        .get()
        .map_err(|e| anyhow::anyhow!("cannot connect: {e}"))?;
    let conn: &mut diesel::PgConnection = &mut pooled;
    let now = chrono::Utc::now();
    match command {
        DigestCommand::Preview { user, format } => {
            use crate::schema::users;
            use diesel::prelude::*;
            let id: uuid::Uuid = users::table
                .filter(users::username.eq(&user))
                .select(users::id)
                .first(conn)
                .optional()?
                .ok_or_else(|| anyhow::anyhow!("no member is called {user}"))?;
            let (_, digest) = compose::preview(conn, settings, secret, Recipient::Member(id), now)?
                .ok_or_else(|| anyhow::anyhow!("no digest goes to {user}: address not verified"))?;
            match format {
                PreviewFormatArg::Json => println!("{}", serde_json::to_string_pretty(&digest)?),
                PreviewFormatArg::Html => print!("{}", render::render(&digest)?.html),
                PreviewFormatArg::Text => {
                    let m = render::render(&digest)?;
                    println!("Subject: {}\n\n{}", m.subject, m.text);
                }
            }
            if digest.is_empty() {
                eprintln!("nothing to say: no email would be sent");
            }
            Ok(())
        }
        DigestCommand::Run { dry_run: true, at } => {
            let now = at.unwrap_or(now);
            let due = compose::due_now(conn, now)?;
            for (recipient, period, slot) in &due {
                let targets = crate::digests::content::targets(conn, &[(*recipient, *slot)], true)?;
                let digests = crate::digests::content::compose(conn, settings, secret, &targets)?;
                let what = match digests.first() {
                    Some(d) if d.is_empty() => "nothing to say".to_string(),
                    Some(d) => format!("{} item(s): {}", d.items(), d.subject),
                    None => "cannot receive".to_string(),
                };
                println!("{}\t{}\t{period}\t{what}", recipient.kind(), recipient.id());
            }
            eprintln!("{} recipient(s) due; nothing was changed", due.len());
            Ok(())
        }
        DigestCommand::Run { dry_run: false, at } => {
            let now = at.unwrap_or(now);
            let d = compose::dispatch(conn, settings, now)?;
            let c = compose::compose_due(pool, settings, secret, settings.job_workers)?;
            println!(
                "{} recipient(s) due; {} digest(s) queued for delivery, {} with nothing to say",
                d.recipients, c.sent, c.empty
            );
            Ok(())
        }
        DigestCommand::Unsubscribe => {
            use std::io::Read;
            let mut raw = Vec::new();
            std::io::stdin().read_to_end(&mut raw)?;
            match subscribers::token_in_message(secret, &raw) {
                Some(recipient) => {
                    subscribers::unsubscribe(conn, recipient, None)
                        .map_err(|e| anyhow::anyhow!("{e}"))?;
                    println!("unsubscribed {} {}", recipient.kind(), recipient.id());
                    Ok(())
                }
                None => anyhow::bail!("no valid unsubscribe token in the message"),
            }
        }
    }
}

/// SIGTERM and SIGINT, caught from the moment this is made. Made before a process says it is
/// listening or started, so that a signal sent right after that line stops it gracefully: before,
/// the signal's default action would kill it, leaving the embedded PostgreSQL behind (a test that
/// stopped `serve` just after it started saw it once). Must be made inside a Tokio runtime.
struct ShutdownSignal {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl ShutdownSignal {
    fn listen() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
        })
    }

    async fn recv(mut self) {
        tokio::select! {
            _ = self.term.recv() => {},
            _ = self.int.recv() => {},
        }
    }
}
