//! Plan tests: examples, and properties over random accounts and targets.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::{prop, prop_assert, proptest};
use rust_decimal::Decimal;

use super::*;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}
fn m(s: &str) -> Money {
    Money::new(d(s))
}
fn sym(s: &str) -> Symbol {
    s.parse().unwrap()
}
fn target(s: &str, w: &str) -> Target {
    Target {
        symbol: sym(s),
        weight: d(w),
        reason: "test".into(),
    }
}

struct Case {
    targets: Vec<Target>,
    funds: Funds,
    positions: BTreeMap<Symbol, Decimal>,
    prices: BTreeMap<Symbol, Money>,
    fractionable: BTreeSet<Symbol>,
    orders: OrderSettings,
    max_order: Decimal,
}

impl Case {
    fn new() -> Case {
        Case {
            targets: Vec::new(),
            funds: Funds {
                equity: m("100000"),
                cash: m("100000"),
                buying_power: m("200000"),
            },
            positions: BTreeMap::new(),
            prices: BTreeMap::new(),
            fractionable: BTreeSet::new(),
            orders: OrderSettings::default(),
            max_order: d("1000000"),
        }
    }

    fn plan(&self) -> Plan {
        plan(&PlanInput {
            session: "2026-11-30".parse().unwrap(),
            strategy: "trend",
            revision: 0,
            targets: &self.targets,
            funds: self.funds,
            positions: &self.positions,
            prices: &self.prices,
            fractionable: &self.fractionable,
            orders: &self.orders,
            max_weight: d("0.35"),
            max_order: self.max_order,
        })
    }
}

#[test]
fn buys_whole_shares_toward_targets_with_deterministic_ids() {
    let mut c = Case::new();
    c.targets = vec![target("SPY", "0.3"), target("TLT", "0.2")];
    c.prices = BTreeMap::from([(sym("SPY"), m("500")), (sym("TLT"), m("90"))]);
    let p = c.plan();
    let sizes: Vec<_> = p
        .orders
        .iter()
        .map(|o| (o.symbol.as_str(), o.side, o.size))
        .collect();
    assert_eq!(
        sizes,
        [
            ("SPY", Side::Buy, Size::Qty(d("60"))),
            ("TLT", Side::Buy, Size::Qty(d("222")))
        ]
    );
    assert_eq!(p.orders[1].estimated_value, m("19980"));
    let id = p.orders[0].client_order_id.as_str();
    assert!(id.starts_with("aurora-2026-11-30-trend-SPY-buy-"), "{id}");
    assert_eq!(c.plan(), p, "the same inputs give the same plan and ids");
}

#[test]
fn sells_come_first_and_fund_the_buys() {
    let mut c = Case::new();
    c.funds = Funds {
        equity: m("100000"),
        cash: m("1000"),
        buying_power: m("1000"),
    };
    c.positions = BTreeMap::from([(sym("TLT"), d("1000"))]);
    c.prices = BTreeMap::from([(sym("SPY"), m("500")), (sym("TLT"), m("99"))]);
    c.targets = vec![target("SPY", "0.3"), target("TLT", "0")];
    let p = c.plan();
    assert_eq!(p.orders[0].side, Side::Sell);
    assert_eq!(
        p.orders[0].size,
        Size::Qty(d("1000")),
        "a zero target sells everything held"
    );
    // Buying power (1000) caps the buys even though the sells free 99,000.
    assert_eq!(p.orders.len(), 2);
    assert_eq!(p.orders[1].size, Size::Qty(d("2")));
}

#[test]
fn caps_weights_skips_small_and_in_threshold_orders() {
    let mut c = Case::new();
    c.orders.min_notional = d("5000");
    c.targets = vec![
        target("SPY", "0.9"),
        target("GLD", "0.101"),
        target("QQQ", "0.03"),
    ];
    c.positions = BTreeMap::from([(sym("GLD"), d("50"))]);
    c.prices = BTreeMap::from([
        (sym("SPY"), m("100")),
        (sym("GLD"), m("200")),
        (sym("QQQ"), m("400")),
    ]);
    let p = c.plan();
    assert_eq!(p.orders.len(), 1);
    assert_eq!(
        p.orders[0].size,
        Size::Qty(d("350")),
        "capped at 35% of equity"
    );
    assert!(p.orders[0].reason.contains("capped at max_position_weight"));
    assert!(
        p.notes
            .iter()
            .any(|n| n.starts_with("GLD: within rebalance_threshold")),
        "{:?}",
        p.notes
    );
    assert!(
        p.notes
            .iter()
            .any(|n| n.starts_with("QQQ: buy of $2,800.00 is below orders.min_notional $5,000.00")),
        "{:?}",
        p.notes
    );
}

#[test]
fn no_order_is_planned_above_max_order_notional() {
    let mut c = Case::new();
    c.targets = vec![target("SPY", "0.35"), target("TLT", "0")];
    c.positions = BTreeMap::from([(sym("TLT"), d("400"))]);
    c.prices = BTreeMap::from([(sym("SPY"), m("100")), (sym("TLT"), m("90"))]);
    c.funds.equity = m("136000");
    c.max_order = d("25000");
    let p = c.plan();
    // $47,600 wanted in SPY and $36,000 of TLT to exit: each capped at $25,000 today.
    assert_eq!(p.orders[0].size, Size::Qty(d("277")));
    assert_eq!(p.orders[1].size, Size::Qty(d("250")));
    assert!(p.orders.iter().all(|o| o.estimated_value <= m("25000")));
}

#[test]
fn fractional_orders_use_notional_for_fractionable_assets_only() {
    let mut c = Case::new();
    c.orders.fractional = true;
    c.fractionable = BTreeSet::from([sym("SPY")]);
    c.targets = vec![target("SPY", "0.3"), target("TLT", "0.2")];
    c.prices = BTreeMap::from([(sym("SPY"), m("333")), (sym("TLT"), m("90"))]);
    let p = c.plan();
    assert_eq!(p.orders[0].size, Size::Notional(m("30000")));
    assert_eq!(p.orders[1].size, Size::Qty(d("222")));
}

#[test]
fn a_new_revision_gets_new_ids() {
    let mut c = Case::new();
    c.targets = vec![target("SPY", "0.3")];
    c.prices = BTreeMap::from([(sym("SPY"), m("500"))]);
    let first = c.plan();
    let again = plan(&PlanInput {
        session: first.session,
        strategy: "trend",
        revision: 1,
        targets: &c.targets,
        funds: c.funds,
        positions: &c.positions,
        prices: &c.prices,
        fractionable: &c.fractionable,
        orders: &c.orders,
        max_weight: d("0.35"),
        max_order: c.max_order,
    });
    assert_ne!(
        first.orders[0].client_order_id,
        again.orders[0].client_order_id
    );
}

proptest! {
    #[test]
    fn never_above_buying_power_never_sells_more_than_held(
        weights in prop::collection::vec(0u32..=40, 1..8),
        held in prop::collection::vec(0u32..500, 8),
        prices in prop::collection::vec(1u32..100_000, 8),
        cash in 0u32..200_000,
        buying_power in 0u32..400_000,
        fractional in prop::bool::ANY,
    ) {
        let names: Vec<Symbol> = (0..8).map(|i| sym(&format!("S{}", char::from(b'A' + i as u8)))).collect();
        // Weights scaled to sum to at most 1.
        let total: u32 = weights.iter().sum::<u32>().max(100);
        let mut c = Case::new();
        c.targets = weights.iter().enumerate()
            .map(|(i, w)| Target { symbol: names[i].clone(), weight: Decimal::from(*w) / Decimal::from(total), reason: String::new() })
            .collect();
        c.prices = names.iter().zip(&prices).map(|(s, p)| (s.clone(), Money::new(Decimal::new(i64::from(*p), 2)))).collect();
        c.positions = names.iter().zip(&held).map(|(s, q)| (s.clone(), Decimal::from(*q))).collect();
        let held_value: Decimal = names.iter().map(|s| c.positions[s] * c.prices[s].amount()).sum();
        c.funds = Funds {
            equity: Money::new(Decimal::from(cash) + held_value),
            cash: Money::new(Decimal::from(cash)),
            buying_power: Money::new(Decimal::from(buying_power)),
        };
        c.orders.fractional = fractional;
        c.fractionable = names.iter().cloned().collect();
        let p = c.plan();
        let sold: Decimal = p.orders.iter().filter(|o| o.side == Side::Sell).map(|o| o.estimated_value.amount()).sum();
        let bought: Decimal = p.orders.iter().filter(|o| o.side == Side::Buy).map(|o| o.estimated_value.amount()).sum();
        let budget = (Decimal::from(cash) + sold).min(Decimal::from(buying_power));
        // Estimated values are rounded to the cent; allow that rounding per order.
        let slack = Decimal::new(p.orders.len() as i64, 2);
        prop_assert!(bought <= budget + slack, "bought {bought} > budget {budget}");
        for o in &p.orders {
            if o.side == Side::Sell {
                let Size::Qty(q) = o.size else { panic!("sells are in shares") };
                prop_assert!(q <= c.positions[&o.symbol], "sold {q} of {}", c.positions[&o.symbol]);
            }
            prop_assert!(o.estimated_value.amount() >= c.orders.min_notional);
        }
        let first_buy = p.orders.iter().position(|o| o.side == Side::Buy).unwrap_or(p.orders.len());
        prop_assert!(p.orders[first_buy..].iter().all(|o| o.side == Side::Buy), "sells before buys");
    }
}
