//! `aurora trade` and money: the two-phase submission (a rejected sell funds no buy), open
//! orders as pending exposure, the budget after dropped sells, and the order cap per session.

use std::str::FromStr;

use crate::common::api::{Api, dv};
use crate::common::{FAST_RETRIES, World, coded_fault};
use crate::trade::{MONDAY_0800_CT, posts};
use aurora::sim::state::{AccountPatch, OrderSeed};
use rust_decimal::Decimal;

/// Monday 2026-11-30, 10:00 ET: in session, so market orders fill at once at the price the plan
/// was sized at.
const MONDAY_1000_ET: &str = "2026-11-30T15:00:00Z";

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn json_dec(v: &serde_json::Value) -> Decimal {
    d(v.as_str()
        .unwrap_or_else(|| panic!("not a decimal string: {v}")))
}

/// The fake's account: (cash, equity, long market value).
fn books(w: &World) -> (Decimal, Decimal, Decimal) {
    let a = Api::new(w).account();
    (
        dv(&a["cash"]),
        dv(&a["equity"]),
        dv(&a["long_market_value"]),
    )
}

#[test]
fn a_rejected_sell_funds_no_buy_and_exposure_stays_within_equity() {
    let w = World::at(MONDAY_1000_ET);
    // 400 TLT to sell; buys of SPY and GLD planned with its proceeds; buying power 50,000.
    w.sim.adjust_position("TLT", d("400"));
    w.account(AccountPatch {
        cash: Some(d("40000")),
        last_equity: Some(d("60000")),
        buying_power: Some(d("50000")),
        ..AccountPatch::default()
    });
    w.write_config(&format!(
        "[strategy]\nname = \"fixed\"\nweights = {{ SPY = 0.5, GLD = 0.5 }}\n[risk]\nmax_position_weight = 0.5\nmax_order_notional = 100000\n{FAST_RETRIES}"
    ));
    // Alpaca refuses the sell (the first order sent: sells go first).
    w.fault(
        "POST",
        "/v2/orders",
        1,
        coded_fault(403, 40310000, "insufficient qty available for order"),
    );
    let json = w.aurora(&["trade", "--json"]).run().code(1).json();
    let orders = json["orders"].as_array().unwrap();
    assert_eq!(orders[0]["symbol"], "TLT");
    assert_eq!(orders[0]["outcome"], "rejected");
    for o in &orders[1..] {
        assert_eq!(o["outcome"], "accepted", "{o}");
        let note = o["note"].as_str().unwrap();
        assert!(
            note.contains("the account can pay $40,000.00 for buys now")
                && note.ends_with("(the TLT sell was rejected or not sent)"),
            "{note}"
        );
    }
    // What went out fits what the account had when it was sent, and after the fills gross
    // exposure is within equity: no leverage.
    let bought: Decimal = w
        .sim
        .orders()
        .iter()
        .filter(|o| o.side == "buy")
        .map(|o| o.filled_qty * o.filled_avg_price.unwrap_or_default())
        .sum();
    assert!(bought <= d("40000"), "bought {bought}");
    let (cash, equity, exposure) = books(&w);
    assert!(cash >= Decimal::ZERO, "cash {cash}");
    assert!(exposure <= equity, "exposure {exposure} > equity {equity}");
}

#[test]
fn fractional_and_notional_orders_go_out_as_day_orders_even_when_opg_is_configured() {
    let w = World::at(MONDAY_0800_CT);
    // A fractional holding to sell whole, and notional buys.
    w.sim.adjust_position("TLT", d("10.5"));
    w.write_config(
        "[strategy]\nname = \"fixed\"\nweights = { SPY = 0.2, GLD = 0.15 }\n[orders]\nfractional = true\ntime_in_force = \"opg\"\n",
    );
    let json = w.aurora(&["trade", "--json"]).run().code(0).json();
    let orders = w.sim.orders();
    assert_eq!(orders.len(), 3, "{json}");
    for o in &orders {
        assert_eq!(o.status, "accepted", "{o:?}");
        assert_eq!(o.time_in_force, "day", "{o:?}");
    }
    let sell = orders.iter().find(|o| o.side == "sell").unwrap();
    assert_eq!(sell.qty, Some(d("10.5")));
}

#[test]
fn an_open_order_counts_toward_the_weight_cap_and_the_plan_says_so() {
    let w = World::at(MONDAY_0800_CT);
    w.write_config("[strategy]\nname = \"fixed\"\nweights = { SPY = 0.35, TLT = 0.3 }\n");
    // Someone's buy of 100 SPY, waiting for the open.
    w.sim.add_order(OrderSeed {
        symbol: "SPY".into(),
        side: "buy".into(),
        qty: d("100"),
        order_type: "market".into(),
        limit_price: None,
        time_in_force: "day".into(),
        client_order_id: None,
        status: "accepted".into(),
    });
    let json = w.aurora(&["trade", "--json"]).run().code(0).json();
    let spy = json["orders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["symbol"] == "SPY")
        .expect("a smaller SPY buy");
    let price = json_dec(&spy["reference_price"]);
    let after = (json_dec(&spy["qty"]) + d("100")) * price;
    assert!(
        after <= d("0.35") * d("100000"),
        "SPY with the pending order: {after}"
    );
    assert!(
        json["notes"].as_array().unwrap().iter().any(|n| n
            .as_str()
            .unwrap()
            .starts_with("SPY: 100 pending in an open order")),
        "{}",
        json["notes"]
    );
    // The open buy holds its cash: everything Aurora sent fits in what is left.
    w.sim.open_session().unwrap();
    let (cash, equity, exposure) = books(&w);
    assert!(cash >= Decimal::ZERO && exposure <= equity, "cash {cash}");
}

#[test]
fn a_leftover_share_below_min_notional_does_not_block_the_plan() {
    let w = World::at(MONDAY_0800_CT);
    // One TLT share (about $67) is too small to sell; the rest of equity goes to SPY and GLD.
    w.sim.adjust_position("TLT", d("1"));
    w.write_config(
        "[strategy]\nname = \"fixed\"\nweights = { SPY = 0.5, GLD = 0.5 }\n[risk]\nmax_position_weight = 0.5\nmax_order_notional = 100000\n[orders]\nfractional = true\n",
    );
    let json = w.aurora(&["trade", "--json"]).run().code(0).json();
    assert_eq!(json["outcome"]["kind"], "submitted", "{json}");
    assert!(
        json["notes"].as_array().unwrap().iter().any(|n| n
            .as_str()
            .unwrap()
            .starts_with("TLT: sell of $")
            && n.as_str().unwrap().contains("is below orders.min_notional")),
        "{}",
        json["notes"]
    );
    assert_eq!(posts(&w), 2, "two buys, no sell");
}

#[test]
fn the_order_cap_counts_what_an_earlier_revision_traded_this_session() {
    let w = World::at(MONDAY_0800_CT);
    // 35% of $100,000 is wanted in SPY, but only $25,000 may trade per symbol per session.
    w.write_config("[strategy]\nname = \"fixed\"\nweights = { SPY = 0.35 }\n");
    let first = w.aurora(&["trade", "--json"]).run().code(0).json();
    let reason = first["orders"][0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("; capped at $25,000.00: ") && reason.ends_with("of 35.0% today"),
        "{reason}"
    );
    // The open at Friday's close, so the fill costs what the plan counted.
    let friday = w.sim.bars(
        "SPY",
        "2026-11-27".parse().unwrap(),
        "2026-11-27".parse().unwrap(),
    );
    let close = friday[0].close.to_string();
    crate::common::api::set_bar(&w, "SPY", "2026-11-30", &close, &close);
    w.sim.open_session().unwrap();
    // A replan a risk rule blocks, then a plain run: it plans afresh in the same session.
    w.account(AccountPatch {
        trading_blocked: Some(true),
        ..AccountPatch::default()
    });
    w.aurora(&["trade", "--replan"]).run().code(3);
    w.account(AccountPatch {
        trading_blocked: Some(false),
        ..AccountPatch::default()
    });
    let again = w.aurora(&["trade", "--json"]).run().code(0).json();
    assert!(
        again["orders"].as_array().unwrap().is_empty(),
        "{}",
        again["orders"]
    );
    assert!(
        again["notes"][0]
            .as_str()
            .unwrap()
            .starts_with("SPY: max_order_notional $25,000.00 already used this session"),
        "{}",
        again["notes"]
    );
    let traded: Decimal = w
        .sim
        .orders()
        .iter()
        .map(|o| o.filled_qty * o.filled_avg_price.unwrap_or_default())
        .sum();
    assert!(traded <= d("25000"), "SPY traded {traded}");
}
