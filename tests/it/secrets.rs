//! DESIGN invariant 4: a recognisable key and secret never reach stdout, stderr or the store.

use crate::common::Run;
use aurora::sim::{Sim, SimOptions};

const KEY: &str = "PKRECOGNISABLEKEY777";
const SECRET: &str = "s3cr3t-RECOGNISABLE-sentinel-9981";

#[test]
fn keys_never_appear_in_output_logs_or_store() {
    let now = "2026-11-30T13:30:00Z".parse().unwrap();
    let sim = Sim::start(SimOptions {
        now,
        key: KEY.into(),
        secret: SECRET.into(),
    })
    .unwrap();
    let home = tempfile::tempdir().unwrap();
    let state = home.path().join("state");
    let base = sim.base_url().as_str().trim_end_matches('/').to_owned();
    let run = |args: &[&str], secret: &str| {
        Run::new(home.path())
            .env("APCA_API_KEY_ID", KEY)
            .env("APCA_API_SECRET_KEY", secret)
            .env("APCA_API_BASE_URL", &base)
            .env("AURORA_STATE_DIR", state.to_str().unwrap())
            .env("RUST_LOG", "trace")
            .args(args)
            .run()
    };
    let mut outputs = Vec::new();
    for (args, secret) in [
        (&["preflight"][..], SECRET),
        (&["status"], SECRET),
        (&["status", "--json"], SECRET),
        (&["-vv", "preflight", "--json"], SECRET),
        (&["-vv", "fetch"], SECRET),
        (&["-vv", "trade"], SECRET),
        (&["-vv", "eod"], SECRET),
        // A rejected secret that is itself recognisable must not leak either.
        (&["preflight"], "s3cr3t-RECOGNISABLE-wrong-1234"),
    ] {
        let done = run(args, secret);
        outputs.push(done.stdout);
        outputs.push(done.stderr);
    }
    assert!(outputs.iter().any(|o| o.contains("credentials rejected")));
    assert!(
        outputs.iter().any(|o| o.len() > 1000),
        "trace logging produced output"
    );
    for text in &outputs {
        for needle in [KEY, SECRET, "RECOGNISABLE"] {
            assert!(!text.contains(needle), "{needle} leaked:\n{text}");
        }
    }
    // Every file Aurora wrote: the database, its WAL, the lock, the reports.
    let mut dirs = vec![state.clone()];
    let mut files = 0;
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            files += 1;
            let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
            for needle in [KEY, SECRET, "RECOGNISABLE"] {
                assert!(
                    !text.contains(needle),
                    "{needle} stored in {}",
                    path.display()
                );
            }
        }
    }
    assert!(
        files >= 4,
        "the database, lock and reports were read ({files} files)"
    );
}
