//! `aurora config`, `aurora config paths` and `--instance`: what is in effect, where each value
//! came from, and several accounts side by side.

use aurora::sim::{DEFAULT_KEY, DEFAULT_SECRET};
use chrono::Utc;
use serde_json::Value;

use crate::common::{MONDAY_0730_CT, Run, World};

/// The `values` entry for `key` in `aurora config --json`.
fn value<'a>(doc: &'a Value, key: &str) -> &'a Value {
    doc["values"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["key"] == key)
        .unwrap_or_else(|| panic!("no {key} in {doc}"))
}

#[test]
fn config_names_the_source_of_each_value_and_masks_secrets() {
    let w = World::at(MONDAY_0730_CT);
    // Key on line 2, secret on 3, base URL on 4 (then the extras: data URL on 6).
    w.write_env_file(&format!(
        "APCA_API_DATA_URL=\"{}\"\nAURORA_ALERT_WEBHOOK=\"https://hooks.example.com/services/T0/B0/tok3n\"\n",
        w.base()
    ));
    w.write_config("[strategy]\n\nlookback = 20\n");
    let state = w.home.path().join("elsewhere");
    let run = || {
        Run::new(w.home.path())
            .env("APCA_API_BASE_URL", &w.base())
            .args(&["config", "--state-dir", state.to_str().unwrap()])
    };
    let done = run().args(&["--json"]).run().code(0);
    for secret in [DEFAULT_KEY, DEFAULT_SECRET, "tok3n"] {
        assert!(
            !done.stdout.contains(secret),
            "{secret} printed:\n{}",
            done.stdout
        );
    }
    let doc = done.json();
    for (key, shown, source) in [
        ("risk.max_orders_per_day", Value::from(50), "default"),
        ("strategy.lookback", Value::from(20), "aurora.toml:3"),
        (
            "APCA_API_BASE_URL",
            Value::from(format!("{}/", w.base())),
            "env APCA_API_BASE_URL",
        ),
        (
            "APCA_API_DATA_URL",
            Value::from(format!("{}/", w.base())),
            "env file:6",
        ),
        (
            "state_dir",
            Value::from(state.to_str().unwrap()),
            "flag --state-dir",
        ),
        ("APCA_API_KEY_ID", Value::from("***0000"), "env file:2"),
        ("APCA_API_SECRET_KEY", Value::from("***"), "env file:3"),
        (
            "AURORA_ALERT_WEBHOOK",
            Value::from("https://hooks.example.com/***"),
            "env file:7",
        ),
        ("trading_mode", Value::from("paper"), "env file:5"),
        (
            "report.dir",
            Value::from(state.join("reports").to_str().unwrap()),
            "default",
        ),
    ] {
        let e = value(&doc, key);
        assert_eq!(
            (&e["value"], e["source"].as_str().unwrap()),
            (&shown, source),
            "{key}"
        );
    }

    // The same facts as text, and the flag's environment variable is named as such.
    let text = Run::new(w.home.path())
        .env("APCA_API_BASE_URL", &w.base())
        .env("AURORA_STATE_DIR", state.to_str().unwrap())
        .args(&["config"])
        .run()
        .code(0);
    let line = |key: &str| {
        text.stdout
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{key} ")))
            .unwrap_or_else(|| panic!("no {key}:\n{}", text.stdout))
            .split_whitespace()
            .collect::<Vec<_>>()
    };
    assert_eq!(
        line("strategy.lookback"),
        ["strategy.lookback", "20", "aurora.toml:3"]
    );
    assert_eq!(line("state_dir")[2..], ["env", "AURORA_STATE_DIR"]);
    assert_eq!(line("APCA_API_KEY_ID")[1..], ["***0000", "env", "file:2"]);
    assert!(!text.stdout.contains(DEFAULT_SECRET));
}

#[test]
fn config_validates_like_every_job() {
    let w = World::at(MONDAY_0730_CT);
    let path = w.write_config("[risk]\nmax_orders_per_day = 1\n\nmax_daily_loss = 2\n");
    for args in [&["config"][..], &["config", "paths"]] {
        w.aurora(args)
            .run()
            .code(2)
            .stderr_has(&format!("{}:4: risk.max_daily_loss", path.display()));
    }
}

#[test]
fn config_paths_shows_each_path_whether_it_exists_and_its_mode() {
    let w = World::at(MONDAY_0730_CT);
    w.write_env_file("");
    w.aurora(&["preflight"]).run().code(0);
    let doc = w
        .aurora(&["config", "paths", "--json"])
        .run()
        .code(0)
        .json();
    let state = w.state_dir();
    let expect = [
        ("env file", w.env_file(), Some(0o600_u32), "default"),
        (
            "config file",
            w.home.path().join(".config/aurora/aurora.toml"),
            None,
            "default",
        ),
        (
            "state dir",
            state.clone(),
            Some(0o700),
            "env AURORA_STATE_DIR",
        ),
        (
            "database",
            state.join("aurora.db"),
            Some(0o600),
            "env AURORA_STATE_DIR",
        ),
        (
            "reports dir",
            state.join("reports"),
            None,
            "env AURORA_STATE_DIR",
        ),
        (
            "lock",
            state.join("aurora.lock"),
            Some(0o600),
            "env AURORA_STATE_DIR",
        ),
    ];
    let paths = doc["paths"].as_array().unwrap();
    assert_eq!(paths.len(), expect.len(), "{doc}");
    for (p, (name, path, mode, source)) in paths.iter().zip(expect) {
        assert_eq!(p["name"], name);
        assert_eq!(p["path"], path.to_str().unwrap(), "{name}");
        assert_eq!(p["exists"], mode.is_some(), "{name}");
        assert_eq!(p["mode"].as_u64(), mode.map(u64::from), "{name}");
        assert_eq!(p["source"], source, "{name}");
    }
    // It needs no keys: it works before anything is set up.
    Run::new(w.home.path())
        .args(&["config", "paths"])
        .run()
        .code(0)
        .stdout_has("env file")
        .stdout_has("no      -");
}

#[test]
fn two_instances_run_side_by_side_with_their_own_files_stores_and_locks() {
    let w = World::at(MONDAY_0730_CT);
    for name in ["a", "b"] {
        Run::new(w.home.path())
            .env("APCA_API_BASE_URL", &w.base())
            .env("APCA_API_DATA_URL", &w.base())
            .args(&[
                "--instance",
                name,
                "init",
                "--key-id",
                DEFAULT_KEY,
                "--secret-stdin",
            ])
            .args(&["--universe", if name == "a" { "SPY" } else { "TLT,GLD" }])
            .input(&format!("{DEFAULT_SECRET}\n"))
            .run()
            .code(0);
    }
    let home = w.home.path();
    let state = |name: &str| home.join(format!(".local/share/aurora/{name}"));
    let config = |name: &str| home.join(format!(".config/aurora/{name}"));
    for name in ["a", "b"] {
        assert!(config(name).join("paper-trading.env").exists());
        assert!(state(name).join("aurora.db").exists());
    }
    assert!(!home.join(".local/share/aurora/aurora.db").exists());

    // Each instance reads its own aurora.toml, by flag or by environment variable.
    let symbols = |run: Run| {
        let doc = run.args(&["config", "--json"]).run().code(0).json();
        (
            value(&doc, "universe.symbols")["value"].clone(),
            value(&doc, "state_dir")["source"].clone(),
        )
    };
    assert_eq!(
        symbols(Run::new(home).args(&["--instance", "a"])),
        (serde_json::json!(["SPY"]), Value::from("flag --instance"))
    );
    assert_eq!(
        symbols(Run::new(home).env("AURORA_INSTANCE", "b")),
        (
            serde_json::json!(["TLT", "GLD"]),
            Value::from("env AURORA_INSTANCE")
        )
    );
    Run::new(home)
        .args(&["--instance", "b", "config", "paths"])
        .run()
        .code(0)
        .stdout_has("Paths in use · instance b")
        .stdout_has(&state("b").join("aurora.lock").display().to_string());

    // A job holding a's lock does not stop b.
    let _held = aurora::store::StateLock::acquire(&state("a"), "trade", Utc::now()).unwrap();
    Run::new(home)
        .args(&["--instance", "a", "preflight"])
        .run()
        .code(73);
    Run::new(home)
        .args(&["--instance", "b", "preflight"])
        .run()
        .code(0);
    let runs = |name: &str| {
        aurora::store::Store::open(&state(name).join("aurora.db"))
            .unwrap()
            .last_runs()
            .unwrap()
            .len()
    };
    assert_eq!((runs("a"), runs("b")), (1, 1), "one preflight each: init's");
}
