//! A raw HTTP client for the fake's Trading and control APIs, for tests of the fake itself.

use std::str::FromStr;
use std::time::Duration;

use aurora::sim::{DEFAULT_KEY, DEFAULT_SECRET};
use rust_decimal::Decimal;
use serde_json::Value;

use super::World;

/// A JSON string decimal (Trading API money and quantities) as a `Decimal`.
#[track_caller]
pub fn dv(v: &Value) -> Decimal {
    Decimal::from_str(
        v.as_str()
            .unwrap_or_else(|| panic!("not a string decimal: {v}")),
    )
    .unwrap()
}

/// A blocking HTTP client with a timeout, for requests built by hand.
pub fn http() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// Requests with the fake's keys, straight to its routes.
pub struct Api<'a> {
    w: &'a World,
    c: reqwest::blocking::Client,
}

impl Api<'_> {
    /// A client for `w`'s fake.
    pub fn new(w: &World) -> Api<'_> {
        Api { w, c: http() }
    }

    /// Status and raw body.
    pub fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, String) {
        let mut req = self
            .c
            .request(method, format!("{}{path}", self.w.base()))
            .header("APCA-API-KEY-ID", DEFAULT_KEY)
            .header("APCA-API-SECRET-KEY", DEFAULT_SECRET);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().unwrap();
        let status = r.status().as_u16();
        (status, r.text().unwrap())
    }

    /// Status and JSON body.
    #[track_caller]
    pub fn json(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let (status, text) = self.send(method, path, body);
        let v = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{path}: not JSON ({e}): {text:?}"));
        (status, v)
    }

    /// `GET`.
    pub fn get(&self, path: &str) -> (u16, Value) {
        self.json(reqwest::Method::GET, path, None)
    }

    /// `GET`, expecting 200.
    #[track_caller]
    pub fn ok(&self, path: &str) -> Value {
        let (status, v) = self.get(path);
        assert_eq!(status, 200, "{path}: {v}");
        v
    }

    /// `POST` with a JSON body.
    pub fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.json(reqwest::Method::POST, path, Some(body))
    }

    /// `DELETE`: status and raw body (204 has none).
    pub fn delete(&self, path: &str) -> (u16, String) {
        self.send(reqwest::Method::DELETE, path, None)
    }

    /// `POST /v2/orders`, expecting 200.
    #[track_caller]
    pub fn order(&self, body: Value) -> Value {
        let (status, o) = self.post("/v2/orders", body);
        assert_eq!(status, 200, "{o}");
        o
    }

    /// `GET /v2/account`.
    pub fn account(&self) -> Value {
        self.ok("/v2/account")
    }
}

/// Replaces one session bar with known prices: the fake's price moves linearly from open to close.
pub fn set_bar(w: &World, symbol: &str, date: &str, open: &str, close: &str) {
    let (o, c) = (
        Decimal::from_str(open).unwrap(),
        Decimal::from_str(close).unwrap(),
    );
    w.sim.set_bar(aurora::sim::state::BarSet {
        symbol: symbol.into(),
        date: date.parse().unwrap(),
        open: o,
        high: o.max(c),
        low: o.min(c),
        close: c,
        volume: 1_000_000,
    });
}

/// equity = cash + Σ market_value, and market_value = qty × current_price, as the API reports.
#[track_caller]
pub fn assert_books_balance(api: &Api) {
    let account = api.account();
    let positions = api.ok("/v2/positions");
    let lmv: Decimal = positions
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            assert_eq!(
                dv(&p["market_value"]),
                dv(&p["qty"]) * dv(&p["current_price"])
            );
            dv(&p["market_value"])
        })
        .sum();
    assert_eq!(
        dv(&account["equity"]).round_dp(2),
        (dv(&account["cash"]) + lmv).round_dp(2),
        "{account}"
    );
    assert_eq!(dv(&account["long_market_value"]), lmv);
}
