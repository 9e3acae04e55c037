//! `aurora init`: the env file with the keys and a commented `aurora.toml` for one account,
//! written without ever clobbering a file; then (in `app`) the preflight, and the next steps.

mod ask;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use chrono::Utc;
use rust_decimal::Decimal;
use serde::Serialize;

pub use ask::{Ask, Terminal, secret_from_stdin};

use super::Report;
use super::files::{self, FileAction};
use super::preflight::{CheckStatus, PreflightReport};
use crate::config::{
    self, LiveOptIn, PAPER_URL, Paths, Settings, Sourced, TradingMode, UniverseSettings,
    render_env_file, template,
};
use crate::exit::{Exit, Usage};
use crate::types::{SessionDate, Symbol};

/// What `aurora init` was given before it asks anything.
#[derive(Debug)]
pub struct InitRequest {
    /// `--key-id`, or `APCA_API_KEY_ID` from the environment.
    pub key_id: Option<Sourced<String>>,
    /// The secret from `--secret-stdin`, or `APCA_API_SECRET_KEY` from the environment.
    pub secret: Option<Sourced<crate::types::Secret>>,
    /// `--universe`.
    pub universe: Option<Vec<String>>,
    /// `--strategy`.
    pub strategy: Option<String>,
    /// `--weights`.
    pub weights: Option<Vec<String>>,
    /// `--force`: replace existing files, keeping backups.
    pub force: bool,
    /// `APCA_API_BASE_URL` and `APCA_API_DATA_URL` from the environment, written when set.
    pub endpoints: Vec<(&'static str, String)>,
    /// The two-part live opt-in, without which only paper endpoints are written.
    pub live: LiveOptIn,
}

/// One file `init` wrote or kept.
#[derive(Clone, Debug, Serialize)]
pub struct InitFile {
    /// Its path.
    pub path: PathBuf,
    /// Created, replaced (with the backup) or kept.
    #[serde(flatten)]
    pub action: FileAction,
    /// Its permission bits, when it exists.
    pub mode: Option<u32>,
}

/// The files `init` wrote or kept.
#[derive(Clone, Debug, Serialize)]
pub struct InitFiles {
    /// The env file.
    pub env_file: InitFile,
    /// `aurora.toml`.
    pub config_file: InitFile,
}

/// Asks for what is missing, then writes the env file and `aurora.toml` at `paths`. Nothing is
/// written until every answer is in; an existing file is kept unless `force`, which keeps it
/// as `NAME.bak-YYYYMMDDHHMMSS`.
pub fn write(
    paths: &Paths,
    request: InitRequest,
    mut ask: Option<&mut dyn Ask>,
) -> anyhow::Result<InitFiles> {
    let env_path = &paths.env_file.value;
    let toml_path = &paths.config_file.value;
    let keep_env = env_path.symlink_metadata().is_ok() && !request.force;
    let keep_toml = toml_path.symlink_metadata().is_ok() && !request.force;
    let flag_key = [
        request.key_id.as_ref().map(|k| &k.origin),
        request.secret.as_ref().map(|s| &s.origin),
    ]
    .into_iter()
    .flatten()
    .find_map(|o| match o {
        config::Origin::Flag(f) => Some(*f),
        _ => None,
    });
    if keep_env && let Some(flag) = flag_key {
        return Err(exists(env_path, flag).into());
    }
    let choice_flag = [
        request.universe.as_ref().map(|_| "--universe"),
        request.strategy.as_ref().map(|_| "--strategy"),
        request.weights.as_ref().map(|_| "--weights"),
    ]
    .into_iter()
    .flatten()
    .next();
    if keep_toml && let Some(flag) = choice_flag {
        return Err(exists(toml_path, flag).into());
    }

    if keep_env && let Some(a) = ask.as_deref_mut() {
        a.say(&format!("Using your existing {}.", env_path.display()));
    }
    let env_text = if keep_env {
        None
    } else {
        Some(env_text(&request, ask.as_deref_mut())?)
    };
    let toml_text = if keep_toml {
        None
    } else {
        Some(toml_text(&request, ask, toml_path)?)
    };

    let stamp = Utc::now().format("%Y%m%d%H%M%S").to_string();
    let put = |path: &Path, text: Option<String>| -> anyhow::Result<InitFile> {
        let action = match text {
            None => FileAction::Kept,
            Some(text) => {
                // Without --force, a file that appeared meanwhile is an error, not replaced.
                let backup = files::backup_path(path, &stamp);
                files::write_private(path, &text, request.force.then_some(backup.as_path()))?
            }
        };
        let mode = std::fs::metadata(path)
            .ok()
            .map(|m| m.permissions().mode() & 0o7777);
        Ok(InitFile {
            path: path.to_owned(),
            action,
            mode,
        })
    };
    Ok(InitFiles {
        env_file: put(env_path, env_text)?,
        config_file: put(toml_path, toml_text)?,
    })
}

fn exists(path: &Path, flag: &str) -> Usage {
    Usage(format!(
        "{} exists, so {flag} would be ignored: pass --force to replace it (the old file is kept as {}.bak-YYYYMMDDHHMMSS), or leave out {flag} to keep it",
        path.display(),
        path.file_name().unwrap_or_default().to_string_lossy()
    ))
}

/// The env file: keys from the request or asked, endpoints checked by the paper guard.
fn env_text(request: &InitRequest, mut ask: Option<&mut (dyn Ask + '_)>) -> anyhow::Result<String> {
    let missing = |what: &str, how: &str| {
        Usage(format!(
            "no {what}: {how} (or run aurora init on a terminal to be asked)"
        ))
    };
    let key_id = match (&request.key_id, ask.as_deref_mut()) {
        (Some(k), _) => k.value.trim().to_owned(),
        (None, Some(a)) => ask_until(a, "Alpaca API key ID (paper account): ", |s| {
            non_empty(s).map(str::to_owned)
        })?,
        (None, None) => {
            return Err(missing("API key ID", "pass --key-id or set APCA_API_KEY_ID").into());
        }
    };
    let secret = match (&request.secret, ask.as_deref_mut()) {
        (Some(s), _) => s.value.expose().trim().to_owned(),
        (None, Some(a)) => loop {
            let s = a.secret("API secret key (not shown): ")?;
            if !s.is_empty() {
                break s;
            }
            a.say("  The secret is empty; paste it again.");
        },
        (None, None) => {
            return Err(missing(
                "API secret key",
                "pass --secret-stdin and the secret on standard input, or set APCA_API_SECRET_KEY",
            )
            .into());
        }
    };
    let given = |name: &str| {
        request
            .endpoints
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
    };
    let (trading, data, mode) = config::endpoints(&given, request.live)?;
    let mut vars = vec![
        ("APCA_API_KEY_ID", key_id),
        ("APCA_API_SECRET_KEY", secret),
        (
            "APCA_API_BASE_URL",
            trading.as_str().trim_end_matches('/').to_owned(),
        ),
    ];
    if given("APCA_API_DATA_URL").is_some() {
        vars.push((
            "APCA_API_DATA_URL",
            data.as_str().trim_end_matches('/').to_owned(),
        ));
    }
    vars.push(("IS_PAPER_TRADING", (mode == TradingMode::Paper).to_string()));
    if let Some(a) = ask
        && mode == TradingMode::Paper
        && trading.as_str().trim_end_matches('/') == PAPER_URL
    {
        a.say(&format!("Endpoint: paper ({PAPER_URL})."));
    }
    let vars: Vec<(&str, &str)> = vars.iter().map(|(n, v)| (*n, v.as_str())).collect();
    render_env_file(
        &[
            "Alpaca keys for Aurora, written by `aurora init`. Aurora reads this file only while",
            "it is yours and mode 0600 (or stricter), like an ssh key.",
            "Optional: AURORA_ALERT_WEBHOOK='https://...' posts an alert when a job fails.",
        ],
        &vars,
    )
    .map_err(|e| Usage(e).into())
}

/// `aurora.toml`: the strategy, its weights and the universe, from the request or asked, the
/// rest commented out; checked by loading it as a job would.
fn toml_text(
    request: &InitRequest,
    mut ask: Option<&mut (dyn Ask + '_)>,
    path: &Path,
) -> anyhow::Result<String> {
    let usage = |e: String| anyhow::Error::from(Usage(e));
    let strategy = match (&request.strategy, &request.weights, ask.as_deref_mut()) {
        (Some(s), _, _) => Some(parse_strategy(s).map_err(|e| usage(format!("--strategy: {e}")))?),
        (None, None, Some(a)) => Some(ask_until(a, "Strategy, trend or fixed [trend]: ", |s| {
            if s.is_empty() {
                Ok("trend".to_owned())
            } else {
                parse_strategy(s)
            }
        })?),
        (None, _, _) => None,
    };
    let fixed =
        strategy.as_deref() == Some("fixed") || (strategy.is_none() && request.weights.is_some());
    let weights = match (&request.weights, ask.as_deref_mut()) {
        (Some(w), _) => Some(parse_weights(w).map_err(|e| usage(format!("--weights: {e}")))?),
        (None, Some(a)) if fixed => Some(ask_until(
            a,
            "Weights for fixed, e.g. SPY=0.6,TLT=0.4 (sum at most 1): ",
            |s| {
                let w = parse_weights(&split(s))?;
                choose(None, Some("fixed".into()), Some(w.clone()))?;
                Ok(w)
            },
        )?),
        (None, _) => None,
    };
    let universe = match (&request.universe, ask) {
        (Some(u), _) => Some(parse_universe(u).map_err(|e| usage(format!("--universe: {e}")))?),
        (None, Some(a)) => {
            let default = match &weights {
                Some(w) => w.keys().map(Symbol::as_str).collect::<Vec<_>>().join(","),
                None => default_universe(),
            };
            ask_until(a, &format!("Symbols to trade [{default}]: "), |s| {
                let u = parse_universe(&split(if s.is_empty() { &default } else { s }))?;
                if let Some(w) = &weights {
                    covers(&u, w)?;
                }
                Ok(u)
            })
            .map(Some)?
        }
        (None, None) => None,
    };
    let (settings, chosen) = choose(universe, strategy, weights).map_err(usage)?;
    let text = template::render(&settings, &chosen);
    // Whatever was chosen, the file must load as every job will load it.
    template::load(path, &text)?;
    Ok(text)
}

fn default_universe() -> String {
    UniverseSettings::default()
        .symbols
        .iter()
        .map(Symbol::as_str)
        .collect::<Vec<_>>()
        .join(",")
}

/// Asks until `parse` takes the answer, saying why it did not.
fn ask_until<T>(
    ask: &mut dyn Ask,
    prompt: &str,
    parse: impl Fn(&str) -> Result<T, String>,
) -> anyhow::Result<T> {
    loop {
        let answer = ask.line(prompt)?;
        match parse(&answer) {
            Ok(v) => return Ok(v),
            Err(e) => ask.say(&format!("  {e}")),
        }
    }
}

fn non_empty(s: &str) -> Result<&str, String> {
    if s.is_empty() {
        Err("an answer is needed".into())
    } else {
        Ok(s)
    }
}

fn split(s: &str) -> Vec<String> {
    s.split(',').map(str::to_owned).collect()
}

/// Symbols, checked, without repeats.
fn parse_universe(list: &[String]) -> Result<Vec<Symbol>, String> {
    let mut out: Vec<Symbol> = Vec::new();
    for item in list.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        let symbol: Symbol = item.parse().map_err(|e| format!("{e}"))?;
        if !out.contains(&symbol) {
            out.push(symbol);
        }
    }
    if out.is_empty() {
        return Err("name at least one symbol".into());
    }
    Ok(out)
}

fn parse_strategy(name: &str) -> Result<String, String> {
    let name = name.trim();
    if crate::strategy::NAMES.contains(&name) {
        Ok(name.to_owned())
    } else {
        Err(format!(
            "unknown strategy {name:?}; choose one of {}",
            crate::strategy::NAMES.join(", ")
        ))
    }
}

/// `SYM=W` pairs: known symbols, decimal weights.
fn parse_weights(list: &[String]) -> Result<BTreeMap<Symbol, Decimal>, String> {
    let mut out = BTreeMap::new();
    for item in list.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        let (symbol, weight) = item
            .split_once('=')
            .ok_or_else(|| format!("{item:?} is not SYMBOL=WEIGHT"))?;
        let symbol: Symbol = symbol.trim().parse().map_err(|e| format!("{e}"))?;
        let weight: Decimal = weight
            .trim()
            .parse()
            .map_err(|_| format!("{item:?}: the weight is not a number"))?;
        if out.insert(symbol.clone(), weight).is_some() {
            return Err(format!("{symbol} has two weights"));
        }
    }
    if out.is_empty() {
        return Err("give at least one SYMBOL=WEIGHT".into());
    }
    Ok(out)
}

/// The settings the answers make, and the keys `aurora.toml` writes out. `fixed` is implied by
/// weights; its universe defaults to the weighted symbols, which it must include.
fn choose(
    universe: Option<Vec<Symbol>>,
    strategy: Option<String>,
    weights: Option<BTreeMap<Symbol, Decimal>>,
) -> Result<(Settings, Vec<&'static str>), String> {
    let mut s = Settings::default();
    let name =
        strategy.unwrap_or_else(|| if weights.is_some() { "fixed" } else { "trend" }.to_owned());
    let mut chosen = vec!["universe.symbols", "strategy.name"];
    match (name.as_str(), weights) {
        ("fixed", None) => return Err("fixed needs --weights, e.g. SPY=0.6,TLT=0.4".into()),
        ("fixed", Some(w)) => {
            s.universe.symbols = w.keys().cloned().collect();
            s.strategy.weights = w;
            chosen.push("strategy.weights");
        }
        (other, Some(_)) => {
            return Err(format!("--weights is for the fixed strategy, not {other}"));
        }
        (_, None) => {}
    }
    s.strategy.name = name;
    if let Some(u) = universe {
        covers(&u, &s.strategy.weights)?;
        s.universe.symbols = u;
    }
    s.check()?;
    Ok((s, chosen))
}

/// Every weighted symbol is in the universe (a weight outside it would never trade).
fn covers(universe: &[Symbol], weights: &BTreeMap<Symbol, Decimal>) -> Result<(), String> {
    match weights.keys().find(|w| !universe.contains(w)) {
        Some(missing) => Err(format!(
            "{missing} has a weight but is not in the universe ({})",
            universe
                .iter()
                .map(Symbol::as_str)
                .collect::<Vec<_>>()
                .join(",")
        )),
        None => Ok(()),
    }
}

/// What `aurora init` did, and the preflight it ran with the files.
#[derive(Debug, Serialize)]
pub struct InitReport {
    /// The instance set up, if any.
    pub instance: Option<String>,
    /// The env file and `aurora.toml`.
    #[serde(flatten)]
    pub files: InitFiles,
    /// The state directory the jobs will use.
    pub state_dir: PathBuf,
    /// The preflight's report, when it ran.
    pub preflight: Option<PreflightReport>,
    /// Why the preflight could not run, when it could not.
    pub preflight_error: Option<String>,
    /// Commands to run next.
    pub next_steps: Vec<String>,
    #[serde(skip)]
    exit: Exit,
}

impl InitReport {
    /// The report for `files` and the outcome of the preflight run with them.
    pub fn new(
        paths: &Paths,
        files: InitFiles,
        preflight: anyhow::Result<PreflightReport>,
    ) -> InitReport {
        let instance = paths.instance.as_ref().map(|i| i.value.to_string());
        let aurora = match &instance {
            Some(name) => format!("aurora --instance {name}"),
            None => "aurora".to_owned(),
        };
        let (preflight, preflight_error, exit) = match preflight {
            Ok(r) => {
                let exit = r.exit();
                (Some(r), None, exit)
            }
            Err(e) => (None, Some(format!("{e:#}")), Exit::of_error(&e)),
        };
        let next_steps = if exit != Exit::Ok {
            vec![format!("{aurora} preflight")]
        } else {
            vec![
                format!("{aurora} systemd install"),
                "sudo loginctl enable-linger $USER".to_owned(),
                format!("{aurora} status"),
            ]
        };
        InitReport {
            instance,
            files,
            state_dir: paths.state_dir.value.clone(),
            preflight,
            preflight_error,
            next_steps,
            exit,
        }
    }
}

impl Report for InitReport {
    fn exit(&self) -> Exit {
        self.exit
    }

    fn session(&self) -> Option<SessionDate> {
        self.preflight.as_ref().and_then(|p| p.session_date)
    }

    fn render(&self) -> String {
        let mut out = String::new();
        let heading = match &self.instance {
            Some(name) => format!("Aurora init · instance {name}"),
            None => "Aurora init".to_owned(),
        };
        let _ = writeln!(out, "{heading}");
        for (label, f) in [
            ("env file", &self.files.env_file),
            ("config  ", &self.files.config_file),
        ] {
            let mode = f
                .mode
                .map(|m| format!(", mode {m:04o}"))
                .unwrap_or_default();
            let what = match &f.action {
                FileAction::Created => format!("created{mode}"),
                FileAction::Replaced { backup } => {
                    format!(
                        "replaced{mode} (the old file is kept as {})",
                        backup.display()
                    )
                }
                FileAction::Kept if label == "env file" => {
                    format!("using your existing {}", f.path.display())
                }
                FileAction::Kept => "kept as it is (--force replaces it, keeping a backup)".into(),
            };
            let _ = writeln!(out, "  {label}  {}: {what}", f.path.display());
        }
        let _ = writeln!(out, "  state     {}", self.state_dir.display());
        let _ = writeln!(out);
        if let Some(p) = &self.preflight {
            out.push_str(&p.render());
            let failed: Vec<_> = p
                .checks
                .iter()
                .filter(|c| c.status == CheckStatus::Fail)
                .collect();
            if !failed.is_empty() {
                let _ = writeln!(out, "\nFix this, then run `{}`:", self.next_steps[0]);
                for c in failed {
                    // The check's own detail says how to fix it, unless a fix is known here.
                    let fix = fix_for(&c.name, &self.files).unwrap_or_else(|| c.detail.clone());
                    let _ = writeln!(out, "  ❌ {}: {fix}", c.name);
                }
                return out;
            }
        }
        if let Some(e) = &self.preflight_error {
            let _ = writeln!(out, "Preflight could not run: {e}");
            if self.exit == Exit::TempFail {
                let _ = writeln!(
                    out,
                    "  Alpaca could not be reached: check the network and the endpoint."
                );
            }
            let _ = writeln!(out, "\nFix this, then run `{}`.", self.next_steps[0]);
            return out;
        }
        let _ = writeln!(out, "\nNext steps:");
        for step in &self.next_steps {
            let why = match step.as_str() {
                s if s.ends_with(" systemd install") => "write and enable the daily timers",
                "sudo loginctl enable-linger $USER" => "keep them running while you are logged out",
                s if s.ends_with(" status") => "any time: account, orders, health",
                _ => "",
            };
            let _ = writeln!(out, "  {step:<36}  {why}");
        }
        out
    }
}

/// How to fix a failed preflight check that does not say so itself.
fn fix_for(check: &str, files: &InitFiles) -> Option<String> {
    let env = files.env_file.path.display();
    let toml = files.config_file.path.display();
    Some(match check {
        "credentials" => format!(
            "correct APCA_API_KEY_ID and APCA_API_SECRET_KEY in {env} (paper keys: Alpaca's dashboard, Paper account, API keys), or run `aurora init --force`"
        ),
        "account" => "the account cannot trade: see it in Alpaca's dashboard".to_owned(),
        "clock skew" => "turn on time synchronisation: sudo timedatectl set-ntp true".to_owned(),
        "buying power" => format!(
            "lower risk.min_buying_power in {toml}, or reset the paper account's balance in Alpaca's dashboard"
        ),
        "market data" => "run `aurora fetch`".to_owned(),
        "store" => {
            "restore the database from a backup (operator guide: Backup and restore)".to_owned()
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(s: &str) -> Vec<String> {
        split(s)
    }

    #[test]
    fn answers_make_settings_that_validate() {
        let (s, chosen) = choose(None, None, None).unwrap();
        assert_eq!(s, Settings::default());
        assert_eq!(chosen, ["universe.symbols", "strategy.name"]);

        let w = parse_weights(&strings("SPY=0.6, TLT=0.4")).unwrap();
        let (s, chosen) = choose(None, None, Some(w.clone())).unwrap();
        assert_eq!(s.strategy.name, "fixed");
        assert_eq!(
            s.universe.symbols,
            parse_universe(&strings("SPY,TLT")).unwrap()
        );
        assert!(chosen.contains(&"strategy.weights"));

        let u = parse_universe(&strings("SPY,TLT,GLD,SPY")).unwrap();
        assert_eq!(u.len(), 3);
        let (s, _) = choose(Some(u), Some("fixed".into()), Some(w.clone())).unwrap();
        assert_eq!(s.universe.symbols.len(), 3);

        for (universe, strategy, weights, error) in [
            (None, Some("fixed"), None, "fixed needs --weights"),
            (
                None,
                Some("trend"),
                Some("SPY=1"),
                "--weights is for the fixed strategy",
            ),
            (
                Some("GLD"),
                None,
                Some("SPY=1"),
                "SPY has a weight but is not in the universe",
            ),
            (None, None, Some("SPY=0.7,TLT=0.4"), "sum to at most 1"),
        ] {
            let e = choose(
                universe.map(|u| parse_universe(&strings(u)).unwrap()),
                strategy.map(str::to_owned),
                weights.map(|w| parse_weights(&strings(w)).unwrap()),
            )
            .unwrap_err();
            assert!(e.contains(error), "{e}");
        }
        assert!(
            parse_weights(&strings("SPY"))
                .unwrap_err()
                .contains("SYMBOL=WEIGHT")
        );
        assert!(
            parse_weights(&strings("SPY=x"))
                .unwrap_err()
                .contains("not a number")
        );
        assert!(
            parse_weights(&strings("SPY=0.1,SPY=0.2"))
                .unwrap_err()
                .contains("two weights")
        );
        assert!(parse_universe(&strings(" , ")).is_err());
        assert!(parse_strategy("magic").unwrap_err().contains("trend"));
    }
}
