//! `aurora systemd install|uninstall`: the checked-in units, rendered for this machine.

use std::fmt::Write as _;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use chrono::Utc;
use serde::Serialize;

use super::Report;
use crate::exit::Exit;
use crate::systemctl;
use crate::types::SessionDate;
use crate::units;

/// What install did with one file.
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
    /// Would be written (`--dry-run`).
    WouldWrite,
}

/// One unit file.
#[derive(Clone, Debug, Serialize)]
pub struct UnitFile {
    /// Its path.
    pub path: PathBuf,
    /// What happened to it.
    #[serde(flatten)]
    pub action: FileAction,
    /// Its content (`--dry-run` only).
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
    /// Each file.
    pub files: Vec<UnitFile>,
    /// What systemctl said, when it could not be asked or refused.
    pub systemctl_problem: Option<String>,
    /// Timers enabled (install) or disabled (uninstall).
    pub timers: Vec<String>,
    /// Whether the user lingers, when known.
    pub lingering: Option<bool>,
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
        for f in &self.files {
            let what = match &f.action {
                FileAction::Created => "created".to_owned(),
                FileAction::Updated { backup } => {
                    format!("updated (old file kept as {})", backup.display())
                }
                FileAction::Unchanged => "unchanged".to_owned(),
                FileAction::Removed => "removed".to_owned(),
                FileAction::WouldWrite => "would write".to_owned(),
            };
            let _ = writeln!(out, "  {}  {what}", f.path.display());
            if let Some(content) = &f.content {
                for line in content.lines() {
                    let _ = writeln!(out, "      {line}");
                }
            }
        }
        if let Some(problem) = &self.systemctl_problem {
            let _ = writeln!(
                out,
                "⚠️  systemctl --user is not available ({problem}); the files are written, but nothing was reloaded or enabled"
            );
        } else if !self.timers.is_empty() {
            let _ = writeln!(out, "timers: {}", self.timers.join(" "));
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
    /// Print what would be written; write nothing.
    pub dry_run: bool,
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

/// Writes the units (backing up any different file already there), reloads and enables.
pub fn install(request: &InstallRequest) -> anyhow::Result<SystemdReport> {
    let dir = unit_dir(request.unit_dir.as_deref())?;
    let bin = match &request.bin {
        Some(b) => b.clone(),
        None => std::env::current_exe()
            .context("cannot tell where this aurora binary is: pass --bin")?,
    };
    let bin = std::fs::canonicalize(&bin).unwrap_or(bin);
    let bin_text = bin.to_str().context("the binary path is not valid UTF-8")?;
    if !request.dry_run {
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        // The units make only the state directory writable (ReadWritePaths=), and systemd
        // refuses to start a unit whose ReadWritePaths= does not exist: create it now.
        if let Some(home) = std::env::var_os("HOME") {
            let state = PathBuf::from(home).join(".local/share/aurora");
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&state)
                .with_context(|| {
                    format!("cannot create the state directory {}", state.display())
                })?;
        }
    }
    let stamp = Utc::now().format("%Y%m%d%H%M%S");
    let mut files = Vec::new();
    for (name, template) in units::UNITS {
        let path = dir.join(name);
        let content = units::render(template, bin_text);
        if request.dry_run {
            files.push(UnitFile {
                path,
                action: FileAction::WouldWrite,
                content: Some(content),
            });
            continue;
        }
        let action = match std::fs::read_to_string(&path) {
            Ok(existing) if existing == content => FileAction::Unchanged,
            Ok(_) => {
                let backup = dir.join(format!("{name}.bak-{stamp}"));
                std::fs::rename(&path, &backup)
                    .with_context(|| format!("cannot back up {}", path.display()))?;
                FileAction::Updated { backup }
            }
            Err(_) => FileAction::Created,
        };
        if action != FileAction::Unchanged {
            std::fs::write(&path, &content)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        files.push(UnitFile {
            path,
            action,
            content: None,
        });
    }
    let mut report = SystemdReport {
        unit_dir: dir,
        bin: Some(bin),
        files,
        systemctl_problem: None,
        timers: Vec::new(),
        lingering: None,
    };
    if request.dry_run {
        return Ok(report);
    }
    let timers: Vec<&str> = units::timers().collect();
    let mut steps = vec![vec!["daemon-reload"]];
    if !request.no_enable {
        let mut enable = vec!["enable", "--now"];
        enable.extend(&timers);
        steps.push(enable);
    }
    for args in steps {
        if let Err(e) = systemctl::systemctl(&args) {
            report.systemctl_problem = Some(e.reason);
            return Ok(report);
        }
    }
    if !request.no_enable {
        report.timers = timers.iter().map(|t| (*t).to_owned()).collect();
    }
    report.lingering = systemctl::lingering();
    Ok(report)
}

/// Disables the timers and removes the unit files install wrote (backups stay).
pub fn uninstall(given_dir: Option<&Path>) -> anyhow::Result<SystemdReport> {
    let dir = unit_dir(given_dir)?;
    let timers: Vec<&str> = units::timers().collect();
    let mut disable = vec!["disable", "--now"];
    disable.extend(&timers);
    let problem = systemctl::systemctl(&disable).err().map(|e| e.reason);
    let mut files = Vec::new();
    for (name, _) in units::UNITS {
        let path = dir.join(name);
        if path.exists() {
            std::fs::remove_file(&path)
                .with_context(|| format!("cannot remove {}", path.display()))?;
            files.push(UnitFile {
                path,
                action: FileAction::Removed,
                content: None,
            });
        }
    }
    let problem = problem.or_else(|| {
        systemctl::systemctl(&["daemon-reload"])
            .err()
            .map(|e| e.reason)
    });
    Ok(SystemdReport {
        unit_dir: dir,
        bin: None,
        files,
        timers: if problem.is_none() {
            timers.iter().map(|t| (*t).to_owned()).collect()
        } else {
            Vec::new()
        },
        systemctl_problem: problem,
        lingering: None,
    })
}
