//! The frame around every job: state directory, lock, store, client, and the `runs` record.

use std::os::unix::fs::DirBuilderExt;
use std::sync::Arc;

use anyhow::Context as _;
use chrono::Utc;
use serde::Serialize;
use tracing::{Instrument, error, info_span};

use crate::alpaca::Client;
use crate::config::Config;
use crate::exit::Exit;
use crate::store::{self, RunFinish, RunId, StateLock, Store};
use crate::types::SessionDate;

/// A job's result: JSON for machines, text for people, and the exit code it implies.
pub trait Report: Serialize {
    /// The exit code this result means.
    fn exit(&self) -> Exit;
    /// The session the job acted for, when known.
    fn session(&self) -> Option<SessionDate>;
    /// Human-readable text for stdout.
    fn render(&self) -> String;
    /// What went wrong, one line each, when the exit is not 0: stored as the run's error text,
    /// so an alert can say what happened without reading the journal.
    fn error_lines(&self) -> Vec<String> {
        Vec::new()
    }
}

/// The jobs that run inside the frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Job {
    /// `aurora preflight`.
    Preflight,
    /// `aurora status`.
    Status,
    /// `aurora fetch`.
    Fetch,
    /// `aurora trade`.
    Trade,
    /// `aurora eod`.
    Eod,
}

impl Job {
    /// The name stored in `runs` and shown in the journal.
    pub fn name(self) -> &'static str {
        match self {
            Job::Preflight => "preflight",
            Job::Status => "status",
            Job::Fetch => "fetch",
            Job::Trade => "trade",
            Job::Eod => "eod",
        }
    }

    /// Whether the job changes state and so needs the state-directory lock. `status` only
    /// observes, and an operator must be able to run it while a timer's job is working.
    fn needs_lock(self) -> bool {
        !matches!(self, Job::Status)
    }
}

/// What a job runs with.
#[derive(Debug)]
pub struct JobContext {
    /// Validated configuration.
    pub config: Config,
    /// The store.
    pub store: Store,
    /// The Alpaca client (shared with later jobs in one process: the demo keeps one rate budget).
    pub client: Arc<Client>,
    /// This run's row in `runs`.
    pub run_id: RunId,
}

/// Runs `body` as `job`: takes the lock when needed, records the run at its start and end
/// (so a crash shows as unfinished), and returns the report or the error.
pub async fn run<R, F>(job: Job, config: Config, body: F) -> anyhow::Result<R>
where
    R: Report,
    F: AsyncFnOnce(&JobContext) -> anyhow::Result<R>,
{
    run_with(job, config, None, body).await
}

/// [`run`] with a client made earlier, whose knowledge of Alpaca's rate budget carries over
/// from job to job (`aurora demo` runs every job in one process); `None` makes a new one.
pub async fn run_with<R, F>(
    job: Job,
    config: Config,
    client: Option<Arc<Client>>,
    body: F,
) -> anyhow::Result<R>
where
    R: Report,
    F: AsyncFnOnce(&JobContext) -> anyhow::Result<R>,
{
    let span = info_span!("job", job = job.name(), session = tracing::field::Empty);
    async move {
        let new_dir = store::is_new_state_dir(&config.state_dir);
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&config.state_dir)
            .with_context(|| {
                format!(
                    "cannot create state directory {}",
                    config.state_dir.display()
                )
            })?;
        let _lock = if job.needs_lock() {
            Some(StateLock::acquire(
                &config.state_dir,
                job.name(),
                Utc::now(),
            )?)
        } else {
            None
        };
        if !new_dir {
            store::refuse_truncated(&config.db_path())?;
        }
        let store =
            Store::open_with_timeout(&config.db_path(), config.settings.store.busy_timeout())
                .context("cannot open the store")?;
        let run_id = store.start_run(job.name(), Utc::now())?;
        let client = match client {
            Some(c) => c,
            None => Arc::new(Client::new(&config.alpaca, &config.settings.alpaca)?),
        };
        let ctx = JobContext {
            config,
            store,
            client,
            run_id,
        };

        let result = body(&ctx).await;

        let finish = match &result {
            Ok(report) => {
                let exit = report.exit();
                let lines = report.error_lines();
                RunFinish {
                    finished_at: Utc::now(),
                    session_date: report.session(),
                    outcome: outcome_name(exit).to_owned(),
                    exit_code: exit.code(),
                    summary: serde_json::to_value(report).ok(),
                    error: (exit != Exit::Ok && !lines.is_empty()).then(|| lines.join("\n")),
                }
            }
            Err(err) => {
                let exit = Exit::of_error(err);
                RunFinish {
                    finished_at: Utc::now(),
                    session_date: None,
                    outcome: outcome_name(exit).to_owned(),
                    exit_code: exit.code(),
                    summary: None,
                    error: Some(format!("{err:#}")),
                }
            }
        };
        if let Err(e) = ctx.store.finish_run(ctx.run_id, &finish) {
            // The job's own outcome matters more; the unfinished row will show the gap.
            error!("cannot record the end of the run: {e}");
        }
        super::metrics::write_textfile(&ctx);
        result
    }
    .instrument(span)
    .await
}

/// Tags every later event of the running job with its session (the journal's `SESSION` field),
/// once the job knows which it is.
pub fn record_session(session: SessionDate) {
    tracing::Span::current().record("session", session.to_string());
}

/// The `runs.outcome` word for an exit.
fn outcome_name(exit: Exit) -> &'static str {
    match exit {
        Exit::Ok => "ok",
        Exit::Failed => "failed",
        Exit::Usage => "usage",
        Exit::Blocked => "blocked",
        Exit::Discrepancy => "discrepancy",
        Exit::Locked => "locked",
        Exit::TempFail => "unreachable",
    }
}
