//! Applying an import: the whole file in one transaction, or nothing. The
//! plan is worked out again under the merchant lock, so it is judged against
//! exactly what it writes; when the caller previewed it, a plan that differs
//! from the preview (someone's edit, a sale) is refused, never applied.

use std::collections::HashMap;

use diesel::prelude::*;

use super::preview::{Count, ImportOptions, Planned, Preview, plan_import};
use crate::db::DbConnection;
use crate::db::schema::catalog_imports;
use crate::domain::DesignationChange;
use crate::inventory::items::{FieldEdits, ItemChange, ItemUpdate, ItemWriter, StockSettings};
use crate::inventory::stock::{counts_key, record_counts};
use crate::inventory::{Actor, Item, Result, now};

/// Rows written between two reports of progress.
const ROWS_PER_PROGRESS: usize = 1_000;

/// How an apply ended.
#[derive(Debug)]
pub enum ApplyOutcome {
    /// Every row was applied.
    Applied(Applied),
    /// The file changes nothing; nothing was written or recorded.
    Unchanged(Preview),
    /// The file has problems; nothing was changed.
    Refused(Preview),
    /// The catalogue moved since the preview; nothing was changed. Carries
    /// the plan as it would be now.
    Stale(Preview),
}

/// What an applied import did.
#[derive(Debug, Clone)]
pub struct Applied {
    pub import_id: i64,
    pub new: usize,
    pub changed: usize,
    pub unchanged: usize,
    pub archived: usize,
    /// The one catalog version its changes, stock counts and events carry.
    pub catalog_version: i64,
}

/// What an apply tells its caller while it runs.
pub trait ApplyProgress {
    /// The plan, made under the merchant lock, before anything is written
    /// and before it is refused for its problems (the command line prints
    /// it here rather than planning twice).
    fn planned(&mut self, _plan: &Preview) {}

    /// Rows written so far, of all the rows that change something.
    fn applied(&mut self, _done: usize, _total: usize) {}
}

/// No one listening.
impl ApplyProgress for () {}

/// Applies a file: every row or none. `previewed` is the fingerprint of the
/// preview the person saw (`None` to apply whatever the file says now, as
/// the command line does).
#[allow(clippy::too_many_arguments)]
pub fn apply(
    conn: &mut DbConnection,
    actor: &Actor,
    merchant_id: i64,
    file_name: &str,
    bytes: &[u8],
    options: &ImportOptions,
    previewed: Option<&str>,
    progress: &mut dyn ApplyProgress,
) -> Result<ApplyOutcome> {
    // Every change names the person and the import, as one actor.
    let acting = actor.doing(&format!("import of {file_name}"));
    conn.write_transaction(|conn| {
        let mut writer = ItemWriter::begin_batch(conn, &acting, merchant_id)?;
        let (plan, mut read) = plan_import(conn, merchant_id, bytes, options)?;
        progress.planned(&plan);
        if !plan.problems.is_empty() {
            return Ok(ApplyOutcome::Refused(plan));
        }
        if previewed.is_some_and(|seen| seen != plan.fingerprint()) {
            return Ok(ApplyOutcome::Stale(plan));
        }
        if !plan.changes_anything() {
            return Ok(ApplyOutcome::Unchanged(plan));
        }
        let total = plan.new.len() + plan.changed.len() + plan.archived.len();
        let mut done = 0;
        // The stock columns are recorded part by part, inside the batch and at
        // its catalog version, under one reference: a new item is then
        // announced once, with its stock, as soon as its part is written.
        let reason = format!("import of {file_name}");
        let key = counts_key("import");
        for part in plan.new.chunks(ROWS_PER_PROGRESS) {
            let new: Vec<_> = part
                .iter()
                .map(|planned| (&planned.fields, planned.designation))
                .collect();
            let created = writer.create_many(conn, &new)?;
            let mut counted: Vec<(Item, &[Count])> = Vec::new();
            for (item, planned) in created.into_iter().zip(part) {
                let item = settle(conn, &mut writer, item, planned)?;
                if !planned.counts.is_empty() {
                    counted.push((item, &planned.counts));
                }
            }
            record_counts(conn, &mut writer, &key, &reason, &counted)?;
            writer.announce_created(conn)?;
            done += part.len();
            progress.applied(done, total);
        }
        for part in plan.changed.chunks(ROWS_PER_PROGRESS) {
            let mut counted: Vec<(Item, &[Count])> = Vec::new();
            for planned in part {
                let seen = planned.existing.unwrap_or_default();
                let item = item_seen(conn, &writer, &mut read, planned.sku(), seen)?;
                let item = update(conn, &mut writer, item, planned)?;
                if !planned.counts.is_empty() {
                    counted.push((item, &planned.counts));
                }
            }
            record_counts(conn, &mut writer, &key, &reason, &counted)?;
            done += part.len();
            progress.applied(done, total);
        }
        for part in plan.archived.chunks(ROWS_PER_PROGRESS) {
            for missing in part {
                let seen = (missing.id, missing.version);
                let item = item_seen(conn, &writer, &mut read, &missing.sku, seen)?;
                writer.apply(conn, &item, &ItemChange::Archive(true))?;
            }
            done += part.len();
            progress.applied(done, total);
        }
        let catalog_version = writer.catalog_version(conn)?;
        writer.finish(conn)?;
        let import_id = diesel::insert_into(catalog_imports::table)
            .values((
                catalog_imports::merchant_id.eq(merchant_id),
                catalog_imports::actor.eq(actor.as_str()),
                catalog_imports::actor_email.eq(actor.email()),
                catalog_imports::file_name.eq(file_name),
                catalog_imports::new_items.eq(plan.new.len() as i64),
                catalog_imports::changed_items.eq(plan.changed.len() as i64),
                catalog_imports::unchanged_items.eq(plan.unchanged as i64),
                catalog_imports::archived_items.eq(plan.archived.len() as i64),
                catalog_imports::catalog_version.eq(catalog_version),
                catalog_imports::created_at.eq(now()),
            ))
            .returning(catalog_imports::id)
            .get_result(conn)?;
        log::info!(
            "merchant {merchant_id}: import {import_id} of {file_name} by {}: {} new, {} changed, {} archived",
            actor.as_str(),
            plan.new.len(),
            plan.changed.len(),
            plan.archived.len()
        );
        Ok(ApplyOutcome::Applied(Applied {
            import_id,
            new: plan.new.len(),
            changed: plan.changed.len(),
            unchanged: plan.unchanged,
            archived: plan.archived.len(),
            catalog_version,
        }))
    })
}

/// An item as the plan read it (in this transaction, under the merchant
/// lock), checked against the version the preview showed.
fn item_seen(
    conn: &mut DbConnection,
    writer: &ItemWriter<'_>,
    read: &mut HashMap<String, Item>,
    sku: &str,
    (id, version): (i64, i64),
) -> Result<Item> {
    match read.remove(sku) {
        Some(item) => writer.read_already(item, version),
        None => writer.load(conn, id, version),
    }
}

/// A new item's stock settings and archived flag, when the file sets them.
fn settle(
    conn: &mut DbConnection,
    writer: &mut ItemWriter<'_>,
    item: Item,
    planned: &Planned,
) -> Result<Item> {
    let mut item = item;
    let settings = StockSettings {
        auto_view_only: item.auto_view_only,
        ..planned.settings
    };
    if settings != StockSettings::of(&item) {
        item = written(
            writer.apply(conn, &item, &ItemChange::StockSettings(settings))?,
            item,
        );
    }
    if planned.archived {
        item = written(writer.apply(conn, &item, &ItemChange::Archive(true))?, item);
    }
    Ok(item)
}

/// An existing item set to a row's values: restored first if the row
/// restores it, archived last if it archives it (an archived item's
/// designations can't change).
fn update(
    conn: &mut DbConnection,
    writer: &mut ItemWriter<'_>,
    item: Item,
    planned: &Planned,
) -> Result<Item> {
    let mut item = item;
    if item.archived && !planned.archived {
        item = written(
            writer.apply(conn, &item, &ItemChange::Archive(false))?,
            item,
        );
    }
    let fields = &planned.fields;
    let change = ItemChange::Update(ItemUpdate {
        fields: FieldEdits {
            sku: Some(fields.sku.clone()),
            name: Some(fields.name.clone()),
            description: Some(fields.description.clone()),
            price: Some(fields.price),
            barcode: Some(fields.barcode.clone()),
        },
        designation: if item.archived {
            DesignationChange::default()
        } else {
            DesignationChange {
                in_store: Some(planned.designation.in_store()),
                online: Some(planned.designation.online()),
            }
        },
    });
    item = written(writer.apply(conn, &item, &change)?, item);
    let settings = StockSettings {
        auto_view_only: item.auto_view_only,
        ..planned.settings
    };
    if settings != StockSettings::of(&item) {
        item = written(
            writer.apply(conn, &item, &ItemChange::StockSettings(settings))?,
            item,
        );
    }
    if planned.archived && !item.archived {
        item = written(writer.apply(conn, &item, &ItemChange::Archive(true))?, item);
    }
    Ok(item)
}

fn written(after: Option<Item>, before: Item) -> Item {
    after.unwrap_or(before)
}
