//! Which time in force each order goes out with (pure).

use chrono::{DateTime, Utc};

use super::Size;
use crate::config::TimeInForce;
use crate::market::{self, Session};

/// The time in force for today's orders: the configured one, except that `opg` past Alpaca's
/// 09:28 ET cutoff becomes `day` (the second value says so).
pub fn for_session(
    configured: TimeInForce,
    session: &Session,
    now: DateTime<Utc>,
) -> (TimeInForce, bool) {
    match configured {
        TimeInForce::Opg if now >= market::opg_cutoff(session.date) => (TimeInForce::Day, true),
        other => (other, false),
    }
}

/// One order's time in force: Alpaca takes fractional quantities and notional orders only as
/// `day` orders, so those are `day` whatever the session's.
pub fn for_order(size: Size, session: TimeInForce) -> TimeInForce {
    match size {
        Size::Notional(_) => TimeInForce::Day,
        Size::Qty(q) if !q.fract().is_zero() => TimeInForce::Day,
        Size::Qty(_) => session,
    }
}

/// Alpaca's name for it.
pub fn name(tif: TimeInForce) -> &'static str {
    match tif {
        TimeInForce::Day => "day",
        TimeInForce::Opg => "opg",
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveTime;
    use rust_decimal::Decimal;

    use super::*;
    use crate::types::Money;

    fn session() -> Session {
        Session::new(
            "2026-11-30".parse().unwrap(),
            NaiveTime::from_hms_opt(9, 30, 0).unwrap(),
            NaiveTime::from_hms_opt(16, 0, 0).unwrap(),
        )
    }

    #[test]
    fn opg_only_before_the_0928_cutoff() {
        let at = |t: &str| t.parse::<DateTime<Utc>>().unwrap();
        let s = session();
        // 09:27:59 and 09:28:00 ET (EST: UTC−5).
        assert_eq!(
            for_session(TimeInForce::Opg, &s, at("2026-11-30T14:27:59Z")),
            (TimeInForce::Opg, false)
        );
        assert_eq!(
            for_session(TimeInForce::Opg, &s, at("2026-11-30T14:28:00Z")),
            (TimeInForce::Day, true)
        );
        assert_eq!(
            for_session(TimeInForce::Day, &s, at("2026-11-30T14:28:00Z")),
            (TimeInForce::Day, false)
        );
    }

    #[test]
    fn fractional_and_notional_orders_are_day_orders() {
        let whole = Size::Qty(Decimal::new(10, 0));
        let fraction = Size::Qty(Decimal::new(105, 1));
        let dollars = Size::Notional(Money::new(Decimal::new(500, 0)));
        assert_eq!(for_order(whole, TimeInForce::Opg), TimeInForce::Opg);
        assert_eq!(for_order(fraction, TimeInForce::Opg), TimeInForce::Day);
        assert_eq!(for_order(dollars, TimeInForce::Opg), TimeInForce::Day);
        assert_eq!(name(TimeInForce::Opg), "opg");
    }
}
