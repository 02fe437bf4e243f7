//! Hot anonymous reads from memory, correct across nodes; and the `Cache-Control` of every read.
//!
//! [`ReadCache`] keeps the serialised body and `ETag` of the anonymous reads that dominate traffic
//! (the category list, thread lists' first pages, a thread, its first replies page), in memory
//! (moka, bounded in bytes). It holds no time-based entry: database triggers (migration 000018)
//! send `NOTIFY palabre_cache` in every transaction that changes what such a read returns, every
//! process `LISTEN`s ([`crate::db::listen`]) and drops the entries named. Until its listening
//! connection is up, and from the moment it is lost, a process serves nothing from memory; once it
//! is (re-)established it starts empty (it may have missed messages).
//!
//! A read that races a write cannot put back what the write changed: each entry is computed under
//! a ticket (the generations of its part of the cache, read before the database is) and stored with
//! them, and it is served only while they are current. An invalidation arrives after its
//! transaction commits and bumps the generation first, so an entry read from a snapshot older than
//! the commit is never served after the invalidation, whenever it was stored. The listener sends
//! itself a heartbeat every few seconds; one not heard back in time counts as a lost connection.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
use moka::sync::Cache;
use serde::Serialize;
use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// The channel the triggers notify and every process listens to.
pub const CHANNEL: &str = "palabre_cache";

/// What a cached read names. Thread lists and the category list share one part of the cache (any
/// thread's change may reorder them: they are dropped together); a thread's read and its first
/// replies page are dropped with that thread.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Key {
    /// The category list, or a thread list's first page: the normalised query.
    List(String),
    /// `GET /threads/{id}`.
    Thread(Uuid),
    /// `GET /threads/{id}/posts`, first page, default size.
    Replies(Uuid),
}

/// A cached body and its `ETag`.
pub struct Entry {
    pub body: Bytes,
    pub etag: String,
}

/// Stripes of the per-thread generations: an invalidation of one thread makes in-flight reads of
/// 1/256 of the threads start over, not all of them.
const STRIPES: usize = 256;

/// Proof of which generation a read started in; see the module's documentation.
pub struct Ticket {
    all: u64,
    part: u64,
}

/// What the cache holds: an entry and the generations it was read under. An entry whose part was
/// invalidated since is never served, whatever moka does with its own invalidation (which only
/// frees the memory).
#[derive(Clone)]
struct Stored {
    entry: Arc<Entry>,
    all: u64,
    part: u64,
}

/// Keys longer than this (thread lists' filters are in the key) are not cached: a client cannot fill
/// the cache with long made-up filters.
const MAX_KEY: usize = 300;

/// What an entry weighs besides its body: its key and moka's own bookkeeping, roughly.
const ENTRY_OVERHEAD: usize = 200;

pub struct ReadCache {
    enabled: bool,
    lists: Cache<String, Stored>,
    threads: Cache<(Uuid, bool), Stored>,
    /// Bumped when everything is dropped.
    all: AtomicU64,
    /// Bumped when the lists are dropped.
    lists_gen: AtomicU64,
    threads_gen: Vec<AtomicU64>,
    /// The listening connection is up: entries may be served and kept.
    live: AtomicBool,
    pub hits: AtomicU64,
    pub misses: AtomicU64,
    pub invalidations: AtomicU64,
    /// How many times the listening connection was (re-)established.
    pub connects: AtomicU64,
}

fn stripe(id: &Uuid) -> usize {
    (xxhash_rust::xxh3::xxh3_64(id.as_bytes()) as usize) % STRIPES
}

impl ReadCache {
    /// A cache of at most `bytes` (bodies, keys and overhead; a quarter for lists);
    /// `enabled: false` keeps nothing.
    pub fn new(enabled: bool, bytes: u64) -> Self {
        fn weigh_thread(_: &(Uuid, bool), s: &Stored) -> u32 {
            (s.entry.body.len() + ENTRY_OVERHEAD)
                .try_into()
                .unwrap_or(u32::MAX)
        }
        Self {
            enabled,
            lists: Cache::builder()
                .max_capacity(bytes / 4)
                .weigher(|k: &String, s: &Stored| -> u32 {
                    (s.entry.body.len() + k.len() + ENTRY_OVERHEAD)
                        .try_into()
                        .unwrap_or(u32::MAX)
                })
                .build(),
            threads: Cache::builder()
                .max_capacity(bytes - bytes / 4)
                .weigher(weigh_thread)
                .build(),
            all: AtomicU64::new(0),
            lists_gen: AtomicU64::new(0),
            threads_gen: (0..STRIPES).map(|_| AtomicU64::new(0)).collect(),
            live: AtomicBool::new(false),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            invalidations: AtomicU64::new(0),
            connects: AtomicU64::new(0),
        }
    }

    /// No cache at all (tests, tools).
    pub fn disabled() -> Self {
        Self::new(false, 0)
    }

    /// Whether reads may be served from and kept in memory now.
    pub fn usable(&self) -> bool {
        self.enabled && self.live.load(Ordering::Acquire)
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    fn part(&self, key: &Key) -> &AtomicU64 {
        match key {
            Key::List(_) => &self.lists_gen,
            Key::Thread(id) | Key::Replies(id) => &self.threads_gen[stripe(id)],
        }
    }

    fn cacheable(key: &Key) -> bool {
        !matches!(key, Key::List(q) if q.len() > MAX_KEY)
    }

    pub fn get(&self, key: &Key) -> Option<Arc<Entry>> {
        if !self.usable() || !Self::cacheable(key) {
            return None;
        }
        let found = match key {
            Key::List(q) => self.lists.get(q),
            Key::Thread(id) => self.threads.get(&(*id, false)),
            Key::Replies(id) => self.threads.get(&(*id, true)),
        };
        // Served only if nothing invalidated its part since it was read.
        let found = found
            .filter(|s| {
                s.all == self.all.load(Ordering::Acquire)
                    && s.part == self.part(key).load(Ordering::Acquire)
            })
            .map(|s| s.entry);
        match &found {
            Some(_) => self.hits.fetch_add(1, Ordering::Relaxed),
            None => self.misses.fetch_add(1, Ordering::Relaxed),
        };
        found
    }

    /// Taken before the database is read.
    pub fn ticket(&self, key: &Key) -> Ticket {
        Ticket {
            all: self.all.load(Ordering::Acquire),
            part: self.part(key).load(Ordering::Acquire),
        }
    }

    /// Keeps `entry` under the generations of `ticket`: [`get`](Self::get) serves it only while
    /// they are current, so an invalidation that arrived while it was read makes it unseen.
    pub fn insert(&self, ticket: Ticket, key: Key, entry: Arc<Entry>) {
        if !self.usable() || !Self::cacheable(&key) {
            return;
        }
        let stored = Stored {
            entry,
            all: ticket.all,
            part: ticket.part,
        };
        match key {
            Key::List(q) => self.lists.insert(q, stored),
            Key::Thread(id) => self.threads.insert((id, false), stored),
            Key::Replies(id) => self.threads.insert((id, true), stored),
        }
    }

    /// Applies one notification: `lists`, `thread:<uuid>` (the thread and the lists), or `all`
    /// (and anything unknown); a listener's heartbeat ([`crate::db::listen::PING`]) is none.
    pub fn invalidate(&self, payload: &str) {
        if payload.starts_with(crate::db::listen::PING) {
            return;
        }
        self.invalidations.fetch_add(1, Ordering::Relaxed);
        if let Some(id) = payload.strip_prefix("thread:") {
            match Uuid::parse_str(id) {
                Ok(id) => {
                    self.threads_gen[stripe(&id)].fetch_add(1, Ordering::AcqRel);
                    self.threads.invalidate(&(id, false));
                    self.threads.invalidate(&(id, true));
                }
                Err(_) => self.drop_all(),
            }
            self.lists_gen.fetch_add(1, Ordering::AcqRel);
            self.lists.invalidate_all();
        } else if payload == "lists" {
            self.lists_gen.fetch_add(1, Ordering::AcqRel);
            self.lists.invalidate_all();
        } else {
            self.drop_all();
        }
    }

    fn drop_all(&self) {
        self.all.fetch_add(1, Ordering::AcqRel);
        self.lists.invalidate_all();
        self.threads.invalidate_all();
    }

    /// The listening connection is up (`true`: it starts empty) or lost (`false`: nothing is served
    /// from memory until it is back).
    pub fn set_live(&self, live: bool) {
        if live {
            self.drop_all();
            self.connects.fetch_add(1, Ordering::Relaxed);
            self.live.store(true, Ordering::Release);
        } else {
            self.live.store(false, Ordering::Release);
            self.drop_all();
        }
    }
}

impl crate::db::listen::Subscriber for ReadCache {
    fn connected(&self, up: bool) {
        self.set_live(up);
        if up {
            tracing::info!("the read cache listens for changes");
        }
    }

    fn message(&self, payload: &str) {
        self.invalidate(payload);
    }
}

/// `X-Cache`: whether a cacheable anonymous read came from memory.
pub const X_CACHE: &str = "x-cache";

fn respond(req: &HttpRequest, entry: &Entry, hit: bool) -> HttpResponse {
    let status = if hit { "hit" } else { "miss" };
    if super::conditional::not_modified(req, &entry.etag) {
        return HttpResponse::NotModified()
            .insert_header((header::ETAG, entry.etag.clone()))
            .insert_header((X_CACHE, status))
            .finish();
    }
    HttpResponse::Ok()
        .insert_header((header::ETAG, entry.etag.clone()))
        .insert_header((X_CACHE, status))
        .content_type("application/json")
        .body(entry.body.clone())
}

/// An anonymous read through the cache: served from memory when it holds `key`, else computed by
/// `compute` (which reads the database), kept if no write changed it meanwhile, and served. With
/// the cache off or not listening, a plain JSON read with its `ETag`.
pub async fn read<T, F, Fut>(
    cache: &ReadCache,
    req: &HttpRequest,
    key: Key,
    compute: F,
) -> AppResult<HttpResponse>
where
    T: Serialize,
    F: FnOnce() -> Fut,
    Fut: Future<Output = AppResult<T>>,
{
    if let Some(entry) = cache.get(&key) {
        return Ok(respond(req, &entry, true));
    }
    let ticket = cache.ticket(&key);
    let value = compute().await?;
    let body = serde_json::to_vec(&value).map_err(|e| AppError::Internal(e.into()))?;
    let entry = Arc::new(Entry {
        etag: super::conditional::etag_of(&body),
        body: Bytes::from(body),
    });
    cache.insert(ticket, key, entry.clone());
    Ok(respond(req, &entry, false))
}

/// The `Cache-Control` of reads (API.md: anonymous reads can be kept by a shared cache). On a `GET`
/// or `HEAD` that sets none itself: with an `Authorization` header, `private, no-cache` (per-member
/// fields); anonymous and answered 200 or 304 under `/api/v1`, `public, max-age=0,
/// s-maxage=N, must-revalidate` with `Vary: Authorization`: a reverse proxy or CDN may serve it
/// for N seconds (`PALABRE_SHARED_CACHE_SECONDS`), then revalidates it with its `ETag`; browsers
/// revalidate every time. Tokens in a path (`/unsubscribe/…`) are never stored.
pub async fn cache_control(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let read = matches!(*req.method(), Method::GET | Method::HEAD);
    let authed = req.headers().contains_key(header::AUTHORIZATION);
    let path = req.path().to_string();
    let seconds = req
        .app_data::<actix_web::web::Data<super::AppState>>()
        .map(|s| s.settings.shared_cache_seconds)
        .unwrap_or(0);
    let mut res = next.call(req).await?;
    if !read || res.headers().contains_key(header::CACHE_CONTROL) {
        return Ok(res);
    }
    let value = if path.starts_with("/api/v1/unsubscribe/") {
        Some("no-store".to_string())
    } else if authed {
        Some("private, no-cache".to_string())
    } else if path.starts_with("/api/v1/") && matches!(res.status().as_u16(), 200 | 304) {
        Some(format!(
            "public, max-age=0, s-maxage={seconds}, must-revalidate"
        ))
    } else {
        None
    };
    if let Some(value) = value {
        let headers = res.headers_mut();
        headers.insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_str(&value).expect("ASCII"),
        );
        if !authed {
            headers.append(
                header::VARY,
                header::HeaderValue::from_static("Authorization"),
            );
        }
    }
    Ok(res)
}
