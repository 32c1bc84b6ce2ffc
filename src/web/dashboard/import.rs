//! `/items/import`: upload a catalogue file, see what it would change and
//! every problem by row and column, map its columns, then apply it all or
//! nothing. The upload is kept (one per person) between preview and apply.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use futures_util::TryStreamExt;
use serde::Deserialize;

use super::items::render;
use super::{Layout, Notice, see_other, set_flash};
use crate::inventory::catalog_file::{
    self, ApplyOutcome, FileProblem, ImportOptions, Planned, Preview, Target,
};
use crate::inventory::merchants::Location;
use crate::inventory::permissions::Permission;
use crate::inventory::{Actor, InventoryError};
use crate::web::auth::CurrentStaff;
use crate::web::errors::HtmlError;
use crate::web::{AppState, run};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/items/import", web::get().to(upload_form))
        .route("/items/import", web::post().to(upload))
        .route("/items/import/{id}", web::get().to(show_preview))
        .route("/items/import/{id}/options", web::post().to(set_options))
        .route("/items/import/{id}/apply", web::post().to(apply));
}

/// Changes shown per page of the preview.
const PER_PAGE: usize = 50;

#[derive(Template)]
#[template(path = "items/import.html")]
struct UploadPage {
    layout: Layout,
    /// The message beside the file field.
    error: Option<String>,
    limit_mb: usize,
}

async fn upload_form(
    state: web::Data<AppState>,
    current: CurrentStaff,
) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::EditItems)?;
    render(&UploadPage {
        layout: Layout::new(&current, "items"),
        error: None,
        limit_mb: state.import_limit / (1024 * 1024),
    })
}

/// The upload form again, with `error` beside the file field.
fn upload_refused(
    state: &AppState,
    current: &CurrentStaff,
    status: StatusCode,
    error: String,
) -> Result<HttpResponse, HtmlError> {
    let mut response = render(&UploadPage {
        layout: Layout::new(current, "items"),
        error: Some(error),
        limit_mb: state.import_limit / (1024 * 1024),
    })?;
    *response.status_mut() = status;
    Ok(response)
}

/// A multipart form: `file` and `archive_missing`. The CSRF token comes in
/// the query string (see `csrf::guard`). Past the size limit the rest of the
/// body is read and dropped, up to twice the limit, so the browser gets the
/// answer; beyond that the connection is closed.
async fn upload(
    state: web::Data<AppState>,
    current: CurrentStaff,
    mut form: Multipart,
) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::EditItems)?;
    let limit = state.import_limit;
    let mut content: Option<(String, Vec<u8>)> = None;
    let mut archive_missing = false;
    let mut too_large = false;
    let mut received = 0usize;
    while let Some(mut field) = form
        .try_next()
        .await
        .map_err(|e| HtmlError::BadRequest(format!("The upload could not be read: {e}")))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field
            .content_disposition()
            .and_then(|d| d.get_filename())
            .map(str::to_owned);
        let mut bytes = Vec::new();
        while let Some(chunk) = field
            .try_next()
            .await
            .map_err(|e| HtmlError::BadRequest(format!("The upload could not be read: {e}")))?
        {
            received += chunk.len();
            if received > limit {
                too_large = true;
                if received > limit.saturating_mul(2) {
                    break;
                }
                continue;
            }
            bytes.extend_from_slice(&chunk);
        }
        match name.as_str() {
            "file" => content = Some((file_name.unwrap_or_default(), bytes)),
            "archive_missing" => archive_missing = !bytes.is_empty(),
            _ => {}
        }
        if received > limit.saturating_mul(2) {
            break;
        }
    }
    if too_large {
        return upload_refused(
            &state,
            &current,
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "The file is larger than the {} MB limit; nothing was read into the catalogue. \
                 Split it, or import it with `shelfsync import`.",
                limit / (1024 * 1024)
            ),
        );
    }
    let Some((file_name, bytes)) = content.filter(|(name, _)| !name.is_empty()) else {
        return upload_refused(
            &state,
            &current,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Choose a CSV file to upload".to_owned(),
        );
    };
    let file_name = display_name(&file_name);
    let (merchant_id, staff_id) = (current.merchant.id, current.staff.id);
    let id = run(&state, move |conn| {
        catalog_file::keep_upload(
            conn,
            merchant_id,
            staff_id,
            &file_name,
            &bytes,
            archive_missing,
        )
    })
    .await?;
    Ok(see_other(&format!("/items/import/{id}")))
}

/// The file's name without any folder a browser sent, and without control
/// characters.
fn display_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or(raw);
    let clean: String = base.chars().filter(|c| !c.is_control()).take(200).collect();
    if clean.trim().is_empty() {
        "file.csv".to_owned()
    } else {
        clean
    }
}

#[derive(Template)]
#[template(path = "items/import_preview.html")]
struct PreviewPage {
    layout: Layout,
    upload_id: i64,
    file_name: String,
    preview: Preview,
    archive_missing: bool,
    /// This page of the new and changed items.
    shown: Vec<Shown>,
    page: usize,
    pages: usize,
    /// Each column: its header, the field it is read as, and the choices.
    columns: Vec<ColumnChoice>,
    fingerprint: String,
    /// A message above the preview (the catalogue moved since it was shown).
    notice: Option<Notice>,
}

/// A new or changed item on the preview.
struct Shown {
    row: usize,
    new: bool,
    sku: String,
    name: String,
    diffs: Vec<(String, String, String)>,
}

impl Shown {
    fn of(preview: &Preview, planned: &Planned) -> Shown {
        Shown {
            row: planned.row,
            new: planned.existing.is_none(),
            sku: planned.sku().to_owned(),
            name: planned.name().to_owned(),
            diffs: preview
                .diffs_of(planned)
                .iter()
                .map(|d| (d.field.clone(), d.old.clone(), d.new.clone()))
                .collect(),
        }
    }
}

struct ColumnChoice {
    header: String,
    chosen: String,
    /// Field names offered (shelfsync's fields, each store's stock, ignore).
    options: Vec<String>,
    unmapped: bool,
}

impl PreviewPage {
    fn problem_where(&self, problem: &FileProblem) -> String {
        match (&problem.row, &problem.column) {
            (Some(row), _) => row.to_string(),
            _ => "file".to_owned(),
        }
    }

    fn page_url(&self, page: usize) -> String {
        format!("/items/import/{}?page={page}", self.upload_id)
    }

    fn can_apply(&self) -> bool {
        self.preview.problems.is_empty() && self.preview.changes_anything()
    }
}

#[derive(Deserialize)]
struct PageParams {
    page: Option<String>,
}

async fn show_preview(
    state: web::Data<AppState>,
    current: CurrentStaff,
    path: web::Path<i64>,
    params: web::Query<PageParams>,
) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::EditItems)?;
    let page = match params.page.as_deref().filter(|p| !p.is_empty()) {
        None => 1,
        Some(raw) => raw
            .parse::<usize>()
            .ok()
            .filter(|p| *p >= 1)
            .ok_or_else(|| HtmlError::BadRequest(format!("page: {raw:?} is not a page number")))?,
    };
    let page_view = preview_page(&state, &current, path.into_inner(), page, None).await?;
    render(&page_view)
}

/// Loads the person's upload and works out its preview.
async fn preview_page(
    state: &AppState,
    current: &CurrentStaff,
    upload_id: i64,
    page: usize,
    notice: Option<Notice>,
) -> Result<PreviewPage, HtmlError> {
    let (merchant_id, staff_id) = (current.merchant.id, current.staff.id);
    let (upload, preview, stores) = run(state, move |conn| {
        let upload = catalog_file::find_upload(conn, merchant_id, staff_id, upload_id)?;
        let preview = catalog_file::preview(conn, merchant_id, &upload.content, &upload.options)?;
        let stores = Location::all_of(conn, merchant_id)?;
        Ok((upload, preview, stores))
    })
    .await
    .map_err(|e| match e {
        InventoryError::NotFound(_) => HtmlError::NotFound(
            "That import was not found: it was applied already, or replaced by a newer upload."
                .to_owned(),
        ),
        other => other.into(),
    })?;
    // In the file's order, as the merchant knows it from their spreadsheet.
    let mut listed: Vec<&Planned> = preview.new.iter().chain(&preview.changed).collect();
    listed.sort_by_key(|planned| planned.row);
    let pages = listed.len().div_ceil(PER_PAGE).max(1);
    let page = page.min(pages);
    let shown = listed
        .iter()
        .skip((page - 1) * PER_PAGE)
        .take(PER_PAGE)
        .map(|p| Shown::of(&preview, p))
        .collect();
    let mut options: Vec<String> = Target::FIELDS.iter().map(Target::name).collect();
    options.extend(stores.iter().map(|s| Target::Stock(s.name.clone()).name()));
    options.push(Target::Ignore.name());
    let columns = preview
        .columns
        .iter()
        .map(|(header, chosen)| {
            let mut offered = options.clone();
            if !offered.contains(chosen) {
                offered.insert(0, chosen.clone());
            }
            ColumnChoice {
                header: header.clone(),
                chosen: chosen.clone(),
                options: offered,
                unmapped: preview.unmapped.contains(header),
            }
        })
        .collect();
    Ok(PreviewPage {
        layout: Layout::new(current, "items"),
        upload_id: upload.id,
        file_name: upload.file_name,
        fingerprint: preview.fingerprint(),
        archive_missing: upload.options.archive_missing,
        preview,
        shown,
        page,
        pages,
        columns,
        notice,
    })
}

/// The mapping form: `column` and `field` repeated in pairs, and
/// `archive_missing`.
#[derive(Deserialize)]
struct OptionsForm {
    #[serde(default)]
    column: Vec<String>,
    #[serde(default)]
    field: Vec<String>,
    archive_missing: Option<String>,
}

async fn set_options(
    state: web::Data<AppState>,
    current: CurrentStaff,
    path: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::EditItems)?;
    let form: OptionsForm = serde_html_form::from_bytes(&body)
        .map_err(|e| HtmlError::BadRequest(format!("The column form could not be read: {e}")))?;
    if form.column.len() != form.field.len() {
        return Err(HtmlError::BadRequest(
            "Each column needs one field; reload the preview and map again.".to_owned(),
        ));
    }
    let options = ImportOptions {
        archive_missing: form.archive_missing.is_some(),
        choices: form.column.into_iter().zip(form.field).collect(),
    };
    let upload_id = path.into_inner();
    let (merchant_id, staff_id) = (current.merchant.id, current.staff.id);
    run(&state, move |conn| {
        catalog_file::set_upload_options(conn, merchant_id, staff_id, upload_id, &options)
    })
    .await?;
    Ok(see_other(&format!("/items/import/{upload_id}")))
}

#[derive(Deserialize)]
struct ApplyForm {
    fingerprint: Option<String>,
}

async fn apply(
    state: web::Data<AppState>,
    current: CurrentStaff,
    path: web::Path<i64>,
    form: web::Form<ApplyForm>,
) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::EditItems)?;
    let upload_id = path.into_inner();
    let Some(seen) = form.into_inner().fingerprint.filter(|f| !f.is_empty()) else {
        return Err(HtmlError::BadRequest(
            "fingerprint: the preview this apply is for is missing; open the preview again."
                .to_owned(),
        ));
    };
    let actor = Actor::of(&current.staff);
    let (merchant_id, staff_id) = (current.merchant.id, current.staff.id);
    let outcome = run(&state, move |conn| {
        let upload = catalog_file::find_upload(conn, merchant_id, staff_id, upload_id)?;
        let outcome = catalog_file::apply(
            conn,
            &actor,
            merchant_id,
            &upload.file_name,
            &upload.content,
            &upload.options,
            Some(&seen),
            &mut (),
        )?;
        if let ApplyOutcome::Applied(_) | ApplyOutcome::Unchanged(_) = outcome {
            catalog_file::discard_upload(conn, upload.id)?;
        }
        Ok((upload.file_name, outcome))
    })
    .await?;
    match outcome {
        (file_name, ApplyOutcome::Applied(applied)) => {
            set_flash(
                &current.session,
                Notice::success(format!(
                    "Imported {file_name}: {} new, {} changed, {} archived (catalog version {})",
                    applied.new, applied.changed, applied.archived, applied.catalog_version
                )),
            );
            Ok(see_other("/items"))
        }
        (file_name, ApplyOutcome::Unchanged(_)) => {
            set_flash(
                &current.session,
                Notice::success(format!(
                    "{file_name} changes nothing; nothing was imported."
                )),
            );
            Ok(see_other("/items"))
        }
        (_, ApplyOutcome::Stale(_)) => {
            let page = preview_page(
                &state,
                &current,
                upload_id,
                1,
                Some(Notice::warning(
                    "The catalogue changed since that preview (someone's edit, or a sale), so \
                     nothing was applied. This is the preview as things stand now; check it and \
                     apply again.",
                )),
            )
            .await?;
            let mut response = render(&page)?;
            *response.status_mut() = StatusCode::CONFLICT;
            Ok(response)
        }
        (_, ApplyOutcome::Refused(_)) => {
            let page = preview_page(&state, &current, upload_id, 1, None).await?;
            let mut response = render(&page)?;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
    }
}
