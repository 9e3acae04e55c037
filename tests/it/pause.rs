//! `aurora pause` / `aurora resume` and STATE_DIR/HALT: one paused state that preflight and
//! trade honour (sending nothing, exit 0), that status shows as healthy, that ends at its
//! `--until` by Alpaca's clock, and that the kill_switch rule applies to a run under way.

use std::time::Duration;

use crate::common::{World, wait_until};
use crate::trade::{FIXED, MONDAY_0800_CT, posts};
use aurora::sim::state::{Fault, FaultAction};

fn world() -> World {
    let w = World::at(MONDAY_0800_CT);
    w.write_config(FIXED);
    w
}

#[test]
fn paused_preflight_and_trade_send_nothing_and_exit_0_while_status_stays_healthy() {
    let w = world();
    w.aurora(&["pause", "--reason", "broker maintenance"])
        .env("USER", "ann")
        .run()
        .code(0)
        .stdout_has("⏸ Paused since ")
        .stdout_has(" by ann@")
        .stdout_has(": broker maintenance (until `aurora resume`)");
    w.aurora(&["preflight"])
        .run()
        .code(0)
        .stdout_has("Preflight: ⏸ paused since ")
        .stdout_has(": broker maintenance (until `aurora resume`): nothing checked, nothing sent.");
    let trade = w.aurora(&["trade", "--json"]).run().code(0).json();
    assert_eq!(trade["outcome"]["kind"], "paused", "{trade}");
    assert_eq!(trade["outcome"]["pause"]["reason"], "broker maintenance");
    assert_eq!(posts(&w), 0);
    // 09:05 CT: past the preflight deadline, yet no problem: the pause is deliberate.
    w.sim
        .set_clock("2026-11-30T15:05:00Z".parse().unwrap(), true);
    let status = w.aurora(&["status", "--json"]).run().code(0).json();
    assert_eq!(status["pause"]["source"], "command");
    assert_eq!(status["pause"]["reason"], "broker maintenance");
    assert_eq!(status["pause"]["until"], serde_json::Value::Null);
    assert_eq!(status["health"]["ok"], true, "{}", status["health"]);
    w.aurora(&["status"])
        .run()
        .code(0)
        .stdout_has("⏸ paused since ")
        .stdout_has("Health: ✅ healthy (paused)");
    // Fetch and eod go on as usual.
    w.aurora(&["fetch"]).run().code(0);

    w.aurora(&["resume"])
        .run()
        .code(0)
        .stdout_has("▶ Resumed: ended paused since");
    w.aurora(&["resume"]).run().code(0).stdout_has("Not paused");
    w.sim.set_clock(MONDAY_0800_CT.parse().unwrap(), true);
    w.aurora(&["trade"]).run().code(0);
    assert_eq!(posts(&w), 3);
}

#[test]
fn until_ends_the_pause_by_alpacas_clock_not_this_machines() {
    let w = world();
    // 09:00 CT on the fake's Monday: long past by this machine's clock, still ahead by Alpaca's.
    w.aurora(&[
        "pause",
        "--until",
        "2026-11-30T09:00",
        "--reason",
        "late open",
    ])
    .run()
    .code(0)
    .stdout_has("(until Mon 2026-11-30 09:00 CST)");
    let paused = w.aurora(&["trade", "--json"]).run().code(0).json();
    assert_eq!(paused["outcome"]["kind"], "paused", "{paused}");
    assert_eq!(paused["outcome"]["pause"]["until"], "2026-11-30T15:00:00Z");
    assert_eq!(posts(&w), 0);
    w.sim
        .set_clock("2026-11-30T15:01:00Z".parse().unwrap(), true);
    w.aurora(&["trade"]).run().code(0);
    assert_eq!(
        posts(&w),
        3,
        "the pause ended at 09:00 CT by the fake's clock"
    );
    // The first job past the end closed the pause in the store.
    let metrics = w.aurora(&["metrics"]).run().code(0);
    assert!(
        metrics.stdout.lines().any(|l| l == "aurora_paused 0"),
        "{}",
        metrics.stdout
    );
}

#[test]
fn bad_until_is_a_usage_error() {
    let w = world();
    w.aurora(&["pause", "--until", "next week"])
        .run()
        .code(2)
        .stderr_has("--until: \"next week\" is not a date");
}

#[test]
fn the_halt_file_is_the_same_paused_state_and_resume_removes_it() {
    let w = world();
    std::fs::create_dir_all(w.state_dir()).unwrap();
    let halt = w.state_dir().join("HALT");
    std::fs::write(&halt, "disk swap tonight\n").unwrap();
    w.aurora(&["preflight"])
        .run()
        .code(0)
        .stdout_has(": disk swap tonight (until ")
        .stdout_has("HALT is removed): nothing checked, nothing sent.");
    let trade = w.aurora(&["trade", "--json"]).run().code(0).json();
    assert_eq!(trade["outcome"]["kind"], "paused");
    assert_eq!(trade["outcome"]["pause"]["source"], "halt_file");
    let status = w.aurora(&["status", "--json"]).run().code(0).json();
    assert_eq!(status["pause"]["source"], "halt_file");
    assert_eq!(status["pause"]["reason"], "disk swap tonight");
    assert_eq!(posts(&w), 0);
    w.aurora(&["resume"]).run().code(0).stdout_has("▶ Resumed");
    assert!(!halt.exists());
    w.aurora(&["trade"]).run().code(0);
    assert_eq!(posts(&w), 3);
}

#[test]
fn a_pause_that_begins_while_trade_plans_stops_it_with_the_kill_switch() {
    let w = world();
    w.aurora(&["preflight"]).run().code(0);
    // The asset lookup (after the gate, before the risk rules) takes a while.
    w.sim.inject(Fault {
        method: Some("GET".into()),
        path: "/v2/assets".into(),
        skip: 0,
        times: 1,
        action: FaultAction::Delay { ms: 1_500 },
    });
    let child = w.aurora(&["trade"]).spawn();
    wait_until(
        Duration::from_secs(10),
        "trade to ask for the assets",
        || !w.requests_to("/v2/assets").is_empty(),
    );
    w.aurora(&["pause", "--reason", "stop now"]).run().code(0);
    let done = crate::common::Done::from(child.wait_with_output().unwrap());
    let done = done.code(3).stdout_has("kill_switch: paused since ");
    assert!(done.stdout.contains("stop now"), "{}", done.stdout);
    assert_eq!(posts(&w), 0);
}
