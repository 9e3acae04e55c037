//! When and how long to wait before retrying an idempotent request (pure).

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::{HeaderMap, RETRY_AFTER};

use crate::config::AlpacaSettings;

/// Retry limits for idempotent requests.
#[derive(Clone, Copy, Debug)]
pub struct RetryPolicy {
    /// Attempts, the first included.
    pub max_attempts: u32,
    /// Delay before the first retry; doubles each time.
    pub base: Duration,
    /// Longest single backoff.
    pub max_backoff: Duration,
    /// Total time across attempts.
    pub deadline: Duration,
}

impl RetryPolicy {
    /// From `[alpaca]` settings.
    pub fn from_settings(s: &AlpacaSettings) -> RetryPolicy {
        RetryPolicy {
            max_attempts: s.max_attempts,
            base: Duration::from_millis(s.retry_base_ms),
            max_backoff: Duration::from_secs(8),
            deadline: Duration::from_secs(s.retry_deadline_secs),
        }
    }

    /// Backoff after failed attempt `attempt` (1-based): half fixed, half random ("equal jitter"),
    /// so concurrent clients spread out without ever retrying instantly.
    pub fn backoff(&self, attempt: u32, unit_random: f64) -> Duration {
        let exp = self
            .base
            .saturating_mul(1u32 << (attempt.saturating_sub(1)).min(16))
            .min(self.max_backoff);
        let unit = if unit_random.is_finite() {
            unit_random.clamp(0.0, 1.0)
        } else {
            0.0
        };
        exp / 2 + exp.mul_f64(unit / 2.0)
    }

    /// How long to wait before the next attempt, after failed attempt `attempt` (1-based) and
    /// `elapsed` since the first: the server's `hint` if it gave one, else the backoff. `None`
    /// when the wait would end past the deadline: a server asking for longer than is left is
    /// not waited for (the job exits 75 and systemd retries later).
    pub fn next_delay(
        &self,
        attempt: u32,
        elapsed: Duration,
        hint: Option<Duration>,
        unit_random: f64,
    ) -> Option<Duration> {
        let left = self.deadline.checked_sub(elapsed)?;
        let delay = hint.unwrap_or_else(|| self.backoff(attempt, unit_random));
        (delay <= left).then_some(delay)
    }
}

/// How long the server asked us to wait: `Retry-After` (seconds or an HTTP date), else
/// `X-RateLimit-Reset` (unix seconds) when the remaining budget is spent or the answer was 429.
pub fn server_wait_hint(
    headers: &HeaderMap,
    now: DateTime<Utc>,
    rate_limited: bool,
) -> Option<Duration> {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(v) = text(RETRY_AFTER.as_str()) {
        if let Ok(secs) = v.parse::<u64>() {
            return Some(Duration::from_secs(secs));
        }
        if let Ok(at) = httpdate::parse_http_date(v) {
            let at: DateTime<Utc> = at.into();
            return Some((at - now).to_std().unwrap_or(Duration::ZERO));
        }
    }
    let spent = text("x-ratelimit-remaining").is_some_and(|v| v == "0");
    if rate_limited || spent {
        let reset = text("x-ratelimit-reset")?.parse::<i64>().ok()?;
        let at = DateTime::<Utc>::from_timestamp(reset, 0)?;
        return Some((at - now).to_std().unwrap_or(Duration::ZERO));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use reqwest::header::HeaderValue;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 4,
            base: Duration::from_millis(200),
            max_backoff: Duration::from_secs(1),
            deadline: Duration::from_secs(30),
        }
    }

    #[test]
    fn backoff_doubles_with_bounded_jitter() {
        let p = policy();
        assert_eq!(p.backoff(1, 0.0), Duration::from_millis(100));
        assert_eq!(p.backoff(1, 1.0), Duration::from_millis(200));
        assert_eq!(p.backoff(2, 0.0), Duration::from_millis(200));
        assert_eq!(p.backoff(3, 1.0), Duration::from_millis(800));
        assert_eq!(p.backoff(9, 1.0), Duration::from_secs(1), "capped");
    }

    #[test]
    fn a_wait_past_the_deadline_gives_up_instead_of_overflowing() {
        let p = policy();
        let second = Duration::from_secs(1);
        assert_eq!(
            p.next_delay(1, second, None, 0.0),
            Some(Duration::from_millis(100))
        );
        assert_eq!(
            p.next_delay(1, second, Some(Duration::from_secs(29)), 0.0),
            Some(Duration::from_secs(29))
        );
        assert_eq!(
            p.next_delay(1, second, Some(Duration::from_secs(30)), 0.0),
            None
        );
        assert_eq!(p.next_delay(1, second, Some(Duration::MAX), 0.0), None);
        assert_eq!(p.next_delay(1, Duration::from_secs(31), None, 0.0), None);
        let mut h = HeaderMap::new();
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_static("18446744073709551615"),
        );
        let now: DateTime<Utc> = "2026-11-30T14:00:00Z".parse().unwrap();
        let hint = server_wait_hint(&h, now, true);
        assert_eq!(p.next_delay(2, second, hint, 0.5), None);
    }

    /// Header values a server (or something pretending to be one) might send.
    fn header_text() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<u64>().prop_map(|v| v.to_string()),
            any::<i64>().prop_map(|v| v.to_string()),
            (0i64..253_402_300_799).prop_map(|s| {
                let t = std::time::UNIX_EPOCH + Duration::from_secs(s as u64);
                httpdate::fmt_http_date(t)
            }),
            "[ -~]{0,40}",
            "[0-9]{1,40}",
        ]
    }

    proptest! {
        /// Whatever the headers, the clock or the settings say, nothing panics and no wait ends
        /// past the deadline.
        #[test]
        fn server_waits_never_panic_and_never_pass_the_deadline(
            retry_after in proptest::option::of(header_text()),
            reset in proptest::option::of(header_text()),
            remaining in proptest::option::of(header_text()),
            rate_limited in any::<bool>(),
            now_secs in -8_000_000_000_000i64..8_000_000_000_000,
            attempt in any::<u32>(),
            elapsed_ms in any::<u64>(),
            unit_random in any::<f64>(),
            base_ms in any::<u64>(),
            deadline_secs in any::<u64>(),
        ) {
            let mut h = HeaderMap::new();
            for (name, value) in [("retry-after", retry_after), ("x-ratelimit-reset", reset), ("x-ratelimit-remaining", remaining)] {
                if let Some(v) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
                    h.insert(name, v);
                }
            }
            let now = DateTime::<Utc>::from_timestamp(now_secs, 0).unwrap_or_default();
            let hint = server_wait_hint(&h, now, rate_limited);
            let p = RetryPolicy {
                max_attempts: 4,
                base: Duration::from_millis(base_ms),
                max_backoff: Duration::from_secs(8),
                deadline: Duration::from_secs(deadline_secs),
            };
            let elapsed = Duration::from_millis(elapsed_ms);
            if let Some(delay) = p.next_delay(attempt, elapsed, hint, unit_random) {
                prop_assert!(elapsed.checked_add(delay).is_some_and(|end| end <= p.deadline));
            }
        }
    }

    #[test]
    fn honours_retry_after_then_rate_limit_reset() {
        let now: DateTime<Utc> = "2026-11-30T14:00:00Z".parse().unwrap();
        let mut h = HeaderMap::new();
        h.insert(
            "x-ratelimit-reset",
            HeaderValue::from_str(&(now.timestamp() + 3).to_string()).unwrap(),
        );
        assert_eq!(
            server_wait_hint(&h, now, true),
            Some(Duration::from_secs(3))
        );
        assert_eq!(server_wait_hint(&h, now, false), None, "budget not spent");
        h.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
        assert_eq!(
            server_wait_hint(&h, now, false),
            Some(Duration::from_secs(3))
        );
        h.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(
            server_wait_hint(&h, now, true),
            Some(Duration::from_secs(7))
        );
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Mon, 30 Nov 2026 14:00:05 GMT"),
        );
        assert_eq!(
            server_wait_hint(&h, now, true),
            Some(Duration::from_secs(5))
        );
    }
}
