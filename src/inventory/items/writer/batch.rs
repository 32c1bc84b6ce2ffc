//! The item writer's batch mode (`ItemWriter::begin_batch`), for a write of
//! many items at once (an import): the same rules and the same rows as one
//! item at a time, but the merchant's stock is read once, item rows are
//! inserted and updated a few hundred per statement, and audit entries and
//! outbox events are held and written together, in the order they were made.

use std::collections::HashMap;

use diesel::prelude::*;

use super::ItemWriter;
use crate::db::models::{ItemRow, NewItemRow};
use crate::db::schema::items;
use crate::db::sqlite_rows::{BindValues, SqliteRows, Values};
use crate::db::{DbConnection, ROWS_PER_INSERT};
use crate::inventory::lists::StockIndex;
use crate::inventory::{Actor, Item, Result, audit, outbox};

/// What a batch write holds until `finish`: its audit entries and outbox
/// events in the order they were made, written many rows per statement, and
/// the merchant's stock, read once instead of once per item.
pub(super) struct Held {
    pub(super) entries: Vec<audit::HeldEntry>,
    pub(super) events: Vec<outbox::HeldEvent>,
    /// Each changed item as it now is, by id: written once however many
    /// times the batch changed it.
    pub(super) rows: HashMap<i64, Item>,
    /// Items whose stock alone moved: only their `changed_version` is
    /// stamped, a few hundred per statement.
    pub(super) stamped: Vec<i64>,
    /// Items this batch created, as they now are, in the order created: each
    /// is announced once, at `finish`, with its record as the batch leaves it
    /// (its stock counted, its settings set), rather than once when created
    /// and again for each later change in the same batch.
    pub(super) created: Vec<Item>,
    /// Where each created item sits in `created`, by id.
    pub(super) created_index: HashMap<i64, usize>,
    pub(super) stock: StockIndex,
}

/// Held rows of any kind past which a batch writes what it holds, so its
/// memory stays bounded whatever the size of the file.
const HOLD_AT_MOST: usize = 5_000;

impl<'a> ItemWriter<'a> {
    /// `begin` for a write of many items (an import): the same rules and the
    /// same rows, but the merchant's stock is read once here and the audit
    /// entries and outbox events are held until `finish`, which the caller
    /// must reach before its transaction commits.
    pub(in crate::inventory) fn begin_batch(
        conn: &mut DbConnection,
        actor: &'a Actor,
        merchant_id: i64,
    ) -> Result<ItemWriter<'a>> {
        let writer = ItemWriter::begin(conn, actor, merchant_id)?;
        let stock = StockIndex::load_merchant(conn, merchant_id)?;
        Ok(writer.holding(stock))
    }

    /// `begin_batch` for a write of known items (a bulk edit): only their
    /// stock is read.
    pub(in crate::inventory) fn begin_batch_for(
        conn: &mut DbConnection,
        actor: &'a Actor,
        merchant_id: i64,
        item_ids: &[i64],
    ) -> Result<ItemWriter<'a>> {
        let writer = ItemWriter::begin(conn, actor, merchant_id)?;
        let stock = StockIndex::load(conn, merchant_id, item_ids)?;
        Ok(writer.holding(stock))
    }

    /// This writer, holding its rows, with `stock` as the merchant's stock.
    pub(in crate::inventory) fn holding(mut self, stock: StockIndex) -> ItemWriter<'a> {
        self.merchant_buffer = Some(stock.merchant_buffer());
        self.held = Some(Held {
            entries: Vec::new(),
            events: Vec::new(),
            rows: HashMap::new(),
            stamped: Vec::new(),
            created: Vec::new(),
            created_index: HashMap::new(),
            stock,
        });
        self
    }

    /// Lends this batch's stock to a ledger of the same transaction (stock
    /// counts recorded inside the batch, `record_counts`), which moves it and
    /// hands it back with `hold_stock` before announcing what moved.
    pub(in crate::inventory) fn lend_stock(&mut self) -> Option<StockIndex> {
        self.held
            .as_mut()
            .map(|held| std::mem::take(&mut held.stock))
    }

    /// Takes back the stock lent to a ledger, as the ledger left it.
    pub(in crate::inventory) fn hold_stock(&mut self, stock: StockIndex) {
        if let Some(held) = &mut self.held {
            held.stock = stock;
        }
    }

    /// Writes what a batch writer held, in order; returns its stock index,
    /// current with every write, for the stock writes that follow.
    pub(in crate::inventory) fn finish(
        mut self,
        conn: &mut DbConnection,
    ) -> Result<Option<StockIndex>> {
        self.announce_created(conn)?;
        Ok(self.held.map(|held| held.stock))
    }

    /// The one `item.listing_changed` event of each item the batch created
    /// so far, with its record as it now is, a few thousand at a time. Called
    /// by `finish`, or sooner by a caller that won't change those items
    /// again (an import, once a part's items and their counts are written).
    pub(in crate::inventory) fn announce_created(&mut self, conn: &mut DbConnection) -> Result<()> {
        // What was held before comes first, so events keep the order made.
        self.write_held(conn)?;
        let Some(held) = &mut self.held else {
            return Ok(());
        };
        let created = std::mem::take(&mut held.created);
        held.created_index.clear();
        for chunk in created.chunks(HOLD_AT_MOST) {
            let events: Vec<outbox::HeldEvent> = chunk
                .iter()
                .map(|item| {
                    let record = held.stock.record_of(item);
                    outbox::item_changed_event(item, item.changed_version, &record)
                })
                .collect();
            outbox::write_held(conn, &events)?;
        }
        Ok(())
    }

    /// Writes what the batch holds so far, in order.
    pub(super) fn write_held(&mut self, conn: &mut DbConnection) -> Result<()> {
        let Some(held) = &mut self.held else {
            return Ok(());
        };
        let mut rows: Vec<Item> = held.rows.drain().map(|(_, item)| item).collect();
        // In id order, so the updates walk the table's pages once.
        rows.sort_by_key(|item| item.id);
        write_rows(conn, &rows)?;
        if let Some(catalog_version) = self.catalog_version {
            for chunk in held.stamped.chunks(ROWS_PER_INSERT) {
                diesel::update(items::table.filter(items::id.eq_any(chunk)))
                    .set(items::changed_version.eq(catalog_version))
                    .execute(conn)?;
            }
        }
        held.stamped.clear();
        audit::record_held(conn, &held.entries)?;
        held.entries.clear();
        outbox::write_held(conn, &held.events)?;
        held.events.clear();
        Ok(())
    }

    /// Writes the held rows once there are enough of them.
    pub(super) fn hold_at_most(&mut self, conn: &mut DbConnection) -> Result<()> {
        let full = self.held.as_ref().is_some_and(|held| {
            held.rows.len() + held.stamped.len() + held.entries.len() + held.events.len()
                >= HOLD_AT_MOST
        });
        if full {
            self.write_held(conn)?;
        }
        Ok(())
    }
}

/// Inserts new item rows of one merchant, made at one time and catalog
/// version, in one statement, returning them (in no promised order). On
/// PostgreSQL with `RETURNING`; on SQLite bound straight from the rows, what
/// they share bound once, then their ids read back, so Diesel neither builds
/// nor decodes thousands of whole rows.
pub(super) fn insert_returning(
    conn: &mut DbConnection,
    rows: &[NewItemRow<'_>],
    rows_per_statement: usize,
) -> Result<Vec<ItemRow>> {
    let conn = match conn {
        DbConnection::Postgres(conn) => {
            return Ok(diesel::insert_into(items::table)
                .values(rows)
                .returning(items::all_columns)
                .get_results(conn)?);
        }
        DbConnection::Sqlite(conn) => conn,
    };
    let Some(first) = rows.first() else {
        return Ok(Vec::new());
    };
    // The write transaction holds SQLite's one write lock: the rows with a
    // higher id than this are the ones inserted below.
    let last_id: Option<i64> = items::table
        .select(diesel::dsl::max(items::id))
        .first(conn)?;
    let shared = SharedByNewItems {
        merchant_id: first.merchant_id,
        changed_version: first.changed_version,
        created_at: first.created_at,
        updated_at: first.updated_at,
        auto_view_only: first.auto_view_only,
    };
    if let Some(row) = rows.iter().find(|row| !shared.shared_by(row)) {
        return Err(crate::inventory::InventoryError::Corrupt(format!(
            "new item {} is not of the batch it is inserted with",
            row.sku
        )));
    }
    SqliteRows::new(
        "INSERT INTO items (merchant_id, changed_version, created_at, updated_at, auto_view_only, \
         sku, name, description, price_minor, currency, barcode, in_store, online) SELECT ",
        rows,
        ") AS v",
    )
    .sharing(
        &shared,
        ", v.column1, v.column2, v.column3, v.column4, v.column5, v.column6, v.column7, \
         v.column8 FROM (VALUES ",
    )
    .full_at(rows_per_statement)
    .execute(conn)?;
    let mut ids: HashMap<String, i64> = items::table
        .filter(items::merchant_id.eq(shared.merchant_id))
        .filter(items::id.gt(last_id.unwrap_or(0)))
        .select((items::sku, items::id))
        .load::<(String, i64)>(conn)?
        .into_iter()
        .collect();
    rows.iter()
        .map(|row| {
            let id = ids
                .remove(row.sku)
                .ok_or(crate::inventory::InventoryError::NotFound("item"))?;
            Ok(ItemRow {
                id,
                merchant_id: row.merchant_id,
                sku: row.sku.to_owned(),
                name: row.name.to_owned(),
                description: row.description.to_owned(),
                price_minor: row.price_minor,
                currency: row.currency.to_owned(),
                barcode: row.barcode.map(str::to_owned),
                in_store: row.in_store,
                online: row.online.to_owned(),
                // The columns' defaults, as `RETURNING` would read them.
                version: 1,
                changed_version: row.changed_version,
                archived: false,
                created_at: row.created_at,
                updated_at: row.updated_at,
                online_buffer: None,
                allow_backorder: false,
                auto_view_only: row.auto_view_only,
                auto_switched: false,
            })
        })
        .collect()
}

/// What the new items of one `create_many` share.
struct SharedByNewItems {
    merchant_id: i64,
    changed_version: i64,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
    auto_view_only: bool,
}

impl SharedByNewItems {
    fn shared_by(&self, row: &NewItemRow<'_>) -> bool {
        row.merchant_id == self.merchant_id
            && row.changed_version == self.changed_version
            && row.created_at == self.created_at
            && row.updated_at == self.updated_at
            && row.auto_view_only == self.auto_view_only
    }
}

impl BindValues for SharedByNewItems {
    fn bind_values<'b>(&'b self, values: &mut Values<'_, '_, 'b>) -> diesel::QueryResult<()> {
        use diesel::sql_types::{BigInt, Bool, Timestamp};
        values
            .bind::<BigInt, _>(&self.merchant_id)?
            .bind::<BigInt, _>(&self.changed_version)?
            .bind::<Timestamp, _>(&self.created_at)?
            .bind::<Timestamp, _>(&self.updated_at)?
            .bind::<Bool, _>(&self.auto_view_only)?;
        Ok(())
    }
}

impl BindValues for NewItemRow<'_> {
    fn bind_values<'b>(&'b self, values: &mut Values<'_, '_, 'b>) -> diesel::QueryResult<()> {
        use diesel::sql_types::{BigInt, Bool, Nullable, Text};
        values
            .bind::<Text, _>(self.sku)?
            .bind::<Text, _>(self.name)?
            .bind::<Text, _>(self.description)?
            .bind::<BigInt, _>(&self.price_minor)?
            .bind::<Text, _>(self.currency)?
            .bind::<Nullable<Text>, _>(&self.barcode)?
            .bind::<Bool, _>(&self.in_store)?
            .bind::<Text, _>(self.online)?;
        Ok(())
    }
}

/// Writes a batch's changed items as they now are (the merchant lock holds
/// their rows still), a few hundred rows per statement: an upsert by id on
/// PostgreSQL; on SQLite, for which Diesel builds no multi-row upsert, one
/// `UPDATE … FROM (VALUES …)` bound straight from the items.
fn write_rows(conn: &mut DbConnection, items: &[Item]) -> Result<()> {
    use diesel::upsert::excluded;
    for chunk in items.chunks(ROWS_PER_INSERT) {
        let conn = match conn {
            DbConnection::Sqlite(conn) => {
                update_from_values(chunk).execute(conn)?;
                continue;
            }
            DbConnection::Postgres(conn) => conn,
        };
        let rows: Vec<ItemRow> = chunk.iter().map(Item::to_row).collect();
        diesel::insert_into(items::table)
            .values(&rows)
            .on_conflict(items::id)
            .do_update()
            .set((
                items::sku.eq(excluded(items::sku)),
                items::name.eq(excluded(items::name)),
                items::description.eq(excluded(items::description)),
                items::price_minor.eq(excluded(items::price_minor)),
                items::currency.eq(excluded(items::currency)),
                items::barcode.eq(excluded(items::barcode)),
                items::in_store.eq(excluded(items::in_store)),
                items::online.eq(excluded(items::online)),
                items::version.eq(excluded(items::version)),
                items::changed_version.eq(excluded(items::changed_version)),
                items::archived.eq(excluded(items::archived)),
                items::updated_at.eq(excluded(items::updated_at)),
                items::online_buffer.eq(excluded(items::online_buffer)),
                items::allow_backorder.eq(excluded(items::allow_backorder)),
                items::auto_view_only.eq(excluded(items::auto_view_only)),
                items::auto_switched.eq(excluded(items::auto_switched)),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The columns SQLite's multi-row update sets, in `Item::bind_values`
/// order after the id. A VALUES list's columns are named `column1`… and it
/// takes no column list of its own.
const UPDATED_COLUMNS: [&str; 16] = [
    "sku",
    "name",
    "description",
    "price_minor",
    "currency",
    "barcode",
    "in_store",
    "online",
    "version",
    "changed_version",
    "archived",
    "updated_at",
    "online_buffer",
    "allow_backorder",
    "auto_view_only",
    "auto_switched",
];

/// SQLite's multi-row update of whole item rows.
fn update_from_values(items: &[Item]) -> SqliteRows<'_, Item> {
    static BEFORE: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        let set: Vec<String> = UPDATED_COLUMNS
            .iter()
            .enumerate()
            .map(|(i, column)| format!("{column} = v.column{}", i + 2))
            .collect();
        format!("UPDATE items SET {} FROM (VALUES ", set.join(", "))
    });
    SqliteRows::new(&BEFORE, items, ") AS v WHERE items.id = v.column1")
}

impl BindValues for Item {
    fn bind_values<'b>(&'b self, values: &mut Values<'_, '_, 'b>) -> diesel::QueryResult<()> {
        use diesel::sql_types::{BigInt, Bool, Nullable, Text, Timestamp};
        let flag = |on: bool| if on { &true } else { &false };
        values
            .bind::<BigInt, _>(&self.id)?
            .bind::<Text, _>(&self.sku)?
            .bind::<Text, _>(&self.name)?
            .bind::<Text, _>(&self.description)?
            .bind::<BigInt, _>(&self.price.amount_minor)?
            .bind::<Text, _>(self.price.currency.as_str())?
            .bind::<Nullable<Text>, _>(&self.barcode)?
            .bind::<Bool, _>(flag(self.in_store()))?
            .bind::<Text, _>(self.online().as_str())?
            .bind::<BigInt, _>(&self.version)?
            .bind::<BigInt, _>(&self.changed_version)?
            .bind::<Bool, _>(&self.archived)?
            .bind::<Timestamp, _>(&self.updated_at)?
            .bind::<Nullable<BigInt>, _>(&self.online_buffer)?
            .bind::<Bool, _>(&self.allow_backorder)?
            .bind::<Bool, _>(&self.auto_view_only)?
            .bind::<Bool, _>(&self.auto_switched)?;
        Ok(())
    }
}
