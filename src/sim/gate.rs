//! What every API request passes through: request log, injected faults, rate limit, auth, headers.

use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Utc;

use super::conn::ConnHandle;
use super::state::{Api, FaultAction, LoggedRequest, Shared};
use super::trading::error;

/// The middleware: control calls (`/_ctl/…`) pass straight through and are not logged.
pub async fn gate(State(shared): State<Shared>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    if path.starts_with("/_ctl/") {
        return next.run(req).await;
    }
    let method = req.method().as_str().to_owned();
    let arrived = Utc::now();
    let data_api = path.starts_with("/v2/stocks") || path.starts_with("/v1beta");
    let auth = auth_state(&shared, req.headers());

    let (seq, fault) = {
        let mut st = shared.lock();
        let seq = st.next_seq();
        st.log.push(LoggedRequest {
            seq,
            method: method.clone(),
            path: path.clone(),
            query: req.uri().query().map(str::to_owned),
            at: arrived,
            auth: auth.to_owned(),
            status: 0,
        });
        (seq, st.take_fault(&method, &path))
    };

    let mut reset_override = None;
    let mut drop_after = None;
    let mut delay = None;
    let early: Option<Response> = match fault {
        Some(FaultAction::AcceptThenDrop) => {
            match req.extensions().get::<ConnectInfo<ConnHandle>>() {
                Some(ConnectInfo(conn)) => {
                    drop_after = Some(conn.clone());
                    None
                }
                // Only connections accepted by `sim::serve` can be dropped.
                None => Some(error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    None,
                    "accept_then_drop needs a connection accepted by aurora::sim::serve",
                )),
            }
        }
        Some(FaultAction::Delay { ms }) => {
            delay = Some(Duration::from_millis(ms));
            None
        }
        Some(FaultAction::Malformed) => Some(
            (
                StatusCode::OK,
                [("content-type", "application/json")],
                "{\"id\": \"truncated",
            )
                .into_response(),
        ),
        Some(FaultAction::Redirect { status, location }) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::TEMPORARY_REDIRECT);
            Some((status, [("location", location)]).into_response())
        }
        Some(FaultAction::Oversized {
            bytes,
            declare_length,
        }) => Some(oversized(bytes, declare_length)),
        Some(FaultAction::Status {
            status,
            code,
            message,
            retry_after_secs,
            reset_in_secs,
        }) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut resp = error(status, code, &message);
            if let Some(secs) = retry_after_secs {
                resp.headers_mut()
                    .insert("retry-after", HeaderValue::from(secs));
            }
            reset_override = reset_in_secs;
            Some(resp)
        }
        None => None,
    };

    let api = if data_api { Api::Data } else { Api::Trading };
    let (remaining, reset) = shared.lock().spend_rate_limit(api, Instant::now());
    let mut resp = match early {
        Some(r) => r,
        None if remaining.is_none() => error(
            StatusCode::TOO_MANY_REQUESTS,
            Some(42910000),
            "rate limit exceeded",
        ),
        None if auth != "ok" => {
            // The Trading API answers bad keys with 403 "forbidden."; Market Data with 401.
            if data_api {
                error(StatusCode::UNAUTHORIZED, None, "unauthorized.")
            } else {
                error(StatusCode::FORBIDDEN, None, "forbidden.")
            }
        }
        None => match delay {
            // Like a real server, the fake finishes a request it has received even when the
            // client gives up waiting: a delayed order is placed after its client is gone.
            Some(wait) => tokio::spawn(async move {
                tokio::time::sleep(wait).await;
                next.run(req).await
            })
            .await
            .unwrap_or_else(|_| {
                error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    None,
                    "the delayed request failed",
                )
            }),
            None => next.run(req).await,
        },
    };

    let (limit, offset) = {
        let st = shared.lock();
        (st.rate_limit, st.date_offset_secs)
    };
    let reset_at = match reset_override {
        Some(secs) => Utc::now().timestamp() + secs as i64,
        // Whole epoch seconds, rounded up: a client that waits for it is never early.
        None => {
            (Utc::now() + chrono::Duration::from_std(reset).unwrap_or_default()).timestamp() + 1
        }
    };
    let remaining = if resp.status() == StatusCode::TOO_MANY_REQUESTS {
        0
    } else {
        remaining.unwrap_or(0)
    };
    let date = std::time::SystemTime::now()
        .checked_add(Duration::from_secs(offset.max(0) as u64))
        .and_then(|t| t.checked_sub(Duration::from_secs((-offset).max(0) as u64)))
        .unwrap_or_else(std::time::SystemTime::now);
    let h = resp.headers_mut();
    h.insert(
        "date",
        HeaderValue::from_str(&httpdate::fmt_http_date(date)).expect("ascii date"),
    );
    h.insert("x-ratelimit-limit", HeaderValue::from(limit));
    h.insert("x-ratelimit-remaining", HeaderValue::from(remaining));
    h.insert("x-ratelimit-reset", HeaderValue::from(reset_at));
    h.insert(
        "x-request-id",
        HeaderValue::from_str(&format!("{:032x}", u128::from(seq) * 0x9e37_79b9_7f4a_7c15))
            .expect("hex"),
    );

    let status = match &drop_after {
        // The work is done; now the connection dies before the answer is written.
        Some(conn) => {
            conn.drop_connection();
            0
        }
        None => resp.status().as_u16(),
    };
    if let Some(entry) = shared.lock().log.iter_mut().find(|e| e.seq == seq) {
        entry.status = status;
    }
    resp
}

/// A 200 whose JSON body (one long string) is `bytes` long, produced a chunk at a time so the
/// fake never holds it in memory.
fn oversized(bytes: u64, declare_length: bool) -> Response {
    const CHUNK: u64 = 64 * 1024;
    let filler = bytes.saturating_sub(2);
    let chunks = futures::stream::iter(
        std::iter::once(axum::body::Bytes::from_static(b"\""))
            .chain((0..filler.div_ceil(CHUNK)).map(move |i| {
                let n = (filler - i * CHUNK).min(CHUNK) as usize;
                axum::body::Bytes::from(vec![b'x'; n])
            }))
            .chain(std::iter::once(axum::body::Bytes::from_static(b"\"")))
            .map(Ok::<_, std::convert::Infallible>),
    );
    let mut resp = Response::new(axum::body::Body::from_stream(chunks));
    let h = resp.headers_mut();
    h.insert("content-type", HeaderValue::from_static("application/json"));
    if declare_length {
        h.insert("content-length", HeaderValue::from(bytes.max(2)));
    }
    resp
}

fn auth_state(shared: &Shared, headers: &HeaderMap) -> &'static str {
    let get = |name| headers.get(name).and_then(|v| v.to_str().ok());
    match (get("apca-api-key-id"), get("apca-api-secret-key")) {
        (Some(k), Some(s)) => {
            let st = shared.lock();
            if k == st.key && s == st.secret {
                "ok"
            } else {
                "rejected"
            }
        }
        _ => "missing",
    }
}
