//! The fake's end of day: FILL activities, partial fills, the close (expiry, marks, closing
//! equity), the next open's roll of `last_equity`, portfolio history and positions changed
//! outside Aurora.

use std::str::FromStr;

use crate::common::World;
use crate::common::api::{Api, assert_books_balance, dv, set_bar};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde_json::{Value, json};

/// Monday 2026-11-30, 09:00 ET: before the open.
const MON_0900_ET: &str = "2026-11-30T14:00:00Z";
/// Monday 2026-11-30, 10:00 ET: 30 of 390 minutes in.
const MON_1000_ET: &str = "2026-11-30T15:00:00Z";
/// Tuesday 2026-12-01, 09:00 ET.
const TUE_0900_ET: &str = "2026-12-01T14:00:00Z";
/// Tuesday 2026-12-01, 10:00 ET.
const TUE_1000_ET: &str = "2026-12-01T15:00:00Z";
/// Wednesday 2026-12-02, 10:00 ET.
const WED_1000_ET: &str = "2026-12-02T15:00:00Z";

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// Field → decimal, for string decimals in Trading API JSON.
/// Every activity, following `page_token` with pages of `size` until a short page.
fn all_activities(api: &Api, query: &str, size: usize) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    loop {
        let mut path = format!("/v2/account/activities?{query}&page_size={size}");
        if let Some(last) = out.last() {
            path.push_str(&format!("&page_token={}", last["id"].as_str().unwrap()));
        }
        let page = api.ok(&path);
        let page = page.as_array().unwrap();
        assert!(page.len() <= size);
        out.extend(page.iter().cloned());
        if page.len() < size {
            return out;
        }
    }
}

/// SPY: 500.00 at Monday's open, 500.30 at 10:00, 503.90 at the close. QQQ: 400 / 400.30 / 403.90.
fn world(now: &str) -> World {
    let w = World::at(now);
    set_bar(&w, "SPY", "2026-11-30", "500", "503.90");
    set_bar(&w, "QQQ", "2026-11-30", "400", "403.90");
    w
}

fn market(side: &str, symbol: &str, qty: &str) -> Value {
    json!({"symbol": symbol, "qty": qty, "side": side, "type": "market", "time_in_force": "day"})
}

fn limit(side: &str, symbol: &str, qty: &str, price: &str, tif: &str, cid: &str) -> Value {
    json!({"symbol": symbol, "qty": qty, "side": side, "type": "limit", "limit_price": price,
        "time_in_force": tif, "client_order_id": cid})
}

/// Every key of a FILL activity, all numerics strings.
fn assert_fill_shape(a: &Value) {
    assert_eq!(a["activity_type"], "FILL");
    for key in ["price", "qty", "leaves_qty", "cum_qty"] {
        assert!(a[key].is_string(), "{key} is not a string: {a}");
        dv(&a[key]);
    }
    for key in [
        "id",
        "transaction_time",
        "type",
        "side",
        "symbol",
        "order_id",
        "order_status",
    ] {
        assert!(a[key].is_string(), "{key} is not a string: {a}");
    }
    assert_eq!(a.as_object().unwrap().len(), 12, "{a}");
    // <YYYYMMDDhhmmssmmm>::<uuid>, the time being transaction_time's, in UTC.
    let id = a["id"].as_str().unwrap();
    let (stamp, uuid) = id.split_once("::").unwrap();
    let at = t(a["transaction_time"].as_str().unwrap());
    assert_eq!(stamp, at.format("%Y%m%d%H%M%S%3f").to_string(), "{id}");
    assert_eq!(uuid.len(), 36, "{id}");
}

#[test]
fn fills_full_and_partial_are_recorded_as_activities() {
    let w = world(MON_1000_ET);
    let api = Api::new(&w);
    let spy = api.order(market("buy", "SPY", "3"));
    assert_eq!(spy["status"], "filled");
    // A limit under the market rests; the control API fills it in two executions.
    let qqq = api.order(limit("buy", "QQQ", "10", "400", "day", "q-1"));
    assert_eq!(qqq["status"], "new");

    // The default price of a limit the market has not reached is its limit.
    let part = w.sim.fill("q-1", d("4"), None).unwrap();
    assert_eq!(part.status, "partially_filled");
    assert_eq!(
        (part.filled_qty, part.filled_avg_price),
        (d("4"), Some(d("400")))
    );
    let (status, rest) = api.post(
        "/_ctl/fill",
        json!({"client_order_id": "q-1", "qty": "6", "price": "399.50"}),
    );
    assert_eq!(status, 200, "{rest}");
    assert_eq!(
        (
            &rest["status"],
            &rest["filled_qty"],
            &rest["filled_avg_price"]
        ),
        (&json!("filled"), &json!("10"), &json!("399.7")),
        "the average is weighted: (4 × 400 + 6 × 399.5) / 10"
    );
    assert_eq!(rest["filled_at"], "2026-11-30T15:00:00.000000000Z");

    // Newest first by default.
    let list = api.ok("/v2/account/activities");
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 3);
    for a in list {
        assert_fill_shape(a);
        assert_eq!(a["transaction_time"], "2026-11-30T15:00:00.000Z");
        assert_eq!(a["side"], "buy");
    }
    let fields = |a: &Value| {
        [
            "type",
            "symbol",
            "price",
            "qty",
            "leaves_qty",
            "cum_qty",
            "order_status",
        ]
        .map(|k| a[k].as_str().unwrap().to_owned())
    };
    assert_eq!(
        fields(&list[0]),
        ["fill", "QQQ", "399.5", "6", "0", "10", "filled"]
    );
    assert_eq!(
        fields(&list[1]),
        [
            "partial_fill",
            "QQQ",
            "400",
            "4",
            "6",
            "4",
            "partially_filled"
        ]
    );
    assert_eq!(
        fields(&list[2]),
        ["fill", "SPY", "500.3", "3", "0", "3", "filled"]
    );
    assert_eq!(list[0]["order_id"], qqq["id"]);
    assert_eq!(list[1]["order_id"], qqq["id"]);
    assert_eq!(list[2]["order_id"], spy["id"]);
    // The test handle sees the same, oldest first.
    let handle: Vec<String> = w.sim.activities().into_iter().map(|a| a.id).collect();
    let api_ids: Vec<&str> = list
        .iter()
        .rev()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(handle, api_ids);

    // Cash and position moved per execution, exactly.
    // 100000 − 3 × 500.30 − 4 × 400 − 6 × 399.50
    assert_eq!(dv(&api.account()["cash"]), d("94502.1"));
    let pos = api.ok("/v2/positions/QQQ");
    assert_eq!(
        (&pos["qty"], &pos["avg_entry_price"], &pos["current_price"]),
        (&json!("10"), &json!("399.7"), &json!("399.5"))
    );
    assert_books_balance(&api);

    // Refusals change nothing (a resting buy holds buying power: placed before the snapshot).
    api.order(limit("buy", "SPY", "5", "499", "day", "s-1"));
    let before = api.account();
    let refusals = [
        (json!({"client_order_id": "nope", "qty": "1"}), 404),
        (json!({"client_order_id": "q-1", "qty": "1"}), 409),
        (json!({"client_order_id": "q-1"}), 400),
    ];
    for (body, expected) in refusals {
        let (status, v) = api.post("/_ctl/fill", body.clone());
        assert_eq!(status, expected, "{body}: {v}");
        assert!(v["message"].is_string(), "{v}");
    }
    let (status, v) = api.post("/_ctl/fill", json!({"client_order_id": "s-1", "qty": "6"}));
    assert_eq!(status, 422, "more than is left: {v}");
    let (status, v) = api.post(
        "/_ctl/fill",
        json!({"client_order_id": "s-1", "qty": 1, "price": 499.01}),
    );
    assert_eq!(status, 422, "through the limit: {v}");
    assert!(w.sim.fill("s-1", d("0"), None).is_err());
    assert_eq!(api.account(), before);
    assert_eq!(w.sim.activities().len(), 3);

    // A partial sell is a partial_fill on the sell side; proceeds arrive to the cent.
    api.order(limit("sell", "SPY", "3", "501", "day", "s-2"));
    let sold = w.sim.fill("s-2", d("1"), Some(d("501.25"))).unwrap();
    assert_eq!(sold.status, "partially_filled");
    let a = &api.ok("/v2/account/activities?page_size=1")[0];
    assert_eq!(
        fields(a),
        [
            "partial_fill",
            "SPY",
            "501.25",
            "1",
            "2",
            "1",
            "partially_filled"
        ]
    );
    assert_eq!(a["side"], "sell");
    assert_eq!(dv(&api.account()["cash"]), d("95003.35"));
    assert_eq!(api.ok("/v2/positions/SPY")["qty"], "2");
    assert_books_balance(&api);
}

#[test]
fn activities_page_with_page_token_and_filter_by_date_and_time() {
    let w = world(MON_1000_ET);
    set_bar(&w, "SPY", "2026-12-01", "505", "497.20");
    let api = Api::new(&w);
    // Three buys on Monday a minute apart, two on Tuesday.
    for time in [
        "2026-11-30T15:00:00Z",
        "2026-11-30T15:01:00Z",
        "2026-11-30T15:02:00Z",
        "2026-12-01T15:00:00Z",
        "2026-12-01T15:01:00Z",
    ] {
        w.sim.set_clock(t(time), true);
        assert_eq!(api.order(market("buy", "SPY", "1"))["status"], "filled");
    }
    let recorded: Vec<String> = w.sim.activities().into_iter().map(|a| a.id).collect();
    assert_eq!(recorded.len(), 5);
    let ids = |list: &[Value]| -> Vec<String> {
        list.iter()
            .map(|a| a["id"].as_str().unwrap().to_owned())
            .collect()
    };

    // Pages of two: 2 + 2 + 1, newest first; the short page ends it.
    let first = api.ok("/v2/account/activities?page_size=2");
    assert_eq!(
        ids(first.as_array().unwrap()),
        [recorded[4].clone(), recorded[3].clone()]
    );
    let second = api.ok(&format!(
        "/v2/account/activities?page_size=2&page_token={}",
        recorded[3]
    ));
    assert_eq!(
        ids(second.as_array().unwrap()),
        [recorded[2].clone(), recorded[1].clone()]
    );
    let desc = all_activities(&api, "direction=desc", 2);
    let mut expected = recorded.clone();
    expected.reverse();
    assert_eq!(ids(&desc), expected);
    assert_eq!(
        ids(&all_activities(&api, "direction=asc", 2)),
        recorded,
        "oldest first"
    );
    // A full last page needs one more, empty, request.
    assert_eq!(ids(&all_activities(&api, "direction=asc", 5)), recorded);
    // page_size is capped at 100.
    assert_eq!(
        api.ok("/v2/account/activities?page_size=500")
            .as_array()
            .unwrap()
            .len(),
        5
    );

    let count = |query: &str| {
        api.ok(&format!("/v2/account/activities{query}"))
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(count("?date=2026-11-30"), 3);
    assert_eq!(count("?date=2026-12-01"), 2);
    assert_eq!(count("?date=2026-12-02"), 0);
    // A bare date is midnight in New York; bounds are strict.
    assert_eq!(count("?after=2026-12-01"), 2);
    assert_eq!(count("?until=2026-12-01"), 3);
    assert_eq!(count("?after=2026-11-30T15:01:00Z"), 3);
    assert_eq!(
        count("?after=2026-11-30T10:00:00-05:00&until=2026-11-30T15:02:00Z"),
        1
    );
    assert_eq!(count("?date=2026-11-30&direction=asc&page_size=2"), 2);
    let tail = api.ok(&format!(
        "/v2/account/activities?date=2026-11-30&direction=asc&page_size=2&page_token={}",
        recorded[1]
    ));
    assert_eq!(ids(tail.as_array().unwrap()), [recorded[2].clone()]);

    // Types: the path form, the list form and the category.
    assert_eq!(count("/FILL"), 5);
    assert_eq!(count("/FILL?date=2026-12-01&page_size=1"), 1);
    assert_eq!(count("/DIV"), 0);
    assert_eq!(count("?activity_types=FILL"), 5);
    assert_eq!(count("?activity_types=DIV,FILL"), 5);
    assert_eq!(count("?activity_types=DIV,CSD"), 0);
    assert_eq!(count("?category=trade_activity"), 5);
    assert_eq!(count("?category=non_trade_activity"), 0);
    // Unknown parameters are ignored, as the Trading API does.
    assert_eq!(count("?foo=bar"), 5);

    for bad in [
        "?direction=sideways",
        "?page_size=0",
        "?page_size=ten",
        "?page_token=20261130150000000::not-an-activity",
        "?date=yesterday",
        "?after=2026-11-30T10:00:00",
        "?activity_types=FILL&category=trade_activity",
    ] {
        let (status, v) = api.get(&format!("/v2/account/activities{bad}"));
        assert_eq!(status, 422, "{bad}: {v}");
        assert_eq!(v["code"], 40010001, "{bad}: {v}");
    }
}

#[test]
fn a_partial_fill_then_the_close_expires_the_rest_and_marks_the_books() {
    let w = world(MON_0900_ET);
    let api = Api::new(&w);
    // Before the open: a market buy, a limit under the open, a day and a gtc limit far away,
    // and a market-on-close.
    let mkt = api.order(market("buy", "SPY", "2"));
    let lim = api.order(limit("buy", "SPY", "10", "499", "day", "lim"));
    let far = api.order(limit("buy", "QQQ", "5", "390", "day", "far"));
    let gtc = api.order(limit("buy", "QQQ", "1", "390", "gtc", "gtc"));
    let moc = api.order(
        json!({"symbol": "QQQ", "qty": "1", "side": "buy", "type": "market",
        "time_in_force": "cls"}),
    );
    w.sim.open_session().unwrap();
    let o = w.sim.fill("lim", d("4"), None).unwrap();
    assert_eq!(
        (o.status.as_str(), o.filled_qty, o.filled_avg_price),
        ("partially_filled", d("4"), Some(d("499")))
    );
    // 100000 − 2 × 500 − 4 × 499
    assert_eq!(dv(&api.account()["cash"]), d("97004"));

    let closed = w.sim.close_session().unwrap();
    let touched: Vec<(&str, &str)> = closed
        .iter()
        .map(|o| (o.client_order_id.as_str(), o.status.as_str()))
        .collect();
    let moc_cid = moc["client_order_id"].as_str().unwrap();
    assert_eq!(
        touched,
        [("lim", "expired"), ("far", "expired"), (moc_cid, "filled")]
    );
    assert_eq!(api.ok("/v2/clock")["is_open"], false);
    assert_eq!(
        api.ok("/v2/clock")["timestamp"],
        "2026-11-30T16:00:00.000000000-05:00"
    );

    let get = |o: &Value| api.ok(&format!("/v2/orders/{}", o["id"].as_str().unwrap()));
    let l = get(&lim);
    assert_eq!(
        (&l["status"], &l["filled_qty"], &l["filled_avg_price"]),
        (&json!("expired"), &json!("4"), &json!("499")),
        "the partial fill is kept"
    );
    assert_eq!(l["expired_at"], "2026-11-30T21:00:00.000000000Z");
    assert_eq!(l["filled_at"], Value::Null);
    assert_eq!(get(&far)["status"], "expired");
    assert_eq!(get(&gtc)["status"], "new", "gtc orders outlive the day");
    assert_eq!(get(&mkt)["status"], "filled");
    let m = get(&moc);
    assert_eq!(
        (&m["status"], &m["filled_avg_price"]),
        (&json!("filled"), &json!("403.9")),
        "market-on-close fills at the closing price"
    );
    let open: Vec<String> = w
        .sim
        .orders()
        .into_iter()
        .filter(|o| o.is_open())
        .map(|o| o.client_order_id)
        .collect();
    assert_eq!(open, ["gtc"]);

    // Positions are marked to the closing prices; cash is what the fills left.
    let spy = api.ok("/v2/positions/SPY");
    assert_eq!(spy["qty"], "6");
    assert_eq!(
        dv(&spy["avg_entry_price"]),
        ((d("2") * d("500") + d("4") * d("499")) / d("6")).round_dp(9)
    );
    assert_eq!(spy["current_price"], "503.9");
    assert_eq!(api.ok("/v2/positions/QQQ")["current_price"], "403.9");
    let account = api.account();
    assert_eq!(dv(&account["cash"]), d("96600.1"));
    // 96600.10 + 6 × 503.90 + 1 × 403.90
    assert_eq!(dv(&account["equity"]), d("100027.4"));
    assert_books_balance(&api);
    assert_eq!(
        w.sim.closing_equities(),
        [("2026-11-30".parse::<NaiveDate>().unwrap(), d("100027.4"))]
    );
    let kinds: Vec<(String, String)> = w
        .sim
        .activities()
        .into_iter()
        .map(|a| (a.symbol, a.fill_type))
        .collect();
    assert_eq!(
        kinds,
        [
            ("SPY".into(), "fill".into()),
            ("SPY".into(), "partial_fill".into()),
            ("QQQ".into(), "fill".into())
        ]
    );

    // After hours a day order queues for Tuesday; closing again changes nothing and spares it.
    w.sim.set_clock(t("2026-11-30T22:00:00Z"), true);
    let queued = api.order(market("buy", "SPY", "1"));
    assert_eq!(queued["status"], "accepted");
    let (status, again) = api.post("/_ctl/close", json!({}));
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["now"], "2026-11-30T22:00:00Z", "the clock stays");
    assert_eq!(again["orders"], json!([]));
    assert_eq!(get(&queued)["status"], "accepted");
    assert_eq!(w.sim.closing_equities().len(), 1);
}

#[test]
fn the_close_needs_a_session_and_honours_early_closes() {
    let w = world("2026-11-29T15:00:00Z"); // Sunday
    let api = Api::new(&w);
    let (status, v) = api.post("/_ctl/close", json!({}));
    assert_eq!(status, 409);
    assert!(v["message"].as_str().unwrap().contains("2026-11-29"), "{v}");
    assert!(w.sim.close_session().is_err());

    // Friday 2026-11-27 closes at 13:00 ET; a day order placed that morning expires then.
    w.sim.set_clock(t("2026-11-27T15:00:00Z"), true);
    let o = api.order(limit("buy", "SPY", "1", "1", "day", "cheap"));
    assert_eq!(o["status"], "new");
    let (status, v) = api.post("/_ctl/close", json!({}));
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["now"], "2026-11-27T18:00:00Z");
    assert_eq!(v["orders"][0]["status"], "expired");
    assert_eq!(
        v["orders"][0]["expired_at"],
        "2026-11-27T18:00:00.000000000Z"
    );
    // Nothing held: the closing equity is the cash.
    assert_eq!(
        w.sim.closing_equities(),
        [("2026-11-27".parse::<NaiveDate>().unwrap(), d("100000"))]
    );
    // Opening that session again is refused: it has closed.
    assert!(w.sim.open_session().unwrap_err().contains("closed"));
}

#[test]
fn the_next_open_rolls_last_equity_and_lastday_price() {
    let w = world(MON_1000_ET);
    set_bar(&w, "SPY", "2026-12-01", "505", "497.20");
    set_bar(&w, "SPY", "2026-12-02", "498", "500");
    let api = Api::new(&w);
    api.order(market("buy", "SPY", "10")); // at 500.30: cash 94997
    w.sim.close_session().unwrap();
    // 94997 + 10 × 503.90
    assert_eq!(dv(&api.account()["equity"]), d("100036"));
    assert_eq!(
        dv(&api.account()["last_equity"]),
        d("100000"),
        "not rolled before the next open"
    );

    w.sim.set_clock(t(TUE_0900_ET), true);
    assert!(w.sim.open_session().unwrap().is_empty());
    let account = api.account();
    assert_eq!(
        (dv(&account["last_equity"]), dv(&account["equity"])),
        (d("100036"), d("100036"))
    );
    let pos = api.ok("/v2/positions/SPY");
    assert_eq!(
        (&pos["lastday_price"], &pos["change_today"]),
        (&json!("503.9"), &json!("0"))
    );
    // Opening again the same day does not roll twice.
    w.account(aurora::sim::state::AccountPatch {
        last_equity: Some(d("1")),
        ..Default::default()
    });
    w.sim.open_session().unwrap();
    assert_eq!(dv(&api.account()["last_equity"]), d("1"));
    w.account(aurora::sim::state::AccountPatch {
        last_equity: Some(d("100036")),
        ..Default::default()
    });

    // Tuesday's close at 497.20: the day's P&L is equity − last_equity, and the position's.
    w.sim.close_session().unwrap();
    let account = api.account();
    assert_eq!(dv(&account["equity"]), d("99969"));
    assert_eq!(
        dv(&account["equity"]) - dv(&account["last_equity"]),
        d("-67")
    );
    let pos = api.ok("/v2/positions/SPY");
    assert_eq!(dv(&pos["unrealized_intraday_pl"]), d("-67"));
    assert_eq!(pos["lastday_price"], "503.9");
    assert_books_balance(&api);

    // Wednesday: rolled from Tuesday's close.
    w.sim.set_clock(t(WED_1000_ET), true);
    w.sim.open_session().unwrap();
    assert_eq!(dv(&api.account()["last_equity"]), d("99969"));
    assert_eq!(api.ok("/v2/positions/SPY")["lastday_price"], "497.2");
}

/// 20:00 New York on `date`, as Alpaca stamps daily points.
fn stamp(date: &str) -> i64 {
    let at =
        chrono::NaiveDateTime::parse_from_str(&format!("{date} 20:00"), "%Y-%m-%d %H:%M").unwrap();
    at.and_local_timezone(chrono_tz::America::New_York)
        .unwrap()
        .timestamp()
}

#[test]
fn portfolio_history_reports_the_recorded_closes_as_numbers() {
    let w = world(MON_1000_ET);
    set_bar(&w, "SPY", "2026-12-01", "505", "497.20");
    set_bar(&w, "SPY", "2026-12-02", "498", "500");
    let api = Api::new(&w);
    let history = |query: &str| api.ok(&format!("/v2/account/portfolio/history{query}"));
    // Nothing closed yet; during the session today's live equity is the latest point.
    let live = history("");
    assert_eq!(live["timestamp"], json!([stamp("2026-11-30")]));
    assert_eq!(live["equity"], json!([100000.0]));
    assert_eq!(live["base_value"], json!(100000.0));
    assert!(live.get("base_value_asof").is_none(), "{live}");

    api.order(market("buy", "SPY", "10"));
    w.sim.close_session().unwrap(); // 100036
    w.sim.set_clock(t(TUE_1000_ET), true);
    w.sim.open_session().unwrap();
    w.sim.close_session().unwrap(); // 99969

    let h = history("?timeframe=1D");
    assert_eq!(
        h["timestamp"],
        json!([stamp("2026-11-30"), stamp("2026-12-01")])
    );
    assert_eq!(stamp("2026-11-30"), 1_796_086_800);
    assert_eq!(h["equity"], json!([100036.0, 99969.0]));
    assert_eq!(h["profit_loss"], json!([0.0, -67.0]));
    assert_eq!(h["profit_loss_pct"], json!([0.0, -0.0007]));
    assert_eq!(h["base_value"], json!(100036.0));
    assert_eq!(h["timeframe"], "1D");
    assert!(
        h.get("base_value_asof").is_none(),
        "no close before the first point: {h}"
    );
    for key in ["timestamp", "equity", "profit_loss", "profit_loss_pct"] {
        assert!(
            h[key].as_array().unwrap().iter().all(Value::is_number),
            "{key}: {h}"
        );
    }
    assert!(h["timestamp"][0].is_i64());

    // From Tuesday on, the base is Monday's close.
    for query in [
        "?start=2026-12-01",
        "?start=2026-12-01T00:00:00-05:00&end=2026-12-01T23:00:00-05:00",
        "?period=1D",
        "?period=1D&end=2026-12-01",
    ] {
        let h = history(query);
        assert_eq!(h["timestamp"], json!([stamp("2026-12-01")]), "{query}");
        assert_eq!(h["equity"], json!([99969.0]), "{query}");
        assert_eq!(h["base_value"], json!(100036.0), "{query}");
        assert_eq!(h["base_value_asof"], "2026-11-30", "{query}");
        assert_eq!(h["profit_loss"], json!([-67.0]), "{query}");
    }
    assert_eq!(history("?period=2D")["equity"], json!([100036.0, 99969.0]));
    assert_eq!(history("?end=2026-11-30")["equity"], json!([100036.0]));
    assert_eq!(history("?start=2026-12-02")["equity"], json!([]));

    // A third close: cumulative P&L by default, day over day with pnl_reset=per_day.
    w.sim.set_clock(t(WED_1000_ET), true);
    w.sim.open_session().unwrap();
    w.sim.close_session().unwrap(); // 94997 + 10 × 500 = 99997
    assert_eq!(
        history("")["profit_loss"],
        json!([0.0, -67.0, -39.0]),
        "from the base value"
    );
    assert_eq!(
        history("?pnl_reset=per_day")["profit_loss"],
        json!([0.0, -67.0, 28.0])
    );

    for bad in [
        "?timeframe=1Min",
        "?timeframe=1W",
        "?period=1X",
        "?start=2026-11-30&end=2026-12-02&period=1W",
        "?start=tomorrow",
        "?pnl_reset=sometimes",
    ] {
        let (status, v) = api.get(&format!("/v2/account/portfolio/history{bad}"));
        assert_eq!(status, 422, "{bad}: {v}");
    }
    // The day's closing equity is also the account's at the close.
    assert_eq!(dv(&api.account()["equity"]), d("99997"));
    assert_eq!(w.sim.closing_equities().len(), 3);
}

#[test]
fn a_position_adjusted_outside_aurora_leaves_cash_alone() {
    let w = world(MON_1000_ET);
    let api = Api::new(&w);
    api.order(market("buy", "SPY", "3")); // at 500.30
    let cash = dv(&api.account()["cash"]);
    assert_eq!(cash, d("98499.1"));

    w.sim.adjust_position("SPY", d("7"));
    let pos = api.ok("/v2/positions/SPY");
    assert_eq!(
        (&pos["qty"], &pos["avg_entry_price"], &pos["current_price"]),
        (&json!("7"), &json!("500.3"), &json!("500.3"))
    );
    let account = api.account();
    assert_eq!(dv(&account["cash"]), cash);
    assert_eq!(dv(&account["equity"]), cash + d("7") * d("500.3"));
    assert_books_balance(&api);

    // Over HTTP: a new position opens at the current price, yesterday's close its lastday_price.
    let (status, qqq) = api.post(
        "/_ctl/positions/adjust",
        json!({"symbol": "QQQ", "qty": "2"}),
    );
    assert_eq!(status, 200, "{qqq}");
    let friday: NaiveDate = "2026-11-27".parse().unwrap();
    let friday_close = w.sim.bars("QQQ", friday, friday)[0].close;
    assert_eq!(
        (&qqq["symbol"], &qqq["qty"], &qqq["current_price"]),
        (&json!("QQQ"), &json!("2"), &json!("400.3"))
    );
    assert_eq!(dv(&qqq["lastday_price"]), friday_close);
    assert_eq!(dv(&api.account()["cash"]), cash);

    // Zero removes it; nothing was traded, so no activity beyond the one real fill.
    let (status, gone) = api.post(
        "/_ctl/positions/adjust",
        json!({"symbol": "SPY", "qty": "0"}),
    );
    assert_eq!((status, gone), (200, Value::Null));
    assert_eq!(api.get("/v2/positions/SPY").0, 404);
    assert_eq!(dv(&api.account()["cash"]), cash);
    assert_eq!(w.sim.activities().len(), 1);
    assert_books_balance(&api);

    for bad in [
        json!({"symbol": "SPY", "qty": "-1"}),
        json!({"symbol": "NOSUCH", "qty": "1"}),
    ] {
        let (status, v) = api.post("/_ctl/positions/adjust", bad.clone());
        assert_eq!(status, 422, "{bad}: {v}");
    }
}

#[test]
fn advancing_the_clock_lives_through_every_session_on_the_way() {
    let w = world(MON_0900_ET);
    set_bar(&w, "SPY", "2026-12-01", "505", "497.20");
    let api = Api::new(&w);
    // Queued before Monday's open; then nobody is watching until Thursday 08:00 ET.
    let order = api.order(market("buy", "SPY", "10"));
    let (status, v) = api.post("/_ctl/advance", json!({"to": "2026-12-03T13:00:00Z"}));
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        v["opened"],
        json!(["2026-11-30", "2026-12-01", "2026-12-02"])
    );
    assert_eq!(v["closed"], v["opened"]);
    assert_eq!(v["now"], "2026-12-03T13:00:00Z");
    // The order filled at Monday's open; each close is in portfolio history.
    let filled = api.ok(&format!("/v2/orders/{}", order["id"].as_str().unwrap()));
    assert_eq!(filled["status"], "filled");
    assert_eq!(dv(&filled["filled_avg_price"]), d("500"));
    let closes = w.sim.closing_equities();
    assert_eq!(
        closes
            .iter()
            .map(|(d, _)| d.to_string())
            .collect::<Vec<_>>(),
        ["2026-11-30", "2026-12-01", "2026-12-02"]
    );
    // Monday: 95,000 cash and 10 × 503.90; Tuesday 10 × 497.20.
    assert_eq!(closes[0].1, d("100039.00"));
    assert_eq!(closes[1].1, d("99972.00"));
    let history = api.ok("/v2/account/portfolio/history?start=2026-11-30&end=2026-12-02");
    assert_eq!(history["equity"].as_array().unwrap().len(), 3);
    let fills = api.ok("/v2/account/activities/FILL?date=2026-11-30");
    assert_eq!(fills.as_array().unwrap().len(), 1);
    assert_books_balance(&api);
    // Advancing to the same moment does nothing; going back is refused.
    assert_eq!(
        w.sim.advance_to(t("2026-12-03T13:00:00Z")).unwrap(),
        Default::default()
    );
    let (status, _) = api.post("/_ctl/advance", json!({"to": MON_0900_ET}));
    assert_eq!(status, 409);
}
