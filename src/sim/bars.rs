//! Deterministic synthetic daily bars: the same symbol always gets the same history.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::calendar;

/// One synthetic daily bar (SIP volumes; prices in dollars, to the cent).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SimBar {
    /// Session date.
    pub date: NaiveDate,
    /// Open.
    pub open: Decimal,
    /// High.
    pub high: Decimal,
    /// Low.
    pub low: Decimal,
    /// Close.
    pub close: Decimal,
    /// Shares traded (all exchanges).
    pub volume: u64,
    /// Trades.
    pub trades: u64,
    /// Volume-weighted average price.
    pub vwap: Decimal,
}

impl SimBar {
    /// The bar on the scale after a split of `ratio` new shares per old one: prices divided,
    /// volume and trades multiplied (prices to four places, as adjusted bars carry).
    pub fn rebased(&self, ratio: Decimal) -> SimBar {
        let price = |p: Decimal| (p / ratio).round_dp(4).normalize();
        let count = |n: u64| {
            (Decimal::from(n) * ratio)
                .round()
                .to_u64()
                .unwrap_or(n)
                .max(1)
        };
        SimBar {
            date: self.date,
            open: price(self.open),
            high: price(self.high),
            low: price(self.low),
            close: price(self.close),
            volume: count(self.volume),
            trades: self.trades,
            vwap: price(self.vwap),
        }
    }
}

/// FNV-1a: a stable seed from a symbol (std's hasher is randomised per process).
fn seed(symbol: &str) -> u64 {
    symbol.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

fn cents(x: f64) -> Decimal {
    Decimal::new((x * 100.0).round() as i64, 2)
}

/// Every session's bar for `symbol` over the calendar's years: a random walk seeded by the symbol.
pub fn series(symbol: &str) -> Vec<SimBar> {
    let mut rng = fastrand::Rng::with_seed(seed(symbol));
    let mut close = 20.0 + rng.f64() * 480.0;
    let drift = (rng.f64() - 0.45) * 0.002;
    let base_volume = 1_000_000.0 + rng.f64() * 50_000_000.0;
    let first = NaiveDate::from_ymd_opt(*calendar::YEARS.start(), 1, 1).expect("valid date");
    let last = NaiveDate::from_ymd_opt(*calendar::YEARS.end(), 12, 31).expect("valid date");
    calendar::sessions(first, last)
        .into_iter()
        .map(|day| {
            let gap = (rng.f64() - 0.5) * 0.01;
            let open = close * (1.0 + gap);
            let ret = drift + (rng.f64() - 0.5) * 0.03;
            let next_close = (open * (1.0 + ret)).max(1.0);
            let high = open.max(next_close) * (1.0 + rng.f64() * 0.01);
            let low = open.min(next_close) * (1.0 - rng.f64() * 0.01);
            let volume = (base_volume * (0.5 + rng.f64())) as u64;
            close = next_close;
            let (open, close_c, high, low) =
                (cents(open), cents(next_close), cents(high), cents(low));
            SimBar {
                date: day.date,
                open,
                high: high.max(open).max(close_c),
                low: low.min(open).min(close_c),
                close: close_c,
                volume,
                trades: volume / 90 + 1,
                vwap: ((open + high + low + close_c) / Decimal::new(4, 0)).round_dp(4),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_valid_and_only_on_sessions() {
        let a = series("SPY");
        assert_eq!(a, series("SPY"));
        assert_ne!(a[0], series("QQQ")[0]);
        assert_eq!(
            a.len(),
            calendar::sessions(a[0].date, a[a.len() - 1].date).len()
        );
        for b in &a {
            assert!(b.low > Decimal::ZERO && b.low <= b.high, "{b:?}");
            assert!(
                (b.low..=b.high).contains(&b.open) && (b.low..=b.high).contains(&b.close),
                "{b:?}"
            );
            assert!(calendar::session(b.date).is_some());
        }
    }
}
