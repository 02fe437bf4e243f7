//! Password hashing (argon2id) and strength checks (zxcvbn). Hashing is slow on purpose: callers run it
//! off the async executor (inside `db::run` / `web::block`).

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

/// Minimum length, and the minimum zxcvbn score (0–4) a password must reach.
pub const MIN_LENGTH: usize = 10;
pub const MAX_LENGTH: usize = 256;
pub const MIN_SCORE: u8 = 3;

/// Why a password is refused, in words for the user.
pub fn weakness(password: &str, user_inputs: &[&str]) -> Option<String> {
    let chars = password.chars().count();
    if chars < MIN_LENGTH {
        return Some(format!("Use at least {MIN_LENGTH} characters."));
    }
    if chars > MAX_LENGTH {
        return Some(format!("Use at most {MAX_LENGTH} characters."));
    }
    let estimate = zxcvbn::zxcvbn(password, user_inputs);
    if (estimate.score() as u8) < MIN_SCORE {
        let hint = estimate
            .feedback()
            .and_then(|f| f.warning().map(|w| w.to_string()))
            .unwrap_or_else(|| "It would be guessed too easily.".into());
        return Some(format!(
            "This password is too weak: {hint} Add more words or characters."
        ));
    }
    None
}

pub fn hash(password: &str) -> anyhow::Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("password hashing failed: {e}"))
}

pub fn verify(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_and_verifies() {
        let h = hash("correct horse battery staple").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse battery staple", &h));
        assert!(!verify("wrong", &h));
        assert!(!verify("x", "not a hash"));
    }

    #[test]
    fn refuses_weak_passwords() {
        assert!(weakness("short", &[]).is_some());
        assert!(weakness("password123", &[]).is_some());
        assert!(weakness("camille-dupont", &["camille-dupont"]).is_some());
        assert!(weakness("Forêt domaniale de Brocéliande 1789!", &[]).is_none());
    }
}
