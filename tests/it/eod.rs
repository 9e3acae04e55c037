//! `aurora eod` against the fake: every closed session reconciled once, oldest first; the
//! baseline; the figures; the daily report and its chart.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone as _, Utc};
use chrono_tz::America::Chicago;
use rust_decimal::Decimal;
use serde_json::Value;

use crate::common::World;
use aurora::sim::state::{FaultAction, OrderSeed, SimPosition};

const FIXED: &str =
    "[strategy]\nname = \"fixed\"\nweights = { SPY = 0.2, TLT = 0.2, GLD = 0.15 }\n";
/// The same universe, rebalanced: sells TLT, buys SPY.
const REWEIGHTED: &str =
    "[strategy]\nname = \"fixed\"\nweights = { SPY = 0.3, TLT = 0.1, GLD = 0.15 }\n";

/// `date` at `hh:mm` in America/Chicago, where the timers run.
fn ct(date: &str, h: u32, m: u32) -> DateTime<Utc> {
    let date: NaiveDate = date.parse().unwrap();
    Chicago
        .from_local_datetime(&date.and_time(NaiveTime::from_hms_opt(h, m, 0).unwrap()))
        .unwrap()
        .with_timezone(&Utc)
}

fn dec(v: &Value) -> Decimal {
    v.as_str()
        .unwrap_or_else(|| panic!("not a decimal string: {v}"))
        .parse()
        .unwrap()
}

fn money(v: &Value) -> aurora::types::Money {
    serde_json::from_value(v.clone()).unwrap()
}

/// A fake at 08:00 CT on `date` with the fixed strategy.
fn world(date: &str) -> World {
    let w = World::at(&ct(date, 8, 0).to_rfc3339());
    w.write_config(FIXED);
    w
}

/// The trade timer on `date`, at 08:00 CT.
fn trade(w: &World, date: &str) {
    w.sim.advance_to(ct(date, 8, 0)).unwrap();
    w.aurora(&["trade"]).run().code(0);
}

/// The market lives until `hh:mm` CT on `date` (opens and closes on the way), then eod runs.
fn eod_at(w: &World, date: &str, h: u32, m: u32, code: i32) -> Value {
    w.sim.advance_to(ct(date, h, m)).unwrap();
    w.aurora(&["eod", "--json"]).run().code(code).json()
}

/// A whole day as the timers run it: trade at 08:00, eod at 15:15 CT.
fn day(w: &World, date: &str) -> Value {
    trade(w, date);
    eod_at(w, date, 15, 15, 0)
}

fn sessions(json: &Value) -> Vec<&str> {
    json["reconciled"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["session"].as_str().unwrap())
        .collect()
}

fn closing_equity(w: &World, date: &str) -> Decimal {
    let date: NaiveDate = date.parse().unwrap();
    w.sim
        .closing_equities()
        .into_iter()
        .find(|(d, _)| *d == date)
        .unwrap_or_else(|| panic!("no close recorded for {date}"))
        .1
        .round_dp(2)
}

#[test]
fn a_full_trading_day_reconciles_to_the_cent() {
    let w = world("2026-11-30");
    let json = day(&w, "2026-11-30");
    assert_eq!(sessions(&json), ["2026-11-30"]);
    assert_eq!(json["market"], "closed");
    let day = &json["reconciled"][0];
    let orders = day["orders"].as_array().unwrap();
    assert_eq!(orders.len(), 3);
    assert!(orders.iter().all(|o| o["fate"] == "filled"), "{orders:?}");
    assert!(
        orders.iter().all(|o| o["slippage_bps"].is_string()),
        "slippage against the reference price"
    );
    assert_eq!(day["fills"].as_array().unwrap().len(), 3);
    // Equity is cash plus the market value of positions, to the cent, and the day's close.
    let positions: Decimal = day["positions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| dec(&p["market_value"]))
        .sum();
    let equity = dec(&day["account"]["equity"]);
    assert_eq!(equity, dec(&day["account"]["cash"]) + positions);
    assert_eq!(equity.round_dp(2), closing_equity(&w, "2026-11-30"));
    assert!(day["discrepancies"].as_array().unwrap().is_empty());
    // The first snapshot: Aurora's own buys are the baseline.
    assert_eq!(day["baseline"]["positions"], 3);
    assert_eq!(
        w.store()
            .snapshot_count("2026-11-30".parse().unwrap())
            .unwrap(),
        1
    );
    // The files agree with the output; the report links its own dated chart.
    let files = &day["files"];
    let md = std::fs::read_to_string(files["markdown"].as_str().unwrap()).unwrap();
    let from_file: Value =
        serde_json::from_str(&std::fs::read_to_string(files["json"].as_str().unwrap()).unwrap())
            .unwrap();
    assert_eq!(&from_file, day);
    assert!(
        md.contains(&format!("equity {}", money(&day["account"]["equity"]))),
        "{md}"
    );
    assert!(
        md.contains("![Equity curve](equity-2026-11-30.svg)"),
        "{md}"
    );
    assert!(md.starts_with("# Aurora daily report — 2026-11-30"));
    assert!(
        md.contains("| Sharpe |") && md.contains("| benchmark | SPY "),
        "{md}"
    );
    let chart = std::fs::read_to_string(files["chart"].as_str().unwrap()).unwrap();
    assert!(
        files["chart"]
            .as_str()
            .unwrap()
            .ends_with("equity-2026-11-30.svg")
    );
    assert_eq!(
        std::fs::read_to_string(files["latest_chart"].as_str().unwrap()).unwrap(),
        chart
    );
    roxmltree::Document::parse(&chart).expect("well-formed SVG");
    // The stats block carries the names.
    let stats = day["stats"].as_object().unwrap();
    for name in [
        "total_return",
        "day_return",
        "mtd_return",
        "cagr",
        "volatility",
        "sharpe",
        "sortino",
        "max_drawdown",
        "current_drawdown",
        "turnover",
        "exposure",
        "realized_pnl",
        "unrealized_pnl",
        "fees",
        "win_rate",
        "sessions",
        "benchmark",
        "excess_return",
    ] {
        assert!(stats.contains_key(name), "stats.{name} missing: {stats:?}");
    }
    assert_eq!(stats["sessions"], 1);
    // Allocation: each position beside the strategy's target.
    let allocation = day["allocation"].as_array().unwrap();
    let spy = allocation.iter().find(|a| a["symbol"] == "SPY").unwrap();
    assert_eq!(spy["target_weight"], 0.2);
    assert!(
        (spy["weight"].as_f64().unwrap() - 0.2).abs() < 0.01,
        "{spy}"
    );
}

#[test]
fn a_first_eod_with_three_held_positions_adopts_them_as_the_baseline() {
    // Migrating from the old script: three positions Aurora never bought.
    let w = world("2026-11-30");
    let held = |symbol: &str, qty: i64, price: &str| SimPosition {
        symbol: symbol.into(),
        qty: Decimal::from(qty),
        avg_entry_price: price.parse().unwrap(),
        current_price: price.parse().unwrap(),
        lastday_price: price.parse().unwrap(),
    };
    w.sim.set_positions(vec![
        held("SPY", 20, "500"),
        held("TLT", 100, "90"),
        held("GLD", 40, "180"),
    ]);
    w.sim.advance_to(ct("2026-11-30", 15, 15)).unwrap();
    let done = w.aurora(&["eod"]).run().code(0);
    assert!(
        done.stdout.contains("baseline: 3 positions adopted"),
        "{}",
        done.stdout
    );
    let snapshot = w.store().last_snapshot().unwrap().unwrap();
    assert!(snapshot.baseline);
    assert_eq!(snapshot.positions.len(), 3);
    // The next session is reconciled against them: nothing changed, nothing to report.
    let json = eod_at(&w, "2026-12-01", 15, 15, 0);
    let next = &json["reconciled"][0];
    assert_eq!(next["session"], "2026-12-01");
    assert!(next["baseline"].is_null());
    assert!(next["discrepancies"].as_array().unwrap().is_empty());
}

#[test]
fn a_manual_trade_is_a_discrepancy_of_its_own_session_and_only_once() {
    let w = world("2026-11-30");
    day(&w, "2026-11-30");
    // Tuesday someone buys 7 SPY by hand; the machine is off until Wednesday evening.
    w.sim.advance_to(ct("2026-12-01", 8, 0)).unwrap();
    w.sim.add_order(OrderSeed {
        symbol: "SPY".into(),
        side: "buy".into(),
        qty: Decimal::from(7),
        order_type: "market".into(),
        limit_price: None,
        time_in_force: "day".into(),
        client_order_id: None,
        status: "accepted".into(),
    });
    let json = eod_at(&w, "2026-12-02", 15, 15, 4);
    assert_eq!(sessions(&json), ["2026-12-01", "2026-12-02"]);
    let tuesday = &json["reconciled"][0]["discrepancies"];
    assert_eq!(tuesday.as_array().unwrap().len(), 1, "{tuesday}");
    assert_eq!(tuesday[0]["symbol"], "SPY");
    assert_eq!(
        dec(&tuesday[0]["actual"]) - dec(&tuesday[0]["expected"]),
        Decimal::from(7)
    );
    assert!(
        json["reconciled"][1]["discrepancies"]
            .as_array()
            .unwrap()
            .is_empty(),
        "Wednesday starts from what Alpaca held on Tuesday"
    );
    // Thursday: no alert again.
    let json = eod_at(&w, "2026-12-03", 15, 15, 0);
    assert_eq!(sessions(&json), ["2026-12-03"]);
}

#[test]
fn a_machine_off_across_a_session_catches_up_without_a_false_discrepancy() {
    let w = world("2026-11-30");
    day(&w, "2026-11-30");
    // Tuesday: the trade runs (a rebalance), then the machine is off from 15:00 to Wednesday
    // 07:00; the boot-time eod (Persistent=true) runs before Wednesday's open.
    w.write_config(REWEIGHTED);
    trade(&w, "2026-12-01");
    let json = eod_at(&w, "2026-12-02", 7, 0, 0);
    assert_eq!(sessions(&json), ["2026-12-01"]);
    assert_eq!(json["market"], "before_open");
    let tuesday = &json["reconciled"][0];
    assert_eq!(tuesday["caught_up"], true);
    assert!(tuesday["discrepancies"].as_array().unwrap().is_empty());
    let sides: Vec<&str> = tuesday["fills"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["side"].as_str().unwrap())
        .collect();
    assert_eq!(sides, ["sell", "buy"], "Tuesday's own fills");
    assert_eq!(
        dec(&tuesday["account"]["equity"]).round_dp(2),
        closing_equity(&w, "2026-12-01")
    );
    assert_eq!(
        dec(&tuesday["pnl"]["day"]).round_dp(2),
        closing_equity(&w, "2026-12-01") - closing_equity(&w, "2026-11-30")
    );
    let store = w.store();
    assert!(
        store
            .snapshot_before("2026-12-03".parse().unwrap())
            .unwrap()
            .is_some()
    );
    assert_eq!(
        store.snapshot_count("2026-12-02".parse().unwrap()).unwrap(),
        0
    );
    let reports = w.state_dir().join("reports");
    assert!(reports.join("2026-12-01.md").exists());
    assert!(!reports.join("2026-12-02.md").exists());
    // Wednesday's own eod reconciles Wednesday only.
    let json = day(&w, "2026-12-02");
    assert_eq!(sessions(&json), ["2026-12-02"]);
    assert_eq!(json["reconciled"][0]["caught_up"], false);
}

#[test]
fn a_late_eod_catches_up_every_missed_session_oldest_first() {
    let w = world("2026-11-30");
    day(&w, "2026-11-30");
    // Off Tuesday to Friday morning: three sessions pass with no job at all.
    let json = eod_at(&w, "2026-12-04", 6, 0, 0);
    assert_eq!(sessions(&json), ["2026-12-01", "2026-12-02", "2026-12-03"]);
    for (s, date) in json["reconciled"].as_array().unwrap().iter().zip([
        ("2026-11-30", "2026-12-01"),
        ("2026-12-01", "2026-12-02"),
        ("2026-12-02", "2026-12-03"),
    ]) {
        let (before, this) = date;
        assert_eq!(
            dec(&s["account"]["equity"]).round_dp(2),
            closing_equity(&w, this),
            "{this}"
        );
        assert_eq!(
            dec(&s["pnl"]["day"]).round_dp(2),
            closing_equity(&w, this) - closing_equity(&w, before),
            "{this}"
        );
        assert!(s["discrepancies"].as_array().unwrap().is_empty());
        let chart = w.state_dir().join(format!("reports/equity-{this}.svg"));
        assert!(chart.exists(), "{this} keeps its own chart");
    }
    assert_eq!(w.store().snapshots().unwrap().len(), 4);
    // Running again finds nothing new.
    let done = w.aurora(&["eod"]).run().code(0);
    assert!(
        done.stdout.contains("Nothing to reconcile"),
        "{}",
        done.stdout
    );
    assert_eq!(w.store().snapshots().unwrap().len(), 4);
}

#[test]
fn before_the_close_eod_stores_nothing_for_today_and_preview_shows_it() {
    let w = world("2026-11-30");
    day(&w, "2026-11-30");
    w.write_config(REWEIGHTED);
    trade(&w, "2026-12-01");
    w.sim.advance_to(ct("2026-12-01", 9, 0)).unwrap();
    let done = w.aurora(&["eod"]).run().code(0);
    assert!(
        done.stdout.contains("Session 2026-12-01 is still open"),
        "{}",
        done.stdout
    );
    assert_eq!(w.store().snapshots().unwrap().len(), 1);
    assert!(!w.state_dir().join("reports/2026-12-01.md").exists());

    let json = w
        .aurora(&["eod", "--preview", "--json"])
        .run()
        .code(0)
        .json();
    assert!(json["reconciled"].as_array().unwrap().is_empty());
    let preview = &json["preview"];
    assert_eq!(preview["session"], "2026-12-01");
    assert!(preview["files"].is_null());
    assert_eq!(preview["fills"].as_array().unwrap().len(), 2, "{preview}");
    assert_eq!(
        dec(&preview["account"]["equity"]),
        dec(&w.aurora(&["status", "--json"]).run().json()["account"]["equity"])
    );
    let text = w.aurora(&["eod", "--preview"]).run().code(0).stdout;
    assert!(
        text.contains("Today so far, 2026-12-01 (not stored)"),
        "{text}"
    );
    assert_eq!(w.store().snapshots().unwrap().len(), 1);
    assert!(!w.state_dir().join("reports/2026-12-01.md").exists());
}

#[test]
fn month_to_date_runs_from_the_last_close_of_the_previous_month() {
    // The old script bought SPY on Monday 30 November; Aurora's first eod is on Wednesday 2
    // December, so December's first session has no snapshot.
    let w = world("2026-11-30");
    w.sim.add_order(OrderSeed {
        symbol: "SPY".into(),
        side: "buy".into(),
        qty: Decimal::from(150),
        order_type: "market".into(),
        limit_price: None,
        time_in_force: "day".into(),
        client_order_id: None,
        status: "accepted".into(),
    });
    let json = eod_at(&w, "2026-12-02", 15, 15, 0);
    let wed = &json["reconciled"][0];
    assert_eq!(wed["session"], "2026-12-02");
    let equity = closing_equity(&w, "2026-12-02");
    assert_eq!(
        dec(&wed["pnl"]["month_to_date"]).round_dp(2),
        equity - closing_equity(&w, "2026-11-30"),
        "from November's last close, in Alpaca's portfolio history"
    );
    assert_eq!(
        dec(&wed["pnl"]["day"]).round_dp(2),
        equity - closing_equity(&w, "2026-12-01")
    );
    let mtd = wed["stats"]["mtd_return"].as_f64().unwrap();
    let expected = (equity / closing_equity(&w, "2026-11-30") - Decimal::ONE)
        .to_string()
        .parse::<f64>()
        .unwrap();
    assert!((mtd - expected).abs() < 1e-6, "{mtd} vs {expected}");
}

#[test]
fn every_order_of_every_revision_keeps_its_fate_after_a_replan() {
    let w = world("2026-11-30");
    trade(&w, "2026-11-30");
    // The open fills revision 0; at 10:00 the operator replans the session.
    w.sim.advance_to(ct("2026-11-30", 10, 0)).unwrap();
    w.write_config(REWEIGHTED);
    w.aurora(&["trade", "--replan"]).run().code(0);
    let json = eod_at(&w, "2026-11-30", 15, 15, 0);
    let orders = json["reconciled"][0]["orders"].as_array().unwrap();
    let first: Vec<&Value> = orders.iter().filter(|o| o["revision"] == 0).collect();
    assert_eq!(first.len(), 3, "{orders:?}");
    assert!(
        first
            .iter()
            .all(|o| o["fate"] == "filled" && o["slippage_bps"].is_string()),
        "{first:?}"
    );
    let second: Vec<&Value> = orders.iter().filter(|o| o["revision"] == 1).collect();
    assert!(!second.is_empty(), "{orders:?}");
    assert!(second.iter().all(|o| o["fate"] == "filled"), "{second:?}");
    let fills = json["reconciled"][0]["fills"].as_array().unwrap();
    assert_eq!(fills.len(), orders.len());
    assert!(
        json["reconciled"][0]["discrepancies"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_benchmark_without_bars_is_named_not_zero() {
    let w = world("2026-11-30");
    w.write_config(&format!("{FIXED}[report]\nbenchmark = \"ZZZZ\"\n"));
    let json = day(&w, "2026-11-30");
    let stats = &json["reconciled"][0]["stats"];
    assert_eq!(stats["benchmark"]["symbol"], "ZZZZ");
    assert!(stats["benchmark"]["total_return"].is_null(), "{stats}");
    assert!(stats["excess_return"].is_null());
    assert_eq!(
        stats["benchmark"]["missing"],
        "ZZZZ has no bar for 2026-11-27 and 2026-11-30"
    );
    let md = std::fs::read_to_string(json["reconciled"][0]["files"]["markdown"].as_str().unwrap())
        .unwrap();
    assert!(md.contains("| benchmark | ZZZZ — (ZZZZ has no bar"), "{md}");

    // With bars: SPY's return over the same sessions, from Friday's close to Monday's.
    let w = world("2026-11-30");
    let json = day(&w, "2026-11-30");
    let stats = &json["reconciled"][0]["stats"];
    let (fri, mon) = (
        w.sim.bars(
            "SPY",
            "2026-11-27".parse().unwrap(),
            "2026-11-27".parse().unwrap(),
        )[0]
        .close,
        w.sim.bars(
            "SPY",
            "2026-11-30".parse().unwrap(),
            "2026-11-30".parse().unwrap(),
        )[0]
        .close,
    );
    let expected: f64 = (mon / fri - Decimal::ONE).to_string().parse().unwrap();
    let got = stats["benchmark"]["total_return"].as_f64().unwrap();
    assert!((got - expected).abs() < 1e-7, "{got} vs {expected}");
    let excess = stats["excess_return"].as_f64().unwrap();
    let total = stats["total_return"].as_f64().unwrap();
    assert!((excess - (total - got)).abs() < 1e-7);
}

#[test]
fn a_partial_fill_and_a_rejection_are_reported_with_quantities_and_reason() {
    let w = world("2026-11-30");
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
    w.sim.close_session().unwrap();
    w.sim.set_clock(ct("2026-11-30", 15, 15), true);
    let done = w.aurora(&["eod"]).run().code(0);
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
fn eod_twice_the_same_evening_keeps_one_snapshot_and_the_same_report() {
    let w = world("2026-11-30");
    day(&w, "2026-11-30");
    let json = day(&w, "2026-12-01");
    let path = json["reconciled"][0]["files"]["markdown"]
        .as_str()
        .unwrap()
        .to_owned();
    let md1 = std::fs::read_to_string(&path).unwrap();
    let again = w.aurora(&["eod", "--json"]).run().code(0).json();
    assert_eq!(json, again);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), md1);
    assert_eq!(w.store().snapshots().unwrap().len(), 2);
}

#[test]
fn a_holiday_has_nothing_new_to_reconcile() {
    let w = world("2026-11-25");
    day(&w, "2026-11-25");
    w.sim.advance_to(ct("2026-11-26", 15, 15)).unwrap();
    let done = w.aurora(&["eod"]).run().code(0);
    assert!(
        done.stdout
            .contains("No session on 2026-11-26 (market holiday: Thanksgiving Day)"),
        "{}",
        done.stdout
    );
    assert!(
        done.stdout.contains("Nothing to reconcile"),
        "{}",
        done.stdout
    );
    assert_eq!(w.store().snapshots().unwrap().len(), 1);
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
        assert!(state.join(format!("reports/equity-{day}.svg")).exists());
        assert!(
            done.stdout.contains(&format!("{day}  eod       ok")),
            "{}",
            done.stdout
        );
    }
    let svg = std::fs::read_to_string(state.join("reports/equity.svg")).unwrap();
    let doc = roxmltree::Document::parse(&svg).expect("well-formed XML");
    // One point per day, plus the marker on the last one.
    let circles = doc
        .descendants()
        .filter(|n| n.has_tag_name("circle"))
        .count();
    assert_eq!(circles, 3 + 1, "{svg}");
}

#[test]
fn an_older_backup_restored_knows_auroras_orders_by_their_ids() {
    let w = world("2026-11-30");
    day(&w, "2026-11-30");
    let copy = w.home.path().join("monday.db");
    w.aurora(&["backup", "--to", copy.to_str().unwrap()])
        .run()
        .code(0);
    // Tuesday trades and is reconciled; then Monday's backup is restored (Tuesday's copy was
    // lost): the store no longer knows Tuesday's plan, its orders or its snapshot.
    w.write_config(REWEIGHTED);
    day(&w, "2026-12-01");
    for ext in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(w.state_dir().join(format!("aurora.db{ext}")));
    }
    std::fs::copy(&copy, w.state_dir().join("aurora.db")).unwrap();
    // Wednesday's eod catches Tuesday up again: its fills are Aurora's own, by their ids at
    // Alpaca, not a discrepancy (exit 4, an alert) the store forgot.
    let json = eod_at(&w, "2026-12-02", 15, 15, 0);
    assert_eq!(sessions(&json), ["2026-12-01", "2026-12-02"]);
    let tuesday = &json["reconciled"][0];
    assert!(tuesday["discrepancies"].as_array().unwrap().is_empty());
    assert_eq!(tuesday["fills"].as_array().unwrap().len(), 2);
    let warnings = tuesday["warnings"].to_string();
    assert!(
        warnings.contains("2 of Aurora's orders in this session are not in the store"),
        "{warnings}"
    );
}
