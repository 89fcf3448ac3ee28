//! The `kintsugi` binary as a library: the HTTP application, its pages and JSON API, and the
//! command line. Tests start the same application the binary serves.

pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod documents;
pub mod error;
pub mod forms;
pub mod logging;
pub mod mail;
pub mod monitoring;
pub mod request;
pub mod routes;
pub mod state;
pub mod time_format;
pub mod views;

pub use app::{AppState, Server};
pub use config::Config;
