//! The control API under `/_ctl/`: how tests and demos drive the fake.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::state::{AccountPatch, BarSet, Fault, OrderSeed, Shared, SimPosition};
use super::trading::order_json;

/// Body of `POST /_ctl/clock`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockSet {
    /// New market time.
    pub now: DateTime<Utc>,
    /// Stop the clock there.
    #[serde(default)]
    pub frozen: bool,
    /// Seconds to add to the HTTP `Date` header (simulated skew).
    #[serde(default)]
    pub date_offset_secs: Option<i64>,
}

/// `POST /_ctl/clock`.
pub async fn set_clock(State(s): State<Shared>, Json(body): Json<ClockSet>) -> Response {
    let mut st = s.lock();
    st.clock.set(body.now, body.frozen);
    if let Some(offset) = body.date_offset_secs {
        st.date_offset_secs = offset;
    }
    StatusCode::NO_CONTENT.into_response()
}

/// `POST /_ctl/account`.
pub async fn patch_account(State(s): State<Shared>, Json(patch): Json<AccountPatch>) -> Response {
    s.lock().account.apply(patch);
    StatusCode::NO_CONTENT.into_response()
}

/// `PUT /_ctl/positions`: replaces every position.
pub async fn set_positions(
    State(s): State<Shared>,
    Json(positions): Json<Vec<SimPosition>>,
) -> Response {
    s.lock().positions = positions;
    StatusCode::NO_CONTENT.into_response()
}

/// `POST /_ctl/orders`: places an order as if someone else had.
pub async fn add_order(State(s): State<Shared>, Json(seed): Json<OrderSeed>) -> Response {
    let order = super::Sim::place_seed(&s, seed);
    (StatusCode::CREATED, Json(order_json(&order))).into_response()
}

/// `POST /_ctl/faults`.
pub async fn add_fault(State(s): State<Shared>, Json(fault): Json<Fault>) -> Response {
    s.lock().faults.push(fault);
    StatusCode::NO_CONTENT.into_response()
}

/// `DELETE /_ctl/faults`.
pub async fn clear_faults(State(s): State<Shared>) -> Response {
    s.lock().faults.clear();
    StatusCode::NO_CONTENT.into_response()
}

/// `GET /_ctl/requests`: the request log (credentials never recorded).
pub async fn requests(State(s): State<Shared>) -> Response {
    Json(s.lock().log.clone()).into_response()
}

/// `DELETE /_ctl/requests`.
pub async fn clear_requests(State(s): State<Shared>) -> Response {
    s.lock().log.clear();
    StatusCode::NO_CONTENT.into_response()
}

/// Body of `POST /_ctl/rate-limit`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitSet {
    /// Requests per window, per API.
    pub per_minute: u32,
    /// Window length in seconds (default 60, as on Alpaca).
    #[serde(default = "sixty")]
    pub window_secs: u64,
}

fn sixty() -> u64 {
    60
}

/// `POST /_ctl/rate-limit`.
pub async fn set_rate_limit(State(s): State<Shared>, Json(body): Json<RateLimitSet>) -> Response {
    let mut st = s.lock();
    st.rate_limit = body.per_minute;
    st.rate_window = std::time::Duration::from_secs(body.window_secs.max(1));
    StatusCode::NO_CONTENT.into_response()
}

/// Body of `POST /_ctl/symbols`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SymbolsAdd {
    /// Symbols to make known (assets and bars).
    pub symbols: Vec<String>,
}

/// `POST /_ctl/symbols`: makes more symbols known to the fake.
pub async fn add_symbols(State(s): State<Shared>, Json(body): Json<SymbolsAdd>) -> Response {
    s.lock().market.extra_symbols.extend(body.symbols);
    StatusCode::NO_CONTENT.into_response()
}

/// `PUT /_ctl/bars`: replaces one daily bar (bad data, or a correction).
pub async fn set_bar(State(s): State<Shared>, Json(body): Json<BarSet>) -> Response {
    s.lock().market.set_bar(&body.symbol, body.bar());
    StatusCode::NO_CONTENT.into_response()
}

/// `GET /_ctl/now`: the fake market's time.
pub async fn now(State(s): State<Shared>) -> Response {
    Json(serde_json::json!({ "now": s.lock().clock.now() })).into_response()
}

/// `POST /_ctl/open`: the opening cross. Moves the clock to today's regular open if it is
/// earlier and routes every `accepted` order at the day's opening price; 200
/// `{"now": …, "orders": [<order>, …]}` (the orders it touched), or 409 when today has no session
/// left to open.
pub async fn open(State(s): State<Shared>) -> Response {
    let mut st = s.lock();
    match super::orders::open_session(&mut st) {
        Ok(orders) => Json(serde_json::json!({
            "now": st.clock.now(),
            "orders": orders.iter().map(order_json).collect::<Vec<_>>(),
        }))
        .into_response(),
        Err(message) => (
            StatusCode::CONFLICT,
            Json(serde_json::json!({ "message": message })),
        )
            .into_response(),
    }
}
