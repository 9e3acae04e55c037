//! The Alpaca client's retries: 5xx and 429 are retried within limits, honouring the server's hints.

use crate::common::{FAST_RETRIES, MONDAY_0730_CT, World, status_fault};
use aurora::sim::state::FaultAction;

#[test]
fn two_503s_then_success() {
    let w = World::at(MONDAY_0730_CT);
    w.fault(
        "GET",
        "/v2/account",
        2,
        status_fault(503, "service unavailable"),
    );
    w.aurora(&["status"])
        .run()
        .code(0)
        .stdout_has("Account PA3AURORA01");
    let statuses: Vec<u16> = w
        .requests_to("/v2/account")
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [503, 503, 200]);
}

#[test]
fn a_429_waits_for_the_rate_limit_reset() {
    let w = World::at(MONDAY_0730_CT);
    w.fault(
        "GET",
        "/v2/positions",
        1,
        FaultAction::Status {
            status: 429,
            code: Some(42910000),
            message: "rate limit exceeded".into(),
            retry_after_secs: None,
            reset_in_secs: Some(1),
        },
    );
    w.aurora(&["status"]).run().code(0);
    let calls = w.requests_to("/v2/positions");
    assert_eq!(
        calls.iter().map(|r| r.status).collect::<Vec<_>>(),
        [429, 200]
    );
    // The reset was announced as the next whole second after the 429: the retry came no earlier.
    assert!(
        calls[1].at.timestamp() > calls[0].at.timestamp(),
        "retried at {} after a 429 at {}",
        calls[1].at,
        calls[0].at
    );
}

#[test]
fn retries_are_bounded_and_then_temporary() {
    let w = World::at(MONDAY_0730_CT);
    w.write_config(FAST_RETRIES);
    w.fault(
        "GET",
        "/v2/account",
        100,
        status_fault(502, "<html>bad gateway</html>"),
    );
    w.aurora(&["status"])
        .run()
        .code(75)
        .stderr_has("HTTP 502, after 3 attempts");
    assert_eq!(w.requests_to("/v2/account").len(), 3);
}

#[test]
fn client_errors_are_not_retried() {
    let w = World::at(MONDAY_0730_CT);
    w.fault("GET", "/v2/orders", 5, status_fault(422, "invalid status"));
    w.aurora(&["status"])
        .run()
        .code(1)
        .stderr_has("invalid status");
    // Status asks for open orders and for today's: each request once, none repeated.
    let queries: Vec<_> = w
        .requests_to("/v2/orders")
        .into_iter()
        .map(|r| r.query)
        .collect();
    let distinct: std::collections::BTreeSet<_> = queries.iter().collect();
    assert_eq!(queries.len(), distinct.len(), "{queries:?}");
    assert!(!queries.is_empty() && queries.len() <= 2, "{queries:?}");
}

#[test]
fn a_malformed_body_is_reported_not_retried() {
    let w = World::at(MONDAY_0730_CT);
    w.fault("GET", "/v2/clock", 1, FaultAction::Malformed);
    w.aurora(&["status"])
        .run()
        .code(1)
        .stderr_has("GET /v2/clock: unexpected response body");
}

#[test]
fn requests_carry_auth_and_user_agent() {
    let w = World::at(MONDAY_0730_CT);
    w.aurora(&["status"]).run().code(0);
    let reqs = w.requests();
    assert!(reqs.len() >= 5, "{reqs:?}");
    assert!(reqs.iter().all(|r| r.auth == "ok"), "{reqs:?}");
}
