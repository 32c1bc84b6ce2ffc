//! Scheduled designation changes: "for sale online from Fri 09:00", "remove
//! from online at Sun 23:59", in the merchant's time zone. A merchant plans
//! one, lists and cancels it while it is pending; the scheduler applies it
//! when due (`apply_due`).
//!
//! Exactly once, on one database or with several instances on one
//! PostgreSQL: a change leaves `pending` by one conditional UPDATE (`WHERE
//! status = 'pending'`), in the same transaction as the designation it
//! applies, so only the instance whose UPDATE changed the row writes
//! anything; a crash rolls both back and the change is found again. Changes
//! that fell due while the server was down are found on the first run after
//! start. A change applies to the item as it is at that moment, through the
//! item writer, and its rules are checked then: a refusal (view-only on an
//! item no longer sold in store, an archived item) is recorded with its
//! reason and changes nothing else.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::audit::{self, AuditField};
use super::designations::{Selected, Selection, resolve};
use super::items::{ItemChange, ItemWriter};
use super::merchants::Merchant;
use super::{Actor, InventoryError, Item, Result};
use crate::db::DbConnection;
use crate::db::models::{NewScheduledChangeRow, ScheduledChangeRow};
use crate::db::schema::{items, scheduled_changes};
use crate::domain::{DesignationChange, DesignationRuleError, FieldError, OnlineListing};

/// How many due changes one run reads at a time.
const BATCH: i64 = 200;

/// Where a scheduled change is. Stored as text; the names are stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScheduleStatus {
    Pending,
    Applied,
    Refused,
    Cancelled,
}

impl ScheduleStatus {
    pub const ALL: [ScheduleStatus; 4] = [
        ScheduleStatus::Pending,
        ScheduleStatus::Applied,
        ScheduleStatus::Refused,
        ScheduleStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ScheduleStatus::Pending => "pending",
            ScheduleStatus::Applied => "applied",
            ScheduleStatus::Refused => "refused",
            ScheduleStatus::Cancelled => "cancelled",
        }
    }

    fn parse(raw: &str) -> Result<ScheduleStatus> {
        ScheduleStatus::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or_else(|| {
                InventoryError::Invalid(FieldError::new(
                    "status",
                    format!("{raw:?} is not a schedule status"),
                ))
            })
    }
}

/// A designation change planned for a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledChange {
    pub id: i64,
    pub merchant_id: i64,
    pub item_id: i64,
    pub change: DesignationChange,
    /// When it falls due, UTC.
    pub due_at: NaiveDateTime,
    /// Who planned it.
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub status: ScheduleStatus,
    /// When it was applied or refused, UTC.
    pub applied_at: Option<NaiveDateTime>,
    /// Why it was refused; empty otherwise.
    pub refusal: String,
}

impl TryFrom<ScheduledChangeRow> for ScheduledChange {
    type Error = InventoryError;

    fn try_from(row: ScheduledChangeRow) -> Result<ScheduledChange> {
        Ok(ScheduledChange {
            id: row.id,
            merchant_id: row.merchant_id,
            item_id: row.item_id,
            change: DesignationChange {
                in_store: row.in_store,
                online: row
                    .online
                    .as_deref()
                    .map(OnlineListing::parse)
                    .transpose()?,
            },
            due_at: row.due_at,
            created_by: row.created_by,
            created_at: row.created_at,
            status: ScheduleStatus::parse(&row.status)?,
            applied_at: row.applied_at,
            refusal: row.refusal,
        })
    }
}

/// A pending change with its item, as the merchant's list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingChange {
    pub scheduled: ScheduledChange,
    pub item_name: String,
    pub sku: String,
}

/// Plans `change` of an item of this merchant for `due_local`, a time as the
/// merchant's clock reads (`2026-12-11T09:00`), which must be after `now`.
/// Nothing is stored unless every value is acceptable; another merchant's
/// item is NotFound. The rules are checked when it falls due, not now: the
/// item may well change before then.
pub fn schedule(
    conn: &mut DbConnection,
    actor: &Actor,
    merchant_id: i64,
    item_id: i64,
    change: DesignationChange,
    due_local: &str,
    now: NaiveDateTime,
) -> Result<ScheduledChange> {
    let selection = Selection::Items(vec![Selected::from(item_id)]);
    schedule_many(conn, actor, merchant_id, &selection, change, due_local, now)?
        .pop()
        .ok_or(InventoryError::NotFound("item"))
}

/// `schedule` for many items at once (a bulk selection of the item list),
/// all or nothing: one unknown item, or a bad time, stores nothing.
pub fn schedule_many(
    conn: &mut DbConnection,
    actor: &Actor,
    merchant_id: i64,
    selection: &Selection,
    change: DesignationChange,
    due_local: &str,
    now: NaiveDateTime,
) -> Result<Vec<ScheduledChange>> {
    if change.is_empty() {
        return Err(FieldError::new("change", "Choose what should change").into());
    }
    conn.write_transaction(|conn| {
        let ids: Vec<i64> = resolve(conn, merchant_id, selection)?
            .iter()
            .map(|s| s.id)
            .collect();
        let found = Item::find_many(conn, merchant_id, &ids)?;
        if found.len() != ids.len() {
            return Err(InventoryError::NotFound("item"));
        }
        let zone = Merchant::find(conn, merchant_id)?.time_zone;
        let due_at = zone.parse_local(due_local, "due_at")?;
        if due_at <= now {
            return Err(FieldError::new(
                "due_at",
                format!(
                    "{} has already passed; choose a time in the future (it is now {})",
                    zone.show(due_at, "%Y-%m-%d %H:%M"),
                    zone.show(now, "%Y-%m-%d %H:%M")
                ),
            )
            .into());
        }
        let online = change.online.map(OnlineListing::as_str);
        let created_at = super::now();
        let mut planned = Vec::with_capacity(found.len());
        for item in &found {
            let row: ScheduledChangeRow = diesel::insert_into(scheduled_changes::table)
                .values(NewScheduledChangeRow {
                    merchant_id,
                    item_id: item.id,
                    online,
                    in_store: change.in_store,
                    due_at,
                    created_by: actor.as_str(),
                    created_at,
                    status: ScheduleStatus::Pending.as_str(),
                })
                .returning(scheduled_changes::all_columns)
                .get_result(conn)?;
            planned.push(ScheduledChange::try_from(row)?);
        }
        log::info!(
            "merchant {merchant_id}: designation change scheduled for {} item(s) at {due_at} UTC",
            planned.len()
        );
        Ok(planned)
    })
}

/// The pending changes of one item, the soonest first.
pub fn pending_for_item(
    conn: &mut DbConnection,
    merchant_id: i64,
    item_id: i64,
) -> Result<Vec<ScheduledChange>> {
    scheduled_changes::table
        .filter(scheduled_changes::merchant_id.eq(merchant_id))
        .filter(scheduled_changes::item_id.eq(item_id))
        .filter(scheduled_changes::status.eq(ScheduleStatus::Pending.as_str()))
        .order((scheduled_changes::due_at, scheduled_changes::id))
        .select(ScheduledChangeRow::as_select())
        .load(conn)?
        .into_iter()
        .map(ScheduledChange::try_from)
        .collect()
}

/// Every pending change of the merchant with its item, the soonest first.
pub fn pending(conn: &mut DbConnection, merchant_id: i64) -> Result<Vec<PendingChange>> {
    scheduled_changes::table
        .inner_join(items::table)
        .filter(scheduled_changes::merchant_id.eq(merchant_id))
        .filter(scheduled_changes::status.eq(ScheduleStatus::Pending.as_str()))
        .order((scheduled_changes::due_at, scheduled_changes::id))
        .select((ScheduledChangeRow::as_select(), items::name, items::sku))
        .load::<(ScheduledChangeRow, String, String)>(conn)?
        .into_iter()
        .map(|(row, item_name, sku)| {
            Ok(PendingChange {
                scheduled: row.try_into()?,
                item_name,
                sku,
            })
        })
        .collect()
}

/// One change of this merchant, whatever its status.
pub fn find(conn: &mut DbConnection, merchant_id: i64, id: i64) -> Result<ScheduledChange> {
    scheduled_changes::table
        .filter(scheduled_changes::merchant_id.eq(merchant_id))
        .filter(scheduled_changes::id.eq(id))
        .select(ScheduledChangeRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(InventoryError::NotFound("scheduled change"))?
        .try_into()
}

/// Cancels a pending change of an item; one already applied, refused or
/// cancelled is Closed (saying which), and another merchant's (or another
/// item's) is NotFound.
pub fn cancel(
    conn: &mut DbConnection,
    merchant_id: i64,
    item_id: i64,
    id: i64,
) -> Result<ScheduledChange> {
    conn.write_transaction(|conn| {
        let cancelled = diesel::update(
            scheduled_changes::table
                .filter(scheduled_changes::merchant_id.eq(merchant_id))
                .filter(scheduled_changes::item_id.eq(item_id))
                .filter(scheduled_changes::id.eq(id))
                .filter(scheduled_changes::status.eq(ScheduleStatus::Pending.as_str())),
        )
        .set(scheduled_changes::status.eq(ScheduleStatus::Cancelled.as_str()))
        .execute(conn)?;
        let change = find(conn, merchant_id, id)?;
        if change.item_id != item_id {
            return Err(InventoryError::NotFound("scheduled change"));
        }
        if cancelled == 0 {
            return Err(InventoryError::Closed(format!(
                "That scheduled change was {} already; nothing was cancelled.",
                change.status.as_str()
            )));
        }
        Ok(change)
    })
}

/// Applies every pending change, of every merchant, due by `at`; each in its
/// own transaction. Returns how many this run applied or refused (others
/// may have been taken by another instance).
pub fn apply_due(conn: &mut DbConnection, at: NaiveDateTime) -> Result<usize> {
    let mut done = 0;
    loop {
        let due: Vec<(i64, i64)> = scheduled_changes::table
            .filter(scheduled_changes::status.eq(ScheduleStatus::Pending.as_str()))
            .filter(scheduled_changes::due_at.le(at))
            .order((scheduled_changes::due_at, scheduled_changes::id))
            .limit(BATCH)
            .select((scheduled_changes::merchant_id, scheduled_changes::id))
            .load(conn)?;
        let found = due.len();
        let mut progress = 0;
        for (merchant_id, id) in due {
            if conn.write_transaction(|conn| apply_one(conn, merchant_id, id))? {
                progress += 1;
            }
        }
        done += progress;
        if progress == 0 || found < BATCH as usize {
            return Ok(done);
        }
    }
}

/// Claims one change and applies or refuses it, under the merchant lock.
/// False when it was no longer pending (taken by another instance, or
/// cancelled meanwhile).
fn apply_one(conn: &mut DbConnection, merchant_id: i64, id: i64) -> Result<bool> {
    let scheduler = Actor::scheduler();
    let mut writer = ItemWriter::begin(conn, &scheduler, merchant_id)?;
    let applied_at = super::now();
    let claimed = diesel::update(
        scheduled_changes::table
            .filter(scheduled_changes::id.eq(id))
            .filter(scheduled_changes::status.eq(ScheduleStatus::Pending.as_str())),
    )
    .set((
        scheduled_changes::status.eq(ScheduleStatus::Applied.as_str()),
        scheduled_changes::applied_at.eq(Some(applied_at)),
    ))
    .execute(conn)?;
    if claimed == 0 {
        return Ok(false);
    }
    let scheduled = find(conn, merchant_id, id)?;
    let item = Item::find(conn, merchant_id, scheduled.item_id)?;
    let refusal = if item.archived {
        Some(DesignationRuleError::Archived)
    } else {
        scheduled.change.apply_to(item.designation).err()
    };
    let zone = Merchant::find(conn, merchant_id)?.time_zone;
    let times = format!(
        "due {}, applied {}",
        zone.show(scheduled.due_at, "%Y-%m-%d %H:%M"),
        zone.show(applied_at, "%Y-%m-%d %H:%M:%S")
    );
    let (item, note) = match refusal {
        Some(rule) => {
            let reason = rule.to_string();
            diesel::update(scheduled_changes::table.find(id))
                .set((
                    scheduled_changes::status.eq(ScheduleStatus::Refused.as_str()),
                    scheduled_changes::refusal.eq(&reason),
                ))
                .execute(conn)?;
            log::info!(
                "merchant {merchant_id} item {}: scheduled change {id} refused: {reason}",
                item.id
            );
            let what = describe(scheduled.change);
            (item, format!("{what}: refused, {reason} ({times})"))
        }
        None => {
            let written = writer.apply(conn, &item, &ItemChange::designation(scheduled.change))?;
            log::info!(
                "merchant {merchant_id} item {}: scheduled change {id} applied",
                item.id
            );
            let what = describe(scheduled.change);
            (
                written.unwrap_or(item),
                format!("{what}: applied ({times})"),
            )
        }
    };
    let catalog_version = writer.catalog_version(conn)?;
    writer.finish(conn)?;
    audit::record(
        conn,
        &scheduler,
        &item,
        AuditField::Scheduled,
        "",
        &note,
        catalog_version,
    )?;
    Ok(true)
}

/// A change in a sentence, as the activity log records it: "For sale online",
/// "View online, buy in store; sold in store".
pub fn describe(change: DesignationChange) -> String {
    let online = change.online.map(OnlineListing::label);
    let store = change.in_store.map(|on| {
        if on {
            "Sold in store"
        } else {
            "Not sold in store"
        }
    });
    [online, store]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("; ")
}
