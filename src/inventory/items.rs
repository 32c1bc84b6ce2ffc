//! Items: create, edit, archive, find, and the merchant's searchable list.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{Actor, DesignationChange, InventoryError, Result, audit, catalog, now, outbox};
use crate::db::models::{ItemFieldsChangeset, ItemRow, NewItemRow};
use crate::db::schema::{items, stock_levels};
use crate::db::{Backend, DbConnection};
use crate::domain::{
    Barcode, Currency, Description, Designation, FieldError, ItemName, Money, OnlineListing, Sku,
};
use diesel::dsl::sql;
use diesel::sql_types::{Bool, Text};

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

/// Which items the dashboard list shows, by designation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ItemFilter {
    /// Every active item.
    #[default]
    All,
    /// Sold in store and not online.
    InStoreOnly,
    /// For sale online.
    ForSale,
    /// View online, buy in store.
    ViewOnly,
    /// Neither in store nor online.
    Nowhere,
    /// Archived items.
    Archived,
    /// Sold somewhere, with `LOW_STOCK_AT` units or fewer over all stores.
    LowStock,
    /// A level below zero somewhere (a sale recorded while short): count it.
    Discrepancy,
}

/// At or below this many units over all stores, an item is low on stock.
pub const LOW_STOCK_AT: i64 = 3;

impl ItemFilter {
    pub const ALL: [ItemFilter; 8] = [
        ItemFilter::All,
        ItemFilter::InStoreOnly,
        ItemFilter::ForSale,
        ItemFilter::ViewOnly,
        ItemFilter::Nowhere,
        ItemFilter::LowStock,
        ItemFilter::Discrepancy,
        ItemFilter::Archived,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ItemFilter::All => "all",
            ItemFilter::InStoreOnly => "in_store_only",
            ItemFilter::ForSale => "for_sale",
            ItemFilter::ViewOnly => "view_only",
            ItemFilter::Nowhere => "nowhere",
            ItemFilter::Archived => "archived",
            ItemFilter::LowStock => "low_stock",
            ItemFilter::Discrepancy => "discrepancy",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ItemFilter::All => "All items",
            ItemFilter::InStoreOnly => "In store only",
            ItemFilter::ForSale => "For sale online",
            ItemFilter::ViewOnly => "View online, buy in store",
            ItemFilter::Nowhere => "Not sold anywhere",
            ItemFilter::Archived => "Archived",
            ItemFilter::LowStock => "Low stock (3 or fewer)",
            ItemFilter::Discrepancy => "Stock below zero: count it",
        }
    }

    /// The filter as an SQL condition on `items`, valid on both backends.
    /// Written once as SQL so the indexed search can use it too.
    fn condition(self) -> String {
        match self {
            ItemFilter::All => "NOT items.archived".into(),
            ItemFilter::InStoreOnly => {
                "NOT items.archived AND items.in_store AND items.online = 'hidden'".into()
            }
            ItemFilter::ForSale => "NOT items.archived AND items.online = 'for_sale'".into(),
            ItemFilter::ViewOnly => "NOT items.archived AND items.online = 'view_only'".into(),
            ItemFilter::Nowhere => {
                "NOT items.archived AND NOT items.in_store AND items.online = 'hidden'".into()
            }
            ItemFilter::Archived => "items.archived".into(),
            ItemFilter::LowStock => format!(
                "NOT items.archived AND (items.in_store OR items.online <> 'hidden') \
                 AND (SELECT COALESCE(SUM(stock_levels.on_hand), 0) FROM stock_levels \
                 WHERE stock_levels.item_id = items.id) <= {LOW_STOCK_AT}"
            ),
            ItemFilter::Discrepancy => "NOT items.archived AND items.id IN \
                 (SELECT stock_levels.item_id FROM stock_levels WHERE stock_levels.on_hand < 0)"
                .into(),
        }
    }

    pub fn parse(raw: &str) -> Result<ItemFilter, FieldError> {
        ItemFilter::ALL
            .into_iter()
            .find(|f| f.as_str() == raw)
            .ok_or_else(|| FieldError::new("filter", format!("Unknown filter {raw:?}")))
    }
}

/// How the dashboard list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ItemSort {
    #[default]
    Name,
    Sku,
    PriceLowHigh,
    PriceHighLow,
    RecentlyChanged,
}

impl ItemSort {
    pub const ALL: [ItemSort; 5] = [
        ItemSort::Name,
        ItemSort::Sku,
        ItemSort::PriceLowHigh,
        ItemSort::PriceHighLow,
        ItemSort::RecentlyChanged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ItemSort::Name => "name",
            ItemSort::Sku => "sku",
            ItemSort::PriceLowHigh => "price",
            ItemSort::PriceHighLow => "-price",
            ItemSort::RecentlyChanged => "-changed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ItemSort::Name => "Name",
            ItemSort::Sku => "SKU",
            ItemSort::PriceLowHigh => "Price, low to high",
            ItemSort::PriceHighLow => "Price, high to low",
            ItemSort::RecentlyChanged => "Recently changed",
        }
    }

    pub fn parse(raw: &str) -> Result<ItemSort, FieldError> {
        ItemSort::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or_else(|| FieldError::new("sort", format!("Unknown sort {raw:?}")))
    }
}

/// A page request for the dashboard list.
#[derive(Debug, Clone, Default)]
pub struct ItemQuery {
    /// Matches name, sku or barcode, case-insensitively; empty matches all.
    pub search: String,
    pub filter: ItemFilter,
    pub sort: ItemSort,
    /// 1-based.
    pub page: i64,
    pub per_page: i64,
}

/// An item with its stock summed over the merchant's stores.
#[derive(Debug, Clone)]
pub struct ListedItem {
    pub item: Item,
    pub stock_total: i64,
}

/// One page of the dashboard list.
#[derive(Debug, Clone)]
pub struct ItemPage {
    pub items: Vec<ListedItem>,
    /// How many items match the search and filter in all (at most
    /// `SEARCH_CAP` when `capped`).
    pub total: i64,
    /// More items match than the search shows; narrow it to see them.
    pub capped: bool,
    pub page: i64,
    pub per_page: i64,
}

impl ItemPage {
    pub fn page_count(&self) -> i64 {
        ((self.total + self.per_page - 1) / self.per_page).max(1)
    }
}

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

type ItemsBoxed<'a> = items::BoxedQuery<'a, crate::db::DbBackend>;

fn matching(
    backend: Backend,
    merchant_id: i64,
    search: &str,
    filter: ItemFilter,
) -> ItemsBoxed<'static> {
    let mut query = items::table
        .filter(items::merchant_id.eq(merchant_id))
        .filter(sql::<Bool>(&filter.condition()))
        .into_boxed();
    let terms = SearchTerms::parse(search);
    if let Some(index_query) = terms.index_query(backend) {
        query = query.filter(
            sql::<Bool>("items.id IN (SELECT rowid FROM items_search WHERE items_search MATCH ")
                .bind::<Text, _>(index_query)
                .sql(")"),
        );
    }
    for word in terms.like_words(backend) {
        let pattern = like_pattern(word);
        query = query.filter(
            lower(items::name)
                .like(pattern.clone())
                .escape('\\')
                .or(lower(items::sku).like(pattern.clone()).escape('\\'))
                .or(items::barcode.like(pattern).escape('\\')),
        );
    }
    query
}

/// What a merchant typed in the search box: words, each of which must appear
/// in the item's name, SKU or barcode, in any order and any case.
struct SearchTerms {
    words: Vec<String>,
}

impl SearchTerms {
    /// More words than this are ignored; they would only narrow further.
    const MAX_WORDS: usize = 8;
    /// The trigram index answers substrings of at least this many characters.
    const INDEXED_MIN_CHARS: usize = 3;

    fn parse(raw: &str) -> SearchTerms {
        SearchTerms {
            words: raw
                .split_whitespace()
                .map(str::to_lowercase)
                .take(Self::MAX_WORDS)
                .collect(),
        }
    }

    fn is_indexed(word: &str) -> bool {
        word.chars().count() >= Self::INDEXED_MIN_CHARS
    }

    /// On SQLite, an FTS5 query requiring every word the trigram index can
    /// answer, each as a quoted phrase (matched as text, never as syntax).
    fn index_query(&self, backend: Backend) -> Option<String> {
        if backend != Backend::Sqlite {
            return None;
        }
        let phrases: Vec<String> = self
            .words
            .iter()
            .filter(|word| Self::is_indexed(word))
            .map(|word| format!("\"{}\"", word.replace('"', "\"\"")))
            .collect();
        (!phrases.is_empty()).then(|| phrases.join(" "))
    }

    /// The words to match with `LIKE`: on SQLite the ones too short for the
    /// index; on PostgreSQL all of them (its trigram indexes serve `LIKE`).
    fn like_words(&self, backend: Backend) -> Vec<&str> {
        self.words
            .iter()
            .filter(|word| backend != Backend::Sqlite || !Self::is_indexed(word))
            .map(String::as_str)
            .collect()
    }
}

/// `%word%` with LIKE's wildcards in the word escaped by `\`.
fn like_pattern(word: &str) -> String {
    let escaped: String = word
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    format!("%{escaped}%")
}

#[derive(QueryableByName)]
struct MatchedId {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}

/// Up to `SEARCH_CAP + 1` ids of the merchant's items matching a search on
/// SQLite's trigram index and a filter. The index drives the query (`CROSS
/// JOIN` keeps SQLite from starting at the merchant's index instead), so it
/// stops as soon as enough matches are found, however many there are.
fn indexed_matches(
    conn: &mut DbConnection,
    merchant_id: i64,
    terms: &SearchTerms,
    index_query: String,
    filter: ItemFilter,
) -> Result<Vec<i64>> {
    let like_words = terms.like_words(Backend::Sqlite);
    let mut sql = format!(
        "SELECT items.id AS id FROM items_search CROSS JOIN items ON items.id = items_search.rowid \
         WHERE items_search MATCH ? AND items.merchant_id = ? AND {}",
        filter.condition()
    );
    for _ in &like_words {
        sql.push_str(
            " AND (lower(items.name) LIKE ? ESCAPE '\\' OR lower(items.sku) LIKE ? ESCAPE '\\' \
             OR items.barcode LIKE ? ESCAPE '\\')",
        );
    }
    sql.push_str(" LIMIT ?");
    let mut query = diesel::sql_query(sql)
        .into_boxed::<crate::db::DbBackend>()
        .bind::<Text, _>(index_query)
        .bind::<diesel::sql_types::BigInt, _>(merchant_id);
    for word in like_words {
        let pattern = like_pattern(word);
        query = query
            .bind::<Text, _>(pattern.clone())
            .bind::<Text, _>(pattern.clone())
            .bind::<Text, _>(pattern);
    }
    Ok(query
        .bind::<diesel::sql_types::BigInt, _>(SEARCH_CAP + 1)
        .load::<MatchedId>(conn)?
        .into_iter()
        .map(|m| m.id)
        .collect())
}

/// A search on SQLite shows at most this many matches (sorted and paged);
/// the list says when there are more, so the merchant can narrow the search.
pub const SEARCH_CAP: i64 = 1000;

fn sorted(query: ItemsBoxed<'static>, sort: ItemSort) -> ItemsBoxed<'static> {
    match sort {
        ItemSort::Name => query.order((items::name.asc(), items::id.asc())),
        ItemSort::Sku => query.order((items::sku.asc(), items::id.asc())),
        ItemSort::PriceLowHigh => query.order((items::price_minor.asc(), items::id.asc())),
        ItemSort::PriceHighLow => query.order((items::price_minor.desc(), items::id.asc())),
        ItemSort::RecentlyChanged => query.order((items::changed_version.desc(), items::id.asc())),
    }
}

/// The merchant's items matching a search and filter, one page of them.
pub fn list_items(
    conn: &mut DbConnection,
    merchant_id: i64,
    query: &ItemQuery,
) -> Result<ItemPage> {
    let per_page = query.per_page.clamp(1, 500);
    let page = query.page.max(1);
    let backend = conn.backend();
    conn.read_transaction(|conn| {
        let terms = SearchTerms::parse(&query.search);
        let (candidates, total, capped) = if let Some(index_query) = terms.index_query(backend) {
            let mut ids = indexed_matches(conn, merchant_id, &terms, index_query, query.filter)?;
            let capped = ids.len() as i64 > SEARCH_CAP;
            ids.truncate(SEARCH_CAP as usize);
            let total = ids.len() as i64;
            // The ids are already this merchant's. Filtering by id alone keeps
            // SQLite on rowid look-ups; adding the merchant would let it walk
            // the merchant's name index looking for them instead.
            let candidates = items::table.filter(items::id.eq_any(ids)).into_boxed();
            (candidates, total, capped)
        } else {
            let total: i64 = matching(backend, merchant_id, &query.search, query.filter)
                .count()
                .get_result(conn)?;
            (
                matching(backend, merchant_id, &query.search, query.filter),
                total,
                false,
            )
        };
        let rows = sorted(candidates, query.sort)
            .limit(per_page)
            .offset((page - 1).saturating_mul(per_page))
            .select(ItemRow::as_select())
            .load(conn)?;
        let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
        let totals = stock_totals(conn, &ids)?;
        let items = rows
            .into_iter()
            .map(|row| {
                let stock_total = totals.get(&row.id).copied().unwrap_or(0);
                Item::from_row(row).map(|item| ListedItem { item, stock_total })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(ItemPage {
            items,
            total,
            capped,
            page,
            per_page,
        })
    })
}

/// All ids matching a search and filter (for "select all matching").
pub fn matching_ids(
    conn: &mut DbConnection,
    merchant_id: i64,
    search: &str,
    filter: ItemFilter,
) -> Result<Vec<i64>> {
    Ok(matching(conn.backend(), merchant_id, search, filter)
        .order(items::id)
        .select(items::id)
        .load(conn)?)
}

/// On-hand stock of each item summed over all stores.
pub fn stock_totals(
    conn: &mut DbConnection,
    item_ids: &[i64],
) -> Result<std::collections::HashMap<i64, i64>> {
    let mut totals = std::collections::HashMap::new();
    for chunk in item_ids.chunks(500) {
        let levels: Vec<(i64, i64)> = stock_levels::table
            .filter(stock_levels::item_id.eq_any(chunk))
            .select((stock_levels::item_id, stock_levels::on_hand))
            .load(conn)?;
        for (item_id, on_hand) in levels {
            *totals.entry(item_id).or_insert(0) += on_hand;
        }
    }
    Ok(totals)
}
