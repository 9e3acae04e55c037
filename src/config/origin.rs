//! Where a configuration value came from, as `aurora config` shows it.

use std::fmt;

use serde::{Serialize, Serializer};

/// One place a value can come from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Origin {
    /// Aurora's documented default.
    #[default]
    Default,
    /// A command-line flag, e.g. `--state-dir`.
    Flag(&'static str),
    /// A process environment variable.
    Env(&'static str),
    /// A line of `aurora.toml`; `file` is the file's name, for the label.
    ConfigFile {
        /// The file's name (`aurora.toml` unless `--config` named another).
        file: String,
        /// 1-based line.
        line: usize,
    },
    /// A line of the env file.
    EnvFile {
        /// 1-based line.
        line: usize,
    },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => f.write_str("default"),
            Origin::Flag(flag) => write!(f, "flag {flag}"),
            Origin::Env(var) => write!(f, "env {var}"),
            Origin::ConfigFile { file, line } => write!(f, "{file}:{line}"),
            Origin::EnvFile { line } => write!(f, "env file:{line}"),
        }
    }
}

/// Serialized as its label (`"aurora.toml:3"`), the same text the human view shows.
impl Serialize for Origin {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A value and where it came from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sourced<T> {
    /// The value.
    pub value: T,
    /// Where it came from.
    pub origin: Origin,
}

impl<T> Sourced<T> {
    /// `value` from `origin`.
    pub fn new(value: T, origin: Origin) -> Sourced<T> {
        Sourced { value, origin }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        let file = "aurora.toml".to_owned();
        for (origin, label) in [
            (Origin::Default, "default"),
            (Origin::Flag("--state-dir"), "flag --state-dir"),
            (Origin::Env("APCA_API_BASE_URL"), "env APCA_API_BASE_URL"),
            (Origin::ConfigFile { file, line: 12 }, "aurora.toml:12"),
            (Origin::EnvFile { line: 3 }, "env file:3"),
        ] {
            assert_eq!(origin.to_string(), label);
            assert_eq!(serde_json::to_value(&origin).unwrap(), label);
        }
    }
}
