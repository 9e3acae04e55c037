//! `aurora pause` and `aurora resume`, and whether trading is paused: by a stored pause or by
//! `STATE_DIR/HALT` (the emergency stop that needs no binary: a pause without an end whose
//! content is the reason). Both are one state to every job and to `status --json`.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{JobContext, Report};
use crate::exit::Exit;
use crate::market::fmt_chicago;
use crate::store::{PauseRecord, Store};
use crate::types::SessionDate;

/// Where a pause comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PauseSource {
    /// `aurora pause`, stored.
    Command,
    /// The `STATE_DIR/HALT` file.
    HaltFile,
}

/// A pause: preflight and trade send nothing while it is in force.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Pause {
    /// `command` or `halt_file`.
    pub source: PauseSource,
    /// When it began (for HALT, the file's modification time).
    pub since: Option<DateTime<Utc>>,
    /// Who paused (`user@host`, or the HALT file's path).
    pub by: String,
    /// Why.
    pub reason: Option<String>,
    /// When it ends by itself, by Alpaca's clock; `None` until resumed.
    pub until: Option<DateTime<Utc>>,
}

impl Pause {
    /// Whether it is in force at Alpaca's `now`.
    pub fn in_force(&self, now: DateTime<Utc>) -> bool {
        self.until.is_none_or(|until| now < until)
    }

    /// `paused since Mon 2026-11-30 09:00 CST by ann@vm: broker maintenance (until …)`.
    pub fn line(&self) -> String {
        let since = self
            .since
            .map(|t| format!(" since {}", fmt_chicago(t)))
            .unwrap_or_default();
        let reason = self.reason.as_deref().unwrap_or("no reason given");
        let until = match self.until {
            Some(t) => format!("until {}", fmt_chicago(t)),
            None => "until `aurora resume`".to_owned(),
        };
        let until = match self.source {
            PauseSource::Command => until,
            PauseSource::HaltFile => format!("until {} is removed", self.by),
        };
        format!("paused{since} by {}: {reason} ({until})", self.by)
    }
}

impl From<PauseRecord> for Pause {
    fn from(r: PauseRecord) -> Pause {
        Pause {
            source: PauseSource::Command,
            since: Some(r.since),
            by: r.by,
            reason: r.reason,
            until: r.until,
        }
    }
}

/// The longest HALT reason read; the file is meant for a line of text.
const MAX_HALT_REASON: u64 = 1000;

/// The HALT file as a pause, when it exists.
pub fn halt_file(path: &Path) -> Option<Pause> {
    let meta = std::fs::metadata(path).ok()?;
    let mut text = String::new();
    if let Ok(f) = std::fs::File::open(path) {
        let mut bytes = Vec::new();
        let _ = f.take(MAX_HALT_REASON).read_to_end(&mut bytes);
        text = String::from_utf8_lossy(&bytes).trim().to_owned();
    }
    Some(Pause {
        source: PauseSource::HaltFile,
        since: meta.modified().ok().map(DateTime::<Utc>::from),
        by: path.display().to_string(),
        reason: (!text.is_empty()).then_some(text),
        until: None,
    })
}

/// The pause on record: HALT first (it needs removing by hand), else the stored one, whether
/// or not its `until` has passed.
pub fn on_record(halt: &Path, store: &Store) -> anyhow::Result<Option<Pause>> {
    if let Some(p) = halt_file(halt) {
        return Ok(Some(p));
    }
    Ok(store
        .current_pause()
        .context("cannot read the pause state")?
        .map(Pause::from))
}

/// The pause in force at Alpaca's `now`, if any. A stored pause whose `until` has passed is
/// ended here, so the store (and the metrics) no longer show it.
pub fn in_force_at(ctx: &JobContext, now: DateTime<Utc>) -> anyhow::Result<Option<Pause>> {
    let Some(pause) = on_record(&ctx.config.halt_path(), &ctx.store)? else {
        return Ok(None);
    };
    if pause.in_force(now) {
        return Ok(Some(pause));
    }
    tracing::info!("{}: over by Alpaca's clock, trading resumes", pause.line());
    ctx.store
        .resume(Utc::now(), "its --until (Alpaca's clock)")
        .context("cannot end the pause")?;
    Ok(None)
}

/// The pause in force now; Alpaca's clock is read only when the pause has an end.
pub async fn in_force(ctx: &JobContext) -> anyhow::Result<Option<Pause>> {
    let Some(pause) = on_record(&ctx.config.halt_path(), &ctx.store)? else {
        return Ok(None);
    };
    if pause.until.is_none() {
        return Ok(Some(pause));
    }
    let clock = ctx
        .client
        .clock()
        .await
        .context("cannot read the market clock")?;
    in_force_at(ctx, clock.now())
}

/// What `aurora pause` did.
#[derive(Clone, Debug, Serialize)]
pub struct PauseReport {
    /// The pause now in force.
    pub pause: Pause,
    /// The pause it replaced, if one was on record.
    pub replaced: Option<Pause>,
}

impl Report for PauseReport {
    fn exit(&self) -> Exit {
        Exit::Ok
    }

    fn session(&self) -> Option<SessionDate> {
        None
    }

    fn render(&self) -> String {
        let mut out = format!("⏸ {}\n", capitalized(&self.pause.line()));
        if let Some(old) = &self.replaced {
            out.push_str(&format!("  replaces: {}\n", old.line()));
        }
        out.push_str(
            "  preflight and trade send nothing while paused; fetch, eod and status run as usual\n",
        );
        out
    }
}

/// What `aurora resume` did.
#[derive(Clone, Debug, Serialize)]
pub struct ResumeReport {
    /// The stored pause it ended, if any.
    pub ended: Option<Pause>,
    /// The HALT file it removed, if one existed.
    pub halt_removed: Option<Pause>,
}

impl Report for ResumeReport {
    fn exit(&self) -> Exit {
        Exit::Ok
    }

    fn session(&self) -> Option<SessionDate> {
        None
    }

    fn render(&self) -> String {
        let mut out = String::new();
        for p in self.ended.iter().chain(&self.halt_removed) {
            out.push_str(&format!("▶ Resumed: ended {}\n", p.line()));
        }
        if out.is_empty() {
            out.push_str("Not paused: nothing to resume.\n");
        }
        out
    }
}

/// `aurora pause [--until T] [--reason TEXT]`: stores the pause. No lock, no Alpaca: it works
/// while a job runs (whose `kill_switch` rule then stops it) and while Alpaca is down.
pub fn pause(
    state_dir: &Path,
    until: Option<DateTime<Utc>>,
    reason: Option<String>,
) -> anyhow::Result<PauseReport> {
    let store = crate::store::open_in(state_dir, crate::store::DEFAULT_BUSY_TIMEOUT)
        .context("cannot open the store")?;
    let record = PauseRecord {
        since: Utc::now(),
        by: crate::host::user_at_host(),
        reason: reason
            .map(|r| r.trim().to_owned())
            .filter(|r| !r.is_empty()),
        until,
    };
    let replaced = store
        .pause(&record)
        .context("cannot store the pause")?
        .map(Pause::from);
    let pause = Pause::from(record);
    tracing::info!(by = %pause.by, "{}", pause.line());
    Ok(PauseReport { pause, replaced })
}

/// `aurora resume`: ends the stored pause and removes `STATE_DIR/HALT`.
pub fn resume(state_dir: &Path) -> anyhow::Result<ResumeReport> {
    let store = crate::store::open_in(state_dir, crate::store::DEFAULT_BUSY_TIMEOUT)
        .context("cannot open the store")?;
    let by = crate::host::user_at_host();
    let ended = store
        .resume(Utc::now(), &by)
        .context("cannot end the pause")?
        .map(Pause::from);
    let halt: PathBuf = state_dir.join(crate::config::HALT_FILE);
    let halt_removed = halt_file(&halt);
    if halt_removed.is_some() {
        std::fs::remove_file(&halt).with_context(|| format!("cannot remove {}", halt.display()))?;
    }
    for p in ended.iter().chain(&halt_removed) {
        tracing::info!(%by, "resumed: ended {}", p.line());
    }
    Ok(ResumeReport {
        ended,
        halt_removed,
    })
}

/// `--until`: a date (the pause ends as that New York market date begins), a date and time in
/// America/Chicago (`YYYY-MM-DDTHH:MM[:SS]`), or an RFC 3339 time.
pub fn parse_until(text: &str) -> Result<DateTime<Utc>, String> {
    use chrono::{NaiveDate, NaiveDateTime, TimeZone as _};
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(crate::market::day_start(SessionDate::new(d)));
    }
    for format in ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(local) = NaiveDateTime::parse_from_str(text, format) {
            return chrono_tz::America::Chicago
                .from_local_datetime(&local)
                .earliest()
                .map(|t| t.with_timezone(&Utc))
                .ok_or_else(|| format!("{text} does not exist in America/Chicago (a DST gap)"));
        }
    }
    Err(format!(
        "{text:?} is not a date (YYYY-MM-DD), a Chicago time (YYYY-MM-DDTHH:MM) or an RFC 3339 time"
    ))
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn a_pause_ends_at_its_until_by_the_clock_given() {
        let p = Pause {
            source: PauseSource::Command,
            since: Some(t("2026-11-30T14:00:00Z")),
            by: "ann@vm".into(),
            reason: Some("broker maintenance".into()),
            until: Some(t("2026-12-01T05:00:00Z")),
        };
        assert!(p.in_force(t("2026-12-01T04:59:59Z")));
        assert!(!p.in_force(t("2026-12-01T05:00:00Z")));
        assert_eq!(
            p.line(),
            "paused since Mon 2026-11-30 08:00 CST by ann@vm: broker maintenance \
             (until Mon 2026-11-30 23:00 CST)"
        );
        let forever = Pause { until: None, ..p };
        assert!(forever.in_force(t("2099-01-01T00:00:00Z")));
    }

    #[test]
    fn until_takes_a_market_date_a_chicago_time_or_rfc3339() {
        // A date: the New York market date begins (midnight Eastern).
        assert_eq!(
            parse_until("2026-12-07").unwrap(),
            t("2026-12-07T05:00:00Z")
        );
        assert_eq!(
            parse_until("2026-12-01T10:00").unwrap(),
            t("2026-12-01T16:00:00Z")
        );
        assert_eq!(
            parse_until("2026-07-01T10:00").unwrap(),
            t("2026-07-01T15:00:00Z")
        );
        assert_eq!(
            parse_until("2026-12-01T10:00:00-05:00").unwrap(),
            t("2026-12-01T15:00:00Z")
        );
        assert!(parse_until("next week").unwrap_err().contains("next week"));
    }

    #[test]
    fn the_halt_file_is_a_pause_whose_content_is_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let halt = dir.path().join("HALT");
        assert_eq!(halt_file(&halt), None);
        std::fs::write(&halt, "  disk replaced tonight\n").unwrap();
        let p = halt_file(&halt).unwrap();
        assert_eq!(p.source, PauseSource::HaltFile);
        assert_eq!(p.reason.as_deref(), Some("disk replaced tonight"));
        assert_eq!(p.until, None);
        assert!(p.line().ends_with(&format!(
            ": disk replaced tonight (until {} is removed)",
            halt.display()
        )));
        std::fs::write(&halt, "").unwrap();
        assert!(halt_file(&halt).unwrap().line().contains("no reason given"));
    }
}
