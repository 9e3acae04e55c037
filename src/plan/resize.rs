//! The second phase of sending a plan: once the sells are answered, the buys are re-sized to
//! what the account can pay for at that moment (pure).
//!
//! A sell Alpaca rejected, or whose answer never came, frees nothing; an accepted sell frees its
//! proceeds only once it fills, so until then only its reference value is counted, and only for
//! the plan's own sells (someone else's open sell may never fill).

use rust_decimal::{Decimal, RoundingStrategy};

use super::{PlannedOrder, Size};
use crate::types::Money;

/// The account's funds for buys, read after the sells were answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BuyFunds {
    /// Cash now.
    pub cash: Decimal,
    /// Buying power now, as Alpaca reports it (open buy orders already hold their part).
    pub buying_power: Decimal,
    /// What every open buy order in the account holds: anyone's, and this plan's already sent.
    pub open_buys: Decimal,
    /// The plan's sells Alpaca accepted and has not filled yet, at their reference prices.
    pub open_sells: Decimal,
}

impl BuyFunds {
    /// Dollars the unsent buys may use: cash after open buys plus the plan's pending sells (no
    /// leverage), never more than buying power.
    pub fn available(&self) -> Decimal {
        (self.cash - self.open_buys + self.open_sells)
            .min(self.buying_power)
            .max(Decimal::ZERO)
    }
}

/// What becomes of one unsent buy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resized {
    /// Sent as planned.
    Keep,
    /// Sent smaller; the note says why.
    Shrink {
        /// The new size.
        size: Size,
        /// Its value at the reference price.
        value: Money,
        /// Why.
        note: String,
    },
    /// Not sent: it no longer fits (nothing, or less than `orders.min_notional`, is left of it).
    Drop {
        /// Why.
        note: String,
    },
}

/// An order's value at its reference price, unrounded.
fn value(size: Size, price: Money) -> Decimal {
    match size {
        Size::Qty(q) => q * price.amount(),
        Size::Notional(n) => n.amount(),
    }
}

/// Fits the unsent `buys` into `available` dollars: all as planned when they fit, else each
/// shrunk by the same fraction (whole shares stay whole; dollars round down to the cent), and a
/// buy left below `min_notional` dropped. `why` says what changed since the plan was made.
pub fn resize(
    buys: &[&PlannedOrder],
    available: Decimal,
    min_notional: Decimal,
    why: &str,
) -> Vec<Resized> {
    let needed: Decimal = buys.iter().map(|o| value(o.size, o.reference_price)).sum();
    if needed <= available {
        return vec![Resized::Keep; buys.len()];
    }
    let can = format!(
        "the account can pay {} for buys now, not the {} planned ({why})",
        Money::new(available),
        Money::new(needed)
    );
    buys.iter()
        .map(|o| {
            let size = match o.size {
                Size::Qty(q) if q.fract().is_zero() => Size::Qty((q * available / needed).floor()),
                Size::Qty(q) => Size::Qty(
                    (q * available / needed).round_dp_with_strategy(9, RoundingStrategy::ToZero),
                ),
                Size::Notional(n) => Size::Notional(Money::new(
                    (n.amount() * available / needed)
                        .round_dp_with_strategy(2, RoundingStrategy::ToZero),
                )),
            };
            let after = value(size, o.reference_price);
            if after <= Decimal::ZERO || after < min_notional {
                return Resized::Drop {
                    note: format!("not sent: {can}; this buy no longer fits"),
                };
            }
            Resized::Shrink {
                size,
                value: Money::new(after.round_dp(2)),
                note: format!("shrunk from {} to {}: {can}", show(o.size), show(size)),
            }
        })
        .collect()
}

/// `132` shares or `$1,250.00`.
fn show(size: Size) -> String {
    match size {
        Size::Qty(q) => q.normalize().to_string(),
        Size::Notional(n) => n.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Side;
    use crate::types::ClientOrderId;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn buy(symbol: &str, size: Size, price: &str) -> PlannedOrder {
        PlannedOrder {
            symbol: symbol.parse().unwrap(),
            side: Side::Buy,
            size,
            reference_price: Money::new(d(price)),
            estimated_value: Money::new(value(size, Money::new(d(price)))),
            reason: String::new(),
            client_order_id: ClientOrderId::new(format!("t-{symbol}")).unwrap(),
        }
    }

    #[test]
    fn funds_count_open_buys_and_the_plans_open_sells_capped_by_buying_power() {
        let f = BuyFunds {
            cash: d("10000"),
            buying_power: d("50000"),
            open_buys: d("3000"),
            open_sells: d("4000"),
        };
        assert_eq!(f.available(), d("11000"));
        assert_eq!(
            BuyFunds {
                buying_power: d("2000"),
                ..f
            }
            .available(),
            d("2000")
        );
        assert_eq!(
            BuyFunds {
                open_buys: d("20000"),
                ..f
            }
            .available(),
            Decimal::ZERO
        );
    }

    #[test]
    fn buys_that_fit_are_kept_else_shrunk_alike_and_never_above_what_is_available() {
        let spy = buy("SPY", Size::Qty(d("100")), "100");
        let gld = buy("GLD", Size::Notional(Money::new(d("10000"))), "200");
        let buys = [&spy, &gld];
        assert_eq!(
            resize(&buys, d("20000"), d("100"), "x"),
            [Resized::Keep, Resized::Keep]
        );
        let out = resize(&buys, d("15000"), d("100"), "the TLT sell was rejected");
        let Resized::Shrink { size, note, .. } = &out[0] else {
            panic!("{out:?}")
        };
        assert_eq!(*size, Size::Qty(d("75")));
        assert_eq!(
            note,
            "shrunk from 100 to 75: the account can pay $15,000.00 for buys now, not the $20,000.00 planned (the TLT sell was rejected)"
        );
        let Resized::Shrink { size, .. } = &out[1] else {
            panic!("{out:?}")
        };
        assert_eq!(*size, Size::Notional(Money::new(d("7500"))));
    }

    #[test]
    fn a_buy_left_below_the_minimum_is_dropped() {
        let spy = buy("SPY", Size::Qty(d("3")), "100");
        let out = resize(&[&spy], d("150"), d("200"), "x");
        assert!(
            matches!(&out[0], Resized::Drop { note } if note.contains("no longer fits")),
            "{out:?}"
        );
        let out = resize(&[&spy], d("50"), d("1"), "x");
        assert!(matches!(&out[0], Resized::Drop { .. }), "{out:?}");
    }
}
