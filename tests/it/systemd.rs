//! `aurora systemd install|uninstall`, `aurora alert`, and the timers in `aurora status`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::common::{Run, World};

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
fn a_dry_run_writes_nothing_and_shows_the_units() {
    let home = home_with_env_file();
    let units = home.path().join("units");
    Run::new(home.path())
        .args(&[
            "systemd",
            "install",
            "--dry-run",
            "--bin",
            "/usr/bin/aurora",
            "--unit-dir",
            units.to_str().unwrap(),
        ])
        .run()
        .code(0)
        .stdout_has("would write")
        .stdout_has("ExecStart=/usr/bin/aurora preflight");
    assert!(!units.exists());
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
