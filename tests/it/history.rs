//! Stored history is checked, not trusted: splits and corrections re-adjust it, gaps are
//! refilled (and block preflight while open), and `trade` leaves alone a symbol whose history is
//! inconsistent, stale, gappy or too short, naming why.

use crate::common::{MONDAY_0730_CT, World};
use aurora::sim::state::{AccountPatch, BarSet, SimPosition, SimSplit};
use aurora::types::{SessionDate, Symbol};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::Value;

/// Monday 2026-11-30, 08:00 CT: the trading timer, half an hour before the open.
const MONDAY_0800_CT: &str = "2026-11-30T14:00:00Z";
const FIXED: &str =
    "[strategy]\nname = \"fixed\"\nweights = { SPY = 0.2, TLT = 0.2, GLD = 0.15 }\n";

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn spy() -> Symbol {
    "SPY".parse().unwrap()
}

/// SPY's stored bars as (date, open, high, low, close).
fn stored_spy(w: &World) -> Vec<(NaiveDate, Decimal, Decimal, Decimal, Decimal)> {
    w.store()
        .bars(
            &spy(),
            SessionDate::new(d("2000-01-01")),
            SessionDate::new(d("2100-01-01")),
        )
        .unwrap()
        .into_iter()
        .map(|b| {
            (
                b.session_date.date(),
                b.open.amount(),
                b.high.amount(),
                b.low.amount(),
                b.close.amount(),
            )
        })
        .collect()
}

/// The fake's SPY bars with `adjustment=all`, in the same shape.
fn fake_spy(
    w: &World,
    start: NaiveDate,
    end: NaiveDate,
) -> Vec<(NaiveDate, Decimal, Decimal, Decimal, Decimal)> {
    w.sim
        .bars("SPY", start, end)
        .into_iter()
        .map(|b| (b.date, b.open, b.high, b.low, b.close))
        .collect()
}

pub fn notes(json: &Value) -> Vec<String> {
    json["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_owned())
        .collect()
}

pub fn ordered(json: &Value) -> Vec<(String, String)> {
    json["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["symbol"].as_str().unwrap().to_owned(),
                o["side"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Runs SQL on the store the jobs wrote (a bar edited or lost behind Aurora's back).
fn sql(w: &World, statement: &str) -> usize {
    let db = rusqlite::Connection::open(w.state_dir().join("aurora.db")).unwrap();
    db.execute(statement, []).unwrap()
}

/// A fake at Monday 07:30 CT with `config`, after a passing preflight (which fetched the bars).
fn preflighted(config: &str) -> World {
    let w = World::at(MONDAY_0730_CT);
    w.write_config(config);
    w.aurora(&["preflight"]).run().code(0);
    w
}

/// `aurora trade ARGS --json` at 08:00 CT, expecting exit 0.
fn trade_at_eight(w: &World, args: &[&str]) -> Value {
    w.sim.set_clock(MONDAY_0800_CT.parse().unwrap(), true);
    let args: Vec<&str> = ["trade"]
        .iter()
        .chain(args)
        .chain(&["--json"])
        .copied()
        .collect();
    w.aurora(&args).run().code(0).json()
}

#[test]
fn a_two_for_one_split_is_re_adjusted_and_sells_nothing() {
    // Tuesday 2026-12-01, 16:00 CT: the evening fetch stores SPY's history.
    let w = World::at("2026-12-01T22:00:00Z");
    w.write_config("[universe]\nsymbols = [\"SPY\"]\n");
    w.aurora(&["fetch"]).run().code(0);
    // SPY closes above its 50-session average through Thursday in the fake's series, so trend
    // keeps it at max_position_weight (35%): 240 shares at $146.30 and $65,000 cash.
    let close = w.sim.bars("SPY", d("2026-12-01"), d("2026-12-01"))[0].close;
    assert_eq!(close, dec("146.3"));
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
    // A 2:1 split goes ex on Wednesday: twice the shares at half the entry price.
    let after = w
        .sim
        .split(SimSplit {
            symbol: "SPY".into(),
            ratio: dec("2"),
            ex_date: d("2026-12-02"),
        })
        .unwrap();
    assert_eq!((after.qty, after.avg_entry_price), (dec("480"), dec("70")));

    // Thursday evening's fetch: the refetched Tuesday bar is now half what is stored.
    w.sim
        .set_clock("2026-12-03T22:00:00Z".parse().unwrap(), true);
    w.aurora(&["fetch"])
        .run()
        .code(0)
        .stdout_has("SPY history re-adjusted: 400 bars replaced")
        .stderr_has("SPY history re-adjusted: 400 bars replaced");
    let ours = stored_spy(&w);
    assert_eq!(ours.len(), 402);
    assert_eq!(ours, fake_spy(&w, ours[0].0, d("2026-12-03")));
    assert_eq!(
        ours[ours.len() - 3].4,
        dec("73.15"),
        "Tuesday on the new scale"
    );

    // Friday 08:00 CT: trend sees one consistent series and keeps the position.
    w.sim
        .set_clock("2026-12-04T14:00:00Z".parse().unwrap(), true);
    let json = w.aurora(&["trade", "--json"]).run().code(0).json();
    assert_eq!(ordered(&json), [], "no order, above all no sale");
    let notes = notes(&json);
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("SPY: within rebalance_threshold")),
        "{notes:?}"
    );
    assert!(w.sim.orders().is_empty());
}

#[test]
fn a_split_the_store_missed_is_history_inconsistent_and_trades_nothing() {
    // The same split, but the store was never re-adjusted (no overlap refetch): the trade job
    // must not read a 50% fall into the stored closes.
    let w = World::at("2026-12-01T22:00:00Z");
    w.write_config("[universe]\nsymbols = [\"SPY\"]\n[data]\noverlap_sessions = 0\n");
    w.aurora(&["fetch"]).run().code(0);
    w.sim.set_positions(vec![SimPosition {
        symbol: "SPY".into(),
        qty: dec("240"),
        avg_entry_price: dec("140"),
        current_price: dec("146.3"),
        lastday_price: dec("146.3"),
    }]);
    w.sim.split(SimSplit {
        symbol: "SPY".into(),
        ratio: dec("2"),
        ex_date: d("2026-12-02"),
    });
    w.sim
        .set_clock("2026-12-03T22:00:00Z".parse().unwrap(), true);
    let fetched = w.aurora(&["fetch", "--json"]).run().code(0).json();
    assert_eq!(fetched["readjusted"], serde_json::json!([]));
    w.sim
        .set_clock("2026-12-04T14:00:00Z".parse().unwrap(), true);
    let json = w.aurora(&["trade", "--json"]).run().code(0).json();
    assert_eq!(ordered(&json), []);
    let notes = notes(&json);
    assert!(
        notes[0].starts_with(
            "SPY: history_inconsistent: close $146.30 on 2026-12-01 → $72.75 on 2026-12-02 (-50.3%"
        ) && notes[0].contains("($73.15 → $72.75)"),
        "{notes:?}"
    );
    // The broker was asked about just the two sessions of the move.
    let asked: Vec<String> = w
        .requests_to("/v2/stocks/bars")
        .iter()
        .filter_map(|r| r.query.clone())
        .filter(|q| q.contains("start=2026-12-01&end=2026-12-02"))
        .collect();
    assert_eq!(asked.len(), 1, "{asked:?}");
}

#[test]
fn a_move_the_broker_does_not_show_gets_no_order_and_one_it_shows_is_traded() {
    let w = preflighted(FIXED);
    // A stored SPY close doubled behind Aurora's back: not Alpaca's series.
    assert_eq!(
        sql(
            &w,
            "UPDATE bars SET close = CAST(close * 2 AS TEXT), high = CAST(high * 2 AS TEXT)
             WHERE symbol = 'SPY' AND session_date = '2026-11-20'"
        ),
        1
    );
    let json = trade_at_eight(&w, &["--dry-run"]);
    assert_eq!(
        ordered(&json),
        [("TLT".into(), "buy".into()), ("GLD".into(), "buy".into())]
    );
    let named = notes(&json);
    assert!(
        named[0].starts_with("SPY: history_inconsistent: close $")
            && named[0].contains("on 2026-11-19 →")
            && named[0].ends_with("left alone"),
        "{named:?}"
    );

    // The same doubled close served by Alpaca too is a real move: SPY is traded.
    let w = World::at(MONDAY_0730_CT);
    w.write_config(FIXED);
    let bar = w.sim.bars("SPY", d("2026-11-20"), d("2026-11-20"))[0].clone();
    w.sim.set_bar(BarSet {
        close: bar.close * Decimal::TWO,
        high: bar.high * Decimal::TWO,
        ..bar
    });
    w.aurora(&["preflight"]).run().code(0);
    let json = trade_at_eight(&w, &["--dry-run"]);
    assert_eq!(ordered(&json).len(), 3, "{json}");
    assert!(
        !notes(&json).iter().any(|n| n.contains("history_")),
        "{json}"
    );
}

#[test]
fn stale_history_gets_no_order_and_is_named() {
    let w = preflighted(FIXED);
    // Friday's SPY bar is lost after the preflight passed.
    assert_eq!(
        sql(
            &w,
            "DELETE FROM bars WHERE symbol = 'SPY' AND session_date = '2026-11-27'"
        ),
        1
    );
    let json = trade_at_eight(&w, &[]);
    assert_eq!(
        ordered(&json),
        [("TLT".into(), "buy".into()), ("GLD".into(), "buy".into())]
    );
    assert_eq!(
        notes(&json)[0],
        "SPY: history_stale: the last stored bar is 2026-11-25, not the previous session \
         2026-11-27; left alone"
    );
    w.aurora(&["trade"])
        .run()
        .code(0)
        .stdout_has("· SPY: history_stale");
}

#[test]
fn a_trend_symbol_with_too_little_history_is_named_in_the_plan() {
    let w = preflighted("[universe]\nsymbols = [\"SPY\", \"TLT\"]\n");
    // TLT was added to the universe recently: only its last 19 sessions are stored.
    assert!(
        sql(
            &w,
            "DELETE FROM bars WHERE symbol = 'TLT' AND session_date < '2026-11-01'"
        ) > 0
    );
    let json = trade_at_eight(&w, &["--dry-run"]);
    assert!(
        notes(&json).contains(
            &"TLT: insufficient_history: 19 stored closes; the 50-session moving average needs 50; \
              left alone"
                .to_owned()
        ),
        "{json}"
    );
    assert!(!ordered(&json).iter().any(|(s, _)| s == "TLT"));
}

#[test]
fn a_bar_missing_at_fetch_time_is_refilled_when_alpaca_serves_it() {
    // Monday evening: Alpaca has no SPY bar for Tuesday the 24th yet.
    let w = World::at("2026-11-30T22:00:00Z");
    w.sim.withhold("SPY", d("2026-11-24"), true);
    w.aurora(&["fetch", "--symbols", "SPY,TLT"]).run().code(0);
    assert_eq!(stored_spy(&w).len(), 399);

    // Tuesday evening: still missing. The gap is found against the calendar and asked again.
    w.sim
        .set_clock("2026-12-01T22:00:00Z".parse().unwrap(), true);
    let json = w
        .aurora(&["fetch", "--symbols", "SPY,TLT", "--json"])
        .run()
        .code(0)
        .json();
    assert_eq!(json["gaps"][0]["symbol"], "SPY");
    assert_eq!(
        json["gaps"][0]["sessions"],
        serde_json::json!(["2026-11-24"])
    );
    assert_eq!(json["refilled"], serde_json::json!([]));

    // Wednesday evening: Alpaca serves it now, and the store is whole.
    w.sim.withhold("SPY", d("2026-11-24"), false);
    w.sim
        .set_clock("2026-12-02T22:00:00Z".parse().unwrap(), true);
    let done = w
        .aurora(&["fetch", "--symbols", "SPY,TLT"])
        .run()
        .code(0)
        .stdout_has("SPY gap refilled: 2026-11-24");
    assert!(!done.stdout.contains("⚠️"), "{}", done.stdout);
    let ours = stored_spy(&w);
    assert_eq!(ours.len(), 402);
    assert_eq!(ours, fake_spy(&w, ours[0].0, d("2026-12-02")));
    // SPY was asked from the gap on; TLT, whole, only for the new session and its overlap.
    let last: Vec<String> = w
        .requests_to("/v2/stocks/bars")
        .iter()
        .rev()
        .take(2)
        .filter_map(|r| r.query.clone())
        .collect();
    assert!(
        last.iter()
            .any(|q| q.contains("symbols=SPY") && q.contains("start=2026-11-24")),
        "{last:?}"
    );
    assert!(
        last.iter()
            .any(|q| q.contains("symbols=TLT") && q.contains("start=2026-12-01")),
        "{last:?}"
    );
}

#[test]
fn preflight_fails_while_a_gap_inside_the_lookback_window_stays_open() {
    let w = World::at(MONDAY_0730_CT);
    w.write_config("[strategy]\nlookback = 20\n");
    // A gap older than the 20-session window does not matter to the strategy.
    w.sim.withhold("SPY", d("2026-09-01"), true);
    w.aurora(&["preflight"]).run().code(0);
    // One inside it does: the catch-up fetch asks again, and Alpaca still has nothing.
    w.sim.withhold("QQQ", d("2026-11-24"), true);
    assert_eq!(
        sql(
            &w,
            "DELETE FROM bars WHERE symbol = 'QQQ' AND session_date = '2026-11-24'"
        ),
        1
    );
    w.aurora(&["preflight"]).run().code(3).stdout_has(
        "gap inside the 20-session lookback window: QQQ lacks 2026-11-24 (Alpaca served no bar)",
    );
    // Served later: the next preflight's catch-up refills it and passes.
    w.sim.withhold("QQQ", d("2026-11-24"), false);
    w.aurora(&["preflight"])
        .run()
        .code(0)
        .stdout_has("caught up");
    assert_eq!(
        w.store()
            .bar_dates(
                &"QQQ".parse().unwrap(),
                SessionDate::new(d("2026-11-24")),
                SessionDate::new(d("2026-11-24"))
            )
            .unwrap()
            .len(),
        1
    );
}
