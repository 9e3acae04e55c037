//! `Symbol`: a ticker as Alpaca spells it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A ticker symbol (`SPY`, `BRK.B`, `BTC/USD`).
///
/// `FromStr` validates what an operator types; deserializing trusts the broker, whose
/// positions may hold instruments (options, for one) that Aurora never trades itself.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Symbol(String);

/// Why a string is not a valid symbol.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid symbol {0:?}: use 1 to 21 uppercase letters, '.' or '/' (e.g. SPY, BRK.B)")]
pub struct SymbolError(pub String);

impl Symbol {
    /// The symbol as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Symbol {
    type Err = SymbolError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let ok = (1..=21).contains(&s.len())
            && s.starts_with(|c: char| c.is_ascii_uppercase())
            && s.chars()
                .all(|c| c.is_ascii_uppercase() || c == '.' || c == '/');
        if ok {
            Ok(Symbol(s.to_owned()))
        } else {
            Err(SymbolError(s.to_owned()))
        }
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_alpaca_symbols() {
        for s in ["SPY", "BRK.B", "BTC/USD", "A"] {
            assert_eq!(s.parse::<Symbol>().unwrap().as_str(), s);
        }
    }

    #[test]
    fn rejects_lowercase_digits_and_empty() {
        for s in ["", "spy", "SPY1", ".SPY", "S Y", "ABCDEFGHIJKLMNOPQRSTUV"] {
            assert!(s.parse::<Symbol>().is_err(), "{s:?} should be rejected");
        }
    }
}
