//! Strategies: stored daily closes and parameters in, target weights per symbol out (pure).
//!
//! A new strategy is one new file implementing `Strategy` plus its name in `strategies!` below.

use std::collections::BTreeMap;
use std::fmt;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::config::StrategySettings;
use crate::types::{Money, SessionDate, Symbol};

/// Registers the built-in strategies: each `name` is a module here with a `build` function.
macro_rules! strategies {
    ($($name:ident),* $(,)?) => {
        $(mod $name;)*

        /// The names `strategy.name` may take.
        pub const NAMES: &[&str] = &[$(stringify!($name)),*];

        /// The strategy `settings.name` names, with its parameters checked.
        pub fn build(settings: &StrategySettings) -> Result<Box<dyn Strategy>, String> {
            match settings.name.as_str() {
                $(stringify!($name) => $name::build(settings),)*
                other => Err(format!("unknown strategy {other:?}; choose one of {NAMES:?}")),
            }
        }
    };
}

strategies!(trend, fixed);

/// One session's close.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Close {
    /// The session.
    pub date: SessionDate,
    /// Its closing price.
    pub price: Money,
}

/// Closes per symbol, oldest first.
pub type History = BTreeMap<Symbol, Vec<Close>>;

/// The weight a strategy wants for one symbol, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Target {
    /// Ticker.
    pub symbol: Symbol,
    /// Fraction of equity, 0 to 1.
    pub weight: Decimal,
    /// A short reason, shown with the order.
    pub reason: String,
}

/// Why a universe symbol gets no target: it is left alone (no order), and the plan says why.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// Fewer stored closes than the strategy needs.
    InsufficientHistory,
    /// A close move beyond `risk.max_price_move` that Alpaca's current series does not confirm
    /// (a split or correction the store has not caught up with).
    HistoryInconsistent,
    /// The last stored bar is not the previous session's.
    HistoryStale,
    /// A session is missing inside the lookback window.
    HistoryGap,
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = serde_json::to_value(self).ok();
        f.write_str(name.as_ref().and_then(|v| v.as_str()).unwrap_or("skipped"))
    }
}

/// A universe symbol left alone, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// Ticker.
    pub symbol: Symbol,
    /// The named reason.
    pub reason: SkipReason,
    /// The facts behind it.
    pub detail: String,
}

impl fmt::Display for Skipped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}: {}; left alone",
            self.symbol, self.reason, self.detail
        )
    }
}

/// What a strategy decided.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Targets {
    /// A target for each universe symbol it could judge (weight 0 for those it does not want).
    pub targets: Vec<Target>,
    /// The symbols it could not judge, and why: they get no target and are left alone.
    pub skipped: Vec<Skipped>,
}

/// A way to choose target weights.
pub trait Strategy {
    /// Its name in `aurora.toml`.
    fn name(&self) -> &'static str;

    /// Targets for the universe; the weights sum to at most 1, the rest being cash. A symbol it
    /// cannot judge (too little history) is skipped with its reason, never silently.
    fn targets(&self, universe: &[Symbol], history: &History) -> Targets;
}

/// The strategy's targets for the universe less the symbols already `skipped` (whose history
/// failed its check); those come first among the skipped, then any the strategy could not judge.
pub fn targets_except(
    strategy: &dyn Strategy,
    universe: &[Symbol],
    history: &History,
    mut skipped: Vec<Skipped>,
) -> Targets {
    let judged: Vec<Symbol> = universe
        .iter()
        .filter(|s| !skipped.iter().any(|k| &k.symbol == *s))
        .cloned()
        .collect();
    let mut targets = strategy.targets(&judged, history);
    skipped.append(&mut targets.skipped);
    targets.skipped = skipped;
    targets
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_already_skipped_get_no_target_and_keep_their_reason() {
        let settings = StrategySettings {
            lookback: 2,
            ..StrategySettings::default()
        };
        let trend = build(&settings).unwrap();
        let sym = |s: &str| -> Symbol { s.parse().unwrap() };
        let closes = |p: &[i64]| -> Vec<Close> {
            p.iter()
                .enumerate()
                .map(|(i, p)| Close {
                    date: SessionDate::new(
                        chrono::NaiveDate::from_ymd_opt(2026, 11, 2 + i as u32).unwrap(),
                    ),
                    price: Money::new(Decimal::from(*p)),
                })
                .collect()
        };
        let history = History::from([
            (sym("SPY"), closes(&[10, 50])),
            (sym("TLT"), closes(&[10, 11])),
            (sym("GLD"), closes(&[10])),
        ]);
        let stale = Skipped {
            symbol: sym("SPY"),
            reason: SkipReason::HistoryInconsistent,
            detail: "a split".into(),
        };
        let universe = [sym("SPY"), sym("TLT"), sym("GLD")];
        let t = targets_except(trend.as_ref(), &universe, &history, vec![stale.clone()]);
        let judged: Vec<&str> = t.targets.iter().map(|t| t.symbol.as_str()).collect();
        assert_eq!(
            judged,
            ["TLT"],
            "SPY skipped by the check, GLD by the strategy"
        );
        let reasons: Vec<(&str, SkipReason)> = t
            .skipped
            .iter()
            .map(|s| (s.symbol.as_str(), s.reason))
            .collect();
        assert_eq!(
            reasons,
            [
                ("SPY", SkipReason::HistoryInconsistent),
                ("GLD", SkipReason::InsufficientHistory)
            ]
        );
        assert_eq!(t.skipped[0], stale);
    }

    #[test]
    fn registry_builds_known_strategies_and_names_unknown_ones() {
        let mut s = StrategySettings::default();
        assert_eq!(build(&s).unwrap().name(), "trend");
        s.name = "magic".into();
        let err = build(&s).err().unwrap();
        assert!(err.contains("\"magic\"") && err.contains("trend"), "{err}");
    }
}
