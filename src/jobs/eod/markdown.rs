//! The daily report as Markdown.

use std::fmt::Write as _;

use super::EodReport;

/// The human report: summary, orders and fills, positions, P&L, discrepancies, warnings.
pub fn render(r: &EodReport, chart_file: &str) -> String {
    let mut md = String::new();
    let Some(day) = &r.day else {
        return format!(
            "# Aurora daily report — {}\n\nNo session today.\n",
            r.session
        );
    };
    let a = &day.account;
    let _ = writeln!(md, "# Aurora daily report — {}\n", r.session);
    let verdict = if day.discrepancies.is_empty() {
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
    let _ = writeln!(md, "![Equity curve]({chart_file})\n");
    let _ = writeln!(md, "## P&L\n\n| period | P&L |\n|---|---:|");
    let _ = writeln!(md, "| day | {} |", day.pnl.day.signed());
    let _ = writeln!(md, "| month to date | {} |", day.pnl.month_to_date.signed());
    let _ = writeln!(
        md,
        "| since first snapshot | {} |\n",
        day.pnl.since_first.signed()
    );

    let _ = writeln!(md, "## Orders\n");
    if day.orders.is_empty() {
        let _ = writeln!(md, "No orders were planned today.\n");
    } else {
        let _ = writeln!(
            md,
            "| symbol | side | planned | fate | filled | avg price | reference | slippage (bps) | reason |"
        );
        let _ = writeln!(md, "|---|---|---:|---|---:|---:|---:|---:|---|");
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
                "| {} | {} | {planned} | {fate} | {} | {} | {} | {} | {} |",
                o.symbol,
                o.side,
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
