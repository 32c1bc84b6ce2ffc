//! The ledger: every stock movement, append-only. A level moves only through
//! a `Ledger` opened inside the transaction of the request that caused it, so
//! all its movements share one catalog version, reference and key; closing
//! the ledger hands each moved item a channel can see to the item writer,
//! which stamps and announces its new availability.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::models::{NewStockLevelRow, NewStockMovementRow, StockMovementRow};
use crate::db::schema::{stock_levels, stock_movements};
use crate::db::sqlite_rows::{BindValues, SqliteRows, Values};
use crate::db::{DbConnection, ROWS_PER_INSERT, insert_rows};
use crate::domain::MovementKind;
use crate::inventory::items::ItemWriter;
use crate::inventory::lists::StockIndex;
use crate::inventory::{Actor, InventoryError, Item, Result, catalog, now};
use diesel::sql_types::{BigInt, Text, Timestamp};

/// One entry of the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockMovement {
    pub id: i64,
    pub item_id: i64,
    pub location_id: i64,
    pub kind: MovementKind,
    /// The signed change of the level.
    pub quantity: i64,
    pub on_hand_after: i64,
    pub actor: String,
    pub reason: String,
    /// When it happened (a sale recorded later from an offline device keeps its time).
    pub occurred_at: NaiveDateTime,
    /// When shelfsync recorded it.
    pub recorded_at: NaiveDateTime,
    pub idempotency_key: String,
    /// The order or sale it belongs to.
    pub reference: String,
    pub catalog_version: i64,
}

impl TryFrom<StockMovementRow> for StockMovement {
    type Error = InventoryError;

    fn try_from(row: StockMovementRow) -> Result<StockMovement> {
        let kind = MovementKind::parse(&row.kind)
            .map_err(|e| InventoryError::Corrupt(format!("movement {}: {}", row.id, e.message)))?;
        Ok(StockMovement {
            id: row.id,
            item_id: row.item_id,
            location_id: row.location_id,
            kind,
            quantity: row.quantity,
            on_hand_after: row.on_hand_after,
            actor: row.actor,
            reason: row.reason,
            occurred_at: row.occurred_at,
            recorded_at: row.recorded_at,
            idempotency_key: row.idempotency_key,
            reference: row.reference,
            catalog_version: row.catalog_version,
        })
    }
}

/// An item's movements, newest first.
pub fn movements(
    conn: &mut DbConnection,
    merchant_id: i64,
    item_id: i64,
    limit: i64,
) -> Result<Vec<StockMovement>> {
    stock_movements::table
        .filter(stock_movements::merchant_id.eq(merchant_id))
        .filter(stock_movements::item_id.eq(item_id))
        .order(stock_movements::id.desc())
        .limit(limit.clamp(1, 1000))
        .select(StockMovementRow::as_select())
        .load(conn)?
        .into_iter()
        .map(StockMovement::try_from)
        .collect()
}

/// Whether a channel can see the item, so that its stock matters to one: it
/// is in the store list or in the online list.
fn visible(item: &Item) -> bool {
    !item.archived && (item.in_store() || item.online().is_listed())
}

/// The stock writes of one request, inside its write transaction with the
/// merchant locked. Opened once per request, so all its movements share one
/// catalog version, reference and idempotency key; closed to announce them.
pub(in crate::inventory) struct Ledger<'a> {
    merchant_id: i64,
    actor: &'a Actor,
    key: &'a str,
    reference: &'a str,
    occurred_at: NaiveDateTime,
    recorded_at: NaiveDateTime,
    catalog_version: i64,
    merchant_buffer: i64,
    /// Items moved so far, once each, in the order first moved.
    touched: Vec<Item>,
    /// The ids in `touched`: an import moves the stock of many thousand items.
    touched_ids: HashSet<i64>,
    /// The ids of items with a level that went down: only those can have
    /// holds left over what is on hand.
    lowered: HashSet<i64>,
    /// A batch ledger's writes, held until `close` (`holding`).
    held: Option<HeldStock>,
}

/// The stock writes of a batch ledger: the merchant's stock as it stands in
/// this transaction, each moved level's final count, and the movements in
/// order, written many per statement at `close`.
struct HeldStock {
    stock: StockIndex,
    /// (item, store) → whether a level row existed before this ledger.
    moved: HashMap<(i64, i64), bool>,
    movements: Vec<HeldMovement>,
}

struct HeldMovement {
    item_id: i64,
    location_id: i64,
    kind: MovementKind,
    quantity: i64,
    on_hand_after: i64,
    reason: String,
}

/// Whether a movement lowered a level in a way that may leave the units
/// held there for pickup over what is on hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lowered {
    /// Not lowered, or only by free units (a take): the holds still fit.
    WithinFree,
    /// Lowered whatever was held (a sale recorded anyway, a count, an
    /// adjustment down): `close` lets go the newest holds that don't fit.
    MaybeBelowHeld,
}

impl Lowered {
    fn by(delta: i64) -> Lowered {
        if delta < 0 {
            Lowered::MaybeBelowHeld
        } else {
            Lowered::WithinFree
        }
    }
}

/// What a movement is: its kind and reason.
pub(in crate::inventory) struct Movement<'a> {
    pub kind: MovementKind,
    pub reason: &'a str,
}

impl<'a> Ledger<'a> {
    /// Opens the ledger for a request that will move the stock of `items`.
    /// Bumps the catalog version when a channel can see any of them. Either
    /// way the merchant is locked from here to the commit (if it wasn't
    /// already: see `idempotency::once_lock_last`).
    pub(in crate::inventory) fn open(
        conn: &mut DbConnection,
        merchant_id: i64,
        actor: &'a Actor,
        key: &'a str,
        reference: &'a str,
        occurred_at: Option<NaiveDateTime>,
        items: &[&Item],
    ) -> Result<Ledger<'a>> {
        // Through `catalog::bump`, like every other catalog change, so
        // caches, live streams and other instances hear of it after commit.
        let (catalog_version, merchant_buffer) = if items.iter().any(|item| visible(item)) {
            let bumped = catalog::bump(conn, merchant_id)?;
            (bumped.catalog_version, bumped.online_buffer)
        } else {
            // No version to bump, but still the only writer of these levels.
            catalog::lock_merchant(conn, merchant_id)?;
            (
                catalog::current_version(conn, merchant_id)?,
                catalog::merchant_buffer(conn, merchant_id)?,
            )
        };
        Ok(Ledger::at(
            merchant_id,
            actor,
            key,
            reference,
            occurred_at,
            catalog_version,
            merchant_buffer,
        ))
    }

    /// Opens the ledger of a batch item write (an import, the bulk editor)
    /// that will move the stock of `items`: its movements carry the batch's
    /// catalog version (bumped here if the batch hasn't yet and a channel can
    /// see any of the items), levels are read from the batch's stock, and
    /// every write is held until `close_into` hands them to the batch.
    pub(in crate::inventory) fn open_in_batch<'w: 'a>(
        conn: &mut DbConnection,
        writer: &mut ItemWriter<'w>,
        key: &'a str,
        reference: &'a str,
        items: &[&Item],
    ) -> Result<Ledger<'a>> {
        let Some(stock) = writer.lend_stock() else {
            return Err(InventoryError::Corrupt(
                "a batch ledger needs a batch writer".to_owned(),
            ));
        };
        let catalog_version = if items.iter().any(|item| visible(item)) {
            writer.bump(conn)?
        } else {
            writer.catalog_version(conn)?
        };
        let ledger = Ledger::at(
            writer.merchant_id(),
            writer.actor(),
            key,
            reference,
            None,
            catalog_version,
            stock.merchant_buffer(),
        );
        Ok(ledger.holding(stock))
    }

    fn at(
        merchant_id: i64,
        actor: &'a Actor,
        key: &'a str,
        reference: &'a str,
        occurred_at: Option<NaiveDateTime>,
        catalog_version: i64,
        merchant_buffer: i64,
    ) -> Ledger<'a> {
        let recorded_at = now();
        Ledger {
            merchant_id,
            actor,
            key,
            reference,
            occurred_at: occurred_at.unwrap_or(recorded_at),
            recorded_at,
            catalog_version,
            merchant_buffer,
            touched: Vec::new(),
            touched_ids: HashSet::new(),
            lowered: HashSet::new(),
            held: None,
        }
    }

    /// This ledger as a batch's: levels are read from `stock` (current in
    /// this transaction) and every write is held until `close_into`.
    fn holding(mut self, stock: StockIndex) -> Ledger<'a> {
        self.held = Some(HeldStock {
            stock,
            moved: HashMap::new(),
            movements: Vec::new(),
        });
        self
    }

    /// `apply` for a batch ledger: the level and its movement are written at
    /// `close`. On a ledger that isn't holding, it is `apply`.
    pub(in crate::inventory) fn apply_held(
        &mut self,
        conn: &mut DbConnection,
        item: &Item,
        location_id: i64,
        delta: i64,
        movement: Movement<'_>,
    ) -> Result<()> {
        let Some(held) = &mut self.held else {
            return self
                .apply(conn, item, location_id, delta, movement)
                .map(|_| ());
        };
        let existed = held.stock.has_level(item.id, location_id);
        held.moved.entry((item.id, location_id)).or_insert(existed);
        let on_hand_after = held.stock.on_hand(item.id, location_id) + delta;
        held.stock.set(item.id, location_id, on_hand_after);
        held.movements.push(HeldMovement {
            item_id: item.id,
            location_id,
            kind: movement.kind,
            quantity: delta,
            on_hand_after,
            reason: movement.reason.to_owned(),
        });
        self.touch(item, Lowered::by(delta));
        Ok(())
    }

    pub(in crate::inventory) fn recorded_at(&self) -> NaiveDateTime {
        self.recorded_at
    }

    /// Moves the level by `delta` whatever it is now (a receipt, an
    /// adjustment, a count, a sale recorded anyway).
    pub(in crate::inventory) fn apply(
        &mut self,
        conn: &mut DbConnection,
        item: &Item,
        location_id: i64,
        delta: i64,
        movement: Movement<'_>,
    ) -> Result<StockMovement> {
        let updated: Option<i64> = diesel::update(
            stock_levels::table
                .filter(stock_levels::item_id.eq(item.id))
                .filter(stock_levels::location_id.eq(location_id)),
        )
        .set((
            stock_levels::on_hand.eq(stock_levels::on_hand + delta),
            stock_levels::updated_at.eq(self.recorded_at),
        ))
        .returning(stock_levels::on_hand)
        .get_result(conn)
        .optional()?;
        let on_hand_after = match updated {
            Some(level) => level,
            None => {
                // The merchant lock makes this the only writer of the level,
                // so the missing row cannot appear underneath us.
                diesel::insert_into(stock_levels::table)
                    .values(NewStockLevelRow {
                        item_id: item.id,
                        location_id,
                        on_hand: delta,
                        updated_at: self.recorded_at,
                    })
                    .execute(conn)?;
                delta
            }
        };
        let recorded = self.record(conn, item, location_id, delta, on_hand_after, movement)?;
        self.touch(item, Lowered::by(delta));
        Ok(recorded)
    }

    /// Takes `quantity` units only if that many are free (on hand and not
    /// held for pickup, as `available_at_store` counts them), in one
    /// conditional statement; `None` (and nothing written) when short. On
    /// PostgreSQL the movement is written by the same statement: a sale is
    /// one round trip here, with the merchant locked.
    pub(in crate::inventory) fn take(
        &mut self,
        conn: &mut DbConnection,
        item: &Item,
        location_id: i64,
        quantity: i64,
        movement: Movement<'_>,
    ) -> Result<Option<StockMovement>> {
        if let DbConnection::Postgres(_) = conn {
            let row: Option<StockMovementRow> = diesel::sql_query(
                "WITH level AS (UPDATE stock_levels SET on_hand = on_hand - $1, updated_at = $2 \
                 WHERE item_id = $3 AND location_id = $4 AND on_hand - held >= $1 \
                 RETURNING on_hand) \
                 INSERT INTO stock_movements (merchant_id, item_id, location_id, kind, quantity, \
                 on_hand_after, actor, reason, occurred_at, recorded_at, idempotency_key, \
                 reference, catalog_version) \
                 SELECT $5, $3, $4, $6, -$1, level.on_hand, $7, $8, $9, $2, $10, $11, $12 \
                 FROM level RETURNING *",
            )
            .bind::<BigInt, _>(quantity)
            .bind::<Timestamp, _>(self.recorded_at)
            .bind::<BigInt, _>(item.id)
            .bind::<BigInt, _>(location_id)
            .bind::<BigInt, _>(self.merchant_id)
            .bind::<Text, _>(movement.kind.as_str())
            .bind::<Text, _>(self.actor.as_str())
            .bind::<Text, _>(movement.reason)
            .bind::<Timestamp, _>(self.occurred_at)
            .bind::<Text, _>(self.key)
            .bind::<Text, _>(self.reference)
            .bind::<BigInt, _>(self.catalog_version)
            .get_result(conn)
            .optional()?;
            return match row {
                Some(row) => {
                    self.touch(item, Lowered::WithinFree);
                    row.try_into().map(Some)
                }
                None => Ok(None),
            };
        }
        let updated: Option<i64> = diesel::update(
            stock_levels::table
                .filter(stock_levels::item_id.eq(item.id))
                .filter(stock_levels::location_id.eq(location_id))
                .filter((stock_levels::on_hand - stock_levels::held).ge(quantity)),
        )
        .set((
            stock_levels::on_hand.eq(stock_levels::on_hand - quantity),
            stock_levels::updated_at.eq(self.recorded_at),
        ))
        .returning(stock_levels::on_hand)
        .get_result(conn)
        .optional()?;
        let Some(on_hand_after) = updated else {
            return Ok(None);
        };
        let recorded = self.record(conn, item, location_id, -quantity, on_hand_after, movement)?;
        self.touch(item, Lowered::WithinFree);
        Ok(Some(recorded))
    }

    fn record(
        &mut self,
        conn: &mut DbConnection,
        item: &Item,
        location_id: i64,
        delta: i64,
        on_hand_after: i64,
        movement: Movement<'_>,
    ) -> Result<StockMovement> {
        let row: StockMovementRow = diesel::insert_into(stock_movements::table)
            .values(NewStockMovementRow {
                merchant_id: self.merchant_id,
                item_id: item.id,
                location_id,
                kind: movement.kind.as_str(),
                quantity: delta,
                on_hand_after,
                actor: self.actor.as_str(),
                reason: movement.reason,
                occurred_at: self.occurred_at,
                recorded_at: self.recorded_at,
                idempotency_key: self.key,
                reference: self.reference,
                catalog_version: self.catalog_version,
            })
            .returning(stock_movements::all_columns)
            .get_result(conn)?;
        row.try_into()
    }

    /// Notes an item moved (once each, in the order first moved), and
    /// whether the move may have left holds over what is on hand.
    fn touch(&mut self, item: &Item, lowered: Lowered) {
        if self.touched_ids.insert(item.id) {
            self.touched.push(item.clone());
        }
        if lowered == Lowered::MaybeBelowHeld {
            self.lowered.insert(item.id);
        }
    }

    /// Announces every moved item a channel can see: stamps it with the
    /// catalog version (so the delta feed carries it), switches it between
    /// for sale and view-only if the merchant opted in, and writes the outbox
    /// event. Returns the catalog version.
    pub(in crate::inventory) fn close(self, conn: &mut DbConnection) -> Result<i64> {
        let mut writer = ItemWriter::at_version(
            self.actor,
            self.merchant_id,
            self.catalog_version,
            self.merchant_buffer,
        );
        self.close_into(conn, &mut writer)
    }

    /// `close` for a ledger opened with `open_in_batch`: its levels and
    /// movements are written, the stock handed back to the batch `writer`,
    /// and the moved items announced through it (written at its `finish`).
    pub(in crate::inventory) fn close_into(
        mut self,
        conn: &mut DbConnection,
        writer: &mut ItemWriter<'_>,
    ) -> Result<i64> {
        let stock = match self.held.take() {
            Some(held) => Some(self.write_held(conn, held)?),
            None => None,
        };
        // A movement that took held units (a sale recorded anyway, a count
        // or an adjustment down) lets go the newest holds that no longer
        // fit, so open holds never exceed what is on hand.
        let lowered: Vec<Item> = self
            .touched
            .iter()
            .filter(|item| self.lowered.contains(&item.id))
            .cloned()
            .collect();
        let released = crate::inventory::hold_records::release_beyond_on_hand(
            conn,
            self.actor,
            &lowered,
            self.catalog_version,
        )?;
        if let Some(mut stock) = stock {
            // A batch announces from its index: it must know the holds let go.
            stock.reread_holds(conn, &released)?;
            writer.hold_stock(stock);
        }
        for item in &self.touched {
            if visible(item) {
                writer.stock_moved(conn, item)?;
            }
        }
        Ok(self.catalog_version)
    }

    /// Writes a batch's levels (new rows many per statement, moved ones one
    /// each) and its movements in order; returns the stock as it now stands.
    fn write_held(&self, conn: &mut DbConnection, held: HeldStock) -> Result<StockIndex> {
        let mut new_levels = Vec::new();
        // In key order: rows written at random places in an index cost a
        // page each, in order they fill pages one after another.
        let mut moved: Vec<(&(i64, i64), &bool)> = held.moved.iter().collect();
        moved.sort();
        for (&(item_id, location_id), &existed) in moved {
            let on_hand = held.stock.on_hand(item_id, location_id);
            if existed {
                diesel::update(
                    stock_levels::table
                        .filter(stock_levels::item_id.eq(item_id))
                        .filter(stock_levels::location_id.eq(location_id)),
                )
                .set((
                    stock_levels::on_hand.eq(on_hand),
                    stock_levels::updated_at.eq(self.recorded_at),
                ))
                .execute(conn)?;
            } else {
                new_levels.push(NewStockLevelRow {
                    item_id,
                    location_id,
                    on_hand,
                    updated_at: self.recorded_at,
                });
            }
        }
        for chunk in new_levels.chunks(ROWS_PER_INSERT) {
            if let DbConnection::Sqlite(conn) = conn {
                self.insert_levels_sqlite(conn, chunk)?;
                continue;
            }
            insert_rows!(conn, stock_levels::table, chunk)?;
        }
        for chunk in held.movements.chunks(ROWS_PER_INSERT) {
            if let DbConnection::Sqlite(conn) = conn {
                self.insert_movements_sqlite(conn, chunk)?;
                continue;
            }
            let rows: Vec<NewStockMovementRow<'_>> = chunk
                .iter()
                .map(|movement| NewStockMovementRow {
                    merchant_id: self.merchant_id,
                    item_id: movement.item_id,
                    location_id: movement.location_id,
                    kind: movement.kind.as_str(),
                    quantity: movement.quantity,
                    on_hand_after: movement.on_hand_after,
                    actor: self.actor.as_str(),
                    reason: &movement.reason,
                    occurred_at: self.occurred_at,
                    recorded_at: self.recorded_at,
                    idempotency_key: self.key,
                    reference: self.reference,
                    catalog_version: self.catalog_version,
                })
                .collect();
            insert_rows!(conn, stock_movements::table, &rows)?;
        }
        Ok(held.stock)
    }

    /// SQLite's insert of new levels, their shared time bound once.
    fn insert_levels_sqlite(
        &self,
        conn: &mut diesel::SqliteConnection,
        levels: &[NewStockLevelRow],
    ) -> QueryResult<usize> {
        SqliteRows::new(
            "INSERT INTO stock_levels (updated_at, item_id, location_id, on_hand) SELECT ",
            levels,
            ") AS v",
        )
        .sharing(
            &self.recorded_at,
            ", v.column1, v.column2, v.column3 FROM (VALUES ",
        )
        .execute(conn)
    }

    /// SQLite's insert of held movements: what the ledger's movements share
    /// (merchant, actor, times, key, reference, version) is bound once per
    /// statement rather than once per row, which halves the work per row.
    fn insert_movements_sqlite(
        &self,
        conn: &mut diesel::SqliteConnection,
        movements: &[HeldMovement],
    ) -> QueryResult<usize> {
        let shared = SharedByMovements {
            merchant_id: self.merchant_id,
            actor: self.actor.as_str(),
            occurred_at: self.occurred_at,
            recorded_at: self.recorded_at,
            key: self.key,
            reference: self.reference,
            catalog_version: self.catalog_version,
        };
        SqliteRows::new(
            "INSERT INTO stock_movements (merchant_id, actor, occurred_at, recorded_at, \
             idempotency_key, reference, catalog_version, item_id, location_id, kind, quantity, \
             on_hand_after, reason) SELECT ",
            movements,
            ") AS v",
        )
        .sharing(
            &shared,
            ", v.column1, v.column2, v.column3, v.column4, v.column5, v.column6 FROM (VALUES ",
        )
        .execute(conn)
    }
}

/// What every movement of one ledger shares.
struct SharedByMovements<'a> {
    merchant_id: i64,
    actor: &'a str,
    occurred_at: NaiveDateTime,
    recorded_at: NaiveDateTime,
    key: &'a str,
    reference: &'a str,
    catalog_version: i64,
}

impl BindValues for SharedByMovements<'_> {
    fn bind_values<'b>(&'b self, values: &mut Values<'_, '_, 'b>) -> QueryResult<()> {
        values
            .bind::<BigInt, _>(&self.merchant_id)?
            .bind::<Text, _>(self.actor)?
            .bind::<Timestamp, _>(&self.occurred_at)?
            .bind::<Timestamp, _>(&self.recorded_at)?
            .bind::<Text, _>(self.key)?
            .bind::<Text, _>(self.reference)?
            .bind::<BigInt, _>(&self.catalog_version)?;
        Ok(())
    }
}

impl BindValues for HeldMovement {
    fn bind_values<'b>(&'b self, values: &mut Values<'_, '_, 'b>) -> QueryResult<()> {
        values
            .bind::<BigInt, _>(&self.item_id)?
            .bind::<BigInt, _>(&self.location_id)?
            .bind::<Text, _>(self.kind.as_str())?
            .bind::<BigInt, _>(&self.quantity)?
            .bind::<BigInt, _>(&self.on_hand_after)?
            .bind::<Text, _>(self.reason.as_str())?;
        Ok(())
    }
}

impl BindValues for NewStockLevelRow {
    fn bind_values<'b>(&'b self, values: &mut Values<'_, '_, 'b>) -> QueryResult<()> {
        values
            .bind::<BigInt, _>(&self.item_id)?
            .bind::<BigInt, _>(&self.location_id)?
            .bind::<BigInt, _>(&self.on_hand)?;
        Ok(())
    }
}

impl BindValues for NaiveDateTime {
    fn bind_values<'b>(&'b self, values: &mut Values<'_, '_, 'b>) -> QueryResult<()> {
        values.bind::<Timestamp, _>(self)?;
        Ok(())
    }
}
