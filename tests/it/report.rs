//! `aurora report`: figures, trades and days over any period, from the store alone.

use chrono::Utc;
use rust_decimal::Decimal;
use serde_json::Value;

use crate::common::{Run, World};

/// A two-week demo (Monday 30 November to Friday 11 December 2026) in `home/demo`.
fn demo(home: &std::path::Path) -> std::path::PathBuf {
    let state = home.join("demo");
    Run::new(home)
        .args(&[
            "demo",
            "--days",
            "10",
            "--state-dir",
            state.to_str().unwrap(),
        ])
        .run()
        .code(0);
    state
}

fn dec(v: &Value) -> Decimal {
    v.as_str().unwrap().parse().unwrap()
}

#[test]
fn report_by_month_and_since_over_a_multi_week_demo() {
    let w = World::at("2026-12-14T14:00:00Z");
    let state = demo(w.home.path());
    let report = |args: &[&str]| {
        let mut all = vec!["--state-dir", state.to_str().unwrap(), "report"];
        all.extend_from_slice(args);
        w.aurora(&all).run()
    };

    let month = report(&["--month", "2026-12", "--json"]).code(0).json();
    assert_eq!(month["from"], "2026-12-01");
    assert_eq!(month["to"], "2026-12-11");
    assert_eq!(month["stats"]["sessions"], 9);
    let days = month["days"].as_array().unwrap();
    assert_eq!(days.len(), 9);
    // Each day's P&L is its close less the one before; the first from November's last close.
    let last_daily: Value = serde_json::from_str(
        &std::fs::read_to_string(state.join("reports/2026-11-30.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        dec(&days[0]["pnl"]),
        dec(&days[0]["equity"]) - dec(&last_daily["account"]["equity"])
    );
    for pair in days.windows(2) {
        assert_eq!(
            dec(&pair[1]["pnl"]),
            dec(&pair[1]["equity"]) - dec(&pair[0]["equity"])
        );
    }
    // The month's total return is its days compounded.
    let compounded: f64 = days
        .iter()
        .map(|d| 1.0 + d["day_return"].as_f64().unwrap())
        .product::<f64>()
        - 1.0;
    assert!((month["stats"]["total_return"].as_f64().unwrap() - compounded).abs() < 1e-7);

    // The last week: 5–11 December, five sessions; seven days is the same week.
    let since = report(&["--since", "1w", "--json"]).code(0).json();
    assert_eq!(since["from"], "2026-12-07");
    assert_eq!(since["to"], "2026-12-11");
    assert_eq!(since["days"].as_array().unwrap().len(), 5);
    let days7 = report(&["--since", "7d", "--json"]).code(0).json();
    assert_eq!(days7["days"], since["days"]);

    // Over everything, the figures are the last daily report's (one module computes both).
    let all = report(&["--json"]).code(0).json();
    let daily: Value = serde_json::from_str(
        &std::fs::read_to_string(state.join("reports/2026-12-11.json")).unwrap(),
    )
    .unwrap();
    for name in [
        "sessions",
        "total_return",
        "day_return",
        "mtd_return",
        "volatility",
        "sharpe",
        "sortino",
        "max_drawdown",
        "max_drawdown_peak",
        "max_drawdown_trough",
        "current_drawdown",
        "turnover",
        "exposure",
        "realized_pnl",
        "unrealized_pnl",
        "win_rate",
    ] {
        assert_eq!(all["stats"][name], daily["stats"][name], "stats.{name}");
    }
    // The trades of the period: the first day's four buys, with price, notional and slippage.
    let trades = all["trades"].as_array().unwrap();
    assert!(trades.len() >= 4, "{trades:?}");
    let first = &trades[0];
    assert_eq!(first["date"], "2026-11-30");
    assert_eq!(first["side"], "buy");
    assert_eq!(
        dec(&first["notional"]),
        dec(&first["qty"]) * dec(&first["price"])
    );
    assert!(first["slippage_bps"].is_string());

    let text = report(&["--month", "2026-12"]).code(0).stdout;
    assert!(
        text.starts_with("Performance 2026-12-01 → 2026-12-11 (9 sessions)"),
        "{text}"
    );
    for part in [
        "total return",
        "Sharpe",
        "max drawdown",
        "Allocation on 2026-12-11",
        "Days",
    ] {
        assert!(text.contains(part), "{part}\n{text}");
    }
}

#[test]
fn report_reads_only_the_store_and_runs_while_a_job_holds_the_lock() {
    let w = World::at("2026-11-30T14:00:00Z");
    w.write_config("[strategy]\nname = \"fixed\"\nweights = { SPY = 0.5 }\n");
    w.aurora(&["trade"]).run().code(0);
    w.sim.close_session().unwrap();
    w.aurora(&["eod"]).run().code(0);
    let before = w.requests().len();
    let _lock = aurora::store::StateLock::acquire(&w.state_dir(), "eod", Utc::now()).unwrap();
    let json = w.aurora(&["report", "--json"]).run().code(0).json();
    assert_eq!(json["from"], "2026-11-30");
    assert_eq!(w.requests().len(), before, "no request to Alpaca");
    // The benchmark's bars come from the store: the session's own is fetched at 16:00, and
    // until then the report says which is missing.
    assert!(json["stats"]["benchmark"]["total_return"].is_null());
    assert_eq!(
        json["stats"]["benchmark"]["missing"],
        "SPY has no bar for 2026-11-30"
    );
    // After the fetch the store has it.
    drop(_lock);
    w.sim
        .set_clock("2026-11-30T22:00:00Z".parse().unwrap(), true);
    w.aurora(&["fetch"]).run().code(0);
    let json = w.aurora(&["report", "--json"]).run().code(0).json();
    assert!(
        json["stats"]["benchmark"]["total_return"].is_f64(),
        "{json}"
    );
    assert!(json["stats"]["excess_return"].is_f64());
}

#[test]
fn a_bad_or_empty_period_is_named() {
    let w = World::at("2026-11-30T14:00:00Z");
    w.aurora(&["report"])
        .run()
        .code(1)
        .stderr_has("nothing has been reconciled yet");
    w.aurora(&["report", "--month", "2026-13"])
        .run()
        .code(2)
        .stderr_has("expected YYYY-MM");
    w.aurora(&["report", "--since", "7y"])
        .run()
        .code(2)
        .stderr_has("7d, 4w, 3m");
    w.aurora(&["report", "--month", "2026-12", "--since", "7d"])
        .run()
        .code(2);
    w.aurora(&["trade"]).run().code(0);
    w.sim.close_session().unwrap();
    w.aurora(&["eod"]).run().code(0);
    w.aurora(&["report", "--from", "2027-01-01"])
        .run()
        .code(1)
        .stderr_has("no snapshot between 2027-01-01 and …: the store has 2026-11-30 to 2026-11-30");
}

#[test]
fn snapshots_written_before_holdings_and_orders_were_kept_still_report() {
    // Rows as an older Aurora wrote them: only the columns of the first snapshot schema.
    let w = World::at("2026-11-30T14:00:00Z");
    std::fs::create_dir_all(w.state_dir()).unwrap();
    drop(w.store()); // creates and migrates the database
    let db = rusqlite::Connection::open(w.state_dir().join("aurora.db")).unwrap();
    for (date, equity, last, fills) in [
        (
            "2026-11-30",
            "99500",
            "100000",
            r#"[{"id":"1","transaction_time":"2026-11-30T14:30:00Z","type":"fill","price":"100","qty":"10","side":"buy","symbol":"SPY","order_id":"o1"}]"#,
        ),
        ("2026-12-01", "99800", "99500", "[]"),
    ] {
        db.execute(
            "INSERT INTO snapshots (session_date, taken_at, equity, cash, last_equity, day_pl, positions_json, fills_json)
             VALUES (?1, '2026-12-01T21:15:00Z', ?2, '98500', ?3, '0', '{\"SPY\":\"10\"}', ?4)",
            [date, equity, last, fills],
        )
        .unwrap();
    }
    let json = w.aurora(&["report", "--json"]).run().code(0).json();
    assert_eq!(json["stats"]["sessions"], 2);
    assert_eq!(json["stats"]["total_return"], -0.002);
    // Without the orders, the trades come from the fills (no slippage known).
    assert_eq!(json["trades"][0]["symbol"], "SPY");
    assert!(json["trades"][0]["slippage_bps"].is_null());
    // Without prices at the close, exposure is unknown rather than zero.
    assert!(json["stats"]["exposure"].is_null());
    assert_eq!(dec(&json["days"][1]["pnl"]), Decimal::from(300));
}
