//! Corporate actions the fake can apply (`POST /_ctl/split`): a split re-bases the histories and
//! the books at once, as happens overnight before the ex-date's open.

use rust_decimal::Decimal;

use super::calendar;
use super::state::{SimPosition, SimSplit, SimState};

/// Applies `split`: the symbol's histories (see [`super::state::SimMarket::view`]), its position
/// (qty × ratio; average entry, current and last-day prices ÷ ratio) and the closing marks
/// recorded before the ex-date (so the next open's `lastday_price` is on the new scale). Open
/// orders are left as they are. Returns the position after the split, if one is held.
pub fn split(st: &mut SimState, split: SimSplit) -> Result<Option<SimPosition>, String> {
    if split.ratio <= Decimal::ZERO {
        return Err(format!("ratio must be positive, not {}", split.ratio));
    }
    if calendar::session(split.ex_date).is_none() {
        return Err(format!("ex_date {} is not a session", split.ex_date));
    }
    if !st.market.knows(&split.symbol) {
        return Err(format!("unknown symbol {}", split.symbol));
    }
    let (ratio, symbol, ex_date) = (split.ratio, split.symbol.clone(), split.ex_date);
    let price = |p: Decimal| (p / ratio).round_dp(4).normalize();
    for (_, close) in st.closes.range_mut(..ex_date) {
        if let Some(p) = close.prices.get_mut(&symbol) {
            *p = price(*p);
        }
    }
    st.market.split(split);
    let Some(p) = st.positions.iter_mut().find(|p| p.symbol == symbol) else {
        return Ok(None);
    };
    p.qty = (p.qty * ratio).normalize();
    p.avg_entry_price = price(p.avg_entry_price);
    p.current_price = price(p.current_price);
    p.lastday_price = price(p.lastday_price);
    Ok(Some(p.clone()))
}
