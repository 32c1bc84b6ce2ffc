//! One row against the item with its SKU: the values it sets (a missing
//! column keeps the item's value), each checked with the item form's rules,
//! and the field-by-field diff.

use super::columns::{Columns, Row};
use super::mapping::Target;
use super::preview::{Count, Diff, Existing, Planned};
use super::shopify::{shopify_listing, shopify_name, text_of_html};
use super::{FileProblem, flag_cell, online_cell, restored};
use crate::domain::{Currency, Designation, OnlineListing, StockCount};
use crate::inventory::Item;
use crate::inventory::items::{ItemFields, ItemInput, StockSettings, parse_buffer};

/// A row's plan against the item with its SKU, if there is one.
pub(super) fn plan_row(
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
    // A new item's diff is every value it gets: worked out when shown
    // (`Preview::diffs_of`), not held for every row of a large file.
    if item.is_some() {
        planned.diffs = diffs(&planned, item, &columns.stock);
    }
    Ok(planned)
}

/// The field-by-field differences, old → new (old is empty for a new item);
/// `stores` are the file's stock columns (column, store, store name).
pub(super) fn diffs(
    planned: &Planned,
    item: Option<&Item>,
    stores: &[(usize, i64, String)],
) -> Vec<Diff> {
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
        let name = stores
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
    // Held for every changed row of a large file: no room for the fields
    // that didn't change.
    diffs.shrink_to_fit();
    diffs
}

pub(super) fn parse_flag(raw: &str) -> Option<bool> {
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
