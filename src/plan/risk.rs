//! Risk checks: every rule named, each a pure decision over the plan and the account.

use std::collections::BTreeMap;
use std::fmt;

use rust_decimal::Decimal;
use serde::Serialize;

use super::{Book, Plan, Side, Size};
use crate::config::{OnViolation, RiskSettings};
use crate::types::{Money, Symbol};

/// The rules, named as their `[risk]` keys where they have one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// Trading is paused (`aurora pause` or `STATE_DIR/HALT`): nothing trades.
    KillSwitch,
    /// The account may not trade: status not `ACTIVE`, or a blocking flag set or missing.
    AccountActive,
    /// One symbol trading more than `risk.max_order_notional` in a session.
    MaxOrderNotional,
    /// A buy would take a position above `risk.max_position_weight` of equity.
    MaxPositionWeight,
    /// More than `risk.max_orders_per_day` orders this session.
    MaxOrdersPerDay,
    /// Gross exposure would exceed equity.
    NoLeverage,
    /// A sell of more than is held.
    NoShorting,
    /// The asset is not active and tradable.
    AssetTradable,
    /// The symbol is not in `universe.symbols`.
    InUniverse,
    /// The reference price moved more than `risk.max_price_move` from the previous close.
    MaxPriceMove,
    /// Equity is down more than `risk.max_daily_loss` since the last close: no new buys.
    MaxDailyLoss,
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = serde_json::to_value(self).ok();
        f.write_str(name.as_ref().and_then(|v| v.as_str()).unwrap_or("rule"))
    }
}

/// One broken rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// Which rule.
    pub rule: Rule,
    /// The order it concerns (index in the plan); `None` for the whole plan.
    pub order: Option<usize>,
    /// The symbol, when it concerns one.
    pub symbol: Option<Symbol>,
    /// The numbers.
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.symbol {
            Some(s) => write!(f, "{} ({s}): {}", self.rule, self.detail),
            None => write!(f, "{}: {}", self.rule, self.detail),
        }
    }
}

/// An asset's standing with the broker (a symbol without one is unknown to Alpaca).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AssetState {
    /// `status == active`.
    pub active: bool,
    /// `tradable`.
    pub tradable: bool,
}

/// What the checks need besides the plan.
#[derive(Clone, Debug)]
pub struct RiskInput<'a> {
    /// `[risk]`.
    pub settings: &'a RiskSettings,
    /// `universe.symbols`.
    pub universe: &'a [Symbol],
    /// Asset states by symbol (a missing one fails `asset_tradable`).
    pub assets: &'a BTreeMap<Symbol, AssetState>,
    /// The account: equity, positions, open orders, what was traded this session.
    pub book: &'a Book,
    /// Why the account may not trade (empty when it may).
    pub account_blockers: &'a [String],
    /// Previous session's close per symbol.
    pub previous_closes: &'a BTreeMap<Symbol, Money>,
    /// Orders Aurora already sent this session (other plans).
    pub orders_today: u32,
    /// Why nothing may trade, when trading is paused (`aurora pause` or `STATE_DIR/HALT`).
    pub halted: Option<String>,
}

/// The kill switch's violation text for a pause (`paused since … by …: reason`).
pub fn kill_switch_detail(pause: &str) -> String {
    format!("{pause}; `aurora resume` to trade")
}

/// Every rule the plan breaks.
pub fn violations(plan: &Plan, input: &RiskInput<'_>) -> Vec<Violation> {
    let s = input.settings;
    let mut out = Vec::new();
    if let Some(pause) = &input.halted {
        out.push(Violation {
            rule: Rule::KillSwitch,
            order: None,
            symbol: None,
            detail: kill_switch_detail(pause),
        });
    }
    if !input.account_blockers.is_empty() {
        out.push(Violation {
            rule: Rule::AccountActive,
            order: None,
            symbol: None,
            detail: format!(
                "the account may not trade: {}",
                input.account_blockers.join(", ")
            ),
        });
    }
    let book = input.book;
    let equity = book.equity.amount();
    let last_equity = book.last_equity.amount();
    let loss_floor = last_equity * (Decimal::ONE - s.max_daily_loss);
    // Open buy orders are exposure already (anyone's: a pending manual buy counts too).
    let mut exposure = book.exposure();
    let universe: std::collections::HashSet<&Symbol> = input.universe.iter().collect();
    let mut add = |rule, i: usize, symbol: &Symbol, detail: String| {
        out.push(Violation {
            rule,
            order: Some(i),
            symbol: Some(symbol.clone()),
            detail,
        });
    };
    for (i, o) in plan.orders.iter().enumerate() {
        let value = o.estimated_value.amount();
        let held = book.held(&o.symbol);
        let pending = book.pending(&o.symbol);
        if !universe.contains(&o.symbol) {
            add(
                Rule::InUniverse,
                i,
                &o.symbol,
                "not in universe.symbols".into(),
            );
        }
        match input.assets.get(&o.symbol) {
            Some(a) if a.active && a.tradable => {}
            Some(a) if !a.active => add(
                Rule::AssetTradable,
                i,
                &o.symbol,
                "inactive at Alpaca (status inactive)".into(),
            ),
            Some(_) => add(
                Rule::AssetTradable,
                i,
                &o.symbol,
                "active but not tradable at Alpaca".into(),
            ),
            None => add(
                Rule::AssetTradable,
                i,
                &o.symbol,
                "unknown to Alpaca".into(),
            ),
        }
        let traded = book.traded(&o.symbol);
        if value + traded > s.max_order_notional {
            let detail = if traded.is_zero() {
                format!(
                    "{} is above {}",
                    o.estimated_value,
                    Money::new(s.max_order_notional)
                )
            } else {
                format!(
                    "{} after {} already traded this session is above {}",
                    o.estimated_value,
                    Money::new(traded),
                    Money::new(s.max_order_notional)
                )
            };
            add(Rule::MaxOrderNotional, i, &o.symbol, detail);
        }
        let count = input.orders_today + i as u32 + 1;
        if count > s.max_orders_per_day {
            add(
                Rule::MaxOrdersPerDay,
                i,
                &o.symbol,
                format!("order {count} is over {}", s.max_orders_per_day),
            );
        }
        match input.previous_closes.get(&o.symbol) {
            Some(prev) if !prev.amount().is_zero() => {
                let moved = (o.reference_price.amount() - prev.amount()).abs() / prev.amount();
                if moved > s.max_price_move {
                    add(
                        Rule::MaxPriceMove,
                        i,
                        &o.symbol,
                        format!(
                            "reference {} is {:.1}% from the previous close {}, over {:.1}%",
                            o.reference_price,
                            moved * Decimal::ONE_HUNDRED,
                            prev,
                            s.max_price_move * Decimal::ONE_HUNDRED
                        ),
                    );
                }
            }
            _ => add(
                Rule::MaxPriceMove,
                i,
                &o.symbol,
                "no previous close to check the price against".into(),
            ),
        }
        match o.side {
            Side::Sell => {
                let shares = match o.size {
                    Size::Qty(q) => q,
                    Size::Notional(n) => n.amount() / o.reference_price.amount(),
                };
                let sellable = book.sellable(&o.symbol);
                if shares > sellable {
                    let detail = if pending.sell_qty.is_zero() {
                        format!("sells {shares} but holds {held}")
                    } else {
                        format!(
                            "sells {shares} but holds {held}, {} of them held for open sell orders",
                            pending.sell_qty.normalize()
                        )
                    };
                    add(Rule::NoShorting, i, &o.symbol, detail);
                }
                exposure -= value.min(exposure);
            }
            Side::Buy => {
                if last_equity <= Decimal::ZERO {
                    // No previous equity to measure the day's loss against: fail closed.
                    add(
                        Rule::MaxDailyLoss,
                        i,
                        &o.symbol,
                        format!(
                            "last equity is {}: the day's loss cannot be measured, so no new buys",
                            book.last_equity
                        ),
                    );
                } else if equity < loss_floor {
                    add(
                        Rule::MaxDailyLoss,
                        i,
                        &o.symbol,
                        format!(
                            "equity {} is below {} ({:.1}% under last equity {}): no new buys",
                            book.equity,
                            Money::new(loss_floor.round_dp(2)),
                            s.max_daily_loss * Decimal::ONE_HUNDRED,
                            book.last_equity
                        ),
                    );
                }
                // The position it makes, with what open buy orders will add.
                let after = (held + pending.buy_qty) * o.reference_price.amount() + value;
                if equity > Decimal::ZERO && after / equity > s.max_position_weight {
                    add(
                        Rule::MaxPositionWeight,
                        i,
                        &o.symbol,
                        format!(
                            "position would be {:.1}% of equity{}, over {:.1}%",
                            after / equity * Decimal::ONE_HUNDRED,
                            if pending.buy_qty.is_zero() {
                                String::new()
                            } else {
                                format!(
                                    " with {} pending in open orders",
                                    pending.buy_qty.normalize()
                                )
                            },
                            s.max_position_weight * Decimal::ONE_HUNDRED
                        ),
                    );
                }
                exposure += value;
                if exposure > equity {
                    add(
                        Rule::NoLeverage,
                        i,
                        &o.symbol,
                        format!(
                            "gross exposure {} would exceed equity {}",
                            Money::new(exposure.round_dp(2)),
                            book.equity
                        ),
                    );
                }
            }
        }
    }
    out
}

/// What the rules allow of a plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every order may go (some may have been dropped, with the violations that dropped them).
    Allowed {
        /// The plan to submit.
        plan: Plan,
        /// Violations whose orders were dropped (`on_violation = "drop"`).
        dropped: Vec<Violation>,
    },
    /// Nothing may go.
    Blocked(Vec<Violation>),
}

/// Applies the rules: fail closed by default; `drop` removes only the violating orders. The
/// kill switch blocks everything whatever the setting.
pub fn enforce(mut plan: Plan, input: &RiskInput<'_>, on_violation: OnViolation) -> Verdict {
    let found = violations(&plan, input);
    if found.is_empty() {
        return Verdict::Allowed {
            plan,
            dropped: Vec::new(),
        };
    }
    if on_violation == OnViolation::Block || found.iter().any(|v| v.order.is_none()) {
        return Verdict::Blocked(found);
    }
    let mut found = found;
    let mut bad: std::collections::BTreeSet<usize> = found.iter().filter_map(|v| v.order).collect();
    // Buys were sized to the cash after every sell: without a dropped sell they are unfunded.
    if bad.iter().any(|i| plan.orders[*i].side == Side::Sell) {
        for (i, o) in plan
            .orders
            .iter()
            .enumerate()
            .filter(|(_, o)| o.side == Side::Buy)
        {
            if bad.insert(i) {
                found.push(Violation {
                    rule: Rule::NoLeverage,
                    order: Some(i),
                    symbol: Some(o.symbol.clone()),
                    detail: "funded by a sell that was dropped".into(),
                });
            }
        }
    }
    let mut i = 0;
    plan.orders.retain(|_| {
        let keep = !bad.contains(&i);
        i += 1;
        keep
    });
    Verdict::Allowed {
        plan,
        dropped: found,
    }
}

#[cfg(test)]
mod tests;
