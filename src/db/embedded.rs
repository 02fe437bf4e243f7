//! A private PostgreSQL cluster under `<data dir>/postgres`, started from the machine's PostgreSQL
//! binaries when no `DATABASE_URL` is set.
//!
//! - The cluster listens on a Unix socket only (no TCP port to collide with).
//! - As root, PostgreSQL runs as the `postgres` user (it refuses to run as root). When that user cannot
//!   reach the data dir (a checkout in root's `0700` home), the cluster is kept under
//!   `/var/lib/palabre/`, in a directory named after the data dir, and `<data dir>/postgres` becomes a
//!   symbolic link to it: every command, and every person, finds it the same way.
//! - A cluster already running (another palabre command, a `serve`) is reused and left running; a
//!   cluster this process started is stopped (fast shutdown) when the handle is dropped or `stop`ped.
//!
//! The same launcher serves the test suite, with `fsync` off and a throwaway directory.

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

const DB_NAME: &str = "palabre";
const PORT: u16 = 5432;

/// The launched (or reused) cluster.
pub struct LocalPostgres {
    dir: PathBuf,
    socket_dir: PathBuf,
    /// The postmaster this process started; `None` when an already-running one was reused.
    child: Option<Child>,
}

/// Options for [`LocalPostgres::start`].
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Where to look for `initdb` and `postgres`; searched in the usual places when `None`.
    pub bindir: Option<PathBuf>,
    /// Throwaway cluster: no fsync, no synchronous commit (tests only).
    pub ephemeral: bool,
}

pub const INSTALL_HINT: &str = "PostgreSQL server binaries (initdb, postgres) were not found. Install them \
(Debian/Ubuntu: `apt-get install postgresql`; Fedora: `dnf install postgresql-server`; macOS: \
`brew install postgresql@16`), point PALABRE_PG_BINDIR at the directory that holds them, or set \
DATABASE_URL to use an existing PostgreSQL server.";

/// Finds the directory holding `initdb` and `postgres`.
pub fn find_bindir(configured: Option<&Path>) -> anyhow::Result<PathBuf> {
    let has_both = |d: &Path| d.join("initdb").is_file() && d.join("postgres").is_file();
    if let Some(dir) = configured {
        if has_both(dir) {
            return Ok(dir.to_path_buf());
        }
        bail!(
            "{INSTALL_HINT} (PALABRE_PG_BINDIR={} holds no initdb/postgres)",
            dir.display()
        );
    }
    // `pg_config --bindir` first, then Debian's versioned directories (newest first), then PATH.
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output()
        && out.status.success()
    {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if has_both(&dir) {
            return Ok(dir);
        }
    }
    let mut versioned: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_string_lossy().parse::<u32>().ok()?;
            Some((v, e.path().join("bin")))
        })
        .collect();
    versioned.sort_by_key(|v| std::cmp::Reverse(v.0));
    for (_, dir) in versioned {
        if has_both(&dir) {
            return Ok(dir);
        }
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            if has_both(&dir) {
                return Ok(dir);
            }
        }
    }
    bail!("{INSTALL_HINT}")
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// uid and gid of the `postgres` account.
fn postgres_ids() -> anyhow::Result<(u32, u32)> {
    let name = std::ffi::CString::new("postgres").unwrap();
    // SAFETY: getpwnam returns a pointer into static storage or null; we copy the fields at once.
    let pw = unsafe { libc::getpwnam(name.as_ptr()) };
    if pw.is_null() {
        bail!(
            "running as root, and there is no `postgres` user to run PostgreSQL as: create one \
             (`useradd --system postgres`) or run palabre as an ordinary user"
        );
    }
    // SAFETY: pw was checked non-null.
    unsafe { Ok(((*pw).pw_uid, (*pw).pw_gid)) }
}

/// A command for a PostgreSQL binary, run as `postgres` when we are root.
fn pg_command(bindir: &Path, program: &str) -> anyhow::Result<Command> {
    let exe = bindir.join(program);
    if is_root() {
        postgres_ids()?;
        let mut cmd = Command::new("setpriv");
        cmd.args(["--reuid=postgres", "--regid=postgres", "--init-groups"])
            .arg(exe);
        Ok(cmd)
    } else {
        Ok(Command::new(exe))
    }
}

fn chown_to_postgres(path: &Path) -> anyhow::Result<()> {
    if !is_root() {
        return Ok(());
    }
    let (uid, gid) = postgres_ids()?;
    std::os::unix::fs::chown(path, Some(uid), Some(gid))
        .with_context(|| format!("cannot hand {} to the postgres user", path.display()))
}

/// Returns the pid in `postmaster.pid` when that process is alive.
fn running_pid(dir: &Path) -> Option<i32> {
    let text = fs::read_to_string(dir.join("postmaster.pid")).ok()?;
    let pid: i32 = text.lines().next()?.trim().parse().ok()?;
    // SAFETY: signal 0 only checks that the process exists.
    let alive = unsafe { libc::kill(pid, 0) == 0 }
        || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
    alive.then_some(pid)
}

/// Whether the postmaster's status line (line 8 of `postmaster.pid`) says it accepts connections.
fn postmaster_ready(dir: &Path) -> bool {
    fs::read_to_string(dir.join("postmaster.pid"))
        .ok()
        .and_then(|t| t.lines().nth(7).map(|l| l.trim() == "ready"))
        .unwrap_or(false)
}

/// Unix sockets have a short path limit (107 bytes); long data-dir paths get a socket dir under /tmp.
fn socket_dir_for(dir: &Path) -> PathBuf {
    let candidate = dir.to_path_buf();
    if candidate.as_os_str().len() + "/.s.PGSQL.5432.lock".len() < 100 {
        return candidate;
    }
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    dir.hash(&mut h);
    std::env::temp_dir().join(format!("palabre-pg-{:016x}", h.finish()))
}

impl LocalPostgres {
    /// Connects to the cluster in `dir` if it runs, or initialises (first time) and starts it.
    pub fn start(dir: &Path, opts: &Options) -> anyhow::Result<Self> {
        let dir = cluster_dir(dir)?;
        let socket_dir = socket_dir_for(&dir);

        if running_pid(&dir).is_some() {
            let mut pg = LocalPostgres {
                dir: dir.clone(),
                socket_dir,
                child: None,
            };
            pg.wait_ready(None)?;
            tracing::info!(dir = %dir.display(), "using the PostgreSQL cluster that is already running");
            pg.ensure_database()?;
            return Ok(pg);
        }

        let bindir = find_bindir(opts.bindir.as_deref())?;
        if is_root() {
            // PostgreSQL must be able to reach its directory: refuse early with a clear message.
            check_reachable_by_postgres(&dir)?;
        }
        if !dir.join("PG_VERSION").exists() {
            initdb(&bindir, &dir, opts.ephemeral)?;
        }
        if socket_dir != dir {
            fs::create_dir_all(&socket_dir)?;
            chown_to_postgres(&socket_dir)?;
        }

        let log_path = dir.join("postgres.log");
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .with_context(|| format!("cannot open {}", log_path.display()))?;
        chown_to_postgres(&log_path)?;
        let mut cmd = pg_command(&bindir, "postgres")?;
        cmd.arg("-D")
            .arg(&dir)
            .arg("-k")
            .arg(&socket_dir)
            .args(["-p", &PORT.to_string(), "-c", "listen_addresses="])
            .args(["-c", "max_connections=200"]);
        if opts.ephemeral {
            cmd.args([
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
            ]);
        }
        // Its own process group: a Ctrl-C in the terminal reaches palabre only, which then shuts down
        // in order (HTTP, worker, database).
        cmd.process_group(0)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        let child = cmd.spawn().context("cannot start postgres")?;
        let mut pg = LocalPostgres {
            dir: dir.clone(),
            socket_dir,
            child: Some(child),
        };
        pg.wait_ready(Some(&log_path))?;
        tracing::info!(dir = %dir.display(), "started the embedded PostgreSQL cluster");
        if let Err(e) = pg.ensure_database() {
            pg.stop();
            return Err(e);
        }
        Ok(pg)
    }

    /// URL of the `palabre` database (or another one) on this cluster.
    pub fn url_for(&self, db: &str) -> String {
        let host: String = self
            .socket_dir
            .to_string_lossy()
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect();
        format!("postgresql://postgres@/{db}?host={host}&port={PORT}")
    }

    pub fn url(&self) -> String {
        self.url_for(DB_NAME)
    }

    /// Whether this handle started the server (and so will stop it).
    pub fn owns_server(&self) -> bool {
        self.child.is_some()
    }

    fn wait_ready(&mut self, log: Option<&Path>) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if postmaster_ready(&self.dir)
                && self.socket_dir.join(format!(".s.PGSQL.{PORT}")).exists()
            {
                return Ok(());
            }
            if let Some(child) = &mut self.child
                && let Ok(Some(status)) = child.try_wait()
            {
                self.child = None;
                let tail = log
                    .and_then(|p| fs::read_to_string(p).ok())
                    .map(|t| {
                        t.lines()
                            .rev()
                            .take(10)
                            .collect::<Vec<_>>()
                            .into_iter()
                            .rev()
                            .collect::<Vec<_>>()
                            .join("\n")
                    })
                    .unwrap_or_default();
                bail!("postgres exited ({status}) before accepting connections:\n{tail}");
            }
            if Instant::now() > deadline {
                bail!(
                    "postgres did not become ready within 60 s (see {}/postgres.log)",
                    self.dir.display()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn ensure_database(&self) -> anyhow::Result<()> {
        use diesel::prelude::*;
        use diesel::sql_types::Text;
        #[derive(QueryableByName)]
        struct Exists {
            #[diesel(sql_type = diesel::sql_types::Bool)]
            exists: bool,
        }
        let mut conn = PgConnection::establish(&self.url_for("postgres"))
            .context("cannot connect to the embedded cluster")?;
        let found: Exists = diesel::sql_query(
            "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS exists",
        )
        .bind::<Text, _>(DB_NAME)
        .get_result(&mut conn)?;
        if !found.exists {
            diesel::sql_query(format!("CREATE DATABASE {DB_NAME}")).execute(&mut conn)?;
        }
        Ok(())
    }

    /// Fast shutdown of the server this handle started; waits until it has exited.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let pid = child.id() as i32;
            // SAFETY: plain signal to our own child. SIGINT = PostgreSQL's fast shutdown.
            unsafe {
                libc::kill(pid, libc::SIGINT);
            }
            let _ = child.wait();
            tracing::info!("stopped the embedded PostgreSQL cluster");
        }
    }
}

impl Drop for LocalPostgres {
    fn drop(&mut self) {
        self.stop();
    }
}

fn initdb(bindir: &Path, dir: &Path, ephemeral: bool) -> anyhow::Result<()> {
    chown_to_postgres(dir)?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
    let mut cmd = pg_command(bindir, "initdb")?;
    cmd.arg("-D").arg(dir).args([
        "-U",
        "postgres",
        "--auth=trust",
        "-E",
        "UTF8",
        "--locale=C.UTF-8",
    ]);
    if ephemeral {
        cmd.arg("-N");
    }
    let out = cmd.output().context("cannot run initdb")?;
    if !out.status.success() {
        bail!(
            "initdb failed for {}:\n{}{}",
            dir.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // Keep tuning out of postgresql.conf; command-line settings are given at start.
    let mut conf = fs::OpenOptions::new()
        .append(true)
        .open(dir.join("postgresql.conf"))?;
    writeln!(
        conf,
        "\n# palabre embedded cluster\nunix_socket_permissions = 0700"
    )?;
    tracing::info!(dir = %dir.display(), "initialised a new PostgreSQL cluster");
    Ok(())
}

/// Where clusters the `postgres` user could not reach in their data dir are kept (as root).
const RELOCATED: &str = "/var/lib/palabre";

/// The cluster directory for `dir` (`<data dir>/postgres`), created if needed and canonical. As root,
/// when the `postgres` user cannot reach `dir` and no cluster is there yet, the cluster goes to
/// [`RELOCATED`]`/<name of dir>` and `dir` becomes a symbolic link to it (said in the log).
fn cluster_dir(dir: &Path) -> anyhow::Result<PathBuf> {
    if let Ok(target) = fs::read_link(dir) {
        // Relocated by an earlier command: follow the link (and recreate what it points to).
        let target = if target.is_absolute() {
            target
        } else {
            dir.parent().unwrap_or(Path::new("/")).join(target)
        };
        fs::create_dir_all(&target)
            .with_context(|| format!("cannot create {}", target.display()))?;
        chown_to_postgres(&target)?;
        return Ok(target.canonicalize()?);
    }
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let dir = dir
        .canonicalize()
        .with_context(|| format!("cannot resolve {}", dir.display()))?;
    if !is_root() || unreachable_ancestor(&dir)?.is_none() {
        return Ok(dir);
    }
    if fs::read_dir(&dir)?.next().is_some() {
        // Something is there already (a cluster made another way): moving it is the operator's call.
        check_reachable_by_postgres(&dir)?;
    }
    let name = relocated_name(&dir);
    let target = Path::new(RELOCATED).join(&name);
    fs::create_dir_all(RELOCATED).with_context(|| format!("cannot create {RELOCATED}"))?;
    fs::set_permissions(RELOCATED, fs::Permissions::from_mode(0o755))?;
    fs::create_dir_all(&target).with_context(|| format!("cannot create {}", target.display()))?;
    chown_to_postgres(&target)?;
    fs::remove_dir(&dir)?;
    std::os::unix::fs::symlink(&target, &dir)
        .with_context(|| format!("cannot link {} to {}", dir.display(), target.display()))?;
    tracing::warn!(
        data_dir = %dir.display(),
        cluster = %target.display(),
        "the postgres user cannot reach the data dir; the embedded cluster lives in {} \
         ({} links to it)",
        target.display(),
        dir.display()
    );
    Ok(target)
}

/// `/root/palabre/data/postgres` → `root-palabre-data-postgres-<8 hex of the whole path>`: readable,
/// and distinct for distinct data dirs.
fn relocated_name(dir: &Path) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    dir.hash(&mut h);
    let readable: String = dir
        .to_string_lossy()
        .trim_start_matches('/')
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let tail: String = readable
        .chars()
        .rev()
        .take(48)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("{}-{:08x}", tail.trim_start_matches('-'), h.finish() as u32)
}

/// The first parent of `dir` the `postgres` user cannot search, if any.
fn unreachable_ancestor(dir: &Path) -> anyhow::Result<Option<PathBuf>> {
    let (uid, gid) = postgres_ids()?;
    for parent in dir.ancestors().skip(1) {
        let meta = fs::metadata(parent)?;
        let mode = meta.permissions().mode();
        use std::os::unix::fs::MetadataExt;
        let ok = if meta.uid() == uid {
            mode & 0o100 != 0
        } else if meta.gid() == gid {
            mode & 0o010 != 0
        } else {
            mode & 0o001 != 0
        };
        if !ok {
            return Ok(Some(parent.to_path_buf()));
        }
    }
    Ok(None)
}

/// As root, PostgreSQL runs as `postgres`, which needs to traverse every parent directory.
fn check_reachable_by_postgres(dir: &Path) -> anyhow::Result<()> {
    if let Some(parent) = unreachable_ancestor(dir)? {
        bail!(
            "the postgres user cannot reach {} ({} is not searchable by it), and the directory is \
             not empty: move it to a directory the postgres user can reach, set PALABRE_DATA_DIR, or \
             set DATABASE_URL",
            dir.display(),
            parent.display()
        );
    }
    Ok(())
}
