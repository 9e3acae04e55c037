//! `GET /v2/stocks/bars`: daily bars. The data API sends prices as JSON numbers.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};

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

/// A JSON number as the decimal it was written as: the shortest text that round-trips the
/// `f64` is the text Alpaca sent (prices have far fewer than 15 significant digits).
fn number<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    let f = f64::deserialize(d)?;
    f.to_string().parse().map_err(serde::de::Error::custom)
}

fn number_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    match Option::<f64>::deserialize(d)? {
        Some(f) => f
            .to_string()
            .parse()
            .map(Some)
            .map_err(serde::de::Error::custom),
        None => Ok(None),
    }
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
        let empty: BarsPage =
            serde_json::from_str(r#"{"bars":null,"next_page_token":null}"#).unwrap();
        assert!(empty.bars.is_empty());
    }
}
