//! Applying an import: the whole file in one transaction, or nothing. The
//! plan is worked out again under the merchant lock, so it is judged against
//! exactly what it writes; when the caller previewed it, a plan that differs
//! from the preview (someone's edit, a sale) is refused, never applied.

use diesel::prelude::*;

use super::preview::{Count, ImportOptions, Planned, Preview, plan_import};
use crate::db::DbConnection;
use crate::db::schema::catalog_imports;
use crate::domain::DesignationChange;
use crate::inventory::items::{FieldEdits, ItemChange, ItemUpdate, ItemWriter, StockSettings};
use crate::inventory::stock::record_counts;
use crate::inventory::{Actor, Item, Result, now};

/// How an apply ended.
#[derive(Debug)]
pub enum ApplyOutcome {
    /// Every row was applied.
    Applied(Applied),
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
    /// The catalog version its changes carry (the last, when stock moved too).
    pub catalog_version: i64,
}

/// Applies a file: every row or none. `previewed` is the fingerprint of the
/// preview the person saw (`None` to apply whatever the file says now, as
/// the command line does). `progress` hears (rows done, rows in all).
#[allow(clippy::too_many_arguments)]
pub fn apply(
    conn: &mut DbConnection,
    actor: &Actor,
    merchant_id: i64,
    file_name: &str,
    bytes: &[u8],
    options: &ImportOptions,
    previewed: Option<&str>,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<ApplyOutcome> {
    // Every change names the person and the import, as one actor.
    let acting = actor.doing(&format!("import of {file_name}"));
    conn.write_transaction(|conn| {
        let mut writer = ItemWriter::begin(conn, &acting, merchant_id)?;
        let plan = plan_import(conn, merchant_id, bytes, options)?;
        if !plan.problems.is_empty() {
            return Ok(ApplyOutcome::Refused(plan));
        }
        if previewed.is_some_and(|seen| seen != plan.fingerprint()) {
            return Ok(ApplyOutcome::Stale(plan));
        }
        let total = plan.new.len() + plan.changed.len() + plan.archived.len();
        let mut done = 0;
        let mut counted: Vec<(Item, &[Count])> = Vec::new();
        for planned in &plan.new {
            let mut item = writer.create(conn, &planned.fields, planned.designation)?;
            item = settle(conn, &mut writer, item, planned)?;
            if !planned.counts.is_empty() {
                counted.push((item, &planned.counts));
            }
            done += 1;
            progress(done, total);
        }
        for planned in &plan.changed {
            let (id, version) = planned.existing.unwrap_or_default();
            let item = writer.load(conn, id, version)?;
            let item = update(conn, &mut writer, item, planned)?;
            if !planned.counts.is_empty() {
                counted.push((item, &planned.counts));
            }
            done += 1;
            progress(done, total);
        }
        for missing in &plan.archived {
            let item = writer.load(conn, missing.id, missing.version)?;
            writer.apply(conn, &item, &ItemChange::Archive(true))?;
            done += 1;
            progress(done, total);
        }
        let mut catalog_version = writer.catalog_version(conn)?;
        if !counted.is_empty() {
            let reason = format!("import of {file_name}");
            catalog_version = record_counts(conn, &acting, merchant_id, "import", &reason, &counted)?;
        }
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
