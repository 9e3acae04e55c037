//! Operations: pauses, problems already alerted, and the latest account figures a job saw.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::{Store, StoreError};
use crate::types::{Money, SessionDate};

/// A pause `aurora pause` stored: preflight and trade send nothing while it is in force.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PauseRecord {
    /// When it began (this machine's clock: a record timestamp).
    pub since: DateTime<Utc>,
    /// Who paused (`user@host`).
    pub by: String,
    /// Why, as the operator wrote it.
    pub reason: Option<String>,
    /// When it ends by itself, by Alpaca's clock; `None` until `aurora resume`.
    pub until: Option<DateTime<Utc>>,
}

/// The latest account figures a job saw, for the metrics file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AccountSeen {
    /// When (a record timestamp).
    pub seen_at: DateTime<Utc>,
    /// Equity.
    pub equity: Money,
    /// Cash.
    pub cash: Money,
    /// Equity at the previous close.
    pub last_equity: Money,
    /// Long positions' market value.
    pub long_market_value: Money,
    /// Short positions' market value (negative or zero, as Alpaca reports it).
    pub short_market_value: Money,
    /// Open positions, when the job read them.
    pub positions: Option<u32>,
}

impl Store {
    /// Starts a pause, ending any current one (the new one replaces it). Returns the one it ended.
    pub fn pause(&self, p: &PauseRecord) -> Result<Option<PauseRecord>, StoreError> {
        let tx = self.conn.unchecked_transaction()?;
        let ended = current_pause(&tx)?;
        tx.execute(
            "UPDATE pauses SET ended_at = ?1, ended_by = ?2 WHERE ended_at IS NULL",
            params![p.since, p.by],
        )?;
        tx.execute(
            "INSERT INTO pauses (since, paused_by, reason, until) VALUES (?1, ?2, ?3, ?4)",
            params![p.since, p.by, p.reason, p.until],
        )?;
        tx.commit()?;
        Ok(ended)
    }

    /// The pause not yet ended by `aurora resume` (its `until` may have passed).
    pub fn current_pause(&self) -> Result<Option<PauseRecord>, StoreError> {
        current_pause(&self.conn)
    }

    /// Ends the current pause; returns it, or `None` when there was none.
    pub fn resume(&self, at: DateTime<Utc>, by: &str) -> Result<Option<PauseRecord>, StoreError> {
        let tx = self.conn.unchecked_transaction()?;
        let ended = current_pause(&tx)?;
        tx.execute(
            "UPDATE pauses SET ended_at = ?1, ended_by = ?2 WHERE ended_at IS NULL",
            params![at, by],
        )?;
        tx.commit()?;
        Ok(ended)
    }

    /// Records that `problem` was alerted for `session`; `false` when it had been already.
    pub fn mark_alerted(
        &self,
        problem: &str,
        session: SessionDate,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let n = self.conn.execute(
            "INSERT OR IGNORE INTO alerted (problem, session_date, alerted_at) VALUES (?1, ?2, ?3)",
            params![problem, session.to_string(), at],
        )?;
        Ok(n == 1)
    }

    /// Whether `problem` was alerted for `session` before.
    pub fn was_alerted(&self, problem: &str, session: SessionDate) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT 1 FROM alerted WHERE problem = ?1 AND session_date = ?2",
                params![problem, session.to_string()],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    /// Replaces the latest account figures; `positions: None` keeps the count stored before.
    pub fn save_account_seen(&self, a: &AccountSeen) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO account_seen (id, seen_at, equity, cash, last_equity, long_market_value,
                                       short_market_value, positions)
             VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (id) DO UPDATE SET
                seen_at = excluded.seen_at, equity = excluded.equity, cash = excluded.cash,
                last_equity = excluded.last_equity, long_market_value = excluded.long_market_value,
                short_market_value = excluded.short_market_value,
                positions = COALESCE(excluded.positions, account_seen.positions)",
            params![
                a.seen_at,
                a.equity.amount().to_string(),
                a.cash.amount().to_string(),
                a.last_equity.amount().to_string(),
                a.long_market_value.amount().to_string(),
                a.short_market_value.amount().to_string(),
                a.positions
            ],
        )?;
        Ok(())
    }

    /// The latest account figures any job saw.
    pub fn account_seen(&self) -> Result<Option<AccountSeen>, StoreError> {
        let money = |s: String| s.parse().map(Money::new).unwrap_or(Money::ZERO);
        Ok(self
            .conn
            .query_row(
                "SELECT seen_at, equity, cash, last_equity, long_market_value, short_market_value,
                        positions
                 FROM account_seen WHERE id = 1",
                [],
                |r| {
                    Ok(AccountSeen {
                        seen_at: r.get(0)?,
                        equity: money(r.get(1)?),
                        cash: money(r.get(2)?),
                        last_equity: money(r.get(3)?),
                        long_market_value: money(r.get(4)?),
                        short_market_value: money(r.get(5)?),
                        positions: r.get(6)?,
                    })
                },
            )
            .optional()?)
    }
}

impl Store {
    /// How many of a session's orders (every revision) are in each state.
    pub fn order_state_counts(
        &self,
        session: SessionDate,
    ) -> Result<Vec<(String, u64)>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT state, COUNT(*) FROM orders WHERE session_date = ?1 GROUP BY state ORDER BY state",
        )?;
        let rows = stmt.query_map([session.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The latest session any run acted for.
    pub fn latest_run_session(&self) -> Result<Option<SessionDate>, StoreError> {
        let text: Option<String> = self.conn.query_row(
            "SELECT MAX(session_date) FROM runs WHERE session_date IS NOT NULL",
            [],
            |r| r.get(0),
        )?;
        Ok(text.and_then(|t| t.parse().ok()))
    }

    /// The position discrepancies eod found in the latest session it reconciled, read from
    /// that run's stored report (`reconciled[-1].discrepancies`).
    pub fn last_eod_discrepancies(&self) -> Result<Option<u64>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT json_array_length(summary_json, '$.reconciled[#-1].discrepancies')
                 FROM runs
                 WHERE job = 'eod' AND json_array_length(summary_json, '$.reconciled') > 0
                 ORDER BY id DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?)
    }
}

fn current_pause(conn: &rusqlite::Connection) -> Result<Option<PauseRecord>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT since, paused_by, reason, until FROM pauses
             WHERE ended_at IS NULL ORDER BY id DESC LIMIT 1",
            [],
            |r| {
                Ok(PauseRecord {
                    since: r.get(0)?,
                    by: r.get(1)?,
                    reason: r.get(2)?,
                    until: r.get(3)?,
                })
            },
        )
        .optional()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn a_pause_replaces_the_last_and_resume_ends_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("a.db")).unwrap();
        assert_eq!(store.current_pause().unwrap(), None);
        let first = PauseRecord {
            since: t("2026-11-30T14:00:00Z"),
            by: "ann@vm".into(),
            reason: Some("broker maintenance".into()),
            until: None,
        };
        assert_eq!(store.pause(&first).unwrap(), None);
        let second = PauseRecord {
            since: t("2026-11-30T15:00:00Z"),
            by: "bob@vm".into(),
            reason: None,
            until: Some(t("2026-12-01T05:00:00Z")),
        };
        assert_eq!(store.pause(&second).unwrap(), Some(first));
        assert_eq!(store.current_pause().unwrap(), Some(second.clone()));
        assert_eq!(
            store.resume(t("2026-11-30T16:00:00Z"), "ann@vm").unwrap(),
            Some(second)
        );
        assert_eq!(store.current_pause().unwrap(), None);
        assert_eq!(store.resume(t("2026-11-30T16:00:00Z"), "x").unwrap(), None);
    }

    #[test]
    fn a_problem_is_alerted_once_per_session() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("a.db")).unwrap();
        let (mon, tue) = ("2026-11-30".parse().unwrap(), "2026-12-01".parse().unwrap());
        let at = t("2026-11-30T15:00:00Z");
        assert!(!store.was_alerted("run_failed:eod", mon).unwrap());
        assert!(store.mark_alerted("run_failed:eod", mon, at).unwrap());
        assert!(!store.mark_alerted("run_failed:eod", mon, at).unwrap());
        assert!(store.was_alerted("run_failed:eod", mon).unwrap());
        assert!(!store.was_alerted("run_failed:eod", tue).unwrap());
    }
}
