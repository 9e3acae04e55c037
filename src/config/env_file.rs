//! Reading the operator's env file: permission check first, then dotenvy, without touching the process environment.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::ConfigError;

/// The env file and what it held. `Debug` lists the variable names only: the values are secrets.
#[derive(Clone, Serialize)]
pub struct EnvFileState {
    /// The path looked at.
    pub path: PathBuf,
    /// Its mode, when it exists.
    pub mode: Option<u32>,
    #[serde(skip)]
    vars: BTreeMap<String, String>,
}

impl std::fmt::Debug for EnvFileState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnvFileState")
            .field("path", &self.path)
            .field("mode", &self.mode)
            .field("vars", &self.vars.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl EnvFileState {
    /// No env file: every variable comes from elsewhere (the demo, tests).
    pub fn absent(path: PathBuf) -> EnvFileState {
        EnvFileState {
            path,
            mode: None,
            vars: BTreeMap::new(),
        }
    }

    /// A variable's value from the file.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// Whether the file exists.
    pub fn exists(&self) -> bool {
        self.mode.is_some()
    }

    /// The path, and whether it exists, for messages.
    pub fn describe(&self) -> String {
        if self.exists() {
            self.path.display().to_string()
        } else {
            format!("{} (not found)", self.path.display())
        }
    }
}

/// Reads `path`; a missing file is not an error (the variables may come from the environment).
pub fn read(path: &Path) -> Result<EnvFileState, ConfigError> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(EnvFileState {
                path: path.to_owned(),
                mode: None,
                vars: BTreeMap::new(),
            });
        }
        Err(source) => {
            return Err(ConfigError::Read {
                path: path.to_owned(),
                source,
            });
        }
    };
    let mode = meta.permissions().mode() & 0o7777;
    // Like ssh with private keys: refuse before reading a secret others could read or change.
    if mode & 0o077 != 0 {
        return Err(ConfigError::EnvFileMode {
            path: path.to_owned(),
            mode,
        });
    }
    let iter = dotenvy::from_path_iter(path).map_err(|e| syntax(path, &e))?;
    let mut vars = BTreeMap::new();
    for item in iter {
        let (k, v) = item.map_err(|e| syntax(path, &e))?;
        vars.insert(k, v);
    }
    Ok(EnvFileState {
        path: path.to_owned(),
        mode: Some(mode),
        vars,
    })
}

/// dotenvy's parse errors quote the offending line, which may hold a secret: keep only the position.
fn syntax(path: &Path, err: &dotenvy::Error) -> ConfigError {
    let message = match err {
        dotenvy::Error::LineParse(_, index) => format!("cannot parse the line at byte {index}"),
        dotenvy::Error::Io(e) => e.to_string(),
        _ => "cannot parse the file".to_owned(),
    };
    ConfigError::EnvFileSyntax {
        path: path.to_owned(),
        message,
    }
}
