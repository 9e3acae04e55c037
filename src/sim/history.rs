//! Account history: FILL activities (reference §2.10) and daily portfolio history (§2.11).
//!
//! Activities are recorded by every execution the fake makes; portfolio history reads the daily
//! closing equities that `POST /_ctl/close` records. The Trading API is lenient: parameters
//! these endpoints do not know are ignored, while bad values of known ones are 422.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{
    DateTime, Datelike, Days, Months, NaiveDate, NaiveTime, SecondsFormat, TimeZone, Utc,
};
use chrono_tz::America::New_York;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Value, json};

use super::calendar;
use super::orders::{session_bounds, session_open};
use super::state::{Shared, SimActivity, SimState};
use super::trading::{dec, error};

fn invalid(message: &str) -> Response {
    error(StatusCode::UNPROCESSABLE_ENTITY, Some(40010001), message)
}

/// A time parameter: RFC 3339 (with a zone), or `YYYY-MM-DD` as midnight in New York.
fn instant(v: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(v) {
        return Some(t.with_timezone(&Utc));
    }
    let date = NaiveDate::parse_from_str(v, "%Y-%m-%d").ok()?;
    New_York
        .from_local_datetime(&date.and_time(NaiveTime::MIN))
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

/// A date parameter: `YYYY-MM-DD`, or an RFC 3339 time as its New York date.
fn day(v: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(v, "%Y-%m-%d").ok().or_else(|| {
        DateTime::parse_from_rfc3339(v)
            .ok()
            .map(|t| t.with_timezone(&New_York).date_naive())
    })
}

/// An activity in Alpaca's shape; every numeric a string.
pub fn activity_json(a: &SimActivity) -> Value {
    json!({
        "activity_type": "FILL",
        "id": a.id,
        "transaction_time": a.transaction_time.to_rfc3339_opts(SecondsFormat::Millis, true),
        "type": a.fill_type,
        "price": dec(a.price),
        "qty": dec(a.qty),
        "side": a.side,
        "symbol": a.symbol,
        "leaves_qty": dec(a.leaves_qty),
        "cum_qty": dec(a.cum_qty),
        "order_id": a.order_id,
        "order_status": a.order_status,
    })
}

/// `GET /v2/account/activities?activity_types=&category=&date=&after=&until=&direction=&page_size=&page_token=`.
pub async fn activities(
    State(shared): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let types: Option<Vec<String>> = match (q.get("activity_types"), q.get("category")) {
        (Some(_), Some(_)) => {
            return invalid("only one of activity_types or category may be given");
        }
        (Some(t), None) => Some(
            t.split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect(),
        ),
        (None, Some(c)) => match c.as_str() {
            "trade_activity" => Some(vec!["FILL".to_owned()]),
            "non_trade_activity" => Some(Vec::new()),
            _ => return invalid("invalid category"),
        },
        (None, None) => None,
    };
    list(&shared.lock(), types.as_deref(), &q)
}

/// `GET /v2/account/activities/{activity_type}`: the same, for one type.
pub async fn activities_of(
    State(shared): State<Shared>,
    Path(kind): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    list(&shared.lock(), Some(&[kind]), &q)
}

/// Filters, orders and pages the recorded activities.
///
/// `date` is a New York date; `after`/`until` are strict bounds on `transaction_time` (a bare
/// date is midnight New York). Newest first unless `direction=asc`; `page_size` 1–100 (larger is
/// clamped to 100); `page_token` is the `id` of the last activity of the previous page, and the
/// page resumes right after it in the requested order.
fn list(st: &SimState, types: Option<&[String]>, q: &HashMap<String, String>) -> Response {
    let date = match q.get("date").map(|v| day(v)) {
        None => None,
        Some(Some(d)) => Some(d),
        Some(None) => return invalid("invalid date"),
    };
    let mut bounds = [None, None];
    for (slot, key) in bounds.iter_mut().zip(["after", "until"]) {
        match q.get(key).map(|v| instant(v)) {
            None => {}
            Some(Some(t)) => *slot = Some(t),
            Some(None) => return invalid(&format!("invalid {key}")),
        }
    }
    let [after, until] = bounds;
    let desc = match q.get("direction").map(String::as_str) {
        None | Some("desc") => true,
        Some("asc") => false,
        Some(_) => return invalid("invalid direction"),
    };
    let page_size = match q.get("page_size").map(|v| v.parse::<usize>()) {
        None => 100,
        Some(Ok(n)) if n >= 1 => n.min(100),
        Some(_) => return invalid("invalid page_size"),
    };
    // Chronological, ties in the order they were recorded.
    let key = |i: usize| (st.activities[i].transaction_time, i);
    let cursor = match q.get("page_token") {
        None => None,
        Some(token) => match st.activities.iter().position(|a| &a.id == token) {
            Some(i) => Some(key(i)),
            None => return invalid("invalid page_token"),
        },
    };
    let mut chosen: Vec<usize> = (0..st.activities.len())
        .filter(|&i| {
            let a = &st.activities[i];
            let t = a.transaction_time;
            types.is_none_or(|ts| ts.iter().any(|k| k == "FILL"))
                && date.is_none_or(|d| t.with_timezone(&New_York).date_naive() == d)
                && after.is_none_or(|x| t > x)
                && until.is_none_or(|x| t < x)
                && cursor.is_none_or(|c| if desc { key(i) < c } else { key(i) > c })
        })
        .collect();
    chosen.sort_by_key(|&i| key(i));
    if desc {
        chosen.reverse();
    }
    chosen.truncate(page_size);
    let items: Vec<Value> = chosen
        .into_iter()
        .map(|i| activity_json(&st.activities[i]))
        .collect();
    Json(items).into_response()
}

/// A history length: `<n>D` counts sessions, `W`, `M` and `A` calendar weeks, months and years.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Period {
    Sessions(u32),
    Days(u32),
    Months(u32),
}

fn period(v: &str) -> Option<Period> {
    let (n, unit) = v.split_at(v.len().checked_sub(1)?);
    let n: u32 = n.parse().ok().filter(|n| *n >= 1)?;
    match unit {
        "D" => Some(Period::Sessions(n)),
        "W" => Some(Period::Days(n.checked_mul(7)?)),
        "M" => Some(Period::Months(n)),
        "A" => Some(Period::Months(n.checked_mul(12)?)),
        _ => None,
    }
}

/// The `n`th session counting from `from` (inclusive) forward or back; the calendar's edge if it
/// runs out first.
fn nth_session(from: NaiveDate, n: u32, forward: bool) -> NaiveDate {
    let mut d = from;
    let mut seen = 0;
    loop {
        if calendar::session(d).is_some() {
            seen += 1;
            if seen == n {
                return d;
            }
        }
        let next = if forward {
            d.checked_add_days(Days::new(1))
        } else {
            d.checked_sub_days(Days::new(1))
        };
        match next {
            Some(x) if calendar::YEARS.contains(&x.year()) => d = x,
            _ => return d,
        }
    }
}

/// The first day of a window of `p` ending on `end`.
fn back(end: NaiveDate, p: Period) -> NaiveDate {
    let next_day = |d: NaiveDate| d.checked_add_days(Days::new(1)).unwrap_or(d);
    match p {
        Period::Sessions(n) => nth_session(end, n, false),
        Period::Days(n) => next_day(end - Days::new(u64::from(n))),
        Period::Months(n) => next_day(end.checked_sub_months(Months::new(n)).unwrap_or(end)),
    }
}

/// The last day of a window of `p` starting on `start`.
fn forward(start: NaiveDate, p: Period) -> NaiveDate {
    let prev_day = |d: NaiveDate| d.checked_sub_days(Days::new(1)).unwrap_or(d);
    match p {
        Period::Sessions(n) => nth_session(start, n, true),
        Period::Days(n) => prev_day(start + Days::new(u64::from(n))),
        Period::Months(n) => prev_day(start.checked_add_months(Months::new(n)).unwrap_or(start)),
    }
}

/// The market date: today once its session has opened, else the previous session.
fn market_date(now: DateTime<Utc>) -> NaiveDate {
    let today = now.with_timezone(&New_York).date_naive();
    match session_bounds(now) {
        Some((_, open, _)) if now >= open => today,
        _ => today.pred_opt().map_or(today, |d| nth_session(d, 1, false)),
    }
}

/// A daily point's time: 20:00 New York on the session date (as Alpaca stamps 1D points, e.g.
/// 1738717200 for 2025-02-04).
fn stamp(date: NaiveDate) -> i64 {
    let eight_pm = NaiveTime::from_hms_opt(20, 0, 0).expect("valid time");
    New_York
        .from_local_datetime(&date.and_time(eight_pm))
        .earliest()
        .map_or(0, |t| t.timestamp())
}

fn num(d: Decimal) -> Value {
    json!(d.to_f64().unwrap_or_default())
}

fn money(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// `GET /v2/account/portfolio/history?period=&timeframe=1D&start=&end=&pnl_reset=`.
///
/// One point per session in the window that `POST /_ctl/close` recorded, plus, while today's
/// regular session is open and not yet closed, today's live equity as the latest point.
/// The window: `start`..=`end` (New York dates; `date_end` is the deprecated `end`), or `period`
/// back from `end` / forward from `start`; `end` defaults to the market date and `period` to
/// `1M`. `base_value` is the closing equity of the latest recorded session before the first point
/// (`base_value_asof` its date); with none, the first point's equity and no `base_value_asof`.
/// `profit_loss` is equity − `base_value` (`profit_loss_pct` = equity / `base_value` − 1, to four
/// places); with `pnl_reset=per_day` each point is measured from the point before it instead.
/// Every array holds JSON numbers. Only `timeframe=1D` is served (others 422).
pub async fn portfolio_history(
    State(shared): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    match q.get("timeframe").map(String::as_str) {
        None | Some("1D") => {}
        Some("1Min" | "5Min" | "15Min" | "1H") => {
            return invalid("the fake serves only timeframe 1D portfolio history");
        }
        Some(_) => return invalid("invalid timeframe"),
    }
    let per_day = match q.get("pnl_reset").map(String::as_str) {
        None | Some("no_reset") => false,
        Some("per_day") => true,
        Some(_) => return invalid("invalid pnl_reset"),
    };
    if let Some(r) = q.get("intraday_reporting")
        && !matches!(r.as_str(), "market_hours" | "extended_hours" | "continuous")
    {
        return invalid("invalid intraday_reporting");
    }
    let mut dates = [None, None];
    for (slot, key) in dates.iter_mut().zip(["start", "end"]) {
        let raw = q
            .get(key)
            .or_else(|| (key == "end").then(|| q.get("date_end")).flatten());
        match raw.map(|v| day(v)) {
            None => {}
            Some(Some(d)) => *slot = Some(d),
            Some(None) => return invalid(&format!("invalid {key}")),
        }
    }
    let [start, end] = dates;
    let span = match q.get("period").map(|v| period(v)) {
        None => None,
        Some(Some(p)) => Some(p),
        Some(None) => return invalid("invalid period"),
    };
    if start.is_some() && end.is_some() && span.is_some() {
        return invalid("only two of start, end and period may be given");
    }

    let st = shared.lock();
    let now = st.clock.now();
    let (lo, hi) = match (start, end, span) {
        (Some(s), Some(e), _) => (s, e),
        (Some(s), None, Some(p)) => (s, forward(s, p)),
        (Some(s), None, None) => (s, market_date(now)),
        (None, e, p) => {
            let e = e.unwrap_or_else(|| market_date(now));
            (back(e, p.unwrap_or(Period::Months(1))), e)
        }
    };
    let mut points: Vec<(NaiveDate, Decimal)> = if lo <= hi {
        st.closes
            .range(lo..=hi)
            .map(|(d, c)| (*d, c.equity))
            .collect()
    } else {
        Vec::new()
    };
    let today = now.with_timezone(&New_York).date_naive();
    if session_open(now) && (lo..=hi).contains(&today) && !st.closes.contains_key(&today) {
        points.push((today, st.equity()));
    }
    let base = points
        .first()
        .and_then(|(first, _)| st.closes.range(..*first).next_back())
        .map(|(d, c)| (Some(*d), c.equity))
        .or_else(|| points.first().map(|(_, e)| (None, *e)));
    drop(st);
    let base_value = base.map_or(Decimal::ZERO, |(_, e)| e);
    let mut reference = base_value;
    let (mut pl, mut pct) = (Vec::new(), Vec::new());
    for (_, equity) in &points {
        let gain = money(*equity - reference);
        pl.push(num(gain));
        pct.push(if reference.is_zero() {
            Value::Null
        } else {
            num((gain / reference).round_dp(4))
        });
        if per_day {
            reference = *equity;
        }
    }
    let mut body = json!({
        "timestamp": points.iter().map(|(d, _)| stamp(*d)).collect::<Vec<_>>(),
        "equity": points.iter().map(|(_, e)| num(money(*e))).collect::<Vec<_>>(),
        "profit_loss": pl,
        "profit_loss_pct": pct,
        "base_value": num(money(base_value)),
        "timeframe": "1D",
    });
    if let Some((Some(asof), _)) = base {
        body["base_value_asof"] = json!(asof.to_string());
    }
    Json(body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn periods_and_windows() {
        assert_eq!(period("5D"), Some(Period::Sessions(5)));
        assert_eq!(period("2W"), Some(Period::Days(14)));
        assert_eq!(period("1A"), Some(Period::Months(12)));
        assert_eq!(period("0D"), None);
        assert_eq!(period("D"), None);
        assert_eq!(period("3X"), None);
        // Five sessions back from Friday 2026-12-04: Monday to Friday.
        assert_eq!(back(d("2026-12-04"), Period::Sessions(5)), d("2026-11-30"));
        assert_eq!(back(d("2026-12-04"), Period::Days(7)), d("2026-11-28"));
        assert_eq!(back(d("2026-12-31"), Period::Months(1)), d("2026-12-01"));
        assert_eq!(
            forward(d("2026-11-30"), Period::Sessions(2)),
            d("2026-12-01")
        );
        assert_eq!(forward(d("2026-11-30"), Period::Days(7)), d("2026-12-06"));
    }

    #[test]
    fn stamps_are_eight_pm_new_york() {
        assert_eq!(stamp(d("2025-02-04")), 1_738_717_200);
        assert_eq!(stamp(d("2026-04-07")), 1_775_606_400);
    }

    #[test]
    fn market_date_rolls_at_the_open() {
        let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        // Monday 2026-11-30 09:00 ET: still the previous Friday (the 27th, an early close).
        assert_eq!(market_date(t("2026-11-30T14:00:00Z")), d("2026-11-27"));
        assert_eq!(market_date(t("2026-11-30T14:30:00Z")), d("2026-11-30"));
        // Sunday: Friday.
        assert_eq!(market_date(t("2026-11-29T15:00:00Z")), d("2026-11-27"));
    }
}
