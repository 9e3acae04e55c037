//! Configuration: the env file (secrets, endpoints) plus `aurora.toml` (everything else),
//! validated into one `Config`.

mod effective;
mod endpoint;
mod env_file;
mod error;
mod file;
pub mod keys;
mod origin;
mod paths;
mod settings;
pub mod template;

use std::collections::BTreeMap;
use std::path::PathBuf;

use reqwest::Url;

pub use effective::{Entry, effective};
pub use endpoint::{Api, EndpointKind, LiveOptIn, PaperGuardError, TradingMode};
pub use env_file::{EnvFileState, MAX_ENV_FILE_BYTES, render_env_file};
pub use error::ConfigError;
pub use origin::{Origin, Sourced};
pub use paths::{Instance, Paths};
pub use settings::read as read_settings;
pub use settings::{
    AlpacaSettings, DataSettings, Feed, KeyLines, MAX_CONFIG_BYTES, MetricsSettings, OnViolation,
    OrderSettings, ReportSettings, RiskSettings, Settings, StoreSettings, StrategySettings,
    TimeInForce, UniverseSettings,
};

use crate::types::Secret;

/// Alpaca's paper trading host.
pub const PAPER_URL: &str = "https://paper-api.alpaca.markets";
/// Alpaca's market data host.
pub const DATA_URL: &str = "https://data.alpaca.markets";

/// The kill switch file in the state directory: while it exists, nothing trades.
pub const HALT_FILE: &str = "HALT";

/// Where configuration and state come from, before anything is read: flags or their
/// environment variables, each with which of the two gave it.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    /// `--config` / `AURORA_CONFIG`.
    pub config_file: Option<Sourced<PathBuf>>,
    /// `--env-file` / `AURORA_ENV_FILE`.
    pub env_file: Option<Sourced<PathBuf>>,
    /// `--state-dir` / `AURORA_STATE_DIR`.
    pub state_dir: Option<Sourced<PathBuf>>,
    /// `--instance` / `AURORA_INSTANCE`: one account of several.
    pub instance: Option<Sourced<Instance>>,
    /// `--live` was given.
    pub live_flag: bool,
}

/// Everything a job needs to know, validated.
#[derive(Clone, Debug)]
pub struct Config {
    /// The `aurora.toml` that was read, if one exists.
    pub config_file: Option<PathBuf>,
    /// The env file path and what was found there.
    pub env_file: EnvFileState,
    /// State directory (database, lock, reports).
    pub state_dir: PathBuf,
    /// Credentials and endpoints.
    pub alpaca: AlpacaAccess,
    /// The `aurora.toml` settings (or their defaults).
    pub settings: Settings,
    /// `AURORA_ALERT_WEBHOOK` as found (not checked: only `aurora alert` uses it, and reads it
    /// itself), for `aurora config`.
    pub alert_webhook: Option<Secret>,
    /// Where each value came from, for `aurora config`.
    pub origins: Origins,
}

/// Where the loader found each value.
#[derive(Clone, Debug, Default)]
pub struct Origins {
    /// The files and directory in use, and what chose each.
    pub paths: Paths,
    /// Each variable that was set: the environment or a line of the env file.
    pub vars: BTreeMap<&'static str, Origin>,
    /// The line of each `aurora.toml` key written (the others have their defaults).
    pub settings: KeyLines,
}

/// How to reach Alpaca.
#[derive(Clone, Debug)]
pub struct AlpacaAccess {
    /// `APCA_API_KEY_ID`.
    pub key_id: Secret,
    /// `APCA_API_SECRET_KEY`.
    pub secret_key: Secret,
    /// Trading API base URL.
    pub trading_url: Url,
    /// Market Data API base URL.
    pub data_url: Url,
    /// Paper, or deliberately live.
    pub mode: TradingMode,
}

/// The variables Aurora reads from the environment or the env file.
const VARIABLES: [&str; 7] = [
    "APCA_API_KEY_ID",
    "APCA_API_SECRET_KEY",
    "APCA_API_BASE_URL",
    "BROKER_ENDPOINT",
    "APCA_API_DATA_URL",
    "IS_PAPER_TRADING",
    "AURORA_ALERT_WEBHOOK",
];

/// Variables from the process environment, else the env file, with where each was found.
struct Vars<'a> {
    env: &'a dyn Fn(&str) -> Option<String>,
    file: &'a EnvFileState,
}

impl Vars<'_> {
    fn get(&self, name: &'static str) -> Option<Sourced<String>> {
        if let Some(v) = (self.env)(name) {
            return Some(Sourced::new(v, Origin::Env(name)));
        }
        let v = self.file.get(name)?;
        let line = self.file.line(name).unwrap_or(1);
        Some(Sourced::new(v.to_owned(), Origin::EnvFile { line }))
    }

    fn value(&self, name: &'static str) -> Option<String> {
        self.get(name).map(|s| s.value)
    }
}

impl Config {
    /// Reads the env file and `aurora.toml` named by `sources`; `env` looks up process variables,
    /// which win over the env file.
    ///
    /// Errors are `ConfigError` (exit 2) or `PaperGuardError` (exit 3).
    pub fn load(sources: &Sources, env: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<Config> {
        let paths = Paths::resolve(sources, env)?;
        let env_file = env_file::read(&paths.env_file.value)?;
        let vars = Vars {
            env,
            file: &env_file,
        };
        let (config_file, settings, lines) = load_settings(&paths)?;

        let required = |name: &'static str| {
            let found = vars
                .get(name)
                .filter(|v| !v.value.trim().is_empty())
                .ok_or_else(|| ConfigError::MissingVar {
                    name,
                    env_file: env_file.describe(),
                })?;
            // Checked here, where the line can be named, rather than when a header is built.
            if found.value.chars().any(|c| c.is_control() || !c.is_ascii()) {
                return Err(ConfigError::BadSecret {
                    name,
                    origin: match found.origin {
                        Origin::EnvFile { .. } => env_file
                            .location(name)
                            .unwrap_or_else(|| env_file.describe()),
                        _ => "from the environment".to_owned(),
                    },
                });
            }
            Ok(Secret::new(found.value))
        };
        let key_id = required("APCA_API_KEY_ID")?;
        let secret_key = required("APCA_API_SECRET_KEY")?;

        let live = LiveOptIn {
            flag: sources.live_flag,
            env: env("AURORA_LIVE").is_some_and(|v| v.trim() == "1"),
        };
        let (trading_url, data_url, mode) = endpoints(&|name| vars.value(name), live)?;
        let alert_webhook = vars.value("AURORA_ALERT_WEBHOOK").map(Secret::new);
        let origins = Origins {
            vars: VARIABLES
                .into_iter()
                .filter_map(|name| Some((name, vars.get(name)?.origin)))
                .collect(),
            settings: lines,
            paths: paths.clone(),
        };

        Ok(Config {
            config_file,
            env_file,
            state_dir: paths.state_dir.value,
            alpaca: AlpacaAccess {
                key_id,
                secret_key,
                trading_url,
                data_url,
                mode,
            },
            settings,
            alert_webhook,
            origins,
        })
    }

    /// The path of the SQLite database.
    pub fn db_path(&self) -> PathBuf {
        self.state_dir.join(crate::store::DB_FILE)
    }

    /// The kill switch: while this file exists, nothing trades.
    pub fn halt_path(&self) -> PathBuf {
        self.state_dir.join(HALT_FILE)
    }

    /// Where daily reports go.
    pub fn report_dir(&self) -> PathBuf {
        report_dir(&self.settings, &self.state_dir)
    }
}

/// Where daily reports go: `report.dir`, else `STATE_DIR/reports`.
pub fn report_dir(settings: &Settings, state_dir: &std::path::Path) -> PathBuf {
    settings
        .report
        .dir
        .clone()
        .unwrap_or_else(|| state_dir.join("reports"))
}

/// Reads and validates the `aurora.toml` `paths` name: the file read (none when an optional
/// one is absent), its settings or the defaults, and the line of each key written.
pub fn load_settings(paths: &Paths) -> Result<(Option<PathBuf>, Settings, KeyLines), ConfigError> {
    let path = &paths.config_file.value;
    if paths.config_required || path.exists() {
        let (settings, lines) = settings::read(path)?;
        Ok((Some(path.clone()), settings, lines))
    } else {
        Ok((None, Settings::default(), KeyLines::new()))
    }
}

/// The state directory `sources` name (`--state-dir` / `AURORA_STATE_DIR`, the instance's, else
/// `~/.local/share/aurora`), for commands that need no keys (`backup`).
pub fn state_dir(
    sources: &Sources,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<PathBuf, ConfigError> {
    Ok(Paths::resolve(sources, env)?.state_dir.value)
}

/// Variables for `aurora alert`, each from the environment or, failing that, the env file.
///
/// The alert must work when everything else is broken: the env file is read even when its
/// owner or mode is unsafe (every job refuses it then), and any problem with it comes back as
/// the second value, for the alert to say, instead of stopping the alert.
pub fn lookup_for_alert(
    sources: &Sources,
    env: &dyn Fn(&str) -> Option<String>,
    names: &[&str],
) -> (Vec<Option<String>>, Option<String>) {
    let path = Paths::resolve(sources, env).map(|p| p.env_file.value);
    let (file, problem) = match path.map(|p| env_file::read_reporting_permissions(&p)) {
        Ok(Ok((state, refused))) => (Some(state), refused.map(|e| e.to_string())),
        Ok(Err(e)) | Err(e) => (None, Some(e.to_string())),
    };
    let values = names
        .iter()
        .map(|name| {
            env(name).or_else(|| file.as_ref().and_then(|f| f.get(name)).map(str::to_owned))
        })
        .collect();
    (values, problem)
}

/// The trading and data URLs from their variables, checked, and the mode the paper guard
/// allows (`PaperGuardError`, exit 3, when it refuses). `aurora init` checks what it is about
/// to write with this too.
pub fn endpoints(
    var: &dyn Fn(&'static str) -> Option<String>,
    live: LiveOptIn,
) -> anyhow::Result<(Url, Url, TradingMode)> {
    let trading_url = trading_url(var("APCA_API_BASE_URL"), var("BROKER_ENDPOINT"))?;
    let data_url = match var("APCA_API_DATA_URL") {
        Some(v) => parse_url("APCA_API_DATA_URL", &v)?,
        None => Url::parse(DATA_URL).expect("constant URL"),
    };
    let is_paper = match var("IS_PAPER_TRADING") {
        Some(v) => Some(parse_bool("IS_PAPER_TRADING", &v)?),
        None => None,
    };
    let mode = endpoint::guard(&trading_url, &data_url, is_paper, live)?;
    Ok((trading_url, data_url, mode))
}

/// A URL from a variable, checked.
pub fn url_var(name: &'static str, value: &str) -> Result<Url, ConfigError> {
    let bad = |reason: String| ConfigError::BadUrl {
        name,
        value: redact_userinfo(value),
        reason,
    };
    let url = Url::parse(value.trim()).map_err(|e| bad(e.to_string()))?;
    if matches!(url.scheme(), "http" | "https") {
        Ok(url)
    } else {
        Err(bad("expected http(s)://".into()))
    }
}

/// `text` with any `user:password@` in a URL's authority replaced by `***@`, for messages.
/// Works on text that does not parse as a URL, too.
pub fn redact_userinfo(text: &str) -> String {
    let start = text.find("://").map_or(0, |i| i + 3);
    let end = text[start..]
        .find(['/', '?', '#'])
        .map_or(text.len(), |i| start + i);
    match text[start..end].rfind('@') {
        Some(at) => format!("{}***@{}", &text[..start], &text[start + at + 1..]),
        None => text.to_owned(),
    }
}

/// `APCA_API_BASE_URL`, or its old alias `BROKER_ENDPOINT`; they must agree when both are set.
fn trading_url(base: Option<String>, broker: Option<String>) -> Result<Url, ConfigError> {
    let base = base
        .map(|v| parse_url("APCA_API_BASE_URL", &v))
        .transpose()?;
    let broker = broker
        .map(|v| parse_url("BROKER_ENDPOINT", &v))
        .transpose()?;
    match (base, broker) {
        (Some(a), Some(b)) if a != b => Err(ConfigError::EndpointConflict {
            base: a.to_string(),
            broker: b.to_string(),
        }),
        (Some(a), _) | (None, Some(a)) => Ok(a),
        (None, None) => Ok(Url::parse(PAPER_URL).expect("constant URL")),
    }
}

/// Parses a base URL; a trailing `/v2` (as some guides write it) is dropped since paths add it.
fn parse_url(name: &'static str, value: &str) -> Result<Url, ConfigError> {
    let bad = |reason: String| ConfigError::BadUrl {
        name,
        value: redact_userinfo(value),
        reason,
    };
    let mut url = Url::parse(value.trim()).map_err(|e| bad(e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(bad("expected http(s)://host".into()));
    }
    // Alpaca takes the keys as headers; a password in the URL would be sent and printed.
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad(
            "a user or password in the URL is not allowed (the keys go in APCA_API_KEY_ID and APCA_API_SECRET_KEY): remove the part before @".into(),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("a base URL takes no query or fragment".into()));
    }
    let path = url.path().trim_end_matches('/');
    let path = path.strip_suffix("/v2").unwrap_or(path).to_owned();
    url.set_path(&path);
    Ok(url)
}

fn parse_bool(name: &'static str, value: &str) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err(ConfigError::BadBool {
            name,
            value: value.to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_v2_suffix_and_slash_are_dropped() {
        let u = parse_url("X", "https://paper-api.alpaca.markets/v2/").unwrap();
        assert_eq!(u.as_str(), "https://paper-api.alpaca.markets/");
    }

    #[test]
    fn malformed_url_names_the_variable() {
        let e = parse_url("APCA_API_BASE_URL", "paper-api.alpaca.markets").unwrap_err();
        assert!(e.to_string().contains("APCA_API_BASE_URL"), "{e}");
    }

    #[test]
    fn userinfo_is_refused_and_never_echoed() {
        for raw in [
            "https://user:hunter2@paper-api.alpaca.markets",
            "http://hunter2@127.0.0.1:9/v2",
            "https://:hunter2@data.alpaca.markets",
        ] {
            let e = parse_url("APCA_API_DATA_URL", raw).unwrap_err();
            let text = e.to_string();
            assert!(!text.contains("hunter2"), "{text}");
            assert!(text.contains("***@"), "{text}");
        }
        let e = url_var("AURORA_ALERT_WEBHOOK", "ftp://u:hunter2@host").unwrap_err();
        assert!(!e.to_string().contains("hunter2"), "{e}");
    }

    #[test]
    fn redaction_works_on_unparsable_text() {
        assert_eq!(redact_userinfo("u:p@host/x@y"), "***@host/x@y");
        assert_eq!(redact_userinfo("https://a:b@h:1/p"), "https://***@h:1/p");
        assert_eq!(redact_userinfo("https://h/p?u=a@b"), "https://h/p?u=a@b");
        assert_eq!(redact_userinfo("no url"), "no url");
    }

    #[test]
    fn alias_must_agree() {
        let same = trading_url(Some(PAPER_URL.into()), Some(format!("{PAPER_URL}/"))).unwrap();
        assert_eq!(same.host_str(), Some("paper-api.alpaca.markets"));
        let err = trading_url(
            Some(PAPER_URL.into()),
            Some("https://api.alpaca.markets".into()),
        )
        .unwrap_err();
        assert!(matches!(err, ConfigError::EndpointConflict { .. }));
        let alias_only = trading_url(None, Some("http://127.0.0.1:9".into())).unwrap();
        assert_eq!(alias_only.port(), Some(9));
    }
}
