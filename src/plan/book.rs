//! The account as the plan and the risk rules see it: funds, holdings, every open order and what
//! Aurora has already traded this session (pure: built from values the trade job read).

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::Side;
use crate::types::{Money, Symbol};

/// An order still working at Alpaca: Aurora's (from any session) or anyone else's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenOrder {
    /// Ticker.
    pub symbol: Symbol,
    /// Buy or sell.
    pub side: Side,
    /// Shares not yet filled (`None` for a notional order).
    pub qty_left: Option<Decimal>,
    /// Dollars not yet filled (notional orders).
    pub notional_left: Option<Decimal>,
    /// A limit order's limit (what Alpaca reserves buying power at).
    pub limit_price: Option<Decimal>,
}

impl OpenOrder {
    /// `(shares, dollars)` still to trade, at `price` where the order itself does not say.
    fn left(&self, price: Option<Money>) -> Option<(Decimal, Decimal)> {
        let price = self.limit_price.or(price.map(Money::amount));
        match (self.qty_left, self.notional_left, price) {
            (_, Some(n), Some(p)) if p > Decimal::ZERO => Some((n / p, n)),
            (Some(q), _, Some(p)) => Some((q, q * p)),
            // A sell in shares needs no price for what it commits: the shares.
            (Some(q), _, None) if self.side == Side::Sell => Some((q, Decimal::ZERO)),
            _ => None,
        }
    }
}

/// Open orders in one symbol: exposure that is not a position yet.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pending {
    /// Shares open buy orders will add.
    pub buy_qty: Decimal,
    /// What open buy orders hold of the account's cash (limit × qty, else at the price).
    pub buy_value: Decimal,
    /// Shares held for open sell orders (not available to sell again).
    pub sell_qty: Decimal,
    /// How many open orders.
    pub orders: u32,
}

/// Sums open orders per symbol; `price` values market orders. `Err` names a symbol whose open
/// order cannot be valued (no price): its exposure would be unknown.
pub fn pending(
    open: &[OpenOrder],
    price: impl Fn(&Symbol) -> Option<Money>,
) -> Result<BTreeMap<Symbol, Pending>, Symbol> {
    let mut out: BTreeMap<Symbol, Pending> = BTreeMap::new();
    for o in open {
        let (shares, value) = o.left(price(&o.symbol)).ok_or_else(|| o.symbol.clone())?;
        let p = out.entry(o.symbol.clone()).or_default();
        p.orders += 1;
        match o.side {
            Side::Buy => {
                p.buy_qty += shares;
                p.buy_value += value;
            }
            Side::Sell => p.sell_qty += shares,
        }
    }
    Ok(out)
}

/// One of Aurora's orders of this session (any plan revision), as far as it has traded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionOrder {
    /// Ticker.
    pub symbol: Symbol,
    /// Filled shares × average fill price.
    pub filled_value: Decimal,
    /// What is still working, if it is open.
    pub open: Option<OpenOrder>,
}

/// Dollars of each symbol Aurora has traded or has working this session: what
/// `risk.max_order_notional` counts, so a replan or a rerun does not trade the same move twice.
pub fn traded(
    orders: &[SessionOrder],
    price: impl Fn(&Symbol) -> Option<Money>,
) -> Result<BTreeMap<Symbol, Decimal>, Symbol> {
    let mut out: BTreeMap<Symbol, Decimal> = BTreeMap::new();
    for o in orders {
        let working = match &o.open {
            Some(open) => {
                open.left(price(&o.symbol))
                    .ok_or_else(|| o.symbol.clone())?
                    .1
            }
            None => Decimal::ZERO,
        };
        *out.entry(o.symbol.clone()).or_default() += o.filled_value.abs() + working;
    }
    Ok(out)
}

/// The account's facts, as read for one plan.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Book {
    /// Equity now.
    pub equity: Money,
    /// Equity at the previous close (`0` when Alpaca sent none usable).
    pub last_equity: Money,
    /// Cash.
    pub cash: Money,
    /// Buying power, as Alpaca reports it (open buy orders already hold part of it).
    pub buying_power: Money,
    /// Shares held per symbol.
    pub held: BTreeMap<Symbol, Decimal>,
    /// Market value per position (signed), for exposure.
    pub values: BTreeMap<Symbol, Decimal>,
    /// Every open order in the account, per symbol.
    pub pending: BTreeMap<Symbol, Pending>,
    /// Dollars Aurora traded or has working per symbol this session.
    pub traded: BTreeMap<Symbol, Decimal>,
}

impl Book {
    /// Shares held of `symbol`.
    pub fn held(&self, symbol: &Symbol) -> Decimal {
        self.held.get(symbol).copied().unwrap_or_default()
    }

    /// Open orders in `symbol` (zero when none).
    pub fn pending(&self, symbol: &Symbol) -> Pending {
        self.pending.get(symbol).copied().unwrap_or_default()
    }

    /// Shares of `symbol` that may be sold: held, less those open sell orders already hold.
    pub fn sellable(&self, symbol: &Symbol) -> Decimal {
        (self.held(symbol) - self.pending(symbol).sell_qty).max(Decimal::ZERO)
    }

    /// Dollars Aurora traded or has working in `symbol` this session.
    pub fn traded(&self, symbol: &Symbol) -> Decimal {
        self.traded.get(symbol).copied().unwrap_or_default()
    }

    /// Cash that open buy orders already hold.
    pub fn pending_buys(&self) -> Decimal {
        self.pending.values().map(|p| p.buy_value).sum()
    }

    /// Gross exposure: positions at market value plus every open buy.
    pub fn exposure(&self) -> Decimal {
        self.values.values().map(|v| v.abs()).sum::<Decimal>() + self.pending_buys()
    }

    /// One line per symbol with open orders (`SPY: 300 pending in an open order, …`).
    pub fn pending_notes(&self) -> Vec<String> {
        self.pending
            .iter()
            .map(|(symbol, p)| {
                let orders = match p.orders {
                    1 => "an open order".to_owned(),
                    n => format!("{n} open orders"),
                };
                let mut parts = Vec::new();
                if !p.buy_qty.is_zero() {
                    parts.push(format!(
                        "{} pending in {orders} to buy ({}), counted as exposure",
                        qty(p.buy_qty),
                        Money::new(p.buy_value)
                    ));
                }
                if !p.sell_qty.is_zero() {
                    parts.push(format!("{} held for {orders} to sell", qty(p.sell_qty)));
                }
                format!("{symbol}: {}", parts.join("; "))
            })
            .collect()
    }
}

/// Shares as people write them: `300`, `2.5`.
fn qty(q: Decimal) -> String {
    q.round_dp(6).normalize().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }
    fn sym(s: &str) -> Symbol {
        s.parse().unwrap()
    }
    fn open(symbol: &str, side: Side, qty: Option<&str>, notional: Option<&str>) -> OpenOrder {
        OpenOrder {
            symbol: sym(symbol),
            side,
            qty_left: qty.map(d),
            notional_left: notional.map(d),
            limit_price: None,
        }
    }

    #[test]
    fn open_orders_are_valued_at_their_limit_else_the_price() {
        let mut limit = open("SPY", Side::Buy, Some("10"), None);
        limit.limit_price = Some(d("90"));
        let orders = [
            open("SPY", Side::Buy, Some("300"), None),
            limit,
            open("SPY", Side::Sell, Some("5"), None),
            open("TLT", Side::Buy, None, Some("1000")),
        ];
        let price = |s: &Symbol| {
            Some(Money::new(if s.as_str() == "SPY" {
                d("100")
            } else {
                d("50")
            }))
        };
        let p = pending(&orders, price).unwrap();
        assert_eq!(
            p[&sym("SPY")],
            Pending {
                buy_qty: d("310"),
                buy_value: d("30900"),
                sell_qty: d("5"),
                orders: 3
            }
        );
        assert_eq!(p[&sym("TLT")].buy_qty, d("20"));
        let book = Book {
            held: BTreeMap::from([(sym("SPY"), d("8"))]),
            pending: p,
            ..Book::default()
        };
        assert_eq!(book.sellable(&sym("SPY")), d("3"));
        assert_eq!(book.pending_buys(), d("31900"));
        assert_eq!(
            book.pending_notes()[0],
            "SPY: 310 pending in 3 open orders to buy ($30,900.00), counted as exposure; 5 held for 3 open orders to sell"
        );
    }

    #[test]
    fn an_open_buy_without_a_price_is_named_not_guessed() {
        let orders = [open("XYZ", Side::Buy, Some("3"), None)];
        assert_eq!(pending(&orders, |_| None), Err(sym("XYZ")));
        // A sell in shares commits shares, whatever the price.
        let sells = [open("XYZ", Side::Sell, Some("3"), None)];
        assert_eq!(
            pending(&sells, |_| None).unwrap()[&sym("XYZ")].sell_qty,
            d("3")
        );
    }

    #[test]
    fn traded_counts_fills_and_what_is_still_working_on_both_sides() {
        let orders = [
            SessionOrder {
                symbol: sym("SPY"),
                filled_value: d("20000"),
                open: None,
            },
            SessionOrder {
                symbol: sym("SPY"),
                filled_value: d("1000"),
                open: Some(open("SPY", Side::Sell, Some("40"), None)),
            },
        ];
        let t = traded(&orders, |_| Some(Money::new(d("100")))).unwrap();
        assert_eq!(t[&sym("SPY")], d("25000"));
    }
}
