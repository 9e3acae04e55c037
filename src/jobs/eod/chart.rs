//! The equity curve as SVG (plotters' SVG backend: no system font or browser needed).

use plotters::prelude::*;
use rust_decimal::prelude::ToPrimitive;

use crate::store::Snapshot;
use crate::types::SessionDate;

/// An SVG line of equity over every snapshot, with `today` marked.
pub fn equity_svg(snapshots: &[Snapshot], today: SessionDate) -> Result<String, String> {
    let points: Vec<(f64, f64)> = snapshots
        .iter()
        .enumerate()
        .map(|(i, s)| (i as f64, s.equity.amount().to_f64().unwrap_or_default()))
        .collect();
    let (lo, hi) = points.iter().fold((f64::MAX, f64::MIN), |(lo, hi), p| {
        (lo.min(p.1), hi.max(p.1))
    });
    let pad = ((hi - lo) * 0.1).max(hi.abs() * 0.001).max(1.0);
    let x_max = (points.len().max(2) - 1) as f64;
    let label = |x: &f64| {
        let i = x.round() as usize;
        if (x - x.round()).abs() < 1e-9 {
            snapshots
                .get(i)
                .map(|s| s.session_date.to_string())
                .unwrap_or_default()
        } else {
            String::new()
        }
    };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (800, 400)).into_drawing_area();
        let e = |e: DrawingAreaErrorKind<std::io::Error>| e.to_string();
        root.fill(&WHITE).map_err(e)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(format!("Equity through {today}"), ("sans-serif", 20))
            .margin(15)
            .x_label_area_size(40)
            .y_label_area_size(80)
            .build_cartesian_2d(0f64..x_max, (lo - pad)..(hi + pad))
            .map_err(e)?;
        chart
            .configure_mesh()
            .x_labels(points.len().clamp(2, 8))
            .x_label_formatter(&label)
            .y_label_formatter(&|y| format!("${y:.0}"))
            .draw()
            .map_err(e)?;
        chart
            .draw_series(LineSeries::new(points.clone(), &BLUE))
            .map_err(e)?;
        chart
            .draw_series(points.iter().map(|p| Circle::new(*p, 3, BLUE.filled())))
            .map_err(e)?;
        if let Some(i) = snapshots.iter().position(|s| s.session_date == today) {
            chart
                .draw_series(std::iter::once(Circle::new(points[i], 6, RED.filled())))
                .map_err(e)?;
        }
        root.present().map_err(e)?;
    }
    Ok(svg)
}
