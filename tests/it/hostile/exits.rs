//! Inputs that ended in a panic or the wrong exit code: each now gets one clear line and the
//! documented code.

use aurora::sim::state::FaultAction;
use aurora::sim::{DEFAULT_KEY, DEFAULT_SECRET};

use crate::common::{MONDAY_0730_CT, World, is_root, set_mode};

fn unavailable(retry_after_secs: u64) -> FaultAction {
    FaultAction::Status {
        status: 503,
        code: None,
        message: "try later".into(),
        retry_after_secs: Some(retry_after_secs),
        reset_in_secs: None,
    }
}

#[test]
fn an_endless_retry_after_gives_up_with_75_instead_of_panicking() {
    let w = World::at(MONDAY_0730_CT);
    // A second of honest retrying first, so the absurd wait is added to a real elapsed time.
    w.fault("GET", "/v2/account", 1, unavailable(1));
    w.fault("GET", "/v2/account", 1, unavailable(u64::MAX));
    let done = w
        .aurora(&["preflight"])
        .run()
        .code(75)
        .stderr_has("GET /v2/account: gave up after 2 attempt(s): the next retry would pass");
    assert!(!done.stderr.contains("panicked"), "{}", done.stderr);
    assert_eq!(w.requests_to("/v2/account").len(), 2);
}

#[test]
fn a_read_only_state_dir_exits_1_with_the_path_and_the_os_error() {
    let w = World::at(MONDAY_0730_CT);
    w.aurora(&["preflight"]).run().code(0);
    let state = w.state_dir();
    let run = if is_root() {
        // Root ignores modes: run as nobody, for whom the root-owned directory is read-only.
        set_mode(w.home.path(), 0o755);
        set_mode(&state, 0o755);
        w.aurora(&["preflight"]).run_as(65534, 65534)
    } else {
        set_mode(&state, 0o555);
        w.aurora(&["preflight"])
    };
    let done = run.run();
    set_mode(&state, 0o700);
    done.code(1)
        .stderr_has(&format!(
            "cannot open lock file {}",
            state.join("aurora.lock").display()
        ))
        .stderr_has("Permission denied (os error 13)");
}

#[test]
fn zero_and_negative_durations_are_configuration_errors_naming_line_and_key() {
    let w = World::at(MONDAY_0730_CT);
    for (text, expected) in [
        (
            "[alpaca]\nrequest_timeout_secs = 0\n",
            "aurora.toml:2: alpaca.request_timeout_secs: must be 1 to 3600, not 0",
        ),
        (
            "[alpaca]\nmax_attempts = 3\nconnect_timeout_secs = 0\n",
            "aurora.toml:3: alpaca.connect_timeout_secs: must be 1 to 300, not 0",
        ),
        (
            "[alpaca]\nretry_deadline_secs = -5\n",
            "aurora.toml:2: alpaca.retry_deadline_secs: invalid value: integer `-5`",
        ),
    ] {
        w.write_config(text);
        w.aurora(&["status"]).run().code(2).stderr_has(expected);
    }
    assert_eq!(w.requests(), vec![]);
}

#[test]
fn out_of_range_numbers_are_errors_not_nothing_to_fetch() {
    let w = World::at(MONDAY_0730_CT);
    w.write_config("[data]\nfeed = \"iex\"\nhistory_days = 4000000000\n");
    w.aurora(&["fetch"])
        .run()
        .code(2)
        .stderr_has("aurora.toml:3: data.history_days: must be 1 to 10000, not 4000000000");
    assert_eq!(w.requests(), vec![]);
}

#[test]
fn range_errors_and_duplicate_keys_name_file_line_and_key() {
    let w = World::at(MONDAY_0730_CT);
    let path = w.write_config("[risk]\nmax_orders_per_day = 5\n\nmax_daily_loss = 1.5\n");
    w.aurora(&["preflight"]).run().code(2).stderr_has(&format!(
        "{}:4: risk.max_daily_loss: must be between 0 and 1",
        path.display()
    ));
    w.write_config("[risk]\nmax_orders_per_day = 5\nmax_orders_per_day = 6\n");
    w.aurora(&["preflight"])
        .run()
        .code(2)
        .stderr_has("aurora.toml:3: risk.max_orders_per_day: duplicate key");
}

/// Writes the env file with `text` (and nothing of the harness's), mode 0600, and returns a run
/// of `preflight` that takes the keys from it alone.
fn with_env_file(w: &World, text: &[u8]) -> crate::common::Run {
    let path = w.env_file();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    set_mode(&path, 0o600);
    w.aurora(&["preflight"])
        .env_remove("APCA_API_KEY_ID")
        .env_remove("APCA_API_SECRET_KEY")
}

#[test]
fn an_env_file_with_a_bom_is_read() {
    let w = World::at(MONDAY_0730_CT);
    let text =
        format!("\u{feff}APCA_API_KEY_ID={DEFAULT_KEY}\nAPCA_API_SECRET_KEY={DEFAULT_SECRET}\n");
    with_env_file(&w, text.as_bytes()).run().code(0);
}

#[test]
fn env_file_syntax_errors_name_the_line_but_never_its_content() {
    let w = World::at(MONDAY_0730_CT);
    let text =
        format!("# keys\nAPCA_API_KEY_ID={DEFAULT_KEY}\n\nAPCA API SECRET KEY={DEFAULT_SECRET}\n");
    let done = with_env_file(&w, text.as_bytes())
        .run()
        .code(2)
        .stderr_has(&format!(
            "{}:4: cannot parse this line",
            w.env_file().display()
        ));
    assert!(!done.stderr.contains(DEFAULT_SECRET), "{}", done.stderr);
}

#[test]
fn a_control_character_in_the_secret_exits_2_naming_the_line() {
    let w = World::at(MONDAY_0730_CT);
    let text =
        format!("APCA_API_KEY_ID={DEFAULT_KEY}\n\nAPCA_API_SECRET_KEY=\"{DEFAULT_SECRET}\u{7}\"\n");
    let done = with_env_file(&w, text.as_bytes())
        .run()
        .code(2)
        .stderr_has(&format!(
            "APCA_API_SECRET_KEY ({}:3) holds a control character",
            w.env_file().display()
        ));
    assert!(!done.stderr.contains(DEFAULT_SECRET), "{}", done.stderr);
    assert_eq!(w.requests(), vec![]);
}
