//! Metrics: every job rewrites `metrics.textfile` (atomically, readable by node_exporter), and
//! `aurora metrics` prints the same; Prometheus's own Python parser reads both.

use std::io::Write as _;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::common::World;
use crate::trade::{FIXED, MONDAY_0800_CT};

/// The text parsed by `prometheus_client` (pinned in tests/sdk/requirements.txt).
fn parse(text: &str) -> Value {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sdk/parse_metrics.py");
    let mut child = Command::new(crate::common::python())
        .arg(script)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the test venv's Python runs: run `scripts/test.sh` once");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "prometheus_client rejected the text:\n{}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn value(families: &Value, name: &str, labels: Value) -> f64 {
    families[name]["samples"]
        .as_array()
        .unwrap_or_else(|| panic!("no {name}"))
        .iter()
        .find(|s| s["labels"] == labels)
        .unwrap_or_else(|| panic!("no {name}{labels}: {}", families[name]))["value"]
        .as_f64()
        .unwrap()
}

#[test]
fn every_job_writes_the_textfile_and_prometheus_parses_every_metric() {
    let w = World::at(MONDAY_0800_CT);
    let dir = w.home.path().join("textfile_collector");
    std::fs::create_dir_all(&dir).unwrap();
    let prom = dir.join("aurora.prom");
    w.write_config(&format!(
        "{FIXED}[metrics]\ntextfile = \"{}\"\n",
        prom.display()
    ));
    w.aurora(&["preflight"]).run().code(0);
    w.aurora(&["trade"]).run().code(0);
    w.aurora(&["pause", "--reason", "after the trade"])
        .run()
        .code(0);

    let file = std::fs::read_to_string(&prom).unwrap();
    let mode = std::fs::metadata(&prom).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o644, "node_exporter runs as another user");
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, ["aurora.prom"], "no temporary file is left behind");
    // The file is what the last job (trade) wrote; `aurora metrics` shows the state now.
    let families = parse(&file);
    for name in [
        "aurora_account_equity_dollars",
        "aurora_account_cash_dollars",
        "aurora_day_pnl_dollars",
        "aurora_positions",
        "aurora_gross_exposure_ratio",
        "aurora_paused",
        "aurora_job_last_run_timestamp_seconds",
        "aurora_job_last_exit_code",
        "aurora_job_last_duration_seconds",
        "aurora_orders_today",
        "aurora_discrepancies",
    ] {
        let f = &families[name];
        assert_eq!(f["type"], "gauge", "{name}: {f}");
        assert!(
            f["documentation"].as_str().is_some_and(|d| !d.is_empty()),
            "{name} has no HELP"
        );
    }
    let none = serde_json::json!({});
    assert_eq!(
        value(&families, "aurora_account_equity_dollars", none.clone()),
        100_000.0
    );
    assert_eq!(value(&families, "aurora_positions", none.clone()), 0.0);
    assert_eq!(value(&families, "aurora_paused", none.clone()), 0.0);
    let job = |j: &str| serde_json::json!({ "job": j });
    assert_eq!(
        value(&families, "aurora_job_last_exit_code", job("preflight")),
        0.0
    );
    assert_eq!(
        value(&families, "aurora_job_last_exit_code", job("trade")),
        0.0
    );
    assert!(value(&families, "aurora_job_last_duration_seconds", job("trade")) >= 0.0);
    let state = |s: &str| serde_json::json!({ "state": s });
    assert_eq!(
        value(&families, "aurora_orders_today", state("accepted")),
        3.0
    );
    assert_eq!(
        value(&families, "aurora_orders_today", state("rejected")),
        0.0
    );

    // Until an eod has run there is no discrepancy count; after it, its count.
    assert!(
        families["aurora_discrepancies"]["samples"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    w.sim.open_session().unwrap();
    w.sim.close_session().unwrap();
    w.sim
        .set_clock("2026-11-30T21:15:00Z".parse().unwrap(), true);
    w.aurora(&["eod"]).run().code(0);
    let after_eod = parse(&std::fs::read_to_string(&prom).unwrap());
    assert_eq!(value(&after_eod, "aurora_discrepancies", none.clone()), 0.0);
    assert_eq!(value(&after_eod, "aurora_positions", none.clone()), 3.0);

    let printed = w.aurora(&["metrics"]).run().code(0).stdout;
    let now = parse(&printed);
    assert_eq!(value(&now, "aurora_paused", none), 1.0);
    assert_eq!(
        printed,
        std::fs::read_to_string(&prom).unwrap(),
        "aurora metrics prints what the jobs write (eod ran while paused)"
    );
}

#[test]
fn a_relative_textfile_is_a_configuration_error() {
    let w = World::at(MONDAY_0800_CT);
    w.write_config("[metrics]\ntextfile = \"aurora.prom\"\n");
    w.aurora(&["preflight"])
        .run()
        .code(2)
        .stderr_has("metrics.textfile: must be an absolute path ending in .prom");
}
