//! Validated values of the inventory: each type parses raw input at the edge,
//! so the service never holds a string where a `Sku` belongs. No actix or
//! Diesel here.

mod availability;
mod barcode;
mod designation;
mod destination;
mod money;
mod password;
mod reservation;
mod role;
mod scope;
mod shop;
mod stock;
mod storefront;
mod text;
mod webhook;

pub use availability::{
    Shortage, automatic_listing, available_at_store, available_online, online_buffer,
};
pub use barcode::Barcode;
pub use designation::{Designation, DesignationChange, DesignationRuleError, OnlineListing};
pub use destination::{Destinations, is_public};
pub use money::{Currency, Money, display_minor};
pub use password::{MIN_PASSWORD_LEN, NewPassword, password_rule};
pub use reservation::{
    Contact, PICKUP_CODE_LEN, Phone, PickupCode, ReservationStatus, shopper_name,
};
pub use role::Role;
pub use scope::TokenScope;
pub use shop::{Slug, TimeZone, line, text_block};
pub use stock::{
    Adjustment, IdempotencyKey, MAX_QUANTITY, MovementKind, Quantity, Reason, StockCount,
};
pub use storefront::StorefrontUrl;
pub use text::{
    ControlCharacter, Description, Email, ItemName, Lines, ReturnPath, Sku, check_input,
    forbidden_character, single_line,
};
pub use webhook::{
    EVENT_TYPES, EventTypes, INVENTORY_STOCK_CHANGED, WebhookUrl, event_type_label, is_back_office,
};

/// A value a user typed was not acceptable; names the field and says why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    /// The input field, as the form or JSON body names it (`sku`, `price`, …).
    pub field: &'static str,
    /// What is wrong and what would be accepted, for a person.
    pub message: String,
}

impl FieldError {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}
