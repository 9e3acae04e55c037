//! `ClientOrderId`: the id Aurora gives an order so Alpaca can deduplicate it.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An order's `client_order_id` (at most 128 characters; unique per account forever).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ClientOrderId(String);

impl ClientOrderId {
    /// Alpaca's length limit.
    pub const MAX_LEN: usize = 128;

    /// An id, if it fits Alpaca's limit.
    pub fn new(id: String) -> Option<ClientOrderId> {
        (!id.is_empty() && id.len() <= Self::MAX_LEN).then_some(ClientOrderId(id))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClientOrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
