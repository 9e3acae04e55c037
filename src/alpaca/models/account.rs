//! `GET /v2/account`.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::types::Money;

/// The trading account. PDT-era fields (deprecated 2026) are deliberately not modelled.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Account {
    /// Account UUID.
    pub id: String,
    /// Human account number (`PA…` on paper).
    pub account_number: String,
    /// `ACTIVE` when the account may trade.
    pub status: String,
    /// `USD`.
    #[serde(default)]
    pub currency: String,
    /// Cash.
    pub cash: Money,
    /// Buying power.
    pub buying_power: Money,
    /// Cash + long market value + short market value.
    pub equity: Money,
    /// Equity at the previous session's close.
    pub last_equity: Money,
    /// Long positions' market value.
    #[serde(default)]
    pub long_market_value: Money,
    /// Short positions' market value (≤ 0).
    #[serde(default)]
    pub short_market_value: Money,
    /// Margin multiplier (`1`, `2`, `4`).
    #[serde(default = "one", with = "rust_decimal::serde::str")]
    pub multiplier: Decimal,
    /// Trading blocked by Alpaca.
    #[serde(default)]
    pub trading_blocked: bool,
    /// Whole account blocked.
    #[serde(default)]
    pub account_blocked: bool,
    /// Trading suspended by the account owner.
    #[serde(default)]
    pub trade_suspended_by_user: bool,
    /// Shorting allowed.
    #[serde(default)]
    pub shorting_enabled: bool,
    /// Opened at.
    pub created_at: Option<DateTime<Utc>>,
}

fn one() -> Decimal {
    Decimal::ONE
}

impl Account {
    /// Equity change since the previous close.
    pub fn day_change(&self) -> Money {
        self.equity - self.last_equity
    }

    /// Day change as a fraction of last equity (`None` when last equity is zero).
    pub fn day_change_fraction(&self) -> Option<Decimal> {
        let last = self.last_equity.amount();
        (!last.is_zero()).then(|| self.day_change().amount() / last)
    }
}
