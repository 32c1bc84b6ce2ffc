//! The merchant's item list in the dashboard: search (a trigram index on
//! SQLite, `LIKE` served by pg_trgm on PostgreSQL), filters by designation and
//! stock, sorting and paging.

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};

use std::collections::HashMap;

use super::lists::{OnlineStock, StockIndex};
use super::{Item, Result};
use crate::db::models::ItemRow;
use crate::db::schema::items;
use crate::db::{Backend, DbConnection};
use crate::domain::FieldError;
use crate::domain::OnlineListing;

/// Which items the dashboard list shows, by designation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ItemFilter {
    /// Every active item.
    #[default]
    All,
    /// Sold in store and not online.
    InStoreOnly,
    /// For sale online.
    ForSale,
    /// View online, buy in store.
    ViewOnly,
    /// Neither in store nor online.
    Nowhere,
    /// Archived items.
    Archived,
    /// Sold somewhere, with `LOW_STOCK_AT` units or fewer over all stores.
    LowStock,
    /// A level below zero somewhere (a sale recorded while short): count it.
    Discrepancy,
    /// For sale online with nothing available online (no stock at the stores
    /// that fulfil online orders, or all of it held back by the buffer).
    SoldOutOnline,
    /// Listed online (for sale or view-only) but a shopper can't buy it
    /// online now: view-only, or sold out online without backorder.
    ListedNotPurchasable,
}

/// Nothing available online, as SQL on `items`: the units free (on hand, a
/// negative level counting as none, less open holds for pickup) at the
/// merchant's open stores that fulfil online orders are no more than the
/// item's buffer (or the merchant's default). The same sum as
/// `domain::available_online` over `available_at_store`, which the lists use;
/// the filter needs it as SQL to page, and the dashboard tests hold the two
/// to agreeing (`the_online_filters_agree_with_the_online_list`).
const SOLD_OUT_ONLINE: &str = "(SELECT COALESCE(SUM(CASE WHEN stock_levels.on_hand - (SELECT \
     COALESCE(SUM(reservations.quantity), 0) FROM reservations WHERE reservations.item_id = \
     stock_levels.item_id AND reservations.location_id = stock_levels.location_id AND \
     reservations.status = 'open') > 0 THEN stock_levels.on_hand - (SELECT \
     COALESCE(SUM(reservations.quantity), 0) FROM reservations WHERE reservations.item_id = \
     stock_levels.item_id AND reservations.location_id = stock_levels.location_id AND \
     reservations.status = 'open') ELSE 0 END), 0) FROM stock_levels JOIN locations \
     ON locations.id = stock_levels.location_id WHERE stock_levels.item_id = items.id \
     AND locations.fulfils_online AND locations.archived_at IS NULL) <= COALESCE(items.online_buffer, \
     (SELECT merchants.online_buffer FROM merchants WHERE merchants.id = items.merchant_id))";

/// At or below this many units over all stores, an item is low on stock.
pub const LOW_STOCK_AT: i64 = 3;

impl ItemFilter {
    pub const ALL: [ItemFilter; 10] = [
        ItemFilter::All,
        ItemFilter::InStoreOnly,
        ItemFilter::ForSale,
        ItemFilter::ViewOnly,
        ItemFilter::Nowhere,
        ItemFilter::LowStock,
        ItemFilter::Discrepancy,
        ItemFilter::SoldOutOnline,
        ItemFilter::ListedNotPurchasable,
        ItemFilter::Archived,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ItemFilter::All => "all",
            ItemFilter::InStoreOnly => "in_store_only",
            ItemFilter::ForSale => "for_sale",
            ItemFilter::ViewOnly => "view_only",
            ItemFilter::Nowhere => "nowhere",
            ItemFilter::Archived => "archived",
            ItemFilter::LowStock => "low_stock",
            ItemFilter::Discrepancy => "discrepancy",
            ItemFilter::SoldOutOnline => "sold_out_online",
            ItemFilter::ListedNotPurchasable => "listed_not_purchasable",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ItemFilter::All => "All items",
            ItemFilter::InStoreOnly => "In store only",
            ItemFilter::ForSale => "For sale online",
            ItemFilter::ViewOnly => "View online, buy in store",
            ItemFilter::Nowhere => "Not sold anywhere",
            ItemFilter::Archived => "Archived",
            ItemFilter::LowStock => "Low stock (3 or fewer)",
            ItemFilter::Discrepancy => "Stock below zero: count it",
            ItemFilter::SoldOutOnline => "Sold out online",
            ItemFilter::ListedNotPurchasable => "Listed online but not purchasable",
        }
    }

    /// The filter as an SQL condition on `items`, valid on both backends.
    /// Written once as SQL so the indexed search can use it too.
    fn condition(self) -> String {
        match self {
            ItemFilter::All => "NOT items.archived".into(),
            ItemFilter::InStoreOnly => {
                "NOT items.archived AND items.in_store AND items.online = 'hidden'".into()
            }
            ItemFilter::ForSale => "NOT items.archived AND items.online = 'for_sale'".into(),
            ItemFilter::ViewOnly => "NOT items.archived AND items.online = 'view_only'".into(),
            ItemFilter::Nowhere => {
                "NOT items.archived AND NOT items.in_store AND items.online = 'hidden'".into()
            }
            ItemFilter::Archived => "items.archived".into(),
            ItemFilter::LowStock => format!(
                "NOT items.archived AND (items.in_store OR items.online <> 'hidden') \
                 AND (SELECT COALESCE(SUM(stock_levels.on_hand), 0) FROM stock_levels \
                 WHERE stock_levels.item_id = items.id) <= {LOW_STOCK_AT}"
            ),
            ItemFilter::Discrepancy => "NOT items.archived AND items.id IN \
                 (SELECT stock_levels.item_id FROM stock_levels WHERE stock_levels.on_hand < 0)"
                .into(),
            ItemFilter::SoldOutOnline => {
                format!("NOT items.archived AND items.online = 'for_sale' AND {SOLD_OUT_ONLINE}")
            }
            ItemFilter::ListedNotPurchasable => format!(
                "NOT items.archived AND (items.online = 'view_only' OR (items.online = 'for_sale' \
                 AND NOT items.allow_backorder AND {SOLD_OUT_ONLINE}))"
            ),
        }
    }

    pub fn parse(raw: &str) -> Result<ItemFilter, FieldError> {
        ItemFilter::ALL
            .into_iter()
            .find(|f| f.as_str() == raw)
            .ok_or_else(|| FieldError::new("filter", format!("Unknown filter {raw:?}")))
    }
}

/// How the dashboard list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ItemSort {
    #[default]
    Name,
    Sku,
    PriceLowHigh,
    PriceHighLow,
    RecentlyChanged,
}

impl ItemSort {
    pub const ALL: [ItemSort; 5] = [
        ItemSort::Name,
        ItemSort::Sku,
        ItemSort::PriceLowHigh,
        ItemSort::PriceHighLow,
        ItemSort::RecentlyChanged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ItemSort::Name => "name",
            ItemSort::Sku => "sku",
            ItemSort::PriceLowHigh => "price",
            ItemSort::PriceHighLow => "-price",
            ItemSort::RecentlyChanged => "-changed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ItemSort::Name => "Name",
            ItemSort::Sku => "SKU",
            ItemSort::PriceLowHigh => "Price, low to high",
            ItemSort::PriceHighLow => "Price, high to low",
            ItemSort::RecentlyChanged => "Recently changed",
        }
    }

    pub fn parse(raw: &str) -> Result<ItemSort, FieldError> {
        ItemSort::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or_else(|| FieldError::new("sort", format!("Unknown sort {raw:?}")))
    }
}

/// A page request for the dashboard list.
#[derive(Debug, Clone, Default)]
pub struct ItemQuery {
    /// Matches name, sku or barcode, case-insensitively; empty matches all.
    pub search: String,
    pub filter: ItemFilter,
    pub sort: ItemSort,
    /// 1-based.
    pub page: i64,
    pub per_page: i64,
}

/// An item with its stock in each store and what the shop shows of it.
#[derive(Debug, Clone)]
pub struct ListedItem {
    pub item: Item,
    pub stock: StockLine,
}

/// A store as a column of the item list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreColumn {
    pub location_id: i64,
    pub name: String,
}

/// An item's stock as one row of the list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockLine {
    /// On hand at each of the merchant's open stores, in `StoreColumn` order.
    pub per_store: Vec<i64>,
    /// On hand over all stores.
    pub total: i64,
    pub online: OnlineStock,
}

impl StockLine {
    /// For sale online with nothing available online: the shop shows it as
    /// sold out (or takes backorders, when allowed).
    pub fn sold_out_online(&self, item: &Item) -> bool {
        item.online() == OnlineListing::ForSale && self.online.available_online == 0
    }
}

/// The merchant's open stores and the stock lines of `items`, by item id.
pub fn stock_lines(
    conn: &mut DbConnection,
    merchant_id: i64,
    items: &[Item],
) -> Result<(Vec<StoreColumn>, HashMap<i64, StockLine>)> {
    let ids: Vec<i64> = items.iter().map(|item| item.id).collect();
    let index = StockIndex::load(conn, merchant_id, &ids)?;
    let columns = index
        .stores()
        .iter()
        .map(|store| StoreColumn {
            location_id: store.id,
            name: store.name.clone(),
        })
        .collect::<Vec<_>>();
    let lines = items
        .iter()
        .map(|item| {
            let per_store: Vec<i64> = columns
                .iter()
                .map(|column| index.on_hand(item.id, column.location_id))
                .collect();
            let line = StockLine {
                total: per_store.iter().sum(),
                per_store,
                online: OnlineStock::of(item, &index),
            };
            (item.id, line)
        })
        .collect();
    Ok((columns, lines))
}

/// One page of the dashboard list.
#[derive(Debug, Clone)]
pub struct ItemPage {
    pub items: Vec<ListedItem>,
    /// The merchant's open stores, one stock column each.
    pub stores: Vec<StoreColumn>,
    /// How many items match the search and filter in all (at most
    /// `SEARCH_CAP` when `capped`).
    pub total: i64,
    /// More items match than the search shows; narrow it to see them.
    pub capped: bool,
    pub page: i64,
    pub per_page: i64,
}

impl ItemPage {
    pub fn page_count(&self) -> i64 {
        ((self.total + self.per_page - 1) / self.per_page).max(1)
    }
}

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

type ItemsBoxed<'a> = items::BoxedQuery<'a, crate::db::DbBackend>;

pub(crate) fn matching(
    backend: Backend,
    merchant_id: i64,
    search: &str,
    filter: ItemFilter,
) -> ItemsBoxed<'static> {
    let mut query = items::table
        .filter(items::merchant_id.eq(merchant_id))
        .filter(sql::<Bool>(&filter.condition()))
        .into_boxed();
    let terms = SearchTerms::parse(search);
    if let Some(index_query) = terms.index_query(backend) {
        query = query.filter(
            sql::<Bool>("items.id IN (SELECT rowid FROM items_search WHERE items_search MATCH ")
                .bind::<Text, _>(index_query)
                .sql(")"),
        );
    }
    for word in terms.like_words(backend) {
        let pattern = like_pattern(word);
        query = query.filter(
            lower(items::name)
                .like(pattern.clone())
                .escape('\\')
                .or(lower(items::sku).like(pattern.clone()).escape('\\'))
                .or(items::barcode.like(pattern).escape('\\')),
        );
    }
    query
}

/// What a merchant typed in the search box: words, each of which must appear
/// in the item's name, SKU or barcode, in any order and any case.
struct SearchTerms {
    words: Vec<String>,
}

impl SearchTerms {
    /// More words than this are ignored; they would only narrow further.
    const MAX_WORDS: usize = 8;
    /// The trigram index answers substrings of at least this many characters.
    const INDEXED_MIN_CHARS: usize = 3;

    fn parse(raw: &str) -> SearchTerms {
        SearchTerms {
            words: raw
                .split_whitespace()
                .map(str::to_lowercase)
                .take(Self::MAX_WORDS)
                .collect(),
        }
    }

    fn is_indexed(word: &str) -> bool {
        word.chars().count() >= Self::INDEXED_MIN_CHARS
    }

    /// On SQLite, an FTS5 query requiring every word the trigram index can
    /// answer, each as a quoted phrase (matched as text, never as syntax).
    fn index_query(&self, backend: Backend) -> Option<String> {
        if backend != Backend::Sqlite {
            return None;
        }
        let phrases: Vec<String> = self
            .words
            .iter()
            .filter(|word| Self::is_indexed(word))
            .map(|word| format!("\"{}\"", word.replace('"', "\"\"")))
            .collect();
        (!phrases.is_empty()).then(|| phrases.join(" "))
    }

    /// The words to match with `LIKE`: on SQLite the ones too short for the
    /// index; on PostgreSQL all of them (its trigram indexes serve `LIKE`).
    fn like_words(&self, backend: Backend) -> Vec<&str> {
        self.words
            .iter()
            .filter(|word| backend != Backend::Sqlite || !Self::is_indexed(word))
            .map(String::as_str)
            .collect()
    }
}

/// `%word%` with LIKE's wildcards in the word escaped by `\`.
fn like_pattern(word: &str) -> String {
    let escaped: String = word
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    format!("%{escaped}%")
}

#[derive(QueryableByName)]
struct MatchedId {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}

/// Up to `SEARCH_CAP + 1` ids of the merchant's items matching a search on
/// SQLite's trigram index and a filter. The index drives the query (`CROSS
/// JOIN` keeps SQLite from starting at the merchant's index instead), so it
/// stops as soon as enough matches are found, however many there are.
fn indexed_matches(
    conn: &mut DbConnection,
    merchant_id: i64,
    terms: &SearchTerms,
    index_query: String,
    filter: ItemFilter,
) -> Result<Vec<i64>> {
    let like_words = terms.like_words(Backend::Sqlite);
    let mut sql = format!(
        "SELECT items.id AS id FROM items_search CROSS JOIN items ON items.id = items_search.rowid \
         WHERE items_search MATCH ? AND items.merchant_id = ? AND {}",
        filter.condition()
    );
    for _ in &like_words {
        sql.push_str(
            " AND (lower(items.name) LIKE ? ESCAPE '\\' OR lower(items.sku) LIKE ? ESCAPE '\\' \
             OR items.barcode LIKE ? ESCAPE '\\')",
        );
    }
    sql.push_str(" LIMIT ?");
    let mut query = diesel::sql_query(sql)
        .into_boxed::<crate::db::DbBackend>()
        .bind::<Text, _>(index_query)
        .bind::<diesel::sql_types::BigInt, _>(merchant_id);
    for word in like_words {
        let pattern = like_pattern(word);
        query = query
            .bind::<Text, _>(pattern.clone())
            .bind::<Text, _>(pattern.clone())
            .bind::<Text, _>(pattern);
    }
    Ok(query
        .bind::<diesel::sql_types::BigInt, _>(SEARCH_CAP + 1)
        .load::<MatchedId>(conn)?
        .into_iter()
        .map(|m| m.id)
        .collect())
}

/// A search on SQLite shows at most this many matches (sorted and paged);
/// the list says when there are more, so the merchant can narrow the search.
pub const SEARCH_CAP: i64 = 1000;

fn sorted(query: ItemsBoxed<'static>, sort: ItemSort) -> ItemsBoxed<'static> {
    match sort {
        ItemSort::Name => query.order((items::name.asc(), items::id.asc())),
        ItemSort::Sku => query.order((items::sku.asc(), items::id.asc())),
        ItemSort::PriceLowHigh => query.order((items::price_minor.asc(), items::id.asc())),
        ItemSort::PriceHighLow => query.order((items::price_minor.desc(), items::id.asc())),
        ItemSort::RecentlyChanged => query.order((items::changed_version.desc(), items::id.asc())),
    }
}

/// The merchant's items matching a search and filter, one page of them.
pub fn list_items(
    conn: &mut DbConnection,
    merchant_id: i64,
    query: &ItemQuery,
) -> Result<ItemPage> {
    let per_page = query.per_page.clamp(1, 500);
    let page = query.page.max(1);
    let backend = conn.backend();
    conn.read_transaction(|conn| {
        let terms = SearchTerms::parse(&query.search);
        let (candidates, total, capped) = if let Some(index_query) = terms.index_query(backend) {
            let mut ids = indexed_matches(conn, merchant_id, &terms, index_query, query.filter)?;
            let capped = ids.len() as i64 > SEARCH_CAP;
            ids.truncate(SEARCH_CAP as usize);
            let total = ids.len() as i64;
            // The ids are already this merchant's. Filtering by id alone keeps
            // SQLite on rowid look-ups; adding the merchant would let it walk
            // the merchant's name index looking for them instead.
            let candidates = items::table.filter(items::id.eq_any(ids)).into_boxed();
            (candidates, total, capped)
        } else {
            let total: i64 = matching(backend, merchant_id, &query.search, query.filter)
                .count()
                .get_result(conn)?;
            (
                matching(backend, merchant_id, &query.search, query.filter),
                total,
                false,
            )
        };
        let rows = sorted(candidates, query.sort)
            .limit(per_page)
            .offset((page - 1).saturating_mul(per_page))
            .select(ItemRow::as_select())
            .load(conn)?;
        let found = rows
            .into_iter()
            .map(Item::from_row)
            .collect::<Result<Vec<_>>>()?;
        let (stores, mut lines) = stock_lines(conn, merchant_id, &found)?;
        let items = found
            .into_iter()
            .filter_map(|item| {
                let stock = lines.remove(&item.id)?;
                Some(ListedItem { item, stock })
            })
            .collect();
        Ok(ItemPage {
            items,
            stores,
            total,
            capped,
            page,
            per_page,
        })
    })
}

/// All ids matching a search and filter (for "select all matching").
pub fn matching_ids(
    conn: &mut DbConnection,
    merchant_id: i64,
    search: &str,
    filter: ItemFilter,
) -> Result<Vec<i64>> {
    Ok(matching(conn.backend(), merchant_id, search, filter)
        .order(items::id)
        .select(items::id)
        .load(conn)?)
}
