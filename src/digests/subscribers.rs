//! Email-only subscribers (double opt-in, expiry), unsubscribing by link or by mail, and members'
//! digest interests.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::schedule::Frequency;
use super::token::{self, Recipient};
use super::types::*;
use crate::accounts::service::{ClientInfo, per_address};
use crate::config::Settings;
use crate::error::{AppError, AppResult};
use crate::http::tokens::{hash_token, random_token};
use crate::input::{Email, Errors};
use crate::mail::{self, Locale, mask_email};
use crate::schema::{categories, digest_interests, digests, subscribers, users};
use crate::taxonomy::service::{parse_themes, resolve_territory, territories_by_id};
use crate::throttle;

/// How long a confirmation link works; an unconfirmed request is deleted after it.
pub const CONFIRM_TTL_HOURS: i64 = 48;
/// Confirmation emails one address may be sent per day.
pub const CONFIRMATIONS_PER_DAY: i32 = 3;

/// What a subscriber asked for, parsed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Choices {
    pub frequency: Frequency,
    pub day: i16,
    pub hour: i16,
    pub locale: Locale,
    pub category_ids: Vec<Uuid>,
    pub themes: Vec<String>,
    pub territory_id: Option<String>,
}

fn parse_request(conn: &mut PgConnection, input: &SubscribeRequest) -> AppResult<(Email, Choices)> {
    let mut errors = Errors::new();
    let email = errors.check("email", Email::parse(&input.email));
    let day = input.day.unwrap_or(1);
    errors.ensure("day", (1..=7).contains(&day), "1 (Monday) to 7 (Sunday).");
    let hour = input.hour.unwrap_or(8);
    errors.ensure("hour", (0..=23).contains(&hour), "0 to 23.");
    errors.ensure(
        "categories",
        input.categories.len() <= 20,
        "At most 20 categories.",
    );
    errors.ensure("themes", input.themes.len() <= 10, "At most 10 themes.");
    errors.finish()?;
    let mut wanted = input.categories.clone();
    wanted.sort();
    wanted.dedup();
    let found: Vec<(Uuid, String)> = categories::table
        .filter(categories::slug.eq_any(&wanted))
        .select((categories::id, categories::slug))
        .load(conn)?;
    if let Some(missing) = wanted.iter().find(|s| !found.iter().any(|(_, f)| f == *s)) {
        return Err(AppError::validation(
            "categories",
            format!("No category has the slug `{missing}` (GET /categories lists them)."),
        ));
    }
    let themes = parse_themes(conn, &input.themes, "themes", 0, 10)?;
    let territory_id = match &input.territory {
        Some(t) => Some(resolve_territory(conn, t, "territory")?.id),
        None => None,
    };
    Ok((
        email.expect("checked"),
        Choices {
            frequency: input.frequency,
            day,
            hour,
            locale: input.locale.unwrap_or_default(),
            category_ids: found.into_iter().map(|(id, _)| id).collect(),
            themes,
            territory_id,
        },
    ))
}

/// `POST /subscribers`: stores the request and mails the confirmation link. The answer is the same
/// whether the address is new, waiting or already subscribed: a confirmed subscription keeps its
/// choices until the new request is confirmed too.
pub fn subscribe(
    conn: &mut PgConnection,
    settings: &Settings,
    client: &ClientInfo,
    input: &SubscribeRequest,
) -> AppResult<SubscribeAccepted> {
    let (email, choices) = parse_request(conn, input)?;
    conn.transaction(|conn| {
        per_address(conn, settings, client, "subscribe")?;
        if settings.rate_limits {
            let key = format!(
                "subscribe:{}",
                crate::http::sha256_hex(email.as_str().as_bytes(), 12)
            );
            let limit = throttle::Limit {
                max_failures: CONFIRMATIONS_PER_DAY,
                window_secs: 86_400,
            };
            if let Err(retry_after_secs) = throttle::reserve(conn, &key, limit)? {
                return Err(AppError::TooManyRequests { retry_after_secs });
            }
        }
        let token = random_token();
        let expires = Utc::now() + chrono::Duration::hours(CONFIRM_TTL_HOURS);
        let pending = serde_json::to_value(&choices).map_err(|e| AppError::Internal(e.into()))?;
        // A new address is inserted; a known one (waiting or confirmed) keeps its current choices
        // and gets the new request as pending, applied only by its confirmation. `ON CONFLICT`:
        // two requests at once for a new address are not a conflict for the second one.
        let inserted = diesel::insert_into(subscribers::table)
            .values((
                subscribers::id.eq(Uuid::now_v7()),
                subscribers::email.eq(email.as_str()),
                subscribers::locale.eq(choices.locale.as_str()),
                subscribers::frequency.eq(choices.frequency.as_str()),
                subscribers::digest_day.eq(choices.day),
                subscribers::digest_hour.eq(choices.hour),
                subscribers::category_ids.eq(&choices.category_ids),
                subscribers::themes.eq(&choices.themes),
                subscribers::territory_id.eq(&choices.territory_id),
                subscribers::pending.eq(&pending),
                subscribers::token_hash.eq(hash_token(&token)),
                subscribers::token_expires_at.eq(expires),
            ))
            .on_conflict_do_nothing()
            .execute(conn)?;
        if inserted == 0 {
            diesel::update(subscribers::table.filter(subscribers::email.eq(email.as_str())))
                .set((
                    subscribers::pending.eq(&pending),
                    subscribers::token_hash.eq(hash_token(&token)),
                    subscribers::token_expires_at.eq(expires),
                    subscribers::updated_at.eq(Utc::now()),
                ))
                .execute(conn)?;
        }
        let link = format!(
            "{}/subscribe/confirm?token={token}",
            settings.frontend_url.trim_end_matches('/')
        );
        // The message carries nothing the requester wrote but the address itself.
        let rendered = mail::render_in(
            super::render::environment(),
            "subscribe_confirm",
            choices.locale,
            &json!({"link": link, "frequency": choices.frequency.as_str()}),
        )?;
        mail::queue(conn, settings, &email, &rendered, &[])?;
        tracing::info!(to = %mask_email(email.as_str()), "digest subscription requested");
        Ok(SubscribeAccepted {
            status: AcceptedStatus::ConfirmationSent,
            email: email.into_inner(),
        })
    })
}

#[derive(Queryable)]
struct SubscriberRow {
    id: Uuid,
    email: String,
    confirmed_at: Option<DateTime<Utc>>,
    pending: Option<serde_json::Value>,
}

fn invalid_token() -> AppError {
    AppError::validation("token", "This link is invalid, already used or expired.")
}

/// `POST /subscribers/confirm`: applies the request the token confirms. When the address is a
/// verified member's, the member's account takes the choices (as when a subscriber registers).
pub fn confirm(
    conn: &mut PgConnection,
    settings: &Settings,
    client: &ClientInfo,
    token: &str,
) -> AppResult<DigestSubscription> {
    conn.transaction(|conn| {
        per_address(conn, settings, client, "subscribe-confirm")?;
        // The member with this address (if any) is locked before the subscription, in the order
        // the adoption trigger of a verification takes them: a confirmation and a verification at
        // the same moment end in one recipient, never two.
        let address: Option<String> = subscribers::table
            .filter(subscribers::token_hash.eq(hash_token(token)))
            .select(subscribers::email)
            .first(conn)
            .optional()?;
        if let Some(address) = &address {
            diesel::sql_query("SELECT id FROM users WHERE lower(email) = lower($1) FOR UPDATE")
                .bind::<diesel::sql_types::Text, _>(address)
                .execute(conn)?;
        }
        let row: SubscriberRow = subscribers::table
            .filter(subscribers::token_hash.eq(hash_token(token)))
            .filter(subscribers::token_expires_at.gt(Utc::now()))
            .select((
                subscribers::id,
                subscribers::email,
                subscribers::confirmed_at,
                subscribers::pending,
            ))
            .for_update()
            .first(conn)
            .optional()?
            .ok_or_else(invalid_token)?;
        let choices: Choices = row
            .pending
            .clone()
            .and_then(|p| serde_json::from_value(p).ok())
            .ok_or_else(invalid_token)?;
        let now = Utc::now();
        let confirmed_at = row.confirmed_at.unwrap_or(now);
        diesel::update(subscribers::table.find(row.id))
            .set((
                subscribers::locale.eq(choices.locale.as_str()),
                subscribers::frequency.eq(choices.frequency.as_str()),
                subscribers::digest_day.eq(choices.day),
                subscribers::digest_hour.eq(choices.hour),
                subscribers::category_ids.eq(&choices.category_ids),
                subscribers::themes.eq(&choices.themes),
                subscribers::territory_id.eq(&choices.territory_id),
                subscribers::confirmed_at.eq(confirmed_at),
                subscribers::pending.eq(None::<serde_json::Value>),
                subscribers::token_hash.eq(None::<String>),
                subscribers::token_expires_at.eq(None::<DateTime<Utc>>),
                subscribers::updated_at.eq(now),
            ))
            .execute(conn)?;
        diesel::sql_query(
            "SELECT digest_adopt_subscriber(u.id) FROM users u \
             WHERE lower(u.email) = lower($1) AND u.email_verified_at IS NOT NULL",
        )
        .bind::<diesel::sql_types::Text, _>(&row.email)
        .execute(conn)?;
        let slugs: Vec<String> = categories::table
            .filter(categories::id.eq_any(&choices.category_ids))
            .order(categories::slug)
            .select(categories::slug)
            .load(conn)?;
        let territory = match &choices.territory_id {
            Some(id) => territories_by_id(conn, std::slice::from_ref(id))?
                .into_iter()
                .next(),
            None => None,
        };
        tracing::info!(to = %mask_email(&row.email), "digest subscription confirmed");
        Ok(DigestSubscription {
            email: row.email,
            frequency: choices.frequency,
            day: choices.day,
            hour: choices.hour,
            locale: choices.locale,
            categories: slugs,
            themes: choices.themes,
            territory,
            confirmed_at,
        })
    })
}

/// Removes unconfirmed requests whose link expired, and drops expired pending changes of confirmed
/// subscriptions. Returns how many requests were removed.
pub fn expire(conn: &mut PgConnection) -> QueryResult<usize> {
    let now = Utc::now();
    let removed = diesel::delete(
        subscribers::table
            .filter(subscribers::confirmed_at.is_null())
            .filter(subscribers::token_expires_at.lt(now)),
    )
    .execute(conn)?;
    diesel::update(
        subscribers::table
            .filter(subscribers::confirmed_at.is_not_null())
            .filter(subscribers::token_expires_at.lt(now)),
    )
    .set((
        subscribers::pending.eq(None::<serde_json::Value>),
        subscribers::token_hash.eq(None::<String>),
        subscribers::token_expires_at.eq(None::<DateTime<Utc>>),
    ))
    .execute(conn)?;
    Ok(removed)
}

// ---- unsubscribing -------------------------------------------------------------------------------

/// The recipient a link names today: a subscription adopted by an account is that account's.
pub fn resolve(conn: &mut PgConnection, recipient: Recipient) -> QueryResult<Recipient> {
    use crate::schema::adopted_subscribers;
    Ok(match recipient {
        Recipient::Subscriber(id) => adopted_subscribers::table
            .find(id)
            .select(adopted_subscribers::user_id)
            .first(conn)
            .optional()?
            .map_or(recipient, Recipient::Member),
        member => member,
    })
}

/// What `recipient`'s link stops, and in which language to say it.
pub fn view(
    conn: &mut PgConnection,
    recipient: Recipient,
) -> QueryResult<(UnsubscribeView, Locale)> {
    let recipient = resolve(conn, recipient)?;
    let found: Option<(Option<String>, String, String)> = match recipient {
        Recipient::Member(id) => users::table
            .find(id)
            .filter(users::erased_at.is_null())
            .select((users::email, users::locale, users::digest_frequency))
            .first(conn)
            .optional()?,
        Recipient::Subscriber(id) => subscribers::table
            .find(id)
            .filter(subscribers::confirmed_at.is_not_null())
            .select((
                subscribers::email.nullable(),
                subscribers::locale,
                subscribers::frequency,
            ))
            .first(conn)
            .optional()?,
    };
    let kind = match recipient {
        Recipient::Member(_) => RecipientKind::Member,
        Recipient::Subscriber(_) => RecipientKind::Subscriber,
    };
    Ok(match found {
        Some((email, locale, frequency)) => {
            let frequency = Frequency::parse(&frequency);
            (
                UnsubscribeView {
                    kind,
                    email: email.as_deref().map(mask_email),
                    frequency,
                    subscribed: frequency.is_some(),
                    lower_frequencies: if frequency == Some(Frequency::Daily) {
                        vec![Frequency::Weekly]
                    } else {
                        Vec::new()
                    },
                },
                Locale::parse_or_default(&locale),
            )
        }
        None => (
            UnsubscribeView {
                kind,
                email: None,
                frequency: None,
                subscribed: false,
                lower_frequencies: Vec::new(),
            },
            Locale::Fr,
        ),
    })
}

/// Stops `recipient`'s digest (a member's frequency becomes `never`; a subscriber is deleted with
/// their history), or lowers it to `lower`. Safe to repeat; a recipient already gone is no error.
pub fn unsubscribe(
    conn: &mut PgConnection,
    recipient: Recipient,
    lower: Option<Frequency>,
) -> AppResult<(UnsubscribeView, Locale)> {
    conn.transaction(|conn| {
        let recipient = resolve(conn, recipient)?;
        let (before, locale) = view(conn, recipient)?;
        // A link only ever stops or lowers: once stopped, nothing it says turns the digest on again.
        let Some(current) = before.frequency else {
            return Ok((before, locale));
        };
        let lower = match lower {
            Some(f) if f == current => return Ok((before, locale)),
            Some(f) if before.lower_frequencies.contains(&f) => Some(f),
            Some(_) => {
                return Err(AppError::validation(
                    "frequency",
                    "Not lower than the current frequency: send no frequency to stop the digest.",
                ));
            }
            None => None,
        };
        match (recipient, lower) {
            (Recipient::Member(id), f) => {
                diesel::update(users::table.find(id))
                    .set(users::digest_frequency.eq(f.map_or("never", Frequency::as_str)))
                    .execute(conn)?;
            }
            (Recipient::Subscriber(id), Some(f)) => {
                diesel::update(subscribers::table.find(id))
                    .set(subscribers::frequency.eq(f.as_str()))
                    .execute(conn)?;
            }
            (Recipient::Subscriber(id), None) => {
                diesel::delete(digests::table.filter(digests::recipient_id.eq(id)))
                    .execute(conn)?;
                diesel::delete(subscribers::table.find(id)).execute(conn)?;
            }
        }
        tracing::info!(
            kind = recipient.kind(),
            lowered = lower.is_some(),
            "digest unsubscribed"
        );
        Ok(view(conn, recipient)?)
    })
}

/// The recipient named by an unsubscribe message sent to the `mailto:` of `List-Unsubscribe`: the
/// subject we wrote there, `unsubscribe <token>` (a reply's `Re:` is fine). Only the subject counts —
/// the text of an out-of-office reply or a bounce quotes the digest's own links — and automatic mail
/// (`Auto-Submitted` other than `no`, delivery reports) is ignored.
pub fn token_in_message(secret: &str, raw: &[u8]) -> Option<Recipient> {
    use mail_parser::MimeHeaders;
    let parsed = mail_parser::MessageParser::default().parse(raw)?;
    let automatic = parsed
        .header("Auto-Submitted")
        .and_then(|h| h.as_text())
        .is_some_and(|v| !v.trim().eq_ignore_ascii_case("no"));
    let report = parsed.content_type().is_some_and(|ct| {
        ct.subtype()
            .is_some_and(|s| s.eq_ignore_ascii_case("report"))
    });
    if automatic || report {
        return None;
    }
    let subject = parsed.subject()?;
    let mut words = subject.split_whitespace();
    while let Some(w) = words.next() {
        if w.eq_ignore_ascii_case("unsubscribe") {
            return words.next().and_then(|t| token::verify(secret, t));
        }
    }
    None
}

// ---- members' interests --------------------------------------------------------------------------

pub fn interests(conn: &mut PgConnection, user: Uuid) -> AppResult<Interests> {
    let row: Option<(Vec<String>, Option<String>)> = digest_interests::table
        .find(user)
        .select((digest_interests::themes, digest_interests::territory_id))
        .first(conn)
        .optional()?;
    let (themes, territory_id) = row.unwrap_or_default();
    let territory = match territory_id {
        Some(id) => territories_by_id(conn, &[id])?.into_iter().next(),
        None => None,
    };
    Ok(Interests { themes, territory })
}

pub fn set_interests(
    conn: &mut PgConnection,
    user: Uuid,
    input: &InterestsInput,
) -> AppResult<Interests> {
    if input.themes.len() > 10 {
        return Err(AppError::validation("themes", "At most 10 themes."));
    }
    let themes = parse_themes(conn, &input.themes, "themes", 0, 10)?;
    let territory_id = match &input.territory {
        Some(t) => Some(resolve_territory(conn, t, "territory")?.id),
        None => None,
    };
    diesel::insert_into(digest_interests::table)
        .values((
            digest_interests::user_id.eq(user),
            digest_interests::themes.eq(&themes),
            digest_interests::territory_id.eq(&territory_id),
        ))
        .on_conflict(digest_interests::user_id)
        .do_update()
        .set((
            digest_interests::themes.eq(&themes),
            digest_interests::territory_id.eq(&territory_id),
            digest_interests::updated_at.eq(Utc::now()),
        ))
        .execute(conn)?;
    interests(conn, user)
}
