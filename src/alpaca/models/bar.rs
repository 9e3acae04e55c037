//! `GET /v2/stocks/bars`: daily bars. The data API sends prices as JSON numbers.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

/// One bar.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Bar {
    /// Bar start (daily bars: midnight New York, in UTC).
    pub t: DateTime<Utc>,
    /// Open.
    #[serde(deserialize_with = "number")]
    pub o: Decimal,
    /// High.
    #[serde(deserialize_with = "number")]
    pub h: Decimal,
    /// Low.
    #[serde(deserialize_with = "number")]
    pub l: Decimal,
    /// Close.
    #[serde(deserialize_with = "number")]
    pub c: Decimal,
    /// Volume.
    pub v: u64,
    /// Trade count.
    #[serde(default)]
    pub n: Option<u64>,
    /// Volume-weighted average price.
    #[serde(default, deserialize_with = "number_opt")]
    pub vw: Option<Decimal>,
}

/// One page of a multi-symbol bars response.
#[derive(Clone, Debug, Deserialize, Default)]
pub struct BarsPage {
    /// Bars by symbol; a symbol without data in range is absent.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub bars: BTreeMap<String, Vec<Bar>>,
    /// Token for the next page; `None` on the last.
    pub next_page_token: Option<String>,
}

/// A JSON number read from its text, exactly as written: never through `f64`.
pub(crate) fn number<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    let raw = <&RawValue>::deserialize(d)?;
    parse_number(raw.get()).map_err(serde::de::Error::custom)
}

pub(crate) fn number_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    let raw = <&RawValue>::deserialize(d)?;
    match raw.get() {
        "null" => Ok(None),
        text => parse_number(text)
            .map(Some)
            .map_err(serde::de::Error::custom),
    }
}

fn parse_number(text: &str) -> Result<Decimal, String> {
    let parsed = if text.contains(['e', 'E']) {
        Decimal::from_scientific(text)
    } else {
        text.parse()
    };
    // `390.0` and `390` are one price; keep one spelling of it.
    parsed
        .map(|d| d.normalize())
        .map_err(|e| format!("{text:?} is not a decimal number: {e}"))
}

fn null_as_empty<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, Vec<Bar>>, D::Error> {
    Ok(Option::deserialize(d)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_alpacas_multi_symbol_page_exactly() {
        let page: BarsPage = serde_json::from_str(
            r#"{"bars":{"AAPL":[{"t":"2026-07-13T04:00:00Z","o":210.1,"h":212.9,"l":209.4,"c":212.3,
                "v":48213377,"n":612044,"vw":211.58}]},"next_page_token":"QUFQTHxEfDIwMjY="}"#,
        )
        .unwrap();
        let bar = &page.bars["AAPL"][0];
        assert_eq!(bar.c.to_string(), "212.3");
        assert_eq!(bar.vw.unwrap().to_string(), "211.58");
        assert_eq!(page.next_page_token.as_deref(), Some("QUFQTHxEfDIwMjY="));
        let sci: Bar = serde_json::from_str(
            r#"{"t":"2026-07-13T04:00:00Z","o":1.5e2,"h":150.123456789,"l":1E2,"c":120,"v":1,"vw":null}"#,
        )
        .unwrap();
        assert_eq!(
            (sci.o.to_string(), sci.h.to_string(), sci.l.to_string()),
            ("150".into(), "150.123456789".into(), "100".into())
        );
        assert_eq!(sci.vw, None);
        let empty: BarsPage =
            serde_json::from_str(r#"{"bars":null,"next_page_token":null}"#).unwrap();
        assert!(empty.bars.is_empty());
    }
}
