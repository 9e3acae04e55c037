//! `GET /v2/account/activities/FILL`.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::types::Symbol;

/// One execution (a partially filled order has several).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct FillActivity {
    /// `<time>::<uuid>`; also the paging token.
    pub id: String,
    /// When it executed.
    pub transaction_time: DateTime<Utc>,
    /// `fill` or `partial_fill`.
    #[serde(rename = "type")]
    pub fill_type: String,
    /// Execution price.
    #[serde(with = "rust_decimal::serde::str")]
    pub price: Decimal,
    /// Shares executed.
    #[serde(with = "rust_decimal::serde::str")]
    pub qty: Decimal,
    /// `buy`, `sell` or `sell_short`.
    pub side: String,
    /// Ticker.
    pub symbol: Symbol,
    /// The order it belongs to.
    pub order_id: String,
}

impl FillActivity {
    /// Shares, signed: positive for buys.
    pub fn signed_qty(&self) -> Decimal {
        if self.side == "buy" {
            self.qty
        } else {
            -self.qty
        }
    }
}
