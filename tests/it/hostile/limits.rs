//! Resource limits: response bodies, the env file, and a database another connection holds.

use std::time::{Duration, Instant};

use aurora::sim::state::FaultAction;

use crate::common::{MONDAY_0730_CT, World};

#[test]
fn a_response_body_over_64_mb_is_refused() {
    let w = World::at(MONDAY_0730_CT);
    // Streamed without a length, so only counting stops it; then one that declares its size.
    for declare_length in [false, true] {
        w.fault(
            "GET",
            "/v2/account",
            1,
            FaultAction::Oversized {
                bytes: 64 * 1024 * 1024 + 1,
                declare_length,
            },
        );
        w.aurora(&["preflight"])
            .run()
            .code(1)
            .stderr_has("GET /v2/account: the response body is larger than 64 MB");
    }
}

#[test]
fn an_env_file_over_64_kb_is_refused() {
    let w = World::at(MONDAY_0730_CT);
    let path = w.write_env_file(&"# padding\n".repeat(7_000));
    w.aurora(&["preflight"])
        .run()
        .code(2)
        .stderr_has(&format!("{} is larger than 65536 bytes", path.display()));
    assert_eq!(w.requests(), vec![]);
}

#[test]
fn a_fifo_as_the_env_file_is_refused_without_hanging() {
    let w = World::at(MONDAY_0730_CT);
    let path = w.env_file();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let c_path = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    let mut child = w.aurora(&["preflight"]).spawn();
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("aurora hung on a FIFO env file");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let done = crate::common::Done::from(child.wait_with_output().unwrap());
    done.code(2)
        .stderr_has(&format!("{} is a FIFO, not a regular file", path.display()));
}

#[test]
fn a_database_busy_past_the_busy_timeout_exits_75() {
    let w = World::at(MONDAY_0730_CT);
    w.write_config("[store]\nbusy_timeout_secs = 1\n");
    w.aurora(&["preflight"]).run().code(0);
    // Another connection holds the write lock, as a stuck job or a long write would.
    let other = rusqlite::Connection::open(w.state_dir().join("aurora.db")).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    w.aurora(&["preflight"])
        .run()
        .code(75)
        .stderr_has("database is locked");
    other.execute_batch("ROLLBACK").unwrap();
    w.aurora(&["preflight"]).run().code(0);
}
