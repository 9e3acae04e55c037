//! The fake's state: clock, account, positions, orders, faults, rate limit and request log.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::bars::SimBar;
use super::clock::SimClock;

/// State shared by every request handler and the test handle.
#[derive(Clone, Debug)]
pub struct Shared(Arc<Mutex<SimState>>);

impl Shared {
    /// Wraps a state.
    pub fn new(state: SimState) -> Shared {
        Shared(Arc::new(Mutex::new(state)))
    }

    /// Locks the state (a panicked handler must not wedge the fake).
    pub fn lock(&self) -> MutexGuard<'_, SimState> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Everything the fake remembers.
#[derive(Debug)]
pub struct SimState {
    /// The credentials it accepts.
    pub key: String,
    /// The secret it accepts.
    pub secret: String,
    /// Market clock.
    pub clock: SimClock,
    /// Seconds added to the HTTP `Date` header (to simulate clock skew).
    pub date_offset_secs: i64,
    /// Account.
    pub account: SimAccount,
    /// Positions.
    pub positions: Vec<SimPosition>,
    /// Orders, oldest first.
    pub orders: Vec<SimOrder>,
    /// Pending faults, applied in order.
    pub faults: Vec<Fault>,
    /// Requests received (control calls excluded).
    pub log: Vec<LoggedRequest>,
    /// Requests allowed per rate window, per API (Trading and Market Data have separate budgets).
    pub rate_limit: u32,
    /// The rate window (Alpaca's is a minute; tests shorten it).
    pub rate_window: Duration,
    windows: [VecDeque<Instant>; 2],
    /// Market data: known symbols, generated histories and corrected bars.
    pub market: SimMarket,
    /// Account activities (FILL executions), in the order they happened.
    pub activities: Vec<SimActivity>,
    /// Closing books recorded by `POST /_ctl/close`, by session date (portfolio history).
    pub closes: std::collections::BTreeMap<chrono::NaiveDate, DailyClose>,
    /// The session whose open last rolled the day (`last_equity`, `lastday_price`).
    pub rolled_for: Option<chrono::NaiveDate>,
    /// Reads of an order a cancel leaves it `pending_cancel` for (0: canceled at once).
    pub cancel_lag: u32,
    /// Orders `pending_cancel`, by id, with the reads left before they show `canceled`.
    pub pending_cancels: std::collections::BTreeMap<String, u32>,
    next_id: u64,
    next_seq: u64,
    next_activity: u64,
}

impl SimState {
    /// A fresh account with $100,000 cash at `now`.
    pub fn new(now: DateTime<Utc>, key: String, secret: String) -> SimState {
        SimState {
            key,
            secret,
            clock: SimClock::new(now),
            date_offset_secs: 0,
            account: SimAccount::default(),
            positions: Vec::new(),
            orders: Vec::new(),
            faults: Vec::new(),
            log: Vec::new(),
            rate_limit: 200,
            rate_window: Duration::from_secs(60),
            windows: [VecDeque::new(), VecDeque::new()],
            market: SimMarket::default(),
            activities: Vec::new(),
            closes: std::collections::BTreeMap::new(),
            rolled_for: None,
            cancel_lag: 0,
            pending_cancels: std::collections::BTreeMap::new(),
            next_id: 1,
            next_seq: 1,
            next_activity: 1,
        }
    }

    /// A fresh activity UUID: its own sequence, so activities never shift order ids.
    pub fn next_activity_uuid(&mut self) -> String {
        let n = self.next_activity;
        self.next_activity += 1;
        fake_uuid(0x0ac7_1e00, n)
    }

    /// A fresh id in UUID form, deterministic per fake.
    pub fn next_uuid(&mut self) -> String {
        let n = self.next_id;
        self.next_id += 1;
        fake_uuid(0x0a11ce, n)
    }

    /// Takes the first fault matching this request, counting it down.
    pub fn take_fault(&mut self, method: &str, path: &str) -> Option<FaultAction> {
        let i = self.faults.iter().position(|f| f.matches(method, path))?;
        let fault = &mut self.faults[i];
        if fault.skip > 0 {
            fault.skip -= 1;
            return None;
        }
        fault.times = fault.times.saturating_sub(1);
        let action = fault.action.clone();
        if fault.times == 0 {
            self.faults.remove(i);
        }
        Some(action)
    }

    /// The next request-log sequence number.
    pub fn next_seq(&mut self) -> u64 {
        let n = self.next_seq;
        self.next_seq += 1;
        n
    }

    /// Counts a request against its API's budget: `(remaining, reset)`, or `None` when spent.
    pub fn spend_rate_limit(&mut self, api: Api, now: Instant) -> (Option<u32>, Duration) {
        let span = self.rate_window;
        let window = &mut self.windows[api as usize];
        while window
            .front()
            .is_some_and(|t| now.duration_since(*t) >= span)
        {
            window.pop_front();
        }
        let reset = window
            .front()
            .map(|t| span.saturating_sub(now.duration_since(*t)))
            .unwrap_or(span);
        if window.len() as u32 >= self.rate_limit {
            return (None, reset);
        }
        window.push_back(now);
        (Some(self.rate_limit - window.len() as u32), reset)
    }

    /// Market value of all positions.
    pub fn long_market_value(&self) -> Decimal {
        self.positions.iter().map(|p| p.qty * p.current_price).sum()
    }

    /// Cash plus positions.
    pub fn equity(&self) -> Decimal {
        self.account.cash + self.long_market_value()
    }

    /// Buying power before open orders: the override, else Reg T 2× on equity less positions
    /// held. (What is left after open buy orders is `orders::available_buying_power`.)
    pub fn buying_power(&self) -> Decimal {
        self.account.buying_power.unwrap_or_else(|| {
            (self.equity() * Decimal::TWO - self.long_market_value()).max(Decimal::ZERO)
        })
    }
}

/// Which of Alpaca's APIs a request is for; each has its own rate budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Api {
    /// Trading API v2.
    Trading = 0,
    /// Market Data API v2.
    Data = 1,
}

/// Market data state.
#[derive(Debug, Default)]
pub struct SimMarket {
    /// Symbols known beyond the built-in asset table.
    pub extra_symbols: std::collections::BTreeSet<String>,
    /// Built histories, by symbol and view.
    series: std::collections::HashMap<(String, View), Arc<Vec<SimBar>>>,
    /// Bars replaced through the control API, by (symbol, date).
    pub overrides: std::collections::HashMap<(String, chrono::NaiveDate), SimBar>,
    /// Splits applied through the control API, in the order applied.
    pub splits: Vec<SimSplit>,
    /// Bars the data API does not serve yet, by (symbol, date): a bar missing at fetch time.
    pub withheld: std::collections::BTreeSet<(String, chrono::NaiveDate)>,
}

/// Which series of a symbol: what trades, or what the data API serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum View {
    /// Prices as traded (raw): fills, positions, latest trades and snapshots.
    Traded,
    /// The data API's bars with `adjustment=raw` (or `dividend`, `spin-off`): withheld bars left out.
    DataRaw,
    /// The data API's bars with `adjustment` `split` or `all`: history before each split's
    /// ex-date re-based by its ratio; withheld bars left out.
    DataSplitAdjusted,
}

/// A stock split (`POST /_ctl/split`).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SimSplit {
    /// Ticker.
    pub symbol: String,
    /// New shares per old share: 2 for a 2:1 forward split, 0.5 for a 1:2 reverse split.
    #[serde(with = "rust_decimal::serde::str")]
    pub ratio: Decimal,
    /// The session on which shares and prices re-base.
    pub ex_date: chrono::NaiveDate,
}

impl SimMarket {
    /// Whether the fake knows `symbol` (assets and bars).
    pub fn knows(&self, symbol: &str) -> bool {
        super::assets::known(symbol) || self.extra_symbols.contains(symbol)
    }

    /// The traded history of a known symbol (generated once, splits and overrides applied);
    /// `None` if unknown.
    pub fn history(&mut self, symbol: &str) -> Option<Arc<Vec<SimBar>>> {
        self.view(symbol, View::Traded)
    }

    /// One view of a known symbol's history (built once); `None` if unknown.
    ///
    /// From each split's ex-date on, every view trades at the new scale (prices ÷ ratio,
    /// volume × ratio); before it only the split-adjusted view is re-based. Overrides replace
    /// bars in every view as given.
    pub fn view(&mut self, symbol: &str, view: View) -> Option<Arc<Vec<SimBar>>> {
        if !self.knows(symbol) {
            return None;
        }
        let (overrides, splits, withheld) = (&self.overrides, &self.splits, &self.withheld);
        let series = self
            .series
            .entry((symbol.to_owned(), view))
            .or_insert_with(|| {
                let mut bars = super::bars::series(symbol);
                for split in splits.iter().filter(|s| s.symbol == symbol) {
                    for bar in &mut bars {
                        if bar.date >= split.ex_date || view == View::DataSplitAdjusted {
                            *bar = bar.rebased(split.ratio);
                        }
                    }
                }
                // Keyed by (symbol, date): only look when there is anything to find.
                if !overrides.is_empty() {
                    for bar in &mut bars {
                        if let Some(o) = overrides.get(&(symbol.to_owned(), bar.date)) {
                            *bar = *o;
                        }
                    }
                }
                if view != View::Traded && !withheld.is_empty() {
                    bars.retain(|b| !withheld.contains(&(symbol.to_owned(), b.date)));
                }
                Arc::new(bars)
            });
        Some(Arc::clone(series))
    }

    /// Forgets the built views of `symbol` after a change.
    fn rebuild(&mut self, symbol: &str) {
        self.series.retain(|(s, _), _| s != symbol);
    }

    /// Replaces one bar (to test validation and corrections).
    pub fn set_bar(&mut self, symbol: &str, bar: SimBar) {
        self.overrides.insert((symbol.to_owned(), bar.date), bar);
        self.rebuild(symbol);
    }

    /// Applies a split to the histories (positions are the caller's).
    pub fn split(&mut self, split: SimSplit) {
        let symbol = split.symbol.clone();
        self.splits.push(split);
        self.rebuild(&symbol);
    }

    /// Stops serving (`true`) or serves again (`false`) one bar on the data API.
    pub fn withhold(&mut self, symbol: &str, date: chrono::NaiveDate, withheld: bool) {
        let key = (symbol.to_owned(), date);
        if withheld {
            self.withheld.insert(key);
        } else {
            self.withheld.remove(&key);
        }
        self.rebuild(symbol);
    }
}

/// A UUID-shaped id from a namespace and a number.
pub fn fake_uuid(namespace: u32, n: u64) -> String {
    format!(
        "{namespace:08x}-{:04x}-4{:03x}-8000-{n:012x}",
        (n >> 48) & 0xffff,
        (n >> 36) & 0xfff
    )
}

/// The account's settable fields.
#[derive(Clone, Debug)]
pub struct SimAccount {
    /// Account number.
    pub account_number: String,
    /// `ACTIVE`, …
    pub status: String,
    /// Cash.
    pub cash: Decimal,
    /// Equity at the previous close.
    pub last_equity: Decimal,
    /// Buying power override.
    pub buying_power: Option<Decimal>,
    /// Trading blocked.
    pub trading_blocked: bool,
    /// Account blocked.
    pub account_blocked: bool,
    /// Trading suspended by the account owner.
    pub trade_suspended_by_user: bool,
    /// Fields `GET /v2/account` leaves out of its answer (a partial or changed API).
    pub omitted: Vec<String>,
}

impl Default for SimAccount {
    fn default() -> Self {
        SimAccount {
            account_number: "PA3AURORA01".into(),
            status: "ACTIVE".into(),
            cash: Decimal::new(100_000, 0),
            last_equity: Decimal::new(100_000, 0),
            buying_power: None,
            trading_blocked: false,
            account_blocked: false,
            trade_suspended_by_user: false,
            omitted: Vec::new(),
        }
    }
}

/// A change to the account (`POST /_ctl/account`).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AccountPatch {
    /// New status.
    pub status: Option<String>,
    /// New cash.
    #[serde(default, with = "rust_decimal::serde::str_option")]
    pub cash: Option<Decimal>,
    /// New last equity.
    #[serde(default, with = "rust_decimal::serde::str_option")]
    pub last_equity: Option<Decimal>,
    /// Fixed buying power.
    #[serde(default, with = "rust_decimal::serde::str_option")]
    pub buying_power: Option<Decimal>,
    /// Block trading.
    pub trading_blocked: Option<bool>,
    /// Block the account.
    pub account_blocked: Option<bool>,
    /// Suspend trading as the owner would.
    pub trade_suspended_by_user: Option<bool>,
    /// Account fields to leave out of `GET /v2/account` from now on (replaces the list).
    pub omit: Option<Vec<String>>,
}

impl SimAccount {
    /// Applies a patch.
    pub fn apply(&mut self, p: AccountPatch) {
        if let Some(v) = p.status {
            self.status = v;
        }
        if let Some(v) = p.cash {
            self.cash = v;
        }
        if let Some(v) = p.last_equity {
            self.last_equity = v;
        }
        if p.buying_power.is_some() {
            self.buying_power = p.buying_power;
        }
        if let Some(v) = p.trading_blocked {
            self.trading_blocked = v;
        }
        if let Some(v) = p.account_blocked {
            self.account_blocked = v;
        }
        if let Some(v) = p.trade_suspended_by_user {
            self.trade_suspended_by_user = v;
        }
        if let Some(v) = p.omit {
            self.omitted = v;
        }
    }
}

/// A position as the fake keeps it (`PUT /_ctl/positions` takes a list of these).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SimPosition {
    /// Ticker.
    pub symbol: String,
    /// Shares.
    #[serde(with = "rust_decimal::serde::str")]
    pub qty: Decimal,
    /// Average entry price.
    #[serde(with = "rust_decimal::serde::str")]
    pub avg_entry_price: Decimal,
    /// Latest price.
    #[serde(with = "rust_decimal::serde::str")]
    pub current_price: Decimal,
    /// Previous close.
    #[serde(with = "rust_decimal::serde::str")]
    pub lastday_price: Decimal,
}

/// An order as the fake keeps it.
#[derive(Clone, Debug, Serialize)]
pub struct SimOrder {
    /// Alpaca id.
    pub id: String,
    /// Client id.
    pub client_order_id: String,
    /// Ticker.
    pub symbol: String,
    /// Shares.
    pub qty: Option<Decimal>,
    /// Dollars.
    pub notional: Option<Decimal>,
    /// Filled shares.
    pub filled_qty: Decimal,
    /// Average fill price.
    pub filled_avg_price: Option<Decimal>,
    /// `buy` / `sell`.
    pub side: String,
    /// `market`, `limit`.
    pub order_type: String,
    /// `day`, `opg`, …
    pub time_in_force: String,
    /// Limit price.
    pub limit_price: Option<Decimal>,
    /// Lifecycle state.
    pub status: String,
    /// Whether it may trade outside the regular session.
    pub extended_hours: bool,
    /// `""` (no class given) or `simple`: the fake takes simple orders only.
    pub order_class: String,
    /// Created (fake clock).
    pub created_at: DateTime<Utc>,
    /// Last change (fake clock).
    pub updated_at: DateTime<Utc>,
}

impl SimOrder {
    /// Whether the order can still change (not in a terminal state).
    pub fn is_open(&self) -> bool {
        !matches!(
            self.status.as_str(),
            "filled" | "canceled" | "expired" | "rejected" | "replaced"
        )
    }
}

/// One execution as `GET /v2/account/activities` reports it (`activity_type` `FILL`).
#[derive(Clone, Debug, Serialize)]
pub struct SimActivity {
    /// `<YYYYMMDDhhmmssmmm>::<uuid>` (UTC time of the execution).
    pub id: String,
    /// When it executed (fake clock).
    pub transaction_time: DateTime<Utc>,
    /// `fill` (the order is now filled) or `partial_fill`.
    pub fill_type: String,
    /// Execution price.
    pub price: Decimal,
    /// Shares in this execution.
    pub qty: Decimal,
    /// `buy` / `sell`.
    pub side: String,
    /// Ticker.
    pub symbol: String,
    /// Shares of the order still open after it.
    pub leaves_qty: Decimal,
    /// Shares of the order filled so far, this execution included.
    pub cum_qty: Decimal,
    /// The order's Alpaca id.
    pub order_id: String,
    /// The order's status after it: `filled` or `partially_filled`.
    pub order_status: String,
}

/// The books at one session's close (`POST /_ctl/close`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DailyClose {
    /// Cash plus positions marked at the session's closing prices.
    pub equity: Decimal,
    /// Each position's closing mark, by symbol (the next session's `lastday_price`).
    pub prices: std::collections::BTreeMap<String, Decimal>,
}

/// A new order placed through the control API (`POST /_ctl/orders`), e.g. one placed by hand.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OrderSeed {
    /// Ticker.
    pub symbol: String,
    /// `buy` / `sell`.
    pub side: String,
    /// Shares.
    #[serde(with = "rust_decimal::serde::str")]
    pub qty: Decimal,
    /// `market` (default) or `limit`.
    #[serde(default = "market")]
    pub order_type: String,
    /// Limit price.
    #[serde(default, with = "rust_decimal::serde::str_option")]
    pub limit_price: Option<Decimal>,
    /// `day` by default.
    #[serde(default = "day")]
    pub time_in_force: String,
    /// Client id; a UUID when absent.
    #[serde(default)]
    pub client_order_id: Option<String>,
    /// `accepted` by default.
    #[serde(default = "accepted")]
    pub status: String,
}

fn market() -> String {
    "market".into()
}
fn day() -> String {
    "day".into()
}
fn accepted() -> String {
    "accepted".into()
}

/// A fault to inject into the next matching requests (`POST /_ctl/faults`).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// HTTP method to match; any when absent.
    #[serde(default)]
    pub method: Option<String>,
    /// Exact path to match (no query), or `*` for any API path.
    pub path: String,
    /// Matching requests to let through untouched first.
    #[serde(default)]
    pub skip: u32,
    /// How many matching requests it affects.
    #[serde(default = "one")]
    pub times: u32,
    /// What happens.
    pub action: FaultAction,
}

fn one() -> u32 {
    1
}

impl Fault {
    fn matches(&self, method: &str, path: &str) -> bool {
        self.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && (self.path == "*" || self.path == path)
    }
}

/// What an injected fault does.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum FaultAction {
    /// Answer with this status and an Alpaca error body.
    Status {
        /// HTTP status.
        status: u16,
        /// Alpaca code; omitted from the body when absent.
        #[serde(default)]
        code: Option<u64>,
        /// Message.
        #[serde(default = "fault_message")]
        message: String,
        /// `Retry-After` seconds.
        #[serde(default)]
        retry_after_secs: Option<u64>,
        /// For 429: `X-RateLimit-Reset` this many seconds from now.
        #[serde(default)]
        reset_in_secs: Option<u64>,
    },
    /// Wait this long, then process the request and answer normally; the request is processed
    /// even if the client has gone by then (an order placed after its client gave up).
    Delay {
        /// Milliseconds.
        ms: u64,
    },
    /// Answer 200 with a body that is not valid JSON.
    Malformed,
    /// Answer with a redirect to `location` (Alpaca never redirects; a hijacked or misconfigured
    /// endpoint might, to harvest the keys and an order's body).
    Redirect {
        /// 301, 302, 303, 307 or 308.
        status: u16,
        /// The `Location` header.
        location: String,
    },
    /// Answer 200 with a JSON body of this many bytes (a runaway or hostile server), streamed
    /// in chunks without a `Content-Length` unless `declare_length`.
    Oversized {
        /// Body size in bytes.
        bytes: u64,
        /// Send `Content-Length` up front.
        #[serde(default)]
        declare_length: bool,
    },
    /// Process the request as usual (an order is placed), then close the connection without
    /// answering: the client sees a transport error and must reconcile. Logged with status 0.
    AcceptThenDrop,
}

fn fault_message() -> String {
    "injected fault".into()
}

/// One request the fake received; credentials are never recorded, only whether they matched.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct LoggedRequest {
    /// Arrival order.
    pub seq: u64,
    /// Method.
    pub method: String,
    /// Path.
    pub path: String,
    /// Query string.
    pub query: Option<String>,
    /// Arrival (real clock).
    pub at: DateTime<Utc>,
    /// `ok`, `missing` or `rejected`.
    pub auth: String,
    /// Status answered; 0 when the connection was dropped without an answer.
    pub status: u16,
}

/// One bar to put in place of the generated one (`PUT /_ctl/bars`).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BarSet {
    /// Ticker.
    pub symbol: String,
    /// Session date.
    pub date: chrono::NaiveDate,
    /// Open.
    #[serde(with = "rust_decimal::serde::str")]
    pub open: Decimal,
    /// High.
    #[serde(with = "rust_decimal::serde::str")]
    pub high: Decimal,
    /// Low.
    #[serde(with = "rust_decimal::serde::str")]
    pub low: Decimal,
    /// Close.
    #[serde(with = "rust_decimal::serde::str")]
    pub close: Decimal,
    /// Volume.
    #[serde(default = "volume")]
    pub volume: u64,
}

fn volume() -> u64 {
    1_000_000
}

impl BarSet {
    /// The bar it describes.
    pub fn bar(&self) -> SimBar {
        SimBar {
            date: self.date,
            open: self.open,
            high: self.high,
            low: self.low,
            close: self.close,
            volume: self.volume,
            trades: self.volume / 90 + 1,
            vwap: self.close,
        }
    }
}
