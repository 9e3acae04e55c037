//! One alert per problem, and alerts that say what happened: `status` flags a problem once
//! (`--strict` every time), `aurora alert` sends the failed run's facts from the store in each
//! chat service's own format, retries a failing webhook a bounded number of times, and works
//! when the env file's mode makes every job refuse to run.

use crate::common::hook::Hook;
use crate::common::{World, set_mode};
use aurora::sim::state::AccountPatch;

/// Monday 2026-11-30 09:05 CT: an hourly status run, after the preflight deadline.
const MONDAY_0905_CT: &str = "2026-11-30T15:05:00Z";

/// A world whose preflight fails (the account is blocked): exit 3, recorded in the store.
fn failed_preflight() -> World {
    let w = World::at(MONDAY_0905_CT);
    w.account(AccountPatch {
        account_blocked: Some(true),
        ..AccountPatch::default()
    });
    w.aurora(&["preflight"]).run().code(3);
    w
}

fn problem<'a>(status: &'a serde_json::Value, key: &str) -> &'a serde_json::Value {
    status["health"]["problems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["key"] == key)
        .unwrap_or_else(|| panic!("no {key} in {}", status["health"]))
}

#[test]
fn status_flags_a_problem_once_per_session_and_strict_every_time() {
    let w = failed_preflight();
    let first = w.aurora(&["status", "--json"]).run().code(1).json();
    let failed = problem(&first, "run_failed:preflight");
    assert_eq!(failed["new"], true);
    assert_eq!(failed["session"], "2026-11-30");
    // The next hourly run sees the same problems: shown, not flagged again.
    let second = w.aurora(&["status", "--json"]).run().code(0).json();
    assert_eq!(problem(&second, "run_failed:preflight")["new"], false);
    assert_eq!(
        second["health"]["ok"], false,
        "still a problem, only not new"
    );
    w.aurora(&["status"])
        .run()
        .code(0)
        .stdout_has("(alerted before)");
    w.aurora(&["status", "--strict"]).run().code(1);
    // A status that flagged problems stores them as its run's error, for its own alert.
    let runs = w.store().last_runs().unwrap();
    let status_run = runs.iter().find(|r| r.job == "status").unwrap();
    assert!(
        status_run
            .error
            .as_deref()
            .is_some_and(|e| e.contains("preflight: last run failed (blocked, exit 3)")),
        "{status_run:?}"
    );
}

#[test]
fn an_alert_says_what_happened_from_the_store_and_status_does_not_repeat_it() {
    let w = failed_preflight();
    let hook = Hook::start(&[]);
    w.aurora(&["alert", "--unit", "paper-preflight.service"])
        .env("AURORA_ALERT_WEBHOOK", &format!("{}/aurora", hook.base))
        .run()
        .code(0)
        .stdout_has("alert sent to 127.0.0.1 (json format, 1 attempt(s))");
    let got = hook.received();
    assert_eq!(got.len(), 1);
    let body = got[0].json();
    assert_eq!(body["unit"], "paper-preflight.service");
    assert_eq!(body["job"], "preflight");
    assert_eq!(body["session"], "2026-11-30");
    assert_eq!(body["exit_code"], 3);
    assert_eq!(body["exit_meaning"], "3: blocked by a safety check");
    let errors = body["errors"].as_array().unwrap();
    assert!(
        errors.iter().any(|e| e
            .as_str()
            .unwrap()
            .starts_with("preflight check account failed: ")),
        "{errors:?}"
    );
    assert_eq!(
        body["command"],
        "journalctl --user -u paper-preflight.service -n 50"
    );
    assert!(body["host"].as_str().is_some_and(|h| !h.is_empty()));
    assert_eq!(body["text"], body["content"]);
    // The failed run was alerted: the hourly status does not alert for it again.
    let status = w.aurora(&["status", "--json"]).run().json();
    assert_eq!(problem(&status, "run_failed:preflight")["new"], false);
}

#[test]
fn each_format_is_that_services_own_message() {
    let w = World::at(MONDAY_0905_CT);
    let hook = Hook::start(&[]);
    let send = |format: &str, path: &str| {
        w.aurora(&["alert", "--test"])
            .env("AURORA_ALERT_WEBHOOK", &format!("{}{path}", hook.base))
            .env("AURORA_ALERT_FORMAT", format)
            .run()
            .code(0)
            .stdout_has(&format!("({format} format, 1 attempt(s))"));
        hook.received().pop().unwrap()
    };
    let slack = send("slack", "/services/T/B/x").json();
    assert_eq!(slack["blocks"][0]["type"], "header");
    assert_eq!(slack["blocks"][1]["text"]["type"], "mrkdwn");
    assert!(slack["text"].as_str().unwrap().contains("test alert"));

    let discord = send("discord", "/api/webhooks/1/x").json();
    assert!(
        discord["embeds"][0]["title"]
            .as_str()
            .unwrap()
            .contains("test alert")
    );
    assert_eq!(discord["allowed_mentions"]["parse"], serde_json::json!([]));

    // ntfy's JSON publish format goes to the server's root, the topic inside.
    let ntfy = send("ntfy", "/aurora-alerts");
    assert_eq!(ntfy.path, "/");
    let body = ntfy.json();
    assert_eq!(body["topic"], "aurora-alerts");
    assert_eq!(body["priority"], 3);
    assert!(body["title"].as_str().unwrap().contains("test alert"));

    let telegram = send("telegram", "/bot1:tok/sendMessage?chat_id=-42");
    assert_eq!(telegram.path, "/bot1:tok/sendMessage");
    assert_eq!(telegram.json()["chat_id"], "-42");

    let json = send("json", "/hook").json();
    assert_eq!(json["severity"], "info");
}

#[test]
fn a_failing_webhook_is_retried_a_bounded_number_of_times() {
    let w = World::at(MONDAY_0905_CT);
    let flaky = Hook::start(&[503, 429]);
    w.aurora(&["alert", "--test"])
        .env("AURORA_ALERT_WEBHOOK", &format!("{}/hook", flaky.base))
        .run()
        .code(0)
        .stdout_has("3 attempt(s)");
    assert_eq!(flaky.received().len(), 3);

    let down = Hook::start(&[500; 10]);
    w.aurora(&["alert", "--test"])
        .env("AURORA_ALERT_WEBHOOK", &format!("{}/hook", down.base))
        .run()
        .code(1)
        .stdout_has("alert not sent")
        .stderr_has("notification to 127.0.0.1 failed");
    assert_eq!(down.received().len(), 3, "bounded: three attempts");

    // A 4xx other than 429 would fail the same way again: not retried.
    let refused = Hook::start(&[404]);
    w.aurora(&["alert", "--test"])
        .env("AURORA_ALERT_WEBHOOK", &format!("{}/hook", refused.base))
        .run()
        .code(1);
    assert_eq!(refused.received().len(), 1);
}

#[test]
fn the_alert_works_and_says_so_when_the_env_file_is_unsafe() {
    let w = World::at(MONDAY_0905_CT);
    let hook = Hook::start(&[]);
    let env = w.write_env_file(&format!("AURORA_ALERT_WEBHOOK=\"{}/hook\"\n", hook.base));
    set_mode(&env, 0o644);
    // Every job refuses such a file, before it records a run.
    w.aurora(&["preflight"])
        .run()
        .code(2)
        .stderr_has("chmod 600");
    w.aurora(&["alert", "--unit", "paper-preflight.service"])
        .run()
        .code(0)
        .stdout_has("alert sent");
    let body = hook.received()[0].json();
    let warnings = body["warnings"].to_string();
    assert!(warnings.contains("has mode 0644"), "{warnings}");
    assert!(warnings.contains("chmod 600"), "{warnings}");
    assert_eq!(
        body["errors"][0],
        "no preflight run is recorded: it failed before it started"
    );
}

#[test]
fn a_test_alert_without_a_webhook_is_a_configuration_error() {
    let w = World::at(MONDAY_0905_CT);
    w.aurora(&["alert", "--test"])
        .run()
        .code(2)
        .stdout_has("AURORA_ALERT_WEBHOOK is not set");
}

#[test]
fn report_notify_sends_the_daily_summary_at_the_end_of_eod() {
    let w = World::at("2026-11-30T14:00:00Z");
    w.write_config(&format!("{}[report]\nnotify = true\n", crate::trade::FIXED));
    let hook = Hook::start(&[]);
    let url = format!("{}/summary", hook.base);
    w.aurora(&["trade"]).run().code(0);
    w.sim.open_session().unwrap();
    w.sim.close_session().unwrap();
    w.sim
        .set_clock("2026-11-30T21:15:00Z".parse().unwrap(), true);
    w.aurora(&["eod"])
        .env("AURORA_ALERT_WEBHOOK", &url)
        .run()
        .code(0);
    let got = hook.received();
    assert_eq!(got.len(), 1, "one summary per eod");
    let body = got[0].json();
    assert_eq!(body["session"], "2026-11-30");
    assert!(
        body["equity"].is_string() && body["day_pnl"].is_string(),
        "{body}"
    );
    assert!(body["day_return_pct"].is_string(), "{body}");
    assert_eq!(body["orders"], 3);
    assert_eq!(body["filled"], 3);
    assert_eq!(body["fills"], 3);
    assert_eq!(body["discrepancies"], serde_json::json!([]));
    assert!(
        body["text"]
            .as_str()
            .unwrap()
            .contains("discrepancies: none"),
        "{body}"
    );
    // Off by default: eod sends nothing.
    w.write_config(crate::trade::FIXED);
    w.aurora(&["eod"])
        .env("AURORA_ALERT_WEBHOOK", &url)
        .run()
        .code(0);
    assert_eq!(hook.received().len(), 1);
}
