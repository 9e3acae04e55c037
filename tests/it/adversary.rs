//! What real accounts do to an unattended trader, found by trying it: splits that go ex after
//! the evening fetch, a configuration changed between two runs of a session, Alpaca's
//! `pending_cancel`, a store restored from an older backup. Each test drives the fake into that
//! state and runs the real binary.

use std::time::Duration;

use crate::common::{FAST_RETRIES, World, status_fault, wait_until};
use crate::history::{notes, ordered};
use aurora::sim::state::{AccountPatch, Fault, FaultAction, SimPosition, SimSplit};
use aurora::types::{SessionDate, Symbol};
use chrono::NaiveDate;
use rust_decimal::Decimal;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

#[test]
fn splits_that_go_ex_overnight_are_traded_on_alpacas_new_scale() {
    // Tuesday 2026-12-01, 16:00 CT: the evening fetch stores SPY's and QQQ's history.
    let w = World::at("2026-12-01T22:00:00Z");
    w.write_config(
        "[universe]\nsymbols = [\"SPY\", \"QQQ\"]\n\
         [strategy]\nname = \"fixed\"\nweights = { SPY = 0.35, QQQ = 0.2 }\n",
    );
    w.aurora(&["fetch"]).run().code(0);
    let close = w.sim.bars("SPY", d("2026-12-01"), d("2026-12-01"))[0].close;
    // SPY held at its 35% target: 240 shares at $146.30, and $65,000 cash.
    w.sim.set_positions(vec![SimPosition {
        symbol: "SPY".into(),
        qty: dec("240"),
        avg_entry_price: dec("140"),
        current_price: close,
        lastday_price: close,
    }]);
    w.account(AccountPatch {
        cash: Some(dec("65000")),
        ..AccountPatch::default()
    });
    // Overnight, SPY splits 2:1 and QQQ 1:10, both ex on Wednesday: Alpaca doubles the SPY
    // position before the open and re-scales both series. What Aurora stored last evening is on
    // the old scale, and no session is missing, so preflight has no reason to fetch.
    for (symbol, ratio) in [("SPY", "2"), ("QQQ", "0.1")] {
        w.sim.split(SimSplit {
            symbol: symbol.into(),
            ratio: dec(ratio),
            ex_date: d("2026-12-02"),
        });
    }
    w.sim
        .set_clock("2026-12-02T13:30:00Z".parse().unwrap(), true);
    w.aurora(&["preflight"]).run().code(0);
    w.sim
        .set_clock("2026-12-02T14:00:00Z".parse().unwrap(), true);
    let json = w.aurora(&["trade", "--json"]).run().code(0).json();
    let notes = notes(&json);
    // 480 SPY at the stored $146.30 would look like 70% of equity (a sale of half the
    // position), and QQQ at a tenth of its price a buy ten times too large.
    assert_eq!(ordered(&json), [("QQQ".into(), "buy".into())], "{notes:?}");
    let qqq = w.sim.bars("QQQ", d("2026-12-01"), d("2026-12-01"))[0].close;
    let qty = crate::common::api::dv(&json["orders"][0]["qty"]);
    let equity = dec("65000") + dec("480") * close / dec("2");
    assert!(
        qty * qqq <= equity * dec("0.2"),
        "QQQ buy of {qty} at ${qqq} is over 20% of ${equity}"
    );
    assert!(qty * qqq >= equity * dec("0.19"), "{qty} at ${qqq}");
    for symbol in ["SPY", "QQQ"] {
        assert!(
            notes.iter().any(|n| n
                .starts_with(&format!("{symbol}: Alpaca's close for 2026-12-01 is now"))
                && n.contains("its history was refetched before planning")),
            "{notes:?}"
        );
    }
    // The store now agrees with Alpaca's series bar for bar.
    let spy: Symbol = "SPY".parse().unwrap();
    let stored = w
        .store()
        .bars(
            &spy,
            SessionDate::new(d("2000-01-01")),
            SessionDate::new(d("2026-12-01")),
        )
        .unwrap();
    let fake = w
        .sim
        .bars("SPY", stored[0].session_date.date(), d("2026-12-01"));
    assert_eq!(stored.len(), fake.len());
    assert!(
        stored
            .iter()
            .zip(&fake)
            .all(|(s, f)| s.close.amount() == f.close)
    );
}

/// `aurora.toml` with `universe` and fixed `weights`, and fast retries.
fn fixed(universe: &str, weights: &str) -> String {
    format!(
        "[universe]\nsymbols = [{universe}]\n[strategy]\nname = \"fixed\"\n\
         weights = {{ {weights} }}\n{FAST_RETRIES}"
    )
}

#[test]
fn a_plan_made_under_another_configuration_is_replanned_not_continued() {
    let w = World::at(crate::trade::MONDAY_0800_CT);
    w.write_config(&fixed("\"SPY\", \"TLT\"", "SPY = 0.2, TLT = 0.1"));
    w.aurora(&["preflight"]).run().code(0);
    // The run is killed after storing its plan, while it reads the account again before the
    // buys (the timer's timeout, a reboot): both buys stored, neither sent.
    w.sim.inject(Fault {
        method: Some("GET".into()),
        path: "/v2/account".into(),
        skip: 1,
        times: 1,
        action: FaultAction::Delay { ms: 5_000 },
    });
    let before = w.requests_to("/v2/account").len();
    let mut child = w.aurora(&["trade"]).spawn();
    wait_until(Duration::from_secs(20), "phase two's account read", || {
        w.requests_to("/v2/account").len() == before + 2
    });
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(w.sim.orders().is_empty());

    // The operator takes SPY out of the universe; the next run must not buy it.
    w.write_config(&fixed("\"TLT\"", "TLT = 0.1"));
    let json = w.aurora(&["trade", "--json"]).run().code(0).json();
    assert_eq!(ordered(&json), [("TLT".into(), "buy".into())]);
    assert_eq!(json["revision"], 1);
    assert!(
        notes(&json)[0].starts_with("the configuration changed since revision 0"),
        "{:?}",
        notes(&json)
    );
    let sent: Vec<String> = w.sim.orders().iter().map(|o| o.symbol.clone()).collect();
    assert_eq!(sent, ["TLT"], "no SPY bought after SPY was taken out");
    // Unchanged since, the next run continues revision 1 and sends nothing again.
    let again = w.aurora(&["trade", "--json"]).run().code(0).json();
    assert_eq!(again["resumed"], true);
    assert_eq!(w.sim.orders().len(), 1);
}

#[test]
fn a_changed_configuration_waits_for_an_order_still_in_flight() {
    let w = World::at(crate::trade::MONDAY_0800_CT);
    w.write_config(&fixed("\"SPY\", \"TLT\"", "SPY = 0.2, TLT = 0.1"));
    // No send is answered: both buys are `unknown` (exit 75).
    w.fault("POST", "/v2/orders", 6, status_fault(503, "busy"));
    w.aurora(&["trade"]).run().code(75);
    w.write_config(&fixed("\"TLT\"", "TLT = 0.1"));
    // Replanning would risk a double if a send lands late; continuing would buy SPY, which the
    // configuration no longer allows. Neither: a temporary refusal that says why.
    w.aurora(&["trade"])
        .run()
        .code(75)
        .stderr_has("the configuration changed since this session's plan was made");
    assert!(w.sim.orders().is_empty());
}

#[test]
fn a_replan_waits_out_alpacas_pending_cancel() {
    let w = World::at(crate::trade::MONDAY_0800_CT);
    w.write_config(&fixed("\"SPY\"", "SPY = 0.2"));
    w.aurora(&["trade"]).run().code(0);
    // On Alpaca a cancel is a request: the order shows `pending_cancel` for a moment first.
    w.sim.set_cancel_lag(2);
    let json = w
        .aurora(&["trade", "--replan", "--json"])
        .run()
        .code(0)
        .json();
    assert_eq!(json["revision"], 1);
    let statuses: Vec<(u64, String)> = w
        .sim
        .orders()
        .iter()
        .map(|o| {
            (
                o.qty.unwrap_or_default().try_into().unwrap(),
                o.status.clone(),
            )
        })
        .collect();
    assert_eq!(statuses.len(), 2, "{statuses:?}");
    assert_eq!(statuses[0].1, "canceled");
    assert_eq!(statuses[1].1, "accepted");
}

#[test]
fn the_session_order_cap_survives_a_store_that_forgot_the_session() {
    let w = World::at(crate::trade::MONDAY_0800_CT);
    // SPY's 35% is $35,000: more than max_order_notional ($25,000) allows in one session.
    w.write_config(&fixed("\"SPY\"", "SPY = 0.35"));
    w.aurora(&["preflight"]).run().code(0);
    let copy = w.home.path().join("before-trade.db");
    w.aurora(&["backup", "--to", copy.to_str().unwrap()])
        .run()
        .code(0);
    let first = w.aurora(&["trade", "--json"]).run().code(0).json();
    assert_eq!(ordered(&first), [("SPY".into(), "buy".into())]);
    // The backup from before the trade is put back.
    for ext in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(w.state_dir().join(format!("aurora.db{ext}")));
    }
    std::fs::copy(&copy, w.state_dir().join("aurora.db")).unwrap();
    // The working order is Aurora's by its id: the session's cap is spent, nothing more goes.
    let again = w.aurora(&["trade", "--json"]).run().code(0).json();
    assert_eq!(ordered(&again), [], "{:?}", notes(&again));
    assert!(
        notes(&again)
            .iter()
            .any(|n| n.starts_with("SPY: max_order_notional $25,000.00 already used")),
        "{:?}",
        notes(&again)
    );
    assert_eq!(w.sim.orders().len(), 1);
}
