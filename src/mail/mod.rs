//! Email: templates (French and English, HTML + plain text on a shared layout), an outbox written in
//! the caller's transaction, and the `send_email` job that delivers it through a transport:
//! SMTP (`PALABRE_SMTP_URL`), `.eml` files under the data dir (default), or memory (tests).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use diesel::prelude::*;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::{FileTransport, Message, SmtpTransport, Transport};
use minijinja::Environment;
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::config::Settings;
use crate::input::Email;
use crate::jobs::{Job, NewJob, Periodic, Registry, enqueue};
use crate::schema::outbox;

pub const SEND_EMAIL_JOB: &str = SendEmail::KIND;

/// Attempts to deliver one message before it is kept as failed: with the default backoff (10 s,
/// doubling, at most `PALABRE_JOB_MAX_BACKOFF_SECONDS` = 15 min between two), 120 attempts span
/// about 28 hours, so an SMTP outage of a day loses nothing. `palabre mail retry` re-queues what
/// failed for good.
pub const DELIVERY_ATTEMPTS: i32 = 120;

/// Delivers one outbox message.
#[derive(Debug, Serialize, serde::Deserialize)]
pub struct SendEmail {
    pub outbox_id: Uuid,
}

impl Job for SendEmail {
    const KIND: &'static str = "send_email";
}

/// Removes messages sent more than 30 days ago (no payload).
#[derive(Debug, Serialize, serde::Deserialize)]
pub struct OutboxCleanup;

impl Job for OutboxCleanup {
    const KIND: &'static str = "outbox_cleanup";
}

/// Languages of user-facing text. French first.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    #[default]
    Fr,
    En,
}

impl Locale {
    pub fn as_str(self) -> &'static str {
        match self {
            Locale::Fr => "fr",
            Locale::En => "en",
        }
    }

    /// Parses `fr`/`en`; anything else falls back to French.
    pub fn parse_or_default(s: &str) -> Self {
        match s {
            "en" => Locale::En,
            _ => Locale::Fr,
        }
    }
}

// ---- templates ---------------------------------------------------------------------------------

macro_rules! templates {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("templates/", $name)))),*]
    };
}

const TEMPLATES: &[(&str, &str)] = templates![
    "layout.html",
    "layout.txt",
    "verify_email.fr.subject",
    "verify_email.fr.html",
    "verify_email.fr.txt",
    "verify_email.en.subject",
    "verify_email.en.html",
    "verify_email.en.txt",
    "password_reset.fr.subject",
    "password_reset.fr.html",
    "password_reset.fr.txt",
    "password_reset.en.subject",
    "password_reset.en.html",
    "password_reset.en.txt",
    "register_attempt.fr.subject",
    "register_attempt.fr.html",
    "register_attempt.fr.txt",
    "register_attempt.en.subject",
    "register_attempt.en.html",
    "register_attempt.en.txt",
    "moderation_decision.fr.subject",
    "moderation_decision.fr.html",
    "moderation_decision.fr.txt",
    "moderation_decision.en.subject",
    "moderation_decision.en.html",
    "moderation_decision.en.txt",
    "moderation_notice.fr.subject",
    "moderation_notice.fr.html",
    "moderation_notice.fr.txt",
    "moderation_notice.en.subject",
    "moderation_notice.en.html",
    "moderation_notice.en.txt",
];

fn environment() -> &'static Environment<'static> {
    static ENV: std::sync::OnceLock<Environment<'static>> = std::sync::OnceLock::new();
    ENV.get_or_init(|| environment_with(&[]))
}

/// A template environment with mail's own templates (the shared `layout.html` and `layout.txt`
/// among them) and `extra` ones: a feature's emails extend the shared layout. Build it once.
pub fn environment_with(extra: &[(&'static str, &'static str)]) -> Environment<'static> {
    let mut env = Environment::new();
    // HTML-escape the five significant characters only (the default also escapes `/`, which
    // mangles links in the source of the message).
    env.set_formatter(|out, state, value| {
        if matches!(state.auto_escape(), minijinja::AutoEscape::Html)
            && !value.is_safe()
            && let Some(s) = value.as_str()
        {
            for c in s.chars() {
                match c {
                    '&' => out.write_str("&amp;")?,
                    '<' => out.write_str("&lt;")?,
                    '>' => out.write_str("&gt;")?,
                    '"' => out.write_str("&quot;")?,
                    '\'' => out.write_str("&#39;")?,
                    c => std::fmt::Write::write_char(out, c)?,
                }
            }
            return Ok(());
        }
        minijinja::escape_formatter(out, state, value)
    });
    for (name, source) in TEMPLATES.iter().chain(extra) {
        env.add_template(name, source)
            .expect("mail templates parse");
    }
    env
}

/// A rendered message: subject, plain text and HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Renders template `name` in `locale` with `ctx` (a JSON object; `locale` and `subject` are added).
pub fn render(name: &str, locale: Locale, ctx: &Value) -> anyhow::Result<Rendered> {
    render_in(environment(), name, locale, ctx)
}

/// [`render`] with the templates of `env` (see [`environment_with`]).
pub fn render_in(
    env: &Environment<'static>,
    name: &str,
    locale: Locale,
    ctx: &Value,
) -> anyhow::Result<Rendered> {
    let mut ctx = ctx.as_object().cloned().unwrap_or_default();
    ctx.insert("locale".into(), Value::from(locale.as_str()));
    let subject = env
        .get_template(&format!("{name}.{}.subject", locale.as_str()))?
        .render(minijinja::value::Serde(&ctx))?
        .trim()
        .to_string();
    ctx.insert("subject".into(), Value::from(subject.clone()));
    let text = env
        .get_template(&format!("{name}.{}.txt", locale.as_str()))?
        .render(minijinja::value::Serde(&ctx))?;
    let html = env
        .get_template(&format!("{name}.{}.html", locale.as_str()))?
        .render(minijinja::value::Serde(&ctx))?;
    Ok(Rendered {
        subject,
        text,
        html,
    })
}

// ---- outbox ------------------------------------------------------------------------------------

/// Writes a message to the outbox and enqueues its delivery, on the caller's connection (so in the
/// caller's transaction). `headers` are extra raw headers (e.g. `List-Unsubscribe`). The recipient is
/// an [`Email`]: parsed once, where it entered, into an address a mailbox header takes.
pub fn queue(
    conn: &mut PgConnection,
    settings: &Settings,
    to: &Email,
    message: &Rendered,
    headers: &[(&str, String)],
) -> anyhow::Result<Uuid> {
    let to = to.as_str();
    let id = Uuid::now_v7();
    let domain = settings
        .mail_from
        .parse::<Mailbox>()
        .map(|m| m.email.domain().to_string())
        .unwrap_or_else(|_| "localhost".into());
    let message_id = format!("<{id}@{domain}>");
    let headers: serde_json::Map<String, Value> = headers
        .iter()
        .map(|(k, v)| (k.to_string(), Value::from(v.clone())))
        .collect();
    diesel::insert_into(outbox::table)
        .values((
            outbox::id.eq(id),
            outbox::message_id.eq(&message_id),
            outbox::to_address.eq(to),
            outbox::subject.eq(&message.subject),
            outbox::body_text.eq(&message.text),
            outbox::body_html.eq(&message.html),
            outbox::headers.eq(Value::Object(headers)),
        ))
        .execute(conn)?;
    enqueue(
        conn,
        NewJob::of(&SendEmail { outbox_id: id }).max_attempts(DELIVERY_ATTEMPTS),
    )?;
    tracing::info!(to = %mask_email(to), %message_id, "email queued");
    Ok(id)
}

/// One message of [`queue_many`].
pub struct Outgoing {
    pub to: Email,
    pub message: Rendered,
    pub headers: Vec<(&'static str, String)>,
}

/// [`queue`] for many messages at once: two statements whatever their number (bulk mail such as
/// digests). Returns the outbox ids, in order.
pub fn queue_many(
    conn: &mut PgConnection,
    settings: &Settings,
    messages: &[Outgoing],
) -> QueryResult<Vec<Uuid>> {
    use diesel::sql_types::{Array, Integer, Jsonb, Text, Uuid as SqlUuid};
    if messages.is_empty() {
        return Ok(Vec::new());
    }
    let domain = settings
        .mail_from
        .parse::<Mailbox>()
        .map(|m| m.email.domain().to_string())
        .unwrap_or_else(|_| "localhost".into());
    let ids: Vec<Uuid> = messages.iter().map(|_| Uuid::now_v7()).collect();
    let message_ids: Vec<String> = ids.iter().map(|id| format!("<{id}@{domain}>")).collect();
    let to: Vec<&str> = messages.iter().map(|m| m.to.as_str()).collect();
    let subjects: Vec<&str> = messages
        .iter()
        .map(|m| m.message.subject.as_str())
        .collect();
    let texts: Vec<&str> = messages.iter().map(|m| m.message.text.as_str()).collect();
    let htmls: Vec<&str> = messages.iter().map(|m| m.message.html.as_str()).collect();
    let headers: Vec<Value> = messages
        .iter()
        .map(|m| {
            Value::Object(
                m.headers
                    .iter()
                    .map(|(k, v)| (k.to_string(), Value::from(v.clone())))
                    .collect(),
            )
        })
        .collect();
    diesel::sql_query(
        "INSERT INTO outbox (id, message_id, to_address, subject, body_text, body_html, headers) \
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], \
                              $7::jsonb[])",
    )
    .bind::<Array<SqlUuid>, _>(&ids)
    .bind::<Array<Text>, _>(&message_ids)
    .bind::<Array<Text>, _>(&to)
    .bind::<Array<Text>, _>(&subjects)
    .bind::<Array<Text>, _>(&texts)
    .bind::<Array<Text>, _>(&htmls)
    .bind::<Array<Jsonb>, _>(&headers)
    .execute(conn)?;
    let job_ids: Vec<Uuid> = ids.iter().map(|_| Uuid::now_v7()).collect();
    let payloads: Vec<Value> = ids
        .iter()
        .map(|id| serde_json::to_value(SendEmail { outbox_id: *id }).expect("payloads serialise"))
        .collect();
    diesel::sql_query(
        "INSERT INTO jobs (id, kind, payload, run_at, max_attempts) \
         SELECT j.id, $3, j.payload, now(), $4 FROM unnest($1::uuid[], $2::jsonb[]) AS j(id, payload)",
    )
    .bind::<Array<SqlUuid>, _>(&job_ids)
    .bind::<Array<Jsonb>, _>(&payloads)
    .bind::<Text, _>(SEND_EMAIL_JOB)
    .bind::<Integer, _>(DELIVERY_ATTEMPTS)
    .execute(conn)?;
    tracing::info!(messages = ids.len(), "emails queued");
    Ok(ids)
}

/// `jean.dupont@example.org` → `j***@example.org`, for logs.
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".into(),
    }
}

// ---- transports ----------------------------------------------------------------------------------

/// A message as the memory transport keeps it.
#[derive(Debug, Clone)]
pub struct SentMail {
    pub to: Vec<String>,
    /// The whole RFC 5322 message as sent.
    pub raw: String,
}

#[derive(Clone)]
pub enum Mailer {
    Smtp(Arc<SmtpTransport>),
    File(Arc<FileTransport>, PathBuf),
    Memory(Arc<Mutex<Vec<SentMail>>>),
}

impl Mailer {
    pub fn from_settings(s: &Settings) -> anyhow::Result<Self> {
        match &s.smtp_url {
            Some(url) => Ok(Mailer::smtp(url.expose())?),
            None => {
                let dir = s.data_dir.join("mail");
                std::fs::create_dir_all(&dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
                Ok(Mailer::File(Arc::new(FileTransport::new(&dir)), dir))
            }
        }
    }

    pub fn smtp(url: &str) -> anyhow::Result<Self> {
        let transport = SmtpTransport::from_url(url)
            .context("PALABRE_SMTP_URL: cannot parse")?
            .timeout(Some(Duration::from_secs(20)))
            .build();
        Ok(Mailer::Smtp(Arc::new(transport)))
    }

    pub fn memory() -> Self {
        Mailer::Memory(Arc::new(Mutex::new(Vec::new())))
    }

    /// Messages sent through the memory transport.
    pub fn sent(&self) -> Vec<SentMail> {
        match self {
            Mailer::Memory(m) => m.lock().unwrap().clone(),
            _ => Vec::new(),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Mailer::Smtp(_) => "smtp".into(),
            Mailer::File(_, dir) => format!("files in {}", dir.display()),
            Mailer::Memory(_) => "memory".into(),
        }
    }

    pub fn send(&self, message: &Message) -> anyhow::Result<()> {
        match self {
            Mailer::Smtp(t) => {
                t.send(message).context("SMTP delivery failed")?;
            }
            Mailer::File(t, _) => {
                t.send(message).context("cannot write the .eml file")?;
            }
            Mailer::Memory(m) => {
                let to = message
                    .envelope()
                    .to()
                    .iter()
                    .map(|a| a.to_string())
                    .collect();
                let raw = String::from_utf8_lossy(&message.formatted()).into_owned();
                m.lock().unwrap().push(SentMail { to, raw });
            }
        }
        Ok(())
    }
}

#[derive(Queryable)]
struct OutboxRow {
    message_id: String,
    to_address: String,
    subject: String,
    body_text: String,
    body_html: String,
    headers: Value,
    sent_at: Option<chrono::DateTime<Utc>>,
}

/// Builds the message of an outbox row.
fn build_message(from: &str, row: &OutboxRow) -> anyhow::Result<Message> {
    let mut builder = Message::builder()
        .from(from.parse::<Mailbox>().context("PALABRE_MAIL_FROM")?)
        .to(row.to_address.parse::<Mailbox>().context("recipient")?)
        .subject(row.subject.clone())
        .message_id(Some(row.message_id.clone()))
        .date_now();
    if let Value::Object(headers) = &row.headers {
        for (name, value) in headers {
            let name = HeaderName::new_from_ascii(name.clone()).context("header name")?;
            builder = builder.raw_header(HeaderValue::new(
                name,
                value.as_str().unwrap_or_default().to_string(),
            ));
        }
    }
    Ok(builder.multipart(MultiPart::alternative_plain_html(
        row.body_text.clone(),
        row.body_html.clone(),
    ))?)
}

/// Registers mail's jobs; `send_email` delivers through `mailer`.
pub fn register_jobs(registry: &mut Registry, mailer: Mailer) {
    registry.add(move |ctx, conn, job: SendEmail| {
        let id = job.outbox_id;
        let row: Option<OutboxRow> = outbox::table
            .find(id)
            .select((
                outbox::message_id,
                outbox::to_address,
                outbox::subject,
                outbox::body_text,
                outbox::body_html,
                outbox::headers,
                outbox::sent_at,
            ))
            .first(conn)
            .optional()?;
        let Some(row) = row else {
            tracing::warn!(%id, "outbox message gone; nothing to send");
            return Ok(());
        };
        if row.sent_at.is_some() {
            return Ok(());
        }
        let message = build_message(&ctx.settings.mail_from, &row)?;
        mailer.send(&message)?;
        diesel::update(outbox::table.find(id))
            .set(outbox::sent_at.eq(Utc::now()))
            .execute(conn)?;
        tracing::info!(to = %mask_email(&row.to_address), message_id = %row.message_id, "email sent");
        Ok(())
    });
    registry.add(|_ctx, conn, _: OutboxCleanup| {
        let cutoff = Utc::now() - chrono::Duration::days(30);
        let n = diesel::delete(outbox::table.filter(outbox::sent_at.lt(cutoff))).execute(conn)?;
        tracing::info!(deleted = n, "old outbox messages removed");
        Ok(())
    });
}

/// Daily: the outbox cleanup.
pub fn periodic() -> Vec<Periodic> {
    vec![Periodic::of(
        "outbox_cleanup",
        Duration::from_secs(86_400),
        &OutboxCleanup,
    )]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_both_locales_with_escaping() {
        let ctx = serde_json::json!({"link": "https://front.example/verify-email?token=abc&x=<b>"});
        let fr = render("verify_email", Locale::Fr, &ctx).unwrap();
        assert_eq!(fr.subject, "Confirmez votre adresse électronique — palabre");
        assert!(fr.text.contains("Bonjour,"));
        assert!(fr.html.contains("token=abc&amp;x=&lt;b&gt;"), "{}", fr.html);
        assert!(fr.html.contains("lang=\"fr\""));
        assert!(
            fr.text
                .contains("https://front.example/verify-email?token=abc&x=<b>")
        );
        let en = render("verify_email", Locale::En, &ctx).unwrap();
        assert!(en.subject.starts_with("Confirm your email"));
        assert!(en.text.contains("You receive this message"));
    }

    #[test]
    fn mails_to_addresses_not_yet_proven_carry_no_text_of_the_sender() {
        // Whatever a registrant calls themselves, it never reaches the mailbox they named.
        let ctx = serde_json::json!({"name": "Compte bloqué: https://evil.example/login", "link": "https://front.example/x"});
        for template in ["verify_email", "password_reset", "register_attempt"] {
            for locale in [Locale::Fr, Locale::En] {
                let m = render(template, locale, &ctx).unwrap();
                assert!(
                    !m.text.contains("evil") && !m.html.contains("evil"),
                    "{template}"
                );
            }
        }
    }

    #[test]
    fn masks_emails() {
        assert_eq!(mask_email("jean.dupont@example.org"), "j***@example.org");
        assert_eq!(mask_email("nonsense"), "***");
    }
}

// ---- failed deliveries -------------------------------------------------------------------------

/// A message whose delivery failed for good (every attempt made).
#[derive(Debug, diesel::QueryableByName)]
pub struct FailedMail {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub outbox_id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub to_address: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub subject: String,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub attempts: i32,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub last_error: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>)]
    pub failed_at: Option<chrono::DateTime<Utc>>,
}

/// The messages whose delivery failed for good, oldest first (`palabre mail failed`).
pub fn failed(conn: &mut PgConnection) -> QueryResult<Vec<FailedMail>> {
    diesel::sql_query(
        "SELECT o.id AS outbox_id, o.to_address, o.subject, j.attempts, j.last_error, j.failed_at \
         FROM jobs j JOIN outbox o ON o.id = (j.payload->>'outbox_id')::uuid \
         WHERE j.kind = $1 AND j.status = 'failed' ORDER BY j.failed_at, j.id",
    )
    .bind::<diesel::sql_types::Text, _>(SEND_EMAIL_JOB)
    .load(conn)
}

/// Queues every failed delivery again, with all its attempts (`palabre mail retry`); returns how
/// many.
pub fn retry_failed(conn: &mut PgConnection) -> QueryResult<usize> {
    use crate::schema::jobs;
    diesel::update(
        jobs::table
            .filter(jobs::kind.eq(SEND_EMAIL_JOB))
            .filter(jobs::status.eq("failed")),
    )
    .set((
        jobs::status.eq("pending"),
        jobs::attempts.eq(0),
        jobs::run_at.eq(Utc::now()),
        jobs::failed_at.eq(None::<chrono::DateTime<Utc>>),
    ))
    .execute(conn)
}
