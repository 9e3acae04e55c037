//! `aurora systemd install|uninstall`: the checked-in units, rendered for this machine, for the
//! single account or as templates for one account of several (`--instance`).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use chrono::Utc;
use serde::Serialize;

use super::Report;
use crate::config::{Instance, Paths, Sourced, Sources};
use crate::exit::{Exit, Usage};
use crate::systemctl;
use crate::types::SessionDate;
use crate::units::{self, ExplicitPaths, Layout, Rendered};

/// What install or uninstall did with one file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum FileAction {
    /// Written where none was.
    Created,
    /// An older, different file was moved to `backup` first.
    Updated {
        /// Where the old file went.
        backup: PathBuf,
    },
    /// Already what it would write.
    Unchanged,
    /// Removed (uninstall).
    Removed,
    /// `--dry-run`: would be written where none is.
    New,
    /// `--dry-run`: differs from the file there.
    Changed {
        /// Unified diff from the file there to what would be written.
        diff: String,
    },
    /// Uninstall left it in place.
    Kept {
        /// Why.
        reason: String,
    },
}

/// One unit file.
#[derive(Clone, Debug, Serialize)]
pub struct UnitFile {
    /// Its path.
    pub path: PathBuf,
    /// What happened to it.
    #[serde(flatten)]
    pub action: FileAction,
    /// Its full text (`--dry-run -v` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
}

/// What install or uninstall did.
#[derive(Clone, Debug, Serialize)]
pub struct SystemdReport {
    /// The unit directory.
    pub unit_dir: PathBuf,
    /// The binary the units run.
    pub bin: Option<PathBuf>,
    /// The account whose template units these are; none for the single account's units.
    pub instance: Option<Instance>,
    /// Nothing was written or enabled (`--dry-run`).
    pub dry_run: bool,
    /// Each file.
    pub files: Vec<UnitFile>,
    /// What systemctl said, when it could not be asked or refused.
    pub systemctl_problem: Option<String>,
    /// Timers enabled (install) or disabled (uninstall); with `--dry-run`, to be enabled.
    pub timers: Vec<String>,
    /// `systemctl --user` commands a `--dry-run` would have run.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub would_run: Vec<String>,
    /// With `--instance`: every account whose timers are enabled afterwards.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instances: Option<Vec<String>>,
    /// Whether the user lingers, when known.
    pub lingering: Option<bool>,
    /// What the jobs will need that is not there yet.
    pub warnings: Vec<String>,
}

impl Report for SystemdReport {
    fn exit(&self) -> Exit {
        Exit::Ok
    }

    fn session(&self) -> Option<SessionDate> {
        None
    }

    fn render(&self) -> String {
        let mut out = String::new();
        if self.dry_run {
            let _ = writeln!(
                out,
                "Dry run: nothing is written or enabled (-v shows each file in full)."
            );
        }
        for f in &self.files {
            let what = match &f.action {
                FileAction::Created => "created".to_owned(),
                FileAction::Updated { backup } => {
                    format!("updated (old file kept as {})", backup.display())
                }
                FileAction::Unchanged => "unchanged".to_owned(),
                FileAction::Removed => "removed".to_owned(),
                FileAction::New => "new".to_owned(),
                FileAction::Changed { .. } => "changed".to_owned(),
                FileAction::Kept { reason } => format!("kept ({reason})"),
            };
            let _ = writeln!(out, "  {}  {what}", f.path.display());
            let shown = match (&f.action, &f.content) {
                (_, Some(content)) => Some(content),
                (FileAction::Changed { diff }, None) => Some(diff),
                _ => None,
            };
            for line in shown.into_iter().flat_map(|text| text.lines()) {
                let _ = writeln!(out, "      {line}");
            }
        }
        for command in &self.would_run {
            let _ = writeln!(out, "would run: {command}");
        }
        if let Some(problem) = &self.systemctl_problem {
            let _ = writeln!(
                out,
                "⚠️  systemctl --user is not available ({problem}); the files are changed, but nothing was reloaded, enabled or disabled"
            );
        } else if !self.timers.is_empty() && !self.dry_run {
            let _ = writeln!(out, "timers: {}", self.timers.join(" "));
        }
        if let Some(instances) = &self.instances {
            let list = if instances.is_empty() {
                "none".to_owned()
            } else {
                instances.join(" ")
            };
            let _ = writeln!(out, "accounts with enabled timers: {list}");
        }
        for warning in &self.warnings {
            let _ = writeln!(out, "⚠️  {warning}");
        }
        if self.lingering == Some(false) {
            let _ = writeln!(
                out,
                "⚠️  lingering is off: the timers stop when you log out. Run: sudo loginctl enable-linger $USER"
            );
        }
        out
    }
}

/// `install` options.
#[derive(Clone, Debug)]
pub struct InstallRequest {
    /// The binary the units run; this one when absent.
    pub bin: Option<PathBuf>,
    /// Where units go; `~/.config/systemd/user` when absent.
    pub unit_dir: Option<PathBuf>,
    /// Write and reload, but do not enable the timers.
    pub no_enable: bool,
    /// Say what would change; write nothing.
    pub dry_run: bool,
    /// With `dry_run`: each file's full text, not only the diffs.
    pub full_text: bool,
    /// The paths named on the command line or in the environment, and the instance.
    pub sources: Sources,
    /// The paths the jobs will use.
    pub paths: Paths,
}

fn unit_dir(given: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(dir) = given {
        return Ok(dir.to_owned());
    }
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .context("neither XDG_CONFIG_HOME nor HOME is set: pass --unit-dir")?;
    Ok(config.join("systemd/user"))
}

/// The accounts whose timers are enabled. `systemctl --user enable` links an enabled
/// `paper-eod@NAME.timer` into the user's configuration directory whatever `--unit-dir` was.
fn enabled_instances() -> BTreeSet<String> {
    let Ok(config) = unit_dir(None) else {
        return BTreeSet::new();
    };
    systemctl::enabled_timers(&config)
        .iter()
        .filter_map(|unit| units::instance_of(unit))
        .map(|i| i.as_str().to_owned())
        .collect()
}

/// The units to write: the instance's templates, or the single account's units passing on the
/// paths named explicitly (made absolute, since the jobs do not start where install ran).
fn layout(sources: &Sources) -> anyhow::Result<Layout> {
    let named = [&sources.config_file, &sources.env_file, &sources.state_dir];
    if let Some(instance) = &sources.instance {
        if let Some(given) = named.into_iter().flatten().next() {
            return Err(Usage(format!(
                "--instance {name} installs templates, which use the instance's own files \
                 (~/.config/aurora/{name}/, ~/.local/share/aurora/{name}), so they cannot pass on {} \
                 ({}): leave it out, or install the single account's units without --instance",
                given.value.display(),
                given.origin,
                name = instance.value,
            ))
            .into());
        }
        return Ok(Layout::Instances);
    }
    let absolute = |given: &Option<Sourced<PathBuf>>| {
        given
            .as_ref()
            .map(|p| {
                std::path::absolute(&p.value)
                    .with_context(|| format!("cannot make {} absolute", p.value.display()))
            })
            .transpose()
    };
    Ok(Layout::Single(ExplicitPaths {
        config_file: absolute(&sources.config_file)?,
        env_file: absolute(&sources.env_file)?,
        state_dir: absolute(&sources.state_dir)?,
    }))
}

/// Writes the units (backing up any different file already there), reloads and enables; or,
/// with `dry_run`, says what each file would become.
pub fn install(request: &InstallRequest) -> anyhow::Result<SystemdReport> {
    let dir = unit_dir(request.unit_dir.as_deref())?;
    let bin = match &request.bin {
        Some(b) => b.clone(),
        None => std::env::current_exe()
            .context("cannot tell where this aurora binary is: pass --bin")?,
    };
    let bin = std::fs::canonicalize(&bin).unwrap_or(bin);
    let instance = request.paths.instance.as_ref().map(|i| i.value.clone());
    let rendered = units::render(&layout(&request.sources)?, &bin)
        .map_err(|e| anyhow::Error::from(Usage(e.to_string())))?;
    let state_dir = std::path::absolute(&request.paths.state_dir.value)?;
    if !request.dry_run {
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        // The units make only the state directory writable (ReadWritePaths=), and systemd
        // refuses to start a unit whose ReadWritePaths= does not exist: create it now (the
        // units also create it before each job, outside the sandbox).
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&state_dir)
            .with_context(|| {
                format!("cannot create the state directory {}", state_dir.display())
            })?;
    }
    let stamp = Utc::now().format("%Y%m%d%H%M%S").to_string();
    let files = rendered
        .into_iter()
        .map(|unit| {
            if request.dry_run {
                preview(&dir, unit, request.full_text)
            } else {
                write(&dir, unit, &stamp)
            }
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let timers = units::timers(instance.as_ref());
    let mut steps = vec![vec!["daemon-reload".to_owned()]];
    if !request.no_enable {
        steps.push(
            ["enable", "--now"]
                .into_iter()
                .map(str::to_owned)
                .chain(timers.iter().cloned())
                .collect(),
        );
    }
    let mut report = SystemdReport {
        unit_dir: dir,
        bin: Some(bin),
        instance,
        dry_run: request.dry_run,
        files,
        systemctl_problem: None,
        timers: Vec::new(),
        would_run: Vec::new(),
        instances: None,
        lingering: None,
        warnings: missing_files(&request.paths),
    };
    if request.dry_run {
        report.would_run = steps
            .iter()
            .map(|args| format!("systemctl --user {}", args.join(" ")))
            .collect();
        if !request.no_enable {
            report.timers = timers;
        }
        return Ok(report);
    }
    for args in &steps {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        if let Err(e) = systemctl::systemctl(&args) {
            report.systemctl_problem = Some(e.reason);
            return Ok(report);
        }
    }
    if !request.no_enable {
        report.timers = timers;
    }
    if report.instance.is_some() {
        report.instances = Some(enabled_instances().into_iter().collect());
    }
    report.lingering = systemctl::lingering();
    Ok(report)
}

/// The jobs read the env file (and an `aurora.toml` named explicitly) at every start: say so
/// at install when one is not there yet.
fn missing_files(paths: &Paths) -> Vec<String> {
    let init = match &paths.instance {
        Some(i) => format!("aurora --instance {} init", i.value),
        None => "aurora init".to_owned(),
    };
    let config = &paths.config_file.value;
    [
        Some(&paths.env_file.value),
        paths.config_required.then_some(config),
    ]
    .into_iter()
    .flatten()
    .filter(|file| !file.exists())
    .map(|file| {
        format!(
            "{} does not exist yet: the jobs fail until it does (`{init}` writes it)",
            file.display()
        )
    })
    .collect()
}

/// What writing `unit` would do to the file there.
fn preview(dir: &Path, unit: Rendered, full_text: bool) -> anyhow::Result<UnitFile> {
    let path = dir.join(&unit.name);
    let action = match std::fs::read_to_string(&path) {
        Ok(existing) if existing == unit.text => FileAction::Unchanged,
        Ok(existing) => FileAction::Changed {
            diff: similar::TextDiff::from_lines(&existing, &unit.text)
                .unified_diff()
                .context_radius(3)
                .header(
                    &format!("{} (installed)", unit.name),
                    &format!("{} (new)", unit.name),
                )
                .to_string(),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => FileAction::New,
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    Ok(UnitFile {
        path,
        action,
        content: full_text.then_some(unit.text),
    })
}

/// Writes `unit`, moving a different file already there to `NAME.bak-STAMP` first.
fn write(dir: &Path, unit: Rendered, stamp: &str) -> anyhow::Result<UnitFile> {
    let path = dir.join(&unit.name);
    let action = match std::fs::read_to_string(&path) {
        Ok(existing) if existing == unit.text => FileAction::Unchanged,
        Ok(_) => {
            let backup = dir.join(format!("{}.bak-{stamp}", unit.name));
            std::fs::rename(&path, &backup)
                .with_context(|| format!("cannot back up {}", path.display()))?;
            FileAction::Updated { backup }
        }
        Err(_) => FileAction::Created,
    };
    if action != FileAction::Unchanged {
        std::fs::write(&path, &unit.text)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(UnitFile {
        path,
        action,
        content: None,
    })
}

/// Disables the timers and removes the unit files install wrote (backups stay). For an
/// instance: its timers, and the templates only when no other account's timers are enabled.
pub fn uninstall(
    given_dir: Option<&Path>,
    instance: Option<&Instance>,
) -> anyhow::Result<SystemdReport> {
    let dir = unit_dir(given_dir)?;
    let timers = units::timers(instance);
    let mut disable = vec!["disable", "--now"];
    disable.extend(timers.iter().map(String::as_str));
    let problem = systemctl::systemctl(&disable).err().map(|e| e.reason);
    let (names, others): (Vec<String>, Vec<String>) = match instance {
        None => (
            units::single_names().map(str::to_owned).collect(),
            Vec::new(),
        ),
        Some(this) => (
            units::template_names(),
            enabled_instances()
                .into_iter()
                .filter(|i| i != this.as_str())
                .collect(),
        ),
    };
    let mut files = Vec::new();
    for name in names {
        let path = dir.join(name);
        if !path.exists() {
            continue;
        }
        let action = if others.is_empty() {
            std::fs::remove_file(&path)
                .with_context(|| format!("cannot remove {}", path.display()))?;
            FileAction::Removed
        } else {
            FileAction::Kept {
                reason: format!("the timers of {} still use it", others.join(", ")),
            }
        };
        files.push(UnitFile {
            path,
            action,
            content: None,
        });
    }
    let problem = problem.or_else(|| {
        systemctl::systemctl(&["daemon-reload"])
            .err()
            .map(|e| e.reason)
    });
    Ok(SystemdReport {
        unit_dir: dir,
        bin: None,
        instance: instance.cloned(),
        dry_run: false,
        files,
        timers: if problem.is_none() {
            timers
        } else {
            Vec::new()
        },
        systemctl_problem: problem,
        would_run: Vec::new(),
        instances: instance.map(|_| others),
        lingering: None,
        warnings: Vec::new(),
    })
}
