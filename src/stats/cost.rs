//! Average-cost bookkeeping: positions and realized gains from executions, as Alpaca's
//! `avg_entry_price` and `unrealized_pl` count them.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::{Execution, Lot};
use crate::types::Symbol;

/// The positions after a run of executions, with what their sells realized.
#[derive(Debug, Default)]
pub(super) struct Book {
    /// Open positions by symbol.
    pub lots: BTreeMap<Symbol, Lot>,
    /// Gains and losses closed, before fees.
    pub realized: Decimal,
    /// Executions that reduced a position.
    pub round_trips: u32,
    /// Those that closed at a gain.
    pub wins: u32,
}

/// Applies `executions`, in order, to the `opening` positions.
///
/// A buy onto a long position (or a sell onto a short one) averages its price into the cost;
/// an execution against the position closes shares at the average cost, realizing
/// `(price − cost) × shares` (reversed for a short) and counting one round trip; what goes
/// past zero opens the other way at the execution's price.
pub(super) fn replay(opening: &[Lot], executions: &[Execution]) -> Book {
    let mut book = Book {
        lots: opening
            .iter()
            .filter(|l| !l.qty.is_zero())
            .map(|l| (l.symbol.clone(), l.clone()))
            .collect(),
        ..Book::default()
    };
    for e in executions {
        let lot = book.lots.entry(e.symbol.clone()).or_insert_with(|| Lot {
            symbol: e.symbol.clone(),
            qty: Decimal::ZERO,
            cost: Decimal::ZERO,
        });
        let delta = e.signed_qty();
        let same_way = lot.qty.is_zero() || (lot.qty > Decimal::ZERO) == (delta > Decimal::ZERO);
        if same_way {
            let total = lot.qty + delta;
            if !total.is_zero() {
                lot.cost = (lot.qty.abs() * lot.cost + delta.abs() * e.price) / total.abs();
            }
            lot.qty = total;
        } else {
            let closed = delta.abs().min(lot.qty.abs());
            let gain = if lot.qty > Decimal::ZERO {
                (e.price - lot.cost) * closed
            } else {
                (lot.cost - e.price) * closed
            };
            book.realized += gain;
            book.round_trips += 1;
            if gain > Decimal::ZERO {
                book.wins += 1;
            }
            let remaining = lot.qty + delta;
            if !remaining.is_zero() && (remaining > Decimal::ZERO) != (lot.qty > Decimal::ZERO) {
                lot.cost = e.price;
            }
            lot.qty = remaining;
        }
        if lot.qty.is_zero() {
            book.lots.remove(&e.symbol);
        }
    }
    book
}

/// The positions, with average costs, after `executions` are applied to `opening`: the
/// opening positions of a later period.
pub fn lots_after(opening: &[Lot], executions: &[Execution]) -> Vec<Lot> {
    replay(opening, executions).lots.into_values().collect()
}
