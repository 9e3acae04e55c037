//! The plan: targets + account + positions + reference prices → orders (pure), and the risk
//! checks every plan must pass (`risk`).

pub mod book;
pub mod prices;
pub mod resize;
pub mod risk;
pub mod tif;

pub use book::Book;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::{OrderSettings, Settings};
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
    /// Fingerprint of the settings it was made under ([`settings_fingerprint`]); empty in plans
    /// stored before it was kept.
    #[serde(default)]
    pub settings: String,
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
    /// The account: funds, positions, open orders, what was traded this session.
    pub book: &'a Book,
    /// Reference price per symbol.
    pub prices: &'a BTreeMap<Symbol, Money>,
    /// Symbols that take fractional orders.
    pub fractionable: &'a BTreeSet<Symbol>,
    /// `[orders]`.
    pub orders: &'a OrderSettings,
    /// `risk.max_position_weight`: targets above it are capped (the rest stays in cash).
    pub max_weight: Decimal,
    /// `risk.max_order_notional`: no symbol trades more in a session; a larger move takes
    /// several sessions.
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

/// A buy the plan wants before cash and the order cap size it.
struct Want {
    symbol: Symbol,
    price: Money,
    value: Decimal,
    /// Exposure the symbol already has (held and pending), for the capped message.
    exposure: Decimal,
    weight: Decimal,
    fractional: bool,
    reason: String,
}

/// Makes the plan: sells before buys; buys sized to the cash left after the sells that stay in
/// the plan and after open buy orders, never above buying power; nothing below `min_notional` or
/// within `rebalance_threshold` of its target; no symbol trading more than `max_order` in the
/// session. Open orders count: pending buys as exposure, shares held for pending sells as not
/// sellable.
pub fn plan(input: &PlanInput<'_>) -> Plan {
    let book = input.book;
    let equity = book.equity.amount();
    let mut notes = book.pending_notes();
    let mut sells = Vec::new();
    let mut wants = Vec::new();
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
        let held = book.held(symbol);
        let pending = book.pending(symbol).buy_qty * price.amount();
        if weight.is_zero() && held.is_zero() && pending.is_zero() {
            continue; // not wanted, not held: nothing to say
        }
        let current = held * price.amount();
        let wanted = equity * weight;
        let capped = if weight < target.weight {
            format!(", capped at max_position_weight {}", input.max_weight)
        } else {
            String::new()
        };
        let fractional = input.orders.fractional && input.fractionable.contains(symbol);
        let cap_left = (input.max_order - book.traded(symbol)).max(Decimal::ZERO);
        if wanted < current {
            let reason = format!(
                "{}; weight {} → {}{capped}",
                target.reason,
                pct(current / equity),
                pct(weight)
            );
            if (current - wanted) / equity <= input.orders.rebalance_threshold && !weight.is_zero()
            {
                notes.push(format!(
                    "{symbol}: within rebalance_threshold of its target ({})",
                    pct(weight)
                ));
                continue;
            }
            if let Some(draft) = sell(input, symbol, price, weight, fractional, cap_left, reason) {
                sells.push(draft);
            } else if cap_left.is_zero() {
                notes.push(cap_used(input, symbol));
            }
        } else {
            let exposure = current + pending;
            let reason = format!(
                "{}; weight {} → {}{capped}",
                target.reason,
                pct(exposure / equity),
                pct(weight)
            );
            if wanted <= exposure && !pending.is_zero() {
                notes.push(format!(
                    "{symbol}: with its pending buy it is at or above its target ({})",
                    pct(weight)
                ));
                continue;
            }
            if (wanted - exposure) / equity <= input.orders.rebalance_threshold {
                notes.push(format!(
                    "{symbol}: within rebalance_threshold of its target ({})",
                    pct(weight)
                ));
                continue;
            }
            if cap_left.is_zero() {
                notes.push(cap_used(input, symbol));
                continue;
            }
            wants.push(Want {
                symbol: symbol.clone(),
                price,
                value: wanted - exposure,
                exposure,
                weight,
                fractional,
                reason,
            });
        }
    }

    // A sell too small to send funds nothing: drop it before the buys are sized.
    sells.retain(|d| keep_above_minimum(d, input.orders.min_notional, &mut notes));

    // Cash for buys: what is left after the sells and the open buys, never more than buying
    // power (no leverage).
    let after_sells =
        book.cash.amount() - book.pending_buys() + sells.iter().map(|s| s.value).sum::<Decimal>();
    let budget = after_sells
        .min(book.buying_power.amount())
        .max(Decimal::ZERO);
    let wanted_total: Decimal = wants.iter().map(|b| b.value).sum();
    let mut drafts = sells;
    for want in wants {
        // Short of cash, every buy shrinks by the same fraction (multiplied first: exact).
        let funded = if wanted_total > budget {
            want.value * budget / wanted_total
        } else {
            want.value
        };
        let cap_left = (input.max_order - book.traded(&want.symbol)).max(Decimal::ZERO);
        let mut reason = want.reason;
        let capped = funded > cap_left;
        let value = if capped {
            let after = (want.exposure + cap_left) / equity;
            reason.push_str(&format!(
                "; {}: {} of {} today",
                cap_text(input, &want.symbol),
                pct(after),
                pct(want.weight)
            ));
            cap_left
        } else {
            funded
        };
        let (size, value) = if want.fractional {
            let dollars = value.round_dp_with_strategy(2, RoundingStrategy::ToZero);
            (Size::Notional(Money::new(dollars)), dollars)
        } else {
            let qty = (value / want.price.amount()).floor();
            (Size::Qty(qty), qty * want.price.amount())
        };
        if value <= Decimal::ZERO {
            notes.push(if capped {
                cap_used(input, &want.symbol)
            } else {
                format!("{}: buy rounds to nothing at {}", want.symbol, want.price)
            });
            continue;
        }
        let draft = Draft {
            symbol: want.symbol,
            side: Side::Buy,
            size,
            price: want.price,
            value,
            reason,
        };
        if keep_above_minimum(&draft, input.orders.min_notional, &mut notes) {
            drafts.push(draft);
        }
    }

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
        settings: String::new(),
    }
}

/// Ten hex digits of SHA-256 over the settings that decide a plan (`[universe]`, `[strategy]`,
/// `[risk]`, `[orders]`): a stored plan is continued only under the same ones, so an order the
/// operator's new configuration forbids is never sent from an older plan.
pub fn settings_fingerprint(settings: &Settings) -> String {
    let mut universe = settings.universe.clone();
    universe.symbols.sort();
    let text = serde_json::to_string(&(
        &universe,
        &settings.strategy,
        &settings.risk,
        &settings.orders,
    ))
    .unwrap_or_default();
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().take(5).map(|b| format!("{b:02x}")).collect()
}

/// The sell that takes `symbol` toward `wanted`: whole shares (or fractions, for fractional
/// assets), never more than the shares not already held for open sells, and within the
/// session's order cap. Selling to zero sells exactly what is held, a fraction included.
fn sell(
    input: &PlanInput<'_>,
    symbol: &Symbol,
    price: Money,
    weight: Decimal,
    fractional: bool,
    cap_left: Decimal,
    mut reason: String,
) -> Option<Draft> {
    let p = price.amount();
    let held = input.book.held(symbol);
    let current = held * p;
    let wanted = input.book.equity.amount() * weight;
    let sellable = input.book.sellable(symbol);
    let whole_holding = weight.is_zero() && sellable == held;
    let qty = if weight.is_zero() {
        sellable
    } else if fractional {
        ((current - wanted) / p).round_dp_with_strategy(9, RoundingStrategy::ToZero)
    } else {
        ((current - wanted) / p).floor()
    }
    .min(sellable);
    let cap = cap_left / p;
    let cap = if fractional {
        cap.round_dp_with_strategy(9, RoundingStrategy::ToZero)
    } else {
        cap.floor()
    };
    let qty = if qty > cap {
        let after = (current - cap * p) / input.book.equity.amount();
        reason.push_str(&format!(
            "; {}: {} (target {}) after today",
            cap_text(input, symbol),
            pct(after),
            pct(weight)
        ));
        cap
    } else {
        if whole_holding && !fractional && !qty.fract().is_zero() {
            // Alpaca takes a fractional sell of an existing fractional position as a day order.
            reason.push_str(&format!(
                "; sells the whole holding of {}, its fraction included (a day order)",
                qty.normalize()
            ));
        }
        qty
    };
    (qty > Decimal::ZERO).then(|| Draft {
        symbol: symbol.clone(),
        side: Side::Sell,
        size: Size::Qty(qty.normalize()),
        price,
        // Rounded down: a sell funds buys with no cent it may not bring.
        value: (qty * p).round_dp_with_strategy(2, RoundingStrategy::ToZero),
        reason,
    })
}

/// `capped at $25,000` (and what this session already traded, when anything).
fn cap_text(input: &PlanInput<'_>, symbol: &Symbol) -> String {
    let traded = input.book.traded(symbol);
    let cap = Money::new(input.max_order);
    if traded.is_zero() {
        format!("capped at {cap}")
    } else {
        format!(
            "capped at {cap} a session ({} already traded)",
            Money::new(traded)
        )
    }
}

/// The note for a symbol whose order cap this session has used up.
fn cap_used(input: &PlanInput<'_>, symbol: &Symbol) -> String {
    format!(
        "{symbol}: max_order_notional {} already used this session ({} traded); the rest waits for the next",
        Money::new(input.max_order),
        Money::new(input.book.traded(symbol))
    )
}

/// Whether an order is at least `orders.min_notional`; a note says why one is not.
fn keep_above_minimum(d: &Draft, min: Decimal, notes: &mut Vec<String>) -> bool {
    let keep = d.value >= min;
    if !keep {
        notes.push(format!(
            "{}: {} of {} is below orders.min_notional {}",
            d.symbol,
            d.side.as_str(),
            Money::new(d.value),
            Money::new(min)
        ));
    }
    keep
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

/// Whether a client order id is one Aurora made for `session` (`aurora-YYYY-MM-DD-…`): Alpaca
/// keeps the id, so Aurora's orders are known as its own even when the store does not remember
/// them (a restored older backup).
pub fn is_session_order(client_order_id: &str, session: SessionDate) -> bool {
    client_order_id
        .strip_prefix("aurora-")
        .and_then(|rest| rest.strip_prefix(session.to_string().as_str()))
        .is_some_and(|rest| rest.starts_with('-'))
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
