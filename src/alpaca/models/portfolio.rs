//! `GET /v2/account/portfolio/history`: the account's equity at each close. Unlike the rest of
//! the Trading API, its values are JSON numbers (read exactly, never through `f64`).

use chrono::{DateTime, NaiveDate};
use chrono_tz::America::New_York;
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};

/// Daily (`timeframe=1D`) portfolio history.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct PortfolioHistory {
    /// Each point's time, Unix seconds (a daily point falls on its session's New York date).
    #[serde(default)]
    pub timestamp: Vec<i64>,
    /// Equity at each point; `null` where the account has none.
    #[serde(default)]
    pub equity: Vec<Number>,
    /// The equity the first point is measured from.
    #[serde(default)]
    pub base_value: Option<Number>,
    /// The session `base_value` closed.
    #[serde(default)]
    pub base_value_asof: Option<NaiveDate>,
}

/// A JSON number or `null`, as an exact decimal.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Number(pub Option<Decimal>);

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        super::bar::number_opt(d).map(Number)
    }
}

impl PortfolioHistory {
    /// Each session's closing equity, by New York date, oldest first; points without equity
    /// are left out, as is the base.
    pub fn closes(&self) -> Vec<(NaiveDate, Decimal)> {
        let mut out: Vec<(NaiveDate, Decimal)> = self
            .timestamp
            .iter()
            .zip(&self.equity)
            .filter_map(|(t, e)| {
                let date = DateTime::from_timestamp(*t, 0)?
                    .with_timezone(&New_York)
                    .date_naive();
                Some((date, e.0?))
            })
            .collect();
        out.sort_by_key(|(d, _)| *d);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_alpacas_numbers_and_dates_each_point_in_new_york() {
        let h: PortfolioHistory = serde_json::from_str(
            r#"{"timestamp":[1775606400,1775692800,1775779200],"equity":[8425.21,null,8431.5],
                "profit_loss":[12.17,null,18.46],"profit_loss_pct":[0.0014,null,0.0022],
                "base_value":8413.04,"base_value_asof":"2026-04-06","timeframe":"1D"}"#,
        )
        .unwrap();
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert_eq!(
            h.closes(),
            [
                (d("2026-04-07"), "8425.21".parse().unwrap()),
                (d("2026-04-09"), "8431.5".parse().unwrap()),
            ]
        );
        assert_eq!(h.base_value, Some(Number(Some("8413.04".parse().unwrap()))));
        assert_eq!(h.base_value_asof, Some(d("2026-04-06")));
    }
}
