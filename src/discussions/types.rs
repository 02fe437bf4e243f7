//! API shapes of discussions.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::accounts::types::UserPublic;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum WhoCanStart {
    Everyone,
    Staff,
    /// The owning commun's maintainers, through `POST /communs/{slug}/news`: the rule of a
    /// commun's news category, set when the commun is created (administrators cannot give it to
    /// another category, nor take it from one).
    Maintainers,
}

impl WhoCanStart {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Everyone => "everyone",
            Self::Staff => "staff",
            Self::Maintainers => "maintainers",
        }
    }
    pub fn parse(s: &str) -> Self {
        match s {
            "staff" => Self::Staff,
            "maintainers" => Self::Maintainers,
            _ => Self::Everyone,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01938a4e-0000-7000-8000-00000000c001",
    "slug": "donnees-ouvertes",
    "name": "Données ouvertes",
    "description": "Jeux de données géographiques ouverts : publication, licences, mises à jour.",
    "color": "#2e7d32",
    "position": 1,
    "parent": null,
    "who_can_start": "everyone",
    "thread_count": 128,
    "post_count": 1934,
    "commun_id": null
}))]
pub struct Category {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub description: String,
    /// `#RRGGBB`.
    pub color: String,
    /// The parent category's slug (one level at most).
    pub parent: Option<String>,
    pub position: i32,
    pub who_can_start: WhoCanStart,
    pub thread_count: i32,
    pub post_count: i32,
    /// The commun whose news this category holds (`GET /communs/{slug}` also takes its id).
    pub commun_id: Option<Uuid>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCategory {
    /// Lower-case letters, digits and `-`.
    #[schema(min_length = 2, max_length = 50, pattern = "^[a-z0-9]+(-[a-z0-9]+)*$")]
    pub slug: String,
    #[schema(
        min_length = 2,
        max_length = 80,
        pattern = "^[^\\x00-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x1F\\x7F-\\x9F]*$"
    )]
    pub name: String,
    #[schema(max_length = 1000)]
    pub description: Option<String>,
    #[schema(pattern = "^#[0-9a-fA-F]{6}$")]
    pub color: Option<String>,
    /// Slug of the parent category (which must itself have none).
    pub parent: Option<String>,
    #[serde(default, deserialize_with = "crate::input::opt_int")]
    #[schema(minimum = 0, maximum = 10000)]
    pub position: Option<i32>,
    pub who_can_start: Option<WhoCanStart>,
}

/// Fields to change; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCategory {
    #[schema(
        min_length = 2,
        max_length = 80,
        pattern = "^[^\\x00-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x1F\\x7F-\\x9F]*$"
    )]
    pub name: Option<String>,
    #[schema(max_length = 1000)]
    pub description: Option<String>,
    #[schema(pattern = "^#[0-9a-fA-F]{6}$")]
    pub color: Option<String>,
    #[serde(default, deserialize_with = "crate::input::opt_int")]
    #[schema(minimum = 0, maximum = 10000)]
    pub position: Option<i32>,
    pub who_can_start: Option<WhoCanStart>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Tag {
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTag {
    #[schema(min_length = 2, max_length = 40, pattern = "^[a-z0-9]+(-[a-z0-9]+)*$")]
    pub slug: String,
    #[schema(
        min_length = 2,
        max_length = 60,
        pattern = "^[^\\x00-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x1F\\x7F-\\x9F]*$"
    )]
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ThreadKind {
    Discussion,
    Question,
    /// A commun's news, published by its maintainers (`POST /communs/{slug}/news`).
    News,
}

impl ThreadKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Discussion => "discussion",
            Self::Question => "question",
            Self::News => "news",
        }
    }
    pub fn parse(s: &str) -> Self {
        match s {
            "question" => Self::Question,
            "news" => Self::News,
            _ => Self::Discussion,
        }
    }
}

/// The kinds of thread a member starts with `POST /threads` (news are published by a commun's
/// maintainers with `POST /communs/{slug}/news`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum NewThreadKind {
    Discussion,
    Question,
}

impl From<NewThreadKind> for ThreadKind {
    fn from(k: NewThreadKind) -> Self {
        match k {
            NewThreadKind::Discussion => Self::Discussion,
            NewThreadKind::Question => Self::Question,
        }
    }
}

/// Reaction kinds: one of each per member per post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReactionKind {
    Like,
    Thanks,
    Insightful,
    Agree,
    Laugh,
    Celebrate,
}

/// A post's reactions: the count of each kind present (kinds no one used are absent). Documents
/// the map `Post.reactions` is sent as, keyed by [`ReactionKind`].
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct ReactionCounts {
    #[schema(nullable = false, minimum = 1)]
    pub like: Option<i64>,
    #[schema(nullable = false, minimum = 1)]
    pub thanks: Option<i64>,
    #[schema(nullable = false, minimum = 1)]
    pub insightful: Option<i64>,
    #[schema(nullable = false, minimum = 1)]
    pub agree: Option<i64>,
    #[schema(nullable = false, minimum = 1)]
    pub laugh: Option<i64>,
    #[schema(nullable = false, minimum = 1)]
    pub celebrate: Option<i64>,
}

impl ReactionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Like => "like",
            Self::Thanks => "thanks",
            Self::Insightful => "insightful",
            Self::Agree => "agree",
            Self::Laugh => "laugh",
            Self::Celebrate => "celebrate",
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01938a4f-1d20-7b11-a3c4-5e6f70819203",
    "thread_id": "01938a4e-7c1a-7d2e-9b3f-2a6c1e0d4b5f",
    "number": 2,
    "author": {"id": "01938a4e-7c1a-7d2e-9b3f-2a6c1e0d4b60", "username": "yann", "display_name": "Yann Kervella", "role": "member", "created_at": "2026-11-30T18:02:00Z"},
    "body": "Le cadastre solaire de Brest est publié sous **Licence Ouverte 2.0**.",
    "body_html": "<p>Le cadastre solaire de Brest est publié sous <strong>Licence Ouverte 2.0</strong>.</p>",
    "reply_to": null,
    "reactions": {"like": 4, "thanks": 1},
    "my_reactions": ["like"],
    "edited_at": null,
    "deleted": false,
    "hidden": false,
    "wiki": false,
    "revision": 1,
    "created_at": "2026-12-01T10:30:00Z"
}))]
pub struct Post {
    pub id: Uuid,
    pub thread_id: Uuid,
    /// 1 for the opening post, then 2, 3, … in order.
    pub number: i32,
    pub author: UserPublic,
    /// The Markdown source; empty when deleted or hidden (except for moderators, and the author of a
    /// hidden post).
    pub body: String,
    /// Sanitised HTML rendered at write time; empty when deleted (except for moderators).
    pub body_html: String,
    pub reply_to: Option<Uuid>,
    /// Count per reaction kind.
    #[schema(value_type = ReactionCounts)]
    pub reactions: BTreeMap<String, i64>,
    /// The caller's own reactions on this post.
    #[schema(value_type = Vec<ReactionKind>)]
    pub my_reactions: Vec<String>,
    pub edited_at: Option<DateTime<Utc>>,
    pub deleted: bool,
    /// Hidden by moderation: its text is shown to its author and moderators only.
    pub hidden: bool,
    /// A wiki (opening posts only): members in good standing may edit it, not only its author.
    pub wiki: bool,
    /// The current revision: 1 until the first edit; `GET /posts/{id}/revisions/{n}/diff` shows
    /// what revision n changed. Send it back with an edit to refuse overwriting a newer one.
    #[schema(minimum = 1)]
    pub revision: i32,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryRef {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01938a4e-7c1a-7d2e-9b3f-2a6c1e0d4b5f",
    "title": "Où trouver le cadastre solaire de Brest ?",
    "category": {"id": "01938a4e-0000-7000-8000-00000000c001", "slug": "donnees-ouvertes", "name": "Données ouvertes"},
    "tags": [{"slug": "energie", "name": "Énergie"}],
    "kind": "question",
    "author": {"id": "01938a4e-7c1a-7d2e-9b3f-2a6c1e0d4b61", "username": "maelle", "display_name": "Maëlle Le Goff", "role": "member", "created_at": "2026-11-29T09:14:00Z"},
    "excerpt": "Je cherche le potentiel solaire des toitures de Brest métropole, en données ouvertes.",
    "reply_count": 3, "participant_count": 3, "reaction_count": 6,
    "last_activity_at": "2026-12-01T10:30:00Z",
    "last_poster": {"id": "01938a4e-7c1a-7d2e-9b3f-2a6c1e0d4b60", "username": "yann", "display_name": "Yann Kervella", "role": "member", "created_at": "2026-11-30T18:02:00Z"},
    "pinned": false, "locked": false, "archived": false, "hidden": false, "slow_mode_seconds": 0,
    "created_at": "2026-12-01T09:00:00Z",
    "accepted_answer": "01938a4f-1d20-7b11-a3c4-5e6f70819203",
    "subject": null,
    "unread_count": 2
}))]
/// A thread as lists show it (thread lists, a commun's news): an excerpt instead of the opening
/// post. `GET /threads/{id}` adds the whole opening post ([`Thread`]).
pub struct ThreadListItem {
    pub id: Uuid,
    pub title: String,
    pub category: CategoryRef,
    pub tags: Vec<Tag>,
    pub kind: ThreadKind,
    pub author: UserPublic,
    /// The opening post's text, plain (no markup), at most 240 characters: cut with `…` when
    /// longer. Empty when the opening post is deleted or hidden by moderation (but for staff).
    /// Plain text, not HTML: it may contain `<` and `&` as written; escape it when rendering.
    #[schema(max_length = 240)]
    pub excerpt: String,
    /// Posts numbered so far, the opening post excepted (deleted and hidden replies included:
    /// numbers are never reused).
    pub reply_count: i32,
    pub participant_count: i32,
    pub reaction_count: i32,
    pub last_activity_at: DateTime<Utc>,
    pub last_poster: Option<UserPublic>,
    pub pinned: bool,
    pub locked: bool,
    /// Read-only, and out of the site-wide lists (its category's list keeps it).
    pub archived: bool,
    /// Hidden by moderation: seen by moderators and its author only.
    pub hidden: bool,
    /// Slow mode: the minimum seconds between two posts of one member here (0: off).
    pub slow_mode_seconds: i32,
    /// The accepted answer of a question.
    pub accepted_answer: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    /// What the thread discusses, when another resource owns it (a challenge's thread).
    pub subject: Option<ThreadSubject>,
    /// For the caller, on a thread they watch or track (its own level, or else its category's):
    /// the posts after the highest one they have read (`PUT /threads/{id}/read`), their own posts
    /// counting as read. `null` for anonymous readers and on other threads.
    #[schema(minimum = 0)]
    pub unread_count: Option<i32>,
}

/// A thread as `GET /threads/{id}` shows it: a list item and the whole opening post.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01938a4e-7c1a-7d2e-9b3f-2a6c1e0d4b5f",
    "title": "Où trouver le cadastre solaire de Brest ?",
    "category": {"id": "01938a4e-0000-7000-8000-00000000c001", "slug": "donnees-ouvertes", "name": "Données ouvertes"},
    "tags": [{"slug": "energie", "name": "Énergie"}],
    "kind": "question",
    "author": {"id": "01938a4e-7c1a-7d2e-9b3f-2a6c1e0d4b61", "username": "maelle", "display_name": "Maëlle Le Goff", "role": "member", "created_at": "2026-11-29T09:14:00Z"},
    "excerpt": "Je cherche le potentiel solaire des toitures de Brest métropole, en données ouvertes.",
    "opening_post": {
        "id": "01938a4e-7c1a-7d2e-9b3f-2a6c1e0d4b70",
        "thread_id": "01938a4e-7c1a-7d2e-9b3f-2a6c1e0d4b5f",
        "number": 1,
        "author": {"id": "01938a4e-7c1a-7d2e-9b3f-2a6c1e0d4b61", "username": "maelle", "display_name": "Maëlle Le Goff", "role": "member", "created_at": "2026-11-29T09:14:00Z"},
        "body": "Je cherche le potentiel solaire des toitures de Brest métropole, en **données ouvertes**.",
        "body_html": "<p>Je cherche le potentiel solaire des toitures de Brest métropole, en <strong>données ouvertes</strong>.</p>",
        "reply_to": null, "reactions": {"like": 2}, "my_reactions": [], "edited_at": null,
        "deleted": false, "hidden": false, "wiki": false, "revision": 1,
        "created_at": "2026-12-01T09:00:00Z"
    },
    "reply_count": 3, "participant_count": 3, "reaction_count": 6,
    "last_activity_at": "2026-12-01T10:30:00Z",
    "last_poster": {"id": "01938a4e-7c1a-7d2e-9b3f-2a6c1e0d4b60", "username": "yann", "display_name": "Yann Kervella", "role": "member", "created_at": "2026-11-30T18:02:00Z"},
    "pinned": false, "locked": false, "archived": false, "hidden": false, "slow_mode_seconds": 0,
    "created_at": "2026-12-01T09:00:00Z",
    "accepted_answer": "01938a4f-1d20-7b11-a3c4-5e6f70819203",
    "subject": null,
    "unread_count": null
}))]
pub struct Thread {
    #[serde(flatten)]
    pub item: ThreadListItem,
    pub opening_post: Post,
}

impl std::ops::Deref for Thread {
    type Target = ThreadListItem;

    fn deref(&self) -> &ThreadListItem {
        &self.item
    }
}

/// What kind of resource a thread discusses (the features that own threads add theirs).
#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum SubjectType {
    Challenge,
    /// A commun's news (`GET /communs/{slug}` also takes its id).
    Commun,
}

/// The resource a thread discusses.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ThreadSubject {
    #[serde(rename = "type")]
    #[schema(value_type = SubjectType)]
    pub kind: String,
    pub id: Uuid,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateThread {
    /// Category slug.
    #[schema(min_length = 1, max_length = 50)]
    pub category: String,
    #[schema(
        min_length = 5,
        max_length = 200,
        pattern = "^[^\\x00-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x1F\\x7F-\\x9F]*$"
    )]
    pub title: String,
    /// Markdown, at most 64 KiB.
    #[schema(min_length = 1, max_length = 65536)]
    pub body: String,
    /// Tag slugs, at most 5.
    #[serde(default)]
    #[schema(max_items = 5)]
    pub tags: Vec<String>,
    pub kind: Option<NewThreadKind>,
}

/// `POST /communs/{slug}/news`'s body: a news thread's title and text.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewsInput {
    #[schema(
        min_length = 5,
        max_length = 200,
        pattern = "^[^\\x00-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x1F\\x7F-\\x9F]*$"
    )]
    pub title: String,
    /// Markdown, at most 64 KiB.
    #[schema(min_length = 1, max_length = 65536)]
    pub body: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateThread {
    #[schema(
        min_length = 5,
        max_length = 200,
        pattern = "^[^\\x00-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x1F\\x7F-\\x9F]*$"
    )]
    pub title: Option<String>,
    /// Category slug.
    #[schema(min_length = 1, max_length = 50)]
    pub category: Option<String>,
    #[schema(max_items = 5)]
    pub tags: Option<Vec<String>>,
    /// Why (required when a moderator changes another member's thread: the change is logged).
    #[schema(max_length = 2000)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema, Default)]
#[serde(rename_all = "lowercase")]
pub enum ThreadSort {
    /// Newest threads first.
    #[default]
    Latest,
    /// Most recent activity first.
    Active,
    /// Highest score (replies and reactions) first.
    Top,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ThreadListQuery {
    /// Category slug.
    pub category: Option<String>,
    /// Tag slug.
    pub tag: Option<String>,
    /// Author's username.
    pub author: Option<String>,
    pub sort: Option<ThreadSort>,
    /// Items per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePost {
    /// Markdown, at most 64 KiB.
    #[schema(min_length = 1, max_length = 65536)]
    pub body: String,
    /// A post of the same thread this one answers.
    pub reply_to: Option<Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePost {
    #[schema(min_length = 1, max_length = 65536)]
    pub body: String,
    /// The revision this edit starts from (the post's `revision` when it was read): if someone
    /// edited the post since, the edit is refused with a 409 instead of overwriting theirs.
    #[serde(default, deserialize_with = "crate::input::opt_int")]
    #[schema(minimum = 1, maximum = 2147483647)]
    pub revision: Option<i32>,
}

/// `POST /posts/{id}/wiki`'s body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WikiSwitch {
    /// `true` makes the opening post a wiki; `false` gives it back to its author alone.
    pub enabled: bool,
}

/// What revision `number` changed, against the revision before it (revision 1, the post as first
/// published, is shown against an empty text).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "post_id": "01938a4e-7c1a-7d2e-9b3f-2a6c1e0d4b70",
    "number": 2,
    "editor": {"id": "01938a4e-7c1a-7d2e-9b3f-2a6c1e0d4b60", "username": "yann", "display_name": "Yann Kervella", "role": "member", "created_at": "2026-11-30T18:02:00Z"},
    "created_at": "2026-12-02T08:15:00Z",
    "body": "Sources :\n- BD TOPO\n- OpenStreetMap\n",
    "previous_body": "Sources :\n- BD TOPO\n",
    "changes": [
        {"op": "equal", "old_line": 1, "new_line": 1, "text": "Sources :\n"},
        {"op": "equal", "old_line": 2, "new_line": 2, "text": "- BD TOPO\n"},
        {"op": "insert", "old_line": null, "new_line": 3, "text": "- OpenStreetMap\n"}
    ],
    "unified": "@@ -1,2 +1,3 @@\n Sources :\n - BD TOPO\n+- OpenStreetMap\n"
}))]
pub struct RevisionDiff {
    pub post_id: Uuid,
    #[schema(minimum = 1)]
    pub number: i32,
    /// Who wrote this revision (the post's author for revision 1).
    pub editor: UserPublic,
    pub created_at: DateTime<Utc>,
    /// The whole Markdown body of this revision.
    pub body: String,
    /// The whole body of the revision before (empty for revision 1).
    pub previous_body: String,
    /// Line by line, in order: unchanged, removed and added lines.
    pub changes: Vec<DiffLine>,
    /// The same as a unified diff (three lines of context), for tools that read one.
    pub unified: String,
}

/// One line of a diff.
#[derive(Debug, Serialize, ToSchema)]
pub struct DiffLine {
    pub op: DiffOp,
    /// Its number in the previous revision (absent for an added line).
    pub old_line: Option<u32>,
    /// Its number in this revision (absent for a removed line).
    pub new_line: Option<u32>,
    /// The line, with its line break when it has one.
    pub text: String,
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DiffOp {
    Equal,
    Delete,
    Insert,
}

/// `DELETE /posts/{id}`'s query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteQuery {
    /// Why (required when a moderator removes another member's post: they are told).
    #[param(max_length = 2000)]
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Revision {
    /// 2 for the first edit, then 3, 4, … (revision 1 is the post as first published).
    #[schema(minimum = 2)]
    pub number: i32,
    pub editor: UserPublic,
    /// The whole body before this edit.
    pub previous_body: String,
    /// The whole body this edit wrote.
    pub body: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptAnswer {
    pub post_id: Uuid,
}
