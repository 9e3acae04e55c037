//! The history check, strategy, plan and risk checks for 5,000 symbols × 300 sessions of closes.
//!
//! Run with `cargo bench --locked --bench plan_speed`. Target: at most 50 ms.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use aurora::config::{OrderSettings, RiskSettings, StrategySettings};
use aurora::history::{self, Facts};
use aurora::plan::risk::{self, AssetState, RiskInput};
use aurora::plan::{self, Book, PlanInput};
use aurora::strategy::{self, Close, History};
use aurora::types::{Money, SessionDate, Symbol};
use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;

const SYMBOLS: usize = 5_000;
const SESSIONS: u64 = 300;
const TARGET: Duration = Duration::from_millis(50);

fn main() {
    let mut rng = fastrand::Rng::with_seed(7);
    let day0 = NaiveDate::from_ymd_opt(2025, 9, 1).expect("valid date");
    let universe: Vec<Symbol> = (0..SYMBOLS)
        .map(|i| {
            let l = |n: usize| char::from(b'A' + (n % 26) as u8);
            format!("{}{}{}{}", l(i / 17_576), l(i / 676), l(i / 26), l(i))
                .parse()
                .expect("valid symbol")
        })
        .collect();
    let history: History = universe
        .iter()
        .map(|s| {
            let mut price = 20.0 + rng.f64() * 400.0;
            let closes = (0..SESSIONS)
                .map(|d| {
                    price *= 1.0 + (rng.f64() - 0.49) * 0.03;
                    Close {
                        date: SessionDate::new(day0.checked_add_days(Days::new(d)).expect("date")),
                        price: Money::new(Decimal::new((price * 100.0) as i64, 2)),
                    }
                })
                .collect();
            (s.clone(), closes)
        })
        .collect();
    let prices: BTreeMap<Symbol, Money> = history
        .iter()
        .map(|(s, c)| (s.clone(), c[c.len() - 1].price))
        .collect();
    let positions: BTreeMap<Symbol, Decimal> = universe
        .iter()
        .step_by(3)
        .map(|s| (s.clone(), Decimal::from(10)))
        .collect();
    let values: BTreeMap<Symbol, Decimal> = positions
        .iter()
        .map(|(s, q)| (s.clone(), q * prices[s].amount()))
        .collect();
    let book = Book {
        equity: Money::new(Decimal::from(10_000_000)),
        last_equity: Money::new(Decimal::from(10_000_000)),
        cash: Money::new(Decimal::from(5_000_000)),
        buying_power: Money::new(Decimal::from(10_000_000)),
        held: positions,
        values,
        ..Book::default()
    };
    let assets: BTreeMap<Symbol, AssetState> = universe
        .iter()
        .map(|s| {
            (
                s.clone(),
                AssetState {
                    active: true,
                    tradable: true,
                },
            )
        })
        .collect();
    let fractionable: BTreeSet<Symbol> = universe.iter().cloned().collect();
    let settings = StrategySettings {
        lookback: 200,
        ..StrategySettings::default()
    };
    let orders = OrderSettings {
        min_notional: Decimal::ONE,
        rebalance_threshold: Decimal::ZERO,
        ..OrderSettings::default()
    };
    let risk = RiskSettings {
        max_orders_per_day: 10_000,
        max_position_weight: Decimal::ONE,
        ..RiskSettings::default()
    };
    let strategy = strategy::build(&settings).expect("trend builds");

    // Every generated day is a session here: the window is the last `lookback` dates.
    let window: Vec<SessionDate> = history[&universe[0]]
        .iter()
        .rev()
        .take(settings.lookback as usize)
        .rev()
        .map(|c| c.date)
        .collect();
    let run = || {
        let started = Instant::now();
        let skipped = history::check(
            &history,
            &Facts {
                window: &window,
                max_move: risk.max_price_move,
                broker: &BTreeMap::new(),
            },
        );
        assert!(skipped.is_empty(), "the generated history is consistent");
        let targets = strategy.targets(&universe, &history);
        let plan = plan::plan(&PlanInput {
            session: "2026-06-30".parse().expect("date"),
            strategy: strategy.name(),
            revision: 0,
            targets: &targets.targets,
            book: &book,
            prices: &prices,
            fractionable: &fractionable,
            orders: &orders,
            max_weight: Decimal::ONE,
            max_order: Decimal::from(1_000_000),
        });
        let verdict = risk::violations(
            &plan,
            &RiskInput {
                settings: &risk,
                universe: &universe,
                assets: &assets,
                book: &book,
                account_blockers: &[],
                previous_closes: &prices,
                orders_today: 0,
                halted: None,
            },
        );
        (started.elapsed(), plan.orders.len(), verdict.len())
    };
    run();
    let mut times = Vec::new();
    let mut last = (0, 0);
    for _ in 0..20 {
        let (t, orders, violations) = run();
        times.push(t);
        last = (orders, violations);
    }
    times.sort();
    let median = times[times.len() / 2];
    println!(
        "plan: {SYMBOLS} symbols × {SESSIONS} sessions → {} orders ({} violations): median {:.1} ms, max {:.1} ms \
(target ≤ {} ms) {}",
        last.0,
        last.1,
        median.as_secs_f64() * 1000.0,
        times[times.len() - 1].as_secs_f64() * 1000.0,
        TARGET.as_millis(),
        if median <= TARGET {
            "OK"
        } else {
            "OVER TARGET"
        }
    );
}
