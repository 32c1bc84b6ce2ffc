//! What each column of a file means: one of shelfsync's fields, a store's
//! stock, or nothing. shelfsync's own export and a Shopify product export
//! are recognised; any other header is mapped by the merchant (a form, or
//! `--mapping` on the command line).

use super::{COLUMNS, FileProblem, STOCK_PREFIX};

/// The meaning of one column.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    Sku,
    Name,
    Description,
    /// Shopify's `Body (HTML)`: a description with markup to drop.
    DescriptionHtml,
    Price,
    Barcode,
    InStore,
    Online,
    Archived,
    OnlineBuffer,
    Backorder,
    /// On-hand count at the store with this name.
    Stock(String),
    /// Shopify: the product a variant row belongs to.
    Handle,
    /// Shopify: `TRUE`/`FALSE`, whether the product is on the online store.
    Published,
    /// Shopify: `active`, `draft` or `archived`.
    Status,
    /// Shopify: a variant's option value (`Option1 Value` … `Option3 Value`).
    OptionValue,
    Ignore,
}

impl Target {
    /// The choices a merchant maps a column to (stores come from the shop).
    pub const FIELDS: [Target; 10] = [
        Target::Sku,
        Target::Name,
        Target::Description,
        Target::Price,
        Target::Barcode,
        Target::InStore,
        Target::Online,
        Target::Archived,
        Target::OnlineBuffer,
        Target::Backorder,
    ];

    /// The name a mapping uses: shelfsync's column names, `stock:<store>`, `ignore`.
    pub fn name(&self) -> String {
        match self {
            Target::Stock(store) => format!("{STOCK_PREFIX}{store}"),
            Target::DescriptionHtml => "description".to_owned(),
            Target::Handle => "shopify:handle".to_owned(),
            Target::Published => "shopify:published".to_owned(),
            Target::Status => "shopify:status".to_owned(),
            Target::OptionValue => "shopify:option".to_owned(),
            Target::Ignore => "ignore".to_owned(),
            field => COLUMNS[Target::FIELDS
                .iter()
                .position(|f| f == field)
                .unwrap_or_default()]
            .to_owned(),
        }
    }

    /// A mapping's name back to its target; `None` if it names nothing.
    pub fn parse(name: &str) -> Option<Target> {
        let name = name.trim();
        if let Some(store) = name.strip_prefix(STOCK_PREFIX) {
            return Some(Target::Stock(store.trim().to_owned()));
        }
        if name.eq_ignore_ascii_case("ignore") {
            return Some(Target::Ignore);
        }
        COLUMNS
            .iter()
            .position(|c| c.eq_ignore_ascii_case(name))
            .map(|i| Target::FIELDS[i].clone())
    }
}

/// Each column's target, in the file's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    pub targets: Vec<Target>,
    /// The file is a Shopify product export (variant rows are grouped).
    pub shopify: bool,
}

/// Shopify product export columns shelfsync reads; every other column of
/// such a file is ignored.
const SHOPIFY: [(&str, Target); 10] = [
    ("Handle", Target::Handle),
    ("Title", Target::Name),
    ("Body (HTML)", Target::DescriptionHtml),
    ("Variant SKU", Target::Sku),
    ("Variant Price", Target::Price),
    ("Variant Barcode", Target::Barcode),
    ("Published", Target::Published),
    ("Option1 Value", Target::OptionValue),
    ("Option2 Value", Target::OptionValue),
    ("Option3 Value", Target::OptionValue),
];

impl Mapping {
    /// The mapping a header asks for by itself: shelfsync's names (any
    /// case), or a Shopify export. Columns it can't place are `None`.
    pub fn detect(header: &[String]) -> (Mapping, Vec<usize>) {
        let shopify =
            header.iter().any(|h| h == "Handle") && header.iter().any(|h| h == "Variant SKU");
        let mut unplaced = Vec::new();
        let targets = header
            .iter()
            .enumerate()
            .map(|(i, column)| {
                if shopify {
                    if column == "Status" {
                        return Target::Status;
                    }
                    return SHOPIFY
                        .iter()
                        .find(|(name, _)| name == column)
                        .map_or(Target::Ignore, |(_, target)| target.clone());
                }
                Target::parse(column).unwrap_or_else(|| {
                    unplaced.push(i);
                    Target::Ignore
                })
            })
            .collect();
        (Mapping { targets, shopify }, unplaced)
    }

    /// The detected mapping with the merchant's choices laid over it:
    /// `choices` pairs a column header with a target's name.
    pub fn with_choices(
        header: &[String],
        choices: &[(String, String)],
    ) -> Result<Mapping, Vec<FileProblem>> {
        let (mut mapping, mut unplaced) = Mapping::detect(header);
        let mut problems = Vec::new();
        for (column, chosen) in choices {
            let Some(index) = header.iter().position(|h| h == column.trim()) else {
                problems.push(FileProblem::mapping(
                    column,
                    format!("The file has no column {column:?}"),
                ));
                continue;
            };
            match Target::parse(chosen) {
                Some(target) => {
                    mapping.targets[index] = target;
                    unplaced.retain(|i| *i != index);
                }
                None => problems.push(FileProblem::mapping(
                    column,
                    format!(
                        "{chosen:?} is not a field; use one of {}, stock:<store name> or ignore",
                        COLUMNS.join(", ")
                    ),
                )),
            }
        }
        for index in unplaced {
            problems.push(FileProblem::mapping(
                &header[index],
                format!(
                    "Column {:?} is not one of shelfsync's; map it to a field or to ignore",
                    header[index]
                ),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for (index, target) in mapping.targets.iter().enumerate() {
            let repeatable = matches!(target, Target::Ignore | Target::OptionValue);
            if !repeatable && !seen.insert(target.clone()) {
                problems.push(FileProblem::mapping(
                    &header[index],
                    format!("Two columns are mapped to {}", target.name()),
                ));
            }
        }
        if !mapping.targets.contains(&Target::Sku) {
            problems.push(FileProblem::file(
                "No column is the SKU: items are matched by SKU, so one column must be sku",
            ));
        }
        if problems.is_empty() {
            Ok(mapping)
        } else {
            Err(problems)
        }
    }

    /// Reads a mapping file: CSV rows of `column,field` (a header row
    /// `column,field` is allowed).
    pub fn parse_choices(bytes: &[u8]) -> Result<Vec<(String, String)>, Vec<FileProblem>> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(bytes);
        let mut choices = Vec::new();
        let mut problems = Vec::new();
        for (index, record) in reader.records().enumerate() {
            let row = index + 1;
            match record {
                Ok(record) if record.len() == 2 => {
                    let (column, field) = (record[0].trim(), record[1].trim());
                    if !(row == 1 && column == "column" && field == "field") {
                        choices.push((column.to_owned(), field.to_owned()));
                    }
                }
                Ok(_) => problems.push(FileProblem::row(
                    row,
                    None,
                    "A mapping row is `column,field`".to_owned(),
                )),
                Err(e) => problems.push(FileProblem::row(row, None, e.to_string())),
            }
        }
        if problems.is_empty() {
            Ok(choices)
        } else {
            Err(problems)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    #[test]
    fn shelfsyncs_own_header_maps_itself() {
        let (mapping, unplaced) = Mapping::detect(&header(&["SKU", "name", "stock:Downtown"]));
        assert!(unplaced.is_empty());
        assert_eq!(
            mapping.targets,
            [Target::Sku, Target::Name, Target::Stock("Downtown".into())]
        );
    }

    #[test]
    fn a_shopify_export_is_recognised() {
        let (mapping, unplaced) = Mapping::detect(&header(&[
            "Handle",
            "Title",
            "Body (HTML)",
            "Vendor",
            "Variant SKU",
            "Variant Price",
            "Status",
        ]));
        assert!(mapping.shopify);
        assert!(unplaced.is_empty());
        assert_eq!(mapping.targets[3], Target::Ignore);
        assert_eq!(mapping.targets[6], Target::Status);
    }

    #[test]
    fn an_unknown_column_must_be_mapped() {
        let columns = header(&["Code", "Product"]);
        let problems = Mapping::with_choices(&columns, &[]).expect_err("unmapped");
        assert!(problems.iter().any(|p| p.column.as_deref() == Some("Code")));
        let mapped = Mapping::with_choices(
            &columns,
            &[
                ("Code".into(), "sku".into()),
                ("Product".into(), "name".into()),
            ],
        )
        .expect("mapped");
        assert_eq!(mapped.targets, [Target::Sku, Target::Name]);
        for target in Target::FIELDS {
            assert_eq!(Target::parse(&target.name()), Some(target));
        }
    }
}
