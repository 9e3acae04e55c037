//! Alpaca's clock is "now": the same trading day gives the same results whatever this
//! machine's date. Each job runs with the fake's market clock years away from the machine's,
//! on both sides of it and in both daylight-saving regimes.

use crate::common::World;
use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone as _, Utc};
use chrono_tz::America::Chicago;

/// Mondays with a regular session: EDT in 2024, EST in 2026, EDT in 2027.
const DAYS: [&str; 3] = ["2024-04-15", "2026-11-30", "2027-10-18"];

/// `date` at `hh:mm` in America/Chicago, where the timers run.
fn ct(date: NaiveDate, h: u32, m: u32) -> DateTime<Utc> {
    Chicago
        .from_local_datetime(&date.and_time(NaiveTime::from_hms_opt(h, m, 0).unwrap()))
        .unwrap()
        .with_timezone(&Utc)
}

/// What one trading day produced, with the date taken out.
#[derive(Debug, PartialEq)]
struct Day {
    fetch: i32,
    preflight: (i32, bool),
    trade: (i32, Vec<(String, String)>),
    status: (i32, bool, Vec<(String, String, String)>),
    eod: (i32, String, Vec<String>),
}

fn trading_day(date: &str) -> Day {
    let date: NaiveDate = date.parse().unwrap();
    let w = World::at(&ct(date, 6, 0).to_rfc3339());
    w.write_config("[strategy]\nname = \"fixed\"\nweights = { SPY = 0.2, TLT = 0.2 }\n");

    let fetch = w.aurora(&["fetch"]).run().code;

    w.sim.set_clock(ct(date, 7, 30), true);
    let preflight = w.aurora(&["preflight", "--json"]).run();
    let preflight = (preflight.code, preflight.json()["verdict"] == "pass");

    w.sim.set_clock(ct(date, 8, 0), true);
    let trade = w.aurora(&["trade", "--json"]).run();
    let trade = (
        trade.code,
        trade.json()["orders"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| {
                (
                    o["symbol"].as_str().unwrap().to_owned(),
                    o["outcome"].as_str().unwrap().to_owned(),
                )
            })
            .collect(),
    );

    w.sim.open_session().unwrap();
    w.sim.set_clock(ct(date, 9, 0), true);
    let status = w.aurora(&["status", "--json"]).run();
    let j = status.json();
    let status = (
        status.code,
        j["health"]["ok"] == true,
        j["plan"]["orders"]
            .as_array()
            .map(|orders| {
                orders
                    .iter()
                    .map(|o| {
                        (
                            o["symbol"].as_str().unwrap().to_owned(),
                            o["state"].as_str().unwrap().to_owned(),
                            o["alpaca_status"].as_str().unwrap_or("-").to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
    );

    w.sim.close_session().unwrap();
    w.sim.set_clock(ct(date, 15, 15), true);
    let eod = w.aurora(&["eod", "--json"]).run();
    let j = eod.json();
    let eod = (
        eod.code,
        j["session"]
            .as_str()
            .unwrap_or("-")
            .replace(&date.to_string(), "DATE"),
        j["reconciled"][0]["orders"]
            .as_array()
            .map(|orders| {
                orders
                    .iter()
                    .map(|o| o["fate"].as_str().unwrap_or("-").to_owned())
                    .collect()
            })
            .unwrap_or_default(),
    );
    Day {
        fetch,
        preflight,
        trade,
        status,
        eod,
    }
}

#[test]
fn a_trading_day_gives_the_same_results_whatever_the_machine_date() {
    let days: Vec<Day> = DAYS.iter().map(|d| trading_day(d)).collect();
    // The day itself must be a good one, or agreeing would prove nothing.
    let first = &days[0];
    assert_eq!(first.fetch, 0, "{first:?}");
    assert_eq!(first.preflight, (0, true), "{first:?}");
    assert_eq!(first.trade.0, 0, "{first:?}");
    assert_eq!(first.trade.1.len(), 2, "{first:?}");
    assert!(
        first
            .status
            .2
            .iter()
            .all(|(_, _, alpaca)| alpaca == "filled"),
        "{first:?}"
    );
    assert_eq!(first.status.2.len(), 2, "{first:?}");
    assert_eq!(first.eod.0, 0, "{first:?}");
    assert_eq!(first.eod.1, "DATE", "{first:?}");
    assert_eq!(first.eod.2, ["filled", "filled"], "{first:?}");
    for (date, day) in DAYS.iter().zip(&days).skip(1) {
        assert_eq!(day, first, "{date} differs from {}", DAYS[0]);
    }
}
