//! palabre: a forum and discussion backend for open-data communities.
//!
//! One binary, several roles (see `main.rs`): the HTTP API with an in-process worker, a standalone
//! job worker, migrations, admin commands. PostgreSQL holds all state.

pub mod accounts;
pub mod app;
pub mod challenges;
pub mod cli;
pub mod communs;
pub mod config;
pub mod db;
pub mod digests;
pub mod discussions;
pub mod error;
pub mod feature;
pub mod feeds;
pub mod housekeeping;
pub mod http;
pub mod input;
pub mod jobs;
pub mod mail;
pub mod markdown;
pub mod moderation;
pub mod notifications;
pub mod openapi;
pub mod opendata;
pub mod ops;
pub mod organisations;
pub mod pagination;
pub mod schema;
pub mod search;
pub mod seed;
pub mod taxonomy;
pub mod telemetry;
pub mod throttle;
pub mod webhooks;
