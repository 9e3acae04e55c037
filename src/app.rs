//! The program: parse arguments, set up logging, run one job, render its report, pick the exit code.

use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser as _;

use crate::cli::{Cli, Command, FetchArgs, ReportArgs, SimCommand, SystemdCommand};
use crate::config::{self, Config, Sources};
use crate::exit::{Exit, Usage};
use crate::jobs::demo::DemoRequest;
use crate::jobs::eod::EodRequest;
use crate::jobs::fetch::FetchRequest;
use crate::jobs::report::{self, PeriodSpec};
use crate::jobs::systemd::InstallRequest;
use crate::jobs::trade::TradeRequest;
use crate::jobs::{self, Job, JobContext, Report};
use crate::logging::{self, Verbosity};
use crate::progress::ProgressMode;
use crate::types::Symbol;

/// Runs the program and maps any failure to one line on stderr and a documented exit code.
pub fn main() -> ExitCode {
    match run() {
        Ok(exit) => exit.into(),
        Err(err) => {
            // `{:#}` joins the context chain into one line: what failed, then why.
            eprintln!("aurora: error: {err:#}");
            Exit::of_error(&err).into()
        }
    }
}

/// Parses the command line (clap exits 2 on bad usage) and runs the command.
pub fn run() -> anyhow::Result<Exit> {
    let cli = Cli::parse();
    // Everything Aurora creates (store, WAL, lock, reports, backups) is private to the user,
    // whatever umask it was started with; the state files also set their modes themselves.
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    logging::init(Verbosity::from_flags(cli.quiet, cli.verbose));
    let sources = Sources {
        config_file: cli.config.clone(),
        env_file: cli.env_file.clone(),
        state_dir: cli.state_dir.clone(),
        live_flag: cli.live,
    };
    // One thread is plenty for a handful of concurrent requests, and starts fastest.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    match &cli.command {
        Command::Preflight => run_job(
            &runtime,
            &cli,
            &sources,
            Job::Preflight,
            jobs::preflight::run,
        ),
        Command::Status => run_job(&runtime, &cli, &sources, Job::Status, jobs::status::run),
        Command::Eod(args) => {
            let request = EodRequest {
                preview: args.preview,
            };
            run_job(&runtime, &cli, &sources, Job::Eod, async move |ctx| {
                jobs::eod::run(ctx, request).await
            })
        }
        Command::Report(args) => {
            let spec = period_spec(args)?;
            // The store only: no lock, no run record, no Alpaca client.
            let config = Config::load(&sources, &|name| std::env::var(name).ok())?;
            let report = jobs::report::run(&config, spec)?;
            print_report(&cli, &report)?;
            Ok(report.exit())
        }
        Command::Fetch(args) => {
            let request = fetch_request(args, ProgressMode::detect(cli.quiet))?;
            run_job(&runtime, &cli, &sources, Job::Fetch, async move |ctx| {
                jobs::fetch::run(ctx, request).await
            })
        }
        Command::Trade(args) => {
            let request = TradeRequest {
                dry_run: args.dry_run,
                replan: args.replan,
            };
            run_job(&runtime, &cli, &sources, Job::Trade, async move |ctx| {
                jobs::trade::run(ctx, request).await
            })
        }
        Command::Backup(args) => {
            let state_dir = config::state_dir(&sources, &|name| std::env::var(name).ok())?;
            let report = jobs::backup::run(&state_dir, args.to.as_deref())?;
            print_report(&cli, &report)?;
            Ok(report.exit())
        }
        Command::Demo(args) => {
            let request = DemoRequest {
                days: args.days,
                state_dir: cli.state_dir.clone(),
            };
            // With --json, stdout holds only the JSON document: the step lines go to stderr.
            let json = cli.json;
            let step = |line: &str| {
                if json {
                    eprintln!("{line}");
                } else {
                    print_out(line);
                }
            };
            let report = runtime.block_on(jobs::demo::run(&request, step))?;
            print_report(&cli, &report)?;
            Ok(report.exit())
        }
        Command::Systemd(SystemdCommand::Install(args)) => {
            let report = jobs::systemd::install(&InstallRequest {
                bin: args.bin.clone(),
                unit_dir: args.dir.unit_dir.clone(),
                no_enable: args.no_enable,
                dry_run: args.dry_run,
            })?;
            print_report(&cli, &report)?;
            Ok(report.exit())
        }
        Command::Systemd(SystemdCommand::Uninstall(dir)) => {
            let report = jobs::systemd::uninstall(dir.unit_dir.as_deref())?;
            print_report(&cli, &report)?;
            Ok(report.exit())
        }
        Command::Alert(args) => {
            let env = |name: &str| std::env::var(name).ok();
            let webhook = config::lookup(&sources, &env, "AURORA_ALERT_WEBHOOK")?
                .filter(|v| !v.trim().is_empty())
                .map(|v| config::url_var("AURORA_ALERT_WEBHOOK", &v))
                .transpose()?;
            let report = runtime.block_on(jobs::alert::run(&args.unit, webhook))?;
            print_report(&cli, &report)?;
            Ok(report.exit())
        }
        Command::Sim(SimCommand::Serve(args)) => {
            runtime.block_on(jobs::sim::serve(args, print_out))?;
            Ok(Exit::Ok)
        }
    }
}

/// Second stage of parsing: raw `fetch` flags into a validated request.
fn fetch_request(args: &FetchArgs, progress: ProgressMode) -> anyhow::Result<FetchRequest> {
    let symbols = match &args.symbols {
        None => None,
        Some(list) => Some(
            list.iter()
                .map(|s| {
                    s.trim()
                        .parse::<Symbol>()
                        .map_err(|e| Usage(format!("--symbols: {e}")))
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
    };
    if let (Some(start), Some(end)) = (args.start, args.end)
        && end < start
    {
        return Err(Usage(format!("--end {end} is before --start {start}")).into());
    }
    Ok(FetchRequest {
        symbols,
        start: args.start,
        end: args.end,
        full: args.full,
        progress,
    })
}

/// Second stage of parsing: `report` flags into a period.
fn period_spec(args: &ReportArgs) -> anyhow::Result<PeriodSpec> {
    if let Some(m) = &args.month {
        return Ok(PeriodSpec::Month(report::parse_month(m)?));
    }
    if let Some(s) = &args.since {
        let (n, unit) = report::parse_since(s)?;
        return Ok(PeriodSpec::Since(n, unit));
    }
    if let (Some(from), Some(to)) = (args.from, args.to)
        && to < from
    {
        return Err(Usage(format!("--to {to} is before --from {from}")).into());
    }
    Ok(PeriodSpec::Between {
        from: args.from,
        to: args.to,
    })
}

fn run_job<R, F>(
    runtime: &tokio::runtime::Runtime,
    cli: &Cli,
    sources: &Sources,
    job: Job,
    body: F,
) -> anyhow::Result<Exit>
where
    R: Report,
    F: AsyncFnOnce(&JobContext) -> anyhow::Result<R>,
{
    let config = Config::load(sources, &|name| std::env::var(name).ok())?;
    let report = runtime.block_on(jobs::run(job, config, body))?;
    print_report(cli, &report)?;
    Ok(report.exit())
}

/// A report on stdout: JSON with `--json`, text otherwise.
fn print_report(cli: &Cli, report: &impl Report) -> anyhow::Result<()> {
    if cli.json {
        print_out(&serde_json::to_string_pretty(report)?);
    } else {
        print_out(report.render().trim_end());
    }
    Ok(())
}

/// Writes a result line to stdout; a closed pipe (`aurora status | head -1`) is not an error.
fn print_out(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}").and_then(|()| out.flush());
}
