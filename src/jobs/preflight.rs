//! `aurora preflight`: every check that must pass before money moves; records today's verdict.

mod checks;

use std::fmt::Write as _;

use anyhow::Context as _;
use chrono::{NaiveDate, Utc};
use serde::Serialize;
use tracing::info;

pub use checks::{Check, CheckStatus};

use super::fetch::{self, FetchRequest};
use super::pause::Pause;
use super::{JobContext, Report};
use crate::alpaca::models::CalendarDay;
use crate::exit::Exit;
use crate::market::{self, Today};
use crate::progress::ProgressMode;
use crate::store::PreflightRecord;
use crate::types::{SessionDate, Symbol};

/// The preflight's result.
#[derive(Clone, Debug, Serialize)]
pub struct PreflightReport {
    /// The session checked (today's New York date by Alpaca's clock), once known.
    pub session_date: Option<SessionDate>,
    /// What today is, once known.
    pub today: Option<Today>,
    /// The checks, in the order they ran.
    pub checks: Vec<Check>,
    /// `pass`, `fail`, `no_session` or `paused`.
    pub verdict: Verdict,
    /// The pause in force (`aurora pause` or `STATE_DIR/HALT`): nothing was checked.
    pub pause: Option<Pause>,
}

/// The overall outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// No check failed.
    Pass,
    /// At least one check failed: trading is blocked.
    Fail,
    /// No session today; nothing to check.
    NoSession,
    /// Trading is paused; nothing to check.
    Paused,
}

impl Report for PreflightReport {
    fn exit(&self) -> Exit {
        match self.verdict {
            Verdict::Fail => Exit::Blocked,
            Verdict::Pass | Verdict::NoSession | Verdict::Paused => Exit::Ok,
        }
    }

    fn session(&self) -> Option<SessionDate> {
        self.session_date
    }

    fn error_lines(&self) -> Vec<String> {
        self.checks
            .iter()
            .filter(|c| c.status == CheckStatus::Fail)
            .map(|c| format!("preflight check {} failed: {}", c.name, c.detail))
            .collect()
    }

    fn render(&self) -> String {
        let mut out = String::new();
        if let Some(p) = &self.pause {
            return format!("Preflight: ⏸ {}: nothing checked, nothing sent.", p.line());
        }
        let heading = match self.session_date {
            Some(d) => format!("Preflight for {d}"),
            None => "Preflight".to_owned(),
        };
        let _ = writeln!(out, "{heading}");
        let width = self
            .checks
            .iter()
            .map(|c| c.name.chars().count())
            .max()
            .unwrap_or(0);
        for c in &self.checks {
            let mark = match c.status {
                CheckStatus::Pass => "✅",
                CheckStatus::Warn => "⚠️ ",
                CheckStatus::Fail => "❌",
            };
            let _ = writeln!(out, "  {mark} {:<width$}  {}", c.name, c.detail);
        }
        let count = |s| self.checks.iter().filter(|c| c.status == s).count();
        let verdict = match self.verdict {
            Verdict::Pass => format!("PASS ({} warning(s))", count(CheckStatus::Warn)),
            Verdict::Fail => format!(
                "FAIL ({} failed, {} warning(s)): trading is blocked",
                count(CheckStatus::Fail),
                count(CheckStatus::Warn)
            ),
            Verdict::NoSession => "NO SESSION: nothing to do today".to_owned(),
            Verdict::Paused => "PAUSED: nothing checked".to_owned(),
        };
        let _ = writeln!(out, "Verdict: {verdict}");
        out
    }
}

/// Runs every check. Alpaca being unreachable is an error (exit 75), not a failed check.
pub async fn run(ctx: &JobContext) -> anyhow::Result<PreflightReport> {
    if let Some(pause) = super::pause::in_force(ctx).await? {
        info!("{}: nothing to check", pause.line());
        return Ok(PreflightReport {
            session_date: None,
            today: None,
            checks: Vec::new(),
            verdict: Verdict::Paused,
            pause: Some(pause),
        });
    }
    let cfg = &ctx.config;
    let mut checks = vec![
        checks::config(cfg.config_file.as_deref()),
        checks::env_file(&cfg.env_file),
        checks::endpoint(cfg.alpaca.mode, cfg.alpaca.trading_url.as_str()),
    ];

    let account = match ctx.client.account().await {
        Ok(a) => {
            checks.push(checks::credentials(None));
            Some(a)
        }
        Err(e) if e.is_auth_rejected() => {
            checks.push(checks::credentials(Some(&e.to_string())));
            None
        }
        Err(e) => return Err(e).context("cannot check the account"),
    };

    let Some(account) = account else {
        // Without accepted keys nothing remote can be checked; the local checks still report.
        checks.extend(local_checks(ctx));
        return finish(ctx, None, None, checks);
    };

    let (_, today) = super::today::market_today(&ctx.client).await?;
    let session_date = match &today {
        Today::Session(s) => s.date,
        Today::NoSession { date, .. } => *date,
    };
    checks.push(checks::session(&today));
    if let Today::NoSession { reason, .. } = &today {
        info!("no session on {session_date} ({reason}): nothing to check");
        return finish(ctx, Some(session_date), Some(today), checks);
    }

    checks.push(checks::account(&account));
    checks.push(checks::clock_skew(
        ctx.client
            .last_clock_sample()
            .map(|s| market::clock_skew(s.server, s.sent, s.received)),
    ));
    checks.push(checks::buying_power(
        &account,
        cfg.settings.risk.min_buying_power,
    ));
    checks.push(market_data(ctx, session_date).await?);
    checks.extend(local_checks(ctx));
    finish(ctx, Some(session_date), Some(today), checks)
}

/// Whether the universe has bars for the last session before today and no gap inside the
/// strategy's lookback window; fetches first (which refills gaps) if not.
async fn market_data(ctx: &JobContext, today: SessionDate) -> anyhow::Result<Check> {
    let universe = &ctx.config.settings.universe.symbols;
    let lookback = ctx.config.settings.strategy.lookback;
    let start = today
        .date()
        .checked_sub_days(market::calendar_days_for(lookback + 1))
        .unwrap_or(today.date());
    let calendar = ctx
        .client
        .calendar(start, today.date())
        .await
        .context("cannot read the market calendar")?;
    let sessions: Vec<_> = calendar.iter().map(CalendarDay::session).collect();
    let Some(previous) = market::previous_session(today, &sessions) else {
        return Ok(Check::warn(
            "market data",
            "no session in the calendar before today",
        ));
    };
    // The window and the session before it, so a gap on the window's first session shows.
    let window: Vec<NaiveDate> = market::sessions_before(today, &sessions, lookback + 1)
        .iter()
        .map(|d| d.date())
        .collect();
    let missing = missing_bars(ctx, universe, previous.date)?;
    let gaps =
        fetch::stored_gaps(&ctx.store, universe, &window).context("cannot read stored bars")?;
    if missing.is_empty() && gaps.is_empty() {
        return Ok(checks::market_data(
            universe.len(),
            previous.date,
            &missing,
            None,
            &gaps,
            lookback,
        ));
    }
    info!(
        missing = missing.len(),
        gaps = gaps.len(),
        "market data is stale or has gaps: {} of {} symbol(s) lack the {previous} bar, {} gap(s) in the last {} sessions; fetching to catch up",
        missing.len(),
        universe.len(),
        gaps.len(),
        window.len(),
        previous = previous.date
    );
    let request = FetchRequest {
        symbols: None,
        start: None,
        end: None,
        full: false,
        progress: ProgressMode::Off,
    };
    let fetched = fetch::fetch_bars(ctx, &request)
        .await
        .context("catch-up fetch failed")?;
    let still = missing_bars(ctx, universe, previous.date)?;
    let gaps =
        fetch::stored_gaps(&ctx.store, universe, &window).context("cannot read stored bars")?;
    // What the catch-up was for: the stale symbols and those whose gap it refilled.
    let named: Vec<Symbol> = missing
        .into_iter()
        .chain(fetched.refilled.into_iter().map(|r| r.symbol))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    Ok(checks::market_data(
        universe.len(),
        previous.date,
        &named,
        Some((fetched.bars.added + fetched.bars.updated, &still)),
        &gaps,
        lookback,
    ))
}

fn missing_bars(
    ctx: &JobContext,
    universe: &[Symbol],
    session: SessionDate,
) -> anyhow::Result<Vec<Symbol>> {
    let have = ctx
        .store
        .symbols_with_bar(universe, session)
        .context("cannot read stored bars")?;
    Ok(universe
        .iter()
        .filter(|s| !have.contains(s))
        .cloned()
        .collect())
}

/// Checks that need no network: store, state directory, disk, kill switch.
fn local_checks(ctx: &JobContext) -> Vec<Check> {
    let cfg = &ctx.config;
    vec![
        checks::store(
            ctx.store.quick_check().map_err(|e| e.to_string()),
            ctx.store.check_writable().map_err(|e| e.to_string()),
        ),
        checks::state_dir(&cfg.state_dir, dir_mode(&cfg.state_dir)),
        checks::disk(free_space(&cfg.state_dir)),
        checks::kill_switch(&cfg.halt_path(), cfg.halt_path().exists()),
    ]
}

fn dir_mode(dir: &std::path::Path) -> Result<u32, String> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(dir).map_err(|e| e.to_string())?;
    Ok(meta.permissions().mode() & 0o7777)
}

fn free_space(dir: &std::path::Path) -> Result<u64, String> {
    let st = rustix::fs::statvfs(dir).map_err(|e| e.to_string())?;
    Ok(st.f_bavail.saturating_mul(st.f_frsize))
}

/// Decides the verdict and stores it for the session (the trade job requires a passing one).
fn finish(
    ctx: &JobContext,
    session_date: Option<SessionDate>,
    today: Option<Today>,
    checks: Vec<Check>,
) -> anyhow::Result<PreflightReport> {
    let failed = checks.iter().any(|c| c.status == CheckStatus::Fail);
    let verdict = match (&today, failed) {
        (_, true) => Verdict::Fail,
        (Some(Today::NoSession { .. }), false) => Verdict::NoSession,
        _ => Verdict::Pass,
    };
    if let Some(session_date) = session_date {
        ctx.store
            .record_preflight(&PreflightRecord {
                session_date,
                run_id: ctx.run_id,
                checked_at: Utc::now(),
                passed: verdict != Verdict::Fail,
                checks: serde_json::to_value(&checks)?,
            })
            .context("cannot store the preflight verdict")?;
    }
    Ok(PreflightReport {
        session_date,
        today,
        checks,
        verdict,
        pause: None,
    })
}
