//! `fixed`: static target weights from `strategy.weights` (a 60/40-style rebalancer).

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::{History, Strategy, Target, Targets};
use crate::config::StrategySettings;
use crate::types::Symbol;

/// The configured weights, whatever the prices.
#[derive(Debug)]
pub struct Fixed {
    weights: BTreeMap<Symbol, Decimal>,
}

/// Builds it from `[strategy]`: weights present, each 0 to 1, summing to at most 1.
pub fn build(s: &StrategySettings) -> Result<Box<dyn Strategy>, String> {
    if s.weights.is_empty() {
        return Err("fixed needs strategy.weights, e.g. { SPY = 0.6, TLT = 0.4 }".into());
    }
    if let Some((sym, w)) = s.weights.iter().find(|(_, w)| **w < Decimal::ZERO || **w > Decimal::ONE) {
        return Err(format!("weight of {sym} must be between 0 and 1, not {w}"));
    }
    let total: Decimal = s.weights.values().sum();
    if total > Decimal::ONE {
        return Err(format!("weights must sum to at most 1, not {total}"));
    }
    Ok(Box::new(Fixed { weights: s.weights.clone() }))
}

impl Strategy for Fixed {
    fn name(&self) -> &'static str {
        "fixed"
    }

    fn targets(&self, universe: &[Symbol], _history: &History) -> Targets {
        let targets = universe
            .iter()
            .map(|symbol| match self.weights.get(symbol) {
                Some(w) => Target { symbol: symbol.clone(), weight: *w, reason: format!("fixed weight {w}") },
                None => Target { symbol: symbol.clone(), weight: Decimal::ZERO, reason: "no fixed weight".into() },
            })
            .collect();
        Targets { targets, skipped: Vec::new() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uses_configured_weights_and_checks_them() {
        let mut s = StrategySettings { name: "fixed".into(), ..StrategySettings::default() };
        assert!(build(&s).err().unwrap().contains("needs strategy.weights"));
        s.weights = [("SPY", "0.7"), ("TLT", "0.4")].iter().map(|(k, v)| (k.parse().unwrap(), v.parse().unwrap())).collect();
        assert!(build(&s).err().unwrap().contains("sum to at most 1, not 1.1"));
        s.weights.insert("TLT".parse().unwrap(), "0.3".parse().unwrap());
        let universe: Vec<Symbol> = ["SPY", "TLT", "GLD"].iter().map(|s| s.parse().unwrap()).collect();
        let t = build(&s).unwrap().targets(&universe, &History::new()).targets;
        let w: Vec<String> = t.iter().map(|t| t.weight.to_string()).collect();
        assert_eq!(w, ["0.7", "0.3", "0"]);
    }
}
