//! The `bars` table: daily bars by (symbol, session), upserted so reruns never duplicate.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use rust_decimal::Decimal;
use serde::Serialize;

use super::{Store, StoreError};
use crate::types::{Money, SessionDate, Symbol};

/// A daily bar as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StoredBar {
    /// Ticker.
    pub symbol: Symbol,
    /// Session.
    pub session_date: SessionDate,
    /// Open.
    pub open: Money,
    /// High.
    pub high: Money,
    /// Low.
    pub low: Money,
    /// Close.
    pub close: Money,
    /// Volume.
    pub volume: u64,
    /// Trade count.
    pub trade_count: Option<u64>,
    /// VWAP.
    pub vwap: Option<Money>,
    /// `iex` / `sip`.
    pub feed: String,
    /// Adjustment asked for.
    pub adjustment: String,
    /// When it was fetched.
    pub fetched_at: DateTime<Utc>,
}

/// What an upsert did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BarUpsert {
    /// New bars.
    pub added: u64,
    /// Stored bars whose values changed (corrections).
    pub updated: u64,
    /// Stored bars that came back identical.
    pub unchanged: u64,
}

/// How much of a symbol's history is stored in a range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BarSpan {
    /// Bars stored.
    pub count: u64,
    /// The first stored session.
    pub first: SessionDate,
    /// The last stored session.
    pub last: SessionDate,
}

impl std::ops::AddAssign for BarUpsert {
    fn add_assign(&mut self, o: BarUpsert) {
        self.added += o.added;
        self.updated += o.updated;
        self.unchanged += o.unchanged;
    }
}

impl Store {
    /// Writes bars in one transaction: new ones inserted, changed ones replaced, identical ones left.
    pub fn upsert_bars(&self, bars: &[StoredBar]) -> Result<BarUpsert, StoreError> {
        let tx = self.conn.unchecked_transaction()?;
        let mut counts = BarUpsert::default();
        {
            let mut insert = tx.prepare_cached(
                "INSERT OR IGNORE INTO bars (symbol, session_date, open, high, low, close, volume,
                     trade_count, vwap, feed, adjustment, fetched_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )?;
            let mut update = tx.prepare_cached(
                "UPDATE bars SET open = ?3, high = ?4, low = ?5, close = ?6, volume = ?7,
                     trade_count = ?8, vwap = ?9, feed = ?10, adjustment = ?11, fetched_at = ?12
                 WHERE symbol = ?1 AND session_date = ?2
                   AND (open, high, low, close, volume, trade_count, vwap, feed, adjustment)
                       IS NOT (?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?;
            // Formatted once per page rather than once per bar.
            let mut stamps: Vec<(DateTime<Utc>, String)> = Vec::new();
            for b in bars {
                if stamps.last().is_none_or(|(t, _)| *t != b.fetched_at) {
                    stamps.push((b.fetched_at, b.fetched_at.to_rfc3339()));
                }
                let fetched_at = stamps.last().map(|(_, s)| s.as_str()).unwrap_or_default();
                let values = params![
                    b.symbol.as_str(),
                    b.session_date.to_string(),
                    b.open.amount().to_string(),
                    b.high.amount().to_string(),
                    b.low.amount().to_string(),
                    b.close.amount().to_string(),
                    b.volume as i64,
                    b.trade_count.map(|n| n as i64),
                    b.vwap.map(|v| v.amount().to_string()),
                    b.feed,
                    b.adjustment,
                    fetched_at,
                ];
                if insert.execute(values)? == 1 {
                    counts.added += 1;
                } else if update.execute(values)? == 1 {
                    counts.updated += 1;
                } else {
                    counts.unchanged += 1;
                }
            }
        }
        tx.commit()?;
        Ok(counts)
    }

    /// The last stored session of each of `symbols`, when that bar is of this feed and
    /// adjustment: a history in another feed is not continued (IEX and SIP volumes do not mix).
    pub fn last_bar_dates(
        &self,
        symbols: &[Symbol],
        feed: &str,
        adjustment: &str,
    ) -> Result<BTreeMap<Symbol, SessionDate>, StoreError> {
        // One primary-key probe per symbol: no scan of the whole table.
        let mut stmt = self.conn.prepare_cached(
            "SELECT session_date, feed, adjustment FROM bars WHERE symbol = ?1
             ORDER BY session_date DESC LIMIT 1",
        )?;
        let mut out = BTreeMap::new();
        for symbol in symbols {
            let row = stmt
                .query_row([symbol.as_str()], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                    ))
                })
                .optional()?;
            if let Some((date, f, a)) = row
                && f == feed
                && a == adjustment
                && let Ok(d) = SessionDate::from_str(&date)
            {
                out.insert(symbol.clone(), d);
            }
        }
        Ok(out)
    }

    /// Per symbol, how many bars are stored in `from..=to` and the first and last of them
    /// (symbols with none are absent): enough to tell whether sessions are missing between.
    pub fn bar_spans(
        &self,
        symbols: &[Symbol],
        from: SessionDate,
        to: SessionDate,
    ) -> Result<BTreeMap<Symbol, BarSpan>, StoreError> {
        // One primary-key range per symbol; the count never reads a row.
        let mut stmt = self.conn.prepare_cached(
            "SELECT COUNT(*), MIN(session_date), MAX(session_date) FROM bars
             WHERE symbol = ?1 AND session_date BETWEEN ?2 AND ?3",
        )?;
        let (from, to) = (from.to_string(), to.to_string());
        let mut out = BTreeMap::new();
        for symbol in symbols {
            let (count, first, last) = stmt.query_row(params![symbol.as_str(), from, to], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, Option<String>>(2)?,
                ))
            })?;
            if let (Some(Ok(first)), Some(Ok(last))) = (
                first.as_deref().map(SessionDate::from_str),
                last.as_deref().map(SessionDate::from_str),
            ) {
                out.insert(
                    symbol.clone(),
                    BarSpan {
                        count: count as u64,
                        first,
                        last,
                    },
                );
            }
        }
        Ok(out)
    }

    /// The sessions of one symbol's stored bars in `from..=to`, oldest first.
    pub fn bar_dates(
        &self,
        symbol: &Symbol,
        from: SessionDate,
        to: SessionDate,
    ) -> Result<Vec<SessionDate>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT session_date FROM bars WHERE symbol = ?1 AND session_date BETWEEN ?2 AND ?3
             ORDER BY session_date",
        )?;
        let rows = stmt.query_map(
            params![symbol.as_str(), from.to_string(), to.to_string()],
            |r| r.get::<_, String>(0),
        )?;
        let mut out = Vec::new();
        for row in rows {
            if let Ok(d) = SessionDate::from_str(&row?) {
                out.push(d);
            }
        }
        Ok(out)
    }

    /// The first stored session of each of `symbols` that has any bar.
    pub fn first_bar_dates(
        &self,
        symbols: &[Symbol],
    ) -> Result<BTreeMap<Symbol, SessionDate>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT session_date FROM bars WHERE symbol = ?1 ORDER BY session_date LIMIT 1",
        )?;
        let mut out = BTreeMap::new();
        for symbol in symbols {
            let first = stmt
                .query_row([symbol.as_str()], |r| r.get::<_, String>(0))
                .optional()?;
            if let Some(Ok(d)) = first.as_deref().map(SessionDate::from_str) {
                out.insert(symbol.clone(), d);
            }
        }
        Ok(out)
    }

    /// Bars of one symbol in `from..=to`, oldest first.
    pub fn bars(
        &self,
        symbol: &Symbol,
        from: SessionDate,
        to: SessionDate,
    ) -> Result<Vec<StoredBar>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT symbol, session_date, open, high, low, close, volume, trade_count, vwap, feed,
                    adjustment, fetched_at
             FROM bars WHERE symbol = ?1 AND session_date BETWEEN ?2 AND ?3 ORDER BY session_date",
        )?;
        let rows = stmt.query_map(
            params![symbol.as_str(), from.to_string(), to.to_string()],
            |r| {
                let text = |i: usize| r.get::<_, String>(i);
                let money = |i: usize| -> rusqlite::Result<Money> {
                    let s = text(i)?;
                    Decimal::from_str(&s).map(Money::new).map_err(|e| {
                        rusqlite::Error::FromSqlConversionFailure(
                            i,
                            rusqlite::types::Type::Text,
                            Box::new(e),
                        )
                    })
                };
                Ok(StoredBar {
                    symbol: Symbol::from_str(&text(0)?).map_err(|e| {
                        rusqlite::Error::FromSqlConversionFailure(
                            0,
                            rusqlite::types::Type::Text,
                            Box::new(e),
                        )
                    })?,
                    session_date: SessionDate::from_str(&text(1)?).map_err(|e| {
                        rusqlite::Error::FromSqlConversionFailure(
                            1,
                            rusqlite::types::Type::Text,
                            Box::new(e),
                        )
                    })?,
                    open: money(2)?,
                    high: money(3)?,
                    low: money(4)?,
                    close: money(5)?,
                    volume: r.get::<_, i64>(6)? as u64,
                    trade_count: r.get::<_, Option<i64>>(7)?.map(|n| n as u64),
                    vwap: match r.get::<_, Option<String>>(8)? {
                        Some(_) => Some(money(8)?),
                        None => None,
                    },
                    feed: text(9)?,
                    adjustment: text(10)?,
                    fetched_at: r.get(11)?,
                })
            },
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The last `n` closes of `symbol` before `before`, oldest first.
    pub fn recent_closes(
        &self,
        symbol: &Symbol,
        before: SessionDate,
        n: u32,
    ) -> Result<Vec<(SessionDate, Money)>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT session_date, close FROM bars WHERE symbol = ?1 AND session_date < ?2
             ORDER BY session_date DESC LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![symbol.as_str(), before.to_string(), n], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (date, close) = row?;
            if let (Ok(d), Ok(c)) = (SessionDate::from_str(&date), Decimal::from_str(&close)) {
                out.push((d, Money::new(c)));
            }
        }
        out.reverse();
        Ok(out)
    }

    /// How many bars are stored (the primary key makes each (symbol, session) unique).
    pub fn bar_count(&self) -> Result<u64, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT COUNT(*) FROM bars", [], |r| r.get::<_, i64>(0))? as u64)
    }

    /// Symbols among `symbols` that have a bar for `session`.
    pub fn symbols_with_bar(
        &self,
        symbols: &[Symbol],
        session: SessionDate,
    ) -> Result<Vec<Symbol>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT 1 FROM bars WHERE symbol = ?1 AND session_date = ?2")?;
        let mut out = Vec::new();
        for s in symbols {
            if stmt.exists(params![s.as_str(), session.to_string()])? {
                out.push(s.clone());
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(symbol: &str, date: &str, close: &str) -> StoredBar {
        let m = |s: &str| Money::new(s.parse().unwrap());
        StoredBar {
            symbol: symbol.parse().unwrap(),
            session_date: date.parse().unwrap(),
            open: m("10"),
            high: m("12"),
            low: m("9"),
            close: m(close),
            volume: 100,
            trade_count: Some(3),
            vwap: None,
            feed: "iex".into(),
            adjustment: "all".into(),
            fetched_at: "2026-11-30T22:00:00Z".parse().unwrap(),
        }
    }

    #[test]
    fn upsert_adds_replaces_and_never_duplicates() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("a.db")).unwrap();
        let first = store
            .upsert_bars(&[
                bar("SPY", "2026-11-27", "11"),
                bar("SPY", "2026-11-30", "11.5"),
            ])
            .unwrap();
        assert_eq!(
            first,
            BarUpsert {
                added: 2,
                updated: 0,
                unchanged: 0
            }
        );
        let mut again = bar("SPY", "2026-11-30", "11.5");
        again.fetched_at = "2026-12-01T22:00:00Z".parse().unwrap();
        let second = store
            .upsert_bars(&[bar("SPY", "2026-11-27", "11.25"), again])
            .unwrap();
        assert_eq!(
            second,
            BarUpsert {
                added: 0,
                updated: 1,
                unchanged: 1
            }
        );
        assert_eq!(store.bar_count().unwrap(), 2);
        let spy: Symbol = "SPY".parse().unwrap();
        let stored = store
            .bars(
                &spy,
                "2026-11-01".parse().unwrap(),
                "2026-12-31".parse().unwrap(),
            )
            .unwrap();
        assert_eq!(stored[0].close, Money::new("11.25".parse().unwrap()));
        assert_eq!(stored[1], bar("SPY", "2026-11-30", "11.5"));
        let last = store
            .last_bar_dates(std::slice::from_ref(&spy), "iex", "all")
            .unwrap();
        assert_eq!(last[&spy].to_string(), "2026-11-30");
        assert!(
            store
                .last_bar_dates(std::slice::from_ref(&spy), "sip", "all")
                .unwrap()
                .is_empty()
        );
        store
            .upsert_bars(&[bar("SPY", "2026-11-20", "10")])
            .unwrap();
        let (from, to) = ("2026-11-01".parse().unwrap(), "2026-11-28".parse().unwrap());
        let tlt: Symbol = "TLT".parse().unwrap();
        let spans = store
            .bar_spans(&[spy.clone(), tlt.clone()], from, to)
            .unwrap();
        assert_eq!(spans.len(), 1, "TLT has no bars");
        assert_eq!(
            (
                spans[&spy].count,
                spans[&spy].first.to_string(),
                spans[&spy].last.to_string()
            ),
            (2, "2026-11-20".into(), "2026-11-27".into())
        );
        let dates: Vec<String> = store
            .bar_dates(&spy, from, to)
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(dates, ["2026-11-20", "2026-11-27"]);
        let first = store.first_bar_dates(&[spy.clone(), tlt]).unwrap();
        assert_eq!(first[&spy].to_string(), "2026-11-20");
    }
}
