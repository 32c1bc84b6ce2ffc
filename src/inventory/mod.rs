//! The inventory service: items and their designations, stock, the channel
//! lists, the audit log and the outbox. Plain Rust over a `DbConnection`, no
//! HTTP types. Every rule of the product lives here once. Every change to an
//! item row goes through the item writer (`items::ItemWriter`), which does
//! the version check, the rules, the catalog version, the audit entries and
//! the outbox event in the transaction of the change; store changes bump the
//! catalog the same way (`stores`).

// In dependency order: each module uses only those above it.
pub mod audit;
pub mod bulk_edit;
mod catalog;
pub mod catalog_file;
pub mod changes;
pub mod designations;
pub mod hold_records;
pub mod idempotency;
pub mod item_list;
pub mod item_view;
pub mod items;
pub mod list_feed;
pub mod lists;
pub mod merchants;
pub mod orders;
pub mod outbox;
pub mod permissions;
pub mod reservations;
pub mod retention;
pub mod schedules;
pub mod sessions;
pub mod settings;
pub mod setup;
pub mod sign_in;
pub mod staff;
pub mod stock;
pub mod store_list;
pub mod stores;
pub mod tokens;
pub mod webhooks;

use crate::domain::{DesignationRuleError, FieldError};

pub use crate::domain::{DesignationChange, Shortage};
pub use catalog::current_version as catalog_version;
pub use designations::{
    BulkMode, BulkOutcome, DesignationOutcome, designate, designate_many, undo,
};
pub use items::{FieldEdits, Item, ItemChange, ItemChanged, ItemFields, ItemUpdate, change_item};

/// Who made a change, as the audit log shows it: a person by name (and
/// email, when known), an API token by its name, or shelfsync itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    name: String,
    email: String,
}

impl Actor {
    /// A staff member, shown by display name.
    pub fn staff(display_name: &str) -> Actor {
        Actor {
            name: display_name.to_owned(),
            email: String::new(),
        }
    }

    /// A staff member as every change they make is logged: by name and email.
    pub fn of(staff: &merchants::Staff) -> Actor {
        Actor {
            name: staff.display_name.clone(),
            email: staff.email.clone(),
        }
    }

    /// A client of the JSON API, shown by its token's name.
    pub fn api_token(token_name: &str) -> Actor {
        Actor {
            name: format!("API token “{token_name}”"),
            email: String::new(),
        }
    }

    /// An operator at the server's command line (`shelfsync staff …`).
    pub fn command_line() -> Actor {
        Actor {
            name: "command line".to_owned(),
            email: String::new(),
        }
    }

    /// A shopper, by the name they gave (a hold made on the shop page).
    pub fn shopper(name: &str) -> Actor {
        Actor {
            name: format!("{name} (shopper)"),
            email: String::new(),
        }
    }

    /// The server's scheduler (holds that expire, other work that falls due).
    pub fn scheduler() -> Actor {
        Actor {
            name: "scheduler".to_owned(),
            email: String::new(),
        }
    }

    /// shelfsync itself (the demo seed, automatic switches).
    pub fn system() -> Actor {
        Actor {
            name: "shelfsync".to_owned(),
            email: String::new(),
        }
    }

    /// The same person, named with what they are doing (`Sam Rivera
    /// (import of items.csv)`), for changes made on their behalf in bulk.
    pub fn doing(&self, what: &str) -> Actor {
        Actor {
            name: format!("{} ({what})", self.name),
            email: self.email.clone(),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.name
    }

    /// The person's email; empty for API tokens and shelfsync.
    pub fn email(&self) -> &str {
        &self.email
    }
}

/// Why the service refused or failed a request.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    /// A value was not acceptable; names the field.
    #[error(transparent)]
    Invalid(#[from] FieldError),
    /// The merchant, item, location or entry does not exist for this merchant.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The item changed since the caller read it; carries the item as it is now.
    #[error("the item was changed by someone else (now at version {})", .current.version)]
    Conflict { current: Box<Item> },
    /// The designation change would break a rule; carries the item unchanged.
    #[error("{rule}")]
    Rule {
        item: Box<Item>,
        rule: DesignationRuleError,
    },
    /// A value of one line of an order or sale was not acceptable; `line`
    /// counts from 0 and the field is the line's (`item_id`, `quantity`).
    #[error("line {line}: {error}")]
    InvalidLine { line: usize, error: FieldError },
    /// Not enough stock for every line; nothing changed. One entry per short line.
    #[error("not enough stock for {} line(s)", .0.len())]
    InsufficientStock(Vec<Shortage>),
    /// The staff member's role does not allow this; nothing changed. Says why.
    #[error("{0}")]
    NotAllowed(String),
    /// A one-time link was used already or has expired; says which.
    #[error("{0}")]
    LinkSpent(String),
    /// A limit on holds for pickup was reached (per email or phone, per
    /// client address); nothing changed. Says which and when to retry.
    #[error("{0}")]
    TooMany(String),
    /// The reservation is no longer open (picked up, released or expired);
    /// nothing changed. Says what became of it.
    #[error("{0}")]
    Closed(String),
    /// The idempotency key was already used for a different request.
    #[error("the idempotency key was already used for a different request")]
    IdempotencyKeyReused,
    /// A resume from `since` would miss events: those through version
    /// `floor` have been pruned (`retention`). Read the full list instead.
    #[error(
        "events after version {since} are no longer all kept: history before version {floor} has been pruned"
    )]
    HistoryPruned { since: i64, floor: i64 },
    /// The database failed; a bug or an outage, never the user's input.
    #[error("database error: {0}")]
    Database(#[from] diesel::result::Error),
    /// The database could not be reached in time (pool exhausted, server down).
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// A stored value could not be read back as a domain value.
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
}

pub type Result<T, E = InventoryError> = std::result::Result<T, E>;

/// Now, as stored: UTC without an offset, to the microsecond (PostgreSQL's
/// precision), so a value written and the same value read back are equal on
/// both backends.
fn now() -> chrono::NaiveDateTime {
    use chrono::SubsecRound;
    chrono::Utc::now().naive_utc().trunc_subsecs(6)
}
