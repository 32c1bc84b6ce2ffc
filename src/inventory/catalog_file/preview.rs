//! The preview of an import: what every row of a file would do to the
//! catalogue (new item, changed item with its field-by-field diff, or
//! nothing), every problem with its row and column, and the items not in the
//! file that `archive_missing` would archive. Nothing is written here.

use std::collections::HashMap;

use diesel::prelude::*;
use sha2::{Digest, Sha256};

use super::mapping::{Mapping, Target};
use super::reading::{Table, read_table};
use super::{FileProblem, flag_cell, online_cell, restored};
use crate::db::DbConnection;
use crate::db::models::ItemRow;
use crate::db::schema::{items, stock_levels};
use crate::domain::{Currency, Designation, OnlineListing, StockCount};
use crate::inventory::items::{ItemFields, ItemInput, StockSettings, parse_buffer};
use crate::inventory::merchants::{Location, Merchant};
use crate::inventory::{Item, Result};

/// How a file is read and applied.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Archive the merchant's active items whose SKU the file doesn't have.
    pub archive_missing: bool,
    /// Columns mapped by the merchant: (column header, field name).
    pub choices: Vec<(String, String)>,
}

/// One field that changes, in the file's words.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Diff {
    /// A column name: `price`, `online`, `stock:Downtown`, …
    pub field: String,
    pub old: String,
    pub new: String,
}

/// What one row of the file will do.
#[derive(Debug, Clone)]
pub struct Planned {
    /// The spreadsheet row (the header is row 1).
    pub row: usize,
    /// The item it changes (id, version as previewed); `None` for a new one.
    pub existing: Option<(i64, i64)>,
    pub fields: ItemFields,
    pub designation: Designation,
    pub archived: bool,
    pub settings: StockSettings,
    /// Stock levels the file sets to another count (every level it names,
    /// for a new item).
    pub counts: Vec<Count>,
    pub diffs: Vec<Diff>,
}

impl Planned {
    pub fn sku(&self) -> &str {
        self.fields.sku.as_str()
    }

    pub fn name(&self) -> &str {
        self.fields.name.as_str()
    }
}

/// A stock level as the file counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    pub store: i64,
    pub counted: i64,
    /// On hand when the preview was made.
    pub before: i64,
}

/// An active item the file doesn't name, which `archive_missing` archives.
#[derive(Debug, Clone)]
pub struct Missing {
    pub id: i64,
    pub version: i64,
    pub sku: String,
    pub name: String,
}

/// Everything an import would do, and everything wrong with the file.
#[derive(Debug, Clone, Default)]
pub struct Preview {
    /// Data rows read (image-only rows of a Shopify export are not counted).
    pub rows: usize,
    pub new: Vec<Planned>,
    pub changed: Vec<Planned>,
    pub unchanged: usize,
    pub archived: Vec<Missing>,
    pub problems: Vec<FileProblem>,
    /// The file's header and what each column was taken to mean.
    pub columns: Vec<(String, String)>,
    /// Columns no mapping places yet (the merchant must map them).
    pub unmapped: Vec<String>,
}

impl Preview {
    /// Whether applying it would change anything at all.
    pub fn changes_anything(&self) -> bool {
        !self.new.is_empty() || !self.changed.is_empty() || !self.archived.is_empty()
    }

    /// A digest of every change and of the state it was computed against
    /// (item versions, stock levels): applying refuses when it differs.
    pub fn fingerprint(&self) -> String {
        let mut hash = Sha256::new();
        for planned in self.new.iter().chain(&self.changed) {
            hash.update(format!(
                "{}|{:?}|{:?}|",
                planned.row, planned.existing, planned.counts
            ));
            for diff in &planned.diffs {
                hash.update(format!("{}={}>{}|", diff.field, diff.old, diff.new));
            }
        }
        for missing in &self.archived {
            hash.update(format!("archive {} {}|", missing.id, missing.version));
        }
        hash.update(format!("unchanged {}", self.unchanged));
        hex::encode(hash.finalize())
    }
}

/// Reads the file and works out what it would change for the merchant,
/// against one snapshot of the catalogue.
pub fn preview(
    conn: &mut DbConnection,
    merchant_id: i64,
    bytes: &[u8],
    options: &ImportOptions,
) -> Result<Preview> {
    conn.read_transaction(|conn| plan_import(conn, merchant_id, bytes, options))
}

/// `preview` inside the caller's transaction (apply's, under the merchant lock).
pub(super) fn plan_import(
    conn: &mut DbConnection,
    merchant_id: i64,
    bytes: &[u8],
    options: &ImportOptions,
) -> Result<Preview> {
    let mut preview = Preview::default();
    let table = match read_table(bytes) {
        Ok(table) => table,
        Err(problems) => {
            preview.problems = problems;
            return Ok(preview);
        }
    };
    let (_, unplaced) = Mapping::detect(&table.header);
    preview.unmapped = unplaced
        .iter()
        .map(|i| table.header[*i].clone())
        .filter(|column| !options.choices.iter().any(|(c, _)| c == column))
        .collect();
    let mapping = match Mapping::with_choices(&table.header, &options.choices) {
        Ok(mapping) => mapping,
        Err(problems) => {
            preview.columns = described(&table.header, &Mapping::detect(&table.header).0);
            preview.problems = problems;
            return Ok(preview);
        }
    };
    preview.columns = described(&table.header, &mapping);
    let merchant = Merchant::find(conn, merchant_id)?;
    let stores = Location::all_of(conn, merchant_id)?;
    let columns = match Columns::new(&table, &mapping, &stores) {
        Ok(columns) => columns,
        Err(problems) => {
            preview.problems = problems;
            return Ok(preview);
        }
    };
    let existing = Existing::load(conn, merchant_id)?;
    let mut seen: HashMap<String, usize> = HashMap::new();
    for row in columns.rows(&table) {
        preview.rows += 1;
        let planned = match plan_row(&row, &columns, &existing, merchant.currency) {
            Ok(planned) => planned,
            Err(problems) => {
                preview.problems.extend(problems);
                continue;
            }
        };
        if let Some(first) = seen.insert(planned.sku().to_owned(), row.number) {
            preview.problems.push(FileProblem::row(
                row.number,
                Some(columns.header_of(&Target::Sku)),
                format!(
                    "SKU {} is on row {first} too: a SKU may appear once",
                    planned.sku()
                ),
            ));
            continue;
        }
        if planned.existing.is_none() {
            preview.new.push(planned);
        } else if planned.diffs.is_empty() {
            preview.unchanged += 1;
        } else {
            preview.changed.push(planned);
        }
    }
    if options.archive_missing && preview.problems.is_empty() {
        preview.archived = existing
            .items
            .values()
            .filter(|item| !item.archived && !seen.contains_key(&item.sku))
            .map(|item| Missing {
                id: item.id,
                version: item.version,
                sku: item.sku.clone(),
                name: item.name.clone(),
            })
            .collect();
        preview.archived.sort_by_key(|m| m.id);
    }
    preview.problems.sort_by_key(|p| p.row);
    Ok(preview)
}

/// Each column's header and the field it was taken as.
fn described(header: &[String], mapping: &Mapping) -> Vec<(String, String)> {
    header
        .iter()
        .zip(&mapping.targets)
        .map(|(column, target)| (column.clone(), target.name()))
        .collect()
}

/// The merchant's items by SKU, with their stock levels.
struct Existing {
    items: HashMap<String, Item>,
    levels: HashMap<(i64, i64), i64>,
}

impl Existing {
    fn load(conn: &mut DbConnection, merchant_id: i64) -> Result<Existing> {
        let rows: Vec<ItemRow> = items::table
            .filter(items::merchant_id.eq(merchant_id))
            .select(ItemRow::as_select())
            .load(conn)?;
        let mut found = HashMap::with_capacity(rows.len());
        for row in rows {
            let item = Item::from_row(row)?;
            found.insert(item.sku.clone(), item);
        }
        let levels = stock_levels::table
            .inner_join(items::table)
            .filter(items::merchant_id.eq(merchant_id))
            .select((
                stock_levels::item_id,
                stock_levels::location_id,
                stock_levels::on_hand,
            ))
            .load::<(i64, i64, i64)>(conn)?
            .into_iter()
            .map(|(item, store, on_hand)| ((item, store), on_hand))
            .collect();
        Ok(Existing {
            items: found,
            levels,
        })
    }
}

/// Where each target's cell is, and the stores of the stock columns.
struct Columns {
    header: Vec<String>,
    targets: Vec<Target>,
    /// For each stock column: (column index, store id, store name).
    stock: Vec<(usize, i64, String)>,
    shopify: bool,
    decimal_comma: bool,
}

/// One item's cells, by target (a Shopify variant's cells filled in from
/// its product's first row).
struct Row {
    number: usize,
    cells: HashMap<Target, String>,
    /// Shopify option values, in column order.
    options: Vec<String>,
    stock: Vec<(i64, String)>,
}

impl Columns {
    fn new(
        table: &Table,
        mapping: &Mapping,
        stores: &[Location],
    ) -> Result<Columns, Vec<FileProblem>> {
        let mut stock = Vec::new();
        let mut problems = Vec::new();
        for (index, target) in mapping.targets.iter().enumerate() {
            if let Target::Stock(name) = target {
                match stores
                    .iter()
                    .find(|s| s.name.trim().eq_ignore_ascii_case(name.trim()))
                {
                    Some(store) => stock.push((index, store.id, store.name.clone())),
                    None => problems.push(FileProblem::row(
                        1,
                        Some(table.header[index].clone()),
                        format!(
                            "There is no open store named {name:?}; stores: {}",
                            stores
                                .iter()
                                .map(|s| s.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )),
                }
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Columns {
            header: table.header.clone(),
            targets: mapping.targets.clone(),
            stock,
            shopify: mapping.shopify,
            decimal_comma: table.decimal_comma(),
        })
    }

    /// The header of the column mapped to `target` (its field name if none).
    fn header_of(&self, target: &Target) -> String {
        self.targets
            .iter()
            .position(|t| t == target)
            .map_or_else(|| target.name(), |i| self.header[i].clone())
    }

    /// The rows as items: a Shopify export's variant rows take the product's
    /// title, description and status from its first row, and rows with no
    /// variant (image rows) are skipped.
    fn rows(&self, table: &Table) -> Vec<Row> {
        let mut rows = Vec::with_capacity(table.rows.len());
        let mut product: HashMap<Target, String> = HashMap::new();
        let mut handle = String::new();
        for (number, cells) in &table.rows {
            let mut row = Row {
                number: *number,
                cells: HashMap::new(),
                options: Vec::new(),
                stock: Vec::new(),
            };
            for (index, target) in self.targets.iter().enumerate() {
                let cell = cells[index].clone();
                match target {
                    Target::Ignore | Target::Stock(_) => {}
                    Target::OptionValue => {
                        if !cell.trim().is_empty() {
                            row.options.push(cell.trim().to_owned());
                        }
                    }
                    target => {
                        row.cells.insert(target.clone(), cell);
                    }
                }
            }
            row.stock = self
                .stock
                .iter()
                .map(|(index, store, _)| (*store, cells[*index].clone()))
                .collect();
            if self.shopify {
                let this = row.cells.get(&Target::Handle).cloned().unwrap_or_default();
                let titled = row
                    .cells
                    .get(&Target::Name)
                    .is_some_and(|t| !t.trim().is_empty());
                if this != handle || titled {
                    handle = this;
                    product = [
                        Target::Name,
                        Target::DescriptionHtml,
                        Target::Published,
                        Target::Status,
                    ]
                    .into_iter()
                    .filter_map(|t| row.cells.get(&t).map(|v| (t, v.clone())))
                    .collect();
                }
                let variant = [Target::Sku, Target::Price]
                    .iter()
                    .any(|t| row.cells.get(t).is_some_and(|v| !v.trim().is_empty()));
                if !variant {
                    continue;
                }
                for (target, value) in &product {
                    row.cells.insert(target.clone(), value.clone());
                }
            }
            rows.push(row);
        }
        rows
    }
}

/// A row's plan against the item with its SKU, if there is one.
fn plan_row(
    row: &Row,
    columns: &Columns,
    existing: &Existing,
    currency: Currency,
) -> std::result::Result<Planned, Vec<FileProblem>> {
    let mut problems = Vec::new();
    let problem = |target: &Target, message: String| {
        FileProblem::row(row.number, Some(columns.header_of(target)), message)
    };
    let cell = |target: &Target| row.cells.get(target).map(|v| restored(v.trim()).to_owned());
    let sku = cell(&Target::Sku).unwrap_or_default();
    let item = existing.items.get(&sku);

    let name = match (cell(&Target::Name), item) {
        (Some(title), _) if columns.shopify => shopify_name(&title, &row.options),
        (Some(name), _) => name,
        (None, Some(item)) => item.name.clone(),
        (None, None) => String::new(),
    };
    let description = match (
        &row.cells.get(&Target::DescriptionHtml),
        cell(&Target::Description),
        item,
    ) {
        (Some(html), _, _) => text_of_html(html),
        (None, Some(text), _) => text,
        (None, None, Some(item)) => item.description.clone(),
        (None, None, None) => String::new(),
    };
    let price = match (cell(&Target::Price), item) {
        (Some(price), _) if columns.decimal_comma => price.replace('.', "").replace(',', "."),
        (Some(price), _) => price,
        (None, Some(item)) => item.price.decimal(),
        (None, None) => String::new(),
    };
    let barcode = match (cell(&Target::Barcode), item) {
        (Some(barcode), _) => barcode,
        (None, Some(item)) => item.barcode.clone().unwrap_or_default(),
        (None, None) => String::new(),
    };
    let fields = ItemFields::parse(
        &ItemInput {
            sku: &sku,
            name: &name,
            description: &description,
            price: &price,
            currency: "",
            barcode: &barcode,
        },
        currency,
    )
    .map_err(|errors| {
        for error in errors {
            let target = match error.field {
                "sku" => Target::Sku,
                "name" => Target::Name,
                "description" if columns.shopify => Target::DescriptionHtml,
                "description" => Target::Description,
                "barcode" => Target::Barcode,
                _ => Target::Price,
            };
            problems.push(problem(&target, error.message));
        }
    })
    .ok();

    let flag =
        |target: &Target, current: Option<bool>, default: bool, problems: &mut Vec<FileProblem>| {
            match cell(target).filter(|v| !v.is_empty()) {
                None => current.unwrap_or(default),
                Some(raw) => parse_flag(&raw).unwrap_or_else(|| {
                    problems.push(problem(target, format!("{raw:?} is not yes or no")));
                    default
                }),
            }
        };
    let in_store = flag(
        &Target::InStore,
        item.map(Item::in_store),
        true,
        &mut problems,
    );
    let archived = flag(
        &Target::Archived,
        item.map(|i| i.archived),
        false,
        &mut problems,
    );
    let backorder = flag(
        &Target::Backorder,
        item.map(|i| i.allow_backorder),
        false,
        &mut problems,
    );
    let online = match cell(&Target::Online).filter(|v| !v.is_empty()) {
        Some(raw) => parse_online(&raw).unwrap_or_else(|| {
            problems.push(problem(
                &Target::Online,
                format!("{raw:?} is not not_online, view_only or for_sale"),
            ));
            OnlineListing::Hidden
        }),
        None if columns.shopify => shopify_listing(&row.cells),
        None => item.map_or(OnlineListing::Hidden, Item::online),
    };
    let designation = Designation::new(in_store, online)
        .map_err(|rule| problems.push(problem(&Target::Online, rule.to_string())))
        .ok();
    let online_buffer = match (cell(&Target::OnlineBuffer), item) {
        (Some(raw), _) => parse_buffer(&raw, "online_buffer")
            .map_err(|e| problems.push(problem(&Target::OnlineBuffer, e.message)))
            .unwrap_or_default(),
        (None, Some(item)) => item.online_buffer,
        (None, None) => None,
    };
    let mut counts = Vec::new();
    for ((store, raw), (_, _, store_name)) in row.stock.iter().zip(&columns.stock) {
        let raw = raw.trim();
        if raw.is_empty() {
            continue;
        }
        match StockCount::parse(raw, "stock") {
            Ok(count) => {
                let before = item
                    .and_then(|item| existing.levels.get(&(item.id, *store)).copied())
                    .unwrap_or(0);
                if count.get() != before || item.is_none() {
                    counts.push(Count {
                        store: *store,
                        counted: count.get(),
                        before,
                    });
                }
            }
            Err(_) => problems.push(problem(
                &Target::Stock(store_name.clone()),
                format!("{raw:?} is not a stock count: a whole number, 0 or more"),
            )),
        }
    }
    let (Some(fields), Some(designation), true) = (fields, designation, problems.is_empty()) else {
        return Err(problems);
    };
    let settings = StockSettings {
        online_buffer,
        allow_backorder: backorder,
        auto_view_only: item.is_some_and(|i| i.auto_view_only),
    };
    let mut planned = Planned {
        row: row.number,
        existing: item.map(|i| (i.id, i.version)),
        fields,
        designation,
        archived,
        settings,
        counts,
        diffs: Vec::new(),
    };
    planned.diffs = diffs(&planned, item, columns);
    Ok(planned)
}

/// The field-by-field differences, old → new (old is empty for a new item).
fn diffs(planned: &Planned, item: Option<&Item>, columns: &Columns) -> Vec<Diff> {
    let buffer = |b: Option<i64>| b.map(|b| b.to_string()).unwrap_or_default();
    let now = [
        ("sku", planned.fields.sku.as_str().to_owned()),
        ("name", planned.fields.name.as_str().to_owned()),
        (
            "description",
            planned.fields.description.as_str().to_owned(),
        ),
        ("price", planned.fields.price.decimal()),
        (
            "barcode",
            planned
                .fields
                .barcode
                .as_ref()
                .map(|b| b.as_str().to_owned())
                .unwrap_or_default(),
        ),
        (
            "in_store",
            flag_cell(planned.designation.in_store()).to_owned(),
        ),
        (
            "online",
            online_cell(planned.designation.online()).to_owned(),
        ),
        ("archived", flag_cell(planned.archived).to_owned()),
        ("online_buffer", buffer(planned.settings.online_buffer)),
        (
            "backorder",
            flag_cell(planned.settings.allow_backorder).to_owned(),
        ),
    ];
    let was: Option<[String; 10]> = item.map(|item| {
        [
            item.sku.clone(),
            item.name.clone(),
            item.description.clone(),
            item.price.decimal(),
            item.barcode.clone().unwrap_or_default(),
            flag_cell(item.in_store()).to_owned(),
            online_cell(item.online()).to_owned(),
            flag_cell(item.archived).to_owned(),
            buffer(item.online_buffer),
            flag_cell(item.allow_backorder).to_owned(),
        ]
    });
    let mut diffs: Vec<Diff> = now
        .into_iter()
        .enumerate()
        .filter_map(|(i, (field, new))| {
            let old = was.as_ref().map(|was| was[i].clone()).unwrap_or_default();
            (old != new && !(was.is_none() && new.is_empty())).then(|| Diff {
                field: field.to_owned(),
                old,
                new,
            })
        })
        .collect();
    for count in &planned.counts {
        let name = columns
            .stock
            .iter()
            .find(|(_, id, _)| *id == count.store)
            .map_or_else(String::new, |(_, _, name)| name.clone());
        diffs.push(Diff {
            field: format!("stock:{name}"),
            old: if item.is_some() {
                count.before.to_string()
            } else {
                String::new()
            },
            new: count.counted.to_string(),
        });
    }
    diffs
}

fn parse_flag(raw: &str) -> Option<bool> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "yes" | "y" | "true" | "1" => Some(true),
        "no" | "n" | "false" | "0" => Some(false),
        _ => None,
    }
}

fn parse_online(raw: &str) -> Option<OnlineListing> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "not_online" | "hidden" => Some(OnlineListing::Hidden),
        "view_only" => Some(OnlineListing::ViewOnly),
        "for_sale" => Some(OnlineListing::ForSale),
        _ => None,
    }
}

/// A Shopify product's listing: for sale when active (and published, when
/// the export says), otherwise not online.
fn shopify_listing(cells: &HashMap<Target, String>) -> OnlineListing {
    let status = cells
        .get(&Target::Status)
        .map(|s| s.trim().to_ascii_lowercase());
    let published = cells.get(&Target::Published).and_then(|p| parse_flag(p));
    let active = match status.as_deref() {
        Some("") | None => published.unwrap_or(false),
        Some(status) => status == "active" && published.unwrap_or(true),
    };
    if active {
        OnlineListing::ForSale
    } else {
        OnlineListing::Hidden
    }
}

/// `Title — Red / Large`; a product's single `Default Title` variant keeps
/// the title alone.
fn shopify_name(title: &str, options: &[String]) -> String {
    let options: Vec<&str> = options
        .iter()
        .map(String::as_str)
        .filter(|o| *o != "Default Title")
        .collect();
    if options.is_empty() {
        title.to_owned()
    } else {
        format!("{title} — {}", options.join(" / "))
    }
}

/// Shopify's `Body (HTML)` as plain text: tags dropped (block ends become
/// line breaks), the common entities decoded, runs of blank lines closed up.
fn text_of_html(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        text.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('>') else {
            rest = &rest[open..];
            break;
        };
        let tag = rest[open + 1..open + close]
            .trim_start_matches('/')
            .to_ascii_lowercase();
        if ["p", "br", "div", "li", "h1", "h2", "h3", "h4", "tr"]
            .iter()
            .any(|block| tag.split([' ', '/']).next() == Some(block))
        {
            text.push('\n');
        }
        rest = &rest[open + close + 1..];
    }
    text.push_str(rest);
    let decoded = text
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    decoded
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shopify_html_becomes_text() {
        assert_eq!(
            text_of_html(
                "<p>Light &amp; <strong>warm</strong></p><ul><li>Wool</li><li>Cotton</li></ul>"
            ),
            "Light & warm\nWool\nCotton"
        );
    }

    #[test]
    fn variants_are_named_by_their_options() {
        assert_eq!(shopify_name("Scarf", &["Default Title".into()]), "Scarf");
        assert_eq!(
            shopify_name("Scarf", &["Red".into(), "Long".into()]),
            "Scarf — Red / Long"
        );
    }
}
