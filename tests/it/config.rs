//! Configuration errors (exit 2), the env file, aurora.toml, and the command line itself.

use crate::common::{MONDAY_0730_CT, World, set_mode};

#[test]
fn env_file_readable_by_others_is_refused_with_the_chmod_hint() {
    let w = World::at(MONDAY_0730_CT);
    let path = w.write_env_file("");
    set_mode(&path, 0o644);
    let p = path.display().to_string();
    w.aurora(&["preflight"])
        .run()
        .code(2)
        .stderr_has(&format!("env file {p} has mode 0644"))
        .stderr_has(&format!("chmod 600 {p}"));
    assert!(w.requests().is_empty(), "no request before config is valid");
}

#[test]
fn keys_from_the_env_file_work_and_the_environment_wins() {
    let w = World::at(MONDAY_0730_CT);
    w.write_env_file("");
    // Only the env file holds the keys.
    w.aurora(&["preflight"])
        .env_remove("APCA_API_KEY_ID")
        .env_remove("APCA_API_SECRET_KEY")
        .run()
        .code(0);
    // A process variable beats the file.
    w.aurora(&["preflight"])
        .env("APCA_API_SECRET_KEY", "wrong")
        .run()
        .code(3)
        .stdout_has("credentials rejected");
}

#[test]
fn missing_key_names_the_variable() {
    let w = World::at(MONDAY_0730_CT);
    w.aurora(&["status"])
        .env_remove("APCA_API_SECRET_KEY")
        .run()
        .code(2)
        .stderr_has("APCA_API_SECRET_KEY is not set")
        .stderr_has("paper-trading.env (not found)");
}

#[test]
fn malformed_url_names_the_variable() {
    let w = World::at(MONDAY_0730_CT);
    w.aurora(&["status"])
        .env("APCA_API_DATA_URL", "data.alpaca.markets")
        .run()
        .code(2)
        .stderr_has("APCA_API_DATA_URL is not a valid URL");
}

#[test]
fn unknown_toml_key_names_key_and_line() {
    let w = World::at(MONDAY_0730_CT);
    let path = w.write_config("[risk]\nmax_order_notional = 1000.0\nmax_lossage = 0.5\n");
    w.aurora(&["preflight"])
        .run()
        .code(2)
        .stderr_has(&format!("{}:3:", path.display()))
        .stderr_has("max_lossage");
}

#[test]
fn wrong_toml_type_names_key_and_line() {
    let w = World::at(MONDAY_0730_CT);
    w.write_config("[orders]\n\nfractional = \"yes\"\n");
    w.aurora(&["preflight"])
        .run()
        .code(2)
        .stderr_has("aurora.toml:3: orders.fractional");
}

#[test]
fn flags_and_their_environment_variables_pick_the_files() {
    let w = World::at(MONDAY_0730_CT);
    let bad = w.home.path().join("elsewhere.toml");
    std::fs::write(&bad, "[strategy]\nname = \"magic\"\n").unwrap();
    w.aurora(&["status"])
        .env("AURORA_CONFIG", bad.to_str().unwrap())
        .run()
        .code(2)
        .stderr_has("unknown strategy \"magic\"");
    w.aurora(&["--config", bad.to_str().unwrap(), "status"])
        .run()
        .code(2);

    let other_state = w.home.path().join("other-state");
    w.aurora(&["--state-dir", other_state.to_str().unwrap(), "preflight"])
        .run()
        .code(0);
    assert!(other_state.join("aurora.db").exists());

    let env_file = w.home.path().join("keys.env");
    std::fs::write(&env_file, "APCA_API_KEY_ID=x\nAPCA_API_SECRET_KEY=y\n").unwrap();
    set_mode(&env_file, 0o640);
    w.aurora(&["status"])
        .env("AURORA_ENV_FILE", env_file.to_str().unwrap())
        .run()
        .code(2)
        .stderr_has("keys.env has mode 0640");
}

#[test]
fn every_command_has_help_with_an_example_and_version_works() {
    let w = World::at(MONDAY_0730_CT);
    for args in [
        &["--help"][..],
        &["init", "--help"],
        &["config", "--help"],
        &["config", "paths", "--help"],
        &["completions", "--help"],
        &["man", "--help"],
        &["preflight", "--help"],
        &["status", "--help"],
        &["fetch", "--help"],
        &["trade", "--help"],
        &["eod", "--help"],
        &["demo", "--help"],
        &["systemd", "--help"],
        &["systemd", "install", "--help"],
        &["systemd", "uninstall", "--help"],
        &["alert", "--help"],
        &["backup", "--help"],
        &["sim", "--help"],
        &["sim", "serve", "--help"],
    ] {
        w.aurora(args).run().code(0).stdout_has("Example");
    }
    w.aurora(&["--version"])
        .run()
        .code(0)
        .stdout_has(concat!("aurora ", env!("CARGO_PKG_VERSION")));
    w.aurora(&["frobnicate"]).run().code(2);
}
