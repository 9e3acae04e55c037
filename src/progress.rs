//! Progress for long jobs: a bar on a terminal, periodic log lines under systemd or in a pipe.

use std::io::IsTerminal as _;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use tracing::info;

/// How progress is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProgressMode {
    /// An indicatif bar on stderr.
    Bar,
    /// An info log line at most every few seconds.
    Log,
    /// Nothing (a job inside another job).
    Off,
}

impl ProgressMode {
    /// A bar when stderr is a terminal outside systemd, log lines otherwise.
    pub fn detect(quiet: bool) -> ProgressMode {
        if quiet {
            ProgressMode::Off
        } else if std::io::stderr().is_terminal() && std::env::var_os("JOURNAL_STREAM").is_none() {
            ProgressMode::Bar
        } else {
            ProgressMode::Log
        }
    }
}

/// Progress over a number of symbols, counting bars as they arrive.
#[derive(Debug)]
pub struct Progress {
    bar: Option<ProgressBar>,
    log: bool,
    last_log: Instant,
    total: u64,
    done: u64,
    bars: u64,
}

/// How often log-mode progress speaks.
const LOG_EVERY: Duration = Duration::from_secs(5);

impl Progress {
    /// Starts showing progress over `total` symbols.
    pub fn start(mode: ProgressMode, total: u64) -> Progress {
        let bar = (mode == ProgressMode::Bar).then(|| {
            let bar = ProgressBar::new(total);
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed}] {bar:30} {pos}/{len} symbols, {msg}",
                )
                .expect("valid template"),
            );
            bar
        });
        Progress {
            bar,
            log: mode == ProgressMode::Log,
            last_log: Instant::now(),
            total,
            done: 0,
            bars: 0,
        }
    }

    /// Records `symbols` more symbols finished and `bars` more bars received.
    pub fn advance(&mut self, symbols: u64, bars: u64) {
        self.done += symbols;
        self.bars += bars;
        if let Some(bar) = &self.bar {
            bar.set_position(self.done);
            bar.set_message(format!("{} bars", self.bars));
        } else if self.log && self.last_log.elapsed() >= LOG_EVERY {
            self.last_log = Instant::now();
            info!(
                "progress: {}/{} symbols, {} bars",
                self.done, self.total, self.bars
            );
        }
    }

    /// Removes the bar, or logs the final count.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        } else if self.log {
            info!(
                "progress: {}/{} symbols, {} bars",
                self.done, self.total, self.bars
            );
        }
    }
}
