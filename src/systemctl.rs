//! `systemctl --user`, `journalctl --user` and `loginctl`: the port to the user's service manager.
//!
//! `AURORA_SYSTEMCTL` names another `systemctl` (tests use a stand-in, since CI has no user manager).

use std::path::Path;
use std::process::Command;

use serde::Serialize;

/// The service manager could not be asked.
#[derive(Debug, thiserror::Error)]
#[error("systemctl --user {args}: {reason}")]
pub struct SystemctlError {
    /// What was run.
    pub args: String,
    /// What went wrong.
    pub reason: String,
}

fn systemctl_path() -> String {
    std::env::var("AURORA_SYSTEMCTL").unwrap_or_else(|_| "systemctl".to_owned())
}

/// Runs `systemctl --user ARGS`; its stdout when it succeeds.
pub fn systemctl(args: &[&str]) -> Result<String, SystemctlError> {
    let err = |reason: String| SystemctlError {
        args: args.join(" "),
        reason,
    };
    let out = Command::new(systemctl_path())
        .arg("--user")
        .args(args)
        .output()
        .map_err(|e| err(e.to_string()))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let reason = stderr.lines().next().unwrap_or("failed").trim().to_owned();
        Err(err(if reason.is_empty() {
            format!("exit {}", out.status)
        } else {
            reason
        }))
    }
}

/// One timer as `systemctl --user show` describes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TimerState {
    /// `paper-preflight.timer`.
    pub unit: String,
    /// `active`, `inactive`, …
    pub active: String,
    /// Next elapse, as systemd prints it (local time), if scheduled.
    pub next: Option<String>,
    /// Last trigger, if any.
    pub last: Option<String>,
}

/// The state of each named timer.
pub fn timers(units: &[&str]) -> Result<Vec<TimerState>, SystemctlError> {
    let mut args = vec![
        "show",
        "--property=Id,ActiveState,NextElapseUSecRealtime,LastTriggerUSec",
    ];
    args.extend_from_slice(units);
    Ok(parse_show(&systemctl(&args)?))
}

/// Parses `systemctl show` output: blocks of `Key=value` lines separated by blank lines.
pub fn parse_show(text: &str) -> Vec<TimerState> {
    text.split("\n\n")
        .filter_map(|block| {
            let get = |key: &str| {
                block
                    .lines()
                    .find_map(|l| l.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
                    .map(str::trim)
                    .filter(|v| !v.is_empty() && *v != "n/a")
                    .map(str::to_owned)
            };
            Some(TimerState {
                unit: get("Id")?,
                active: get("ActiveState").unwrap_or_else(|| "unknown".into()),
                next: get("NextElapseUSecRealtime"),
                last: get("LastTriggerUSec"),
            })
        })
        .collect()
}

/// The timers enabled in the user's configuration directory `config_dir`
/// (`~/.config/systemd/user`): `systemctl --user enable` links each into `timers.target.wants/`
/// (an instance of a template by its own name), so this needs no running manager.
pub fn enabled_timers(config_dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(config_dir.join("timers.target.wants")) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".timer"))
        .collect();
    names.sort();
    names
}

/// Whether the user lingers (its manager runs while logged out); `None` when it cannot be told.
pub fn lingering() -> Option<bool> {
    let user = std::env::var("USER").ok()?;
    let out = Command::new("loginctl")
        .args(["show-user", &user, "--property=Linger"])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    match text.trim() {
        "Linger=yes" => Some(true),
        "Linger=no" => Some(false),
        _ => None,
    }
}

/// The last `n` journal lines of a user unit, when the journal can be read.
pub fn last_log_lines(unit: &str, n: usize) -> Option<Vec<String>> {
    let out = Command::new("journalctl")
        .args([
            "--user",
            "-u",
            unit,
            "-n",
            &n.to_string(),
            "--no-pager",
            "-o",
            "cat",
        ])
        .output()
        .ok()?;
    out.status.success().then(|| {
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_owned)
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_show_blocks() {
        let text = "Id=paper-eod.timer\nActiveState=active\nNextElapseUSecRealtime=Mon 2026-11-30 15:15:00 CST\nLastTriggerUSec=n/a\n\n\
Id=paper-status.timer\nActiveState=inactive\nNextElapseUSecRealtime=\nLastTriggerUSec=Fri 2026-11-27 14:00:00 CST\n";
        let t = parse_show(text);
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].next.as_deref(), Some("Mon 2026-11-30 15:15:00 CST"));
        assert_eq!(t[0].last, None);
        assert_eq!(t[1].active, "inactive");
        assert_eq!(t[1].next, None);
    }
}
