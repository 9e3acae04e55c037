//! The NYSE calendar the fake serves: real sessions 2024–2027, holidays and early closes.
//!
//! A table, not rules, so that the fake stays an independent witness of Aurora's own
//! holiday logic. Source: NYSE's published holiday and early-close schedules.

use chrono::{Datelike, Days, NaiveDate, NaiveTime, Timelike, Weekday};

/// First and last year the table covers.
pub const YEARS: std::ops::RangeInclusive<i32> = 2024..=2027;

/// Weekday full-day closures.
const HOLIDAYS: &[&str] = &[
    // 2024
    "2024-01-01",
    "2024-01-15",
    "2024-02-19",
    "2024-03-29",
    "2024-05-27",
    "2024-06-19",
    "2024-07-04",
    "2024-09-02",
    "2024-11-28",
    "2024-12-25",
    // 2025 (01-09: national day of mourning for President Carter)
    "2025-01-01",
    "2025-01-09",
    "2025-01-20",
    "2025-02-17",
    "2025-04-18",
    "2025-05-26",
    "2025-06-19",
    "2025-07-04",
    "2025-09-01",
    "2025-11-27",
    "2025-12-25",
    // 2026
    "2026-01-01",
    "2026-01-19",
    "2026-02-16",
    "2026-04-03",
    "2026-05-25",
    "2026-06-19",
    "2026-07-03",
    "2026-09-07",
    "2026-11-26",
    "2026-12-25",
    // 2027
    "2027-01-01",
    "2027-01-18",
    "2027-02-15",
    "2027-03-26",
    "2027-05-31",
    "2027-06-18",
    "2027-07-05",
    "2027-09-06",
    "2027-11-25",
    "2027-12-24",
];

/// Sessions that close at 13:00 ET.
const EARLY_CLOSES: &[&str] = &[
    "2024-07-03",
    "2024-11-29",
    "2024-12-24",
    "2025-07-03",
    "2025-11-28",
    "2025-12-24",
    "2026-11-27",
    "2026-12-24",
    "2027-11-26",
];

/// One trading day as the fake serves it (New York wall-clock times).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Day {
    /// Date.
    pub date: NaiveDate,
    /// Regular open.
    pub open: NaiveTime,
    /// Regular close.
    pub close: NaiveTime,
}

impl Day {
    /// Extended-hours session close, `HHMM`.
    pub fn session_close(&self) -> &'static str {
        if self.close.hour() < 16 {
            "1700"
        } else {
            "2000"
        }
    }
}

fn listed(table: &[&str], date: NaiveDate) -> bool {
    let text = date.format("%Y-%m-%d").to_string();
    table.contains(&text.as_str())
}

/// The session on `date`, if the market trades that day.
pub fn session(date: NaiveDate) -> Option<Day> {
    if !YEARS.contains(&date.year())
        || matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
        || listed(HOLIDAYS, date)
    {
        return None;
    }
    let hm = |h, m| NaiveTime::from_hms_opt(h, m, 0).expect("valid time");
    let close = if listed(EARLY_CLOSES, date) {
        hm(13, 0)
    } else {
        hm(16, 0)
    };
    Some(Day {
        date,
        open: hm(9, 30),
        close,
    })
}

/// Sessions in `start..=end`, clipped to the table's years.
pub fn sessions(start: NaiveDate, end: NaiveDate) -> Vec<Day> {
    let first = start.max(NaiveDate::from_ymd_opt(*YEARS.start(), 1, 1).expect("valid date"));
    let last = end.min(NaiveDate::from_ymd_opt(*YEARS.end(), 12, 31).expect("valid date"));
    first
        .iter_days()
        .take_while(|d| *d <= last)
        .filter_map(session)
        .collect()
}

/// The first session strictly after `date` (settlement is T+1).
pub fn next_session_after(date: NaiveDate) -> Option<Day> {
    let mut d = date.checked_add_days(Days::new(1))?;
    while YEARS.contains(&d.year()) {
        if let Some(s) = session(d) {
            return Some(s);
        }
        d = d.checked_add_days(Days::new(1))?;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn counts_match_nyse_trading_days() {
        // NYSE trading days: 252 in 2024, 250 in 2025 (Carter closure), 251 in 2026, 251 in 2027.
        for (year, days) in [(2024, 252), (2025, 250), (2026, 251), (2027, 251)] {
            let n = sessions(d(&format!("{year}-01-01")), d(&format!("{year}-12-31"))).len();
            assert_eq!(n, days, "{year}");
        }
    }

    #[test]
    fn holidays_weekends_and_early_closes() {
        assert_eq!(session(d("2026-11-26")), None);
        assert_eq!(session(d("2026-11-28")), None);
        assert_eq!(session(d("2026-11-27")).unwrap().session_close(), "1700");
        assert_eq!(session(d("2026-11-30")).unwrap().session_close(), "2000");
        assert_eq!(
            next_session_after(d("2026-11-25")).unwrap().date,
            d("2026-11-27")
        );
    }
}
