//! Where a webhook may go (no request forgery into the host's network), and how it is signed.

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// Whether an address is on the public internet: not loopback, private, link-local, shared
/// (100.64/10), unspecified, broadcast, multicast, documentation, reserved or unique-local, nor an
/// IPv4-mapped IPv6 form of one.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => {
            let o = a.octets();
            !(a.is_loopback()
                || a.is_private()
                || a.is_link_local()
                || a.is_unspecified()
                || a.is_broadcast()
                || a.is_multicast()
                || a.is_documentation()
                || o[0] == 0
                || o[0] >= 240
                || (o[0] == 100 && (o[1] & 0xc0) == 64)
                || (o[0] == 192 && o[1] == 0 && o[2] == 0)
                || (o[0] == 198 && (o[1] & 0xfe) == 18))
        }
        IpAddr::V6(a) => {
            if let Some(v4) = a.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let s = a.segments();
            !(a.is_loopback()
                || a.is_unspecified()
                || a.is_multicast()
                // IPv4-compatible (::/96), NAT64 (64:ff9b::/96 and 64:ff9b:1::/48), 6to4
                // (2002::/16): each can carry an inside IPv4 address.
                || (s[0..6] == [0, 0, 0, 0, 0, 0])
                || (s[0] == 0x64 && s[1] == 0xff9b)
                || s[0] == 0x2002
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] & 0xffc0) == 0xfec0
                || (s[0] == 0x2001 && s[1] == 0x0db8))
        }
    }
}

/// Checks an endpoint address: `https` (or, with `allow_private`, `http` too), a host that
/// resolves, and only to public addresses unless `allow_private`. The message names what is wrong.
pub fn check_url(url: &str, allow_private: bool) -> Result<(), String> {
    crate::input::web_address(url)?;
    let uri = fluent_uri::Uri::parse(url).map_err(|_| "Not an address.".to_string())?;
    let scheme = uri.scheme().as_str().to_ascii_lowercase();
    if scheme != "https" && !(allow_private && scheme == "http") {
        return Err("An https:// address.".into());
    }
    let authority = uri.authority().ok_or("An address with a host.")?;
    if authority.userinfo().is_some() {
        return Err("No user name or password in the address: the signature authenticates.".into());
    }
    let host = authority.host().to_string();
    let port = authority
        .port_to_u16()
        .map_err(|_| "A port from 1 to 65535.".to_string())?
        .unwrap_or(if scheme == "https" { 443 } else { 80 });
    if !allow_private {
        resolve_public(&format!("{host}:{port}")).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The scheme rule alone: `https`, or `http` too when private addresses are allowed.
pub fn check_scheme(url: &str, allow_private: bool) -> Result<(), String> {
    if url.starts_with("https://") || (allow_private && url.starts_with("http://")) {
        Ok(())
    } else {
        Err("An https:// address.".into())
    }
}

/// Resolves `host:port` to its public addresses only; an error when it has none, or when any of
/// them is not public (a name that also points inside is refused as a whole).
pub fn resolve_public(addr: &str) -> std::io::Result<Vec<SocketAddr>> {
    let all: Vec<SocketAddr> = addr.to_socket_addrs()?.collect();
    if all.is_empty() {
        return Err(std::io::Error::other("The host does not resolve."));
    }
    if all.iter().any(|a| !is_public(a.ip())) {
        return Err(std::io::Error::other(
            "The host resolves to a loopback, private or link-local address.",
        ));
    }
    Ok(all)
}

/// The HTTP client of deliveries: 10 s timeouts, no redirects, and — unless private addresses
/// are allowed — a resolver that connects to public addresses only (checked again at each
/// connection, so a name that changes to an inside address after registration is refused).
pub fn agent(allow_private: bool) -> ureq::Agent {
    let mut b = ureq::AgentBuilder::new()
        .timeout_connect(Duration::from_secs(5))
        .timeout(Duration::from_secs(10))
        .redirects(0)
        .user_agent(concat!("palabre-webhooks/", env!("CARGO_PKG_VERSION")));
    if !allow_private {
        b = b.resolver(|addr: &str| resolve_public(addr));
    }
    b.build()
}

/// A new signing secret: `whsec_` and the base64 of 24 random bytes.
pub fn new_secret() -> String {
    let mut key = [0u8; 24];
    rand::fill(&mut key);
    format!("whsec_{}", STANDARD.encode(key))
}

/// The `webhook-signature` header of Standard Webhooks: `v1,` and the base64 HMAC-SHA256, keyed by
/// the secret's decoded bytes, of `{id}.{timestamp}.{body}`.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> String {
    let key = STANDARD
        .decode(secret.trim_start_matches("whsec_"))
        .unwrap_or_else(|_| secret.as_bytes().to_vec());
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(&key).expect("HMAC takes keys of any length");
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inside_addresses_are_not_public() {
        for a in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!is_public(a.parse().unwrap()), "{a}");
        }
        for a in ["8.8.8.8", "193.51.24.1", "2a01:e0a::1"] {
            assert!(is_public(a.parse().unwrap()), "{a}");
        }
    }

    #[test]
    fn urls_must_be_https_and_public_unless_allowed() {
        assert!(check_url("http://example.org/hook", false).is_err());
        assert!(check_url("https://127.0.0.1/hook", false).is_err());
        assert!(check_url("https://localhost:8443/hook", false).is_err());
        assert!(check_url("https://10.0.0.5/hook", false).is_err());
        assert!(check_url("http://127.0.0.1:9/hook", true).is_ok());
        assert!(check_url("ftp://example.org/", true).is_err());
        assert!(check_url("http://user:pw@127.0.0.1:9/hook", true).is_err());
    }

    #[test]
    fn the_signature_is_the_standard_webhooks_one() {
        // The example of the Standard Webhooks specification's reference libraries.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }
}
