//! The `runs` table: one row per job run, written at its start and its end.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::{Store, StoreError};
use crate::types::SessionDate;

/// A run's row id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct RunId(pub i64);

/// How a run ended.
#[derive(Clone, Debug)]
pub struct RunFinish {
    /// When.
    pub finished_at: DateTime<Utc>,
    /// The session it acted for, when known.
    pub session_date: Option<SessionDate>,
    /// `ok`, `failed`, `blocked`, … (the exit's name).
    pub outcome: String,
    /// Process exit code.
    pub exit_code: u8,
    /// The job's result as JSON.
    pub summary: Option<serde_json::Value>,
    /// The error line, when it failed.
    pub error: Option<String>,
}

/// A stored run.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct RunRecord {
    /// Row id.
    pub id: RunId,
    /// Job name.
    pub job: String,
    /// Session it acted for.
    pub session_date: Option<SessionDate>,
    /// Started.
    pub started_at: DateTime<Utc>,
    /// Finished; `None` while running or after a crash.
    pub finished_at: Option<DateTime<Utc>>,
    /// Outcome name.
    pub outcome: Option<String>,
    /// Exit code.
    pub exit_code: Option<u8>,
    /// Error line.
    pub error: Option<String>,
}

impl Store {
    /// Records that a job started; a crash leaves the row unfinished, which status shows.
    pub fn start_run(&self, job: &str, started_at: DateTime<Utc>) -> Result<RunId, StoreError> {
        self.conn.execute(
            "INSERT INTO runs (job, started_at) VALUES (?1, ?2)",
            params![job, started_at],
        )?;
        Ok(RunId(self.conn.last_insert_rowid()))
    }

    /// Records how a run ended.
    pub fn finish_run(&self, id: RunId, f: &RunFinish) -> Result<(), StoreError> {
        let summary = f.summary.as_ref().map(|v| v.to_string());
        self.conn.execute(
            "UPDATE runs SET finished_at = ?2, session_date = ?3, outcome = ?4, exit_code = ?5,
                             summary_json = ?6, error = ?7
             WHERE id = ?1",
            params![
                id.0,
                f.finished_at,
                f.session_date.map(|d| d.to_string()),
                f.outcome,
                f.exit_code,
                summary,
                f.error
            ],
        )?;
        Ok(())
    }

    /// The latest run of each job, by job name.
    pub fn last_runs(&self) -> Result<Vec<RunRecord>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, job, session_date, started_at, finished_at, outcome, exit_code, error
             FROM runs r
             WHERE id = (SELECT MAX(id) FROM runs WHERE job = r.job)
             ORDER BY job",
        )?;
        let rows = stmt.query_map([], row_to_run)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// One run by id.
    pub fn run(&self, id: RunId) -> Result<Option<RunRecord>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, job, session_date, started_at, finished_at, outcome, exit_code, error
                 FROM runs WHERE id = ?1",
                [id.0],
                row_to_run,
            )
            .optional()?)
    }
}

fn row_to_run(r: &rusqlite::Row<'_>) -> rusqlite::Result<RunRecord> {
    let session: Option<String> = r.get(2)?;
    Ok(RunRecord {
        id: RunId(r.get(0)?),
        job: r.get(1)?,
        session_date: session.and_then(|s| s.parse().ok()),
        started_at: r.get(3)?,
        finished_at: r.get(4)?,
        outcome: r.get(5)?,
        exit_code: r.get(6)?,
        error: r.get(7)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_is_visible_before_and_after_it_finishes() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("a.db")).unwrap();
        let t0: DateTime<Utc> = "2026-11-30T13:30:00Z".parse().unwrap();
        let id = store.start_run("preflight", t0).unwrap();
        let unfinished = store.run(id).unwrap().unwrap();
        assert_eq!(unfinished.finished_at, None);
        store
            .finish_run(
                id,
                &RunFinish {
                    finished_at: t0 + chrono::Duration::seconds(2),
                    session_date: Some("2026-11-30".parse().unwrap()),
                    outcome: "ok".into(),
                    exit_code: 0,
                    summary: Some(serde_json::json!({"checks": 3})),
                    error: None,
                },
            )
            .unwrap();
        let runs = store.last_runs().unwrap();
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].outcome.as_deref(), Some("ok"));
        assert_eq!(runs[0].session_date.unwrap().to_string(), "2026-11-30");
        assert_eq!(runs[0].started_at, t0);
    }
}
