//! Integration tests: the real `aurora` binary (or the library's jobs) against the fake Alpaca
//! over loopback. One test binary, one link; each module covers one command or area.

mod common;

mod adversary;
mod alerts;
mod any_date;
mod client_retries;
mod config;
mod config_sources;
mod demo;
mod eod;
mod fetch;
mod history;
mod hostile;
mod init;
mod journal;
mod lock;
mod metrics;
mod paper_guard;
mod pause;
mod preflight;
mod report;
mod sdk_compat;
mod secrets;
mod shell_docs;
mod sim;
mod sim_eod;
mod sim_orders;
mod status;
mod systemd;
mod systemd_units;
mod trade;
mod trade_checks;
mod trade_funds;
mod trade_resolve;
