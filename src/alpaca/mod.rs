//! The Alpaca HTTP client: auth, timeouts, retries, rate limits, typed errors and models.

mod client;
mod error;
pub mod models;
mod retry;

pub use client::{
    BarsQuery, Client, ClockSample, NewOrder, OrderQuery, OrderStatusFilter, Submitted,
};
pub use error::Error;
pub use retry::RetryPolicy;
