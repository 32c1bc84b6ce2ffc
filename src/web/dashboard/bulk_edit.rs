//! `/items/bulk-edit`: the bulk editor. A grid of the selected items with
//! the person's chosen columns, each cell a form input; one POST saves every
//! row or none, and a refused save draws the grid again with each message
//! beside its cell and the input kept. Undo of a saved edit is on /activity.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::items::render;
use super::{Layout, Notice, see_other, set_flash};
use crate::domain::OnlineListing;
use crate::inventory::InventoryError;
use crate::inventory::bulk_edit::{
    self, CellError, Column, Conflict, Grid, GridRow, RowInput, SaveOutcome,
};
use crate::inventory::designations::{MAX_BULK, Selected, Selection};
use crate::inventory::item_list::ItemFilter;
use crate::inventory::permissions::Permission;
use crate::web::auth::CurrentStaff;
use crate::web::errors::HtmlError;
use crate::web::{AppState, run};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/items/bulk-edit", web::get().to(editor))
        .route("/items/bulk-edit", web::post().to(save))
        .route("/items/bulk-edit/open", web::post().to(open))
        .route("/items/bulk-edit/columns", web::post().to(choose_columns));
}

/// Which items the editor is for, as the item list sends them.
#[derive(Deserialize, Default)]
struct SelectionForm {
    #[serde(default)]
    ids: Vec<String>,
    all_matching: Option<String>,
    q: Option<String>,
    filter: Option<String>,
    #[serde(default)]
    column: Vec<String>,
}

impl SelectionForm {
    fn read(bytes: &[u8]) -> Result<SelectionForm, HtmlError> {
        serde_html_form::from_bytes(bytes)
            .map_err(|e| HtmlError::BadRequest(format!("The selection could not be read: {e}")))
    }

    fn all_matching(&self) -> bool {
        self.all_matching.as_deref() == Some("1")
    }

    fn selection(&self) -> Result<Selection, HtmlError> {
        if self.all_matching() {
            let filter = self
                .filter
                .as_deref()
                .filter(|f| !f.is_empty())
                .map(ItemFilter::parse)
                .transpose()
                .map_err(|e| HtmlError::BadRequest(e.to_string()))?
                .unwrap_or_default();
            return Ok(Selection::Matching {
                search: self.q.clone().unwrap_or_default(),
                filter,
            });
        }
        let mut parsed = Vec::with_capacity(self.ids.len());
        for raw in &self.ids {
            parsed.push(Selected::parse(raw).map_err(|e| HtmlError::BadRequest(e.message))?);
        }
        Ok(Selection::Items(parsed))
    }

    /// The editor's address for this selection (ids without versions: the
    /// editor reads each item as it is when it opens).
    fn editor_url(&self) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if self.all_matching() {
            pairs.push(("all_matching", "1".into()));
        } else {
            for raw in &self.ids {
                let id = raw.split(':').next().unwrap_or_default().trim();
                pairs.push(("ids", id.to_owned()));
            }
        }
        pairs.push(("q", self.q.clone().unwrap_or_default()));
        pairs.push(("filter", self.filter.clone().unwrap_or_default()));
        format!(
            "/items/bulk-edit?{}",
            serde_html_form::to_string(&pairs).unwrap_or_default()
        )
    }

    /// The item list the person came from.
    fn list_url(&self) -> String {
        format!(
            "/items?{}",
            serde_html_form::to_string([
                ("q", self.q.as_deref().unwrap_or("")),
                ("filter", self.filter.as_deref().unwrap_or("all")),
            ])
            .unwrap_or_default()
        )
    }
}

/// *Edit selected* on the item list: to the editor's own address.
async fn open(current: CurrentStaff, form: web::Bytes) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::EditItems)?;
    let form = SelectionForm::read(&form)?;
    if !form.all_matching() && form.ids.is_empty() {
        set_flash(
            &current.session,
            Notice::error("Select the items to edit first."),
        );
        return Ok(see_other(&form.list_url()));
    }
    Ok(see_other(&form.editor_url()))
}

/// The column picker: remembered for the person, then the editor again.
async fn choose_columns(
    state: web::Data<AppState>,
    current: CurrentStaff,
    form: web::Bytes,
) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::EditItems)?;
    let form = SelectionForm::read(&form)?;
    let columns = parse_columns(&form.column)?;
    let staff_id = current.staff.id;
    run(&state, move |conn| {
        bulk_edit::choose_columns(conn, staff_id, &columns)
    })
    .await?;
    Ok(see_other(&form.editor_url()))
}

fn parse_columns(raw: &[String]) -> Result<Vec<Column>, HtmlError> {
    raw.iter()
        .map(|key| {
            Column::parse(key)
                .ok_or_else(|| HtmlError::BadRequest(format!("{key:?} is not a column.")))
        })
        .collect()
}

async fn editor(
    req: HttpRequest,
    state: web::Data<AppState>,
    current: CurrentStaff,
) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::EditItems)?;
    let form: SelectionForm = serde_html_form::from_str(req.query_string())
        .map_err(|e| HtmlError::BadRequest(format!("The selection could not be read: {e}")))?;
    let selection = form.selection()?;
    // Columns in the address (`column=price&column=stock-1`) are a choice,
    // remembered like the picker's.
    let choosing = if form.column.is_empty() {
        None
    } else {
        Some(parse_columns(&form.column)?)
    };
    let (merchant_id, staff_id) = (current.merchant.id, current.staff.id);
    let grid = match run(&state, move |conn| {
        bulk_edit::open(conn, staff_id, merchant_id, &selection, choosing.as_deref())
    })
    .await
    {
        Ok(grid) => grid,
        Err(InventoryError::Invalid(error)) if error.field == "ids" => {
            set_flash(&current.session, Notice::error(error.message));
            return Ok(see_other(&form.list_url()));
        }
        Err(other) => return Err(other.into()),
    };
    let page = EditorPage::drawn(&current, &form, grid, None);
    render(&page)
}

/// Reads the posted grid: the columns it was drawn with, then each row's
/// `row` (`ID:VERSION`), its cells `cell-ID-COLUMN`, the level each stock
/// cell showed `shown-ID-COLUMN`, and `confirm` (`ID:VERSION`) for the
/// conflicts the person chose to save over.
fn read_grid(pairs: &[(String, String)]) -> Result<(Vec<Column>, Vec<RowInput>), HtmlError> {
    let bad = |what: &str| HtmlError::BadRequest(format!("{what}; nothing was saved."));
    let mut values: HashMap<&str, &str> = HashMap::new();
    let mut column_keys = Vec::new();
    let mut row_keys = Vec::new();
    let mut confirmed: HashMap<i64, i64> = HashMap::new();
    for (name, value) in pairs {
        match name.as_str() {
            "column" => column_keys.push(value.clone()),
            "row" => row_keys.push(value.as_str()),
            "confirm" => {
                let selected = Selected::parse(value).map_err(|e| bad(&e.message))?;
                if let Some(version) = selected.seen_version {
                    confirmed.insert(selected.id, version);
                }
            }
            _ => {
                values.insert(name.as_str(), value.as_str());
            }
        }
    }
    let columns = parse_columns(&column_keys)?;
    let mut rows = Vec::with_capacity(row_keys.len());
    for raw in row_keys {
        let selected = Selected::parse(raw).map_err(|e| bad(&e.message))?;
        let seen_version = selected
            .seen_version
            .ok_or_else(|| bad(&format!("Row {raw:?} has no item version")))?;
        let id = selected.id;
        let mut row = RowInput {
            item_id: id,
            seen_version,
            confirmed_version: confirmed.get(&id).copied(),
            ..RowInput::default()
        };
        for column in &columns {
            let key = column.key();
            if let Some(value) = values.get(cell_name(id, &key).as_str()) {
                row.cells.insert(key.clone(), (*value).to_owned());
            }
            if let Some(value) = values.get(shown_name(id, &key).as_str()) {
                row.shown_counts.insert(key, (*value).to_owned());
            }
        }
        rows.push(row);
    }
    Ok((columns, rows))
}

fn cell_name(item_id: i64, column: &str) -> String {
    format!("cell-{item_id}-{column}")
}

fn shown_name(item_id: i64, column: &str) -> String {
    format!("shown-{item_id}-{column}")
}

async fn save(
    state: web::Data<AppState>,
    current: CurrentStaff,
    body: web::Bytes,
) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::EditItems)?;
    let pairs: Vec<(String, String)> = serde_html_form::from_bytes(&body)
        .map_err(|e| HtmlError::BadRequest(format!("The grid could not be read: {e}")))?;
    let form = SelectionForm {
        q: first(&pairs, "q"),
        filter: first(&pairs, "filter"),
        ..SelectionForm::default()
    };
    let (columns, rows) = read_grid(&pairs)?;
    let merchant_id = current.merchant.id;
    let currency = current.merchant.currency;
    let actor = current.actor();
    let posted = rows.clone();
    let outcome = match run(&state, move |conn| {
        bulk_edit::save(conn, &actor, merchant_id, currency, &columns, &rows)
    })
    .await
    {
        Ok(outcome) => outcome,
        Err(InventoryError::Invalid(error)) if error.field == "ids" => {
            let mut page = EditorPage::drawn(
                &current,
                &form,
                Grid {
                    stores: Vec::new(),
                    columns: Vec::new(),
                    rows: Vec::new(),
                },
                None,
            );
            page.notice = Some(Notice::error(error.message));
            return respond(&page, StatusCode::UNPROCESSABLE_ENTITY);
        }
        Err(other) => return Err(other.into()),
    };
    match outcome {
        SaveOutcome::Saved(saved) => {
            let notice = if saved.changed == 0 {
                Notice::warning("Nothing to save: no cell was changed.")
            } else {
                Notice::success(format!(
                    "Saved: {} item{} changed.",
                    saved.changed,
                    if saved.changed == 1 { "" } else { "s" }
                ))
            };
            set_flash(&current.session, notice);
            Ok(see_other(&form.list_url()))
        }
        SaveOutcome::Refused(refusal) => {
            let status = if refusal.errors.is_empty() {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let mut text = String::from("Nothing was saved.");
            if !refusal.errors.is_empty() {
                text.push_str(&format!(
                    " {} problem{} {} marked beside {} cell{}.",
                    refusal.errors.len(),
                    if refusal.errors.len() == 1 { "" } else { "s" },
                    if refusal.errors.len() == 1 {
                        "is"
                    } else {
                        "are"
                    },
                    if refusal.errors.len() == 1 {
                        "its"
                    } else {
                        "their"
                    },
                    if refusal.errors.len() == 1 { "" } else { "s" },
                ));
            }
            if !refusal.conflicts.is_empty() {
                text.push_str(&format!(
                    " {} item{} changed by someone else since you opened the editor: check the current values and tick “Save mine over it” to overwrite.",
                    refusal.conflicts.len(),
                    if refusal.conflicts.len() == 1 { " was" } else { "s were" },
                ));
            }
            let mut page = EditorPage::drawn(
                &current,
                &form,
                refusal.grid,
                Some(Posted {
                    rows: posted,
                    errors: refusal.errors,
                    conflicts: refusal.conflicts,
                }),
            );
            page.notice = Some(Notice::error(text));
            respond(&page, status)
        }
    }
}

fn first(pairs: &[(String, String)], name: &str) -> Option<String> {
    pairs
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.clone())
}

fn respond(page: &EditorPage, status: StatusCode) -> Result<HttpResponse, HtmlError> {
    let mut response = render(page)?;
    *response.status_mut() = status;
    Ok(response)
}

/// What a refused save posted, and why it was refused.
struct Posted {
    rows: Vec<RowInput>,
    errors: Vec<CellError>,
    conflicts: Vec<Conflict>,
}

#[derive(Template)]
#[template(path = "items/bulk_edit.html")]
struct EditorPage {
    layout: Layout,
    notice: Option<Notice>,
    columns: Vec<ColumnView>,
    /// Every column the person may choose, ticked where shown.
    choices: Vec<ColumnChoice>,
    rows: Vec<RowView>,
    /// The selection, for the column picker.
    ids: Vec<i64>,
    all_matching: bool,
    q: String,
    filter: String,
    list_url: String,
    online_choices: Vec<(&'static str, &'static str)>,
    max_rows: usize,
}

/// A column as the grid heads it.
struct ColumnView {
    key: String,
    label: String,
    /// `text`, `price`, `flag`, `online`, `buffer` or `count`: how its cell is drawn.
    kind: &'static str,
}

struct ColumnChoice {
    key: String,
    label: String,
    chosen: bool,
}

struct RowView {
    item_id: i64,
    name: String,
    sku: String,
    /// `ID:VERSION` as the grid was first drawn.
    row_value: String,
    cells: Vec<CellView>,
    conflict: Option<ConflictView>,
}

struct CellView {
    key: String,
    kind: &'static str,
    /// The input's name (`cell-12-price`).
    name: String,
    value: String,
    /// The item's value now, for highlighting changed cells.
    original: String,
    checked: bool,
    /// The level a stock cell showed when the grid was first drawn.
    shown: Option<String>,
    error: Option<String>,
    /// A label for screen readers: "Price of Speckled mug".
    label: String,
}

struct ConflictView {
    changed_by: String,
    changed_at: String,
    /// The item's values now, as "Price 14.00 · SKU …".
    now: String,
    /// `ID:VERSION` of the item now, for "Save mine over it" (unticked:
    /// the person confirms what they were just shown).
    confirm_value: String,
}

impl EditorPage {
    fn drawn(
        current: &CurrentStaff,
        form: &SelectionForm,
        grid: Grid,
        posted: Option<Posted>,
    ) -> EditorPage {
        let layout = Layout::new(current, "items");
        let columns: Vec<ColumnView> = grid
            .columns
            .iter()
            .map(|column| ColumnView {
                key: column.key(),
                label: match column {
                    Column::Stock(store) => grid
                        .stores
                        .iter()
                        .find(|s| s.location_id == *store)
                        .map_or_else(|| "Stock".to_owned(), |s| format!("Stock at {}", s.name)),
                    field => field.label().to_owned(),
                },
                kind: kind_of(*column),
            })
            .collect();
        let mut choices: Vec<ColumnChoice> = Column::FIELDS
            .into_iter()
            .map(|column| ColumnChoice {
                key: column.key(),
                label: column.label().to_owned(),
                chosen: grid.columns.contains(&column),
            })
            .collect();
        choices.extend(grid.stores.iter().map(|store| {
            let column = Column::Stock(store.location_id);
            ColumnChoice {
                key: column.key(),
                label: format!("Stock at {}", store.name),
                chosen: grid.columns.contains(&column),
            }
        }));
        let rows = grid
            .rows
            .iter()
            .map(|row| row_view(&layout, &grid, row, posted.as_ref()))
            .collect();
        EditorPage {
            layout,
            notice: None,
            columns,
            choices,
            rows,
            ids: grid.rows.iter().map(|row| row.item.id).collect(),
            all_matching: form.all_matching(),
            q: form.q.clone().unwrap_or_default(),
            filter: form.filter.clone().unwrap_or_default(),
            list_url: form.list_url(),
            online_choices: OnlineListing::ALL[1..]
                .iter()
                .map(|o| (o.as_str(), o.label()))
                .collect(),
            max_rows: MAX_BULK,
        }
    }
}

fn kind_of(column: Column) -> &'static str {
    match column {
        Column::Price => "price",
        Column::InStore | Column::Backorder => "flag",
        Column::Online => "online",
        Column::OnlineBuffer => "buffer",
        Column::Stock(_) => "count",
        _ => "text",
    }
}

/// A cell's value as the item has it now.
fn current_value(grid: &Grid, row: &GridRow, column: Column) -> String {
    let item = &row.item;
    match column {
        Column::Name => item.name.clone(),
        Column::Sku => item.sku.clone(),
        Column::Price => item.price.decimal(),
        Column::Barcode => item.barcode.clone().unwrap_or_default(),
        Column::Description => item.description.clone(),
        Column::InStore => flag(item.in_store()),
        Column::Online => item.online().as_str().to_owned(),
        Column::OnlineBuffer => item
            .online_buffer
            .map(|b| b.to_string())
            .unwrap_or_default(),
        Column::Backorder => flag(item.allow_backorder),
        Column::Stock(store) => row.on_hand_at(&grid.stores, store).to_string(),
    }
}

fn flag(on: bool) -> String {
    if on { "1" } else { "" }.to_owned()
}

fn row_view(layout: &Layout, grid: &Grid, row: &GridRow, posted: Option<&Posted>) -> RowView {
    let item = &row.item;
    let input = posted.and_then(|p| p.rows.iter().find(|r| r.item_id == item.id));
    let conflict = posted.and_then(|p| p.conflicts.iter().find(|c| c.item.id == item.id));
    let cells = grid
        .columns
        .iter()
        .map(|column| {
            let key = column.key();
            let original = current_value(grid, row, *column);
            let value = match input {
                Some(input) if column.is_flag() => flag(input.cells.contains_key(&key)),
                Some(input) => input.cells.get(&key).cloned().unwrap_or_default(),
                None => original.clone(),
            };
            let shown = matches!(column, Column::Stock(_)).then(|| {
                input
                    .and_then(|i| i.shown_counts.get(&key).cloned())
                    .unwrap_or_else(|| original.clone())
            });
            let error = posted.and_then(|p| {
                p.errors
                    .iter()
                    .find(|e| e.item_id == item.id && e.column == key)
                    .map(|e| e.message.clone())
            });
            CellView {
                name: cell_name(item.id, &key),
                kind: kind_of(*column),
                checked: !value.is_empty() && column.is_flag(),
                label: format!("{} of {}", column_label(grid, *column), item.name),
                key,
                value,
                original,
                shown,
                error,
            }
        })
        .collect();
    let seen_version = input.map_or(item.version, |i| i.seen_version);
    RowView {
        item_id: item.id,
        name: item.name.clone(),
        sku: item.sku.clone(),
        row_value: format!("{}:{seen_version}", item.id),
        cells,
        conflict: conflict.map(|c| ConflictView {
            changed_by: c.changed_by.clone(),
            changed_at: layout.at(&c.changed_at),
            now: grid
                .columns
                .iter()
                .map(|column| {
                    format!(
                        "{} {}",
                        column_label(grid, *column),
                        shown_now(grid, row, *column)
                    )
                })
                .collect::<Vec<_>>()
                .join(" · "),
            confirm_value: format!("{}:{}", item.id, item.version),
        }),
    }
}

fn column_label(grid: &Grid, column: Column) -> String {
    match column {
        Column::Stock(store) => grid
            .stores
            .iter()
            .find(|s| s.location_id == store)
            .map_or_else(|| "Stock".to_owned(), |s| format!("Stock at {}", s.name)),
        field => field.label().to_owned(),
    }
}

/// A current value in words, for the conflict note.
fn shown_now(grid: &Grid, row: &GridRow, column: Column) -> String {
    match column {
        Column::InStore => yes_no(row.item.in_store()),
        Column::Backorder => yes_no(row.item.allow_backorder),
        Column::Online => row.item.online().label().to_owned(),
        Column::OnlineBuffer if row.item.online_buffer.is_none() => "default".to_owned(),
        other => format!("“{}”", current_value(grid, row, other)),
    }
}

fn yes_no(on: bool) -> String {
    if on { "yes" } else { "no" }.to_owned()
}
