//! Stock: the on-hand level per item and store, and the append-only ledger of
//! movements behind it. A level always equals the sum of its movements; every
//! change goes through a `Ledger` opened inside the transaction of the request
//! that caused it (an order, a sale, a receipt, an adjustment, a count).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use serde::{Deserialize, Serialize};

use super::designate::{self, DesignationChange};
use super::idempotency::{self, Fingerprint, Outcome, StoredResponse};
use super::merchants::Location;
use super::{Actor, InventoryError, Item, Result, audit, catalog, lists, now, outbox};
use crate::db::DbConnection;
use crate::db::models::{LocationRow, NewStockLevelRow, NewStockMovementRow, StockMovementRow};
use crate::db::schema::{items, locations, merchants, stock_levels, stock_movements};
use crate::domain::{
    Adjustment, FieldError, IdempotencyKey, MAX_QUANTITY, MovementKind, OnlineListing, Quantity,
    Reason, StockCount,
};

/// A line that could not be served from stock: which item, where, how many
/// were asked for and how many there are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Shortage {
    pub item_id: i64,
    pub sku: String,
    /// The store it was asked of; `None` for a shipped order, which may draw
    /// on every store that fulfils online orders.
    pub location_id: Option<i64>,
    pub requested: i64,
    pub available: i64,
}

/// The units of an item held back from the online count for walk-in
/// customers: the item's own buffer, or else the merchant's default.
pub fn online_buffer(item: &Item, merchant_buffer: i64) -> i64 {
    item.online_buffer.unwrap_or(merchant_buffer)
}

/// Units that may be sold online: the on-hand quantities at the stores that
/// fulfil online orders (a negative level counts as none), less the buffer.
pub fn available_online(on_hand_at_fulfilling: impl IntoIterator<Item = i64>, buffer: i64) -> i64 {
    let on_hand: i64 = on_hand_at_fulfilling.into_iter().map(|q| q.max(0)).sum();
    (on_hand - buffer).max(0)
}

/// The on-hand quantity of an item at a store (zero when never stocked).
pub fn on_hand(conn: &mut DbConnection, item_id: i64, location_id: i64) -> Result<i64> {
    Ok(stock_levels::table
        .filter(stock_levels::item_id.eq(item_id))
        .filter(stock_levels::location_id.eq(location_id))
        .select(stock_levels::on_hand)
        .first(conn)
        .optional()?
        .unwrap_or(0))
}

/// One store's stock of an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationStock {
    pub location: Location,
    /// Negative after a sale recorded while short: a discrepancy to count.
    pub on_hand: i64,
}

/// An item's stock in every store of its merchant, and what that means online.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemStock {
    pub levels: Vec<LocationStock>,
    /// The buffer that applies to the item, and whether it is the merchant's default.
    pub online_buffer: i64,
    pub buffer_is_default: bool,
    /// Units the online store may sell now (if the item is for sale online).
    pub available_online: i64,
}

impl ItemStock {
    pub fn total(&self) -> i64 {
        self.levels.iter().map(|level| level.on_hand).sum()
    }
}

/// Levels of one item at every store of the merchant, in store order, with
/// each store's `fulfils_online`.
fn levels_of(
    conn: &mut DbConnection,
    merchant_id: i64,
    item_id: i64,
) -> Result<Vec<(LocationRow, i64)>> {
    let rows: Vec<(LocationRow, Option<i64>)> = locations::table
        .left_join(
            stock_levels::table.on(stock_levels::location_id
                .eq(locations::id)
                .and(stock_levels::item_id.eq(item_id))),
        )
        .filter(locations::merchant_id.eq(merchant_id))
        .order(locations::id)
        .select((LocationRow::as_select(), stock_levels::on_hand.nullable()))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(store, on_hand)| (store, on_hand.unwrap_or(0)))
        .collect())
}

fn merchant_buffer(conn: &mut DbConnection, merchant_id: i64) -> Result<i64> {
    merchants::table
        .find(merchant_id)
        .select(merchants::online_buffer)
        .first(conn)
        .optional()?
        .ok_or(InventoryError::NotFound("merchant"))
}

/// The stock of an item of this merchant in each of its stores.
pub fn item_stock(conn: &mut DbConnection, merchant_id: i64, item_id: i64) -> Result<ItemStock> {
    conn.read_transaction(|conn| {
        let item = Item::find(conn, merchant_id, item_id)?;
        let default_buffer = merchant_buffer(conn, merchant_id)?;
        let levels = levels_of(conn, merchant_id, item.id)?;
        let buffer = online_buffer(&item, default_buffer);
        let available = available_online(
            levels
                .iter()
                .filter(|(store, _)| store.fulfils_online)
                .map(|(_, on_hand)| *on_hand),
            buffer,
        );
        Ok(ItemStock {
            levels: levels
                .into_iter()
                .map(|(store, on_hand)| LocationStock {
                    location: store.into(),
                    on_hand,
                })
                .collect(),
            online_buffer: buffer,
            buffer_is_default: item.online_buffer.is_none(),
            available_online: available,
        })
    })
}

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
pub(super) struct Ledger<'a> {
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
}

/// What a movement is: its kind and reason.
pub(super) struct Movement<'a> {
    pub kind: MovementKind,
    pub reason: &'a str,
}

impl<'a> Ledger<'a> {
    /// Opens the ledger for a request that will move the stock of `items`.
    /// Bumps the catalog version when a channel can see any of them.
    pub(super) fn open(
        conn: &mut DbConnection,
        merchant_id: i64,
        actor: &'a Actor,
        key: &'a str,
        reference: &'a str,
        occurred_at: Option<NaiveDateTime>,
        items: &[&Item],
    ) -> Result<Ledger<'a>> {
        // Through `catalog::next_version`, like every other catalog change, so
        // caches, live streams and other instances hear of it after commit.
        let catalog_version = if items.iter().any(|item| visible(item)) {
            catalog::next_version(conn, merchant_id)?
        } else {
            catalog::current_version(conn, merchant_id)?
        };
        let merchant_buffer: i64 = merchants::table
            .find(merchant_id)
            .select(merchants::online_buffer)
            .first(conn)
            .optional()?
            .ok_or(InventoryError::NotFound("merchant"))?;
        let recorded_at = now();
        Ok(Ledger {
            merchant_id,
            actor,
            key,
            reference,
            occurred_at: occurred_at.unwrap_or(recorded_at),
            recorded_at,
            catalog_version,
            merchant_buffer,
            touched: Vec::new(),
        })
    }

    pub(super) fn recorded_at(&self) -> NaiveDateTime {
        self.recorded_at
    }

    /// Moves the level by `delta` whatever it is now (a receipt, an
    /// adjustment, a count, a sale recorded anyway).
    pub(super) fn apply(
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
        self.record(conn, item, location_id, delta, on_hand_after, movement)
    }

    /// Takes `quantity` units only if that many are on hand, in one
    /// conditional statement; `None` (and nothing written) when short.
    pub(super) fn take(
        &mut self,
        conn: &mut DbConnection,
        item: &Item,
        location_id: i64,
        quantity: i64,
        movement: Movement<'_>,
    ) -> Result<Option<StockMovement>> {
        let updated: Option<i64> = diesel::update(
            stock_levels::table
                .filter(stock_levels::item_id.eq(item.id))
                .filter(stock_levels::location_id.eq(location_id))
                .filter(stock_levels::on_hand.ge(quantity)),
        )
        .set((
            stock_levels::on_hand.eq(stock_levels::on_hand - quantity),
            stock_levels::updated_at.eq(self.recorded_at),
        ))
        .returning(stock_levels::on_hand)
        .get_result(conn)
        .optional()?;
        match updated {
            Some(on_hand_after) => self
                .record(conn, item, location_id, -quantity, on_hand_after, movement)
                .map(Some),
            None => Ok(None),
        }
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
        if !self.touched.iter().any(|seen| seen.id == item.id) {
            self.touched.push(item.clone());
        }
        row.try_into()
    }

    /// Announces every moved item a channel can see: stamps it with the
    /// catalog version (so the delta feed carries it), switches it between
    /// for sale and view-only if the merchant opted in, and writes the outbox
    /// event. Returns the catalog version.
    pub(super) fn close(self, conn: &mut DbConnection) -> Result<i64> {
        for item in &self.touched {
            if visible(item) {
                announce(conn, item, self.merchant_buffer, self.catalog_version)?;
            }
        }
        Ok(self.catalog_version)
    }
}

/// Stamps a visible item whose stock or stock settings changed, applies the
/// automatic switch, and writes the outbox event.
fn announce(
    conn: &mut DbConnection,
    item: &Item,
    merchant_buffer: i64,
    catalog_version: i64,
) -> Result<Item> {
    diesel::update(items::table.find(item.id))
        .set(items::changed_version.eq(catalog_version))
        .execute(conn)?;
    let item = Item {
        changed_version: catalog_version,
        ..item.clone()
    };
    let levels = levels_of(conn, item.merchant_id, item.id)?;
    if let Some(switched) = auto_switch(conn, &item, merchant_buffer, &levels, catalog_version)? {
        // The designation writer has announced the new listing already.
        return Ok(switched);
    }
    let on_hand: Vec<(i64, i64)> = levels
        .iter()
        .map(|(store, on_hand)| (store.id, *on_hand))
        .collect();
    let stores = levels.into_iter().map(|(store, _)| store).collect();
    let record = lists::online_record_from(&item, stores, &on_hand, merchant_buffer);
    outbox::stock_changed(conn, &item, catalog_version, &record, &on_hand)?;
    Ok(item)
}

/// The automatic "view online, buy in store" switch, for items whose
/// merchant opted in: a for-sale item that sells out online while a store
/// still has it becomes view-only; an item shelfsync made view-only goes back
/// to for sale when stock returns. Goes through the designation writer, so it
/// is versioned, audited (as shelfsync) and announced. `None` when nothing switches.
fn auto_switch(
    conn: &mut DbConnection,
    item: &Item,
    merchant_buffer: i64,
    levels: &[(LocationRow, i64)],
    catalog_version: i64,
) -> Result<Option<Item>> {
    if !item.auto_view_only || item.archived {
        return Ok(None);
    }
    let available = available_online(
        levels
            .iter()
            .filter(|(store, _)| store.fulfils_online)
            .map(|(_, on_hand)| *on_hand),
        online_buffer(item, merchant_buffer),
    );
    let in_a_store = levels.iter().any(|(_, on_hand)| *on_hand > 0);
    let change = match item.online() {
        OnlineListing::ForSale
            if available == 0 && !item.allow_backorder && in_a_store && item.in_store() =>
        {
            DesignationChange::VIEW_ONLINE_BUY_IN_STORE
        }
        OnlineListing::ViewOnly if item.auto_switched && available > 0 => {
            DesignationChange::SELL_ONLINE
        }
        _ => return Ok(None),
    };
    let switched = designate::switch_automatically(conn, item, change, catalog_version)?;
    log::info!(
        "merchant {} item {}: switched automatically to {} at catalog version {catalog_version}",
        item.merchant_id,
        item.id,
        switched.online().as_str()
    );
    Ok(Some(switched))
}

/// A correction of a store's stock made by a person in the dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Correction {
    /// Units delivered to the store.
    Receive(Quantity),
    /// A signed correction: breakage, loss, found stock.
    Adjust(Adjustment),
    /// What a physical count found; the level is set to it.
    Count(StockCount),
}

impl Correction {
    pub fn kind(self) -> MovementKind {
        match self {
            Correction::Receive(_) => MovementKind::Receipt,
            Correction::Adjust(_) => MovementKind::Adjustment,
            Correction::Count(_) => MovementKind::Count,
        }
    }

    fn fingerprint_part(self) -> String {
        match self {
            Correction::Receive(q) => format!("receive:{}", q.get()),
            Correction::Adjust(a) => format!("adjust:{}", a.get()),
            Correction::Count(c) => format!("count:{}", c.get()),
        }
    }
}

/// A stock correction with where, why, and the key that makes a resubmitted
/// form harmless.
#[derive(Debug, Clone)]
pub struct CorrectionRequest {
    pub item_id: i64,
    pub location_id: i64,
    pub correction: Correction,
    pub reason: Reason,
    pub key: IdempotencyKey,
}

/// A correction as recorded, and whether it was recorded by an earlier
/// submission with the same key (then nothing happened now).
#[derive(Debug, Clone)]
pub struct Corrected {
    pub movement: StockMovement,
    pub replayed: bool,
}

/// Receives, adjusts or counts one item's stock at one store, once per key.
///
/// An adjustment that would leave the level below zero is refused: that is
/// what a count is for.
pub fn correct(
    conn: &mut DbConnection,
    actor: &Actor,
    merchant_id: i64,
    request: &CorrectionRequest,
) -> Result<Corrected> {
    let fingerprint = Fingerprint::of_parts(&[
        "correction",
        &request.item_id.to_string(),
        &request.location_id.to_string(),
        &request.correction.fingerprint_part(),
        request.reason.as_str(),
    ]);
    let outcome = idempotency::once(
        conn,
        merchant_id,
        &request.key,
        &fingerprint,
        |conn| apply_correction(conn, actor, merchant_id, request),
        |movement| StoredResponse {
            status: 201,
            body: serde_json::to_string(movement).unwrap_or_default(),
        },
        |_| None,
    )?;
    match outcome {
        Outcome::Performed { value, .. } => Ok(Corrected {
            movement: value,
            replayed: false,
        }),
        Outcome::Replayed(response) => {
            let movement = serde_json::from_str(&response.body)
                .map_err(|e| InventoryError::Corrupt(format!("stored stock correction: {e}")))?;
            Ok(Corrected {
                movement,
                replayed: true,
            })
        }
        Outcome::Refused { error, .. } => Err(error),
    }
}

fn apply_correction(
    conn: &mut DbConnection,
    actor: &Actor,
    merchant_id: i64,
    request: &CorrectionRequest,
) -> Result<StockMovement> {
    let item = Item::find(conn, merchant_id, request.item_id)?;
    let location = Location::find(conn, merchant_id, request.location_id).map_err(|e| match e {
        InventoryError::NotFound(_) => {
            FieldError::new("location_id", "Choose one of your stores").into()
        }
        other => other,
    })?;
    let before = on_hand(conn, item.id, location.id)?;
    let delta = match request.correction {
        Correction::Receive(quantity) => quantity.get(),
        Correction::Adjust(adjustment) => {
            let after = before + adjustment.get();
            if after < 0 {
                return Err(FieldError::new(
                    "quantity",
                    format!(
                        "{} has {before} at {}; taking {} would leave {after}. Record a count instead.",
                        item.name,
                        location.name,
                        -adjustment.get()
                    ),
                )
                .into());
            }
            adjustment.get()
        }
        Correction::Count(counted) => counted.get() - before,
    };
    if (before + delta).abs() > MAX_QUANTITY * 10 {
        return Err(FieldError::new(
            "quantity",
            "That would take the level past what shelfsync can hold",
        )
        .into());
    }
    let reference = format!(
        "{}-{}",
        request.correction.kind().as_str(),
        request.key.as_str()
    );
    let mut ledger = Ledger::open(
        conn,
        merchant_id,
        actor,
        request.key.as_str(),
        &reference,
        None,
        &[&item],
    )?;
    let movement = ledger.apply(
        conn,
        &item,
        location.id,
        delta,
        Movement {
            kind: request.correction.kind(),
            reason: request.reason.as_str(),
        },
    )?;
    ledger.close(conn)?;
    log::info!(
        "merchant {merchant_id} item {}: {} {delta:+} at location {} by {}, now {}",
        item.id,
        movement.kind.as_str(),
        location.id,
        actor.as_str(),
        movement.on_hand_after
    );
    Ok(movement)
}

/// Receives `quantity` units at a store (the demo seed and tests); returns
/// the on-hand quantity after the receipt.
pub fn receive(
    conn: &mut DbConnection,
    actor: &Actor,
    merchant_id: i64,
    item_id: i64,
    location_id: i64,
    quantity: Quantity,
    key: IdempotencyKey,
) -> Result<i64> {
    let request = CorrectionRequest {
        item_id,
        location_id,
        correction: Correction::Receive(quantity),
        reason: Reason::parse("Received")?,
        key,
    };
    Ok(correct(conn, actor, merchant_id, &request)?
        .movement
        .on_hand_after)
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
}

/// Parses a buffer typed into a form: empty means "use the default".
pub fn parse_buffer(raw: &str, field: &'static str) -> Result<Option<i64>, FieldError> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    StockCount::parse(raw, field).map(|count| Some(count.get()))
}

/// Changes an item's online buffer, backorder and automatic-switch settings
/// if it is still at `expected_version`. Audited and announced like any
/// change a channel can see; may switch the item at once.
pub fn set_stock_settings(
    conn: &mut DbConnection,
    actor: &Actor,
    merchant_id: i64,
    item_id: i64,
    expected_version: i64,
    settings: StockSettings,
) -> Result<Item> {
    if let Some(buffer) = settings.online_buffer {
        StockCount::new(buffer, "online_buffer")?;
    }
    conn.write_transaction(|conn| {
        catalog::lock_merchant(conn, merchant_id)?;
        let before = Item::find(conn, merchant_id, item_id)?;
        if before.version != expected_version {
            return Err(InventoryError::Conflict {
                current: Box::new(before),
            });
        }
        let old = StockSettings::of(&before);
        if old == settings {
            return Ok(before);
        }
        let version = catalog::next_version(conn, merchant_id)?;
        let row = diesel::update(
            items::table
                .filter(items::id.eq(item_id))
                .filter(items::version.eq(expected_version)),
        )
        .set((
            items::online_buffer.eq(settings.online_buffer),
            items::allow_backorder.eq(settings.allow_backorder),
            items::auto_view_only.eq(settings.auto_view_only),
            items::version.eq(items::version + 1),
            items::updated_at.eq(now()),
        ))
        .returning(items::all_columns)
        .get_result(conn)?;
        let item = Item::from_row(row)?;
        let show_buffer =
            |buffer: Option<i64>| buffer.map_or("default".to_owned(), |b| b.to_string());
        for (field, old, new) in [
            (
                "online_buffer",
                show_buffer(old.online_buffer),
                show_buffer(settings.online_buffer),
            ),
            (
                "allow_backorder",
                old.allow_backorder.to_string(),
                settings.allow_backorder.to_string(),
            ),
            (
                "auto_view_only",
                old.auto_view_only.to_string(),
                settings.auto_view_only.to_string(),
            ),
        ] {
            if old != new {
                audit::record(conn, actor, &item, field, &old, &new, version)?;
            }
        }
        let default_buffer = merchant_buffer(conn, merchant_id)?;
        announce(conn, &item, default_buffer, version)?;
        Item::find(conn, merchant_id, item_id)
    })
}

/// Sets the merchant's default online buffer. Every for-sale item without
/// its own buffer shows a new availability, so each is stamped and announced.
pub fn set_merchant_online_buffer(
    conn: &mut DbConnection,
    merchant_id: i64,
    buffer: StockCount,
) -> Result<i64> {
    conn.write_transaction(|conn| {
        catalog::lock_merchant(conn, merchant_id)?;
        if merchant_buffer(conn, merchant_id)? == buffer.get() {
            return catalog::current_version(conn, merchant_id);
        }
        let version = catalog::next_version(conn, merchant_id)?;
        diesel::update(merchants::table.find(merchant_id))
            .set(merchants::online_buffer.eq(buffer.get()))
            .execute(conn)?;
        let affected = items::table
            .filter(items::merchant_id.eq(merchant_id))
            .filter(items::archived.eq(false))
            .filter(items::online_buffer.is_null())
            .filter(
                items::online
                    .eq(OnlineListing::ForSale.as_str())
                    .or(items::auto_switched.eq(true)),
            )
            .select(crate::db::models::ItemRow::as_select())
            .load(conn)?;
        for row in affected {
            let item = Item::from_row(row)?;
            announce(conn, &item, buffer.get(), version)?;
        }
        Ok(version)
    })
}

/// A stock level that differs from the sum of its movements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerMismatch {
    pub merchant_id: i64,
    pub item_id: i64,
    pub sku: String,
    pub location_id: i64,
    pub location_name: String,
    pub on_hand: i64,
    pub ledger_sum: i64,
}

/// Compares every stock level with the sum of its movements (and finds
/// movements whose level is missing); returns each difference.
pub fn verify_ledger(conn: &mut DbConnection) -> Result<Vec<LedgerMismatch>> {
    #[derive(QueryableByName)]
    struct Difference {
        #[diesel(sql_type = BigInt)]
        item_id: i64,
        #[diesel(sql_type = BigInt)]
        location_id: i64,
        #[diesel(sql_type = BigInt)]
        on_hand: i64,
        #[diesel(sql_type = BigInt)]
        ledger_sum: i64,
    }
    conn.read_transaction(|conn| {
        let differences: Vec<Difference> = diesel::sql_query(
            "SELECT item_id, location_id, on_hand, ledger_sum FROM ( \
                SELECT l.item_id AS item_id, l.location_id AS location_id, l.on_hand AS on_hand, \
                       CAST(COALESCE((SELECT SUM(m.quantity) FROM stock_movements m \
                                      WHERE m.item_id = l.item_id AND m.location_id = l.location_id), 0) \
                            AS BIGINT) AS ledger_sum \
                FROM stock_levels l \
                UNION ALL \
                SELECT m.item_id, m.location_id, CAST(0 AS BIGINT), CAST(SUM(m.quantity) AS BIGINT) \
                FROM stock_movements m \
                WHERE NOT EXISTS (SELECT 1 FROM stock_levels l \
                                  WHERE l.item_id = m.item_id AND l.location_id = m.location_id) \
                GROUP BY m.item_id, m.location_id \
             ) AS levels WHERE on_hand <> ledger_sum ORDER BY item_id, location_id",
        )
        .load(conn)?;
        let mut mismatches = Vec::with_capacity(differences.len());
        for difference in differences {
            let (merchant_id, sku): (i64, String) = items::table
                .find(difference.item_id)
                .select((items::merchant_id, items::sku))
                .first(conn)?;
            let location_name: String = locations::table
                .find(difference.location_id)
                .select(locations::name)
                .first(conn)?;
            mismatches.push(LedgerMismatch {
                merchant_id,
                item_id: difference.item_id,
                sku,
                location_id: difference.location_id,
                location_name,
                on_hand: difference.on_hand,
                ledger_sum: difference.ledger_sum,
            });
        }
        Ok(mismatches)
    })
}
