//! Account operations. Each takes the request's connection (inside its one `db::run` hop) and does
//! all of its work there; writes and what they trigger (tokens, emails) commit together.

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde_json::{Value, json};
use uuid::Uuid;

use super::auth::{Actor, JwtKeys, REFRESH_TTL_DAYS, hash_token, random_token};
use super::domain::{DisplayName, Email, Username};
use super::models::{self, NewUser, Role};
use super::password;
use super::types::{DigestFrequency, Locale, Me, Profile, TokenType, Tokens, UpdateMe, UserPublic};
use crate::config::Settings;
use crate::error::{AppError, AppResult};
use crate::feature::Feature;
use crate::input::Errors;
use crate::schema::{
    idempotency_keys, moderation_log, outbox, refresh_tokens, retired_usernames, sessions,
    throttles, user_tokens, users,
};
use crate::{mail, throttle};

const VERIFY_EMAIL: &str = "verify_email";
const PASSWORD_RESET: &str = "password_reset";
const VERIFY_TTL_HOURS: i64 = 48;
const RESET_TTL_HOURS: i64 = 1;

/// Login: per account (the login as typed, lower-cased) and per client address.
const LOGIN_PER_ACCOUNT: throttle::Limit = throttle::Limit {
    max_failures: 5,
    window_secs: 15 * 60,
};
const LOGIN_PER_ADDRESS: throttle::Limit = throttle::Limit {
    max_failures: 30,
    window_secs: 15 * 60,
};
/// Password checks per client address, counted before argon2 runs, right or wrong: a guard for the
/// server's CPU (argon2 is deliberately costly, and logins that match no account get their own key
/// each). Ten times the failure limit, so that a shared NAT or proxy address meets it only under
/// attack; beyond it every login from the address waits for the window's end.
const LOGIN_CHECKS_PER_ADDRESS: throttle::Limit = throttle::Limit {
    max_failures: 300,
    window_secs: 15 * 60,
};
/// "Someone tried to register with your address" emails per account.
const REGISTER_ATTEMPT_MAILS: throttle::Limit = throttle::Limit {
    max_failures: 1,
    window_secs: 60 * 60,
};
/// Password-reset emails per address (over the limit, the request is still answered 202).
const RESET_PER_EMAIL: throttle::Limit = throttle::Limit {
    max_failures: 3,
    window_secs: 60 * 60,
};

/// The key counting an account's password checks (login and erasure alike): the account, not the
/// login as typed, so that its username and its email share one count.
fn account_key(user: Uuid) -> String {
    format!("login:account:{user}")
}

/// Where a request comes from, for sessions and throttling.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = users)]
struct UserRow {
    id: Uuid,
    username: String,
    email: Option<String>,
    display_name: String,
    bio: String,
    role: String,
    locale: String,
    email_verified_at: Option<DateTime<Utc>>,
    digest_frequency: String,
    digest_day: i16,
    digest_hour: i16,
    created_at: DateTime<Utc>,
}

impl UserRow {
    fn me(self) -> Me {
        Me {
            id: self.id,
            username: self.username,
            display_name: self.display_name,
            role: Role::parse(&self.role).unwrap_or(Role::Member),
            created_at: self.created_at,
            email: self.email.unwrap_or_default(),
            bio: self.bio,
            locale: Locale::parse_or_default(&self.locale),
            digest_frequency: DigestFrequency::parse(&self.digest_frequency),
            digest_day: self.digest_day,
            digest_hour: self.digest_hour,
            email_verified: self.email_verified_at.is_some(),
        }
    }
}

pub fn me(conn: &mut PgConnection, user_id: Uuid) -> AppResult<Me> {
    let row: UserRow = users::table
        .find(user_id)
        .filter(users::erased_at.is_null())
        .select(UserRow::as_select())
        .first(conn)?;
    Ok(row.me())
}

/// Creates a single-use token for `user_id` and returns the secret (only its hash is stored).
pub fn new_user_token(
    conn: &mut PgConnection,
    user_id: Uuid,
    purpose: &str,
    ttl_hours: i64,
) -> AppResult<String> {
    let token = random_token();
    diesel::insert_into(user_tokens::table)
        .values((
            user_tokens::token_hash.eq(hash_token(&token)),
            user_tokens::user_id.eq(user_id),
            user_tokens::purpose.eq(purpose),
            user_tokens::expires_at.eq(Utc::now() + chrono::Duration::hours(ttl_hours)),
        ))
        .execute(conn)?;
    Ok(token)
}

/// Marks a valid token used and returns its user; 422 when unknown, used or expired.
pub fn use_user_token(conn: &mut PgConnection, token: &str, purpose: &str) -> AppResult<Uuid> {
    let user_id: Option<Uuid> = diesel::update(
        user_tokens::table
            .filter(user_tokens::token_hash.eq(hash_token(token)))
            .filter(user_tokens::purpose.eq(purpose))
            .filter(user_tokens::used_at.is_null())
            .filter(user_tokens::expires_at.gt(Utc::now())),
    )
    .set(user_tokens::used_at.eq(Utc::now()))
    .returning(user_tokens::user_id)
    .get_result(conn)
    .optional()?;
    user_id.ok_or_else(|| {
        AppError::validation("token", "This link is invalid, already used or expired.")
    })
}

/// Mails about an account carry no text the account's holder chose: the address may not be theirs
/// yet (a display name such as "Compte bloqué : https://…" must not reach someone else's mailbox).
fn queue_user_email(
    conn: &mut PgConnection,
    settings: &Settings,
    template: &str,
    to: &Email,
    locale: Locale,
    link: String,
) -> AppResult<()> {
    let rendered = mail::render(template, locale, &json!({ "link": link }))?;
    mail::queue(conn, settings, to, &rendered, &[])?;
    Ok(())
}

fn frontend_link(settings: &Settings, path: &str, token: &str) -> String {
    format!("{}{path}?token={token}", settings.frontend_url)
}

/// What a registration answers: the account, and whether it was made (an address that already
/// has an account gets the same answer, and its owner an email, instead of a 409 telling anyone
/// that the address is known).
pub struct Registered {
    pub me: Me,
    pub created: bool,
}

/// Registration: the account, its verification token and email, in one transaction. When the
/// address already has an account, nothing is created: the answer looks the same, and the
/// address's owner is told that someone tried.
/// Anonymous writes per client address: `PALABRE_ANONYMOUS_PER_HOUR` of each `kind` an hour
/// (counted in PostgreSQL, so every node sees the same count); 429 with `Retry-After` beyond.
pub fn per_address(
    conn: &mut PgConnection,
    settings: &Settings,
    client: &ClientInfo,
    kind: &str,
) -> AppResult<()> {
    let Some(ip) = client.ip.as_deref().filter(|_| settings.rate_limits) else {
        return Ok(());
    };
    let limit = throttle::Limit {
        max_failures: settings.moderation.anonymous_per_hour as i32,
        window_secs: 3600,
    };
    match throttle::reserve(conn, &format!("anon:{kind}:{ip}"), limit)? {
        Ok(()) => Ok(()),
        Err(retry_after_secs) => Err(AppError::TooManyRequests { retry_after_secs }),
    }
}

pub fn register(
    conn: &mut PgConnection,
    settings: &Settings,
    input: NewUser,
) -> AppResult<Registered> {
    conn.transaction(|conn| {
        // A savepoint, so that a taken address (a unique violation) leaves the transaction usable.
        let made = conn.transaction(|conn| models::create_user(conn, input.clone()));
        match made {
            Ok(user) => {
                let token = new_user_token(conn, user.id, VERIFY_EMAIL, VERIFY_TTL_HOURS)?;
                let email = Email::stored(user.email.clone().unwrap_or_default());
                queue_user_email(
                    conn,
                    settings,
                    VERIFY_EMAIL,
                    &email,
                    Locale::parse_or_default(&user.locale),
                    frontend_link(settings, "/verify-email", &token),
                )?;
                tracing::info!(user = %user.id, email = %mail::mask_email(email.as_str()), "account registered");
                Ok(Registered {
                    me: me(conn, user.id)?,
                    created: true,
                })
            }
            Err(AppError::Conflict {
                field: Some(field), ..
            }) if field == "email" => {
                let email = Email::parse(&input.email).map_err(|m| AppError::validation("email", m))?;
                let owner: Option<(Uuid, String)> = users::table
                    .filter(users::email.eq(email.as_str()))
                    .select((users::id, users::locale))
                    .first(conn)
                    .optional()?;
                // One such email an hour per account at most: registering with someone's address
                // over and over must not flood their mailbox (the answer stays the same 201).
                let owner = match owner {
                    Some((id, locale))
                        if !settings.rate_limits
                            || throttle::reserve(
                                conn,
                                &format!("register_attempt:{id}"),
                                REGISTER_ATTEMPT_MAILS,
                            )?
                            .is_ok() =>
                    {
                        Some(locale)
                    }
                    _ => None,
                };
                if let Some(locale) = owner {
                    queue_user_email(
                        conn,
                        settings,
                        "register_attempt",
                        &email,
                        Locale::parse_or_default(&locale),
                        format!("{}/reset-password", settings.frontend_url),
                    )?;
                }
                tracing::info!(email = %mail::mask_email(email.as_str()), "registration with a known address; its owner told");
                let display_name = input
                    .display_name
                    .as_deref()
                    .and_then(|d| super::domain::DisplayName::parse(d).ok())
                    .map_or_else(|| input.username.clone(), super::domain::DisplayName::into_inner);
                Ok(Registered {
                    me: Me {
                        id: Uuid::now_v7(),
                        username: input.username,
                        display_name,
                        role: Role::Member,
                        created_at: Utc::now(),
                        email: email.into_inner(),
                        bio: String::new(),
                        locale: Locale::parse_or_default(&input.locale),
                        digest_frequency: DigestFrequency::Weekly,
                        digest_day: 1,
                        digest_hour: 8,
                        email_verified: false,
                    },
                    created: false,
                })
            }
            Err(e) => Err(e),
        }
    })
}

pub fn verify_email(conn: &mut PgConnection, token: &str) -> AppResult<()> {
    conn.transaction(|conn| {
        let user_id = use_user_token(conn, token, VERIFY_EMAIL)?;
        diesel::update(
            users::table
                .find(user_id)
                .filter(users::email_verified_at.is_null()),
        )
        .set(users::email_verified_at.eq(Utc::now()))
        .execute(conn)?;
        Ok(())
    })
}

/// A hash to verify against when the login is unknown, so that both failures take the same time.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| password::hash("palabre-timing-equaliser-Kx9!").expect("hash"))
}

fn open_session(
    conn: &mut PgConnection,
    keys: &JwtKeys,
    user_id: Uuid,
    client: &ClientInfo,
) -> AppResult<Tokens> {
    let session_id = Uuid::now_v7();
    diesel::insert_into(sessions::table)
        .values((
            sessions::id.eq(session_id),
            sessions::user_id.eq(user_id),
            sessions::expires_at.eq(Utc::now() + chrono::Duration::days(REFRESH_TTL_DAYS)),
            sessions::user_agent.eq(client.user_agent.as_deref().map(|s| truncate(s, 300))),
            sessions::ip.eq(&client.ip),
        ))
        .execute(conn)?;
    tokens_for(conn, keys, user_id, session_id)
}

fn tokens_for(
    conn: &mut PgConnection,
    keys: &JwtKeys,
    user_id: Uuid,
    session_id: Uuid,
) -> AppResult<Tokens> {
    let refresh = random_token();
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::token_hash.eq(hash_token(&refresh)),
            refresh_tokens::session_id.eq(session_id),
        ))
        .execute(conn)?;
    let (access, expires_in) = keys.issue(user_id, session_id)?;
    Ok(Tokens {
        access_token: access,
        refresh_token: refresh,
        expires_in,
        token_type: TokenType::Bearer,
        user: me(conn, user_id)?,
    })
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

fn suspended(until: Option<DateTime<Utc>>) -> AppResult<()> {
    match until.filter(|u| *u > Utc::now()) {
        Some(u) => Err(AppError::Forbidden(format!(
            "This account is suspended until {}.",
            u.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ))),
        None => Ok(()),
    }
}

/// Login with username or email. Attempts are counted per account before the password is checked
/// (atomically: of any number of concurrent attempts, five a window are checked), and failures per
/// client address: past its limit, an address gets 429 for wrong passwords but a right password
/// still opens a session (a shared NAT or proxy must not lock everyone out).
pub fn login(
    conn: &mut PgConnection,
    settings: &Settings,
    keys: &JwtKeys,
    login: &str,
    password_given: &str,
    client: &ClientInfo,
) -> AppResult<Tokens> {
    if login.contains('\0') || password_given.contains('\0') {
        // No account can match (PostgreSQL text cannot even hold it): same answer, same work.
        password::verify(password_given, dummy_hash());
        return Err(AppError::Unauthorized(
            "Unknown login or wrong password.".into(),
        ));
    }
    let needle = login.trim().to_lowercase();
    let found: Option<(Uuid, Option<String>, Option<DateTime<Utc>>)> = users::table
        .filter(users::erased_at.is_null())
        .filter(
            models::lower(users::username)
                .eq(&needle)
                .or(users::email.eq(&needle)),
        )
        .select((users::id, users::password_hash, users::suspended_until))
        .first(conn)
        .optional()?;
    // Unknown logins are counted too, under what was typed: they answer exactly as accounts do.
    let key = match &found {
        Some((id, _, _)) => account_key(*id),
        None => format!("login:unknown:{needle}"),
    };
    let address_key = client.ip.as_ref().map(|ip| format!("login:address:{ip}"));
    if settings.rate_limits
        && let Some(ip) = &client.ip
        && let Err(retry_after_secs) = throttle::reserve(
            conn,
            &format!("login:checks:{ip}"),
            LOGIN_CHECKS_PER_ADDRESS,
        )?
    {
        return Err(AppError::TooManyRequests { retry_after_secs });
    }
    if settings.rate_limits
        && let Err(retry_after_secs) = throttle::reserve(conn, &key, LOGIN_PER_ACCOUNT)?
    {
        return Err(AppError::TooManyRequests { retry_after_secs });
    }
    let ok = match &found {
        Some((_, Some(hash), _)) => password::verify(password_given, hash),
        _ => {
            password::verify(password_given, dummy_hash());
            false
        }
    };
    let Some((user_id, _, suspended_until)) = found.filter(|_| ok) else {
        if settings.rate_limits
            && let Some(k) = &address_key
            && let Err(retry_after_secs) = throttle::reserve(conn, k, LOGIN_PER_ADDRESS)?
        {
            return Err(AppError::TooManyRequests { retry_after_secs });
        }
        return Err(AppError::Unauthorized(
            "Unknown login or wrong password.".into(),
        ));
    };
    suspended(suspended_until)?;
    throttle::clear(conn, &key)?;
    conn.transaction(|conn| open_session(conn, keys, user_id, client))
}

enum RefreshOutcome {
    Rotated(Box<Tokens>),
    Reused,
}

/// Rotates a refresh token. Presenting one that was already used revokes its whole session.
pub fn refresh(conn: &mut PgConnection, keys: &JwtKeys, token: &str) -> AppResult<Tokens> {
    let outcome = conn.transaction::<_, AppError, _>(|conn| {
        type Row = (
            Uuid,
            Option<DateTime<Utc>>,
            Uuid,
            Option<DateTime<Utc>>,
            DateTime<Utc>,
        );
        let row: Option<Row> = refresh_tokens::table
            .inner_join(sessions::table)
            .filter(refresh_tokens::token_hash.eq(hash_token(token)))
            .select((
                refresh_tokens::session_id,
                refresh_tokens::used_at,
                sessions::user_id,
                sessions::revoked_at,
                sessions::expires_at,
            ))
            .for_update()
            .first(conn)
            .optional()?;
        let Some((session_id, used_at, user_id, revoked_at, expires_at)) = row else {
            return Err(AppError::Unauthorized(
                "This refresh token is not valid.".into(),
            ));
        };
        if used_at.is_some() {
            diesel::update(
                sessions::table
                    .find(session_id)
                    .filter(sessions::revoked_at.is_null()),
            )
            .set(sessions::revoked_at.eq(Utc::now()))
            .execute(conn)?;
            tracing::warn!(session = %session_id, "refresh token reused: session revoked");
            return Ok(RefreshOutcome::Reused);
        }
        if revoked_at.is_some() || expires_at <= Utc::now() {
            return Err(AppError::Unauthorized(
                "This session has ended; log in again.".into(),
            ));
        }
        let (erased, suspended_until): (Option<DateTime<Utc>>, Option<DateTime<Utc>>) =
            users::table
                .find(user_id)
                .select((users::erased_at, users::suspended_until))
                .first(conn)?;
        if erased.is_some() {
            return Err(AppError::Unauthorized(
                "This session has ended; log in again.".into(),
            ));
        }
        suspended(suspended_until)?;
        let now = Utc::now();
        diesel::update(refresh_tokens::table.find(hash_token(token)))
            .set(refresh_tokens::used_at.eq(now))
            .execute(conn)?;
        diesel::update(sessions::table.find(session_id))
            .set((
                sessions::last_used_at.eq(now),
                sessions::expires_at.eq(now + chrono::Duration::days(REFRESH_TTL_DAYS)),
            ))
            .execute(conn)?;
        Ok(RefreshOutcome::Rotated(Box::new(tokens_for(
            conn, keys, user_id, session_id,
        )?)))
    })?;
    match outcome {
        RefreshOutcome::Rotated(t) => Ok(*t),
        RefreshOutcome::Reused => Err(AppError::Unauthorized(
            "This refresh token was already used; the session has been closed for safety.".into(),
        )),
    }
}

pub fn logout(conn: &mut PgConnection, actor: &Actor) -> AppResult<()> {
    diesel::update(sessions::table.find(actor.session_id))
        .set(sessions::revoked_at.eq(Utc::now()))
        .execute(conn)?;
    Ok(())
}

/// Ends every session of `user_id`; returns how many were open.
pub fn end_all_sessions(conn: &mut PgConnection, user_id: Uuid) -> AppResult<usize> {
    Ok(diesel::update(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::revoked_at.is_null()),
    )
    .set(sessions::revoked_at.eq(Utc::now()))
    .execute(conn)?)
}

/// A password-reset request, handled by a job so that the request does the same work whether the
/// address is known or not (one insert): its answer and its timing tell nothing.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct PasswordResetRequest {
    /// As sent (parsed by the job).
    pub email: String,
}

impl crate::jobs::Job for PasswordResetRequest {
    const KIND: &'static str = "password_reset_request";
}

/// Always succeeds (the answer never tells whether the address exists): queues the request.
pub fn request_password_reset(conn: &mut PgConnection, email: &str) -> AppResult<()> {
    crate::jobs::enqueue(
        conn,
        // What is not an address (a NUL, which a job's jsonb payload cannot hold, among others)
        // still costs the same statement; the job then finds no account.
        crate::jobs::NewJob::of(&PasswordResetRequest {
            email: email.chars().filter(|c| *c != '\0').take(320).collect(),
        }),
    )?;
    Ok(())
}

/// The job: emails a reset link when the address has an account (at most 3 an hour per account).
pub fn send_password_reset(
    conn: &mut PgConnection,
    settings: &Settings,
    request: &PasswordResetRequest,
) -> AppResult<()> {
    let Ok(email) = Email::parse(&request.email) else {
        return Ok(());
    };
    let user: Option<(Uuid, String)> = users::table
        .filter(users::email.eq(email.as_str()))
        .filter(users::erased_at.is_null())
        .select((users::id, users::locale))
        .first(conn)
        .optional()?;
    let Some((user_id, locale)) = user else {
        return Ok(());
    };
    let key = format!("reset:{user_id}");
    if settings.rate_limits && throttle::reserve(conn, &key, RESET_PER_EMAIL)?.is_err() {
        tracing::warn!(user = %user_id, "password reset requested too often; no email sent");
        return Ok(());
    }
    let token = new_user_token(conn, user_id, PASSWORD_RESET, RESET_TTL_HOURS)?;
    queue_user_email(
        conn,
        settings,
        PASSWORD_RESET,
        &email,
        Locale::parse_or_default(&locale),
        frontend_link(settings, "/reset-password", &token),
    )
}

pub fn register_jobs(registry: &mut crate::jobs::Registry) {
    registry.add(|ctx, conn, request: PasswordResetRequest| {
        send_password_reset(conn, &ctx.settings, &request)
            .map_err(|e| anyhow::anyhow!("password reset: {e}"))
    });
}

/// Sets the new password and ends every session of the account.
pub fn confirm_password_reset(
    conn: &mut PgConnection,
    token: &str,
    new_password: &str,
) -> AppResult<()> {
    conn.transaction(|conn| {
        let user_id = use_user_token(conn, token, PASSWORD_RESET)?;
        let (username, email): (String, Option<String>) = users::table
            .find(user_id)
            .select((users::username, users::email))
            .first(conn)?;
        if let Some(m) =
            password::weakness(new_password, &[&username, email.as_deref().unwrap_or("")])
        {
            return Err(AppError::validation("password", m));
        }
        let now = Utc::now();
        diesel::update(users::table.find(user_id))
            .set((
                users::password_hash.eq(password::hash(new_password)?),
                // The link reached the mailbox: the address is proven.
                users::email_verified_at.eq(diesel::dsl::sql::<
                    diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>,
                >("coalesce(email_verified_at, now())")),
                users::updated_at.eq(now),
            ))
            .execute(conn)?;
        // Every other reset link of the account is spent too: an older one must not work after.
        diesel::update(
            user_tokens::table
                .filter(user_tokens::user_id.eq(user_id))
                .filter(user_tokens::purpose.eq(PASSWORD_RESET))
                .filter(user_tokens::used_at.is_null()),
        )
        .set(user_tokens::used_at.eq(now))
        .execute(conn)?;
        end_all_sessions(conn, user_id)?;
        Ok(())
    })
}

pub fn update_me(conn: &mut PgConnection, actor: &Actor, input: UpdateMe) -> AppResult<Me> {
    let mut errors = Errors::new();
    let display_name = errors
        .check_opt(
            "display_name",
            input.display_name.as_deref(),
            DisplayName::parse,
        )
        .map(DisplayName::into_inner);
    errors.check_opt("bio", input.bio.as_deref(), |b| {
        crate::input::free_text(b, 2000)
    });
    if let Some(d) = input.digest_day {
        errors.ensure(
            "digest_day",
            (1..=7).contains(&d),
            "1 (Monday) to 7 (Sunday).",
        );
    }
    if let Some(h) = input.digest_hour {
        errors.ensure("digest_hour", (0..=23).contains(&h), "0 to 23.");
    }
    errors.finish()?;
    #[derive(AsChangeset)]
    #[diesel(table_name = users)]
    struct Changes {
        display_name: Option<String>,
        bio: Option<String>,
        locale: Option<&'static str>,
        digest_frequency: Option<&'static str>,
        digest_day: Option<i16>,
        digest_hour: Option<i16>,
        updated_at: DateTime<Utc>,
    }
    diesel::update(users::table.find(actor.id))
        .set(&Changes {
            display_name,
            bio: input.bio,
            locale: input.locale.map(Locale::as_str),
            digest_frequency: input.digest_frequency.map(DigestFrequency::as_str),
            digest_day: input.digest_day,
            digest_hour: input.digest_hour,
            updated_at: Utc::now(),
        })
        .execute(conn)?;
    me(conn, actor.id)
}

pub fn profile(conn: &mut PgConnection, username: &str) -> AppResult<Profile> {
    if Username::parse(username).is_err() {
        return Err(AppError::NotFound);
    }
    type Row = (
        Uuid,
        String,
        String,
        String,
        DateTime<Utc>,
        String,
        i32,
        i32,
        i32,
    );
    let row: Row = users::table
        .filter(models::lower(users::username).eq(username.to_lowercase()))
        .filter(users::erased_at.is_null())
        .select((
            users::id,
            users::username,
            users::display_name,
            users::role,
            users::created_at,
            users::bio,
            users::thread_count,
            users::reply_count,
            users::challenge_count,
        ))
        .first(conn)?;
    Ok(Profile {
        user: UserPublic {
            id: row.0,
            username: row.1,
            display_name: row.2,
            role: Role::parse(&row.3).unwrap_or(Role::Member),
            created_at: row.4,
        },
        bio: row.5,
        thread_count: row.6,
        reply_count: row.7,
        challenge_count: row.8,
    })
}

/// An administrator changes a member's role; the change is logged.
pub fn set_role(
    conn: &mut PgConnection,
    actor: &Actor,
    target: Uuid,
    role: Role,
    reason: Option<String>,
) -> AppResult<UserPublic> {
    actor.require_admin()?;
    let reason = reason
        .map(|r| crate::input::free_text(&r, 500))
        .transpose()
        .map_err(|m| AppError::validation("reason", m))?
        .filter(|r| !r.is_empty());
    if target == actor.id {
        return Err(AppError::conflict(
            Some("role"),
            "Administrators cannot change their own role.",
        ));
    }
    conn.transaction(|conn| {
        let (username, display_name, old_role, created_at): (String, String, String, DateTime<Utc>) = users::table
            .find(target)
            .filter(users::erased_at.is_null())
            .select((users::username, users::display_name, users::role, users::created_at))
            .for_update()
            .first(conn)?;
        if old_role != role.as_str() {
            diesel::update(users::table.find(target))
                .set((users::role.eq(role.as_str()), users::updated_at.eq(Utc::now())))
                .execute(conn)?;
            diesel::insert_into(moderation_log::table)
                .values((
                    moderation_log::id.eq(Uuid::now_v7()),
                    moderation_log::actor_id.eq(actor.id),
                    moderation_log::action.eq("change_role"),
                    moderation_log::target_type.eq("user"),
                    moderation_log::target_id.eq(target),
                    moderation_log::reason.eq(reason),
                    moderation_log::details.eq(json!({ "from": old_role, "to": role.as_str() })),
                ))
                .execute(conn)?;
            tracing::info!(actor = %actor.id, target = %target, from = %old_role, to = role.as_str(), "role changed");
        }
        Ok(UserPublic {
            id: target,
            username,
            display_name,
            role,
            created_at,
        })
    })
}

/// The account's own part of `GET /me/export`; each feature that keeps personal data adds its
/// section, named after it (the document's `MeExport`).
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct AccountExport {
    pub exported_at: DateTime<Utc>,
    pub account: Me,
    #[schema(inline)]
    pub restrictions: ExportedRestrictions,
    #[schema(inline)]
    pub activity_counts: ActivityCounts,
    /// Every session, ended ones included, with the client it was opened from.
    #[schema(inline)]
    pub sessions: Vec<ExportedSession>,
    /// The moderators' actions on the account (silence, suspension and their lifting).
    #[schema(inline)]
    pub moderation_decisions: Vec<LoggedAction>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ExportedRestrictions {
    pub silenced_until: Option<DateTime<Utc>>,
    pub suspended_until: Option<DateTime<Utc>>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ActivityCounts {
    pub threads: i32,
    pub replies: i32,
    pub challenges: i32,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ExportedSession {
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct LoggedAction {
    pub action: String,
    pub reason: Option<String>,
    /// What the action recorded besides its reason (its end, for a sanction).
    #[schema(value_type = Object)]
    pub details: Value,
    pub at: DateTime<Utc>,
}

/// Everything stored about the caller (GDPR access): the account's own data, then one section per
/// feature that keeps personal data (its hook in the list of features).
pub fn export(conn: &mut PgConnection, actor: &Actor, features: &[Feature]) -> AppResult<Value> {
    let account = me(conn, actor.id)?;
    let counts: (i32, i32, i32, Option<DateTime<Utc>>, Option<DateTime<Utc>>) = users::table
        .find(actor.id)
        .select((
            users::thread_count,
            users::reply_count,
            users::challenge_count,
            users::silenced_until,
            users::suspended_until,
        ))
        .first(conn)?;
    type SessionRow = (
        Uuid,
        DateTime<Utc>,
        DateTime<Utc>,
        DateTime<Utc>,
        Option<DateTime<Utc>>,
        Option<String>,
        Option<String>,
    );
    let session_rows: Vec<SessionRow> = sessions::table
        .filter(sessions::user_id.eq(actor.id))
        .order(sessions::created_at)
        .select((
            sessions::id,
            sessions::created_at,
            sessions::last_used_at,
            sessions::expires_at,
            sessions::revoked_at,
            sessions::user_agent,
            sessions::ip,
        ))
        .load(conn)?;
    let log: Vec<(String, Option<String>, Value, DateTime<Utc>)> = moderation_log::table
        .filter(moderation_log::target_type.eq("user"))
        .filter(moderation_log::target_id.eq(actor.id))
        .order(moderation_log::created_at)
        .select((
            moderation_log::action,
            moderation_log::reason,
            moderation_log::details,
            moderation_log::created_at,
        ))
        .load(conn)?;
    let mut doc = crate::feature::section(AccountExport {
        exported_at: Utc::now(),
        account,
        restrictions: ExportedRestrictions {
            silenced_until: counts.3,
            suspended_until: counts.4,
        },
        activity_counts: ActivityCounts {
            threads: counts.0,
            replies: counts.1,
            challenges: counts.2,
        },
        sessions: session_rows
            .into_iter()
            .map(|s| ExportedSession {
                id: s.0,
                created_at: s.1,
                last_used_at: s.2,
                expires_at: s.3,
                revoked_at: s.4,
                user_agent: s.5,
                ip: s.6,
            })
            .collect(),
        moderation_decisions: log
            .into_iter()
            .map(|l| LoggedAction {
                action: l.0,
                reason: l.1,
                details: l.2,
                at: l.3,
            })
            .collect(),
    })?;
    for feature in features {
        if let Some(hooks) = &feature.personal_data {
            doc[feature.name] = (hooks.export)(conn, actor.id)?;
        }
    }
    Ok(doc)
}

/// Erases the account (GDPR): personal data removed, content kept under an anonymous placeholder,
/// no way to log in again. Each feature's erase hook runs in the same transaction.
pub fn erase(
    conn: &mut PgConnection,
    settings: &Settings,
    actor: &Actor,
    password_given: &str,
    features: &[Feature],
) -> AppResult<()> {
    let (hash, email, username): (Option<String>, Option<String>, String) = users::table
        .find(actor.id)
        .select((users::password_hash, users::email, users::username))
        .first(conn)?;
    // The password is checked under the login's limit: a stolen access token must not buy
    // unlimited guesses.
    if settings.rate_limits
        && let Err(retry_after_secs) =
            throttle::reserve(conn, &account_key(actor.id), LOGIN_PER_ACCOUNT)?
    {
        return Err(AppError::TooManyRequests { retry_after_secs });
    }
    if !hash.is_some_and(|h| password::verify(password_given, &h)) {
        return Err(AppError::Forbidden("The password does not match.".into()));
    }
    conn.transaction(|conn| {
        // The placeholder's prefix is reserved (no one registers `anonyme-…`), so that erasure
        // never fails on it; the name erased stays unavailable.
        let placeholder = format!("{}{}", super::domain::ERASED_PREFIX, actor.id.simple());
        diesel::insert_into(retired_usernames::table)
            .values(retired_usernames::username_hash.eq(models::retired_hash(&username)))
            .on_conflict_do_nothing()
            .execute(conn)?;
        diesel::update(users::table.find(actor.id))
            .set((
                users::username.eq(&placeholder),
                users::email.eq(None::<String>),
                users::display_name.eq(""),
                users::bio.eq(""),
                users::password_hash.eq(None::<String>),
                users::email_verified_at.eq(None::<DateTime<Utc>>),
                users::digest_frequency.eq("never"),
                users::erased_at.eq(Utc::now()),
                users::updated_at.eq(Utc::now()),
            ))
            .execute(conn)?;
        diesel::delete(sessions::table.filter(sessions::user_id.eq(actor.id))).execute(conn)?;
        diesel::delete(idempotency_keys::table.filter(idempotency_keys::user_id.eq(actor.id)))
            .execute(conn)?;
        for feature in features {
            if let Some(hooks) = &feature.personal_data {
                (hooks.erase)(conn, actor.id)?;
            }
        }
        diesel::delete(user_tokens::table.filter(user_tokens::user_id.eq(actor.id)))
            .execute(conn)?;
        let mut keys = vec![account_key(actor.id), format!("reset:{}", actor.id)];
        keys.push(format!("login:unknown:{}", username.to_lowercase()));
        if let Some(e) = &email {
            diesel::delete(outbox::table.filter(outbox::to_address.eq(e))).execute(conn)?;
            keys.push(format!("login:unknown:{e}"));
        }
        diesel::delete(throttles::table.filter(throttles::key.eq_any(&keys))).execute(conn)?;
        tracing::info!(user = %actor.id, "account erased");
        Ok(())
    })
}
