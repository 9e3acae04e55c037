//! `Client`: one reqwest client for the Trading and Market Data APIs.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode, Url};
use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use tracing::{debug, info, warn};

use super::error::{ApiErrorBody, Error};
use super::models::{
    Account, Asset, BarsPage, CalendarDay, Clock, FillActivity, Order, PortfolioHistory, Position,
};
use super::retry::{RetryPolicy, server_wait_hint};
use crate::config::{AlpacaAccess, AlpacaSettings, Feed, redact_userinfo};
use crate::types::Symbol;

/// One HTTP exchange's view of the server's clock (its `Date` header), for skew checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClockSample {
    /// The server's `Date` header.
    pub server: DateTime<Utc>,
    /// Local time the request was sent.
    pub sent: DateTime<Utc>,
    /// Local time the response arrived.
    pub received: DateTime<Utc>,
}

/// Which orders `GET /v2/orders` lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderStatusFilter {
    /// Not yet terminal.
    Open,
    /// Terminal.
    Closed,
    /// Both.
    All,
}

/// Query for `GET /v2/orders`.
#[derive(Clone, Debug)]
pub struct OrderQuery {
    /// Which states.
    pub status: OrderStatusFilter,
    /// At most this many (Alpaca caps at 500).
    pub limit: u32,
    /// Only orders submitted after this time.
    pub after: Option<DateTime<Utc>>,
}

impl Default for OrderQuery {
    fn default() -> Self {
        OrderQuery {
            status: OrderStatusFilter::Open,
            limit: 500,
            after: None,
        }
    }
}

/// Query for daily bars from `GET /v2/stocks/bars`.
#[derive(Clone, Debug)]
pub struct BarsQuery<'a> {
    /// Symbols (comma-joined in the URL).
    pub symbols: &'a [Symbol],
    /// First session, inclusive.
    pub start: NaiveDate,
    /// Last session, inclusive.
    pub end: NaiveDate,
    /// `iex` or `sip`.
    pub feed: Feed,
    /// `raw`, `split`, `dividend`, `spin-off`, `all` or a comma list.
    pub adjustment: &'a str,
    /// Bars per page across all symbols (Alpaca's maximum is 10,000).
    pub limit: u32,
}

/// A new order for `POST /v2/orders` (decimals sent as strings, as Alpaca recommends).
#[derive(Clone, Debug, serde::Serialize)]
pub struct NewOrder<'a> {
    /// Ticker.
    pub symbol: &'a str,
    /// Shares.
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    pub qty: Option<Decimal>,
    /// Dollars.
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    pub notional: Option<Decimal>,
    /// `buy` / `sell`.
    pub side: &'a str,
    /// `market`.
    #[serde(rename = "type")]
    pub order_type: &'a str,
    /// `day` / `opg`.
    pub time_in_force: &'a str,
    /// Aurora's deterministic id.
    pub client_order_id: &'a str,
}

/// What became of an order submission.
#[derive(Debug)]
pub enum Submitted {
    /// Alpaca took it.
    Accepted(Order),
    /// Alpaca refused it (4xx other than 429); it does not exist.
    Refused(Error),
    /// No certain answer: timeout, dropped connection, 429 or 5xx. It may exist.
    Unknown(Error),
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Which of Alpaca's two hosts a request goes to; each has its own rate budget.
#[derive(Clone, Copy, Debug)]
enum Api {
    Trading = 0,
    Data = 1,
}

/// What the last response said about the rate budget.
#[derive(Clone, Copy, Debug, Default)]
struct RateState {
    remaining: Option<u64>,
    reset: Option<DateTime<Utc>>,
}

/// The Alpaca client shared by every job.
#[derive(Debug)]
pub struct Client {
    http: reqwest::Client,
    trading: Url,
    data: Url,
    policy: RetryPolicy,
    last_sample: Mutex<Option<ClockSample>>,
    rate: [Mutex<RateState>; 2],
    rate_answer: [tokio::sync::Notify; 2],
    sent: [AtomicU64; 2],
    in_flight: [AtomicU64; 2],
}

impl Client {
    /// Builds a client with auth headers, `User-Agent: aurora/<version>` and timeouts.
    pub fn new(access: &AlpacaAccess, settings: &AlpacaSettings) -> Result<Client, Error> {
        let mut headers = HeaderMap::new();
        for (name, secret) in [
            ("apca-api-key-id", &access.key_id),
            ("apca-api-secret-key", &access.secret_key),
        ] {
            let mut value = HeaderValue::from_str(secret.expose()).map_err(|_| {
                Error::Setup(format!("{name} holds characters a header cannot carry"))
            })?;
            // Keeps the value out of reqwest's and hyper's debug output.
            value.set_sensitive(true);
            headers.insert(name, value);
        }
        let http = reqwest::Client::builder()
            .default_headers(headers)
            // A followed redirect would replay the keys (and an order's body) to wherever the
            // Location header points; Alpaca's APIs never redirect.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("aurora/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(settings.connect_timeout_secs))
            .timeout(Duration::from_secs(settings.request_timeout_secs))
            .build()
            .map_err(|e| Error::Setup(e.to_string()))?;
        Ok(Client {
            http,
            trading: access.trading_url.clone(),
            data: access.data_url.clone(),
            policy: RetryPolicy::from_settings(settings),
            last_sample: Mutex::new(None),
            rate: Default::default(),
            rate_answer: Default::default(),
            sent: Default::default(),
            in_flight: Default::default(),
        })
    }

    /// `GET /v2/account`.
    pub async fn account(&self) -> Result<Account, Error> {
        self.get(Api::Trading, "/v2/account", &[]).await
    }

    /// `GET /v2/clock`.
    pub async fn clock(&self) -> Result<Clock, Error> {
        self.get(Api::Trading, "/v2/clock", &[]).await
    }

    /// `GET /v2/calendar` for `start..=end`.
    pub async fn calendar(
        &self,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<Vec<CalendarDay>, Error> {
        let q = [("start", start.to_string()), ("end", end.to_string())];
        self.get(Api::Trading, "/v2/calendar", &q).await
    }

    /// `GET /v2/assets/{symbol}`.
    pub async fn asset(&self, symbol: &Symbol) -> Result<Asset, Error> {
        self.get(Api::Trading, &format!("/v2/assets/{symbol}"), &[])
            .await
    }

    /// Every FILL activity of one New York date, oldest first (pages of 100 followed to the end).
    pub async fn fills_on(&self, date: NaiveDate) -> Result<Vec<FillActivity>, Error> {
        const PAGE: usize = 100;
        let mut out: Vec<FillActivity> = Vec::new();
        loop {
            let mut q = vec![
                ("date", date.to_string()),
                ("direction", "asc".to_owned()),
                ("page_size", PAGE.to_string()),
            ];
            if let Some(last) = out.last() {
                q.push(("page_token", last.id.clone()));
            }
            let page: Vec<FillActivity> = self
                .get(Api::Trading, "/v2/account/activities/FILL", &q)
                .await?;
            let full = page.len() == PAGE;
            let before = out.len();
            // Paging has been seen to repeat the boundary item: keep each id once.
            for a in page {
                if !out.iter().rev().take(PAGE).any(|o| o.id == a.id) {
                    out.push(a);
                }
            }
            if !full || out.len() == before {
                return Ok(out);
            }
        }
    }

    /// `GET /v2/account/portfolio/history?timeframe=1D`: the equity at each close from `start`
    /// to `end` (New York dates, inclusive).
    pub async fn portfolio_history(
        &self,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<PortfolioHistory, Error> {
        let at = |date: NaiveDate, h: u32, m: u32, s: u32| {
            let time = chrono::NaiveTime::from_hms_opt(h, m, s).expect("valid time");
            crate::market::new_york(date, time).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        };
        let q = [
            ("timeframe", "1D".to_owned()),
            ("start", at(start, 0, 0, 0)),
            ("end", at(end, 23, 59, 59)),
            ("pnl_reset", "no_reset".to_owned()),
        ];
        self.get(Api::Trading, "/v2/account/portfolio/history", &q)
            .await
    }

    /// `GET /v2/assets?status=active&asset_class=us_equity`: every active US equity, in one request.
    pub async fn active_assets(&self) -> Result<Vec<Asset>, Error> {
        let q = [
            ("status", "active".to_owned()),
            ("asset_class", "us_equity".to_owned()),
        ];
        self.get(Api::Trading, "/v2/assets", &q).await
    }

    /// `GET /v2/positions`.
    pub async fn positions(&self) -> Result<Vec<Position>, Error> {
        self.get(Api::Trading, "/v2/positions", &[]).await
    }

    /// `GET /v2/orders`.
    pub async fn orders(&self, query: &OrderQuery) -> Result<Vec<Order>, Error> {
        let status = match query.status {
            OrderStatusFilter::Open => "open",
            OrderStatusFilter::Closed => "closed",
            OrderStatusFilter::All => "all",
        };
        let mut q = vec![
            ("status", status.to_owned()),
            ("limit", query.limit.min(500).to_string()),
            ("direction", "desc".to_owned()),
        ];
        if let Some(after) = query.after {
            q.push((
                "after",
                after.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            ));
        }
        self.get(Api::Trading, "/v2/orders", &q).await
    }

    /// `POST /v2/orders`, sent exactly once: never retried, because a request whose answer is
    /// lost may still have placed the order. The caller resolves `Unknown` by looking the
    /// client order id up.
    pub async fn submit_order(&self, order: &NewOrder<'_>) -> Submitted {
        let endpoint = "POST /v2/orders";
        let request = self
            .http
            .post(self.url(Api::Trading, "/v2/orders"))
            .json(order);
        let resp = match self.exchange(Api::Trading, endpoint, request).await {
            Ok(resp) => resp,
            Err(e) => return Submitted::Unknown(self.unreachable(&e, 1)),
        };
        let status = resp.status();
        if status.is_redirection() {
            // Not followed, so not placed by whoever answered.
            return Submitted::Refused(redirect(endpoint, &resp));
        }
        let request_id = header_text(resp.headers(), "x-request-id");
        let bytes = match read_body(resp).await {
            Ok(b) => b,
            // Headers arrived but the body did not: the order may well exist.
            Err(BodyError::Transport(e)) => return Submitted::Unknown(self.unreachable(&e, 1)),
            Err(BodyError::TooLarge) => return Submitted::Unknown(too_large(endpoint)),
        };
        if status.is_success() {
            return match serde_json::from_slice::<Order>(&bytes) {
                Ok(order) => Submitted::Accepted(order),
                Err(e) => Submitted::Unknown(Error::Decode {
                    endpoint: endpoint.into(),
                    reason: e.to_string(),
                }),
            };
        }
        let err = Error::Api {
            endpoint: endpoint.into(),
            status: status.as_u16(),
            body: ApiErrorBody::parse(&String::from_utf8_lossy(&bytes)),
            request_id,
            attempts: 1,
        };
        // A 429 or 5xx says nothing certain about whether the order was placed.
        if err.is_temporary() {
            Submitted::Unknown(err)
        } else {
            Submitted::Refused(err)
        }
    }

    /// `GET /v2/orders:by_client_order_id`: the order, or `None` if Alpaca has no such order.
    pub async fn order_by_client_id(&self, client_order_id: &str) -> Result<Option<Order>, Error> {
        let q = [("client_order_id", client_order_id.to_owned())];
        match self
            .get(Api::Trading, "/v2/orders:by_client_order_id", &q)
            .await
        {
            Ok(order) => Ok(Some(order)),
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `DELETE /v2/orders/{id}`: asks Alpaca to cancel; `false` when it is no longer cancelable.
    pub async fn cancel_order(&self, order_id: &str) -> Result<bool, Error> {
        let path = format!("/v2/orders/{order_id}");
        let endpoint = format!("DELETE {path}");
        match self
            .send_idempotent(Method::DELETE, Api::Trading, &path, &[], &endpoint)
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if matches!(e.status(), Some(404 | 422)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The latest trade price per symbol (`GET /v2/stocks/trades/latest`).
    pub async fn latest_prices(
        &self,
        symbols: &[Symbol],
        feed: Feed,
    ) -> Result<BTreeMap<String, Decimal>, Error> {
        #[derive(serde::Deserialize)]
        struct Trade {
            #[serde(deserialize_with = "super::models::exact_number")]
            p: Decimal,
        }
        #[derive(serde::Deserialize)]
        struct Latest {
            #[serde(default)]
            trades: BTreeMap<String, Trade>,
        }
        let names: Vec<&str> = symbols.iter().map(Symbol::as_str).collect();
        let q = [
            ("symbols", names.join(",")),
            ("feed", feed.as_str().to_owned()),
        ];
        let latest: Latest = self.get(Api::Data, "/v2/stocks/trades/latest", &q).await?;
        Ok(latest.trades.into_iter().map(|(s, t)| (s, t.p)).collect())
    }

    /// One page of daily bars; pass the previous page's `next_page_token` to continue.
    pub async fn daily_bars(
        &self,
        q: &BarsQuery<'_>,
        page_token: Option<&str>,
    ) -> Result<BarsPage, Error> {
        let symbols: Vec<&str> = q.symbols.iter().map(Symbol::as_str).collect();
        let mut query = vec![
            ("symbols", symbols.join(",")),
            ("timeframe", "1Day".to_owned()),
            ("start", q.start.to_string()),
            ("end", q.end.to_string()),
            ("limit", q.limit.min(10_000).to_string()),
            ("feed", q.feed.as_str().to_owned()),
            ("adjustment", q.adjustment.to_owned()),
            ("sort", "asc".to_owned()),
        ];
        if let Some(token) = page_token {
            query.push(("page_token", token.to_owned()));
        }
        self.get(Api::Data, "/v2/stocks/bars", &query).await
    }

    /// HTTP requests sent to the Market Data API so far, retries included.
    pub fn data_requests_sent(&self) -> u64 {
        self.sent[Api::Data as usize].load(Ordering::Relaxed)
    }

    /// The most recent response's `Date` header against the local clock.
    pub fn last_clock_sample(&self) -> Option<ClockSample> {
        *self.last_sample.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn get<T: DeserializeOwned>(
        &self,
        api: Api,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, Error> {
        let endpoint = format!("GET {path}");
        let body = self
            .send_idempotent(Method::GET, api, path, query, &endpoint)
            .await?;
        serde_json::from_slice(&body).map_err(|e| Error::Decode {
            endpoint,
            reason: e.to_string(),
        })
    }

    fn url(&self, api: Api, path: &str) -> Url {
        let base = match api {
            Api::Trading => &self.trading,
            Api::Data => &self.data,
        };
        // Base URLs are validated to be host-only (plus an optional prefix) in config.
        let mut url = base.clone();
        let prefix = base.path().trim_end_matches('/');
        url.set_path(&format!("{prefix}{path}"));
        url
    }

    /// Sends a request that is safe to repeat (GET, DELETE), retrying connection errors, 429 and
    /// 5xx with jittered exponential backoff or the server's hint, within attempts and a deadline.
    async fn send_idempotent(
        &self,
        method: Method,
        api: Api,
        path: &str,
        query: &[(&str, String)],
        endpoint: &str,
    ) -> Result<Vec<u8>, Error> {
        let url = self.url(api, path);
        let started = Instant::now();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let request = self.http.request(method.clone(), url.clone()).query(query);
            let result = self.exchange(api, endpoint, request).await;
            let (failure, wait_hint) = match result {
                Ok(resp) => {
                    let status = resp.status();
                    if status.is_redirection() {
                        return Err(redirect(endpoint, &resp));
                    }
                    let request_id = header_text(resp.headers(), "x-request-id");
                    let hint = server_wait_hint(
                        resp.headers(),
                        Utc::now(),
                        status == StatusCode::TOO_MANY_REQUESTS,
                    );
                    match read_body(resp).await {
                        Ok(bytes) if status.is_success() => {
                            debug!(%endpoint, status = status.as_u16(), attempt, "alpaca request ok");
                            if attempt > 1 {
                                // One line per retry budget: the retries themselves are debug.
                                info!(%endpoint, attempts = attempt, "{endpoint}: answered on attempt {attempt}, after {:.1}s of retries", started.elapsed().as_secs_f64());
                            }
                            return Ok(bytes);
                        }
                        Ok(bytes) => (
                            Error::Api {
                                endpoint: endpoint.to_owned(),
                                status: status.as_u16(),
                                body: ApiErrorBody::parse(&String::from_utf8_lossy(&bytes)),
                                request_id,
                                attempts: attempt,
                            },
                            hint,
                        ),
                        Err(BodyError::TooLarge) => return Err(too_large(endpoint)),
                        Err(BodyError::Transport(e)) => (self.unreachable(&e, attempt), None),
                    }
                }
                Err(e) => (self.unreachable(&e, attempt), None),
            };
            if !failure.is_temporary() {
                return Err(failure);
            }
            if attempt >= self.policy.max_attempts {
                warn!(%endpoint, attempts = attempt, "{endpoint}: gave up after {attempt} attempt(s) in {:.1}s: {failure}", started.elapsed().as_secs_f64());
                return Err(failure);
            }
            let Some(delay) =
                self.policy
                    .next_delay(attempt, started.elapsed(), wait_hint, fastrand::f64())
            else {
                warn!(%endpoint, attempts = attempt, "{endpoint}: gave up after {attempt} attempt(s): the next retry would pass the {:?} deadline: {failure}", self.policy.deadline);
                return Err(failure);
            };
            debug!(%endpoint, attempt, delay_ms = delay.as_millis() as u64, error = %failure, "{endpoint}: retrying in {delay:?} after {failure}");
            tokio::time::sleep(delay).await;
        }
    }

    /// Sends one request within the rate budget and notes what its answer says about the
    /// server's clock and the budget. Every request to Alpaca goes through here.
    async fn exchange(
        &self,
        api: Api,
        endpoint: &str,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, reqwest::Error> {
        self.pace(api, endpoint).await;
        self.sent[api as usize].fetch_add(1, Ordering::Relaxed);
        self.in_flight[api as usize].fetch_add(1, Ordering::SeqCst);
        let sent = Utc::now();
        let result = request.send().await;
        self.in_flight[api as usize].fetch_sub(1, Ordering::SeqCst);
        if let Ok(resp) = &result {
            self.record_sample(resp.headers(), sent);
            self.record_rate(api, resp.headers());
        }
        result
    }

    /// Waits for room in the rate budget instead of sending a request that would get a 429.
    ///
    /// Each request reserves one unit of the budget the last response reported, so concurrent
    /// requests cannot overshoot it. When it is spent, requests wait for the reset; then one
    /// request probes the fresh window and the others wait for its answer's headers.
    async fn pace(&self, api: Api, endpoint: &str) {
        enum Next {
            Go,
            Until(Duration),
            Answer,
        }
        loop {
            let next = {
                let mut st = self.rate[api as usize]
                    .lock()
                    .unwrap_or_else(|e| e.into_inner());
                match (st.remaining, st.reset) {
                    (None, _) => Next::Go,
                    (Some(n), _) if n > 0 => {
                        st.remaining = Some(n - 1);
                        Next::Go
                    }
                    // `X-RateLimit-Reset` is a wall-clock epoch, so only this machine's clock
                    // can measure the wait (a transport matter, never a market decision).
                    (Some(_), Some(reset)) => match (reset - Utc::now()).to_std() {
                        // A reset far away is a confused header, not a reason to hang a job.
                        Ok(wait) if !wait.is_zero() => {
                            Next::Until(wait.min(Duration::from_secs(65)))
                        }
                        _ => {
                            st.reset = None;
                            Next::Go
                        }
                    },
                    (Some(_), None) => Next::Answer,
                }
            };
            match next {
                Next::Go => return,
                Next::Until(wait) => {
                    debug!(%endpoint, wait_ms = wait.as_millis() as u64, "rate budget spent; pacing");
                    tokio::time::sleep(wait).await;
                }
                Next::Answer => {
                    let answered = self.rate_answer[api as usize].notified();
                    if tokio::time::timeout(Duration::from_secs(1), answered)
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
            }
        }
    }

    fn record_rate(&self, api: Api, headers: &HeaderMap) {
        let num = |name| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<i64>().ok())
        };
        {
            let mut state = self.rate[api as usize]
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            // Requests still in flight were sent after this answer's count: they use it up too.
            let in_flight = self.in_flight[api as usize].load(Ordering::SeqCst);
            let remaining =
                num("x-ratelimit-remaining").map(|n| (n.max(0) as u64).saturating_sub(in_flight));
            let reset =
                num("x-ratelimit-reset").and_then(|s| DateTime::<Utc>::from_timestamp(s, 0));
            // Concurrent answers arrive in any order: one counted before another that has
            // already been read must not hand back budget the other used. Only an answer from
            // a later window (a later reset) raises what is left.
            let later_window = match (reset, state.reset) {
                (Some(new), Some(old)) => new > old,
                _ => true,
            };
            state.remaining = match (state.remaining, remaining) {
                (Some(old), Some(new)) if !later_window => Some(old.min(new)),
                (_, new) => new,
            };
            state.reset = reset;
        }
        self.rate_answer[api as usize].notify_waiters();
    }

    fn unreachable(&self, err: &reqwest::Error, attempts: u32) -> Error {
        let mut host = self.trading.clone();
        if let Some(url) = err.url() {
            host = url.clone();
        }
        host.set_path("");
        host.set_query(None);
        Error::Unreachable {
            host: host.as_str().trim_end_matches('/').to_owned(),
            reason: network_reason(err),
            attempts,
        }
    }

    fn record_sample(&self, headers: &HeaderMap, sent: DateTime<Utc>) {
        let server = headers
            .get(reqwest::header::DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok());
        if let Some(server) = server {
            let sample = ClockSample {
                server: server.into(),
                sent,
                received: Utc::now(),
            };
            *self.last_sample.lock().unwrap_or_else(|e| e.into_inner()) = Some(sample);
        }
    }
}

/// The largest response body Aurora reads. Alpaca's biggest answers (a page of 10,000 bars, every
/// active asset) are a few megabytes; more is a broken or hostile server, not data.
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// Why a body could not be read.
enum BodyError {
    /// Longer than `MAX_BODY_BYTES`.
    TooLarge,
    /// The connection failed mid-body.
    Transport(reqwest::Error),
}

/// Reads a response body, stopping at `MAX_BODY_BYTES` whatever `Content-Length` says.
async fn read_body(mut resp: reqwest::Response) -> Result<Vec<u8>, BodyError> {
    if resp
        .content_length()
        .is_some_and(|n| n > MAX_BODY_BYTES as u64)
    {
        return Err(BodyError::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(BodyError::Transport)? {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn too_large(endpoint: &str) -> Error {
    Error::TooLarge {
        endpoint: endpoint.to_owned(),
        limit: MAX_BODY_BYTES,
    }
}

/// The error for a redirect, naming where it pointed (without any credentials in it).
fn redirect(endpoint: &str, resp: &reqwest::Response) -> Error {
    let location = resp
        .headers()
        .get(reqwest::header::LOCATION)
        .map(|v| {
            String::from_utf8_lossy(v.as_bytes())
                .chars()
                .take(200)
                .collect::<String>()
        })
        .map_or_else(
            || "(no Location header)".to_owned(),
            |l| redact_userinfo(&l),
        );
    Error::Redirect {
        endpoint: endpoint.to_owned(),
        status: resp.status().as_u16(),
        location,
    }
}

/// The most specific cause of a network failure, in a few words.
fn network_reason(err: &reqwest::Error) -> String {
    if err.is_timeout() {
        return "timed out".to_owned();
    }
    let mut cause: &dyn std::error::Error = err;
    while let Some(next) = cause.source() {
        cause = next;
    }
    let text = cause.to_string();
    if err.is_connect() && !text.to_ascii_lowercase().contains("connect") {
        format!("connection failed: {text}")
    } else {
        text
    }
}
