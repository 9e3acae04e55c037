//! The plan: targets + account + positions + reference prices → orders (pure), and the risk
//! checks every plan must pass (`risk`).

pub mod risk;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::OrderSettings;
use crate::strategy::Target;
use crate::types::{ClientOrderId, Money, SessionDate, Symbol};

/// Buy or sell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// Buy.
    Buy,
    /// Sell.
    Sell,
}

impl Side {
    /// `buy` or `sell`.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Buy => "buy",
            Side::Sell => "sell",
        }
    }
}

/// How big an order is: whole (or fractional) shares, or dollars.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Size {
    /// Shares.
    Qty(Decimal),
    /// Dollars (fractional orders).
    Notional(Money),
}

impl Size {
    /// `(qty, notional)`: exactly one is `Some`, as Alpaca's order body wants.
    pub fn split(self) -> (Option<Decimal>, Option<Money>) {
        match self {
            Size::Qty(q) => (Some(q), None),
            Size::Notional(n) => (None, Some(n)),
        }
    }
}

/// One order the plan wants.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedOrder {
    /// Ticker.
    pub symbol: Symbol,
    /// Buy or sell.
    pub side: Side,
    /// Shares or dollars.
    pub size: Size,
    /// The price it was sized at.
    pub reference_price: Money,
    /// Size × reference price.
    pub estimated_value: Money,
    /// Why (the strategy's reason and the weights).
    pub reason: String,
    /// Deterministic id: session, strategy, symbol, side and plan hash.
    pub client_order_id: ClientOrderId,
}

/// The day's plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// Session.
    pub session: SessionDate,
    /// Strategy name.
    pub strategy: String,
    /// 0 for the first plan of a session; `--replan` counts up.
    pub revision: u32,
    /// Hash of everything above and the orders; part of every client order id.
    pub hash: String,
    /// Sells first, then buys.
    pub orders: Vec<PlannedOrder>,
    /// Symbols left alone, and why.
    pub notes: Vec<String>,
}

/// The account figures a plan needs.
#[derive(Clone, Copy, Debug)]
pub struct Funds {
    /// Equity.
    pub equity: Money,
    /// Cash.
    pub cash: Money,
    /// Buying power.
    pub buying_power: Money,
}

/// Everything a plan is made from.
#[derive(Clone, Debug)]
pub struct PlanInput<'a> {
    /// Session.
    pub session: SessionDate,
    /// Strategy name.
    pub strategy: &'a str,
    /// Plan revision.
    pub revision: u32,
    /// The strategy's targets.
    pub targets: &'a [Target],
    /// Account figures.
    pub funds: Funds,
    /// Shares held per symbol.
    pub positions: &'a BTreeMap<Symbol, Decimal>,
    /// Reference price per symbol.
    pub prices: &'a BTreeMap<Symbol, Money>,
    /// Symbols that take fractional orders.
    pub fractionable: &'a BTreeSet<Symbol>,
    /// `[orders]`.
    pub orders: &'a OrderSettings,
    /// `risk.max_position_weight`: targets above it are capped (the rest stays in cash).
    pub max_weight: Decimal,
    /// `risk.max_order_notional`: no order is planned bigger; a larger move takes several days.
    pub max_order: Decimal,
}

struct Draft {
    symbol: Symbol,
    side: Side,
    size: Size,
    price: Money,
    value: Decimal,
    reason: String,
}

/// Makes the plan: sells before buys; buys sized to the cash left after sells and never above
/// buying power; nothing below `min_notional` or within `rebalance_threshold` of its target.
pub fn plan(input: &PlanInput<'_>) -> Plan {
    let equity = input.funds.equity.amount();
    let mut notes = Vec::new();
    let mut sells = Vec::new();
    let mut buys = Vec::new();
    for target in input.targets {
        let symbol = &target.symbol;
        let Some(&price) = input.prices.get(symbol) else {
            notes.push(format!("{symbol}: no reference price; left alone"));
            continue;
        };
        if price.amount() <= Decimal::ZERO || equity <= Decimal::ZERO {
            notes.push(format!("{symbol}: no usable price or equity; left alone"));
            continue;
        }
        let weight = target.weight.min(input.max_weight);
        let held = input.positions.get(symbol).copied().unwrap_or_default();
        if weight.is_zero() && held.is_zero() {
            continue; // not wanted, not held: nothing to say
        }
        let current = held * price.amount();
        let wanted = equity * weight;
        let current_weight = current / equity;
        let capped = if weight < target.weight {
            format!(", capped at max_position_weight {}", input.max_weight)
        } else {
            String::new()
        };
        let reason = format!(
            "{}; weight {} → {}{capped}",
            target.reason,
            pct(current_weight),
            pct(weight)
        );
        if (current_weight - weight).abs() <= input.orders.rebalance_threshold
            && !(weight.is_zero() && held > Decimal::ZERO)
        {
            notes.push(format!(
                "{symbol}: within rebalance_threshold of its target ({})",
                pct(weight)
            ));
            continue;
        }
        let fractional = input.orders.fractional && input.fractionable.contains(symbol);
        if wanted < current {
            // Selling to zero sells everything held, fractions included; otherwise whole shares
            // (or a dollar amount) and never more than held.
            let qty = if weight.is_zero() {
                held
            } else if fractional {
                ((current - wanted) / price.amount())
                    .round_dp_with_strategy(9, RoundingStrategy::ToZero)
            } else {
                ((current - wanted) / price.amount()).floor()
            }
            .min(held);
            let cap = input.max_order / price.amount();
            let cap = if fractional {
                cap.round_dp_with_strategy(9, RoundingStrategy::ToZero)
            } else {
                cap.floor()
            };
            let qty = qty.min(cap);
            if qty > Decimal::ZERO {
                sells.push(Draft {
                    symbol: symbol.clone(),
                    side: Side::Sell,
                    size: Size::Qty(qty.normalize()),
                    price,
                    value: qty * price.amount(),
                    reason,
                });
            }
        } else {
            buys.push((symbol.clone(), price, wanted - current, fractional, reason));
        }
    }

    // Cash for buys: what is left after the sells, never more than buying power (no leverage).
    let after_sells = input.funds.cash.amount() + sells.iter().map(|s| s.value).sum::<Decimal>();
    let budget = after_sells
        .min(input.funds.buying_power.amount())
        .max(Decimal::ZERO);
    let wanted_total: Decimal = buys.iter().map(|b| b.2).sum();
    let mut drafts = sells;
    for (symbol, price, want, fractional, reason) in buys {
        // Short of cash, every buy shrinks by the same fraction (multiplied first: exact).
        let value = if wanted_total > budget {
            want * budget / wanted_total
        } else {
            want
        }
        .min(input.max_order);
        let (size, value) = if fractional {
            let dollars = value.round_dp_with_strategy(2, RoundingStrategy::ToZero);
            (Size::Notional(Money::new(dollars)), dollars)
        } else {
            let qty = (value / price.amount()).floor();
            (Size::Qty(qty), qty * price.amount())
        };
        if value <= Decimal::ZERO {
            notes.push(format!("{symbol}: buy rounds to nothing at {price}"));
            continue;
        }
        drafts.push(Draft {
            symbol,
            side: Side::Buy,
            size,
            price,
            value,
            reason,
        });
    }

    drafts.retain(|d| {
        let keep = d.value >= input.orders.min_notional;
        if !keep {
            notes.push(format!(
                "{}: {} of {} is below orders.min_notional {}",
                d.symbol,
                d.side.as_str(),
                Money::new(d.value),
                Money::new(input.orders.min_notional)
            ));
        }
        keep
    });

    let hash = plan_hash(input, &drafts);
    let orders = drafts
        .into_iter()
        .map(|d| PlannedOrder {
            client_order_id: client_order_id(
                input.session,
                input.strategy,
                &d.symbol,
                d.side,
                &hash,
            ),
            symbol: d.symbol,
            side: d.side,
            size: d.size,
            reference_price: d.price,
            estimated_value: Money::new(d.value.round_dp(2)),
            reason: d.reason,
        })
        .collect();
    Plan {
        session: input.session,
        strategy: input.strategy.to_owned(),
        revision: input.revision,
        hash,
        orders,
        notes,
    }
}

fn pct(w: Decimal) -> String {
    format!("{:.1}%", (w * Decimal::ONE_HUNDRED).round_dp(1))
}

/// Ten hex digits of SHA-256 over the session, strategy, revision and every order.
fn plan_hash(input: &PlanInput<'_>, drafts: &[Draft]) -> String {
    let mut text = format!("{}|{}|{}", input.session, input.strategy, input.revision);
    for d in drafts {
        let size = match d.size {
            Size::Qty(q) => format!("q{}", q.normalize()),
            Size::Notional(n) => format!("n{}", n.amount().normalize()),
        };
        let _ = write!(text, "|{}:{}:{size}", d.symbol, d.side.as_str());
    }
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().take(5).map(|b| format!("{b:02x}")).collect()
}

/// `aurora-2026-11-30-trend-SPY-buy-1a2b3c4d5e` (well under Alpaca's 128 characters).
pub fn client_order_id(
    session: SessionDate,
    strategy: &str,
    symbol: &Symbol,
    side: Side,
    hash: &str,
) -> ClientOrderId {
    ClientOrderId::new(format!(
        "aurora-{session}-{strategy}-{symbol}-{}-{hash}",
        side.as_str()
    ))
    .expect("session, strategy, symbol and hash stay within 128 characters")
}

#[cfg(test)]
mod tests;
