//! Market Data API v2 (stocks) handlers: historical daily bars, latest trades, snapshots.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, LazyLock};

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, NaiveTime, SecondsFormat, TimeZone, Utc};
use chrono_tz::America::New_York;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::bars::SimBar;
use super::calendar;
use super::state::{Shared, SimState, View};

/// The data API's error: `{"message": …}` only.
fn bad_request(message: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "message": message }))).into_response()
}

/// Rejects parameters an endpoint does not document, as Alpaca does.
fn unexpected(q: &HashMap<String, String>, allowed: &[&str]) -> Option<Response> {
    let mut extra: Vec<&str> = q
        .keys()
        .map(String::as_str)
        .filter(|k| !allowed.contains(k))
        .collect();
    extra.sort_unstable();
    (!extra.is_empty()).then(|| {
        bad_request(&format!(
            "unexpected query parameter(s): {}",
            extra.join(",")
        ))
    })
}

/// Prices are JSON numbers on the data API.
fn num(d: Decimal) -> Value {
    json!(d.to_f64().unwrap_or_default())
}

/// Midnight New York, in UTC: how Alpaca stamps daily bars.
fn bar_time(date: NaiveDate) -> DateTime<Utc> {
    New_York
        .from_local_datetime(&date.and_time(NaiveTime::MIN))
        .earliest()
        .expect("midnight exists in New York")
        .with_timezone(&Utc)
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A bar as the data API sends it (typed, so a 10,000-bar page serializes quickly).
#[derive(Serialize)]
struct BarOut {
    t: &'static str,
    o: f64,
    h: f64,
    l: f64,
    c: f64,
    v: u64,
    n: u64,
    vw: f64,
}

/// Every session's bar timestamp, formatted once.
static STAMPS: LazyLock<HashMap<NaiveDate, &'static str>> = LazyLock::new(|| {
    let first = NaiveDate::from_ymd_opt(*calendar::YEARS.start(), 1, 1).expect("valid date");
    let last = NaiveDate::from_ymd_opt(*calendar::YEARS.end(), 12, 31).expect("valid date");
    calendar::sessions(first, last)
        .into_iter()
        .map(|d| (d.date, &*ts(bar_time(d.date)).leak()))
        .collect()
});

/// A bar for the wire; IEX sees a small slice of the consolidated volume.
fn bar_out(b: &SimBar, iex: bool) -> BarOut {
    let scale = if iex { 40 } else { 1 };
    let f = |d: Decimal| d.to_f64().unwrap_or_default();
    BarOut {
        t: STAMPS
            .get(&b.date)
            .copied()
            .unwrap_or("1970-01-01T00:00:00Z"),
        o: f(b.open),
        h: f(b.high),
        l: f(b.low),
        c: f(b.close),
        v: (b.volume / scale).max(1),
        n: (b.trades / scale).max(1),
        vw: f(b.vwap),
    }
}

fn bar_json(b: &SimBar, iex: bool) -> Value {
    serde_json::to_value(bar_out(b, iex)).expect("plain struct serializes")
}

/// A date or RFC 3339 time, as the New York date it falls on.
fn parse_day(v: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(v, "%Y-%m-%d").ok().or_else(|| {
        DateTime::parse_from_rfc3339(v)
            .ok()
            .map(|t| t.with_timezone(&New_York).date_naive())
    })
}

/// The session whose bar is complete by `now`: only sessions already closed have a daily bar here.
fn closed_by(now: DateTime<Utc>, date: NaiveDate) -> bool {
    calendar::session(date).is_some_and(|s| {
        New_York
            .from_local_datetime(&date.and_time(s.close))
            .earliest()
            .is_some_and(|close| close.with_timezone(&Utc) <= now)
    })
}

struct BarsQuery {
    symbols: BTreeSet<String>,
    start: NaiveDate,
    end: NaiveDate,
    limit: usize,
    after: Option<(String, NaiveDate)>,
    desc: bool,
    iex: bool,
    view: View,
}

fn parse_bars_query(
    q: &HashMap<String, String>,
    symbols: Option<&str>,
    now: DateTime<Utc>,
) -> Result<BarsQuery, String> {
    let symbols = symbols.ok_or_else(|| "missing symbols".to_owned())?;
    let mut set = BTreeSet::new();
    for s in symbols.split(',') {
        if s.is_empty()
            || !s
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '/' | ':'))
        {
            return Err(format!("invalid symbol: {s:?}"));
        }
        set.insert(s.to_owned());
    }
    match q.get("timeframe").map(String::as_str) {
        Some("1Day" | "1D") => {}
        Some(other) => {
            return Err(format!("this fake serves only 1Day bars, not {other:?}"));
        }
        None => return Err("missing timeframe".to_owned()),
    }
    let today = now.with_timezone(&New_York).date_naive();
    let day = |key: &str, default| match q.get(key) {
        None => Ok(default),
        Some(v) => parse_day(v).ok_or_else(|| format!("invalid {key}")),
    };
    let start = day("start", today)?;
    let end = day("end", today)?;
    if end < start {
        return Err("end should not be before start".to_owned());
    }
    let limit = match q.get("limit") {
        None => 1000,
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=10_000).contains(&n) => n,
            _ => return Err("invalid limit".to_owned()),
        },
    };
    let iex = match q.get("feed").map(String::as_str) {
        None | Some("iex") => true,
        Some("sip") => false,
        Some(other) => return Err(format!("invalid feed: {other}")),
    };
    let mut view = View::DataRaw;
    if let Some(adj) = q.get("adjustment") {
        let ok = adj
            .split(',')
            .all(|a| matches!(a, "raw" | "split" | "dividend" | "spin-off" | "all"));
        if !ok {
            return Err(format!("invalid adjustment: {adj}"));
        }
        // The fake models splits only: dividends and spin-offs adjust nothing here.
        if adj.split(',').any(|a| matches!(a, "split" | "all")) {
            view = View::DataSplitAdjusted;
        }
    }
    let desc = match q.get("sort").map(String::as_str) {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(_) => return Err("invalid sort".to_owned()),
    };
    let after = match q.get("page_token") {
        None => None,
        Some(t) => Some(decode_token(t).ok_or_else(|| "invalid page_token".to_owned())?),
    };
    Ok(BarsQuery {
        symbols: set,
        start,
        end,
        limit,
        after,
        desc,
        iex,
        view,
    })
}

/// Page tokens are opaque to clients; here, the hex of `SYMBOL|YYYY-MM-DD` of the last bar sent.
fn encode_token(symbol: &str, date: NaiveDate) -> String {
    format!("{symbol}|{date}")
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn decode_token(token: &str) -> Option<(String, NaiveDate)> {
    if !token.len().is_multiple_of(2) {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..token.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(token.get(i..i + 2)?, 16).ok())
        .collect();
    let text = String::from_utf8(bytes?).ok()?;
    let (symbol, date) = text.split_once('|')?;
    Some((symbol.to_owned(), date.parse().ok()?))
}

/// The latest session whose daily bar is complete by `now`.
pub(super) fn last_closed_day(now: DateTime<Utc>) -> Option<NaiveDate> {
    let today = now.with_timezone(&New_York).date_naive();
    today
        .iter_days()
        .rev()
        .take(15)
        .find(|d| closed_by(now, *d))
}

/// One page: bars ordered by symbol, then time; `limit` counts bars across all symbols.
fn page(
    st: &mut SimState,
    q: &BarsQuery,
    now: DateTime<Utc>,
) -> (BTreeMap<String, Vec<BarOut>>, Option<String>) {
    let mut out: BTreeMap<String, Vec<BarOut>> = BTreeMap::new();
    let mut taken = 0;
    let mut last: Option<(String, NaiveDate)> = None;
    let mut more = false;
    // Only sessions that have closed by the fake's clock have a daily bar.
    let Some(end) = last_closed_day(now).map(|d| d.min(q.end)) else {
        return (out, None);
    };
    let start_symbol = q.after.as_ref().map(|(s, _)| s.clone());
    for symbol in &q.symbols {
        if start_symbol.as_ref().is_some_and(|s| symbol < s) {
            continue;
        }
        let Some(history): Option<Arc<Vec<SimBar>>> = st.market.view(symbol, q.view) else {
            continue; // unknown symbols are simply absent, as on Alpaca
        };
        let mut lo = history.partition_point(|b| b.date < q.start);
        let mut hi = history.partition_point(|b| b.date <= end);
        if let Some((s, d)) = &q.after
            && s == symbol
        {
            if q.desc {
                hi = hi.min(history.partition_point(|b| b.date < *d));
            } else {
                lo = lo.max(history.partition_point(|b| b.date <= *d));
            }
        }
        if lo >= hi {
            continue;
        }
        if taken == q.limit {
            more = true;
            break;
        }
        let n = (hi - lo).min(q.limit - taken);
        let chosen = if q.desc {
            &history[hi - n..hi]
        } else {
            &history[lo..lo + n]
        };
        let chunk: Vec<BarOut> = if q.desc {
            chosen.iter().rev().map(|b| bar_out(b, q.iex)).collect()
        } else {
            chosen.iter().map(|b| bar_out(b, q.iex)).collect()
        };
        taken += n;
        let last_bar = if q.desc { &chosen[0] } else { &chosen[n - 1] };
        last = Some((symbol.clone(), last_bar.date));
        more = hi - lo > n;
        out.insert(symbol.clone(), chunk);
        if more {
            break;
        }
    }
    let token = if more {
        last.map(|(s, d)| encode_token(&s, d))
    } else {
        None
    };
    (out, token)
}

const BARS_PARAMS: &[&str] = &[
    "symbols",
    "timeframe",
    "start",
    "end",
    "limit",
    "page_token",
    "feed",
    "adjustment",
    "sort",
    "asof",
    "currency",
];

/// `GET /v2/stocks/bars` (multi-symbol).
pub async fn bars(
    State(shared): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Some(r) = unexpected(&q, BARS_PARAMS) {
        return r;
    }
    let mut st = shared.lock();
    let now = st.clock.now();
    let query = match parse_bars_query(&q, q.get("symbols").map(String::as_str), now) {
        Ok(query) => query,
        Err(r) => return bad_request(&r),
    };
    let (bars, token) = page(&mut st, &query, now);
    drop(st);
    #[derive(Serialize)]
    struct Body {
        bars: BTreeMap<String, Vec<BarOut>>,
        next_page_token: Option<String>,
    }
    Json(Body {
        bars,
        next_page_token: token,
    })
    .into_response()
}

/// `GET /v2/stocks/{symbol}/bars`: `bars` is `null` when there is no data.
pub async fn symbol_bars(
    State(shared): State<Shared>,
    Path(symbol): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Some(r) = unexpected(&q, &BARS_PARAMS[1..]) {
        return r;
    }
    let mut st = shared.lock();
    let now = st.clock.now();
    let query = match parse_bars_query(&q, Some(&symbol), now) {
        Ok(query) => query,
        Err(r) => return bad_request(&r),
    };
    let (mut pages, token) = page(&mut st, &query, now);
    drop(st);
    #[derive(Serialize)]
    struct Body {
        bars: Option<Vec<BarOut>>,
        symbol: String,
        next_page_token: Option<String>,
    }
    let bars = pages.remove(&symbol);
    Json(Body {
        bars,
        symbol,
        next_page_token: token,
    })
    .into_response()
}

/// Today's price path: from the open to the close across the session, else the last close.
pub(super) fn price_now(
    history: &[SimBar],
    now: DateTime<Utc>,
) -> Option<(Decimal, &SimBar, Option<&SimBar>)> {
    let today = now.with_timezone(&New_York).date_naive();
    let i = history.partition_point(|b| b.date <= today);
    let (bar, prev) = match i {
        0 => return None,
        i => (&history[i - 1], i.checked_sub(2).map(|j| &history[j])),
    };
    let session = calendar::session(bar.date)?;
    let at = |t: NaiveTime| {
        New_York
            .from_local_datetime(&bar.date.and_time(t))
            .earliest()
            .map(|x| x.with_timezone(&Utc))
    };
    let (open, close) = (at(session.open)?, at(session.close)?);
    if now < open {
        // Before today's open the latest price is the previous close.
        return prev.map(|p| (p.close, p, None));
    }
    let fraction = if now >= close {
        Decimal::ONE
    } else {
        Decimal::from((now - open).num_seconds()) / Decimal::from((close - open).num_seconds())
    };
    let price = (bar.open + (bar.close - bar.open) * fraction).round_dp(2);
    Some((price, bar, prev))
}

/// One symbol's price now, with today's (or the last) bar and the one before it.
struct Quote {
    symbol: String,
    price: Decimal,
    bar: SimBar,
    prev: Option<SimBar>,
}

/// The `symbols` of a latest-price request (trades, snapshots), priced at the fake's clock;
/// unknown symbols are left out, as Alpaca leaves them out. Refuses `limit` and other
/// parameters these endpoints do not take (alpaca-py#581).
fn quotes(
    shared: &Shared,
    q: &HashMap<String, String>,
) -> Result<(Vec<Quote>, DateTime<Utc>), Box<Response>> {
    if let Some(r) = unexpected(q, &["symbols", "feed", "currency"]) {
        return Err(Box::new(r));
    }
    let Some(symbols) = q.get("symbols") else {
        return Err(Box::new(bad_request("missing symbols")));
    };
    let mut st = shared.lock();
    let now = st.clock.now();
    let quotes = symbols
        .split(',')
        .filter_map(|symbol| {
            let history = st.market.history(symbol)?;
            let (price, bar, prev) = price_now(&history, now)?;
            Some(Quote {
                symbol: symbol.to_owned(),
                price,
                bar: *bar,
                prev: prev.copied(),
            })
        })
        .collect();
    Ok((quotes, now))
}

/// `GET /v2/stocks/trades/latest?symbols=&feed=`.
pub async fn latest_trades(
    State(shared): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let (quotes, now) = match quotes(&shared, &q) {
        Ok(found) => found,
        Err(r) => return *r,
    };
    let trades: Map<String, Value> = quotes
        .into_iter()
        .map(|x| (x.symbol, trade_json(x.price, now)))
        .collect();
    Json(json!({ "trades": trades })).into_response()
}

fn trade_json(price: Decimal, now: DateTime<Utc>) -> Value {
    json!({"t": ts(now), "x": "V", "p": num(price), "s": 100, "c": ["@"], "i": 1, "z": "B"})
}

/// `GET /v2/stocks/snapshots?symbols=&feed=`: a map keyed by symbol, no wrapper.
pub async fn snapshots(
    State(shared): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let (quotes, now) = match quotes(&shared, &q) {
        Ok(found) => found,
        Err(r) => return *r,
    };
    let mut out = Map::new();
    for Quote {
        symbol,
        price,
        bar,
        prev,
    } in quotes
    {
        let today_is_bar = bar.date == now.with_timezone(&New_York).date_naive();
        let daily = if today_is_bar {
            // Today's bar so far: from the open to the current price.
            let partial = SimBar {
                high: bar.open.max(price),
                low: bar.open.min(price),
                close: price,
                ..bar
            };
            bar_json(&partial, false)
        } else {
            bar_json(&bar, false)
        };
        let spread = Decimal::new(1, 2);
        out.insert(
            symbol,
            json!({
                "latestTrade": trade_json(price, now),
                "latestQuote": {"t": ts(now), "ax": "V", "ap": num(price + spread), "as": 1,
                                "bx": "V", "bp": num(price - spread), "bs": 1, "c": ["R"], "z": "B"},
                "minuteBar": {"t": ts(now), "o": num(price), "h": num(price), "l": num(price),
                              "c": num(price), "v": 100, "n": 1, "vw": num(price)},
                "dailyBar": daily,
                "prevDailyBar": prev.map(|p| bar_json(&p, false)),
            }),
        );
    }
    Json(Value::Object(out)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_tokens_round_trip_and_reject_garbage() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        assert_eq!(
            decode_token(&encode_token("BRK.B", d)),
            Some(("BRK.B".into(), d))
        );
        assert_eq!(decode_token("zz"), None);
        assert_eq!(decode_token("abc"), None);
    }
}
