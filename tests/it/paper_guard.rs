//! DESIGN invariant 1: paper only unless live is enabled twice; refused before any request.

use crate::common::{MONDAY_0730_CT, World};

#[test]
fn is_paper_trading_false_is_refused_before_any_request() {
    let w = World::at(MONDAY_0730_CT);
    w.aurora(&["preflight"])
        .env("IS_PAPER_TRADING", "false")
        .run()
        .code(3)
        .stderr_has("IS_PAPER_TRADING is false");
    assert_eq!(w.requests(), vec![], "the fake saw a request");
}

#[test]
fn live_host_without_both_opt_ins_is_refused_before_any_request() {
    let w = World::at(MONDAY_0730_CT);
    let live = "https://api.alpaca.markets";
    for (flag, env) in [(false, false), (true, false), (false, true)] {
        let mut run = w
            .aurora(if flag {
                &["--live", "status"]
            } else {
                &["status"]
            })
            .env("APCA_API_BASE_URL", live);
        if env {
            run = run.env("AURORA_LIVE", "1");
        }
        run.run()
            .code(3)
            .stderr_has("refusing to use https://api.alpaca.markets/")
            .stderr_has("--live and AURORA_LIVE=1");
    }
    // The data URL points at the fake: had anything been sent, it would show here.
    assert_eq!(w.requests(), vec![], "the fake saw a request");
}

#[test]
fn broker_endpoint_alias_is_guarded_too() {
    let w = World::at(MONDAY_0730_CT);
    w.aurora(&["status"])
        .env_remove("APCA_API_BASE_URL")
        .env("BROKER_ENDPOINT", "https://api.alpaca.markets")
        .run()
        .code(3);
    assert_eq!(w.requests(), vec![]);
}

#[test]
fn both_opt_ins_allow_live_and_preflight_says_so() {
    let w = World::at(MONDAY_0730_CT);
    w.aurora(&["--live", "preflight"])
        .env("IS_PAPER_TRADING", "false")
        .env("AURORA_LIVE", "1")
        .run()
        .code(0)
        .stdout_has("⚠️  paper endpoint")
        .stdout_has("LIVE trading enabled");
}
