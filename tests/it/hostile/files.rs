//! Files on disk: private modes whatever the umask, the lock, a truncated store, the env file's
//! owner, and `aurora backup`.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use aurora::sim::state::FaultAction;

use crate::common::{MONDAY_0730_CT, World, is_root, set_mode, wait_until};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn state_files_are_private_whatever_the_umask() {
    let w = World::at("2026-11-30T14:00:00Z");
    w.write_config("[strategy]\nname = \"fixed\"\nweights = { SPY = 0.2 }\n");
    let state = w.state_dir();
    // While a job is held inside a request its database is open, so the WAL files exist.
    w.fault("GET", "/v2/account", 1, FaultAction::Delay { ms: 1_000 });
    let held = w.aurora(&["preflight"]).umask(0).spawn();
    wait_until(Duration::from_secs(10), "the WAL", || {
        state.join("aurora.db-wal").exists() && state.join("aurora.db-shm").exists()
    });
    for name in ["aurora.db", "aurora.db-wal", "aurora.db-shm", "aurora.lock"] {
        assert_eq!(mode(&state.join(name)), 0o600, "{name}");
    }
    assert_eq!(mode(&state), 0o700);
    assert!(held.wait_with_output().unwrap().status.success());

    w.aurora(&["trade"]).umask(0).run().code(0);
    w.sim.close_session().unwrap();
    w.sim
        .set_clock("2026-11-30T21:15:00Z".parse().unwrap(), true);
    w.aurora(&["eod"]).umask(0).run().code(0);
    let reports = state.join("reports");
    assert_eq!(mode(&reports), 0o700);
    for entry in std::fs::read_dir(&reports).unwrap() {
        let path = entry.unwrap().path();
        assert_eq!(mode(&path), 0o600, "{}", path.display());
    }
}

#[test]
fn a_state_dir_others_can_read_is_warned_about_in_preflight() {
    let w = World::at(MONDAY_0730_CT);
    std::fs::create_dir_all(w.state_dir()).unwrap();
    set_mode(&w.state_dir(), 0o755);
    w.aurora(&["preflight"])
        .run()
        .code(0)
        .stdout_has("⚠️  state dir")
        .stdout_has(&format!("chmod 700 {}", w.state_dir().display()));
}

#[test]
fn a_symlinked_lock_is_refused_and_its_target_left_alone() {
    let w = World::at(MONDAY_0730_CT);
    let state = w.state_dir();
    std::fs::create_dir_all(&state).unwrap();
    let precious = w.home.path().join("precious.txt");
    std::fs::write(&precious, "keep me").unwrap();
    std::os::unix::fs::symlink(&precious, state.join("aurora.lock")).unwrap();
    w.aurora(&["preflight"]).run().code(1).stderr_has(&format!(
        "lock file {} is a symbolic link",
        state.join("aurora.lock").display()
    ));
    assert_eq!(std::fs::read_to_string(&precious).unwrap(), "keep me");
}

#[test]
fn an_emptied_database_is_refused_naming_it_and_the_backup_command() {
    let w = World::at(MONDAY_0730_CT);
    w.aurora(&["preflight"]).run().code(0);
    let db = w.state_dir().join("aurora.db");
    std::fs::write(&db, "").unwrap();
    for job in ["preflight", "status"] {
        w.aurora(&[job])
            .run()
            .code(1)
            .stderr_has(&format!("database {} is empty (0 bytes)", db.display()))
            .stderr_has("aurora backup");
    }
    assert_eq!(
        std::fs::metadata(&db).unwrap().len(),
        0,
        "left for the operator"
    );

    // In a new state directory an empty file is only a placeholder.
    let fresh = World::at(MONDAY_0730_CT);
    std::fs::create_dir_all(fresh.state_dir()).unwrap();
    std::fs::write(fresh.state_dir().join("aurora.db"), "").unwrap();
    fresh.aurora(&["preflight"]).run().code(0);
}

#[test]
fn an_env_file_owned_by_someone_else_is_refused() {
    if !is_root() {
        eprintln!("skipped: only root can give a file to another user");
        return;
    }
    let w = World::at(MONDAY_0730_CT);
    let path = w.write_env_file("");
    std::os::unix::fs::chown(&path, Some(65534), Some(65534)).unwrap();
    w.aurora(&["preflight"]).run().code(2).stderr_has(&format!(
        "env file {} is owned by uid 65534, not by you (uid 0)",
        path.display()
    ));
    assert_eq!(w.requests(), vec![]);
}

#[test]
fn backup_copies_the_store_while_a_job_holds_the_lock() {
    let w = World::at(MONDAY_0730_CT);
    w.aurora(&["preflight"]).run().code(0);
    // A second preflight holds the lock (and has its run row written) inside a slow request.
    w.fault("GET", "/v2/account", 1, FaultAction::Delay { ms: 2_000 });
    let held = w.aurora(&["preflight"]).spawn();
    wait_until(Duration::from_secs(10), "the held preflight", || {
        w.requests_to("/v2/account").len() == 2
    });
    let copy = w.home.path().join("backups/aurora-copy.db");
    std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
    let json = w
        .aurora(&["backup", "--to", copy.to_str().unwrap(), "--json"])
        .run()
        .code(0)
        .json();
    assert_eq!(json["quick_check"], "ok");
    assert_eq!(mode(&copy), 0o600);
    assert!(
        !Path::new(&format!("{}-wal", copy.display())).exists(),
        "one file"
    );
    // The copy is the store as it was mid-job: the held preflight's run, not yet finished.
    let runs = aurora::store::Store::open(&copy)
        .unwrap()
        .last_runs()
        .unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].job, "preflight");
    assert_eq!(runs[0].finished_at, None, "{runs:?}");
    // An existing file is never overwritten.
    w.aurora(&["backup", "--to", copy.to_str().unwrap()])
        .run()
        .code(1)
        .stderr_has("exists");
    assert!(held.wait_with_output().unwrap().status.success());

    // Without --to the copy goes under the state directory.
    let done = w
        .aurora(&["backup"])
        .run()
        .code(0)
        .stdout_has("quick_check  ok");
    assert!(
        done.stdout
            .contains(&w.state_dir().join("backups/aurora-").display().to_string()),
        "{}",
        done.stdout
    );
}
