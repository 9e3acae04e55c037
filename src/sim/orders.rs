//! Orders: Alpaca's validation and refusals, placement, fills, the opening cross and cancels
//! (reference §2.6–2.9, §4.3, §5.1–5.3, §5.5).
//!
//! Everything here runs under the state lock, so a request's checks and its effects are atomic.

use std::str::FromStr;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::America::New_York;
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Map, Value, json};

use super::assets;
use super::calendar;
use super::market_data::price_now;
use super::state::{DailyClose, SimActivity, SimOrder, SimPosition, SimState};
use super::trading::dec;

/// An Alpaca error answer: status plus `{"code", "message", …context}`.
#[derive(Clone, Debug, PartialEq)]
pub struct Refusal {
    /// HTTP status.
    pub status: StatusCode,
    /// JSON body.
    pub body: Value,
}

impl Refusal {
    fn new(status: StatusCode, code: u64, message: impl Into<String>) -> Refusal {
        Refusal {
            status,
            body: json!({"code": code, "message": message.into()}),
        }
    }

    /// 422 / 40010001: a parameter Alpaca rejects.
    fn invalid(message: impl Into<String>) -> Refusal {
        Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, 40010001, message)
    }

    /// 422 / 42210000: a rule the order breaks.
    fn unprocessable(message: impl Into<String>) -> Refusal {
        Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, 42210000, message)
    }

    /// 403 / 40310000: a business refusal.
    fn forbidden(message: impl Into<String>) -> Refusal {
        Refusal::new(StatusCode::FORBIDDEN, 40310000, message)
    }

    /// 404 / 40410000 `order not found`.
    pub fn not_found() -> Refusal {
        Refusal::new(StatusCode::NOT_FOUND, 40410000, "order not found")
    }

    /// 400 / 40010000: the body is not the JSON object Alpaca expects.
    fn format() -> Refusal {
        Refusal::new(
            StatusCode::BAD_REQUEST,
            40010000,
            "request body format is invalid",
        )
    }

    fn with(mut self, key: &str, value: impl Into<Value>) -> Refusal {
        if let Value::Object(m) = &mut self.body {
            m.insert(key.to_owned(), value.into());
        }
        self
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}

fn cents(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// Shares bought by a notional order: dollars / price, to 9 decimals.
fn shares_for(notional: Decimal, price: Decimal) -> Decimal {
    (notional / price).round_dp_with_strategy(9, RoundingStrategy::MidpointAwayFromZero)
}

/// Whether `id` has the 8-4-4-4-12 hex shape of a UUID.
pub fn uuid_shaped(id: &str) -> bool {
    let groups: Vec<&str> = id.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn ny_time(date: NaiveDate, t: NaiveTime) -> DateTime<Utc> {
    New_York
        .from_local_datetime(&date.and_time(t))
        .earliest()
        .expect("market times exist")
        .with_timezone(&Utc)
}

/// The regular session's `(open, close)` for the New York date of `now`, if it trades.
pub(super) fn session_bounds(
    now: DateTime<Utc>,
) -> Option<(NaiveDate, DateTime<Utc>, DateTime<Utc>)> {
    let today = now.with_timezone(&New_York).date_naive();
    let day = calendar::session(today)?;
    Some((today, ny_time(today, day.open), ny_time(today, day.close)))
}

pub(super) fn session_open(now: DateTime<Utc>) -> bool {
    session_bounds(now).is_some_and(|(_, open, close)| now >= open && now < close)
}

/// The symbol's price now (the synthetic bars' intraday path; the last close outside the session).
fn current_price(st: &mut SimState, symbol: &str, now: DateTime<Utc>) -> Option<Decimal> {
    let history = st.market.history(symbol)?;
    price_now(&history, now).map(|(p, _, _)| p)
}

/// The close before the session of `date` (a new position's `lastday_price`).
fn previous_close(st: &mut SimState, symbol: &str, date: NaiveDate) -> Option<Decimal> {
    let history = st.market.history(symbol)?;
    let i = history.partition_point(|b| b.date < date);
    i.checked_sub(1).map(|j| history[j].close)
}

// ---------------------------------------------------------------------------------------------
// Request parsing: decimals as strings or JSON numbers; null and absent are the same.

fn field<'a>(body: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    body.get(key).filter(|v| !v.is_null())
}

fn text(body: &Map<String, Value>, key: &str) -> Result<Option<String>, Refusal> {
    match field(body, key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(Refusal::format()),
    }
}

fn decimal(body: &Map<String, Value>, key: &str) -> Result<Option<Decimal>, Refusal> {
    let raw = match field(body, key) {
        None => return Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
        Some(Value::String(s)) => s.trim().to_owned(),
        Some(Value::Number(n)) => n.to_string(),
        Some(_) => return Err(Refusal::format()),
    };
    Decimal::from_str(&raw)
        .or_else(|_| Decimal::from_scientific(&raw))
        .map(|d| Some(d.normalize()))
        .map_err(|_| Refusal::invalid(format!("invalid {key}")))
}

/// A `POST /v2/orders` body, parsed but not yet checked against the account.
struct NewOrder {
    symbol: String,
    qty: Option<Decimal>,
    notional: Option<Decimal>,
    side: String,
    order_type: String,
    time_in_force: String,
    limit_price: Option<Decimal>,
    client_order_id: Option<String>,
    extended_hours: bool,
    order_class: String,
}

const TIFS: &[&str] = &["day", "gtc", "opg", "cls", "ioc", "fok"];

/// Parses and checks the request on its own (no account state), in Alpaca's terms.
fn parse(body: &[u8]) -> Result<NewOrder, Refusal> {
    let Ok(Value::Object(b)) = serde_json::from_slice::<Value>(body) else {
        return Err(Refusal::format());
    };
    let symbol = text(&b, "symbol")?.unwrap_or_default();
    let qty = decimal(&b, "qty")?;
    let notional = decimal(&b, "notional")?;
    let side = text(&b, "side")?.unwrap_or_default();
    let order_type = text(&b, "type")?.unwrap_or_default();
    let time_in_force = text(&b, "time_in_force")?.unwrap_or_default();
    let limit_price = decimal(&b, "limit_price")?;
    let stop_price = decimal(&b, "stop_price")?;
    let client_order_id = text(&b, "client_order_id")?.filter(|s| !s.is_empty());
    let extended_hours = match field(&b, "extended_hours") {
        None => false,
        Some(Value::Bool(v)) => *v,
        Some(_) => return Err(Refusal::format()),
    };
    let order_class = text(&b, "order_class")?.unwrap_or_default();

    if symbol.is_empty() {
        return Err(Refusal::invalid("symbol is required"));
    }
    match (qty, notional) {
        (Some(_), Some(_)) => {
            return Err(Refusal::invalid("only one of qty or notional is accepted"));
        }
        (None, None) => return Err(Refusal::invalid("qty or notional is required")),
        (Some(q), None) if q <= Decimal::ZERO => {
            return Err(Refusal::invalid("qty must be > 0"));
        }
        (Some(q), None) if q.scale() > 9 => {
            return Err(Refusal::invalid("qty must have at most 9 decimal places"));
        }
        (None, Some(n)) if n <= Decimal::ZERO => {
            return Err(Refusal::invalid("notional must be > 0"));
        }
        _ => {}
    }
    if !matches!(side.as_str(), "buy" | "sell") {
        return Err(Refusal::invalid("invalid side"));
    }
    // stop, stop_limit and trailing_stop are real Alpaca types the fake does not model.
    if !matches!(order_type.as_str(), "market" | "limit") {
        return Err(Refusal::invalid("invalid order type"));
    }
    if !TIFS.contains(&time_in_force.as_str()) {
        return Err(Refusal::invalid("invalid time_in_force"));
    }
    match order_class.as_str() {
        "" | "simple" => {}
        "bracket" | "oco" | "oto" | "mleg" => {
            return Err(Refusal::invalid(format!(
                "order_class {order_class} is not supported by the fake (simple orders only)"
            )));
        }
        _ => return Err(Refusal::invalid("invalid order_class")),
    }
    if order_type == "market" && (limit_price.is_some() || stop_price.is_some()) {
        return Err(Refusal::invalid(
            "market orders require no stop or limit price",
        ));
    }
    if order_type == "limit" {
        let Some(lp) = limit_price else {
            return Err(Refusal::invalid("limit orders require a limit price"));
        };
        if stop_price.is_some() {
            return Err(Refusal::invalid("limit orders require no stop price"));
        }
        if lp <= Decimal::ZERO {
            return Err(Refusal::invalid("limit_price must be > 0"));
        }
        // Sub-penny rule: prices ≥ $1 tick in cents, below $1 in hundredths of a cent.
        let max_dp = if lp >= Decimal::ONE { 2 } else { 4 };
        if lp.scale() > max_dp {
            return Err(Refusal::unprocessable(format!(
                "invalid limit_price {lp}. sub-penny increment does not fulfill minimum pricing criteria"
            )));
        }
    }
    if extended_hours && !(order_type == "limit" && matches!(time_in_force.as_str(), "day" | "gtc"))
    {
        return Err(Refusal::invalid(
            "extended hours order must be DAY or GTC limit orders",
        ));
    }
    if let Some(id) = &client_order_id
        && id.chars().count() > 128
    {
        return Err(Refusal::invalid(
            "client_order_id must be no more than 128 characters",
        ));
    }
    Ok(NewOrder {
        symbol,
        qty,
        notional,
        side,
        order_type,
        time_in_force,
        limit_price,
        client_order_id,
        extended_hours,
        order_class,
    })
}

/// Shares of a qty order not yet filled (zero for notional orders).
fn remaining(o: &SimOrder) -> Decimal {
    o.qty
        .map_or(Decimal::ZERO, |q| (q - o.filled_qty).max(Decimal::ZERO))
}

/// Buying power held by open buy orders (limit × qty; market orders at the current price).
fn reserved_buying_power(st: &mut SimState, now: DateTime<Utc>) -> Decimal {
    let open: Vec<(String, Option<Decimal>, Decimal, Option<Decimal>)> = st
        .orders
        .iter()
        .filter(|o| o.is_open() && o.side == "buy")
        .map(|o| (o.symbol.clone(), o.notional, remaining(o), o.limit_price))
        .collect();
    open.into_iter()
        .map(|(symbol, notional, qty, limit)| match (notional, limit) {
            (Some(n), _) => n,
            (None, Some(lp)) => qty * lp,
            (None, None) => qty * current_price(st, &symbol, now).unwrap_or_default(),
        })
        .sum()
}

/// Buying power left for new buys: Alpaca's figure less what open buy orders hold (sells free
/// nothing until they fill).
pub fn available_buying_power(st: &mut SimState) -> Decimal {
    let now = st.clock.now();
    (st.buying_power() - reserved_buying_power(st, now)).max(Decimal::ZERO)
}

/// Shares of `symbol` committed to open sell orders.
fn held_for_sells(st: &mut SimState, symbol: &str, now: DateTime<Utc>) -> Decimal {
    let open: Vec<(Option<Decimal>, Decimal)> = st
        .orders
        .iter()
        .filter(|o| o.is_open() && o.side == "sell" && o.symbol == symbol)
        .map(|o| (o.notional, remaining(o)))
        .collect();
    let price = current_price(st, symbol, now);
    open.into_iter()
        .map(|(notional, qty)| match (notional, price) {
            (Some(n), Some(p)) if !p.is_zero() => shares_for(n, p),
            (Some(_), _) => Decimal::ZERO,
            (None, _) => qty,
        })
        .sum()
}

/// Shares of `symbol` held by open sell orders, as `GET /v2/positions` subtracts them.
pub fn qty_held_for_orders(st: &mut SimState, symbol: &str) -> Decimal {
    let now = st.clock.now();
    held_for_sells(st, symbol, now)
}

/// `POST /v2/orders`: validates like Alpaca, stores the order, fills it if it can.
pub fn submit(st: &mut SimState, body: &[u8]) -> Result<SimOrder, Refusal> {
    let req = parse(body)?;
    let now = st.clock.now();

    if let Some(id) = &req.client_order_id
        && st.orders.iter().any(|o| &o.client_order_id == id)
    {
        return Err(Refusal::invalid("client_order_id must be unique"));
    }
    let a = &st.account;
    if a.trading_blocked || a.account_blocked || a.trade_suspended_by_user || a.status != "ACTIVE" {
        return Err(Refusal::forbidden("account is not authorized to trade"));
    }
    let Some(asset) = assets::tradability(&req.symbol, &st.market.extra_symbols) else {
        return Err(Refusal::invalid(format!(
            "asset \"{}\" not found",
            req.symbol
        )));
    };
    let fractional = req.notional.is_some() || req.qty.is_some_and(|q| !q.fract().is_zero());
    if fractional && !asset.fractionable {
        return Err(Refusal::forbidden(format!(
            "asset \"{}\" is not fractionable",
            req.symbol
        )));
    }
    if !asset.tradable {
        return Err(Refusal::forbidden(format!(
            "asset \"{}\" is not tradable",
            req.symbol
        )));
    }
    if fractional && req.time_in_force != "day" {
        return Err(Refusal::unprocessable(
            "fractional orders must be DAY orders",
        ));
    }
    if req.notional.is_some_and(|n| n < Decimal::ONE) {
        return Err(Refusal::forbidden("cost basis must be >= 1"));
    }
    // Auction windows (New York wall clock, any day).
    let wall = now.with_timezone(&New_York).time();
    let hm = |h, m| NaiveTime::from_hms_opt(h, m, 0).expect("valid time");
    if req.time_in_force == "opg" && wall >= hm(9, 28) && wall < hm(19, 0) {
        return Err(Refusal::forbidden(
            "opg orders must be submitted after 7:00pm and before 9:28am",
        ));
    }
    if req.time_in_force == "cls" && wall >= hm(15, 50) && wall < hm(19, 0) {
        return Err(Refusal::forbidden(
            "cls orders must be submitted after 7:00pm and before 3:50pm",
        ));
    }

    let price = current_price(st, &req.symbol, now);
    if req.side == "buy" {
        let cost = match (req.notional, req.qty, req.limit_price, price) {
            (Some(n), _, _, _) => n,
            (None, Some(q), Some(lp), _) => q * lp,
            (None, Some(q), None, Some(p)) => q * p,
            _ => {
                return Err(Refusal::forbidden(format!(
                    "no price for {} yet",
                    req.symbol
                )));
            }
        };
        let available = available_buying_power(st);
        if cost > available {
            return Err(Refusal::forbidden("insufficient buying power")
                .with("buying_power", dec(cents(available)))
                .with("cost_basis", dec(cents(cost))));
        }
    } else {
        let requested = match (req.qty, req.notional, price) {
            (Some(q), _, _) => q,
            (None, Some(n), Some(p)) if !p.is_zero() => shares_for(n, p),
            _ => {
                return Err(Refusal::forbidden(format!(
                    "no price for {} yet",
                    req.symbol
                )));
            }
        };
        let existing = st
            .positions
            .iter()
            .find(|p| p.symbol == req.symbol)
            .map_or(Decimal::ZERO, |p| p.qty);
        let held = held_for_sells(st, &req.symbol, now);
        let available = (existing - held).max(Decimal::ZERO);
        if requested > available {
            return Err(Refusal::forbidden(format!(
                "insufficient qty available for order (requested: {}, available: {})",
                dec(requested),
                dec(available)
            ))
            .with("available", dec(available))
            .with("existing_qty", dec(existing))
            .with("held_for_orders", dec(held))
            .with("symbol", req.symbol.clone()));
        }
    }

    let id = st.next_uuid();
    let client_order_id = match req.client_order_id {
        Some(c) => c,
        None => st.next_uuid(),
    };
    let mut order = SimOrder {
        id,
        client_order_id,
        symbol: req.symbol,
        qty: req.qty,
        notional: req.notional,
        filled_qty: Decimal::ZERO,
        filled_avg_price: None,
        side: req.side,
        order_type: req.order_type,
        time_in_force: req.time_in_force,
        limit_price: req.limit_price,
        status: "accepted".into(),
        extended_hours: req.extended_hours,
        order_class: req.order_class,
        created_at: now,
        updated_at: now,
    };
    let mut fill_at = None;
    if session_open(now)
        && let Some(p) = price
    {
        // In session the order is routed at once: it fills if marketable, else rests.
        order.status = "new".into();
        if order.time_in_force != "cls" {
            if marketable(&order, p) {
                fill_at = Some(p);
            } else if matches!(order.time_in_force.as_str(), "ioc" | "fok") {
                order.status = "canceled".into();
            }
        }
    }
    st.orders.push(order);
    let i = st.orders.len() - 1;
    if let Some(p) = fill_at {
        fill(st, i, p, now);
    }
    Ok(st.orders[i].clone())
}

/// A market order, or a limit at or through `price` (buy limit ≥ price, sell limit ≤ price).
fn marketable(o: &SimOrder, price: Decimal) -> bool {
    match (o.order_type.as_str(), o.limit_price) {
        ("market", _) => true,
        ("limit", Some(lp)) if o.side == "buy" => lp >= price,
        ("limit", Some(lp)) => lp <= price,
        _ => false,
    }
}

/// Fills what is left of order `i` at `price` (for a notional order: notional / price shares).
fn fill(st: &mut SimState, i: usize, price: Decimal, at: DateTime<Utc>) {
    let qty = {
        let o = &st.orders[i];
        match o.qty {
            Some(q) => q - o.filled_qty,
            None => shares_for(o.notional.unwrap_or_default(), price),
        }
    };
    execute(st, i, qty, price, at);
}

/// One execution of `qty` shares of order `i` at `price`: order, position, cash and a FILL
/// activity move together. The only place the fake changes books for a trade.
///
/// Cash moves by qty × price rounded to the cent (per execution); equity stays
/// cash + Σ qty × current price. The order's `filled_avg_price` is the qty-weighted average of
/// its executions; it ends `filled` when nothing is left (a notional order fills in one go),
/// else `partially_filled`. A sell of more than is held at fill time (only possible for seeded
/// orders) is rejected instead, and records nothing.
fn execute(st: &mut SimState, i: usize, qty: Decimal, price: Decimal, at: DateTime<Utc>) {
    let (symbol, side) = {
        let o = &st.orders[i];
        (o.symbol.clone(), o.side.clone())
    };
    let amount = cents(qty * price);
    let held = st.positions.iter().position(|p| p.symbol == symbol);
    if side == "sell" {
        let Some(pi) = held.filter(|&pi| st.positions[pi].qty >= qty) else {
            let o = &mut st.orders[i];
            o.status = "rejected".into();
            o.updated_at = at;
            return;
        };
        st.account.cash += amount;
        let p = &mut st.positions[pi];
        p.qty -= qty;
        p.current_price = price;
        if p.qty.is_zero() {
            st.positions.remove(pi);
        }
    } else {
        st.account.cash -= amount;
        match held {
            Some(pi) => {
                let p = &mut st.positions[pi];
                let total = p.qty + qty;
                p.avg_entry_price = weighted(p.avg_entry_price, p.qty, price, qty);
                p.qty = total;
                p.current_price = price;
            }
            None => {
                let date = at.with_timezone(&New_York).date_naive();
                let lastday_price = previous_close(st, &symbol, date).unwrap_or(price);
                st.positions.push(SimPosition {
                    symbol: symbol.clone(),
                    qty,
                    avg_entry_price: price,
                    current_price: price,
                    lastday_price,
                });
            }
        }
    }
    let o = &mut st.orders[i];
    o.filled_avg_price = Some(match o.filled_avg_price {
        Some(avg) if !o.filled_qty.is_zero() => weighted(avg, o.filled_qty, price, qty),
        _ => price,
    });
    o.filled_qty += qty;
    let leaves = remaining(o);
    o.status = if leaves.is_zero() {
        "filled"
    } else {
        "partially_filled"
    }
    .into();
    o.updated_at = at;
    let activity = SimActivity {
        id: String::new(),
        transaction_time: at,
        fill_type: if leaves.is_zero() {
            "fill"
        } else {
            "partial_fill"
        }
        .into(),
        price,
        qty,
        side,
        symbol,
        leaves_qty: leaves,
        cum_qty: o.filled_qty,
        order_id: o.id.clone(),
        order_status: o.status.clone(),
    };
    let uuid = st.next_activity_uuid();
    st.activities.push(SimActivity {
        id: format!("{}::{uuid}", at.format("%Y%m%d%H%M%S%3f")),
        ..activity
    });
}

/// The qty-weighted average of two lots, to 9 decimals.
fn weighted(p1: Decimal, q1: Decimal, p2: Decimal, q2: Decimal) -> Decimal {
    ((q1 * p1 + q2 * p2) / (q1 + q2))
        .round_dp_with_strategy(9, RoundingStrategy::MidpointAwayFromZero)
        .normalize()
}

/// `POST /_ctl/fill`: executes `qty` more shares of the open order `client_order_id`, as a
/// partial (or the final) fill, through [`execute`].
///
/// The price defaults to the symbol's current price, or for a limit order the market has not
/// reached, to its limit (the market touched it). A price through the limit, a qty beyond what is
/// left, a notional order or a sell the position cannot cover is refused and changes nothing.
pub fn manual_fill(
    st: &mut SimState,
    client_order_id: &str,
    qty: Decimal,
    price: Option<Decimal>,
) -> Result<SimOrder, (StatusCode, String)> {
    let unprocessable = |m: String| Err((StatusCode::UNPROCESSABLE_ENTITY, m));
    let Some(i) = st
        .orders
        .iter()
        .position(|o| o.client_order_id == client_order_id)
    else {
        return Err((
            StatusCode::NOT_FOUND,
            format!("no order with client_order_id {client_order_id:?}"),
        ));
    };
    let o = st.orders[i].clone();
    if !o.is_open() {
        return Err((
            StatusCode::CONFLICT,
            format!(
                "order {client_order_id:?} is {}: only open orders fill",
                o.status
            ),
        ));
    }
    if o.qty.is_none() {
        return unprocessable(
            "the fake fills notional orders only whole (at the open or on submission)".into(),
        );
    }
    let left = remaining(&o);
    if qty <= Decimal::ZERO || qty > left {
        return unprocessable(format!(
            "qty must be > 0 and at most the {} shares left",
            dec(left)
        ));
    }
    let now = st.clock.now();
    let price = match (price, o.limit_price) {
        (Some(p), _) if p <= Decimal::ZERO => return unprocessable("price must be > 0".into()),
        (Some(p), Some(lp)) if (o.side == "buy" && p > lp) || (o.side == "sell" && p < lp) => {
            return unprocessable(format!(
                "price {} is through the {} limit {}",
                dec(p),
                o.side,
                dec(lp)
            ));
        }
        (Some(p), _) => p,
        (None, limit) => match (current_price(st, &o.symbol, now), limit) {
            (Some(p), _) if marketable(&o, p) => p,
            (_, Some(lp)) => lp,
            (Some(p), None) => p,
            (None, None) => {
                return unprocessable(format!("no price for {} yet", o.symbol));
            }
        },
    };
    if o.side == "sell" {
        let held = st
            .positions
            .iter()
            .find(|p| p.symbol == o.symbol)
            .map_or(Decimal::ZERO, |p| p.qty);
        if held < qty {
            return Err((
                StatusCode::CONFLICT,
                format!("cannot sell {} {}: {} held", dec(qty), o.symbol, dec(held)),
            ));
        }
    }
    execute(st, i, qty, price, now);
    Ok(st.orders[i].clone())
}

/// `POST /_ctl/positions/adjust`: sets `symbol`'s position to `qty` shares without an order or
/// an activity, as a trade made elsewhere or a corporate action would; cash is unchanged.
///
/// An existing position keeps its average entry and current price; a new one opens at the
/// current price (its `lastday_price` the previous close); `0` removes it. Negative quantities
/// (shorts) are refused, as is a new position in a symbol with no price.
pub fn adjust_position(
    st: &mut SimState,
    symbol: &str,
    qty: Decimal,
) -> Result<Option<SimPosition>, String> {
    if qty < Decimal::ZERO {
        return Err("the fake holds long positions only: qty must be >= 0".into());
    }
    let held = st.positions.iter().position(|p| p.symbol == symbol);
    match held {
        Some(pi) if qty.is_zero() => {
            st.positions.remove(pi);
            Ok(None)
        }
        None if qty.is_zero() => Ok(None),
        Some(pi) => {
            st.positions[pi].qty = qty;
            Ok(Some(st.positions[pi].clone()))
        }
        None => {
            let now = st.clock.now();
            let Some(price) = current_price(st, symbol, now) else {
                return Err(format!("no price for {symbol}: unknown symbol"));
            };
            let date = now.with_timezone(&New_York).date_naive();
            let lastday_price = previous_close(st, symbol, date).unwrap_or(price);
            let p = SimPosition {
                symbol: symbol.to_owned(),
                qty,
                avg_entry_price: price,
                current_price: price,
                lastday_price,
            };
            st.positions.push(p.clone());
            Ok(Some(p))
        }
    }
}

/// `POST /_ctl/open`: moves the clock to today's regular open if it is earlier, rolls the day,
/// then routes every `accepted` order, oldest first, against the day's opening price.
///
/// Rolling the day (once per session, and only when [`close_session`] recorded an earlier
/// close): the account's `last_equity` becomes the latest recorded closing equity and each
/// position's `lastday_price` its mark at that close (positions not held then: the previous
/// session's bar close), so equity − `last_equity` is the day's P&L, as on Alpaca.
///
/// Market orders and marketable limits fill at the open; other limits rest as `new` (an `opg`
/// limit that misses the auction is canceled); `cls` orders wait as `new` for the closing
/// auction of [`close_session`]. Returns the orders it touched, in that order; `Err` says why it
/// could not open (no session today, or today's session already closed).
pub fn open_session(st: &mut SimState) -> Result<Vec<SimOrder>, String> {
    let now = st.clock.now();
    let Some((today, open, close)) = session_bounds(now) else {
        let today = now.with_timezone(&New_York).date_naive();
        return Err(format!(
            "no regular session on {today} (New York): the market is closed all day"
        ));
    };
    if now >= close {
        return Err(format!(
            "the session of {today} has already closed; set the clock to a later session day"
        ));
    }
    if now < open {
        let frozen = st.clock.frozen();
        st.clock.set(open, frozen);
    }
    roll_day(st, today);
    let at = now.max(open);
    let mut touched = Vec::new();
    for i in 0..st.orders.len() {
        if st.orders[i].status != "accepted" {
            continue;
        }
        let symbol = st.orders[i].symbol.clone();
        let open_price = st
            .market
            .history(&symbol)
            .and_then(|h| h.iter().find(|b| b.date == today).map(|b| b.open));
        {
            let o = &mut st.orders[i];
            o.status = "new".into();
            o.updated_at = at;
        }
        if let Some(price) = open_price
            && st.orders[i].time_in_force != "cls"
        {
            if marketable(&st.orders[i], price) {
                fill(st, i, price, at);
            } else if matches!(st.orders[i].time_in_force.as_str(), "opg" | "ioc" | "fok") {
                st.orders[i].status = "canceled".into();
            }
        }
        touched.push(st.orders[i].clone());
    }
    Ok(touched)
}

/// The start of session `today`: `last_equity` and `lastday_price` from the latest recorded
/// close before it (see [`open_session`]). Runs once per session date.
fn roll_day(st: &mut SimState, today: NaiveDate) {
    if st.rolled_for == Some(today) {
        return;
    }
    st.rolled_for = Some(today);
    let Some(last) = st.closes.range(..today).next_back().map(|(_, c)| c.clone()) else {
        return;
    };
    st.account.last_equity = last.equity;
    for pi in 0..st.positions.len() {
        let symbol = st.positions[pi].symbol.clone();
        let mark = match last.prices.get(&symbol) {
            Some(p) => Some(*p),
            None => previous_close(st, &symbol, today),
        };
        if let Some(p) = mark {
            st.positions[pi].lastday_price = p;
        }
    }
}

/// `POST /_ctl/close`: the end of today's regular session (New York date of the clock).
///
/// Moves the clock to today's regular close if it is earlier (13:00 ET on early-close days);
/// when the clock is already past the close it stays where it is and the close is applied
/// anyway (idempotent: a second call changes nothing but the recorded books). Then, for orders
/// placed before the close, oldest first:
/// - `cls` orders meet the closing auction at the day's closing price: market orders and
///   marketable limits fill, other limits are `canceled` (as `opg` orders missing the open);
/// - every other open `day`, `opg`, `ioc` and `fok` order (`accepted`, `new`,
///   `partially_filled`, …) ends `expired`, `expired_at` = the close, any partial fill kept;
/// - `gtc` orders stay open.
///
/// Orders placed after the close (queued for the next session) are untouched. Each position is
/// marked to the session's bar close, and the equity at those marks is recorded as the day's
/// closing equity: portfolio history's data point, and the next [`open_session`]'s
/// `last_equity`. Returns the orders it touched; `Err` (409 over HTTP) when today has no
/// session.
pub fn close_session(st: &mut SimState) -> Result<Vec<SimOrder>, String> {
    let now = st.clock.now();
    let Some((today, _open, close)) = session_bounds(now) else {
        let today = now.with_timezone(&New_York).date_naive();
        return Err(format!(
            "no regular session on {today} (New York): the market is closed all day"
        ));
    };
    if now < close {
        let frozen = st.clock.frozen();
        st.clock.set(close, frozen);
    }
    let mut touched = Vec::new();
    for i in 0..st.orders.len() {
        let o = &st.orders[i];
        if !o.is_open() || o.created_at >= close {
            continue;
        }
        let (tif, symbol) = (o.time_in_force.clone(), o.symbol.clone());
        match tif.as_str() {
            "cls" => {
                let close_price = st
                    .market
                    .history(&symbol)
                    .and_then(|h| h.iter().find(|b| b.date == today).map(|b| b.close));
                match close_price {
                    Some(p) if marketable(&st.orders[i], p) => fill(st, i, p, close),
                    _ => {
                        let o = &mut st.orders[i];
                        o.status = "canceled".into();
                        o.updated_at = close;
                    }
                }
            }
            "day" | "opg" | "ioc" | "fok" => {
                let o = &mut st.orders[i];
                o.status = "expired".into();
                o.updated_at = close;
            }
            _ => continue,
        }
        touched.push(st.orders[i].clone());
    }
    let mut prices = std::collections::BTreeMap::new();
    for pi in 0..st.positions.len() {
        let symbol = st.positions[pi].symbol.clone();
        let bar_close = st
            .market
            .history(&symbol)
            .and_then(|h| h.iter().find(|b| b.date == today).map(|b| b.close));
        if let Some(p) = bar_close {
            st.positions[pi].current_price = p;
        }
        prices.insert(symbol, st.positions[pi].current_price);
    }
    let equity = st.equity();
    st.closes.insert(today, DailyClose { equity, prices });
    Ok(touched)
}

/// The sessions [`advance`] opened and closed on its way.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Advanced {
    /// Sessions whose open it passed, oldest first.
    pub opened: Vec<NaiveDate>,
    /// Sessions whose close it passed, oldest first.
    pub closed: Vec<NaiveDate>,
}

/// `POST /_ctl/advance`: moves the clock forward to `to` as the market lives through the time
/// in between, whether or not anyone is watching (a machine that is off): each session whose
/// open is on the way opens as [`open_session`] does (the day rolls, queued orders fill), each
/// whose close is on the way closes as [`close_session`] does (day orders expire, the closing
/// equity is recorded for portfolio history). A session already under way when it starts, but
/// never opened, opens first. The clock keeps its frozen or ticking state. `Err` when `to` is
/// earlier than the clock.
pub fn advance(st: &mut SimState, to: DateTime<Utc>) -> Result<Advanced, String> {
    let frozen = st.clock.frozen();
    if to < st.clock.now() {
        return Err(format!(
            "cannot advance backwards, to {to} from {}",
            st.clock.now()
        ));
    }
    let mut done = Advanced::default();
    loop {
        let now = st.clock.now();
        if let Some((date, open, close)) = session_bounds(now) {
            let unopened = st.rolled_for != Some(date);
            if (now < open && open <= to) || (now >= open && now < close && unopened) {
                open_session(st)?;
                done.opened.push(date);
                continue;
            }
            if now < close && close <= to && !st.closes.contains_key(&date) {
                close_session(st)?;
                done.closed.push(date);
                continue;
            }
        }
        let date = now.with_timezone(&New_York).date_naive();
        let next = date
            .succ_opt()
            .and_then(|d| {
                New_York
                    .from_local_datetime(&d.and_time(NaiveTime::MIN))
                    .earliest()
            })
            .map(|t| t.with_timezone(&Utc));
        match next {
            Some(next) if next <= to => st.clock.set(next, frozen),
            _ => break,
        }
    }
    st.clock.set(to, frozen);
    Ok(done)
}

/// Finds an order by Alpaca id (422 when the id is not UUID-shaped, 404 when unknown).
pub fn find(st: &SimState, id: &str) -> Result<usize, Refusal> {
    if !uuid_shaped(id) {
        return Err(Refusal::invalid("order_id is missing"));
    }
    st.orders
        .iter()
        .position(|o| o.id.eq_ignore_ascii_case(id))
        .ok_or_else(Refusal::not_found)
}

/// `DELETE /v2/orders/{id}`: cancels an open order at once.
/// A cancel is a request: with a `cancel_lag` the order passes through `pending_cancel` for that
/// many reads of it (as on Alpaca, where `canceled` follows the 204 a moment later).
pub fn cancel(st: &mut SimState, id: &str) -> Result<SimOrder, Refusal> {
    let i = find(st, id)?;
    let now = st.clock.now();
    let lag = st.cancel_lag;
    let o = &mut st.orders[i];
    if !o.is_open() {
        return Err(Refusal::unprocessable("order is not cancelable"));
    }
    if o.status == "pending_cancel" {
        return Ok(o.clone());
    }
    o.updated_at = now;
    if lag > 0 {
        o.status = "pending_cancel".into();
        let o = o.clone();
        st.pending_cancels.insert(o.id.clone(), lag);
        return Ok(o);
    }
    o.status = "canceled".into();
    Ok(o.clone())
}

/// One read of order `i` (by id or client order id): a `pending_cancel` order counts the read
/// down and shows `canceled` once its reads are spent.
pub fn observe(st: &mut SimState, i: usize) -> SimOrder {
    let id = st.orders[i].id.clone();
    if let Some(left) = st.pending_cancels.get_mut(&id) {
        if *left == 0 {
            st.pending_cancels.remove(&id);
            let now = st.clock.now();
            let o = &mut st.orders[i];
            o.status = "canceled".into();
            o.updated_at = now;
        } else {
            *left -= 1;
        }
    }
    st.orders[i].clone()
}

/// `DELETE /v2/orders`: cancels every open order, oldest first.
pub fn cancel_all(st: &mut SimState) -> Vec<SimOrder> {
    let now = st.clock.now();
    st.orders
        .iter_mut()
        .filter(|o| o.is_open())
        .map(|o| {
            o.status = "canceled".into();
            o.updated_at = now;
            o.clone()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_shape() {
        assert!(uuid_shaped("7b08df51-c1ac-453c-99f9-323a5f075f0d"));
        assert!(uuid_shaped("7B08DF51-C1AC-453C-99F9-323A5F075F0D"));
        assert!(!uuid_shaped("7b08df51c1ac453c99f9323a5f075f0d"));
        assert!(!uuid_shaped("not-a-uuid"));
        assert!(!uuid_shaped("7b08df51-c1ac-453c-99f9-323a5f075f0g"));
    }

    #[test]
    fn decimals_come_as_strings_or_numbers() {
        let b: Map<String, Value> =
            serde_json::from_str(r#"{"a":"1.50","b":2.25,"c":"","d":"x","e":1e-7}"#).unwrap();
        assert_eq!(decimal(&b, "a").unwrap(), Some(Decimal::new(15, 1)));
        assert_eq!(decimal(&b, "b").unwrap(), Some(Decimal::new(225, 2)));
        assert_eq!(decimal(&b, "c").unwrap(), None);
        assert_eq!(decimal(&b, "zz").unwrap(), None);
        assert_eq!(decimal(&b, "d").unwrap_err().body["message"], "invalid d");
        assert_eq!(decimal(&b, "e").unwrap(), Some(Decimal::new(1, 7)));
    }
}
