//! The assets the fake knows.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::state::fake_uuid;

/// (symbol, name, exchange, tradable); tradable assets are fractionable unless listed in
/// `WHOLE_SHARES_ONLY`.
const ASSETS: &[(&str, &str, &str, bool)] = &[
    ("AAPL", "Apple Inc. Common Stock", "NASDAQ", true),
    ("AGG", "iShares Core U.S. Aggregate Bond ETF", "ARCA", true),
    (
        "DIA",
        "SPDR Dow Jones Industrial Average ETF Trust",
        "ARCA",
        true,
    ),
    ("EFA", "iShares MSCI EAFE ETF", "ARCA", true),
    ("GLD", "SPDR Gold Shares", "ARCA", true),
    ("IEF", "iShares 7-10 Year Treasury Bond ETF", "NASDAQ", true),
    ("IWM", "iShares Russell 2000 ETF", "ARCA", true),
    ("MSFT", "Microsoft Corporation Common Stock", "NASDAQ", true),
    ("QQQ", "Invesco QQQ Trust, Series 1", "NASDAQ", true),
    ("SPY", "SPDR S&P 500 ETF Trust", "ARCA", true),
    ("TLT", "iShares 20+ Year Treasury Bond ETF", "NASDAQ", true),
    ("VNQ", "Vanguard Real Estate ETF", "ARCA", true),
    ("VTI", "Vanguard Total Stock Market ETF", "ARCA", true),
    ("XLE", "Energy Select Sector SPDR Fund", "ARCA", true),
    ("BRK.A", "Berkshire Hathaway Inc. Class A", "NYSE", true),
    ("BRK.B", "Berkshire Hathaway Inc. Class B", "NYSE", true),
    ("HALTD", "Halted Example Corp (not tradable)", "NYSE", false),
    ("DLST", "Delisted Example Corp (inactive)", "NYSE", false),
];

/// Assets Alpaca lists with `status: inactive` (delisted): not tradable, left out of
/// `GET /v2/assets?status=active`, still found by `GET /v2/assets/{symbol}`.
const INACTIVE: &[&str] = &["DLST"];

/// Tradable assets Alpaca does not trade in fractions.
const WHOLE_SHARES_ONLY: &[&str] = &["BRK.A"];

/// What the order path needs to know about an asset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tradability {
    /// `tradable` in the asset JSON.
    pub tradable: bool,
    /// `fractionable` in the asset JSON.
    pub fractionable: bool,
}

/// Whether `symbol` trades, and in fractions; `None` when the fake does not know it.
pub fn tradability(symbol: &str, extra: &BTreeSet<String>) -> Option<Tradability> {
    let tradable = match ASSETS.iter().find(|a| a.0 == symbol) {
        Some(a) => a.3,
        None if extra.contains(symbol) => true,
        None => return None,
    };
    Some(Tradability {
        tradable,
        fractionable: tradable && !WHOLE_SHARES_ONLY.contains(&symbol),
    })
}

/// An asset's stable id.
pub fn asset_id(symbol: &str) -> String {
    let hash = symbol.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    fake_uuid(0xa55e7, hash & 0xffff_ffff_ffff)
}

/// The exchange an asset lists on (`ARCA` for symbols the table lacks).
pub fn exchange(symbol: &str) -> &'static str {
    ASSETS
        .iter()
        .find(|a| a.0 == symbol)
        .map_or("ARCA", |a| a.2)
}

/// Whether the built-in table lists `symbol`.
pub fn known(symbol: &str) -> bool {
    ASSETS.iter().any(|a| a.0 == symbol)
}

/// The asset as `GET /v2/assets/{symbol}` returns it; `extra` are symbols registered by tests
/// (listed as tradable ARCA funds).
pub fn asset_json(symbol: &str, extra: &BTreeSet<String>) -> Option<Value> {
    let (symbol, name, exchange, tradable) = match ASSETS.iter().find(|a| a.0 == symbol) {
        Some(a) => *a,
        None if extra.contains(symbol) => (symbol, "Registered Test Fund", "ARCA", true),
        None => return None,
    };
    Some(json!({
        "id": asset_id(symbol),
        "class": "us_equity",
        "exchange": exchange,
        "symbol": symbol,
        "name": name,
        "status": if INACTIVE.contains(&symbol) { "inactive" } else { "active" },
        "tradable": tradable,
        "marginable": tradable,
        "maintenance_margin_requirement": 30,
        "margin_requirement_long": "30",
        "margin_requirement_short": "30",
        "shortable": tradable,
        "easy_to_borrow": tradable,
        "fractionable": tradable && !WHOLE_SHARES_ONLY.contains(&symbol),
        "attributes": ["fractional_eh_enabled", "has_options"],
    }))
}

/// Every asset, or those with `status` (`active` / `inactive`) when given.
pub fn all_assets_json(extra: &BTreeSet<String>, status: Option<&str>) -> Vec<Value> {
    ASSETS
        .iter()
        .map(|a| a.0)
        .chain(extra.iter().map(String::as_str))
        .filter_map(|s| asset_json(s, extra))
        .filter(|a| status.is_none_or(|st| a["status"] == st))
        .collect()
}
