//! `aurora config` and `aurora config paths`: the configuration in effect, each value with where
//! it came from, and the files in use. Both come from the loader jobs use, never a second parser.

use std::fmt::Write as _;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use serde::Serialize;
use serde_json::Value;

use super::Report;
use super::table;
use crate::config::{self, Config, ConfigError, Entry, Origin, Paths, Sources};
use crate::exit::Exit;
use crate::store::{DB_FILE, LOCK_FILE};
use crate::types::SessionDate;

/// Every value in effect.
#[derive(Clone, Debug, Serialize)]
pub struct ConfigReport {
    /// The instance, if one was selected.
    pub instance: Option<String>,
    /// The env file read (it may not exist: every variable can come from the environment).
    pub env_file: PathBuf,
    /// The `aurora.toml` read, if one exists.
    pub config_file: Option<PathBuf>,
    /// Each key, its value (secrets masked) and its source.
    pub values: Vec<Entry>,
}

/// The report for a loaded configuration.
pub fn values(config: &Config) -> ConfigReport {
    ConfigReport {
        instance: instance(&config.origins.paths),
        env_file: config.env_file.path.clone(),
        config_file: config.config_file.clone(),
        values: config::effective(config),
    }
}

fn instance(paths: &Paths) -> Option<String> {
    paths.instance.as_ref().map(|i| i.value.to_string())
}

impl Report for ConfigReport {
    fn exit(&self) -> Exit {
        Exit::Ok
    }

    fn session(&self) -> Option<SessionDate> {
        None
    }

    fn render(&self) -> String {
        let mut out = String::new();
        match &self.instance {
            Some(name) => {
                let _ = writeln!(out, "Configuration in effect · instance {name}");
            }
            None => {
                let _ = writeln!(out, "Configuration in effect");
            }
        }
        let _ = writeln!(out, "  env file  {}", self.env_file.display());
        match &self.config_file {
            Some(p) => {
                let _ = writeln!(out, "  config    {}", p.display());
            }
            None => {
                let _ = writeln!(
                    out,
                    "  config    none found: every aurora.toml key has its default"
                );
            }
        }
        let _ = writeln!(out);
        let mut rows = vec![vec![
            "KEY".to_owned(),
            "VALUE".to_owned(),
            "SOURCE".to_owned(),
        ]];
        rows.extend(
            self.values
                .iter()
                .map(|e| vec![e.key.clone(), text(&e.value), e.source.to_string()]),
        );
        out.push_str(&table::table(&rows, &[table::Align::Left; 3]));
        out
    }
}

/// A value as one line of text.
fn text(value: &Value) -> String {
    match value {
        Value::Null => "(not set)".to_owned(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join(","),
        Value::Object(map) if map.is_empty() => "(none)".to_owned(),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| format!("{k}={}", text(v)))
            .collect::<Vec<_>>()
            .join(","),
        other => other.to_string(),
    }
}

/// One path in use.
#[derive(Clone, Debug, Serialize)]
pub struct PathEntry {
    /// What it is: `env file`, `config file`, `state dir`, `database`, `reports dir`, `lock`.
    pub name: &'static str,
    /// The path.
    pub path: PathBuf,
    /// What chose it.
    pub source: Origin,
    /// Whether something is there.
    pub exists: bool,
    /// Its permission bits, when it exists.
    pub mode: Option<u32>,
}

/// The files and directories in use.
#[derive(Clone, Debug, Serialize)]
pub struct PathsReport {
    /// The instance, if one was selected.
    pub instance: Option<String>,
    /// Each path.
    pub paths: Vec<PathEntry>,
}

/// The paths `sources` select, with `aurora.toml` read (and validated) for `report.dir`. The
/// env file is not read: this works before any key is set.
pub fn paths(
    sources: &Sources,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<PathsReport, ConfigError> {
    let paths = Paths::resolve(sources, env)?;
    let (_, settings, lines) = config::load_settings(&paths)?;
    let state = &paths.state_dir;
    let reports_source = match lines.get("report.dir") {
        Some(&line) => Origin::ConfigFile {
            file: paths.config_file.value.file_name().map_or_else(
                || "aurora.toml".into(),
                |n| n.to_string_lossy().into_owned(),
            ),
            line,
        },
        None => state.origin.clone(),
    };
    let entry = |name, path: PathBuf, source: &Origin| {
        let meta = std::fs::metadata(&path).ok();
        PathEntry {
            name,
            exists: meta.is_some(),
            mode: meta.map(|m| m.permissions().mode() & 0o7777),
            path,
            source: source.clone(),
        }
    };
    Ok(PathsReport {
        instance: instance(&paths),
        paths: vec![
            entry(
                "env file",
                paths.env_file.value.clone(),
                &paths.env_file.origin,
            ),
            entry(
                "config file",
                paths.config_file.value.clone(),
                &paths.config_file.origin,
            ),
            entry("state dir", state.value.clone(), &state.origin),
            entry("database", state.value.join(DB_FILE), &state.origin),
            entry(
                "reports dir",
                config::report_dir(&settings, &state.value),
                &reports_source,
            ),
            entry("lock", state.value.join(LOCK_FILE), &state.origin),
        ],
    })
}

impl Report for PathsReport {
    fn exit(&self) -> Exit {
        Exit::Ok
    }

    fn session(&self) -> Option<SessionDate> {
        None
    }

    fn render(&self) -> String {
        let mut out = match &self.instance {
            Some(name) => format!("Paths in use · instance {name}\n"),
            None => "Paths in use\n".to_owned(),
        };
        let mut rows = vec![
            ["WHAT", "PATH", "EXISTS", "MODE", "SOURCE"]
                .map(str::to_owned)
                .to_vec(),
        ];
        rows.extend(self.paths.iter().map(|p| {
            vec![
                p.name.to_owned(),
                p.path.display().to_string(),
                if p.exists { "yes" } else { "no" }.to_owned(),
                p.mode
                    .map_or_else(|| "-".to_owned(), |m| format!("{m:04o}")),
                p.source.to_string(),
            ]
        }));
        out.push_str(&table::table(&rows, &[table::Align::Left; 5]));
        out
    }
}
