//! Strategies: stored daily closes and parameters in, target weights per symbol out (pure).
//!
//! A new strategy is one new file implementing `Strategy` plus its name in `strategies!` below.

use std::collections::BTreeMap;

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

/// A way to choose target weights.
pub trait Strategy {
    /// Its name in `aurora.toml`.
    fn name(&self) -> &'static str;

    /// A target for each universe symbol it can judge (weight 0 for those it does not want);
    /// a symbol it cannot judge (too little history) gets none and is left alone. The weights
    /// sum to at most 1, the rest being cash.
    fn targets(&self, universe: &[Symbol], history: &History) -> Vec<Target>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_builds_known_strategies_and_names_unknown_ones() {
        let mut s = StrategySettings::default();
        assert_eq!(build(&s).unwrap().name(), "trend");
        s.name = "magic".into();
        let err = build(&s).err().unwrap();
        assert!(err.contains("\"magic\"") && err.contains("trend"), "{err}");
    }
}
