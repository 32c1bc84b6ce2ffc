//! The two channel lists, as pure functions of the database: the online list
//! the storefront shows, here, and the store list a location's device sells
//! from (`store_list`, re-exported here).

use std::collections::HashMap;

use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::{Item, Result, catalog};
use crate::db::DbConnection;
use crate::db::models::{ItemRow, LocationRow};
use crate::db::schema::{items, locations, stock_levels};
use crate::domain::{Money, OnlineListing, available_at_store, available_online, online_buffer};

/// The most records one page of a list may hold.
pub const MAX_PAGE: i64 = 1000;

/// A price as the JSON lists show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Price {
    /// Minor units (cents).
    pub amount: i64,
    /// ISO 4217 code.
    pub currency: String,
}

impl From<Money> for Price {
    fn from(money: Money) -> Price {
        Price {
            amount: money.amount_minor,
            currency: money.currency.as_str().to_owned(),
        }
    }
}

/// A store carrying an item, and whether it has the item in stock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct StoreAvailability {
    pub location_id: i64,
    pub name: String,
    pub in_stock: bool,
}

/// One item of the online list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct OnlineListEntry {
    pub id: i64,
    pub sku: String,
    pub name: String,
    pub description: String,
    pub price: Price,
    /// `for_sale`, `view_only`, or `hidden` for an unlisted in-store item.
    pub online: OnlineListingJson,
    /// False only in the `include_unlisted` form, for store-only items.
    pub listed_online: bool,
    /// Whether a shopper can buy it online now.
    pub purchasable_online: bool,
    /// Units that can be sold online now (on hand at the stores that fulfil
    /// online orders, less the units held back for walk-in customers).
    pub available_online: i64,
    /// Orders are taken beyond `available_online`; the rest is backordered.
    pub backorder: bool,
    /// The stores selling it in person, with their stock state.
    pub stores: Vec<StoreAvailability>,
    /// The catalog version at which the item last changed.
    pub changed_version: i64,
}

/// An item that left the online list (in a `since_version` delta and in
/// events). Only the id: an item that is not listed online may never have
/// been, and its SKU is none of the storefront's business.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Tombstone {
    pub id: i64,
    /// Always true: the storefront should remove the item.
    pub removed: bool,
    pub changed_version: i64,
}

/// A record of the online list or of its delta feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(untagged)]
pub enum OnlineRecord {
    Listed(Box<OnlineListEntry>),
    Removed(Tombstone),
}

impl OnlineRecord {
    pub fn id(&self) -> i64 {
        match self {
            OnlineRecord::Listed(entry) => entry.id,
            OnlineRecord::Removed(tombstone) => tombstone.id,
        }
    }
}

/// The online listing as a JSON string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OnlineListingJson(pub OnlineListing);

/// In the contract: one of the listing's spellings.
impl utoipa::PartialSchema for OnlineListingJson {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(OnlineListing::ALL.map(OnlineListing::as_str)))
            .description(Some(
                "`for_sale` (buy it online), `view_only` (see it online, buy it in store) or `hidden`.",
            ))
            .into()
    }
}

impl ToSchema for OnlineListingJson {
    fn name() -> std::borrow::Cow<'static, str> {
        "OnlineListing".into()
    }
}

impl Serialize for OnlineListingJson {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0.as_str())
    }
}

/// What part of the online list to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OnlineListQuery {
    /// Also return in-store items that are not listed, as `listed_online: false`.
    pub include_unlisted: bool,
    /// Only items changed after this catalog version, with tombstones.
    pub since_version: Option<i64>,
    /// Keyset cursor: only items with a greater id.
    pub after_id: Option<i64>,
    /// At most this many records, 1..=1000.
    pub limit: i64,
}

impl Default for OnlineListQuery {
    fn default() -> Self {
        Self {
            include_unlisted: false,
            since_version: None,
            after_id: None,
            limit: 100,
        }
    }
}

/// One page of the online list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnlineListPage {
    /// The catalog version the page was read at.
    pub catalog_version: i64,
    /// The page's own version: the latest change of any item (listed or not)
    /// from the page's start up to the first item of the next page, or to the
    /// end of the list on the last page. The page reads the same at every
    /// catalog version from this one to `catalog_version`, so a full read
    /// reports it and a change elsewhere in the list leaves the page alone.
    pub page_version: i64,
    pub records: Vec<OnlineRecord>,
    /// Pass as `after_id` for the next page; `None` on the last page.
    pub next_after_id: Option<i64>,
}

/// Stock of the merchant's stores for a set of items.
#[derive(Default)]
pub(super) struct StockIndex {
    locations: Vec<LocationRow>,
    units: HashMap<(i64, i64), Units>,
    /// The merchant's default online buffer.
    merchant_buffer: i64,
}

/// One store's stock of an item: on hand, and how much of it open
/// reservations hold. What anyone else may have is `available`.
#[derive(Debug, Clone)]
pub(super) struct StoreLevel {
    pub store: LocationRow,
    pub on_hand: i64,
    pub held: i64,
}

impl StoreLevel {
    /// Units free for a sale, an order or another hold.
    pub fn available(&self) -> i64 {
        available_at_store(self.on_hand, self.held)
    }
}

/// A store level's two counts: units on hand, and units open reservations
/// hold there (`stock_levels.held`, kept by the hold's write path). Every
/// figure of availability — the lists, online orders, counter sales, new
/// holds — subtracts the second from the first, through `available_at_store`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Units {
    pub on_hand: i64,
    pub held: i64,
}

/// The levels of these items, by (item, store); a store where an item was
/// never stocked has none.
pub(super) fn item_units(
    conn: &mut DbConnection,
    item_ids: &[i64],
) -> Result<HashMap<(i64, i64), Units>> {
    let mut units = HashMap::with_capacity(item_ids.len());
    for chunk in item_ids.chunks(500) {
        let levels: Vec<(i64, i64, i64, i64)> = stock_levels::table
            .filter(stock_levels::item_id.eq_any(chunk))
            .select((
                stock_levels::item_id,
                stock_levels::location_id,
                stock_levels::on_hand,
                stock_levels::held,
            ))
            .load(conn)?;
        for (item_id, location_id, on_hand, held) in levels {
            units.insert((item_id, location_id), Units { on_hand, held });
        }
    }
    Ok(units)
}

/// Every level of the merchant's items, by (item, store).
pub(super) fn merchant_units(
    conn: &mut DbConnection,
    merchant_id: i64,
) -> Result<HashMap<(i64, i64), Units>> {
    Ok(stock_levels::table
        .inner_join(items::table)
        .filter(items::merchant_id.eq(merchant_id))
        .select((
            stock_levels::item_id,
            stock_levels::location_id,
            stock_levels::on_hand,
            stock_levels::held,
        ))
        .load::<(i64, i64, i64, i64)>(conn)?
        .into_iter()
        .map(|(item_id, location_id, on_hand, held)| {
            ((item_id, location_id), Units { on_hand, held })
        })
        .collect())
}

impl StockIndex {
    pub(super) fn load(
        conn: &mut DbConnection,
        merchant_id: i64,
        item_ids: &[i64],
    ) -> Result<StockIndex> {
        let merchant_buffer = catalog::merchant_buffer(conn, merchant_id)?;
        let locations = locations::table
            .filter(locations::merchant_id.eq(merchant_id))
            .filter(locations::archived_at.is_null())
            .order(locations::id)
            .select(LocationRow::as_select())
            .load(conn)?;
        let units = item_units(conn, item_ids)?;
        Ok(StockIndex {
            locations,
            units,
            merchant_buffer,
        })
    }

    /// Every stock level of the merchant's items, for a write that touches
    /// many of them (an import): read once, then kept current with `set`.
    pub(super) fn load_merchant(conn: &mut DbConnection, merchant_id: i64) -> Result<StockIndex> {
        let mut index = StockIndex::load(conn, merchant_id, &[])?;
        index.units = merchant_units(conn, merchant_id)?;
        Ok(index)
    }

    /// The open holds of `item_ids` as they stand now, after some were let
    /// go in this transaction.
    pub(super) fn reread_holds(&mut self, conn: &mut DbConnection, item_ids: &[i64]) -> Result<()> {
        if item_ids.is_empty() {
            return Ok(());
        }
        for (level, units) in item_units(conn, item_ids)? {
            self.units.entry(level).or_default().held = units.held;
        }
        Ok(())
    }

    /// Whether the item has a level row at the store (never stocked: none).
    pub(super) fn has_level(&self, item_id: i64, location_id: i64) -> bool {
        self.units.contains_key(&(item_id, location_id))
    }

    /// A level as a write in this transaction left it.
    pub(super) fn set(&mut self, item_id: i64, location_id: i64, on_hand: i64) {
        self.units
            .entry((item_id, location_id))
            .or_default()
            .on_hand = on_hand;
    }

    pub(super) fn merchant_buffer(&self) -> i64 {
        self.merchant_buffer
    }

    /// What `item_levels` reads, from the index.
    pub(super) fn levels_of(&self, item_id: i64) -> Vec<StoreLevel> {
        self.locations
            .iter()
            .map(|store| StoreLevel {
                store: store.clone(),
                on_hand: self.on_hand(item_id, store.id),
                held: self.held(item_id, store.id),
            })
            .collect()
    }

    /// The item's online-list record (entry or tombstone), from the index.
    pub(super) fn record_of(&self, item: &Item) -> OnlineRecord {
        online_record(item, self, false)
    }

    /// The merchant's open stores, in store order.
    pub(super) fn stores(&self) -> &[LocationRow] {
        &self.locations
    }

    pub(super) fn on_hand(&self, item_id: i64, location_id: i64) -> i64 {
        self.units_at(item_id, location_id).on_hand
    }

    fn held(&self, item_id: i64, location_id: i64) -> i64 {
        self.units_at(item_id, location_id).held
    }

    fn units_at(&self, item_id: i64, location_id: i64) -> Units {
        self.units
            .get(&(item_id, location_id))
            .copied()
            .unwrap_or_default()
    }

    /// Units of the item free at the store: on hand less open holds.
    fn available_at(&self, item_id: i64, location_id: i64) -> i64 {
        available_at_store(
            self.on_hand(item_id, location_id),
            self.held(item_id, location_id),
        )
    }

    /// Units that may be sold online: what is free at the stores that fulfil
    /// online orders, less the item's online buffer.
    fn available_online(&self, item: &Item) -> i64 {
        available_online(
            self.locations
                .iter()
                .filter(|location| location.fulfils_online)
                .map(|location| self.available_at(item.id, location.id)),
            online_buffer(item.online_buffer, self.merchant_buffer),
        )
    }
}

/// Every stock level of the merchant's items (units on hand), by (item, store).
pub(super) fn merchant_levels(
    conn: &mut DbConnection,
    merchant_id: i64,
) -> Result<HashMap<(i64, i64), i64>> {
    Ok(merchant_units(conn, merchant_id)?
        .into_iter()
        .map(|(level, units)| (level, units.on_hand))
        .collect())
}

/// Levels of one item at every store of the merchant, in store order, with
/// each store's `fulfils_online` (zero where never stocked) and its holds.
pub(super) fn item_levels(
    conn: &mut DbConnection,
    merchant_id: i64,
    item_id: i64,
) -> Result<Vec<StoreLevel>> {
    let rows: Vec<(LocationRow, Option<(i64, i64)>)> = locations::table
        .left_join(
            stock_levels::table.on(stock_levels::location_id
                .eq(locations::id)
                .and(stock_levels::item_id.eq(item_id))),
        )
        .filter(locations::merchant_id.eq(merchant_id))
        .filter(locations::archived_at.is_null())
        .order(locations::id)
        .select((
            LocationRow::as_select(),
            (stock_levels::on_hand, stock_levels::held).nullable(),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(store, level)| {
            let (on_hand, held) = level.unwrap_or((0, 0));
            StoreLevel {
                store,
                on_hand,
                held,
            }
        })
        .collect())
}

/// What the shop shows of an item's stock online.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OnlineStock {
    /// Units a shopper can buy online now; zero unless the item is for sale online.
    pub available_online: i64,
    /// Whether a shopper can buy it online now: for sale, with units
    /// available or backorder allowed.
    pub purchasable_online: bool,
}

impl OnlineStock {
    pub(super) fn of(item: &Item, stock: &StockIndex) -> OnlineStock {
        let for_sale = item.online() == OnlineListing::ForSale;
        let available_online = if for_sale {
            stock.available_online(item)
        } else {
            0
        };
        OnlineStock {
            available_online,
            purchasable_online: for_sale && (available_online > 0 || item.allow_backorder),
        }
    }
}

/// Whether an item belongs in the online list (or, with `include_unlisted`, in its other form).
fn in_online_list(item: &Item, include_unlisted: bool) -> bool {
    belongs_online(
        item.archived,
        item.online(),
        item.in_store(),
        include_unlisted,
    )
}

/// The online list's membership rule, on an item's flags.
pub(super) fn belongs_online(
    archived: bool,
    online: OnlineListing,
    in_store: bool,
    include_unlisted: bool,
) -> bool {
    !archived && (online.is_listed() || (include_unlisted && in_store))
}

pub(super) fn online_entry(item: &Item, stock: &StockIndex) -> OnlineListEntry {
    let online_stock = OnlineStock::of(item, stock);
    let stores = if item.in_store() {
        stock
            .locations
            .iter()
            .map(|location| StoreAvailability {
                location_id: location.id,
                name: location.name.clone(),
                in_stock: stock.available_at(item.id, location.id) > 0,
            })
            .collect()
    } else {
        Vec::new()
    };
    OnlineListEntry {
        id: item.id,
        sku: item.sku.clone(),
        name: item.name.clone(),
        description: item.description.clone(),
        price: item.price.into(),
        online: OnlineListingJson(item.online()),
        listed_online: item.online().is_listed(),
        purchasable_online: online_stock.purchasable_online,
        backorder: item.allow_backorder,
        available_online: online_stock.available_online,
        stores,
        changed_version: item.changed_version,
    }
}

fn online_record(item: &Item, stock: &StockIndex, include_unlisted: bool) -> OnlineRecord {
    if in_online_list(item, include_unlisted) {
        OnlineRecord::Listed(Box::new(online_entry(item, stock)))
    } else {
        OnlineRecord::Removed(Tombstone {
            id: item.id,
            removed: true,
            changed_version: item.changed_version,
        })
    }
}

/// The online-list record of one item as it is now: its entry, or a tombstone.
pub fn online_record_of(conn: &mut DbConnection, item: &Item) -> Result<OnlineRecord> {
    let stock = StockIndex::load(conn, item.merchant_id, &[item.id])?;
    Ok(online_record(item, &stock, false))
}

/// The online-list record of one item from stock its caller has read already
/// (`item_levels`).
pub(super) fn online_record_from(
    item: &Item,
    levels: &[StoreLevel],
    merchant_buffer: i64,
) -> OnlineRecord {
    let stock = StockIndex {
        locations: levels.iter().map(|level| level.store.clone()).collect(),
        units: levels
            .iter()
            .map(|level| {
                let units = Units {
                    on_hand: level.on_hand,
                    held: level.held,
                };
                ((item.id, level.store.id), units)
            })
            .collect(),
        merchant_buffer,
    };
    online_record(item, &stock, false)
}

/// Reads one page of the merchant's online list in one snapshot.
pub fn online_list(
    conn: &mut DbConnection,
    merchant_id: i64,
    query: OnlineListQuery,
) -> Result<OnlineListPage> {
    let limit = query.limit.clamp(1, MAX_PAGE);
    conn.read_transaction(|conn| {
        let catalog_version = catalog::current_version(conn, merchant_id)?;
        let mut rows = items::table
            .filter(items::merchant_id.eq(merchant_id))
            .into_boxed();
        if let Some(after_id) = query.after_id {
            rows = rows.filter(items::id.gt(after_id));
        }
        match query.since_version {
            // A delta carries every changed item: listed ones, and tombstones for the rest.
            Some(since) => rows = rows.filter(items::changed_version.gt(since)),
            None => {
                rows = rows.filter(items::archived.eq(false));
                rows = if query.include_unlisted {
                    rows.filter(
                        items::online
                            .ne(OnlineListing::Hidden.as_str())
                            .or(items::in_store.eq(true)),
                    )
                } else {
                    rows.filter(items::online.ne(OnlineListing::Hidden.as_str()))
                };
            }
        }
        let rows: Vec<ItemRow> = rows
            .order(items::id)
            .limit(limit + 1)
            .select(ItemRow::as_select())
            .load(conn)?;
        let has_more = rows.len() as i64 > limit;
        let next_first = rows.get(limit as usize).map(|row| row.id);
        let page: Vec<Item> = rows
            .into_iter()
            .take(limit as usize)
            .map(Item::from_row)
            .collect::<Result<_>>()?;
        // A delta changes with every change after its since_version anyway.
        let page_version = match query.since_version {
            Some(_) => catalog_version,
            None => page_version(conn, merchant_id, query.after_id, next_first)?,
        };
        let ids: Vec<i64> = page.iter().map(|item| item.id).collect();
        let stock = StockIndex::load(conn, merchant_id, &ids)?;
        let records = page
            .iter()
            .map(|item| online_record(item, &stock, query.include_unlisted))
            .collect();
        Ok(OnlineListPage {
            catalog_version,
            page_version,
            records,
            next_after_id: if has_more { ids.last().copied() } else { None },
        })
    })
}

/// The latest `changed_version` of the merchant's items with an id after
/// `after_id` and up to `through_id` (to the end without one): what a page
/// covering that stretch of the list depends on.
fn page_version(
    conn: &mut DbConnection,
    merchant_id: i64,
    after_id: Option<i64>,
    through_id: Option<i64>,
) -> Result<i64> {
    let mut rows = items::table
        .filter(items::merchant_id.eq(merchant_id))
        .filter(items::id.gt(after_id.unwrap_or(i64::MIN)))
        .into_boxed();
    if let Some(through) = through_id {
        rows = rows.filter(items::id.le(through));
    }
    let latest: Option<i64> = rows
        .select(diesel::dsl::max(items::changed_version))
        .first(conn)?;
    Ok(latest.unwrap_or(0))
}
