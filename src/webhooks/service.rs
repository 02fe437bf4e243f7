//! Registering endpoints (administrators), their delivery log, and test events.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::net;
use super::types::*;
use crate::accounts::auth::Actor;
use crate::config::Settings;
use crate::error::{AppError, AppResult};
use crate::input::Errors;
use crate::pagination::{Page, PageQuery};
use crate::schema::{webhook_deliveries, webhooks};

type WebhookRow = (
    Uuid,
    String,
    Vec<String>,
    bool,
    Option<String>,
    Option<DateTime<Utc>>,
    DateTime<Utc>,
    DateTime<Utc>,
);

const COLUMNS: (
    webhooks::id,
    webhooks::url,
    webhooks::events,
    webhooks::enabled,
    webhooks::disabled_reason,
    webhooks::failing_since,
    webhooks::created_at,
    webhooks::updated_at,
) = (
    webhooks::id,
    webhooks::url,
    webhooks::events,
    webhooks::enabled,
    webhooks::disabled_reason,
    webhooks::failing_since,
    webhooks::created_at,
    webhooks::updated_at,
);

fn event_of(s: &str) -> Option<WebhookEvent> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
}

fn webhook(r: WebhookRow) -> Webhook {
    Webhook {
        id: r.0,
        url: r.1,
        events: r.2.iter().filter_map(|e| event_of(e)).collect(),
        enabled: r.3,
        disabled_reason: r.4,
        failing_since: r.5,
        created_at: r.6,
        updated_at: r.7,
    }
}

fn one(conn: &mut PgConnection, id: Uuid) -> AppResult<Webhook> {
    let row: WebhookRow = webhooks::table
        .find(id)
        .select(COLUMNS)
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound)?;
    Ok(webhook(row))
}

fn check_events(errors: &mut Errors, events: &[WebhookEvent]) -> Vec<String> {
    errors.ensure("events", !events.is_empty(), "Name at least one event.");
    let mut names: Vec<String> = events.iter().map(|e| e.as_str().to_string()).collect();
    names.sort();
    names.dedup();
    names
}

pub fn list(
    conn: &mut PgConnection,
    actor: &Actor,
    paging: &PageQuery,
) -> AppResult<Page<Webhook>> {
    actor.require_admin()?;
    let limit = paging.limit()?;
    let after: Option<Uuid> = paging.after()?;
    let rows: Vec<WebhookRow> = webhooks::table
        .filter(webhooks::id.gt(after.unwrap_or_else(Uuid::nil)))
        .order(webhooks::id)
        .limit(limit + 1)
        .select(COLUMNS)
        .load(conn)?;
    Ok(Page::from_rows(rows, limit, |r| r.0, webhook))
}

pub fn read(conn: &mut PgConnection, actor: &Actor, id: Uuid) -> AppResult<Webhook> {
    actor.require_admin()?;
    one(conn, id)
}

pub fn create(
    conn: &mut PgConnection,
    settings: &Settings,
    actor: &Actor,
    input: &CreateWebhook,
) -> AppResult<CreatedWebhook> {
    actor.require_admin()?;
    let mut errors = Errors::new();
    errors.check(
        "url",
        net::check_url(&input.url, settings.webhooks_allow_private),
    );
    let events = check_events(&mut errors, &input.events);
    errors.finish()?;
    let id = Uuid::now_v7();
    let secret = net::new_secret();
    diesel::insert_into(webhooks::table)
        .values((
            webhooks::id.eq(id),
            webhooks::url.eq(&input.url),
            webhooks::events.eq(&events),
            webhooks::secret.eq(&secret),
            webhooks::created_by.eq(actor.id),
        ))
        .execute(conn)?;
    Ok(CreatedWebhook {
        webhook: one(conn, id)?,
        secret,
    })
}

pub fn update(
    conn: &mut PgConnection,
    settings: &Settings,
    actor: &Actor,
    id: Uuid,
    input: &UpdateWebhook,
) -> AppResult<Webhook> {
    actor.require_admin()?;
    one(conn, id)?;
    let mut errors = Errors::new();
    if let Some(url) = &input.url {
        errors.check("url", net::check_url(url, settings.webhooks_allow_private));
    }
    let events = input
        .events
        .as_deref()
        .map(|e| check_events(&mut errors, e));
    errors.finish()?;
    #[derive(AsChangeset)]
    #[diesel(table_name = webhooks)]
    struct Changes {
        url: Option<String>,
        events: Option<Vec<String>>,
        enabled: Option<bool>,
        updated_at: DateTime<Utc>,
    }
    crate::db::atomic(conn, |conn| {
        diesel::update(webhooks::table.find(id))
            .set(&Changes {
                url: input.url.clone(),
                events,
                enabled: input.enabled,
                updated_at: Utc::now(),
            })
            .execute(conn)?;
        match input.enabled {
            // Turned back on: a fresh start.
            Some(true) => {
                diesel::update(webhooks::table.find(id))
                    .set((
                        webhooks::disabled_reason.eq(None::<String>),
                        webhooks::failing_since.eq(None::<DateTime<Utc>>),
                        webhooks::failures.eq(0),
                        webhooks::retry_after.eq(None::<DateTime<Utc>>),
                    ))
                    .execute(conn)?;
            }
            Some(false) => {
                diesel::update(webhooks::table.find(id))
                    .set(webhooks::disabled_reason.eq("Turned off by an administrator."))
                    .execute(conn)?;
                give_up_pending(conn, id, "The hook was turned off.")?;
            }
            None => {}
        }
        one(conn, id)
    })
}

/// Marks the hook's pending deliveries failed (it was disabled).
pub fn give_up_pending(conn: &mut PgConnection, id: Uuid, why: &str) -> QueryResult<usize> {
    diesel::update(
        webhook_deliveries::table
            .filter(webhook_deliveries::webhook_id.eq(id))
            .filter(webhook_deliveries::status.eq("pending")),
    )
    .set((
        webhook_deliveries::status.eq("failed"),
        webhook_deliveries::last_error.eq(why),
        webhook_deliveries::finished_at.eq(Utc::now()),
    ))
    .execute(conn)
}

pub fn delete(conn: &mut PgConnection, actor: &Actor, id: Uuid) -> AppResult<()> {
    actor.require_admin()?;
    let n = diesel::delete(webhooks::table.find(id)).execute(conn)?;
    if n == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}

type DeliveryRow = (
    Uuid,
    Uuid,
    String,
    String,
    i32,
    Option<i32>,
    Option<i32>,
    Option<String>,
    DateTime<Utc>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    String,
);

const DELIVERY_COLUMNS: (
    webhook_deliveries::id,
    webhook_deliveries::event_id,
    webhook_deliveries::event_type,
    webhook_deliveries::status,
    webhook_deliveries::attempts,
    webhook_deliveries::response_code,
    webhook_deliveries::duration_ms,
    webhook_deliveries::last_error,
    webhook_deliveries::next_attempt_at,
    webhook_deliveries::created_at,
    webhook_deliveries::finished_at,
    webhook_deliveries::body,
) = (
    webhook_deliveries::id,
    webhook_deliveries::event_id,
    webhook_deliveries::event_type,
    webhook_deliveries::status,
    webhook_deliveries::attempts,
    webhook_deliveries::response_code,
    webhook_deliveries::duration_ms,
    webhook_deliveries::last_error,
    webhook_deliveries::next_attempt_at,
    webhook_deliveries::created_at,
    webhook_deliveries::finished_at,
    webhook_deliveries::body,
);

fn delivery_of(r: DeliveryRow) -> Delivery {
    Delivery {
        id: r.0,
        event_id: r.1,
        event_type: r.2,
        status: DeliveryStatus::parse(&r.3),
        attempts: r.4,
        response_code: r.5,
        duration_ms: r.6,
        last_error: r.7,
        next_attempt_at: r.8,
        created_at: r.9,
        finished_at: r.10,
        body: r.11,
    }
}

/// A hook's deliveries, newest first.
pub fn deliveries(
    conn: &mut PgConnection,
    actor: &Actor,
    id: Uuid,
    paging: &PageQuery,
) -> AppResult<Page<Delivery>> {
    actor.require_admin()?;
    one(conn, id)?;
    let limit = paging.limit()?;
    let after: Option<Uuid> = paging.after()?;
    let rows: Vec<DeliveryRow> = webhook_deliveries::table
        .filter(webhook_deliveries::webhook_id.eq(id))
        .filter(webhook_deliveries::id.lt(after.unwrap_or(Uuid::max())))
        .order(webhook_deliveries::id.desc())
        .limit(limit + 1)
        .select(DELIVERY_COLUMNS)
        .load(conn)?;
    Ok(Page::from_rows(rows, limit, |r| r.0, delivery_of))
}

/// Queues a `webhook.test` event for one hook (delivered by the job queue, like any other).
pub fn test(conn: &mut PgConnection, actor: &Actor, id: Uuid) -> AppResult<Delivery> {
    actor.require_admin()?;
    let hook = one(conn, id)?;
    if !hook.enabled {
        return Err(AppError::conflict(
            None,
            "This hook is disabled: turn it back on (PATCH enabled: true) first.",
        ));
    }
    let event = Uuid::now_v7();
    let delivery = Uuid::now_v7();
    let now = Utc::now();
    let body = serde_json::json!({
        "id": event,
        "type": "webhook.test",
        "timestamp": now.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "data": {"webhook_id": id, "message": "Un événement de test de palabre. A test event from palabre."},
    })
    .to_string();
    crate::db::atomic(conn, |conn| {
        diesel::insert_into(webhook_deliveries::table)
            .values((
                webhook_deliveries::id.eq(delivery),
                webhook_deliveries::webhook_id.eq(id),
                webhook_deliveries::event_id.eq(event),
                webhook_deliveries::event_type.eq("webhook.test"),
                webhook_deliveries::body.eq(&body),
            ))
            .execute(conn)?;
        crate::jobs::enqueue(
            conn,
            crate::jobs::NewJob::of(&super::deliver::DeliverWebhook {
                delivery_id: delivery,
            }),
        )?;
        Ok::<_, AppError>(())
    })?;
    let row: DeliveryRow = webhook_deliveries::table
        .find(delivery)
        .select(DELIVERY_COLUMNS)
        .first(conn)?;
    Ok(delivery_of(row))
}
