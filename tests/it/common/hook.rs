//! A webhook on loopback: answers each request with the next planned status and hands back
//! what it received (request line and body), for tests of `aurora alert` and the daily summary.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

/// One request the hook received.
#[derive(Clone, Debug)]
pub struct Received {
    /// `POST /path HTTP/1.1`'s path (with its query).
    pub path: String,
    /// The body.
    pub body: String,
}

impl Received {
    /// The body as JSON.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// A loopback webhook that answers `statuses` in turn (then 200) and records every request.
pub struct Hook {
    /// Its base URL, `http://127.0.0.1:PORT`.
    pub base: String,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Hook {
    /// Starts serving on a free port; a `Retry-After: 0` comes with each non-2xx answer so a
    /// retrying client does not wait.
    pub fn start(statuses: &[u16]) -> Hook {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&received);
        let plan = statuses.to_vec();
        std::thread::spawn(move || {
            let mut plan = plan.into_iter();
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request_line = String::new();
                if reader.read_line(&mut request_line).is_err() {
                    continue;
                }
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                log.lock().unwrap().push(Received {
                    path: request_line
                        .split_whitespace()
                        .nth(1)
                        .unwrap_or("")
                        .to_owned(),
                    body: String::from_utf8_lossy(&body).into_owned(),
                });
                let status = plan.next().unwrap_or(200);
                let mut stream = stream;
                let _ = stream.write_all(
                    format!(
                        "HTTP/1.1 {status} X\r\nretry-after: 0\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok"
                    )
                    .as_bytes(),
                );
            }
        });
        Hook { base, received }
    }

    /// What it received so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}
