//! The program: parse arguments, set up logging, run one job, render its report, pick the exit code.

use std::io::{IsTerminal as _, Write as _};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory as _, FromArgMatches as _};

use crate::cli::{
    Cli, Command, ConfigCommand, FetchArgs, InitArgs, ReportArgs, SimCommand, SystemdCommand,
};
use crate::cli_docs;
use crate::config::{self, Config, LiveOptIn, Origin, Paths, Sourced, Sources};
use crate::exit::{Exit, Usage};
use crate::jobs::alert::AlertRequest;
use crate::jobs::demo::DemoRequest;
use crate::jobs::eod::EodRequest;
use crate::jobs::fetch::FetchRequest;
use crate::jobs::init::{Ask, InitReport, InitRequest};
use crate::jobs::report::{self, PeriodSpec};
use crate::jobs::status::StatusRequest;
use crate::jobs::systemd::InstallRequest;
use crate::jobs::trade::TradeRequest;
use crate::jobs::{self, Job, JobContext, Report};
use crate::logging::{self, Verbosity};
use crate::progress::ProgressMode;
use crate::types::{Secret, Symbol};

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
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    // Everything Aurora creates (store, WAL, lock, reports, backups) is private to the user,
    // whatever umask it was started with; the state files also set their modes themselves.
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    let verbosity = Verbosity::from_flags(cli.quiet, cli.verbose);
    // The demo logs to a file in its state directory (unless -v), which it makes first.
    if !matches!(cli.command, Command::Demo(_)) || cli.verbose > 0 {
        logging::init(verbosity);
    }
    let sources = sources(&cli, &matches);
    let env = |name: &str| std::env::var(name).ok();
    // One thread is plenty for a handful of concurrent requests, and starts fastest.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    match &cli.command {
        Command::Init(args) => {
            let paths = Paths::resolve(&sources, &env)?;
            let request = init_request(&cli, args)?;
            let mut terminal = jobs::init::Terminal;
            // On a terminal it asks for what is missing; a piped secret means a script.
            let ask = (std::io::stdin().is_terminal() && !args.secret_stdin)
                .then_some(&mut terminal as &mut dyn Ask);
            let files = jobs::init::write(&paths, request, ask)?;
            let preflight = Config::load(&sources, &env).and_then(|config| {
                runtime.block_on(jobs::run(Job::Preflight, config, jobs::preflight::run))
            });
            let report = InitReport::new(&paths, files, preflight);
            print_report(&cli, &report)?;
            Ok(report.exit())
        }
        Command::Config(args) => match args.what {
            None => {
                let config = Config::load(&sources, &env)?;
                print_report(&cli, &jobs::config_show::values(&config))?;
                Ok(Exit::Ok)
            }
            Some(ConfigCommand::Paths) => {
                print_report(&cli, &jobs::config_show::paths(&sources, &env)?)?;
                Ok(Exit::Ok)
            }
        },
        Command::Completions(args) => {
            cli_docs::completions(args.shell, &mut std::io::stdout().lock());
            Ok(Exit::Ok)
        }
        Command::Man(args) => {
            match &args.dir {
                Some(dir) => {
                    for page in cli_docs::man_pages(dir)? {
                        print_out(&page.display().to_string());
                    }
                }
                None => cli_docs::man_page(&mut std::io::stdout().lock())?,
            }
            Ok(Exit::Ok)
        }
        Command::Preflight => run_job(
            &runtime,
            &cli,
            &sources,
            Job::Preflight,
            jobs::preflight::run,
        ),
        Command::Status(args) => {
            let request = StatusRequest {
                strict: args.strict,
            };
            run_job(&runtime, &cli, &sources, Job::Status, async move |ctx| {
                jobs::status::run(ctx, request).await
            })
        }
        Command::Pause(args) => {
            let until = args
                .until
                .as_deref()
                .map(|t| jobs::pause::parse_until(t).map_err(|e| Usage(format!("--until: {e}"))))
                .transpose()?;
            let state_dir = config::state_dir(&sources, &|name| std::env::var(name).ok())?;
            let report = jobs::pause::pause(&state_dir, until, args.reason.clone())?;
            print_report(&cli, &report)?;
            Ok(report.exit())
        }
        Command::Metrics => {
            let state_dir = config::state_dir(&sources, &|name| std::env::var(name).ok())?;
            let metrics = jobs::metrics::run(&state_dir)?;
            if cli.json {
                print_report(&cli, &metrics)?;
            } else {
                // The text format ends with a newline; print it exactly.
                let mut out = std::io::stdout().lock();
                let _ = out
                    .write_all(jobs::metrics::render(&metrics).as_bytes())
                    .and_then(|()| out.flush());
            }
            Ok(Exit::Ok)
        }
        Command::Resume => {
            let state_dir = config::state_dir(&sources, &|name| std::env::var(name).ok())?;
            let report = jobs::pause::resume(&state_dir)?;
            print_report(&cli, &report)?;
            Ok(report.exit())
        }
        Command::Eod(args) => {
            let request = EodRequest {
                preview: args.preview,
            };
            let sources_for_summary = sources.clone();
            run_job(&runtime, &cli, &sources, Job::Eod, async move |ctx| {
                let sources = sources_for_summary;
                let report = jobs::eod::run(ctx, request).await?;
                if ctx.config.settings.report.notify {
                    let target = jobs::alert::target(&sources, &|name| std::env::var(name).ok());
                    jobs::summary::send(&report, target.webhook.as_ref(), target.format).await;
                }
                Ok(report)
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
            let state_dir = config::state_dir(&sources, &env)?;
            let report = jobs::backup::run(&state_dir, args.to.as_deref())?;
            print_report(&cli, &report)?;
            Ok(report.exit())
        }
        Command::Demo(args) => {
            let state_dir = jobs::demo::prepare_state_dir(cli.state_dir.as_deref())?;
            let log = (cli.verbose == 0).then(|| state_dir.join(jobs::demo::LOG_FILE));
            if let Some(path) = &log {
                logging::init_to_file(verbosity, path)
                    .with_context(|| format!("cannot open {}", path.display()))?;
            }
            let request = DemoRequest {
                days: args.days,
                state_dir,
                settings: jobs::demo::settings(cli.config.as_deref())?,
                rate_limit: None,
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
            let report = runtime.block_on(jobs::demo::run(&request, log, step))?;
            print_report(&cli, &report)?;
            Ok(report.exit())
        }
        Command::Systemd(SystemdCommand::Install(args)) => {
            let report = jobs::systemd::install(&InstallRequest {
                bin: args.bin.clone(),
                unit_dir: args.dir.unit_dir.clone(),
                no_enable: args.no_enable,
                dry_run: args.dry_run,
                full_text: cli.verbose > 0,
                paths: Paths::resolve(&sources, &env)?,
                sources: sources.clone(),
            })?;
            print_report(&cli, &report)?;
            Ok(report.exit())
        }
        Command::Systemd(SystemdCommand::Uninstall(dir)) => {
            let instance = sources.instance.as_ref().map(|i| &i.value);
            let report = jobs::systemd::uninstall(dir.unit_dir.as_deref(), instance)?;
            print_report(&cli, &report)?;
            Ok(report.exit())
        }
        Command::Alert(args) => {
            // An account's units (paper-eod@NAME.service) alert through a template that cannot
            // pass NAME on by itself: the failed unit's name says which account it was.
            let mut sources = sources.clone();
            if sources.instance.is_none() {
                sources.instance = args
                    .unit
                    .as_deref()
                    .and_then(crate::units::instance_of)
                    .map(|i| Sourced::new(i, Origin::Flag("--unit")));
            }
            let request = AlertRequest {
                unit: args.unit.clone(),
                test: args.test,
            };
            let report = runtime.block_on(jobs::alert::run(&sources, &env, &request))?;
            print_report(&cli, &report)?;
            Ok(report.exit())
        }
        Command::Sim(SimCommand::Serve(args)) => {
            runtime.block_on(jobs::sim::serve(args, print_out))?;
            Ok(Exit::Ok)
        }
    }
}

/// What chose each path: clap knows whether a flag or its environment variable gave it.
fn sources(cli: &Cli, matches: &ArgMatches) -> Sources {
    fn given<T: Clone>(
        matches: &ArgMatches,
        value: &Option<T>,
        id: &str,
        flag: &'static str,
        var: &'static str,
    ) -> Option<Sourced<T>> {
        let origin = match matches.value_source(id) {
            Some(ValueSource::EnvVariable) => Origin::Env(var),
            _ => Origin::Flag(flag),
        };
        value.clone().map(|v| Sourced::new(v, origin))
    }
    Sources {
        config_file: given(matches, &cli.config, "config", "--config", "AURORA_CONFIG"),
        env_file: given(
            matches,
            &cli.env_file,
            "env_file",
            "--env-file",
            "AURORA_ENV_FILE",
        ),
        state_dir: given(
            matches,
            &cli.state_dir,
            "state_dir",
            "--state-dir",
            "AURORA_STATE_DIR",
        ),
        instance: given(
            matches,
            &cli.instance,
            "instance",
            "--instance",
            "AURORA_INSTANCE",
        ),
        live_flag: cli.live,
    }
}

/// `init`'s flags plus what the environment gives: keys, endpoints and the live opt-in.
fn init_request(cli: &Cli, args: &InitArgs) -> anyhow::Result<InitRequest> {
    let from_env = |name: &'static str| {
        std::env::var(name)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .map(|v| Sourced::new(v, Origin::Env(name)))
    };
    let secret = if args.secret_stdin {
        Some(Sourced::new(
            jobs::init::secret_from_stdin()?,
            Origin::Flag("--secret-stdin"),
        ))
    } else {
        from_env("APCA_API_SECRET_KEY").map(|s| Sourced::new(Secret::new(s.value), s.origin))
    };
    Ok(InitRequest {
        key_id: match &args.key_id {
            Some(k) => Some(Sourced::new(k.clone(), Origin::Flag("--key-id"))),
            None => from_env("APCA_API_KEY_ID"),
        },
        secret,
        universe: args.universe.clone(),
        strategy: args.strategy.clone(),
        weights: args.weights.clone(),
        force: args.force,
        endpoints: [
            "APCA_API_BASE_URL",
            "BROKER_ENDPOINT",
            "APCA_API_DATA_URL",
            "IS_PAPER_TRADING",
        ]
        .into_iter()
        .filter_map(|name| Some((name, from_env(name)?.value)))
        .collect(),
        live: LiveOptIn {
            flag: cli.live,
            env: std::env::var("AURORA_LIVE").is_ok_and(|v| v.trim() == "1"),
        },
    })
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
