//! What today is, by Alpaca's clock and calendar (shared by every job).

use anyhow::Context as _;

use crate::alpaca::Client;
use crate::alpaca::models::{CalendarDay, Clock};
use crate::market::{self, Today};

/// The market clock and today's session (or why there is none).
pub async fn market_today(client: &Client) -> anyhow::Result<(Clock, Today)> {
    let clock = client
        .clock()
        .await
        .context("cannot read the market clock")?;
    let date = market::market_date(clock.now()).date();
    let calendar = client
        .calendar(date, date)
        .await
        .context("cannot read the market calendar")?;
    let sessions: Vec<_> = calendar.iter().map(CalendarDay::session).collect();
    let today = market::today(clock.now(), &sessions);
    super::record_session(match &today {
        Today::Session(s) => s.date,
        Today::NoSession { date, .. } => *date,
    });
    Ok((clock, today))
}
