//! The `snapshots` table: the account at the end of each session.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{Store, StoreError};
use crate::types::{Money, SessionDate, Symbol};

/// The account at a session's end.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The session.
    pub session_date: SessionDate,
    /// When it was taken.
    pub taken_at: DateTime<Utc>,
    /// Equity.
    pub equity: Money,
    /// Cash.
    pub cash: Money,
    /// Equity at the previous close.
    pub last_equity: Money,
    /// Equity − last equity.
    pub day_pl: Money,
    /// Shares held per symbol.
    pub positions: BTreeMap<Symbol, Decimal>,
    /// The session's fills, as reported (JSON).
    pub fills: serde_json::Value,
}

impl Store {
    /// Stores the session's snapshot, replacing one taken earlier the same session.
    pub fn save_snapshot(&self, s: &Snapshot) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO snapshots (session_date, taken_at, equity, cash, last_equity, day_pl, positions_json, fills_json)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT(session_date) DO UPDATE SET taken_at = ?2, equity = ?3, cash = ?4,
                 last_equity = ?5, day_pl = ?6, positions_json = ?7, fills_json = ?8",
            params![
                s.session_date.to_string(),
                s.taken_at,
                s.equity.amount().to_string(),
                s.cash.amount().to_string(),
                s.last_equity.amount().to_string(),
                s.day_pl.amount().to_string(),
                to_json(&s.positions, "positions")?,
                to_json(&s.fills, "fills")?,
            ],
        )?;
        Ok(())
    }

    /// Every snapshot, oldest first.
    pub fn snapshots(&self) -> Result<Vec<Snapshot>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT session_date, taken_at, equity, cash, last_equity, day_pl, positions_json, fills_json
             FROM snapshots ORDER BY session_date",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, DateTime<Utc>>(1)?,
                [
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                ],
                r.get::<_, String>(6)?,
                r.get::<_, String>(7)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (date, taken_at, money, positions, fills) = row?;
            let m = |i: usize| {
                Decimal::from_str(&money[i])
                    .map(Money::new)
                    .unwrap_or_default()
            };
            out.push(Snapshot {
                session_date: SessionDate::from_str(&date)
                    .map_err(|_| StoreError::Corrupt(format!("snapshot date {date:?}")))?,
                taken_at,
                equity: m(0),
                cash: m(1),
                last_equity: m(2),
                day_pl: m(3),
                positions: serde_json::from_str(&positions).map_err(|source| StoreError::Json {
                    what: "positions",
                    source,
                })?,
                fills: serde_json::from_str(&fills).map_err(|source| StoreError::Json {
                    what: "fills",
                    source,
                })?,
            });
        }
        Ok(out)
    }

    /// The latest snapshot of a session before `session`.
    pub fn snapshot_before(&self, session: SessionDate) -> Result<Option<Snapshot>, StoreError> {
        Ok(self
            .snapshots()?
            .into_iter()
            .rev()
            .find(|s| s.session_date < session))
    }

    /// How many snapshots exist for a session (0 or 1).
    pub fn snapshot_count(&self, session: SessionDate) -> Result<u32, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT COUNT(*) FROM snapshots WHERE session_date = ?1",
                [session.to_string()],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(0))
    }
}

fn to_json<T: Serialize>(value: &T, what: &'static str) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|source| StoreError::Json { what, source })
}
