//! The item writer: the one place an item row is written. Fields,
//! designations, archive and restore, stock settings, and the availability
//! change a stock movement causes all go through `ItemWriter::write`, which
//! does in one place what every such change needs: the version check, the
//! rules, the catalog version bump, an audit entry per changed value and the
//! outbox event(s). `change_item` (in `change`) wraps it in a transaction for
//! one item; bulk designations and the stock ledger drive the same writer
//! inside theirs.
//! A store change stamps the items that show it through `stores_changed`.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use self::batch::{Held, insert_returning};
use super::change::ItemChange;
use super::{Item, ItemFields, StockSettings};
use crate::db::models::{ItemFieldsChangeset, ItemRow, NewItemRow};
use crate::db::schema::items;
use crate::db::{DbConnection, ROWS_PER_INSERT};
use crate::domain::{
    Barcode, Designation, DesignationChange, DesignationRuleError, FieldError, OnlineListing, Sku,
    automatic_listing, available_online, online_buffer,
};
use crate::inventory::audit::{self, AuditField};
use crate::inventory::{Actor, InventoryError, Result, catalog, lists, now, outbox};

mod batch;

/// The item writes of one transaction. It holds the merchant lock, bumps the
/// catalog version once, on the first real change, and writes every change
/// at that version.
pub(in crate::inventory) struct ItemWriter<'a> {
    actor: &'a Actor,
    merchant_id: i64,
    catalog_version: Option<i64>,
    merchant_buffer: Option<i64>,
    /// The merchant's default for new items' automatic sold-out switch,
    /// read once per transaction.
    auto_view_only_default: Option<bool>,
    /// A batch write's held rows and stock (`begin_batch`); `None` writes
    /// each row as it goes.
    held: Option<Held>,
}

/// What one change will write, after the rules; `None` leaves a part alone.
#[derive(Debug, Default)]
struct Plan {
    fields: Option<ItemFields>,
    designation: Option<Designation>,
    /// The designation is shelfsync's automatic switch, not a person's choice.
    automatic: bool,
    archived: Option<bool>,
    settings: Option<StockSettings>,
    /// Stock moved: the item's availability may differ; stamp and announce it.
    stock_moved: bool,
}

impl Plan {
    /// Whether the item's own values change (and so its version).
    fn changes_item(&self) -> bool {
        self.fields.is_some()
            || self.designation.is_some()
            || self.archived.is_some()
            || self.settings.is_some()
    }

    /// Whether a stock figure a channel shows may change.
    fn touches_stock(&self) -> bool {
        self.stock_moved || self.settings.is_some()
    }
}

impl<'a> ItemWriter<'a> {
    /// Takes the merchant lock for the rest of the transaction.
    pub(in crate::inventory) fn begin(
        conn: &mut DbConnection,
        actor: &'a Actor,
        merchant_id: i64,
    ) -> Result<ItemWriter<'a>> {
        catalog::lock_merchant(conn, merchant_id)?;
        Ok(ItemWriter {
            actor,
            merchant_id,
            catalog_version: None,
            merchant_buffer: None,
            auto_view_only_default: None,
            held: None,
        })
    }

    /// For a request that holds the merchant lock and has bumped the catalog
    /// version already (the stock ledger, whose movements carry it).
    pub(in crate::inventory) fn at_version(
        actor: &'a Actor,
        merchant_id: i64,
        catalog_version: i64,
        merchant_buffer: i64,
    ) -> ItemWriter<'a> {
        ItemWriter {
            actor,
            merchant_id,
            catalog_version: Some(catalog_version),
            merchant_buffer: Some(merchant_buffer),
            auto_view_only_default: None,
            held: None,
        }
    }

    /// Loads an item of this merchant that the caller saw at `expected_version`;
    /// Conflict, carrying the item as it is, if it has moved on since.
    pub(in crate::inventory) fn load(
        &self,
        conn: &mut DbConnection,
        item_id: i64,
        expected_version: i64,
    ) -> Result<Item> {
        let held = self.held.as_ref().and_then(|held| held.rows.get(&item_id));
        let item = match held {
            Some(item) => item.clone(),
            None => Item::find(conn, self.merchant_id, item_id)?,
        };
        seen_at(item, expected_version)
    }

    /// `load` for an item this transaction read after `begin`, under the
    /// merchant lock (an import's plan reads every item once): checked
    /// against the version the person saw, without reading it again.
    pub(in crate::inventory) fn read_already(
        &self,
        item: Item,
        expected_version: i64,
    ) -> Result<Item> {
        let held = self.held.as_ref().and_then(|held| held.rows.get(&item.id));
        seen_at(held.cloned().unwrap_or(item), expected_version)
    }

    pub(in crate::inventory) fn actor(&self) -> &'a Actor {
        self.actor
    }

    pub(in crate::inventory) fn merchant_id(&self) -> i64 {
        self.merchant_id
    }

    /// The catalog version the writes of this transaction carry (or the
    /// current one, if nothing was written).
    pub(in crate::inventory) fn catalog_version(&self, conn: &mut DbConnection) -> Result<i64> {
        match self.catalog_version {
            Some(version) => Ok(version),
            None => catalog::current_version(conn, self.merchant_id),
        }
    }

    /// The catalog version of this transaction's writes, bumped on first use.
    pub(in crate::inventory) fn bump(&mut self, conn: &mut DbConnection) -> Result<i64> {
        if let Some(version) = self.catalog_version {
            return Ok(version);
        }
        let version = catalog::next_version(conn, self.merchant_id)?;
        self.catalog_version = Some(version);
        Ok(version)
    }

    fn merchant_buffer(&mut self, conn: &mut DbConnection) -> Result<i64> {
        if let Some(buffer) = self.merchant_buffer {
            return Ok(buffer);
        }
        let buffer = catalog::merchant_buffer(conn, self.merchant_id)?;
        self.merchant_buffer = Some(buffer);
        Ok(buffer)
    }

    /// Applies a person's change to `item` (loaded through `load`): checks
    /// the rules, writes it, and returns the item as it now is, or `None`
    /// when the item already had every asked-for value.
    pub(in crate::inventory) fn apply(
        &mut self,
        conn: &mut DbConnection,
        item: &Item,
        change: &ItemChange,
    ) -> Result<Option<Item>> {
        let plan = self.plan(conn, item, change)?;
        self.write(conn, item, plan)
    }

    /// Stamps an item whose stock moved with this transaction's catalog
    /// version, applies the automatic switch if the merchant opted in, and
    /// announces the new availability (and the new listing, if it switched).
    pub(in crate::inventory) fn stock_moved(
        &mut self,
        conn: &mut DbConnection,
        item: &Item,
    ) -> Result<Item> {
        let plan = Plan {
            stock_moved: true,
            ..Plan::default()
        };
        Ok(self
            .write(conn, item, plan)?
            .unwrap_or_else(|| item.clone()))
    }

    /// A store was added or changed: every active in-store item's records
    /// show the merchant's stores, so each is stamped with this transaction's
    /// catalog version (the delta feed then carries it). One statement; the
    /// caller writes the one `location.changed` event. Returns the version.
    pub(in crate::inventory) fn stores_changed(&mut self, conn: &mut DbConnection) -> Result<i64> {
        let catalog_version = self.bump(conn)?;
        diesel::update(
            items::table
                .filter(items::merchant_id.eq(self.merchant_id))
                .filter(items::archived.eq(false))
                .filter(items::in_store.eq(true)),
        )
        .set(items::changed_version.eq(catalog_version))
        .execute(conn)?;
        Ok(catalog_version)
    }

    /// The rules: what `change` may write to `item`, without the parts that
    /// would not change anything.
    fn plan(&mut self, conn: &mut DbConnection, item: &Item, change: &ItemChange) -> Result<Plan> {
        let refuse = |rule: DesignationRuleError| InventoryError::Rule {
            item: Box::new(item.clone()),
            rule,
        };
        let mut plan = Plan::default();
        match change {
            ItemChange::Update(update) => {
                if item.archived && !update.designation.is_empty() {
                    return Err(refuse(DesignationRuleError::Archived));
                }
                let designation = update
                    .designation
                    .apply_to(item.designation)
                    .map_err(refuse)?;
                plan.designation = Some(designation).filter(|next| *next != item.designation);
                if !update.fields.is_empty() {
                    let fields = update.fields.applied_to(item)?;
                    // An item's own SKU is unique already.
                    if fields.sku.as_str() != item.sku {
                        self.check_sku(conn, &fields.sku, Some(item.id))?;
                    }
                    plan.fields = Some(fields).filter(|fields| !fields.same_as(item));
                }
            }
            ItemChange::Archive(archived) => {
                plan.archived = Some(*archived).filter(|archived| *archived != item.archived);
            }
            ItemChange::StockSettings(settings) => {
                plan.settings =
                    Some(settings.check()?).filter(|settings| *settings != StockSettings::of(item));
            }
        }
        Ok(plan)
    }

    /// Creates an item with its initial designations at this transaction's
    /// catalog version, audited and announced.
    pub(in crate::inventory) fn create(
        &mut self,
        conn: &mut DbConnection,
        fields: &ItemFields,
        designation: Designation,
    ) -> Result<Item> {
        self.create_many(conn, &[(fields, designation)])?
            .into_iter()
            .next()
            .ok_or(InventoryError::NotFound("item"))
    }

    /// `create` for many items: their SKUs checked and their rows inserted a
    /// few hundred per statement. Returns them in the order given.
    pub(in crate::inventory) fn create_many(
        &mut self,
        conn: &mut DbConnection,
        new: &[(&ItemFields, Designation)],
    ) -> Result<Vec<Item>> {
        let version = self.bump(conn)?;
        let auto_view_only = self.auto_view_only_default(conn)?;
        let at = now();
        let mut created = Vec::with_capacity(new.len());
        // Larger than other batches' statements: SQLite's search index
        // writes out what it gathered at the end of every statement.
        let rows_per_statement = 4 * ROWS_PER_INSERT;
        for chunk in new.chunks(rows_per_statement) {
            let skus: Vec<&str> = chunk
                .iter()
                .map(|(fields, _)| fields.sku.as_str())
                .collect();
            let taken: Option<String> = items::table
                .filter(items::merchant_id.eq(self.merchant_id))
                .filter(items::sku.eq_any(&skus))
                .select(items::sku)
                .first(conn)
                .optional()?;
            if let Some(sku) = taken {
                return Err(sku_taken(&sku));
            }
            let rows: Vec<NewItemRow<'_>> = chunk
                .iter()
                .map(|(fields, designation)| NewItemRow {
                    merchant_id: self.merchant_id,
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
                    auto_view_only,
                })
                .collect();
            let mut inserted: HashMap<String, ItemRow> =
                insert_returning(conn, &rows, rows_per_statement)?
                    .into_iter()
                    .map(|row| (row.sku.clone(), row))
                    .collect();
            for sku in skus {
                let row = inserted
                    .remove(sku)
                    .ok_or(InventoryError::NotFound("item"))?;
                let item = Item::from_row(row)?;
                let actor = self.actor;
                self.audit(
                    conn,
                    actor,
                    &item,
                    AuditField::Created,
                    "",
                    &item.name,
                    version,
                )?;
                self.announce_new(conn, &item, version)?;
                created.push(item);
            }
            self.hold_at_most(conn)?;
        }
        Ok(created)
    }

    /// The merchant's default for new items' automatic sold-out switch.
    fn auto_view_only_default(&mut self, conn: &mut DbConnection) -> Result<bool> {
        if let Some(default) = self.auto_view_only_default {
            return Ok(default);
        }
        let default: bool = crate::db::schema::merchants::table
            .find(self.merchant_id)
            .select(crate::db::schema::merchants::auto_view_only_default)
            .first(conn)?;
        self.auto_view_only_default = Some(default);
        Ok(default)
    }

    /// A SKU is unique within the merchant.
    pub(in crate::inventory) fn check_sku(
        &self,
        conn: &mut DbConnection,
        sku: &Sku,
        except_item: Option<i64>,
    ) -> Result<()> {
        let mut query = items::table
            .filter(items::merchant_id.eq(self.merchant_id))
            .filter(items::sku.eq(sku.as_str()))
            .select(items::id)
            .into_boxed();
        if let Some(id) = except_item {
            query = query.filter(items::id.ne(id));
        }
        if query.first::<i64>(conn).optional()?.is_some() {
            return Err(sku_taken(sku.as_str()));
        }
        Ok(())
    }

    /// Writes a planned change: the automatic switch if the stock now calls
    /// for it, the row (its version goes up by one however much changed; a
    /// stock movement alone only stamps it), an audit entry per changed value,
    /// and the outbox event(s).
    fn write(
        &mut self,
        conn: &mut DbConnection,
        before: &Item,
        mut plan: Plan,
    ) -> Result<Option<Item>> {
        let stock = if plan.touches_stock() {
            let levels = match &self.held {
                Some(held) => held.stock.levels_of(before.id),
                None => lists::item_levels(conn, self.merchant_id, before.id)?,
            };
            let merchant_buffer = self.merchant_buffer(conn)?;
            if plan.designation.is_none() {
                plan.designation = automatic_switch(before, &plan, &levels, merchant_buffer)?;
                plan.automatic = plan.designation.is_some();
            }
            Some((levels, merchant_buffer))
        } else {
            None
        };
        if !plan.changes_item() && !plan.stock_moved {
            return Ok(None);
        }
        let catalog_version = self.bump(conn)?;
        let item = if plan.changes_item() {
            let item = plan.applied_to(before, catalog_version, now());
            match &mut self.held {
                Some(held) => {
                    held.rows.insert(item.id, item.clone());
                }
                None => update_row(conn, before, &plan, &item)?,
            }
            for (field, old, new) in changed_values(before, &item) {
                let system = Actor::system();
                let actor = if plan.automatic && field.is_designation() {
                    &system
                } else {
                    self.actor
                };
                self.audit(conn, actor, &item, field, &old, &new, catalog_version)?;
            }
            item
        } else {
            // Only the stock moved: the item's values and version stay; the
            // stamp puts it in the next delta.
            let item = Item {
                changed_version: catalog_version,
                ..before.clone()
            };
            match &mut self.held {
                // Stamped already in this transaction (created or changed
                // in it): nothing to write.
                _ if before.changed_version == catalog_version => {}
                // Changed earlier in this batch: its held row carries the stamp.
                Some(held) => match held.rows.get_mut(&item.id) {
                    Some(row) => row.changed_version = catalog_version,
                    None => held.stamped.push(item.id),
                },
                None => stamp_row(conn, before, catalog_version)?,
            }
            item
        };
        if plan.automatic {
            log::info!(
                "merchant {} item {}: switched automatically to {} at catalog version {catalog_version}",
                item.merchant_id,
                item.id,
                item.online().as_str()
            );
        }
        if plan.fields.is_some() || plan.designation.is_some() || plan.archived.is_some() {
            self.announce_change(conn, &item, catalog_version)?;
        }
        if let Some((levels, merchant_buffer)) = stock {
            let on_hand: Vec<(i64, i64)> = levels
                .iter()
                .map(|level| (level.store.id, level.on_hand))
                .collect();
            let record = || lists::online_record_from(&item, &levels, merchant_buffer);
            match &mut self.held {
                // Created in this batch: its one listing event, at `finish`,
                // carries this stock; back-office endpoints hear of the counts.
                Some(held) if held.created_index.contains_key(&item.id) => {
                    held.events
                        .push(outbox::stock_detail_event(&item, catalog_version, &on_hand));
                    let at = held.created_index[&item.id];
                    held.created[at] = item.clone();
                }
                Some(held) => held.events.extend(outbox::stock_changed_events(
                    &item,
                    catalog_version,
                    &record(),
                    &on_hand,
                )),
                None => outbox::stock_changed(conn, &item, catalog_version, &record(), &on_hand)?,
            }
        }
        self.hold_at_most(conn)?;
        Ok(Some(item))
    }

    /// An audit entry about the item: written now, or held by a batch.
    #[allow(clippy::too_many_arguments)]
    fn audit(
        &mut self,
        conn: &mut DbConnection,
        actor: &Actor,
        item: &Item,
        field: AuditField,
        old: &str,
        new: &str,
        catalog_version: i64,
    ) -> Result<()> {
        match &mut self.held {
            Some(held) => {
                let entry = audit::HeldEntry::new(actor, item, field, old, new, catalog_version);
                held.entries.push(entry);
                Ok(())
            }
            None => audit::record(conn, actor, item, field, old, new, catalog_version),
        }
    }

    /// A new item's `item.listing_changed` event: written now, or, in a
    /// batch, written at `finish` with the item as the batch leaves it.
    fn announce_new(
        &mut self,
        conn: &mut DbConnection,
        item: &Item,
        catalog_version: i64,
    ) -> Result<()> {
        match &mut self.held {
            Some(held) => {
                held.created_index.insert(item.id, held.created.len());
                held.created.push(item.clone());
                Ok(())
            }
            None => outbox::item_changed(conn, item, catalog_version),
        }
    }

    /// The item's `item.listing_changed` event: written now, or held by a
    /// batch with its record built from the batch's stock.
    fn announce_change(
        &mut self,
        conn: &mut DbConnection,
        item: &Item,
        catalog_version: i64,
    ) -> Result<()> {
        match &mut self.held {
            // Created in this batch: announced once, as it ends up, at `finish`.
            Some(held) if held.created_index.contains_key(&item.id) => {
                let at = held.created_index[&item.id];
                held.created[at] = item.clone();
                Ok(())
            }
            Some(held) => {
                let record = held.stock.record_of(item);
                let event = outbox::item_changed_event(item, catalog_version, &record);
                held.events.push(event);
                Ok(())
            }
            None => outbox::item_changed(conn, item, catalog_version),
        }
    }
}

impl Plan {
    /// The item as this plan leaves it at `catalog_version`: its version goes
    /// up by one however much changed.
    fn applied_to(&self, before: &Item, catalog_version: i64, at: NaiveDateTime) -> Item {
        let mut next = before.clone();
        if let Some(fields) = &self.fields {
            next.sku = fields.sku.as_str().to_owned();
            next.name = fields.name.as_str().to_owned();
            next.description = fields.description.as_str().to_owned();
            next.price = fields.price;
            next.barcode = fields.barcode.as_ref().map(|b| b.as_str().to_owned());
        }
        if let Some(designation) = self.designation {
            next.designation = designation;
            // Only the switch's own view-only may be switched back.
            next.auto_switched = self.automatic && designation.online() == OnlineListing::ViewOnly;
        }
        if let Some(archived) = self.archived {
            next.archived = archived;
        }
        if let Some(settings) = self.settings {
            next.online_buffer = settings.online_buffer;
            next.allow_backorder = settings.allow_backorder;
            next.auto_view_only = settings.auto_view_only;
        }
        next.version = before.version + 1;
        next.updated_at = at;
        next.changed_version = catalog_version;
        next
    }
}

/// Writes a planned change as one row update of the parts the plan changes,
/// only if the row is still at the version the plan was made against.
fn update_row(conn: &mut DbConnection, before: &Item, plan: &Plan, next: &Item) -> Result<()> {
    let updated = diesel::update(
        items::table
            .filter(items::id.eq(before.id))
            .filter(items::version.eq(before.version)),
    )
    .set((
        plan.fields.as_ref().map(|_| ItemFieldsChangeset {
            sku: &next.sku,
            name: &next.name,
            description: &next.description,
            price_minor: next.price.amount_minor,
            currency: next.price.currency.as_str(),
            barcode: next.barcode.as_deref(),
        }),
        plan.designation.map(|_| {
            (
                items::in_store.eq(next.in_store()),
                items::online.eq(next.online().as_str()),
                items::auto_switched.eq(next.auto_switched),
            )
        }),
        plan.archived.map(|_| items::archived.eq(next.archived)),
        plan.settings.map(|_| {
            (
                items::online_buffer.eq(next.online_buffer),
                items::allow_backorder.eq(next.allow_backorder),
                items::auto_view_only.eq(next.auto_view_only),
            )
        }),
        items::version.eq(next.version),
        items::updated_at.eq(next.updated_at),
        items::changed_version.eq(next.changed_version),
    ))
    .execute(conn)?;
    // The merchant lock makes a miss unreachable in practice; never overwrite blindly.
    if updated != 1 {
        return Err(InventoryError::Conflict {
            current: Box::new(before.clone()),
        });
    }
    Ok(())
}

/// Stamps an item whose stock alone moved with `catalog_version`, only if the
/// row is still as `before` was read. A sale reads its items before it takes
/// the merchant lock (`idempotency::LockAt::FirstWrite`); if one changed in
/// between, its announcement would carry stale values, so the sale is
/// refused with Conflict and tried again from the start.
fn stamp_row(conn: &mut DbConnection, before: &Item, catalog_version: i64) -> Result<()> {
    let updated = diesel::update(
        items::table
            .filter(items::id.eq(before.id))
            .filter(items::version.eq(before.version)),
    )
    .set(items::changed_version.eq(catalog_version))
    .execute(conn)?;
    if updated != 1 {
        return Err(InventoryError::Conflict {
            current: Box::new(before.clone()),
        });
    }
    Ok(())
}

/// An item loaded for a change seen at `expected_version`; Conflict, carrying
/// the item as it is, if it has moved on since.
fn seen_at(item: Item, expected_version: i64) -> Result<Item> {
    if item.version != expected_version {
        return Err(InventoryError::Conflict {
            current: Box::new(item),
        });
    }
    Ok(item)
}

fn sku_taken(sku: &str) -> InventoryError {
    FieldError::new("sku", format!("SKU {sku} is already used by another item")).into()
}

/// The automatic switch for an item whose stock or stock settings change,
/// judged with the settings the plan writes.
fn automatic_switch(
    item: &Item,
    plan: &Plan,
    levels: &[lists::StoreLevel],
    merchant_buffer: i64,
) -> Result<Option<Designation>> {
    let settings = plan.settings.unwrap_or_else(|| StockSettings::of(item));
    if !settings.auto_view_only || item.archived {
        return Ok(None);
    }
    let available = available_online(
        levels
            .iter()
            .filter(|level| level.store.fulfils_online)
            .map(lists::StoreLevel::available),
        online_buffer(settings.online_buffer, merchant_buffer),
    );
    let in_a_store = levels.iter().any(|level| level.available() > 0);
    let Some(online) = automatic_listing(
        item.designation,
        item.auto_switched,
        settings.allow_backorder,
        available,
        in_a_store,
    ) else {
        return Ok(None);
    };
    let change = DesignationChange {
        in_store: None,
        online: Some(online),
    };
    change
        .apply_to(item.designation)
        .map(Some)
        .map_err(|rule| InventoryError::Rule {
            item: Box::new(item.clone()),
            rule,
        })
}

/// Every audited value of an item, as the audit log shows it.
fn audited_values(item: &Item) -> [(AuditField, String); 11] {
    let buffer = item
        .online_buffer
        .map_or("default".to_owned(), |b| b.to_string());
    [
        (AuditField::Sku, item.sku.clone()),
        (AuditField::Name, item.name.clone()),
        (AuditField::Description, item.description.clone()),
        (AuditField::Price, item.price.to_string()),
        (
            AuditField::Barcode,
            item.barcode.clone().unwrap_or_default(),
        ),
        (AuditField::InStore, item.in_store().to_string()),
        (AuditField::Online, item.online().as_str().to_owned()),
        (
            AuditField::Status,
            if item.archived { "archived" } else { "active" }.to_owned(),
        ),
        (AuditField::OnlineBuffer, buffer),
        (AuditField::AllowBackorder, item.allow_backorder.to_string()),
        (AuditField::AutoViewOnly, item.auto_view_only.to_string()),
    ]
}

/// The (field, old, new) triples that differ between two states of an item.
fn changed_values(before: &Item, after: &Item) -> Vec<(AuditField, String, String)> {
    audited_values(before)
        .into_iter()
        .zip(audited_values(after))
        .filter(|((_, old), (_, new))| old != new)
        .map(|((field, old), (_, new))| (field, old, new))
        .collect()
}
