//! `GET /v2/assets/{symbol}`.

use serde::{Deserialize, Serialize};

use crate::types::Symbol;

/// A tradable instrument.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Asset {
    /// Asset UUID.
    pub id: String,
    /// `us_equity`, `crypto`, …
    #[serde(rename = "class")]
    pub class: String,
    /// Listing exchange.
    pub exchange: String,
    /// Ticker.
    pub symbol: Symbol,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// `active` or `inactive`.
    pub status: String,
    /// Orders accepted.
    pub tradable: bool,
    /// Marginable.
    #[serde(default)]
    pub marginable: bool,
    /// Shortable.
    #[serde(default)]
    pub shortable: bool,
    /// Fractional orders accepted.
    #[serde(default)]
    pub fractionable: bool,
}

impl Asset {
    /// Whether Aurora may order it: active and tradable.
    pub fn orderable(&self) -> bool {
        self.status == "active" && self.tradable
    }
}
