//! `GET /v2/positions`.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::types::{Money, Symbol};

/// An open position. Short positions have negative quantities and values.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Position {
    /// Ticker.
    pub symbol: Symbol,
    /// Asset UUID.
    pub asset_id: String,
    /// Shares (negative when short).
    #[serde(with = "rust_decimal::serde::str")]
    pub qty: Decimal,
    /// `long` or `short`.
    pub side: String,
    /// Average entry price.
    pub avg_entry_price: Money,
    /// Market value.
    #[serde(default, deserialize_with = "super::decimal_opt::deserialize")]
    pub market_value: Option<Decimal>,
    /// Cost basis.
    pub cost_basis: Money,
    /// Unrealized profit or loss.
    #[serde(default, deserialize_with = "super::decimal_opt::deserialize")]
    pub unrealized_pl: Option<Decimal>,
    /// Unrealized P&L as a fraction of cost.
    #[serde(default, deserialize_with = "super::decimal_opt::deserialize")]
    pub unrealized_plpc: Option<Decimal>,
    /// Latest price.
    #[serde(default, deserialize_with = "super::decimal_opt::deserialize")]
    pub current_price: Option<Decimal>,
    /// Previous close.
    #[serde(default, deserialize_with = "super::decimal_opt::deserialize")]
    pub lastday_price: Option<Decimal>,
}
