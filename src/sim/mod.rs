//! A stateful fake of Alpaca's HTTP API on loopback, for tests and demos.
//!
//! Real paths, status codes, error bodies and JSON types; a settable clock over a real NYSE
//! calendar; fault injection, a rate limit and a request log through `/_ctl/`.

mod assets;
mod bars;
mod calendar;
mod clock;
mod conn;
mod control;
mod corporate_actions;
mod gate;
mod history;
mod market_data;
mod orders;
pub mod state;
mod trading;

use std::future::Future;
use std::net::SocketAddr;
use std::thread::JoinHandle;

use axum::Router;
use axum::routing::{get, post, put};
use chrono::{DateTime, Utc};
use reqwest::Url;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub use orders::Advanced;
use state::{
    AccountPatch, BarSet, Fault, LoggedRequest, OrderSeed, Shared, SimActivity, SimOrder,
    SimPosition, SimSplit, SimState,
};

/// The key id the fake accepts unless told otherwise.
pub const DEFAULT_KEY: &str = "PKSIMKEY0000000000";
/// The secret the fake accepts unless told otherwise.
pub const DEFAULT_SECRET: &str = "sim-secret-do-not-use";

/// How to start a fake.
#[derive(Clone, Debug)]
pub struct SimOptions {
    /// The market clock at start (it ticks from there).
    pub now: DateTime<Utc>,
    /// Accepted key id.
    pub key: String,
    /// Accepted secret.
    pub secret: String,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            now: Utc::now(),
            key: DEFAULT_KEY.into(),
            secret: DEFAULT_SECRET.into(),
        }
    }
}

/// The fake's routes, including `/_ctl/`.
pub fn router(shared: Shared) -> Router {
    Router::new()
        .route("/v2/account", get(trading::account))
        .route("/v2/clock", get(trading::clock))
        .route("/v2/calendar", get(trading::calendar))
        .route("/v2/assets", get(trading::assets_list))
        .route("/v2/assets/{symbol}", get(trading::asset))
        .route("/v2/account/activities", get(history::activities))
        .route(
            "/v2/account/activities/{activity_type}",
            get(history::activities_of),
        )
        .route(
            "/v2/account/portfolio/history",
            get(history::portfolio_history),
        )
        .route("/v2/positions", get(trading::positions))
        .route("/v2/positions/{symbol}", get(trading::position))
        .route(
            "/v2/orders",
            get(trading::orders)
                .post(trading::submit_order)
                .delete(trading::cancel_all_orders),
        )
        // A literal colon: axum 0.8 spells parameters `{name}`, so this is no capture.
        .route(
            "/v2/orders:by_client_order_id",
            get(trading::order_by_client_id),
        )
        .route(
            "/v2/orders/{order_id}",
            get(trading::order).delete(trading::cancel_order),
        )
        .route("/v2/stocks/bars", get(market_data::bars))
        .route("/v2/stocks/{symbol}/bars", get(market_data::symbol_bars))
        .route("/v2/stocks/trades/latest", get(market_data::latest_trades))
        .route("/v2/stocks/snapshots", get(market_data::snapshots))
        .route("/_ctl/clock", post(control::set_clock))
        .route("/_ctl/now", get(control::now))
        .route("/_ctl/account", post(control::patch_account))
        .route("/_ctl/positions", put(control::set_positions))
        .route("/_ctl/orders", post(control::add_order))
        .route("/_ctl/open", post(control::open))
        .route("/_ctl/close", post(control::close))
        .route("/_ctl/advance", post(control::advance))
        .route("/_ctl/fill", post(control::fill))
        .route("/_ctl/positions/adjust", post(control::adjust_position))
        .route(
            "/_ctl/faults",
            post(control::add_fault).delete(control::clear_faults),
        )
        .route(
            "/_ctl/requests",
            get(control::requests).delete(control::clear_requests),
        )
        .route("/_ctl/rate-limit", post(control::set_rate_limit))
        .route("/_ctl/symbols", post(control::add_symbols))
        .route("/_ctl/bars", put(control::set_bar))
        .route("/_ctl/withhold", post(control::withhold))
        .route("/_ctl/split", post(control::split))
        .route("/_ctl/cancel-lag", post(control::set_cancel_lag))
        .fallback(|| async { trading::error(axum::http::StatusCode::NOT_FOUND, None, "Not Found") })
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            gate::gate,
        ))
        .with_state(shared)
}

/// Serves the fake on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    shared: Shared,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(shared).into_make_service_with_connect_info::<conn::ConnHandle>();
    axum::serve(conn::DroppableListener(listener), app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// A fake running in this process on its own thread, on a free loopback port; stops when dropped.
#[derive(Debug)]
pub struct Sim {
    base_url: Url,
    shared: Shared,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Sim {
    /// Starts a fake on 127.0.0.1 with a free port.
    pub fn start(opts: SimOptions) -> std::io::Result<Sim> {
        let std_listener = std::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let shared = Shared::new(SimState::new(opts.now, opts.key, opts.secret));
        let (stop, stopped) = oneshot::channel::<()>();
        let state = shared.clone();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let thread = std::thread::Builder::new()
            .name("aurora-sim".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let listener = TcpListener::from_std(std_listener).expect("listener from std");
                    let _ = serve(listener, state, async {
                        let _ = stopped.await;
                    })
                    .await;
                });
            })?;
        Ok(Sim {
            base_url: Url::parse(&format!("http://{addr}")).expect("valid URL"),
            shared,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// Sets the market clock (ticking unless `frozen`).
    pub fn set_clock(&self, now: DateTime<Utc>, frozen: bool) {
        self.shared.lock().clock.set(now, frozen);
    }

    /// Later cancels leave an order `pending_cancel` for `reads` reads of it, as
    /// `POST /_ctl/cancel-lag`.
    pub fn set_cancel_lag(&self, reads: u32) {
        self.shared.lock().cancel_lag = reads;
    }

    /// Skews the HTTP `Date` header by `secs`.
    pub fn set_date_offset(&self, secs: i64) {
        self.shared.lock().date_offset_secs = secs;
    }

    /// Changes account fields.
    pub fn patch_account(&self, patch: AccountPatch) {
        self.shared.lock().account.apply(patch);
    }

    /// Replaces every position.
    pub fn set_positions(&self, positions: Vec<SimPosition>) {
        self.shared.lock().positions = positions;
    }

    /// Places an order as if someone else had.
    pub fn add_order(&self, seed: OrderSeed) -> SimOrder {
        Sim::place_seed(&self.shared, seed)
    }

    /// Every order, oldest first.
    pub fn orders(&self) -> Vec<SimOrder> {
        self.shared.lock().orders.clone()
    }

    /// The opening cross, as `POST /_ctl/open`: moves the clock to today's regular open if it is
    /// earlier, rolls the day, then fills every `accepted` market order (and marketable limit) at
    /// the day's opening price, oldest first. Returns the orders it touched; `Err` (409 over HTTP)
    /// when today has no session or it has already closed.
    ///
    /// Rolling the day (once per session, after a [`Sim::close_session`] on an earlier session):
    /// the account's `last_equity` becomes the latest recorded closing equity and each position's
    /// `lastday_price` its mark at that close, so `equity − last_equity` is the day's P&L and
    /// each position's `unrealized_intraday_pl` its share of it.
    pub fn open_session(&self) -> Result<Vec<SimOrder>, String> {
        orders::open_session(&mut self.shared.lock())
    }

    /// The end of today's regular session, as `POST /_ctl/close`.
    ///
    /// Moves the clock to today's regular close (New York date of the clock) if it is earlier;
    /// past the close it stays put and the close is applied anyway (repeating it is harmless).
    /// For orders placed before the close: `cls` orders meet the closing auction at the day's
    /// closing price (market and marketable limits fill, other limits are canceled); every other
    /// open `day`/`opg`/`ioc`/`fok` order (`accepted`, `new`, `partially_filled`, …) becomes
    /// `expired` with `expired_at` = the close, keeping any partial fill; `gtc` orders stay open.
    /// Then each position's `current_price` is marked to the session's bar close and the equity
    /// at those marks is recorded as the day's closing equity (portfolio history's point, the
    /// next open's `last_equity`). Returns the orders it touched; `Err` (409 over HTTP) when
    /// today has no session.
    pub fn close_session(&self) -> Result<Vec<SimOrder>, String> {
        orders::close_session(&mut self.shared.lock())
    }

    /// Moves the clock forward to `to` as the market lives through the time in between, as
    /// `POST /_ctl/advance`: every session open on the way opens (the day rolls, queued orders
    /// fill) and every close on the way closes (day orders expire, the closing equity is
    /// recorded), as if [`Sim::open_session`] and [`Sim::close_session`] had been called at
    /// each. A machine that is off misses none of it. `Err` when `to` is earlier than the clock.
    pub fn advance_to(&self, to: DateTime<Utc>) -> Result<Advanced, String> {
        orders::advance(&mut self.shared.lock(), to)
    }

    /// A partial (or the final) fill of the open order `client_order_id`, as `POST /_ctl/fill`:
    /// `qty` more shares at `price` (default: the current price, or a limit order's limit when the
    /// market has not reached it). Status becomes `partially_filled` or `filled`,
    /// `filled_avg_price` the weighted average, cash and position move as for any fill and a
    /// FILL activity (`partial_fill` or `fill`) is recorded. Refused, changing nothing, for an
    /// unknown or closed order, a notional order, a qty beyond what is left, a price through the
    /// limit or a sell the position cannot cover.
    pub fn fill(
        &self,
        client_order_id: &str,
        qty: rust_decimal::Decimal,
        price: Option<rust_decimal::Decimal>,
    ) -> Result<SimOrder, String> {
        orders::manual_fill(&mut self.shared.lock(), client_order_id, qty, price)
            .map_err(|(_, m)| m)
    }

    /// Sets `symbol`'s position to `qty` shares without an order, as `POST
    /// /_ctl/positions/adjust`: a trade made elsewhere or a corporate action. Cash is unchanged
    /// and no activity is recorded; an existing position keeps its average entry and current
    /// price, a new one opens at the current price (`lastday_price` the previous close), `0`
    /// removes it.
    ///
    /// # Panics
    /// On what the endpoint refuses with 422: a negative qty (the fake holds long positions
    /// only) or a new position in a symbol with no price.
    pub fn adjust_position(&self, symbol: &str, qty: rust_decimal::Decimal) {
        if let Err(m) = orders::adjust_position(&mut self.shared.lock(), symbol, qty) {
            panic!("adjust_position({symbol}, {qty}): {m}");
        }
    }

    /// Every FILL activity recorded, in the order the executions happened.
    pub fn activities(&self) -> Vec<SimActivity> {
        self.shared.lock().activities.clone()
    }

    /// The closing equities recorded by [`Sim::close_session`], oldest first.
    pub fn closing_equities(&self) -> Vec<(chrono::NaiveDate, rust_decimal::Decimal)> {
        let st = self.shared.lock();
        st.closes.iter().map(|(d, c)| (*d, c.equity)).collect()
    }

    /// Injects a fault.
    pub fn inject(&self, fault: Fault) {
        self.shared.lock().faults.push(fault);
    }

    /// Sets each API's request budget per window (Alpaca's: 200 a minute).
    pub fn set_rate_limit(&self, per_window: u32, window: std::time::Duration) {
        let mut st = self.shared.lock();
        st.rate_limit = per_window;
        st.rate_window = window;
    }

    /// Makes more symbols known (assets and bars), e.g. a 500-symbol universe.
    pub fn register_symbols<I: IntoIterator<Item = String>>(&self, symbols: I) {
        self.shared.lock().market.extra_symbols.extend(symbols);
    }

    /// Replaces one daily bar.
    pub fn set_bar(&self, bar: BarSet) {
        self.shared
            .lock()
            .market
            .set_bar(&bar.symbol.clone(), bar.bar());
    }

    /// Stops serving one daily bar on the data API (`withheld`), or serves it again, as
    /// `POST /_ctl/withhold`: a bar missing at fetch time and served later.
    pub fn withhold(&self, symbol: &str, date: chrono::NaiveDate, withheld: bool) {
        self.shared.lock().market.withhold(symbol, date, withheld);
    }

    /// A stock split, as `POST /_ctl/split` (see its README row).
    ///
    /// # Panics
    /// On what the endpoint refuses with 422: a ratio that is not positive, an ex-date that is
    /// not a session, an unknown symbol.
    pub fn split(&self, split: SimSplit) -> Option<SimPosition> {
        let what = format!("{split:?}");
        corporate_actions::split(&mut self.shared.lock(), split)
            .unwrap_or_else(|m| panic!("split {what}: {m}"))
    }

    /// The daily bars the data API serves for `symbol` in `start..=end` with `adjustment=all`
    /// (Aurora's default): closed by the fake's clock, split-adjusted, withheld bars left out.
    pub fn bars(
        &self,
        symbol: &str,
        start: chrono::NaiveDate,
        end: chrono::NaiveDate,
    ) -> Vec<BarSet> {
        let mut st = self.shared.lock();
        let now = st.clock.now();
        let (Some(history), Some(closed)) = (
            st.market.view(symbol, state::View::DataSplitAdjusted),
            market_data::last_closed_day(now),
        ) else {
            return Vec::new();
        };
        history
            .iter()
            .filter(|b| b.date >= start && b.date <= end.min(closed))
            .map(|b| BarSet {
                symbol: symbol.to_owned(),
                date: b.date,
                open: b.open,
                high: b.high,
                low: b.low,
                close: b.close,
                volume: b.volume,
            })
            .collect()
    }

    /// Requests received so far (control calls excluded).
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.shared.lock().log.clone()
    }

    fn place_seed(shared: &Shared, seed: OrderSeed) -> SimOrder {
        let mut st = shared.lock();
        let now = st.clock.now();
        let id = st.next_uuid();
        let order = SimOrder {
            client_order_id: seed.client_order_id.unwrap_or_else(|| id.clone()),
            id,
            symbol: seed.symbol,
            qty: Some(seed.qty),
            notional: None,
            filled_qty: rust_decimal::Decimal::ZERO,
            filled_avg_price: None,
            side: seed.side,
            order_type: seed.order_type,
            time_in_force: seed.time_in_force,
            limit_price: seed.limit_price,
            status: seed.status,
            extended_hours: false,
            order_class: String::new(),
            created_at: now,
            updated_at: now,
        };
        st.orders.push(order.clone());
        order
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
