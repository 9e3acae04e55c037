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

/// What kind of host a trading URL points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndpointKind {
    /// `https://paper-api.alpaca.markets`.
    AlpacaPaper,
    /// 127.0.0.0/8, ::1 or localhost (the fake).
    Loopback,
    /// Anything else, live Alpaca included.
    Other,
}

/// The paper guard refused the endpoint (exit 3).
#[derive(Debug, thiserror::Error)]
pub enum PaperGuardError {
    /// The host is not paper.
    #[error(
        "refusing to use {url}: it is not Alpaca's paper host or a loopback address; live trading needs both --live and AURORA_LIVE=1"
    )]
    NotPaper {
        /// The trading URL.
        url: String,
    },
    /// `IS_PAPER_TRADING=false`.
    #[error(
        "refusing to run: IS_PAPER_TRADING is false; live trading needs both --live and AURORA_LIVE=1"
    )]
    PaperDisabled,
}

/// Classifies a trading URL.
pub fn classify(url: &Url) -> EndpointKind {
    let host = url.host_str().unwrap_or_default();
    if url.scheme() == "https" && host == "paper-api.alpaca.markets" && url.path() == "/" {
        return EndpointKind::AlpacaPaper;
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = host == "localhost" || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if loopback {
        EndpointKind::Loopback
    } else {
        EndpointKind::Other
    }
}

/// Paper unless live was asked for twice: `--live` on the command line and `AURORA_LIVE=1`.
pub fn guard(
    url: &Url,
    is_paper: Option<bool>,
    live_flag: bool,
    live_env: bool,
) -> Result<TradingMode, PaperGuardError> {
    let paper_host = classify(url) != EndpointKind::Other;
    let paper_flag = is_paper != Some(false);
    if paper_host && paper_flag {
        return Ok(TradingMode::Paper);
    }
    if live_flag && live_env {
        return Ok(TradingMode::Live);
    }
    if paper_host {
        Err(PaperGuardError::PaperDisabled)
    } else {
        Err(PaperGuardError::NotPaper {
            url: url.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
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
