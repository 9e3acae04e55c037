//! The opt-in daily summary (`report.notify = true`): at the end of eod, the day's equity,
//! P&L and return, orders and fills, and discrepancies, through the alert webhook.

use rust_decimal::Decimal;
use serde::Serialize;
use tracing::{info, warn};

use super::eod::{EodReport, Fate, SessionReport};
use crate::notify::{self, Delivery, Format, Message, Severity};
use crate::types::{Money, SessionDate};

/// The summary's facts (the `json` format posts them).
#[derive(Clone, Debug, Serialize)]
pub struct DailySummary {
    /// The session.
    pub session: SessionDate,
    /// Equity at the close.
    pub equity: Money,
    /// Equity minus the previous close's.
    pub day_pnl: Money,
    /// The day's return, percent of the previous close's equity.
    pub day_return_pct: Option<Decimal>,
    /// Orders planned for the day.
    pub orders: usize,
    /// Of them, filled in full.
    pub filled: usize,
    /// Fills (executions) of Aurora's orders.
    pub fills: usize,
    /// Position discrepancies, one line each.
    pub discrepancies: Vec<String>,
    /// This machine.
    pub host: String,
}

/// The summary of one reconciled session of an eod report.
pub fn summary(day: &SessionReport, host: &str) -> DailySummary {
    DailySummary {
        session: day.session,
        equity: day.account.equity,
        day_pnl: day.pnl.day,
        // The eod report's own figure (its stats block), as a percentage.
        day_return_pct: day
            .stats
            .day_return
            .and_then(|r| Decimal::try_from(r * 100.0).ok())
            .map(|p| p.round_dp(2)),
        orders: day.orders.len(),
        filled: day.orders.iter().filter(|o| o.fate == Fate::Filled).count(),
        fills: day.fills.len(),
        discrepancies: day
            .discrepancies
            .iter()
            .map(|d| {
                format!(
                    "{}: expected {}, Alpaca holds {}",
                    d.symbol,
                    d.expected.normalize(),
                    d.actual.normalize()
                )
            })
            .collect(),
        host: host.to_owned(),
    }
}

/// The summary as a chat message.
pub fn message(s: &DailySummary) -> Message {
    let ret = s
        .day_return_pct
        .map(|p| format!(" ({}{p}%)", if p.is_sign_negative() { "" } else { "+" }))
        .unwrap_or_default();
    let mut lines = vec![
        format!("equity {}  day {}{ret}", s.equity, s.day_pnl.signed()),
        format!(
            "orders {} ({} filled), {} fill(s)",
            s.orders, s.filled, s.fills
        ),
    ];
    if s.discrepancies.is_empty() {
        lines.push("discrepancies: none".into());
    } else {
        lines.extend(
            s.discrepancies
                .iter()
                .map(|d| format!("⚠️ discrepancy {d}")),
        );
    }
    Message {
        title: format!("Aurora: end of day {} on {}", s.session, s.host),
        lines,
        severity: if s.discrepancies.is_empty() {
            Severity::Info
        } else {
            Severity::Alert
        },
        fields: serde_json::to_value(s).unwrap_or_default(),
    }
}

/// Sends a summary of each session eod reconciled to `webhook` (best effort: logged, never
/// fails eod). Nothing on a day without a newly closed session.
pub async fn send(
    report: &EodReport,
    webhook: Option<&reqwest::Url>,
    format: Format,
) -> Vec<Delivery> {
    if report.reconciled.is_empty() {
        return Vec::new();
    }
    let Some(url) = webhook else {
        warn!("report.notify is set but AURORA_ALERT_WEBHOOK is not: no daily summary sent");
        return Vec::new();
    };
    let host = crate::host::hostname();
    let mut out = Vec::new();
    for day in &report.reconciled {
        let s = summary(day, &host);
        let delivery = notify::send(url, format, &message(&s)).await;
        if delivery.sent {
            info!("daily summary for {} sent to {}", s.session, delivery.host);
        }
        out.push(delivery);
    }
    out
}
