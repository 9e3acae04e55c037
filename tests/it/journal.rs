//! The log reads on its own: each message carries its key facts in its text, every event of a
//! job carries the job and its session (the journal's `JOB` and `SESSION` fields; on a terminal
//! the same span fields end each line), and a broker outage is one line per retry budget.

use crate::common::{FAST_RETRIES, World, status_fault};
use crate::trade::{FIXED, MONDAY_0800_CT};

#[test]
fn an_order_line_says_what_was_accepted_for_which_job_and_session() {
    let w = World::at(MONDAY_0800_CT);
    w.write_config(FIXED);
    let done = w.aurora(&["trade"]).run().code(0);
    let accepted: Vec<&str> = done
        .stderr
        .lines()
        .filter(|l| l.contains("order accepted: "))
        .collect();
    assert_eq!(accepted.len(), 3, "{}", done.stderr);
    for line in &accepted {
        assert!(
            line.contains("order accepted: buy ")
                && line.contains(" (aurora-2026-11-30-fixed-")
                && line.contains("job=\"trade\"")
                && line.contains("session=\"2026-11-30\""),
            "{line}"
        );
    }
    assert!(
        accepted
            .iter()
            .any(|l| l.contains(" SPY (aurora-2026-11-30-fixed-SPY-buy-")),
        "{accepted:?}"
    );
    // Every event after the job read Alpaca's clock carries the session.
    for line in done
        .stderr
        .lines()
        .filter(|l| l.contains(" INFO ") || l.contains(" WARN "))
    {
        assert!(line.contains("job=\"trade\""), "{line}");
    }
}

#[test]
fn a_broker_outage_is_one_line_per_retry_budget() {
    let w = World::at(MONDAY_0800_CT);
    w.write_config(FAST_RETRIES);
    w.fault(
        "GET",
        "/v2/account",
        10,
        status_fault(503, "service unavailable"),
    );
    let done = w.aurora(&["preflight"]).run().code(75);
    let lines: Vec<&str> = done
        .stderr
        .lines()
        .filter(|l| l.contains("/v2/account"))
        .collect();
    assert!(
        lines.len() == 2
            && lines[0].contains("GET /v2/account: gave up after 3 attempt(s)")
            && lines[1].starts_with("aurora: error:"),
        "one warning for the whole retry budget, then the job's error:\n{}",
        done.stderr
    );
    assert!(!done.stderr.contains("retrying"), "{}", done.stderr);
}
