//! `aurora report`: performance, trades and the per-day table over any period, read from the
//! store alone: no request to Alpaca and no lock, so it runs while a timer's job works.

use std::fmt::Write as _;

use anyhow::Context as _;
use chrono::{Days, Months, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;

use super::Report;
use super::eod::OrderOutcome;
use super::performance::{self, BenchmarkCloses, Period};
use super::table::{Align, table};
use crate::config::Config;
use crate::exit::{Exit, Usage};
use crate::plan::Side;
use crate::stats::{Allocation, Point, Stats};
use crate::store::{Snapshot, Store};
use crate::types::{Money, SessionDate, Symbol};

/// Which sessions a report covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeriodSpec {
    /// From `from` (or the first snapshot) through `to` (or the last).
    Between {
        /// First date, inclusive.
        from: Option<NaiveDate>,
        /// Last date, inclusive.
        to: Option<NaiveDate>,
    },
    /// One calendar month (its first day).
    Month(NaiveDate),
    /// The last `n` days, weeks or months through the latest snapshot.
    Since(u32, SpanUnit),
}

/// The unit of `--since`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpanUnit {
    /// `d`: calendar days.
    Days,
    /// `w`: weeks.
    Weeks,
    /// `m`: calendar months.
    Months,
}

/// `YYYY-MM` → the month's first day.
pub fn parse_month(text: &str) -> Result<NaiveDate, Usage> {
    NaiveDate::parse_from_str(&format!("{}-01", text.trim()), "%Y-%m-%d")
        .map_err(|_| Usage(format!("--month {text:?}: expected YYYY-MM, e.g. 2026-12")))
}

/// `7d`, `4w`, `3m` → (count, unit).
pub fn parse_since(text: &str) -> Result<(u32, SpanUnit), Usage> {
    let bad = || {
        Usage(format!(
            "--since {text:?}: expected a count and d, w or m, e.g. 7d, 4w, 3m"
        ))
    };
    let t = text.trim();
    let (n, unit) = t.split_at(t.len().checked_sub(1).ok_or_else(bad)?);
    let n: u32 = n.parse().ok().filter(|n| *n > 0).ok_or_else(bad)?;
    let unit = match unit {
        "d" | "D" => SpanUnit::Days,
        "w" | "W" => SpanUnit::Weeks,
        "m" | "M" => SpanUnit::Months,
        _ => return Err(bad()),
    };
    Ok((n, unit))
}

impl PeriodSpec {
    /// The first and last dates the period covers, given the latest snapshot's date.
    pub fn bounds(self, latest: NaiveDate) -> (Option<NaiveDate>, Option<NaiveDate>) {
        match self {
            PeriodSpec::Between { from, to } => (from, to),
            PeriodSpec::Month(first) => {
                let last = first
                    .checked_add_months(Months::new(1))
                    .and_then(|d| d.pred_opt())
                    .unwrap_or(first);
                (Some(first), Some(last))
            }
            PeriodSpec::Since(n, unit) => {
                let back = match unit {
                    SpanUnit::Days => latest.checked_sub_days(Days::new(u64::from(n))),
                    SpanUnit::Weeks => latest.checked_sub_days(Days::new(7 * u64::from(n))),
                    SpanUnit::Months => latest.checked_sub_months(Months::new(n)),
                };
                (back.and_then(|d| d.succ_opt()), Some(latest))
            }
        }
    }
}

/// One trade of the period: an order of Aurora's that filled, wholly or in part.
#[derive(Clone, Debug, Serialize)]
pub struct TradeLine {
    /// The session.
    pub date: SessionDate,
    /// Ticker.
    pub symbol: Symbol,
    /// `buy` / `sell`.
    pub side: Side,
    /// Shares filled.
    pub qty: Decimal,
    /// Average fill price.
    pub price: Money,
    /// Shares × price.
    pub notional: Money,
    /// Fill against the plan's reference price in basis points (positive costs money).
    pub slippage_bps: Option<Decimal>,
}

/// One session of the period.
#[derive(Clone, Debug, Serialize)]
pub struct DayLine {
    /// The session.
    pub date: SessionDate,
    /// Equity at its close.
    pub equity: Money,
    /// Since the previous close.
    pub pnl: Money,
    /// The day's return (a fraction).
    pub day_return: Option<f64>,
}

/// What `aurora report` shows.
#[derive(Clone, Debug, Serialize)]
pub struct PerformanceReport {
    /// First session in the period.
    pub from: SessionDate,
    /// Last session in the period.
    pub to: SessionDate,
    /// The performance block over the period.
    pub stats: Stats,
    /// Each position's weight beside its target, at the last session's close.
    pub allocation: Vec<Allocation>,
    /// Aurora's filled orders, oldest first.
    pub trades: Vec<TradeLine>,
    /// Each session: equity, P&L and return.
    pub days: Vec<DayLine>,
}

impl Report for PerformanceReport {
    fn exit(&self) -> Exit {
        Exit::Ok
    }

    fn session(&self) -> Option<SessionDate> {
        Some(self.to)
    }

    fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Performance {} → {} ({} session{})",
            self.from,
            self.to,
            self.stats.sessions,
            if self.stats.sessions == 1 { "" } else { "s" }
        );
        out.push_str(&performance::block(&self.stats));
        if !self.allocation.is_empty() {
            let _ = writeln!(out, "\nAllocation on {}", self.to);
            let pct =
                |v: Option<f64>| v.map_or_else(|| "—".to_owned(), |x| format!("{:.1}%", x * 100.0));
            let mut rows = vec![vec!["SYMBOL".into(), "WEIGHT".into(), "TARGET".into()]];
            rows.extend(
                self.allocation
                    .iter()
                    .map(|a| vec![a.symbol.to_string(), pct(a.weight), pct(a.target_weight)]),
            );
            out.push_str(&table(&rows, &[Align::Left, Align::Right, Align::Right]));
        }
        let _ = writeln!(out, "\nTrades ({})", self.trades.len());
        if !self.trades.is_empty() {
            let mut rows = vec![
                [
                    "DATE",
                    "SYMBOL",
                    "SIDE",
                    "QTY",
                    "PRICE",
                    "NOTIONAL",
                    "SLIPPAGE (bps)",
                ]
                .map(String::from)
                .to_vec(),
            ];
            rows.extend(self.trades.iter().map(|t| {
                vec![
                    t.date.to_string(),
                    t.symbol.to_string(),
                    t.side.as_str().to_owned(),
                    t.qty.normalize().to_string(),
                    t.price.to_string(),
                    t.notional.to_string(),
                    t.slippage_bps.map(|b| b.to_string()).unwrap_or_default(),
                ]
            }));
            out.push_str(&table(
                &rows,
                &[
                    Align::Left,
                    Align::Left,
                    Align::Left,
                    Align::Right,
                    Align::Right,
                    Align::Right,
                    Align::Right,
                ],
            ));
        }
        let _ = writeln!(out, "\nDays");
        let mut rows = vec![
            ["DATE", "EQUITY", "DAY P&L", "RETURN"]
                .map(String::from)
                .to_vec(),
        ];
        rows.extend(self.days.iter().map(|d| {
            vec![
                d.date.to_string(),
                d.equity.to_string(),
                d.pnl.signed(),
                d.day_return
                    .map_or_else(|| "—".to_owned(), |r| format!("{:+.2}%", r * 100.0)),
            ]
        }));
        out.push_str(&table(
            &rows,
            &[Align::Left, Align::Right, Align::Right, Align::Right],
        ));
        out
    }
}

/// Runs `aurora report` over the store in `config`'s state directory.
pub fn run(config: &Config, spec: PeriodSpec) -> anyhow::Result<PerformanceReport> {
    let path = config.db_path();
    if !path.exists() {
        anyhow::bail!(
            "no store at {}: nothing has been reconciled yet (run `aurora eod` after a session)",
            path.display()
        );
    }
    let store = Store::open(&path).context("cannot open the store")?;
    let snapshots = store.snapshots()?;
    let (Some(first), Some(last)) = (snapshots.first(), snapshots.last()) else {
        anyhow::bail!("no snapshots yet: run `aurora eod` after a session");
    };
    let (from, to) = spec.bounds(last.session_date.date());
    let in_period = |s: &Snapshot| {
        let d = s.session_date.date();
        from.is_none_or(|f| d >= f) && to.is_none_or(|t| d <= t)
    };
    let start = snapshots.iter().position(in_period);
    let end = snapshots.iter().rposition(in_period);
    let (Some(start), Some(end)) = (start, end) else {
        let show = |d: Option<NaiveDate>| d.map_or_else(|| "…".to_owned(), |d| d.to_string());
        anyhow::bail!(
            "no snapshot between {} and {}: the store has {} to {}",
            show(from),
            show(to),
            first.session_date,
            last.session_date
        );
    };
    let period = Period {
        snapshots: &snapshots,
        range: start..end + 1,
    };
    let benchmark = match &config.settings.report.benchmark {
        Some(symbol) => {
            let from = SessionDate::new(period.start().date);
            let bars = store.bars(symbol, from, period.sessions()[end - start].session_date)?;
            Some(BenchmarkCloses {
                symbol: symbol.clone(),
                closes: bars
                    .into_iter()
                    .map(|b| Point {
                        date: b.session_date.date(),
                        value: b.close.amount(),
                    })
                    .collect(),
            })
        }
        None => None,
    };
    let stats = period.stats(
        None,
        benchmark.as_ref(),
        config.settings.report.risk_free_rate,
    );
    let sessions = period.sessions();
    let series = period.series();
    Ok(PerformanceReport {
        from: sessions[0].session_date,
        to: sessions[sessions.len() - 1].session_date,
        allocation: performance::allocation(&sessions[sessions.len() - 1]),
        trades: sessions.iter().flat_map(trades).collect(),
        days: series
            .windows(2)
            .zip(sessions)
            .map(|(w, s)| DayLine {
                date: s.session_date,
                equity: s.equity,
                pnl: Money::new(w[1].value - w[0].value),
                day_return: crate::stats::period_return(w[0].value, w[1].value),
            })
            .collect(),
        stats,
    })
}

/// A snapshot's trades: its orders that filled, or, in snapshots from before orders were kept
/// with them, its fills (without slippage).
fn trades(s: &Snapshot) -> Vec<TradeLine> {
    let orders: Vec<OrderOutcome> = serde_json::from_str(s.orders.get()).unwrap_or_default();
    let line = |symbol: &Symbol, side: Side, qty: Decimal, price: Decimal, slippage| TradeLine {
        date: s.session_date,
        symbol: symbol.clone(),
        side,
        qty,
        price: Money::new(price),
        notional: Money::new(qty * price),
        slippage_bps: slippage,
    };
    if orders.is_empty() {
        return performance::fills(s)
            .iter()
            .map(|f| {
                let side = if f.side == "buy" {
                    Side::Buy
                } else {
                    Side::Sell
                };
                line(&f.symbol, side, f.qty, f.price, None)
            })
            .collect();
    }
    orders
        .iter()
        .filter(|o| !o.filled_qty.is_zero())
        .filter_map(|o| {
            let price = o.filled_avg_price?.amount();
            Some(line(&o.symbol, o.side, o.filled_qty, price, o.slippage_bps))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn periods_from_flags() {
        assert_eq!(parse_month("2026-12").unwrap(), d("2026-12-01"));
        assert!(parse_month("2026-13").is_err());
        assert!(parse_month("Dec").is_err());
        assert_eq!(parse_since("7d").unwrap(), (7, SpanUnit::Days));
        assert_eq!(parse_since("4w").unwrap(), (4, SpanUnit::Weeks));
        assert_eq!(parse_since("3m").unwrap(), (3, SpanUnit::Months));
        for bad in ["", "d", "0d", "7y", "-1w", "7"] {
            assert!(parse_since(bad).is_err(), "{bad}");
        }
        let latest = d("2026-12-18");
        assert_eq!(
            PeriodSpec::Month(d("2026-02-01")).bounds(latest),
            (Some(d("2026-02-01")), Some(d("2026-02-28")))
        );
        assert_eq!(
            PeriodSpec::Since(7, SpanUnit::Days).bounds(latest),
            (Some(d("2026-12-12")), Some(latest))
        );
        assert_eq!(
            PeriodSpec::Since(4, SpanUnit::Weeks).bounds(latest),
            (Some(d("2026-11-21")), Some(latest))
        );
        assert_eq!(
            PeriodSpec::Since(3, SpanUnit::Months).bounds(latest),
            (Some(d("2026-09-19")), Some(latest))
        );
    }
}
