//! Each rule blocks what it should and nothing else.

use std::collections::BTreeMap;

use proptest::prelude::{prop_assert_eq, proptest};
use rust_decimal::Decimal;

use super::*;
use crate::plan::book::Pending;
use crate::plan::{Book, Plan, PlannedOrder, Side, Size};
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
    book: Book,
    blockers: Vec<String>,
    closes: BTreeMap<Symbol, Money>,
    orders_today: u32,
    halted: Option<String>,
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
            book: Book {
                equity: m("100000"),
                last_equity: m("100000"),
                cash: m("91000"),
                buying_power: m("182000"),
                held: BTreeMap::from([(sym("TLT"), d("100"))]),
                values: BTreeMap::from([(sym("TLT"), d("9000"))]),
                ..Book::default()
            },
            blockers: Vec::new(),
            closes: BTreeMap::from([(sym("SPY"), m("100")), (sym("TLT"), m("90"))]),
            orders_today: 0,
            halted: None,
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
            settings: String::new(),
        }
    }

    fn rules(&self) -> Vec<Rule> {
        let plan = self.plan();
        let mut rules: Vec<Rule> = violations(&plan, &input(self))
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
    let cases: [(Rule, Break); 11] = [
        (Rule::KillSwitch, |w| {
            w.halted = Some("paused by test".into())
        }),
        (Rule::AccountActive, |w| {
            w.blockers = vec!["trading_blocked".into()]
        }),
        (Rule::MaxOrderNotional, |w| {
            w.settings.max_order_notional = d("4999")
        }),
        (Rule::MaxPositionWeight, |w| {
            w.settings.max_position_weight = d("0.04")
        }),
        (Rule::MaxOrdersPerDay, |w| w.orders_today = 49),
        (Rule::NoLeverage, |w| {
            w.book.values.insert(sym("TLT"), d("99000"));
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
        (Rule::MaxDailyLoss, |w| w.book.last_equity = m("103200")),
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
        book: &w.book,
        account_blockers: &w.blockers,
        previous_closes: &w.closes,
        orders_today: w.orders_today,
        halted: w.halted.clone(),
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
    w.halted = Some("paused by test".into());
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

fn details(w: &World) -> Vec<String> {
    violations(&w.plan(), &input(w))
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn open_orders_count_toward_the_weight_cap_leverage_and_what_may_be_sold() {
    let mut w = World::new();
    // Someone's pending buy of 300 SPY: with Aurora's 50 it would be 35% of equity.
    w.book.pending.insert(
        sym("SPY"),
        Pending {
            buy_qty: d("300"),
            buy_value: d("30000"),
            sell_qty: Decimal::ZERO,
            orders: 1,
        },
    );
    assert_eq!(w.rules(), [], "35% is exactly the cap");
    w.book.pending.get_mut(&sym("SPY")).unwrap().buy_qty = d("301");
    assert!(
        details(&w).contains(
            &"max_position_weight (SPY): position would be 35.1% of equity with 301 pending in open orders, over 35.0%"
                .to_owned()
        ),
        "{:?}",
        details(&w)
    );
    // Pending buys are exposure: 9,000 held + 90,000 pending + the 5,000 buy − the 900 sell.
    let mut w = World::new();
    w.book.pending.insert(
        sym("GLD"),
        Pending {
            buy_value: d("90000"),
            buy_qty: d("900"),
            ..Pending::default()
        },
    );
    assert_eq!(w.rules(), [Rule::NoLeverage]);
    // Shares held for an open sell cannot be sold again.
    let mut w = World::new();
    w.book.pending.insert(
        sym("TLT"),
        Pending {
            sell_qty: d("95"),
            orders: 1,
            ..Pending::default()
        },
    );
    assert_eq!(
        details(&w),
        ["no_shorting (TLT): sells 10 but holds 100, 95 of them held for open sell orders"]
    );
}

#[test]
fn the_order_cap_counts_what_the_session_already_traded() {
    let mut w = World::new();
    w.book.traded.insert(sym("SPY"), d("20001"));
    assert_eq!(
        details(&w),
        [
            "max_order_notional (SPY): $5,000.00 after $20,001.00 already traded this session is above $25,000.00"
        ]
    );
}

#[test]
fn no_last_equity_fails_closed_for_buys() {
    let mut w = World::new();
    w.book.last_equity = Money::ZERO;
    assert_eq!(
        details(&w),
        [
            "max_daily_loss (SPY): last equity is $0.00: the day's loss cannot be measured, so no new buys"
        ]
    );
}

#[test]
fn a_blocked_account_blocks_even_in_drop_mode_and_names_the_flags() {
    let mut w = World::new();
    w.blockers = vec![
        "trading_blocked".into(),
        "account_blocked is missing".into(),
    ];
    match enforce(w.plan(), &input(&w), OnViolation::Drop) {
        Verdict::Blocked(v) => assert_eq!(
            v[0].to_string(),
            "account_active: the account may not trade: trading_blocked, account_blocked is missing"
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_inactive_asset_is_named_inactive() {
    let mut w = World::new();
    w.assets.insert(
        sym("SPY"),
        AssetState {
            active: false,
            tradable: false,
        },
    );
    assert_eq!(
        details(&w),
        ["asset_tradable (SPY): inactive at Alpaca (status inactive)"]
    );
    w.assets.remove(&sym("SPY"));
    assert_eq!(details(&w), ["asset_tradable (SPY): unknown to Alpaca"]);
}

proptest! {
    #[test]
    fn daily_loss_blocks_buys_exactly_below_the_floor(equity in 90_000u32..110_000, loss_pct in 0u32..10) {
        let mut w = World::new();
        w.book.equity = Money::new(Decimal::from(equity));
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
        w.book.held.insert(sym("TLT"), Decimal::from(held));
        w.orders[0] = order("TLT", Side::Sell, &sell.to_string(), "90");
        prop_assert_eq!(w.rules().contains(&Rule::NoShorting), sell > held);
    }
}
