//! One module per subcommand. Jobs do the I/O; they return reports that `app` renders.

pub mod alert;
pub mod backup;
pub mod config_show;
pub mod demo;
pub mod eod;
pub mod fetch;
mod files;
pub mod init;
pub mod metrics;
pub mod pause;
pub mod performance;
pub mod preflight;
pub mod report;
mod runner;
pub mod sim;
pub mod status;
pub mod summary;
pub mod systemd;
mod table;
mod today;
pub mod trade;

pub use runner::{Job, JobContext, Report, record_session, run, run_with};
