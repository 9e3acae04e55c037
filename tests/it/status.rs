//! `aurora status`: the facts, the health verdict, and the human view.

use crate::common::{MONDAY_0730_CT, World};
use aurora::sim::state::{AccountPatch, OrderSeed, SimPosition};

/// Monday 2026-11-30 09:05 CT: an hourly status run in session.
const MONDAY_0905_CT: &str = "2026-11-30T15:05:00Z";

fn dec(s: &str) -> rust_decimal::Decimal {
    s.parse().unwrap()
}

fn seed(w: &World) {
    w.sim.set_positions(vec![
        SimPosition {
            symbol: "SPY".into(),
            qty: dec("10"),
            avg_entry_price: dec("500"),
            current_price: dec("510.25"),
            lastday_price: dec("505"),
        },
        SimPosition {
            symbol: "TLT".into(),
            qty: dec("40"),
            avg_entry_price: dec("92.5"),
            current_price: dec("90"),
            lastday_price: dec("91"),
        },
    ]);
    w.account(AccountPatch {
        cash: Some(dec("91297.5")),
        last_equity: Some(dec("99850")),
        ..AccountPatch::default()
    });
    w.sim.add_order(OrderSeed {
        symbol: "QQQ".into(),
        side: "buy".into(),
        qty: dec("5"),
        order_type: "limit".into(),
        limit_price: Some(dec("400")),
        time_in_force: "day".into(),
        client_order_id: Some("aurora-2026-11-30-trend-QQQ-buy-1a2b3c4d".into()),
        status: "new".into(),
    });
}

#[test]
fn json_holds_the_documented_fields() {
    let w = World::at(MONDAY_0905_CT);
    seed(&w);
    w.aurora(&["preflight"]).run().code(0);
    let j = w.aurora(&["status", "--json"]).run().code(0).json();

    assert_eq!(j["market"]["is_open"], true);
    assert_eq!(j["market"]["now"], "2026-11-30T15:05:00Z");
    assert_eq!(j["market"]["next_close"], "2026-11-30T21:00:00Z");
    assert_eq!(j["market"]["next_open"], "2026-12-01T14:30:00Z");
    assert_eq!(j["market"]["today"]["kind"], "session");

    // equity = cash + 10 × 510.25 + 40 × 90
    assert_eq!(j["account"]["equity"], "100000");
    assert_eq!(j["account"]["cash"], "91297.5");
    assert_eq!(j["account"]["last_equity"], "99850");
    assert_eq!(j["account"]["day_change"], "150");
    assert_eq!(j["account"]["day_change_pct"], "0.15");
    assert!(j["account"]["buying_power"].is_string());

    let positions = j["positions"].as_array().unwrap();
    assert_eq!(positions.len(), 2);
    assert_eq!(positions[0]["symbol"], "SPY");
    assert_eq!(positions[0]["qty"], "10");
    assert_eq!(positions[0]["market_value"], "5102.5");
    assert_eq!(positions[0]["unrealized_pl"], "102.5");

    let orders = j["open_orders"].as_array().unwrap();
    assert_eq!(orders.len(), 1);
    assert_eq!(
        orders[0]["client_order_id"],
        "aurora-2026-11-30-trend-QQQ-buy-1a2b3c4d"
    );
    assert_eq!(orders[0]["status"], "new");
    assert_eq!(orders[0]["side"], "buy");

    let runs = j["last_runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1, "status's own runs are not listed: {runs:?}");
    assert_eq!(runs[0]["job"], "preflight");
    assert_eq!(runs[0]["outcome"], "ok");
    assert!(runs[0]["age_secs"].is_i64());
    assert_eq!(j["preflight"]["passed"], true);
    assert_eq!(j["health"]["ok"], true);
    assert_eq!(j["health"]["problems"], serde_json::json!([]));
}

#[test]
fn human_output() {
    let w = World::at(MONDAY_0905_CT);
    seed(&w);
    w.aurora(&["preflight"]).run().code(0);
    let done = w.aurora(&["status"]).run().code(0);
    insta::with_settings!({filters => vec![
        // Run times are this machine's clock, not the fake's.
        (r"\w{3} \d{4}-\d{2}-\d{2} \d{2}:\d{2} C[SD]T \(\w+ ago\)", "[local time] ([age] ago)"),
    ]}, {
        insta::assert_snapshot!(done.stdout);
    });
}

#[test]
fn no_passing_preflight_after_0745_ct_is_unhealthy() {
    let w = World::at(MONDAY_0905_CT);
    w.aurora(&["status"])
        .run()
        .code(1)
        .stdout_has("❌ preflight: no preflight recorded for 2026-11-30 (due by 07:45 CT)");
    // Before 07:45 CT it is not yet due.
    let early = World::at(MONDAY_0730_CT);
    early
        .aurora(&["status"])
        .run()
        .code(0)
        .stdout_has("Health: ✅ healthy");
}

#[test]
fn a_failed_last_run_is_unhealthy() {
    let w = World::at(MONDAY_0905_CT);
    w.account(AccountPatch {
        account_blocked: Some(true),
        ..AccountPatch::default()
    });
    w.aurora(&["preflight"]).run().code(3);
    let j = w.aurora(&["status", "--json"]).run().code(1).json();
    let problems = j["health"]["problems"].as_array().unwrap();
    let subjects: Vec<_> = problems
        .iter()
        .map(|p| p["subject"].as_str().unwrap())
        .collect();
    assert!(subjects.contains(&"preflight"), "{problems:?}");
    assert!(
        problems.iter().any(|p| p["detail"]
            .as_str()
            .unwrap()
            .contains("last run failed (blocked, exit 3)")),
        "{problems:?}"
    );
}

#[test]
fn holiday_status_says_why_and_is_healthy() {
    let w = World::at("2026-11-26T16:00:00Z");
    w.aurora(&["status"])
        .run()
        .code(0)
        .stdout_has("No session on 2026-11-26 (market holiday: Thanksgiving Day)")
        .stdout_has("opens Fri 2026-11-27 08:30 CST");
}

#[test]
fn todays_plan_orders_and_fills_show_after_a_trade() {
    let w = World::at("2026-11-30T14:00:00Z");
    w.write_config("[strategy]\nname = \"fixed\"\nweights = { SPY = 0.2, TLT = 0.2 }\n");
    w.aurora(&["trade"]).run().code(0);
    w.sim.open_session().unwrap();
    let j = w.aurora(&["status", "--json"]).run().code(0).json();
    let orders = j["plan"]["orders"].as_array().unwrap();
    assert_eq!(j["plan"]["revision"], 0);
    assert_eq!(orders.len(), 2);
    for o in orders {
        assert_eq!(o["state"], "accepted");
        assert_eq!(o["alpaca_status"], "filled");
        assert!(o["filled_avg_price"].is_string());
    }
    w.aurora(&["status"])
        .run()
        .code(0)
        .stdout_has("Today's plan (revision 0, submitted): 2 order(s), 2 with fills")
        .stdout_has("day P&L");
}
