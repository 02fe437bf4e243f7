//! Held content: a new member's first threads and replies (`PALABRE_APPROVE_FIRST_POSTS`), and
//! what matches a `hold` watched word, wait for a moderator. Nothing of a held draft is in threads
//! or posts until approved, so no list, count, search, feed or notification sees it; approval
//! publishes it as its author, with its number, counters and notifications then.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Jsonb, Uuid as SqlUuid};
use uuid::Uuid;

use super::decisions::{self, NewDecision, Restriction, Source};
use super::words;
use crate::accounts::auth::Actor;
use crate::config::Settings;
use crate::discussions::gate::{Draft, DraftKind, Gate, HeldDraft, Open, Verdict};
use crate::discussions::types::{CreatePost, CreateThread};
use crate::error::{AppError, AppResult};
use crate::schema::{held_drafts, moderation_items};
use crate::throttle;

/// The watched words, as `[pattern, is_regex, action, replacement]` rows.
const WORDS: &str = "(SELECT coalesce(jsonb_agg(jsonb_build_array(w.pattern, w.is_regex, w.action, \
                     w.replacement) ORDER BY w.created_at), '[]'::jsonb) FROM watched_words w)";

const STANDING: &str = concat!(
    "SELECT (u.thread_count - u.challenge_count + u.reply_count)::int8 AS published, ",
    "(SELECT coalesce(jsonb_agg(jsonb_build_array(w.pattern, w.is_regex, w.action, ",
    "w.replacement) ORDER BY w.created_at), '[]'::jsonb) FROM watched_words w) AS words ",
    "FROM users u WHERE u.id = $1"
);

/// Moderation's screen of members' threads and replies (composed into the app by `app`).
pub struct ModerationGate {
    pub settings: std::sync::Arc<Settings>,
}

#[derive(QueryableByName)]
struct Standing {
    #[diesel(sql_type = BigInt)]
    published: i64,
    #[diesel(sql_type = Jsonb)]
    words: serde_json::Value,
}

impl Gate for ModerationGate {
    fn screen(&self, conn: &mut PgConnection, actor: &Actor, draft: &Draft) -> AppResult<Verdict> {
        // One round trip: the member's published count and the watched words.
        let s: Standing = diesel::sql_query(STANDING)
            .bind::<SqlUuid, _>(actor.id)
            .get_result(conn)?;
        let limits = &self.settings.moderation;
        if self.settings.rate_limits && !actor.is_staff() {
            let new = s.published < 3
                || actor.created_at + chrono::Duration::days(limits.new_member_days.into())
                    > Utc::now();
            let (key, max, window) = match draft.kind {
                DraftKind::Post => (
                    "posts",
                    if new {
                        limits.new_member_posts_per_minute
                    } else {
                        limits.posts_per_minute
                    },
                    60,
                ),
                DraftKind::Thread => (
                    "threads",
                    if new {
                        limits.new_member_threads_per_day
                    } else {
                        limits.threads_per_day
                    },
                    86_400,
                ),
            };
            if let Err(retry_after_secs) = throttle::reserve(
                conn,
                &format!("{key}:{}", actor.id),
                throttle::Limit {
                    max_failures: max as i32,
                    window_secs: window,
                },
            )? {
                return Err(AppError::TooManyRequests { retry_after_secs });
            }
        }
        let mut verdict = words::apply(&s.words, draft)?;
        if verdict.hold.is_none()
            && !actor.is_staff()
            && (s.published as u64) < u64::from(self.settings.approve_first_posts)
        {
            verdict.hold = Some("first_posts".into());
        }
        Ok(verdict)
    }

    fn screen_edit(
        &self,
        conn: &mut PgConnection,
        _actor: &Actor,
        draft: &Draft,
    ) -> AppResult<Verdict> {
        let words: serde_json::Value =
            diesel::select(diesel::dsl::sql::<Jsonb>(WORDS)).get_result(conn)?;
        let verdict = words::apply(&words, draft)?;
        if verdict.hold.is_some() {
            let field = if draft.kind == DraftKind::Thread {
                "title"
            } else {
                "body"
            };
            return Err(AppError::validation(
                field,
                "Contains a word the community reviews before publication (watched word): \
                 an edit cannot wait for review; write it otherwise.",
            ));
        }
        Ok(verdict)
    }

    fn staff_removed(
        &self,
        conn: &mut PgConnection,
        actor: &Actor,
        post: Uuid,
        reason: &str,
    ) -> AppResult<()> {
        let basis = decisions::basis(reason, None)?;
        let target = super::content::get(conn, super::types::TargetType::Post, post)?;
        super::actions::decide_on(
            conn,
            &self.settings,
            actor,
            &target,
            "delete_post",
            Restriction::Removed,
            &basis,
            Source::Voluntary,
        )?;
        Ok(())
    }

    fn hold(
        &self,
        conn: &mut PgConnection,
        actor: &Actor,
        draft: &Draft,
        reason: &str,
    ) -> AppResult<HeldDraft> {
        let id = Uuid::now_v7();
        let created_at: DateTime<Utc> = diesel::insert_into(held_drafts::table)
            .values((
                held_drafts::id.eq(id),
                held_drafts::author_id.eq(actor.id),
                held_drafts::kind.eq(draft.kind.as_str()),
                held_drafts::thread_id.eq(draft.thread_id),
                held_drafts::title.eq(&draft.title),
                held_drafts::body.eq(&draft.body),
                held_drafts::draft.eq(&draft.input),
                held_drafts::held_for.eq(reason),
            ))
            .returning(held_drafts::created_at)
            .get_result(conn)?;
        let item = Uuid::now_v7();
        diesel::insert_into(moderation_items::table)
            .values((
                moderation_items::id.eq(item),
                moderation_items::kind.eq("held"),
                moderation_items::target_type.eq("held"),
                moderation_items::target_id.eq(id),
            ))
            .execute(conn)?;
        let facts = match reason {
            "first_posts" => {
                "A new member's first posts are reviewed by a moderator before they are published. \
                 / Les premiers messages d'un nouveau membre sont relus par un modérateur avant publication."
            }
            _ => {
                "This text contains a word the community reviews before publication. \
                 / Ce texte contient un mot que la communauté relit avant publication."
            }
        };
        let basis = decisions::automated_basis(facts, decisions::DEFAULT_TERMS_RULE);
        let decision = decisions::decide(
            conn,
            &self.settings,
            NewDecision {
                user: actor.id,
                actor: None,
                action: match draft.kind {
                    DraftKind::Thread => "hold_thread",
                    DraftKind::Post => "hold_post",
                },
                target_type: "held",
                target_id: id,
                target_title: draft.title.clone(),
                restriction: Restriction::Disabled,
                basis: &basis,
                source: Source::Voluntary,
                automated_detection: true,
                content_date: Some(created_at),
                end_date: None,
            },
        )?;
        diesel::update(moderation_items::table.find(item))
            .set(moderation_items::decision_id.eq(decision))
            .execute(conn)?;
        Ok(HeldDraft {
            id,
            kind: draft.kind,
            status: "held".into(),
            thread_id: draft.thread_id,
            title: draft.title.clone(),
            body: draft.body.clone(),
            held_for: reason.into(),
            decision_id: Some(decision),
            created_at,
        })
    }
}

type Row = (
    Uuid,
    Uuid,
    String,
    Option<Uuid>,
    String,
    String,
    serde_json::Value,
    String,
    String,
    DateTime<Utc>,
);

/// A held draft's row.
pub struct HeldRow {
    pub id: Uuid,
    pub author: Uuid,
    pub kind: DraftKind,
    pub thread_id: Option<Uuid>,
    pub title: String,
    pub body: String,
    pub input: serde_json::Value,
    pub held_for: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
}

pub fn row(conn: &mut PgConnection, id: Uuid) -> AppResult<HeldRow> {
    load(conn, id, false)
}

/// A held draft's row, locked until the end of the transaction (publishing or refusing it: two
/// moderators, or an approval and an appeal, cannot both act on it).
pub fn row_locked(conn: &mut PgConnection, id: Uuid) -> AppResult<HeldRow> {
    load(conn, id, true)
}

fn load(conn: &mut PgConnection, id: Uuid, lock: bool) -> AppResult<HeldRow> {
    let q = held_drafts::table.find(id).select((
        held_drafts::id,
        held_drafts::author_id,
        held_drafts::kind,
        held_drafts::thread_id,
        held_drafts::title,
        held_drafts::body,
        held_drafts::draft,
        held_drafts::held_for,
        held_drafts::status,
        held_drafts::created_at,
    ));
    let r: Row = if lock {
        q.for_update().first(conn)?
    } else {
        q.first(conn)?
    };
    Ok(HeldRow {
        id: r.0,
        author: r.1,
        kind: if r.2 == "thread" {
            DraftKind::Thread
        } else {
            DraftKind::Post
        },
        thread_id: r.3,
        title: r.4,
        body: r.5,
        input: r.6,
        held_for: r.7,
        status: r.8,
        created_at: r.9,
    })
}

/// A held draft, as its author or a moderator reads it (404 for anyone else).
pub fn read(conn: &mut PgConnection, actor: &Actor, id: Uuid) -> AppResult<HeldDraft> {
    let r = row(conn, id)?;
    if r.author != actor.id && !actor.is_staff() {
        return Err(AppError::NotFound);
    }
    let decision: Option<Uuid> = crate::schema::decisions::table
        .filter(crate::schema::decisions::target_type.eq("held"))
        .filter(crate::schema::decisions::target_id.eq(id))
        .select(crate::schema::decisions::id)
        .order(crate::schema::decisions::created_at)
        .first(conn)
        .optional()?;
    Ok(HeldDraft {
        id: r.id,
        kind: r.kind,
        status: r.status,
        thread_id: r.thread_id,
        title: r.title,
        body: r.body,
        held_for: r.held_for,
        decision_id: decision,
        created_at: r.created_at,
    })
}

/// Publishes a held draft as its author (numbered, counted and notified now); returns the id of
/// the thread or post.
pub fn publish(conn: &mut PgConnection, id: Uuid) -> AppResult<Uuid> {
    let r = row_locked(conn, id)?;
    if r.status != "held" {
        return Err(AppError::conflict(None, "This draft is no longer held."));
    }
    let author = Actor::member(conn, r.author)?;
    let bad = |e: serde_json::Error| AppError::Internal(anyhow::anyhow!("held draft {id}: {e}"));
    let published = match r.kind {
        DraftKind::Thread => {
            let mut input: CreateThread = serde_json::from_value(r.input).map_err(bad)?;
            input.title = r.title;
            input.body = r.body;
            crate::discussions::threads::create(conn, &author, &input, &Open)?
                .now()?
                .id
        }
        DraftKind::Post => {
            let mut input: CreatePost = serde_json::from_value(r.input).map_err(bad)?;
            input.body = r.body;
            let thread = r.thread_id.ok_or(AppError::NotFound)?;
            crate::discussions::posts::create_reply(conn, &author, thread, &input, &Open)?
                .now()?
                .id
        }
    };
    diesel::update(held_drafts::table.find(id))
        .set((
            held_drafts::status.eq("approved"),
            held_drafts::published_id.eq(published),
            held_drafts::updated_at.eq(Utc::now()),
        ))
        .execute(conn)?;
    Ok(published)
}

/// Refuses a held draft.
pub fn refuse(conn: &mut PgConnection, id: Uuid) -> AppResult<HeldRow> {
    let r = row_locked(conn, id)?;
    if r.status != "held" {
        return Err(AppError::conflict(None, "This draft is no longer held."));
    }
    diesel::update(held_drafts::table.find(id))
        .set((
            held_drafts::status.eq("rejected"),
            held_drafts::updated_at.eq(Utc::now()),
        ))
        .execute(conn)?;
    Ok(r)
}
