//! `aurora demo`: whole trading days offline, through the real jobs and the real HTTP client,
//! against the fake Alpaca started in this process.

use std::path::PathBuf;

use chrono::{DateTime, Days, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::America::Chicago;
use reqwest::Url;
use serde::Serialize;

use super::eod::{EodReport, EodRequest};
use super::fetch::FetchRequest;
use super::trade::TradeRequest;
use super::{Job, Report, run as run_job};
use crate::config::{AlpacaAccess, Config, EnvFileState, Origins, Settings, TradingMode};
use crate::exit::Exit;
use crate::progress::ProgressMode;
use crate::sim::{self, Sim, SimOptions};
use crate::types::{Money, Secret, SessionDate};

/// The first demo session: a Monday.
const FIRST_DAY: &str = "2026-11-30";

/// `aurora demo` options.
#[derive(Clone, Debug)]
pub struct DemoRequest {
    /// Trading days to run.
    pub days: u32,
    /// Where to keep the state and reports; a new directory under the system temp dir if absent.
    pub state_dir: Option<PathBuf>,
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

/// What the demo did.
#[derive(Clone, Debug, Serialize)]
pub struct DemoReport {
    /// The state directory used.
    pub state_dir: PathBuf,
    /// Each day.
    pub days: Vec<DemoDay>,
    /// The equity curve.
    pub chart: Option<PathBuf>,
    /// The worst exit of any step.
    #[serde(skip)]
    pub exit: Exit,
}

impl Report for DemoReport {
    fn exit(&self) -> Exit {
        self.exit
    }

    fn session(&self) -> Option<SessionDate> {
        self.days.last().map(|d| d.session)
    }

    fn render(&self) -> String {
        let mut out = String::from("\nDemo finished.\n");
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
        for d in &self.days {
            if let Some(r) = &d.report {
                out.push_str(&format!("  report {}\n", r.display()));
            }
        }
        if let Some(c) = &self.chart {
            out.push_str(&format!("  chart  {}\n", c.display()));
        }
        out.push_str(&format!("  state  {}\n", self.state_dir.display()));
        out
    }
}

/// The demo's configuration: the default universe, a fixed 30/20/25/15 portfolio.
fn settings() -> Settings {
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
pub async fn run(request: &DemoRequest, mut step: impl FnMut(&str)) -> anyhow::Result<DemoReport> {
    let first: NaiveDate = FIRST_DAY.parse().expect("valid date");
    let sim = Sim::start(SimOptions {
        now: at(first, 6, 0),
        ..SimOptions::default()
    })?;
    // Days pass in seconds here: Alpaca's per-minute budget is for days that pass in days.
    sim.set_rate_limit(1_000_000, std::time::Duration::from_secs(60));
    let state_dir = match &request.state_dir {
        Some(dir) => dir.clone(),
        None => std::env::temp_dir().join(format!(
            "aurora-demo-{}-{}",
            std::process::id(),
            Utc::now().timestamp()
        )),
    };
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
        settings: settings(),
        alert_webhook: None,
        origins: Origins::default(),
    };
    step(&format!(
        "fake Alpaca at {} · state in {}",
        sim.base_url(),
        state_dir.display()
    ));

    // The sessions to run, from the fake's calendar through the real client.
    let client = crate::alpaca::Client::new(&config.alpaca, &config.settings.alpaca)?;
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
        let r = run_job(Job::Fetch, config.clone(), async move |ctx| {
            super::fetch::run(ctx, fetch).await
        })
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
        let r = run_job(Job::Preflight, config.clone(), super::preflight::run).await?;
        note(
            "preflight",
            r.exit(),
            format!("{:?}", r.verdict).to_lowercase(),
        );

        sim.set_clock(at(date, 8, 0), true);
        let r = run_job(Job::Trade, config.clone(), async |ctx| {
            super::trade::run(ctx, TradeRequest::default()).await
        })
        .await?;
        note(
            "trade",
            r.exit(),
            format!("{} order(s) sent", r.orders.len()),
        );

        let filled = sim
            .open_session()
            .map_err(|e| anyhow::anyhow!("the fake could not open: {e}"))?;
        note(
            "open",
            Exit::Ok,
            format!("the fake opened and filled {} order(s)", filled.len()),
        );

        sim.set_clock(at(date, 9, 0), true);
        let r = run_job(Job::Status, config.clone(), async |ctx| {
            super::status::run(ctx, super::status::StatusRequest::default()).await
        })
        .await?;
        note("status", r.exit(), format!("equity {}", r.account.equity));

        sim.close_session()
            .map_err(|e| anyhow::anyhow!("the fake could not close: {e}"))?;
        sim.set_clock(at(date, 15, 15), true);
        let r: EodReport = run_job(Job::Eod, config.clone(), async |ctx| {
            super::eod::run(ctx, EodRequest::default()).await
        })
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
    }
    let chart = Some(config.report_dir().join("equity.svg")).filter(|p| p.exists());
    Ok(DemoReport {
        state_dir,
        days,
        chart,
        exit: worst,
    })
}

/// The first problem seen: the exit the demo reports once every day has run.
fn worse(a: Exit, b: Exit) -> Exit {
    if a == Exit::Ok { b } else { a }
}
