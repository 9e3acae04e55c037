//! Performance figures over a daily equity series (pure: values in, values out).
//!
//! Every figure the daily report and `aurora report` show comes from [`compute`]: the equity at
//! each session's close, the executions, the positions at the end and, optionally, a
//! benchmark's closes. It knows nothing of the store, the broker or the clock, so a backtest can
//! summarise its own series with it unchanged.
//!
//! Conventions: returns and drawdowns are fractions (`0.0123` is +1.23 %); daily figures are
//! annualised over [`SESSIONS_PER_YEAR`] sessions (volatility and ratios by its square root);
//! the risk-free rate is a yearly fraction, taken as `rate / 252` per session.

mod cost;

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Serialize, Serializer};

use crate::plan::Side;
use crate::types::{Money, Symbol};

pub use cost::lots_after;

/// Sessions in a year, for annualising.
pub const SESSIONS_PER_YEAR: f64 = 252.0;

/// A value at one session's close: equity, or a benchmark's price.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Point {
    /// The session.
    pub date: NaiveDate,
    /// The value at its close.
    pub value: Decimal,
}

/// One execution (a fill).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Execution {
    /// The session it happened in.
    pub date: NaiveDate,
    /// Ticker.
    pub symbol: Symbol,
    /// Buy or sell.
    pub side: Side,
    /// Shares, positive.
    pub qty: Decimal,
    /// Price per share.
    pub price: Decimal,
    /// Commissions and fees paid (zero on Alpaca equities).
    pub fee: Decimal,
}

impl Execution {
    /// Shares with a sign: positive for a buy.
    fn signed_qty(&self) -> Decimal {
        match self.side {
            Side::Buy => self.qty,
            Side::Sell => -self.qty,
        }
    }
}

/// A position with its average cost per share (negative quantity: short).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lot {
    /// Ticker.
    pub symbol: Symbol,
    /// Shares.
    pub qty: Decimal,
    /// Average cost per share.
    pub cost: Decimal,
}

/// A position at the last close, marked to market when its price is known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holding {
    /// Ticker.
    pub symbol: Symbol,
    /// Shares.
    pub qty: Decimal,
    /// Shares × closing price; `None` when no price is known.
    pub market_value: Option<Decimal>,
}

/// A benchmark's closing prices.
#[derive(Clone, Copy, Debug)]
pub struct Benchmark<'a> {
    /// Its ticker.
    pub symbol: &'a Symbol,
    /// Closes, oldest first (any sessions; those of the equity series are used).
    pub closes: &'a [Point],
}

/// Everything the figures are computed from.
#[derive(Clone, Copy, Debug)]
pub struct Input<'a> {
    /// The close every return is measured from: the session before the first of `closes`.
    pub start: Point,
    /// Each session's closing equity, oldest first, all after `start`.
    pub closes: &'a [Point],
    /// The last close of the month before the last session's, when it lies before `start`
    /// (month-to-date then runs from it; without it, from `start`).
    pub month_base: Option<Decimal>,
    /// The executions in the sessions of `closes`, in the order they happened.
    pub executions: &'a [Execution],
    /// Positions held at `start`, with their average cost.
    pub opening: &'a [Lot],
    /// Positions at the last close.
    pub holdings: &'a [Holding],
    /// The benchmark, when one is configured.
    pub benchmark: Option<Benchmark<'a>>,
    /// Yearly risk-free rate as a fraction (0 unless configured).
    pub risk_free_rate: f64,
}

/// The performance block: the same names in the daily report, `aurora report` and `--json`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Stats {
    /// Sessions in the period.
    pub sessions: usize,
    /// Last close over `start`, minus one.
    #[serde(serialize_with = "fraction")]
    pub total_return: Option<f64>,
    /// The last session's return.
    #[serde(serialize_with = "fraction")]
    pub day_return: Option<f64>,
    /// Since the last close of the previous month.
    #[serde(serialize_with = "fraction")]
    pub mtd_return: Option<f64>,
    /// Compound annual growth, once the period spans a year or more.
    #[serde(serialize_with = "fraction")]
    pub cagr: Option<f64>,
    /// Standard deviation of daily returns × √252 (two returns or more).
    #[serde(serialize_with = "fraction")]
    pub volatility: Option<f64>,
    /// Mean daily excess return over its standard deviation, × √252.
    #[serde(serialize_with = "fraction")]
    pub sharpe: Option<f64>,
    /// Mean daily excess return over the downside deviation, × √252.
    #[serde(serialize_with = "fraction")]
    pub sortino: Option<f64>,
    /// The deepest fall from a running peak (≤ 0).
    #[serde(serialize_with = "fraction_value")]
    pub max_drawdown: f64,
    /// The peak it fell from (`None` when there was no fall).
    pub max_drawdown_peak: Option<NaiveDate>,
    /// Its lowest close.
    pub max_drawdown_trough: Option<NaiveDate>,
    /// The last close against the running peak (≤ 0).
    #[serde(serialize_with = "fraction_value")]
    pub current_drawdown: f64,
    /// Traded notional over average equity.
    #[serde(serialize_with = "fraction")]
    pub turnover: Option<f64>,
    /// Gross market value of positions over equity, at the last close.
    #[serde(serialize_with = "fraction")]
    pub exposure: Option<f64>,
    /// Gains and losses closed by sells (average cost), fees deducted.
    pub realized_pnl: Money,
    /// Market value less average cost of the positions held at the last close.
    pub unrealized_pnl: Option<Money>,
    /// Commissions and fees.
    pub fees: Money,
    /// Closed round trips (a sell against an average cost) that made money, as a fraction.
    #[serde(serialize_with = "fraction")]
    pub win_rate: Option<f64>,
    /// Closed round trips.
    pub round_trips: u32,
    /// The benchmark over the same sessions.
    pub benchmark: Option<BenchmarkStats>,
    /// `total_return` minus the benchmark's.
    #[serde(serialize_with = "fraction")]
    pub excess_return: Option<f64>,
}

/// The benchmark's figures.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BenchmarkStats {
    /// Its ticker.
    pub symbol: Symbol,
    /// Its close at the last session over its close at `start`, minus one; `None` when a bar
    /// is missing (`missing` says which).
    #[serde(serialize_with = "fraction")]
    pub total_return: Option<f64>,
    /// Why there is no return: the sessions without a bar.
    pub missing: Option<String>,
}

/// Fractions in JSON: rounded to 8 places, enough for basis points of basis points.
fn fraction<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(x) => fraction_value(x, s),
        None => s.serialize_none(),
    }
}

fn fraction_value<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((v * 1e8).round() / 1e8)
}

fn f(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

/// `to / from − 1`, when `from` is not zero.
pub fn period_return(from: Decimal, to: Decimal) -> Option<f64> {
    (!from.is_zero()).then(|| f(to) / f(from) - 1.0)
}

/// Every figure of [`Stats`] over `input`.
pub fn compute(input: &Input) -> Stats {
    let series: Vec<Point> = std::iter::once(input.start)
        .chain(input.closes.iter().copied())
        .collect();
    let last = *series.last().expect("the series starts with `start`");
    let returns: Vec<f64> = series
        .windows(2)
        .filter_map(|w| period_return(w[0].value, w[1].value))
        .collect();
    let drawdown = max_drawdown(&series);
    let traded: Decimal = input
        .executions
        .iter()
        .map(|e| (e.qty * e.price).abs())
        .sum();
    let fees: Decimal = input.executions.iter().map(|e| e.fee).sum();
    let book = cost::replay(input.opening, input.executions);
    let benchmark = input.benchmark.map(|b| benchmark(b, input.start, last));
    let total_return = if input.closes.is_empty() {
        Some(0.0)
    } else {
        period_return(input.start.value, last.value)
    };
    let excess_return = match (&benchmark, total_return) {
        (
            Some(BenchmarkStats {
                total_return: Some(b),
                ..
            }),
            Some(t),
        ) => Some(t - b),
        _ => None,
    };
    Stats {
        sessions: input.closes.len(),
        total_return,
        day_return: (series.len() >= 2)
            .then(|| period_return(series[series.len() - 2].value, last.value))
            .flatten(),
        mtd_return: period_return(month_base(input, &series, last), last.value),
        cagr: cagr(input.start, last),
        volatility: std_dev(&returns).map(|sd| sd * SESSIONS_PER_YEAR.sqrt()),
        sharpe: sharpe(&returns, input.risk_free_rate),
        sortino: sortino(&returns, input.risk_free_rate),
        max_drawdown: drawdown.depth,
        max_drawdown_peak: drawdown.peak,
        max_drawdown_trough: drawdown.trough,
        current_drawdown: current_drawdown(&series),
        turnover: mean(&input.closes.iter().map(|p| f(p.value)).collect::<Vec<_>>())
            .filter(|avg| *avg != 0.0)
            .map(|avg| f(traded) / avg),
        exposure: exposure(input.holdings, last.value),
        realized_pnl: Money::new(book.realized - fees),
        unrealized_pnl: unrealized(input.holdings, &book.lots).map(Money::new),
        fees: Money::new(fees),
        win_rate: (book.round_trips > 0)
            .then(|| f64::from(book.wins) / f64::from(book.round_trips)),
        round_trips: book.round_trips,
        benchmark,
        excess_return,
    }
}

/// The month-to-date base: the last close of an earlier month in the series, else
/// `month_base`, else the start.
fn month_base(input: &Input, series: &[Point], last: Point) -> Decimal {
    let month = (last.date.year(), last.date.month());
    series
        .iter()
        .rev()
        .find(|p| (p.date.year(), p.date.month()) < month)
        .map(|p| p.value)
        .or(input.month_base)
        .unwrap_or(input.start.value)
}

fn mean(xs: &[f64]) -> Option<f64> {
    (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64)
}

/// Sample standard deviation (n − 1), for two values or more.
fn std_dev(xs: &[f64]) -> Option<f64> {
    if xs.len() < 2 {
        return None;
    }
    let m = mean(xs)?;
    let var = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (xs.len() - 1) as f64;
    Some(var.sqrt())
}

fn sharpe(returns: &[f64], risk_free_rate: f64) -> Option<f64> {
    let rf = risk_free_rate / SESSIONS_PER_YEAR;
    let sd = std_dev(returns).filter(|sd| *sd > 0.0)?;
    Some((mean(returns)? - rf) / sd * SESSIONS_PER_YEAR.sqrt())
}

/// Downside deviation: the root mean square of returns below the risk-free rate (zero for
/// the others), over every session.
fn sortino(returns: &[f64], risk_free_rate: f64) -> Option<f64> {
    if returns.len() < 2 {
        return None;
    }
    let rf = risk_free_rate / SESSIONS_PER_YEAR;
    let downside = (returns
        .iter()
        .map(|r| (r - rf).min(0.0).powi(2))
        .sum::<f64>()
        / returns.len() as f64)
        .sqrt();
    (downside > 0.0)
        .then(|| (mean(returns).unwrap_or(0.0) - rf) / downside * SESSIONS_PER_YEAR.sqrt())
}

/// Growth per year, compounded, over a period of at least 365 calendar days.
fn cagr(start: Point, last: Point) -> Option<f64> {
    let days = (last.date - start.date).num_days();
    if days < 365 || start.value <= Decimal::ZERO || last.value < Decimal::ZERO {
        return None;
    }
    Some((f(last.value) / f(start.value)).powf(365.25 / days as f64) - 1.0)
}

/// The deepest fall from a running peak, with the dates of that peak and its trough.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Drawdown {
    depth: f64,
    peak: Option<NaiveDate>,
    trough: Option<NaiveDate>,
}

fn max_drawdown(series: &[Point]) -> Drawdown {
    let mut worst = Drawdown {
        depth: 0.0,
        peak: None,
        trough: None,
    };
    let mut peak = series[0];
    for p in series {
        if p.value > peak.value {
            peak = *p;
        }
        if let Some(dd) = period_return(peak.value, p.value)
            && dd < worst.depth
        {
            worst = Drawdown {
                depth: dd,
                peak: Some(peak.date),
                trough: Some(p.date),
            };
        }
    }
    worst
}

fn current_drawdown(series: &[Point]) -> f64 {
    drawdowns(series).last().copied().unwrap_or(0.0)
}

/// Each close against the running peak up to it (≤ 0), the start included: the drawdown
/// panel's line.
pub fn drawdowns(series: &[Point]) -> Vec<f64> {
    let mut peak = Decimal::MIN;
    series
        .iter()
        .map(|p| {
            peak = peak.max(p.value);
            period_return(peak, p.value).unwrap_or(0.0).min(0.0)
        })
        .collect()
}

fn exposure(holdings: &[Holding], equity: Decimal) -> Option<f64> {
    let gross: Option<Decimal> = holdings
        .iter()
        .map(|h| h.market_value.map(|v| v.abs()))
        .sum();
    (!equity.is_zero()).then_some(())?;
    gross.map(|g| f(g) / f(equity))
}

fn unrealized(holdings: &[Holding], lots: &BTreeMap<Symbol, Lot>) -> Option<Decimal> {
    holdings
        .iter()
        .map(|h| {
            let lot = lots.get(&h.symbol).filter(|l| l.qty == h.qty)?;
            Some(h.market_value? - h.qty * lot.cost)
        })
        .sum()
}

/// The benchmark's return from the bar of the start's session to the bar of the last.
fn benchmark(b: Benchmark, start: Point, last: Point) -> BenchmarkStats {
    let on = |date: NaiveDate| b.closes.iter().find(|p| p.date == date).map(|p| p.value);
    let (from, to) = (on(start.date), on(last.date));
    let missing: Vec<String> = [(start.date, from), (last.date, to)]
        .iter()
        .filter(|(_, v)| v.is_none())
        .map(|(d, _)| d.to_string())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    BenchmarkStats {
        symbol: b.symbol.clone(),
        total_return: from.zip(to).and_then(|(a, z)| period_return(a, z)),
        missing: (!missing.is_empty())
            .then(|| format!("{} has no bar for {}", b.symbol, missing.join(" and "))),
    }
}

/// The benchmark's closes on each date of `series`, scaled so that it starts at the series'
/// first value (for drawing both on one axis); `None` where it has no bar, or without a bar at
/// the start.
pub fn benchmark_scaled(series: &[Point], benchmark: &[Point]) -> Vec<Option<Decimal>> {
    let by_date: BTreeMap<NaiveDate, Decimal> =
        benchmark.iter().map(|p| (p.date, p.value)).collect();
    let base = series
        .first()
        .and_then(|s| by_date.get(&s.date).map(|b| (s.value, *b)))
        .filter(|(_, b)| !b.is_zero());
    series
        .iter()
        .map(|p| {
            let (start, b0) = base?;
            by_date.get(&p.date).map(|b| start * *b / b0)
        })
        .collect()
}

/// One position's share of equity beside the strategy's target.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Allocation {
    /// Ticker.
    pub symbol: Symbol,
    /// Market value over equity; `None` without a price.
    #[serde(serialize_with = "fraction")]
    pub weight: Option<f64>,
    /// What the strategy wants; `None` when it has no view of the symbol.
    #[serde(serialize_with = "fraction")]
    pub target_weight: Option<f64>,
}

/// Each position's weight of `equity`, and each target without a position, by symbol.
pub fn allocation(
    holdings: &[Holding],
    equity: Decimal,
    targets: &BTreeMap<Symbol, Decimal>,
) -> Vec<Allocation> {
    let mut out: BTreeMap<Symbol, Allocation> = BTreeMap::new();
    for h in holdings {
        out.insert(
            h.symbol.clone(),
            Allocation {
                symbol: h.symbol.clone(),
                weight: h
                    .market_value
                    .and_then(|v| (!equity.is_zero()).then(|| f(v) / f(equity))),
                target_weight: targets.get(&h.symbol).map(|w| f(*w)),
            },
        );
    }
    for (symbol, w) in targets.iter().filter(|(_, w)| !w.is_zero()) {
        out.entry(symbol.clone()).or_insert_with(|| Allocation {
            symbol: symbol.clone(),
            weight: Some(0.0),
            target_weight: Some(f(*w)),
        });
    }
    out.into_values().collect()
}

#[cfg(test)]
mod tests;
