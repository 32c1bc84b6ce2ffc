//! A file's columns as an import reads them: which cell holds which field,
//! the stores of the stock columns, and the rows as items (a Shopify
//! export's variant rows filled in from their product's first row).

use std::collections::HashMap;

use super::FileProblem;
use super::mapping::{Mapping, Target};
use super::reading::Table;
use crate::inventory::merchants::Location;

/// Where each target's cell is, and the stores of the stock columns.
pub(super) struct Columns {
    pub(super) header: Vec<String>,
    pub(super) targets: Vec<Target>,
    /// For each stock column: (column index, store id, store name).
    pub(super) stock: Vec<(usize, i64, String)>,
    pub(super) shopify: bool,
    pub(super) decimal_comma: bool,
}

/// One item's cells, by target (a Shopify variant's cells filled in from
/// its product's first row).
pub(super) struct Row {
    pub(super) number: usize,
    pub(super) cells: HashMap<Target, String>,
    /// Shopify option values, in column order.
    pub(super) options: Vec<String>,
    pub(super) stock: Vec<(i64, String)>,
}

impl Columns {
    pub(super) fn new(
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
    pub(super) fn header_of(&self, target: &Target) -> String {
        self.targets
            .iter()
            .position(|t| t == target)
            .map_or_else(|| target.name(), |i| self.header[i].clone())
    }

    /// The rows as items: a Shopify export's variant rows take the product's
    /// title, description and status from its first row, and rows with no
    /// variant (image rows) are skipped.
    /// One row at a time, so a large file's rows are never all held at once.
    pub(super) fn rows<'t>(&'t self, table: &'t Table) -> impl Iterator<Item = Row> + 't {
        let mut product: HashMap<Target, String> = HashMap::new();
        let mut handle = String::new();
        table.rows.iter().filter_map(move |(number, cells)| {
            let mut row = Row {
                number: *number,
                cells: HashMap::new(),
                options: Vec::new(),
                stock: Vec::new(),
            };
            for (index, target) in self.targets.iter().enumerate() {
                let cell = cells[index].to_owned();
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
                .map(|(index, store, _)| (*store, cells[*index].to_owned()))
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
                    return None;
                }
                for (target, value) in &product {
                    row.cells.insert(target.clone(), value.clone());
                }
            }
            Some(row)
        })
    }
}
