//! Sessions missing in the middle of stored histories, by Alpaca's calendar (shared by `fetch`,
//! which refills them, and preflight, which fails on one inside the lookback window).

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::history;
use crate::store::{Store, StoreError};
use crate::types::{SessionDate, Symbol};

/// For each of `symbols` with a gap, the sessions among `sessions` (ascending) missing between
/// its first and last stored bar in that range.
pub fn stored_gaps(
    store: &Store,
    symbols: &[Symbol],
    sessions: &[NaiveDate],
) -> Result<BTreeMap<Symbol, Vec<NaiveDate>>, StoreError> {
    let mut out = BTreeMap::new();
    let (Some(&from), Some(&to)) = (sessions.first(), sessions.last()) else {
        return Ok(out);
    };
    let spans = store.bar_spans(symbols, SessionDate::new(from), SessionDate::new(to))?;
    for (symbol, span) in spans {
        // Only a symbol with fewer bars than sessions in its span can have a gap: the rest cost
        // one count each.
        let lo = sessions.partition_point(|d| *d < span.first.date());
        let hi = sessions.partition_point(|d| *d <= span.last.date());
        if span.count >= (hi - lo) as u64 {
            continue;
        }
        let stored: Vec<NaiveDate> = store
            .bar_dates(&symbol, span.first, span.last)?
            .iter()
            .map(|d| d.date())
            .collect();
        let missing = history::gaps(sessions, &stored);
        if !missing.is_empty() {
            out.insert(symbol, missing);
        }
    }
    Ok(out)
}
