//! Preflight checks as pure functions: facts in, pass / warn / fail with a one-line detail out.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::alpaca::models::Account;
use crate::config::{EnvFileState, TradingMode};
use crate::market::{Today, fmt_chicago};
use crate::types::{Money, SessionDate, Symbol};

/// A check's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    /// Fine.
    Pass,
    /// Worth a look; does not block.
    Warn,
    /// Blocks trading.
    Fail,
}

/// One named check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    /// Stable name (`credentials`, `session`, …).
    pub name: String,
    /// Verdict.
    pub status: CheckStatus,
    /// One line saying what was found.
    pub detail: String,
}

impl Check {
    fn new(name: &str, status: CheckStatus, detail: impl Into<String>) -> Check {
        Check {
            name: name.to_owned(),
            status,
            detail: detail.into(),
        }
    }
    /// A passing check.
    pub fn pass(name: &str, detail: impl Into<String>) -> Check {
        Check::new(name, CheckStatus::Pass, detail)
    }
    /// A warning.
    pub fn warn(name: &str, detail: impl Into<String>) -> Check {
        Check::new(name, CheckStatus::Warn, detail)
    }
    /// A failure.
    pub fn fail(name: &str, detail: impl Into<String>) -> Check {
        Check::new(name, CheckStatus::Fail, detail)
    }
}

/// Skew beyond which preflight warns.
pub const SKEW_WARN: Duration = Duration::seconds(2);
/// Skew beyond which preflight fails.
pub const SKEW_FAIL: Duration = Duration::seconds(30);
/// Free space below which preflight warns.
pub const DISK_WARN_BYTES: u64 = 100 * 1024 * 1024;

/// The configuration loaded (reaching preflight at all means it validated).
pub fn config(file: Option<&Path>) -> Check {
    match file {
        Some(p) => Check::pass("config", format!("{} is valid", p.display())),
        None => Check::pass("config", "no aurora.toml; using documented defaults"),
    }
}

/// The env file is private (a readable one never gets this far: loading refuses it).
pub fn env_file(state: &EnvFileState) -> Check {
    match state.mode {
        Some(mode) => Check::pass(
            "env file",
            format!("{} mode {mode:04o}", state.path.display()),
        ),
        None => Check::pass(
            "env file",
            format!(
                "{} not found; keys come from the environment",
                state.path.display()
            ),
        ),
    }
}

/// Paper endpoint, or a deliberate live opt-in.
pub fn endpoint(mode: TradingMode, url: &str) -> Check {
    match mode {
        TradingMode::Paper => Check::pass("paper endpoint", format!("paper: {url}")),
        TradingMode::Live => Check::warn(
            "paper endpoint",
            format!("LIVE trading enabled (--live and AURORA_LIVE=1): {url}"),
        ),
    }
}

/// Alpaca accepted the keys.
pub fn credentials(rejected: Option<&str>) -> Check {
    match rejected {
        None => Check::pass("credentials", "accepted by Alpaca"),
        Some(why) => Check::fail(
            "credentials",
            format!(
                "credentials rejected by Alpaca ({why}); check APCA_API_KEY_ID and APCA_API_SECRET_KEY"
            ),
        ),
    }
}

/// The account may trade (the same test `trade` makes before it sends anything).
pub fn account(a: &Account) -> Check {
    let problems = a.trading_blockers();
    if problems.is_empty() {
        Check::pass("account", format!("{} ACTIVE", a.account_number))
    } else {
        Check::fail(
            "account",
            format!("{}: {}", a.account_number, problems.join(", ")),
        )
    }
}

/// Today's session, with an early close noted.
pub fn session(today: &Today) -> Check {
    match today {
        Today::Session(s) => {
            let hours = format!(
                "{} to {}",
                fmt_chicago(s.open),
                crate::market::chicago(s.close).format("%H:%M %Z")
            );
            if s.early_close() {
                Check::pass(
                    "session",
                    format!("{} session, early close: {hours}", s.date),
                )
            } else {
                Check::pass("session", format!("{} session {hours}", s.date))
            }
        }
        Today::NoSession { date, reason } => {
            Check::pass("session", format!("no session on {date} ({reason})"))
        }
    }
}

/// This machine's clock against Alpaca's `Date` header.
pub fn clock_skew(skew: Option<Duration>) -> Check {
    let Some(skew) = skew else {
        return Check::warn("clock skew", "Alpaca sent no Date header; skew unknown");
    };
    let secs = skew.num_milliseconds() as f64 / 1000.0;
    let detail = format!("local clock {secs:+.1}s from Alpaca's");
    if skew.abs() > SKEW_FAIL {
        Check::fail(
            "clock skew",
            format!(
                "{detail} (over {}s): fix NTP (timedatectl)",
                SKEW_FAIL.num_seconds()
            ),
        )
    } else if skew.abs() > SKEW_WARN {
        Check::warn(
            "clock skew",
            format!("{detail} (over {}s)", SKEW_WARN.num_seconds()),
        )
    } else {
        Check::pass("clock skew", detail)
    }
}

/// Enough buying power to trade.
pub fn buying_power(a: &Account, min: Decimal) -> Check {
    let min = Money::new(min);
    if a.buying_power < min {
        Check::fail(
            "buying power",
            format!("{} is below risk.min_buying_power {min}", a.buying_power),
        )
    } else {
        Check::pass(
            "buying power",
            format!("{} (minimum {min})", a.buying_power),
        )
    }
}

/// Every universe symbol has a bar for the last session before today and none is missing
/// inside the strategy's `lookback`-session window, after a catch-up fetch if one was needed
/// (`caught_up`: bars the catch-up stored and the symbols still lacking the last session;
/// `gaps`: the sessions still missing inside the window, by symbol).
pub fn market_data(
    universe: usize,
    previous: SessionDate,
    missing: &[Symbol],
    caught_up: Option<(u64, &[Symbol])>,
    gaps: &BTreeMap<Symbol, Vec<NaiveDate>>,
    lookback: u32,
) -> Check {
    let names = |s: &[Symbol]| s.iter().map(Symbol::as_str).collect::<Vec<_>>().join(", ");
    if !gaps.is_empty() {
        let list: Vec<String> = gaps
            .iter()
            .map(|(s, dates)| {
                let dates: Vec<String> = dates.iter().map(ToString::to_string).collect();
                format!("{s} lacks {}", dates.join(", "))
            })
            .collect();
        return Check::fail(
            "market data",
            format!(
                "gap inside the {lookback}-session lookback window: {} (Alpaca served no bar)",
                list.join("; ")
            ),
        );
    }
    match caught_up {
        None if missing.is_empty() => Check::pass(
            "market data",
            format!("all {universe} symbols have {previous}"),
        ),
        None => Check::fail(
            "market data",
            format!("missing {previous} for {}", names(missing)),
        ),
        Some((_, still)) if !still.is_empty() => Check::fail(
            "market data",
            format!(
                "stale after a catch-up fetch: {} lack {previous}",
                names(still)
            ),
        ),
        Some((bars, _)) => Check::pass(
            "market data",
            format!(
                "caught up ({bars} bars fetched for {}); all {universe} symbols have {previous}",
                names(missing)
            ),
        ),
    }
}

/// The store answers `quick_check` with `ok` and accepts writes.
pub fn store(quick_check: Result<String, String>, writable: Result<(), String>) -> Check {
    match (quick_check, writable) {
        (Ok(ok), Ok(())) if ok == "ok" => Check::pass("store", "writable, quick_check ok"),
        (Ok(msg), Ok(())) => Check::fail("store", format!("quick_check: {msg}")),
        (Err(e), _) | (_, Err(e)) => Check::fail("store", e),
    }
}

/// The state directory is private: it holds positions, orders and P&L (but no keys, so others
/// reading it is worth a warning, not a block).
pub fn state_dir(path: &Path, mode: Result<u32, String>) -> Check {
    match mode {
        Ok(mode) if mode & 0o077 != 0 => Check::warn(
            "state dir",
            format!(
                "{} has mode {mode:04o}: others can read positions and P&L; fix it with: chmod 700 {}",
                path.display(),
                path.display()
            ),
        ),
        Ok(mode) => Check::pass("state dir", format!("{} mode {mode:04o}", path.display())),
        Err(e) => Check::warn("state dir", format!("mode unknown: {e}")),
    }
}

/// Free space in the state directory.
pub fn disk(free: Result<u64, String>) -> Check {
    match free {
        Ok(bytes) if bytes < DISK_WARN_BYTES => {
            Check::warn("disk", format!("only {} MB free", bytes / 1_000_000))
        }
        Ok(bytes) => Check::pass("disk", format!("{:.1} GB free", bytes as f64 / 1e9)),
        Err(e) => Check::warn("disk", format!("free space unknown: {e}")),
    }
}

/// The kill switch file is absent.
pub fn kill_switch(path: &Path, present: bool) -> Check {
    if present {
        Check::fail(
            "kill switch",
            format!("{} exists: remove it to allow trading", path.display()),
        )
    } else {
        Check::pass("kill switch", "not set")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account_with(status: &str, extra: &str) -> Account {
        serde_json::from_str(&format!(
            r#"{{"id":"x","account_number":"PA1","status":"{status}","cash":"1","buying_power":"5000",
               "equity":"1","last_equity":"1","created_at":null,"account_blocked":false,
               "trade_suspended_by_user":false{extra}}}"#
        ))
        .unwrap()
    }

    fn account_json(extra: &str) -> Account {
        account_with("ACTIVE", extra)
    }

    #[test]
    fn skew_thresholds() {
        assert_eq!(
            clock_skew(Some(Duration::milliseconds(1_900))).status,
            CheckStatus::Pass
        );
        assert_eq!(
            clock_skew(Some(Duration::milliseconds(-2_100))).status,
            CheckStatus::Warn
        );
        assert_eq!(
            clock_skew(Some(Duration::seconds(31))).status,
            CheckStatus::Fail
        );
        assert_eq!(clock_skew(None).status, CheckStatus::Warn);
    }

    #[test]
    fn blocked_or_inactive_accounts_fail() {
        assert_eq!(
            account(&account_json(r#","trading_blocked":false"#)).status,
            CheckStatus::Pass
        );
        let missing = account(&account_json(""));
        assert_eq!(missing.status, CheckStatus::Fail);
        assert!(
            missing.detail.contains("trading_blocked is missing"),
            "{}",
            missing.detail
        );
        let blocked = account(&account_json(r#","trading_blocked":true"#));
        assert_eq!(blocked.status, CheckStatus::Fail);
        assert!(blocked.detail.contains("trading_blocked"));
        let inactive = account(&account_with("INACTIVE", r#","trading_blocked":false"#));
        assert_eq!(inactive.status, CheckStatus::Fail);
        assert!(inactive.detail.contains("INACTIVE"));
    }

    #[test]
    fn buying_power_against_minimum() {
        let a = account_json("");
        assert_eq!(
            buying_power(&a, Decimal::new(1000, 0)).status,
            CheckStatus::Pass
        );
        assert_eq!(
            buying_power(&a, Decimal::new(5001, 0)).status,
            CheckStatus::Fail
        );
    }

    #[test]
    fn market_data_passes_fresh_or_caught_up_and_fails_stale() {
        let prev: SessionDate = "2026-11-27".parse().unwrap();
        let spy: Symbol = "SPY".parse().unwrap();
        let none = BTreeMap::new();
        assert_eq!(
            market_data(6, prev, &[], None, &none, 50).status,
            CheckStatus::Pass
        );
        let caught = market_data(
            6,
            prev,
            std::slice::from_ref(&spy),
            Some((400, &[])),
            &none,
            50,
        );
        assert_eq!(caught.status, CheckStatus::Pass);
        assert!(
            caught
                .detail
                .contains("caught up (400 bars fetched for SPY)"),
            "{}",
            caught.detail
        );
        let stale = market_data(
            6,
            prev,
            std::slice::from_ref(&spy),
            Some((0, std::slice::from_ref(&spy))),
            &none,
            50,
        );
        assert_eq!(stale.status, CheckStatus::Fail);
        assert!(
            stale.detail.contains("SPY lack 2026-11-27"),
            "{}",
            stale.detail
        );
        let gaps = BTreeMap::from([(spy.clone(), vec!["2026-11-24".parse().unwrap()])]);
        let gap = market_data(6, prev, &[], Some((1, &[])), &gaps, 50);
        assert_eq!(gap.status, CheckStatus::Fail);
        assert_eq!(
            gap.detail,
            "gap inside the 50-session lookback window: SPY lacks 2026-11-24 (Alpaca served no bar)"
        );
    }

    #[test]
    fn disk_and_kill_switch() {
        assert_eq!(disk(Ok(50 * 1024 * 1024)).status, CheckStatus::Warn);
        assert_eq!(disk(Ok(5 << 30)).status, CheckStatus::Pass);
        assert_eq!(
            kill_switch(Path::new("/s/HALT"), true).status,
            CheckStatus::Fail
        );
    }

    #[test]
    fn a_state_dir_others_can_read_warns() {
        let dir = Path::new("/s");
        assert_eq!(state_dir(dir, Ok(0o700)).status, CheckStatus::Pass);
        let open = state_dir(dir, Ok(0o755));
        assert_eq!(open.status, CheckStatus::Warn);
        assert!(open.detail.contains("chmod 700 /s"), "{}", open.detail);
        assert_eq!(state_dir(dir, Ok(0o710)).status, CheckStatus::Warn);
    }

    #[test]
    fn store_needs_ok_and_writes() {
        assert_eq!(store(Ok("ok".into()), Ok(())).status, CheckStatus::Pass);
        assert_eq!(
            store(Ok("row 3 missing".into()), Ok(())).status,
            CheckStatus::Fail
        );
        assert_eq!(
            store(Ok("ok".into()), Err("readonly".into())).status,
            CheckStatus::Fail
        );
    }
}
