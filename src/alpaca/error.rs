//! `alpaca::Error`: what went wrong talking to Alpaca, with enough detail to act on.

use std::fmt;

use reqwest::StatusCode;
use serde::Deserialize;

/// A failed Alpaca request.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No HTTP answer: refused, reset, DNS or timeout, even after retries.
    #[error("cannot reach Alpaca at {host}: {reason} ({attempts} attempt(s))")]
    Unreachable {
        /// Scheme, host and port.
        host: String,
        /// What the network said.
        reason: String,
        /// Attempts made.
        attempts: u32,
    },
    /// Alpaca answered with an error status.
    #[error("{endpoint}: {body} (HTTP {status}{})", attempts_note(*.attempts))]
    Api {
        /// `GET /v2/account` etc.
        endpoint: String,
        /// HTTP status.
        status: u16,
        /// Alpaca's error body.
        body: ApiErrorBody,
        /// `X-Request-ID`, for Alpaca support.
        request_id: Option<String>,
        /// Attempts made.
        attempts: u32,
    },
    /// A success status with a body that does not match the model.
    #[error("{endpoint}: unexpected response body: {reason}")]
    Decode {
        /// `GET /v2/account` etc.
        endpoint: String,
        /// The parse error (never the body, which could be large).
        reason: String,
    },
    /// Alpaca's APIs never redirect: a redirect is not followed (it could carry the keys and an
    /// order to another host) but reported.
    #[error(
        "{endpoint}: redirected (HTTP {status}) to {location}; Alpaca's APIs do not redirect and Aurora follows no redirect: check APCA_API_BASE_URL and APCA_API_DATA_URL"
    )]
    Redirect {
        /// `POST /v2/orders` etc.
        endpoint: String,
        /// HTTP status (301, 302, 303, 307, 308).
        status: u16,
        /// The `Location` header, without any `user:password@`.
        location: String,
    },
    /// The response body is larger than Aurora reads.
    #[error("{endpoint}: the response body is larger than {} MB; Aurora stops reading there", limit / (1024 * 1024))]
    TooLarge {
        /// `GET /v2/stocks/bars` etc.
        endpoint: String,
        /// The cap, in bytes.
        limit: usize,
    },
    /// The HTTP client could not be built.
    #[error("cannot set up the HTTP client: {0}")]
    Setup(String),
}

fn attempts_note(attempts: u32) -> String {
    if attempts > 1 {
        format!(", after {attempts} attempts")
    } else {
        String::new()
    }
}

impl Error {
    /// Temporary: the broker was unreachable or rate limited or failing (exit 75; systemd may retry).
    pub fn is_temporary(&self) -> bool {
        match self {
            Error::Unreachable { .. } => true,
            Error::Api { status, .. } => {
                *status == StatusCode::TOO_MANY_REQUESTS.as_u16() || *status >= 500
            }
            Error::Decode { .. }
            | Error::Redirect { .. }
            | Error::TooLarge { .. }
            | Error::Setup(_) => false,
        }
    }

    /// Alpaca refused the credentials (401, or 403 with an auth message rather than a business refusal).
    pub fn is_auth_rejected(&self) -> bool {
        match self {
            Error::Api { status: 401, .. } => true,
            Error::Api {
                status: 403, body, ..
            } => {
                let m = body.message.to_ascii_lowercase();
                m.starts_with("forbidden")
                    || m.contains("not authorized")
                    || m.contains("unauthorized")
            }
            _ => false,
        }
    }

    /// The HTTP status, when Alpaca answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// Alpaca's error body, parsed leniently: `code` is often missing and gateways send HTML.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct ApiErrorBody {
    /// Alpaca's 8-digit code, when present.
    #[serde(default)]
    pub code: Option<i64>,
    /// Alpaca's message, or the start of a non-JSON body.
    #[serde(default)]
    pub message: String,
}

impl ApiErrorBody {
    /// Parses a body; anything that is not Alpaca's JSON keeps a short, single-line excerpt.
    pub fn parse(text: &str) -> ApiErrorBody {
        match serde_json::from_str::<ApiErrorBody>(text) {
            Ok(b) if !b.message.is_empty() || b.code.is_some() => b,
            _ => {
                let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
                let excerpt: String = flat.chars().take(120).collect();
                ApiErrorBody {
                    code: None,
                    message: if excerpt.is_empty() {
                        "(empty body)".into()
                    } else {
                        excerpt
                    },
                }
            }
        }
    }
}

impl fmt::Display for ApiErrorBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.code {
            Some(code) => write!(f, "{} [code {code}]", self.message),
            None => f.write_str(&self.message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_alpaca_and_gateway_bodies() {
        let b = ApiErrorBody::parse(
            r#"{"code":40310000,"message":"insufficient buying power","buying_power":"1.00"}"#,
        );
        assert_eq!(b.code, Some(40310000));
        assert_eq!(b.message, "insufficient buying power");
        let b = ApiErrorBody::parse(r#"{"message": "forbidden."}"#);
        assert_eq!((b.code, b.message.as_str()), (None, "forbidden."));
        let b = ApiErrorBody::parse("<html>\n<h1>504 Gateway Time-out</h1>\n</html>");
        assert_eq!(b.message, "<html> <h1>504 Gateway Time-out</h1> </html>");
    }

    fn api(status: u16, message: &str) -> Error {
        Error::Api {
            endpoint: "GET /v2/account".into(),
            status,
            body: ApiErrorBody {
                code: None,
                message: message.into(),
            },
            request_id: None,
            attempts: 1,
        }
    }

    #[test]
    fn classifies_errors() {
        assert!(api(403, "forbidden.").is_auth_rejected());
        assert!(!api(403, "insufficient buying power").is_auth_rejected());
        assert!(api(401, "request is not authorized").is_auth_rejected());
        assert!(api(503, "x").is_temporary());
        assert!(api(429, "x").is_temporary());
        assert!(!api(422, "x").is_temporary());
    }
}
