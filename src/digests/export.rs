//! The digests' part of a member's personal data: their interests and the record of the digests
//! they were sent. Erasure removes both. (An email-only subscription is not a member's: its own
//! unsubscribe link removes it with its record; a subscription adopted by an account became that
//! account's settings and interests.)

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::AppResult;
use crate::schema::{adopted_subscribers, digest_interests, digests};

#[derive(Debug, Serialize, ToSchema)]
pub struct DigestsExport {
    pub interests: Option<ExportedInterests>,
    /// Every digest on record (kept 60 days), oldest first.
    pub digests: Vec<ExportedDigest>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExportedInterests {
    pub themes: Vec<String>,
    /// A territory id (`fr:departement:29`).
    pub territory: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExportedDigest {
    /// The date (Europe/Paris) the digest is for.
    pub period: NaiveDate,
    /// `due`, `sent` or `empty` (nothing to say: no email).
    pub status: String,
    pub items: i32,
    pub composed_at: Option<DateTime<Utc>>,
}

pub fn export(conn: &mut PgConnection, user: Uuid) -> AppResult<Value> {
    let interests: Option<(Vec<String>, Option<String>)> = digest_interests::table
        .find(user)
        .select((digest_interests::themes, digest_interests::territory_id))
        .first(conn)
        .optional()?;
    let rows: Vec<(NaiveDate, String, i32, Option<DateTime<Utc>>)> = digests::table
        .filter(digests::recipient_id.eq(user))
        .order(digests::period)
        .select((
            digests::period,
            digests::status,
            digests::items,
            digests::composed_at,
        ))
        .load(conn)?;
    crate::feature::section(DigestsExport {
        interests: interests.map(|(themes, territory)| ExportedInterests { themes, territory }),
        digests: rows
            .into_iter()
            .map(|(period, status, items, composed_at)| ExportedDigest {
                period,
                status,
                items,
                composed_at,
            })
            .collect(),
    })
}

pub fn erase(conn: &mut PgConnection, user: Uuid) -> AppResult<()> {
    diesel::delete(digest_interests::table.find(user)).execute(conn)?;
    diesel::delete(adopted_subscribers::table.filter(adopted_subscribers::user_id.eq(user)))
        .execute(conn)?;
    diesel::delete(digests::table.filter(digests::recipient_id.eq(user))).execute(conn)?;
    Ok(())
}
