//! `aurora init`: from nothing to a verified account, on a terminal and from a script.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use aurora::config::keys::KEYS;
use aurora::sim::{DEFAULT_KEY, DEFAULT_SECRET};

use crate::common::{MONDAY_0730_CT, Run, World};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

fn config_path(w: &World) -> PathBuf {
    w.home.path().join(".config/aurora/aurora.toml")
}

/// `aurora ARGS` with only HOME, PATH and the fake's URLs: what a new user's shell has.
fn fresh(w: &World, args: &[&str]) -> Run {
    Run::new(w.home.path())
        .env("APCA_API_BASE_URL", &w.base())
        .env("APCA_API_DATA_URL", &w.base())
        .args(args)
}

/// Non-interactive init with the fake's keys (the secret on stdin).
fn init(w: &World, extra: &[&str]) -> Run {
    let mut args = vec!["init", "--key-id", DEFAULT_KEY, "--secret-stdin"];
    args.extend(extra);
    fresh(w, &args).input(&format!("{DEFAULT_SECRET}\n"))
}

/// Files under `dir` whose names start with `prefix`.
fn named(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .collect();
    found.sort();
    found
}

#[test]
fn init_writes_private_commented_files_and_preflight_passes_with_them() {
    let w = World::at(MONDAY_0730_CT);
    let done = init(
        &w,
        &["--universe", "SPY,TLT,GLD", "--weights", "SPY=0.6,TLT=0.3"],
    )
    .umask(0o000)
    .run()
    .code(0)
    .stdout_has("created, mode 0600")
    .stdout_has("Verdict: PASS")
    .stdout_has("aurora systemd install")
    .stdout_has("sudo loginctl enable-linger $USER");
    assert!(
        !done.stdout.contains(DEFAULT_SECRET) && !done.stderr.contains(DEFAULT_SECRET),
        "the secret was printed:\n{}\n{}",
        done.stdout,
        done.stderr
    );

    let env_file = w.env_file();
    assert_eq!(mode(&env_file), 0o600);
    assert_eq!(mode(env_file.parent().unwrap()) & 0o077, 0);
    let env_text = std::fs::read_to_string(&env_file).unwrap();
    for line in [
        format!("APCA_API_KEY_ID='{DEFAULT_KEY}'"),
        format!("APCA_API_SECRET_KEY='{DEFAULT_SECRET}'"),
        format!("APCA_API_BASE_URL='{}'", w.base()),
        format!("APCA_API_DATA_URL='{}'", w.base()),
        "IS_PAPER_TRADING='true'".to_owned(),
    ] {
        assert!(env_text.lines().any(|l| l == line), "{line} in\n{env_text}");
    }

    let toml = std::fs::read_to_string(config_path(&w)).unwrap();
    assert_eq!(mode(&config_path(&w)), 0o600);
    for chosen in [
        "symbols = [\"SPY\", \"TLT\", \"GLD\"]",
        "name = \"fixed\"",
        "weights = { SPY = 0.6, TLT = 0.3 }",
    ] {
        assert!(toml.lines().any(|l| l == chosen), "{chosen} in\n{toml}");
    }
    // Every other key is there, commented out with its default, under one line of explanation.
    for doc in KEYS {
        let name = doc.key.split_once('.').unwrap().1;
        let at = toml
            .lines()
            .position(|l| l == format!("# {}", doc.help))
            .unwrap_or_else(|| panic!("no explanation for {}:\n{toml}", doc.key));
        let next = toml.lines().nth(at + 1).unwrap();
        assert!(
            next.starts_with(&format!("{name} = ")) || next.starts_with(&format!("# {name} = ")),
            "{}: {next}",
            doc.key
        );
    }
    assert!(toml.contains("\n# lookback = 50\n"), "{toml}");
    assert!(toml.contains("\n# max_order_notional = 25000\n"), "{toml}");

    // The written files alone are enough: no key or URL in the environment.
    Run::new(w.home.path())
        .args(&["preflight"])
        .run()
        .code(0)
        .stdout_has("Verdict: PASS");
    Run::new(w.home.path())
        .args(&["config"])
        .run()
        .code(0)
        .stdout_has("strategy.name                fixed");
}

#[test]
fn existing_files_are_never_overwritten_without_force_and_kept_as_backups_with_it() {
    let w = World::at(MONDAY_0730_CT);
    w.write_env_file("# mine\n");
    w.write_config("[strategy]\nlookback = 20\n");
    let env_before = std::fs::read_to_string(w.env_file()).unwrap();

    for (run, path) in [
        (init(&w, &[]), w.env_file()),
        (fresh(&w, &["init", "--universe", "SPY"]), config_path(&w)),
    ] {
        run.run()
            .code(2)
            .stderr_has(&format!("{} exists", path.display()))
            .stderr_has("pass --force");
    }
    assert_eq!(std::fs::read_to_string(w.env_file()).unwrap(), env_before);
    assert_eq!(
        std::fs::read_to_string(config_path(&w)).unwrap(),
        "[strategy]\nlookback = 20\n"
    );
    assert!(named(w.env_file().parent().unwrap(), "paper-trading.env.bak-").is_empty());

    init(&w, &["--force", "--universe", "SPY,TLT"])
        .run()
        .code(0)
        .stdout_has("replaced, mode 0600 (the old file is kept as ")
        .stdout_has("Verdict: PASS");
    let env_backups = named(w.env_file().parent().unwrap(), "paper-trading.env.bak-");
    let toml_backups = named(config_path(&w).parent().unwrap(), "aurora.toml.bak-");
    assert_eq!((env_backups.len(), toml_backups.len()), (1, 1));
    let stamp = env_backups[0]
        .to_string_lossy()
        .rsplit_once(".bak-")
        .unwrap()
        .1
        .to_owned();
    assert!(
        stamp.len() == 14 && stamp.bytes().all(|b| b.is_ascii_digit()),
        "{stamp}"
    );
    assert_eq!(
        std::fs::read_to_string(&env_backups[0]).unwrap(),
        env_before
    );
    assert_eq!(
        std::fs::read_to_string(&toml_backups[0]).unwrap(),
        "[strategy]\nlookback = 20\n"
    );
    assert_eq!(mode(&w.env_file()), 0o600);
    assert!(
        std::fs::read_to_string(config_path(&w))
            .unwrap()
            .contains("symbols = [\"SPY\", \"TLT\"]")
    );
}

#[test]
fn a_migrating_operators_env_file_is_detected_and_left_alone() {
    let w = World::at(MONDAY_0730_CT);
    let env_file = w.write_env_file(&format!(
        "APCA_API_DATA_URL=\"{}\"\nPYTHONUNBUFFERED=1\n",
        w.base()
    ));
    let before = std::fs::metadata(&env_file).unwrap();
    let text = std::fs::read_to_string(&env_file).unwrap();
    Run::new(w.home.path())
        .args(&["init"])
        .run()
        .code(0)
        .stdout_has(&format!("using your existing {}", env_file.display()))
        .stdout_has("aurora.toml: created")
        .stdout_has("Verdict: PASS");
    let after = std::fs::metadata(&env_file).unwrap();
    assert_eq!(std::fs::read_to_string(&env_file).unwrap(), text);
    assert_eq!(
        (after.ino(), after.mtime(), after.mode()),
        (before.ino(), before.mtime(), before.mode())
    );
    assert!(named(env_file.parent().unwrap(), "paper-trading.env.bak-").is_empty());
}

#[test]
fn without_a_terminal_missing_answers_are_named_and_nothing_is_written() {
    let w = World::at(MONDAY_0730_CT);
    fresh(&w, &["init"])
        .run()
        .code(2)
        .stderr_has("no API key ID: pass --key-id or set APCA_API_KEY_ID");
    fresh(&w, &["init", "--key-id", DEFAULT_KEY])
        .run()
        .code(2)
        .stderr_has("no API secret key: pass --secret-stdin");
    init(&w, &["--strategy", "fixed"])
        .run()
        .code(2)
        .stderr_has("fixed needs --weights");
    init(&w, &["--weights", "SPY=0.7,TLT=0.4"])
        .run()
        .code(2)
        .stderr_has("weights must sum to at most 1");
    // Live only through the two-part opt-in, never by default.
    init(&w, &[])
        .env("APCA_API_BASE_URL", "https://api.alpaca.markets")
        .run()
        .code(3)
        .stderr_has("live trading needs both --live and AURORA_LIVE=1");
    assert!(
        !w.home.path().join(".config").exists(),
        "something was written"
    );
}

#[test]
fn a_failing_preflight_names_the_check_and_its_fix() {
    let w = World::at(MONDAY_0730_CT);
    fresh(&w, &["init", "--key-id", DEFAULT_KEY, "--secret-stdin"])
        .input("not-the-secret\n")
        .run()
        .code(3)
        .stdout_has("Verdict: FAIL")
        .stdout_has("Fix this, then run `aurora preflight`:")
        .stdout_has(&format!(
            "❌ credentials: correct APCA_API_KEY_ID and APCA_API_SECRET_KEY in {}",
            w.env_file().display()
        ));
    // The files stay: fixing the keys is editing one line, or init --force.
    assert_eq!(mode(&w.env_file()), 0o600);
}

#[test]
fn an_instance_gets_its_own_files() {
    let w = World::at(MONDAY_0730_CT);
    init(&w, &["--instance", "acct2"])
        .run()
        .code(0)
        .stdout_has("Aurora init · instance acct2")
        .stdout_has("aurora --instance acct2 systemd install")
        .stdout_has("aurora --instance acct2 status");
    let dir = w.home.path().join(".config/aurora/acct2");
    assert_eq!(mode(&dir.join("paper-trading.env")), 0o600);
    assert!(dir.join("aurora.toml").exists());
    assert!(
        w.home
            .path()
            .join(".local/share/aurora/acct2/aurora.db")
            .exists()
    );
    assert!(!w.env_file().exists() && !config_path(&w).exists());
    fresh(&w, &["--instance", "../acct2", "init"])
        .run()
        .code(2)
        .stderr_has("not an instance name");
}

/// Expect `needle` within the session's timeout, keeping everything read for later checks.
fn expect(session: &mut rexpect::session::PtySession, transcript: &mut String, needle: &str) {
    match session.exp_string(needle) {
        Ok(before) => {
            transcript.push_str(&before);
            transcript.push_str(needle);
        }
        Err(e) => panic!("waiting for {needle:?}: {e}\n--- so far\n{transcript}"),
    }
}

#[test]
fn on_a_terminal_it_asks_and_the_secret_is_never_echoed_or_printed() {
    let w = World::at(MONDAY_0730_CT);
    // rexpect starts the child with echo off; a real terminal echoes, so turn it back on: the
    // key ID is then echoed as typed, and only the secret's read may hide it.
    let mut cmd = fresh(&w, &[]).into_command();
    let bin = cmd.get_program().to_owned();
    cmd = {
        let mut sh = std::process::Command::new("sh");
        sh.env_clear()
            .envs(cmd.get_envs().filter_map(|(k, v)| Some((k, v?))))
            .current_dir(w.home.path())
            .args(["-c", "stty echo && exec \"$0\" init"])
            .arg(bin);
        sh
    };
    let mut s = rexpect::session::spawn_command(cmd, Some(30_000)).expect("pty");
    let mut seen = String::new();
    expect(&mut s, &mut seen, "Alpaca API key ID (paper account): ");
    s.send_line(DEFAULT_KEY).unwrap();
    expect(&mut s, &mut seen, "API secret key (not shown): ");
    s.send_line(DEFAULT_SECRET).unwrap();
    expect(&mut s, &mut seen, "Strategy, trend or fixed [trend]: ");
    s.send_line("fixed").unwrap();
    expect(&mut s, &mut seen, "(sum at most 1): ");
    s.send_line("SPY=0.7,TLT=0.4").unwrap();
    expect(&mut s, &mut seen, "weights must sum to at most 1");
    expect(&mut s, &mut seen, "(sum at most 1): ");
    s.send_line("SPY=0.6,TLT=0.4").unwrap();
    expect(&mut s, &mut seen, "Symbols to trade [SPY,TLT]: ");
    s.send_line("").unwrap();
    expect(&mut s, &mut seen, "Verdict: PASS");
    seen.push_str(&s.exp_eof().expect("init ends"));
    let status = s.process().wait().unwrap();
    // nix's WaitStatus, which rexpect does not re-export: `Exited(Pid(n), 0)`.
    let status = format!("{status:?}");
    assert!(
        status.starts_with("Exited(") && status.ends_with(", 0)"),
        "{status}\n{seen}"
    );

    assert!(
        seen.contains(DEFAULT_KEY),
        "echo is on for ordinary answers:\n{seen}"
    );
    assert!(
        !seen.contains(DEFAULT_SECRET),
        "the secret was echoed or printed:\n{seen}"
    );
    let env_text = std::fs::read_to_string(w.env_file()).unwrap();
    assert!(env_text.contains(&format!("APCA_API_SECRET_KEY='{DEFAULT_SECRET}'")));
    let toml = std::fs::read_to_string(config_path(&w)).unwrap();
    assert!(
        toml.contains("weights = { SPY = 0.6, TLT = 0.4 }"),
        "{toml}"
    );
}
