//! Alpaca's JSON objects. Money and quantities are decimals parsed from Alpaca's strings.

mod account;
mod activity;
mod asset;
mod bar;
mod calendar;
mod clock;
mod order;
mod portfolio;
mod position;

pub use account::Account;
pub use activity::FillActivity;
pub use asset::Asset;
pub(crate) use bar::number as exact_number;
pub use bar::{Bar, BarsPage};
pub use calendar::CalendarDay;
pub use clock::Clock;
pub use order::{Order, OrderSide, OrderStatus};
pub use portfolio::PortfolioHistory;
pub use position::Position;

/// Serde helpers for Alpaca's decimal strings.
pub(crate) mod decimal_opt {
    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer};

    /// A decimal string that may be `null` or absent.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
        match Option::<String>::deserialize(d)? {
            Some(s) if !s.is_empty() => s.parse().map(Some).map_err(serde::de::Error::custom),
            _ => Ok(None),
        }
    }
}
