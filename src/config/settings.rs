//! The `aurora.toml` schema, its documented defaults, and range checks.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize};

use super::{ConfigError, file};
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
    /// `[store]`: the database.
    pub store: StoreSettings,
    /// `[metrics]`: the Prometheus textfile.
    pub metrics: MetricsSettings,
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
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ReportSettings {
    /// Report directory; empty means `STATE_DIR/reports`.
    #[serde(deserialize_with = "optional_path")]
    pub dir: Option<PathBuf>,
    /// The symbol performance is compared with; empty for none.
    #[serde(deserialize_with = "optional_symbol")]
    pub benchmark: Option<Symbol>,
    /// Yearly risk-free rate (a fraction) for Sharpe and Sortino.
    #[serde(deserialize_with = "decimal")]
    pub risk_free_rate: Decimal,
    /// Send a daily summary through the alert webhook at the end of eod.
    pub notify: bool,
}

impl Default for ReportSettings {
    fn default() -> Self {
        ReportSettings {
            dir: None,
            benchmark: Some("SPY".parse().expect("valid symbol")),
            risk_free_rate: Decimal::ZERO,
            notify: false,
        }
    }
}

/// `[metrics]`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsSettings {
    /// The `.prom` file every job rewrites for node_exporter's textfile collector; empty: none.
    #[serde(deserialize_with = "optional_path")]
    pub textfile: Option<PathBuf>,
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

/// `[store]`: the SQLite database.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct StoreSettings {
    /// How long a job waits for another connection's write (a backup, a second job) before it
    /// gives up with exit 75, seconds.
    pub busy_timeout_secs: u64,
}

impl StoreSettings {
    /// `busy_timeout_secs` as a duration.
    pub fn busy_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.busy_timeout_secs)
    }
}

impl Default for StoreSettings {
    fn default() -> Self {
        StoreSettings {
            busy_timeout_secs: 10,
        }
    }
}

/// The largest `aurora.toml` Aurora reads.
pub const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// The line each key of `aurora.toml` is written on: sections (`risk`) and their keys
/// (`risk.max_orders_per_day`). A key that is not written has its default.
pub type KeyLines = BTreeMap<String, usize>;

/// Reads and validates `aurora.toml`, noting the line of every key written.
pub fn read(path: &Path) -> Result<(Settings, KeyLines), ConfigError> {
    let bytes = match file::open(path)? {
        Some(opened) => opened.read_capped(path, MAX_CONFIG_BYTES)?,
        None => {
            return Err(ConfigError::Read {
                path: path.to_owned(),
                source: std::io::ErrorKind::NotFound.into(),
            });
        }
    };
    from_bytes(path, &bytes)
}

/// Parses and validates the bytes of `aurora.toml` read from `path`. Every error names the
/// file, a line and a key.
pub(super) fn from_bytes(path: &Path, bytes: &[u8]) -> Result<(Settings, KeyLines), ConfigError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = file::line_of(bytes, e.valid_up_to());
        ConfigError::Toml {
            path: path.to_owned(),
            line,
            key: key_at(&String::from_utf8_lossy(bytes), line),
            message: "not UTF-8 text".into(),
        }
    })?;
    let settings = parse(text).map_err(|(line, key, message)| ConfigError::Toml {
        path: path.to_owned(),
        line,
        key,
        message,
    })?;
    let lines = written_lines(text);
    settings
        .validate()
        .map_err(|(key, message)| ConfigError::Invalid {
            path: path.to_owned(),
            line: key_line(&lines, key),
            key: key.to_owned(),
            message,
        })?;
    Ok((settings, lines))
}

/// Parses TOML text; an error is (line, dotted key, message).
fn parse(text: &str) -> Result<Settings, (usize, String, String)> {
    let line_of = |offset: usize| file::line_of(text.as_bytes(), offset);
    let de = toml::Deserializer::new(text);
    let settings: Settings = serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let line = inner.span().map(|span| line_of(span.start)).unwrap_or(1);
        // A syntax error or a duplicate key fails before any key is reached ("."): name the
        // key written on the offending line instead.
        let key = if path == "." {
            key_at(text, line)
        } else {
            path
        };
        (line, key, inner.message().to_owned())
    })?;
    if let Some((offset, message)) = repeated_symbol(text) {
        return Err((line_of(offset), "universe.symbols".into(), message));
    }
    Ok(settings)
}

/// A universe symbol listed twice (it would be planned twice): where the repeat is, and what.
fn repeated_symbol(text: &str) -> Option<(usize, String)> {
    #[derive(Deserialize)]
    struct File {
        universe: Option<Universe>,
    }
    #[derive(Deserialize)]
    struct Universe {
        symbols: Option<Vec<toml::Spanned<String>>>,
    }
    let symbols = toml::from_str::<File>(text).ok()?.universe?.symbols?;
    symbols.iter().enumerate().find_map(|(i, s)| {
        let first = symbols[..i].iter().find(|f| f.get_ref() == s.get_ref())?;
        let first_line = file::line_of(text.as_bytes(), first.span().start);
        Some((
            s.span().start,
            format!(
                "{} is listed twice (first on line {first_line}); list each symbol once",
                s.get_ref()
            ),
        ))
    })
}

/// The dotted key written on `line`: the nearest table header above it plus the text before
/// `=` (the header itself on a header line). Only for messages about text that does not
/// parse, so it stays lexical.
fn key_at(text: &str, line: usize) -> String {
    let header = |l: &str| {
        let l = l.trim();
        (l.starts_with('[')).then(|| l.trim_matches(['[', ']', ' ']).to_owned())
    };
    let lines: Vec<&str> = text.lines().collect();
    let Some(here) = lines.get(line.saturating_sub(1)) else {
        return "(end of file)".into();
    };
    if let Some(table) = header(here) {
        return table;
    }
    let key = here.split('=').next().unwrap_or_default().trim();
    let table = lines[..line.saturating_sub(1)]
        .iter()
        .rev()
        .find_map(|l| header(l));
    match (table, key.is_empty()) {
        (Some(t), false) => format!("{t}.{key}"),
        (Some(t), true) => t,
        (None, false) => key.to_owned(),
        (None, true) => "(top level)".into(),
    }
}

/// The line of every section and key written in a document that parses, from toml_edit's
/// spans (keys deeper than `section.key`, such as a weight's symbol, belong to their key).
fn written_lines(text: &str) -> KeyLines {
    let mut lines = KeyLines::new();
    let Ok(doc) = toml_edit::ImDocument::parse(text) else {
        return lines;
    };
    let line_of = |key: &toml_edit::Key, item: &toml_edit::Item| {
        key.span()
            .or(item.span())
            .map(|span| file::line_of(text.as_bytes(), span.start))
    };
    let top = doc.as_table();
    for (name, _) in top.iter() {
        let Some((key, item)) = top.get_key_value(name) else {
            continue;
        };
        if let Some(line) = line_of(key, item) {
            lines.insert(name.to_owned(), line);
        }
        let Some(table) = item.as_table_like() else {
            continue;
        };
        for (name2, _) in table.iter() {
            if let Some((key2, item2)) = table.get_key_value(name2)
                && let Some(line) = line_of(key2, item2)
            {
                lines.insert(format!("{name}.{name2}"), line);
            }
        }
    }
    lines
}

/// The line where a dotted key (or, failing that, its nearest written parent) is set; 1 when
/// none of it is written.
fn key_line(lines: &KeyLines, key: &str) -> usize {
    let mut key = key;
    loop {
        if let Some(line) = lines.get(key) {
            return *line;
        }
        match key.rsplit_once('.') {
            Some((parent, _)) => key = parent,
            None => return 1,
        }
    }
}

impl Settings {
    /// The same checks as loading, for settings built in code (`aurora init`'s answers): an
    /// error is `key: message`.
    pub fn check(&self) -> Result<(), String> {
        self.validate()
            .map_err(|(key, message)| format!("{key}: {message}"))
    }

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
        if let Some(outside) = self
            .strategy
            .weights
            .keys()
            .find(|s| !self.universe.symbols.contains(s))
        {
            return Err((
                "strategy.weights",
                format!("{outside} is not in universe.symbols; add it there or remove its weight"),
            ));
        }
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
        if let Some(path) = &self.metrics.textfile {
            // node_exporter reads only `*.prom` files, and a job's working directory is `/`.
            if !path.is_absolute() || path.extension().is_none_or(|e| e != "prom") {
                return Err((
                    "metrics.textfile",
                    format!(
                        "must be an absolute path ending in .prom (node_exporter reads only those), not {:?}",
                        path.display().to_string()
                    ),
                ));
            }
        }
        let a = &self.alpaca;
        for (key, value, lo, hi) in [
            (
                "strategy.lookback",
                u64::from(self.strategy.lookback),
                1,
                5_000,
            ),
            (
                "risk.max_orders_per_day",
                u64::from(self.risk.max_orders_per_day),
                0,
                10_000,
            ),
            (
                "data.history_days",
                u64::from(self.data.history_days),
                1,
                10_000,
            ),
            (
                "data.overlap_sessions",
                u64::from(self.data.overlap_sessions),
                0,
                1_000,
            ),
            (
                "data.page_limit",
                u64::from(self.data.page_limit),
                1,
                10_000,
            ),
            // A zero duration makes every request fail at once, which looks like an outage.
            (
                "alpaca.connect_timeout_secs",
                a.connect_timeout_secs,
                1,
                300,
            ),
            (
                "alpaca.request_timeout_secs",
                a.request_timeout_secs,
                1,
                3_600,
            ),
            ("alpaca.max_attempts", u64::from(a.max_attempts), 1, 100),
            ("alpaca.retry_base_ms", a.retry_base_ms, 1, 60_000),
            (
                "alpaca.retry_deadline_secs",
                a.retry_deadline_secs,
                1,
                3_600,
            ),
            (
                "store.busy_timeout_secs",
                self.store.busy_timeout_secs,
                1,
                3_600,
            ),
        ] {
            if !(lo..=hi).contains(&value) {
                return Err((key, format!("must be {lo} to {hi}, not {value}")));
            }
        }
        fraction("report.risk_free_rate", self.report.risk_free_rate)?;
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

fn optional_symbol<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Symbol>, D::Error> {
    let s = String::deserialize(d)?;
    if s.is_empty() {
        return Ok(None);
    }
    s.parse().map(Some).map_err(serde::de::Error::custom)
}

fn optional_path<'de, D: Deserializer<'de>>(d: D) -> Result<Option<PathBuf>, D::Error> {
    let s = String::deserialize(d)?;
    Ok((!s.is_empty()).then(|| PathBuf::from(s)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn empty_file_gives_documented_defaults() {
        let s = parse("").unwrap();
        assert_eq!(s, Settings::default());
        assert_eq!(s.risk.max_order_notional, Decimal::new(25_000, 0));
        assert_eq!(s.universe.symbols.len(), 6);
        s.validate().unwrap();
    }

    #[test]
    fn the_line_of_every_written_key_is_known() {
        let text = "alpaca.max_attempts = 3\n# note\n[risk]\nmax_orders_per_day = 5\n\n[strategy]\nname = \"fixed\"\nweights = { SPY = 0.5 }\n";
        let (_, lines) = from_bytes(Path::new("a.toml"), text.as_bytes()).unwrap();
        let expected: KeyLines = [
            ("alpaca", 1),
            ("alpaca.max_attempts", 1),
            ("risk", 3),
            ("risk.max_orders_per_day", 4),
            ("strategy", 6),
            ("strategy.name", 7),
            ("strategy.weights", 8),
        ]
        .into_iter()
        .map(|(k, l)| (k.to_owned(), l))
        .collect();
        assert_eq!(lines, expected);
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

    fn load(text: &str) -> Result<Settings, ConfigError> {
        from_bytes(Path::new("/etc/aurora.toml"), text.as_bytes()).map(|(s, _)| s)
    }

    #[test]
    fn range_errors_name_file_line_and_key() {
        let e = load("[data]\nfeed = \"iex\"\nhistory_days = 4000000000\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "/etc/aurora.toml:3: data.history_days: must be 1 to 10000, not 4000000000"
        );
        for (text, key, line) in [
            (
                "[alpaca]\nrequest_timeout_secs = 0\n",
                "alpaca.request_timeout_secs",
                2,
            ),
            (
                "\n[alpaca]\nconnect_timeout_secs = 0\n",
                "alpaca.connect_timeout_secs",
                3,
            ),
            (
                "[alpaca]\nretry_deadline_secs = 0\n",
                "alpaca.retry_deadline_secs",
                2,
            ),
            ("[alpaca]\nretry_base_ms = 0\n", "alpaca.retry_base_ms", 2),
            (
                "[store]\nbusy_timeout_secs = 0\n",
                "store.busy_timeout_secs",
                2,
            ),
            ("alpaca.max_attempts = 0\n", "alpaca.max_attempts", 1),
            ("[risk]\nmax_daily_loss = 2\n", "risk.max_daily_loss", 2),
            ("[strategy]\nname = \"fixed\"\n", "strategy", 1),
        ] {
            match load(text) {
                Err(ConfigError::Invalid {
                    line: l, key: k, ..
                }) => {
                    assert_eq!((l, k.as_str()), (line, key), "{text}")
                }
                other => panic!("{text}: {other:?}"),
            }
        }
    }

    #[test]
    fn negative_durations_and_duplicates_name_line_and_key() {
        for (text, key, line) in [
            (
                "[alpaca]\nrequest_timeout_secs = -1\n",
                "alpaca.request_timeout_secs",
                2,
            ),
            (
                "[risk]\nmax_orders_per_day = 1\nmax_orders_per_day = 2\n",
                "risk.max_orders_per_day",
                3,
            ),
            (
                "[risk]\nmax_orders_per_day = 1\n[data]\n[risk]\n",
                "risk",
                4,
            ),
            ("[data]\nfeed = \"iex\n", "data.feed", 2),
            ("\u{feff}[data]\nhistory_days = 10\n[data\n", "data", 3),
        ] {
            match load(text) {
                Err(ConfigError::Toml {
                    line: l, key: k, ..
                }) => {
                    assert_eq!((l, k.as_str()), (line, key), "{text}")
                }
                other => panic!("{text}: {other:?}"),
            }
        }
        let e = load("[risk]\nmax_orders_per_day = 1\nmax_orders_per_day = 2\n").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("/etc/aurora.toml:3: risk.max_orders_per_day: duplicate key"),
            "{e}"
        );
    }

    #[test]
    fn a_bom_is_accepted_and_bad_utf8_is_named() {
        load("\u{feff}[data]\nhistory_days = 10\n").unwrap();
        let e = from_bytes(Path::new("a.toml"), b"[data]\nadjustment = \"\xff\"\n").unwrap_err();
        assert!(matches!(e, ConfigError::Toml { line: 2, .. }), "{e:?}");
    }

    /// Keys and values `aurora.toml` is made of, to reach the range checks as well as the parser.
    fn toml_like() -> impl Strategy<Value = String> {
        let section = prop::sample::select(vec![
            "universe", "strategy", "risk", "orders", "data", "report", "alpaca", "store",
            "metrics", "x",
        ]);
        let key = prop::sample::select(vec![
            "symbols",
            "name",
            "lookback",
            "cash_buffer",
            "weights",
            "max_order_notional",
            "max_position_weight",
            "max_orders_per_day",
            "max_daily_loss",
            "max_price_move",
            "min_buying_power",
            "on_violation",
            "time_in_force",
            "fractional",
            "min_notional",
            "rebalance_threshold",
            "feed",
            "adjustment",
            "history_days",
            "overlap_sessions",
            "page_limit",
            "dir",
            "notify",
            "textfile",
            "connect_timeout_secs",
            "request_timeout_secs",
            "max_attempts",
            "retry_base_ms",
            "retry_deadline_secs",
            "busy_timeout_secs",
            "nope",
        ]);
        let value = prop_oneof![
            any::<i64>().prop_map(|v| v.to_string()),
            any::<f64>().prop_map(|v| format!("{v:?}")),
            "[-0-9.eE+]{1,30}",
            "\"[ -~]{0,12}\"",
            Just("[\"SPY\", \"TLT\"]".to_owned()),
            Just("{ SPY = 0.5, TLT = 0.6 }".to_owned()),
            Just("\"fixed\"".to_owned()),
            Just("true".to_owned()),
        ];
        prop::collection::vec((section, prop::collection::vec((key, value), 0..4)), 0..4).prop_map(
            |sections| {
                sections
                    .into_iter()
                    .map(|(s, kv)| {
                        let body: String = kv
                            .into_iter()
                            .map(|(k, v)| format!("{k} = {v}\n"))
                            .collect();
                        format!("[{s}]\n{body}")
                    })
                    .collect()
            },
        )
    }

    proptest::proptest! {
        /// Arbitrary bytes never panic the loader: a config or an error naming a line in the file.
        #[test]
        fn arbitrary_bytes_load_or_name_a_line(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            check_outcome(&bytes, from_bytes(Path::new("a.toml"), &bytes).map(|(s, _)| s));
        }

        #[test]
        fn toml_like_text_loads_or_names_a_line(text in toml_like()) {
            check_outcome(text.as_bytes(), from_bytes(Path::new("a.toml"), text.as_bytes()).map(|(s, _)| s));
        }
    }

    fn check_outcome(bytes: &[u8], result: Result<Settings, ConfigError>) {
        let lines = bytes.iter().filter(|&&b| b == b'\n').count() + 1;
        match result {
            Ok(_) => {}
            Err(ConfigError::Toml { line, key, .. })
            | Err(ConfigError::Invalid { line, key, .. }) => {
                assert!((1..=lines).contains(&line), "line {line} of {lines}");
                assert!(!key.is_empty() && key != ".", "key {key:?}");
            }
            Err(other) => panic!("not a config error with a line: {other:?}"),
        }
    }

    #[test]
    fn a_symbol_listed_twice_is_named_at_its_second_line() {
        let (line, key, msg) =
            parse("[universe]\nsymbols = [\n \"SPY\",\n \"TLT\",\n \"SPY\"]\n").unwrap_err();
        assert_eq!((line, key.as_str()), (5, "universe.symbols"));
        assert_eq!(
            msg,
            "SPY is listed twice (first on line 3); list each symbol once"
        );
    }

    #[test]
    fn weights_must_name_universe_symbols_and_belong_to_fixed() {
        let s = parse(
            "[universe]\nsymbols = [\"SPY\"]\n[strategy]\nname = \"fixed\"\nweights = { SPY = 0.5, TLT = 0.4 }\n",
        )
        .unwrap();
        let (key, message) = s.validate().unwrap_err();
        assert_eq!(key, "strategy.weights");
        assert!(
            message.starts_with("TLT is not in universe.symbols"),
            "{message}"
        );
        let s = parse("[strategy]\nname = \"trend\"\nweights = { SPY = 0.5 }\n").unwrap();
        let (key, message) = s.validate().unwrap_err();
        assert_eq!(key, "strategy");
        assert!(
            message.contains("trend takes no strategy.weights"),
            "{message}"
        );
    }

    #[test]
    fn the_benchmark_defaults_to_spy_and_an_empty_one_means_none() {
        assert_eq!(
            parse("").unwrap().report.benchmark,
            Some("SPY".parse().unwrap())
        );
        let s = parse("[report]\nbenchmark = \"\"\nrisk_free_rate = 0.04\n").unwrap();
        assert_eq!(s.report.benchmark, None);
        assert_eq!(s.report.risk_free_rate.to_string(), "0.04");
        let (line, key, _) = parse("[report]\n\nbenchmark = \"s p y\"\n").unwrap_err();
        assert_eq!((line, key.as_str()), (3, "report.benchmark"));
        let s = parse("[report]\nrisk_free_rate = 4\n").unwrap();
        assert_eq!(s.validate().unwrap_err().0, "report.risk_free_rate");
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
