//! The `preflights` table: each preflight's verdict for a session (trade requires a passing one).

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::{RunId, Store, StoreError};
use crate::types::SessionDate;

/// A stored preflight verdict.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct PreflightRecord {
    /// The session checked.
    pub session_date: SessionDate,
    /// The run that checked it.
    pub run_id: RunId,
    /// When.
    pub checked_at: DateTime<Utc>,
    /// No check failed.
    pub passed: bool,
    /// The checks, as the preflight job reported them.
    pub checks: serde_json::Value,
}

impl Store {
    /// Stores a verdict.
    pub fn record_preflight(&self, p: &PreflightRecord) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO preflights (session_date, run_id, checked_at, passed, checks_json)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                p.session_date.to_string(),
                p.run_id.0,
                p.checked_at,
                p.passed,
                p.checks.to_string()
            ],
        )?;
        Ok(())
    }

    /// The latest verdict for a session.
    pub fn latest_preflight(
        &self,
        session: SessionDate,
    ) -> Result<Option<PreflightRecord>, StoreError> {
        let row = self
            .conn
            .query_row(
                "SELECT run_id, checked_at, passed, checks_json FROM preflights
                 WHERE session_date = ?1 ORDER BY checked_at DESC, id DESC LIMIT 1",
                [session.to_string()],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, DateTime<Utc>>(1)?,
                        r.get::<_, bool>(2)?,
                        r.get::<_, String>(3)?,
                    ))
                },
            )
            .optional()?;
        row.map(|(run_id, checked_at, passed, json)| {
            Ok(PreflightRecord {
                session_date: session,
                run_id: RunId(run_id),
                checked_at,
                passed,
                checks: serde_json::from_str(&json).map_err(|source| StoreError::Json {
                    what: "preflight checks",
                    source,
                })?,
            })
        })
        .transpose()
    }
}
