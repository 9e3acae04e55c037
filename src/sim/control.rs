//! The control API under `/_ctl/`: how tests and demos drive the fake.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::state::{AccountPatch, BarSet, Fault, OrderSeed, Shared, SimPosition, SimSplit};
use super::trading::{order_json, position_json};

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

/// Body of `POST /_ctl/withhold`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Withhold {
    /// Ticker.
    pub symbol: String,
    /// Session date of the bar.
    pub date: chrono::NaiveDate,
    /// `true` (default): stop serving it; `false`: serve it again.
    #[serde(default = "yes")]
    pub withheld: bool,
}

fn yes() -> bool {
    true
}

/// `POST /_ctl/withhold`: the data API leaves one bar out until told to serve it again.
pub async fn withhold(State(s): State<Shared>, Json(body): Json<Withhold>) -> Response {
    s.lock()
        .market
        .withhold(&body.symbol, body.date, body.withheld);
    StatusCode::NO_CONTENT.into_response()
}

/// `POST /_ctl/split` `{"symbol", "ratio", "ex_date"}`: a stock split (see
/// [`super::corporate_actions::split`]); 200 with the position after it (or `null` when none is
/// held), 422 when refused.
pub async fn split(State(s): State<Shared>, Json(body): Json<SimSplit>) -> Response {
    let mut st = s.lock();
    match super::corporate_actions::split(&mut st, body) {
        Ok(Some(p)) => {
            let held = super::orders::qty_held_for_orders(&mut st, &p.symbol);
            Json(position_json(&p, held)).into_response()
        }
        Ok(None) => Json(serde_json::Value::Null).into_response(),
        Err(m) => message(StatusCode::UNPROCESSABLE_ENTITY, &m),
    }
}

/// `GET /_ctl/now`: the fake market's time.
pub async fn now(State(s): State<Shared>) -> Response {
    Json(serde_json::json!({ "now": s.lock().clock.now() })).into_response()
}

/// `POST /_ctl/open`: the opening cross. Moves the clock to today's regular open if it is
/// earlier, rolls the day (`last_equity` and each `lastday_price` from the latest recorded close,
/// see [`super::orders::open_session`]) and routes every `accepted` order at the day's opening
/// price; 200
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

fn conflict(message: &str) -> Response {
    (
        StatusCode::CONFLICT,
        Json(serde_json::json!({ "message": message })),
    )
        .into_response()
}

fn message(status: StatusCode, message: &str) -> Response {
    (status, Json(serde_json::json!({ "message": message }))).into_response()
}

/// `POST /_ctl/close`: the end of today's session (see [`super::orders::close_session`]): the
/// clock moves to the regular close if earlier, `cls` orders meet the closing auction, open
/// `day`/`opg`/`ioc`/`fok` orders expire, positions are marked to the closing prices and the
/// day's closing equity is recorded; 200 `{"now": …, "orders": [<order>, …]}` (the orders it
/// touched), or 409 when today has no session.
pub async fn close(State(s): State<Shared>) -> Response {
    let mut st = s.lock();
    match super::orders::close_session(&mut st) {
        Ok(orders) => Json(serde_json::json!({
            "now": st.clock.now(),
            "orders": orders.iter().map(order_json).collect::<Vec<_>>(),
        }))
        .into_response(),
        Err(m) => conflict(&m),
    }
}

/// `POST /_ctl/fill` `{"client_order_id": "…", "qty": "N", "price": "P"}` (`price` optional;
/// decimals as strings or numbers): a partial or final fill of an open order (see
/// [`super::orders::manual_fill`]); 200 with the order, 404 for an unknown client order id, 409
/// for an order that is not open or a sell the position cannot cover, 422 for a bad qty or price.
pub async fn fill(State(s): State<Shared>, body: axum::body::Bytes) -> Response {
    let Ok(serde_json::Value::Object(b)) = serde_json::from_slice(&body) else {
        return message(StatusCode::BAD_REQUEST, "body must be a JSON object");
    };
    let dec = |key: &str| -> Result<Option<rust_decimal::Decimal>, String> {
        match b.get(key) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(v)) => v.trim().parse().map(Some),
            Some(serde_json::Value::Number(n)) => n.to_string().parse().map(Some),
            Some(_) => return Err(format!("invalid {key}")),
        }
        .map_err(|_| format!("invalid {key}"))
    };
    let Some(cid) = b.get("client_order_id").and_then(|v| v.as_str()) else {
        return message(StatusCode::BAD_REQUEST, "client_order_id is required");
    };
    let (qty, price) = match (dec("qty"), dec("price")) {
        (Ok(Some(q)), Ok(p)) => (q, p),
        (Ok(None), _) => return message(StatusCode::BAD_REQUEST, "qty is required"),
        (Err(m), _) | (_, Err(m)) => return message(StatusCode::BAD_REQUEST, &m),
    };
    let filled = super::orders::manual_fill(&mut s.lock(), cid, qty, price);
    match filled {
        Ok(order) => Json(order_json(&order)).into_response(),
        Err((status, m)) => message(status, &m),
    }
}

/// Body of `POST /_ctl/positions/adjust`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PositionAdjust {
    /// Ticker.
    pub symbol: String,
    /// The position's new quantity (`0` removes it).
    #[serde(with = "rust_decimal::serde::str")]
    pub qty: rust_decimal::Decimal,
}

/// `POST /_ctl/positions/adjust` `{"symbol": "SPY", "qty": "N"}`: sets one position's quantity
/// without an order, as a trade elsewhere or a corporate action would (cash unchanged; see
/// [`super::orders::adjust_position`]); 200 with the position in Alpaca's shape, or `null` when
/// it is gone; 422 when refused.
pub async fn adjust_position(
    State(s): State<Shared>,
    Json(body): Json<PositionAdjust>,
) -> Response {
    let mut st = s.lock();
    match super::orders::adjust_position(&mut st, &body.symbol, body.qty) {
        Ok(Some(p)) => {
            let held = super::orders::qty_held_for_orders(&mut st, &p.symbol);
            Json(position_json(&p, held)).into_response()
        }
        Ok(None) => Json(serde_json::Value::Null).into_response(),
        Err(m) => message(StatusCode::UNPROCESSABLE_ENTITY, &m),
    }
}

/// Body of `POST /_ctl/advance`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdvanceTo {
    /// Where the clock ends.
    pub to: DateTime<Utc>,
}

/// `POST /_ctl/advance {"to": RFC3339}`: the market lives through the time up to `to` (see
/// [`super::orders::advance`]); 200 `{"now": …, "opened": [dates], "closed": [dates]}`, or 409
/// when `to` is in the past.
pub async fn advance(State(s): State<Shared>, Json(body): Json<AdvanceTo>) -> Response {
    let mut st = s.lock();
    match super::orders::advance(&mut st, body.to) {
        Ok(done) => Json(serde_json::json!({
            "now": st.clock.now(),
            "opened": done.opened,
            "closed": done.closed,
        }))
        .into_response(),
        Err(m) => conflict(&m),
    }
}

/// Body of `POST /_ctl/cancel-lag`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CancelLagSet {
    /// Reads of a canceled order it stays `pending_cancel` for.
    pub reads: u32,
}

/// `POST /_ctl/cancel-lag`: later cancels pass through `pending_cancel`.
pub async fn set_cancel_lag(State(s): State<Shared>, Json(body): Json<CancelLagSet>) -> Response {
    s.lock().cancel_lag = body.reads;
    StatusCode::NO_CONTENT.into_response()
}
