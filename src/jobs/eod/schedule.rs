//! Which sessions an eod run reconciles, from Alpaca's clock and calendar (pure).

use chrono::{DateTime, Utc};

use crate::market::Session;
use crate::types::SessionDate;

/// What this run reconciles.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    /// Closed sessions to reconcile, oldest first.
    pub pending: Vec<Session>,
    /// `pending` is the last reconciled session again: a rerun the same evening.
    pub rerun: bool,
}

/// Every session that has closed by `now` since the last snapshot, oldest first, each once.
///
/// With no snapshot yet, only the latest closed session: its positions become the baseline.
/// When the latest closed session already has its snapshot and it is today's (New York date
/// `today`), it is reconciled again, so a rerun the same evening rewrites the same report; on
/// a later day it is left alone. `sessions` is the calendar from before the last snapshot
/// through today, in any order.
pub fn schedule(
    now: DateTime<Utc>,
    sessions: &[Session],
    today: SessionDate,
    last: Option<SessionDate>,
) -> Schedule {
    let mut closed: Vec<Session> = sessions
        .iter()
        .filter(|s| s.close <= now)
        .copied()
        .collect();
    closed.sort_by_key(|s| s.date);
    let Some(last) = last else {
        return Schedule {
            pending: closed.last().copied().into_iter().collect(),
            rerun: false,
        };
    };
    let pending: Vec<Session> = closed.iter().filter(|s| s.date > last).copied().collect();
    if pending.is_empty()
        && last == today
        && let Some(latest) = closed.last().filter(|s| s.date == last)
    {
        return Schedule {
            pending: vec![*latest],
            rerun: true,
        };
    }
    Schedule {
        pending,
        rerun: false,
    }
}

/// Whether a session after `date` has opened by `now`: then Alpaca's positions and prices
/// are no longer those of `date`'s close.
pub fn opened_since(date: SessionDate, now: DateTime<Utc>, sessions: &[Session]) -> bool {
    sessions.iter().any(|s| s.date > date && s.open <= now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, NaiveTime};

    fn session(date: &str) -> Session {
        let date: NaiveDate = date.parse().unwrap();
        Session::new(
            date,
            NaiveTime::from_hms_opt(9, 30, 0).unwrap(),
            NaiveTime::from_hms_opt(16, 0, 0).unwrap(),
        )
    }

    fn week() -> Vec<Session> {
        ["2026-11-30", "2026-12-01", "2026-12-02", "2026-12-03"]
            .map(session)
            .to_vec()
    }

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn d(s: &str) -> SessionDate {
        s.parse().unwrap()
    }

    fn dates(s: &Schedule) -> Vec<String> {
        s.pending.iter().map(|p| p.date.to_string()).collect()
    }

    #[test]
    fn every_closed_session_since_the_last_snapshot_oldest_first() {
        // Wednesday 16:15 ET, last snapshot Monday: Tuesday and Wednesday.
        let s = schedule(
            t("2026-12-02T21:15:00Z"),
            &week(),
            d("2026-12-02"),
            Some(d("2026-11-30")),
        );
        assert_eq!(dates(&s), ["2026-12-01", "2026-12-02"]);
        assert!(!s.rerun);
        // Wednesday 08:00 ET (the machine came back): Tuesday only; Wednesday is not closed.
        let s = schedule(
            t("2026-12-02T13:00:00Z"),
            &week(),
            d("2026-12-02"),
            Some(d("2026-11-30")),
        );
        assert_eq!(dates(&s), ["2026-12-01"]);
    }

    #[test]
    fn a_first_run_adopts_only_the_latest_closed_session() {
        let s = schedule(t("2026-12-02T21:15:00Z"), &week(), d("2026-12-02"), None);
        assert_eq!(dates(&s), ["2026-12-02"]);
        let s = schedule(t("2026-12-02T14:00:00Z"), &week(), d("2026-12-02"), None);
        assert_eq!(dates(&s), ["2026-12-01"]);
    }

    #[test]
    fn a_rerun_the_same_evening_redoes_the_last_one_but_not_the_next_morning() {
        let evening = t("2026-12-02T23:00:00Z");
        let s = schedule(evening, &week(), d("2026-12-02"), Some(d("2026-12-02")));
        assert_eq!(dates(&s), ["2026-12-02"]);
        assert!(s.rerun);
        let morning = t("2026-12-03T12:00:00Z");
        let s = schedule(morning, &week(), d("2026-12-03"), Some(d("2026-12-02")));
        assert!(s.pending.is_empty() && !s.rerun, "{s:?}");
    }

    #[test]
    fn a_session_counts_as_passed_once_the_next_one_opens() {
        let days = week();
        assert!(!opened_since(
            d("2026-12-01"),
            t("2026-12-02T14:00:00Z"),
            &days
        ));
        assert!(opened_since(
            d("2026-12-01"),
            t("2026-12-02T14:30:00Z"),
            &days
        ));
    }
}
