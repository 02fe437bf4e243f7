//! Moderation and trust: flags, the review queue, held drafts, actions on content and members,
//! statements of reasons (EU DSA Art. 17) with appeals (Art. 20), watched words, the append-only
//! log and per-member write limits. It sits above discussions and challenges: discussions define
//! the publishing hook (`discussions::gate::Gate`) and `app` plugs [`held::ModerationGate`] in.

pub mod actions;
pub mod appeals;
pub mod challenges;
pub mod content;
pub mod decisions;
pub mod flags;
pub mod handlers;
pub mod held;
pub mod log;
pub mod personal;
pub mod queue;
pub mod types;
pub mod words;

use utoipa::OpenApi;

use crate::feature::Feature;

pub const FEATURE: Feature = Feature::new("moderation", handlers::routes, ApiDoc::openapi)
    .personal_data(
        personal::export,
        <personal::ModerationExport as utoipa::ToSchema>::name,
        personal::erase,
    );

#[derive(OpenApi)]
#[openapi(
    paths(
        handlers::create_flag,
        handlers::list_queue,
        handlers::read_queue_item,
        handlers::claim,
        handlers::resolve,
        handlers::moderate_post,
        handlers::moderate_thread,
        handlers::slow_mode,
        handlers::moderate_user,
        handlers::read_decision,
        handlers::appeal,
        handlers::read_log,
        handlers::list_watched_words,
        handlers::create_watched_word,
        handlers::delete_watched_word,
        handlers::delete_watched_word_by_pattern,
        handlers::statements,
        handlers::read_held,
    ),
    components(schemas(
        types::TargetType,
        types::FlagReason,
        types::ItemKind,
        types::ItemStatus,
        types::Resolution,
        types::Ground,
        types::StatementCategory,
        types::PostAction,
        types::ThreadAction,
        types::UserAction,
        types::AppealStatus,
        types::WatchedAction,
        crate::discussions::gate::DraftKind,
        personal::ModerationExport,
    )),
    tags((name = "moderation", description = "Flags, the review queue, held drafts, actions on content and members, statements of reasons, appeals, the log and watched words")),
)]
pub struct ApiDoc;
