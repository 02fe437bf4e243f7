//! Unsubscribe tokens: signed, never expiring, needing no login. A token names a recipient — `m`
//! (member) or `s` (subscriber) and an id — followed by an HMAC-SHA256 of that, keyed by the
//! server's secret (the JWT secret, under its own label), truncated to 128 bits, base64url.
//! Changing the secret voids every link already mailed.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use uuid::Uuid;

/// Who a digest goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Recipient {
    Member(Uuid),
    Subscriber(Uuid),
}

impl Recipient {
    pub fn id(self) -> Uuid {
        match self {
            Recipient::Member(id) | Recipient::Subscriber(id) => id,
        }
    }

    pub fn kind(self) -> &'static str {
        match self {
            Recipient::Member(_) => "member",
            Recipient::Subscriber(_) => "subscriber",
        }
    }

    pub fn of(kind: &str, id: Uuid) -> Self {
        if kind == "subscriber" {
            Recipient::Subscriber(id)
        } else {
            Recipient::Member(id)
        }
    }

    fn payload(self) -> String {
        match self {
            Recipient::Member(id) => format!("m{}", id.simple()),
            Recipient::Subscriber(id) => format!("s{}", id.simple()),
        }
    }
}

const LABEL: &[u8] = b"palabre unsubscribe v1\0";
const MAC_BYTES: usize = 16;

fn mac(secret: &str, payload: &str) -> Hmac<Sha256> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(LABEL);
    mac.update(payload.as_bytes());
    mac
}

/// The token of `recipient`.
pub fn sign(secret: &str, recipient: Recipient) -> String {
    let payload = recipient.payload();
    let tag = mac(secret, &payload).finalize().into_bytes();
    format!("{payload}.{}", URL_SAFE_NO_PAD.encode(&tag[..MAC_BYTES]))
}

/// The recipient a token names, if its signature holds.
pub fn verify(secret: &str, token: &str) -> Option<Recipient> {
    let (payload, tag) = token.split_once('.')?;
    if payload.len() != 33 {
        return None;
    }
    let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
    if tag.len() != MAC_BYTES {
        return None;
    }
    mac(secret, payload).verify_truncated_left(&tag).ok()?;
    let id = Uuid::try_parse(&payload[1..]).ok()?;
    match &payload[..1] {
        "m" => Some(Recipient::Member(id)),
        "s" => Some(Recipient::Subscriber(id)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tampering() {
        let secret = "a-secret-of-at-least-thirty-two-characters";
        let id = Uuid::now_v7();
        let t = sign(secret, Recipient::Subscriber(id));
        assert_eq!(verify(secret, &t), Some(Recipient::Subscriber(id)));
        assert_eq!(verify("another-secret-of-thirty-two-characters!", &t), None);
        // Same signature, other kind or other id: refused.
        let forged = format!("m{}", &t[1..]);
        assert_eq!(verify(secret, &forged), None);
        let other = sign(secret, Recipient::Member(Uuid::now_v7()));
        let swapped = format!("{}{}", &t[..33], &other[33..]);
        assert_eq!(verify(secret, &swapped), None);
        assert_eq!(verify(secret, "nonsense"), None);
        assert_eq!(verify(secret, ""), None);
        assert!(
            t.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        );
    }
}
