//! Statements of reasons (EU DSA Art. 17): every decision that restricts someone is stored with the
//! fields the DSA Transparency Database asks for, logged, and sent to the person concerned as a
//! notification (naming the decision) and an email in their language. Admins export a period's
//! statements in the database's submission format.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde_json::{Value, json};
use uuid::Uuid;

use super::log::{self, Entry};
use super::types::*;
use crate::accounts::auth::Actor;
use crate::config::Settings;
use crate::error::{AppError, AppResult};
use crate::input::{Email, free_text};
use crate::mail::{self, Locale};
use crate::schema::{appeals, decisions, users};

/// Facts and reasons: at most this many characters (the Transparency Database's `decision_facts`
/// takes 5,000; ours are written for the member).
pub const MAX_REASON: usize = 2000;

/// The purpose of the single-use token that lets a suspended member appeal without logging in.
pub const APPEAL_TOKEN: &str = "appeal";
/// How long a suspended member's appeal link lasts.
pub const APPEAL_TOKEN_DAYS: i64 = 30;

/// The rule relied on when a moderator names none.
pub const DEFAULT_TERMS_RULE: &str = "Charte de la communauté palabre";

/// A decision's grounds, checked.
#[derive(Debug, Clone)]
pub struct Basis {
    pub facts: String,
    pub ground: Ground,
    pub terms_rule: Option<String>,
    pub legal_ground: Option<String>,
    pub category: StatementCategory,
}

/// Checks a moderator's reason and grounds (422 naming the field).
pub fn basis(reason: &str, grounds: Option<&Grounds>) -> AppResult<Basis> {
    let facts = free_text(reason, MAX_REASON)
        .and_then(|r| {
            if r.trim().is_empty() {
                Err("Say why.".to_string())
            } else {
                Ok(r)
            }
        })
        .map_err(|m| AppError::validation("reason", m))?;
    let g = grounds.cloned().unwrap_or_default();
    let ground = g.ground.unwrap_or(Ground::Terms);
    let short = |field: &str, v: Option<String>| -> AppResult<Option<String>> {
        v.map(|v| free_text(&v, 500).map_err(|m| AppError::validation(field, m)))
            .transpose()
            .map(|v| v.filter(|s| !s.trim().is_empty()))
    };
    let terms_rule = short("grounds.terms_rule", g.terms_rule)?;
    let legal_ground = short("grounds.legal_ground", g.legal_ground)?;
    if ground == Ground::Illegal && legal_ground.is_none() {
        return Err(AppError::validation(
            "grounds.legal_ground",
            "Name the law that makes this content illegal.",
        ));
    }
    let category = g.category.unwrap_or(match ground {
        Ground::Terms => StatementCategory::OtherViolationTc,
        Ground::Illegal => StatementCategory::NotSpecifiedNotice,
    });
    Ok(Basis {
        facts,
        ground,
        terms_rule: match ground {
            Ground::Terms => Some(terms_rule.unwrap_or_else(|| DEFAULT_TERMS_RULE.into())),
            Ground::Illegal => terms_rule,
        },
        legal_ground,
        category,
    })
}

/// An automated decision's basis: a rule of the terms, with the facts stated by the system.
pub fn automated_basis(facts: &str, rule: &str) -> Basis {
    Basis {
        facts: facts.into(),
        ground: Ground::Terms,
        terms_rule: Some(rule.into()),
        legal_ground: None,
        category: StatementCategory::OtherViolationTc,
    }
}

/// The restriction a decision imposes, in the Transparency Database's terms.
#[derive(Debug, Clone, Copy)]
pub enum Restriction {
    /// `DECISION_VISIBILITY_CONTENT_REMOVED`
    Removed,
    /// `DECISION_VISIBILITY_CONTENT_DISABLED` (hidden, or held pending review)
    Disabled,
    /// `DECISION_PROVISION_PARTIAL_SUSPENSION` (silenced: can read, cannot write)
    PartialSuspension,
    /// `DECISION_ACCOUNT_SUSPENDED`
    AccountSuspended,
    /// `DECISION_VISIBILITY_CONTENT_INTERACTION_RESTRICTED` (a challenge rejected or closed: it
    /// stays readable, and is no longer taken up)
    InteractionRestricted,
}

/// How a decision was reached.
#[derive(Debug, Clone, Copy)]
pub enum Source {
    /// A moderator, on their own initiative.
    Voluntary,
    /// A moderator or the threshold, on members' flags (an `illegal` flag makes it an Art. 16
    /// notice).
    Flags { illegal: bool },
}

pub struct NewDecision<'a> {
    pub user: Uuid,
    /// `None`: automated.
    pub actor: Option<Uuid>,
    pub action: &'a str,
    pub target_type: &'a str,
    pub target_id: Uuid,
    pub target_title: String,
    pub restriction: Restriction,
    pub basis: &'a Basis,
    pub source: Source,
    /// Found by the system (threshold, first posts, watched words) rather than by a person.
    pub automated_detection: bool,
    pub content_date: Option<DateTime<Utc>>,
    pub end_date: Option<DateTime<Utc>>,
}

/// Stores a decision, logs it, notifies and emails the person concerned; returns its id.
pub fn decide(conn: &mut PgConnection, settings: &Settings, d: NewDecision) -> AppResult<Uuid> {
    let id = Uuid::now_v7();
    let (visibility, provision, account): (Vec<&str>, Option<&str>, Option<&str>) =
        match d.restriction {
            Restriction::Removed => (vec!["DECISION_VISIBILITY_CONTENT_REMOVED"], None, None),
            Restriction::Disabled => (vec!["DECISION_VISIBILITY_CONTENT_DISABLED"], None, None),
            Restriction::PartialSuspension => {
                (vec![], Some("DECISION_PROVISION_PARTIAL_SUSPENSION"), None)
            }
            Restriction::AccountSuspended => (vec![], None, Some("DECISION_ACCOUNT_SUSPENDED")),
            Restriction::InteractionRestricted => (
                vec!["DECISION_VISIBILITY_CONTENT_INTERACTION_RESTRICTED"],
                None,
                None,
            ),
        };
    let source_type = match d.source {
        Source::Voluntary => "SOURCE_VOLUNTARY",
        Source::Flags { illegal: true } => "SOURCE_ARTICLE_16",
        Source::Flags { illegal: false } => "SOURCE_TYPE_OTHER_NOTIFICATION",
    };
    let b = d.basis;
    let (illegal_ground, illegal_expl, terms_ground, terms_expl) = match b.ground {
        Ground::Illegal => (b.legal_ground.clone(), Some(b.facts.clone()), None, None),
        Ground::Terms => (None, None, b.terms_rule.clone(), Some(b.facts.clone())),
    };
    diesel::insert_into(decisions::table)
        .values((
            decisions::id.eq(id),
            decisions::user_id.eq(d.user),
            decisions::actor_id.eq(d.actor),
            decisions::action.eq(d.action),
            decisions::target_type.eq(d.target_type),
            decisions::target_id.eq(d.target_id),
            decisions::target_title.eq(&d.target_title),
            decisions::decision_visibility.eq(visibility),
            decisions::decision_provision.eq(provision),
            decisions::decision_account.eq(account),
            decisions::decision_ground.eq(match b.ground {
                Ground::Illegal => "DECISION_GROUND_ILLEGAL_CONTENT",
                Ground::Terms => "DECISION_GROUND_INCOMPATIBLE_CONTENT",
            }),
            decisions::illegal_content_legal_ground.eq(illegal_ground),
            decisions::illegal_content_explanation.eq(illegal_expl),
            decisions::incompatible_content_ground.eq(terms_ground),
            decisions::incompatible_content_explanation.eq(terms_expl),
            decisions::category.eq(b.category.as_str()),
            decisions::content_date.eq(d.content_date),
            decisions::decision_facts.eq(&b.facts),
            decisions::source_type.eq(source_type),
            decisions::automated_detection.eq(d.automated_detection),
            decisions::automated_decision.eq(if d.actor.is_none() {
                "AUTOMATED_DECISION_FULLY"
            } else {
                "AUTOMATED_DECISION_NOT_AUTOMATED"
            }),
            decisions::end_date.eq(d.end_date),
        ))
        .execute(conn)?;
    log::write(
        conn,
        Entry {
            actor: d.actor,
            action: d.action,
            target_type: d.target_type,
            target_id: d.target_id,
            reason: Some(&b.facts),
            details: json!({ "user_id": d.user, "automated": d.actor.is_none() }),
            decision: Some(id),
        },
    )?;
    crate::notifications::notify_personal(
        conn,
        d.user,
        "moderation_decision",
        d.actor,
        d.target_type,
        d.target_id,
        &d.target_title,
        Some(id),
    )?;
    // A suspended member cannot log in: their email carries a single-use appeal token instead.
    let link = match d.restriction {
        Restriction::AccountSuspended => {
            let token = crate::accounts::service::new_user_token(
                conn,
                d.user,
                APPEAL_TOKEN,
                APPEAL_TOKEN_DAYS * 24,
            )?;
            format!(
                "{}/moderation/decisions/{id}?token={token}",
                settings.frontend_url
            )
        }
        _ => format!("{}/moderation/decisions/{id}", settings.frontend_url),
    };
    mail_member(
        conn,
        settings,
        d.user,
        "moderation_decision",
        json!({
            "action": d.action,
            "kind": match d.restriction {
                Restriction::AccountSuspended => "suspend",
                Restriction::PartialSuspension => "silence",
                Restriction::Removed => "removed",
                Restriction::Disabled if d.target_type == "held" => "held",
                Restriction::Disabled => "hidden",
                Restriction::InteractionRestricted if d.action == "reject_challenge" => "rejected",
                Restriction::InteractionRestricted => "closed",
            },
            "title": d.target_title,
            "facts": b.facts,
            "illegal": b.ground == Ground::Illegal,
            "rule": b.terms_rule,
            "legal_ground": b.legal_ground,
            "automated": d.actor.is_none(),
            "until": d.end_date.map(|e| e.format("%Y-%m-%d %H:%M UTC").to_string()),
            "link": link,
        }),
    )?;
    Ok(id)
}

/// Emails a member (when they have an address) with template `template`, in their language.
pub fn mail_member(
    conn: &mut PgConnection,
    settings: &Settings,
    user: Uuid,
    template: &str,
    ctx: Value,
) -> AppResult<()> {
    let found: Option<(Option<String>, String)> = users::table
        .find(user)
        .select((users::email, users::locale))
        .first(conn)
        .optional()?;
    if let Some((Some(email), locale)) = found {
        let rendered = mail::render(template, Locale::parse_or_default(&locale), &ctx)?;
        mail::queue(conn, settings, &Email::stored(email), &rendered, &[])?;
    }
    Ok(())
}

type Row = (
    (
        Uuid,
        Uuid,
        Option<Uuid>,
        String,
        String,
        Uuid,
        String,
        Vec<String>,
        Option<String>,
        Option<String>,
        String,
        Option<String>,
    ),
    (
        Option<String>,
        String,
        String,
        String,
        bool,
        String,
        DateTime<Utc>,
        Option<DateTime<Utc>>,
        Option<DateTime<Utc>>,
        DateTime<Utc>,
        Option<DateTime<Utc>>,
    ),
);

/// A decision's row, for the services that act on it.
pub struct DecisionRow {
    pub id: Uuid,
    pub user: Uuid,
    pub actor: Option<Uuid>,
    pub action: String,
    pub target_type: String,
    pub target_id: Uuid,
    pub target_title: String,
    pub reversed_at: Option<DateTime<Utc>>,
}

fn load(conn: &mut PgConnection, id: Uuid) -> AppResult<(DecisionRow, Decision)> {
    let r: Row = decisions::table
        .find(id)
        .select((
            (
                decisions::id,
                decisions::user_id,
                decisions::actor_id,
                decisions::action,
                decisions::target_type,
                decisions::target_id,
                decisions::target_title,
                decisions::decision_visibility,
                decisions::decision_provision,
                decisions::decision_account,
                decisions::decision_ground,
                decisions::illegal_content_legal_ground,
            ),
            (
                decisions::incompatible_content_ground,
                decisions::category,
                decisions::decision_facts,
                decisions::source_type,
                decisions::automated_detection,
                decisions::automated_decision,
                decisions::application_date,
                decisions::end_date,
                decisions::reversed_at,
                decisions::created_at,
                decisions::content_date,
            ),
        ))
        .first(conn)?;
    let (a, b) = r;
    let appeal = super::appeals::of_decision(conn, id)?;
    let row = DecisionRow {
        id: a.0,
        user: a.1,
        actor: a.2,
        action: a.3.clone(),
        target_type: a.4.clone(),
        target_id: a.5,
        target_title: a.6.clone(),
        reversed_at: b.8,
    };
    let decision = Decision {
        id: a.0,
        action: a.3,
        target_type: a.4,
        target_id: a.5,
        target_title: a.6,
        decision_visibility: a.7,
        decision_provision: a.8,
        decision_account: a.9,
        decision_ground: a.10,
        legal_ground: a.11,
        terms_rule: b.0,
        category: b.1,
        decision_facts: b.2,
        source_type: b.3,
        automated_detection: b.4,
        automated: b.5 == "AUTOMATED_DECISION_FULLY",
        automated_decision: b.5,
        application_date: b.6,
        end_date: b.7,
        reversed_at: b.8,
        can_appeal: appeal.is_none() && b.8.is_none(),
        appeal,
        created_at: b.9,
    };
    Ok((row, decision))
}

/// A decision's row (404 when unknown).
pub fn row(conn: &mut PgConnection, id: Uuid) -> AppResult<DecisionRow> {
    load(conn, id).map(|(r, _)| r)
}

/// A decision, as the person concerned or a moderator reads it (404 for anyone else).
pub fn read(conn: &mut PgConnection, actor: &Actor, id: Uuid) -> AppResult<Decision> {
    let (row, decision) = load(conn, id)?;
    if row.user != actor.id && !actor.is_staff() {
        return Err(AppError::NotFound);
    }
    Ok(decision)
}

/// Marks a decision reversed (an appeal granted, or the restriction lifted on review).
pub fn mark_reversed(conn: &mut PgConnection, id: Uuid) -> QueryResult<()> {
    diesel::update(
        decisions::table
            .find(id)
            .filter(decisions::reversed_at.is_null()),
    )
    .set(decisions::reversed_at.eq(Utc::now()))
    .execute(conn)?;
    Ok(())
}

/// The countries where palabre's decisions apply: the whole EU/EEA (the service is offered there).
pub const TERRITORIAL_SCOPE: [&str; 30] = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IS",
    "IT", "LI", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK",
];

/// The decisions of `[since, until)` as a DSA Transparency Database multiple-statement submission
/// (`POST /api/v1/statements` takes at most 100 statements a call: the host splits the list).
pub fn statements(
    conn: &mut PgConnection,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> AppResult<Value> {
    // Bounded to what the database stores (no decision predates palabre, none is after 9999).
    let floor = DateTime::<Utc>::UNIX_EPOCH;
    let ceiling = super::actions::indefinite();
    let (since, until) = (since.clamp(floor, ceiling), until.clamp(floor, ceiling));
    // An empty or reversed period holds no decision.
    type S = (
        (
            Uuid,
            String,
            Vec<String>,
            Option<String>,
            Option<String>,
            String,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
        ),
        (
            String,
            Vec<String>,
            Option<DateTime<Utc>>,
            String,
            String,
            bool,
            String,
            DateTime<Utc>,
            Option<DateTime<Utc>>,
        ),
    );
    let rows: Vec<S> = decisions::table
        .filter(decisions::created_at.ge(since))
        .filter(decisions::created_at.lt(until))
        .order((decisions::created_at, decisions::id))
        .select((
            (
                decisions::id,
                decisions::action,
                decisions::decision_visibility,
                decisions::decision_provision,
                decisions::decision_account,
                decisions::decision_ground,
                decisions::illegal_content_legal_ground,
                decisions::illegal_content_explanation,
                decisions::incompatible_content_ground,
                decisions::incompatible_content_explanation,
            ),
            (
                decisions::category,
                decisions::content_type,
                decisions::content_date,
                decisions::decision_facts,
                decisions::source_type,
                decisions::automated_detection,
                decisions::automated_decision,
                decisions::application_date,
                decisions::end_date,
            ),
        ))
        .load(conn)?;
    let day = |d: DateTime<Utc>| d.format("%Y-%m-%d").to_string();
    let statements: Vec<Value> = rows
        .into_iter()
        .map(|(a, b)| {
            let mut s = serde_json::Map::new();
            if !a.2.is_empty() {
                s.insert("decision_visibility".into(), json!(a.2));
            }
            if let Some(p) = &a.3 {
                s.insert("decision_provision".into(), json!(p));
            }
            if let Some(acc) = &a.4 {
                s.insert("decision_account".into(), json!(acc));
            }
            s.insert("account_type".into(), json!("ACCOUNT_TYPE_PRIVATE"));
            s.insert("decision_ground".into(), json!(a.5));
            if a.5 == "DECISION_GROUND_ILLEGAL_CONTENT" {
                s.insert("illegal_content_legal_ground".into(), json!(a.6));
                s.insert("illegal_content_explanation".into(), json!(a.7));
            } else {
                s.insert("incompatible_content_ground".into(), json!(a.8));
                s.insert("incompatible_content_explanation".into(), json!(a.9));
                s.insert("incompatible_content_illegal".into(), json!("No"));
            }
            s.insert("category".into(), json!(b.0));
            s.insert("content_type".into(), json!(b.1));
            s.insert("content_language".into(), json!("FR"));
            s.insert(
                "content_date".into(),
                json!(day(b.2.unwrap_or(b.7).max(
                    DateTime::parse_from_rfc3339("2000-01-01T00:00:00Z")
                        .map(|d| d.with_timezone(&Utc))
                        .unwrap_or(b.7)
                ))),
            );
            s.insert("application_date".into(), json!(day(b.7)));
            if let Some(end) = b.8 {
                let key = if a.4.is_some() {
                    "end_date_account_restriction"
                } else if a.3.is_some() {
                    "end_date_service_restriction"
                } else {
                    "end_date_visibility_restriction"
                };
                s.insert(key.into(), json!(day(end)));
            }
            s.insert("decision_facts".into(), json!(b.3));
            s.insert("source_type".into(), json!(b.4));
            s.insert(
                "automated_detection".into(),
                json!(if b.5 { "Yes" } else { "No" }),
            );
            s.insert("automated_decision".into(), json!(b.6));
            s.insert("territorial_scope".into(), json!(TERRITORIAL_SCOPE));
            s.insert("puid".into(), json!(a.0.to_string()));
            Value::Object(s)
        })
        .collect();
    Ok(json!({ "statements": statements }))
}

/// Whether a decision may be appealed by `user` now.
pub fn appealable(conn: &mut PgConnection, id: Uuid, user: Uuid) -> AppResult<DecisionRow> {
    let row = row(conn, id)?;
    if row.user != user {
        return Err(AppError::NotFound);
    }
    if row.reversed_at.is_some() {
        return Err(AppError::conflict(
            None,
            "This decision was already reversed.",
        ));
    }
    let appealed: i64 = appeals::table
        .filter(appeals::decision_id.eq(id))
        .count()
        .get_result(conn)?;
    if appealed > 0 {
        return Err(AppError::conflict(
            None,
            "This decision was already appealed (once per decision).",
        ));
    }
    Ok(row)
}
