//! `aurora trade` checks facts when it plans, not only at 07:30: the account, the daily loss
//! baseline, the configuration, the assets; and it says what it did in plain words.

use std::str::FromStr;

use crate::common::{MONDAY_0730_CT, World};
use crate::trade::{MONDAY_0800_CT, posts};
use aurora::sim::state::AccountPatch;
use rust_decimal::Decimal;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

const SPY_ONLY: &str = "[strategy]\nname = \"fixed\"\nweights = { SPY = 0.2 }\n";

#[test]
fn an_account_blocked_after_preflight_stops_trade_with_exit_3_naming_why() {
    let cases: [(&str, AccountPatch); 5] = [
        (
            "trading_blocked",
            AccountPatch {
                trading_blocked: Some(true),
                ..AccountPatch::default()
            },
        ),
        (
            "account_blocked",
            AccountPatch {
                account_blocked: Some(true),
                ..AccountPatch::default()
            },
        ),
        (
            "trade_suspended_by_user",
            AccountPatch {
                trade_suspended_by_user: Some(true),
                ..AccountPatch::default()
            },
        ),
        (
            "status is ACCOUNT_CLOSED",
            AccountPatch {
                status: Some("ACCOUNT_CLOSED".into()),
                ..AccountPatch::default()
            },
        ),
        (
            "trading_blocked is missing",
            AccountPatch {
                omit: Some(vec!["trading_blocked".into()]),
                ..AccountPatch::default()
            },
        ),
    ];
    for (why, patch) in cases {
        let w = World::at(MONDAY_0730_CT);
        w.write_config(SPY_ONLY);
        w.aurora(&["preflight"]).run().code(0);
        // The block arrives after the 07:30 preflight passed.
        w.account(patch);
        w.sim.set_clock(MONDAY_0800_CT.parse().unwrap(), true);
        w.aurora(&["trade"])
            .run()
            .code(3)
            .stdout_has(&format!("account_active: the account may not trade: {why}"));
        assert_eq!(posts(&w), 0, "{why}");
    }
}

#[test]
fn a_missing_blocking_flag_fails_preflight() {
    let w = World::at(MONDAY_0730_CT);
    w.account(AccountPatch {
        omit: Some(vec!["account_blocked".into()]),
        ..AccountPatch::default()
    });
    w.aurora(&["preflight"])
        .run()
        .code(3)
        .stdout_has("account_blocked is missing");
}

#[test]
fn max_daily_loss_fails_closed_without_last_equity() {
    let w = World::at(MONDAY_0800_CT);
    w.write_config(SPY_ONLY);
    w.account(AccountPatch {
        last_equity: Some(Decimal::ZERO),
        ..AccountPatch::default()
    });
    w.aurora(&["trade"])
        .run()
        .code(3)
        .stdout_has("max_daily_loss (SPY): last equity is $0.00");
    assert_eq!(posts(&w), 0);

    // Without the field at all, the account cannot be read: nothing is sent either.
    let w = World::at(MONDAY_0800_CT);
    w.write_config(SPY_ONLY);
    w.account(AccountPatch {
        omit: Some(vec!["last_equity".into()]),
        ..AccountPatch::default()
    });
    let done = w.aurora(&["trade"]).run();
    assert_ne!(done.code, 0, "{}", done.stdout);
    assert_eq!(posts(&w), 0);
}

#[test]
fn universe_and_weight_mistakes_are_configuration_errors() {
    let w = World::at(MONDAY_0800_CT);
    let path = w.write_config("[universe]\nsymbols = [\"SPY\", \"TLT\",\n  \"SPY\"]\n");
    w.aurora(&["trade"]).run().code(2).stderr_has(&format!(
        "{}:3: universe.symbols: SPY is listed twice",
        path.display()
    ));
    w.write_config(
        "[universe]\nsymbols = [\"SPY\"]\n[strategy]\nname = \"fixed\"\nweights = { SPY = 0.2, QQQ = 0.2 }\n",
    );
    w.aurora(&["trade"])
        .run()
        .code(2)
        .stderr_has("strategy.weights: QQQ is not in universe.symbols");
    w.write_config("[strategy]\nname = \"trend\"\nweights = { SPY = 0.2 }\n");
    w.aurora(&["trade"])
        .run()
        .code(2)
        .stderr_has("trend takes no strategy.weights");
    assert!(w.requests().is_empty(), "nothing asked of Alpaca");
}

#[test]
fn an_inactive_asset_is_named_inactive() {
    let w = World::at(MONDAY_0800_CT);
    w.write_config(
        "[universe]\nsymbols = [\"SPY\", \"DLST\"]\n[strategy]\nname = \"fixed\"\nweights = { SPY = 0.2, DLST = 0.1 }\n",
    );
    w.aurora(&["trade"])
        .run()
        .code(3)
        .stdout_has("asset_tradable (DLST): inactive at Alpaca (status inactive)");
    assert_eq!(posts(&w), 0);
}

#[test]
fn a_fractional_holding_is_sold_whole_as_a_day_order_when_fractional_is_off() {
    let w = World::at(MONDAY_0800_CT);
    w.sim.adjust_position("TLT", d("10.5"));
    w.write_config(&format!("{SPY_ONLY}[orders]\ntime_in_force = \"opg\"\n"));
    let json = w.aurora(&["trade", "--json"]).run().code(0).json();
    let sell = &json["orders"][0];
    assert_eq!(
        (&sell["symbol"], &sell["qty"]),
        (&"TLT".into(), &"10.5".into())
    );
    assert!(
        sell["reason"]
            .as_str()
            .unwrap()
            .ends_with("sells the whole holding of 10.5, its fraction included (a day order)"),
        "{sell}"
    );
    let orders = w.sim.orders();
    let tif = |side: &str| {
        orders
            .iter()
            .find(|o| o.side == side)
            .map(|o| o.time_in_force.clone())
    };
    assert_eq!(tif("sell").as_deref(), Some("day"));
    assert_eq!(tif("buy").as_deref(), Some("opg"), "whole shares keep opg");
}
