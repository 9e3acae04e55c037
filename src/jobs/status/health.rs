//! Whether the system is healthy, from what status gathered (pure).

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::market::{Today, market_date, preflight_deadline};
use crate::store::{PreflightRecord, RunRecord};
use crate::types::SessionDate;

/// A run unfinished for this long most likely crashed.
pub const STALE_RUN: Duration = Duration::hours(1);

/// One thing wrong.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// What it concerns (`preflight`, `trade`, …).
    pub subject: String,
    /// What is wrong.
    pub detail: String,
    /// Which problem this is (`run_failed:trade`): with `session`, what is alerted once.
    pub key: String,
    /// The session it belongs to.
    pub session: SessionDate,
    /// Not alerted before: status exits 1 for it (once).
    pub new: bool,
}

/// The key of a job's failed last run, shared by `status` and `alert`: whichever alerts first,
/// the other does not alert again for the same run's session.
pub fn run_failed_key(job: &str) -> String {
    format!("run_failed:{job}")
}

/// The session a run belongs to: its own, or the market date it started on (a run that failed
/// before it knew its session).
pub fn run_session(run: &RunRecord) -> SessionDate {
    run.session_date
        .unwrap_or_else(|| market_date(run.started_at))
}

/// Problems found; none means healthy. Each is `new` until status marks it alerted.
///
/// - the last run of any job other than `status` failed, or has not finished for an hour;
/// - on a session day after 07:45 CT (by the market clock), no passing preflight for it, unless
///   trading is `paused` (then preflight and trade deliberately do nothing).
pub fn problems(
    market_now: DateTime<Utc>,
    local_now: DateTime<Utc>,
    today: &Today,
    runs: &[RunRecord],
    preflight: Option<&PreflightRecord>,
    paused: bool,
) -> Vec<Problem> {
    let mut out = Vec::new();
    for run in runs.iter().filter(|r| r.job != "status") {
        match (run.exit_code, run.finished_at) {
            (Some(code), Some(_)) if code != 0 => out.push(Problem {
                key: run_failed_key(&run.job),
                session: run_session(run),
                new: true,
                subject: run.job.clone(),
                detail: format!(
                    "last run failed ({}, exit {code}){}",
                    run.outcome.as_deref().unwrap_or("failed"),
                    run.error
                        .as_deref()
                        .map(|e| format!(": {e}"))
                        .unwrap_or_default()
                ),
            }),
            (_, None) if local_now - run.started_at > STALE_RUN => out.push(Problem {
                key: format!("run_unfinished:{}", run.job),
                session: run_session(run),
                new: true,
                subject: run.job.clone(),
                detail: format!(
                    "last run started {} and never finished (crashed?)",
                    run.started_at
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                ),
            }),
            _ => {}
        }
    }
    if let Today::Session(session) = today
        && !paused
        && market_now >= preflight_deadline(session.date)
        && !preflight.is_some_and(|p| p.passed)
    {
        let (key, detail) = match preflight {
            Some(_) => (
                "preflight_failed",
                format!("preflight failed for {}: trading is blocked", session.date),
            ),
            None => (
                "preflight_missing",
                format!(
                    "no preflight recorded for {} (due by 07:45 CT)",
                    session.date
                ),
            ),
        };
        out.push(Problem {
            subject: "preflight".into(),
            detail,
            key: key.into(),
            session: session.date,
            new: true,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::Session;
    use crate::store::RunId;
    use chrono::NaiveTime;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn session_day() -> Today {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        Today::Session(Session::new(
            "2026-11-30".parse().unwrap(),
            t(9, 30),
            t(16, 0),
        ))
    }

    fn run(job: &str, exit: Option<u8>, started: &str, finished: bool) -> RunRecord {
        RunRecord {
            id: RunId(1),
            job: job.into(),
            session_date: None,
            started_at: utc(started),
            finished_at: finished.then(|| utc(started)),
            outcome: exit.map(|c| if c == 0 { "ok".into() } else { "failed".into() }),
            exit_code: exit,
            error: None,
        }
    }

    fn passing() -> PreflightRecord {
        PreflightRecord {
            session_date: "2026-11-30".parse().unwrap(),
            run_id: RunId(1),
            checked_at: utc("2026-11-30T13:30:00Z"),
            passed: true,
            checks: serde_json::json!([]),
        }
    }

    #[test]
    fn missing_preflight_matters_only_after_0745_ct() {
        let before = utc("2026-11-30T13:44:00Z");
        assert!(problems(before, before, &session_day(), &[], None, false).is_empty());
        let after = utc("2026-11-30T13:46:00Z");
        let p = problems(after, after, &session_day(), &[], None, false);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].subject, "preflight");
        assert_eq!(p[0].key, "preflight_missing");
        assert!(problems(after, after, &session_day(), &[], Some(&passing()), false).is_empty());
        let mut failed = passing();
        failed.passed = false;
        assert_eq!(
            problems(after, after, &session_day(), &[], Some(&failed), false).len(),
            1
        );
        // Paused, preflight deliberately does nothing: not a problem.
        assert!(problems(after, after, &session_day(), &[], None, true).is_empty());
    }

    #[test]
    fn failed_and_stale_runs_are_flagged_but_not_status_itself() {
        let now = utc("2026-11-30T20:00:00Z");
        let runs = [
            run("preflight", Some(3), "2026-11-30T13:30:00Z", true),
            run("status", Some(1), "2026-11-30T19:00:00Z", true),
            run("trade", None, "2026-11-30T14:00:00Z", false),
            run("fetch", None, "2026-11-30T19:30:00Z", false),
        ];
        let found = problems(now, now, &session_day(), &runs, Some(&passing()), false);
        let keys: Vec<_> = found.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, ["run_failed:preflight", "run_unfinished:trade"]);
        // A run that failed before it knew its session belongs to the market date it started on.
        assert_eq!(found[0].session.to_string(), "2026-11-30");
    }
}
