//! `aurora alert --unit NAME`: what a failed unit's `OnFailure=` runs — a message to a webhook.

use std::time::Duration;

use chrono::Utc;
use serde::Serialize;
use tracing::info;

use super::Report;
use crate::exit::Exit;
use crate::systemctl;
use crate::types::SessionDate;

/// The message posted: Slack reads `text`, Discord `content`; the rest is for machines.
#[derive(Clone, Debug, Serialize)]
pub struct AlertMessage {
    /// One line for chat.
    pub text: String,
    /// The same, for Discord.
    pub content: String,
    /// The failed unit.
    pub unit: String,
    /// This machine.
    pub host: String,
    /// When (UTC, RFC 3339).
    pub time: String,
    /// The unit's last journal lines, when the journal could be read.
    pub logs: Vec<String>,
}

/// What `alert` did.
#[derive(Clone, Debug, Serialize)]
pub struct AlertReport {
    /// The message.
    pub message: AlertMessage,
    /// Whether a webhook took it.
    pub sent: bool,
    /// Why not, when not.
    pub note: Option<String>,
}

impl Report for AlertReport {
    fn exit(&self) -> Exit {
        Exit::Ok
    }

    fn session(&self) -> Option<SessionDate> {
        None
    }

    fn render(&self) -> String {
        match (&self.sent, &self.note) {
            (true, _) => format!("alert sent: {}", self.message.text),
            (false, Some(note)) => format!("alert not sent ({note}): {}", self.message.text),
            (false, None) => format!("alert not sent: {}", self.message.text),
        }
    }
}

/// Builds the message and posts it to `webhook` (when there is one) with a 10-second timeout.
pub async fn run(unit: &str, webhook: Option<reqwest::Url>) -> anyhow::Result<AlertReport> {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "unknown-host".into());
    let logs = systemctl::last_log_lines(unit, 20).unwrap_or_default();
    let text = format!("⚠️ Aurora: {unit} failed on {host}");
    let message = AlertMessage {
        content: text.clone(),
        text,
        unit: unit.to_owned(),
        host,
        time: Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        logs,
    };
    let Some(url) = webhook else {
        info!(%unit, "AURORA_ALERT_WEBHOOK is not set: nowhere to send the alert");
        return Ok(AlertReport {
            message,
            sent: false,
            note: Some("AURORA_ALERT_WEBHOOK is not set".into()),
        });
    };
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .user_agent(concat!("aurora/", env!("CARGO_PKG_VERSION")))
        .build()?;
    // The webhook URL is a secret of sorts (anyone with it can post): errors name only its host.
    let host = url.host_str().unwrap_or("the webhook").to_owned();
    let response = client
        .post(url)
        .json(&message)
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("cannot reach {host}: {}", e.without_url()))?;
    let status = response.status();
    if !status.is_success() {
        anyhow::bail!("{host} answered HTTP {status} to the alert");
    }
    info!(%unit, "alert sent");
    Ok(AlertReport {
        message,
        sent: true,
        note: None,
    })
}
