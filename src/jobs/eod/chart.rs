//! The equity chart as SVG (plotters' SVG backend: no system font or browser needed): equity
//! against the benchmark and the starting capital, and the drawdown below it.

use chrono::NaiveDate;
use plotters::prelude::*;
use rust_decimal::Decimal;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};

use crate::stats::Point;
use crate::types::{Money, Symbol};

/// What the chart shows.
pub struct Chart<'a> {
    /// The starting capital's close, then each session's closing equity.
    pub series: &'a [Point],
    /// Each point's fall below the running peak (≤ 0), as [`crate::stats::drawdowns`] gives.
    pub drawdowns: &'a [f64],
    /// The benchmark scaled to the starting equity, per point, when one is configured.
    pub benchmark: Option<(&'a Symbol, Vec<Option<Decimal>>)>,
    /// The session the report is for, marked on the line.
    pub marked: NaiveDate,
}

const WIDTH: u32 = 960;
const HEIGHT: u32 = 600;
/// The y-range shows at least this far either side of the starting capital, so a small drift
/// does not fill the chart like a crash.
const MIN_SWING: f64 = 0.05;
const EQUITY: RGBColor = RGBColor(31, 119, 180);
const BENCH: RGBColor = RGBColor(255, 127, 14);
const CAPITAL: RGBColor = RGBColor(110, 110, 110);
const LOSS: RGBColor = RGBColor(214, 39, 40);

fn f(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

/// `$97,800`: whole dollars with thousands separators.
fn dollars(y: f64) -> String {
    let text = Money::new(Decimal::from_f64(y.round()).unwrap_or_default()).to_string();
    text.trim_end_matches(".00").to_owned()
}

/// The equity axis: every value, and at least [`MIN_SWING`] either side of the start, with a
/// little room.
fn y_range(start: f64, values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold(
        (start * (1.0 - MIN_SWING), start * (1.0 + MIN_SWING)),
        |(lo, hi), v| (lo.min(v), hi.max(v)),
    );
    let pad = ((hi - lo) * 0.04).max(1.0);
    // Headroom for the legend, so it does not hide the lines.
    (lo - pad, hi + (hi - lo) * 0.22)
}

/// The chart as an SVG document.
pub fn equity_svg(c: &Chart) -> Result<String, String> {
    let n = c.series.len();
    let start = c.series.first().map_or(0.0, |p| f(p.value));
    let equity: Vec<(f64, f64)> = c
        .series
        .iter()
        .enumerate()
        .map(|(i, p)| (i as f64, f(p.value)))
        .collect();
    let bench: Vec<(f64, f64)> = c
        .benchmark
        .as_ref()
        .map(|(_, b)| {
            b.iter()
                .enumerate()
                .filter_map(|(i, v)| v.map(|v| (i as f64, f(v))))
                .collect()
        })
        .unwrap_or_default();
    let (lo, hi) = y_range(start, equity.iter().chain(&bench).map(|p| p.1));
    let x_max = (n.max(2) - 1) as f64;
    let dd_floor = c.drawdowns.iter().copied().fold(-MIN_SWING, f64::min) * 1.1;
    let date_label = |x: &f64| {
        let i = x.round();
        if (x - i).abs() < 1e-9 && i >= 0.0 {
            c.series
                .get(i as usize)
                .map(|p| p.date.format("%Y-%m-%d").to_string())
                .unwrap_or_default()
        } else {
            String::new()
        }
    };
    let x_labels = n.clamp(2, 7);
    let total = c
        .series
        .last()
        .map(|p| f(p.value))
        .filter(|_| start != 0.0)
        .map(|last| format!("  ({:+.2}% since start)", (last / start - 1.0) * 100.0))
        .unwrap_or_default();
    let last_date = c.series.last().map(|p| p.date).unwrap_or(c.marked);

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        let e = |e: DrawingAreaErrorKind<std::io::Error>| e.to_string();
        root.fill(&WHITE).map_err(e)?;
        let root = root
            .titled(
                &format!("Equity through {last_date}{total}"),
                ("sans-serif", 24),
            )
            .map_err(e)?;
        let (top, bottom) = root.split_vertically(HEIGHT * 66 / 100);

        let mut chart = ChartBuilder::on(&top)
            .margin_left(10)
            .margin_right(60)
            .margin_top(10)
            .x_label_area_size(6)
            .y_label_area_size(100)
            .build_cartesian_2d(0f64..x_max, lo..hi)
            .map_err(e)?;
        chart
            .configure_mesh()
            .x_labels(x_labels)
            // The dates are under the drawdown panel, which shares this axis.
            .x_label_formatter(&|_| String::new())
            .y_labels(8)
            .y_label_formatter(&|y| dollars(*y))
            .y_desc("Equity (USD)")
            .label_style(("sans-serif", 15))
            .axis_desc_style(("sans-serif", 16))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(e)?;
        chart
            .draw_series(DashedLineSeries::new(
                [(0.0, start), (x_max, start)],
                6,
                4,
                CAPITAL.stroke_width(1),
            ))
            .map_err(e)?
            .label(format!("starting capital {}", dollars(start)))
            .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], CAPITAL.stroke_width(1)));
        if let Some((symbol, _)) = &c.benchmark {
            let name = if bench.is_empty() {
                format!("{symbol}: no bars")
            } else {
                format!("{symbol}, scaled to the starting capital")
            };
            chart
                .draw_series(LineSeries::new(
                    bench.iter().copied(),
                    BENCH.stroke_width(2),
                ))
                .map_err(e)?
                .label(name)
                .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BENCH.stroke_width(2)));
        }
        chart
            .draw_series(LineSeries::new(
                equity.iter().copied(),
                EQUITY.stroke_width(2),
            ))
            .map_err(e)?
            .label("Aurora equity")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], EQUITY.stroke_width(2)));
        // A dot per session while they can be told apart (the start has none).
        if n <= 61 {
            chart
                .draw_series(
                    equity
                        .iter()
                        .skip(1)
                        .map(|p| Circle::new(*p, 3, EQUITY.filled())),
                )
                .map_err(e)?;
        }
        if let Some(i) = c.series.iter().skip(1).position(|p| p.date == c.marked) {
            chart
                .draw_series(std::iter::once(Circle::new(
                    equity[i + 1],
                    5,
                    LOSS.filled(),
                )))
                .map_err(e)?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE)
            .border_style(CAPITAL)
            .label_font(("sans-serif", 16))
            .draw()
            .map_err(e)?;

        let mut dd = ChartBuilder::on(&bottom)
            .margin_left(10)
            .margin_right(60)
            .margin_bottom(5)
            .x_label_area_size(55)
            .y_label_area_size(100)
            .build_cartesian_2d(0f64..x_max, dd_floor..0.0)
            .map_err(e)?;
        dd.configure_mesh()
            .x_labels(x_labels)
            .x_label_formatter(&date_label)
            .x_desc("Session")
            .y_labels(4)
            .y_label_formatter(&|y| format!("{:.1}%", y * 100.0))
            .y_desc("Drawdown")
            .label_style(("sans-serif", 15))
            .axis_desc_style(("sans-serif", 16))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(e)?;
        let under: Vec<(f64, f64)> = c
            .drawdowns
            .iter()
            .enumerate()
            .map(|(i, d)| (i as f64, *d))
            .collect();
        let mut area = vec![(0.0, 0.0)];
        area.extend(under.iter().copied());
        area.push(((under.len().max(1) - 1) as f64, 0.0));
        dd.draw_series(std::iter::once(Polygon::new(area, LOSS.mix(0.25).filled())))
            .map_err(e)?;
        dd.draw_series(LineSeries::new(under, LOSS.stroke_width(1)))
            .map_err(e)?;
        root.present().map_err(e)?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollar_labels_have_thousands_separators() {
        assert_eq!(dollars(97_800.4), "$97,800");
        assert_eq!(dollars(1_234_567.0), "$1,234,567");
        assert_eq!(dollars(950.0), "$950");
    }

    fn chart_text(series: &[Point]) -> String {
        let dd = crate::stats::drawdowns(series);
        equity_svg(&Chart {
            series,
            drawdowns: &dd,
            benchmark: None,
            marked: series.last().unwrap().date,
        })
        .unwrap()
    }

    #[test]
    fn a_small_drift_keeps_five_percent_either_side_of_the_start_and_every_date_is_whole() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let series = [
            Point {
                date: d("2026-11-27"),
                value: Decimal::from(100_000),
            },
            Point {
                date: d("2026-11-30"),
                value: Decimal::from(99_500),
            },
            Point {
                date: d("2026-12-01"),
                value: Decimal::from(98_400),
            },
        ];
        // −1.6 % does not fill the chart: the axis spans $95,000 to $105,000 at least.
        let (lo, hi) = y_range(100_000.0, [99_500.0, 98_400.0].into_iter());
        assert!(lo <= 95_000.0 && hi >= 105_000.0, "{lo}..{hi}");
        // A fall beyond 5 % widens it.
        let (lo, _) = y_range(100_000.0, [91_000.0].into_iter());
        assert!(lo < 91_000.0);
        let svg = chart_text(&series);
        assert!(svg.contains("$96,000") && svg.contains("$104,000"), "{svg}");
        assert!(
            svg.contains("\n2026-12-01\n"),
            "the last date is drawn whole"
        );
        assert!(!svg.contains("$97800"));
        for legend in ["Aurora equity", "starting capital $100,000", "Drawdown"] {
            assert!(svg.contains(legend), "{legend}");
        }
    }
}
