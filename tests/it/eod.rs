//! `aurora eod` against the fake: reconciliation, the snapshot and the daily report.

use crate::common::World;
use aurora::sim::state::FaultAction;
use rust_decimal::Decimal;

/// Monday 2026-11-30, 08:00 CT.
const MONDAY_0800_CT: &str = "2026-11-30T14:00:00Z";
/// Monday 15:15 CT, the eod timer.
const MONDAY_1515_CT: &str = "2026-11-30T21:15:00Z";
const FIXED: &str =
    "[strategy]\nname = \"fixed\"\nweights = { SPY = 0.2, TLT = 0.2, GLD = 0.15 }\n";

fn traded_day() -> World {
    let w = World::at(MONDAY_0800_CT);
    w.write_config(FIXED);
    w.aurora(&["trade"]).run().code(0);
    w
}

fn close_and_eod(w: &World, code: i32) -> serde_json::Value {
    w.sim.close_session().unwrap();
    w.sim.set_clock(MONDAY_1515_CT.parse().unwrap(), true);
    w.aurora(&["eod", "--json"]).run().code(code).json()
}

fn dec(v: &serde_json::Value) -> Decimal {
    v.as_str()
        .unwrap_or_else(|| panic!("not a decimal string: {v}"))
        .parse()
        .unwrap()
}

#[test]
fn a_full_trading_day_reconciles_to_the_cent() {
    let w = traded_day();
    w.sim.open_session().unwrap();
    let json = close_and_eod(&w, 0);
    let day = &json["day"];
    let orders = day["orders"].as_array().unwrap();
    assert_eq!(orders.len(), 3);
    assert!(orders.iter().all(|o| o["fate"] == "filled"), "{orders:?}");
    assert!(
        orders.iter().all(|o| o["slippage_bps"].is_string()),
        "slippage against the reference price"
    );
    assert_eq!(day["fills"].as_array().unwrap().len(), 3);
    // Equity is cash plus the market value of positions, to the cent.
    let positions: Decimal = day["positions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| dec(&p["market_value"]))
        .sum();
    assert_eq!(
        dec(&day["account"]["equity"]),
        dec(&day["account"]["cash"]) + positions
    );
    assert!(day["discrepancies"].as_array().unwrap().is_empty());
    // One snapshot, and both report files, agreeing with the output.
    assert_eq!(
        w.store()
            .snapshot_count("2026-11-30".parse().unwrap())
            .unwrap(),
        1
    );
    let md_path = day["files"]["markdown"].as_str().unwrap();
    let md = std::fs::read_to_string(md_path).unwrap();
    let from_file: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(day["files"]["json"].as_str().unwrap()).unwrap(),
    )
    .unwrap();
    assert_eq!(from_file, json);
    let equity: aurora::types::Money =
        serde_json::from_value(day["account"]["equity"].clone()).unwrap();
    assert!(md.contains(&format!("equity {equity}")), "{md}");
    assert!(md.contains("![Equity curve](equity.svg)"));
    assert!(md.starts_with("# Aurora daily report — 2026-11-30"));
    assert!(std::path::Path::new(day["files"]["chart"].as_str().unwrap()).exists());
}

#[test]
fn a_position_changed_outside_aurora_is_a_discrepancy() {
    let w = traded_day();
    w.sim.open_session().unwrap();
    w.sim.adjust_position("SPY", Decimal::from(7));
    let json = close_and_eod(&w, 4);
    let d = &json["day"]["discrepancies"].as_array().unwrap()[0];
    assert_eq!(d["symbol"], "SPY");
    assert_eq!(d["actual"], "7");
    assert!(dec(&d["expected"]) > Decimal::from(7));
    // The report is written before exiting 4.
    let md = std::fs::read_to_string(json["day"]["files"]["markdown"].as_str().unwrap()).unwrap();
    assert!(md.contains("| SPY |") && md.contains("discrepancies found"));
}

#[test]
fn a_partial_fill_and_a_rejection_are_reported_with_quantities_and_reason() {
    let w = World::at(MONDAY_0800_CT);
    w.write_config(FIXED);
    // The last order sent (GLD, in plan order) is refused.
    w.sim.inject(aurora::sim::state::Fault {
        method: Some("POST".into()),
        path: "/v2/orders".into(),
        skip: 2,
        times: 1,
        action: FaultAction::Status {
            status: 403,
            code: Some(40310000),
            message: "insufficient buying power".into(),
            retry_after_secs: None,
            reset_in_secs: None,
        },
    });
    w.aurora(&["trade"]).run().code(1);
    let first = w.sim.orders().into_iter().next().unwrap();
    w.sim
        .fill(&first.client_order_id, Decimal::from(10), None)
        .unwrap();
    let done = {
        w.sim.close_session().unwrap();
        w.sim.set_clock(MONDAY_1515_CT.parse().unwrap(), true);
        w.aurora(&["eod"]).run().code(0)
    };
    assert!(
        done.stdout.contains("rejected: insufficient buying power"),
        "{}",
        done.stdout
    );
    assert!(
        done.stdout
            .contains(&format!("{} partially filled: 10 of", first.symbol)),
        "{}",
        done.stdout
    );
    assert!(
        done.stdout
            .contains("1 partially filled, 0 unfilled, 0 canceled, 1 expired, 1 rejected"),
        "{}",
        done.stdout
    );
}

#[test]
fn eod_twice_keeps_one_snapshot_and_the_same_report() {
    let w = traded_day();
    w.sim.open_session().unwrap();
    let first = close_and_eod(&w, 0);
    let path = first["day"]["files"]["markdown"]
        .as_str()
        .unwrap()
        .to_owned();
    let md1 = std::fs::read_to_string(&path).unwrap();
    let second = w.aurora(&["eod", "--json"]).run().code(0).json();
    assert_eq!(first, second);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), md1);
    assert_eq!(w.store().snapshots().unwrap().len(), 1);
}

#[test]
fn a_holiday_has_nothing_to_reconcile() {
    let w = World::at("2026-11-26T21:15:00Z");
    w.aurora(&["eod"])
        .run()
        .code(0)
        .stdout_has("No session on 2026-11-26");
    assert!(w.store().snapshots().unwrap().is_empty());
}

#[test]
fn demo_runs_three_days_with_reports_and_a_well_formed_chart() {
    let home = tempfile::tempdir().unwrap();
    let state = home.path().join("demo");
    let done = crate::common::Run::new(home.path())
        .args(&[
            "demo",
            "--days",
            "3",
            "--state-dir",
            state.to_str().unwrap(),
        ])
        .run()
        .code(0);
    for day in ["2026-11-30", "2026-12-01", "2026-12-02"] {
        assert!(
            state.join(format!("reports/{day}.md")).exists(),
            "{day}\n{}",
            done.stdout
        );
        assert!(
            done.stdout.contains(&format!("{day}  eod       ok")),
            "{}",
            done.stdout
        );
    }
    let svg = std::fs::read_to_string(state.join("reports/equity.svg")).unwrap();
    let doc = roxmltree::Document::parse(&svg).expect("well-formed XML");
    // One blue point per day, plus the red marker on the last one.
    let circles = doc
        .descendants()
        .filter(|n| n.has_tag_name("circle"))
        .count();
    assert_eq!(circles, 3 + 1, "{svg}");
}
