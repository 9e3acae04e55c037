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
    /// Trading blocked by Alpaca (`None`: Alpaca did not say, which blocks too).
    #[serde(default)]
    pub trading_blocked: Option<bool>,
    /// Whole account blocked (`None`: not said).
    #[serde(default)]
    pub account_blocked: Option<bool>,
    /// Trading suspended by the account owner (`None`: not said).
    #[serde(default)]
    pub trade_suspended_by_user: Option<bool>,
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
    /// Why the account may not trade, one item per reason (empty when it may): a status other
    /// than `ACTIVE`, a blocking flag set, or a blocking flag missing from Alpaca's answer (fail
    /// closed: an unknown is not a yes). Preflight's account check and `trade` both use this.
    pub fn trading_blockers(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.status != "ACTIVE" {
            out.push(format!("status is {}", self.status));
        }
        for (name, flag) in [
            ("trading_blocked", self.trading_blocked),
            ("account_blocked", self.account_blocked),
            ("trade_suspended_by_user", self.trade_suspended_by_user),
        ] {
            match flag {
                Some(false) => {}
                Some(true) => out.push(name.to_owned()),
                None => out.push(format!("{name} is missing")),
            }
        }
        out
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    fn account(fields: &str) -> Account {
        serde_json::from_str(&format!(
            r#"{{"id":"x","account_number":"PA1","cash":"1","buying_power":"1","equity":"1",
               "last_equity":"1","created_at":null,{fields}}}"#
        ))
        .unwrap()
    }

    const CLEAR: &str =
        r#""trading_blocked":false,"account_blocked":false,"trade_suspended_by_user":false"#;

    #[test]
    fn an_active_account_with_every_flag_clear_may_trade() {
        assert!(
            account(&format!(r#""status":"ACTIVE",{CLEAR}"#))
                .trading_blockers()
                .is_empty()
        );
    }

    #[test]
    fn each_blocker_is_named_and_a_missing_flag_fails_closed() {
        let a = account(&format!(r#""status":"ACCOUNT_CLOSED",{CLEAR}"#));
        assert_eq!(a.trading_blockers(), ["status is ACCOUNT_CLOSED"]);
        let a =
            account(r#""status":"ACTIVE","trading_blocked":true,"trade_suspended_by_user":false"#);
        assert_eq!(
            a.trading_blockers(),
            ["trading_blocked", "account_blocked is missing"]
        );
    }
}
