//! What the benches share: the real binary, pointed at an in-process fake.

use std::path::Path;
use std::process::Command;

use aurora::sim::{DEFAULT_KEY, DEFAULT_SECRET, Sim};

/// `aurora` with a clean environment: `home` as HOME, its `state` as the state directory, and
/// the fake's keys and URL for both Alpaca APIs.
pub fn aurora(home: &Path, sim: &Sim) -> Command {
    let base = sim.base_url().as_str().trim_end_matches('/').to_owned();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_aurora"));
    cmd.env_clear()
        .env("HOME", home)
        .env("APCA_API_KEY_ID", DEFAULT_KEY)
        .env("APCA_API_SECRET_KEY", DEFAULT_SECRET)
        .env("APCA_API_BASE_URL", &base)
        .env("APCA_API_DATA_URL", &base)
        .env("AURORA_STATE_DIR", home.join("state"));
    cmd
}
