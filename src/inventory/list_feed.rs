//! What the incremental channel lists read from the database, and the rule
//! for where a paged or delta read may resume.
//!
//! The web layer keeps each merchant's online list in memory
//! (`web::list_cache::online`). It learns what moved from `list_changes`:
//! every item whose `changed_version` is after the version it holds, plus the
//! stores and settings every entry depends on. It renders entries from
//! `online_entries`. Each call reads one snapshot, and an entry is kept only
//! when its item's `changed_version` and the context match what the list
//! holds, so the list in memory is always the list at one catalog version.

use diesel::prelude::*;

use super::lists::{OnlineListEntry, StockIndex, belongs_online, online_entry};
use super::merchants::{Location, Merchant};
use super::{InventoryError, Item, Result, catalog};
use crate::db::DbConnection;
use crate::db::models::ItemRow;
use crate::db::schema::items;
use crate::domain::{Currency, OnlineListing, StorefrontUrl};

/// Where an item stands in the channel lists, without its entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListedItem {
    pub id: i64,
    pub changed_version: i64,
    pub online: OnlineListing,
    pub in_store: bool,
    pub archived: bool,
}

impl ListedItem {
    /// Whether it belongs in the online list, or with `include_unlisted` in
    /// the list's other form (store-only items too).
    pub fn in_online_list(&self, include_unlisted: bool) -> bool {
        belongs_online(self.archived, self.online, self.in_store, include_unlisted)
    }
}

/// What every entry and page of a merchant's online list depends on besides
/// its items: the shop's name and settings and its stores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListContext {
    pub merchant_id: i64,
    pub slug: String,
    pub name: String,
    pub currency: Currency,
    pub online_buffer: i64,
    pub stores: Vec<Location>,
    /// Where the shop's *Buy online* leads, if the merchant set a pattern.
    pub storefront_url: Option<StorefrontUrl>,
    /// The most units a shopper may reserve for pickup at once.
    pub reservation_max_quantity: i64,
    /// The shop shows times (a hold's expiry) in it.
    pub time_zone: crate::domain::TimeZone,
}

impl ListContext {
    fn read(conn: &mut DbConnection, merchant_id: i64) -> Result<ListContext> {
        let merchant = Merchant::find(conn, merchant_id)?;
        Ok(ListContext {
            merchant_id,
            slug: merchant.slug,
            name: merchant.name,
            currency: merchant.currency,
            online_buffer: merchant.online_buffer,
            stores: Location::all_of(conn, merchant_id)?,
            storefront_url: merchant.storefront_url,
            reservation_max_quantity: merchant.reservation_max_quantity,
            time_zone: merchant.time_zone,
        })
    }
}

/// The items that changed after a version, read in one snapshot.
#[derive(Debug, Clone)]
pub struct ListChanges {
    /// The catalog version of the snapshot.
    pub catalog_version: i64,
    /// Every item changed after the version asked about (all of the
    /// merchant's items when none was given), in id order.
    pub items: Vec<ListedItem>,
    pub context: ListContext,
}

/// What changed in the merchant's lists after `since` (everything, without
/// one): the feed the in-memory lists follow.
pub fn list_changes(
    conn: &mut DbConnection,
    merchant_id: i64,
    since: Option<i64>,
) -> Result<ListChanges> {
    conn.read_transaction(|conn| {
        let catalog_version = catalog::current_version(conn, merchant_id)?;
        let context = ListContext::read(conn, merchant_id)?;
        let mut rows = items::table
            .filter(items::merchant_id.eq(merchant_id))
            .into_boxed();
        if let Some(since) = since {
            if since == catalog_version {
                return Ok(ListChanges {
                    catalog_version,
                    items: Vec::new(),
                    context,
                });
            }
            rows = rows.filter(items::changed_version.gt(since));
        }
        let rows: Vec<(i64, i64, String, bool, bool)> = rows
            .order(items::id)
            .select((
                items::id,
                items::changed_version,
                items::online,
                items::in_store,
                items::archived,
            ))
            .load(conn)?;
        let items = rows
            .into_iter()
            .map(|(id, changed_version, online, in_store, archived)| {
                let online = OnlineListing::parse(&online)
                    .map_err(|e| InventoryError::Corrupt(format!("item {id}: {}", e.message)))?;
                Ok(ListedItem {
                    id,
                    changed_version,
                    online,
                    in_store,
                    archived,
                })
            })
            .collect::<Result<_>>()?;
        Ok(ListChanges {
            catalog_version,
            items,
            context,
        })
    })
}

/// The online-list entries of the given items as they are now (archived ones
/// left out), with the context they were rendered in, read in one snapshot.
pub fn online_entries(
    conn: &mut DbConnection,
    merchant_id: i64,
    ids: &[i64],
) -> Result<(ListContext, Vec<OnlineListEntry>)> {
    conn.read_transaction(|conn| {
        let context = ListContext::read(conn, merchant_id)?;
        let mut page = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let rows: Vec<ItemRow> = items::table
                .filter(items::merchant_id.eq(merchant_id))
                .filter(items::id.eq_any(chunk))
                .filter(items::archived.eq(false))
                .select(ItemRow::as_select())
                .load(conn)?;
            for row in rows {
                page.push(Item::from_row(row)?);
            }
        }
        let found: Vec<i64> = page.iter().map(|item| item.id).collect();
        let stock = StockIndex::load(conn, merchant_id, &found)?;
        let entries = page.iter().map(|item| online_entry(item, &stock)).collect();
        Ok((context, entries))
    })
}

/// Why a read cannot go on from the version the client holds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeedPositionError {
    /// `since_version` names a version the catalog has not reached.
    #[error(
        "since_version {since} is ahead of the catalog, which is at version {current}; read the full list again."
    )]
    SinceAhead { since: i64, current: i64 },
    /// The cursor was handed out by a newer catalog (a database restored
    /// from a backup, or another database altogether).
    #[error("cursor is from a newer catalog than this one; read the list again.")]
    CursorAhead,
}

/// Checks that a read may continue at `current`: a delta's `since_version`
/// and a paged read's first-page version can't be ahead of the catalog.
pub fn check_feed_position(
    current: i64,
    since_version: Option<i64>,
    cursor_read_version: Option<i64>,
) -> Result<(), FeedPositionError> {
    if let Some(since) = since_version
        && since > current
    {
        return Err(FeedPositionError::SinceAhead { since, current });
    }
    if cursor_read_version.is_some_and(|read| read > current) {
        return Err(FeedPositionError::CursorAhead);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_may_not_resume_ahead_of_the_catalog() {
        assert_eq!(check_feed_position(5, Some(5), Some(5)), Ok(()));
        assert_eq!(
            check_feed_position(5, Some(6), None),
            Err(FeedPositionError::SinceAhead {
                since: 6,
                current: 5
            })
        );
        assert_eq!(
            check_feed_position(5, None, Some(6)),
            Err(FeedPositionError::CursorAhead)
        );
    }
}
