//! DESIGN invariant 3: one job at a time per state directory.

use std::time::Duration;

use crate::common::{MONDAY_0730_CT, World, wait_until};
use aurora::sim::state::FaultAction;

#[test]
fn a_second_job_exits_73_naming_the_holder() {
    let w = World::at(MONDAY_0730_CT);
    // Holds the first preflight inside its account request long enough to start a second.
    w.fault("GET", "/v2/account", 1, FaultAction::Delay { ms: 3_000 });
    let first = w.aurora(&["preflight"]).spawn();
    wait_until(
        Duration::from_secs(10),
        "the first preflight to reach Alpaca",
        || !w.requests_to("/v2/account").is_empty(),
    );

    let second = w.aurora(&["preflight"]).run().code(73);
    assert!(
        second.stderr.contains("another aurora job holds"),
        "{}",
        second.stderr
    );
    assert!(
        second.stderr.contains("`preflight` (pid"),
        "{}",
        second.stderr
    );

    // Status only observes, so it still runs while the lock is held.
    w.aurora(&["status"])
        .run()
        .code(0)
        .stdout_has("Account PA3AURORA01");

    let out = first.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Once released, the next job runs.
    w.aurora(&["preflight"]).run().code(0);
}
