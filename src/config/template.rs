//! The commented `aurora.toml` that `aurora init` writes: the chosen values, and every other key
//! commented out with its default, each under one line of explanation.

use std::fmt::Write as _;
use std::path::Path;

use super::keys::{self, toml_literal};
use super::{ConfigError, Settings, settings};

const HEADER: &str = "\
# aurora.toml: Aurora's settings for this account, written by `aurora init`.
# A key that is commented out has its default, shown; remove the `# ` to change it.
# `aurora config` prints every value in effect and where it came from.
";

/// The file's text: the `chosen` keys with their values in `settings`, every other key
/// commented out with its default.
pub fn render(settings: &Settings, chosen: &[&str]) -> String {
    let defaults = keys::values(&Settings::default());
    let values = keys::values(settings);
    let mut out = HEADER.to_owned();
    let mut section = "";
    for ((doc, default), (_, value)) in defaults.iter().zip(&values) {
        let (this, name) = doc.key.split_once('.').expect("dotted key");
        if this != section {
            let _ = write!(out, "\n[{this}]\n");
            section = this;
        }
        let _ = writeln!(out, "# {}", doc.help);
        if chosen.contains(&doc.key) {
            let _ = writeln!(out, "{name} = {}", toml_literal(doc, value));
        } else {
            let _ = writeln!(out, "# {name} = {}", toml_literal(doc, default));
        }
    }
    out
}

/// Loads `text` as `path` would be loaded, with the same validation and messages.
pub fn load(path: &Path, text: &str) -> Result<Settings, ConfigError> {
    settings::from_bytes(path, text.as_bytes()).map(|(s, _)| s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::keys::KEYS;

    fn all() -> Vec<&'static str> {
        KEYS.iter().map(|d| d.key).collect()
    }

    #[test]
    fn commented_defaults_are_the_real_defaults() {
        let path = Path::new("aurora.toml");
        let none = render(&Settings::default(), &[]);
        let every = render(&Settings::default(), &all());
        assert_eq!(load(path, &none).unwrap(), Settings::default());
        // Each key written out with its default loads as the default...
        assert_eq!(load(path, &every).unwrap(), Settings::default());
        // ...and is exactly the line the commented file shows, behind `# `.
        for (commented, written) in none.lines().zip(every.lines()) {
            if commented != written {
                assert_eq!(commented, format!("# {written}"));
            }
        }
        for doc in KEYS {
            assert!(none.contains(&format!("# {}\n", doc.help)), "{}", doc.key);
        }
    }

    #[test]
    fn chosen_values_are_written_and_load_back() {
        let mut s = Settings::default();
        s.universe.symbols = ["SPY", "BRK.B"]
            .iter()
            .map(|x| x.parse().unwrap())
            .collect();
        s.strategy.name = "fixed".into();
        s.strategy.weights = [("SPY", "0.6"), ("BRK.B", "0.35")]
            .iter()
            .map(|(k, v)| (k.parse().unwrap(), v.parse().unwrap()))
            .collect();
        let text = render(
            &s,
            &["universe.symbols", "strategy.name", "strategy.weights"],
        );
        assert!(
            text.contains("\nsymbols = [\"SPY\", \"BRK.B\"]\n"),
            "{text}"
        );
        assert!(text.contains("\nname = \"fixed\"\n"), "{text}");
        assert!(
            text.contains("\nweights = { \"BRK.B\" = 0.35, SPY = 0.6 }\n"),
            "{text}"
        );
        assert!(text.contains("\n# lookback = 50\n"), "{text}");
        assert!(text.contains("\n# max_order_notional = 25000\n"), "{text}");
        assert_eq!(load(Path::new("aurora.toml"), &text).unwrap(), s);
    }
}
