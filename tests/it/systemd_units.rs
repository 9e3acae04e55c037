//! The checked-in systemd units (`systemd/`): their text follows the rules the operator's old
//! setup broke, `systemd-analyze verify` accepts every one, `systemd-analyze calendar` proves
//! each timer's schedule (weekdays, Central time, across daylight-saving changes), and
//! `systemd-analyze security --offline=true` keeps each service's exposure at 3.0 or less. The
//! same holds for the units `aurora systemd install` renders: the templates for several
//! accounts (verified as two instances) and units with odd paths passed on.
//!
//! `systemd-analyze` needs no running manager: `--user` mode only needs `XDG_RUNTIME_DIR`, which
//! these tests point at a temporary directory. If `systemd-analyze` is missing, the tests that
//! need it fail, unless `AURORA_SKIP_SYSTEMD_ANALYZE=1` says to skip them (the text checks
//! still run).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::America::Chicago;

use crate::common::Run;

/// The binary path in the checked-in units; `aurora systemd install` replaces it.
const BIN_PLACEHOLDER: &str = "%h/.local/bin/aurora";

/// One job: its unit name, the subcommand its service runs, its Central-time runs per weekday.
struct Job {
    name: &'static str,
    sub: &'static str,
    times: &'static [(u32, u32)],
}

const JOBS: [Job; 5] = [
    Job {
        name: "paper-preflight",
        sub: "preflight",
        times: &[(7, 30)],
    },
    Job {
        name: "paper-trading",
        sub: "trade",
        times: &[(8, 0)],
    },
    Job {
        name: "paper-status",
        sub: "status",
        times: &[(9, 0), (10, 0), (11, 0), (12, 0), (13, 0), (14, 0), (15, 0)],
    },
    Job {
        name: "paper-eod",
        sub: "eod",
        times: &[(15, 15)],
    },
    Job {
        name: "paper-data-fetch",
        sub: "fetch",
        times: &[(16, 0)],
    },
];

const ALERT: &str = "aurora-alert@.service";

/// Highest `systemd-analyze security` exposure a service may have.
const MAX_EXPOSURE: f64 = 3.0;

fn units_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("systemd")
}

fn unit_text(name: &str) -> String {
    let path = units_dir().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every checked-in service (the five jobs and the alert template).
fn services() -> Vec<String> {
    JOBS.iter()
        .map(|job| format!("{}.service", job.name))
        .chain([ALERT.to_owned()])
        .collect()
}

fn timers() -> Vec<String> {
    JOBS.iter()
        .map(|job| format!("{}.timer", job.name))
        .collect()
}

fn all_units() -> Vec<String> {
    services().into_iter().chain(timers()).collect()
}

/// Values of `key=` in a unit's text (settings only; comment lines skipped).
fn values<'a>(text: &'a str, key: &str) -> Vec<&'a str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#') && !l.starts_with(';'))
        .filter_map(|l| l.strip_prefix(key)?.strip_prefix('='))
        .map(str::trim)
        .collect()
}

fn one_value<'a>(text: &'a str, key: &str, unit: &str) -> &'a str {
    match values(text, key).as_slice() {
        [v] => v,
        other => panic!("{unit}: expected exactly one {key}=, found {other:?}"),
    }
}

/// A systemd time span as our units write them: `90s`, `5min`, `1h`, `1h 30min`.
fn timespan_secs(span: &str) -> u64 {
    span.split_whitespace()
        .map(|part| {
            let digits = part.trim_end_matches(|c: char| c.is_ascii_alphabetic());
            let n: u64 = digits
                .parse()
                .unwrap_or_else(|_| panic!("time span {span:?}"));
            match &part[digits.len()..] {
                "" | "s" | "sec" => n,
                "min" | "m" => n * 60,
                "h" => n * 3600,
                unit => panic!("time span {span:?}: unit {unit:?}"),
            }
        })
        .sum()
}

// ---------------------------------------------------------------------------------------------
// The units' text
// ---------------------------------------------------------------------------------------------

#[test]
fn the_directory_holds_exactly_the_expected_units() {
    let mut found: Vec<String> = std::fs::read_dir(units_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".service") || n.ends_with(".timer"))
        .collect();
    found.sort();
    let mut expected = all_units();
    expected.sort();
    assert_eq!(found, expected);
}

#[test]
fn no_value_carries_a_trailing_comment() {
    // systemd only knows whole-line comments: `OnCalendar=... # Preflight` (the old guide's
    // timer block) is read as part of the value and the setting is rejected.
    for unit in all_units() {
        let text = unit_text(&unit);
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.starts_with('#') || line.starts_with(';') || !line.contains('=') {
                continue;
            }
            assert!(
                !line.contains('#'),
                "{unit}:{}: comment after a value: {line}",
                n + 1
            );
        }
    }
}

#[test]
fn timers_are_weekday_central_persistent_and_never_require_their_service() {
    for Job { name, .. } in JOBS {
        let unit = format!("{name}.timer");
        let text = unit_text(&unit);
        // Requires= in a timer starts the service whenever the timer starts (every boot).
        assert!(values(&text, "Requires").is_empty(), "{unit}: Requires=");
        let spec = one_value(&text, "OnCalendar", &unit);
        assert!(spec.starts_with("Mon..Fri "), "{unit}: {spec}");
        assert!(spec.ends_with(" America/Chicago"), "{unit}: {spec}");
        assert_eq!(one_value(&text, "Persistent", &unit), "true", "{unit}");
        assert_eq!(
            one_value(&text, "WantedBy", &unit),
            "timers.target",
            "{unit}"
        );
        // The timer starts the service of the same name (no Unit= pointing elsewhere).
        assert!(values(&text, "Unit").is_empty(), "{unit}: Unit=");
    }
}

#[test]
fn services_run_aurora_directly_and_alert_on_failure() {
    for Job { name, sub, .. } in JOBS {
        let unit = format!("{name}.service");
        let text = unit_text(&unit);
        assert_eq!(one_value(&text, "Type", &unit), "oneshot", "{unit}");
        assert_eq!(
            one_value(&text, "ExecStart", &unit),
            format!("{BIN_PLACEHOLDER} {sub}"),
            "{unit}"
        );
        assert_eq!(
            one_value(&text, "OnFailure", &unit),
            "aurora-alert@%n.service",
            "{unit}"
        );
        assert_eq!(one_value(&text, "SyslogIdentifier", &unit), name, "{unit}");
        assert!(values(&text, "TimeoutStartSec").len() == 1, "{unit}");
        // aurora reads and permission-checks the env file itself.
        for banned in ["EnvironmentFile", "SuccessExitStatus"] {
            assert!(values(&text, banned).is_empty(), "{unit}: {banned}=");
        }
        let settings: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .collect();
        for banned in ["bash", "/bin/sh", "source "] {
            assert!(!settings.contains(banned), "{unit}: {banned}");
        }
        assert_eq!(
            one_value(&text, "ReadWritePaths", &unit),
            "%h/.local/share/aurora",
            "{unit}"
        );
        assert_eq!(one_value(&text, "ProtectSystem", &unit), "strict", "{unit}");
        assert_eq!(one_value(&text, "PrivateUsers", &unit), "yes", "{unit}");
    }
    let text = unit_text(ALERT);
    assert_eq!(one_value(&text, "Type", ALERT), "oneshot");
    assert_eq!(
        one_value(&text, "ExecStart", ALERT),
        format!("{BIN_PLACEHOLDER} alert --unit %i")
    );
    assert!(
        values(&text, "OnFailure").is_empty(),
        "the alert must not alert on itself"
    );
    assert!(
        values(&text, "Restart").is_empty(),
        "the alert is not retried"
    );
}

#[test]
fn only_temporary_exits_are_retried_and_retries_are_bounded() {
    for Job { name, .. } in JOBS {
        let unit = format!("{name}.service");
        let text = unit_text(&unit);
        assert_eq!(one_value(&text, "Restart", &unit), "on-failure", "{unit}");
        let prevent: Vec<&str> = one_value(&text, "RestartPreventExitStatus", &unit)
            .split_whitespace()
            .collect();
        // 1 failed, 2 config, 3 blocked, 4 discrepancy: real problems, alert at once.
        // 73 (lock held) and 75 (broker unreachable) are temporary: retried.
        assert_eq!(prevent, ["1", "2", "3", "4"], "{unit}");

        // The start limit must be reached before its window ends, or retries never stop:
        // burst starts, each up to the timeout, with the restart delay between them.
        let burst: u64 = one_value(&text, "StartLimitBurst", &unit).parse().unwrap();
        let window = timespan_secs(one_value(&text, "StartLimitIntervalSec", &unit));
        let timeout = timespan_secs(one_value(&text, "TimeoutStartSec", &unit));
        let delay = timespan_secs(one_value(&text, "RestartSec", &unit));
        assert!((2..=5).contains(&burst), "{unit}: StartLimitBurst={burst}");
        assert!(
            burst * timeout + (burst - 1) * delay < window,
            "{unit}: {burst} starts of up to {timeout}s with {delay}s between them do not fit \
             in StartLimitIntervalSec={window}s, so retries would not be bounded"
        );
    }
}

#[test]
fn timeouts_fit_each_job() {
    let limits = [
        ("paper-preflight", 60, 10 * 60),
        ("paper-trading", 60, 15 * 60),
        ("paper-status", 30, 5 * 60),
        ("paper-eod", 60, 15 * 60),
        ("paper-data-fetch", 5 * 60, 30 * 60),
    ];
    for (name, min, max) in limits {
        let unit = format!("{name}.service");
        let t = timespan_secs(one_value(&unit_text(&unit), "TimeoutStartSec", &unit));
        assert!((min..=max).contains(&t), "{unit}: TimeoutStartSec={t}s");
    }
}

// ---------------------------------------------------------------------------------------------
// systemd-analyze
// ---------------------------------------------------------------------------------------------

/// A hermetic environment for `systemd-analyze`: a temporary `HOME` and `XDG_RUNTIME_DIR` (so
/// `--user` works without a manager and no installed unit of the same name is consulted), a
/// fixed time zone and locale, and the units rendered with the test binary's path.
struct Analyze {
    dir: tempfile::TempDir,
}

impl Analyze {
    /// `None` (after saying so) when systemd-analyze is missing and the skip is requested.
    fn new() -> Option<Analyze> {
        let found = Command::new("systemd-analyze")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !found {
            if std::env::var_os("AURORA_SKIP_SYSTEMD_ANALYZE").is_some() {
                eprintln!("systemd-analyze not found: skipped (AURORA_SKIP_SYSTEMD_ANALYZE)");
                return None;
            }
            panic!(
                "systemd-analyze not found: install systemd (Debian: apt-get install systemd), \
                 or set AURORA_SKIP_SYSTEMD_ANALYZE=1 to skip these checks"
            );
        }
        let dir = tempfile::tempdir().unwrap();
        for sub in ["home", "runtime", "units"] {
            std::fs::create_dir(dir.path().join(sub)).unwrap();
        }
        let bin = env!("CARGO_BIN_EXE_aurora");
        let bin = if bin.contains(char::is_whitespace) {
            format!("\"{bin}\"")
        } else {
            bin.to_owned()
        };
        for unit in all_units() {
            let text = unit_text(&unit).replace(BIN_PLACEHOLDER, &bin);
            std::fs::write(dir.path().join("units").join(&unit), text).unwrap();
        }
        Some(Analyze { dir })
    }

    fn unit_path(&self, unit: &str) -> PathBuf {
        self.dir.path().join("units").join(unit)
    }

    fn run(&self, tz: &str, args: &[&str]) -> Output {
        let mut cmd = Command::new("systemd-analyze");
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path().join("home"))
            .env("XDG_RUNTIME_DIR", self.dir.path().join("runtime"))
            .env("TZ", tz)
            .env("LC_ALL", "C.UTF-8")
            .env("SYSTEMD_COLORS", "0")
            .env("SYSTEMD_PAGER", "")
            .args(args);
        cmd.output().expect("run systemd-analyze")
    }
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Runs `systemd-analyze --user verify` on `units` and asserts it says nothing about them:
/// warnings (unknown keys, bad values, unresolvable specifiers, missing binaries) do not change
/// the exit status.
fn assert_verified(sa: &Analyze, units: &[PathBuf]) {
    let paths: Vec<String> = units.iter().map(|p| p.display().to_string()).collect();
    let mut args = vec!["--user", "verify", "--man=no", "--recursive-errors=no"];
    args.extend(paths.iter().map(String::as_str));
    let out = sa.run("UTC", &args);
    let said = text(&out);
    assert!(
        out.status.success(),
        "systemd-analyze verify failed:\n{said}"
    );
    let ours: Vec<&str> = said
        .lines()
        .filter(|l| {
            l.contains(sa.dir.path().to_str().unwrap())
                || l.contains("paper-")
                || l.contains("aurora-alert@")
                || l.contains("aurora-instance-alert@")
        })
        .collect();
    assert!(ours.is_empty(), "systemd-analyze verify warned:\n{said}");
    if !said.trim().is_empty() {
        eprintln!("systemd-analyze verify said (not about our units):\n{said}");
    }
}

#[test]
fn systemd_analyze_verify_accepts_every_unit_without_a_warning() {
    let Some(sa) = Analyze::new() else { return };
    let paths: Vec<PathBuf> = all_units().iter().map(|u| sa.unit_path(u)).collect();
    assert_verified(&sa, &paths);
}

/// Writes the units `aurora [GLOBAL…] systemd install --no-enable [ARGS…]` renders into a new
/// directory `name` (no systemctl: nothing is enabled) and returns it.
fn install_units(sa: &Analyze, name: &str, global: &[&str], args: &[&str]) -> PathBuf {
    let dir = sa.dir.path().join(name);
    let mut all = global.to_vec();
    all.extend(["systemd", "install", "--no-enable", "--unit-dir"]);
    all.push(dir.to_str().unwrap());
    all.extend(args);
    Run::new(&sa.dir.path().join("home"))
        .args(&all)
        .run()
        .code(0);
    dir
}

const INSTANCES: [&str; 2] = ["acct1", "acct-2"];

#[test]
fn templates_pass_verify_for_two_instances() {
    let Some(sa) = Analyze::new() else { return };
    let dir = install_units(&sa, "templates", &["--instance", INSTANCES[0]], &[]);
    // systemd-analyze loads an instance (paper-eod@acct1.service) from its template file.
    let mut paths = Vec::new();
    for instance in INSTANCES {
        for job in JOBS {
            for suffix in ["service", "timer"] {
                paths.push(dir.join(format!("{}@{instance}.{suffix}", job.name)));
            }
            // OnFailure=aurora-instance-alert@%n.service of that job.
            paths.push(dir.join(format!(
                "aurora-instance-alert@{}@{instance}.service.service",
                job.name
            )));
        }
    }
    assert_verified(&sa, &paths);
}

#[test]
fn an_instance_job_writes_where_it_keeps_its_state() {
    let Some(sa) = Analyze::new() else { return };
    let dir = install_units(&sa, "templates", &["--instance", "acct-2"], &[]);
    let home = sa.dir.path().join("home");
    for job in JOBS {
        let unit = format!("{}@.service", job.name);
        let unit_text = std::fs::read_to_string(dir.join(&unit)).unwrap();
        // As systemd expands them for paper-x@acct-2.service (%h, %i; nothing else is used).
        let expand = |v: &str| {
            v.replace("%h", home.to_str().unwrap())
                .replace("%i", "acct-2")
        };
        let exec = expand(one_value(&unit_text, "ExecStart", &unit));
        let writable = expand(one_value(&unit_text, "ReadWritePaths", &unit));
        // The job's own command line, asked which state directory it uses.
        let words: Vec<&str> = exec.split_whitespace().collect();
        let (program, args) = words.split_first().unwrap();
        assert_eq!(*program, env!("CARGO_BIN_EXE_aurora"), "{unit}");
        assert_eq!(args.last(), Some(&job.sub), "{unit}");
        let out = Command::new(program)
            .env_clear()
            .env("HOME", &home)
            .args(&args[..args.len() - 1])
            .args(["config", "paths", "--json"])
            .output()
            .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{unit}: {e}: {}", text(&out)));
        let state = json["paths"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "state dir")
            .unwrap()["path"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(state, writable, "{unit}");
        assert!(state.ends_with("/.local/share/aurora/acct-2"), "{state}");
    }
}

#[test]
fn named_paths_with_specifier_and_space_characters_pass_verify() {
    let Some(sa) = Analyze::new() else { return };
    // %z is no specifier: left unescaped, systemd refuses the setting ("Invalid slot"); a
    // space splits an unquoted word. The binary is checked to exist at the expanded path.
    let odd = sa.dir.path().join("odd 100%z $HOME");
    let bin = odd.join("bin/aurora");
    std::fs::create_dir_all(bin.parent().unwrap()).unwrap();
    std::fs::write(&bin, "#!/bin/sh\n").unwrap();
    std::fs::set_permissions(&bin, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let state = odd.join("state");
    let dir = install_units(
        &sa,
        "odd-units",
        &[
            "--state-dir",
            state.to_str().unwrap(),
            "--config",
            odd.join("aurora.toml").to_str().unwrap(),
            "--env-file",
            odd.join("paper-trading.env").to_str().unwrap(),
        ],
        &["--bin", bin.to_str().unwrap()],
    );
    assert!(state.is_dir());
    let paths: Vec<PathBuf> = all_units().iter().map(|u| dir.join(u)).collect();
    let eod = std::fs::read_to_string(dir.join("paper-eod.service")).unwrap();
    let state_word = state.display().to_string().replace('%', "%%");
    assert!(
        eod.contains(&format!("\nReadWritePaths=\"{state_word}\"\n")),
        "{eod}"
    );
    assert!(
        eod.contains(&format!(
            " --state-dir \"{}\" eod\n",
            state_word.replace('$', "$$")
        )),
        "{eod}"
    );
    assert_verified(&sa, &paths);
}

/// One elapse `systemd-analyze calendar` printed, e.g. `Fri 2027-03-12 13:30:00 UTC`.
fn parse_elapse(s: &str) -> DateTime<Utc> {
    let parts: Vec<&str> = s.split_whitespace().collect();
    let [dow, date, time, "UTC"] = parts.as_slice() else {
        panic!("unexpected elapse (TZ=UTC): {s:?}")
    };
    let at = NaiveDateTime::parse_from_str(&format!("{date} {time}"), "%Y-%m-%d %H:%M:%S")
        .unwrap_or_else(|e| panic!("{s:?}: {e}"))
        .and_utc();
    assert_eq!(*dow, at.format("%a").to_string(), "{s:?}");
    at
}

/// The next `n` elapses of `spec` after `base` (UTC), as systemd computes them.
fn elapses(sa: &Analyze, spec: &str, base: Option<&str>, n: usize) -> Vec<DateTime<Utc>> {
    let iterations = format!("--iterations={n}");
    let base_time = base.map(|b| format!("--base-time={b}"));
    let mut args = vec!["calendar", iterations.as_str()];
    args.extend(base_time.as_deref());
    args.push(spec);
    let out = sa.run("UTC", &args);
    let said = text(&out);
    assert!(out.status.success(), "calendar {spec}:\n{said}");
    let normalized = said
        .lines()
        .find_map(|l| l.trim().strip_prefix("Normalized form:"))
        .unwrap_or_else(|| panic!("no normalized form:\n{said}"))
        .trim();
    assert!(
        normalized.starts_with("Mon..Fri *-*-* ") && normalized.ends_with(" America/Chicago"),
        "{spec} normalizes to {normalized}"
    );
    let found: Vec<DateTime<Utc>> = said
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("Next elapse:") || l.starts_with("Iter. #"))
        .map(|l| parse_elapse(l.split_once(": ").unwrap().1))
        .collect();
    assert_eq!(found.len(), n, "calendar {spec}:\n{said}");
    found
}

fn central(at: DateTime<Utc>) -> NaiveDateTime {
    Chicago.from_utc_datetime(&at.naive_utc()).naive_local()
}

#[test]
fn every_timer_fires_on_each_weekday_at_its_central_times_across_dst() {
    let Some(sa) = Analyze::new() else { return };
    // Two weeks from Monday 2027-03-08 00:00 CST; US daylight time starts Sunday 2027-03-14.
    let base = "2027-03-08 06:00:00 UTC";
    let weekdays: Vec<NaiveDate> = (8..=19)
        .map(|d| NaiveDate::from_ymd_opt(2027, 3, d).unwrap())
        .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
        .collect();
    assert_eq!(weekdays.len(), 10);
    // The instances' templates keep the single account's schedule.
    let templates = install_units(&sa, "templates", &["--instance", "acct1"], &[]);
    let timers = JOBS.iter().flat_map(|job| {
        let template = format!("{}@.timer", job.name);
        let text = std::fs::read_to_string(templates.join(&template)).unwrap();
        [
            (
                job,
                format!("{}.timer", job.name),
                unit_text(&format!("{}.timer", job.name)),
            ),
            (job, template, text),
        ]
    });
    for (Job { times, .. }, unit, text) in timers {
        let spec = one_value(&text, "OnCalendar", &unit).to_owned();
        let got: Vec<NaiveDateTime> = elapses(&sa, &spec, Some(base), 10 * times.len())
            .into_iter()
            .map(central)
            .collect();
        let want: Vec<NaiveDateTime> = weekdays
            .iter()
            .flat_map(|d| {
                times
                    .iter()
                    .map(|&(h, m)| d.and_time(NaiveTime::from_hms_opt(h, m, 0).unwrap()))
            })
            .collect();
        assert_eq!(got, want, "{unit} ({spec})");
    }
}

#[test]
fn preflight_stays_at_0730_central_when_daylight_time_starts_and_ends() {
    let Some(sa) = Analyze::new() else { return };
    let unit = "paper-preflight.timer";
    let spec = one_value(&unit_text(unit), "OnCalendar", unit).to_owned();
    let utc = |v: Vec<DateTime<Utc>>| -> Vec<String> {
        v.iter()
            .map(|t| t.format("%a %Y-%m-%d %H:%M").to_string())
            .collect()
    };
    // Friday 2027-03-12 is CST (UTC-6); Monday 2027-03-15 is CDT (UTC-5).
    assert_eq!(
        utc(elapses(&sa, &spec, Some("2027-03-12 00:00:00 UTC"), 3)),
        [
            "Fri 2027-03-12 13:30",
            "Mon 2027-03-15 12:30",
            "Tue 2027-03-16 12:30"
        ]
    );
    // And back: Friday 2027-11-05 is CDT; Monday 2027-11-08 is CST.
    assert_eq!(
        utc(elapses(&sa, &spec, Some("2027-11-05 00:00:00 UTC"), 2)),
        ["Fri 2027-11-05 12:30", "Mon 2027-11-08 13:30"]
    );
    // The same, as systemd prints it on a machine whose clock is on Central time.
    let out = sa.run(
        "America/Chicago",
        &[
            "calendar",
            "--iterations=2",
            "--base-time=2027-03-12 00:00:00 UTC",
            &spec,
        ],
    );
    let said = text(&out);
    assert!(
        said.contains("Next elapse: Fri 2027-03-12 07:30:00 CST"),
        "{said}"
    );
    assert!(
        said.contains("Iter. #2: Mon 2027-03-15 07:30:00 CDT"),
        "{said}"
    );
}

#[test]
fn status_runs_seven_times_every_weekday_and_never_at_weekends() {
    let Some(sa) = Analyze::new() else { return };
    let unit = "paper-status.timer";
    let spec = one_value(&unit_text(unit), "OnCalendar", unit).to_owned();
    // From Friday 2027-03-12 00:00 CST: Friday, then Monday and Tuesday after the DST change.
    let mut per_day: BTreeMap<NaiveDate, Vec<u32>> = BTreeMap::new();
    for at in elapses(&sa, &spec, Some("2027-03-12 06:00:00 UTC"), 21) {
        let local = central(at);
        per_day
            .entry(local.date())
            .or_default()
            .push(local.format("%H%M").to_string().parse().unwrap());
    }
    let hours = vec![900, 1000, 1100, 1200, 1300, 1400, 1500];
    let want: BTreeMap<NaiveDate, Vec<u32>> = [12, 15, 16]
        .into_iter()
        .map(|d| (NaiveDate::from_ymd_opt(2027, 3, d).unwrap(), hours.clone()))
        .collect();
    assert_eq!(per_day, want);
}

#[test]
fn next_elapses_from_now_are_weekdays_at_central_times() {
    let Some(sa) = Analyze::new() else { return };
    for Job { name, times, .. } in JOBS {
        let unit = format!("{name}.timer");
        let spec = one_value(&unit_text(&unit), "OnCalendar", &unit).to_owned();
        let got = elapses(&sa, &spec, None, 8);
        assert!(got.windows(2).all(|w| w[0] < w[1]), "{unit}: {got:?}");
        for at in got {
            let local = central(at);
            assert!(
                !matches!(local.weekday(), Weekday::Sat | Weekday::Sun),
                "{unit}: {local}"
            );
            let hm = (
                local.format("%H").to_string().parse().unwrap(),
                local.format("%M").to_string().parse().unwrap(),
            );
            assert!(
                times.contains(&hm),
                "{unit}: {local} is not a scheduled time"
            );
        }
    }
}

#[test]
fn every_service_has_a_security_exposure_of_at_most_3() {
    let Some(sa) = Analyze::new() else { return };
    // The checked-in services and an instance of each template.
    let templates = install_units(&sa, "templates", &["--instance", "acct1"], &[]);
    let paths: Vec<String> = services()
        .iter()
        .map(|u| sa.unit_path(u))
        .chain(
            JOBS.iter()
                .map(|job| templates.join(format!("{}@acct1.service", job.name))),
        )
        .chain([templates.join("aurora-instance-alert@paper-eod@acct1.service.service")])
        .map(|p| p.display().to_string())
        .collect();
    let mut args = vec!["security", "--offline=true", "--user", "--no-pager"];
    args.extend(paths.iter().map(String::as_str));
    let out = sa.run("UTC", &args);
    let said = text(&out);
    assert!(out.status.success(), "systemd-analyze security:\n{said}");
    // "→ Overall exposure level for paper-eod.service: 1.5 OK 🙂"; the template is analysed
    // as an instance (aurora-alert@i.service).
    let levels: BTreeMap<String, f64> = said
        .lines()
        .filter_map(|l| {
            l.split_once("Overall exposure level for ")?
                .1
                .split_once(": ")
        })
        .map(|(unit, rest)| {
            let level = rest.split_whitespace().next().unwrap();
            (unit.to_owned(), level.parse().unwrap())
        })
        .collect();
    eprintln!("exposure: {levels:?}");
    assert_eq!(levels.len(), paths.len(), "{said}");
    for (unit, level) in &levels {
        assert!(*level <= MAX_EXPOSURE, "{unit}: exposure {level}\n{said}");
    }
}
