//! The catalogue as a spreadsheet file (CSV): the columns both directions
//! share, how a cell is kept from running as a formula, and the export.

mod apply;
mod columns;
mod export;
mod mapping;
mod preview;
mod reading;
mod row_plan;
mod shopify;
mod uploads;

pub use apply::{Applied, ApplyOutcome, ApplyProgress, apply};
pub use export::CatalogExport;
pub use mapping::{Mapping, Target};
pub use preview::{Count, Diff, ImportOptions, Missing, Planned, Preview, preview};
pub use uploads::{
    ImportRecord, Upload, discard_upload, find_upload, keep_upload, recent_imports,
    set_upload_options,
};

use crate::domain::OnlineListing;

/// The fixed columns, in order; one `stock:<store name>` column per open
/// store follows them.
pub const COLUMNS: [&str; 10] = [
    "sku",
    "name",
    "description",
    "price",
    "barcode",
    "in_store",
    "online",
    "archived",
    "online_buffer",
    "backorder",
];

/// Something wrong with a file: where (the spreadsheet row, the header row
/// being 1, and the column's header) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileProblem {
    /// `None` for the file as a whole.
    pub row: Option<usize>,
    pub column: Option<String>,
    pub message: String,
}

impl FileProblem {
    pub fn file(message: impl Into<String>) -> FileProblem {
        FileProblem {
            row: None,
            column: None,
            message: message.into(),
        }
    }

    pub fn row(row: usize, column: Option<String>, message: String) -> FileProblem {
        FileProblem {
            row: Some(row),
            column,
            message,
        }
    }

    /// A column the mapping can't place (row 1, the header).
    pub fn mapping(column: &str, message: String) -> FileProblem {
        FileProblem::row(1, Some(column.trim().to_owned()), message)
    }
}

impl std::fmt::Display for FileProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.row, &self.column) {
            (Some(row), Some(column)) => write!(f, "row {row}, column {column}: {}", self.message),
            (Some(row), None) => write!(f, "row {row}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

/// The prefix of a store's stock column.
pub const STOCK_PREFIX: &str = "stock:";

/// The file's spelling of an online listing.
pub fn online_cell(online: OnlineListing) -> &'static str {
    match online {
        OnlineListing::Hidden => "not_online",
        OnlineListing::ViewOnly => "view_only",
        OnlineListing::ForSale => "for_sale",
    }
}

/// `yes` or `no`.
pub fn flag_cell(on: bool) -> &'static str {
    if on { "yes" } else { "no" }
}

/// The characters that make a spreadsheet read a cell as a formula (or, for
/// tab and carriage return, that some of them strip before doing so).
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A text cell as it is written: one that a spreadsheet would run as a
/// formula gets a leading `'`, which spreadsheets show as text.
pub fn neutralised(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(FORMULA_STARTS) {
        std::borrow::Cow::Owned(format!("'{text}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// Undoes `neutralised` when a file is read back.
pub fn restored(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_STARTS) => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_prefixed_and_read_back_as_they_were() {
        for text in [
            "=HYPERLINK(\"x\")",
            "+1",
            "-2",
            "@SUM(A1)",
            "\tx",
            "plain",
            "'quoted",
            "",
        ] {
            let written = neutralised(text);
            if text.starts_with(FORMULA_STARTS) {
                assert!(
                    written.starts_with('\''),
                    "{text:?} was written as {written:?}"
                );
            } else {
                assert_eq!(written, text);
            }
            assert_eq!(restored(&written), text);
        }
    }
}
