//! Test harness: a fake Alpaca on loopback, a temp home and state directory, and the real
//! `aurora` binary run against them with a clean environment.

pub mod api;
pub mod hook;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use aurora::sim::state::{AccountPatch, Fault, FaultAction, LoggedRequest};
use aurora::sim::{DEFAULT_KEY, DEFAULT_SECRET, Sim, SimOptions};
use chrono::{DateTime, Utc};

/// A fake Alpaca plus a temporary home for one test.
pub struct World {
    pub sim: Sim,
    pub home: tempfile::TempDir,
}

impl World {
    /// A fake whose market clock shows `now` (frozen, so output is deterministic).
    pub fn at(now: &str) -> World {
        let now: DateTime<Utc> = now.parse().expect("RFC 3339 time");
        let sim = Sim::start(SimOptions {
            now,
            ..SimOptions::default()
        })
        .expect("fake Alpaca starts");
        sim.set_clock(now, true);
        World {
            sim,
            home: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// The state directory the harness passes by default.
    pub fn state_dir(&self) -> PathBuf {
        self.home.path().join("state")
    }

    /// The default env file path (`~/.config/paper-trading.env`).
    pub fn env_file(&self) -> PathBuf {
        self.home.path().join(".config/paper-trading.env")
    }

    /// Writes the env file with the fake's keys and URL, mode 0600.
    pub fn write_env_file(&self, extra: &str) -> PathBuf {
        let path = self.env_file();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let text = format!(
            "# Alpaca API Configuration\nAPCA_API_KEY_ID=\"{DEFAULT_KEY}\"\nAPCA_API_SECRET_KEY=\"{DEFAULT_SECRET}\"\nAPCA_API_BASE_URL=\"{}\"\nIS_PAPER_TRADING=\"true\"\n{extra}",
            self.base()
        );
        std::fs::write(&path, text).unwrap();
        set_mode(&path, 0o600);
        path
    }

    /// Writes `~/.config/aurora/aurora.toml`.
    pub fn write_config(&self, text: &str) -> PathBuf {
        let path = self.home.path().join(".config/aurora/aurora.toml");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    /// The fake's base URL without a trailing slash.
    pub fn base(&self) -> String {
        self.sim
            .base_url()
            .as_str()
            .trim_end_matches('/')
            .to_owned()
    }

    /// `aurora ARGS` with the fake's keys in the environment and the temp state directory.
    pub fn aurora(&self, args: &[&str]) -> Run {
        Run::new(self.home.path())
            .env("APCA_API_KEY_ID", DEFAULT_KEY)
            .env("APCA_API_SECRET_KEY", DEFAULT_SECRET)
            .env("APCA_API_BASE_URL", &self.base())
            .env("APCA_API_DATA_URL", &self.base())
            .env("AURORA_STATE_DIR", self.state_dir().to_str().unwrap())
            .args(args)
    }

    /// Injects a fault for the next `times` requests to `method path`.
    pub fn fault(&self, method: &str, path: &str, times: u32, action: FaultAction) {
        self.sim.inject(Fault {
            method: Some(method.into()),
            path: path.into(),
            skip: 0,
            times,
            action,
        });
    }

    /// Changes account fields on the fake.
    pub fn account(&self, patch: AccountPatch) {
        self.sim.patch_account(patch);
    }

    /// API requests the fake received.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.sim.requests()
    }

    /// API requests to one path.
    pub fn requests_to(&self, path: &str) -> Vec<LoggedRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.path == path)
            .collect()
    }

    /// Opens the store the jobs wrote.
    pub fn store(&self) -> aurora::store::Store {
        aurora::store::Store::open(&self.state_dir().join("aurora.db")).expect("store opens")
    }
}

/// Sets a file's permission bits.
pub fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// One invocation of the real binary, built up like just's `Test`.
#[must_use = "a Run does nothing until `.run()`"]
pub struct Run {
    cmd: Command,
    input: Option<String>,
}

impl Run {
    /// `aurora` with an empty environment except `HOME` and `PATH`.
    pub fn new(home: &Path) -> Run {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_aurora"));
        cmd.env_clear()
            .env("HOME", home)
            // No user manager in tests: a missing systemctl, unless a test brings a stand-in.
            .env("AURORA_SYSTEMCTL", "/nonexistent/systemctl")
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .current_dir(home)
            .stdin(Stdio::null());
        Run { cmd, input: None }
    }

    /// Adds arguments.
    pub fn args(mut self, args: &[&str]) -> Run {
        self.cmd.args(args);
        self
    }

    /// Sets a variable.
    pub fn env(mut self, key: &str, value: &str) -> Run {
        self.cmd.env(key, value);
        self
    }

    /// Removes a variable.
    pub fn env_remove(mut self, key: &str) -> Run {
        self.cmd.env_remove(key);
        self
    }

    /// Starts the process with this umask (as a careless login shell might have).
    pub fn umask(mut self, mask: u32) -> Run {
        use std::os::unix::process::CommandExt;
        // SAFETY: umask is async-signal-safe and touches no memory of this process.
        unsafe {
            self.cmd.pre_exec(move || {
                libc::umask(mask as libc::mode_t);
                Ok(())
            });
        }
        self
    }

    /// Runs the process as another user (needs root).
    pub fn run_as(mut self, uid: u32, gid: u32) -> Run {
        use std::os::unix::process::CommandExt;
        self.cmd.uid(uid).gid(gid);
        self
    }

    /// Feeds `text` on standard input (a pipe, not a terminal).
    pub fn input(mut self, text: &str) -> Run {
        self.input = Some(text.to_owned());
        self
    }

    /// Runs to completion; the caller checks the exit code or output.
    #[must_use = "check the exit code or output of a finished run"]
    pub fn run(mut self) -> Done {
        let Some(input) = self.input.take() else {
            return Done::from(self.cmd.output().expect("aurora runs"));
        };
        let mut child = self
            .cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("aurora starts");
        {
            use std::io::Write as _;
            let mut stdin = child.stdin.take().expect("piped stdin");
            // A process that exits before reading closes the pipe; its exit code tells why.
            let _ = stdin.write_all(input.as_bytes());
        }
        Done::from(child.wait_with_output().expect("aurora runs"))
    }

    /// The command itself, to start another way (under a pseudo-terminal).
    pub fn into_command(self) -> Command {
        self.cmd
    }

    /// Starts without waiting.
    pub fn spawn(mut self) -> Child {
        self.cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("aurora starts")
    }
}

/// A finished invocation.
pub struct Done {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Done {
    fn from(out: Output) -> Done {
        Done {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

impl Done {
    /// Asserts the exit code, showing the output when it differs.
    #[track_caller]
    pub fn code(self, expected: i32) -> Done {
        assert_eq!(
            self.code, expected,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// Asserts stdout contains `text`.
    #[track_caller]
    pub fn stdout_has(self, text: &str) -> Done {
        assert!(
            self.stdout.contains(text),
            "stdout lacks {text:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    /// Asserts stderr contains `text`.
    #[track_caller]
    pub fn stderr_has(self, text: &str) -> Done {
        assert!(
            self.stderr.contains(text),
            "stderr lacks {text:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    /// Parses stdout as JSON.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

/// Whether the tests run as root (who can act as another user, and whom modes do not stop).
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Polls `cond` every 10 ms until it holds or `timeout` passes.
#[track_caller]
pub fn wait_until(timeout: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A status fault with Alpaca's error body.
pub fn status_fault(status: u16, message: &str) -> FaultAction {
    FaultAction::Status {
        status,
        code: None,
        message: message.into(),
        retry_after_secs: None,
        reset_in_secs: None,
    }
}

/// A status fault with Alpaca's code, e.g. 403 / 40310000 for a business refusal.
pub fn coded_fault(status: u16, code: u64, message: &str) -> FaultAction {
    FaultAction::Status {
        status,
        code: Some(code),
        message: message.into(),
        retry_after_secs: None,
        reset_in_secs: None,
    }
}

/// Fast retries, so tests of exhausted retries do not wait seconds.
pub const FAST_RETRIES: &str =
    "[alpaca]\nmax_attempts = 3\nretry_base_ms = 10\nconnect_timeout_secs = 2\n";

/// Monday 2026-11-30, 07:30 CT: the preflight timer's moment on a normal session day.
pub const MONDAY_0730_CT: &str = "2026-11-30T13:30:00Z";

/// The Python that has the pinned test tools: the venv `scripts/test.sh` makes under `target/`.
pub fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("AURORA_TEST_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-venv/bin/python");
    assert!(
        venv.exists(),
        "no Python test venv at {}: run `scripts/test.sh` once to make it",
        venv.display()
    );
    venv
}
