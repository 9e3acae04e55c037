//! The checked-in systemd units, embedded in the binary, and how they are rendered (pure).

/// The placeholder for the binary in the checked-in units; `render` puts the real path there.
pub const BIN_PLACEHOLDER: &str = "%h/.local/bin/aurora";

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

/// The timers, which install enables.
pub fn timers() -> impl Iterator<Item = &'static str> {
    UNITS
        .iter()
        .map(|(name, _)| *name)
        .filter(|n| n.ends_with(".timer"))
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

/// A unit with the real binary path in place of the placeholder.
///
/// Paths with spaces are quoted, as systemd's command-line syntax needs.
pub fn render(unit: &str, bin: &str) -> String {
    let bin = if bin.contains(char::is_whitespace) {
        format!("\"{bin}\"")
    } else {
        bin.to_owned()
    };
    unit.replace(BIN_PLACEHOLDER, &bin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_service_runs_the_placeholder_and_render_replaces_it() {
        for (name, text) in UNITS.iter().filter(|(n, _)| n.ends_with(".service")) {
            assert!(
                text.contains(BIN_PLACEHOLDER),
                "{name} does not run {BIN_PLACEHOLDER}"
            );
            let rendered = render(text, "/opt/aurora/bin/aurora");
            assert!(!rendered.contains(BIN_PLACEHOLDER), "{name}");
            assert!(
                rendered.contains("ExecStart=/opt/aurora/bin/aurora "),
                "{name}"
            );
        }
        assert_eq!(timers().count(), 5);
        assert_eq!(job_of("paper-trading.service"), Some("trade"));
        assert_eq!(job_of("paper-data-fetch.service"), Some("fetch"));
        assert_eq!(job_of("paper-eod@acct.service"), Some("eod"));
        assert_eq!(job_of("sshd.service"), None);
        assert!(
            render("ExecStart=%h/.local/bin/aurora eod", "/a b/aurora")
                .contains("\"/a b/aurora\" eod")
        );
    }
}
