//! Whether stored daily history can be trusted (pure): refetched bars against stored ones,
//! stored sessions against Alpaca's calendar, and the strategy's input against the broker's
//! current series.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::strategy::{Close, History, SkipReason, Skipped};
use crate::types::{Money, SessionDate, Symbol};

/// How far a refetched price may move from the stored one, as a fraction of the stored close,
/// and still be the same bar (0.1%): beyond it the history was corrected or re-adjusted.
pub const CORRECTION_TOLERANCE: Decimal = Decimal::from_parts(1, 0, 0, false, 3);

/// Whether a refetched bar's open, high, low or close moved from the stored one by more than
/// [`CORRECTION_TOLERANCE`] of the stored close. Both arrays are open, high, low, close.
pub fn differs(stored: [Money; 4], fresh: [Money; 4]) -> bool {
    let allowed = stored[3].amount().abs() * CORRECTION_TOLERANCE;
    stored
        .iter()
        .zip(fresh)
        .any(|(old, new)| (old.amount() - new.amount()).abs() > allowed)
}

/// Whether two closes are the same bar's within [`CORRECTION_TOLERANCE`].
fn same_close(stored: Money, broker: Money) -> bool {
    (stored.amount() - broker.amount()).abs() <= stored.amount().abs() * CORRECTION_TOLERANCE
}

/// The sessions (ascending) missing between the first and the last stored date (ascending):
/// a gap in the middle of a history. Sessions before the first stored bar are no gap (the
/// history starts there), nor those after the last (that is staleness).
pub fn gaps(sessions: &[NaiveDate], stored: &[NaiveDate]) -> Vec<NaiveDate> {
    let (Some(first), Some(last)) = (stored.first(), stored.last()) else {
        return Vec::new();
    };
    sessions
        .iter()
        .filter(|d| *d > first && *d < last && stored.binary_search(d).is_err())
        .copied()
        .collect()
}

/// A day-over-day close move beyond `risk.max_price_move` in a symbol's lookback window: real
/// only if the broker's current series shows it too.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Jump {
    /// Ticker.
    pub symbol: Symbol,
    /// The close before the move.
    pub from: Close,
    /// The close after it.
    pub to: Close,
}

impl Jump {
    /// The move as a fraction of the earlier close.
    fn size(&self) -> Decimal {
        move_between(self.from.price, self.to.price)
    }
}

fn move_between(from: Money, to: Money) -> Decimal {
    if from.amount().is_zero() {
        return Decimal::MAX;
    }
    (to.amount() - from.amount()) / from.amount()
}

fn pct(f: Decimal) -> String {
    format!("{:+.1}%", (f * Decimal::ONE_HUNDRED).round_dp(1))
}

/// The moves beyond `max_move` between consecutive stored closes whose later close falls in the
/// window (from `window_start` on): the ones to confirm with the broker.
pub fn jumps(history: &History, window_start: SessionDate, max_move: Decimal) -> Vec<Jump> {
    history
        .iter()
        .flat_map(|(symbol, closes)| symbol_jumps(symbol, closes, window_start, max_move))
        .collect()
}

fn symbol_jumps<'a>(
    symbol: &'a Symbol,
    closes: &'a [Close],
    window_start: SessionDate,
    max_move: Decimal,
) -> impl Iterator<Item = Jump> + 'a {
    closes
        .windows(2)
        .map(|pair| Jump {
            symbol: symbol.clone(),
            from: pair[0],
            to: pair[1],
        })
        .filter(move |j| j.to.date >= window_start && j.size().abs() > max_move)
}

/// Whether the broker's current series shows `last` (a symbol's last stored close) within
/// [`CORRECTION_TOLERANCE`]. The last close sizes orders before the open: a split or a dividend
/// adjustment overnight changes Alpaca's series (and a held position's quantity) without adding
/// a bar, so a store that is merely up to date may still be on the old scale.
fn last_close_confirmed(last: &Close, broker: Option<&BTreeMap<SessionDate, Money>>) -> bool {
    broker
        .and_then(|b| b.get(&last.date))
        .is_some_and(|now| same_close(last.price, *now))
}

/// The symbols whose last stored close the broker's current series (`broker`, which must hold
/// each symbol's last stored session) no longer shows: their stored history is to be refetched
/// whole before it is planned from.
pub fn moved_last_closes(
    history: &History,
    broker: &BTreeMap<Symbol, BTreeMap<SessionDate, Money>>,
) -> Vec<Symbol> {
    history
        .iter()
        .filter(|(symbol, closes)| {
            closes
                .last()
                .is_some_and(|last| !last_close_confirmed(last, broker.get(*symbol)))
        })
        .map(|(symbol, _)| symbol.clone())
        .collect()
}

/// What the check knows besides the stored closes.
#[derive(Clone, Debug)]
pub struct Facts<'a> {
    /// Alpaca's sessions of the lookback window, ascending; the last is the previous session.
    pub window: &'a [SessionDate],
    /// `risk.max_price_move`.
    pub max_move: Decimal,
    /// The broker's current closes (in the configured feed and adjustment) for each symbol's last
    /// stored session and the sessions of each [`Jump`], by symbol.
    pub broker: &'a BTreeMap<Symbol, BTreeMap<SessionDate, Money>>,
}

/// The symbols whose stored history is not fit to plan from, each with its reason: the last
/// bar is not the previous session's (`history_stale`), a session of the window is missing
/// (`history_gap`), or the last close or a move beyond `max_move` is not in the broker's current
/// series (`history_inconsistent`: a split or a correction the store has not caught up with). A
/// symbol with no stored closes is left to the strategy (too little history).
pub fn check(history: &History, facts: &Facts<'_>) -> Vec<Skipped> {
    let (Some(&window_start), Some(&previous)) = (facts.window.first(), facts.window.last()) else {
        return Vec::new();
    };
    let window: Vec<NaiveDate> = facts.window.iter().map(|d| d.date()).collect();
    let mut out = Vec::new();
    for (symbol, closes) in history {
        let Some(last) = closes.last() else {
            continue;
        };
        let skip = |reason, detail| Skipped {
            symbol: symbol.clone(),
            reason,
            detail,
        };
        if last.date != previous {
            out.push(skip(
                SkipReason::HistoryStale,
                format!(
                    "the last stored bar is {}, not the previous session {previous}",
                    last.date
                ),
            ));
            continue;
        }
        let stored: Vec<NaiveDate> = closes.iter().map(|c| c.date.date()).collect();
        let missing = gaps(&window, &stored);
        if !missing.is_empty() {
            let list: Vec<String> = missing.iter().map(ToString::to_string).collect();
            out.push(skip(
                SkipReason::HistoryGap,
                format!("no stored bar for {}", list.join(", ")),
            ));
            continue;
        }
        let broker = facts.broker.get(symbol);
        if !last_close_confirmed(last, broker) {
            let now = broker
                .and_then(|b| b.get(&last.date))
                .map_or("no bar".to_owned(), ToString::to_string);
            out.push(skip(
                SkipReason::HistoryInconsistent,
                format!(
                    "the last stored close {} on {} is {now} in Alpaca's current series (a split \
                     or correction since the last fetch); `aurora fetch --full --symbols {symbol}` \
                     refetches it",
                    last.price, last.date
                ),
            ));
            continue;
        }
        let mut unconfirmed =
            symbol_jumps(symbol, closes, window_start, facts.max_move).filter(|j| {
                let now = |c: &Close| broker.and_then(|b| b.get(&c.date)).copied();
                !matches!(
                    (now(&j.from), now(&j.to)),
                    (Some(a), Some(b)) if same_close(j.from.price, a) && same_close(j.to.price, b)
                )
            });
        if let Some(j) = unconfirmed.next() {
            let now = |c: &Close| {
                broker
                    .and_then(|b| b.get(&c.date))
                    .map_or("none".to_owned(), ToString::to_string)
            };
            out.push(skip(
                SkipReason::HistoryInconsistent,
                format!(
                    "close {} on {} → {} on {} ({}, beyond max_price_move {}) is not in Alpaca's \
                     current series ({} → {}); `aurora fetch --full --symbols {symbol}` refetches it",
                    j.from.price,
                    j.from.date,
                    j.to.price,
                    j.to.date,
                    pct(j.size()),
                    facts.max_move,
                    now(&j.from),
                    now(&j.to),
                ),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }
    fn m(s: &str) -> Money {
        Money::new(s.parse().unwrap())
    }
    fn sym(s: &str) -> Symbol {
        s.parse().unwrap()
    }

    /// Sessions from 2026-11-16 (Thanksgiving and weekends left out).
    fn sessions() -> Vec<SessionDate> {
        [
            "2026-11-16",
            "2026-11-17",
            "2026-11-18",
            "2026-11-19",
            "2026-11-20",
            "2026-11-23",
            "2026-11-24",
            "2026-11-25",
            "2026-11-27",
        ]
        .iter()
        .map(|s| SessionDate::new(d(s)))
        .collect()
    }

    /// SPY's closes, one per session, from the prices given.
    fn spy(prices: &[&str]) -> History {
        let closes = sessions()
            .into_iter()
            .zip(prices)
            .map(|(date, p)| Close { date, price: m(p) })
            .collect();
        History::from([(sym("SPY"), closes)])
    }

    fn broker(prices: &[(&str, &str)]) -> BTreeMap<Symbol, BTreeMap<SessionDate, Money>> {
        let closes = prices
            .iter()
            .map(|(date, p)| (SessionDate::new(d(date)), m(p)))
            .collect();
        BTreeMap::from([(sym("SPY"), closes)])
    }

    const STEADY: [&str; 9] = [
        "100", "101", "102", "101", "103", "104", "105", "104", "106",
    ];

    #[test]
    fn a_move_within_the_tolerance_is_the_same_bar() {
        let bar = |c: &str| [m("100"), m("101"), m("99"), m(c)];
        assert!(!differs(bar("100"), bar("100.1")), "0.1% is within");
        assert!(differs(bar("100"), bar("100.11")), "just beyond 0.1%");
        assert!(differs(bar("100"), bar("50")), "a 2:1 split");
        // The high alone was corrected: that is a correction too.
        assert!(differs(bar("100"), [m("100"), m("103"), m("99"), m("100")]));
        assert_eq!(CORRECTION_TOLERANCE.to_string(), "0.001");
    }

    #[test]
    fn gaps_are_sessions_missing_between_stored_ones() {
        let all: Vec<NaiveDate> = sessions().iter().map(|s| s.date()).collect();
        let stored = [
            d("2026-11-17"),
            d("2026-11-18"),
            d("2026-11-23"),
            d("2026-11-24"),
        ];
        assert_eq!(gaps(&all, &stored), [d("2026-11-19"), d("2026-11-20")]);
        // Before the first and after the last stored bar: no gap.
        assert!(gaps(&all, &[d("2026-11-18"), d("2026-11-19")]).is_empty());
        assert!(gaps(&all, &[]).is_empty());
        // Thanksgiving (2026-11-26) is no session, so no gap.
        assert!(gaps(&all, &[d("2026-11-25"), d("2026-11-27")]).is_empty());
    }

    #[test]
    fn a_jump_the_broker_does_not_show_is_inconsistent() {
        // The store mixes scales: a 2:1 split on 2026-11-23 was not re-adjusted.
        let h = spy(&["100", "101", "102", "101", "103", "52", "52.5", "52", "53"]);
        let window = sessions();
        let found = jumps(&h, window[0], Decimal::new(25, 2));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].to.date.to_string(), "2026-11-23");
        // Alpaca's adjusted series today: 51.5 → 52, no jump.
        let b = broker(&[
            ("2026-11-20", "51.5"),
            ("2026-11-23", "52"),
            ("2026-11-27", "53"),
        ]);
        let facts = Facts {
            window: &window,
            max_move: Decimal::new(25, 2),
            broker: &b,
        };
        let skipped = check(&h, &facts);
        assert_eq!(skipped.len(), 1);
        assert_eq!(skipped[0].reason, SkipReason::HistoryInconsistent);
        assert_eq!(
            skipped[0].to_string(),
            "SPY: history_inconsistent: close $103.00 on 2026-11-20 → $52.00 on 2026-11-23 \
             (-49.5%, beyond max_price_move 0.25) is not in Alpaca's current series \
             ($51.50 → $52.00); `aurora fetch --full --symbols SPY` refetches it; left alone"
        );
    }

    #[test]
    fn a_jump_the_broker_confirms_is_real() {
        let h = spy(&["100", "101", "102", "101", "103", "52", "52.5", "52", "53"]);
        let window = sessions();
        let b = broker(&[
            ("2026-11-20", "103"),
            ("2026-11-23", "52.02"),
            ("2026-11-27", "53"),
        ]);
        let facts = Facts {
            window: &window,
            max_move: Decimal::new(25, 2),
            broker: &b,
        };
        assert!(
            check(&h, &facts).is_empty(),
            "a crash the broker shows is data"
        );
        // No broker bars at all: not confirmed.
        let none = BTreeMap::new();
        let facts = Facts {
            broker: &none,
            ..facts
        };
        assert_eq!(check(&h, &facts)[0].reason, SkipReason::HistoryInconsistent);
    }

    #[test]
    fn moves_within_max_price_move_or_before_the_window_need_no_word() {
        let h = spy(&[
            "100", "300", "301", "302", "303", "304", "305", "306", "307",
        ]);
        let window = sessions();
        // The jump lands on 2026-11-17; a window from 2026-11-18 does not see it.
        assert!(jumps(&h, window[2], Decimal::new(25, 2)).is_empty());
        assert_eq!(jumps(&h, window[1], Decimal::new(25, 2)).len(), 1);
        let steady = spy(&STEADY);
        assert!(jumps(&steady, window[0], Decimal::new(25, 2)).is_empty());
    }

    #[test]
    fn a_last_close_the_broker_no_longer_shows_is_inconsistent() {
        // A 2:1 split went ex overnight: Alpaca's series halved, nothing new was stored.
        let h = spy(&STEADY);
        let window = sessions();
        let halved = broker(&[("2026-11-27", "53")]);
        assert_eq!(moved_last_closes(&h, &halved), [sym("SPY")]);
        let facts = Facts {
            window: &window,
            max_move: Decimal::new(25, 2),
            broker: &halved,
        };
        let skipped = check(&h, &facts);
        assert_eq!(skipped.len(), 1);
        assert_eq!(
            skipped[0].to_string(),
            "SPY: history_inconsistent: the last stored close $106.00 on 2026-11-27 is $53.00 in \
             Alpaca's current series (a split or correction since the last fetch); `aurora fetch \
             --full --symbols SPY` refetches it; left alone"
        );
        // Within the tolerance it is the same bar; no bar at all is not confirmed.
        let same = broker(&[("2026-11-27", "106.1")]);
        assert!(moved_last_closes(&h, &same).is_empty());
        assert!(
            check(
                &h,
                &Facts {
                    broker: &same,
                    ..facts.clone()
                }
            )
            .is_empty()
        );
        let none = BTreeMap::new();
        assert_eq!(moved_last_closes(&h, &none), [sym("SPY")]);
        assert_eq!(
            check(
                &h,
                &Facts {
                    broker: &none,
                    ..facts
                }
            )
            .len(),
            1,
            "not confirmed"
        );
    }

    #[test]
    fn stale_and_gappy_histories_are_named() {
        let window = sessions();
        let last = broker(&[("2026-11-27", "106")]);
        let facts = Facts {
            window: &window,
            max_move: Decimal::new(25, 2),
            broker: &last,
        };
        assert!(check(&spy(&STEADY), &facts).is_empty());
        // The last session is missing.
        let stale = spy(&STEADY[..8]);
        let s = &check(&stale, &facts)[0];
        assert_eq!(s.reason, SkipReason::HistoryStale);
        assert_eq!(
            s.detail,
            "the last stored bar is 2026-11-25, not the previous session 2026-11-27"
        );
        // 2026-11-19 is missing in the middle.
        let mut gappy = spy(&STEADY);
        gappy.get_mut(&sym("SPY")).unwrap().remove(3);
        let s = &check(&gappy, &facts)[0];
        assert_eq!(s.reason, SkipReason::HistoryGap);
        assert_eq!(s.detail, "no stored bar for 2026-11-19");
        // No history at all is the strategy's to judge.
        let empty = History::from([(sym("SPY"), Vec::new())]);
        assert!(check(&empty, &facts).is_empty());
    }
}
