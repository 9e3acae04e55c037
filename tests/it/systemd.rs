//! `aurora systemd install|uninstall` (the single account's units and an account's templates),
//! `aurora alert`, and the timers in `aurora status`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use std::process::Command;

use crate::common::{MONDAY_0730_CT, Run, World};

const SECRET: &str = "s3cr3t-UNIT-sentinel-4242";

fn home_with_env_file() -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    let env = home.path().join(".config/paper-trading.env");
    std::fs::create_dir_all(env.parent().unwrap()).unwrap();
    std::fs::write(
        &env,
        format!("APCA_API_KEY_ID=PKUNITKEY\nAPCA_API_SECRET_KEY={SECRET}\n"),
    )
    .unwrap();
    std::fs::set_permissions(&env, std::fs::Permissions::from_mode(0o600)).unwrap();
    home
}

/// A stand-in `systemctl` that prints `output` and exits 0.
fn stand_in(dir: &Path, output: &str) -> PathBuf {
    let path = dir.join("systemctl");
    std::fs::write(
        &path,
        format!("#!/bin/sh\ncat <<'UNITS'\n{output}\nUNITS\n"),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn unit_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn install_renders_the_binary_backs_up_changes_and_uninstall_removes_them() {
    let home = home_with_env_file();
    let units = home.path().join("units");
    let systemctl = stand_in(home.path(), "");
    let install = || {
        Run::new(home.path())
            .env("AURORA_SYSTEMCTL", systemctl.to_str().unwrap())
            .args(&[
                "systemd",
                "install",
                "--bin",
                "/opt/aurora/bin/aurora",
                "--unit-dir",
                units.to_str().unwrap(),
            ])
            .run()
            .code(0)
    };
    let done = install();
    assert!(done.stdout.contains("created"), "{}", done.stdout);
    assert!(
        done.stdout.contains("timers: paper-preflight.timer"),
        "{}",
        done.stdout
    );
    let names = unit_files(&units);
    assert_eq!(names.len(), 11, "{names:?}");
    // The one directory the sandboxed units may write must exist before they start.
    assert!(home.path().join(".local/share/aurora").is_dir());
    for name in &names {
        let text = std::fs::read_to_string(units.join(name)).unwrap();
        assert!(
            !text.contains(SECRET) && !text.contains("PKUNITKEY"),
            "{name} holds a secret"
        );
        if name.ends_with(".service") {
            assert!(
                text.contains("ExecStart=/opt/aurora/bin/aurora "),
                "{name}:\n{text}"
            );
            assert!(!text.contains("%h/.local/bin/aurora"), "{name}");
        }
    }

    // An operator's edit is kept as a backup, not silently overwritten.
    let edited = units.join("paper-eod.service");
    std::fs::write(&edited, "# my local edit\n").unwrap();
    let again = install();
    assert!(
        again
            .stdout
            .contains("paper-eod.service  updated (old file kept as"),
        "{}",
        again.stdout
    );
    assert!(
        again.stdout.contains("paper-trading.service  unchanged"),
        "{}",
        again.stdout
    );
    let backups: Vec<_> = unit_files(&units)
        .into_iter()
        .filter(|n| n.starts_with("paper-eod.service.bak-"))
        .collect();
    assert_eq!(backups.len(), 1);
    assert_eq!(
        std::fs::read_to_string(units.join(&backups[0])).unwrap(),
        "# my local edit\n"
    );

    Run::new(home.path())
        .env("AURORA_SYSTEMCTL", systemctl.to_str().unwrap())
        .args(&[
            "systemd",
            "uninstall",
            "--unit-dir",
            units.to_str().unwrap(),
        ])
        .run()
        .code(0)
        .stdout_has("removed");
    assert_eq!(unit_files(&units), backups, "only the backup is left");
}

#[test]
fn without_systemctl_install_says_so_and_still_writes_the_files() {
    let home = home_with_env_file();
    let units = home.path().join("units");
    Run::new(home.path())
        .args(&["systemd", "install", "--unit-dir", units.to_str().unwrap()])
        .run()
        .code(0)
        .stdout_has("systemctl --user is not available");
    assert_eq!(unit_files(&units).len(), 11);
    let service = std::fs::read_to_string(units.join("paper-preflight.service")).unwrap();
    let exe = std::fs::canonicalize(env!("CARGO_BIN_EXE_aurora")).unwrap();
    assert!(
        service.contains(&format!("ExecStart={} ", exe.display())),
        "defaults to this binary:\n{service}"
    );
}

#[test]
fn a_dry_run_summarizes_each_file_with_a_diff_and_writes_nothing() {
    let home = home_with_env_file();
    let units = home.path().join("units");
    let dry_run = |extra: &[&str]| {
        let mut args = vec![
            "systemd",
            "install",
            "--dry-run",
            "--bin",
            "/usr/bin/aurora",
            "--unit-dir",
            units.to_str().unwrap(),
        ];
        args.extend(extra);
        Run::new(home.path()).args(&args).run().code(0)
    };
    // Nothing there yet: every file is new, and no unit text is printed.
    let first = dry_run(&[]);
    assert!(!units.exists(), "a dry run created the unit directory");
    assert_eq!(
        first.stdout.matches("  new\n").count(),
        11,
        "{}",
        first.stdout
    );
    assert!(!first.stdout.contains("ExecStart="), "{}", first.stdout);
    assert!(
        first.stdout.contains(
            "would run: systemctl --user enable --now paper-preflight.timer paper-trading.timer"
        ),
        "{}",
        first.stdout
    );
    assert!(first.stdout.lines().count() < 30, "{}", first.stdout);

    // Installed, then one file edited by hand and one removed.
    Run::new(home.path())
        .args(&[
            "systemd",
            "install",
            "--bin",
            "/usr/bin/aurora",
            "--unit-dir",
            units.to_str().unwrap(),
        ])
        .run()
        .code(0);
    let eod = units.join("paper-eod.service");
    let edited = std::fs::read_to_string(&eod)
        .unwrap()
        .replace("TimeoutStartSec=10min", "TimeoutStartSec=20min");
    std::fs::write(&eod, &edited).unwrap();
    std::fs::remove_file(units.join("paper-eod.timer")).unwrap();
    let done = dry_run(&[]);
    let out = &done.stdout;
    assert!(
        out.contains(&format!("{}  changed", eod.display())),
        "{out}"
    );
    assert!(out.contains("paper-eod.timer  new"), "{out}");
    assert!(out.contains("paper-trading.service  unchanged"), "{out}");
    // A unified diff of the change, from the file there to what install would write.
    assert!(out.contains("--- paper-eod.service (installed)"), "{out}");
    assert!(out.contains("+++ paper-eod.service (new)"), "{out}");
    assert!(out.contains("-TimeoutStartSec=20min"), "{out}");
    assert!(out.contains("+TimeoutStartSec=10min"), "{out}");
    assert!(out.contains("@@ "), "{out}");
    // Only the diff's lines of unit text, not the hundreds of lines of every unit.
    assert!(out.lines().count() < 40, "{out}");
    assert_eq!(std::fs::read_to_string(&eod).unwrap(), edited, "written");
    assert!(!units.join("paper-eod.timer").exists(), "written");

    // -v shows every file in full.
    let full = dry_run(&["-v"]);
    assert_eq!(
        full.stdout
            .matches("ExecStart=/usr/bin/aurora preflight")
            .count(),
        1,
        "{}",
        full.stdout
    );
    assert_eq!(full.stdout.matches("      [Unit]").count(), 11);

    // The same as JSON: the diff for the changed file, no content without -v.
    let json = dry_run(&["--json"]).json();
    assert_eq!(json["dry_run"], true);
    let files = json["files"].as_array().unwrap();
    let file = |name: &str| {
        files
            .iter()
            .find(|f| f["path"].as_str().unwrap().ends_with(name))
            .unwrap()
    };
    assert_eq!(file("paper-eod.service")["action"], "changed");
    assert!(
        file("paper-eod.service")["diff"]
            .as_str()
            .unwrap()
            .contains("+TimeoutStartSec=10min")
    );
    assert_eq!(file("paper-eod.timer")["action"], "new");
    assert_eq!(file("paper-status.service")["action"], "unchanged");
    assert!(files.iter().all(|f| f.get("content").is_none()));
}

/// A stand-in `systemctl` that logs each call to `log` and, as the real one does, links each
/// enabled timer into `~/.config/systemd/user/timers.target.wants/` (and unlinks on disable).
fn recording_systemctl(dir: &Path, log: &Path) -> PathBuf {
    let path = dir.join("systemctl-recording");
    std::fs::write(
        &path,
        format!(
            r#"#!/bin/sh
echo "$*" >> '{log}'
[ "$1" = --user ] && shift
cmd=$1; shift
wants="${{XDG_CONFIG_HOME:-$HOME/.config}}/systemd/user/timers.target.wants"
for unit in "$@"; do
  case "$unit" in --*) continue ;; esac
  case "$cmd" in
    enable) mkdir -p "$wants" && ln -sf "../$(echo "$unit" | sed 's/@[^.]*\./@./')" "$wants/$unit" ;;
    disable) rm -f "$wants/$unit" ;;
  esac
done
"#,
            log = log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

const TEMPLATES: [&str; 11] = [
    "aurora-instance-alert@.service",
    "paper-data-fetch@.service",
    "paper-data-fetch@.timer",
    "paper-eod@.service",
    "paper-eod@.timer",
    "paper-preflight@.service",
    "paper-preflight@.timer",
    "paper-status@.service",
    "paper-status@.timer",
    "paper-trading@.service",
    "paper-trading@.timer",
];

#[test]
fn two_instances_install_side_by_side_and_the_templates_go_with_the_last() {
    let home = home_with_env_file();
    let log = home.path().join("systemctl.log");
    let systemctl = recording_systemctl(home.path(), &log);
    let units = home.path().join(".config/systemd/user");
    let aurora = |args: &[&str]| {
        Run::new(home.path())
            .env("AURORA_SYSTEMCTL", systemctl.to_str().unwrap())
            .args(args)
    };
    let calls = || std::fs::read_to_string(&log).unwrap_or_default();
    let timers = |name: &str| {
        ["preflight", "trading", "status", "eod", "data-fetch"]
            .map(|job| format!("paper-{job}@{name}.timer"))
            .join(" ")
    };
    let bin = ["--bin", "/opt/aurora/bin/aurora"];

    // The single account's units, which the instances must leave alone.
    aurora(&["systemd", "install", bin[0], bin[1]])
        .run()
        .code(0);
    let single: Vec<String> = unit_files(&units);
    assert!(
        single.contains(&"paper-eod.service".to_owned()),
        "{single:?}"
    );

    let first = aurora(&["--instance", "acct1", "systemd", "install", bin[0], bin[1]])
        .run()
        .code(0);
    assert!(
        first
            .stdout
            .contains(&format!("timers: {}", timers("acct1"))),
        "{}",
        first.stdout
    );
    assert!(
        calls().contains(&format!("--user enable --now {}", timers("acct1"))),
        "{}",
        calls()
    );
    // acct1 has no env file yet: install says what will fail and what writes it.
    assert!(
        first
            .stdout
            .contains("aurora/acct1/paper-trading.env does not exist yet"),
        "{}",
        first.stdout
    );
    assert!(first.stdout.contains("aurora --instance acct1 init"));
    let mut expected: Vec<String> = single.clone();
    expected.extend(TEMPLATES.map(str::to_owned));
    expected.sort();
    assert_eq!(unit_files(&units), expected);
    let eod = std::fs::read_to_string(units.join("paper-eod@.service")).unwrap();
    assert!(
        eod.contains("\nExecStart=/opt/aurora/bin/aurora --instance %i eod\n"),
        "{eod}"
    );
    let state = home.path().join(".local/share/aurora/acct1");
    assert!(state.is_dir());
    assert_eq!(
        std::fs::metadata(&state).unwrap().permissions().mode() & 0o777,
        0o700
    );

    // The second account: by variable, the same templates (unchanged), its own timers.
    let second = aurora(&["systemd", "install", bin[0], bin[1]])
        .env("AURORA_INSTANCE", "acct-2")
        .run()
        .code(0);
    assert_eq!(
        second.stdout.matches("  unchanged\n").count(),
        11,
        "{}",
        second.stdout
    );
    assert!(calls().contains(&format!("--user enable --now {}", timers("acct-2"))));
    second.stdout_has("accounts with enabled timers: acct-2 acct1");
    assert!(home.path().join(".local/share/aurora/acct-2").is_dir());

    // Removing one account disables its timers only; the other still needs the templates.
    aurora(&["--instance", "acct1", "systemd", "uninstall"])
        .run()
        .code(0)
        .stdout_has("paper-eod@.service  kept (the timers of acct-2 still use it)")
        .stdout_has("accounts with enabled timers: acct-2");
    assert!(calls().contains(&format!("--user disable --now {}", timers("acct1"))));
    assert_eq!(unit_files(&units), expected);

    // The last one takes the templates with it; the single account's units stay.
    aurora(&["--instance", "acct-2", "systemd", "uninstall"])
        .run()
        .code(0)
        .stdout_has("paper-eod@.service  removed")
        .stdout_has("accounts with enabled timers: none");
    assert_eq!(unit_files(&units), single);
    let mut enabled: Vec<String> = timers("")
        .replace("@.timer", ".timer")
        .split(' ')
        .map(str::to_owned)
        .collect();
    enabled.sort();
    assert_eq!(
        unit_files(&units.join("timers.target.wants")),
        enabled,
        "the single account's timers are still enabled"
    );
}

#[test]
fn install_passes_named_paths_on_and_refuses_them_for_an_instance() {
    let home = home_with_env_file();
    let units = home.path().join("units");
    let config = home.path().join("my config.toml");
    let env_file = home.path().join(".config/paper-trading.env");
    Run::new(home.path())
        .env("AURORA_ENV_FILE", env_file.to_str().unwrap())
        .args(&[
            "systemd",
            "install",
            "--bin",
            "/usr/bin/aurora",
            "--unit-dir",
            units.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
            // Relative: the jobs do not start where install ran.
            "--state-dir",
            "data/50%h",
        ])
        .run()
        .code(0)
        .stdout_has("my config.toml does not exist yet");
    let state = home.path().join("data/50%h");
    assert!(state.is_dir(), "install creates the state directory");
    let state = state.display().to_string().replace('%', "%%");
    for name in unit_files(&units) {
        if !name.ends_with(".service") {
            continue;
        }
        let text = std::fs::read_to_string(units.join(&name)).unwrap();
        let flags = format!(
            "ExecStart=/usr/bin/aurora --config \"{}\" --env-file {} --state-dir {state} ",
            config.display(),
            env_file.display()
        );
        assert!(text.contains(&flags), "{name} lacks {flags}:\n{text}");
        assert!(
            text.contains(&format!("\nReadWritePaths={state}\n")),
            "{name}:\n{text}"
        );
        assert!(
            text.contains(&format!("\nExecStartPre=+/usr/bin/mkdir -p {state}\n")),
            "{name}:\n{text}"
        );
        assert!(!text.contains(".local/share/aurora"), "{name}:\n{text}");
    }

    // An instance's templates serve every account: a path named for one cannot go into them.
    Run::new(home.path())
        .args(&[
            "--instance",
            "acct1",
            "systemd",
            "install",
            "--unit-dir",
            units.to_str().unwrap(),
        ])
        .env("AURORA_STATE_DIR", "/srv/aurora")
        .run()
        .code(2)
        .stderr_has("cannot pass on /srv/aurora (env AURORA_STATE_DIR)");
    assert!(!units.join("paper-eod@.service").exists());
}

#[test]
fn an_alert_for_an_instance_unit_reads_that_instance_env_file() {
    let home = home_with_env_file();
    let (url, server) = one_request();
    let env = home.path().join(".config/aurora/acct2/paper-trading.env");
    std::fs::create_dir_all(env.parent().unwrap()).unwrap();
    std::fs::write(&env, format!("AURORA_ALERT_WEBHOOK={url}\n")).unwrap();
    std::fs::set_permissions(&env, std::fs::Permissions::from_mode(0o600)).unwrap();
    // The single account's env file has no webhook: only acct2's can have sent it.
    Run::new(home.path())
        .args(&["alert", "--unit", "paper-eod@acct2.service"])
        .run()
        .code(0)
        .stdout_has("alert sent");
    assert!(server.join().unwrap().contains("paper-eod@acct2.service"));
}

/// Serves one HTTP request on loopback and hands back its body.
fn one_request() -> (String, std::thread::JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut length = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if line == "\r\n" {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let mut stream = stream;
        stream
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
            .unwrap();
        String::from_utf8(body).unwrap()
    });
    (url, handle)
}

#[test]
fn alert_posts_the_documented_json_to_the_webhook() {
    let home = home_with_env_file();
    let (url, server) = one_request();
    let done = Run::new(home.path())
        .env("AURORA_ALERT_WEBHOOK", &url)
        .args(&["alert", "--unit", "paper-trading.service"])
        .run()
        .code(0)
        .stdout_has("alert sent");
    let body = server.join().unwrap();
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["unit"], "paper-trading.service");
    assert!(json["host"].as_str().is_some_and(|h| !h.is_empty()));
    assert!(json["time"].as_str().unwrap().ends_with('Z'));
    assert!(
        json["text"]
            .as_str()
            .unwrap()
            .contains("paper-trading.service failed")
    );
    assert_eq!(json["text"], json["content"]);
    assert!(json["logs"].is_array());
    assert!(!body.contains(SECRET) && !done.stdout.contains(SECRET));
}

#[test]
fn alert_without_a_webhook_says_so_and_exits_0() {
    let home = home_with_env_file();
    Run::new(home.path())
        .args(&["alert", "--unit", "paper-eod.service"])
        .run()
        .code(0)
        .stdout_has("AURORA_ALERT_WEBHOOK is not set");
}

#[test]
fn status_shows_the_timers_or_says_systemd_is_not_reachable() {
    let w = World::at("2026-11-30T13:00:00Z");
    let show = "Id=paper-preflight.timer\nActiveState=active\nNextElapseUSecRealtime=Mon 2026-11-30 07:30:00 CST\nLastTriggerUSec=Fri 2026-11-27 07:30:00 CST\n\n\
Id=paper-trading.timer\nActiveState=inactive\nNextElapseUSecRealtime=\nLastTriggerUSec=n/a";
    let systemctl = stand_in(w.home.path(), show);
    w.aurora(&["status"])
        .env("AURORA_SYSTEMCTL", systemctl.to_str().unwrap())
        .run()
        .code(0)
        .stdout_has("✅ paper-preflight.timer: active (next: Mon 2026-11-30 07:30:00 CST)")
        .stdout_has("❌ paper-trading.timer: inactive");
    w.aurora(&["status"])
        .run()
        .code(0)
        .stdout_has("systemd is not reachable, so the timers are not shown")
        .stdout_has("Health: ✅ healthy");
}

#[test]
fn an_instance_status_shows_that_instance_timers() {
    let w = World::at("2026-11-30T13:00:00Z");
    let log = w.home.path().join("systemctl.log");
    let systemctl = recording_systemctl(w.home.path(), &log);
    w.aurora(&["--instance", "acct2", "status"])
        .env("AURORA_SYSTEMCTL", systemctl.to_str().unwrap())
        .run()
        .code(0);
    let asked = std::fs::read_to_string(&log).unwrap();
    assert!(
        asked.contains(" paper-preflight@acct2.timer paper-trading@acct2.timer"),
        "{asked}"
    );
    assert!(!asked.contains("paper-eod.timer"), "{asked}");
}

/// The first `bash` block after `heading` in the operator guide.
fn guide_script(heading: &str) -> String {
    let guide = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/operator-guide.md"),
    )
    .unwrap();
    let section = &guide[guide.find(heading).expect("heading in the guide")..];
    let start = section.find("```bash\n").unwrap() + "```bash\n".len();
    section[start..][..section[start..].find("```").unwrap()].to_owned()
}

#[test]
fn the_guide_moves_the_single_account_into_an_instance_with_its_history() {
    let w = World::at(MONDAY_0730_CT);
    w.write_env_file("");
    w.aurora(&["preflight"])
        .env_remove("AURORA_STATE_DIR")
        .run()
        .code(0);
    let share = w.home.path().join(".local/share/aurora");
    assert!(share.join("aurora.db").exists());
    std::fs::write(share.join("HALT"), "moving\n").unwrap();

    // `aurora` and a stand-in `systemctl` on PATH, as the operator would have them.
    let bin = w.home.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_aurora"), bin.join("aurora")).unwrap();
    let log = w.home.path().join("systemctl.log");
    std::fs::rename(
        recording_systemctl(w.home.path(), &log),
        bin.join("systemctl"),
    )
    .unwrap();
    let script = guide_script("### Moving the single account into an instance");
    let out = Command::new("bash")
        .arg("-euc")
        .arg(&script)
        .env_clear()
        .env("HOME", w.home.path())
        .env(
            "PATH",
            format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
        )
        .env("APCA_API_DATA_URL", w.base())
        .current_dir(w.home.path())
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0), "{script}\n{said}");
    // The kill switch moved along: the instance is paused by it, with its reason.
    assert!(said.contains("main/HALT: moving"), "{said}");
    std::fs::remove_file(share.join("main/HALT")).unwrap();
    Run::new(w.home.path())
        .env("APCA_API_DATA_URL", &w.base())
        .args(&["--instance", "main", "preflight"])
        .run()
        .code(0)
        .stdout_has("Verdict: PASS");
    let calls = std::fs::read_to_string(&log).unwrap();
    assert!(
        calls.contains("--user disable --now paper-preflight.timer"),
        "{calls}"
    );
    assert!(
        calls.contains("--user enable --now paper-preflight@main.timer"),
        "{calls}"
    );
    assert!(!share.join("aurora.db").exists());
    assert!(!w.home.path().join(".config/paper-trading.env").exists());
    let units = w.home.path().join(".config/systemd/user");
    assert!(!units.join("paper-eod.service").exists());
    assert!(units.join("paper-eod@.service").exists());
    // The history came along: the single account's preflight, then the instance's two (the
    // paused one in the guide's script, and the one after HALT went).
    let store = aurora::store::Store::open(&share.join("main/aurora.db")).unwrap();
    let jobs: Vec<String> = [1, 2, 3]
        .into_iter()
        .filter_map(|id| store.run(aurora::store::RunId(id)).unwrap())
        .map(|r| r.job)
        .collect();
    assert_eq!(jobs, ["preflight", "preflight", "preflight"]);
}
