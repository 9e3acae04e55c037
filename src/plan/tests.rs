//! Plan tests: examples, and properties over random accounts and targets.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::{prop, prop_assert, proptest};
use rust_decimal::Decimal;

use super::*;
use crate::plan::book;

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
    book: Book,
    prices: BTreeMap<Symbol, Money>,
    fractionable: BTreeSet<Symbol>,
    orders: OrderSettings,
    max_weight: Decimal,
    max_order: Decimal,
}

impl Case {
    fn new() -> Case {
        Case {
            targets: Vec::new(),
            book: Book {
                equity: m("100000"),
                last_equity: m("100000"),
                cash: m("100000"),
                buying_power: m("200000"),
                ..Book::default()
            },
            prices: BTreeMap::new(),
            fractionable: BTreeSet::new(),
            orders: OrderSettings::default(),
            max_weight: d("0.35"),
            max_order: d("1000000"),
        }
    }

    fn plan(&self) -> Plan {
        plan(&PlanInput {
            session: "2026-11-30".parse().unwrap(),
            strategy: "trend",
            revision: 0,
            targets: &self.targets,
            book: &self.book,
            prices: &self.prices,
            fractionable: &self.fractionable,
            orders: &self.orders,
            max_weight: self.max_weight,
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
    c.book.cash = m("1000");
    c.book.buying_power = m("1000");
    c.book.held = BTreeMap::from([(sym("TLT"), d("1000"))]);
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
    c.book.held = BTreeMap::from([(sym("GLD"), d("50"))]);
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
    c.book.held = BTreeMap::from([(sym("TLT"), d("400"))]);
    c.prices = BTreeMap::from([(sym("SPY"), m("100")), (sym("TLT"), m("90"))]);
    c.book.equity = m("136000");
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
        book: &c.book,
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

#[test]
fn a_sell_dropped_for_min_notional_funds_no_buy() {
    // One leftover TLT share ($50) is below min_notional: it stays, and its $50 is not spent.
    let mut c = Case::new();
    c.max_weight = Decimal::ONE;
    c.book.held = BTreeMap::from([(sym("TLT"), d("1"))]);
    c.book.values = BTreeMap::from([(sym("TLT"), d("50"))]);
    c.book.cash = m("1000");
    c.book.equity = m("1050");
    c.book.last_equity = m("1050");
    c.targets = vec![target("SPY", "1"), target("TLT", "0")];
    c.prices = BTreeMap::from([(sym("SPY"), m("10")), (sym("TLT"), m("50"))]);
    let p = c.plan();
    assert_eq!(p.orders.len(), 1, "{:?}", p.orders);
    assert_eq!(
        p.orders[0].size,
        Size::Qty(d("100")),
        "the cash, not cash + $50"
    );
    assert!(
        p.notes
            .iter()
            .any(|n| n == "TLT: sell of $50.00 is below orders.min_notional $100.00"),
        "{:?}",
        p.notes
    );
    assert_eq!(rules_broken(&c, &p), Vec::<risk::Rule>::new());
}

#[test]
fn open_orders_are_exposure_and_the_plan_says_so() {
    let mut c = Case::new();
    c.targets = vec![target("SPY", "0.35")];
    c.prices = BTreeMap::from([(sym("SPY"), m("100"))]);
    // Someone's pending buy of 300 SPY ($30,000): Aurora adds only the $5,000 left to 35%.
    c.book.pending = BTreeMap::from([(
        sym("SPY"),
        book::Pending {
            buy_qty: d("300"),
            buy_value: d("30000"),
            sell_qty: Decimal::ZERO,
            orders: 1,
        },
    )]);
    let p = c.plan();
    assert_eq!(p.orders[0].size, Size::Qty(d("50")));
    assert!(
        p.orders[0].reason.contains("weight 30.0% → 35.0%"),
        "{}",
        p.orders[0].reason
    );
    assert!(
        p.notes[0].starts_with("SPY: 300 pending in an open order"),
        "{:?}",
        p.notes
    );
    // With 400 pending it is already above its target: no order, and a note.
    c.book.pending.get_mut(&sym("SPY")).unwrap().buy_qty = d("400");
    let p = c.plan();
    assert!(p.orders.is_empty());
    assert!(
        p.notes
            .contains(&"SPY: with its pending buy it is at or above its target (35.0%)".to_owned()),
        "{:?}",
        p.notes
    );
}

#[test]
fn open_buys_hold_cash_and_open_sells_hold_shares() {
    let mut c = Case::new();
    c.max_weight = Decimal::ONE;
    c.book.cash = m("10000");
    c.book.held = BTreeMap::from([(sym("TLT"), d("100"))]);
    c.book.pending = BTreeMap::from([
        (
            sym("GLD"),
            book::Pending {
                buy_qty: d("10"),
                buy_value: d("4000"),
                sell_qty: Decimal::ZERO,
                orders: 1,
            },
        ),
        (
            sym("TLT"),
            book::Pending {
                sell_qty: d("60"),
                orders: 1,
                ..book::Pending::default()
            },
        ),
    ]);
    c.targets = vec![target("SPY", "0.5"), target("TLT", "0")];
    c.prices = BTreeMap::from([(sym("SPY"), m("100")), (sym("TLT"), m("50"))]);
    let p = c.plan();
    assert_eq!(
        p.orders[0].size,
        Size::Qty(d("40")),
        "only the 40 TLT not held for a sell"
    );
    // $10,000 cash − $4,000 held by the GLD buy + $2,000 from the TLT sell.
    assert_eq!(p.orders[1].size, Size::Qty(d("80")));
}

#[test]
fn the_order_cap_counts_the_session_and_says_so() {
    let mut c = Case::new();
    c.max_order = d("25000");
    c.targets = vec![target("SPY", "0.35")];
    c.prices = BTreeMap::from([(sym("SPY"), m("100"))]);
    let p = c.plan();
    assert_eq!(p.orders[0].size, Size::Qty(d("250")));
    assert!(
        p.orders[0]
            .reason
            .ends_with("; capped at $25,000.00: 25.0% of 35.0% today"),
        "{}",
        p.orders[0].reason
    );
    // $10,000 already traded in SPY this session (an earlier revision): $15,000 left today.
    c.book.traded = BTreeMap::from([(sym("SPY"), d("10000"))]);
    c.book.held = BTreeMap::from([(sym("SPY"), d("100"))]);
    let p = c.plan();
    assert_eq!(p.orders[0].size, Size::Qty(d("150")));
    assert!(
        p.orders[0].reason.contains(
            "capped at $25,000.00 a session ($10,000.00 already traded): 25.0% of 35.0% today"
        ),
        "{}",
        p.orders[0].reason
    );
    c.book.traded = BTreeMap::from([(sym("SPY"), d("25000"))]);
    let p = c.plan();
    assert!(p.orders.is_empty());
    assert!(
        p.notes[0].starts_with("SPY: max_order_notional $25,000.00 already used this session"),
        "{:?}",
        p.notes
    );
}

#[test]
fn selling_a_fractional_holding_to_zero_sells_exactly_it_and_says_so() {
    let mut c = Case::new();
    c.book.held = BTreeMap::from([(sym("SPY"), d("10.5"))]);
    c.targets = vec![target("SPY", "0")];
    c.prices = BTreeMap::from([(sym("SPY"), m("100"))]);
    let p = c.plan();
    assert_eq!(p.orders[0].size, Size::Qty(d("10.5")));
    assert!(
        p.orders[0]
            .reason
            .ends_with("; sells the whole holding of 10.5, its fraction included (a day order)"),
        "{}",
        p.orders[0].reason
    );
}

/// The risk rules a plan breaks, with facts matching the case.
fn rules_broken(c: &Case, p: &Plan) -> Vec<risk::Rule> {
    let settings = crate::config::RiskSettings {
        max_order_notional: c.max_order,
        max_position_weight: c.max_weight,
        max_orders_per_day: 10_000,
        max_price_move: d("100"),
        ..crate::config::RiskSettings::default()
    };
    let universe: Vec<Symbol> = c.targets.iter().map(|t| t.symbol.clone()).collect();
    let ok = risk::AssetState {
        active: true,
        tradable: true,
    };
    let assets = universe.iter().map(|s| (s.clone(), ok)).collect();
    let input = risk::RiskInput {
        settings: &settings,
        universe: &universe,
        assets: &assets,
        book: &c.book,
        account_blockers: &[],
        previous_closes: &c.prices,
        orders_today: 0,
        halted: None,
    };
    risk::violations(p, &input)
        .into_iter()
        .map(|v| v.rule)
        .collect()
}

proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]
    #[test]
    fn every_plan_passes_the_rules_it_is_sized_by(
        weights in prop::collection::vec(0u32..=40, 1..8),
        held in prop::collection::vec(0u32..500, 8),
        tenths in prop::collection::vec(0u32..10, 8),
        prices in prop::collection::vec(1u32..100_000, 8),
        pending_buys in prop::collection::vec(0u32..100, 8),
        pending_sells in prop::collection::vec(0u32..100, 8),
        traded in prop::collection::vec(0u32..40_000, 8),
        cash in 0u32..200_000,
        buying_power in 0u32..400_000,
        fractional in prop::bool::ANY,
        max_order in 100u32..60_000,
        max_weight in 5u32..=100,
        threshold in 0u32..=10,
        min_notional in 0u32..2_000,
    ) {
        let names: Vec<Symbol> = (0..8).map(|i| sym(&format!("S{}", char::from(b'A' + i as u8)))).collect();
        // Weights scaled to sum to at most 1.
        let total: u32 = weights.iter().sum::<u32>().max(100);
        let mut c = Case::new();
        c.targets = weights.iter().enumerate()
            .map(|(i, w)| Target { symbol: names[i].clone(), weight: Decimal::from(*w) / Decimal::from(total), reason: String::new() })
            .collect();
        c.prices = names.iter().zip(&prices).map(|(s, p)| (s.clone(), Money::new(Decimal::new(i64::from(*p), 2)))).collect();
        // Holdings, some with a fraction left from fractional trading.
        c.book.held = names.iter().enumerate()
            .map(|(i, s)| (s.clone(), Decimal::from(held[i]) + Decimal::new(i64::from(tenths[i]), 1)))
            .collect();
        c.book.values = names.iter().map(|s| (s.clone(), c.book.held[s] * c.prices[s].amount())).collect();
        c.book.pending = names.iter().enumerate()
            .map(|(i, s)| {
                let buy = Decimal::from(pending_buys[i]);
                (s.clone(), book::Pending {
                    buy_qty: buy,
                    buy_value: buy * c.prices[s].amount(),
                    sell_qty: Decimal::from(pending_sells[i]).min(c.book.held[s]),
                    orders: 2,
                })
            })
            .collect();
        c.book.traded = names.iter().zip(&traded).map(|(s, t)| (s.clone(), Decimal::from(*t))).collect();
        let held_value: Decimal = c.book.values.values().sum();
        c.book.cash = Money::new(Decimal::from(cash));
        c.book.equity = Money::new(Decimal::from(cash) + held_value);
        c.book.last_equity = c.book.equity;
        c.book.buying_power = Money::new(Decimal::from(buying_power));
        c.orders.fractional = fractional;
        c.orders.rebalance_threshold = Decimal::new(i64::from(threshold), 2);
        c.orders.min_notional = Decimal::from(min_notional);
        c.fractionable = names.iter().cloned().collect();
        c.max_order = Decimal::from(max_order);
        c.max_weight = Decimal::new(i64::from(max_weight), 2);
        let p = c.plan();

        // The plan never breaks the rules it sizes orders by.
        let broken = rules_broken(&c, &p);
        prop_assert!(broken.is_empty(), "{broken:?} in {:?}", p.orders);
        // Buys fit the cash after the kept sells and the open buys, and the buying power.
        let sold: Decimal = p.orders.iter().filter(|o| o.side == Side::Sell).map(|o| o.estimated_value.amount()).sum();
        let bought: Decimal = p.orders.iter().filter(|o| o.side == Side::Buy).map(|o| o.estimated_value.amount()).sum();
        let budget = (Decimal::from(cash) - c.book.pending_buys() + sold).min(Decimal::from(buying_power));
        prop_assert!(bought <= budget.max(Decimal::ZERO), "bought {bought} > budget {budget}");
        let equity = c.book.equity.amount();
        for o in &p.orders {
            prop_assert!(o.estimated_value.amount() >= c.orders.min_notional);
            let price = c.prices[&o.symbol].amount();
            let target = c.targets.iter().find(|t| t.symbol == o.symbol).unwrap().weight.min(c.max_weight);
            match o.side {
                Side::Sell => {
                    let Size::Qty(q) = o.size else { panic!("sells are in shares") };
                    prop_assert!(q <= c.book.sellable(&o.symbol));
                    let gap = c.book.held[&o.symbol] * price / equity - target;
                    prop_assert!(target.is_zero() || gap > c.orders.rebalance_threshold, "sold within the threshold");
                }
                Side::Buy => {
                    let have = (c.book.held[&o.symbol] + c.book.pending[&o.symbol].buy_qty) * price;
                    prop_assert!(target - have / equity > c.orders.rebalance_threshold, "bought within the threshold");
                }
            }
        }
        let first_buy = p.orders.iter().position(|o| o.side == Side::Buy).unwrap_or(p.orders.len());
        prop_assert!(p.orders[first_buy..].iter().all(|o| o.side == Side::Buy), "sells before buys");
    }
}

#[test]
fn the_settings_fingerprint_changes_with_what_decides_a_plan_only() {
    let base = crate::config::Settings::default();
    let print = settings_fingerprint(&base);
    assert_eq!(print.len(), 10);
    let mut reordered = base.clone();
    reordered.universe.symbols.reverse();
    assert_eq!(
        settings_fingerprint(&reordered),
        print,
        "order is not meaning"
    );
    let mut timeouts = base.clone();
    timeouts.alpaca.request_timeout_secs += 1;
    assert_eq!(settings_fingerprint(&timeouts), print, "no plan decision");
    let mut fewer = base.clone();
    fewer.universe.symbols.pop();
    let mut cap = base.clone();
    cap.risk.max_order_notional /= Decimal::TWO;
    let mut sizing = base.clone();
    sizing.orders.fractional = !sizing.orders.fractional;
    for changed in [fewer, cap, sizing] {
        assert_ne!(settings_fingerprint(&changed), print);
    }
}

#[test]
fn auroras_orders_are_known_by_their_ids() {
    let monday: SessionDate = "2026-11-30".parse().unwrap();
    let id = client_order_id(monday, "trend", &sym("SPY"), Side::Buy, "1a2b3c4d5e");
    assert!(is_session_order(id.as_str(), monday));
    assert!(!is_session_order(
        id.as_str(),
        "2026-12-01".parse().unwrap()
    ));
    assert!(!is_session_order("manual-2026-11-30-SPY", monday));
    assert!(!is_session_order("aurora-2026-11-300", monday));
}
