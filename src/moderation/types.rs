//! API shapes of moderation: flags, the review queue, actions on content and members, statements
//! of reasons (decisions), appeals, the log and watched words.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::accounts::types::UserPublic;

macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $s:tt),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
        pub enum $name {
            $(#[serde(rename = $s)] $variant),*
        }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $s),* }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some(Self::$variant),)* _ => None }
            }
        }
    };
}

string_enum!(
    /// What a flag or a decision is about.
    TargetType {
        Post => "post",
        Thread => "thread",
        User => "user",
        Challenge => "challenge",
    }
);

string_enum!(
    /// Why a member flags something; `illegal` is a notice under Art. 16 of the EU Digital
    /// Services Act.
    FlagReason {
        Spam => "spam",
        Inappropriate => "inappropriate",
        OffTopic => "off_topic",
        Illegal => "illegal",
        Other => "other",
    }
);

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateFlag {
    pub target_type: TargetType,
    pub target_id: Uuid,
    pub reason: FlagReason,
    /// Required for `illegal` (say which law, and why) and `other`; at most 2,000 characters.
    #[schema(
        max_length = 2000,
        example = "Ce message publie l'adresse personnelle d'un membre."
    )]
    pub message: Option<String>,
}

/// A member's flag. Flagging the same target again updates it (`200`); a first flag is a `201`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Flag {
    pub id: Uuid,
    pub target_type: TargetType,
    pub target_id: Uuid,
    pub reason: FlagReason,
    pub message: String,
    /// The review-queue item that gathers the target's flags.
    pub item_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

string_enum!(
    /// A review-queue item's kind: flags gathered on one target, a held draft, an appeal.
    ItemKind {
        Flags => "flags",
        Held => "held",
        Appeal => "appeal",
    }
);

string_enum!(
    ItemStatus {
        Pending => "pending",
        Resolved => "resolved",
    }
);

string_enum!(
    /// How a moderator resolves a queue item. On flags: `approve` or `dismiss` keep the content
    /// (and unhide it when the flags hid it), `hide` hides it, `delete` or `reject` remove it. On a
    /// held draft: `approve` publishes it, `reject` refuses it. On an appeal: `approve` reverses the
    /// decision, `reject` or `dismiss` uphold it.
    Resolution {
        Approve => "approve",
        Reject => "reject",
        Hide => "hide",
        Delete => "delete",
        Dismiss => "dismiss",
    }
);

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// `flags`, `held` or `appeal`; all kinds when absent.
    pub kind: Option<ItemKind>,
    /// `pending` (default) or `resolved`.
    pub status: Option<ItemStatus>,
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// A flag as moderators see it in the queue.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueueFlag {
    pub flagger: UserPublic,
    pub reason: FlagReason,
    pub message: String,
    pub created_at: DateTime<Utc>,
}

/// One review-queue item.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueueItem {
    pub id: Uuid,
    pub kind: ItemKind,
    pub status: ItemStatus,
    /// `post`, `thread`, `user`, `challenge` (flags), `held` (a held draft), `decision` (an appeal).
    #[schema(value_type = RecordTarget)]
    pub target_type: String,
    pub target_id: Uuid,
    /// A title or excerpt of the target, for the list.
    pub target_title: String,
    /// The member whose content or account is concerned.
    pub concerned: Option<UserPublic>,
    pub flag_count: i32,
    /// The target was hidden automatically when its flags reached the threshold.
    pub auto_hidden: bool,
    pub flags: Vec<QueueFlag>,
    /// The appeal's message (appeals only).
    pub appeal_message: Option<String>,
    /// Who holds the item, since when.
    pub claimed_by: Option<UserPublic>,
    pub claimed_at: Option<DateTime<Utc>>,
    pub resolution: Option<Resolution>,
    pub resolution_reason: Option<String>,
    pub resolved_by: Option<UserPublic>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// The decision the resolution took (when it restricted someone).
    pub decision_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

string_enum!(
    /// The ground of a decision: a rule of the forum's terms, or illegality.
    Ground {
        Terms => "terms",
        Illegal => "illegal",
    }
);

string_enum!(
    /// The EU DSA Transparency Database's categories (schema v2, 2025).
    StatementCategory {
        AnimalWelfare => "STATEMENT_CATEGORY_ANIMAL_WELFARE",
        ConsumerInformation => "STATEMENT_CATEGORY_CONSUMER_INFORMATION",
        CyberViolence => "STATEMENT_CATEGORY_CYBER_VIOLENCE",
        CyberViolenceAgainstWomen => "STATEMENT_CATEGORY_CYBER_VIOLENCE_AGAINST_WOMEN",
        DataProtection => "STATEMENT_CATEGORY_DATA_PROTECTION_AND_PRIVACY_VIOLATIONS",
        IllegalOrHarmfulSpeech => "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
        IntellectualProperty => "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS",
        CivicDiscourse => "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS",
        NotSpecifiedNotice => "STATEMENT_CATEGORY_NOT_SPECIFIED_NOTICE",
        OtherViolationTc => "STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
        ProtectionOfMinors => "STATEMENT_CATEGORY_PROTECTION_OF_MINORS",
        RiskForPublicSecurity => "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY",
        ScamsAndFraud => "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
        SelfHarm => "STATEMENT_CATEGORY_SELF_HARM",
        UnsafeProducts => "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS",
        Violence => "STATEMENT_CATEGORY_VIOLENCE",
    }
);

/// The grounds of a decision, for its statement of reasons. All optional: by default, a rule of
/// the forum's terms of use, in the category "other violation of the terms".
#[derive(Debug, Default, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Grounds {
    pub ground: Option<Ground>,
    /// The rule of the terms relied on (`terms`), e.g. "Charte, §3 : pas de publicité".
    #[schema(
        max_length = 500,
        example = "Charte de la communauté, §3 : pas de publicité"
    )]
    pub terms_rule: Option<String>,
    /// The legal ground (`illegal`: required), e.g. "Art. 9 du Code civil (vie privée)".
    #[schema(max_length = 500)]
    pub legal_ground: Option<String>,
    pub category: Option<StatementCategory>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Resolve {
    pub action: Resolution,
    /// The facts and reasons, told to the member concerned; 1 to 2,000 characters.
    #[schema(
        min_length = 1,
        max_length = 2000,
        example = "Message publicitaire sans lien avec la discussion."
    )]
    pub reason: String,
    pub grounds: Option<Grounds>,
}

string_enum!(
    PostAction {
        Hide => "hide",
        Unhide => "unhide",
        Delete => "delete",
        Restore => "restore",
    }
);

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostModeration {
    pub action: PostAction,
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: String,
    pub grounds: Option<Grounds>,
}

string_enum!(
    ThreadAction {
        Lock => "lock",
        Unlock => "unlock",
        Pin => "pin",
        Unpin => "unpin",
        Archive => "archive",
        Unarchive => "unarchive",
        Move => "move",
        Hide => "hide",
        Unhide => "unhide",
    }
);

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ThreadModeration {
    pub action: ThreadAction,
    /// The category to move to (`move` only): its slug.
    pub category: Option<String>,
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: String,
    pub grounds: Option<Grounds>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SlowMode {
    /// Minimum seconds between two posts of one member in the thread, 0 (off) to 86,400.
    #[schema(minimum = 0, maximum = 86400, example = 60)]
    #[serde(deserialize_with = "crate::input::int")]
    pub seconds: i32,
    /// Why (logged); optional.
    #[schema(max_length = 2000)]
    pub reason: Option<String>,
}

string_enum!(
    UserAction {
        Silence => "silence",
        Unsilence => "unsilence",
        Suspend => "suspend",
        Unsuspend => "unsuspend",
    }
);

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserModeration {
    pub action: UserAction,
    /// When a silence or suspension ends by itself; absent: until lifted.
    pub until: Option<DateTime<Utc>>,
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: String,
    pub grounds: Option<Grounds>,
}

/// A member's moderation state after an action.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberRestrictions {
    pub user: UserPublic,
    /// Silenced until then (`null`: not silenced, or `indefinite`).
    pub silenced_until: Option<DateTime<Utc>>,
    pub silenced: bool,
    pub suspended_until: Option<DateTime<Utc>>,
    pub suspended: bool,
    pub decision_id: Option<Uuid>,
}

/// What a moderation action on content answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActionTaken {
    pub target_type: TargetType,
    pub target_id: Uuid,
    pub action: String,
    /// The statement of reasons, when the action restricted someone.
    pub decision_id: Option<Uuid>,
}

/// Documentation types: the values the DSA Transparency Database (API v2) allows in the fields
/// of a statement of reasons that palabre stores as text; the ones palabre writes are a subset.
#[allow(dead_code)]
#[derive(ToSchema)]
pub enum DecisionGround {
    #[schema(rename = "DECISION_GROUND_ILLEGAL_CONTENT")]
    IllegalContent,
    #[schema(rename = "DECISION_GROUND_INCOMPATIBLE_CONTENT")]
    IncompatibleContent,
}

#[allow(dead_code)]
#[derive(ToSchema)]
pub enum DecisionVisibility {
    #[schema(rename = "DECISION_VISIBILITY_CONTENT_REMOVED")]
    Removed,
    #[schema(rename = "DECISION_VISIBILITY_CONTENT_DISABLED")]
    Disabled,
    #[schema(rename = "DECISION_VISIBILITY_CONTENT_DEMOTED")]
    Demoted,
    #[schema(rename = "DECISION_VISIBILITY_CONTENT_AGE_RESTRICTED")]
    AgeRestricted,
    #[schema(rename = "DECISION_VISIBILITY_CONTENT_INTERACTION_RESTRICTED")]
    InteractionRestricted,
    #[schema(rename = "DECISION_VISIBILITY_CONTENT_LABELLED")]
    Labelled,
    #[schema(rename = "DECISION_VISIBILITY_OTHER")]
    Other,
}

#[allow(dead_code)]
#[derive(ToSchema)]
pub enum DecisionAccount {
    #[schema(rename = "DECISION_ACCOUNT_SUSPENDED")]
    Suspended,
    #[schema(rename = "DECISION_ACCOUNT_TERMINATED")]
    Terminated,
}

#[allow(dead_code)]
#[derive(ToSchema)]
pub enum DecisionProvision {
    #[schema(rename = "DECISION_PROVISION_PARTIAL_SUSPENSION")]
    PartialSuspension,
    #[schema(rename = "DECISION_PROVISION_TOTAL_SUSPENSION")]
    TotalSuspension,
    #[schema(rename = "DECISION_PROVISION_PARTIAL_TERMINATION")]
    PartialTermination,
    #[schema(rename = "DECISION_PROVISION_TOTAL_TERMINATION")]
    TotalTermination,
}

#[allow(dead_code)]
#[derive(ToSchema)]
pub enum SourceType {
    #[schema(rename = "SOURCE_ARTICLE_16")]
    Article16,
    #[schema(rename = "SOURCE_TRUSTED_FLAGGER")]
    TrustedFlagger,
    #[schema(rename = "SOURCE_TYPE_OTHER_NOTIFICATION")]
    OtherNotification,
    #[schema(rename = "SOURCE_VOLUNTARY")]
    Voluntary,
}

#[allow(dead_code)]
#[derive(ToSchema)]
pub enum AutomatedDecision {
    #[schema(rename = "AUTOMATED_DECISION_FULLY")]
    Fully,
    #[schema(rename = "AUTOMATED_DECISION_PARTIALLY")]
    Partially,
    #[schema(rename = "AUTOMATED_DECISION_NOT_AUTOMATED")]
    NotAutomated,
}

/// The DSA Transparency Database's multiple-statement submission (`POST /api/v1/statements`,
/// 100 at a time), as `GET /admin/statements` exports it.
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct StatementsSubmission {
    pub statements: Vec<DsaStatement>,
}

/// One statement of reasons in the Transparency Database's format (API v2). Fields that do not
/// apply to a decision are absent, as that database requires.
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct DsaStatement {
    #[schema(nullable = false)]
    pub decision_visibility: Option<Vec<DecisionVisibility>>,
    #[schema(nullable = false)]
    pub decision_provision: Option<DecisionProvision>,
    #[schema(nullable = false)]
    pub decision_account: Option<DecisionAccount>,
    /// Always `ACCOUNT_TYPE_PRIVATE`.
    #[schema(example = "ACCOUNT_TYPE_PRIVATE")]
    pub account_type: String,
    pub decision_ground: DecisionGround,
    /// With `DECISION_GROUND_ILLEGAL_CONTENT`.
    #[schema(nullable = false)]
    pub illegal_content_legal_ground: Option<String>,
    #[schema(nullable = false)]
    pub illegal_content_explanation: Option<String>,
    /// With `DECISION_GROUND_INCOMPATIBLE_CONTENT`.
    #[schema(nullable = false)]
    pub incompatible_content_ground: Option<String>,
    #[schema(nullable = false)]
    pub incompatible_content_explanation: Option<String>,
    /// `No`, with `DECISION_GROUND_INCOMPATIBLE_CONTENT`.
    #[schema(nullable = false)]
    pub incompatible_content_illegal: Option<String>,
    pub category: StatementCategory,
    /// `CONTENT_TYPE_TEXT`, …
    pub content_type: Vec<String>,
    /// Always `FR`.
    pub content_language: String,
    /// `YYYY-MM-DD`.
    pub content_date: String,
    /// `YYYY-MM-DD`.
    pub application_date: String,
    /// `YYYY-MM-DD`, for a timed restriction of an account.
    #[schema(nullable = false)]
    pub end_date_account_restriction: Option<String>,
    /// `YYYY-MM-DD`, for a timed restriction of the service.
    #[schema(nullable = false)]
    pub end_date_service_restriction: Option<String>,
    /// `YYYY-MM-DD`, for a timed restriction of visibility.
    #[schema(nullable = false)]
    pub end_date_visibility_restriction: Option<String>,
    pub decision_facts: String,
    pub source_type: SourceType,
    /// `Yes` or `No`.
    pub automated_detection: String,
    pub automated_decision: AutomatedDecision,
    /// The EU/EEA member states' codes.
    pub territorial_scope: Vec<String>,
    /// The decision's id in palabre.
    pub puid: String,
}

/// The values of [`RecordTarget`], for the filters that take one.
pub const RECORD_TARGETS: &[&str] = &[
    "post",
    "thread",
    "user",
    "challenge",
    "held",
    "decision",
    "watched_word",
    "organisation",
];

/// What a queue item, a decision or a log entry is about.
#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum RecordTarget {
    Post,
    Thread,
    User,
    Challenge,
    /// A held draft.
    Held,
    /// A decision (an appeal's item).
    Decision,
    WatchedWord,
    Organisation,
}

/// A statement of reasons: a decision that restricted someone, as the person concerned and
/// moderators read it. Field names follow the EU DSA Transparency Database where they match.
#[derive(Debug, Serialize, ToSchema)]
pub struct Decision {
    pub id: Uuid,
    /// `hide_post`, `delete_post`, `hide_thread`, `hold_post`, `hold_thread`, `reject_held`,
    /// `silence`, `suspend`, `hide_challenge`, …
    pub action: String,
    #[schema(value_type = RecordTarget)]
    pub target_type: String,
    pub target_id: Uuid,
    pub target_title: String,
    #[schema(value_type = Vec<DecisionVisibility>)]
    pub decision_visibility: Vec<String>,
    #[schema(value_type = Option<DecisionProvision>)]
    pub decision_provision: Option<String>,
    #[schema(value_type = Option<DecisionAccount>)]
    pub decision_account: Option<String>,
    #[schema(value_type = DecisionGround)]
    pub decision_ground: String,
    pub legal_ground: Option<String>,
    pub terms_rule: Option<String>,
    #[schema(value_type = StatementCategory)]
    pub category: String,
    pub decision_facts: String,
    #[schema(value_type = SourceType)]
    pub source_type: String,
    pub automated_detection: bool,
    #[schema(value_type = AutomatedDecision)]
    pub automated_decision: String,
    /// Human (`false`) or automated (`true`) decision.
    pub automated: bool,
    pub application_date: DateTime<Utc>,
    /// When the restriction ends by itself (`null`: indefinite or not timed).
    pub end_date: Option<DateTime<Utc>>,
    pub reversed_at: Option<DateTime<Utc>>,
    pub appeal: Option<Appeal>,
    /// Whether the person concerned may still appeal.
    pub can_appeal: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAppeal {
    /// Why the decision should be reversed; 1 to 4,000 characters.
    #[schema(min_length = 1, max_length = 4000)]
    pub message: String,
    /// A suspended member, who cannot log in, appeals with the `token` of the link in the
    /// suspension's email instead of a bearer token.
    #[schema(max_length = 200)]
    pub token: Option<String>,
}

string_enum!(
    AppealStatus {
        Pending => "pending",
        Upheld => "upheld",
        Reversed => "reversed",
    }
);

#[derive(Debug, Serialize, ToSchema)]
pub struct Appeal {
    pub id: Uuid,
    pub decision_id: Uuid,
    pub status: AppealStatus,
    pub message: String,
    /// The moderator's reason, once resolved.
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogQuery {
    /// Only this action (`hide_post`, `suspend`, `auto_hide`, …).
    pub action: Option<String>,
    /// Only actions on this target.
    #[param(value_type = Option<RecordTarget>)]
    pub target_type: Option<String>,
    pub target_id: Option<Uuid>,
    /// Only this moderator's actions.
    pub actor: Option<Uuid>,
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// One moderation action: who (`null`: the system), what, on what, why, when.
#[derive(Debug, Serialize, ToSchema)]
pub struct LogEntry {
    pub id: Uuid,
    pub actor: Option<UserPublic>,
    pub action: String,
    #[schema(value_type = RecordTarget)]
    pub target_type: String,
    pub target_id: Uuid,
    pub reason: Option<String>,
    pub details: serde_json::Value,
    pub decision_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

string_enum!(
    WatchedAction {
        Block => "block",
        Hold => "hold",
        Replace => "replace",
    }
);

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWatchedWord {
    /// A word or phrase (matched whole, ignoring case and accents), or a regular expression.
    #[schema(min_length = 1, max_length = 200, example = "casino")]
    pub pattern: String,
    /// `pattern` is a regular expression (Rust `regex` syntax, case-insensitive).
    #[serde(default)]
    pub regex: bool,
    pub action: WatchedAction,
    /// The replacement text (`replace` only).
    #[schema(max_length = 200)]
    pub replacement: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WatchedWordQuery {
    /// The word or expression, as listed.
    #[param(min_length = 1, max_length = 200)]
    pub pattern: String,
    /// Whether it is an expression (default false).
    pub regex: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WatchedWord {
    pub id: Uuid,
    pub pattern: String,
    pub regex: bool,
    pub action: WatchedAction,
    pub replacement: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatementsQuery {
    /// From this instant (inclusive).
    pub since: DateTime<Utc>,
    /// Until this instant (exclusive).
    pub until: DateTime<Utc>,
}
