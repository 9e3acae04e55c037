//! `GET /v2/clock`.

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};

/// The market clock: Aurora's "now" for every market decision.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Clock {
    /// The market's current time (New York offset).
    pub timestamp: DateTime<FixedOffset>,
    /// Regular session open now.
    pub is_open: bool,
    /// Next regular open.
    pub next_open: DateTime<FixedOffset>,
    /// Next regular close.
    pub next_close: DateTime<FixedOffset>,
}

impl Clock {
    /// The clock's time in UTC.
    pub fn now(&self) -> DateTime<Utc> {
        self.timestamp.with_timezone(&Utc)
    }
}
