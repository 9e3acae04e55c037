//! `aurora alert --unit NAME`: what a failed unit's `OnFailure=` runs — a message that says what
//! happened (the job, its session, the exit code and its meaning, the run's error lines from the
//! store, the host, and where to look next), sent to the operator's webhook in its service's
//! format. It must work when everything else is broken: a broken config, an unsafe env file or a
//! missing store each become a line of the alert, never a reason not to send it.

use std::path::Path;

use chrono::Utc;
use serde::Serialize;
use tracing::{info, warn};

use super::Report;
use super::status::{run_failed_key, run_session};
use crate::config::{self, Config, Sources};
use crate::exit::Exit;
use crate::notify::{self, Delivery, Format, Message, Severity};
use crate::store::{RunRecord, Store};
use crate::types::SessionDate;
use crate::{host, systemctl, units};

/// What to alert about.
#[derive(Clone, Debug)]
pub struct AlertRequest {
    /// The failed unit (`paper-trading.service`); `None` with `test`.
    pub unit: Option<String>,
    /// Send a sample alert instead.
    pub test: bool,
}

/// The alert's facts; the `json` format posts exactly this, and `--json` prints it.
#[derive(Clone, Debug, Serialize)]
pub struct AlertMessage {
    /// One line for chat.
    pub text: String,
    /// The same, for Discord-style readers of the JSON format.
    pub content: String,
    /// The failed unit.
    pub unit: String,
    /// The job it runs (`trade`), when known.
    pub job: Option<String>,
    /// The session the failed run acted for.
    pub session: Option<SessionDate>,
    /// Its exit code.
    pub exit_code: Option<u8>,
    /// What the exit code means (`3: blocked by a safety check`).
    pub exit_meaning: Option<String>,
    /// The run's error lines, as stored.
    pub errors: Vec<String>,
    /// Other things the operator should know (an unsafe env file, a config that does not load).
    pub warnings: Vec<String>,
    /// This machine.
    pub host: String,
    /// When (UTC, RFC 3339).
    pub time: String,
    /// The command that shows more.
    pub command: String,
    /// The unit's last journal lines, when the journal could be read (not needed).
    pub logs: Vec<String>,
}

/// What `alert` did.
#[derive(Clone, Debug, Serialize)]
pub struct AlertReport {
    /// The message.
    pub message: AlertMessage,
    /// Whether a webhook took it.
    pub sent: bool,
    /// Why not, when not.
    pub note: Option<String>,
    /// Where it went and how (host, format, attempts), when there was a webhook.
    pub delivery: Option<Delivery>,
    /// A test alert.
    pub test: bool,
}

impl Report for AlertReport {
    fn exit(&self) -> Exit {
        match (&self.delivery, self.test) {
            (Some(d), _) if !d.sent => Exit::Failed,
            // A test without a webhook checked nothing: the configuration is missing.
            (None, true) => Exit::Usage,
            _ => Exit::Ok,
        }
    }

    fn session(&self) -> Option<SessionDate> {
        self.message.session
    }

    fn render(&self) -> String {
        let to = self
            .delivery
            .as_ref()
            .map(|d| {
                format!(
                    " to {} ({} format, {} attempt(s))",
                    d.host,
                    d.format.as_str(),
                    d.attempts
                )
            })
            .unwrap_or_default();
        let head = match (self.sent, &self.note) {
            (true, _) => format!("alert sent{to}: {}", self.message.text),
            (false, Some(note)) => format!("alert not sent{to} ({note}): {}", self.message.text),
            (false, None) => format!("alert not sent{to}: {}", self.message.text),
        };
        let mut out = head;
        for line in body(&self.message) {
            out.push_str(&format!("\n  {line}"));
        }
        out
    }
}

/// The webhook and its format, from the environment or the env file.
pub struct Target {
    /// `AURORA_ALERT_WEBHOOK`, when set and valid.
    pub webhook: Option<reqwest::Url>,
    /// `AURORA_ALERT_FORMAT`, or the webhook host's.
    pub format: Format,
    /// What is wrong with the env file or the two variables, one line each.
    pub problems: Vec<String>,
}

/// Where alerts (and the daily summary) go, from the environment or the env file.
pub fn target(sources: &Sources, env: &dyn Fn(&str) -> Option<String>) -> Target {
    let (values, env_problem) = config::lookup_for_alert(
        sources,
        env,
        &["AURORA_ALERT_WEBHOOK", "AURORA_ALERT_FORMAT"],
    );
    let mut problems: Vec<String> = env_problem.into_iter().collect();
    let webhook = match values[0]
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        Some(v) => match config::url_var("AURORA_ALERT_WEBHOOK", v) {
            Ok(u) => Some(u),
            Err(e) => {
                problems.push(e.to_string());
                None
            }
        },
        None => None,
    };
    let default = webhook.as_ref().map_or(Format::Json, Format::for_url);
    let format = match values[1]
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        Some(name) => Format::parse(name).unwrap_or_else(|e| {
            problems.push(format!("{e}; sending as {}", default.as_str()));
            default
        }),
        None => default,
    };
    Target {
        webhook,
        format,
        problems,
    }
}

/// Runs `aurora alert`. `env` looks up process variables (systemd's `MONITOR_*` included).
pub async fn run(
    sources: &Sources,
    env: &dyn Fn(&str) -> Option<String>,
    request: &AlertRequest,
) -> anyhow::Result<AlertReport> {
    let target = target(sources, env);
    let host = host::hostname();
    let mut warnings = target.problems.clone();
    let (message, store, run) = if request.test {
        (test_message(&host, warnings), None, None)
    } else {
        let unit = request.unit.clone().unwrap_or_default();
        // The config is loaded only to say what is wrong with it: a job that failed with exit 2
        // never reached its run record.
        if let Err(e) = Config::load(sources, env)
            && !target.problems.iter().any(|p| e.to_string() == *p)
        {
            warnings.push(format!("configuration: {e:#}"));
        }
        let (store, store_problem) = open_store(sources, env);
        warnings.extend(store_problem);
        let job = units::job_of(&unit);
        let run = match (&store, job) {
            (Some(s), Some(job)) => s
                .last_runs()
                .ok()
                .and_then(|runs| runs.into_iter().find(|r| r.job == job)),
            _ => None,
        };
        let message = failure_message(&unit, job, run.as_ref(), env, &host, warnings);
        (message, store, run)
    };
    let text = message.text.clone();
    let Some(url) = target.webhook else {
        info!(unit = %message.unit, "AURORA_ALERT_WEBHOOK is not set: nowhere to send the alert: {text}");
        return Ok(AlertReport {
            message,
            sent: false,
            note: Some("AURORA_ALERT_WEBHOOK is not set".into()),
            delivery: None,
            test: request.test,
        });
    };
    let chat = Message {
        title: message.text.clone(),
        lines: body(&message),
        severity: if request.test {
            Severity::Info
        } else {
            Severity::Alert
        },
        fields: serde_json::to_value(&message)?,
    };
    let delivery = notify::send(&url, target.format, &chat).await;
    if delivery.sent {
        info!(unit = %message.unit, host = %delivery.host, format = delivery.format.as_str(), "alert sent: {text}");
        // The failed run is alerted now: the hourly status does not alert for it again.
        if let (Some(store), Some(run)) = (&store, &run)
            && let Err(e) =
                store.mark_alerted(&run_failed_key(&run.job), run_session(run), Utc::now())
        {
            warn!("cannot record the alert in the store: {e}");
        }
    }
    Ok(AlertReport {
        sent: delivery.sent,
        note: delivery.error.clone(),
        message,
        delivery: Some(delivery),
        test: request.test,
    })
}

/// The store, if there is one: never created or migrated by an alert.
fn open_store(
    sources: &Sources,
    env: &dyn Fn(&str) -> Option<String>,
) -> (Option<Store>, Option<String>) {
    let dir = match config::state_dir(sources, env) {
        Ok(d) => d,
        Err(e) => return (None, Some(e.to_string())),
    };
    let db = dir.join(crate::store::DB_FILE);
    if !Path::new(&db).exists() {
        return (
            None,
            Some(format!(
                "no store at {}: no run was ever recorded",
                db.display()
            )),
        );
    }
    match Store::open(&db) {
        Ok(s) => (Some(s), None),
        Err(e) => (None, Some(format!("cannot read the store: {e}"))),
    }
}

fn failure_message(
    unit: &str,
    job: Option<&str>,
    run: Option<&RunRecord>,
    env: &dyn Fn(&str) -> Option<String>,
    host: &str,
    mut warnings: Vec<String>,
) -> AlertMessage {
    // systemd (252+) tells an OnFailure= unit how the failed unit ended.
    let monitor_code = env("MONITOR_EXIT_STATUS").and_then(|v| v.trim().parse::<u8>().ok());
    if let Some(result) =
        env("MONITOR_SERVICE_RESULT").filter(|r| r != "exit-code" && !r.is_empty())
    {
        warnings.push(format!("systemd: the unit ended with result {result}"));
    }
    let mut errors = Vec::new();
    let exit_code = match run {
        Some(r) if r.finished_at.is_some() => {
            errors.extend(r.error.iter().flat_map(|e| e.lines().map(str::to_owned)));
            r.exit_code.or(monitor_code)
        }
        Some(r) => {
            errors.push(format!(
                "the run that started {} never finished (killed by its timeout or a crash?)",
                r.started_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ));
            monitor_code
        }
        None => {
            errors.push(match job {
                Some(j) => format!("no {j} run is recorded: it failed before it started"),
                None => format!("{unit} is not one of Aurora's units"),
            });
            monitor_code
        }
    };
    let text = format!("⚠️ Aurora: {unit} failed on {host}");
    AlertMessage {
        content: text.clone(),
        text,
        unit: unit.to_owned(),
        job: job.map(str::to_owned),
        session: run.and_then(|r| r.session_date),
        exit_code,
        exit_meaning: exit_code.map(Exit::describe),
        errors,
        warnings,
        host: host.to_owned(),
        time: Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        command: format!("journalctl --user -u {unit} -n 50"),
        logs: systemctl::last_log_lines(unit, 20).unwrap_or_default(),
    }
}

fn test_message(host: &str, warnings: Vec<String>) -> AlertMessage {
    let text = format!("✅ Aurora: test alert from {host}");
    AlertMessage {
        content: text.clone(),
        text,
        unit: "aurora-alert@test.service".into(),
        job: None,
        session: None,
        exit_code: None,
        exit_meaning: None,
        errors: vec![
            "a test: a real alert names the failed unit, its job and session, the exit code and \
             its meaning, and the run's error lines"
                .into(),
        ],
        warnings,
        host: host.to_owned(),
        time: Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        command: "aurora status".into(),
        logs: Vec::new(),
    }
}

/// The alert's body, one fact a line, for people.
fn body(m: &AlertMessage) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(job) = &m.job {
        let session = m
            .session
            .map(|s| format!(", session {s}"))
            .unwrap_or_default();
        lines.push(format!("job: {job}{session}"));
    }
    if let Some(meaning) = &m.exit_meaning {
        lines.push(format!("exit {meaning}"));
    }
    lines.extend(m.errors.iter().map(|e| format!("error: {e}")));
    lines.extend(m.warnings.iter().map(|w| format!("⚠️ {w}")));
    lines.push(format!("host: {}", m.host));
    lines.push(format!("more: {}", m.command));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::RunId;

    #[test]
    fn a_failed_run_becomes_lines_that_say_what_happened() {
        let run = RunRecord {
            id: RunId(7),
            job: "eod".into(),
            session_date: Some("2026-11-30".parse().unwrap()),
            started_at: "2026-11-30T21:15:00Z".parse().unwrap(),
            finished_at: Some("2026-11-30T21:15:03Z".parse().unwrap()),
            outcome: Some("discrepancy".into()),
            exit_code: Some(4),
            error: Some("position discrepancy SPY: expected 10, Alpaca holds 12".into()),
        };
        let env = |_: &str| None;
        let m = failure_message(
            "paper-eod.service",
            Some("eod"),
            Some(&run),
            &env,
            "vm",
            vec!["env file x has mode 0644".into()],
        );
        assert_eq!(
            body(&m),
            [
                "job: eod, session 2026-11-30",
                "exit 4: reconciliation found a discrepancy",
                "error: position discrepancy SPY: expected 10, Alpaca holds 12",
                "⚠️ env file x has mode 0644",
                "host: vm",
                "more: journalctl --user -u paper-eod.service -n 50",
            ]
        );
        assert_eq!(m.text, "⚠️ Aurora: paper-eod.service failed on vm");
    }

    #[test]
    fn without_a_run_systemd_says_how_the_unit_ended() {
        let env = |name: &str| match name {
            "MONITOR_EXIT_STATUS" => Some("2".to_owned()),
            "MONITOR_SERVICE_RESULT" => Some("exit-code".to_owned()),
            _ => None,
        };
        let m = failure_message(
            "paper-trading.service",
            Some("trade"),
            None,
            &env,
            "vm",
            vec![],
        );
        assert_eq!(
            m.exit_meaning.as_deref(),
            Some("2: usage or configuration error")
        );
        assert_eq!(
            m.errors,
            ["no trade run is recorded: it failed before it started"]
        );
    }
}
