//! The fake's market clock: set by tests, ticking with real time unless frozen.

use std::time::Instant;

use chrono::{DateTime, Utc};

/// A settable clock.
#[derive(Clone, Debug)]
pub struct SimClock {
    anchor: DateTime<Utc>,
    set_at: Instant,
    frozen: bool,
}

impl SimClock {
    /// A clock showing `now`, ticking from there.
    pub fn new(now: DateTime<Utc>) -> SimClock {
        SimClock {
            anchor: now,
            set_at: Instant::now(),
            frozen: false,
        }
    }

    /// The fake market's current time.
    pub fn now(&self) -> DateTime<Utc> {
        if self.frozen {
            self.anchor
        } else {
            let elapsed = chrono::Duration::from_std(self.set_at.elapsed()).unwrap_or_default();
            self.anchor + elapsed
        }
    }

    /// Whether the clock is stopped.
    pub fn frozen(&self) -> bool {
        self.frozen
    }

    /// Jumps to `now`; `frozen` stops it there.
    pub fn set(&mut self, now: DateTime<Utc>, frozen: bool) {
        *self = SimClock {
            anchor: now,
            set_at: Instant::now(),
            frozen,
        };
    }
}
