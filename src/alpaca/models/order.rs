//! `GET /v2/orders`.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::types::Symbol;

/// An order as Alpaca reports it.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Order {
    /// Order UUID.
    pub id: String,
    /// The submitter's id (Aurora's are deterministic).
    pub client_order_id: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: Option<DateTime<Utc>>,
    /// Submitted.
    pub submitted_at: Option<DateTime<Utc>>,
    /// Completely filled at.
    pub filled_at: Option<DateTime<Utc>>,
    /// Ticker.
    pub symbol: Symbol,
    /// Shares (null for notional orders).
    #[serde(default, deserialize_with = "super::decimal_opt::deserialize")]
    pub qty: Option<Decimal>,
    /// Dollars (notional orders).
    #[serde(default, deserialize_with = "super::decimal_opt::deserialize")]
    pub notional: Option<Decimal>,
    /// Shares filled so far.
    #[serde(with = "rust_decimal::serde::str")]
    pub filled_qty: Decimal,
    /// Average fill price.
    #[serde(default, deserialize_with = "super::decimal_opt::deserialize")]
    pub filled_avg_price: Option<Decimal>,
    /// `market`, `limit`, …
    #[serde(rename = "type")]
    pub order_type: String,
    /// Buy or sell.
    pub side: OrderSide,
    /// `day`, `opg`, …
    pub time_in_force: String,
    /// Limit price.
    #[serde(default, deserialize_with = "super::decimal_opt::deserialize")]
    pub limit_price: Option<Decimal>,
    /// Lifecycle state.
    pub status: OrderStatus,
}

/// Order side.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OrderSide {
    /// Buy.
    Buy,
    /// Sell.
    Sell,
}

impl OrderSide {
    /// `buy` or `sell`.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderSide::Buy => "buy",
            OrderSide::Sell => "sell",
        }
    }
}

/// Order lifecycle states; values Alpaca adds later read as `Unknown` rather than failing.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Routed, working.
    New,
    /// Partly filled, working.
    PartiallyFilled,
    /// Filled.
    Filled,
    /// Done for today (GTC).
    DoneForDay,
    /// Canceled.
    Canceled,
    /// Expired (day orders at the close).
    Expired,
    /// Replaced by another order.
    Replaced,
    /// Cancel requested.
    PendingCancel,
    /// Replace requested.
    PendingReplace,
    /// Accepted, waiting for the open.
    Accepted,
    /// Being routed.
    PendingNew,
    /// Accepted for bidding.
    AcceptedForBidding,
    /// Stopped.
    Stopped,
    /// Rejected.
    Rejected,
    /// Suspended.
    Suspended,
    /// Calculated.
    Calculated,
    /// Held (bracket legs).
    Held,
    /// A state this version does not know.
    #[serde(other)]
    Unknown,
}

impl OrderStatus {
    /// Whether the order can no longer trade (filled, canceled, expired, rejected or replaced).
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            OrderStatus::Filled
                | OrderStatus::Canceled
                | OrderStatus::Expired
                | OrderStatus::Rejected
                | OrderStatus::Replaced
        )
    }

    /// Alpaca's name for the state.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::New => "new",
            OrderStatus::PartiallyFilled => "partially_filled",
            OrderStatus::Filled => "filled",
            OrderStatus::DoneForDay => "done_for_day",
            OrderStatus::Canceled => "canceled",
            OrderStatus::Expired => "expired",
            OrderStatus::Replaced => "replaced",
            OrderStatus::PendingCancel => "pending_cancel",
            OrderStatus::PendingReplace => "pending_replace",
            OrderStatus::Accepted => "accepted",
            OrderStatus::PendingNew => "pending_new",
            OrderStatus::AcceptedForBidding => "accepted_for_bidding",
            OrderStatus::Stopped => "stopped",
            OrderStatus::Rejected => "rejected",
            OrderStatus::Suspended => "suspended",
            OrderStatus::Calculated => "calculated",
            OrderStatus::Held => "held",
            OrderStatus::Unknown => "unknown",
        }
    }
}
