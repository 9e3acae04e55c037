//! The daily report as Markdown.

use std::fmt::Write as _;

use super::SessionReport;
use crate::jobs::performance;

/// The human report: summary, chart, P&L, performance, allocation, orders and fills,
/// positions, discrepancies, warnings.
pub fn render(day: &SessionReport, chart_file: &str) -> String {
    let mut md = String::new();
    let a = &day.account;
    let _ = writeln!(md, "# Aurora daily report — {}\n", day.session);
    let verdict = if day.baseline.is_some() {
        "🟦 baseline"
    } else if day.discrepancies.is_empty() {
        "✅ reconciled"
    } else {
        "❌ discrepancies found"
    };
    let _ = writeln!(
        md,
        "**{verdict}** · equity {} · day {} · cash {}\n",
        a.equity,
        day.pnl.day.signed(),
        a.cash
    );
    if let Some(b) = day.baseline {
        let _ = writeln!(
            md,
            "baseline: {} position{} adopted. This is the first snapshot, so there was nothing to \
             check the positions against; from the next session on they are expected to change \
             only by Aurora's fills.\n",
            b.positions,
            if b.positions == 1 { "" } else { "s" }
        );
    }
    if day.caught_up {
        let _ = writeln!(
            md,
            "Reconciled on a later day (the end-of-day run for this session did not happen on \
             time); figures are as of this session's close.\n"
        );
    }
    let _ = writeln!(md, "![Equity curve]({chart_file})\n");
    let _ = writeln!(md, "## P&L\n\n| period | P&L |\n|---|---:|");
    let _ = writeln!(md, "| day | {} |", day.pnl.day.signed());
    let _ = writeln!(md, "| month to date | {} |", day.pnl.month_to_date.signed());
    let _ = writeln!(md, "| since start | {} |\n", day.pnl.since_start.signed());

    let _ = writeln!(
        md,
        "## Performance since start\n\n| figure | value |\n|---|---:|"
    );
    for (label, value) in performance::rows(&day.stats) {
        let _ = writeln!(md, "| {label} | {value} |");
    }
    md.push('\n');

    let _ = writeln!(md, "## Allocation\n");
    if day.allocation.is_empty() {
        let _ = writeln!(md, "All cash; the strategy wants no positions.\n");
    } else {
        let _ = writeln!(md, "| symbol | weight | target |\n|---|---:|---:|");
        let pct =
            |v: Option<f64>| v.map_or_else(|| "—".to_owned(), |x| format!("{:.1}%", x * 100.0));
        for a in &day.allocation {
            let _ = writeln!(
                md,
                "| {} | {} | {} |",
                a.symbol,
                pct(a.weight),
                pct(a.target_weight)
            );
        }
        md.push('\n');
    }

    let _ = writeln!(md, "## Orders\n");
    if day.orders.is_empty() {
        let _ = writeln!(md, "No orders were planned for this session.\n");
    } else {
        let _ = writeln!(
            md,
            "| rev | symbol | side | planned | fate | filled | avg price | reference | slippage (bps) | reason |"
        );
        let _ = writeln!(md, "|---:|---|---|---:|---|---:|---:|---:|---:|---|");
        for o in &day.orders {
            let planned = o
                .planned_qty
                .map(|q| q.normalize().to_string())
                .or_else(|| o.planned_notional.map(|n| n.to_string()))
                .unwrap_or_default();
            let fate = serde_json::to_value(o.fate)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            let _ = writeln!(
                md,
                "| {} | {} | {} | {planned} | {fate} | {} | {} | {} | {} | {} |",
                o.revision,
                o.symbol,
                o.side.as_str(),
                o.filled_qty.normalize(),
                o.filled_avg_price
                    .map(|p| p.to_string())
                    .unwrap_or_default(),
                o.reference_price,
                o.slippage_bps.map(|b| b.to_string()).unwrap_or_default(),
                o.reason.as_deref().unwrap_or(""),
            );
        }
        md.push('\n');
    }
    let _ = writeln!(md, "## Fills\n");
    if day.fills.is_empty() {
        let _ = writeln!(md, "No fills.\n");
    } else {
        let _ = writeln!(
            md,
            "| time (UTC) | symbol | side | qty | price |\n|---|---|---|---:|---:|"
        );
        for f in &day.fills {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} |",
                f.transaction_time.format("%H:%M:%S"),
                f.symbol,
                f.side,
                f.qty.normalize(),
                f.price
            );
        }
        md.push('\n');
    }
    let _ = writeln!(md, "## Positions\n");
    if day.positions.is_empty() {
        let _ = writeln!(md, "Flat.\n");
    } else {
        let _ = writeln!(
            md,
            "| symbol | qty | market value | unrealized P&L |\n|---|---:|---:|---:|"
        );
        for p in &day.positions {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} |",
                p.symbol,
                p.qty.normalize(),
                p.market_value.map(|v| v.to_string()).unwrap_or_default(),
                p.unrealized_pl.map(|v| v.signed()).unwrap_or_default()
            );
        }
        md.push('\n');
    }
    let _ = writeln!(md, "## Discrepancies\n");
    if day.discrepancies.is_empty() {
        let _ = writeln!(md, "None: every position is what Aurora's fills explain.\n");
    } else {
        let _ = writeln!(md, "| symbol | expected | Alpaca |\n|---|---:|---:|");
        for d in &day.discrepancies {
            let _ = writeln!(md, "| {} | {} | {} |", d.symbol, d.expected, d.actual);
        }
        md.push('\n');
    }
    let _ = writeln!(md, "## Warnings\n");
    if day.warnings.is_empty() {
        let _ = writeln!(md, "None.");
    } else {
        for w in &day.warnings {
            let _ = writeln!(md, "- {w}");
        }
    }
    md
}
