//! `SessionDate`: a market date in America/New_York.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A trading-calendar date (the New York date a session belongs to), shown as `YYYY-MM-DD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SessionDate(NaiveDate);

impl SessionDate {
    /// Wraps a calendar date.
    pub fn new(date: NaiveDate) -> Self {
        SessionDate(date)
    }

    /// The calendar date.
    pub fn date(self) -> NaiveDate {
        self.0
    }
}

impl From<NaiveDate> for SessionDate {
    fn from(date: NaiveDate) -> Self {
        SessionDate(date)
    }
}

impl FromStr for SessionDate {
    type Err = chrono::ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").map(SessionDate)
    }
}

impl fmt::Display for SessionDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // NaiveDate shows itself as ISO 8601, YYYY-MM-DD, without a format string to parse.
        fmt::Display::fmt(&self.0, f)
    }
}
