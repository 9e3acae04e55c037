//! Stored snapshots → the pure stats module's inputs: the one path by which the daily report
//! and `aurora report` get their performance figures, so both always agree.

use std::collections::BTreeMap;
use std::ops::Range;

use chrono::{Datelike, Days, NaiveDate};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::alpaca::models::FillActivity;
use crate::plan::Side;
use crate::stats::{self, Benchmark, Execution, Holding, Input, Lot, Point, Stats};
use crate::store::Snapshot;
use crate::types::{Money, Symbol};

/// The benchmark's closes, and whose they are.
#[derive(Clone, Debug)]
pub struct BenchmarkCloses {
    /// Its ticker.
    pub symbol: Symbol,
    /// Closes, oldest first.
    pub closes: Vec<Point>,
}

/// A run of sessions over the stored snapshots (all of them, oldest first).
#[derive(Clone, Debug)]
pub struct Period<'a> {
    /// Every snapshot, oldest first: the period's opening positions are replayed from the first.
    pub snapshots: &'a [Snapshot],
    /// The period: indices into `snapshots`, not empty.
    pub range: Range<usize>,
}

impl Period<'_> {
    /// The close the period is measured from: the snapshot before it, or for the first
    /// snapshot the close its `last_equity` is (the starting capital).
    pub fn start(&self) -> Point {
        match self.range.start.checked_sub(1) {
            Some(i) => point(&self.snapshots[i]),
            None => {
                let first = &self.snapshots[0];
                Point {
                    date: first
                        .prev_session
                        .map_or_else(|| first.session_date.date() - Days::new(1), |d| d.date()),
                    value: first.last_equity.amount(),
                }
            }
        }
    }

    /// The period's snapshots.
    pub fn sessions(&self) -> &[Snapshot] {
        &self.snapshots[self.range.clone()]
    }

    /// The start followed by each session's close.
    pub fn series(&self) -> Vec<Point> {
        std::iter::once(self.start())
            .chain(self.sessions().iter().map(point))
            .collect()
    }

    /// The month-to-date base the store knows: the last snapshot before the month of the
    /// period's last session; `None` when the store starts within that month (the stats then
    /// count from the start, unless the broker's base is passed to [`Period::stats`]).
    pub fn month_base(&self) -> Option<Decimal> {
        let last = self.sessions().last()?.session_date.date();
        let month = (last.year(), last.month());
        self.snapshots
            .iter()
            .rev()
            .find(|s| (s.session_date.date().year(), s.session_date.date().month()) < month)
            .map(|s| s.equity.amount())
    }

    /// Every figure over the period.
    pub fn stats(
        &self,
        month_base: Option<Decimal>,
        benchmark: Option<&BenchmarkCloses>,
        risk_free_rate: Decimal,
    ) -> Stats {
        let opening = stats::lots_after(
            &inception(self.snapshots),
            &executions(&self.snapshots[..self.range.start]),
        );
        let closes: Vec<Point> = self.sessions().iter().map(point).collect();
        let executions = executions(self.sessions());
        let last = self.sessions().last().expect("a period is not empty");
        let holdings = holdings(last);
        stats::compute(&Input {
            start: self.start(),
            closes: &closes,
            month_base: month_base.or_else(|| self.month_base()),
            executions: &executions,
            opening: &opening,
            holdings: &holdings,
            benchmark: benchmark.map(|b| Benchmark {
                symbol: &b.symbol,
                closes: &b.closes,
            }),
            risk_free_rate: risk_free_rate.to_f64().unwrap_or(0.0),
        })
    }
}

fn point(s: &Snapshot) -> Point {
    Point {
        date: s.session_date.date(),
        value: s.equity.amount(),
    }
}

/// A snapshot's positions, marked where their value is known.
pub fn holdings(s: &Snapshot) -> Vec<Holding> {
    if s.holdings.is_empty() {
        // Snapshots from before holdings were recorded: quantities only.
        return s
            .positions
            .iter()
            .map(|(symbol, qty)| Holding {
                symbol: symbol.clone(),
                qty: *qty,
                market_value: None,
            })
            .collect();
    }
    s.holdings
        .iter()
        .map(|h| Holding {
            symbol: h.symbol.clone(),
            qty: h.qty,
            market_value: h.market_value.map(Money::amount),
        })
        .collect()
}

/// A snapshot's fills, as read back from the store (a fill it cannot read is left out).
pub fn fills(s: &Snapshot) -> Vec<FillActivity> {
    serde_json::from_str(s.fills.get()).unwrap_or_default()
}

/// The executions of `snapshots`, in order.
fn executions(snapshots: &[Snapshot]) -> Vec<Execution> {
    snapshots
        .iter()
        .flat_map(|s| {
            fills(s).into_iter().map(move |f| Execution {
                date: s.session_date.date(),
                symbol: f.symbol.clone(),
                side: if f.side == "buy" {
                    Side::Buy
                } else {
                    Side::Sell
                },
                qty: f.qty,
                price: f.price,
                fee: Decimal::ZERO,
            })
        })
        .collect()
}

/// The positions before the first snapshot's own fills, at Alpaca's average entry price: a
/// store that started flat opens with none; one that adopted holdings opens with them.
fn inception(snapshots: &[Snapshot]) -> Vec<Lot> {
    let Some(first) = snapshots.first() else {
        return Vec::new();
    };
    let mut net: BTreeMap<Symbol, Decimal> = BTreeMap::new();
    for f in fills(first) {
        *net.entry(f.symbol.clone()).or_default() += f.signed_qty();
    }
    first
        .holdings
        .iter()
        .filter_map(|h| {
            let qty = h.qty - net.get(&h.symbol).copied().unwrap_or_default();
            let cost = h
                .avg_entry_price
                .map(Money::amount)
                .or_else(|| h.market_value.map(|v| v.amount() / h.qty))?;
            (!qty.is_zero()).then(|| Lot {
                symbol: h.symbol.clone(),
                qty,
                cost,
            })
        })
        .collect()
}

/// Each position's weight beside its target, at a snapshot's close.
pub fn allocation(s: &Snapshot) -> Vec<stats::Allocation> {
    stats::allocation(&holdings(s), s.equity.amount(), &s.targets)
}

/// The last session of the month before `date`'s, among `dates` (sorted).
pub fn last_of_previous_month(dates: &[NaiveDate], date: NaiveDate) -> Option<NaiveDate> {
    let first_of_month = date.with_day(1)?;
    dates.iter().rev().find(|d| **d < first_of_month).copied()
}

/// The stats block for a terminal: [`rows`] (but the session count, which the heading says) as
/// an aligned two-column table.
pub fn block(s: &Stats) -> String {
    let rows: Vec<Vec<String>> = rows(s)
        .into_iter()
        .skip(1)
        .map(|(k, v)| vec![k.to_owned(), v])
        .collect();
    super::table::table(
        &rows,
        &[super::table::Align::Left, super::table::Align::Right],
    )
}

/// The performance block as label–value rows: percent with signs for fractions, two places
/// for ratios, dollars for money. The daily report and `aurora report` show the same rows.
pub fn rows(s: &Stats) -> Vec<(&'static str, String)> {
    let pct = |v: Option<f64>| v.map_or_else(|| "—".to_owned(), |x| format!("{:+.2}%", x * 100.0));
    let ratio = |v: Option<f64>| v.map_or_else(|| "—".to_owned(), |x| format!("{x:.2}"));
    let dd = |v: f64, peak: Option<NaiveDate>, trough: Option<NaiveDate>| match (peak, trough) {
        (Some(p), Some(t)) => format!("{} ({p} → {t})", pct(Some(v))),
        _ => pct(Some(v)),
    };
    let mut out = vec![
        ("sessions", s.sessions.to_string()),
        ("total return", pct(s.total_return)),
        ("day return", pct(s.day_return)),
        ("month to date", pct(s.mtd_return)),
        ("CAGR", pct(s.cagr)),
        (
            "volatility (annualised)",
            pct(s.volatility).trim_start_matches('+').to_owned(),
        ),
        ("Sharpe", ratio(s.sharpe)),
        ("Sortino", ratio(s.sortino)),
        (
            "max drawdown",
            dd(s.max_drawdown, s.max_drawdown_peak, s.max_drawdown_trough),
        ),
        ("current drawdown", pct(Some(s.current_drawdown))),
        (
            "turnover",
            s.turnover
                .map_or_else(|| "—".to_owned(), |x| format!("{x:.2}×")),
        ),
        (
            "exposure",
            pct(s.exposure).trim_start_matches('+').to_owned(),
        ),
        ("realized P&L", s.realized_pnl.signed()),
        (
            "unrealized P&L",
            s.unrealized_pnl
                .map_or_else(|| "—".to_owned(), Money::signed),
        ),
        ("fees", s.fees.to_string()),
        (
            "win rate",
            s.win_rate.map_or_else(
                || "— (no closed round trips)".to_owned(),
                |w| format!("{:.0}% of {}", w * 100.0, s.round_trips),
            ),
        ),
    ];
    if let Some(b) = &s.benchmark {
        let value = match (&b.missing, b.total_return) {
            (Some(why), _) => format!("— ({why})"),
            (None, r) => pct(r),
        };
        out.push(("benchmark", format!("{} {value}", b.symbol)));
        out.push(("excess return", pct(s.excess_return)));
    }
    out
}
