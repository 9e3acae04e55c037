//! Every `aurora.toml` key with one line of explanation: the comments `aurora init` writes and
//! the order `aurora config` lists the keys in.

use serde_json::Value;

use super::Settings;

/// One `aurora.toml` key.
#[derive(Debug)]
pub struct KeyDoc {
    /// Dotted key, `section.name`.
    pub key: &'static str,
    /// One line of explanation.
    pub help: &'static str,
    /// Written as a bare TOML number (the value is a decimal, kept as a string in JSON).
    pub decimal: bool,
}

const fn key(key: &'static str, help: &'static str) -> KeyDoc {
    KeyDoc {
        key,
        help,
        decimal: false,
    }
}

const fn decimal(key: &'static str, help: &'static str) -> KeyDoc {
    KeyDoc {
        key,
        help,
        decimal: true,
    }
}

/// Every key, in the README's order. A key added to `Settings` needs a line here (a test says so).
pub const KEYS: &[KeyDoc] = &[
    key("universe.symbols", "Symbols the strategy chooses from."),
    key(
        "strategy.name",
        "\"trend\" (moving-average filter, equal weights) or \"fixed\" (strategy.weights).",
    ),
    key(
        "strategy.lookback",
        "Sessions in trend's moving average (1 to 5000).",
    ),
    decimal(
        "strategy.cash_buffer",
        "Fraction of equity always kept in cash (0 to 1).",
    ),
    decimal(
        "strategy.weights",
        "Target weights for \"fixed\", e.g. { SPY = 0.6, TLT = 0.4 }; they sum to at most 1.",
    ),
    decimal(
        "risk.max_order_notional",
        "Largest single order, in dollars; a bigger move is spread over several days.",
    ),
    decimal(
        "risk.max_position_weight",
        "Largest weight of one position (0 to 1).",
    ),
    key(
        "risk.max_orders_per_day",
        "Most orders in one session (0 to 10000).",
    ),
    decimal(
        "risk.max_daily_loss",
        "Loss, as a fraction of last_equity, that blocks new buys for the day.",
    ),
    decimal(
        "risk.max_price_move",
        "Largest move of the reference price against the previous close (a fraction).",
    ),
    decimal(
        "risk.min_buying_power",
        "Preflight fails below this buying power, in dollars.",
    ),
    key(
        "risk.on_violation",
        "\"block\" the whole plan when a risk rule is broken, or \"drop\" only the violating orders.",
    ),
    key(
        "orders.time_in_force",
        "\"day\", or \"opg\" (market on open, before Alpaca's 09:28 ET cutoff).",
    ),
    key(
        "orders.fractional",
        "Dollar (notional) orders for fractionable assets instead of whole shares.",
    ),
    decimal("orders.min_notional", "Smallest order, in dollars."),
    decimal(
        "orders.rebalance_threshold",
        "Weight difference below which a position is left alone.",
    ),
    key(
        "data.feed",
        "\"iex\" (free) or \"sip\" (all exchanges, paid plans).",
    ),
    key(
        "data.adjustment",
        "\"raw\", \"split\", \"dividend\", \"spin-off\" or \"all\" (or a comma list).",
    ),
    key(
        "data.history_days",
        "Sessions backfilled for a symbol with no history (1 to 10000).",
    ),
    key(
        "data.overlap_sessions",
        "Stored sessions refetched each run, to pick up corrections (0 to 1000).",
    ),
    key(
        "data.page_limit",
        "Bars per request page (1 to 10000, the API's maximum: the fewest requests).",
    ),
    key(
        "report.dir",
        "Where daily reports go; empty: STATE_DIR/reports.",
    ),
    key(
        "report.benchmark",
        "The symbol performance is compared with in reports; \"\" for none.",
    ),
    decimal(
        "report.risk_free_rate",
        "Yearly risk-free rate (a fraction) for Sharpe and Sortino.",
    ),
    key(
        "report.notify",
        "true: eod ends by sending a daily summary through AURORA_ALERT_WEBHOOK.",
    ),
    key(
        "alpaca.connect_timeout_secs",
        "TCP connect timeout, seconds (1 to 300).",
    ),
    key(
        "alpaca.request_timeout_secs",
        "Whole-request timeout, seconds (1 to 3600).",
    ),
    key(
        "alpaca.max_attempts",
        "Attempts per idempotent request, the first included (1 to 100).",
    ),
    key(
        "alpaca.retry_base_ms",
        "First retry delay, milliseconds; doubles each retry, with jitter (1 to 60000).",
    ),
    key(
        "alpaca.retry_deadline_secs",
        "Total time one request may take across retries, seconds (1 to 3600).",
    ),
    key(
        "store.busy_timeout_secs",
        "How long a job waits for another connection's write (a backup) before exit 75, seconds (1 to 3600).",
    ),
    key(
        "metrics.textfile",
        "An absolute .prom path every job rewrites for node_exporter's textfile collector; empty: none.",
    ),
];

/// Each key's value in `settings`, as JSON (decimals as strings, as Alpaca writes money).
pub fn values(settings: &Settings) -> Vec<(&'static KeyDoc, Value)> {
    let all = serde_json::to_value(settings).expect("settings serialize");
    KEYS.iter()
        .map(|doc| {
            let (section, name) = doc.key.split_once('.').expect("dotted key");
            (doc, all[section][name].clone())
        })
        .collect()
}

/// A value as TOML text: decimals as bare numbers, a missing path as `""`.
pub fn toml_literal(doc: &KeyDoc, value: &Value) -> String {
    let string = |s: &str| toml::Value::String(s.to_owned()).to_string();
    let scalar = |v: &Value| match v {
        Value::String(s) if doc.decimal => s.clone(),
        Value::String(s) => string(s),
        Value::Null => string(""),
        other => other.to_string(),
    };
    match value {
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(scalar).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(map) if map.is_empty() => "{}".to_owned(),
        Value::Object(map) => {
            let bare = |k: &str| {
                !k.is_empty()
                    && k.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            };
            let items: Vec<String> = map
                .iter()
                .map(|(k, v)| {
                    let k = if bare(k) { k.clone() } else { string(k) };
                    format!("{k} = {}", scalar(v))
                })
                .collect();
            format!("{{ {} }}", items.join(", "))
        }
        other => scalar(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn every_settings_key_is_documented_once() {
        let all = serde_json::to_value(Settings::default()).unwrap();
        let serialized: BTreeSet<String> = all
            .as_object()
            .unwrap()
            .iter()
            .flat_map(|(section, keys)| {
                keys.as_object()
                    .unwrap()
                    .keys()
                    .map(move |k| format!("{section}.{k}"))
            })
            .collect();
        let documented: BTreeSet<String> = KEYS.iter().map(|d| d.key.to_owned()).collect();
        assert_eq!(documented.len(), KEYS.len(), "a key is listed twice");
        assert_eq!(
            serialized, documented,
            "every aurora.toml key needs one line in src/config/keys.rs (and README's Configuration)"
        );
    }
}
