//! The `snapshots` table: the account at the end of each session.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::{Store, StoreError};
use crate::types::{Money, SessionDate, Symbol};

/// The account at a session's end.
#[derive(Clone, Debug, Serialize, Deserialize)]
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
    /// The session's fills, as reported (JSON text, read only when needed).
    pub fills: Box<RawValue>,
    /// The session whose close `last_equity` is (`None` in snapshots older than the field).
    pub prev_session: Option<SessionDate>,
    /// Positions adopted as they were, with no expectation to check (the first snapshot).
    pub baseline: bool,
    /// Positions at the close, with cost and value where known.
    pub holdings: Vec<HeldPosition>,
    /// The strategy's target weight per symbol for the session.
    pub targets: BTreeMap<Symbol, Decimal>,
    /// Every order of the session, each with its fate (JSON text, as the daily report has
    /// them).
    pub orders: Box<RawValue>,
}

/// One position at a session's close.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldPosition {
    /// Ticker.
    pub symbol: Symbol,
    /// Shares.
    #[serde(with = "rust_decimal::serde::str")]
    pub qty: Decimal,
    /// Alpaca's average entry price, when known.
    pub avg_entry_price: Option<Money>,
    /// Shares × the closing price, when known.
    pub market_value: Option<Money>,
}

impl Store {
    /// Stores the session's snapshot, replacing one taken earlier the same session.
    pub fn save_snapshot(&self, s: &Snapshot) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO snapshots (session_date, taken_at, equity, cash, last_equity, day_pl,
                 positions_json, fills_json, prev_session, baseline, holdings_json, targets_json,
                 orders_json)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
             ON CONFLICT(session_date) DO UPDATE SET taken_at = ?2, equity = ?3, cash = ?4,
                 last_equity = ?5, day_pl = ?6, positions_json = ?7, fills_json = ?8,
                 prev_session = ?9, baseline = ?10, holdings_json = ?11, targets_json = ?12,
                 orders_json = ?13",
            params![
                s.session_date.to_string(),
                s.taken_at,
                s.equity.amount().to_string(),
                s.cash.amount().to_string(),
                s.last_equity.amount().to_string(),
                s.day_pl.amount().to_string(),
                to_json(&s.positions, "positions")?,
                s.fills.get(),
                s.prev_session.map(|d| d.to_string()),
                s.baseline,
                to_json(&s.holdings, "holdings")?,
                to_json(&s.targets, "targets")?,
                s.orders.get(),
            ],
        )?;
        Ok(())
    }

    /// Every snapshot, oldest first.
    pub fn snapshots(&self) -> Result<Vec<Snapshot>, StoreError> {
        self.query_snapshots("", [])
    }

    /// The latest snapshot of a session before `session`.
    pub fn snapshot_before(&self, session: SessionDate) -> Result<Option<Snapshot>, StoreError> {
        Ok(self
            .query_snapshots(
                "WHERE session_date < ?1 ORDER BY session_date DESC LIMIT 1",
                [session.to_string()],
            )?
            .pop())
    }

    /// The latest snapshot.
    pub fn last_snapshot(&self) -> Result<Option<Snapshot>, StoreError> {
        Ok(self
            .query_snapshots("ORDER BY session_date DESC LIMIT 1", [])?
            .pop())
    }

    /// Snapshots selected by `tail` (a `WHERE`/`ORDER BY` clause), oldest first unless it orders.
    fn query_snapshots<P: rusqlite::Params>(
        &self,
        tail: &str,
        params: P,
    ) -> Result<Vec<Snapshot>, StoreError> {
        let order = if tail.contains("ORDER BY") {
            ""
        } else {
            " ORDER BY session_date"
        };
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT session_date, taken_at, equity, cash, last_equity, day_pl, positions_json,
                    fills_json, prev_session, baseline, holdings_json, targets_json, orders_json
             FROM snapshots {tail}{order}"
        ))?;
        let rows = stmt.query_map(params, |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, DateTime<Utc>>(1)?,
                [
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                ],
                [
                    r.get::<_, String>(6)?,
                    r.get::<_, String>(7)?,
                    r.get::<_, String>(10)?,
                    r.get::<_, String>(11)?,
                    r.get::<_, String>(12)?,
                ],
                r.get::<_, Option<String>>(8)?,
                r.get::<_, bool>(9)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (date, taken_at, money, mut json, prev, baseline) = row?;
            let m = |i: usize| {
                Decimal::from_str(&money[i])
                    .map(Money::new)
                    .unwrap_or_default()
            };
            let session = |text: &str| {
                SessionDate::from_str(text)
                    .map_err(|_| StoreError::Corrupt(format!("snapshot date {text:?}")))
            };
            out.push(Snapshot {
                session_date: session(&date)?,
                taken_at,
                equity: m(0),
                cash: m(1),
                last_equity: m(2),
                day_pl: m(3),
                positions: from_json(&json[0], "positions")?,
                fills: raw(std::mem::take(&mut json[1]), "fills")?,
                prev_session: prev.as_deref().map(session).transpose()?,
                baseline,
                holdings: from_json(&json[2], "holdings")?,
                targets: from_json(&json[3], "targets")?,
                orders: raw(std::mem::take(&mut json[4]), "orders")?,
            });
        }
        Ok(out)
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

fn from_json<T: serde::de::DeserializeOwned>(
    text: &str,
    what: &'static str,
) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|source| StoreError::Json { what, source })
}

fn raw(text: String, what: &'static str) -> Result<Box<RawValue>, StoreError> {
    RawValue::from_string(text).map_err(|source| StoreError::Json { what, source })
}

fn to_json<T: Serialize>(value: &T, what: &'static str) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|source| StoreError::Json { what, source })
}
