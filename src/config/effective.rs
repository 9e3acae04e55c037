//! The effective configuration as `aurora config` lists it: every key, its value (secrets
//! masked) and where it came from, all from what `Config::load` recorded while loading.

use serde::Serialize;
use serde_json::Value;

use super::{Config, Origin, TradingMode, keys};
use crate::types::Secret;

/// One key in effect.
#[derive(Clone, Debug, Serialize)]
pub struct Entry {
    /// A path (`state_dir`), a variable (`APCA_API_BASE_URL`) or an `aurora.toml` key
    /// (`risk.max_orders_per_day`).
    pub key: String,
    /// Its value; secrets as `***`.
    pub value: Value,
    /// Where it came from.
    pub source: Origin,
}

fn entry(key: &str, value: impl Into<Value>, source: Origin) -> Entry {
    Entry {
        key: key.to_owned(),
        value: value.into(),
        source,
    }
}

/// Every key in effect: paths, the variables, then every `aurora.toml` key.
pub fn effective(config: &Config) -> Vec<Entry> {
    let o = &config.origins;
    let var = |name: &str| o.vars.get(name).cloned().unwrap_or_default();
    let path = |p: &std::path::Path| Value::String(p.display().to_string());
    let paths = &o.paths;
    let a = &config.alpaca;
    let mut out = vec![
        entry(
            "instance",
            paths
                .instance
                .as_ref()
                .map_or(Value::Null, |i| i.value.as_str().into()),
            paths
                .instance
                .as_ref()
                .map(|i| i.origin.clone())
                .unwrap_or_default(),
        ),
        entry(
            "env_file",
            path(&config.env_file.path),
            paths.env_file.origin.clone(),
        ),
        entry(
            "config",
            path(&paths.config_file.value),
            paths.config_file.origin.clone(),
        ),
        entry(
            "state_dir",
            path(&config.state_dir),
            paths.state_dir.origin.clone(),
        ),
        entry(
            "APCA_API_KEY_ID",
            mask_key_id(&a.key_id),
            var("APCA_API_KEY_ID"),
        ),
        entry("APCA_API_SECRET_KEY", "***", var("APCA_API_SECRET_KEY")),
        entry(
            "APCA_API_BASE_URL",
            a.trading_url.as_str(),
            o.vars
                .get("APCA_API_BASE_URL")
                .or(o.vars.get("BROKER_ENDPOINT"))
                .cloned()
                .unwrap_or_default(),
        ),
        entry(
            "APCA_API_DATA_URL",
            a.data_url.as_str(),
            var("APCA_API_DATA_URL"),
        ),
        match a.mode {
            TradingMode::Paper => entry("trading_mode", "paper", var("IS_PAPER_TRADING")),
            TradingMode::Live => entry("trading_mode", "live", Origin::Flag("--live")),
        },
        entry(
            "AURORA_ALERT_WEBHOOK",
            config
                .alert_webhook
                .as_ref()
                .map_or(Value::Null, |w| mask_url(w).into()),
            var("AURORA_ALERT_WEBHOOK"),
        ),
    ];
    let file = paths.config_file.value.file_name().map_or_else(
        || "aurora.toml".into(),
        |n| n.to_string_lossy().into_owned(),
    );
    for (doc, value) in keys::values(&config.settings) {
        let source = match o.settings.get(doc.key) {
            Some(&line) => Origin::ConfigFile {
                file: file.clone(),
                line,
            },
            None => Origin::Default,
        };
        // The directory in effect, not the empty text that stands for it.
        let value = if doc.key == "report.dir" {
            path(&config.report_dir())
        } else {
            value
        };
        out.push(entry(doc.key, value, source));
    }
    out
}

/// An API key ID as Alpaca's dashboard shows it: at most its last four characters, and only
/// when that leaves most of it hidden.
pub fn mask_key_id(key: &Secret) -> String {
    let chars: Vec<char> = key.expose().chars().collect();
    if chars.len() >= 12 {
        format!("***{}", chars[chars.len() - 4..].iter().collect::<String>())
    } else {
        "***".to_owned()
    }
}

/// A URL whose path or query may carry a token (a webhook): scheme and host only.
pub fn mask_url(url: &Secret) -> String {
    match reqwest::Url::parse(url.expose()) {
        Ok(u) if u.host_str().is_some() => {
            format!("{}://{}/***", u.scheme(), u.host_str().unwrap_or_default())
        }
        _ => "***".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_show_no_more_than_the_dashboard() {
        assert_eq!(mask_key_id(&Secret::new("PKABCDEFGHIJ1234")), "***1234");
        assert_eq!(mask_key_id(&Secret::new("PKSHORT123")), "***");
        assert_eq!(
            mask_url(&Secret::new(
                "https://hooks.slack.com/services/T0/B0/secret"
            )),
            "https://hooks.slack.com/***"
        );
        assert_eq!(
            mask_url(&Secret::new("https://u:p@host/x?token=1")),
            "https://host/***"
        );
        assert_eq!(mask_url(&Secret::new("not a url with secret")), "***");
    }
}
