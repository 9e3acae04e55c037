//! The checked-in systemd units, embedded in the binary, and how they are rendered (pure): as
//! they are for the single account, or as templates (`paper-eod@.service`) whose instance is
//! an account's `--instance` name.

use std::path::{Component, Path, PathBuf};

use crate::config::Instance;

/// The placeholder for the binary in the checked-in units; `render` puts the real path there.
pub const BIN_PLACEHOLDER: &str = "%h/.local/bin/aurora";
/// The state directory in the checked-in units (`ReadWritePaths=` and the `mkdir` before each
/// job); `render` puts an explicit `--state-dir`, or an instance's directory, there.
pub const STATE_PLACEHOLDER: &str = "%h/.local/share/aurora";

/// Every unit `aurora systemd install` writes, by file name.
pub const UNITS: &[(&str, &str)] = &[
    (
        "paper-preflight.service",
        include_str!("../systemd/paper-preflight.service"),
    ),
    (
        "paper-preflight.timer",
        include_str!("../systemd/paper-preflight.timer"),
    ),
    (
        "paper-trading.service",
        include_str!("../systemd/paper-trading.service"),
    ),
    (
        "paper-trading.timer",
        include_str!("../systemd/paper-trading.timer"),
    ),
    (
        "paper-status.service",
        include_str!("../systemd/paper-status.service"),
    ),
    (
        "paper-status.timer",
        include_str!("../systemd/paper-status.timer"),
    ),
    (
        "paper-eod.service",
        include_str!("../systemd/paper-eod.service"),
    ),
    (
        "paper-eod.timer",
        include_str!("../systemd/paper-eod.timer"),
    ),
    (
        "paper-data-fetch.service",
        include_str!("../systemd/paper-data-fetch.service"),
    ),
    (
        "paper-data-fetch.timer",
        include_str!("../systemd/paper-data-fetch.timer"),
    ),
    (
        "aurora-alert@.service",
        include_str!("../systemd/aurora-alert@.service"),
    ),
];

/// The jobs' units (without suffix), in schedule order; each has a service and a timer, which
/// become the templates `paper-eod@.service` and `paper-eod@.timer` for several accounts.
const JOBS: [&str; 5] = [
    "paper-preflight",
    "paper-trading",
    "paper-status",
    "paper-eod",
    "paper-data-fetch",
];

/// The accounts' alert unit (`OnFailure=` of the templates), the template of
/// `aurora-alert@.service`. It is a unit of its own because the single account's passes that
/// account's explicit paths on; `aurora alert --unit paper-eod@NAME.service` finds the
/// account in the unit's name (`instance_of`).
pub const INSTANCE_ALERT: &str = "aurora-instance-alert@.service";

/// Put at the top of each template.
const TEMPLATE_HEADER: &str = "\
# Template for one account of several, written by `aurora systemd install --instance NAME`,
# which enables paper-*@NAME.timer. The instance (%i) is the account: its jobs run
# `aurora --instance NAME ...`, which reads ~/.config/aurora/NAME/ and keeps its state (and
# its own lock) in ~/.local/share/aurora/NAME.
";

/// Which units install writes.
#[derive(Clone, Debug)]
pub enum Layout {
    /// `paper-eod.service`, …: the single account, passing on the paths named at install.
    Single(ExplicitPaths),
    /// `paper-eod@.service`, …: templates whose instance is an account's `--instance` name.
    Instances,
}

/// Paths named explicitly at install (`--config`, `--env-file`, `--state-dir` or their
/// variables), which the single account's units pass on to every job. Absolute.
#[derive(Clone, Debug, Default)]
pub struct ExplicitPaths {
    /// `--config`.
    pub config_file: Option<PathBuf>,
    /// `--env-file`.
    pub env_file: Option<PathBuf>,
    /// `--state-dir`; also the one directory the sandbox lets the jobs write.
    pub state_dir: Option<PathBuf>,
}

/// A unit file as install writes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    /// The file name.
    pub name: String,
    /// The content.
    pub text: String,
}

/// A path that a unit file cannot hold.
#[derive(Debug, thiserror::Error)]
#[error("{what} {} cannot go into a unit file: {why}", path.display())]
pub struct UnitPathError {
    what: &'static str,
    path: PathBuf,
    why: &'static str,
}

/// The file names of the single account's units.
pub fn single_names() -> impl Iterator<Item = &'static str> {
    UNITS.iter().map(|(name, _)| *name)
}

/// The file names of the templates.
pub fn template_names() -> Vec<String> {
    single_names().map(template_name).collect()
}

fn template_name(name: &str) -> String {
    match job_unit_of(name) {
        Some(job) => format!("{job}@{}", &name[job.len()..]),
        None => INSTANCE_ALERT.to_owned(),
    }
}

/// The job unit a single-account unit file belongs to (`paper-eod` for `paper-eod.timer`).
fn job_unit_of(name: &str) -> Option<&'static str> {
    JOBS.iter().copied().find(|job| {
        name.strip_prefix(job)
            .is_some_and(|rest| rest.starts_with('.'))
    })
}

/// The timers install enables: `paper-eod.timer`, …, or an account's `paper-eod@NAME.timer`.
pub fn timers(instance: Option<&Instance>) -> Vec<String> {
    JOBS.iter()
        .map(|job| match instance {
            Some(i) => format!("{job}@{i}.timer"),
            None => format!("{job}.timer"),
        })
        .collect()
}

/// The account a template's unit runs for: `paper-eod@acct2.service` (or `.timer`) → `acct2`.
pub fn instance_of(unit: &str) -> Option<Instance> {
    let stem = unit
        .strip_suffix(".service")
        .or_else(|| unit.strip_suffix(".timer"))?;
    let (job, name) = stem.split_once('@')?;
    JOBS.contains(&job).then(|| name.parse().ok()).flatten()
}

/// The job a service runs (`paper-trading.service` → `trade`), read from its `ExecStart=`.
/// An instance (`paper-trading@acct.service`) runs what its template or plain unit runs.
pub fn job_of(unit: &str) -> Option<&'static str> {
    let unit = unit.trim();
    let plain = match unit.split_once('@') {
        Some((base, rest)) => {
            let suffix = rest.rsplit_once('.').map_or("service", |(_, s)| s);
            format!("{base}.{suffix}")
        }
        None => unit.to_owned(),
    };
    let (_, text) = UNITS.iter().find(|(name, _)| *name == plain)?;
    let exec = text.lines().find_map(|l| l.strip_prefix("ExecStart="))?;
    let mut words = exec.split_whitespace();
    words.next()?;
    words.next()
}

/// Every unit of `layout`, with `bin` as the program they run.
pub fn render(layout: &Layout, bin: &Path) -> Result<Vec<Rendered>, UnitPathError> {
    let program = word("the binary", bin, Context::Program)?;
    let rendered = match layout {
        Layout::Single(paths) => {
            let single = Single::new(&program, paths)?;
            UNITS
                .iter()
                .map(|(name, text)| Rendered {
                    name: (*name).to_owned(),
                    text: single.render(text),
                })
                .collect()
        }
        Layout::Instances => UNITS
            .iter()
            .map(|(name, text)| Rendered {
                name: template_name(name),
                text: template(name, text, &program),
            })
            .collect(),
    };
    Ok(rendered)
}

/// What the single account's units get in place of the placeholders.
struct Single {
    /// The program and the global flags before the subcommand.
    command: String,
    /// The state directory as an `ExecStart`-style argument and as a `ReadWritePaths=` entry.
    state_dir: Option<(String, String)>,
}

impl Single {
    fn new(program: &str, paths: &ExplicitPaths) -> Result<Single, UnitPathError> {
        let mut command = program.to_owned();
        for (flag, what, path) in [
            ("--config", "the config file", &paths.config_file),
            ("--env-file", "the env file", &paths.env_file),
            ("--state-dir", "the state directory", &paths.state_dir),
        ] {
            if let Some(path) = path {
                command.push_str(&format!(" {flag} {}", word(what, path, Context::Argument)?));
            }
        }
        let state_dir = match &paths.state_dir {
            Some(dir) => Some((
                word("the state directory", dir, Context::Argument)?,
                word("the state directory", dir, Context::PathList)?,
            )),
            None => None,
        };
        Ok(Single { command, state_dir })
    }

    fn render(&self, text: &str) -> String {
        edit(text, |key, value| match (key, &self.state_dir) {
            ("ExecStart", _) => value
                .strip_prefix(BIN_PLACEHOLDER)
                .map(|rest| format!("{}{rest}", self.command)),
            ("ReadWritePaths", Some((_, entry))) if value == STATE_PLACEHOLDER => {
                Some(entry.clone())
            }
            ("ExecStartPre", Some((arg, _))) => value
                .strip_suffix(STATE_PLACEHOLDER)
                .map(|cmd| format!("{cmd}{arg}")),
            _ => None,
        })
    }
}

/// The template of a single-account unit: its units' names carry the instance, its jobs run
/// `aurora --instance %i` with `%h/.local/share/aurora/%i` as their one writable directory.
/// The alert keeps the whole state directory writable: its instance is the failed unit's name.
fn template(name: &str, text: &str, program: &str) -> String {
    let job = job_unit_of(name).is_some();
    let mut text = text
        .replace("aurora-alert@", "aurora-instance-alert@")
        .replace(
            "~/.config/paper-trading.env",
            "~/.config/aurora/%i/paper-trading.env",
        );
    for unit in JOBS {
        for suffix in [".service", ".timer"] {
            text = text.replace(&format!("{unit}{suffix}"), &format!("{unit}@%i{suffix}"));
        }
    }
    let body = edit(&text, |key, value| match key {
        "ExecStart" => value.strip_prefix(BIN_PLACEHOLDER).map(|rest| {
            let instance = if job { " --instance %i" } else { "" };
            format!("{program}{instance}{rest}")
        }),
        "ReadWritePaths" if job && value == STATE_PLACEHOLDER => {
            Some(format!("{STATE_PLACEHOLDER}/%i"))
        }
        "ExecStartPre" if job => value
            .strip_suffix(STATE_PLACEHOLDER)
            .map(|cmd| format!("{cmd}{STATE_PLACEHOLDER}/%i")),
        "SyslogIdentifier" if job => Some(format!("{value}@%i")),
        "Description" if job && name.ends_with(".service") => Some(format!("{value} (%i)")),
        _ => None,
    });
    format!("{TEMPLATE_HEADER}{body}")
}

/// `text` with each setting `KEY=VALUE` for which `change` gives a new value replaced; comments,
/// section headers and line endings kept.
fn edit(text: &str, change: impl Fn(&str, &str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len() + 128);
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches('\n');
        let new = (!body.starts_with(['#', ';', '[']))
            .then(|| body.split_once('='))
            .flatten()
            .and_then(|(key, value)| Some(format!("{key}={}", change(key, value)?)));
        match new {
            Some(new) => {
                out.push_str(&new);
                out.push_str(&line[body.len()..]);
            }
            None => out.push_str(line),
        }
    }
    out
}

/// Where a path goes in a unit file, which decides what systemd would read into it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    /// The program of a command line: specifiers are expanded, `$` is taken literally.
    Program,
    /// An argument of a command line: specifiers, and `$VAR` expanded.
    Argument,
    /// An entry of a path list (`ReadWritePaths=`): specifiers expanded; must be normalized.
    PathList,
}

/// `path` as one word of a unit setting: `%` doubled (a specifier otherwise: `%h`, `%i`, …),
/// `$` doubled in arguments (a variable otherwise), and when it holds a space, quote or
/// backslash, double-quoted with `\` and `"` escaped.
fn word(what: &'static str, path: &Path, context: Context) -> Result<String, UnitPathError> {
    let refuse = |why| UnitPathError {
        what,
        path: path.to_owned(),
        why,
    };
    let text = path.to_str().ok_or_else(|| refuse("it is not UTF-8"))?;
    if !path.is_absolute() {
        return Err(refuse("it is not absolute"));
    }
    if text.chars().any(char::is_control) {
        return Err(refuse("it holds a control character"));
    }
    if context == Context::PathList && path.components().any(|c| c == Component::ParentDir) {
        return Err(refuse("systemd refuses '..' in ReadWritePaths="));
    }
    let quote = text.contains(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '\\' | ';'));
    let mut out = String::with_capacity(text.len() + 4);
    for c in text.chars() {
        match c {
            '%' => out.push_str("%%"),
            '$' if context == Context::Argument => out.push_str("$$"),
            '\\' | '"' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    Ok(if quote { format!("\"{out}\"") } else { out })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Setting lines (no comments) of a rendered unit.
    fn settings(text: &str) -> Vec<&str> {
        text.lines()
            .filter(|l| !l.starts_with(['#', ';', '[']) && l.contains('='))
            .collect()
    }

    fn single(paths: ExplicitPaths, bin: &str) -> Vec<Rendered> {
        render(&Layout::Single(paths), Path::new(bin)).unwrap()
    }

    #[test]
    fn every_service_has_the_placeholders_render_replaces() {
        // Rendering edits these lines by their exact text: a changed unit must keep them, or
        // an explicit --state-dir or an instance would silently not reach it.
        for (name, text) in UNITS.iter().filter(|(n, _)| n.ends_with(".service")) {
            let lines = settings(text);
            let count = |p: &dyn Fn(&&str) -> bool| lines.iter().filter(|l| p(l)).count();
            assert_eq!(
                count(&|l| l.starts_with(&format!("ExecStart={BIN_PLACEHOLDER} "))),
                1,
                "{name}"
            );
            assert_eq!(
                count(&|l| **l == format!("ReadWritePaths={STATE_PLACEHOLDER}")),
                1,
                "{name}"
            );
            assert_eq!(
                count(&|l| l.starts_with("ExecStartPre=") && l.ends_with(STATE_PLACEHOLDER)),
                1,
                "{name}"
            );
        }
        assert_eq!(job_of("paper-trading.service"), Some("trade"));
        assert_eq!(job_of("paper-data-fetch.service"), Some("fetch"));
        assert_eq!(job_of("paper-eod@acct.service"), Some("eod"));
        assert_eq!(job_of("sshd.service"), None);
        assert_eq!(timers(None).len(), 5);
        assert_eq!(
            timers(None),
            single_names()
                .filter(|n| n.ends_with(".timer"))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn the_single_layout_only_puts_the_binary_in_when_no_path_is_named() {
        for unit in single(ExplicitPaths::default(), "/opt/aurora/bin/aurora") {
            let original = UNITS.iter().find(|(n, _)| *n == unit.name).unwrap().1;
            assert_eq!(
                unit.text,
                original.replace(BIN_PLACEHOLDER, "/opt/aurora/bin/aurora"),
                "{}",
                unit.name
            );
        }
    }

    #[test]
    fn named_paths_reach_every_command_and_the_sandbox() {
        let paths = ExplicitPaths {
            config_file: Some("/etc/aurora.toml".into()),
            env_file: Some("/home/u/keys.env".into()),
            state_dir: Some("/srv/aurora".into()),
        };
        for unit in single(paths, "/usr/bin/aurora") {
            if !unit.name.ends_with(".service") {
                continue;
            }
            let lines = settings(&unit.text);
            let exec = lines.iter().find(|l| l.starts_with("ExecStart=")).unwrap();
            assert!(
                exec.starts_with(
                    "ExecStart=/usr/bin/aurora --config /etc/aurora.toml --env-file /home/u/keys.env --state-dir /srv/aurora "
                ),
                "{}: {exec}",
                unit.name
            );
            assert!(
                lines.contains(&"ReadWritePaths=/srv/aurora"),
                "{}",
                unit.name
            );
            assert!(
                lines.contains(&"ExecStartPre=+/usr/bin/mkdir -p /srv/aurora"),
                "{}",
                unit.name
            );
            assert!(
                !lines.iter().any(|l| l.contains(STATE_PLACEHOLDER)),
                "{}",
                unit.name
            );
        }
    }

    #[test]
    fn paths_are_escaped_for_systemd() {
        let w = |p: &str, c| word("x", Path::new(p), c).unwrap();
        assert_eq!(w("/usr/bin/aurora", Context::Program), "/usr/bin/aurora");
        // A specifier otherwise: %h is the home directory, %i the instance.
        assert_eq!(w("/srv/100%h", Context::Argument), "/srv/100%%h");
        assert_eq!(w("/srv/100%h", Context::PathList), "/srv/100%%h");
        // $ is a variable in arguments only; in the program systemd takes it literally.
        assert_eq!(w("/srv/$HOME", Context::Argument), "/srv/$$HOME");
        assert_eq!(w("/srv/$HOME", Context::Program), "/srv/$HOME");
        assert_eq!(w("/srv/$HOME", Context::PathList), "/srv/$HOME");
        assert_eq!(w("/a b/aurora", Context::Program), "\"/a b/aurora\"");
        assert_eq!(
            w("/a \"b\"\\c'd;", Context::Argument),
            r#""/a \"b\"\\c'd;""#
        );
        let refused = |p: &str, c| word("the state directory", Path::new(p), c).unwrap_err();
        assert!(
            refused("relative/dir", Context::Argument)
                .to_string()
                .contains("not absolute")
        );
        assert!(
            refused("/a\nb", Context::Argument)
                .to_string()
                .contains("control character")
        );
        let e = refused("/srv/../x", Context::PathList).to_string();
        assert!(
            e.starts_with("the state directory /srv/../x cannot go into a unit file"),
            "{e}"
        );
        assert!(word("x", Path::new("/srv/../x"), Context::Argument).is_ok());
    }

    #[test]
    fn templates_carry_the_instance_in_every_name_path_and_command() {
        let units = render(&Layout::Instances, Path::new("/usr/bin/aurora")).unwrap();
        let names: Vec<&str> = units.iter().map(|u| u.name.as_str()).collect();
        assert_eq!(names, template_names());
        assert!(names.contains(&"paper-eod@.service"));
        assert!(names.contains(&"paper-eod@.timer"));
        assert!(names.contains(&INSTANCE_ALERT));
        for unit in &units {
            let lines = settings(&unit.text);
            for line in &lines {
                for job in JOBS {
                    assert!(
                        !line.contains(&format!("{job}.")),
                        "{}: names a single-account unit: {line}",
                        unit.name
                    );
                }
                assert!(!line.contains("aurora-alert@"), "{}: {line}", unit.name);
            }
            if unit.name == INSTANCE_ALERT {
                assert!(lines.contains(&"ExecStart=/usr/bin/aurora alert --unit %i"));
                continue;
            }
            if unit.name.ends_with(".service") {
                let sub = lines
                    .iter()
                    .find_map(|l| l.strip_prefix("ExecStart=/usr/bin/aurora --instance %i "))
                    .unwrap_or_else(|| panic!("{}", unit.text));
                assert!(!sub.is_empty());
                assert!(lines.contains(&"ReadWritePaths=%h/.local/share/aurora/%i"));
                assert!(
                    lines.contains(&"ExecStartPre=+/usr/bin/mkdir -p %h/.local/share/aurora/%i")
                );
                assert!(lines.contains(&"OnFailure=aurora-instance-alert@%n.service"));
            }
        }
        let trading = &units
            .iter()
            .find(|u| u.name == "paper-trading@.service")
            .unwrap();
        assert!(settings(&trading.text).contains(&"After=paper-preflight@%i.service"));
    }

    #[test]
    fn a_template_unit_names_its_instance() {
        let name = |u: &str| instance_of(u).map(|i| i.as_str().to_owned());
        assert_eq!(name("paper-eod@acct2.service").as_deref(), Some("acct2"));
        assert_eq!(
            name("paper-data-fetch@a-b_c.timer").as_deref(),
            Some("a-b_c")
        );
        for not_one in [
            "paper-eod.service",
            "paper-eod@.service",
            "other@acct2.service",
            "paper-eod@a.b.service",
            "paper-eod@acct2.socket",
        ] {
            assert_eq!(name(not_one), None, "{not_one}");
        }
        let acct = "acct2".parse().unwrap();
        assert_eq!(timers(Some(&acct))[3], "paper-eod@acct2.timer");
    }
}
