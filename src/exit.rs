//! The documented exit codes, and how a failure maps to one.

use std::process::ExitCode;

use serde::Serialize;

use crate::alpaca;
use crate::config::{ConfigError, PaperGuardError};
use crate::store::{LockError, StoreError};

/// How a job ended, as the process exit code that scripts and systemd see (DESIGN.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Exit {
    /// 0: ok, or nothing to do.
    Ok,
    /// 1: the job failed, or status found the system unhealthy.
    Failed,
    /// 2: bad usage or configuration.
    Usage,
    /// 3: blocked by a safety check (preflight failed, kill switch, paper guard).
    Blocked,
    /// 4: reconciliation found a discrepancy.
    Discrepancy,
    /// 73: another job holds the state-directory lock.
    Locked,
    /// 75: Alpaca unreachable or rate limited after retries; temporary, systemd may retry.
    TempFail,
}

impl Exit {
    /// The numeric process exit code.
    pub fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::Failed => 1,
            Exit::Usage => 2,
            Exit::Blocked => 3,
            Exit::Discrepancy => 4,
            Exit::Locked => 73,
            Exit::TempFail => 75,
        }
    }

    /// The exit a process code stands for, if it is one of Aurora's.
    pub fn from_code(code: u8) -> Option<Exit> {
        [
            Exit::Ok,
            Exit::Failed,
            Exit::Usage,
            Exit::Blocked,
            Exit::Discrepancy,
            Exit::Locked,
            Exit::TempFail,
        ]
        .into_iter()
        .find(|e| e.code() == code)
    }

    /// What the code means, in the words of the README's exit-code table (alerts quote it).
    pub fn meaning(self) -> &'static str {
        match self {
            Exit::Ok => "ok, or nothing to do",
            Exit::Failed => "failed",
            Exit::Usage => "usage or configuration error",
            Exit::Blocked => "blocked by a safety check",
            Exit::Discrepancy => "reconciliation found a discrepancy",
            Exit::Locked => "another job holds the state-directory lock",
            Exit::TempFail => {
                "Alpaca unreachable or rate limited, or the database busy (temporary)"
            }
        }
    }

    /// `3: blocked by a safety check`; a code that is not Aurora's is named as such.
    pub fn describe(code: u8) -> String {
        match Exit::from_code(code) {
            Some(e) => format!("{code}: {}", e.meaning()),
            None => format!("{code}: not an Aurora exit code (from systemd or a signal)"),
        }
    }

    /// Classifies an error by the typed errors in its chain; anything unknown is a plain failure.
    pub fn of_error(err: &anyhow::Error) -> Exit {
        for cause in err.chain() {
            if cause.is::<ConfigError>() || cause.is::<Usage>() {
                return Exit::Usage;
            }
            if cause.is::<PaperGuardError>() || cause.is::<Blocked>() {
                return Exit::Blocked;
            }
            // Only a lock another job holds is "busy, retry"; an unreadable or unwritable lock
            // file is a broken machine, and retrying it only delays the alert.
            if cause
                .downcast_ref::<LockError>()
                .is_some_and(|e| matches!(e, LockError::Held { .. }))
            {
                return Exit::Locked;
            }
            if cause.is::<Temporary>() {
                return Exit::TempFail;
            }
            // The database stayed busy past the busy timeout (a backup, a stuck job): temporary.
            if cause
                .downcast_ref::<StoreError>()
                .is_some_and(StoreError::is_busy)
                || cause
                    .downcast_ref::<rusqlite::Error>()
                    .is_some_and(crate::store::is_busy)
            {
                return Exit::TempFail;
            }
            if cause
                .downcast_ref::<alpaca::Error>()
                .is_some_and(alpaca::Error::is_temporary)
            {
                return Exit::TempFail;
            }
        }
        Exit::Failed
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_maps_back_and_has_a_meaning() {
        for code in [0, 1, 2, 3, 4, 73, 75] {
            let exit = Exit::from_code(code).unwrap();
            assert_eq!(exit.code(), code);
            assert!(!exit.meaning().is_empty());
        }
        assert_eq!(Exit::describe(3), "3: blocked by a safety check");
        assert_eq!(Exit::from_code(9), None);
        assert!(Exit::describe(203).contains("not an Aurora exit code"));
    }
}

/// A safety check refused to let the job go on (exit 3).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Blocked(pub String);

/// Something is not known yet and a later run will find out (exit 75): e.g. an order whose
/// submission got no usable answer, which the next run resolves by looking it up.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Temporary(pub String);

/// The command line asked for something impossible (exit 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Usage(pub String);
