//! `GET /v2/calendar`.

use chrono::{NaiveDate, NaiveTime};
use serde::{Deserialize, Deserializer, Serialize};

use crate::market::Session;

/// One trading day; times are New York wall-clock without a zone.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct CalendarDay {
    /// The date.
    pub date: NaiveDate,
    /// Regular open, `HH:MM`.
    #[serde(deserialize_with = "hh_mm")]
    pub open: NaiveTime,
    /// Regular close, `HH:MM` (`13:00` on early-close days).
    #[serde(deserialize_with = "hh_mm")]
    pub close: NaiveTime,
    /// Extended session start, `HHMM`.
    #[serde(default)]
    pub session_open: Option<String>,
    /// Extended session end, `HHMM`.
    #[serde(default)]
    pub session_close: Option<String>,
    /// Settlement date of trades made that day.
    #[serde(default)]
    pub settlement_date: Option<NaiveDate>,
}

impl CalendarDay {
    /// The regular session this day holds.
    pub fn session(&self) -> Session {
        Session::new(self.date, self.open, self.close)
    }
}

fn hh_mm<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveTime, D::Error> {
    let s = String::deserialize(d)?;
    NaiveTime::parse_from_str(&s, "%H:%M").map_err(serde::de::Error::custom)
}
