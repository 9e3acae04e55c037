//! What happened to each planned order, and whether positions are what Aurora expects (pure).

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::alpaca::models::{FillActivity, Order, OrderStatus};
use crate::plan::{PlannedOrder, Side};
use crate::store::{OrderRecord, OrderState};
use crate::types::{ClientOrderId, Money, Symbol};

/// The end state of a planned order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fate {
    /// Completely filled.
    Filled,
    /// Partly filled.
    PartiallyFilled,
    /// Accepted, nothing filled, still open.
    Unfilled,
    /// Canceled.
    Canceled,
    /// Expired (a day order at the close).
    Expired,
    /// Refused by Alpaca.
    Rejected,
    /// Never sent (blocked, dropped, or the run stopped first).
    NotSent,
}

/// One planned order's outcome.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OrderOutcome {
    /// Aurora's id.
    pub client_order_id: ClientOrderId,
    /// The plan revision it belongs to (0, then one more per `--replan`).
    pub revision: u32,
    /// Ticker.
    pub symbol: Symbol,
    /// `buy` / `sell`.
    pub side: Side,
    /// Shares planned (`None` for a notional order).
    pub planned_qty: Option<Decimal>,
    /// Dollars planned (notional orders).
    pub planned_notional: Option<Money>,
    /// What became of it.
    pub fate: Fate,
    /// Alpaca's status word.
    pub alpaca_status: Option<String>,
    /// Shares filled.
    pub filled_qty: Decimal,
    /// Average fill price.
    pub filled_avg_price: Option<Money>,
    /// The price it was planned at.
    pub reference_price: Money,
    /// Fill against reference in basis points, signed so that positive costs money.
    pub slippage_bps: Option<Decimal>,
    /// Alpaca's reason, for a rejection.
    pub reason: Option<String>,
    /// Still working at Alpaca after the close.
    pub open: bool,
}

/// The outcome of each order of one plan revision, from the stored state and Alpaca's order.
pub fn outcomes(
    revision: u32,
    planned: &[PlannedOrder],
    records: &[OrderRecord],
    alpaca: &BTreeMap<String, Order>,
) -> Vec<OrderOutcome> {
    planned
        .iter()
        .zip(records)
        .map(|(p, r)| {
            let order = alpaca.get(p.client_order_id.as_str());
            let fate = match (r.state, order.map(|o| o.status)) {
                (OrderState::Rejected, _) | (_, Some(OrderStatus::Rejected)) => Fate::Rejected,
                (_, Some(OrderStatus::Filled)) => Fate::Filled,
                (_, Some(OrderStatus::PartiallyFilled)) => Fate::PartiallyFilled,
                (_, Some(OrderStatus::Canceled | OrderStatus::Replaced)) if filled(order) => {
                    Fate::PartiallyFilled
                }
                (_, Some(OrderStatus::Expired | OrderStatus::DoneForDay)) if filled(order) => {
                    Fate::PartiallyFilled
                }
                (_, Some(OrderStatus::Canceled | OrderStatus::Replaced)) => Fate::Canceled,
                (_, Some(OrderStatus::Expired | OrderStatus::DoneForDay)) => Fate::Expired,
                (_, Some(_)) => Fate::Unfilled,
                (OrderState::Canceled, None) => Fate::Canceled,
                (_, None) => Fate::NotSent,
            };
            let filled_qty = order.map_or(Decimal::ZERO, |o| o.filled_qty);
            let avg = order.and_then(|o| o.filled_avg_price);
            let slippage_bps = avg.filter(|_| !filled_qty.is_zero()).map(|fill| {
                let reference = p.reference_price.amount();
                let diff = match p.side {
                    Side::Buy => fill - reference,
                    Side::Sell => reference - fill,
                };
                (diff / reference * Decimal::from(10_000)).round_dp(1)
            });
            let (planned_qty, planned_notional) = p.size.split();
            OrderOutcome {
                client_order_id: p.client_order_id.clone(),
                revision,
                symbol: p.symbol.clone(),
                side: p.side,
                planned_qty,
                planned_notional,
                fate,
                alpaca_status: order
                    .map(|o| o.status.as_str().to_owned())
                    .or_else(|| r.alpaca_status.clone()),
                filled_qty,
                filled_avg_price: avg.map(Money::new),
                reference_price: p.reference_price,
                slippage_bps,
                reason: (fate == Fate::Rejected)
                    .then(|| r.message.clone())
                    .flatten(),
                open: matches!(fate, Fate::Unfilled | Fate::PartiallyFilled)
                    && order.is_some_and(|o| {
                        !matches!(
                            o.status,
                            OrderStatus::Canceled | OrderStatus::Expired | OrderStatus::Filled
                        )
                    }),
            }
        })
        .collect()
}

fn filled(order: Option<&Order>) -> bool {
    order.is_some_and(|o| o.filled_qty > Decimal::ZERO)
}

/// Positions at an earlier close: today's less every execution since (Aurora's or not).
pub fn positions_at(
    current: &BTreeMap<Symbol, Decimal>,
    later: &[&FillActivity],
) -> BTreeMap<Symbol, Decimal> {
    let mut at = current.clone();
    for f in later {
        *at.entry(f.symbol.clone()).or_default() -= f.signed_qty();
    }
    at.retain(|_, q| !q.is_zero());
    at
}

/// Cash at an earlier close: today's with every later execution undone.
pub fn cash_at(current: Money, later: &[&FillActivity]) -> Money {
    let spent: Decimal = later.iter().map(|f| f.signed_qty() * f.price).sum();
    Money::new(current.amount() + spent)
}

/// A position that differs from what Aurora expects.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Discrepancy {
    /// Ticker.
    pub symbol: Symbol,
    /// Shares Aurora expects: the last snapshot plus its own fills today.
    pub expected: Decimal,
    /// Shares Alpaca holds.
    pub actual: Decimal,
}

/// Expected positions (the previous snapshot plus Aurora's fills in the session) against what
/// Alpaca held at its close.
pub fn discrepancies(
    baseline: &BTreeMap<Symbol, Decimal>,
    our_fills: &[&FillActivity],
    actual: &BTreeMap<Symbol, Decimal>,
) -> (BTreeMap<Symbol, Decimal>, Vec<Discrepancy>) {
    let mut expected = baseline.clone();
    for f in our_fills {
        *expected.entry(f.symbol.clone()).or_default() += f.signed_qty();
    }
    expected.retain(|_, q| !q.is_zero());
    let symbols: BTreeSet<&Symbol> = expected.keys().chain(actual.keys()).collect();
    let found = symbols
        .into_iter()
        .filter_map(|s| {
            let e = expected.get(s).copied().unwrap_or_default();
            let a = actual.get(s).copied().unwrap_or_default();
            (e != a).then(|| Discrepancy {
                symbol: s.clone(),
                expected: e.normalize(),
                actual: a.normalize(),
            })
        })
        .collect();
    (expected, found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill(symbol: &str, side: &str, qty: &str) -> FillActivity {
        FillActivity {
            id: format!("{symbol}{side}{qty}"),
            transaction_time: "2026-11-30T14:30:00Z".parse().unwrap(),
            fill_type: "fill".into(),
            price: "100".parse().unwrap(),
            qty: qty.parse().unwrap(),
            side: side.into(),
            symbol: symbol.parse().unwrap(),
            order_id: "o".into(),
        }
    }

    fn held(positions: &[(&str, &str)]) -> BTreeMap<Symbol, Decimal> {
        positions
            .iter()
            .map(|(s, q)| (s.parse().unwrap(), q.parse().unwrap()))
            .collect()
    }

    #[test]
    fn positions_and_cash_at_an_earlier_close_undo_what_came_after() {
        let now = BTreeMap::from([
            ("SPY".parse().unwrap(), Decimal::from(15)),
            ("TLT".parse().unwrap(), Decimal::from(10)),
        ]);
        let later = [fill("SPY", "buy", "5"), fill("GLD", "sell", "3")];
        let refs: Vec<&FillActivity> = later.iter().collect();
        let then = positions_at(&now, &refs);
        assert_eq!(then.get(&"SPY".parse().unwrap()), Some(&Decimal::from(10)));
        assert_eq!(then.get(&"GLD".parse().unwrap()), Some(&Decimal::from(3)));
        assert_eq!(then.len(), 3);
        // The buy of 5 at 100 cost $500, the sale of 3 brought $300: $200 more cash before.
        assert_eq!(
            cash_at(Money::new(Decimal::from(1000)), &refs),
            Money::new(Decimal::from(1200))
        );
    }

    #[test]
    fn expected_is_the_baseline_plus_todays_fills() {
        let baseline = BTreeMap::from([("TLT".parse().unwrap(), Decimal::from(10))]);
        let fills = [fill("SPY", "buy", "5"), fill("TLT", "sell", "10")];
        let refs: Vec<&FillActivity> = fills.iter().collect();
        let (expected, none) = discrepancies(&baseline, &refs, &held(&[("SPY", "5")]));
        assert!(none.is_empty(), "{none:?}");
        assert_eq!(expected.len(), 1);
        let (_, found) = discrepancies(&baseline, &refs, &held(&[("SPY", "7"), ("GLD", "1")]));
        assert_eq!(
            found,
            [
                Discrepancy {
                    symbol: "GLD".parse().unwrap(),
                    expected: Decimal::ZERO,
                    actual: Decimal::ONE
                },
                Discrepancy {
                    symbol: "SPY".parse().unwrap(),
                    expected: Decimal::from(5),
                    actual: Decimal::from(7)
                },
            ]
        );
    }
}
