//! `trend`: equal weight across symbols closing above their simple moving average.

use rust_decimal::Decimal;

use super::{History, Strategy, Target};
use crate::config::StrategySettings;
use crate::types::{Money, Symbol};

/// Above the `lookback`-session SMA: held, equally weighted; below: cash. A `cash_buffer`
/// fraction of equity always stays in cash.
#[derive(Debug)]
pub struct Trend {
    lookback: usize,
    cash_buffer: Decimal,
}

/// Builds it from `[strategy]`.
pub fn build(s: &StrategySettings) -> Result<Box<dyn Strategy>, String> {
    if s.lookback == 0 {
        return Err("trend needs strategy.lookback of at least 1".into());
    }
    if !s.weights.is_empty() {
        // Silently ignoring them would trade something other than what the file says.
        return Err(
            "trend takes no strategy.weights (they are for name = \"fixed\"); remove them".into(),
        );
    }
    Ok(Box::new(Trend {
        lookback: s.lookback as usize,
        cash_buffer: s.cash_buffer,
    }))
}

impl Strategy for Trend {
    fn name(&self) -> &'static str {
        "trend"
    }

    fn targets(&self, universe: &[Symbol], history: &History) -> Vec<Target> {
        // Too little history is no reason to sell: such a symbol gets no target and is left alone.
        let verdicts: Vec<(Symbol, Option<String>, String)> = universe
            .iter()
            .filter_map(|symbol| {
                let closes = history.get(symbol).map(Vec::as_slice).unwrap_or_default();
                (closes.len() >= self.lookback).then_some((symbol, closes))
            })
            .map(|(symbol, closes)| {
                let window = &closes[closes.len() - self.lookback..];
                let sum: Decimal = window.iter().map(|c| c.price.amount()).sum();
                let sma = Money::new((sum / Decimal::from(self.lookback)).round_dp(4));
                let last = window[window.len() - 1].price;
                if last > sma {
                    let why = format!("close {last} above {}-session SMA {sma}", self.lookback);
                    (symbol.clone(), Some(why), String::new())
                } else {
                    let why = format!("close {last} not above {}-session SMA {sma}", self.lookback);
                    (symbol.clone(), None, why)
                }
            })
            .collect();
        let held = verdicts.iter().filter(|v| v.1.is_some()).count();
        let each = if held == 0 {
            Decimal::ZERO
        } else {
            ((Decimal::ONE - self.cash_buffer) / Decimal::from(held)).round_dp_with_strategy(6, rust_decimal::RoundingStrategy::ToZero)
                .normalize()
        };
        verdicts
            .into_iter()
            .map(|(symbol, above, below)| match above {
                Some(reason) => Target { symbol, weight: each, reason },
                None => Target { symbol, weight: Decimal::ZERO, reason: below },
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategy::Close;
    use chrono::{Days, NaiveDate};
    use proptest::prelude::{prop, prop_assert, proptest};

    fn history(series: &[(&str, Vec<i64>)]) -> History {
        let day0 = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
        series
            .iter()
            .map(|(s, prices)| {
                let closes = prices
                    .iter()
                    .enumerate()
                    .map(|(i, p)| Close {
                        date: day0.checked_add_days(Days::new(i as u64)).unwrap().into(),
                        price: Money::new(Decimal::from(*p)),
                    })
                    .collect();
                (s.parse().unwrap(), closes)
            })
            .collect()
    }

    fn trend(lookback: usize) -> Trend {
        Trend { lookback, cash_buffer: Decimal::new(5, 2) }
    }

    #[test]
    fn holds_symbols_above_their_average_equally() {
        let h = history(&[("SPY", vec![10, 11, 12]), ("TLT", vec![12, 11, 10]), ("GLD", vec![5, 5, 6])]);
        let universe: Vec<Symbol> = ["GLD", "SPY", "TLT", "IWM"].iter().map(|s| s.parse().unwrap()).collect();
        let t = trend(3).targets(&universe, &h);
        let w: Vec<String> = t.iter().map(|t| t.weight.to_string()).collect();
        assert_eq!(w, ["0.475", "0.475", "0"], "IWM has no history: no target, left alone");
        assert!(t[0].reason.contains("above 3-session SMA"), "{}", t[0].reason);
        assert!(t[2].reason.contains("not above"), "{}", t[2].reason);
    }

    proptest! {
        #[test]
        fn weights_sum_to_at_most_one(
            series in prop::collection::vec(prop::collection::vec(1i64..1000, 0..30), 1..12),
            lookback in 1usize..20,
            buffer in 0u32..=100,
        ) {
            let names: Vec<String> = (0..series.len()).map(|i| format!("S{}", char::from(b'A' + i as u8))).collect();
            let h = history(&names.iter().map(String::as_str).zip(series).collect::<Vec<_>>());
            let universe: Vec<Symbol> = names.iter().map(|s| s.parse().unwrap()).collect();
            let s = Trend { lookback, cash_buffer: Decimal::new(i64::from(buffer), 2) };
            let targets = s.targets(&universe, &h);
            let sum: Decimal = targets.iter().map(|t| t.weight).sum();
            prop_assert!(sum <= Decimal::ONE - s.cash_buffer, "{sum}");
            prop_assert!(targets.iter().all(|t| t.weight >= Decimal::ZERO));
            prop_assert!(targets.len() <= universe.len());
        }
    }
}
