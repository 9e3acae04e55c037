//! Command-line definitions (clap). Parsing only: `app` turns these into real objects.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand};
use clap_complete::Shell;

use crate::config::Instance;

/// Unattended daily paper trading on Alpaca.
#[derive(Debug, Parser)]
#[command(
    name = "aurora",
    version,
    about = "Unattended daily paper trading on Alpaca, run by systemd timers",
    after_help = "Examples:\n  aurora init\n  aurora preflight\n  aurora status --json\n  aurora --instance acct2 status\n  aurora --env-file ./paper.env --state-dir /tmp/aurora status"
)]
pub struct Cli {
    /// aurora.toml to read (default: ~/.config/aurora/aurora.toml; optional).
    #[arg(long, global = true, env = "AURORA_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Env file with the Alpaca keys (default: ~/.config/paper-trading.env).
    #[arg(long, global = true, env = "AURORA_ENV_FILE", value_name = "FILE")]
    pub env_file: Option<PathBuf>,

    /// State directory: database, lock, reports (default: ~/.local/share/aurora).
    #[arg(long, global = true, env = "AURORA_STATE_DIR", value_name = "DIR")]
    pub state_dir: Option<PathBuf>,

    /// One account of several: ~/.config/aurora/NAME/{paper-trading.env,aurora.toml} and state
    /// ~/.local/share/aurora/NAME (--env-file, --config, --state-dir still win).
    #[arg(long, global = true, env = "AURORA_INSTANCE", value_name = "NAME")]
    pub instance: Option<Instance>,

    /// Print the result as one JSON document instead of text.
    #[arg(long, global = true)]
    pub json: bool,

    /// Allow a live (non-paper) endpoint; also needs AURORA_LIVE=1 in the environment.
    #[arg(long, global = true)]
    pub live: bool,

    /// More log output (-v debug, -vv trace).
    #[arg(short, long, global = true, action = ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,

    /// Only warnings and errors in the log.
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// The job to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Aurora's subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Set up an account: the env file with the keys, a commented aurora.toml, then preflight.
    #[command(
        after_help = "On a terminal it asks for what the flags and the environment do not give \
(the secret without echo); otherwise it takes them from --key-id or APCA_API_KEY_ID, \
--secret-stdin or APCA_API_SECRET_KEY, --universe, --strategy and --weights. Paper by default: \
APCA_API_BASE_URL and APCA_API_DATA_URL, when set, are written instead of Alpaca's hosts, under \
the same paper guard as every job. The env file is created mode 0600. An existing file is \
used as it is (a migrating operator's ~/.config/paper-trading.env) and never overwritten \
without --force, which keeps it as NAME.bak-YYYYMMDDHHMMSS.\n\n\
Exit: that of the preflight it runs (0 pass, 3 a check failed, 75 Alpaca unreachable); 2 bad \
answers or an existing file in the way.\n\nExamples:\n  aurora init\n  \
aurora --instance acct2 init\n  printf '%s\\n' \"$SECRET\" | aurora init --key-id PK... --secret-stdin \\\n      \
--universe SPY,TLT --weights SPY=0.6,TLT=0.4"
    )]
    Init(InitArgs),

    /// Show every configuration value in effect and where it came from; `paths`: the files used.
    #[command(
        after_help = "Sources: default, aurora.toml:LINE, env VAR, env file:LINE, flag --FLAG. \
Secrets print as *** (the key ID's last four characters may show). The same validation as every \
job: an invalid file exits 2 naming file, line and key.\n\nExamples:\n  aurora config\n  \
aurora config --json | jq '.values[] | select(.source != \"default\")'\n  aurora config paths"
    )]
    Config(ConfigArgs),

    /// Check everything that must hold before money moves; record today's verdict.
    #[command(
        after_help = "Exit: 0 all checks pass (or no session today), 3 a check failed, \
75 Alpaca unreachable.\n\nExample:\n  aurora preflight"
    )]
    Preflight,

    /// Show account, positions, open orders, market clock, last runs and health.
    #[command(
        after_help = "A problem is flagged (exit 1) once: a later status shows it but exits 0, \
so the hourly timer alerts once per problem and session. --strict exits 1 for every problem \
found, alerted before or not.\n\nExit: 0 healthy (or only problems flagged before), 1 a new \
problem was flagged.\n\nExamples:\n  aurora status\n  aurora status --json | jq .account.equity\n  \
aurora status --strict"
    )]
    Status(StatusArgs),

    /// Pause trading: preflight and trade send nothing until resumed (or until --until).
    #[command(
        after_help = "fetch, eod and status go on as usual (the account still needs watching), and \
status reports the pause as healthy. A run already sending orders is stopped by the kill_switch \
risk rule. --until takes a date (the pause ends as that New York market date begins) or a date \
and time (RFC 3339, or YYYY-MM-DDTHH:MM in America/Chicago), measured by Alpaca's clock. \
The file STATE_DIR/HALT is the same state without the binary.\n\nExamples:\n  \
aurora pause --reason \"broker maintenance\"\n  aurora pause --until 2026-12-07 --reason holiday\n  \
aurora pause --until 2026-12-01T10:00"
    )]
    Pause(PauseArgs),

    /// End a pause: remove the stored pause and STATE_DIR/HALT.
    #[command(after_help = "Example:\n  aurora resume")]
    Resume,

    /// Print the metrics (Prometheus text format) that jobs write to metrics.textfile.
    #[command(
        after_help = "From the store alone: no request to Alpaca, no lock. With metrics.textfile \
set, every job ends by writing the same text there (atomically), for node_exporter's textfile \
collector.\n\nExample:\n  aurora metrics"
    )]
    Metrics,

    /// Fetch daily bars for the universe through the last completed session into the store.
    #[command(
        after_help = "Incremental by default: only sessions after the last stored one (plus \
data.overlap_sessions), and data.history_days sessions for a symbol with no history.\n\n\
Exit: 0 ok, 1 a symbol failed (named), 75 Alpaca unreachable.\n\nExamples:\n  aurora fetch\n  \
aurora fetch --symbols SPY,TLT --start 2025-01-02 --full"
    )]
    Fetch(FetchArgs),

    /// Plan today's orders from stored bars, check every risk limit, and send each order once.
    #[command(
        after_help = "Needs a passing preflight for today (runs it when none is recorded). A \
second run the same session only finishes what is unfinished.\n\n\
Exit: 0 all accepted (or nothing to do), 1 some rejected, 3 blocked (preflight, risk rule, kill \
switch), 75 Alpaca unreachable.\n\nExamples:\n  aurora trade --dry-run\n  aurora trade\n  aurora trade --replan"
    )]
    Trade(TradeArgs),

    /// Reconcile every closed session since the last snapshot: orders, fills, positions; a
    /// snapshot and a daily report each.
    #[command(
        after_help = "Oldest first, each session once: after the machine was off, one report per \
missed session. Before today's close it reconciles only earlier sessions and stores nothing for \
today. The first run adopts the positions held as the baseline. Per session it writes \
REPORT_DIR/YYYY-MM-DD.md, YYYY-MM-DD.json and equity-YYYY-MM-DD.svg, and copies the chart to \
equity.svg (a rerun the same evening rewrites them and keeps one snapshot).\n\nExit: 0 clean (or \
nothing to do), 4 a discrepancy was found (after writing the report), 75 Alpaca \
unreachable.\n\nExamples:\n  aurora eod\n  aurora eod --preview"
    )]
    Eod(EodArgs),

    /// Performance, trades and daily P&L over any period, from the store alone.
    #[command(
        after_help = "Reads only the store: no request to Alpaca, no lock, so it runs while a \
timer's job works. The period is every snapshot unless narrowed; --month and --since each set \
both ends and exclude --from/--to.\n\nExit: 0 ok, 1 no snapshot in the period, 2 bad \
period.\n\nExamples:\n  aurora report\n  aurora report --month 2026-12\n  aurora report --since 4w \
--json\n  aurora report --from 2026-11-30 --to 2026-12-04"
    )]
    Report(ReportArgs),

    /// Copy the store (aurora.db) consistently, even while a job is writing it.
    #[command(
        after_help = "Uses SQLite's online backup and takes no lock, so it runs while a timer's job \
works. The copy is private (0600), self-contained (no -wal file) and checked; an existing FILE is \
never overwritten.\n\nExit: 0 copied, 1 failed (named), 75 the database stayed busy.\n\n\
Examples:\n  aurora backup\n  aurora backup --to ~/backups/aurora-$(date +%F).db"
    )]
    Backup(BackupArgs),

    /// Run whole trading days offline against a built-in fake Alpaca: no keys, no network.
    #[command(
        after_help = "Each day: fetch → preflight → trade → (the fake opens and fills) → status → \
(the fake closes) → eod, through the real jobs and HTTP client.\n\nExamples:\n  aurora demo\n  \
aurora demo --days 3 --state-dir /tmp/aurora-demo"
    )]
    Demo(DemoArgs),

    /// Install or remove the systemd user units and timers that run Aurora's daily cycle.
    #[command(
        subcommand,
        after_help = "Examples:\n  aurora systemd install --dry-run\n  aurora systemd uninstall"
    )]
    Systemd(SystemdCommand),

    /// Post a failure alert for a unit to AURORA_ALERT_WEBHOOK (what OnFailure= runs).
    #[command(
        after_help = "The alert names the unit, its job and session, the exit code and its meaning, \
the run's error lines (from the store), the host and the journalctl command to see more. The \
webhook comes from the environment or the env file (read even when its mode is unsafe, which the \
alert then says). AURORA_ALERT_FORMAT (slack, discord, ntfy, telegram, json) defaults by the \
webhook's host. Without a webhook, it says so and exits 0; a webhook that keeps failing after \
retries exits 1.\n\nExamples:\n  aurora alert --unit paper-trading.service\n  aurora alert --test"
    )]
    Alert(AlertArgs),

    /// The fake Alpaca used by tests and demos.
    #[command(
        subcommand,
        after_help = "Example:\n  aurora sim serve --now 2026-11-30T14:00:00Z"
    )]
    Sim(SimCommand),

    /// Print a shell completion script.
    #[command(
        after_help = "Examples, with where each shell looks for the script:\n  \
bash        aurora completions bash > ~/.local/share/bash-completion/completions/aurora\n  \
zsh         aurora completions zsh > ~/.zfunc/_aurora\n              \
(and fpath+=~/.zfunc before compinit in ~/.zshrc)\n  \
fish        aurora completions fish > ~/.config/fish/completions/aurora.fish\n  \
elvish      aurora completions elvish > ~/.config/elvish/lib/aurora.elv\n              \
(and `use aurora` in ~/.config/elvish/rc.elv)\n  \
powershell  in $PROFILE: aurora completions powershell | Out-String | Invoke-Expression"
    )]
    Completions(CompletionsArgs),

    /// Print the man page, or write one page per command into a directory.
    #[command(
        after_help = "Examples:\n  aurora man | man -l -\n  aurora man --dir ~/.local/share/man/man1 && man aurora"
    )]
    Man(ManArgs),
}

/// Arguments of `aurora init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The Alpaca API key ID (else APCA_API_KEY_ID, else asked on a terminal).
    #[arg(long, value_name = "ID")]
    pub key_id: Option<String>,

    /// Read the API secret key from the first line of standard input.
    #[arg(long)]
    pub secret_stdin: bool,

    /// Symbols to trade, comma-separated (default: SPY,QQQ,IWM,EFA,TLT,GLD; with --weights: theirs).
    #[arg(long, value_delimiter = ',', value_name = "A,B,...")]
    pub universe: Option<Vec<String>>,

    /// The strategy: trend or fixed (default: trend; with --weights: fixed).
    #[arg(long, value_name = "NAME")]
    pub strategy: Option<String>,

    /// Target weights for fixed, comma-separated, e.g. SPY=0.6,TLT=0.4 (sum at most 1).
    #[arg(long, value_delimiter = ',', value_name = "SYM=W,...")]
    pub weights: Option<Vec<String>>,

    /// Replace existing files, keeping each as NAME.bak-YYYYMMDDHHMMSS.
    #[arg(long)]
    pub force: bool,
}

/// Arguments of `aurora config`.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// `paths`: the files and directories in use instead of the values.
    #[command(subcommand)]
    pub what: Option<ConfigCommand>,
}

/// Subcommands of `aurora config`.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// The env file, config file, state directory, database, reports directory and lock in use,
    /// whether each exists, and its mode.
    #[command(after_help = "Example:\n  aurora --instance acct2 config paths")]
    Paths,
}

/// Arguments of `aurora completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Arguments of `aurora man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write aurora.1 and a page per command (aurora-status.1, …) here instead of printing aurora.1.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// Subcommands of `aurora systemd`.
#[derive(Debug, Subcommand)]
pub enum SystemdCommand {
    /// Write the units into the user unit directory, reload systemd and enable the timers.
    #[command(
        after_help = "A different existing file is backed up (NAME.bak-TIMESTAMP), never silently \
overwritten. --config, --env-file and --state-dir are passed on to every job. With --instance \
NAME: template units (paper-eod@.service, …) and NAME's timers (paper-eod@NAME.timer, …).\n\n\
Examples:\n  aurora systemd install\n  aurora systemd install --dry-run\n  \
aurora --instance acct2 systemd install\n  \
aurora systemd install --bin /usr/local/bin/aurora --no-enable"
    )]
    Install(InstallArgs),
    /// Disable the timers and remove the unit files install wrote.
    #[command(
        after_help = "With --instance NAME: NAME's timers; the templates go with the last account.\n\n\
Examples:\n  aurora systemd uninstall\n  aurora --instance acct2 systemd uninstall"
    )]
    Uninstall(UnitDirArg),
}

/// Arguments of `aurora systemd install`.
#[derive(Debug, Args)]
pub struct InstallArgs {
    /// The aurora binary the units run (default: this one).
    #[arg(long, value_name = "PATH")]
    pub bin: Option<PathBuf>,
    /// Where the units go (default: ~/.config/systemd/user).
    #[command(flatten)]
    pub dir: UnitDirArg,
    /// Write and reload, but leave the timers disabled.
    #[arg(long)]
    pub no_enable: bool,
    /// Say what would change (each file new, changed with a diff, or unchanged; -v: in full).
    #[arg(long)]
    pub dry_run: bool,
}

/// The unit directory.
#[derive(Debug, Args)]
pub struct UnitDirArg {
    /// User unit directory (default: ~/.config/systemd/user).
    #[arg(long, value_name = "DIR")]
    pub unit_dir: Option<PathBuf>,
}

/// Arguments of `aurora alert`.
#[derive(Debug, Args)]
pub struct AlertArgs {
    /// The unit that failed (systemd passes it as %i).
    #[arg(long, value_name = "NAME", required_unless_present = "test")]
    pub unit: Option<String>,
    /// Send a sample alert, to check the webhook and its format.
    #[arg(long, conflicts_with = "unit")]
    pub test: bool,
}

/// Arguments of `aurora status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Exit 1 for every problem found, not only for new ones (for scripts).
    #[arg(long)]
    pub strict: bool,
}

/// Arguments of `aurora pause`.
#[derive(Debug, Args)]
pub struct PauseArgs {
    /// When the pause ends by itself: YYYY-MM-DD, YYYY-MM-DDTHH:MM (Chicago time) or RFC 3339.
    #[arg(long, value_name = "DATE|DATETIME")]
    pub until: Option<String>,
    /// Why, shown by preflight, trade, status and alerts.
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
}

/// Arguments of `aurora backup`.
#[derive(Debug, Args)]
pub struct BackupArgs {
    /// Where the copy goes (default: STATE_DIR/backups/aurora-<UTC time>.db); must not exist.
    #[arg(long, value_name = "FILE")]
    pub to: Option<PathBuf>,
}

/// Arguments of `aurora demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Trading days to run.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=250))]
    pub days: u32,
}

/// Arguments of `aurora eod`.
#[derive(Debug, Args)]
pub struct EodArgs {
    /// Before today's close, also show today's figures so far (nothing is stored for today).
    #[arg(long)]
    pub preview: bool,
}

/// Arguments of `aurora report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// First session of the period.
    #[arg(long, value_name = "YYYY-MM-DD", conflicts_with_all = ["month", "since"])]
    pub from: Option<chrono::NaiveDate>,

    /// Last session of the period.
    #[arg(long, value_name = "YYYY-MM-DD", conflicts_with_all = ["month", "since"])]
    pub to: Option<chrono::NaiveDate>,

    /// One calendar month.
    #[arg(long, value_name = "YYYY-MM", conflicts_with = "since")]
    pub month: Option<String>,

    /// The last N days, weeks or months up to the latest snapshot: 7d, 4w, 3m.
    #[arg(long, value_name = "N[d|w|m]")]
    pub since: Option<String>,
}

/// Arguments of `aurora trade`.
#[derive(Debug, Args)]
pub struct TradeArgs {
    /// Compute, print and store the plan marked as a dry run; send nothing.
    #[arg(long, conflicts_with = "replan")]
    pub dry_run: bool,

    /// Cancel Aurora's open orders for the session and plan afresh.
    #[arg(long)]
    pub replan: bool,
}

/// Arguments of `aurora fetch`.
#[derive(Debug, Args)]
pub struct FetchArgs {
    /// Fetch these symbols instead of the universe (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "A,B,...")]
    pub symbols: Option<Vec<String>>,

    /// First session to fetch (every symbol from here).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub start: Option<chrono::NaiveDate>,

    /// Last session to fetch (default and limit: the last completed session).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub end: Option<chrono::NaiveDate>,

    /// Refetch the whole window, ignoring what is stored.
    #[arg(long)]
    pub full: bool,
}

/// Subcommands of `aurora sim`.
#[derive(Debug, Subcommand)]
pub enum SimCommand {
    /// Serve a fake Alpaca on loopback; prints its base URL on the first line, then serves until stopped.
    #[command(
        after_help = "Example:\n  aurora sim serve --addr 127.0.0.1:8765 --now 2026-11-30T13:00:00Z"
    )]
    Serve(SimServeArgs),
}

/// Arguments of `aurora sim serve`.
#[derive(Debug, Args)]
pub struct SimServeArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub addr: SocketAddr,

    /// The fake's market clock at start (RFC 3339); it ticks from there. Default: now.
    #[arg(long, value_name = "RFC3339")]
    pub now: Option<chrono::DateTime<chrono::FixedOffset>>,

    /// API key id the fake accepts.
    #[arg(long, default_value = crate::sim::DEFAULT_KEY)]
    pub key: String,

    /// API secret the fake accepts.
    #[arg(long, default_value = crate::sim::DEFAULT_SECRET)]
    pub secret: String,
}
