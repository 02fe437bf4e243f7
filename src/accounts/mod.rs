//! Accounts: users, roles, sessions, organisations and personal data.

pub mod models;
pub mod password;

pub use models::{NewUser, Role, User};
