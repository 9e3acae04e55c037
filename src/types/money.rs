//! `Money`: a US-dollar amount, exact.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// An amount in US dollars, parsed from Alpaca's decimal strings and never through `f64`.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Money(#[serde(with = "rust_decimal::serde::str")] Decimal);

impl Money {
    /// Zero dollars.
    pub const ZERO: Money = Money(Decimal::ZERO);

    /// Wraps an amount.
    pub fn new(amount: Decimal) -> Self {
        Money(amount)
    }

    /// The amount.
    pub fn amount(self) -> Decimal {
        self.0
    }

    /// Formats with an explicit sign (`+$1,234.50`, `-$3.00`), for changes.
    pub fn signed(self) -> String {
        if self.0.is_sign_negative() && !self.0.is_zero() {
            format!("-{}", Money(-self.0))
        } else {
            format!("+{self}")
        }
    }
}

impl std::ops::Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        Money(self.0 - rhs.0)
    }
}

impl fmt::Display for Money {
    /// `$1,234.56`, rounded half away from zero to the cent.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cents = self
            .0
            .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
        let sign = if cents.is_sign_negative() && !cents.is_zero() {
            "-"
        } else {
            ""
        };
        let text = format!("{:.2}", cents.abs());
        let (whole, frac) = text.split_once('.').unwrap_or((&text, "00"));
        let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
        for (i, digit) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(digit);
        }
        f.pad(&format!("{sign}${grouped}.{frac}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn m(s: &str) -> Money {
        Money::new(Decimal::from_str(s).unwrap())
    }

    #[test]
    fn formats_with_grouping_and_cents() {
        assert_eq!(m("0").to_string(), "$0.00");
        assert_eq!(m("999.5").to_string(), "$999.50");
        assert_eq!(m("1234567.891").to_string(), "$1,234,567.89");
        assert_eq!(m("-1000.005").to_string(), "-$1,000.01");
        assert_eq!(m("122011.09751111286868").to_string(), "$122,011.10");
    }

    #[test]
    fn signed_shows_direction() {
        assert_eq!(m("12.3").signed(), "+$12.30");
        assert_eq!(m("-12.3").signed(), "-$12.30");
        assert_eq!(m("0").signed(), "+$0.00");
    }

    #[test]
    fn serializes_as_a_string() {
        assert_eq!(serde_json::to_string(&m("1.50")).unwrap(), "\"1.50\"");
        let back: Money = serde_json::from_str("\"100000.0001\"").unwrap();
        assert_eq!(back, m("100000.0001"));
    }
}
