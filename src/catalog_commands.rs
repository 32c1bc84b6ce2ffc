//! The catalogue file on the command line: `shelfsync export` writes the
//! dashboard's CSV, `shelfsync import` previews a file and applies it, all
//! or nothing.

use std::io::{IsTerminal, Write};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::config::{ExportArgs, ImportArgs};
use crate::db;
use crate::inventory::catalog_file::{
    self, ApplyOutcome, ApplyProgress, CatalogExport, ImportOptions, Mapping, Preview,
};
use crate::inventory::item_list::ItemFilter;
use crate::inventory::merchants::Merchant;
use crate::inventory::{Actor, InventoryError};
use crate::startup::{StartError, open};

/// `shelfsync export`: the merchant's catalogue as CSV, written a chunk at a
/// time to the file or standard output.
pub fn export(args: &ExportArgs) -> Result<(), StartError> {
    let filter = ItemFilter::parse(&args.filter)
        .map_err(|e| StartError::Usage(format!("--filter: {}", e.message)))?;
    let pool = open(&args.database)?;
    let mut conn = pool.get().map_err(db::SetupError::from)?;
    let merchant = Merchant::by_slug(&mut conn, &args.merchant)?;
    let mut export = CatalogExport::start(&mut conn, merchant.id, &args.search, filter)?;
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).map_err(|e| {
                StartError::Usage(format!("--output: can't create {}: {e}", path.display()))
            })?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    while let Some(chunk) = export.next_chunk(&mut conn)? {
        out.write_all(&chunk)?;
    }
    out.flush()?;
    Ok(())
}

/// `shelfsync import`: prints the preview (counts, then every problem with
/// its row and column), and unless `--dry-run`, applies the file in one
/// transaction. Any problem: exit non-zero, nothing changed.
pub fn import(args: &ImportArgs) -> Result<(), StartError> {
    let bytes = std::fs::read(&args.file)
        .map_err(|e| StartError::Usage(format!("can't read {}: {e}", args.file.display())))?;
    let choices = match &args.mapping {
        None => Vec::new(),
        Some(path) => {
            let raw = std::fs::read(path).map_err(|e| {
                StartError::Usage(format!("--mapping: can't read {}: {e}", path.display()))
            })?;
            Mapping::parse_choices(&raw).map_err(|problems| {
                StartError::Usage(format!(
                    "--mapping {}: {}",
                    path.display(),
                    problems
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; ")
                ))
            })?
        }
    };
    let options = ImportOptions {
        archive_missing: args.archive_missing,
        choices,
    };
    let file_name = args
        .file
        .file_name()
        .map_or_else(|| "file".to_owned(), |n| n.to_string_lossy().into_owned());
    let pool = open(&args.database)?;
    let mut conn = pool.get().map_err(db::SetupError::from)?;
    db::run_migrations(&mut conn)?;
    let merchant = Merchant::by_slug(&mut conn, &args.merchant)?;
    if args.dry_run {
        let preview = catalog_file::preview(&mut conn, merchant.id, &bytes, &options)?;
        print_summary(&file_name, &preview);
        if !preview.problems.is_empty() {
            return Err(refused(&preview));
        }
        println!("dry run: nothing was changed");
        return Ok(());
    }
    // The apply plans the file once, under the merchant lock; its plan is
    // the summary printed, before anything is written.
    let mut report = Report {
        file_name: &file_name,
        bar: None,
    };
    let outcome = catalog_file::apply(
        &mut conn,
        &Actor::command_line(),
        merchant.id,
        &file_name,
        &bytes,
        &options,
        None,
        &mut report,
    )?;
    if let Some(bar) = report.bar {
        bar.finish_and_clear();
    }
    match outcome {
        ApplyOutcome::Applied(applied) => {
            println!(
                "applied: {} new, {} changed, {} archived, at catalog version {} (import {})",
                applied.new,
                applied.changed,
                applied.archived,
                applied.catalog_version,
                applied.import_id
            );
            Ok(())
        }
        ApplyOutcome::Unchanged(_) => {
            println!("nothing to change");
            Ok(())
        }
        ApplyOutcome::Refused(preview) | ApplyOutcome::Stale(preview) => Err(refused(&preview)),
    }
}

/// What the command line shows of an apply: the plan's summary, then a
/// progress bar on a terminal, or a line every 10,000 items otherwise.
struct Report<'a> {
    file_name: &'a str,
    bar: Option<ProgressBar>,
}

impl ApplyProgress for Report<'_> {
    fn planned(&mut self, plan: &Preview) {
        print_summary(self.file_name, plan);
        self.bar = progress_bar(plan.new.len() + plan.changed.len() + plan.archived.len());
    }

    fn applied(&mut self, done: usize, total: usize) {
        match &self.bar {
            Some(bar) => bar.set_position(done as u64),
            None if done.is_multiple_of(10_000) || done == total => {
                eprintln!("applied {done} of {total} items");
            }
            None => {}
        }
    }
}

fn print_summary(file_name: &str, preview: &Preview) {
    println!(
        "{file_name}: {} rows; {} new, {} changed, {} unchanged, {} with errors{}",
        preview.rows,
        preview.new.len(),
        preview.changed.len(),
        preview.unchanged,
        preview.problems.len(),
        if preview.archived.is_empty() {
            String::new()
        } else {
            format!(
                "; {} items not in the file will be archived",
                preview.archived.len()
            )
        }
    );
    for planned in &preview.changed {
        let diffs: Vec<String> = preview
            .diffs_of(planned)
            .iter()
            .map(|d| format!("{}: {} → {}", d.field, d.old, d.new))
            .collect();
        println!(
            "  row {}, {}: {}",
            planned.row,
            planned.sku(),
            diffs.join("; ")
        );
    }
    for problem in &preview.problems {
        eprintln!("{problem}");
    }
}

fn refused(preview: &Preview) -> StartError {
    StartError::Inventory(InventoryError::NotAllowed(format!(
        "the file has {} error(s); nothing was changed",
        preview.problems.len()
    )))
}

/// A bar on a terminal; `None` elsewhere (plain progress lines instead).
fn progress_bar(total: usize) -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} items {eta}") {
        bar.set_style(style);
    }
    Some(bar)
}
