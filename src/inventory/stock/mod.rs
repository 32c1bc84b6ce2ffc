//! Stock: the on-hand level per item and store, and the append-only ledger of
//! movements behind it. A level always equals the sum of its movements.
//!
//! - `levels`: what is on hand, per store, and what that means online;
//! - `ledger`: the movements, written only through a `Ledger` opened inside
//!   the transaction of the request that caused them;
//! - `corrections`: receipts, adjustments and counts a person records;
//! - `counts`: many counts at once (an import's, a bulk edit's) as `count` movements;
//! - `settings`: the merchant's default online buffer;
//! - `check`: every level against the sum of its movements, and open holds
//!   for pickup against what is on hand.
//!
//! An item's own stock settings (buffer, backorder, automatic switch) are
//! item values, changed through `change_item` like any other; their type is
//! re-exported here because the stock panel edits them.

mod check;
mod corrections;
mod counts;
mod ledger;
mod levels;
mod settings;

pub use crate::domain::Shortage;
pub use crate::inventory::items::{StockSettings, parse_buffer};
pub use check::{HoldMismatch, LedgerMismatch, verify_holds, verify_ledger};
pub use corrections::{Corrected, Correction, CorrectionRequest, correct, receive};
pub use counts::Count;
pub(super) use counts::{counts_key, record_counts};
pub(super) use ledger::{Ledger, Movement};
pub use ledger::{StockMovement, movements};
pub use levels::{ItemStock, LocationStock, available_at, item_stock, on_hand, units_at};
pub use settings::set_merchant_online_buffer;
