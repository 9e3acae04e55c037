//! The paper guard (DESIGN invariant 1): decide, before any request, whether the endpoint may be used.

use std::net::IpAddr;

use reqwest::Url;
use serde::Serialize;

/// Whether Aurora talks to a paper account or, deliberately, a live one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TradingMode {
    /// Alpaca's paper host or a loopback fake.
    Paper,
    /// Any other host, enabled by `--live` plus `AURORA_LIVE=1`.
    Live,
}

/// Which of Alpaca's APIs a base URL is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Api {
    /// The Trading API (`APCA_API_BASE_URL`).
    Trading,
    /// The Market Data API (`APCA_API_DATA_URL`).
    Data,
}

impl Api {
    /// Alpaca's own host for this API (paper, for trading).
    pub fn alpaca_host(self) -> &'static str {
        match self {
            Api::Trading => "paper-api.alpaca.markets",
            Api::Data => "data.alpaca.markets",
        }
    }

    /// The variable that sets its URL.
    pub fn variable(self) -> &'static str {
        match self {
            Api::Trading => "APCA_API_BASE_URL",
            Api::Data => "APCA_API_DATA_URL",
        }
    }
}

/// What kind of host a base URL points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndpointKind {
    /// Alpaca's host for the API over https: paper trading, or market data.
    Alpaca,
    /// 127.0.0.0/8, ::1 or localhost (the fake).
    Loopback,
    /// Anything else, live Alpaca included.
    Other,
}

/// The paper guard refused the endpoint (exit 3).
#[derive(Debug, thiserror::Error)]
pub enum PaperGuardError {
    /// The trading host is not paper.
    #[error(
        "refusing to use {url}: it is not Alpaca's paper host or a loopback address; live trading needs both --live and AURORA_LIVE=1"
    )]
    NotPaper {
        /// The trading URL.
        url: String,
    },
    /// The data host is not Alpaca's: the keys would go to it.
    #[error(
        "refusing to send the keys to {url} (APCA_API_DATA_URL): it is not Alpaca's data host (https://data.alpaca.markets) or a loopback address; another host needs both --live and AURORA_LIVE=1"
    )]
    NotAlpacaData {
        /// The data URL.
        url: String,
    },
    /// Even with the live opt-in, keys only travel encrypted to a host that is not loopback.
    #[error(
        "refusing to send the keys over plain http to {url} ({variable}): a host other than loopback needs https"
    )]
    Cleartext {
        /// The URL.
        url: String,
        /// Its variable.
        variable: &'static str,
    },
    /// `IS_PAPER_TRADING=false`.
    #[error(
        "refusing to run: IS_PAPER_TRADING is false; live trading needs both --live and AURORA_LIVE=1"
    )]
    PaperDisabled,
}

/// Classifies a base URL for `api`.
pub fn classify(url: &Url, api: Api) -> EndpointKind {
    let host = url.host_str().unwrap_or_default();
    if url.scheme() == "https" && host == api.alpaca_host() && url.path() == "/" {
        return EndpointKind::Alpaca;
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = host == "localhost" || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if loopback {
        EndpointKind::Loopback
    } else {
        EndpointKind::Other
    }
}

/// The two-part live opt-in: `--live` on the command line and `AURORA_LIVE=1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LiveOptIn {
    /// `--live` was given.
    pub flag: bool,
    /// `AURORA_LIVE=1` is set.
    pub env: bool,
}

impl LiveOptIn {
    fn given(self) -> bool {
        self.flag && self.env
    }
}

/// Paper unless live was asked for twice; the keys go only to Alpaca's hosts or loopback unless
/// live was asked for twice, and never in cleartext to another host.
pub fn guard(
    trading: &Url,
    data: &Url,
    is_paper: Option<bool>,
    live: LiveOptIn,
) -> Result<TradingMode, PaperGuardError> {
    for (api, url) in [(Api::Trading, trading), (Api::Data, data)] {
        if classify(url, api) == EndpointKind::Other && url.scheme() != "https" && live.given() {
            return Err(PaperGuardError::Cleartext {
                url: url.to_string(),
                variable: api.variable(),
            });
        }
    }
    if classify(data, Api::Data) == EndpointKind::Other && !live.given() {
        return Err(PaperGuardError::NotAlpacaData {
            url: data.to_string(),
        });
    }
    let paper_host = classify(trading, Api::Trading) != EndpointKind::Other;
    let paper_flag = is_paper != Some(false);
    if paper_host && paper_flag {
        return Ok(TradingMode::Paper);
    }
    if live.given() {
        return Ok(TradingMode::Live);
    }
    if paper_host {
        Err(PaperGuardError::PaperDisabled)
    } else {
        Err(PaperGuardError::NotPaper {
            url: trading.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn data() -> Url {
        url("https://data.alpaca.markets")
    }

    fn guard(
        trading: &Url,
        is_paper: Option<bool>,
        flag: bool,
        env: bool,
    ) -> Result<TradingMode, PaperGuardError> {
        super::guard(trading, &data(), is_paper, LiveOptIn { flag, env })
    }

    #[test]
    fn paper_and_loopback_pass() {
        for u in [
            "https://paper-api.alpaca.markets",
            "http://127.0.0.1:8080",
            "http://127.0.0.2",
            "http://[::1]:9",
            "http://localhost:1",
        ] {
            assert_eq!(
                guard(&url(u), None, false, false).unwrap(),
                TradingMode::Paper,
                "{u}"
            );
        }
    }

    #[test]
    fn live_host_needs_both_opt_ins() {
        let live = url("https://api.alpaca.markets");
        assert!(guard(&live, None, false, false).is_err());
        assert!(guard(&live, None, true, false).is_err());
        assert!(guard(&live, None, false, true).is_err());
        assert_eq!(guard(&live, None, true, true).unwrap(), TradingMode::Live);
    }

    #[test]
    fn lookalike_hosts_are_not_paper() {
        for u in [
            "http://paper-api.alpaca.markets",
            "https://paper-api.alpaca.markets.evil.example",
            "https://10.0.0.1",
        ] {
            assert!(guard(&url(u), None, false, false).is_err(), "{u}");
        }
    }

    #[test]
    fn is_paper_false_blocks_even_on_paper_host() {
        let paper = url("https://paper-api.alpaca.markets");
        assert!(matches!(
            guard(&paper, Some(false), false, false),
            Err(PaperGuardError::PaperDisabled)
        ));
        assert_eq!(
            guard(&paper, Some(true), false, false).unwrap(),
            TradingMode::Paper
        );
    }
}

/// The data URL guard (the keys go to it as they go to the trading URL).
#[cfg(test)]
mod data_tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn check(data: &str, flag: bool, env: bool) -> Result<TradingMode, PaperGuardError> {
        guard(
            &url("https://paper-api.alpaca.markets"),
            &url(data),
            None,
            LiveOptIn { flag, env },
        )
    }

    #[test]
    fn data_host_or_loopback_pass() {
        for u in [
            "https://data.alpaca.markets",
            "http://127.0.0.1:9",
            "http://[::1]:9",
            "http://localhost:1",
        ] {
            assert_eq!(check(u, false, false).unwrap(), TradingMode::Paper, "{u}");
        }
    }

    #[test]
    fn another_data_host_needs_both_opt_ins_and_https() {
        for u in [
            "http://evil.example",
            "https://evil.example",
            "http://data.alpaca.markets",
            "https://data.alpaca.markets.evil.example",
            "https://paper-api.alpaca.markets",
        ] {
            for (flag, env) in [(false, false), (true, false), (false, true)] {
                assert!(
                    matches!(
                        check(u, flag, env),
                        Err(PaperGuardError::NotAlpacaData { .. })
                    ),
                    "{u}"
                );
            }
        }
        assert_eq!(
            check("https://data.sandbox.alpaca.markets", true, true).unwrap(),
            TradingMode::Paper
        );
        assert!(matches!(
            check("http://data.sandbox.alpaca.markets", true, true),
            Err(PaperGuardError::Cleartext {
                variable: "APCA_API_DATA_URL",
                ..
            })
        ));
    }

    #[test]
    fn live_trading_host_needs_https_too() {
        let live = LiveOptIn {
            flag: true,
            env: true,
        };
        let data = url("https://data.alpaca.markets");
        assert!(matches!(
            guard(&url("http://api.alpaca.markets"), &data, None, live),
            Err(PaperGuardError::Cleartext {
                variable: "APCA_API_BASE_URL",
                ..
            })
        ));
        assert_eq!(
            guard(&url("https://api.alpaca.markets"), &data, None, live).unwrap(),
            TradingMode::Live
        );
    }
}
