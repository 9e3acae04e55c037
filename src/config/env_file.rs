//! Reading the operator's env file: type, owner and permission checks first, then dotenvy,
//! without touching the process environment.

use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{ConfigError, file};

/// The env file and what it held. `Debug` lists the variable names only: the values are secrets.
#[derive(Clone, Serialize)]
pub struct EnvFileState {
    /// The path looked at.
    pub path: PathBuf,
    /// Its mode, when it exists.
    pub mode: Option<u32>,
    #[serde(skip)]
    vars: BTreeMap<String, String>,
    /// The line each variable was set on, for messages about its value.
    #[serde(skip)]
    lines: BTreeMap<String, usize>,
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
            lines: BTreeMap::new(),
        }
    }

    /// A variable's value from the file.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// The line a variable from the file was set on.
    pub fn line(&self, name: &str) -> Option<usize> {
        self.lines.get(name).copied()
    }

    /// Where a variable from the file was set (`PATH:LINE`), for messages that must not show it.
    pub fn location(&self, name: &str) -> Option<String> {
        let line = self.lines.get(name)?;
        Some(format!("{}:{line}", self.path.display()))
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

/// The largest env file Aurora reads; the operator's holds a handful of lines.
pub const MAX_ENV_FILE_BYTES: u64 = 64 * 1024;

/// Reads `path`; a missing file is not an error (the variables may come from the environment).
///
/// Like ssh with private keys, it refuses a file that is not a regular file, not owned by the
/// user running Aurora, or readable or writable by others, before reading a byte of it.
pub fn read(path: &Path) -> Result<EnvFileState, ConfigError> {
    match read_reporting_permissions(path)? {
        (_, Some(unsafe_file)) => Err(unsafe_file),
        (state, None) => Ok(state),
    }
}

/// Reads `path` like [`read`], but an owner or mode that `read` refuses comes back beside the
/// variables instead of stopping the read: `aurora alert` must work when everything else is
/// broken, and say why the jobs refuse to run.
pub fn read_reporting_permissions(
    path: &Path,
) -> Result<(EnvFileState, Option<ConfigError>), ConfigError> {
    let Some(opened) = file::open(path)? else {
        return Ok((EnvFileState::absent(path.to_owned()), None));
    };
    let you = rustix::process::geteuid().as_raw();
    let mode = opened.meta.permissions().mode() & 0o7777;
    let refused = if opened.meta.uid() != you {
        Some(ConfigError::EnvFileOwner {
            path: path.to_owned(),
            owner: opened.meta.uid(),
            you,
        })
    } else if mode & 0o077 != 0 {
        Some(ConfigError::EnvFileMode {
            path: path.to_owned(),
            mode,
        })
    } else {
        None
    };
    let bytes = opened.read_capped(path, MAX_ENV_FILE_BYTES)?;
    let (vars, lines) = parse(&bytes).map_err(|(line, message)| ConfigError::EnvFileSyntax {
        path: path.to_owned(),
        line,
        message,
    })?;
    Ok((
        EnvFileState {
            path: path.to_owned(),
            mode: Some(mode),
            vars,
            lines,
        },
        refused,
    ))
}

/// An env file's text: `comment` lines (each behind `# `), then `NAME='value'` lines, which
/// this reader, dotenvy and a shell's `source` all read the same way (single quotes: no
/// escapes, no `$` expansion). A value that cannot be written so is refused, by name only.
pub fn render_env_file(comment: &[&str], vars: &[(&str, &str)]) -> Result<String, String> {
    let mut out = String::new();
    for line in comment {
        out.push_str(if line.is_empty() { "#" } else { "# " });
        out.push_str(line);
        out.push('\n');
    }
    for (name, value) in vars {
        if value.is_empty()
            || value
                .chars()
                .any(|c| c == '\'' || c.is_control() || !c.is_ascii())
        {
            return Err(format!(
                "{name} must be printable ASCII text without a single quote"
            ));
        }
        out.push_str(&format!("{name}='{value}'\n"));
    }
    Ok(out)
}

type Vars = BTreeMap<String, String>;
type Lines = BTreeMap<String, usize>;

/// Parses env-file bytes (a UTF-8 BOM is allowed) into variables and the line each was set on.
/// An error is (line, message), never quoting the line: it may hold a secret.
fn parse(bytes: &[u8]) -> Result<(Vars, Lines), (usize, String)> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        (
            file::line_of(bytes, e.valid_up_to()),
            "not UTF-8 text".to_owned(),
        )
    })?;
    let mut vars = BTreeMap::new();
    for item in dotenvy::from_read_iter(text.as_bytes()) {
        match item {
            Ok((k, v)) => {
                vars.insert(k, v);
            }
            // dotenvy names the failing (logical) line by its text; find where it starts.
            Err(dotenvy::Error::LineParse(line, column)) => {
                let at = text.find(line.as_str()).unwrap_or(0);
                return Err((
                    file::line_of(text.as_bytes(), at),
                    format!(
                        "cannot parse this line (at character {}); expected NAME=value",
                        column + 1
                    ),
                ));
            }
            Err(e) => return Err((1, format!("cannot parse the file: {}", error_kind(&e)))),
        }
    }
    let lines = vars
        .keys()
        .filter_map(|k| Some((k.clone(), defining_line(text, k)?)))
        .collect();
    Ok((vars, lines))
}

/// The last line that assigns `key` (the one that wins), for messages about its value.
fn defining_line(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| {
            let line = line.trim_start();
            let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
            line.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map(|(i, _)| i + 1)
        .last()
}

/// dotenvy's errors other than a line that does not parse, without any quoted content.
fn error_kind(err: &dotenvy::Error) -> String {
    match err {
        dotenvy::Error::Io(e) => e.kind().to_string(),
        dotenvy::Error::EnvVar(_) => "an undefined variable".to_owned(),
        _ => "unexpected content".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rendered_files_read_back_exactly() {
        let vars = [
            ("APCA_API_KEY_ID", "PKTEST1234"),
            ("APCA_API_SECRET_KEY", "a$b\\c\"d e#f"),
            ("APCA_API_BASE_URL", "https://paper-api.alpaca.markets"),
        ];
        let text = render_env_file(&["keys", "", "private"], &vars).unwrap();
        assert!(text.starts_with("# keys\n#\n# private\n"), "{text}");
        let (read, lines) = parse(text.as_bytes()).unwrap();
        for (i, (name, value)) in vars.iter().enumerate() {
            assert_eq!(read.get(*name).map(String::as_str), Some(*value), "{name}");
            assert_eq!(lines.get(*name), Some(&(4 + i)), "{name}");
        }
        for bad in ["it's", "", "tab\there", "é"] {
            let e = render_env_file(&[], &[("APCA_API_SECRET_KEY", bad)]).unwrap_err();
            assert!(e.starts_with("APCA_API_SECRET_KEY "), "{e}");
            assert!(bad.is_empty() || !e.contains(bad), "{e}");
        }
    }

    #[test]
    fn bom_is_accepted_and_lines_are_known() {
        let (vars, lines) = parse(b"\xEF\xBB\xBF# keys\nA=1\n\nexport B=\"two\"\nA=3\n").unwrap();
        assert_eq!(vars.get("A").map(String::as_str), Some("3"));
        assert_eq!(vars.get("B").map(String::as_str), Some("two"));
        assert_eq!(lines.get("A"), Some(&5));
        assert_eq!(lines.get("B"), Some(&4));
    }

    #[test]
    fn syntax_errors_name_the_line_and_never_the_content() {
        let (line, message) = parse(b"A=1\n# c\nSECRET VALUE=hunter2\n").unwrap_err();
        assert_eq!(line, 3);
        assert!(!message.contains("hunter2"), "{message}");
        let (line, _) = parse(b"A=1\nB='unterminated\nC=3\n").unwrap_err();
        assert_eq!(line, 2);
        let (line, message) = parse(b"A=1\nB=\xff\n").unwrap_err();
        assert_eq!((line, message.as_str()), (2, "not UTF-8 text"));
    }

    proptest! {
        /// Arbitrary bytes never panic the loader: they parse or give a line within the file.
        #[test]
        fn arbitrary_bytes_parse_or_name_a_line(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            if let Err((line, _)) = parse(&bytes) {
                prop_assert!(line >= 1 && line <= bytes.len() + 1);
            }
        }

        /// Env-file-shaped text (names, quotes, escapes, comments, control characters).
        #[test]
        fn env_like_text_parses_or_names_a_line(text in "([A-Z_]{1,6}(=|= | =)(\"|'|)[ -~\\t\\x00-\\x1f\\\\$]{0,12}(\"|'|)(\n|\r\n|# x\n))*") {
            if let Err((line, _)) = parse(text.as_bytes()) {
                prop_assert!(line >= 1 && line <= text.lines().count() + 1);
            }
        }
    }
}
