//! The `aurora.toml` schema, its documented defaults, and range checks.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize};

use super::ConfigError;
use crate::types::Symbol;

/// Every section of `aurora.toml`. Keys are a contract: add freely, rename none.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// `[universe]`.
    pub universe: UniverseSettings,
    /// `[strategy]`.
    pub strategy: StrategySettings,
    /// `[risk]`.
    pub risk: RiskSettings,
    /// `[orders]`.
    pub orders: OrderSettings,
    /// `[data]`.
    pub data: DataSettings,
    /// `[report]`.
    pub report: ReportSettings,
    /// `[alpaca]`: client timeouts and retries.
    pub alpaca: AlpacaSettings,
}

/// `[universe]`: what may be traded.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct UniverseSettings {
    /// Symbols the strategy chooses from.
    #[serde(deserialize_with = "symbols")]
    pub symbols: Vec<Symbol>,
}

impl Default for UniverseSettings {
    fn default() -> Self {
        let symbols = ["SPY", "QQQ", "IWM", "EFA", "TLT", "GLD"]
            .iter()
            .map(|s| s.parse().expect("valid default symbol"))
            .collect();
        UniverseSettings { symbols }
    }
}

/// `[strategy]`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct StrategySettings {
    /// Which strategy (`trend`, `fixed`, … see `strategy::NAMES`).
    pub name: String,
    /// Sessions in trend's moving average.
    pub lookback: u32,
    /// Fraction of equity always kept in cash.
    #[serde(deserialize_with = "decimal")]
    pub cash_buffer: Decimal,
    /// Target weights for `fixed`.
    #[serde(deserialize_with = "weights")]
    pub weights: BTreeMap<Symbol, Decimal>,
}

impl Default for StrategySettings {
    fn default() -> Self {
        StrategySettings {
            name: "trend".into(),
            lookback: 50,
            cash_buffer: Decimal::new(5, 2),
            weights: BTreeMap::new(),
        }
    }
}

/// What to do with an order that breaks a risk limit.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OnViolation {
    /// Block the whole plan (fail closed).
    Block,
    /// Drop only the violating orders.
    Drop,
}

/// `[risk]`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct RiskSettings {
    /// Largest single order, in dollars.
    #[serde(deserialize_with = "decimal")]
    pub max_order_notional: Decimal,
    /// Largest weight of one position.
    #[serde(deserialize_with = "decimal")]
    pub max_position_weight: Decimal,
    /// Most orders in one session.
    pub max_orders_per_day: u32,
    /// Loss, as a fraction of last equity, that blocks new buys.
    #[serde(deserialize_with = "decimal")]
    pub max_daily_loss: Decimal,
    /// Largest reference-price move against the previous close.
    #[serde(deserialize_with = "decimal")]
    pub max_price_move: Decimal,
    /// Preflight fails below this buying power, in dollars.
    #[serde(deserialize_with = "decimal")]
    pub min_buying_power: Decimal,
    /// Block the plan, or drop the violating orders.
    pub on_violation: OnViolation,
}

impl Default for RiskSettings {
    fn default() -> Self {
        RiskSettings {
            max_order_notional: Decimal::new(25_000, 0),
            max_position_weight: Decimal::new(35, 2),
            max_orders_per_day: 50,
            max_daily_loss: Decimal::new(3, 2),
            max_price_move: Decimal::new(25, 2),
            min_buying_power: Decimal::new(1_000, 0),
            on_violation: OnViolation::Block,
        }
    }
}

/// Order time in force Aurora may use.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TimeInForce {
    /// Good for the session.
    Day,
    /// Market on open.
    Opg,
}

/// `[orders]`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct OrderSettings {
    /// `day` or `opg`.
    pub time_in_force: TimeInForce,
    /// Use notional (fractional) orders where the asset allows.
    pub fractional: bool,
    /// Smallest order, in dollars.
    #[serde(deserialize_with = "decimal")]
    pub min_notional: Decimal,
    /// Weight difference below which a position is left alone.
    #[serde(deserialize_with = "decimal")]
    pub rebalance_threshold: Decimal,
}

impl Default for OrderSettings {
    fn default() -> Self {
        OrderSettings {
            time_in_force: TimeInForce::Day,
            fractional: false,
            min_notional: Decimal::new(100, 0),
            rebalance_threshold: Decimal::new(2, 2),
        }
    }
}

/// Market data feed.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Feed {
    /// IEX, free.
    Iex,
    /// All exchanges, paid plans.
    Sip,
}

impl Feed {
    /// Alpaca's name for the feed.
    pub fn as_str(self) -> &'static str {
        match self {
            Feed::Iex => "iex",
            Feed::Sip => "sip",
        }
    }
}

/// `[data]`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct DataSettings {
    /// Feed for bars.
    pub feed: Feed,
    /// Corporate-action adjustment (`raw`, `split`, `dividend`, `spin-off`, `all`).
    pub adjustment: String,
    /// Sessions of history to backfill for a new symbol.
    pub history_days: u32,
    /// Stored sessions refetched before the first missing one, to pick up corrections.
    pub overlap_sessions: u32,
    /// Bars per page (Alpaca's maximum, 10,000, makes the fewest requests).
    pub page_limit: u32,
}

impl Default for DataSettings {
    fn default() -> Self {
        DataSettings {
            feed: Feed::Iex,
            adjustment: "all".into(),
            history_days: 400,
            overlap_sessions: 1,
            page_limit: 10_000,
        }
    }
}

/// `[report]`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ReportSettings {
    /// Report directory; empty means `STATE_DIR/reports`.
    #[serde(deserialize_with = "optional_path")]
    pub dir: Option<PathBuf>,
}

/// `[alpaca]`: how patient the client is.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct AlpacaSettings {
    /// TCP connect timeout, seconds.
    pub connect_timeout_secs: u64,
    /// Whole-request timeout, seconds.
    pub request_timeout_secs: u64,
    /// Attempts for an idempotent request, the first included.
    pub max_attempts: u32,
    /// First retry delay, milliseconds; doubles each attempt, with jitter.
    pub retry_base_ms: u64,
    /// Total time one request may take across retries, seconds.
    pub retry_deadline_secs: u64,
}

impl Default for AlpacaSettings {
    fn default() -> Self {
        AlpacaSettings {
            connect_timeout_secs: 5,
            request_timeout_secs: 15,
            max_attempts: 4,
            retry_base_ms: 250,
            retry_deadline_secs: 30,
        }
    }
}

/// Reads and validates `aurora.toml`.
pub fn read(path: &Path) -> Result<Settings, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    let settings = parse(&text).map_err(|(line, key, message)| ConfigError::Toml {
        path: path.to_owned(),
        line,
        key,
        message,
    })?;
    settings
        .validate()
        .map_err(|(key, message)| ConfigError::Invalid {
            path: path.to_owned(),
            key: key.to_owned(),
            message,
        })?;
    Ok(settings)
}

/// Parses TOML text; an error is (line, dotted key, message).
fn parse(text: &str) -> Result<Settings, (usize, String, String)> {
    let de = toml::Deserializer::new(text);
    serde_path_to_error::deserialize(de).map_err(|err| {
        let key = err.path().to_string();
        let inner = err.into_inner();
        let line = inner
            .span()
            .map(|span| text[..span.start].matches('\n').count() + 1)
            .unwrap_or(1);
        (line, key, inner.message().to_owned())
    })
}

impl Settings {
    /// Range checks the types cannot express; an error is (key, message).
    fn validate(&self) -> Result<(), (&'static str, String)> {
        let fraction = |key, v: Decimal| {
            if v < Decimal::ZERO || v > Decimal::ONE {
                Err((key, format!("must be between 0 and 1, not {v}")))
            } else {
                Ok(())
            }
        };
        let non_negative = |key, v: Decimal| {
            if v < Decimal::ZERO {
                Err((key, format!("must not be negative, not {v}")))
            } else {
                Ok(())
            }
        };
        if self.universe.symbols.is_empty() {
            return Err(("universe.symbols", "must name at least one symbol".into()));
        }
        fraction("strategy.cash_buffer", self.strategy.cash_buffer)?;
        crate::strategy::build(&self.strategy).map_err(|e| ("strategy", e))?;
        non_negative("risk.max_order_notional", self.risk.max_order_notional)?;
        fraction("risk.max_position_weight", self.risk.max_position_weight)?;
        fraction("risk.max_daily_loss", self.risk.max_daily_loss)?;
        non_negative("risk.max_price_move", self.risk.max_price_move)?;
        non_negative("risk.min_buying_power", self.risk.min_buying_power)?;
        non_negative("orders.min_notional", self.orders.min_notional)?;
        fraction(
            "orders.rebalance_threshold",
            self.orders.rebalance_threshold,
        )?;
        const ADJUSTMENTS: [&str; 5] = ["raw", "split", "dividend", "spin-off", "all"];
        if !self
            .data
            .adjustment
            .split(',')
            .all(|a| ADJUSTMENTS.contains(&a.trim()))
        {
            return Err((
                "data.adjustment",
                format!(
                    "must be one of {ADJUSTMENTS:?} (or a comma list), not {:?}",
                    self.data.adjustment
                ),
            ));
        }
        if self.data.history_days == 0 {
            return Err(("data.history_days", "must be at least 1".into()));
        }
        if !(1..=10_000).contains(&self.data.page_limit) {
            return Err((
                "data.page_limit",
                format!("must be 1 to 10000, not {}", self.data.page_limit),
            ));
        }
        if self.alpaca.max_attempts == 0 {
            return Err(("alpaca.max_attempts", "must be at least 1".into()));
        }
        Ok(())
    }
}

/// Symbols are validated as they are read, so a bad one is reported at its line.
fn symbols<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Symbol>, D::Error> {
    Vec::<String>::deserialize(d)?
        .into_iter()
        .map(|s| s.parse().map_err(serde::de::Error::custom))
        .collect()
}

/// A decimal from a TOML integer or float (or string), exact to what was written.
fn decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Int(i64),
        Float(f64),
        Text(String),
    }
    let invalid = |what: &str| serde::de::Error::custom(format!("expected a number, not {what}"));
    match Raw::deserialize(d).map_err(|_| invalid("this value"))? {
        Raw::Int(i) => Ok(Decimal::from(i)),
        // TOML floats are written in decimal; the shortest round-trip text recovers what was written.
        Raw::Float(f) => f.to_string().parse().map_err(|_| invalid(&f.to_string())),
        Raw::Text(s) => s.parse().map_err(|_| invalid(&format!("{s:?}"))),
    }
}

fn weights<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<Symbol, Decimal>, D::Error> {
    #[derive(Deserialize)]
    struct W(#[serde(deserialize_with = "decimal")] Decimal);
    BTreeMap::<String, W>::deserialize(d)?
        .into_iter()
        .map(|(k, W(v))| Ok((k.parse().map_err(serde::de::Error::custom)?, v)))
        .collect()
}

fn optional_path<'de, D: Deserializer<'de>>(d: D) -> Result<Option<PathBuf>, D::Error> {
    let s = String::deserialize(d)?;
    Ok((!s.is_empty()).then(|| PathBuf::from(s)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_gives_documented_defaults() {
        let s = parse("").unwrap();
        assert_eq!(s, Settings::default());
        assert_eq!(s.risk.max_order_notional, Decimal::new(25_000, 0));
        assert_eq!(s.universe.symbols.len(), 6);
        s.validate().unwrap();
    }

    #[test]
    fn floats_are_read_exactly() {
        let s = parse("[risk]\nmax_daily_loss = 0.03\nmax_order_notional = 1000\n").unwrap();
        assert_eq!(s.risk.max_daily_loss.to_string(), "0.03");
        assert_eq!(s.risk.max_order_notional, Decimal::new(1000, 0));
    }

    #[test]
    fn unknown_key_names_key_and_line() {
        let (line, key, msg) =
            parse("[risk]\nmax_orders_per_day = 5\nmax_lossage = 1\n").unwrap_err();
        assert_eq!(line, 3);
        assert!(key.starts_with("risk"), "{key}");
        assert!(msg.contains("max_lossage"), "{msg}");
    }

    #[test]
    fn wrong_type_names_key_and_line() {
        let (line, key, _) = parse("\n[orders]\nfractional = \"yes\"\n").unwrap_err();
        assert_eq!((line, key.as_str()), (3, "orders.fractional"));
        let (line, key, _) = parse("[risk]\nmin_buying_power = \"lots\"\n").unwrap_err();
        assert_eq!((line, key.as_str()), (2, "risk.min_buying_power"));
    }

    #[test]
    fn bad_symbol_is_reported_at_its_line() {
        let (line, key, msg) =
            parse("[universe]\nsymbols = [\n \"SPY\",\n \"spy\"]\n").unwrap_err();
        assert_eq!(key, "universe.symbols");
        assert!(line >= 2, "{line}");
        assert!(msg.contains("spy"), "{msg}");
    }

    #[test]
    fn fixed_weights_must_sum_to_one_at_most() {
        let s =
            parse("[strategy]\nname = \"fixed\"\nweights = { SPY = 0.7, TLT = 0.4 }\n").unwrap();
        let (key, message) = s.validate().unwrap_err();
        assert_eq!(key, "strategy");
        assert!(message.contains("sum to at most 1"), "{message}");
        let s =
            parse("[strategy]\nname = \"fixed\"\nweights = { SPY = 0.6, TLT = 0.4 }\n").unwrap();
        s.validate().unwrap();
    }
}
