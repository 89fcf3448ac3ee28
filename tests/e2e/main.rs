//! End-to-end tests: the real application over HTTP, the real binary, real SQLite and
//! PostgreSQL databases, and real Chromium. Each test gets its own database; tests named
//! `sqlite` and `postgres` run the same scenario on each.

mod support;

mod admin;
mod audit;
mod audit_atomic;
mod auth;
mod backup;
mod bad_input;
mod browser_journeys;
mod cli;
mod couples_api;
mod couples_pages;
mod encryption;
mod export;
mod health;
mod homework_api;
mod homework_client;
mod homework_counselor;
mod homework_counts;
mod large_practice;
mod library;
mod mail;
mod mail_workers;
mod metrics;
mod openapi;
mod pdfs;
mod privacy;
mod progress;
mod query_counts;
mod reliability;
mod reminders;
mod security_errors;
mod security_hostile;
mod security_hostile_pages;
mod security_input;
mod security_links;
mod security_routes;
mod sessions_api;
mod sessions_pages;
mod stages;
mod throttle_instances;
mod totp;
