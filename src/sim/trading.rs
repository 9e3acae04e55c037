//! Trading API v2 handlers: account, clock, calendar, assets, positions, orders.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::TimeZone;
use chrono::{DateTime, Days, NaiveDate, SecondsFormat, Utc};
use chrono_tz::America::New_York;
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::assets::{self, asset_id};
use super::calendar;
use super::orders::{self, Refusal};
use super::state::{Shared, SimOrder, SimPosition, SimState};

/// An Alpaca-style error response.
pub fn error(status: StatusCode, code: Option<u64>, message: &str) -> Response {
    let body = match code {
        Some(code) => json!({"code": code, "message": message}),
        None => json!({"message": message}),
    };
    (status, Json(body)).into_response()
}

/// A decimal as the Trading API writes it: a string, without trailing zeros.
pub(super) fn dec(d: Decimal) -> String {
    d.normalize().to_string()
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

/// `GET /v2/account`.
pub async fn account(State(shared): State<Shared>) -> Response {
    let mut st = shared.lock();
    // As on Alpaca, open buy orders hold buying power until they fill or are canceled.
    let bp = orders::available_buying_power(&mut st);
    let a = &st.account;
    let equity = st.equity();
    let lmv = st.long_market_value();
    let mut body = json!({
        "id": "a11ce000-0000-4000-8000-000000000001",
        "admin_configurations": {},
        "user_configurations": null,
        "account_number": a.account_number,
        "status": a.status,
        "crypto_status": "ACTIVE",
        "options_approved_level": 0,
        "options_trading_level": 0,
        "currency": "USD",
        "buying_power": dec(bp),
        "regt_buying_power": dec(bp),
        "effective_buying_power": dec(bp),
        "non_marginable_buying_power": dec(a.cash.max(Decimal::ZERO)),
        "options_buying_power": dec(a.cash.max(Decimal::ZERO)),
        "cash": dec(a.cash),
        "accrued_fees": "0",
        "pending_transfer_in": "0",
        "portfolio_value": dec(equity),
        "trading_blocked": a.trading_blocked,
        "transfers_blocked": false,
        "account_blocked": a.account_blocked,
        "created_at": "2024-01-02T15:04:05.123456Z",
        "trade_suspended_by_user": a.trade_suspended_by_user,
        "multiplier": "2",
        "shorting_enabled": true,
        "equity": dec(equity),
        "last_equity": dec(a.last_equity),
        "long_market_value": dec(lmv),
        "short_market_value": "0",
        "position_market_value": dec(lmv),
        "initial_margin": dec(lmv / Decimal::TWO),
        "maintenance_margin": dec(lmv * Decimal::new(3, 1)),
        "last_maintenance_margin": "0",
        "sma": dec(a.cash),
        "balance_asof": st.clock.now().with_timezone(&New_York).date_naive().to_string(),
        "crypto_tier": 0,
        "intraday_adjustments": "0",
        "pending_reg_taf_fees": "0",
    });
    if let Value::Object(fields) = &mut body {
        for name in &a.omitted {
            fields.remove(name);
        }
    }
    Json(body).into_response()
}

fn ny(date: NaiveDate, time: chrono::NaiveTime) -> DateTime<Tz> {
    New_York
        .from_local_datetime(&date.and_time(time))
        .earliest()
        .expect("market times exist")
}

/// `GET /v2/clock`: open, next open and next close from the session table.
pub async fn clock(State(shared): State<Shared>) -> Response {
    let now = shared.lock().clock.now();
    let now_ny = now.with_timezone(&New_York);
    let today = now_ny.date_naive();
    let sessions = calendar::sessions(today, today + Days::new(14));
    let is_open = sessions
        .iter()
        .any(|s| s.date == today && now_ny >= ny(s.date, s.open) && now_ny < ny(s.date, s.close));
    let next_open = sessions
        .iter()
        .map(|s| ny(s.date, s.open))
        .find(|t| *t > now_ny);
    let next_close = sessions
        .iter()
        .map(|s| ny(s.date, s.close))
        .find(|t| *t > now_ny);
    let (Some(next_open), Some(next_close)) = (next_open, next_close) else {
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            None,
            "fake calendar ends in 2027",
        );
    };
    let fmt = |t: DateTime<Tz>| t.to_rfc3339_opts(SecondsFormat::Secs, false);
    Json(json!({
        "timestamp": now_ny.to_rfc3339_opts(SecondsFormat::Nanos, false),
        "is_open": is_open,
        "next_open": fmt(next_open),
        "next_close": fmt(next_close),
    }))
    .into_response()
}

/// `GET /v2/calendar?start=&end=` (both inclusive).
pub async fn calendar(Query(q): Query<HashMap<String, String>>) -> Response {
    let date = |key: &str, default: NaiveDate| match q.get(key) {
        None => Some(default),
        Some(v) => NaiveDate::parse_from_str(v, "%Y-%m-%d").ok(),
    };
    // Without bounds Alpaca lists every market day it knows, 1970 to 2029.
    let lo = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
    let hi = NaiveDate::from_ymd_opt(2029, 12, 31).expect("valid date");
    let (Some(start), Some(end)) = (date("start", lo), date("end", hi)) else {
        return error(
            StatusCode::BAD_REQUEST,
            Some(40010001),
            "invalid start or end",
        );
    };
    let days: Vec<Value> = calendar::sessions(start, end)
        .into_iter()
        .map(|d| {
            let settle = calendar::next_session_after(d.date).map_or(d.date, |s| s.date);
            json!({
                "date": d.date.to_string(),
                "open": d.open.format("%H:%M").to_string(),
                "close": d.close.format("%H:%M").to_string(),
                "session_open": "0400",
                "session_close": d.session_close(),
                "settlement_date": settle.to_string(),
            })
        })
        .collect();
    Json(days).into_response()
}

/// `GET /v2/assets?status=` (every status when absent).
pub async fn assets_list(
    State(shared): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let status = q.get("status").map(String::as_str);
    Json(assets::all_assets_json(
        &shared.lock().market.extra_symbols,
        status,
    ))
    .into_response()
}

/// `GET /v2/assets/{symbol}`.
pub async fn asset(State(shared): State<Shared>, Path(symbol): Path<String>) -> Response {
    let found = assets::asset_json(&symbol, &shared.lock().market.extra_symbols);
    match found {
        Some(a) => Json(a).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            Some(40410000),
            &format!("asset not found for {symbol}"),
        ),
    }
}

/// A position in Alpaca's shape; `held` = shares committed to open sell orders.
pub(super) fn position_json(p: &SimPosition, held: Decimal) -> Value {
    let mv = p.qty * p.current_price;
    let cost = p.qty * p.avg_entry_price;
    let pl = mv - cost;
    let frac = |num: Decimal, den: Decimal| {
        if den.is_zero() {
            Decimal::ZERO
        } else {
            (num / den).round_dp(6)
        }
    };
    let intraday = p.qty * (p.current_price - p.lastday_price);
    json!({
        "asset_id": asset_id(&p.symbol),
        "symbol": p.symbol,
        "exchange": assets::exchange(&p.symbol),
        "asset_class": "us_equity",
        "asset_marginable": true,
        "qty": dec(p.qty),
        "qty_available": dec((p.qty - held).max(Decimal::ZERO)),
        "avg_entry_price": dec(p.avg_entry_price),
        "side": if p.qty.is_sign_negative() { "short" } else { "long" },
        "market_value": dec(mv),
        "cost_basis": dec(cost),
        "unrealized_pl": dec(pl),
        "unrealized_plpc": dec(frac(pl, cost.abs())),
        "unrealized_intraday_pl": dec(intraday),
        "unrealized_intraday_plpc": dec(frac(intraday, (p.qty * p.lastday_price).abs())),
        "current_price": dec(p.current_price),
        "lastday_price": dec(p.lastday_price),
        "change_today": dec(frac(p.current_price - p.lastday_price, p.lastday_price)),
    })
}

/// `GET /v2/positions`.
pub async fn positions(State(shared): State<Shared>) -> Response {
    let mut st = shared.lock();
    let held: Vec<Decimal> = st
        .positions
        .clone()
        .iter()
        .map(|p| orders::qty_held_for_orders(&mut st, &p.symbol))
        .collect();
    let list: Vec<Value> = st
        .positions
        .iter()
        .zip(held)
        .map(|(p, h)| position_json(p, h))
        .collect();
    Json(list).into_response()
}

/// `GET /v2/positions/{symbol}`.
pub async fn position(State(shared): State<Shared>, Path(symbol): Path<String>) -> Response {
    let mut st = shared.lock();
    let held = orders::qty_held_for_orders(&mut st, &symbol);
    match st.positions.iter().find(|p| p.symbol == symbol) {
        Some(p) => Json(position_json(p, held)).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            Some(40410000),
            "position does not exist",
        ),
    }
}

/// An order in Alpaca's JSON shape (every field of §2.8 present).
pub fn order_json(o: &SimOrder) -> Value {
    let opt = |d: Option<Decimal>| d.map(dec);
    let done = |status: &str| (o.status == status).then(|| ts(o.updated_at));
    json!({
        "id": o.id,
        "client_order_id": o.client_order_id,
        "created_at": ts(o.created_at),
        "updated_at": ts(o.updated_at),
        "submitted_at": ts(o.created_at),
        "filled_at": done("filled"),
        "expired_at": done("expired"),
        "canceled_at": done("canceled"),
        "failed_at": done("rejected"),
        "replaced_at": null,
        "replaced_by": null,
        "replaces": null,
        "asset_id": asset_id(&o.symbol),
        "symbol": o.symbol,
        "asset_class": "us_equity",
        "notional": opt(o.notional),
        "qty": opt(o.qty),
        "filled_qty": dec(o.filled_qty),
        "filled_avg_price": opt(o.filled_avg_price),
        "order_class": o.order_class,
        "order_type": o.order_type,
        "type": o.order_type,
        "side": o.side,
        "position_intent": if o.side == "buy" { "buy_to_open" } else { "sell_to_close" },
        "time_in_force": o.time_in_force,
        "limit_price": opt(o.limit_price),
        "stop_price": null,
        "status": o.status,
        "extended_hours": o.extended_hours,
        "legs": null,
        "trail_percent": null,
        "trail_price": null,
        "hwm": null,
        "ratio_qty": null,
        "subtag": null,
        "source": null,
    })
}

/// `GET /v2/orders?status=&limit=&direction=&after=&until=&symbols=`.
pub async fn orders(
    State(shared): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let status = q.get("status").map_or("open", String::as_str);
    if !matches!(status, "open" | "closed" | "all") {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(40010001),
            "invalid status",
        );
    }
    let limit = match q.get("limit").map(|v| v.parse::<usize>()) {
        None => 50,
        Some(Ok(n)) if (1..=500).contains(&n) => n,
        Some(_) => {
            return error(
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(40010001),
                "invalid limit",
            );
        }
    };
    let time = |key: &str| {
        q.get(key)
            .and_then(|v| DateTime::parse_from_rfc3339(v).ok())
    };
    let (after, until) = (time("after"), time("until"));
    let symbols: Option<Vec<&str>> = q.get("symbols").map(|s| s.split(',').collect());
    let st: std::sync::MutexGuard<'_, SimState> = shared.lock();
    let mut list: Vec<&SimOrder> = st
        .orders
        .iter()
        .filter(|o| match status {
            "open" => o.is_open(),
            "closed" => !o.is_open(),
            _ => true,
        })
        .filter(|o| after.is_none_or(|a| o.created_at > a))
        .filter(|o| until.is_none_or(|u| o.created_at < u))
        .filter(|o| {
            symbols
                .as_ref()
                .is_none_or(|s| s.contains(&o.symbol.as_str()))
        })
        .collect();
    if q.get("direction").map_or("desc", String::as_str) == "desc" {
        list.reverse();
    }
    list.truncate(limit);
    Json(list.into_iter().map(order_json).collect::<Vec<_>>()).into_response()
}

/// `POST /v2/orders`: 200 with the order (already filled when the session is open and the
/// order is marketable), or Alpaca's refusal; a refused request stores nothing.
pub async fn submit_order(State(shared): State<Shared>, body: axum::body::Bytes) -> Response {
    let placed = orders::submit(&mut shared.lock(), &body);
    match placed {
        Ok(order) => Json(order_json(&order)).into_response(),
        Err(refusal) => refusal.into_response(),
    }
}

/// `GET /v2/orders/{order_id}`.
pub async fn order(State(shared): State<Shared>, Path(id): Path<String>) -> Response {
    let mut st = shared.lock();
    match orders::find(&st, &id) {
        Ok(i) => Json(order_json(&orders::observe(&mut st, i))).into_response(),
        Err(refusal) => refusal.into_response(),
    }
}

/// `GET /v2/orders:by_client_order_id?client_order_id=` (the colon is part of the path).
pub async fn order_by_client_id(
    State(shared): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(id) = q.get("client_order_id").filter(|s| !s.is_empty()) else {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(40010001),
            "client_order_id is missing",
        );
    };
    let mut st = shared.lock();
    match st.orders.iter().position(|o| &o.client_order_id == id) {
        Some(i) => Json(order_json(&orders::observe(&mut st, i))).into_response(),
        None => Refusal::not_found().into_response(),
    }
}

/// `DELETE /v2/orders/{order_id}`: 204 with no body.
pub async fn cancel_order(State(shared): State<Shared>, Path(id): Path<String>) -> Response {
    let canceled = orders::cancel(&mut shared.lock(), &id);
    match canceled {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(refusal) => refusal.into_response(),
    }
}

/// `DELETE /v2/orders`: 207 with `{"id", "status": 200, "body": <order>}` per canceled order.
pub async fn cancel_all_orders(State(shared): State<Shared>) -> Response {
    let canceled = orders::cancel_all(&mut shared.lock());
    let items: Vec<Value> = canceled
        .iter()
        .map(|o| json!({"id": o.id, "status": 200, "body": order_json(o)}))
        .collect();
    (StatusCode::MULTI_STATUS, Json(items)).into_response()
}
