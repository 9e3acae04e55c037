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
        exp / 2 + exp.mul_f64(unit_random.clamp(0.0, 1.0) / 2.0)
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
