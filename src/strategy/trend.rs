//! `trend`: equal weight across symbols closing above their simple moving average.

use rust_decimal::Decimal;

use super::{History, SkipReason, Skipped, Strategy, Target, Targets};
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

    fn targets(&self, universe: &[Symbol], history: &History) -> Targets {
        // Too little history is no reason to sell: such a symbol is skipped and left alone.
        let mut skipped = Vec::new();
        let verdicts: Vec<(Symbol, Option<String>, String)> = universe
            .iter()
            .filter_map(|symbol| {
                let closes = history.get(symbol).map(Vec::as_slice).unwrap_or_default();
                if closes.len() < self.lookback {
                    skipped.push(Skipped {
                        symbol: symbol.clone(),
                        reason: SkipReason::InsufficientHistory,
                        detail: format!(
                            "{} stored closes; the {}-session moving average needs {}",
                            closes.len(),
                            self.lookback,
                            self.lookback
                        ),
                    });
                    return None;
                }
                Some((symbol, closes))
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
        let targets = verdicts
            .into_iter()
            .map(|(symbol, above, below)| match above {
                Some(reason) => Target { symbol, weight: each, reason },
                None => Target { symbol, weight: Decimal::ZERO, reason: below },
            })
            .collect();
        Targets { targets, skipped }
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
        // Distinct closes, more of them than the window: a window one too long, one too short,
        // the first three or the whole series gives another average, and for SPY (too long,
        // first three, whole) or TLT (too short) another verdict.
        let h = history(&[
            ("SPY", vec![9, 20, 14, 11, 13]),
            ("TLT", vec![30, 23, 24, 21, 22]),
            ("GLD", vec![8, 4, 5, 6, 7]),
            ("IWM", vec![3, 4]),
        ]);
        let universe: Vec<Symbol> = ["GLD", "SPY", "TLT", "IWM", "EFA"].iter().map(|s| s.parse().unwrap()).collect();
        let t = trend(3).targets(&universe, &h);
        let w: Vec<(String, String)> = t.targets.iter().map(|t| (t.symbol.to_string(), t.weight.to_string())).collect();
        assert_eq!(w, [("GLD".into(), "0.475".into()), ("SPY".into(), "0.475".into()), ("TLT".into(), "0".into())]);
        assert_eq!(t.targets[0].reason, "close $7.00 above 3-session SMA $6.00");
        assert_eq!(t.targets[1].reason, "close $13.00 above 3-session SMA $12.67");
        assert_eq!(t.targets[2].reason, "close $22.00 not above 3-session SMA $22.33");
    }

    #[test]
    fn too_little_history_is_skipped_with_its_reason() {
        let h = history(&[("SPY", vec![10, 11, 12]), ("IWM", vec![3, 4])]);
        let universe: Vec<Symbol> = ["SPY", "IWM", "EFA"].iter().map(|s| s.parse().unwrap()).collect();
        let t = trend(3).targets(&universe, &h);
        assert_eq!(t.targets.len(), 1, "only SPY can be judged");
        let lines: Vec<String> = t.skipped.iter().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            [
                "IWM: insufficient_history: 2 stored closes; the 3-session moving average needs 3; left alone",
                "EFA: insufficient_history: 0 stored closes; the 3-session moving average needs 3; left alone",
            ]
        );
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
            let Targets { targets, skipped } = s.targets(&universe, &h);
            prop_assert!(targets.len() + skipped.len() == universe.len(), "every symbol judged or skipped");
            let sum: Decimal = targets.iter().map(|t| t.weight).sum();
            prop_assert!(sum <= Decimal::ONE - s.cash_buffer, "{sum}");
            prop_assert!(targets.iter().all(|t| t.weight >= Decimal::ZERO));
                    }
    }
}
