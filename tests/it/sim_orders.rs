//! The fake's order path: Alpaca's validation errors and refusals, fills and their arithmetic,
//! the opening cross, reads, cancels and the accept-then-drop fault.

use std::io::{Read, Write};
use std::str::FromStr;
use std::time::Duration;

use crate::common::World;
use crate::common::api::{Api, assert_books_balance, dv, http, set_bar};
use aurora::sim::state::{AccountPatch, FaultAction, OrderSeed, SimPosition};
use aurora::sim::{DEFAULT_KEY, DEFAULT_SECRET};
use rust_decimal::Decimal;
use serde_json::{Value, json};

/// Monday 2026-11-30, 09:00 ET: before the open.
const MON_0900_ET: &str = "2026-11-30T14:00:00Z";
/// Monday 2026-11-30, 10:00 ET: in session, 30 of 390 minutes in.
const MON_1000_ET: &str = "2026-11-30T15:00:00Z";
/// Monday 2026-11-30, 12:00 ET: 150 of 390 minutes in.
const MON_1200_ET: &str = "2026-11-30T17:00:00Z";
const MONDAY: &str = "2026-11-30";

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

/// SPY: 500.00 at 09:30, 500.30 at 10:00, 501.50 at 12:00 ET. QQQ: 400.00 / 400.30 / 401.50.
fn world(now: &str) -> World {
    let w = World::at(now);
    set_bar(&w, "SPY", MONDAY, "500", "503.90");
    set_bar(&w, "QQQ", MONDAY, "400", "403.90");
    w
}

fn market_buy(symbol: &str, qty: &str) -> Value {
    json!({"symbol": symbol, "qty": qty, "side": "buy", "type": "market", "time_in_force": "day"})
}

/// Every key of §2.8 that the fake must send.
const ORDER_KEYS: &[&str] = &[
    "id",
    "client_order_id",
    "created_at",
    "updated_at",
    "submitted_at",
    "filled_at",
    "expired_at",
    "canceled_at",
    "failed_at",
    "replaced_at",
    "replaced_by",
    "replaces",
    "asset_id",
    "symbol",
    "asset_class",
    "notional",
    "qty",
    "filled_qty",
    "filled_avg_price",
    "order_class",
    "order_type",
    "type",
    "side",
    "position_intent",
    "time_in_force",
    "limit_price",
    "stop_price",
    "status",
    "extended_hours",
    "legs",
    "trail_percent",
    "trail_price",
    "hwm",
    "subtag",
    "source",
];

#[test]
fn validation_errors_match_alpaca_and_store_nothing() {
    let w = world(MON_1000_ET);
    let api = Api::new(&w);
    let base = market_buy("SPY", "1");
    let with = |patch: Value| {
        let mut b = base.clone();
        for (k, v) in patch.as_object().unwrap() {
            if v.is_null() {
                b.as_object_mut().unwrap().remove(k);
            } else {
                b[k] = v.clone();
            }
        }
        b
    };
    let long_id = "x".repeat(129);
    let cases: Vec<(Value, u16, u64, &str)> = vec![
        (
            with(json!({"notional": "100"})),
            422,
            40010001,
            "only one of qty or notional is accepted",
        ),
        (
            with(json!({"qty": null})),
            422,
            40010001,
            "qty or notional is required",
        ),
        (with(json!({"qty": "0"})), 422, 40010001, "qty must be > 0"),
        (with(json!({"qty": -2})), 422, 40010001, "qty must be > 0"),
        (
            with(json!({"side": "short"})),
            422,
            40010001,
            "invalid side",
        ),
        (
            with(json!({"type": "stop"})),
            422,
            40010001,
            "invalid order type",
        ),
        (
            with(json!({"time_in_force": "gtd"})),
            422,
            40010001,
            "invalid time_in_force",
        ),
        (
            with(json!({"type": "limit"})),
            422,
            40010001,
            "limit orders require a limit price",
        ),
        (
            with(json!({"limit_price": "500"})),
            422,
            40010001,
            "market orders require no stop or limit price",
        ),
        (
            with(json!({"client_order_id": long_id})),
            422,
            40010001,
            "client_order_id must be no more than 128 characters",
        ),
        (
            with(json!({"symbol": "XYZ"})),
            422,
            40010001,
            "asset \"XYZ\" not found",
        ),
        (
            with(json!({"symbol": "BRK.A", "qty": null, "notional": "500"})),
            403,
            40310000,
            "asset \"BRK.A\" is not fractionable",
        ),
        (
            with(json!({"qty": "0.5", "time_in_force": "gtc"})),
            422,
            42210000,
            "fractional orders must be DAY orders",
        ),
        (
            with(json!({"qty": null, "notional": 250, "time_in_force": "ioc"})),
            422,
            42210000,
            "fractional orders must be DAY orders",
        ),
        (
            with(json!({"time_in_force": "opg"})),
            403,
            40310000,
            "opg orders must be submitted after 7:00pm and before 9:28am",
        ),
    ];
    for (body, status, code, message) in cases {
        let (got, err) = api.post("/v2/orders", body.clone());
        assert_eq!(
            (got, &err),
            (status, &json!({"code": code, "message": message})),
            "{body}"
        );
    }
    // 128 characters is fine; whole BRK.A shares are fine.
    let (status, o) = api.post(
        "/v2/orders",
        with(json!({"client_order_id": "y".repeat(128)})),
    );
    assert_eq!(status, 200, "{o}");
    let (status, o) = api.post("/v2/orders", with(json!({"symbol": "BRK.A"})));
    assert_eq!(status, 200, "{o}");
    assert_eq!(w.sim.orders().len(), 2, "refused requests store nothing");
}

#[test]
fn opg_window_is_0928_to_1900_new_york() {
    let opg = json!({"symbol": "SPY", "qty": "1", "side": "buy", "type": "market", "time_in_force": "opg"});
    for (now, ok) in [
        ("2026-11-30T14:27:59Z", true),  // 09:27:59 ET
        ("2026-11-30T14:28:00Z", false), // 09:28 ET
        ("2026-11-30T23:59:00Z", false), // 18:59 ET
        ("2026-12-01T00:00:00Z", true),  // 19:00 ET
    ] {
        let w = world(now);
        let (status, body) = Api::new(&w).post("/v2/orders", opg.clone());
        assert_eq!(status == 200, ok, "{now}: {status} {body}");
        if ok {
            assert_eq!(body["status"], "accepted", "{now}");
        } else {
            assert_eq!(body["code"], 40310000);
        }
    }
}

#[test]
fn insufficient_buying_power_counts_open_buy_orders() {
    let w = world(MON_1000_ET);
    let api = Api::new(&w);
    w.account(AccountPatch {
        buying_power: Some(d("1000")),
        ..AccountPatch::default()
    });
    let (status, err) = api.post("/v2/orders", market_buy("SPY", "3"));
    assert_eq!(status, 403);
    assert_eq!(
        err,
        json!({"code": 40310000, "message": "insufficient buying power",
               "buying_power": "1000", "cost_basis": "1500.9"})
    );
    // A resting limit buy (2 × 300) holds 600 of the 1000.
    let (status, resting) = api.post(
        "/v2/orders",
        json!({"symbol": "SPY", "qty": "2", "side": "buy",
        "type": "limit", "limit_price": "300", "time_in_force": "day"}),
    );
    assert_eq!((status, resting["status"].as_str()), (200, Some("new")));
    let (status, err) = api.post("/v2/orders", market_buy("SPY", "1"));
    assert_eq!(status, 403);
    assert_eq!(err["buying_power"], "400");
    assert_eq!(err["cost_basis"], "500.3");
    // Notional orders cost their notional.
    let (status, err) = api.post(
        "/v2/orders",
        json!({"symbol": "QQQ", "notional": "400.01", "side": "buy",
        "type": "market", "time_in_force": "day"}),
    );
    assert_eq!((status, &err["cost_basis"]), (403, &json!("400.01")));
    let (status, _) = api.post(
        "/v2/orders",
        json!({"symbol": "QQQ", "notional": "400", "side": "buy",
        "type": "market", "time_in_force": "day"}),
    );
    assert_eq!(status, 200);
    assert_eq!(w.sim.orders().len(), 2);
}

#[test]
fn selling_more_than_available_is_refused() {
    let w = world(MON_1000_ET);
    let api = Api::new(&w);
    w.sim.set_positions(vec![SimPosition {
        symbol: "SPY".into(),
        qty: d("10"),
        avg_entry_price: d("480"),
        current_price: d("500.30"),
        lastday_price: d("499"),
    }]);
    // A resting sell limit holds 4 shares.
    let (status, resting) = api.post(
        "/v2/orders",
        json!({"symbol": "SPY", "qty": "4", "side": "sell",
        "type": "limit", "limit_price": "600", "time_in_force": "gtc"}),
    );
    assert_eq!((status, resting["status"].as_str()), (200, Some("new")));
    let (_, pos) = api.get("/v2/positions/SPY");
    assert_eq!(
        (&pos["qty"], &pos["qty_available"]),
        (&json!("10"), &json!("6"))
    );

    let sell = |symbol: &str, qty: &str| json!({"symbol": symbol, "qty": qty, "side": "sell", "type": "market", "time_in_force": "day"});
    let (status, err) = api.post("/v2/orders", sell("SPY", "7"));
    assert_eq!(status, 403);
    assert_eq!(err["code"], 40310000);
    assert_eq!(
        err["message"],
        "insufficient qty available for order (requested: 7, available: 6)"
    );
    assert_eq!(
        (
            &err["available"],
            &err["existing_qty"],
            &err["held_for_orders"]
        ),
        (&json!("6"), &json!("10"), &json!("4"))
    );
    let (status, err) = api.post("/v2/orders", sell("QQQ", "1"));
    assert_eq!(status, 403);
    assert_eq!(
        err["message"],
        "insufficient qty available for order (requested: 1, available: 0)"
    );
    let (status, filled) = api.post("/v2/orders", sell("SPY", "6"));
    assert_eq!((status, filled["status"].as_str()), (200, Some("filled")));
    assert_eq!(w.sim.orders().len(), 2);
}

#[test]
fn client_order_ids_are_unique_forever() {
    let w = world(MON_0900_ET);
    let api = Api::new(&w);
    let mut body = market_buy("SPY", "1");
    body["client_order_id"] = json!("aurora-2026-11-30-SPY-buy-1");
    let (status, first) = api.post("/v2/orders", body.clone());
    assert_eq!((status, first["status"].as_str()), (200, Some("accepted")));
    let dup = json!({"code": 40010001, "message": "client_order_id must be unique"});
    assert_eq!(api.post("/v2/orders", body.clone()), (422, dup.clone()));
    let (status, _) = api.delete(&format!("/v2/orders/{}", first["id"].as_str().unwrap()));
    assert_eq!(status, 204);
    assert_eq!(
        api.post("/v2/orders", body.clone()),
        (422, dup.clone()),
        "even after cancel"
    );

    // A rejected order's id is taken too; a refused request reserves nothing.
    w.sim.add_order(OrderSeed {
        symbol: "SPY".into(),
        side: "buy".into(),
        qty: d("1"),
        order_type: "market".into(),
        limit_price: None,
        time_in_force: "day".into(),
        client_order_id: Some("was-rejected".into()),
        status: "rejected".into(),
    });
    body["client_order_id"] = json!("was-rejected");
    assert_eq!(api.post("/v2/orders", body.clone()), (422, dup));
    body["client_order_id"] = json!("refused-first");
    body["side"] = json!("hold");
    assert_eq!(api.post("/v2/orders", body.clone()).0, 422);
    body["side"] = json!("buy");
    assert_eq!(api.post("/v2/orders", body).0, 200);

    // Without a client id the fake makes up a UUID.
    let (_, o) = api.post("/v2/orders", market_buy("SPY", "1"));
    let cid = o["client_order_id"].as_str().unwrap();
    assert_eq!(cid.len(), 36, "{cid}");
    assert_ne!(cid, o["id"].as_str().unwrap());
}

#[test]
fn in_session_orders_fill_at_once_and_the_books_balance() {
    let w = world(MON_1000_ET);
    let api = Api::new(&w);
    let (status, o) = api.post("/v2/orders", market_buy("SPY", "3"));
    assert_eq!(status, 200);
    for key in ORDER_KEYS {
        assert!(o.get(*key).is_some(), "order lacks {key}: {o}");
    }
    assert_eq!(o["status"], "filled");
    assert_eq!(o["filled_qty"], "3");
    assert_eq!(o["filled_avg_price"], "500.3");
    assert_eq!(o["filled_at"], "2026-11-30T15:00:00.000000000Z");
    assert_eq!(o["updated_at"], o["filled_at"]);
    assert_eq!(o["order_class"], "");
    assert_eq!(api.account()["cash"], "98499.1");

    // Two hours later SPY is at 501.50: another share, and the average entry is weighted.
    w.sim.set_clock(MON_1200_ET.parse().unwrap(), true);
    let (_, o) = api.post(
        "/v2/orders",
        json!({"symbol": "SPY", "qty": 1, "side": "buy", "type": "limit",
        "limit_price": 502, "time_in_force": "day", "order_class": "simple"}),
    );
    assert_eq!(
        (&o["status"], &o["filled_avg_price"], &o["order_class"]),
        (&json!("filled"), &json!("501.5"), &json!("simple")),
        "a marketable limit fills at the market price"
    );
    let (_, pos) = api.get("/v2/positions/SPY");
    assert_eq!(pos["qty"], "4");
    assert_eq!(pos["avg_entry_price"], "500.6");
    assert_eq!(pos["current_price"], "501.5");
    assert_eq!(api.account()["cash"], "97997.6");

    // A limit below the market rests; a sell limit at or under it fills.
    let (_, resting) = api.post(
        "/v2/orders",
        json!({"symbol": "SPY", "qty": "1", "side": "buy", "type": "limit",
        "limit_price": "501.49", "time_in_force": "day"}),
    );
    assert_eq!(
        (&resting["status"], &resting["filled_qty"]),
        (&json!("new"), &json!("0"))
    );
    let (_, sold) = api.post(
        "/v2/orders",
        json!({"symbol": "SPY", "qty": "2", "side": "sell", "type": "limit",
        "limit_price": "501.50", "time_in_force": "day"}),
    );
    assert_eq!(sold["status"], "filled");
    assert_eq!(sold["position_intent"], "sell_to_close");
    let (_, pos) = api.get("/v2/positions/SPY");
    assert_eq!(
        (&pos["qty"], &pos["avg_entry_price"]),
        (&json!("2"), &json!("500.6"))
    );
    let account = api.account();
    assert_eq!(account["cash"], "99000.6");
    assert_eq!(account["equity"], "100003.6");
    assert_books_balance(&api);

    // $1,000 of QQQ at 401.50: 9-decimal shares, cash down by the notional to the cent.
    let (_, n) = api.post(
        "/v2/orders",
        json!({"symbol": "QQQ", "notional": "1000", "side": "buy",
        "type": "market", "time_in_force": "day"}),
    );
    let shares = (d("1000") / d("401.5")).round_dp(9);
    assert_eq!(n["status"], "filled");
    assert_eq!(n["qty"], Value::Null);
    assert_eq!(n["notional"], "1000");
    assert_eq!(dv(&n["filled_qty"]), shares);
    assert_eq!(n["filled_avg_price"], "401.5");
    assert_eq!(dv(&api.account()["cash"]), d("98000.6"));
    let (_, qqq) = api.get("/v2/positions/QQQ");
    assert_eq!(dv(&qqq["qty"]), shares);
    assert_books_balance(&api);

    // Selling everything removes the position and returns the proceeds.
    let (_, all) = api.post(
        "/v2/orders",
        json!({"symbol": "SPY", "qty": "2", "side": "sell", "type": "market",
        "time_in_force": "day"}),
    );
    assert_eq!(all["status"], "filled");
    let (status, _) = api.get("/v2/positions/SPY");
    assert_eq!(status, 404);
    assert_eq!(dv(&api.account()["cash"]), d("99003.6"));
    assert_books_balance(&api);
    // Internal state agrees with the API.
    let filled = w
        .sim
        .orders()
        .iter()
        .filter(|o| o.status == "filled")
        .count();
    assert_eq!(filled, 5);
}

#[test]
fn orders_queue_while_closed_and_fill_at_the_open() {
    let w = world(MON_0900_ET);
    let api = Api::new(&w);
    let (_, market) = api.post("/v2/orders", market_buy("SPY", "2"));
    let (_, opg) = api.post(
        "/v2/orders",
        json!({"symbol": "QQQ", "qty": "1", "side": "buy", "type": "market",
        "time_in_force": "opg"}),
    );
    let (_, low) = api.post(
        "/v2/orders",
        json!({"symbol": "SPY", "qty": "1", "side": "buy", "type": "limit",
        "limit_price": "499.99", "time_in_force": "day"}),
    );
    let (_, high) = api.post(
        "/v2/orders",
        json!({"symbol": "SPY", "qty": "1", "side": "buy", "type": "limit",
        "limit_price": "505", "time_in_force": "gtc"}),
    );
    for o in [&market, &opg, &low, &high] {
        assert_eq!(
            (&o["status"], &o["filled_qty"], &o["filled_at"]),
            (&json!("accepted"), &json!("0"), &Value::Null)
        );
    }
    assert_eq!(api.account()["cash"], "100000");

    let r = http()
        .post(format!("{}/_ctl/open", w.base()))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let opened: Value = r.json().unwrap();
    assert_eq!(opened["now"], "2026-11-30T14:30:00Z");
    let statuses: Vec<(&str, &str)> = opened["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["symbol"].as_str().unwrap(), o["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        statuses,
        [
            ("SPY", "filled"),
            ("QQQ", "filled"),
            ("SPY", "new"),
            ("SPY", "filled")
        ]
    );
    let (_, clock) = api.get("/v2/clock");
    assert_eq!(clock["is_open"], true);
    assert_eq!(clock["timestamp"], "2026-11-30T09:30:00.000000000-05:00");

    let (_, m) = api.get(&format!("/v2/orders/{}", market["id"].as_str().unwrap()));
    assert_eq!(m["filled_avg_price"], "500", "the day's opening price");
    assert_eq!(m["filled_at"], "2026-11-30T14:30:00.000000000Z");
    let (_, h) = api.get(&format!("/v2/orders/{}", high["id"].as_str().unwrap()));
    assert_eq!(
        h["filled_avg_price"], "500",
        "marketable limits fill at the open too"
    );
    let (_, pos) = api.get("/v2/positions/SPY");
    assert_eq!(
        (&pos["qty"], &pos["avg_entry_price"]),
        (&json!("3"), &json!("500"))
    );
    assert_eq!(api.account()["cash"], "98100");
    assert_books_balance(&api);

    // Opening again routes nothing new; the resting limit is untouched.
    assert!(w.sim.open_session().unwrap().is_empty());
    let open_orders = w.sim.orders().into_iter().filter(|o| o.is_open()).count();
    assert_eq!(open_orders, 1);
}

#[test]
fn opening_needs_a_session_today() {
    let w = world("2026-11-29T15:00:00Z"); // Sunday
    let r = http()
        .post(format!("{}/_ctl/open", w.base()))
        .send()
        .unwrap();
    assert_eq!(r.status(), 409);
    let body: Value = r.json().unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("2026-11-29"),
        "{body}"
    );
    w.sim
        .set_clock("2026-11-30T21:30:00Z".parse().unwrap(), true); // Monday 16:30 ET
    assert!(w.sim.open_session().unwrap_err().contains("closed"));
    // In session it fills what is still queued (a seeded order) at the open, clock unchanged.
    w.sim.set_clock(MON_1000_ET.parse().unwrap(), true);
    w.sim.add_order(OrderSeed {
        symbol: "SPY".into(),
        side: "buy".into(),
        qty: d("1"),
        order_type: "market".into(),
        limit_price: None,
        time_in_force: "day".into(),
        client_order_id: None,
        status: "accepted".into(),
    });
    let done = w.sim.open_session().unwrap();
    assert_eq!(done.len(), 1);
    assert_eq!(
        (done[0].status.as_str(), done[0].filled_avg_price),
        ("filled", Some(d("500")))
    );
    let (_, clock) = Api::new(&w).get("/v2/clock");
    assert_eq!(clock["timestamp"], "2026-11-30T10:00:00.000000000-05:00");
}

#[test]
fn orders_are_read_by_id_and_by_client_order_id() {
    let w = world(MON_0900_ET);
    let api = Api::new(&w);
    let mut body = market_buy("SPY", "1");
    body["client_order_id"] = json!("cid-1");
    let (_, placed) = api.post("/v2/orders", body);
    let id = placed["id"].as_str().unwrap();

    assert_eq!(api.get(&format!("/v2/orders/{id}")), (200, placed.clone()));
    assert_eq!(
        api.get("/v2/orders:by_client_order_id?client_order_id=cid-1"),
        (200, placed.clone())
    );
    // The colon is literal: that exact path reached the fake and was routed.
    let logged = w.requests_to("/v2/orders:by_client_order_id");
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0].query.as_deref(), Some("client_order_id=cid-1"));
    assert_eq!(logged[0].status, 200);

    let not_found = json!({"code": 40410000, "message": "order not found"});
    assert_eq!(
        api.get("/v2/orders:by_client_order_id?client_order_id=nope"),
        (404, not_found.clone())
    );
    assert_eq!(
        api.get("/v2/orders/00000000-0000-4000-8000-000000000000"),
        (404, not_found)
    );
    assert_eq!(
        api.get("/v2/orders/not-a-uuid"),
        (
            422,
            json!({"code": 40010001, "message": "order_id is missing"})
        )
    );
    // Another suffix after the colon is no route at all.
    assert_eq!(api.get("/v2/orders:by_id?client_order_id=cid-1").0, 404);
}

#[test]
fn cancel_one_and_cancel_all() {
    let w = world(MON_0900_ET);
    let api = Api::new(&w);
    let ids: Vec<String> = (0..3)
        .map(|_| {
            let (_, o) = api.post("/v2/orders", market_buy("SPY", "1"));
            o["id"].as_str().unwrap().to_owned()
        })
        .collect();

    let (status, text) = api.delete(&format!("/v2/orders/{}", ids[0]));
    assert_eq!((status, text.as_str()), (204, ""));
    let (_, o) = api.get(&format!("/v2/orders/{}", ids[0]));
    assert_eq!(o["status"], "canceled");
    assert_eq!(o["canceled_at"], "2026-11-30T14:00:00.000000000Z");
    let not_cancelable = json!({"code": 42210000, "message": "order is not cancelable"});
    assert_eq!(
        api.json(
            reqwest::Method::DELETE,
            &format!("/v2/orders/{}", ids[0]),
            None
        ),
        (422, not_cancelable.clone())
    );
    assert_eq!(
        api.json(
            reqwest::Method::DELETE,
            "/v2/orders/00000000-0000-4000-8000-000000000000",
            None
        ),
        (404, json!({"code": 40410000, "message": "order not found"}))
    );

    let (status, all) = api.json(reqwest::Method::DELETE, "/v2/orders", None);
    assert_eq!(status, 207);
    let items = all.as_array().unwrap();
    assert_eq!(items.len(), 2);
    for (item, id) in items.iter().zip(&ids[1..]) {
        assert_eq!(item["id"], id.as_str());
        assert_eq!(item["status"], 200);
        assert_eq!(item["body"]["id"], id.as_str());
        assert_eq!(item["body"]["status"], "canceled");
    }
    assert_eq!(
        api.json(reqwest::Method::DELETE, "/v2/orders", None),
        (207, json!([]))
    );
    assert!(w.sim.orders().iter().all(|o| o.status == "canceled"));

    // A filled order is not cancelable either.
    w.sim.set_clock(MON_1000_ET.parse().unwrap(), true);
    let (_, filled) = api.post("/v2/orders", market_buy("SPY", "1"));
    assert_eq!(filled["status"], "filled");
    assert_eq!(
        api.json(
            reqwest::Method::DELETE,
            &format!("/v2/orders/{}", filled["id"].as_str().unwrap()),
            None
        ),
        (422, not_cancelable)
    );
}

#[test]
fn accept_then_drop_places_the_order_but_never_answers() {
    let w = world(MON_0900_ET);
    let api = Api::new(&w);
    // Through the control API, in its JSON form.
    let r = http()
        .post(format!("{}/_ctl/faults", w.base()))
        .json(&json!({"method": "POST", "path": "/v2/orders", "action": "accept_then_drop"}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 204);

    let mut body = market_buy("SPY", "2");
    body["client_order_id"] = json!("dropped-1");
    let sent = http()
        .post(format!("{}/v2/orders", w.base()))
        .header("APCA-API-KEY-ID", DEFAULT_KEY)
        .header("APCA-API-SECRET-KEY", DEFAULT_SECRET)
        .json(&body)
        .send();
    let err = sent.expect_err("the POST must fail in transport, not answer");
    assert!(err.status().is_none(), "{err:?}");
    assert!(!err.is_timeout(), "dropped at once, not timed out: {err:?}");

    // The order exists: reconcile by client order id.
    let (status, found) = api.get("/v2/orders:by_client_order_id?client_order_id=dropped-1");
    assert_eq!(status, 200);
    assert_eq!(
        (&found["status"], &found["qty"]),
        (&json!("accepted"), &json!("2"))
    );
    assert_eq!(
        api.post("/v2/orders", body).0,
        422,
        "resubmitting is refused as a duplicate"
    );
    assert_eq!(w.sim.orders().len(), 1);
    let posts = w.requests_to("/v2/orders");
    assert_eq!(
        posts.iter().map(|r| r.status).collect::<Vec<_>>(),
        [0, 422],
        "logged with status 0: no answer"
    );

    // Through the handle, in the Rust form; the fault is used up after one request.
    w.fault("POST", "/v2/orders", 1, FaultAction::AcceptThenDrop);
    assert!(
        http()
            .post(format!("{}/v2/orders", w.base()))
            .header("APCA-API-KEY-ID", DEFAULT_KEY)
            .header("APCA-API-SECRET-KEY", DEFAULT_SECRET)
            .json(&market_buy("SPY", "1"))
            .send()
            .is_err()
    );
    assert_eq!(api.post("/v2/orders", market_buy("SPY", "1")).0, 200);
    assert_eq!(w.sim.orders().len(), 3);

    // On the wire: not one byte of a status line comes back before the connection closes.
    w.fault("POST", "/v2/orders", 1, FaultAction::AcceptThenDrop);
    let body = market_buy("SPY", "1").to_string();
    let addr = w.base().trim_start_matches("http://").to_owned();
    let mut tcp = std::net::TcpStream::connect(&addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        tcp,
        "POST /v2/orders HTTP/1.1\r\nHost: {addr}\r\nAPCA-API-KEY-ID: {DEFAULT_KEY}\r\n\
         APCA-API-SECRET-KEY: {DEFAULT_SECRET}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = Vec::new();
    // A reset instead of a clean close is just as much "no answer"; a timeout is not.
    if let Err(e) = tcp.read_to_end(&mut answer) {
        assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}");
    }
    assert_eq!(String::from_utf8_lossy(&answer), "");
    assert_eq!(w.sim.orders().len(), 4);
}

#[test]
fn account_buying_power_is_held_by_open_buys_and_not_freed_by_open_sells() {
    // Before the open, so orders wait as `accepted` (reference §5.5).
    let w = world(MON_0900_ET);
    let api = Api::new(&w);
    w.sim.adjust_position("SPY", d("10"));
    w.account(AccountPatch {
        buying_power: Some(d("10000")),
        ..AccountPatch::default()
    });
    assert_eq!(dv(&api.account()["buying_power"]), d("10000"));
    api.order(
        json!({"symbol": "QQQ", "qty": "5", "side": "buy", "type": "limit",
        "limit_price": "300", "time_in_force": "day"}),
    );
    assert_eq!(dv(&api.account()["buying_power"]), d("8500"));
    api.order(
        json!({"symbol": "SPY", "qty": "10", "side": "sell", "type": "market",
        "time_in_force": "day"}),
    );
    assert_eq!(
        dv(&api.account()["buying_power"]),
        d("8500"),
        "an open sell frees nothing until it fills"
    );
}

#[test]
fn a_blocked_account_cannot_place_orders() {
    let w = world(MON_1000_ET);
    let api = Api::new(&w);
    w.account(AccountPatch {
        trade_suspended_by_user: Some(true),
        ..AccountPatch::default()
    });
    let (status, err) = api.post("/v2/orders", market_buy("SPY", "1"));
    assert_eq!(status, 403);
    assert_eq!(
        err,
        json!({"code": 40310000, "message": "account is not authorized to trade"})
    );
    assert_eq!(api.account()["trade_suspended_by_user"], true);
    assert!(w.sim.orders().is_empty());
}

#[test]
fn assets_list_by_status_and_an_inactive_asset_by_name() {
    let w = world(MON_1000_ET);
    let api = Api::new(&w);
    let active = api.ok("/v2/assets?status=active&asset_class=us_equity");
    let symbols = |list: &Value| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|a| a["symbol"].as_str().unwrap().to_owned())
            .collect()
    };
    assert!(symbols(&active).contains(&"SPY".to_owned()));
    assert!(!symbols(&active).contains(&"DLST".to_owned()));
    assert_eq!(symbols(&api.ok("/v2/assets?status=inactive")), ["DLST"]);
    let dlst = api.ok("/v2/assets/DLST");
    assert_eq!(
        (&dlst["status"], &dlst["tradable"]),
        (&json!("inactive"), &json!(false))
    );
}
