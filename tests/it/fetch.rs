//! `aurora fetch` against the fake's market data: paging, increments, bad data, faults, crashes.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::common::{World, status_fault, wait_until};
use aurora::sim::state::{BarSet, FaultAction};
use aurora::types::{SessionDate, Symbol};
use chrono::NaiveDate;

/// Monday 2026-11-30, 16:00 CT: the data-fetch timer, after Monday's close.
const MONDAY_1600_CT: &str = "2026-11-30T22:00:00Z";
const UNIVERSE: [&str; 6] = ["EFA", "GLD", "IWM", "QQQ", "SPY", "TLT"];

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// Every bar the store holds, by symbol then date, as the fake's control type for comparison.
fn stored(w: &World, symbols: &[&str]) -> Vec<BarSet> {
    let store = w.store();
    let mut out = Vec::new();
    for s in symbols {
        let sym: Symbol = s.parse().unwrap();
        for b in store
            .bars(
                &sym,
                SessionDate::new(d("2000-01-01")),
                SessionDate::new(d("2100-01-01")),
            )
            .unwrap()
        {
            out.push(BarSet {
                symbol: s.to_string(),
                date: b.session_date.date(),
                open: b.open.amount(),
                high: b.high.amount(),
                low: b.low.amount(),
                close: b.close.amount(),
                volume: 0,
            });
        }
    }
    out
}

/// What the fake holds over the same dates, volume blanked (IEX volume is a slice of it).
fn fake_bars(w: &World, symbols: &[&str], start: NaiveDate, end: NaiveDate) -> Vec<BarSet> {
    symbols
        .iter()
        .flat_map(|s| w.sim.bars(s, start, end))
        .map(|b| BarSet { volume: 0, ..b })
        .collect()
}

fn bar_requests(w: &World) -> Vec<BTreeMap<String, String>> {
    w.requests_to("/v2/stocks/bars")
        .iter()
        .map(|r| {
            r.query
                .as_deref()
                .unwrap_or_default()
                .split('&')
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.to_owned(), v.replace("%2C", ",")))
                .collect()
        })
        .collect()
}

fn assert_same(a: &[BarSet], b: &[BarSet]) {
    assert_eq!(a.len(), b.len(), "bar counts differ");
    for (x, y) in a.iter().zip(b) {
        assert_eq!(
            (&x.symbol, x.date, x.open, x.high, x.low, x.close),
            (&y.symbol, y.date, y.open, y.high, y.low, y.close)
        );
    }
}

#[test]
fn a_fetch_over_several_pages_stores_exactly_the_fakes_bars() {
    let w = World::at(MONDAY_1600_CT);
    w.write_config("[data]\npage_limit = 1000\n");
    let done = w
        .aurora(&["fetch"])
        .run()
        .code(0)
        .stdout_has("through 2026-11-30");
    let reqs = bar_requests(&w);
    assert!(reqs.len() >= 3, "{} pages", reqs.len());
    assert!(reqs[1].contains_key("page_token") && reqs[2].contains_key("page_token"));
    let start = d(&reqs[0]["start"]);
    let ours = stored(&w, &UNIVERSE);
    assert_same(&ours, &fake_bars(&w, &UNIVERSE, start, d("2026-11-30")));
    // 400 sessions of history for each of the 6 symbols.
    assert_eq!(ours.len(), 2400);
    assert_eq!(w.store().bar_count().unwrap(), 2400);
    assert!(done.stdout.contains("2400 added"), "{}", done.stdout);
    // Without a terminal, progress is a log line rather than a bar.
    assert!(
        done.stderr.contains("progress: 6/6 symbols, 2400 bars"),
        "{}",
        done.stderr
    );
}

#[test]
fn the_next_session_fetches_only_the_new_session() {
    let w = World::at(MONDAY_1600_CT);
    w.write_config("[data]\noverlap_sessions = 0\n");
    w.aurora(&["fetch"]).run().code(0);
    w.sim
        .set_clock("2026-12-01T22:00:00Z".parse().unwrap(), true);
    let done = w.aurora(&["fetch", "--json"]).run().code(0);
    let reqs = bar_requests(&w);
    assert_eq!(reqs.len(), 2, "one request per run");
    assert_eq!(
        (reqs[1]["start"].as_str(), reqs[1]["end"].as_str()),
        ("2026-12-01", "2026-12-01")
    );
    assert_eq!(reqs[1]["symbols"], UNIVERSE.join(","));
    let json = done.json();
    assert_eq!(json["bars"]["added"], 6);
    assert_eq!(json["requests"], 1);
    assert_eq!(json["min_requests"], 1);
    assert_eq!(json["last_session"]["SPY"], "2026-12-01");
}

#[test]
fn the_default_overlap_refetches_the_last_session_and_picks_up_a_small_correction() {
    let w = World::at(MONDAY_1600_CT);
    w.aurora(&["fetch"]).run().code(0);
    // Alpaca corrects Monday's SPY close by a cent after the fact: within the 0.1% tolerance,
    // so that one bar is replaced and the history is not refetched.
    let monday = w.sim.bars("SPY", d("2026-11-30"), d("2026-11-30"))[0].clone();
    let corrected = monday.close + rust_decimal::Decimal::new(1, 2);
    assert!(corrected < monday.close * rust_decimal::Decimal::new(1001, 3));
    w.sim.set_bar(BarSet {
        close: corrected,
        high: monday.high.max(corrected),
        ..monday
    });
    w.sim
        .set_clock("2026-12-01T22:00:00Z".parse().unwrap(), true);
    let json = w.aurora(&["fetch", "--json"]).run().code(0).json();
    let reqs = bar_requests(&w);
    assert_eq!(reqs.len(), 2, "no second pass");
    assert_eq!(
        (reqs[1]["start"].as_str(), reqs[1]["end"].as_str()),
        ("2026-11-30", "2026-12-01")
    );
    assert_eq!(json["bars"]["added"], 6);
    assert_eq!(json["bars"]["updated"], 1);
    assert_eq!(json["bars"]["unchanged"], 5);
    assert_eq!(json["readjusted"], serde_json::json!([]));
    let spy = w
        .store()
        .bars(
            &"SPY".parse().unwrap(),
            SessionDate::new(d("2026-11-30")),
            SessionDate::new(d("2026-11-30")),
        )
        .unwrap();
    assert_eq!(spy[0].close.amount(), corrected);
}

#[test]
fn a_correction_beyond_the_tolerance_refetches_the_whole_stored_history() {
    let w = World::at(MONDAY_1600_CT);
    w.aurora(&["fetch"]).run().code(0);
    // Monday's SPY close is corrected by 1%, and (unseen by the overlap) an older bar too.
    for date in ["2026-11-30", "2026-06-01"] {
        let bar = w.sim.bars("SPY", d(date), d(date))[0].clone();
        let close = (bar.close * rust_decimal::Decimal::new(101, 2)).round_dp(2);
        w.sim.set_bar(BarSet {
            close,
            high: bar.high.max(close),
            ..bar
        });
    }
    w.sim
        .set_clock("2026-12-01T22:00:00Z".parse().unwrap(), true);
    let done = w
        .aurora(&["fetch", "--json"])
        .run()
        .code(0)
        .stderr_has("SPY history re-adjusted: 400 bars replaced");
    let json = done.json();
    assert_eq!(json["readjusted"][0]["symbol"], "SPY");
    assert_eq!(json["readjusted"][0]["replaced"], 400);
    let reqs = bar_requests(&w);
    assert_eq!(
        reqs.len(),
        3,
        "one incremental request, one for SPY's whole history"
    );
    let first = d(&reqs[0]["start"]);
    assert_eq!(
        (reqs[2]["symbols"].as_str(), d(&reqs[2]["start"])),
        ("SPY", first)
    );
    // The store and Alpaca agree bar for bar, the older correction included.
    assert_same(
        &stored(&w, &UNIVERSE),
        &fake_bars(&w, &UNIVERSE, first, d("2026-12-01")),
    );
    // Once agreed, the next run has nothing to re-adjust.
    let again = w
        .aurora(&["fetch"])
        .run()
        .code(0)
        .stdout_has("6 already up to date");
    assert!(!again.stdout.contains("re-adjusted"), "{}", again.stdout);
}

#[test]
fn holidays_and_weekends_leave_no_gaps_and_cause_no_errors() {
    // Wednesday before Thanksgiving, after the close.
    let w = World::at("2026-11-25T22:00:00Z");
    w.write_config("[data]\nhistory_days = 5\noverlap_sessions = 0\n");
    w.aurora(&["fetch", "--symbols", "SPY"]).run().code(0);
    // Thanksgiving evening: nothing new (the holiday has no bar), and no error.
    w.sim
        .set_clock("2026-11-26T22:00:00Z".parse().unwrap(), true);
    w.aurora(&["fetch", "--symbols", "SPY"])
        .run()
        .code(0)
        .stdout_has("1 already up to date");
    // Monday evening: Friday's half day and Monday, nothing for the weekend.
    w.sim.set_clock(MONDAY_1600_CT.parse().unwrap(), true);
    w.aurora(&["fetch", "--symbols", "SPY"]).run().code(0);
    let dates: Vec<String> = stored(&w, &["SPY"])
        .iter()
        .map(|b| b.date.to_string())
        .collect();
    assert_eq!(
        dates,
        [
            "2026-11-19",
            "2026-11-20",
            "2026-11-23",
            "2026-11-24",
            "2026-11-25",
            "2026-11-27",
            "2026-11-30"
        ]
    );
    let reqs = bar_requests(&w);
    assert_eq!(reqs.len(), 2, "the holiday run asked for nothing");
    assert_eq!(reqs[1]["start"], "2026-11-27");
}

#[test]
fn an_invalid_bar_is_skipped_and_named() {
    let w = World::at(MONDAY_1600_CT);
    w.sim.set_bar(BarSet {
        symbol: "QQQ".into(),
        date: d("2026-11-24"),
        open: "400".parse().unwrap(),
        high: "390".parse().unwrap(),
        low: "395".parse().unwrap(),
        close: "392".parse().unwrap(),
        volume: 1,
    });
    w.aurora(&["fetch"])
        .run()
        .code(0)
        .stdout_has("skipped QQQ 2026-11-24: high 390 is below low 395")
        .stderr_has("skipped the QQQ bar of 2026-11-24: high 390 is below low 395");
    let qqq: Vec<_> = stored(&w, &["QQQ"])
        .into_iter()
        .map(|b| b.date.to_string())
        .collect();
    assert!(!qqq.contains(&"2026-11-24".to_string()));
    assert!(qqq.contains(&"2026-11-25".to_string()));
    assert_eq!(w.store().bar_count().unwrap(), 2399);
}

#[test]
fn an_unknown_symbol_is_named_and_the_others_are_stored() {
    let w = World::at(MONDAY_1600_CT);
    w.aurora(&["fetch", "--symbols", "SPY,NOPE,TLT"])
        .run()
        .code(1)
        .stdout_has("❌ NOPE: not known to Alpaca")
        .stdout_has("Failed: NOPE");
    assert_eq!(stored(&w, &["SPY"]).len(), 400);
    assert_eq!(stored(&w, &["TLT"]).len(), 400);
}

#[test]
fn invalid_symbols_are_refused_before_any_request() {
    let w = World::at(MONDAY_1600_CT);
    w.aurora(&["fetch", "--symbols", "SPY,spy"])
        .run()
        .code(2)
        .stderr_has("invalid symbol \"spy\"");
    assert!(w.requests().is_empty());
}

#[test]
fn a_429_and_a_503_mid_pagination_lose_and_duplicate_nothing() {
    let w = World::at(MONDAY_1600_CT);
    w.write_config("[data]\npage_limit = 500\n");
    w.sim.inject(aurora::sim::state::Fault {
        method: Some("GET".into()),
        path: "/v2/stocks/bars".into(),
        skip: 1,
        times: 1,
        action: status_fault(503, "upstream timeout"),
    });
    w.sim.inject(aurora::sim::state::Fault {
        method: Some("GET".into()),
        path: "/v2/stocks/bars".into(),
        skip: 2,
        times: 1,
        action: FaultAction::Status {
            status: 429,
            code: None,
            message: "too many requests".into(),
            retry_after_secs: None,
            reset_in_secs: Some(1),
        },
    });
    w.aurora(&["fetch"]).run().code(0);
    let log = w.requests_to("/v2/stocks/bars");
    let statuses: Vec<u16> = log.iter().map(|r| r.status).collect();
    assert!(
        statuses.contains(&503) && statuses.contains(&429),
        "{statuses:?}"
    );
    // Each failed page was asked again with the same token.
    for (i, r) in log.iter().enumerate() {
        if r.status != 200 {
            assert_eq!(r.query, log[i + 1].query, "retry {i} changed the request");
        }
    }
    let start = d(&bar_requests(&w)[0]["start"]);
    assert_same(
        &stored(&w, &UNIVERSE),
        &fake_bars(&w, &UNIVERSE, start, d("2026-11-30")),
    );
    assert_eq!(w.store().bar_count().unwrap(), 2400);
}

#[test]
fn a_spent_rate_budget_is_waited_out_instead_of_hitting_429() {
    let w = World::at(MONDAY_1600_CT);
    w.write_config("[data]\npage_limit = 600\n");
    // Two data requests a second: the fetch's clock, calendar and five pages must pace themselves.
    w.sim.set_rate_limit(2, Duration::from_secs(1));
    w.aurora(&["fetch"]).run().code(0);
    let statuses: Vec<u16> = w.requests().iter().map(|r| r.status).collect();
    assert!(!statuses.contains(&429), "{statuses:?}");
    assert_eq!(w.store().bar_count().unwrap(), 2400);
}

#[test]
fn killed_mid_fetch_then_rerun_stores_every_bar_once() {
    let w = World::at(MONDAY_1600_CT);
    w.write_config("[data]\npage_limit = 1000\n");
    // The second page hangs, leaving a window to kill the job after the first page is stored.
    w.sim.inject(aurora::sim::state::Fault {
        method: Some("GET".into()),
        path: "/v2/stocks/bars".into(),
        skip: 1,
        times: 1,
        action: FaultAction::Delay { ms: 10_000 },
    });
    let mut child = w.aurora(&["fetch"]).spawn();
    wait_until(
        Duration::from_secs(20),
        "the first page to be stored",
        || w.state_dir().join("aurora.db").exists() && w.store().bar_count().unwrap_or(0) > 0,
    );
    child.kill().unwrap();
    child.wait().unwrap();
    let partial = w.store().bar_count().unwrap();
    assert!(partial > 0 && partial < 2400, "{partial}");
    // The crashed run shows as unfinished.
    let runs = w.store().last_runs().unwrap();
    assert_eq!(runs[0].finished_at, None);

    w.aurora(&["fetch"]).run().code(0);
    let start = d(&bar_requests(&w)[0]["start"]);
    assert_same(
        &stored(&w, &UNIVERSE),
        &fake_bars(&w, &UNIVERSE, start, d("2026-11-30")),
    );
    assert_eq!(w.store().bar_count().unwrap(), 2400);
}

#[test]
fn the_fake_keeps_every_bar_before_its_clock() {
    // Monday 15:59 ET: Monday's session has not closed, so its bar does not exist yet.
    let w = World::at("2026-11-30T20:59:00Z");
    w.aurora(&["fetch", "--symbols", "SPY"])
        .run()
        .code(0)
        .stdout_has("through 2026-11-27");
    let last = stored(&w, &["SPY"]).last().unwrap().date;
    assert_eq!(last, d("2026-11-27"));
}
