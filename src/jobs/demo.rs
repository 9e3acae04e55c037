//! `aurora demo`: whole trading days offline, through the real jobs and the real HTTP client,
//! against the fake Alpaca started in this process.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use chrono::{DateTime, Days, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::America::Chicago;
use reqwest::Url;
use serde::Serialize;

use super::eod::{EodReport, EodRequest};
use super::fetch::FetchRequest;
use super::trade::{Outcome, TradeReport, TradeRequest};
use super::{Job, Report, run_with};
use crate::alpaca::Client;
use crate::config::{AlpacaAccess, Config, EnvFileState, Origins, Settings, TradingMode};
use crate::exit::{Exit, Usage};
use crate::progress::ProgressMode;
use crate::sim::{self, Sim, SimOptions};
use crate::store::OrderState;
use crate::types::{Money, Secret, SessionDate};

/// The first demo session: a Monday.
const FIRST_DAY: &str = "2026-11-30";

/// `aurora demo` options.
#[derive(Clone, Debug)]
pub struct DemoRequest {
    /// Trading days to run.
    pub days: u32,
    /// Where the state, reports and `demo.log` go: a new directory ([`prepare_state_dir`]).
    pub state_dir: PathBuf,
    /// The demo's settings ([`settings`]).
    pub settings: Settings,
    /// The fake's rate limit (requests per window, per API); `None`: Alpaca's, 200 a minute.
    /// Tests shrink the window to prove the demo stays inside it without waiting a minute.
    pub rate_limit: Option<(u32, Duration)>,
}

/// The demo's log file in its state directory (unless `-v` sends the log to stderr).
pub const LOG_FILE: &str = "demo.log";

/// The demo's state directory: `dir`, or a new one under the system temp dir; created (0700).
///
/// A directory that already holds Aurora state is refused (exit 2): the fake Alpaca starts
/// afresh on every run, so continuing there would mix two histories and report orders as
/// sent that the new fake never saw.
pub fn prepare_state_dir(dir: Option<&Path>) -> anyhow::Result<PathBuf> {
    use std::os::unix::fs::DirBuilderExt;
    let dir = match dir {
        Some(d) => d.to_owned(),
        None => std::env::temp_dir().join(format!(
            "aurora-demo-{}-{}",
            std::process::id(),
            Utc::now().timestamp()
        )),
    };
    if !crate::store::is_new_state_dir(&dir) {
        return Err(Usage(format!(
            "{} already holds Aurora state: the demo's fake Alpaca starts afresh on every run, so \
             continuing there would mix two histories; pass a new --state-dir or remove this one",
            dir.display()
        ))
        .into());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)
        .with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir)
}

/// The demo's settings: a fixed 30/20/25/15 portfolio of the default universe, or, given an
/// `aurora.toml`, its universe and strategy (the rest stays the demo's).
pub fn settings(config_file: Option<&Path>) -> anyhow::Result<Settings> {
    let mut s = default_settings();
    if let Some(path) = config_file {
        let (file, _) = crate::config::read_settings(path)?;
        s.universe = file.universe;
        s.strategy = file.strategy;
    }
    Ok(s)
}

/// One day of the demo.
#[derive(Clone, Debug, Serialize)]
pub struct DemoDay {
    /// The session.
    pub session: SessionDate,
    /// Equity at the close.
    pub equity: Option<Money>,
    /// The day's P&L.
    pub pnl: Option<Money>,
    /// The Markdown report.
    pub report: Option<PathBuf>,
}

/// The demo's traffic to its fake, as the fake counted it.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Traffic {
    /// API requests.
    pub requests: usize,
    /// Answered 429: over the rate limit (the demo paces itself, so none).
    pub rate_limited: usize,
}

/// What the demo did.
#[derive(Clone, Debug, Serialize)]
pub struct DemoReport {
    /// The state directory used.
    pub state_dir: PathBuf,
    /// Each day.
    pub days: Vec<DemoDay>,
    /// The equity curve.
    pub chart: Option<PathBuf>,
    /// The daily reports' directory.
    pub reports: PathBuf,
    /// The log, when it went to a file.
    pub log: Option<PathBuf>,
    /// The requests the fake received, and how many it refused over its rate limit.
    pub traffic: Traffic,
    /// The worst exit of any step.
    #[serde(skip)]
    pub exit: Exit,
    /// The last day's eod report, whose stats close the demo.
    #[serde(skip)]
    pub last_eod: Option<EodReport>,
}

impl Report for DemoReport {
    fn exit(&self) -> Exit {
        self.exit
    }

    fn session(&self) -> Option<SessionDate> {
        self.days.last().map(|d| d.session)
    }

    fn render(&self) -> String {
        let mut out = format!("\nDemo finished: {} session(s).\n", self.days.len());
        for d in &self.days {
            let pnl = d.pnl.map(|p| p.signed()).unwrap_or_else(|| "—".into());
            let equity = d
                .equity
                .map(|e| e.to_string())
                .unwrap_or_else(|| "—".into());
            out.push_str(&format!(
                "  {}  day {pnl:>12}  equity {equity:>14}\n",
                d.session
            ));
        }
        // The stats block of the last day's eod report.
        if let Some(day) = self.last_eod.as_ref().and_then(|e| e.reconciled.last()) {
            out.push_str(&format!(
                "\nPerformance through {} ({} session{}): equity {}, since start {}\n",
                day.session,
                day.stats.sessions,
                if day.stats.sessions == 1 { "" } else { "s" },
                day.account.equity,
                day.pnl.since_start.signed()
            ));
            out.push_str(&super::performance::block(&day.stats));
        }
        out.push('\n');
        if let Some(c) = &self.chart {
            out.push_str(&format!("  chart    {}\n", c.display()));
        }
        let count = self.days.iter().filter(|d| d.report.is_some()).count();
        out.push_str(&format!(
            "  reports  {} ({count} daily reports)\n",
            self.reports.display()
        ));
        if let Some(log) = &self.log {
            out.push_str(&format!("  log      {}\n", log.display()));
        }
        out.push_str(&format!(
            "  traffic  {} requests to the fake, {} over its rate limit\n",
            self.traffic.requests, self.traffic.rate_limited
        ));
        out.push_str(&format!("  state    {}\n", self.state_dir.display()));
        out
    }
}

/// The demo's configuration: the default universe, a fixed 30/20/25/15 portfolio.
fn default_settings() -> Settings {
    let mut s = Settings::default();
    s.strategy.name = "fixed".into();
    s.strategy.weights = [
        ("SPY", "0.30"),
        ("QQQ", "0.20"),
        ("TLT", "0.25"),
        ("GLD", "0.15"),
    ]
    .iter()
    .map(|(k, v)| {
        (
            k.parse().expect("valid symbol"),
            v.parse().expect("valid weight"),
        )
    })
    .collect();
    s.risk.max_order_notional = "35000".parse().expect("valid amount");
    s
}

/// A moment on a session day, Chicago time.
fn at(date: NaiveDate, h: u32, m: u32) -> DateTime<Utc> {
    Chicago
        .from_local_datetime(&date.and_time(NaiveTime::from_hms_opt(h, m, 0).expect("valid time")))
        .earliest()
        .expect("no DST gap at these hours")
        .with_timezone(&Utc)
}

/// Runs the demo; `step` hears one short line per step.
pub async fn run(
    request: &DemoRequest,
    log: Option<PathBuf>,
    mut step: impl FnMut(&str),
) -> anyhow::Result<DemoReport> {
    let first: NaiveDate = FIRST_DAY.parse().expect("valid date");
    let sim = Sim::start(SimOptions {
        now: at(first, 6, 0),
        ..SimOptions::default()
    })?;
    if let Some((per_window, window)) = request.rate_limit {
        sim.set_rate_limit(per_window, window);
    }
    // A configured universe may name symbols the fake does not list by default.
    sim.register_symbols(
        request
            .settings
            .universe
            .symbols
            .iter()
            .map(|s| s.as_str().to_owned()),
    );
    let state_dir = request.state_dir.clone();
    let url: Url = sim.base_url().clone();
    let config = Config {
        config_file: None,
        env_file: EnvFileState::absent(state_dir.join("no-env-file")),
        state_dir: state_dir.clone(),
        alpaca: AlpacaAccess {
            key_id: Secret::new(sim::DEFAULT_KEY),
            secret_key: Secret::new(sim::DEFAULT_SECRET),
            trading_url: url.clone(),
            data_url: url,
            mode: TradingMode::Paper,
        },
        settings: request.settings.clone(),
        alert_webhook: None,
        origins: Origins::default(),
    };
    step(&format!(
        "fake Alpaca at {} · state in {}",
        sim.base_url(),
        state_dir.display()
    ));

    // One client for every job, as one process: its knowledge of the rate budget carries over,
    // so no job sends into a spent budget and meets a 429 (each would with a client of its own).
    let client = Arc::new(Client::new(&config.alpaca, &config.settings.alpaca)?);
    // The sessions to run, from the fake's calendar through the real client.
    let horizon = first
        .checked_add_days(Days::new(u64::from(request.days) * 2 + 10))
        .expect("date in range");
    let sessions: Vec<NaiveDate> = client
        .calendar(first, horizon)
        .await?
        .into_iter()
        .map(|d| d.date)
        .take(request.days as usize)
        .collect();

    let mut days = Vec::new();
    let mut worst = Exit::Ok;
    let mut last_eod = None;
    for date in sessions {
        let mut note = |name: &str, exit: Exit, detail: String| {
            worst = worse(worst, exit);
            let mark = if exit == Exit::Ok { "ok" } else { "!!" };
            step(&format!("{date}  {name:<9} {mark} {detail}"));
        };

        sim.set_clock(at(date, 6, 0), true);
        let fetch = FetchRequest {
            symbols: None,
            start: None,
            end: None,
            full: false,
            progress: ProgressMode::Off,
        };
        let r = run_with(
            Job::Fetch,
            config.clone(),
            Some(client.clone()),
            async move |ctx| super::fetch::run(ctx, fetch).await,
        )
        .await?;
        note(
            "fetch",
            r.exit(),
            format!(
                "{} bars added, through {}",
                r.bars.added,
                r.through.map(|d| d.to_string()).unwrap_or_default()
            ),
        );

        sim.set_clock(at(date, 7, 30), true);
        let r = run_with(
            Job::Preflight,
            config.clone(),
            Some(client.clone()),
            super::preflight::run,
        )
        .await?;
        note(
            "preflight",
            r.exit(),
            format!("{:?}", r.verdict).to_lowercase(),
        );

        sim.set_clock(at(date, 8, 0), true);
        let r = run_with(
            Job::Trade,
            config.clone(),
            Some(client.clone()),
            async |ctx| super::trade::run(ctx, TradeRequest::default()).await,
        )
        .await?;
        note("trade", r.exit(), trade_line(&r));

        let filled = sim
            .open_session()
            .map_err(|e| anyhow::anyhow!("the fake could not open: {e}"))?;
        note(
            "open",
            Exit::Ok,
            format!("the fake opened and filled {} order(s)", filled.len()),
        );

        sim.set_clock(at(date, 9, 0), true);
        let r = run_with(
            Job::Status,
            config.clone(),
            Some(client.clone()),
            async |ctx| super::status::run(ctx, super::status::StatusRequest::default()).await,
        )
        .await?;
        note("status", r.exit(), format!("equity {}", r.account.equity));

        sim.close_session()
            .map_err(|e| anyhow::anyhow!("the fake could not close: {e}"))?;
        sim.set_clock(at(date, 15, 15), true);
        let r: EodReport = run_with(
            Job::Eod,
            config.clone(),
            Some(client.clone()),
            async |ctx| super::eod::run(ctx, EodRequest::default()).await,
        )
        .await?;
        let day = r.reconciled.last();
        note(
            "eod",
            r.exit(),
            day.map(|d| {
                let baseline = d
                    .baseline
                    .map(|b| format!(" (baseline: {} positions adopted)", b.positions));
                format!("day {}{}", d.pnl.day.signed(), baseline.unwrap_or_default())
            })
            .unwrap_or_default(),
        );
        days.push(DemoDay {
            session: SessionDate::new(date),
            equity: day.map(|d| d.account.equity),
            pnl: day.map(|d| d.pnl.day),
            report: day.and_then(|d| d.files.as_ref().map(|f| f.markdown.clone())),
        });
        last_eod = Some(r);
    }
    let chart = Some(config.report_dir().join("equity.svg")).filter(|p| p.exists());
    Ok(DemoReport {
        state_dir,
        days,
        chart,
        reports: config.report_dir(),
        log,
        traffic: {
            let log = sim.requests();
            Traffic {
                requests: log.len(),
                rate_limited: log.iter().filter(|r| r.status == 429).count(),
            }
        },
        exit: worst,
        last_eod,
    })
}

/// The trade step's line: what reached Alpaca, never more.
fn trade_line(r: &TradeReport) -> String {
    let count = |state: OrderState| r.orders.iter().filter(|o| o.outcome == state).count();
    match &r.outcome {
        Outcome::Submitted if r.orders.is_empty() => "no orders: the portfolio is on target".into(),
        Outcome::Submitted => {
            let (accepted, rejected) = (count(OrderState::Accepted), count(OrderState::Rejected));
            let unsent = r.orders.len() - accepted - rejected;
            let mut line = format!("{} order(s) sent: {accepted} accepted", accepted + rejected);
            if rejected > 0 {
                line.push_str(&format!(", {rejected} rejected"));
            }
            if unsent > 0 {
                line.push_str(&format!("; {unsent} not sent"));
            }
            line
        }
        Outcome::Blocked => format!(
            "blocked by risk rules: {} order(s) not sent",
            r.orders.len()
        ),
        other => format!(
            "nothing sent ({})",
            serde_json::to_value(other)
                .ok()
                .and_then(|v| v["kind"].as_str().map(str::to_owned))
                .unwrap_or_default()
        ),
    }
}

/// The first problem seen: the exit the demo reports once every day has run.
fn worse(a: Exit, b: Exit) -> Exit {
    if a == Exit::Ok { b } else { a }
}
