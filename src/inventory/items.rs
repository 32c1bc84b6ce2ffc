//! Items: create, edit (fields and designations together), archive, find.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{Actor, DesignationChange, InventoryError, Result, audit, catalog, now, outbox};
use crate::db::DbConnection;
use crate::db::models::{ItemFieldsChangeset, ItemRow, NewItemRow};
use crate::db::schema::items;
use crate::domain::{
    Barcode, Currency, Description, Designation, FieldError, ItemName, Money, OnlineListing, Sku,
};

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
    pub fn find(conn: &mut DbConnection, merchant_id: i64, item_id: i64) -> Result<Item> {
        let row = items::table
            .filter(items::id.eq(item_id))
            .filter(items::merchant_id.eq(merchant_id))
            .select(ItemRow::as_select())
            .first(conn)
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

/// The raw text of an item form or CSV row, before parsing.
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

fn sku_taken(
    conn: &mut DbConnection,
    merchant_id: i64,
    sku: &Sku,
    except_item: Option<i64>,
) -> Result<bool> {
    let mut query = items::table
        .filter(items::merchant_id.eq(merchant_id))
        .filter(items::sku.eq(sku.as_str()))
        .select(items::id)
        .into_boxed();
    if let Some(id) = except_item {
        query = query.filter(items::id.ne(id));
    }
    Ok(query.first::<i64>(conn).optional()?.is_some())
}

fn duplicate_sku(sku: &Sku) -> InventoryError {
    InventoryError::Invalid(FieldError::new(
        "sku",
        format!("SKU {} is already used by another item", sku.as_str()),
    ))
}

/// Creates an item with its initial designations, audited and announced.
pub fn create_item(
    conn: &mut DbConnection,
    actor: &Actor,
    merchant_id: i64,
    fields: &ItemFields,
    designation: Designation,
) -> Result<Item> {
    conn.write_transaction(|conn| {
        catalog::lock_merchant(conn, merchant_id)?;
        if sku_taken(conn, merchant_id, &fields.sku, None)? {
            return Err(duplicate_sku(&fields.sku));
        }
        let version = catalog::next_version(conn, merchant_id)?;
        let at = now();
        let row: ItemRow = diesel::insert_into(items::table)
            .values(NewItemRow {
                merchant_id,
                sku: fields.sku.as_str(),
                name: fields.name.as_str(),
                description: fields.description.as_str(),
                price_minor: fields.price.amount_minor,
                currency: fields.price.currency.as_str(),
                barcode: fields.barcode.as_ref().map(Barcode::as_str),
                in_store: designation.in_store(),
                online: designation.online().as_str(),
                changed_version: version,
                created_at: at,
                updated_at: at,
            })
            .returning(items::all_columns)
            .get_result(conn)?;
        let item = Item::from_row(row)?;
        audit::record(conn, actor, &item, "created", "", &item.name, version)?;
        outbox::item_changed(conn, &item, version)?;
        Ok(item)
    })
}

/// Changes an item's fields if it is still at `expected_version`.
pub fn edit_item(
    conn: &mut DbConnection,
    actor: &Actor,
    merchant_id: i64,
    item_id: i64,
    expected_version: i64,
    fields: &ItemFields,
) -> Result<Item> {
    conn.write_transaction(|conn| {
        catalog::lock_merchant(conn, merchant_id)?;
        let before = Item::find(conn, merchant_id, item_id)?;
        if before.version != expected_version {
            return Err(InventoryError::Conflict {
                current: Box::new(before),
            });
        }
        if sku_taken(conn, merchant_id, &fields.sku, Some(item_id))? {
            return Err(duplicate_sku(&fields.sku));
        }
        if field_changes(&before, fields).is_empty() {
            return Ok(before);
        }
        let version = catalog::next_version(conn, merchant_id)?;
        write_change(conn, actor, &before, Some(fields), None, version, false)
    })
}

/// Writes a checked change of an item — new fields, a new designation, or
/// both — as one row update at `catalog_version`, so the item's version goes up
/// by one however much changed; records an audit entry per changed value and
/// one outbox event carrying the item as it now is. The caller holds the
/// merchant lock, has checked the version and the rules, and has bumped the
/// catalog version. `automatic` marks a designation shelfsync chose itself
/// (the sold-out switch), so it may switch back; a person's designation
/// clears the mark.
pub(super) fn write_change(
    conn: &mut DbConnection,
    actor: &Actor,
    before: &Item,
    fields: Option<&ItemFields>,
    designation: Option<Designation>,
    catalog_version: i64,
    automatic: bool,
) -> Result<Item> {
    let row: ItemRow = diesel::update(
        items::table
            .filter(items::id.eq(before.id))
            .filter(items::version.eq(before.version)),
    )
    .set((
        fields.map(|fields| ItemFieldsChangeset {
            sku: fields.sku.as_str(),
            name: fields.name.as_str(),
            description: fields.description.as_str(),
            price_minor: fields.price.amount_minor,
            currency: fields.price.currency.as_str(),
            barcode: fields.barcode.as_ref().map(Barcode::as_str),
        }),
        designation.map(|next| {
            (
                items::in_store.eq(next.in_store()),
                items::online.eq(next.online().as_str()),
                items::auto_switched.eq(automatic && next.online() == OnlineListing::ViewOnly),
            )
        }),
        items::version.eq(items::version + 1),
        items::changed_version.eq(catalog_version),
        items::updated_at.eq(now()),
    ))
    .returning(items::all_columns)
    .get_result(conn)
    .optional()?
    // The merchant lock makes this unreachable in practice; never overwrite blindly.
    .ok_or_else(|| InventoryError::Conflict {
        current: Box::new(before.clone()),
    })?;
    let item = Item::from_row(row)?;
    if let Some(fields) = fields {
        for (field, old, new) in &field_changes(before, fields) {
            audit::record(conn, actor, &item, field, old, new, catalog_version)?;
        }
    }
    if before.in_store() != item.in_store() {
        audit::record(
            conn,
            actor,
            &item,
            audit::FIELD_IN_STORE,
            &before.in_store().to_string(),
            &item.in_store().to_string(),
            catalog_version,
        )?;
    }
    if before.online() != item.online() {
        audit::record(
            conn,
            actor,
            &item,
            audit::FIELD_ONLINE,
            before.online().as_str(),
            item.online().as_str(),
            catalog_version,
        )?;
    }
    outbox::item_changed(conn, &item, catalog_version)?;
    Ok(item)
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

/// The result of `update_item`.
#[derive(Debug, Clone)]
pub struct ItemUpdateOutcome {
    /// The item as it is now.
    pub item: Item,
    /// False when the item already had every asked-for value.
    pub changed: bool,
    /// The merchant's catalog version after the update.
    pub catalog_version: i64,
}

/// Changes an item's fields and designations together, if it is still at
/// `expected_version`: all of it or none of it, in one transaction, at one
/// catalog version, as one item version, with one outbox event.
///
/// The same checks as `edit_item` and `designate` apply, in this order: the
/// version (Conflict), an archived item's designations (they cannot change until
/// it is restored), the designation rule (Rule), a duplicate SKU (Invalid).
pub fn update_item(
    conn: &mut DbConnection,
    actor: &Actor,
    merchant_id: i64,
    item_id: i64,
    expected_version: i64,
    update: &ItemUpdate,
) -> Result<ItemUpdateOutcome> {
    conn.write_transaction(|conn| {
        catalog::lock_merchant(conn, merchant_id)?;
        let before = Item::find(conn, merchant_id, item_id)?;
        if before.version != expected_version {
            return Err(InventoryError::Conflict {
                current: Box::new(before),
            });
        }
        let asked = update.designation;
        if before.archived && asked != DesignationChange::default() {
            let field = if asked.online.is_some() {
                "online"
            } else {
                "in_store"
            };
            return Err(FieldError::new(
                field,
                "The item is archived; restore it before changing where it is sold",
            )
            .into());
        }
        let designation =
            asked
                .apply_to(before.designation)
                .map_err(|rule| InventoryError::Rule {
                    item: Box::new(before.clone()),
                    rule,
                })?;
        let fields = if update.fields.is_empty() {
            None
        } else {
            let fields = update.fields.applied_to(&before)?;
            if sku_taken(conn, merchant_id, &fields.sku, Some(item_id))? {
                return Err(duplicate_sku(&fields.sku));
            }
            Some(fields).filter(|fields| !field_changes(&before, fields).is_empty())
        };
        let designation = Some(designation).filter(|next| *next != before.designation);
        if fields.is_none() && designation.is_none() {
            let catalog_version = catalog::current_version(conn, merchant_id)?;
            return Ok(ItemUpdateOutcome {
                item: before,
                changed: false,
                catalog_version,
            });
        }
        let catalog_version = catalog::next_version(conn, merchant_id)?;
        let item = write_change(
            conn,
            actor,
            &before,
            fields.as_ref(),
            designation,
            catalog_version,
            false,
        )?;
        Ok(ItemUpdateOutcome {
            item,
            changed: true,
            catalog_version,
        })
    })
}

/// The (field, old, new) triples an edit would change, as the audit log shows them.
fn field_changes(before: &Item, fields: &ItemFields) -> Vec<(&'static str, String, String)> {
    let mut changes = Vec::new();
    let mut compare = |field: &'static str, old: String, new: String| {
        if old != new {
            changes.push((field, old, new));
        }
    };
    compare("sku", before.sku.clone(), fields.sku.as_str().to_owned());
    compare("name", before.name.clone(), fields.name.as_str().to_owned());
    compare(
        "description",
        before.description.clone(),
        fields.description.as_str().to_owned(),
    );
    compare("price", before.price.to_string(), fields.price.to_string());
    compare(
        "barcode",
        before.barcode.clone().unwrap_or_default(),
        fields
            .barcode
            .as_ref()
            .map(|b| b.as_str().to_owned())
            .unwrap_or_default(),
    );
    changes
}

/// Archives or restores an item. An archived item leaves both channel lists.
pub fn set_archived(
    conn: &mut DbConnection,
    actor: &Actor,
    merchant_id: i64,
    item_id: i64,
    expected_version: i64,
    archived: bool,
) -> Result<Item> {
    conn.write_transaction(|conn| {
        catalog::lock_merchant(conn, merchant_id)?;
        let before = Item::find(conn, merchant_id, item_id)?;
        if before.version != expected_version {
            return Err(InventoryError::Conflict {
                current: Box::new(before),
            });
        }
        if before.archived == archived {
            return Ok(before);
        }
        let version = catalog::next_version(conn, merchant_id)?;
        let row: ItemRow = diesel::update(
            items::table
                .filter(items::id.eq(item_id))
                .filter(items::version.eq(expected_version)),
        )
        .set((
            items::archived.eq(archived),
            items::version.eq(items::version + 1),
            items::changed_version.eq(version),
            items::updated_at.eq(now()),
        ))
        .returning(items::all_columns)
        .get_result(conn)?;
        let item = Item::from_row(row)?;
        let (old, new) = if archived {
            ("active", "archived")
        } else {
            ("archived", "active")
        };
        audit::record(conn, actor, &item, "status", old, new, version)?;
        outbox::item_changed(conn, &item, version)?;
        Ok(item)
    })
}
