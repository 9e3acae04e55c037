//! Logging: the journal under systemd, readable lines on stderr otherwise. Never stdout.

use std::io::IsTerminal as _;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// How chatty the log is, from `-q` / `-v`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verbosity {
    /// Warnings and errors.
    Quiet,
    /// Info and above.
    Normal,
    /// Debug.
    Verbose,
    /// Trace.
    Trace,
}

impl Verbosity {
    /// From the flags.
    pub fn from_flags(quiet: bool, verbose: u8) -> Verbosity {
        match (quiet, verbose) {
            (true, _) => Verbosity::Quiet,
            (false, 0) => Verbosity::Normal,
            (false, 1) => Verbosity::Verbose,
            (false, _) => Verbosity::Trace,
        }
    }

    fn directive(self) -> &'static str {
        match self {
            Verbosity::Quiet => "warn",
            Verbosity::Normal => "warn,aurora=info",
            Verbosity::Verbose => "info,aurora=debug",
            Verbosity::Trace => "debug,aurora=trace",
        }
    }
}

/// Sends the log to `path` (appended, plain text) instead of stderr: `aurora demo` keeps its step
/// table on the terminal clean. `RUST_LOG` still sets the level.
pub fn init_to_file(verbosity: Verbosity, path: &std::path::Path) -> std::io::Result<()> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(verbosity.directive()));
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::sync::Mutex::new(file))
                .with_ansi(false)
                .with_target(false)
                .compact(),
        )
        .try_init();
    Ok(())
}

/// Installs the global subscriber. `RUST_LOG` overrides the level; `JOURNAL_STREAM` (set by
/// systemd for a service's stdout/stderr) sends events to the journal with their fields
/// (`JOB`, `SESSION`, …) as journal fields.
pub fn init(verbosity: Verbosity) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(verbosity.directive()));
    let journald = std::env::var_os("JOURNAL_STREAM")
        .and_then(|_| tracing_journald::layer().ok())
        .map(|layer| {
            layer
                .with_field_prefix(None)
                .with_syslog_identifier("aurora".to_owned())
        });
    let registry = tracing_subscriber::registry().with(filter);
    // `try_init`: tests that run several jobs in one process must not panic on a second init.
    let _ = match journald {
        Some(layer) => registry.with(layer).try_init(),
        None => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .with_writer(std::io::stderr)
                    .with_ansi(std::io::stderr().is_terminal())
                    .with_target(false)
                    .compact(),
            )
            .try_init(),
    };
}
