//! Typed settings, parsed once at start-up from the environment (and `.env` in development).
//!
//! Every variable is documented in `.env.example` and the README. A bad value stops start-up with an
//! error that names the variable.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A configuration error: which variable, and what is wrong with its value.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {var}: {message}")]
pub struct ConfigError {
    pub var: String,
    pub message: String,
}

impl ConfigError {
    fn new(var: &str, message: impl Into<String>) -> Self {
        Self {
            var: var.to_string(),
            message: message.into(),
        }
    }
}

/// A secret setting (a key, or a URL holding a password): `Debug` prints `[redacted]`, so that
/// settings can be logged or printed whole; [`Secret::expose`] is the one way to read it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// `PALABRE_DB_POOLER`: what stands between palabre and PostgreSQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DbPooler {
    /// Nothing, or a pooler in session mode: each pooled connection keeps its session settings and
    /// its named prepared statements.
    #[default]
    None,
    /// A pooler in transaction mode (PgBouncer `pool_mode = transaction`): no session state at
    /// all; the planner settings are the role's (`palabre migrate` sets them).
    Transaction,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// JSON when stdout is not a terminal, human-readable otherwise.
    Auto,
    Json,
    Pretty,
}

#[derive(Debug, Clone)]
pub struct Settings {
    /// `DATABASE_URL`; `None` means the embedded cluster under `data_dir/postgres`.
    pub database_url: Option<Secret>,
    pub data_dir: PathBuf,
    pub bind: SocketAddr,
    /// `PALABRE_METRICS_BIND`: where `/metrics` is served, apart from the API (`None`: off).
    pub metrics_bind: Option<SocketAddr>,
    pub public_url: String,
    pub frontend_url: String,
    pub cors_origins: Vec<String>,
    /// `None`: generated once and kept in `data_dir/jwt_secret`.
    pub jwt_secret: Option<Secret>,
    pub smtp_url: Option<Secret>,
    pub mail_from: String,
    pub log: String,
    pub log_format: LogFormat,
    pub rate_limits: bool,
    pub approve_first_posts: u32,
    /// Moderation limits (`PALABRE_FLAG_HIDE_THRESHOLD`, `PALABRE_FLAGS_PER_DAY`,
    /// `PALABRE_POSTS_PER_MINUTE`, `PALABRE_THREADS_PER_DAY`, and the tighter ones of new members).
    pub moderation: ModerationLimits,
    pub db_pool_size: u32,
    pub db_connect_timeout: Duration,
    pub http_workers: usize,
    pub job_workers: usize,
    pub job_max_attempts: i32,
    pub job_backoff: Duration,
    /// The longest wait between two attempts of a failing job.
    pub job_max_backoff: Duration,
    pub json_body_limit: usize,
    /// Where the embedded cluster looks for `initdb` and `postgres` (`PALABRE_PG_BINDIR`).
    pub pg_bindir: Option<PathBuf>,
    /// The slug of the category where challenges' threads open (`PALABRE_CHALLENGES_CATEGORY`).
    pub challenges_category: String,
    /// `PALABRE_UNSUBSCRIBE_MAILTO`: the address of digests' `List-Unsubscribe: <mailto:…>`
    /// (default: the address of `PALABRE_MAIL_FROM`). Messages to it are read by
    /// `palabre digest unsubscribe`.
    pub unsubscribe_mailto: String,
    /// `PALABRE_DIGEST_BATCH`: recipients composed by one digest job.
    pub digest_batch: u32,
    /// `PALABRE_OPEN_DATA_LICENCE`: the licence of the open-data exports (an identifier of
    /// `src/communs/licences.txt`; default `etalab-2.0`, the Licence Ouverte 2.0).
    pub open_data_licence: String,
    /// `PALABRE_OPEN_DATA_LICENCE_URL`: its text (default: known for `etalab-2.0`, `ODbL-1.0`,
    /// else the SPDX page of the identifier).
    pub open_data_licence_url: Option<String>,
    /// `PALABRE_WEBHOOKS_ALLOW_PRIVATE=1`: webhooks may reach loopback, private and link-local
    /// addresses, over plain `http` too (local development and tests only).
    pub webhooks_allow_private: bool,
    /// `PALABRE_READ_CACHE` (`on`, `off`): hot anonymous reads from memory, invalidated by
    /// `LISTEN`/`NOTIFY` (`http::cache`).
    pub read_cache: bool,
    /// `PALABRE_READ_CACHE_MB`: the bodies it may hold (default 64).
    pub read_cache_mb: u64,
    /// `PALABRE_LISTEN_DATABASE_URL`: the direct connection the read cache listens on (default:
    /// the database's URL; set it when `DATABASE_URL` goes through a transaction-mode pooler).
    pub listen_database_url: Option<Secret>,
    /// `PALABRE_DB_POOLER` (`none`, `session`, `transaction`).
    pub db_pooler: DbPooler,
    /// `PALABRE_SEARCH_CONCURRENCY`: searches run at once (default: a quarter of the pool, at least
    /// 1: on 2 cores, two searches at once took both from the thread reads, BENCHMARKS.md);
    /// others wait their turn without holding a connection.
    pub search_concurrency: u32,
    /// `PALABRE_SHARED_CACHE_SECONDS`: the `s-maxage` of anonymous reads, how long a reverse proxy
    /// or CDN may serve them before revalidating (default 5; 0: revalidate every time).
    pub shared_cache_seconds: u32,
}

fn cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
}

/// Moderation's thresholds and per-member write limits (fixed windows, counted in PostgreSQL).
#[derive(Debug, Clone)]
pub struct ModerationLimits {
    /// Flags from distinct members that hide a target pending review.
    pub flag_hide_threshold: u32,
    pub flags_per_day: u32,
    pub posts_per_minute: u32,
    pub threads_per_day: u32,
    pub new_member_posts_per_minute: u32,
    pub new_member_threads_per_day: u32,
    /// A member is new for this many days after registering, or until their third published post.
    pub new_member_days: u32,
    /// Anonymous writes (registrations, verifications, password resets) per client address and hour,
    /// each kind counted apart.
    pub anonymous_per_hour: u32,
}

impl Settings {
    /// Reads the process environment. Call `dotenvy::dotenv()` first to honour `.env`.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Parses settings from any key → value lookup (used by tests, never touching the real environment).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |k: &str| get(k).filter(|v| !v.trim().is_empty());

        let database_url = match get("DATABASE_URL") {
            Some(url) => {
                if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                    return Err(ConfigError::new(
                        "DATABASE_URL",
                        "must start with postgres:// or postgresql://",
                    ));
                }
                Some(Secret::new(url))
            }
            None => None,
        };
        let data_dir = PathBuf::from(get("PALABRE_DATA_DIR").unwrap_or_else(|| "./data".into()));
        let bind: SocketAddr = parse(
            "PALABRE_BIND",
            get("PALABRE_BIND"),
            "127.0.0.1:8080".parse().unwrap(),
        )?;
        let metrics_bind = match get("PALABRE_METRICS_BIND") {
            None => None,
            Some(v) if v.trim() == "off" => None,
            Some(v) => Some(parse::<SocketAddr>(
                "PALABRE_METRICS_BIND",
                Some(v),
                "127.0.0.1:9464".parse().unwrap(),
            )?),
        };
        let public_url = match get("PALABRE_PUBLIC_URL") {
            Some(u) => url_setting("PALABRE_PUBLIC_URL", &u)?,
            None => format!("http://{bind}"),
        };
        let frontend_url = match get("PALABRE_FRONTEND_URL") {
            Some(u) => url_setting("PALABRE_FRONTEND_URL", &u)?,
            None => public_url.clone(),
        };
        let cors_origins = match get("PALABRE_CORS_ORIGINS") {
            Some(list) => list
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|o| url_setting("PALABRE_CORS_ORIGINS", o))
                .collect::<Result<Vec<_>, _>>()?,
            None => Vec::new(),
        };
        let jwt_secret = match get("PALABRE_JWT_SECRET") {
            Some(s) if s.len() < 32 => {
                return Err(ConfigError::new(
                    "PALABRE_JWT_SECRET",
                    "must be at least 32 characters long",
                ));
            }
            other => other.map(Secret::new),
        };
        let smtp_url = match get("PALABRE_SMTP_URL") {
            Some(u) if u.starts_with("smtp://") || u.starts_with("smtps://") => {
                Some(Secret::new(u))
            }
            Some(_) => {
                return Err(ConfigError::new(
                    "PALABRE_SMTP_URL",
                    "must start with smtp:// or smtps://",
                ));
            }
            None => None,
        };
        let mail_from =
            get("PALABRE_MAIL_FROM").unwrap_or_else(|| "palabre <noreply@localhost>".into());
        if mail_from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(ConfigError::new(
                "PALABRE_MAIL_FROM",
                "must be an address such as `palabre <noreply@example.org>`",
            ));
        }
        let unsubscribe_mailto = match get("PALABRE_UNSUBSCRIBE_MAILTO") {
            Some(a) => match a.parse::<lettre::Address>() {
                Ok(a) => a.to_string(),
                Err(_) => {
                    return Err(ConfigError::new(
                        "PALABRE_UNSUBSCRIBE_MAILTO",
                        "must be an address such as `unsubscribe@example.org`",
                    ));
                }
            },
            None => mail_from
                .parse::<lettre::message::Mailbox>()
                .map(|m| m.email.to_string())
                .unwrap_or_default(),
        };
        let log = get("PALABRE_LOG").unwrap_or_else(|| "info".into());
        if tracing_subscriber::EnvFilter::try_new(&log).is_err() {
            return Err(ConfigError::new(
                "PALABRE_LOG",
                "is not a valid tracing filter",
            ));
        }
        let log_format = match get("PALABRE_LOG_FORMAT").as_deref() {
            None | Some("auto") => LogFormat::Auto,
            Some("json") => LogFormat::Json,
            Some("pretty") => LogFormat::Pretty,
            Some(_) => {
                return Err(ConfigError::new(
                    "PALABRE_LOG_FORMAT",
                    "must be auto, json or pretty",
                ));
            }
        };
        let rate_limits = match get("PALABRE_RATE_LIMITS").as_deref() {
            None | Some("on") => true,
            Some("off") => false,
            Some(_) => return Err(ConfigError::new("PALABRE_RATE_LIMITS", "must be on or off")),
        };
        let approve_first_posts = parse(
            "PALABRE_APPROVE_FIRST_POSTS",
            get("PALABRE_APPROVE_FIRST_POSTS"),
            1u32,
        )?;
        let moderation = ModerationLimits {
            flag_hide_threshold: parse(
                "PALABRE_FLAG_HIDE_THRESHOLD",
                get("PALABRE_FLAG_HIDE_THRESHOLD"),
                3u32,
            )?,
            flags_per_day: parse("PALABRE_FLAGS_PER_DAY", get("PALABRE_FLAGS_PER_DAY"), 20u32)?,
            posts_per_minute: parse(
                "PALABRE_POSTS_PER_MINUTE",
                get("PALABRE_POSTS_PER_MINUTE"),
                6u32,
            )?,
            threads_per_day: parse(
                "PALABRE_THREADS_PER_DAY",
                get("PALABRE_THREADS_PER_DAY"),
                20u32,
            )?,
            new_member_posts_per_minute: parse(
                "PALABRE_NEW_MEMBER_POSTS_PER_MINUTE",
                get("PALABRE_NEW_MEMBER_POSTS_PER_MINUTE"),
                2u32,
            )?,
            new_member_threads_per_day: parse(
                "PALABRE_NEW_MEMBER_THREADS_PER_DAY",
                get("PALABRE_NEW_MEMBER_THREADS_PER_DAY"),
                3u32,
            )?,
            new_member_days: parse(
                "PALABRE_NEW_MEMBER_DAYS",
                get("PALABRE_NEW_MEMBER_DAYS"),
                7u32,
            )?,
            anonymous_per_hour: parse(
                "PALABRE_ANONYMOUS_PER_HOUR",
                get("PALABRE_ANONYMOUS_PER_HOUR"),
                30u32,
            )?,
        };
        for (name, value) in [
            (
                "PALABRE_FLAG_HIDE_THRESHOLD",
                moderation.flag_hide_threshold,
            ),
            ("PALABRE_FLAGS_PER_DAY", moderation.flags_per_day),
            ("PALABRE_POSTS_PER_MINUTE", moderation.posts_per_minute),
            ("PALABRE_THREADS_PER_DAY", moderation.threads_per_day),
            (
                "PALABRE_NEW_MEMBER_POSTS_PER_MINUTE",
                moderation.new_member_posts_per_minute,
            ),
            (
                "PALABRE_NEW_MEMBER_THREADS_PER_DAY",
                moderation.new_member_threads_per_day,
            ),
            ("PALABRE_ANONYMOUS_PER_HOUR", moderation.anonymous_per_hour),
        ] {
            if value == 0 {
                return Err(ConfigError::new(name, "must be at least 1"));
            }
        }
        let db_pool_size: u32 = parse(
            "PALABRE_DB_POOL_SIZE",
            get("PALABRE_DB_POOL_SIZE"),
            (cores() as u32 * 2).max(4),
        )?;
        if db_pool_size == 0 {
            return Err(ConfigError::new(
                "PALABRE_DB_POOL_SIZE",
                "must be at least 1",
            ));
        }
        let db_connect_timeout = Duration::from_secs(
            parse(
                "PALABRE_DB_TIMEOUT_SECONDS",
                get("PALABRE_DB_TIMEOUT_SECONDS"),
                5u64,
            )?
            .max(1),
        );
        let http_workers: usize =
            parse("PALABRE_HTTP_WORKERS", get("PALABRE_HTTP_WORKERS"), cores())?;
        if http_workers == 0 {
            return Err(ConfigError::new(
                "PALABRE_HTTP_WORKERS",
                "must be at least 1",
            ));
        }
        let job_workers: usize = parse("PALABRE_JOB_WORKERS", get("PALABRE_JOB_WORKERS"), 2)?;
        let job_max_attempts: i32 = parse(
            "PALABRE_JOB_MAX_ATTEMPTS",
            get("PALABRE_JOB_MAX_ATTEMPTS"),
            8,
        )?;
        if job_max_attempts < 1 {
            return Err(ConfigError::new(
                "PALABRE_JOB_MAX_ATTEMPTS",
                "must be at least 1",
            ));
        }
        let job_backoff = Duration::from_secs(parse(
            "PALABRE_JOB_BACKOFF_SECONDS",
            get("PALABRE_JOB_BACKOFF_SECONDS"),
            10u64,
        )?);
        let job_max_backoff = Duration::from_secs(parse(
            "PALABRE_JOB_MAX_BACKOFF_SECONDS",
            get("PALABRE_JOB_MAX_BACKOFF_SECONDS"),
            900u64,
        )?);
        if job_max_backoff < job_backoff || job_max_backoff.is_zero() {
            return Err(ConfigError::new(
                "PALABRE_JOB_MAX_BACKOFF_SECONDS",
                "must be at least 1 and at least PALABRE_JOB_BACKOFF_SECONDS",
            ));
        }
        let json_body_limit: usize = parse(
            "PALABRE_BODY_LIMIT_BYTES",
            get("PALABRE_BODY_LIMIT_BYTES"),
            256 * 1024,
        )?;
        let pg_bindir = get("PALABRE_PG_BINDIR").map(PathBuf::from);
        let challenges_category =
            get("PALABRE_CHALLENGES_CATEGORY").unwrap_or_else(|| "defis".into());
        if crate::input::Slug::parse(&challenges_category, 50).is_err() {
            return Err(ConfigError::new(
                "PALABRE_CHALLENGES_CATEGORY",
                "must be a category slug (lower-case letters and digits joined by `-`)",
            ));
        }
        let digest_batch: u32 = parse("PALABRE_DIGEST_BATCH", get("PALABRE_DIGEST_BATCH"), 500u32)?;
        if !(1..=5000).contains(&digest_batch) {
            return Err(ConfigError::new(
                "PALABRE_DIGEST_BATCH",
                "must be between 1 and 5000",
            ));
        }
        let open_data_licence =
            get("PALABRE_OPEN_DATA_LICENCE").unwrap_or_else(|| "etalab-2.0".into());
        if open_data_licence.len() > 64
            || !open_data_licence
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-.+".contains(c))
        {
            return Err(ConfigError::new(
                "PALABRE_OPEN_DATA_LICENCE",
                "must be a licence identifier such as `etalab-2.0` or `ODbL-1.0`",
            ));
        }
        let open_data_licence_url = get("PALABRE_OPEN_DATA_LICENCE_URL");
        if open_data_licence_url
            .as_deref()
            .is_some_and(|u| !(u.starts_with("https://") || u.starts_with("http://")))
        {
            return Err(ConfigError::new(
                "PALABRE_OPEN_DATA_LICENCE_URL",
                "must be an http(s) address",
            ));
        }
        let db_pooler = match get("PALABRE_DB_POOLER").as_deref() {
            None | Some("none") | Some("session") => DbPooler::None,
            Some("transaction") => DbPooler::Transaction,
            Some(_) => {
                return Err(ConfigError::new(
                    "PALABRE_DB_POOLER",
                    "must be none, session or transaction",
                ));
            }
        };
        let search_concurrency: u32 = parse(
            "PALABRE_SEARCH_CONCURRENCY",
            get("PALABRE_SEARCH_CONCURRENCY"),
            (db_pool_size / 4).max(1),
        )?;
        if search_concurrency == 0 {
            return Err(ConfigError::new(
                "PALABRE_SEARCH_CONCURRENCY",
                "must be at least 1",
            ));
        }
        let read_cache = match get("PALABRE_READ_CACHE").as_deref() {
            None | Some("on") => true,
            Some("off") => false,
            Some(_) => return Err(ConfigError::new("PALABRE_READ_CACHE", "must be on or off")),
        };
        let read_cache_mb: u64 =
            parse("PALABRE_READ_CACHE_MB", get("PALABRE_READ_CACHE_MB"), 64u64)?;
        if !(1..=65536).contains(&read_cache_mb) {
            return Err(ConfigError::new(
                "PALABRE_READ_CACHE_MB",
                "must be between 1 and 65536",
            ));
        }
        let listen_database_url = match get("PALABRE_LISTEN_DATABASE_URL") {
            None => None,
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Some(Secret::new(url))
            }
            Some(_) => {
                return Err(ConfigError::new(
                    "PALABRE_LISTEN_DATABASE_URL",
                    "must be a postgres:// or postgresql:// URL",
                ));
            }
        };
        if db_pooler == DbPooler::Transaction && read_cache && listen_database_url.is_none() {
            // LISTEN through a transaction-mode pooler lands on a server connection that goes
            // back to the pool: the cache would hear nothing.
            return Err(ConfigError::new(
                "PALABRE_LISTEN_DATABASE_URL",
                "is needed with PALABRE_DB_POOLER=transaction and the read cache on: a direct \
                 connection for LISTEN (or PALABRE_READ_CACHE=off)",
            ));
        }
        let shared_cache_seconds: u32 = parse(
            "PALABRE_SHARED_CACHE_SECONDS",
            get("PALABRE_SHARED_CACHE_SECONDS"),
            5u32,
        )?;
        if shared_cache_seconds > 86_400 {
            return Err(ConfigError::new(
                "PALABRE_SHARED_CACHE_SECONDS",
                "must be at most 86400",
            ));
        }
        let webhooks_allow_private = match get("PALABRE_WEBHOOKS_ALLOW_PRIVATE").as_deref() {
            None | Some("0") => false,
            Some("1") => true,
            Some(_) => {
                return Err(ConfigError::new(
                    "PALABRE_WEBHOOKS_ALLOW_PRIVATE",
                    "must be 0 or 1",
                ));
            }
        };

        Ok(Settings {
            database_url,
            data_dir,
            bind,
            metrics_bind,
            public_url,
            frontend_url,
            cors_origins,
            jwt_secret,
            smtp_url,
            mail_from,
            log,
            log_format,
            rate_limits,
            approve_first_posts,
            moderation,
            db_pool_size,
            db_connect_timeout,
            http_workers,
            job_workers,
            job_max_attempts,
            job_backoff,
            job_max_backoff,
            json_body_limit,
            pg_bindir,
            challenges_category,
            unsubscribe_mailto,
            digest_batch,
            open_data_licence,
            open_data_licence_url,
            webhooks_allow_private,
            read_cache,
            read_cache_mb,
            db_pooler,
            search_concurrency,
            listen_database_url,
            shared_cache_seconds,
        })
    }

    /// Settings for tests: everything default, mail in memory, a fixed secret.
    pub fn for_tests(database_url: String, data_dir: &Path) -> Self {
        let mut s = Self::from_lookup(|_| None).expect("defaults are valid");
        s.database_url = Some(Secret::new(database_url));
        s.data_dir = data_dir.to_path_buf();
        s.bind = "127.0.0.1:0".parse().unwrap();
        s.metrics_bind = Some("127.0.0.1:0".parse().unwrap());
        s.jwt_secret = Some(Secret::new("test-secret-test-secret-test-secret-0123"));
        s.db_pool_size = 4;
        s.http_workers = 1;
        // The suite reads its own writes at once; the cache's tests turn it on.
        s.read_cache = false;
        s
    }

    /// The JWT signing secret: configured, or generated once and kept in the data dir.
    pub fn resolve_jwt_secret(&self) -> anyhow::Result<Secret> {
        if let Some(s) = &self.jwt_secret {
            return Ok(s.clone());
        }
        let path = self.data_dir.join("jwt_secret");
        if let Ok(s) = std::fs::read_to_string(&path) {
            let s = s.trim().to_string();
            if s.len() >= 32 {
                return Ok(Secret::new(s));
            }
        }
        std::fs::create_dir_all(&self.data_dir)?;
        let mut bytes = [0u8; 48];
        rand::fill(&mut bytes);
        let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        write_private(&path, &secret)?;
        Ok(Secret::new(secret))
    }
}

fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(content.as_bytes())
}

fn parse<T: std::str::FromStr>(
    var: &str,
    value: Option<String>,
    default: T,
) -> Result<T, ConfigError> {
    match value {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse()
            .map_err(|_| ConfigError::new(var, format!("cannot parse {v:?}"))),
    }
}

fn url_setting(var: &str, value: &str) -> Result<String, ConfigError> {
    let v = value.trim().trim_end_matches('/');
    let rest = v
        .strip_prefix("http://")
        .or_else(|| v.strip_prefix("https://"))
        .ok_or_else(|| {
            ConfigError::new(
                var,
                format!("{value:?} must start with http:// or https://"),
            )
        })?;
    if rest.is_empty() || rest.contains(char::is_whitespace) {
        return Err(ConfigError::new(var, format!("{value:?} is not a URL")));
    }
    Ok(v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn with(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults() {
        let s = with(&[]).unwrap();
        assert_eq!(s.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(s.public_url, "http://127.0.0.1:8080");
        assert_eq!(s.frontend_url, s.public_url);
        assert!(s.database_url.is_none());
        assert!(s.rate_limits);
        assert_eq!(s.approve_first_posts, 1);
        assert_eq!(s.data_dir, PathBuf::from("./data"));
        assert_eq!(s.metrics_bind, None, "/metrics is off unless asked for");
        let s = with(&[("PALABRE_METRICS_BIND", "127.0.0.1:9464")]).unwrap();
        assert_eq!(s.metrics_bind, Some("127.0.0.1:9464".parse().unwrap()));
        assert_eq!(
            with(&[("PALABRE_METRICS_BIND", "off")])
                .unwrap()
                .metrics_bind,
            None
        );
    }

    #[test]
    fn bad_values_name_the_variable() {
        for (var, value) in [
            ("PALABRE_BIND", "not-an-address"),
            ("PALABRE_METRICS_BIND", "localhost"),
            ("DATABASE_URL", "mysql://x"),
            ("PALABRE_PUBLIC_URL", "ftp://x"),
            ("PALABRE_CORS_ORIGINS", "https://ok.example, nope"),
            ("PALABRE_RATE_LIMITS", "maybe"),
            ("PALABRE_APPROVE_FIRST_POSTS", "-1"),
            ("PALABRE_JWT_SECRET", "short"),
            ("PALABRE_SMTP_URL", "http://x"),
            ("PALABRE_MAIL_FROM", "not an address"),
            ("PALABRE_DB_POOL_SIZE", "0"),
            ("PALABRE_JOB_MAX_ATTEMPTS", "0"),
            ("PALABRE_CHALLENGES_CATEGORY", "Défis"),
            ("PALABRE_DB_POOLER", "statement"),
            ("PALABRE_READ_CACHE", "maybe"),
            ("PALABRE_READ_CACHE_MB", "0"),
            ("PALABRE_SEARCH_CONCURRENCY", "0"),
            ("PALABRE_SHARED_CACHE_SECONDS", "90000"),
            ("PALABRE_LISTEN_DATABASE_URL", "redis://x"),
        ] {
            let err = with(&[(var, value)]).expect_err(var);
            assert_eq!(err.var, var);
            assert!(err.to_string().contains(var));
        }
        // Behind a transaction-mode pooler the cache needs a direct connection to listen on.
        let err = with(&[("PALABRE_DB_POOLER", "transaction")]).expect_err("no listen URL");
        assert_eq!(err.var, "PALABRE_LISTEN_DATABASE_URL");
        assert!(
            with(&[
                ("PALABRE_DB_POOLER", "transaction"),
                ("PALABRE_READ_CACHE", "off")
            ])
            .is_ok()
        );
    }

    #[test]
    fn secrets_are_redacted_in_debug() {
        let s = with(&[
            (
                "DATABASE_URL",
                "postgres://palabre:db-password-1@db/palabre",
            ),
            (
                "PALABRE_JWT_SECRET",
                "jwt-secret-jwt-secret-jwt-secret-0123456",
            ),
            ("PALABRE_SMTP_URL", "smtp://mailer:smtp-password-2@mail:587"),
        ])
        .unwrap();
        let shown = format!("{s:?}");
        for secret in ["db-password-1", "jwt-secret-jwt", "smtp-password-2"] {
            assert!(!shown.contains(secret), "{secret} leaked in {shown}");
        }
        assert!(shown.contains("[redacted]"));
        assert_eq!(
            s.smtp_url.as_ref().map(Secret::expose),
            Some("smtp://mailer:smtp-password-2@mail:587")
        );
    }

    #[test]
    fn lists_and_urls() {
        let s = with(&[
            (
                "PALABRE_CORS_ORIGINS",
                "https://a.example/, http://localhost:5173",
            ),
            ("PALABRE_FRONTEND_URL", "https://geocommuns.example/"),
            ("PALABRE_RATE_LIMITS", "off"),
        ])
        .unwrap();
        assert_eq!(
            s.cors_origins,
            vec!["https://a.example", "http://localhost:5173"]
        );
        assert_eq!(s.frontend_url, "https://geocommuns.example");
        assert!(!s.rate_limits);
    }
}
