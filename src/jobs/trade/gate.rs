//! Whether `trade` may trade at all today: a session, not yet closed, and a passing preflight.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use tracing::{info, warn};

use super::report::{Outcome, TradeReport};
use crate::jobs::JobContext;
use crate::jobs::preflight::{self, Verdict as PreflightVerdict};
use crate::market::{Phase, Session, Today};
use crate::types::SessionDate;

/// Go on with today's session at Alpaca's `now`, or stop with this report.
pub enum Gate {
    /// Trade.
    Go {
        /// Today's session.
        session: Session,
        /// Alpaca's clock.
        now: DateTime<Utc>,
    },
    /// Nothing to do, or not allowed.
    Stop(TradeReport),
}

/// Paused: nothing to do. No session today: nothing to do. Today's session has closed (a late timer): skipped. No
/// passing preflight for today: run it now if none was recorded; a failed one stops the run.
/// A dry run passes the same gate: it shows what a real run would do.
pub async fn check(ctx: &JobContext) -> anyhow::Result<Gate> {
    if let Some(pause) = crate::jobs::pause::in_force(ctx).await? {
        info!("{}: nothing to trade", pause.line());
        return Ok(Gate::Stop(TradeReport::without_orders(
            None,
            Outcome::Paused { pause },
        )));
    }
    let (clock, today) = crate::jobs::today::market_today(&ctx.client).await?;
    let session = match today {
        Today::NoSession { date, reason } => {
            info!("no session on {date} ({reason}): nothing to trade");
            return Ok(Gate::Stop(TradeReport::without_orders(
                Some(date),
                Outcome::NoSession {
                    reason: reason.to_string(),
                },
            )));
        }
        Today::Session(s) => s,
    };
    let now = clock.now();
    if session.phase(now) == Phase::Closed {
        warn!(
            "the {} session has closed: a late trade run does not trade",
            session.date
        );
        return Ok(Gate::Stop(TradeReport::without_orders(
            Some(session.date),
            Outcome::AfterClose,
        )));
    }
    if let Some(failed) = preflight_failures(ctx, session.date).await? {
        return Ok(Gate::Stop(TradeReport::without_orders(
            Some(session.date),
            Outcome::PreflightFailed { failed },
        )));
    }
    Ok(Gate::Go { session, now })
}

/// The failed checks, one line each.
fn failed_checks(checks: &[preflight::Check]) -> Vec<String> {
    checks
        .iter()
        .filter(|c| c.status == preflight::CheckStatus::Fail)
        .map(|c| format!("{}: {}", c.name, c.detail))
        .collect()
}

/// `None` when today's preflight passed (running it now if none was recorded); else the failures.
async fn preflight_failures(
    ctx: &JobContext,
    session: SessionDate,
) -> anyhow::Result<Option<Vec<String>>> {
    if let Some(p) = ctx.store.latest_preflight(session)? {
        if p.passed {
            return Ok(None);
        }
        let checks = serde_json::from_value::<Vec<preflight::Check>>(p.checks).unwrap_or_default();
        return Ok(Some(failed_checks(&checks)));
    }
    info!("no preflight recorded for {session}; running it first");
    let report = preflight::run(ctx).await.context("inline preflight")?;
    if report.verdict == PreflightVerdict::Fail {
        return Ok(Some(failed_checks(&report.checks)));
    }
    Ok(None)
}
