//! Which price each order is sized at, and which close the price-move guard compares it with
//! (pure).

use std::collections::BTreeMap;

use crate::strategy::History;
use crate::types::{Money, Symbol};

/// Reference prices and the closes they are checked against.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReferencePrices {
    /// The price each order is sized at.
    pub reference: BTreeMap<Symbol, Money>,
    /// The close before it (`risk.max_price_move` compares the two).
    pub previous_close: BTreeMap<Symbol, Money>,
}

/// While the market is open (`live` given), the latest trade, checked against the last close;
/// before the open, the last close, checked against the close before it, so that a bad last bar
/// is caught before it sizes an order. A symbol without a live price keeps its last close.
pub fn reference_prices(
    history: &History,
    live: Option<&BTreeMap<Symbol, Money>>,
) -> ReferencePrices {
    let mut out = ReferencePrices::default();
    for (symbol, closes) in history {
        let Some(last) = closes.last() else {
            continue;
        };
        let before_last = closes.len().checked_sub(2).map(|i| closes[i].price);
        match live {
            Some(live) => {
                let price = live.get(symbol).copied().unwrap_or(last.price);
                out.reference.insert(symbol.clone(), price);
                out.previous_close.insert(symbol.clone(), last.price);
            }
            None => {
                out.reference.insert(symbol.clone(), last.price);
                if let Some(before) = before_last {
                    out.previous_close.insert(symbol.clone(), before);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::*;
    use crate::strategy::Close;

    fn m(n: i64) -> Money {
        Money::new(Decimal::from(n))
    }

    fn history() -> History {
        let spy: Symbol = "SPY".parse().unwrap();
        let tlt: Symbol = "TLT".parse().unwrap();
        let close = |date: &str, n| Close {
            date: date.parse().unwrap(),
            price: m(n),
        };
        History::from([
            (
                spy,
                vec![close("2026-11-25", 100), close("2026-11-27", 150)],
            ),
            (tlt, vec![close("2026-11-27", 90)]),
        ])
    }

    #[test]
    fn before_the_open_the_last_close_checked_against_the_one_before() {
        let p = reference_prices(&history(), None);
        let spy: Symbol = "SPY".parse().unwrap();
        let tlt: Symbol = "TLT".parse().unwrap();
        assert_eq!(p.reference[&spy], m(150));
        assert_eq!(p.previous_close[&spy], m(100));
        assert_eq!(p.reference[&tlt], m(90));
        assert!(
            !p.previous_close.contains_key(&tlt),
            "one close: nothing to check against"
        );
    }

    #[test]
    fn while_open_the_latest_trade_checked_against_the_last_close() {
        let spy: Symbol = "SPY".parse().unwrap();
        let tlt: Symbol = "TLT".parse().unwrap();
        let live = BTreeMap::from([(spy.clone(), m(152))]);
        let p = reference_prices(&history(), Some(&live));
        assert_eq!(p.reference[&spy], m(152));
        assert_eq!(p.previous_close[&spy], m(150));
        assert_eq!(p.reference[&tlt], m(90), "no live price: the last close");
        assert_eq!(p.previous_close[&tlt], m(90));
    }
}
