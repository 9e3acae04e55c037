//! The session's report files: Markdown, JSON and its dated chart, each replaced whole.

use std::os::unix::fs::DirBuilderExt as _;
use std::path::PathBuf;

use anyhow::Context as _;

use super::{ReportFiles, SessionReport, chart, markdown};
use crate::jobs::JobContext;
use crate::jobs::performance::{BenchmarkCloses, Period};
use crate::stats;
use crate::store::Snapshot;

/// Writes the session's Markdown, JSON and dated chart, and copies the chart to `equity.svg`;
/// each file is replaced whole, so a rerun rewrites them and a full disk leaves the old ones.
pub fn write_files(
    ctx: &JobContext,
    session: &SessionReport,
    snapshots: &[Snapshot],
    benchmark: Option<&BenchmarkCloses>,
) -> anyhow::Result<ReportFiles> {
    let dir = ctx.config.report_dir();
    // Positions and P&L are private: the directory is the owner's alone, like the state's.
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)
        .with_context(|| format!("cannot create report directory {}", dir.display()))?;
    let date = session.session;
    let files = ReportFiles {
        markdown: dir.join(format!("{date}.md")),
        json: dir.join(format!("{date}.json")),
        chart: dir.join(format!("equity-{date}.svg")),
        latest_chart: dir.join("equity.svg"),
    };
    let mut with_files = session.clone();
    with_files.files = Some(files.clone());
    let period = Period {
        snapshots,
        range: 0..snapshots.len(),
    };
    let series = period.series();
    let svg = chart::equity_svg(&chart::Chart {
        series: &series,
        drawdowns: &stats::drawdowns(&series),
        benchmark: benchmark.map(|b| (&b.symbol, stats::benchmark_scaled(&series, &b.closes))),
        marked: date.date(),
    })
    .map_err(|e| anyhow::anyhow!("cannot draw the equity curve: {e}"))?;
    let chart_name = format!("equity-{date}.svg");
    let write = |path: &PathBuf, bytes: &[u8]| {
        crate::atomic_file::write(path, bytes)
            .with_context(|| format!("cannot write {}", path.display()))
    };
    write(&files.chart, svg.as_bytes())?;
    write(&files.latest_chart, svg.as_bytes())?;
    write(
        &files.markdown,
        markdown::render(&with_files, &chart_name).as_bytes(),
    )?;
    write(
        &files.json,
        serde_json::to_string_pretty(&with_files)?.as_bytes(),
    )?;
    Ok(files)
}
