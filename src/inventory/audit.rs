//! The activity log: who changed what, from what to what, when and at which
//! catalog version. An entry is about an item (written only by the item
//! writer, with the item version it produced, so Undo can tell whether the
//! item moved on), a store, a person of the staff, or the shop's settings
//! (each written by the service function that makes the change, in its
//! transaction). Every entry names the person who made it.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::merchants::{Location, Staff};
use super::{Actor, InventoryError, Item, Result, now};
use crate::db::models::{AuditEntryRow, NewAuditEntryRow};
use crate::db::schema::{audit_entries, items};
use crate::db::sqlite_rows::{BindValues, SqliteRows, SqliteTime, Values};
use crate::db::{DbConnection, ROWS_PER_INSERT, insert_rows};

/// What an entry is about. Stored as text; the names are stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Item,
    Store,
    Staff,
    Settings,
    Reservation,
}

impl Subject {
    pub const ALL: [Subject; 5] = [
        Subject::Item,
        Subject::Store,
        Subject::Staff,
        Subject::Settings,
        Subject::Reservation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Subject::Item => "item",
            Subject::Store => "store",
            Subject::Staff => "staff",
            Subject::Settings => "settings",
            Subject::Reservation => "reservation",
        }
    }

    pub fn parse(raw: &str) -> Option<Subject> {
        Subject::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// The kind of change, as the activity page's filter names it.
    pub fn kind(self) -> &'static str {
        match self {
            Subject::Item => "Items",
            Subject::Store => "Stores",
            Subject::Staff => "Staff",
            Subject::Settings => "Shop settings",
            Subject::Reservation => "Reservations",
        }
    }
}

impl std::fmt::Display for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which field of its subject an entry changed. Stored as text with the
/// subject; the names are stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditField {
    /// The item was created (new value: its name).
    Created,
    Sku,
    Name,
    Description,
    Price,
    Barcode,
    InStore,
    Online,
    /// Archived or active.
    Status,
    OnlineBuffer,
    AllowBackorder,
    AutoViewOnly,
    /// A store was added (new value: its name).
    StoreAdded,
    StoreName,
    Address,
    Hours,
    /// Whether the store ships (and hands out) online orders.
    FulfilsOnline,
    /// `open` or `archived`.
    StoreStatus,
    /// A person was invited (new value: their role).
    Invited,
    /// The role, with a cashier's store (`Cashier at Downtown`).
    Role,
    /// `active` or `deactivated`.
    StaffStatus,
    /// A one-time password link was issued (new value: when it expires, UTC).
    PasswordLink,
    /// The person set a new password (through a link or themselves).
    Password,
    ShopName,
    Slug,
    Currency,
    TimeZone,
    /// The shop's default online buffer.
    DefaultOnlineBuffer,
    /// Whether new items switch to view-only by themselves when sold out.
    AutoViewOnlyDefault,
    /// The storefront URL pattern *Buy online* follows (empty: none).
    StorefrontUrl,
    /// The most units one reservation may hold.
    ReservationMaxQuantity,
    /// How long a reservation is held, in hours.
    ReservationHoldHours,
    /// A scheduled designation change was applied or refused (new value: the
    /// change, the outcome, when it was due and when it was applied).
    Scheduled,
    /// A hold for pickup: `open` when made, then `picked_up`, `released` or
    /// `expired` (with when it was due and when it was applied).
    Reservation,
}

impl AuditField {
    pub const ALL: [AuditField; 34] = [
        AuditField::Created,
        AuditField::Sku,
        AuditField::Name,
        AuditField::Description,
        AuditField::Price,
        AuditField::Barcode,
        AuditField::InStore,
        AuditField::Online,
        AuditField::Status,
        AuditField::OnlineBuffer,
        AuditField::AllowBackorder,
        AuditField::AutoViewOnly,
        AuditField::StoreAdded,
        AuditField::StoreName,
        AuditField::Address,
        AuditField::Hours,
        AuditField::FulfilsOnline,
        AuditField::StoreStatus,
        AuditField::Invited,
        AuditField::Role,
        AuditField::StaffStatus,
        AuditField::PasswordLink,
        AuditField::Password,
        AuditField::ShopName,
        AuditField::Slug,
        AuditField::Currency,
        AuditField::TimeZone,
        AuditField::DefaultOnlineBuffer,
        AuditField::AutoViewOnlyDefault,
        AuditField::StorefrontUrl,
        AuditField::ReservationMaxQuantity,
        AuditField::ReservationHoldHours,
        AuditField::Reservation,
        AuditField::Scheduled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditField::Created => "created",
            AuditField::Sku => "sku",
            AuditField::Name => "name",
            AuditField::Description => "description",
            AuditField::Price => "price",
            AuditField::Barcode => "barcode",
            AuditField::InStore => "in_store",
            AuditField::Online => "online",
            AuditField::Status => "status",
            AuditField::OnlineBuffer => "online_buffer",
            AuditField::AllowBackorder => "allow_backorder",
            AuditField::AutoViewOnly => "auto_view_only",
            AuditField::StoreAdded => "added",
            AuditField::StoreName => "name",
            AuditField::Address => "address",
            AuditField::Hours => "hours",
            AuditField::FulfilsOnline => "fulfils_online",
            AuditField::StoreStatus => "status",
            AuditField::Invited => "invited",
            AuditField::Role => "role",
            AuditField::StaffStatus => "status",
            AuditField::PasswordLink => "password_link",
            AuditField::Password => "password",
            AuditField::ShopName => "name",
            AuditField::Slug => "slug",
            AuditField::Currency => "currency",
            AuditField::TimeZone => "time_zone",
            AuditField::DefaultOnlineBuffer => "online_buffer",
            AuditField::AutoViewOnlyDefault => "auto_view_only",
            AuditField::StorefrontUrl => "storefront_url_pattern",
            AuditField::ReservationMaxQuantity => "reservation_max_quantity",
            AuditField::ReservationHoldHours => "reservation_hold_hours",
            AuditField::Reservation => "status",
            AuditField::Scheduled => "scheduled_change",
        }
    }

    /// What a field belongs to.
    pub fn subject(self) -> Subject {
        use AuditField::*;
        match self {
            Created | Sku | Name | Description | Price | Barcode | InStore | Online | Status
            | OnlineBuffer | AllowBackorder | AutoViewOnly | Scheduled => Subject::Item,
            StoreAdded | StoreName | Address | Hours | FulfilsOnline | StoreStatus => {
                Subject::Store
            }
            Invited | Role | StaffStatus | PasswordLink | Password => Subject::Staff,
            ShopName
            | Slug
            | Currency
            | TimeZone
            | DefaultOnlineBuffer
            | AutoViewOnlyDefault
            | StorefrontUrl
            | ReservationMaxQuantity
            | ReservationHoldHours => Subject::Settings,
            Reservation => Subject::Reservation,
        }
    }

    pub fn parse(subject: Subject, raw: &str) -> Option<AuditField> {
        AuditField::ALL
            .into_iter()
            .find(|f| f.subject() == subject && f.as_str() == raw)
    }

    /// Whether the values are times (UTC, `%Y-%m-%d %H:%M:%S`), shown in the
    /// shop's time zone.
    pub fn is_time(self) -> bool {
        self == AuditField::PasswordLink
    }

    /// A designation, which Undo can restore.
    pub fn is_designation(self) -> bool {
        matches!(self, AuditField::InStore | AuditField::Online)
    }
}

impl std::fmt::Display for AuditField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Writes one entry for a change of `item` (as it is after the change).
pub(super) fn record(
    conn: &mut DbConnection,
    actor: &Actor,
    item: &Item,
    field: AuditField,
    old_value: &str,
    new_value: &str,
    catalog_version: i64,
) -> Result<()> {
    let entry = HeldEntry::new(actor, item, field, old_value, new_value, catalog_version);
    diesel::insert_into(audit_entries::table)
        .values(entry.row())
        .execute(conn)?;
    Ok(())
}

/// An item entry a batch write holds back, to write many in one statement
/// (`record_held`) instead of one each.
#[derive(Debug)]
pub(super) struct HeldEntry {
    merchant_id: i64,
    item_id: i64,
    item_version: i64,
    actor: String,
    actor_email: String,
    field: AuditField,
    old_value: String,
    new_value: String,
    catalog_version: i64,
    created_at: SqliteTime,
}

impl HeldEntry {
    pub(super) fn new(
        actor: &Actor,
        item: &Item,
        field: AuditField,
        old_value: &str,
        new_value: &str,
        catalog_version: i64,
    ) -> HeldEntry {
        HeldEntry {
            merchant_id: item.merchant_id,
            item_id: item.id,
            item_version: item.version,
            actor: actor.as_str().to_owned(),
            actor_email: actor.email().to_owned(),
            field,
            old_value: old_value.to_owned(),
            new_value: new_value.to_owned(),
            catalog_version,
            created_at: SqliteTime(now()),
        }
    }

    fn row(&self) -> NewAuditEntryRow<'_> {
        NewAuditEntryRow {
            merchant_id: self.merchant_id,
            item_id: Some(self.item_id),
            actor: &self.actor,
            field: self.field.as_str(),
            old_value: &self.old_value,
            new_value: &self.new_value,
            catalog_version: self.catalog_version,
            created_at: self.created_at.0,
            item_version: Some(self.item_version),
            subject: Subject::Item.as_str(),
            subject_id: None,
            subject_label: "",
            actor_email: &self.actor_email,
        }
    }
}

/// Writes held entries in order, a few hundred rows per statement.
pub(super) fn record_held(conn: &mut DbConnection, entries: &[HeldEntry]) -> Result<()> {
    for chunk in entries.chunks(ROWS_PER_INSERT) {
        if let DbConnection::Sqlite(conn) = conn {
            SqliteRows::new(
                "INSERT INTO audit_entries (merchant_id, item_id, item_version, actor, \
                 actor_email, field, old_value, new_value, catalog_version, created_at, subject) \
                 VALUES ",
                chunk,
                "",
            )
            .execute(conn)?;
            continue;
        }
        let rows: Vec<NewAuditEntryRow<'_>> = chunk.iter().map(HeldEntry::row).collect();
        insert_rows!(conn, audit_entries::table, &rows)?;
    }
    Ok(())
}

/// An item's entry as SQLite's batch insert binds it (`HeldEntry::row`'s
/// values; the subject's id and label keep their defaults).
impl BindValues for HeldEntry {
    fn bind_values<'b>(&'b self, values: &mut Values<'_, '_, 'b>) -> diesel::QueryResult<()> {
        use diesel::sql_types::{BigInt, Text, Timestamp};
        values
            .bind::<BigInt, _>(&self.merchant_id)?
            .bind::<BigInt, _>(&self.item_id)?
            .bind::<BigInt, _>(&self.item_version)?
            .bind::<Text, _>(&self.actor)?
            .bind::<Text, _>(&self.actor_email)?
            .bind::<Text, _>(self.field.as_str())?
            .bind::<Text, _>(&self.old_value)?
            .bind::<Text, _>(&self.new_value)?
            .bind::<BigInt, _>(&self.catalog_version)?
            .bind::<Timestamp, _>(&self.created_at)?
            .bind::<Text, _>(Subject::Item.as_str())?;
        Ok(())
    }
}

/// A store, a person or the shop's settings, as the entries about a change
/// to it name it, at the catalog version of the change.
pub(super) struct About {
    merchant_id: i64,
    subject_id: Option<i64>,
    label: String,
    catalog_version: i64,
}

impl About {
    pub(super) fn store(store: &Location, catalog_version: i64) -> About {
        About {
            merchant_id: store.merchant_id,
            subject_id: Some(store.id),
            label: store.name.clone(),
            catalog_version,
        }
    }

    pub(super) fn person(person: &Staff, catalog_version: i64) -> About {
        About {
            merchant_id: person.merchant_id,
            subject_id: Some(person.id),
            label: format!("{} ({})", person.display_name, person.email),
            catalog_version,
        }
    }

    /// A hold for pickup, labelled with its code, quantity, item and store.
    pub(super) fn reservation(
        merchant_id: i64,
        reservation_id: i64,
        label: String,
        catalog_version: i64,
    ) -> About {
        About {
            merchant_id,
            subject_id: Some(reservation_id),
            label,
            catalog_version,
        }
    }

    pub(super) fn settings(merchant_id: i64, catalog_version: i64) -> About {
        About {
            merchant_id,
            subject_id: None,
            label: String::new(),
            catalog_version,
        }
    }

    /// Writes an entry for `field` going from `old` to `new`, if it moved.
    pub(super) fn record(
        &self,
        conn: &mut DbConnection,
        actor: &Actor,
        field: AuditField,
        old: &str,
        new: &str,
    ) -> Result<()> {
        debug_assert_ne!(field.subject(), Subject::Item, "items use `record`");
        if old == new {
            return Ok(());
        }
        diesel::insert_into(audit_entries::table)
            .values(NewAuditEntryRow {
                merchant_id: self.merchant_id,
                item_id: None,
                actor: actor.as_str(),
                field: field.as_str(),
                old_value: old,
                new_value: new,
                catalog_version: self.catalog_version,
                created_at: now(),
                item_version: None,
                subject: field.subject().as_str(),
                subject_id: self.subject_id,
                subject_label: &self.label,
                actor_email: actor.email(),
            })
            .execute(conn)?;
        Ok(())
    }
}

/// A time as an entry stores it (UTC).
pub(super) fn stored_time(at: NaiveDateTime) -> String {
    at.format(TIME_FORMAT).to_string()
}

const TIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// Whether an entry can be undone now, and if not, why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Undo {
    /// The item is still as this change left it.
    Offered,
    /// Only designation changes are undone from the log.
    NotADesignation,
    /// The item changed again since; undoing would overwrite that.
    ItemMovedOn,
    /// The item is archived; restore it first.
    ItemArchived,
}

impl Undo {
    /// `item` is the item's current version and whether it is archived.
    fn of(field: AuditField, entry_version: Option<i64>, item: Option<(i64, bool)>) -> Undo {
        match item {
            _ if !field.is_designation() => Undo::NotADesignation,
            Some((_, true)) => Undo::ItemArchived,
            Some((item_version, false)) if entry_version == Some(item_version) => Undo::Offered,
            _ => Undo::ItemMovedOn,
        }
    }

    pub fn is_offered(self) -> bool {
        self == Undo::Offered
    }

    /// Why Undo is not offered, for a person.
    pub fn reason(self) -> &'static str {
        match self {
            Undo::Offered => "",
            Undo::NotADesignation => "Edit the item to change this back",
            Undo::ItemMovedOn => "Changed again since; can no longer be undone",
            Undo::ItemArchived => "The item is archived; restore it to undo",
        }
    }
}

/// One entry, with the item's current name and sku, for display.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub id: i64,
    pub subject: Subject,
    /// The item of an item entry.
    pub item_id: Option<i64>,
    /// The item's current name and sku (empty for other subjects).
    pub item_name: String,
    pub item_sku: String,
    /// The store or person of a store or staff entry.
    pub subject_id: Option<i64>,
    /// The store's or person's name at the time of the change.
    pub subject_label: String,
    /// Who made the change: a person's name, an API token or shelfsync.
    pub actor: String,
    /// The person's email; empty for API tokens and shelfsync.
    pub actor_email: String,
    pub field: AuditField,
    pub old_value: String,
    pub new_value: String,
    pub catalog_version: i64,
    /// The item version this change produced (unknown for old entries).
    pub item_version: Option<i64>,
    pub created_at: NaiveDateTime,
    pub undo: Undo,
}

impl AuditEntry {
    /// Whether this entry changed a designation.
    pub fn is_designation(&self) -> bool {
        self.field.is_designation()
    }

    /// A stored value that is a time (see `AuditField::is_time`), in UTC.
    pub fn time_value(&self, value: &str) -> Option<NaiveDateTime> {
        self.field
            .is_time()
            .then(|| NaiveDateTime::parse_from_str(value, TIME_FORMAT).ok())
            .flatten()
    }
}

/// A page of the audit log, newest first.
#[derive(Debug, Clone)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// Pass as `before` to read the next (older) page.
    pub next_before: Option<i64>,
}

/// The item's name, sku, version and archived mark, for an item entry.
type ItemColumns = (Option<String>, Option<String>, Option<i64>, Option<bool>);

fn entry_from(row: (AuditEntryRow, ItemColumns)) -> Result<AuditEntry> {
    let (row, (item_name, item_sku, item_version, archived)) = row;
    let corrupt = |what: &str| InventoryError::Corrupt(format!("audit entry {}: {what}", row.id));
    let subject = Subject::parse(&row.subject)
        .ok_or_else(|| corrupt(&format!("subject {:?}", row.subject)))?;
    let field = AuditField::parse(subject, &row.field)
        .ok_or_else(|| corrupt(&format!("field {:?}", row.field)))?;
    let item = item_version.zip(archived);
    Ok(AuditEntry {
        id: row.id,
        subject,
        item_id: row.item_id,
        item_name: item_name.unwrap_or_default(),
        item_sku: item_sku.unwrap_or_default(),
        subject_id: row.subject_id,
        subject_label: row.subject_label,
        actor: row.actor,
        actor_email: row.actor_email,
        field,
        old_value: row.old_value,
        new_value: row.new_value,
        catalog_version: row.catalog_version,
        item_version: row.item_version,
        created_at: row.created_at,
        undo: Undo::of(field, row.item_version, item),
    })
}

/// Which entries of the log to read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LogFilter {
    #[default]
    Everything,
    /// One kind of change: items, stores, staff or settings.
    Kind(Subject),
    /// The changes of one item.
    Item(i64),
}

/// Which entries to read.
#[derive(Default)]
struct Scope {
    filter: LogFilter,
    entry_id: Option<i64>,
    /// Entries older than this id.
    before: Option<i64>,
}

/// Entries of the merchant in `scope`, newest first, at most `limit` + 1 (so
/// the caller can tell whether there are more).
fn load(
    conn: &mut DbConnection,
    merchant_id: i64,
    scope: Scope,
    limit: i64,
) -> Result<Vec<AuditEntry>> {
    let mut query = audit_entries::table
        .left_join(items::table)
        .filter(audit_entries::merchant_id.eq(merchant_id))
        .into_boxed();
    match scope.filter {
        LogFilter::Everything => {}
        LogFilter::Kind(subject) => {
            query = query.filter(audit_entries::subject.eq(subject.as_str()));
        }
        LogFilter::Item(item_id) => {
            query = query.filter(audit_entries::item_id.eq(item_id));
        }
    }
    if let Some(entry_id) = scope.entry_id {
        query = query.filter(audit_entries::id.eq(entry_id));
    }
    if let Some(before) = scope.before {
        query = query.filter(audit_entries::id.lt(before));
    }
    let rows: Vec<(AuditEntryRow, ItemColumns)> = query
        .order(audit_entries::id.desc())
        .limit(limit + 1)
        .select((
            AuditEntryRow::as_select(),
            (
                items::name.nullable(),
                items::sku.nullable(),
                items::version.nullable(),
                items::archived.nullable(),
            ),
        ))
        .load(conn)?;
    rows.into_iter().map(entry_from).collect()
}

/// The merchant's audit log, newest first, optionally for one item.
pub fn entries(
    conn: &mut DbConnection,
    merchant_id: i64,
    item_id: Option<i64>,
    before: Option<i64>,
    limit: i64,
) -> Result<AuditPage> {
    let filter = item_id.map_or(LogFilter::Everything, LogFilter::Item);
    log(conn, merchant_id, filter, before, limit)
}

/// The merchant's activity log, newest first: every change, one kind of
/// change, or one item's.
pub fn log(
    conn: &mut DbConnection,
    merchant_id: i64,
    filter: LogFilter,
    before: Option<i64>,
    limit: i64,
) -> Result<AuditPage> {
    let limit = limit.clamp(1, 500);
    let scope = Scope {
        filter,
        before,
        ..Scope::default()
    };
    let mut entries = load(conn, merchant_id, scope, limit)?;
    let has_more = entries.len() as i64 > limit;
    entries.truncate(limit as usize);
    let next_before = if has_more {
        entries.last().map(|e| e.id)
    } else {
        None
    };
    Ok(AuditPage {
        entries,
        next_before,
    })
}

/// One entry of this merchant; another merchant's entry is NotFound.
pub fn entry(conn: &mut DbConnection, merchant_id: i64, entry_id: i64) -> Result<AuditEntry> {
    let scope = Scope {
        entry_id: Some(entry_id),
        ..Scope::default()
    };
    load(conn, merchant_id, scope, 1)?
        .into_iter()
        .next()
        .ok_or(InventoryError::NotFound("audit entry"))
}

/// The newest entry of an item, to say who changed it last.
pub fn last_change(
    conn: &mut DbConnection,
    merchant_id: i64,
    item_id: i64,
) -> Result<Option<AuditEntry>> {
    let page = entries(conn, merchant_id, Some(item_id), None, 1)?;
    Ok(page.entries.into_iter().next())
}
