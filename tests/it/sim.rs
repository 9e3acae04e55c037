//! The fake Alpaca itself: `aurora sim serve`, the control API, and Alpaca's auth failures.

use std::io::{BufRead, BufReader};
use std::time::Duration;

use crate::common::{MONDAY_0730_CT, Run, World};
use aurora::sim::{DEFAULT_KEY, DEFAULT_SECRET};

fn http() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

#[test]
fn sim_serve_prints_its_url_first_and_is_driven_by_the_control_api() {
    let home = tempfile::tempdir().unwrap();
    let mut child = Run::new(home.path())
        .args(&["sim", "serve", "--now", "2026-11-30T13:30:00Z"])
        .spawn();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let base = first.trim().to_owned();
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");

    let c = http();
    let get = |path: &str| {
        c.get(format!("{base}{path}"))
            .header("APCA-API-KEY-ID", DEFAULT_KEY)
            .header("APCA-API-SECRET-KEY", DEFAULT_SECRET)
            .send()
            .unwrap()
    };
    let clock: serde_json::Value = get("/v2/clock").json().unwrap();
    assert!(
        clock["timestamp"]
            .as_str()
            .unwrap()
            .starts_with("2026-11-30T08:30:00"),
        "{clock}"
    );
    assert_eq!(clock["is_open"], false);

    let r = c
        .post(format!("{base}/_ctl/clock"))
        .json(&serde_json::json!({"now": "2026-11-30T15:00:00Z", "frozen": true}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 204);
    let clock: serde_json::Value = get("/v2/clock").json().unwrap();
    assert_eq!(clock["timestamp"], "2026-11-30T10:00:00.000000000-05:00");
    assert_eq!(clock["is_open"], true);
    assert_eq!(clock["next_close"], "2026-11-30T16:00:00-05:00");

    let r = c
        .post(format!("{base}/_ctl/faults"))
        .json(&serde_json::json!({"method": "GET", "path": "/v2/account", "action": {"status": {"status": 500}}}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(get("/v2/account").status(), 500);
    assert_eq!(get("/v2/account").status(), 200);

    let log: Vec<serde_json::Value> = c
        .get(format!("{base}/_ctl/requests"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let paths: Vec<_> = log.iter().map(|e| e["path"].as_str().unwrap()).collect();
    assert_eq!(
        paths,
        ["/v2/clock", "/v2/clock", "/v2/account", "/v2/account"]
    );
    assert!(log.iter().all(|e| e["auth"] == "ok"));
    let text = serde_json::to_string(&log).unwrap();
    assert!(
        !text.contains(DEFAULT_SECRET) && !text.contains(DEFAULT_KEY),
        "credentials logged"
    );

    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn sim_serve_refuses_non_loopback_addresses() {
    let home = tempfile::tempdir().unwrap();
    Run::new(home.path())
        .args(&["sim", "serve", "--addr", "0.0.0.0:0"])
        .run()
        .code(3)
        .stderr_has("loopback");
}

#[test]
fn auth_failures_look_like_alpaca() {
    let w = World::at(MONDAY_0730_CT);
    let c = http();
    let trading = c
        .get(format!("{}/v2/account", w.base()))
        .header("APCA-API-KEY-ID", DEFAULT_KEY)
        .header("APCA-API-SECRET-KEY", "nope")
        .send()
        .unwrap();
    assert_eq!(trading.status(), 403);
    assert_eq!(trading.text().unwrap(), r#"{"message":"forbidden."}"#);
    let data = c
        .get(format!(
            "{}/v2/stocks/bars?symbols=SPY&timeframe=1Day",
            w.base()
        ))
        .send()
        .unwrap();
    assert_eq!(data.status(), 401);
    assert_eq!(
        w.requests()
            .iter()
            .map(|r| r.auth.as_str())
            .collect::<Vec<_>>(),
        ["rejected", "missing"]
    );
}

#[test]
fn calendar_and_clock_follow_the_nyse_table() {
    let w = World::at("2026-11-27T17:59:00Z");
    let c = http();
    let get = |path: &str| -> serde_json::Value {
        c.get(format!("{}{path}", w.base()))
            .header("APCA-API-KEY-ID", DEFAULT_KEY)
            .header("APCA-API-SECRET-KEY", DEFAULT_SECRET)
            .send()
            .unwrap()
            .json()
            .unwrap()
    };
    let cal = get("/v2/calendar?start=2026-11-23&end=2026-11-30");
    let dates: Vec<_> = cal
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["date"].as_str().unwrap())
        .collect();
    assert_eq!(
        dates,
        [
            "2026-11-23",
            "2026-11-24",
            "2026-11-25",
            "2026-11-27",
            "2026-11-30"
        ]
    );
    assert_eq!(cal[3]["close"], "13:00");
    assert_eq!(cal[3]["session_close"], "1700");
    assert_eq!(cal[2]["settlement_date"], "2026-11-27");
    // One minute before the early close: open, closing at 13:00 ET, next open Monday.
    let clock = get("/v2/clock");
    assert_eq!(clock["is_open"], true);
    assert_eq!(clock["next_close"], "2026-11-27T13:00:00-05:00");
    assert_eq!(clock["next_open"], "2026-11-30T09:30:00-05:00");
    let missing = c
        .get(format!("{}/v2/assets/ZZZZ", w.base()))
        .header("APCA-API-KEY-ID", DEFAULT_KEY)
        .header("APCA-API-SECRET-KEY", DEFAULT_SECRET)
        .send()
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.text().unwrap(),
        r#"{"code":40410000,"message":"asset not found for ZZZZ"}"#
    );
}

fn data_get(w: &World, path: &str) -> (u16, serde_json::Value) {
    let r = http()
        .get(format!("{}{path}", w.base()))
        .header("APCA-API-KEY-ID", DEFAULT_KEY)
        .header("APCA-API-SECRET-KEY", DEFAULT_SECRET)
        .send()
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().unwrap())
}

#[test]
fn multi_symbol_bars_page_like_alpaca() {
    let w = World::at("2026-11-30T22:00:00Z");
    let q = "/v2/stocks/bars?symbols=TLT,SPY,NOPE&timeframe=1Day&start=2026-11-25&end=2026-11-30&limit=4";
    let (status, page1) = data_get(&w, q);
    assert_eq!(status, 200);
    // Ordered by symbol then time; the limit counts bars across symbols; unknown symbols absent.
    let spy: Vec<_> = page1["bars"]["SPY"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["t"].as_str().unwrap())
        .collect();
    assert_eq!(
        spy,
        [
            "2026-11-25T05:00:00Z",
            "2026-11-27T05:00:00Z",
            "2026-11-30T05:00:00Z"
        ]
    );
    assert_eq!(page1["bars"]["TLT"].as_array().unwrap().len(), 1);
    assert!(page1["bars"].get("NOPE").is_none());
    let token = page1["next_page_token"].as_str().unwrap();
    let (_, page2) = data_get(&w, &format!("{q}&page_token={token}"));
    let tlt: Vec<_> = page2["bars"]["TLT"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["t"].as_str().unwrap())
        .collect();
    assert_eq!(tlt, ["2026-11-27T05:00:00Z", "2026-11-30T05:00:00Z"]);
    assert!(page2["bars"].get("SPY").is_none());
    assert!(page2["next_page_token"].is_null());
    // Numbers on the data API; every documented key present.
    let bar = &page1["bars"]["SPY"][0];
    for key in ["t", "o", "h", "l", "c", "v", "n", "vw"] {
        assert!(bar.get(key).is_some(), "{key} missing: {bar}");
    }
    assert!(bar["o"].is_f64() && bar["v"].is_u64());
}

#[test]
fn bars_honour_sort_feed_and_reject_what_alpaca_rejects() {
    let w = World::at("2026-11-30T22:00:00Z");
    let base = "/v2/stocks/bars?symbols=SPY&timeframe=1Day&start=2026-11-25&end=2026-11-30";
    let (_, desc) = data_get(&w, &format!("{base}&sort=desc"));
    assert_eq!(desc["bars"]["SPY"][0]["t"], "2026-11-30T05:00:00Z");
    let (_, iex) = data_get(&w, &format!("{base}&feed=iex"));
    let (_, sip) = data_get(&w, &format!("{base}&feed=sip"));
    assert!(
        iex["bars"]["SPY"][0]["v"].as_u64() < sip["bars"]["SPY"][0]["v"].as_u64(),
        "IEX sees a slice of SIP volume"
    );
    assert_eq!(iex["bars"]["SPY"][0]["c"], sip["bars"]["SPY"][0]["c"]);
    for bad in [
        "&feed=nasdaq",
        "&adjustment=magic",
        "&page_token=zz",
        "&limit=10001",
        "&frobnicate=1",
    ] {
        let (status, body) = data_get(&w, &format!("{base}{bad}"));
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(body["message"].is_string());
    }
    let (_, single) = data_get(
        &w,
        "/v2/stocks/NOPE/bars?timeframe=1Day&start=2026-11-25&end=2026-11-30",
    );
    assert!(single["bars"].is_null());
    assert_eq!(single["symbol"], "NOPE");
}

#[test]
fn snapshots_and_latest_trades_follow_the_session() {
    // Monday 10:00 ET, half an hour into the session.
    let w = World::at("2026-11-30T15:00:00Z");
    let (status, snaps) = data_get(&w, "/v2/stocks/snapshots?symbols=SPY,NOPE&feed=iex");
    assert_eq!(status, 200);
    let spy = &snaps["SPY"];
    assert!(snaps.get("NOPE").is_none());
    let price = spy["latestTrade"]["p"].as_f64().unwrap();
    let today = &spy["dailyBar"];
    assert_eq!(today["t"], "2026-11-30T05:00:00Z");
    assert_eq!(today["c"].as_f64().unwrap(), price);
    assert!(price >= today["l"].as_f64().unwrap() && price <= today["h"].as_f64().unwrap());
    assert_eq!(spy["prevDailyBar"]["t"], "2026-11-27T05:00:00Z");
    assert!(
        spy["latestQuote"]["ap"].as_f64().unwrap() > spy["latestQuote"]["bp"].as_f64().unwrap()
    );
    let (_, trades) = data_get(&w, "/v2/stocks/trades/latest?symbols=SPY");
    assert_eq!(trades["trades"]["SPY"]["p"].as_f64().unwrap(), price);
    // alpaca-py#581: these endpoints refuse `limit`.
    let (status, body) = data_get(&w, "/v2/stocks/snapshots?symbols=SPY&limit=1");
    assert_eq!(status, 400);
    assert_eq!(body["message"], "unexpected query parameter(s): limit");
}

#[test]
fn a_split_re_bases_adjusted_bars_and_the_position_and_a_withheld_bar_comes_later() {
    use crate::common::api::{Api, dv};
    let w = World::at("2026-12-02T22:00:00Z");
    let api = Api::new(&w);
    let bars = |adjustment: &str| {
        let q = format!(
            "/v2/stocks/bars?symbols=SPY&timeframe=1Day&start=2026-12-01&end=2026-12-02&adjustment={adjustment}"
        );
        let (_, page) = data_get(&w, &q);
        page["bars"]["SPY"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["c"].as_f64().unwrap())
            .collect::<Vec<_>>()
    };
    let before = bars("all");
    assert_eq!(before, bars("raw"));
    api.send(
        reqwest::Method::PUT,
        "/_ctl/positions",
        Some(
            serde_json::json!([{"symbol": "SPY", "qty": "10", "avg_entry_price": "100",
            "current_price": "145.5", "lastday_price": "146.3"}]),
        ),
    );
    let (status, p) = api.post(
        "/_ctl/split",
        serde_json::json!({"symbol": "SPY", "ratio": "2", "ex_date": "2026-12-02"}),
    );
    assert_eq!(status, 200, "{p}");
    assert_eq!(
        (
            dv(&p["qty"]),
            dv(&p["avg_entry_price"]),
            dv(&p["current_price"])
        ),
        (
            "20".parse().unwrap(),
            "50".parse().unwrap(),
            "72.75".parse().unwrap()
        )
    );
    // Adjusted history re-bases before the ex-date; raw keeps the old scale there.
    assert_eq!(bars("split"), [before[0] / 2.0, before[1] / 2.0]);
    assert_eq!(bars("all"), bars("split"));
    assert_eq!(bars("raw"), [before[0], before[1] / 2.0]);
    let (status, _) = api.post(
        "/_ctl/split",
        serde_json::json!({"symbol": "SPY", "ratio": "2", "ex_date": "2026-12-05"}),
    );
    assert_eq!(status, 422, "a Saturday is no ex-date");

    // A withheld bar is left out of the data API until served again.
    let (status, _) = api.send(
        reqwest::Method::POST,
        "/_ctl/withhold",
        Some(serde_json::json!({"symbol": "SPY", "date": "2026-12-01"})),
    );
    assert_eq!(status, 204);
    assert_eq!(bars("all").len(), 1);
    api.send(
        reqwest::Method::POST,
        "/_ctl/withhold",
        Some(serde_json::json!({"symbol": "SPY", "date": "2026-12-01", "withheld": false})),
    );
    assert_eq!(bars("all").len(), 2);
}
