//! What `aurora trade` reports: the outcome, each order with its state, and the plan's notes.

use std::fmt::Write as _;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::exit::Exit;
use crate::jobs::pause::Pause;
use crate::jobs::{JobContext, Report};
use crate::plan::risk::{self, Violation};
use crate::plan::{Plan, Size};
use crate::store::{OrderRecord, OrderState, PlanRecord};
use crate::types::{ClientOrderId, Money, SessionDate, Symbol};

/// How the run ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// No session today.
    NoSession {
        /// Why.
        reason: String,
    },
    /// Today's session has closed: a late timer must not trade.
    AfterClose,
    /// Trading is paused (`aurora pause` or `STATE_DIR/HALT`): nothing was sent.
    Paused {
        /// The pause.
        pause: Pause,
    },
    /// Today's preflight failed: nothing was sent.
    PreflightFailed {
        /// The failed checks.
        failed: Vec<String>,
    },
    /// A risk rule blocked the plan: nothing was sent.
    Blocked,
    /// The plan was computed and stored, not sent.
    DryRun,
    /// The orders were sent (or were already, by an earlier run).
    Submitted,
}

/// One order line of the report.
#[derive(Clone, Debug, Serialize)]
pub struct OrderLine {
    /// Ticker.
    pub symbol: Symbol,
    /// `buy` / `sell`.
    pub side: &'static str,
    /// Shares (as sent, when the second phase shrank the order).
    pub qty: Option<Decimal>,
    /// Dollars (as sent).
    pub notional: Option<Money>,
    /// Sized at.
    pub reference_price: Money,
    /// Size × price.
    pub estimated_value: Money,
    /// Why.
    pub reason: String,
    /// Why it was shrunk or not sent, when it was.
    pub note: Option<String>,
    /// Aurora's id.
    pub client_order_id: ClientOrderId,
    /// Where it stands.
    pub outcome: OrderState,
    /// Alpaca's status, once accepted.
    pub alpaca_status: Option<String>,
    /// Alpaca's message for a rejection.
    pub message: Option<String>,
}

impl OrderLine {
    /// Aurora's state, then Alpaca's status when it says something more (`accepted (new)`),
    /// or Alpaca's message for a rejection.
    fn outcome_text(&self) -> String {
        let word = self.outcome.as_str();
        match (self.outcome, &self.message, &self.alpaca_status) {
            (OrderState::Rejected, Some(m), _) => format!("rejected: {m}"),
            (_, _, Some(status)) if status != word => format!("{word} ({status})"),
            _ => word.to_owned(),
        }
    }
}

/// What `aurora trade` did.
#[derive(Clone, Debug, Serialize)]
pub struct TradeReport {
    /// The session.
    pub session: Option<SessionDate>,
    /// How it ended.
    pub outcome: Outcome,
    /// The plan revision used (0 unless replanned).
    pub revision: Option<u32>,
    /// This run continued a plan stored by an earlier run.
    pub resumed: bool,
    /// The orders.
    pub orders: Vec<OrderLine>,
    /// Rules that blocked the plan, or dropped orders from it.
    pub violations: Vec<Violation>,
    /// Symbols the plan left alone or open orders it counted, and why.
    pub notes: Vec<String>,
}

impl TradeReport {
    /// A report with no plan.
    pub fn without_orders(session: Option<SessionDate>, outcome: Outcome) -> TradeReport {
        TradeReport {
            session,
            outcome,
            revision: None,
            resumed: false,
            orders: Vec::new(),
            violations: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// A plan that was not sent (blocked, or a dry run).
    pub fn unsent(plan: Plan, outcome: Outcome, violations: Vec<Violation>) -> TradeReport {
        TradeReport {
            session: Some(plan.session),
            outcome,
            revision: Some(plan.revision),
            resumed: false,
            orders: lines(&plan, None),
            violations,
            notes: plan.notes,
        }
    }

    /// A sent plan, with each order's state as stored now.
    pub fn sent(
        ctx: &JobContext,
        record: &PlanRecord,
        resumed: bool,
        dropped: Vec<Violation>,
    ) -> anyhow::Result<TradeReport> {
        let states = ctx.store.plan_orders(record.id)?;
        Ok(TradeReport {
            session: Some(record.plan.session),
            outcome: Outcome::Submitted,
            revision: Some(record.plan.revision),
            resumed,
            orders: lines(&record.plan, Some(&states)),
            violations: dropped,
            notes: record.plan.notes.clone(),
        })
    }

    /// A stored plan the kill switch (a pause that began after the gate) stops from being
    /// continued.
    pub fn halted(
        ctx: &JobContext,
        record: &PlanRecord,
        pause: &Pause,
    ) -> anyhow::Result<TradeReport> {
        let mut report = TradeReport::sent(ctx, record, true, Vec::new())?;
        report.outcome = Outcome::Blocked;
        report.violations.push(Violation {
            rule: risk::Rule::KillSwitch,
            order: None,
            symbol: None,
            detail: risk::kill_switch_detail(&pause.line()),
        });
        Ok(report)
    }
}

impl Report for TradeReport {
    fn exit(&self) -> Exit {
        match self.outcome {
            Outcome::PreflightFailed { .. } | Outcome::Blocked => Exit::Blocked,
            Outcome::Submitted
                if self
                    .orders
                    .iter()
                    .any(|o| o.outcome == OrderState::Rejected) =>
            {
                Exit::Failed
            }
            _ => Exit::Ok,
        }
    }

    fn session(&self) -> Option<SessionDate> {
        self.session
    }

    fn error_lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = match &self.outcome {
            Outcome::PreflightFailed { failed } => failed
                .iter()
                .map(|f| format!("preflight failed: {f}"))
                .collect(),
            _ => Vec::new(),
        };
        lines.extend(self.violations.iter().map(|v| format!("risk rule {v}")));
        lines.extend(
            self.orders
                .iter()
                .filter(|o| o.outcome == OrderState::Rejected)
                .map(|o| {
                    format!(
                        "order rejected: {} {} ({}): {}",
                        o.side,
                        o.symbol,
                        o.client_order_id,
                        o.message.as_deref().unwrap_or("no reason given")
                    )
                }),
        );
        lines
    }

    fn render(&self) -> String {
        let mut out = String::new();
        let date = self.session.map(|d| d.to_string()).unwrap_or_default();
        let head = match &self.outcome {
            Outcome::NoSession { reason } => {
                format!("No session today ({reason}): nothing to trade.")
            }
            Outcome::AfterClose => format!("Session {date} has closed: a late run does not trade."),
            Outcome::Paused { pause } => format!("Trade: ⏸ {}: nothing sent.", pause.line()),
            Outcome::PreflightFailed { failed } => {
                format!(
                    "Preflight for {date} failed ({}): nothing sent.",
                    failed.join("; ")
                )
            }
            Outcome::Blocked => format!("Plan for {date} BLOCKED by risk rules: nothing sent."),
            Outcome::DryRun => format!("Dry run for {date}: plan stored, nothing sent."),
            Outcome::Submitted if self.resumed => {
                format!("Trade {date}: continued the stored plan.")
            }
            Outcome::Submitted => format!("Trade {date}"),
        };
        let _ = writeln!(out, "{head}");
        for v in &self.violations {
            let _ = writeln!(out, "  ❌ {v}");
        }
        if !self.orders.is_empty() {
            let mut rows = vec![
                [
                    "SYMBOL",
                    "SIDE",
                    "SIZE",
                    "REF PRICE",
                    "EST VALUE",
                    "OUTCOME",
                    "REASON",
                ]
                .map(String::from)
                .to_vec(),
            ];
            for o in &self.orders {
                let size = match (o.qty, o.notional) {
                    (Some(q), _) => q.normalize().to_string(),
                    (None, Some(n)) => n.to_string(),
                    _ => "—".into(),
                };
                let reason = match &o.note {
                    Some(note) => format!("{}; {note}", o.reason),
                    None => o.reason.clone(),
                };
                rows.push(vec![
                    o.symbol.to_string(),
                    o.side.into(),
                    size,
                    o.reference_price.to_string(),
                    o.estimated_value.to_string(),
                    o.outcome_text(),
                    reason,
                ]);
            }
            out.push_str(&crate::jobs::table::render(&rows));
        } else if matches!(self.outcome, Outcome::Submitted | Outcome::DryRun) {
            let _ = writeln!(out, "  no orders: the portfolio is on target");
        }
        for n in &self.notes {
            let _ = writeln!(out, "  · {n}");
        }
        out
    }
}

/// The plan's orders as report lines, with their stored states when they have any.
fn lines(plan: &Plan, states: Option<&[OrderRecord]>) -> Vec<OrderLine> {
    plan.orders
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let state = states.and_then(|s| s.get(i));
            let size = state.and_then(|s| s.sent_size).unwrap_or(o.size);
            let estimated_value = match (size, state.and_then(|s| s.sent_size)) {
                (_, None) => o.estimated_value,
                (Size::Qty(q), Some(_)) => Money::new((q * o.reference_price.amount()).round_dp(2)),
                (Size::Notional(n), Some(_)) => n,
            };
            let (qty, notional) = size.split();
            OrderLine {
                symbol: o.symbol.clone(),
                side: o.side.as_str(),
                qty,
                notional,
                reference_price: o.reference_price,
                estimated_value,
                reason: o.reason.clone(),
                note: state.and_then(|s| s.note.clone()),
                client_order_id: o.client_order_id.clone(),
                outcome: state.map_or(OrderState::Planned, |s| s.state),
                alpaca_status: state.and_then(|s| s.alpaca_status.clone()),
                message: state.and_then(|s| s.message.clone()),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(outcome: OrderState, status: Option<&str>, message: Option<&str>) -> OrderLine {
        OrderLine {
            symbol: "SPY".parse().unwrap(),
            side: "buy",
            qty: Some(Decimal::ONE),
            notional: None,
            reference_price: Money::ZERO,
            estimated_value: Money::ZERO,
            reason: String::new(),
            note: None,
            client_order_id: ClientOrderId::new("x".into()).unwrap(),
            outcome,
            alpaca_status: status.map(String::from),
            message: message.map(String::from),
        }
    }

    #[test]
    fn the_outcome_column_says_each_word_once() {
        assert_eq!(
            line(OrderState::Accepted, Some("accepted"), None).outcome_text(),
            "accepted"
        );
        assert_eq!(
            line(OrderState::Accepted, Some("new"), None).outcome_text(),
            "accepted (new)"
        );
        assert_eq!(
            line(OrderState::Rejected, Some("rejected"), Some("no")).outcome_text(),
            "rejected: no"
        );
        assert_eq!(
            line(OrderState::Skipped, None, None).outcome_text(),
            "skipped"
        );
    }
}
