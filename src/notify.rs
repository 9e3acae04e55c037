//! Webhook notifications (alerts, the daily summary): one message rendered in each chat
//! service's own format, posted with a bounded number of retries. The port to the operator's
//! chat, as `alpaca` is the port to the broker.

mod format;

use std::time::Duration;

use reqwest::StatusCode;
use tracing::warn;

pub use format::{Format, Message, Severity, request};

/// Attempts per notification, the first included.
pub const MAX_ATTEMPTS: u32 = 3;
/// Each attempt's timeout; with the waits, well inside the alert unit's one minute.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest wait between attempts, whatever a server's `Retry-After` asks.
const MAX_WAIT: Duration = Duration::from_secs(10);

/// How a notification went.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Delivery {
    /// The webhook's host (the URL itself may hold a token: it is never shown).
    pub host: String,
    /// The format it was sent in.
    pub format: Format,
    /// Attempts made.
    pub attempts: u32,
    /// Whether the service took it.
    pub sent: bool,
    /// Why not, when not (the last attempt's error).
    pub error: Option<String>,
}

/// Posts `message` to `url` in `format`: up to [`MAX_ATTEMPTS`] tries on a connection error,
/// a 429 or a 5xx, waiting between them (a server's `Retry-After`, capped); each failure is
/// logged. A 4xx other than 429 is not retried: the same request would fail again.
pub async fn send(url: &reqwest::Url, format: Format, message: &Message) -> Delivery {
    send_with(url, format, message, Duration::from_secs(1)).await
}

/// [`send`] with the first retry's wait (doubling after it); tests shorten it.
pub async fn send_with(
    url: &reqwest::Url,
    format: Format,
    message: &Message,
    first_wait: Duration,
) -> Delivery {
    let host = url.host_str().unwrap_or("the webhook").to_owned();
    let mut delivery = Delivery {
        host: host.clone(),
        format,
        attempts: 0,
        sent: false,
        error: None,
    };
    let req = match request(format, url, message) {
        Ok(r) => r,
        Err(e) => {
            delivery.error = Some(e);
            return delivery;
        }
    };
    let client = match reqwest::Client::builder()
        .timeout(ATTEMPT_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("aurora/", env!("CARGO_PKG_VERSION")))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            delivery.error = Some(e.to_string());
            return delivery;
        }
    };
    let mut wait = first_wait;
    loop {
        delivery.attempts += 1;
        let mut builder = client.post(req.url.clone());
        for (name, value) in &req.headers {
            builder = builder.header(*name, value);
        }
        let format::Body::Json(body) = &req.body;
        let builder = builder.json(body);
        let (error, retry, hint) = match builder.send().await {
            Ok(resp) if resp.status().is_success() => {
                delivery.sent = true;
                delivery.error = None;
                return delivery;
            }
            Ok(resp) => {
                let status = resp.status();
                let hint = resp
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs);
                let body: String = resp
                    .text()
                    .await
                    .unwrap_or_default()
                    .chars()
                    .take(200)
                    .collect();
                let retry = status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error();
                (
                    format!("{host} answered HTTP {status}: {}", body.trim()),
                    retry,
                    hint,
                )
            }
            // The error's URL may hold the webhook's token: only the host is named.
            Err(e) => (
                format!("cannot reach {host}: {}", e.without_url()),
                true,
                None,
            ),
        };
        delivery.error = Some(error.clone());
        if !retry || delivery.attempts >= MAX_ATTEMPTS {
            warn!(
                attempts = delivery.attempts,
                "notification to {host} failed: {error}"
            );
            return delivery;
        }
        let delay = hint.unwrap_or(wait).min(MAX_WAIT);
        warn!(
            attempt = delivery.attempts,
            "notification to {host} failed ({error}); retrying in {delay:?}"
        );
        tokio::time::sleep(delay).await;
        wait = wait.saturating_mul(2);
    }
}
