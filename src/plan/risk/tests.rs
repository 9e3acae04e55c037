//! Each rule blocks what it should and nothing else.

use std::collections::BTreeMap;

use proptest::prelude::{prop_assert_eq, proptest};
use rust_decimal::Decimal;

use super::*;
use crate::plan::{Plan, PlannedOrder, Side, Size};
use crate::types::{ClientOrderId, Money, Symbol};

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}
fn m(s: &str) -> Money {
    Money::new(d(s))
}
fn sym(s: &str) -> Symbol {
    s.parse().unwrap()
}

fn order(symbol: &str, side: Side, qty: &str, price: &str) -> PlannedOrder {
    PlannedOrder {
        symbol: sym(symbol),
        side,
        size: Size::Qty(d(qty)),
        reference_price: m(price),
        estimated_value: Money::new(d(qty) * d(price)),
        reason: String::new(),
        client_order_id: ClientOrderId::new(format!("t-{symbol}-{}", side.as_str())).unwrap(),
    }
}

/// A compliant baseline: $100k equity, 100 TLT held, buy 50 SPY at $100, sell 10 TLT at $90.
struct World {
    settings: RiskSettings,
    universe: Vec<Symbol>,
    assets: BTreeMap<Symbol, AssetState>,
    equity: Money,
    last_equity: Money,
    positions: BTreeMap<Symbol, Decimal>,
    values: BTreeMap<Symbol, Decimal>,
    closes: BTreeMap<Symbol, Money>,
    orders_today: u32,
    halted: bool,
    orders: Vec<PlannedOrder>,
}

impl World {
    fn new() -> World {
        let ok = AssetState {
            active: true,
            tradable: true,
        };
        World {
            settings: RiskSettings::default(),
            universe: vec![sym("SPY"), sym("TLT")],
            assets: BTreeMap::from([(sym("SPY"), ok), (sym("TLT"), ok)]),
            equity: m("100000"),
            last_equity: m("100000"),
            positions: BTreeMap::from([(sym("TLT"), d("100"))]),
            values: BTreeMap::from([(sym("TLT"), d("9000"))]),
            closes: BTreeMap::from([(sym("SPY"), m("100")), (sym("TLT"), m("90"))]),
            orders_today: 0,
            halted: false,
            orders: vec![
                order("TLT", Side::Sell, "10", "90"),
                order("SPY", Side::Buy, "50", "100"),
            ],
        }
    }

    fn plan(&self) -> Plan {
        Plan {
            session: "2026-11-30".parse().unwrap(),
            strategy: "t".into(),
            revision: 0,
            hash: "h".into(),
            orders: self.orders.clone(),
            notes: Vec::new(),
        }
    }

    fn rules(&self) -> Vec<Rule> {
        let plan = self.plan();
        let input = RiskInput {
            settings: &self.settings,
            universe: &self.universe,
            assets: &self.assets,
            equity: self.equity,
            last_equity: self.last_equity,
            positions: &self.positions,
            position_values: &self.values,
            previous_closes: &self.closes,
            orders_today: self.orders_today,
            halted: self.halted,
        };
        let mut rules: Vec<Rule> = violations(&plan, &input)
            .into_iter()
            .map(|v| v.rule)
            .collect();
        rules.dedup();
        rules
    }
}

#[test]
fn the_baseline_breaks_nothing() {
    assert_eq!(World::new().rules(), []);
}

#[test]
fn each_rule_catches_its_own_case_and_only_it() {
    type Break = fn(&mut World);
    let cases: [(Rule, Break); 10] = [
        (Rule::KillSwitch, |w| w.halted = true),
        (Rule::MaxOrderNotional, |w| {
            w.settings.max_order_notional = d("4999")
        }),
        (Rule::MaxPositionWeight, |w| {
            w.settings.max_position_weight = d("0.04")
        }),
        (Rule::MaxOrdersPerDay, |w| w.orders_today = 49),
        (Rule::NoLeverage, |w| {
            w.values.insert(sym("TLT"), d("99000"));
            w.settings.max_position_weight = Decimal::ONE;
        }),
        (Rule::NoShorting, |w| {
            w.orders[0] = order("TLT", Side::Sell, "101", "90")
        }),
        (Rule::AssetTradable, |w| {
            w.assets.insert(
                sym("SPY"),
                AssetState {
                    active: true,
                    tradable: false,
                },
            );
        }),
        (Rule::InUniverse, |w| {
            w.universe.retain(|s| s.as_str() != "SPY")
        }),
        (Rule::MaxPriceMove, |w| {
            w.closes.insert(sym("SPY"), m("79"));
        }),
        (Rule::MaxDailyLoss, |w| w.last_equity = m("103200")),
    ];
    for (rule, break_it) in cases {
        let mut w = World::new();
        break_it(&mut w);
        assert_eq!(w.rules(), [rule], "{rule}");
    }
}

fn input(w: &World) -> RiskInput<'_> {
    RiskInput {
        settings: &w.settings,
        universe: &w.universe,
        assets: &w.assets,
        equity: w.equity,
        last_equity: w.last_equity,
        positions: &w.positions,
        position_values: &w.values,
        previous_closes: &w.closes,
        orders_today: w.orders_today,
        halted: w.halted,
    }
}

#[test]
fn block_stops_everything_drop_keeps_the_rest_halt_always_blocks() {
    let mut w = World::new();
    w.settings.max_order_notional = d("4999");
    let plan = w.plan();
    match enforce(plan.clone(), &input(&w), OnViolation::Block) {
        Verdict::Blocked(v) => assert_eq!(
            v[0].to_string(),
            "max_order_notional (SPY): $5,000.00 is above $4,999.00"
        ),
        other => panic!("{other:?}"),
    }
    match enforce(plan.clone(), &input(&w), OnViolation::Drop) {
        Verdict::Allowed { plan, dropped } => {
            assert_eq!(plan.orders.len(), 1);
            assert_eq!(plan.orders[0].symbol.as_str(), "TLT");
            assert_eq!(dropped.len(), 1);
        }
        other => panic!("{other:?}"),
    }
    w.halted = true;
    assert!(matches!(
        enforce(plan, &input(&w), OnViolation::Drop),
        Verdict::Blocked(_)
    ));
}

#[test]
fn dropping_a_sell_drops_the_buys_it_was_funding() {
    let mut w = World::new();
    // The TLT sell breaks a rule; the SPY buy was sized to cash that includes its proceeds.
    w.closes.insert(sym("TLT"), m("50"));
    let plan = w.plan();
    match enforce(plan, &input(&w), OnViolation::Drop) {
        Verdict::Allowed { plan, dropped } => {
            assert!(plan.orders.is_empty(), "{:?}", plan.orders);
            assert!(dropped.iter().any(|v| v.rule == Rule::MaxPriceMove));
            assert!(
                dropped
                    .iter()
                    .any(|v| v.detail == "funded by a sell that was dropped")
            );
        }
        other => panic!("{other:?}"),
    }
}

proptest! {
    #[test]
    fn daily_loss_blocks_buys_exactly_below_the_floor(equity in 90_000u32..110_000, loss_pct in 0u32..10) {
        let mut w = World::new();
        w.equity = Money::new(Decimal::from(equity));
        w.settings.max_daily_loss = Decimal::new(i64::from(loss_pct), 2);
        let floor = Decimal::from(100_000u32) * (Decimal::ONE - w.settings.max_daily_loss);
        let blocked = w.rules().contains(&Rule::MaxDailyLoss);
        prop_assert_eq!(blocked, Decimal::from(equity) < floor);
    }

    #[test]
    fn order_notional_limit_is_exact(limit in 1u32..20_000) {
        let mut w = World::new();
        w.settings.max_order_notional = Decimal::from(limit);
        let over = w.orders.iter().any(|o| o.estimated_value.amount() > Decimal::from(limit));
        prop_assert_eq!(w.rules().contains(&Rule::MaxOrderNotional), over);
    }

    #[test]
    fn selling_more_than_held_is_always_caught(held in 0u32..200, sell in 1u32..200) {
        let mut w = World::new();
        w.positions.insert(sym("TLT"), Decimal::from(held));
        w.orders[0] = order("TLT", Side::Sell, &sell.to_string(), "90");
        prop_assert_eq!(w.rules().contains(&Rule::NoShorting), sell > held);
    }
}
