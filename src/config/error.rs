//! `ConfigError`: everything that makes the configuration unusable (exit 2).

use std::path::PathBuf;

/// Bad usage or configuration; each message says what is wrong and how to fix it.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A config or env file exists but cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// `aurora.toml` does not parse or has an unknown key or a wrong type.
    #[error("{}:{line}: {key}: {message}", path.display())]
    Toml {
        /// The file.
        path: PathBuf,
        /// 1-based line of the offending key or value.
        line: usize,
        /// Dotted key path, e.g. `risk.max_order_notional`.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// A value parses but is out of range.
    #[error("{}:{line}: {key}: {message}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based line of the key (or of its table, for a rule over several keys).
        line: usize,
        /// Dotted key path.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// The env file is readable or writable by group or others.
    #[error(
        "env file {} has mode {mode:04o}: it must not be readable or writable by group or others; fix it with: chmod 600 {}",
        path.display(),
        path.display()
    )]
    EnvFileMode {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The env file is owned by someone else, who could change the keys or the endpoints.
    #[error(
        "env file {} is owned by uid {owner}, not by you (uid {you}): it must be yours; fix it with: chown $(id -u) {}",
        path.display(),
        path.display()
    )]
    EnvFileOwner {
        /// The file.
        path: PathBuf,
        /// Its owner.
        owner: u32,
        /// The user running Aurora.
        you: u32,
    },
    /// The env file has a line dotenvy cannot parse.
    #[error("env file {}:{line}: {message}", path.display())]
    EnvFileSyntax {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong (never the line's content, which may be a secret).
        message: String,
    },
    /// A configuration path names a FIFO, socket, device or directory.
    #[error("{} is {kind}, not a regular file: point Aurora at a file", path.display())]
    NotRegularFile {
        /// The path.
        path: PathBuf,
        /// What it is.
        kind: &'static str,
    },
    /// A configuration file is larger than Aurora reads.
    #[error("{} is larger than {limit} bytes: that is not a configuration file Aurora reads", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The cap, in bytes.
        limit: u64,
    },
    /// A key or secret holds characters no HTTP header can carry (a stray control character).
    #[error(
        "{name} ({origin}) holds a control character or non-ASCII text, which no HTTP header can carry: retype it"
    )]
    BadSecret {
        /// The variable.
        name: &'static str,
        /// `PATH:LINE` in the env file, or "from the environment".
        origin: String,
    },
    /// A required variable is missing.
    #[error("{name} is not set: add it to {env_file} or to the environment")]
    MissingVar {
        /// The variable.
        name: &'static str,
        /// Where it was looked for.
        env_file: String,
    },
    /// A URL variable does not parse.
    #[error("{name} is not a valid URL ({value:?}): {reason}")]
    BadUrl {
        /// The variable.
        name: &'static str,
        /// Its value, with any `user:password@` replaced by `***@`.
        value: String,
        /// Why.
        reason: String,
    },
    /// A boolean variable is neither true nor false.
    #[error("{name} must be true or false, not {value:?}")]
    BadBool {
        /// The variable.
        name: &'static str,
        /// Its value.
        value: String,
    },
    /// `APCA_API_BASE_URL` and `BROKER_ENDPOINT` name different hosts.
    #[error(
        "APCA_API_BASE_URL ({base}) and BROKER_ENDPOINT ({broker}) disagree: remove one or make them equal"
    )]
    EndpointConflict {
        /// `APCA_API_BASE_URL`.
        base: String,
        /// `BROKER_ENDPOINT`.
        broker: String,
    },
    /// No home directory to find the default files in.
    #[error("HOME is not set: set it or pass --{flag}")]
    NoHome {
        /// The flag that would avoid the default.
        flag: &'static str,
    },
}
