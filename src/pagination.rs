//! Keyset pagination: `?limit=` (1..100, default 20) and an opaque `?cursor=`; responses are
//! `{items, next_cursor}`. A cursor is the sort key of the last item seen, so page 1000 costs what
//! page 1 costs (with an index on the sort key and the id).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Datelike, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::AppError;

pub const DEFAULT_LIMIT: i64 = 20;
pub const MAX_LIMIT: i64 = 100;

/// Query parameters of every list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Items per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageQuery {
    pub fn limit(&self) -> Result<i64, AppError> {
        match self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            Some(_) => Err(AppError::validation("limit", "Use a number from 1 to 100.")),
        }
    }

    /// Decodes the cursor into the sort key it carries.
    pub fn after<K: DeserializeOwned>(&self) -> Result<Option<K>, AppError> {
        match self.cursor.as_deref() {
            None | Some("") => Ok(None),
            Some(c) => decode(c)
                .map(Some)
                .ok_or_else(|| AppError::validation("cursor", "This cursor is not valid.")),
        }
    }
}

/// A timestamp in a cursor. A cursor is the client's to send back, so it may be forged: one whose time
/// PostgreSQL cannot hold (years 1 to 9999 here) does not decode, and the cursor is a 422 like any
/// other that does not decode to valid keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "DateTime<Utc>", into = "DateTime<Utc>")]
pub struct At(pub DateTime<Utc>);

impl TryFrom<DateTime<Utc>> for At {
    type Error = String;
    fn try_from(t: DateTime<Utc>) -> Result<Self, String> {
        if (1..=9999).contains(&t.year()) {
            Ok(At(t))
        } else {
            Err("a cursor's time is out of range".into())
        }
    }
}

impl From<At> for DateTime<Utc> {
    fn from(a: At) -> Self {
        a.0
    }
}

pub fn encode<K: Serialize>(key: &K) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(key).unwrap_or_default())
}

pub fn decode<K: DeserializeOwned>(cursor: &str) -> Option<K> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    // A NUL cannot be a key PostgreSQL holds: such a cursor was forged.
    if bytes.windows(6).any(|w| w == br"\u0000") {
        return None;
    }
    serde_json::from_slice(&bytes).ok()
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass it as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// A page with nothing on it, and no next page.
    pub fn empty() -> Self {
        Page {
            items: Vec::new(),
            next_cursor: None,
        }
    }

    /// Builds a page from up to `limit + 1` rows (the extra row tells that there is a next page).
    pub fn from_rows<R, K: Serialize>(
        mut rows: Vec<R>,
        limit: i64,
        key: impl Fn(&R) -> K,
        map: impl Fn(R) -> T,
    ) -> Self {
        let more = rows.len() as i64 > limit;
        if more {
            rows.truncate(limit as usize);
        }
        let next_cursor = if more {
            rows.last().map(|r| encode(&key(r)))
        } else {
            None
        };
        Page {
            items: rows.into_iter().map(map).collect(),
            next_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_holding_nul_do_not_decode() {
        let forged = URL_SAFE_NO_PAD.encode(r#""lid\u0000ar""#);
        assert!(decode::<String>(&forged).is_none());
        assert_eq!(
            decode::<String>(&encode(&"lidar")).as_deref(),
            Some("lidar")
        );
    }

    #[test]
    fn cursors_with_times_postgres_cannot_hold_do_not_decode() {
        let good = encode(&(At(Utc::now()), uuid::Uuid::nil()));
        assert!(decode::<(At, uuid::Uuid)>(&good).is_some());
        for forged in [
            r#"["+100000-01-01T00:00:00Z","00000000-0000-0000-0000-000000000000"]"#,
            r#"["-0100-01-01T00:00:00Z","00000000-0000-0000-0000-000000000000"]"#,
        ] {
            let c = URL_SAFE_NO_PAD.encode(forged);
            assert!(decode::<(At, uuid::Uuid)>(&c).is_none(), "{forged}");
        }
    }
}
