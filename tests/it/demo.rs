//! `aurora demo`: inside the fake's rate limit for any length, never over a used state
//! directory, the configured universe and strategy, logs in STATE_DIR/demo.log, and a closing
//! stats block.

use std::time::Duration;

use aurora::jobs::demo::{self, DemoRequest};

use crate::common::Run;

#[test]
fn the_demo_paces_itself_inside_the_fakes_rate_limit() {
    let dir = tempfile::tempdir().unwrap();
    let request = DemoRequest {
        days: 2,
        state_dir: demo::prepare_state_dir(Some(&dir.path().join("state"))).unwrap(),
        settings: demo::settings(None).unwrap(),
        // Alpaca's 200 a minute, scaled down: the demo's two days need several windows.
        rate_limit: Some((20, Duration::from_secs(1))),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let report = runtime.block_on(demo::run(&request, None, |_| {})).unwrap();
    assert_eq!(report.days.len(), 2);
    assert!(
        report.traffic.requests > 40,
        "the demo needs more than two windows: {:?}",
        report.traffic
    );
    assert_eq!(report.traffic.rate_limited, 0, "{:?}", report.traffic);
    assert_eq!(aurora::jobs::Report::exit(&report), aurora::exit::Exit::Ok);
}

#[test]
fn a_used_state_dir_is_refused_and_its_reports_are_kept() {
    let home = tempfile::tempdir().unwrap();
    let state = home.path().join("demo");
    let s = state.to_str().unwrap();
    let first = Run::new(home.path())
        .args(&["demo", "--days", "1", "--state-dir", s])
        .run()
        .code(0);
    assert!(
        first.stderr.is_empty(),
        "logs go to demo.log: {}",
        first.stderr
    );
    let report = state.join("reports/2026-11-30.md");
    let before = std::fs::read_to_string(&report).unwrap();
    Run::new(home.path())
        .args(&["demo", "--days", "1", "--state-dir", s])
        .run()
        .code(2)
        .stderr_has("already holds Aurora state");
    assert_eq!(std::fs::read_to_string(&report).unwrap(), before);
}

#[test]
fn the_step_table_ends_with_the_stats_block_and_the_chart_and_logs_go_to_demo_log() {
    let home = tempfile::tempdir().unwrap();
    let state = home.path().join("demo");
    let done = Run::new(home.path())
        .args(&[
            "demo",
            "--days",
            "1",
            "--state-dir",
            state.to_str().unwrap(),
        ])
        .run()
        .code(0)
        .stdout_has("2026-11-30  trade     ok 4 order(s) sent: 4 accepted")
        .stdout_has("Performance through 2026-11-30 (1 session): equity ")
        .stdout_has("  max drawdown ")
        .stdout_has(&format!(
            "  chart    {}",
            state.join("reports/equity.svg").display()
        ))
        .stdout_has(", 0 over its rate limit");
    assert!(done.stderr.is_empty(), "{}", done.stderr);
    let log = std::fs::read_to_string(state.join("demo.log")).unwrap();
    assert!(log.contains("order accepted: buy "), "{log}");
    // -v: the log goes to stderr instead, and no file is made.
    let verbose = home.path().join("verbose");
    let done = Run::new(home.path())
        .args(&[
            "demo",
            "-v",
            "--days",
            "1",
            "--state-dir",
            verbose.to_str().unwrap(),
        ])
        .run()
        .code(0);
    assert!(
        done.stderr.contains("order accepted: buy "),
        "{}",
        done.stderr
    );
    assert!(!verbose.join("demo.log").exists());
}

#[test]
fn the_demo_trades_the_configured_universe_and_strategy() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("aurora.toml");
    std::fs::write(
        &config,
        "[universe]\nsymbols = [\"SPY\", \"XLK\"]\n[strategy]\nname = \"fixed\"\nweights = { SPY = 0.3, XLK = 0.3 }\n",
    )
    .unwrap();
    let state = home.path().join("demo");
    Run::new(home.path())
        .args(&[
            "--config",
            config.to_str().unwrap(),
            "demo",
            "--days",
            "1",
            "--state-dir",
            state.to_str().unwrap(),
        ])
        .run()
        .code(0)
        .stdout_has("trade     ok 2 order(s) sent: 2 accepted");
    let db = rusqlite::Connection::open(state.join("aurora.db")).unwrap();
    let mut stmt = db
        .prepare("SELECT DISTINCT symbol FROM orders ORDER BY symbol")
        .unwrap();
    let symbols: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(symbols, ["SPY", "XLK"]);
}
