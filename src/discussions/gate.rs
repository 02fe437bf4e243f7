//! The hook through which a higher layer (moderation) screens what members publish: "may this
//! member publish this now, and is it held?". Discussions define it and call it before writing a
//! thread or a reply; the application provides the implementation when it is composed
//! (`app::gate`), so discussions never import moderation. Without one, [`Open`] publishes
//! everything.

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::accounts::auth::Actor;
use crate::error::AppResult;

/// What a member is about to publish, already checked (category, title, body, thread, reply_to).
#[derive(Debug, Clone, Serialize)]
pub struct Draft {
    pub kind: DraftKind,
    /// The thread replied to (replies only).
    pub thread_id: Option<Uuid>,
    /// The thread's title (a new thread's own, or the replied thread's).
    pub title: String,
    pub body: String,
    /// The request as received, to publish it later exactly as it was sent.
    pub input: serde_json::Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DraftKind {
    Thread,
    Post,
}

impl DraftKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Thread => "thread",
            Self::Post => "post",
        }
    }
}

/// The screen's answer: publish (as written, or rewritten by a rule) or hold for approval.
#[derive(Debug, Default)]
pub struct Verdict {
    /// Why the draft is held (`first_posts`, `watched_word`); `None` publishes it now.
    pub hold: Option<String>,
    /// Replacements for the member's title and body, when a rule rewrote them.
    pub title: Option<String>,
    pub body: Option<String>,
}

impl Verdict {
    /// A rewritten title or body is checked again as the member's own would be (a replacement can
    /// empty a title or lengthen a body).
    pub fn checked(self) -> AppResult<Self> {
        let mut errors = crate::input::Errors::new();
        if let Some(t) = &self.title {
            errors.check("title", crate::input::Title::parse(t));
        }
        if let Some(b) = &self.body {
            errors.check("body", super::threads::check_body(b));
        }
        errors.finish()?;
        Ok(self)
    }
}

/// A thread or reply held for approval (the body of a `202 Accepted`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HeldDraft {
    pub id: Uuid,
    pub kind: DraftKind,
    /// Always `held` in a `202`.
    #[schema(value_type = HeldStatus)]
    pub status: String,
    /// The thread replied to (replies only).
    pub thread_id: Option<Uuid>,
    pub title: String,
    pub body: String,
    #[schema(value_type = HeldReason)]
    pub held_for: String,
    /// The statement of reasons sent to the author.
    pub decision_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

/// Screens members' threads and replies before they are written. `screen` reads (and may refuse
/// with a 422 naming the rule); `hold` stores a held draft, in the writing transaction, once the
/// draft passed every other check (thread open, reply target valid).
pub trait Gate: Send + Sync {
    fn screen(&self, conn: &mut PgConnection, actor: &Actor, draft: &Draft) -> AppResult<Verdict>;
    /// An edit of published text (a post's body, a thread's title): the same rules on words, but
    /// nothing is held (an edit that would be held is refused) and no new-post limit applies.
    fn screen_edit(
        &self,
        conn: &mut PgConnection,
        actor: &Actor,
        draft: &Draft,
    ) -> AppResult<Verdict>;
    /// A moderator removed another member's post (`DELETE /posts/{id}` with a reason): the
    /// author is owed a statement of reasons.
    fn staff_removed(
        &self,
        conn: &mut PgConnection,
        actor: &Actor,
        post: Uuid,
        reason: &str,
    ) -> AppResult<()>;
    fn hold(
        &self,
        conn: &mut PgConnection,
        actor: &Actor,
        draft: &Draft,
        reason: &str,
    ) -> AppResult<HeldDraft>;
}

/// Publishes everything as written (an application without moderation).
pub struct Open;

impl Gate for Open {
    fn screen(&self, _: &mut PgConnection, _: &Actor, _: &Draft) -> AppResult<Verdict> {
        Ok(Verdict::default())
    }

    fn screen_edit(&self, _: &mut PgConnection, _: &Actor, _: &Draft) -> AppResult<Verdict> {
        Ok(Verdict::default())
    }

    fn staff_removed(&self, _: &mut PgConnection, _: &Actor, _: Uuid, _: &str) -> AppResult<()> {
        Ok(())
    }

    fn hold(&self, _: &mut PgConnection, _: &Actor, _: &Draft, _: &str) -> AppResult<HeldDraft> {
        Err(crate::error::AppError::Internal(anyhow::anyhow!(
            "the open gate holds nothing"
        )))
    }
}

/// What a create answers: the thread or post, or the held draft.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Published<T> {
    Now(T),
    Held(HeldDraft),
}

impl<T> Published<T> {
    /// What was published, for callers that screen with [`Open`] (seeds, tests).
    pub fn now(self) -> AppResult<T> {
        match self {
            Published::Now(item) => Ok(item),
            Published::Held(_) => Err(crate::error::AppError::Internal(anyhow::anyhow!(
                "a draft was held where none can be"
            ))),
        }
    }
}

/// A held draft's state: `held` until a moderator approves (`approved`: published) or rejects it.
#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum HeldStatus {
    Held,
    Approved,
    Rejected,
}

/// Why a draft is held: a new member's first posts, or a watched word of action `hold`.
#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum HeldReason {
    FirstPosts,
    WatchedWord,
}
