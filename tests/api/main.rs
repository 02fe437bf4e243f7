//! The integration suite: the real app over HTTP on real PostgreSQL (see `support`).

mod support;

mod accounts;
mod authz;
mod challenges;
mod cli;
mod communs;
mod digests;
mod discussions;
mod errors;
mod jobs;
mod layers;
mod mail;
mod moderation;
mod openapi;
mod opendata;
mod ops;
mod organisations;
mod read_cache;
mod read_path;
mod schema;
mod search_feeds;
mod seed;
mod structure;
mod webhooks;
mod wiki;
