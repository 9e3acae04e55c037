//! `aurora preflight` against the fake: session days, holidays, early closes, failing checks.

use crate::common::{FAST_RETRIES, MONDAY_0730_CT, World, status_fault};
use aurora::sim::state::AccountPatch;

#[test]
fn passes_on_a_normal_session_day_and_records_the_verdict() {
    let w = World::at(MONDAY_0730_CT);
    let done = w
        .aurora(&["preflight"])
        .run()
        .code(0)
        .stdout_has("Preflight for 2026-11-30")
        .stdout_has("Verdict: PASS");
    for name in [
        "config",
        "env file",
        "paper endpoint",
        "credentials",
        "session",
        "account",
        "clock skew",
        "buying power",
        "market data",
        "store",
        "state dir",
        "disk",
        "kill switch",
    ] {
        assert!(
            done.stdout.contains(&format!("✅ {name}")),
            "{name}:\n{}",
            done.stdout
        );
    }
    let verdict = w
        .store()
        .latest_preflight("2026-11-30".parse().unwrap())
        .unwrap()
        .expect("verdict stored");
    assert!(verdict.passed);
}

#[test]
fn thanksgiving_has_no_session_and_exits_0_without_further_checks() {
    let w = World::at("2026-11-26T13:30:00Z");
    let done = w
        .aurora(&["preflight"])
        .run()
        .code(0)
        .stdout_has("no session on 2026-11-26 (market holiday: Thanksgiving Day)")
        .stdout_has("NO SESSION");
    assert!(!done.stdout.contains("buying power"), "{}", done.stdout);
    let runs = w.store().last_runs().unwrap();
    assert_eq!(runs[0].session_date.unwrap().to_string(), "2026-11-26");
    assert_eq!(runs[0].exit_code, Some(0));
}

#[test]
fn notes_the_early_close_the_day_after_thanksgiving() {
    let w = World::at("2026-11-27T13:30:00Z");
    w.aurora(&["preflight"])
        .run()
        .code(0)
        .stdout_has("2026-11-27 session, early close: Fri 2026-11-27 08:30 CST to 12:00 CST");
}

#[test]
fn json_report_lists_every_check() {
    let w = World::at(MONDAY_0730_CT);
    let json = w.aurora(&["preflight", "--json"]).run().code(0).json();
    assert_eq!(json["verdict"], "pass");
    assert_eq!(json["session_date"], "2026-11-30");
    let checks = json["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 13);
    assert!(checks.iter().all(|c| c["status"] == "pass"), "{json:#}");
}

#[test]
fn blocked_account_fails_with_exit_3() {
    let w = World::at(MONDAY_0730_CT);
    w.account(AccountPatch {
        trading_blocked: Some(true),
        ..AccountPatch::default()
    });
    w.aurora(&["preflight"])
        .run()
        .code(3)
        .stdout_has("❌ account")
        .stdout_has("trading_blocked")
        .stdout_has("Verdict: FAIL");
    let verdict = w
        .store()
        .latest_preflight("2026-11-30".parse().unwrap())
        .unwrap()
        .unwrap();
    assert!(!verdict.passed);
}

#[test]
fn wrong_key_fails_with_credentials_rejected() {
    let w = World::at(MONDAY_0730_CT);
    w.aurora(&["preflight"])
        .env("APCA_API_SECRET_KEY", "not-the-secret")
        .run()
        .code(3)
        .stdout_has("credentials rejected");
}

#[test]
fn unreachable_alpaca_exits_75() {
    let w = World::at(MONDAY_0730_CT);
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    w.write_config(FAST_RETRIES);
    w.aurora(&["preflight"])
        .env("APCA_API_BASE_URL", &dead)
        .run()
        .code(75)
        .stderr_has("cannot reach Alpaca");
}

#[test]
fn low_buying_power_fails() {
    let w = World::at(MONDAY_0730_CT);
    w.account(AccountPatch {
        buying_power: Some("500".parse().unwrap()),
        ..AccountPatch::default()
    });
    w.aurora(&["preflight"])
        .run()
        .code(3)
        .stdout_has("below risk.min_buying_power $1,000.00");
}

#[test]
fn the_kill_switch_file_pauses_instead_of_failing() {
    let w = World::at(MONDAY_0730_CT);
    std::fs::create_dir_all(w.state_dir()).unwrap();
    std::fs::write(w.state_dir().join("HALT"), "").unwrap();
    w.aurora(&["preflight"])
        .run()
        .code(0)
        .stdout_has("Preflight: ⏸ paused since ")
        .stdout_has("no reason given");
}

#[test]
fn clock_skew_warns_over_2s_and_fails_over_30s() {
    let w = World::at(MONDAY_0730_CT);
    w.sim.set_date_offset(-10);
    w.aurora(&["preflight"])
        .run()
        .code(0)
        .stdout_has("⚠️  clock skew");
    w.sim.set_date_offset(60);
    w.aurora(&["preflight"])
        .run()
        .code(3)
        .stdout_has("❌ clock skew");
}

#[test]
fn an_alpaca_outage_mid_preflight_is_temporary() {
    let w = World::at(MONDAY_0730_CT);
    w.write_config(FAST_RETRIES);
    w.fault(
        "GET",
        "/v2/clock",
        10,
        status_fault(503, "service unavailable"),
    );
    w.aurora(&["preflight"])
        .run()
        .code(75)
        .stderr_has("cannot read the market clock");
    let runs = w.store().last_runs().unwrap();
    assert_eq!(runs[0].exit_code, Some(75));
    assert!(runs[0].error.as_deref().unwrap().contains("HTTP 503"));
}

#[test]
fn stale_market_data_triggers_a_catch_up_fetch_then_passes() {
    let w = World::at(MONDAY_0730_CT);
    // An empty store: no bars for Friday 2026-11-27, the last session before today.
    w.aurora(&["preflight"])
        .run()
        .code(0)
        .stdout_has("✅ market data")
        .stdout_has("caught up (")
        .stdout_has("all 6 symbols have 2026-11-27");
    assert_eq!(w.requests_to("/v2/stocks/bars").len(), 1);
    // Fresh now: the next preflight fetches nothing.
    w.aurora(&["preflight"])
        .run()
        .code(0)
        .stdout_has("all 6 symbols have 2026-11-27");
    assert_eq!(w.requests_to("/v2/stocks/bars").len(), 1);
}

#[test]
fn data_still_stale_after_the_catch_up_fails() {
    let w = World::at(MONDAY_0730_CT);
    w.write_config("[universe]\nsymbols = [\"SPY\", \"NOPE\"]\n");
    w.aurora(&["preflight"])
        .run()
        .code(3)
        .stdout_has("❌ market data")
        .stdout_has("stale after a catch-up fetch: NOPE lack 2026-11-27");
}
