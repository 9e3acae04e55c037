//! Which sessions to ask for, per symbol, in as few requests as the API allows (pure).

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::types::{SessionDate, Symbol};

/// The symbols param is kept well under common 8 KB URL limits.
pub const SYMBOLS_PARAM_BUDGET: usize = 4_000;

/// One multi-symbol request series (paged): these symbols over `start..=end`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batch {
    /// First session asked for.
    pub start: NaiveDate,
    /// Last session asked for.
    pub end: NaiveDate,
    /// Symbols, sorted.
    pub symbols: Vec<Symbol>,
}

/// The fetch plan.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Requests to make.
    pub batches: Vec<Batch>,
    /// Symbols already holding the last session: nothing to ask.
    pub up_to_date: Vec<Symbol>,
}

/// What to fetch.
#[derive(Clone, Debug)]
pub struct Want<'a> {
    /// Symbols.
    pub symbols: &'a [Symbol],
    /// Completed sessions up to and including the last one to fetch, ascending.
    pub sessions: &'a [NaiveDate],
    /// Last stored session per symbol.
    pub stored: &'a BTreeMap<Symbol, SessionDate>,
    /// Sessions to backfill for a symbol with no history.
    pub history: u32,
    /// Stored sessions to refetch before the first missing one.
    pub overlap: u32,
    /// `--start`: fetch from here for every symbol.
    pub start: Option<NaiveDate>,
    /// `--full`: ignore what is stored.
    pub full: bool,
    /// The first session missing in the middle of a symbol's stored history (a gap to refill).
    pub gaps: &'a BTreeMap<Symbol, NaiveDate>,
}

/// Requests for symbols grouped by their first session, each through `end`: symbols that need
/// the same window share paged requests, split to keep the `symbols` parameter short.
pub fn batches(by_start: BTreeMap<NaiveDate, Vec<Symbol>>, end: NaiveDate) -> Vec<Batch> {
    let mut batches = Vec::new();
    for (start, mut symbols) in by_start {
        symbols.sort();
        let mut current: Vec<Symbol> = Vec::new();
        let mut len = 0;
        for s in symbols {
            let add = s.as_str().len() + usize::from(!current.is_empty());
            if !current.is_empty() && len + add > SYMBOLS_PARAM_BUDGET {
                batches.push(Batch {
                    start,
                    end,
                    symbols: std::mem::take(&mut current),
                });
                len = 0;
            }
            len += s.as_str().len() + usize::from(!current.is_empty());
            current.push(s);
        }
        if !current.is_empty() {
            batches.push(Batch {
                start,
                end,
                symbols: current,
            });
        }
    }
    batches
}

/// Plans the requests: symbols that need the same window share paged requests.
pub fn plan(want: &Want<'_>) -> Plan {
    let Some(&end) = want.sessions.last() else {
        return Plan::default();
    };
    let backfill = want.sessions[want.sessions.len().saturating_sub(want.history as usize)];
    let mut by_start: BTreeMap<NaiveDate, Vec<Symbol>> = BTreeMap::new();
    let mut up_to_date = Vec::new();
    for symbol in want.symbols {
        let start = match (want.start, want.full, want.stored.get(symbol)) {
            (Some(start), _, _) => start,
            (None, true, _) | (None, false, None) => backfill,
            (None, false, Some(last)) => {
                let first_missing = want.sessions.partition_point(|d| *d <= last.date());
                let gap = want.gaps.get(symbol).copied();
                if first_missing == want.sessions.len() && gap.is_none() {
                    up_to_date.push(symbol.clone());
                    continue;
                }
                let next = want
                    .sessions
                    .get(first_missing.saturating_sub(want.overlap as usize))
                    .copied()
                    .unwrap_or(end);
                gap.map_or(next, |g| g.min(next))
            }
        };
        if start <= end {
            by_start.entry(start).or_default().push(symbol.clone());
        }
    }
    let batches = batches(by_start, end);
    Plan {
        batches,
        up_to_date,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }
    fn sym(s: &str) -> Symbol {
        s.parse().unwrap()
    }

    // The sessions around Thanksgiving 2026.
    fn sessions() -> Vec<NaiveDate> {
        [
            "2026-11-20",
            "2026-11-23",
            "2026-11-24",
            "2026-11-25",
            "2026-11-27",
            "2026-11-30",
        ]
        .iter()
        .map(|s| d(s))
        .collect()
    }

    fn want<'a>(
        symbols: &'a [Symbol],
        sessions: &'a [NaiveDate],
        stored: &'a BTreeMap<Symbol, SessionDate>,
    ) -> Want<'a> {
        Want {
            symbols,
            sessions,
            stored,
            history: 4,
            overlap: 0,
            start: None,
            full: false,
            gaps: &NO_GAPS,
        }
    }

    static NO_GAPS: BTreeMap<Symbol, NaiveDate> = BTreeMap::new();

    #[test]
    fn a_gap_is_refetched_from_its_first_missing_session() {
        let symbols = vec![sym("SPY"), sym("TLT")];
        let sessions = sessions();
        let stored = BTreeMap::from([
            (sym("SPY"), SessionDate::new(d("2026-11-30"))),
            (sym("TLT"), SessionDate::new(d("2026-11-27"))),
        ]);
        let gaps = BTreeMap::from([(sym("SPY"), d("2026-11-24")), (sym("TLT"), d("2026-11-23"))]);
        let mut w = want(&symbols, &sessions, &stored);
        w.gaps = &gaps;
        let p = plan(&w);
        assert!(p.up_to_date.is_empty(), "SPY is current but has a gap");
        let starts: Vec<(NaiveDate, Vec<Symbol>)> = p
            .batches
            .into_iter()
            .map(|b| (b.start, b.symbols))
            .collect();
        assert_eq!(
            starts,
            [
                (d("2026-11-23"), vec![sym("TLT")]),
                (d("2026-11-24"), vec![sym("SPY")])
            ]
        );
    }

    #[test]
    fn new_symbols_backfill_history_sessions_in_one_batch() {
        let (symbols, sessions, stored) =
            (vec![sym("SPY"), sym("QQQ")], sessions(), BTreeMap::new());
        let p = plan(&want(&symbols, &sessions, &stored));
        assert_eq!(
            p.batches,
            [Batch {
                start: d("2026-11-24"),
                end: d("2026-11-30"),
                symbols: vec![sym("QQQ"), sym("SPY")]
            }]
        );
    }

    #[test]
    fn incremental_asks_only_for_missing_sessions_plus_overlap() {
        let symbols = vec![sym("SPY"), sym("TLT"), sym("GLD")];
        let sessions = sessions();
        let stored = BTreeMap::from([
            (sym("SPY"), SessionDate::new(d("2026-11-27"))),
            (sym("TLT"), SessionDate::new(d("2026-11-30"))),
        ]);
        let mut w = want(&symbols, &sessions, &stored);
        let p = plan(&w);
        assert_eq!(p.up_to_date, [sym("TLT")]);
        assert_eq!(
            p.batches[0],
            Batch {
                start: d("2026-11-24"),
                end: d("2026-11-30"),
                symbols: vec![sym("GLD")]
            }
        );
        assert_eq!(
            p.batches[1],
            Batch {
                start: d("2026-11-30"),
                end: d("2026-11-30"),
                symbols: vec![sym("SPY")]
            }
        );
        // One session of overlap starts at the last stored one; the holiday is no gap.
        w.overlap = 1;
        assert_eq!(plan(&w).batches[1].start, d("2026-11-27"));
    }

    #[test]
    fn full_and_explicit_start_ignore_what_is_stored() {
        let symbols = vec![sym("SPY")];
        let sessions = sessions();
        let stored = BTreeMap::from([(sym("SPY"), SessionDate::new(d("2026-11-30")))]);
        let mut w = want(&symbols, &sessions, &stored);
        w.full = true;
        assert_eq!(plan(&w).batches[0].start, d("2026-11-24"));
        w.start = Some(d("2026-11-02"));
        assert_eq!(plan(&w).batches[0].start, d("2026-11-02"));
    }

    #[test]
    fn large_universes_split_to_keep_urls_short() {
        let many: Vec<Symbol> = (0..1500u32)
            .map(|i| {
                let s: String = [i / 676, i / 26 % 26, i % 26]
                    .iter()
                    .map(|n| char::from(b'A' + *n as u8))
                    .collect();
                sym(&format!("X{s}"))
            })
            .collect();
        let sessions = sessions();
        let stored = BTreeMap::new();
        let p = plan(&want(&many, &sessions, &stored));
        assert!(p.batches.len() >= 2);
        let total: usize = p.batches.iter().map(|b| b.symbols.len()).sum();
        assert_eq!(total, many.len());
        for b in &p.batches {
            let param: usize = b
                .symbols
                .iter()
                .map(|s| s.as_str().len() + 1)
                .sum::<usize>()
                - 1;
            assert!(param <= SYMBOLS_PARAM_BUDGET, "{param}");
        }
    }
}
