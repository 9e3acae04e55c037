//! The fake's JSON parses with Alpaca's official Python SDK (alpaca-py, pinned in
//! `tests/sdk/requirements.txt`): `tests/sdk/check_fake.py` drives alpaca-py's `TradingClient`
//! against an in-process fake and asserts the values its pydantic models hold.
//!
//! Needs the test venv that `scripts/test.sh` makes under `target/`; without it this test fails
//! rather than skips, so a machine missing the SDK cannot pass silently.

use std::path::Path;
use std::process::Command;
use std::str::FromStr;

use aurora::sim::state::{OrderSeed, SimPosition};
use aurora::sim::{DEFAULT_KEY, DEFAULT_SECRET, Sim, SimOptions};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

/// Monday 2026-11-30 09:00 ET: before the open, the Monday after Thanksgiving's half day.
const NOW: &str = "2026-11-30T14:00:00Z";
/// What `check_fake.py` expects by default; passed explicitly so the two cannot drift apart.
const SYMBOL: &str = "SPY";
const QTY: &str = "12.5";
const ORDER_SYMBOL: &str = "AAPL";
const ORDER_QTY: &str = "3";
const LIMIT_PRICE: &str = "150.25";
const CLIENT_ORDER_ID: &str = "sdk-compat-0001";

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

#[test]
fn official_python_sdk_parses_the_fake() {
    let now: DateTime<Utc> = NOW.parse().unwrap();
    let sim = Sim::start(SimOptions {
        now,
        key: DEFAULT_KEY.into(),
        secret: DEFAULT_SECRET.into(),
    })
    .unwrap();
    sim.set_positions(vec![SimPosition {
        symbol: SYMBOL.into(),
        qty: d(QTY),
        avg_entry_price: d("500.10"),
        current_price: d("510.25"),
        lastday_price: d("505"),
    }]);
    let order = sim.add_order(OrderSeed {
        symbol: ORDER_SYMBOL.into(),
        side: "buy".into(),
        qty: d(ORDER_QTY),
        order_type: "limit".into(),
        limit_price: Some(d(LIMIT_PRICE)),
        time_in_force: "day".into(),
        client_order_id: Some(CLIENT_ORDER_ID.into()),
        status: "accepted".into(),
    });
    assert_eq!(order.client_order_id, CLIENT_ORDER_ID);

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/check_fake.py");
    let base = sim.base_url().as_str().trim_end_matches('/').to_owned();
    let out = Command::new(crate::common::python())
        .arg(&script)
        .args([&base, DEFAULT_KEY, DEFAULT_SECRET])
        .args(["--now", NOW])
        .args(["--symbol", SYMBOL, "--qty", QTY])
        .args(["--order-symbol", ORDER_SYMBOL, "--order-qty", ORDER_QTY])
        .args(["--limit-price", LIMIT_PRICE])
        .args(["--client-order-id", CLIENT_ORDER_ID])
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap_or_else(|e| {
            panic!("could not run the test venv's Python ({e}): run `scripts/test.sh` once")
        });
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    eprintln!("{stderr}");
    if out.status.code() == Some(3) {
        panic!(
            "alpaca-py is not installed in the test venv: run `scripts/test.sh` once\n--- stderr ---\n{stderr}"
        );
    }
    assert!(
        out.status.success(),
        "alpaca-py rejected the fake ({}):\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}",
        out.status
    );
    assert!(
        stdout.lines().any(|l| l.ends_with(" passed, 0 failed")),
        "no summary line from check_fake.py:\n{stdout}"
    );
}
