//! The human view of a status report: compact, aligned, times in America/Chicago.

use std::fmt::Write as _;

use rust_decimal::Decimal;

use super::StatusReport;
use crate::jobs::table::{Align, table};
use crate::market::{Phase, Today, chicago, fmt_chicago};

/// Renders the report as text.
pub fn render(r: &StatusReport) -> String {
    let mut out = String::new();
    let m = &r.market;
    let state = if m.is_open {
        format!(
            "market open, closes {}",
            chicago(m.next_close).format("%H:%M %Z")
        )
    } else {
        format!("market closed, opens {}", fmt_chicago(m.next_open))
    };
    let _ = writeln!(out, "Aurora status · {} · {state}", fmt_chicago(m.now));
    match &m.today {
        Today::Session(s) => {
            let early = if s.early_close() {
                " (early close)"
            } else {
                ""
            };
            let phase = match s.phase(m.now) {
                Phase::BeforeOpen => "before the open",
                Phase::Open => "in session",
                Phase::Closed => "after the close",
            };
            let _ = writeln!(
                out,
                "Session {}: {}–{}{early}, {phase}",
                s.date,
                chicago(s.open).format("%H:%M"),
                chicago(s.close).format("%H:%M %Z"),
            );
        }
        Today::NoSession { date, reason } => {
            let _ = writeln!(out, "No session on {date} ({reason})");
        }
    }

    if let Some(p) = &r.pause {
        let _ = writeln!(out, "⏸ {}", p.line());
    }

    let a = &r.account;
    let pct = a
        .day_change_pct
        .map(|p| format!(" ({})", signed_pct(p)))
        .unwrap_or_default();
    let _ = writeln!(out, "\nAccount {} ({})", a.account_number, a.status);
    out.push_str(&table(
        &[
            vec![
                "Equity".into(),
                a.equity.to_string(),
                format!("day P&L {}{pct}", a.day_change.signed()),
            ],
            vec!["Cash".into(), a.cash.to_string(), String::new()],
            vec![
                "Buying power".into(),
                a.buying_power.to_string(),
                String::new(),
            ],
        ],
        &[Align::Left, Align::Right, Align::Left],
    ));

    let _ = writeln!(out, "\nPositions ({})", r.positions.len());
    if !r.positions.is_empty() {
        let mut rows = vec![cells(&[
            "SYMBOL",
            "QTY",
            "AVG ENTRY",
            "MARKET VALUE",
            "UNREALIZED P&L",
        ])];
        for p in &r.positions {
            let pl = match (p.unrealized_pl, p.unrealized_plpc) {
                (Some(pl), Some(pc)) => format!(
                    "{} ({})",
                    pl.signed(),
                    signed_pct(pc * Decimal::ONE_HUNDRED)
                ),
                (Some(pl), None) => pl.signed(),
                _ => "—".into(),
            };
            rows.push(vec![
                p.symbol.to_string(),
                p.qty.normalize().to_string(),
                p.avg_entry_price.to_string(),
                p.market_value.map_or("—".into(), |v| v.to_string()),
                pl,
            ]);
        }
        out.push_str(&table(
            &rows,
            &[
                Align::Left,
                Align::Right,
                Align::Right,
                Align::Right,
                Align::Right,
            ],
        ));
    }

    let _ = writeln!(out, "\nOpen orders ({})", r.open_orders.len());
    if !r.open_orders.is_empty() {
        let mut rows = vec![cells(&[
            "SYMBOL",
            "SIDE",
            "QTY",
            "FILLED",
            "TYPE",
            "TIF",
            "STATUS",
            "CLIENT ORDER ID",
        ])];
        for o in &r.open_orders {
            let size = match (o.qty, o.notional) {
                (Some(q), _) => q.normalize().to_string(),
                (None, Some(n)) => n.to_string(),
                (None, None) => "—".into(),
            };
            rows.push(vec![
                o.symbol.to_string(),
                o.side.as_str().into(),
                size,
                o.filled_qty.normalize().to_string(),
                o.order_type.clone(),
                o.time_in_force.clone(),
                o.status.as_str().into(),
                o.client_order_id.clone(),
            ]);
        }
        out.push_str(&table(
            &rows,
            &[
                Align::Left,
                Align::Left,
                Align::Right,
                Align::Right,
                Align::Left,
                Align::Left,
                Align::Left,
                Align::Left,
            ],
        ));
    }

    if let Some(plan) = &r.plan {
        let filled = plan
            .orders
            .iter()
            .filter(|o| !o.filled_qty.is_zero())
            .count();
        let _ = writeln!(
            out,
            "\nToday's plan (revision {}, {}): {} order(s), {filled} with fills",
            plan.revision,
            plan.outcome,
            plan.orders.len()
        );
        if !plan.orders.is_empty() {
            let mut rows = vec![cells(&[
                "SYMBOL",
                "SIDE",
                "AURORA",
                "ALPACA",
                "FILLED",
                "AVG PRICE",
            ])];
            for o in &plan.orders {
                rows.push(vec![
                    o.symbol.to_string(),
                    o.side.into(),
                    serde_json::to_value(o.state)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default(),
                    o.alpaca_status.clone().unwrap_or_else(|| "—".into()),
                    o.filled_qty.normalize().to_string(),
                    o.filled_avg_price.map_or("—".into(), |p| p.to_string()),
                ]);
            }
            out.push_str(&table(
                &rows,
                &[
                    Align::Left,
                    Align::Left,
                    Align::Left,
                    Align::Left,
                    Align::Right,
                    Align::Right,
                ],
            ));
        }
    }

    let _ = writeln!(out, "\nLast runs");
    if r.last_runs.is_empty() {
        let _ = writeln!(out, "  none yet");
    } else {
        let rows: Vec<Vec<String>> = r
            .last_runs
            .iter()
            .map(|run| {
                let (mark, outcome) = match (run.exit_code, &run.outcome) {
                    (Some(0), Some(o)) => ("✅", o.clone()),
                    (Some(_), Some(o)) => ("❌", o.clone()),
                    _ => ("⏳", "unfinished".to_owned()),
                };
                let when = format!(
                    "{} ({} ago)",
                    fmt_chicago(run.started_at),
                    age(run.age_secs)
                );
                let err = run
                    .error
                    .as_deref()
                    .map(|e| format!("  {e}"))
                    .unwrap_or_default();
                vec![
                    format!("{mark} {}", run.job),
                    outcome,
                    format!("{when}{err}"),
                ]
            })
            .collect();
        out.push_str(&table(&rows, &[Align::Left, Align::Left, Align::Left]));
    }

    let _ = writeln!(out, "\nTimers");
    if r.timers.reachable {
        for t in &r.timers.timers {
            let mark = if t.active == "active" { "✅" } else { "❌" };
            let next = t
                .next
                .as_deref()
                .map(|n| format!(" (next: {n})"))
                .unwrap_or_default();
            let _ = writeln!(out, "  {mark} {}: {}{next}", t.unit, t.active);
        }
    } else {
        let _ = writeln!(
            out,
            "  systemd is not reachable, so the timers are not shown ({})",
            r.timers.problem.as_deref().unwrap_or("unknown reason")
        );
    }

    let paused = if r.pause.is_some() { " (paused)" } else { "" };
    if r.health.ok {
        let _ = writeln!(out, "\nHealth: ✅ healthy{paused}");
    } else {
        let _ = writeln!(
            out,
            "\nHealth: ❌ {} problem(s){paused}",
            r.health.problems.len()
        );
        for p in &r.health.problems {
            let before = if p.new || r.health.strict {
                ""
            } else {
                " (alerted before)"
            };
            let _ = writeln!(out, "  ❌ {}: {}{before}", p.subject, p.detail);
        }
    }
    out
}

fn cells(texts: &[&str]) -> Vec<String> {
    texts.iter().map(|s| (*s).to_owned()).collect()
}

fn signed_pct(p: Decimal) -> String {
    let p = p.round_dp(2);
    if p.is_sign_negative() && !p.is_zero() {
        format!("{p:.2}%")
    } else {
        format!("+{:.2}%", p.abs())
    }
}

/// `42s`, `35m`, `3h05m`, `2d04h`.
fn age(secs: i64) -> String {
    let s = secs.max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86400 => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d{:02}h", s / 86400, s % 86400 / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_naturally() {
        assert_eq!(age(42), "42s");
        assert_eq!(age(35 * 60), "35m");
        assert_eq!(age(3 * 3600 + 5 * 60), "3h05m");
        assert_eq!(age(2 * 86400 + 4 * 3600), "2d04h");
    }
}
