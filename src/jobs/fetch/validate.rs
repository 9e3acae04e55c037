//! Whether a bar from Alpaca is fit to store (pure).

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::alpaca::models::Bar;
use crate::market;
use crate::store::StoredBar;
use crate::types::{Money, SessionDate, Symbol};

/// A bar that was not stored, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SkippedBar {
    /// Ticker.
    pub symbol: Symbol,
    /// Session.
    pub session_date: SessionDate,
    /// What is wrong with it.
    pub reason: String,
}

/// Checks a bar: prices positive, high ≥ low, open and close within the high–low range.
pub fn check(bar: &Bar) -> Result<(), String> {
    let prices = [
        ("open", bar.o),
        ("high", bar.h),
        ("low", bar.l),
        ("close", bar.c),
    ];
    if let Some((name, p)) = prices.iter().find(|(_, p)| *p <= Decimal::ZERO) {
        return Err(format!("{name} {p} is not positive"));
    }
    if bar.h < bar.l {
        return Err(format!("high {} is below low {}", bar.h, bar.l));
    }
    for (name, p) in [("open", bar.o), ("close", bar.c)] {
        if p < bar.l || p > bar.h {
            return Err(format!(
                "{name} {p} is outside low {} – high {}",
                bar.l, bar.h
            ));
        }
    }
    Ok(())
}

/// The bar to store, or why not.
pub fn to_stored(
    symbol: &Symbol,
    bar: &Bar,
    feed: &str,
    adjustment: &str,
    fetched_at: DateTime<Utc>,
) -> Result<StoredBar, SkippedBar> {
    // Daily bars are stamped at midnight New York: its date is the session's.
    let session_date = market::market_date(bar.t);
    check(bar).map_err(|reason| SkippedBar {
        symbol: symbol.clone(),
        session_date,
        reason,
    })?;
    Ok(StoredBar {
        symbol: symbol.clone(),
        session_date,
        open: Money::new(bar.o),
        high: Money::new(bar.h),
        low: Money::new(bar.l),
        close: Money::new(bar.c),
        volume: bar.v,
        trade_count: bar.n,
        vwap: bar.vw.map(Money::new),
        feed: feed.to_owned(),
        adjustment: adjustment.to_owned(),
        fetched_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(o: &str, h: &str, l: &str, c: &str) -> Bar {
        let p = |s: &str| s.parse().unwrap();
        Bar {
            t: "2026-11-27T05:00:00Z".parse().unwrap(),
            o: p(o),
            h: p(h),
            l: p(l),
            c: p(c),
            v: 1,
            n: None,
            vw: None,
        }
    }

    #[test]
    fn rejects_impossible_bars() {
        assert_eq!(check(&bar("10", "11", "9", "10.5")), Ok(()));
        assert!(
            check(&bar("0", "11", "9", "10"))
                .unwrap_err()
                .contains("open 0 is not positive")
        );
        assert!(
            check(&bar("10", "9", "11", "10"))
                .unwrap_err()
                .contains("high 9 is below low 11")
        );
        assert!(
            check(&bar("12", "11", "9", "10"))
                .unwrap_err()
                .contains("open 12 is outside")
        );
        assert!(
            check(&bar("10", "11", "9", "8"))
                .unwrap_err()
                .contains("close 8 is outside")
        );
    }

    #[test]
    fn session_date_is_the_new_york_date() {
        let s = to_stored(
            &"SPY".parse().unwrap(),
            &bar("10", "11", "9", "10"),
            "iex",
            "all",
            Utc::now(),
        )
        .unwrap();
        assert_eq!(s.session_date.to_string(), "2026-11-27");
    }
}
