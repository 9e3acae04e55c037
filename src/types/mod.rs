//! Small value types that carry meaning instead of bare strings and floats.

mod client_order_id;
mod money;
mod secret;
mod session_date;
mod symbol;

pub use client_order_id::ClientOrderId;
pub use money::Money;
pub use secret::Secret;
pub use session_date::SessionDate;
pub use symbol::{Symbol, SymbolError};
