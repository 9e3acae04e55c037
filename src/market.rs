//! Sessions, the market clock and time zones (pure: values in, values out).
//!
//! Alpaca's clock is "now" for every market decision; its calendar says which days are
//! sessions. Calendar times are New York wall-clock times without a zone.

use std::fmt;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::America::{Chicago, New_York};
use chrono_tz::Tz;
use serde::Serialize;

use crate::types::SessionDate;

/// One regular trading session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Session {
    /// The session's date.
    pub date: SessionDate,
    /// Regular open.
    pub open: DateTime<Utc>,
    /// Regular close (13:00 ET on early-close days).
    pub close: DateTime<Utc>,
}

/// The regular close on a normal day.
const NORMAL_CLOSE: NaiveTime = NaiveTime::from_hms_opt(16, 0, 0).expect("valid time");

impl Session {
    /// A session from the calendar's New York wall-clock open and close.
    pub fn new(date: NaiveDate, open: NaiveTime, close: NaiveTime) -> Session {
        Session {
            date: SessionDate::new(date),
            open: new_york(date, open),
            close: new_york(date, close),
        }
    }

    /// Whether the session closes before 16:00 ET.
    pub fn early_close(&self) -> bool {
        self.close < new_york(self.date.date(), NORMAL_CLOSE)
    }

    /// Where `now` falls relative to this session.
    pub fn phase(&self, now: DateTime<Utc>) -> Phase {
        if now < self.open {
            Phase::BeforeOpen
        } else if now < self.close {
            Phase::Open
        } else {
            Phase::Closed
        }
    }
}

/// Where a moment falls relative to a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Before the regular open.
    BeforeOpen,
    /// During regular hours.
    Open,
    /// After the regular close.
    Closed,
}

/// What today is, by the market's calendar.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Today {
    /// A session.
    Session(Session),
    /// No session, and why.
    NoSession {
        /// Today's New York date.
        date: SessionDate,
        /// Why the market is closed.
        reason: NoSessionReason,
    },
}

/// Why a date has no session (serialized as its sentence).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoSessionReason {
    /// Saturday or Sunday.
    Weekend,
    /// A weekday holiday; the name when NYSE's rules give one.
    Holiday(Option<&'static str>),
}

impl Serialize for NoSessionReason {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl fmt::Display for NoSessionReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NoSessionReason::Weekend => f.write_str("weekend"),
            NoSessionReason::Holiday(Some(name)) => write!(f, "market holiday: {name}"),
            NoSessionReason::Holiday(None) => f.write_str("market closed (holiday)"),
        }
    }
}

/// Today's New York date by the market clock.
pub fn market_date(now: DateTime<Utc>) -> SessionDate {
    SessionDate::new(now.with_timezone(&New_York).date_naive())
}

/// Today's session, if the calendar lists one for the market clock's date.
pub fn today(now: DateTime<Utc>, calendar: &[Session]) -> Today {
    let date = market_date(now);
    if let Some(s) = calendar.iter().find(|s| s.date == date) {
        return Today::Session(*s);
    }
    let d = date.date();
    let reason = if matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
        NoSessionReason::Weekend
    } else {
        NoSessionReason::Holiday(holiday_name(d))
    };
    Today::NoSession { date, reason }
}

/// The latest session that has closed by `now` (`sessions` in any order).
pub fn last_completed(now: DateTime<Utc>, sessions: &[Session]) -> Option<Session> {
    sessions
        .iter()
        .filter(|s| s.close <= now)
        .max_by_key(|s| s.date)
        .copied()
}

/// The latest session strictly before `date`.
pub fn previous_session(date: SessionDate, sessions: &[Session]) -> Option<Session> {
    sessions
        .iter()
        .filter(|s| s.date < date)
        .max_by_key(|s| s.date)
        .copied()
}

/// The last `n` sessions strictly before `date` (`sessions` in any order), oldest first: a
/// lookback window.
pub fn sessions_before(date: SessionDate, sessions: &[Session], n: u32) -> Vec<SessionDate> {
    let mut before: Vec<SessionDate> = sessions
        .iter()
        .map(|s| s.date)
        .filter(|d| *d < date)
        .collect();
    before.sort();
    before.dedup();
    before.split_off(before.len().saturating_sub(n as usize))
}

/// Calendar days that surely hold `n` sessions (about 252 a year, holidays included), for
/// asking the calendar about a window of `n` sessions.
pub fn calendar_days_for(n: u32) -> chrono::Days {
    chrono::Days::new(u64::from(n) * 7 / 5 + 30)
}

/// The name of the NYSE holiday observed on `date`, by the exchange's standing rules.
///
/// Only used to say *why* there is no session; Alpaca's calendar decides *whether* there is one
/// (special closures, such as a national day of mourning, have no rule and so no name here).
pub fn holiday_name(date: NaiveDate) -> Option<&'static str> {
    let y = date.year();
    let nth = |month, weekday, n| NaiveDate::from_weekday_of_month_opt(y, month, weekday, n);
    let last_monday_of_may = (1..=5)
        .rev()
        .find_map(|n| nth(5, Weekday::Mon, n))
        .expect("May has a Monday");
    // Saturday holidays move to Friday, Sunday ones to Monday; New Year's Day never moves back a year.
    let observed = |month, day| {
        let d = NaiveDate::from_ymd_opt(y, month, day)?;
        match d.weekday() {
            Weekday::Sat if month == 1 => None,
            Weekday::Sat => d.pred_opt(),
            Weekday::Sun => d.succ_opt(),
            _ => Some(d),
        }
    };
    let rules: [(Option<NaiveDate>, &'static str); 10] = [
        (observed(1, 1), "New Year's Day"),
        (nth(1, Weekday::Mon, 3), "Martin Luther King Jr. Day"),
        (nth(2, Weekday::Mon, 3), "Washington's Birthday"),
        (
            easter(y).and_then(|e| e.checked_sub_days(chrono::Days::new(2))),
            "Good Friday",
        ),
        (Some(last_monday_of_may), "Memorial Day"),
        (if y >= 2022 { observed(6, 19) } else { None }, "Juneteenth"),
        (observed(7, 4), "Independence Day"),
        (nth(9, Weekday::Mon, 1), "Labor Day"),
        (nth(11, Weekday::Thu, 4), "Thanksgiving Day"),
        (observed(12, 25), "Christmas Day"),
    ];
    rules
        .into_iter()
        .find(|(d, _)| *d == Some(date))
        .map(|(_, name)| name)
}

/// Easter Sunday (Gregorian), by the anonymous computus.
fn easter(y: i32) -> Option<NaiveDate> {
    let a = y % 19;
    let b = y / 100;
    let c = y % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(y, month as u32, day as u32)
}

/// A New York wall-clock time on `date`, as UTC (DST-aware).
pub fn new_york(date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    New_York
        .from_local_datetime(&date.and_time(time))
        .earliest()
        .expect("market hours never fall in a DST gap")
        .with_timezone(&Utc)
}

/// When the market date `date` begins: midnight in New York, as UTC.
pub fn day_start(date: SessionDate) -> DateTime<Utc> {
    new_york(date.date(), NaiveTime::MIN)
}

/// Alpaca's last moment for `opg` orders on `date`: 09:28 New York time (it refuses them from
/// then until 19:00).
pub fn opg_cutoff(date: SessionDate) -> DateTime<Utc> {
    new_york(
        date.date(),
        NaiveTime::from_hms_opt(9, 28, 0).expect("valid time"),
    )
}

/// A moment in America/Chicago, where the operator and the timers live.
pub fn chicago(t: DateTime<Utc>) -> DateTime<Tz> {
    t.with_timezone(&Chicago)
}

/// `Mon 2026-11-30 08:30 CST`.
pub fn fmt_chicago(t: DateTime<Utc>) -> String {
    chicago(t).format("%a %Y-%m-%d %H:%M %Z").to_string()
}

/// When a passing preflight is due on a session day: 07:45 CT, fifteen minutes after its timer.
pub fn preflight_deadline(date: SessionDate) -> DateTime<Utc> {
    let t = NaiveTime::from_hms_opt(7, 45, 0).expect("valid time");
    Chicago
        .from_local_datetime(&date.date().and_time(t))
        .earliest()
        .expect("07:45 is never in a DST gap")
        .with_timezone(&Utc)
}

/// This machine's clock minus the server's, from one HTTP exchange.
///
/// The `Date` header has one-second resolution and is stamped somewhere between sending and
/// receiving, so the server's time is taken as the header plus half a second, against the
/// midpoint of the exchange on the local clock.
pub fn clock_skew(
    server_date: DateTime<Utc>,
    sent: DateTime<Utc>,
    received: DateTime<Utc>,
) -> Duration {
    let local_mid = sent + (received - sent) / 2;
    local_mid - (server_date + Duration::milliseconds(500))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_lookback_window_is_the_last_sessions_before_today() {
        let t = NaiveTime::from_hms_opt(9, 30, 0).unwrap();
        let c = NaiveTime::from_hms_opt(16, 0, 0).unwrap();
        let cal: Vec<Session> = ["2026-11-30", "2026-11-24", "2026-11-25", "2026-11-27"]
            .iter()
            .map(|s| Session::new(d(s), t, c))
            .collect();
        let w = sessions_before(SessionDate::new(d("2026-11-30")), &cal, 2);
        let w: Vec<String> = w.iter().map(ToString::to_string).collect();
        assert_eq!(w, ["2026-11-25", "2026-11-27"]);
        assert_eq!(
            sessions_before(SessionDate::new(d("2026-11-30")), &cal, 9).len(),
            3
        );
        // 400 sessions fit in the days asked for, with room for holidays.
        let days = calendar_days_for(400);
        assert!(d("2026-11-30") - days < d("2025-05-01"), "{days:?}");
    }
    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }
    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn a_market_day_starts_at_new_york_midnight_in_either_offset() {
        let winter = SessionDate::new(d("2026-11-30"));
        let summer = SessionDate::new(d("2027-10-18"));
        assert_eq!(day_start(winter), utc("2026-11-30T05:00:00Z"));
        assert_eq!(day_start(summer), utc("2027-10-18T04:00:00Z"));
    }

    #[test]
    fn holiday_rules_name_the_2026_and_2027_holidays() {
        let cases = [
            ("2026-01-01", "New Year's Day"),
            ("2026-01-19", "Martin Luther King Jr. Day"),
            ("2026-02-16", "Washington's Birthday"),
            ("2026-04-03", "Good Friday"),
            ("2026-05-25", "Memorial Day"),
            ("2026-06-19", "Juneteenth"),
            ("2026-07-03", "Independence Day"),
            ("2026-09-07", "Labor Day"),
            ("2026-11-26", "Thanksgiving Day"),
            ("2026-12-25", "Christmas Day"),
            ("2027-03-26", "Good Friday"),
            ("2027-06-18", "Juneteenth"),
            ("2027-07-05", "Independence Day"),
            ("2027-12-24", "Christmas Day"),
            ("2024-03-29", "Good Friday"),
            ("2025-04-18", "Good Friday"),
        ];
        for (date, name) in cases {
            assert_eq!(holiday_name(d(date)), Some(name), "{date}");
        }
        assert_eq!(holiday_name(d("2026-11-27")), None);
        // 2022-01-01 was a Saturday: NYSE did not close on Friday 2021-12-31.
        assert_eq!(holiday_name(d("2021-12-31")), None);
    }

    #[test]
    fn sessions_convert_new_york_wall_time_across_dst() {
        let summer = Session::new(d("2026-07-14"), t(9, 30), t(16, 0));
        assert_eq!(summer.open, utc("2026-07-14T13:30:00Z"));
        let winter = Session::new(d("2026-11-27"), t(9, 30), t(13, 0));
        assert_eq!(winter.open, utc("2026-11-27T14:30:00Z"));
        assert_eq!(winter.close, utc("2026-11-27T18:00:00Z"));
        assert!(winter.early_close());
        assert!(!summer.early_close());
    }

    #[test]
    fn today_uses_the_new_york_date_of_the_market_clock() {
        let cal = [Session::new(d("2026-11-27"), t(9, 30), t(13, 0))];
        // 00:30 UTC on the 28th is still the 27th in New York.
        assert!(matches!(
            today(utc("2026-11-28T00:30:00Z"), &cal),
            Today::Session(_)
        ));
        let thanksgiving = today(utc("2026-11-26T14:00:00Z"), &cal);
        assert_eq!(
            thanksgiving,
            Today::NoSession {
                date: SessionDate::new(d("2026-11-26")),
                reason: NoSessionReason::Holiday(Some("Thanksgiving Day")),
            }
        );
        let saturday = today(utc("2026-11-28T15:00:00Z"), &cal);
        assert!(matches!(
            saturday,
            Today::NoSession {
                reason: NoSessionReason::Weekend,
                ..
            }
        ));
    }

    #[test]
    fn last_completed_and_previous_sessions() {
        let cal = [
            Session::new(d("2026-11-25"), t(9, 30), t(16, 0)),
            Session::new(d("2026-11-27"), t(9, 30), t(13, 0)),
            Session::new(d("2026-11-30"), t(9, 30), t(16, 0)),
        ];
        let at = |s: &str| last_completed(utc(s), &cal).map(|x| x.date.to_string());
        assert_eq!(at("2026-11-27T17:59:00Z").as_deref(), Some("2026-11-25"));
        assert_eq!(at("2026-11-27T18:00:00Z").as_deref(), Some("2026-11-27"));
        assert_eq!(at("2026-11-30T14:00:00Z").as_deref(), Some("2026-11-27"));
        assert_eq!(at("2026-11-20T14:00:00Z"), None);
        let prev = previous_session(SessionDate::new(d("2026-11-30")), &cal).unwrap();
        assert_eq!(prev.date.to_string(), "2026-11-27");
    }

    #[test]
    fn phase_and_preflight_deadline() {
        let s = Session::new(d("2026-11-30"), t(9, 30), t(16, 0));
        assert_eq!(s.phase(utc("2026-11-30T14:00:00Z")), Phase::BeforeOpen);
        assert_eq!(s.phase(utc("2026-11-30T14:30:00Z")), Phase::Open);
        assert_eq!(s.phase(utc("2026-11-30T21:00:00Z")), Phase::Closed);
        assert_eq!(preflight_deadline(s.date), utc("2026-11-30T13:45:00Z"));
        assert_eq!(fmt_chicago(s.open), "Mon 2026-11-30 08:30 CST");
    }

    #[test]
    fn skew_is_local_minus_server() {
        let sent = utc("2026-11-30T14:00:10Z");
        let received = sent + Duration::milliseconds(20);
        let server = utc("2026-11-30T14:00:00Z");
        let skew = clock_skew(server, sent, received);
        assert_eq!(skew, Duration::milliseconds(9_510));
    }
}
