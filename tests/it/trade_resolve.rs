//! `aurora trade` when a send's fate is not known: a replan after a killed run, a duplicate-id
//! answer with no order behind it, and an unreadable 200. Each ends in exit 75 at most, never in
//! a second order, and the next run resolves it.

use std::time::Duration;

use crate::common::{FAST_RETRIES, World, coded_fault, wait_until};
use crate::trade::{MONDAY_0800_CT, posts};
use aurora::sim::state::{Fault, FaultAction};
use aurora::store::OrderState;

/// One buy (SPY), so that every send can be followed.
fn world() -> World {
    let w = World::at(MONDAY_0800_CT);
    w.write_config(&format!(
        "[strategy]\nname = \"fixed\"\nweights = {{ SPY = 0.2 }}\n{FAST_RETRIES}"
    ));
    w
}

/// The current plan's orders as stored: (client order id, state).
fn stored(w: &World) -> Vec<(String, OrderState)> {
    let store = w.store();
    let plan = store
        .current_plan("2026-11-30".parse().unwrap())
        .unwrap()
        .expect("a stored plan");
    store
        .plan_orders(plan.id)
        .unwrap()
        .into_iter()
        .map(|r| (r.client_order_id.as_str().to_owned(), r.state))
        .collect()
}

#[test]
fn replan_waits_for_an_order_a_killed_run_was_sending() {
    let w = world();
    // The POST reaches the fake and hangs there for 3 s before it is placed: in flight when the
    // run is killed, it lands afterwards.
    w.sim.inject(Fault {
        method: Some("POST".into()),
        path: "/v2/orders".into(),
        skip: 0,
        times: 1,
        action: FaultAction::Delay { ms: 3_000 },
    });
    let mut child = w.aurora(&["trade"]).spawn();
    wait_until(
        Duration::from_secs(20),
        "the order's POST to arrive",
        || posts(&w) == 1,
    );
    child.kill().unwrap();
    child.wait().unwrap();
    let first = stored(&w);
    assert_eq!(first[0].1, OrderState::Submitting);

    // Alpaca does not show it yet: the replan refuses rather than plan on top of it.
    w.aurora(&["trade", "--replan"])
        .run()
        .code(75)
        .stderr_has("replan refused")
        .stderr_has(&first[0].0);
    assert_eq!(posts(&w), 1, "nothing new was sent");

    wait_until(Duration::from_secs(10), "the delayed order to land", || {
        w.sim.orders().len() == 1
    });
    let json = w
        .aurora(&["trade", "--replan", "--json"])
        .run()
        .code(0)
        .json();
    let new_id = json["orders"][0]["client_order_id"].as_str().unwrap();
    let orders = w.sim.orders();
    assert_eq!(orders.len(), 2);
    for o in &orders {
        let expected = if o.client_order_id == first[0].0 {
            "canceled"
        } else {
            assert_eq!(o.client_order_id, new_id);
            "accepted"
        };
        assert_eq!(o.status, expected, "{}", o.client_order_id);
    }
}

#[test]
fn a_duplicate_id_answer_with_no_order_behind_it_is_bounded_then_resolved() {
    let w = world();
    // Alpaca says the id is taken, yet has no order under it.
    w.fault(
        "POST",
        "/v2/orders",
        3,
        coded_fault(422, 40010001, "client_order_id must be unique"),
    );
    w.aurora(&["trade"])
        .run()
        .code(75)
        .stderr_has("still unresolved after 3 submissions");
    assert_eq!(posts(&w), 3);
    assert_eq!(w.requests_to("/v2/orders:by_client_order_id").len(), 3);
    assert_eq!(stored(&w)[0].1, OrderState::Unknown);
    assert!(w.sim.orders().is_empty());

    let json = w.aurora(&["trade", "--json"]).run().code(0).json();
    assert_eq!(json["resumed"], true);
    assert_eq!(json["orders"][0]["outcome"], "accepted");
    assert_eq!(w.sim.orders().len(), 1);
}

#[test]
fn an_unreadable_200_to_an_order_is_temporary_and_the_next_run_resolves_it() {
    let w = world();
    w.fault("POST", "/v2/orders", 3, FaultAction::Malformed);
    w.aurora(&["trade"])
        .run()
        .code(75)
        .stderr_has("still unresolved after 3 submissions");
    assert_eq!(stored(&w)[0].1, OrderState::Unknown);

    let json = w.aurora(&["trade", "--json"]).run().code(0).json();
    assert_eq!(json["orders"][0]["outcome"], "accepted");
    assert_eq!(w.sim.orders().len(), 1);
    assert!(
        w.requests_to("/v2/orders:by_client_order_id").len() >= 4,
        "each unanswered send was looked up before the next"
    );
}
