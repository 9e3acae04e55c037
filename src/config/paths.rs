//! Which env file, `aurora.toml` and state directory a command uses: the single-account layout,
//! an `--instance`'s layout, or paths named explicitly.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::Serialize;

use super::{ConfigError, Origin, Sourced, Sources};

/// The env file of the single-account layout, under `HOME` (the operator's existing file).
pub const DEFAULT_ENV_FILE: &str = ".config/paper-trading.env";
/// `aurora.toml` of the single-account layout, under `HOME`.
pub const DEFAULT_CONFIG_FILE: &str = ".config/aurora/aurora.toml";
/// The state directory of the single-account layout, under `HOME`.
pub const DEFAULT_STATE_DIR: &str = ".local/share/aurora";

/// Names the single account's state directory already holds: an instance's state directory
/// sits beside them, so it must not take one.
const RESERVED: [&str; 3] = ["HALT", "reports", "backups"];
/// The longest instance name.
const MAX_INSTANCE_LEN: usize = 32;

/// A validated `--instance` name: one account of several on this machine. It becomes a
/// directory name (and, later, a systemd instance), so it is one safe path component.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Instance(String);

impl Instance {
    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Instance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Instance {
    type Err = String;

    fn from_str(s: &str) -> Result<Instance, String> {
        let well_formed = s.len() <= MAX_INSTANCE_LEN
            && s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !well_formed {
            return Err(format!(
                "{s:?} is not an instance name: use 1 to {MAX_INSTANCE_LEN} letters, digits, '-' or '_', starting with a letter or digit"
            ));
        }
        if RESERVED.contains(&s) {
            return Err(format!(
                "{s:?} is not an instance name: the single account's state directory already uses it"
            ));
        }
        Ok(Instance(s.to_owned()))
    }
}

/// The files and directory a command uses, and what chose each.
#[derive(Clone, Debug, Default)]
pub struct Paths {
    /// The instance, when one was selected.
    pub instance: Option<Sourced<Instance>>,
    /// The env file.
    pub env_file: Sourced<PathBuf>,
    /// `aurora.toml`.
    pub config_file: Sourced<PathBuf>,
    /// Whether `aurora.toml` must exist: one named by `--config` must; the layout's may not.
    pub config_required: bool,
    /// The state directory.
    pub state_dir: Sourced<PathBuf>,
}

impl Paths {
    /// Resolves each path: named explicitly (`--env-file` / `AURORA_ENV_FILE`, …) wins, then the
    /// instance's layout (`--instance` / `AURORA_INSTANCE`), then the single-account layout.
    pub fn resolve(
        sources: &Sources,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Paths, ConfigError> {
        // An empty HOME would make every default relative to wherever Aurora was started.
        let home = env("HOME").filter(|h| !h.is_empty()).map(PathBuf::from);
        let pick = |given: &Option<Sourced<PathBuf>>,
                    flag: &'static str,
                    single: &str,
                    of_instance: &dyn Fn(&str) -> String| {
            if let Some(given) = given {
                return Ok(given.clone());
            }
            let home = home.as_ref().ok_or(ConfigError::NoHome { flag })?;
            Ok(match &sources.instance {
                Some(i) => Sourced::new(home.join(of_instance(i.value.as_str())), i.origin.clone()),
                None => Sourced::new(home.join(single), Origin::Default),
            })
        };
        Ok(Paths {
            instance: sources.instance.clone(),
            env_file: pick(&sources.env_file, "env-file", DEFAULT_ENV_FILE, &|n| {
                format!(".config/aurora/{n}/paper-trading.env")
            })?,
            config_file: pick(&sources.config_file, "config", DEFAULT_CONFIG_FILE, &|n| {
                format!(".config/aurora/{n}/aurora.toml")
            })?,
            config_required: sources.config_file.is_some(),
            state_dir: pick(&sources.state_dir, "state-dir", DEFAULT_STATE_DIR, &|n| {
                format!("{DEFAULT_STATE_DIR}/{n}")
            })?,
        })
    }
}

impl Paths {
    /// A line of the `aurora.toml` in use, as a source (labelled with the file's name).
    pub fn config_line(&self, line: usize) -> Origin {
        let file = self.config_file.value.file_name().map_or_else(
            || "aurora.toml".into(),
            |n| n.to_string_lossy().into_owned(),
        );
        Origin::ConfigFile { file, line }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_names_are_one_safe_path_component() {
        for good in ["a", "acct-2", "Main_1", &"x".repeat(MAX_INSTANCE_LEN)] {
            assert_eq!(good.parse::<Instance>().unwrap().as_str(), good);
        }
        for bad in [
            "",
            ".",
            "..",
            "../x",
            "a/b",
            "-a",
            "_a",
            "a.b",
            "a b",
            "é",
            "HALT",
            "reports",
            "backups",
            &"x".repeat(MAX_INSTANCE_LEN + 1),
        ] {
            assert!(bad.parse::<Instance>().is_err(), "{bad:?}");
        }
    }

    fn env(name: &str) -> Option<String> {
        (name == "HOME").then(|| "/home/u".to_owned())
    }

    #[test]
    fn the_single_account_layout_is_the_default() {
        let p = Paths::resolve(&Sources::default(), &env).unwrap();
        assert_eq!(
            p.env_file.value,
            PathBuf::from("/home/u/.config/paper-trading.env")
        );
        assert_eq!(
            p.config_file.value,
            PathBuf::from("/home/u/.config/aurora/aurora.toml")
        );
        assert_eq!(
            p.state_dir.value,
            PathBuf::from("/home/u/.local/share/aurora")
        );
        assert_eq!(p.state_dir.origin, Origin::Default);
        assert!(!p.config_required);
    }

    #[test]
    fn an_instance_selects_its_layout_and_explicit_paths_still_win() {
        let sources = Sources {
            instance: Some(Sourced::new(
                "b".parse().unwrap(),
                Origin::Env("AURORA_INSTANCE"),
            )),
            state_dir: Some(Sourced::new("/srv/b".into(), Origin::Flag("--state-dir"))),
            ..Sources::default()
        };
        let p = Paths::resolve(&sources, &env).unwrap();
        assert_eq!(
            p.env_file.value,
            PathBuf::from("/home/u/.config/aurora/b/paper-trading.env")
        );
        assert_eq!(p.env_file.origin, Origin::Env("AURORA_INSTANCE"));
        assert_eq!(
            p.config_file.value,
            PathBuf::from("/home/u/.config/aurora/b/aurora.toml")
        );
        assert!(!p.config_required);
        assert_eq!(p.state_dir.value, PathBuf::from("/srv/b"));
        assert_eq!(p.state_dir.origin, Origin::Flag("--state-dir"));
    }

    #[test]
    fn no_home_names_the_flag() {
        let e = Paths::resolve(&Sources::default(), &|_| None).unwrap_err();
        assert!(e.to_string().contains("--env-file"), "{e}");
        let empty = |name: &str| (name == "HOME").then(String::new);
        assert!(Paths::resolve(&Sources::default(), &empty).is_err());
    }
}
