//! Watched words: an admin-managed list of words or regular expressions that `block` a text (422
//! naming the rule), `hold` it for approval, or `replace` what they match. Plain words match whole,
//! ignoring case and accents ("forêt" matches "FORET"); expressions use the `regex` crate's syntax,
//! case-insensitive.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use regex::{Regex, RegexBuilder};
use unicode_normalization::UnicodeNormalization;
use uuid::Uuid;

use super::types::*;
use crate::accounts::auth::Actor;
use crate::discussions::gate::{Draft, Verdict};
use crate::error::{AppError, AppResult};
use crate::input::one_line;
use crate::schema::watched_words;

/// Compiled patterns stay small: a rule cannot make every post slow to check.
const REGEX_SIZE_LIMIT: usize = 256 * 1024;

/// Lower case without accents.
pub fn fold(text: &str) -> String {
    text.nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

fn compile(pattern: &str, is_regex: bool) -> Result<Regex, String> {
    let source = if is_regex {
        pattern.to_string()
    } else {
        format!(r"\b{}\b", regex::escape(&fold(pattern)))
    };
    RegexBuilder::new(&source)
        .case_insensitive(true)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| format!("Not a valid expression: {e}"))
}

/// Applies the watched words (`[pattern, is_regex, action, replacement]` rows) to a draft.
pub fn apply(words: &serde_json::Value, draft: &Draft) -> AppResult<Verdict> {
    let mut verdict = Verdict::default();
    let Some(rows) = words.as_array() else {
        return Ok(verdict);
    };
    let mut title = draft.title.clone();
    let mut body = draft.body.clone();
    for row in rows {
        let pattern = row[0].as_str().unwrap_or_default();
        let is_regex = row[1].as_bool().unwrap_or(false);
        let action = WatchedAction::parse(row[2].as_str().unwrap_or_default());
        // Rules were compiled when they were added; one that no longer compiles is skipped.
        let Ok(re) = compile(pattern, is_regex) else {
            continue;
        };
        let hit = |text: &str| {
            if is_regex {
                re.is_match(text)
            } else {
                re.is_match(&fold(text))
            }
        };
        match action {
            Some(WatchedAction::Block) => {
                for (field, text) in [("title", &title), ("body", &body)] {
                    if hit(text) {
                        return Err(AppError::validation(
                            field,
                            format!(
                                "Contains “{pattern}”, which is not allowed here (watched word)."
                            ),
                        ));
                    }
                }
            }
            Some(WatchedAction::Hold) if hit(&title) || hit(&body) => {
                verdict.hold = Some("watched_word".into());
            }
            Some(WatchedAction::Hold) => {}
            Some(WatchedAction::Replace) => {
                let with = row[3].as_str().unwrap_or_default();
                // Replacement works on the text as written: case-insensitive, accents as typed.
                let on_text = if is_regex {
                    re.clone()
                } else {
                    match compile_literal(pattern) {
                        Ok(r) => r,
                        Err(_) => continue,
                    }
                };
                for text in [&mut title, &mut body] {
                    if on_text.is_match(text) {
                        *text = on_text
                            .replace_all(text, regex::NoExpand(with))
                            .into_owned();
                    }
                }
            }
            None => {}
        }
    }
    if title != draft.title {
        verdict.title = Some(title);
    }
    if body != draft.body {
        verdict.body = Some(body);
    }
    Ok(verdict)
}

fn compile_literal(pattern: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(&format!(r"\b{}\b", regex::escape(pattern)))
        .case_insensitive(true)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
}

type Row = (Uuid, String, bool, String, Option<String>, DateTime<Utc>);

fn word(r: Row) -> WatchedWord {
    WatchedWord {
        id: r.0,
        pattern: r.1,
        regex: r.2,
        action: WatchedAction::parse(&r.3).unwrap_or(WatchedAction::Hold),
        replacement: r.4,
        created_at: r.5,
    }
}

const COLUMNS: (
    watched_words::id,
    watched_words::pattern,
    watched_words::is_regex,
    watched_words::action,
    watched_words::replacement,
    watched_words::created_at,
) = (
    watched_words::id,
    watched_words::pattern,
    watched_words::is_regex,
    watched_words::action,
    watched_words::replacement,
    watched_words::created_at,
);

pub fn list(conn: &mut PgConnection, actor: &Actor) -> AppResult<Vec<WatchedWord>> {
    actor.require_admin()?;
    let rows: Vec<Row> = watched_words::table
        .order((watched_words::created_at, watched_words::id))
        .select(COLUMNS)
        .load(conn)?;
    Ok(rows.into_iter().map(word).collect())
}

pub fn create(
    conn: &mut PgConnection,
    actor: &Actor,
    input: &CreateWatchedWord,
) -> AppResult<WatchedWord> {
    actor.require_admin()?;
    let pattern =
        one_line(&input.pattern, 1, 200).map_err(|m| AppError::validation("pattern", m))?;
    let re = compile(&pattern, input.regex).map_err(|m| AppError::validation("pattern", m))?;
    if re.is_match("") {
        return Err(AppError::validation(
            "pattern",
            "This expression matches empty text: it would match everywhere.",
        ));
    }
    let replacement = match (input.action, &input.replacement) {
        (WatchedAction::Replace, Some(r)) => {
            Some(one_line(r, 0, 200).map_err(|m| AppError::validation("replacement", m))?)
        }
        (WatchedAction::Replace, None) => {
            return Err(AppError::validation(
                "replacement",
                "Say what replaces the word.",
            ));
        }
        (_, Some(_)) => {
            return Err(AppError::validation(
                "replacement",
                "Only `replace` takes a replacement.",
            ));
        }
        (_, None) => None,
    };
    let row: Row = diesel::insert_into(watched_words::table)
        .values((
            watched_words::id.eq(Uuid::now_v7()),
            watched_words::pattern.eq(&pattern),
            watched_words::is_regex.eq(input.regex),
            watched_words::action.eq(input.action.as_str()),
            watched_words::replacement.eq(&replacement),
            watched_words::created_by.eq(actor.id),
        ))
        .returning(COLUMNS)
        .get_result(conn)?;
    super::log::write(
        conn,
        super::log::Entry {
            actor: Some(actor.id),
            action: "add_watched_word",
            target_type: "watched_word",
            target_id: row.0,
            reason: None,
            details: serde_json::json!({ "pattern": pattern, "action": input.action.as_str() }),
            decision: None,
        },
    )?;
    Ok(word(row))
}

/// Removes the watched word written `pattern` (as a word, or as an expression with `regex`).
pub fn delete_pattern(
    conn: &mut PgConnection,
    actor: &Actor,
    pattern: &str,
    regex: bool,
) -> AppResult<()> {
    actor.require_admin()?;
    let id: Uuid = watched_words::table
        .filter(watched_words::pattern.eq(pattern.trim()))
        .filter(watched_words::is_regex.eq(regex))
        .select(watched_words::id)
        .first(conn)?;
    delete(conn, actor, id)
}

pub fn delete(conn: &mut PgConnection, actor: &Actor, id: Uuid) -> AppResult<()> {
    actor.require_admin()?;
    let pattern: String = diesel::delete(watched_words::table.find(id))
        .returning(watched_words::pattern)
        .get_result(conn)?;
    super::log::write(
        conn,
        super::log::Entry {
            actor: Some(actor.id),
            action: "remove_watched_word",
            target_type: "watched_word",
            target_id: id,
            reason: None,
            details: serde_json::json!({ "pattern": pattern }),
            decision: None,
        },
    )?;
    Ok(())
}
