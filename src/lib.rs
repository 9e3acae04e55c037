//! Aurora: unattended daily paper trading on Alpaca, one job per systemd timer.
//!
//! Data flows one way: `cli` → `app` → `jobs` → pure core (`market`, `history`, `strategy`, `plan`, `stats`, `types`) and
//! ports (`alpaca`, `store`). `sim` is a fake Alpaca for tests and demos.

pub mod alpaca;
pub mod app;
pub mod atomic_file;
pub mod cli;
pub mod cli_docs;
pub mod config;
pub mod exit;
pub mod history;
pub mod host;
pub mod jobs;
pub mod logging;
pub mod market;
pub mod notify;
pub mod plan;
pub mod progress;
pub mod sim;
pub mod stats;
pub mod store;
pub mod strategy;
pub mod systemctl;
pub mod types;
pub mod units;
