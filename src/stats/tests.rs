//! The figures against values computed by hand.

use super::*;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn sym(s: &str) -> Symbol {
    s.parse().unwrap()
}

fn p(date: &str, value: &str) -> Point {
    Point {
        date: d(date),
        value: dec(value),
    }
}

fn close_to(actual: Option<f64>, expected: f64) {
    let a = actual.unwrap_or_else(|| panic!("expected {expected}, got None"));
    assert!((a - expected).abs() < 1e-9, "{a} != {expected}");
}

/// Daily returns +2 %, −1 %, +3 %, −2 %, +1 % from $100 on Friday 2026-11-27.
fn five_sessions() -> (Point, Vec<Point>) {
    (
        p("2026-11-27", "100"),
        vec![
            p("2026-11-30", "102"),
            p("2026-12-01", "100.98"),
            p("2026-12-02", "104.0094"),
            p("2026-12-03", "101.929212"),
            p("2026-12-04", "102.94850412"),
        ],
    )
}

fn input<'a>(start: Point, closes: &'a [Point]) -> Input<'a> {
    Input {
        start,
        closes,
        month_base: None,
        executions: &[],
        opening: &[],
        holdings: &[],
        benchmark: None,
        risk_free_rate: 0.0,
    }
}

#[test]
fn returns_risk_and_drawdown_of_a_small_series() {
    let (start, closes) = five_sessions();
    let s = compute(&input(start, &closes));
    assert_eq!(s.sessions, 5);
    // 1.02 × 0.99 × 1.03 × 0.98 × 1.01 − 1
    close_to(s.total_return, 0.0294850412);
    close_to(s.day_return, 0.01);
    // The month's base is November's last close, Monday's 102.
    close_to(s.mtd_return, 102.94850412 / 102.0 - 1.0);
    // Mean 0.006; deviations .014 −.016 .024 −.026 .004, squares sum .00172, / 4 = .00043.
    // Volatility √.00043 × √252 = .0207364414 × 15.8745079 = .3291808014.
    close_to(s.volatility, 0.3291808013842849);
    // Sharpe .006 / .0207364414 × √252 = 4.5932204844.
    close_to(s.sharpe, 4.593220484431882);
    // Downside: (.01² + .02²) / 5 = .0001, √ = .01; Sortino .006 / .01 × √252 = 9.5247047198.
    close_to(s.sortino, 9.524704719832526);
    // From 104.0094 on Wednesday to 101.929212 on Thursday: −2 %; now 0.99 × 0.98… = −1.02 %.
    assert!((s.max_drawdown + 0.02).abs() < 1e-12, "{}", s.max_drawdown);
    assert_eq!(s.max_drawdown_peak, Some(d("2026-12-02")));
    assert_eq!(s.max_drawdown_trough, Some(d("2026-12-03")));
    assert!((s.current_drawdown + 0.0102).abs() < 1e-12);
    // Under a year: no CAGR.
    assert_eq!(s.cagr, None);
    assert_eq!(s.benchmark, None);
    assert_eq!(s.excess_return, None);
}

#[test]
fn a_risk_free_rate_lowers_sharpe_and_sortino() {
    let (start, closes) = five_sessions();
    let mut i = input(start, &closes);
    i.risk_free_rate = 0.0252; // 0.0001 a session
    let s = compute(&i);
    // (.006 − .0001) / .0207364414 × √252
    close_to(s.sharpe, 4.51666680969135);
    // Below .0001: −.0101 and −.0201; √((.0101² + .0201²) / 5) = .0100603181.
    close_to(s.sortino, 9.310080648191137);
}

#[test]
fn cagr_once_a_year_has_passed() {
    // +21 % over 731 days: 1.21^(365.25 / 731) − 1.
    let closes = [p("2026-01-02", "121")];
    let s = compute(&input(p("2024-01-02", "100"), &closes));
    close_to(s.cagr, 0.09992829153182337);
    let closes = [p("2024-12-31", "121")];
    assert_eq!(compute(&input(p("2024-01-02", "100"), &closes)).cagr, None);
}

#[test]
fn month_to_date_runs_from_the_last_close_of_the_previous_month() {
    let (start, closes) = five_sessions();
    // Through Tuesday 2026-12-01: November's last close is Monday's 102.
    let s = compute(&input(start, &closes[..2]));
    close_to(s.mtd_return, 100.98 / 102.0 - 1.0);
    // A series that starts inside the month uses the base it is given.
    let mut i = input(closes[1], &closes[2..]);
    close_to(compute(&i).mtd_return, 102.94850412 / 100.98 - 1.0);
    i.month_base = Some(dec("102"));
    close_to(compute(&i).mtd_return, 102.94850412 / 102.0 - 1.0);
}

#[test]
fn no_sessions_is_a_flat_period_not_an_error() {
    let s = compute(&input(p("2026-11-27", "100"), &[]));
    assert_eq!(s.sessions, 0);
    close_to(s.total_return, 0.0);
    assert_eq!((s.day_return, s.volatility, s.sharpe), (None, None, None));
    assert_eq!(s.max_drawdown, 0.0);
    assert_eq!(s.max_drawdown_peak, None);
}

fn exec(date: &str, symbol: &str, side: Side, qty: &str, price: &str) -> Execution {
    Execution {
        date: d(date),
        symbol: sym(symbol),
        side,
        qty: dec(qty),
        price: dec(price),
        fee: Decimal::ZERO,
    }
}

#[test]
fn realized_unrealized_turnover_and_win_rate_by_average_cost() {
    let (start, closes) = five_sessions();
    let executions = [
        // 10 @ 100 and 10 @ 110: average 105.
        exec("2026-11-30", "SPY", Side::Buy, "10", "100"),
        exec("2026-12-01", "SPY", Side::Buy, "10", "110"),
        // 5 sold at 115: +50; 5 at 100: −25. 10 left at 105.
        exec("2026-12-02", "SPY", Side::Sell, "5", "115"),
        exec("2026-12-03", "SPY", Side::Sell, "5", "100"),
        // TLT held from before at 50 (opening): 4 sold at 60, +40.
        Execution {
            fee: dec("1.5"),
            ..exec("2026-12-04", "TLT", Side::Sell, "4", "60")
        },
    ];
    let opening = [Lot {
        symbol: sym("TLT"),
        qty: dec("4"),
        cost: dec("50"),
    }];
    let holdings = [Holding {
        symbol: sym("SPY"),
        qty: dec("10"),
        market_value: Some(dec("1080")),
    }];
    let mut i = input(start, &closes);
    i.executions = &executions;
    i.opening = &opening;
    i.holdings = &holdings;
    let s = compute(&i);
    assert_eq!(
        s.realized_pnl,
        Money::new(dec("63.5")),
        "50 − 25 + 40 − 1.50 fees"
    );
    assert_eq!(s.fees, Money::new(dec("1.5")));
    assert_eq!(
        s.unrealized_pnl,
        Some(Money::new(dec("30"))),
        "1080 − 10 × 105"
    );
    assert_eq!(s.round_trips, 3);
    close_to(s.win_rate, 2.0 / 3.0);
    // Traded 1000 + 1100 + 575 + 500 + 240 = 3415 over average equity 102.373…
    let avg = (102.0 + 100.98 + 104.0094 + 101.929212 + 102.94850412) / 5.0;
    close_to(s.turnover, 3415.0 / avg);
    close_to(s.exposure, 1080.0 / 102.94850412);
    // The opening of the next period: SPY 10 at 105.
    assert_eq!(
        lots_after(&opening, &executions),
        [Lot {
            symbol: sym("SPY"),
            qty: dec("10"),
            cost: dec("105")
        }]
    );
}

#[test]
fn a_holding_without_a_price_or_a_known_cost_leaves_those_figures_unknown() {
    let (start, closes) = five_sessions();
    let holdings = [Holding {
        symbol: sym("GLD"),
        qty: dec("3"),
        market_value: None,
    }];
    let mut i = input(start, &closes);
    i.holdings = &holdings;
    let s = compute(&i);
    assert_eq!(s.exposure, None);
    assert_eq!(s.unrealized_pnl, None);
    assert_eq!(s.win_rate, None);
}

#[test]
fn benchmark_over_the_same_sessions_and_a_missing_bar_named() {
    let (start, closes) = five_sessions();
    let spy = sym("SPY");
    let bars = [
        p("2026-11-27", "500"),
        p("2026-11-30", "505"),
        p("2026-12-04", "510"),
    ];
    let mut i = input(start, &closes);
    i.benchmark = Some(Benchmark {
        symbol: &spy,
        closes: &bars,
    });
    let s = compute(&i);
    let b = s.benchmark.clone().unwrap();
    close_to(b.total_return, 0.02);
    assert_eq!(b.missing, None);
    close_to(s.excess_return, 0.0294850412 - 0.02);

    i.benchmark = Some(Benchmark {
        symbol: &spy,
        closes: &bars[..2],
    });
    let s = compute(&i);
    let b = s.benchmark.unwrap();
    assert_eq!(b.total_return, None);
    assert_eq!(b.missing.as_deref(), Some("SPY has no bar for 2026-12-04"));
    assert_eq!(s.excess_return, None);

    i.benchmark = Some(Benchmark {
        symbol: &spy,
        closes: &[],
    });
    let b = compute(&i).benchmark.unwrap();
    assert_eq!(
        b.missing.as_deref(),
        Some("SPY has no bar for 2026-11-27 and 2026-12-04")
    );
}

#[test]
fn the_benchmark_line_starts_at_the_starting_equity_and_drawdowns_stay_at_or_below_zero() {
    let (start, closes) = five_sessions();
    let series: Vec<Point> = std::iter::once(start).chain(closes).collect();
    let bars = [p("2026-11-27", "500"), p("2026-12-02", "550")];
    let scaled = benchmark_scaled(&series, &bars);
    assert_eq!(scaled[0], Some(dec("100")));
    assert_eq!(scaled[1], None);
    assert_eq!(scaled[3], Some(dec("110")));
    let dd = drawdowns(&series);
    assert_eq!(dd.len(), 6);
    assert_eq!(&dd[..4], &[0.0, 0.0, 100.98 / 102.0 - 1.0, 0.0]);
    assert!((dd[4] + 0.02).abs() < 1e-12);
}

#[test]
fn allocation_puts_each_weight_beside_its_target() {
    let holdings = [Holding {
        symbol: sym("SPY"),
        qty: dec("10"),
        market_value: Some(dec("300")),
    }];
    let targets = BTreeMap::from([(sym("SPY"), dec("0.25")), (sym("TLT"), dec("0.2"))]);
    let a = allocation(&holdings, dec("1000"), &targets);
    assert_eq!(
        a,
        [
            Allocation {
                symbol: sym("SPY"),
                weight: Some(0.3),
                target_weight: Some(0.25)
            },
            Allocation {
                symbol: sym("TLT"),
                weight: Some(0.0),
                target_weight: Some(0.2)
            },
        ]
    );
}

#[test]
fn fractions_serialize_rounded_and_money_as_strings() {
    let (start, closes) = five_sessions();
    let v = serde_json::to_value(compute(&input(start, &closes))).unwrap();
    assert_eq!(v["total_return"], 0.02948504);
    assert_eq!(v["realized_pnl"], "0");
    assert_eq!(v["cagr"], serde_json::Value::Null);
    assert_eq!(v["max_drawdown_peak"], "2026-12-02");
}
