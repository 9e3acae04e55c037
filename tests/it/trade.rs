//! `aurora trade` against the fake: the gate, the plan, risk rules, and orders placed exactly once.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::common::{World, coded_fault, status_fault, wait_until};
use aurora::sim::state::{AccountPatch, Fault, FaultAction};

/// Monday 2026-11-30, 08:00 CT: the trading timer, half an hour before the open.
pub const MONDAY_0800_CT: &str = "2026-11-30T14:00:00Z";
/// A deterministic strategy: three buys from a flat $100k account.
pub const FIXED: &str =
    "[strategy]\nname = \"fixed\"\nweights = { SPY = 0.2, TLT = 0.2, GLD = 0.15 }\n";

fn world() -> World {
    let w = World::at(MONDAY_0800_CT);
    w.write_config(FIXED);
    w
}

pub fn posts(w: &World) -> usize {
    w.requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == "/v2/orders")
        .count()
}

/// Client order ids on the fake, with how many orders carry each.
pub fn ids_on_fake(w: &World) -> BTreeMap<String, usize> {
    let mut ids = BTreeMap::new();
    for o in w.sim.orders() {
        *ids.entry(o.client_order_id).or_insert(0) += 1;
    }
    ids
}

/// As if the first run had died before recording its sends: every order back to `planned`.
fn forget_sends(w: &World) {
    let db = rusqlite::Connection::open(w.state_dir().join("aurora.db")).unwrap();
    db.execute("UPDATE orders SET state = 'planned', attempts = 0", [])
        .unwrap();
}

pub fn planned_ids(json: &serde_json::Value) -> Vec<String> {
    json["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["client_order_id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn happy_path_places_each_planned_order_once() {
    let w = world();
    let done = w.aurora(&["trade", "--json"]).run().code(0);
    let json = done.json();
    assert_eq!(json["outcome"]["kind"], "submitted");
    let ids = planned_ids(&json);
    assert_eq!(ids.len(), 3);
    let on_fake = ids_on_fake(&w);
    for id in &ids {
        assert_eq!(on_fake.get(id), Some(&1), "{id} on the fake: {on_fake:?}");
        assert!(id.starts_with("aurora-2026-11-30-fixed-"), "{id}");
    }
    for o in json["orders"].as_array().unwrap() {
        assert_eq!(o["outcome"], "accepted");
        assert_eq!(o["alpaca_status"], "accepted", "queued before the open");
        assert_eq!(o["side"], "buy");
    }
    assert_eq!(posts(&w), 3);
    // The inline preflight ran first and was recorded.
    assert!(
        w.store()
            .latest_preflight("2026-11-30".parse().unwrap())
            .unwrap()
            .unwrap()
            .passed
    );
    // At the open the fake fills them; the account adds up.
    w.sim.open_session().unwrap();
    let filled = w
        .sim
        .orders()
        .iter()
        .filter(|o| o.status == "filled")
        .count();
    assert_eq!(filled, 3);
}

#[test]
fn human_output_lists_orders_with_reasons() {
    let w = world();
    let done = w
        .aurora(&["trade"])
        .run()
        .code(0)
        .stdout_has("Trade 2026-11-30")
        .stdout_has("SYMBOL")
        .stdout_has("fixed weight 0.2; weight 0.0% → 20.0%");
    // Aurora's state and Alpaca's status are the same word before the open: said once.
    assert!(
        !done.stdout.contains("accepted (accepted)"),
        "{}",
        done.stdout
    );
    assert_eq!(
        done.stdout.matches("  accepted  ").count(),
        3,
        "{}",
        done.stdout
    );
}

#[test]
fn a_second_run_the_same_session_sends_nothing_new() {
    let w = world();
    w.aurora(&["trade"]).run().code(0);
    let before = posts(&w);
    let json = w.aurora(&["trade", "--json"]).run().code(0).json();
    assert_eq!(json["resumed"], true);
    assert_eq!(posts(&w), before);
    assert!(ids_on_fake(&w).values().all(|n| *n == 1));
}

#[test]
fn a_503_on_submit_is_resolved_by_lookup_then_sent_once() {
    let w = world();
    w.fault(
        "POST",
        "/v2/orders",
        1,
        status_fault(503, "service unavailable"),
    );
    let json = w.aurora(&["trade", "--json"]).run().code(0).json();
    let ids = planned_ids(&json);
    let on_fake = ids_on_fake(&w);
    assert_eq!(on_fake.len(), 3);
    assert!(
        ids.iter().all(|id| on_fake.get(id) == Some(&1)),
        "{on_fake:?}"
    );
    assert_eq!(posts(&w), 4, "one 503, then each order once");
    assert_eq!(w.requests_to("/v2/orders:by_client_order_id").len(), 1);
}

#[test]
fn accept_then_drop_leaves_exactly_one_order() {
    let w = world();
    w.fault("POST", "/v2/orders", 1, FaultAction::AcceptThenDrop);
    let json = w.aurora(&["trade", "--json"]).run().code(0).json();
    let on_fake = ids_on_fake(&w);
    assert_eq!(on_fake.len(), 3);
    assert!(
        planned_ids(&json)
            .iter()
            .all(|id| on_fake.get(id) == Some(&1)),
        "{on_fake:?}"
    );
    assert_eq!(
        posts(&w),
        3,
        "the dropped one was found by its id, not sent again"
    );
}

#[test]
fn a_duplicate_id_422_means_already_placed() {
    let w = world();
    w.aurora(&["trade"]).run().code(0);
    // As if the process had died after Alpaca took the orders but before it recorded them.
    forget_sends(&w);
    let json = w.aurora(&["trade", "--json"]).run().code(0).json();
    assert!(
        json["orders"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["outcome"] == "accepted")
    );
    let statuses: Vec<u16> = w
        .requests_to("/v2/orders")
        .iter()
        .filter(|r| r.method == "POST")
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [200, 200, 200, 422, 422, 422]);
    assert!(ids_on_fake(&w).values().all(|n| *n == 1));
}

#[test]
fn insufficient_buying_power_is_recorded_with_alpacas_message() {
    let w = world();
    w.fault(
        "POST",
        "/v2/orders",
        1,
        coded_fault(403, 40310000, "insufficient buying power"),
    );
    let done = w.aurora(&["trade", "--json"]).run().code(1);
    let json = done.json();
    let rejected: Vec<_> = json["orders"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["outcome"] == "rejected")
        .collect();
    assert_eq!(rejected.len(), 1);
    assert!(
        rejected[0]["message"]
            .as_str()
            .unwrap()
            .contains("insufficient buying power [code 40310000] (HTTP 403)")
    );
    assert_eq!(ids_on_fake(&w).len(), 2, "the rest of the plan went on");
}

#[test]
fn a_failed_preflight_blocks_with_exit_3_and_no_post() {
    let w = world();
    w.account(AccountPatch {
        trading_blocked: Some(true),
        ..AccountPatch::default()
    });
    w.aurora(&["trade"])
        .run()
        .code(3)
        .stdout_has("Preflight for 2026-11-30 failed (account:");
    assert_eq!(posts(&w), 0);
}

#[test]
fn the_kill_switch_file_pauses_trade_with_exit_0() {
    let w = world();
    std::fs::create_dir_all(w.state_dir()).unwrap();
    std::fs::write(w.state_dir().join("HALT"), "").unwrap();
    w.aurora(&["trade"])
        .run()
        .code(0)
        .stdout_has("Trade: ⏸ paused");
    assert_eq!(posts(&w), 0);
}

#[test]
fn a_risk_rule_blocks_the_whole_plan_by_default() {
    let w = World::at(MONDAY_0800_CT);
    w.write_config(&format!("{FIXED}\n[risk]\nmax_orders_per_day = 2\n"));
    w.aurora(&["trade"])
        .run()
        .code(3)
        .stdout_has("BLOCKED")
        .stdout_has("max_orders_per_day (GLD): order 3 is over 2");
    assert_eq!(posts(&w), 0);
}

#[test]
fn drop_sends_only_the_orders_that_pass() {
    let w = World::at(MONDAY_0800_CT);
    w.write_config(&format!(
        "{FIXED}\n[risk]\nmax_orders_per_day = 2\non_violation = \"drop\"\n"
    ));
    let json = w.aurora(&["trade", "--json"]).run().code(0).json();
    let symbols: Vec<&str> = json["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["symbol"].as_str().unwrap())
        .collect();
    assert_eq!(
        symbols,
        ["SPY", "TLT"],
        "the third order of the day is over the limit"
    );
    assert_eq!(json["violations"].as_array().unwrap().len(), 1);
    assert_eq!(posts(&w), 2);
}

#[test]
fn a_holiday_is_a_no_op() {
    let w = World::at("2026-11-26T14:00:00Z");
    w.write_config(FIXED);
    w.aurora(&["trade"])
        .run()
        .code(0)
        .stdout_has("No session today (market holiday: Thanksgiving Day)");
    assert_eq!(posts(&w), 0);
}

#[test]
fn a_late_run_after_the_close_is_skipped() {
    let w = World::at("2026-11-30T21:30:00Z");
    w.write_config(FIXED);
    w.aurora(&["trade"]).run().code(0).stdout_has("has closed");
    assert_eq!(posts(&w), 0);
}

#[test]
fn a_dry_run_stores_the_plan_and_sends_nothing() {
    let w = world();
    let json = w
        .aurora(&["trade", "--dry-run", "--json"])
        .run()
        .code(0)
        .json();
    assert_eq!(json["outcome"]["kind"], "dry_run");
    assert_eq!(json["orders"].as_array().unwrap().len(), 3);
    assert_eq!(posts(&w), 0);
    // A real run afterwards plans anew (the dry run is not continued) and sends.
    let real = w.aurora(&["trade", "--json"]).run().code(0).json();
    assert_eq!(real["resumed"], false);
    assert_eq!(posts(&w), 3);
}

#[test]
fn replan_cancels_open_orders_and_plans_afresh() {
    let w = world();
    let first = planned_ids(&w.aurora(&["trade", "--json"]).run().code(0).json());
    let second = planned_ids(
        &w.aurora(&["trade", "--replan", "--json"])
            .run()
            .code(0)
            .json(),
    );
    assert_eq!(second.len(), 3);
    assert!(
        first.iter().all(|id| !second.contains(id)),
        "a replan uses new ids"
    );
    let orders = w.sim.orders();
    for o in &orders {
        let expected = if first.contains(&o.client_order_id) {
            "canceled"
        } else {
            "accepted"
        };
        assert_eq!(o.status, expected, "{}", o.client_order_id);
    }
}

#[test]
fn killed_between_submissions_then_rerun_places_every_order_once() {
    let w = world();
    // The second order's POST hangs: a window to kill the job after the first was placed.
    w.sim.inject(Fault {
        method: Some("POST".into()),
        path: "/v2/orders".into(),
        skip: 1,
        times: 1,
        action: FaultAction::Delay { ms: 3_000 },
    });
    let mut child = w.aurora(&["trade"]).spawn();
    wait_until(
        Duration::from_secs(20),
        "the first order to be placed",
        || !w.sim.orders().is_empty(),
    );
    child.kill().unwrap();
    child.wait().unwrap();
    let json = w.aurora(&["trade", "--json"]).run().code(0).json();
    assert_eq!(json["resumed"], true);
    // Had the hung request still landed, Alpaca's unique ids would refuse it: each id exists once.
    let on_fake = ids_on_fake(&w);
    let ids = planned_ids(&json);
    assert_eq!(ids.len(), 3);
    assert!(
        ids.iter().all(|id| on_fake.get(id) == Some(&1)),
        "{on_fake:?}"
    );
    assert_eq!(on_fake.len(), 3);
}

#[test]
fn opg_is_used_before_its_cutoff_and_day_after() {
    let w = World::at(MONDAY_0800_CT);
    w.write_config(&format!("{FIXED}\n[orders]\ntime_in_force = \"opg\"\n"));
    w.aurora(&["trade"]).run().code(0);
    assert!(w.sim.orders().iter().all(|o| o.time_in_force == "opg"));

    // 09:29 ET: past Alpaca's 09:28 cutoff for opg, a minute before the open.
    let late = World::at("2026-11-30T14:29:00Z");
    late.write_config(&format!("{FIXED}\n[orders]\ntime_in_force = \"opg\"\n"));
    late.aurora(&["trade"]).run().code(0).stderr_has("cutoff");
    assert!(late.sim.orders().iter().all(|o| o.time_in_force == "day"));
}

#[test]
fn alpaca_unreachable_exits_75() {
    let w = world();
    w.write_config(&format!("{FIXED}\n{}", crate::common::FAST_RETRIES));
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    w.aurora(&["trade"])
        .env("APCA_API_BASE_URL", &dead)
        .run()
        .code(75)
        .stderr_has("cannot reach Alpaca");
}

#[test]
fn a_broker_outage_on_submit_is_temporary_and_the_next_run_finishes() {
    let w = world();
    // Every send of the first run fails: three tries per order, then exit 75 for systemd to retry.
    w.fault(
        "POST",
        "/v2/orders",
        9,
        status_fault(503, "service unavailable"),
    );
    w.aurora(&["trade"])
        .run()
        .code(75)
        .stderr_has("still unresolved");
    assert!(w.sim.orders().is_empty());
    let json = w.aurora(&["trade", "--json"]).run().code(0).json();
    assert_eq!(json["resumed"], true);
    let on_fake = ids_on_fake(&w);
    assert_eq!(on_fake.len(), 3);
    assert!(
        planned_ids(&json)
            .iter()
            .all(|id| on_fake.get(id) == Some(&1)),
        "{on_fake:?}"
    );
}

#[test]
fn a_pause_also_stops_a_stored_plan_from_being_continued() {
    let w = world();
    w.aurora(&["trade"]).run().code(0);
    // As if the first run had died before sending: the orders are still planned.
    forget_sends(&w);
    let before = posts(&w);
    std::fs::write(w.state_dir().join("HALT"), "").unwrap();
    w.aurora(&["trade"]).run().code(0).stdout_has("⏸ paused");
    assert_eq!(posts(&w), before);
}

#[test]
fn a_bad_last_bar_is_caught_by_the_price_move_guard_before_the_open() {
    let w = world();
    // Friday's stored SPY close is 50% off Wednesday's: stale or bad data, not a plan input.
    let before = w.sim.bars(
        "SPY",
        "2026-11-25".parse().unwrap(),
        "2026-11-25".parse().unwrap(),
    );
    let close = before[0].close * rust_decimal::Decimal::new(15, 1);
    w.sim.set_bar(aurora::sim::state::BarSet {
        symbol: "SPY".into(),
        date: "2026-11-27".parse().unwrap(),
        open: close,
        high: close,
        low: close,
        close,
        volume: 1_000,
    });
    w.aurora(&["trade"])
        .run()
        .code(3)
        .stdout_has("max_price_move (SPY)");
    assert_eq!(posts(&w), 0);
}
