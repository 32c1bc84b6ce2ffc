//! Items: the model the service hands out, the parsed values a person edits,
//! and (in `writer`) the one function through which every item row changes.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{InventoryError, Result};
use crate::db::DbConnection;
use crate::db::models::ItemRow;
use crate::db::schema::items;
use crate::domain::{
    Barcode, Currency, Description, Designation, DesignationChange, FieldError, ItemName, Money,
    OnlineListing, Sku, StockCount,
};

mod change;
mod writer;

pub use change::{ItemChange, ItemChanged, change_item, create_item};
pub(super) use writer::ItemWriter;

/// An item as the service hands it out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub id: i64,
    pub merchant_id: i64,
    pub sku: String,
    pub name: String,
    pub description: String,
    pub price: Money,
    pub barcode: Option<String>,
    pub designation: Designation,
    /// Bumped by every change; callers send it back to detect concurrent edits.
    pub version: i64,
    /// The catalog version at which the item last changed.
    pub changed_version: i64,
    pub archived: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Units held back from the online count for walk-in customers; `None`
    /// uses the merchant's default.
    pub online_buffer: Option<i64>,
    /// Still purchasable online when nothing is available.
    pub allow_backorder: bool,
    /// Switch to "view online, buy in store" when sold out online while a
    /// store still has it, and back to for sale when stock returns.
    pub auto_view_only: bool,
    /// The item is view-only because of that switch (not a person's choice).
    pub auto_switched: bool,
}

impl Item {
    pub fn in_store(&self) -> bool {
        self.designation.in_store()
    }

    pub fn online(&self) -> OnlineListing {
        self.designation.online()
    }

    pub(super) fn from_row(row: ItemRow) -> Result<Item> {
        let corrupt = |what: &str| InventoryError::Corrupt(format!("item {}: {what}", row.id));
        let online = OnlineListing::parse(&row.online).map_err(|e| corrupt(&e.message))?;
        let designation =
            Designation::new(row.in_store, online).map_err(|e| corrupt(&e.to_string()))?;
        let currency = Currency::parse(&row.currency).map_err(|e| corrupt(&e.message))?;
        let price =
            Money::from_minor(row.price_minor, currency).map_err(|e| corrupt(&e.message))?;
        Ok(Item {
            id: row.id,
            merchant_id: row.merchant_id,
            sku: row.sku,
            name: row.name,
            description: row.description,
            price,
            barcode: row.barcode,
            designation,
            version: row.version,
            changed_version: row.changed_version,
            archived: row.archived,
            created_at: row.created_at,
            updated_at: row.updated_at,
            online_buffer: row.online_buffer,
            allow_backorder: row.allow_backorder,
            auto_view_only: row.auto_view_only,
            auto_switched: row.auto_switched,
        })
    }

    /// Loads an item of this merchant; another merchant's item is NotFound.
    /// The row `from_row` reads, for a batch that writes whole rows.
    pub(super) fn to_row(&self) -> ItemRow {
        ItemRow {
            id: self.id,
            merchant_id: self.merchant_id,
            sku: self.sku.clone(),
            name: self.name.clone(),
            description: self.description.clone(),
            price_minor: self.price.amount_minor,
            currency: self.price.currency.as_str().to_owned(),
            barcode: self.barcode.clone(),
            in_store: self.in_store(),
            online: self.online().as_str().to_owned(),
            version: self.version,
            changed_version: self.changed_version,
            archived: self.archived,
            created_at: self.created_at,
            updated_at: self.updated_at,
            online_buffer: self.online_buffer,
            allow_backorder: self.allow_backorder,
            auto_view_only: self.auto_view_only,
            auto_switched: self.auto_switched,
        }
    }

    pub fn find(conn: &mut DbConnection, merchant_id: i64, item_id: i64) -> Result<Item> {
        let row = items::table
            .filter(items::id.eq(item_id))
            .filter(items::merchant_id.eq(merchant_id))
            .select(ItemRow::as_select())
            .get_result(conn)
            .optional()?
            .ok_or(InventoryError::NotFound("item"))?;
        Item::from_row(row)
    }

    /// Loads several items of this merchant, in id order; unknown ids are skipped.
    pub fn find_many(conn: &mut DbConnection, merchant_id: i64, ids: &[i64]) -> Result<Vec<Item>> {
        let mut found = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let rows = items::table
                .filter(items::merchant_id.eq(merchant_id))
                .filter(items::id.eq_any(chunk))
                .order(items::id)
                .select(ItemRow::as_select())
                .load(conn)?;
            for row in rows {
                found.push(Item::from_row(row)?);
            }
        }
        found.sort_by_key(|item| item.id);
        Ok(found)
    }
}

/// The editable fields of an item, parsed from what a person typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemFields {
    pub sku: Sku,
    pub name: ItemName,
    pub description: Description,
    pub price: Money,
    pub barcode: Option<Barcode>,
}

/// The raw text of an item form, before parsing.
#[derive(Debug, Clone, Default)]
pub struct ItemInput<'a> {
    pub sku: &'a str,
    pub name: &'a str,
    pub description: &'a str,
    /// A decimal price such as `12.50`.
    pub price: &'a str,
    /// Empty means the merchant's currency.
    pub currency: &'a str,
    pub barcode: &'a str,
}

impl ItemFields {
    /// Parses every field, returning all problems at once so a form can show
    /// each beside its field.
    pub fn parse(
        input: &ItemInput<'_>,
        default_currency: Currency,
    ) -> Result<ItemFields, Vec<FieldError>> {
        let mut errors = Vec::new();
        let sku = Sku::parse(input.sku).map_err(|e| errors.push(e)).ok();
        let name = ItemName::parse(input.name).map_err(|e| errors.push(e)).ok();
        let description = Description::parse(input.description)
            .map_err(|e| errors.push(e))
            .ok();
        let currency = if input.currency.trim().is_empty() {
            Some(default_currency)
        } else {
            Currency::parse(input.currency)
                .map_err(|e| errors.push(e))
                .ok()
        };
        let price = currency.and_then(|currency| {
            Money::parse_decimal(input.price, currency)
                .map_err(|e| errors.push(e))
                .ok()
        });
        let barcode = Barcode::parse_optional(input.barcode)
            .map_err(|e| errors.push(e))
            .ok();
        match (sku, name, description, price, barcode) {
            (Some(sku), Some(name), Some(description), Some(price), Some(barcode))
                if errors.is_empty() =>
            {
                Ok(ItemFields {
                    sku,
                    name,
                    description,
                    price,
                    barcode,
                })
            }
            _ => Err(errors),
        }
    }
}

impl ItemFields {
    /// Whether the item already has exactly these values.
    fn same_as(&self, item: &Item) -> bool {
        item.sku == self.sku.as_str()
            && item.name == self.name.as_str()
            && item.description == self.description.as_str()
            && item.price == self.price
            && item.barcode.as_deref() == self.barcode.as_ref().map(Barcode::as_str)
    }
}

/// Field edits of a partial update; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldEdits {
    pub sku: Option<Sku>,
    pub name: Option<ItemName>,
    pub description: Option<Description>,
    pub price: Option<Money>,
    /// `Some(None)` clears the barcode.
    pub barcode: Option<Option<Barcode>>,
}

impl FieldEdits {
    pub fn is_empty(&self) -> bool {
        self == &FieldEdits::default()
    }

    /// The item's fields with these edits applied.
    fn applied_to(&self, item: &Item) -> Result<ItemFields> {
        let stored =
            |e: FieldError| InventoryError::Corrupt(format!("item {}: stored {}", item.id, e));
        Ok(ItemFields {
            sku: match &self.sku {
                Some(sku) => sku.clone(),
                None => Sku::parse(&item.sku).map_err(stored)?,
            },
            name: match &self.name {
                Some(name) => name.clone(),
                None => ItemName::parse(&item.name).map_err(stored)?,
            },
            description: match &self.description {
                Some(description) => description.clone(),
                None => Description::parse(&item.description).map_err(stored)?,
            },
            price: self.price.unwrap_or(item.price),
            barcode: match &self.barcode {
                Some(barcode) => barcode.clone(),
                None => Barcode::parse_optional(item.barcode.as_deref().unwrap_or(""))
                    .map_err(stored)?,
            },
        })
    }
}

/// A partial update of an item: field edits and designation changes, applied together.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemUpdate {
    pub fields: FieldEdits,
    pub designation: DesignationChange,
}

/// How an item's stock shows online, as the merchant sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StockSettings {
    /// Units held back for walk-in customers; `None` uses the merchant's default.
    pub online_buffer: Option<i64>,
    pub allow_backorder: bool,
    pub auto_view_only: bool,
}

impl StockSettings {
    pub fn of(item: &Item) -> StockSettings {
        StockSettings {
            online_buffer: item.online_buffer,
            allow_backorder: item.allow_backorder,
            auto_view_only: item.auto_view_only,
        }
    }

    /// Refuses a buffer no count could be.
    pub fn check(self) -> Result<StockSettings, FieldError> {
        if let Some(buffer) = self.online_buffer {
            StockCount::new(buffer, "online_buffer")?;
        }
        Ok(self)
    }
}

/// Parses a buffer typed into a form: empty means "use the default".
pub fn parse_buffer(raw: &str, field: &'static str) -> Result<Option<i64>, FieldError> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    StockCount::parse(raw, field).map(|count| Some(count.get()))
}
