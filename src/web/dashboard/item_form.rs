//! `/items/new` and `/items/{id}`: create and edit an item, with each
//! validation message beside its field; archive and restore.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use actix_web::http::StatusCode;

use super::item_page::{ItemFormData, ItemPage, load_view};
use super::{Notice, see_other, set_flash};
use crate::domain::{Designation, FieldError, OnlineListing};
use crate::inventory::item_view::{ItemView, Saved, save_item};
use crate::inventory::items::{ItemChange, ItemInput, change_item, create_item};
use crate::inventory::permissions::Permission;
use crate::inventory::{InventoryError, ItemFields};
use crate::web::auth::CurrentStaff;
use crate::web::errors::HtmlError;
use crate::web::{AppState, run};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/items/new", web::get().to(new_form))
        .route("/items/new", web::post().to(create))
        .route("/items/{id}", web::get().to(edit_form))
        .route("/items/{id}", web::post().to(update))
        .route("/items/{id}/archive", web::post().to(archive));
}

/// The item fields as the service parses them.
fn input(form: &ItemFormData) -> ItemInput<'_> {
    ItemInput {
        sku: &form.sku,
        name: &form.name,
        description: &form.description,
        price: &form.price,
        currency: "",
        barcode: &form.barcode,
    }
}

async fn new_form(current: CurrentStaff) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::EditItems)?;
    let form = ItemFormData {
        in_store: Some("1".into()),
        online: Some("hidden".into()),
        ..ItemFormData::default()
    };
    ItemPage::blank(&current, form).respond(StatusCode::OK)
}

async fn create(
    state: web::Data<AppState>,
    current: CurrentStaff,
    form: web::Form<ItemFormData>,
) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::EditItems)?;
    let form = form.into_inner();
    let mut page = ItemPage::blank(&current, form.clone());
    let fields = ItemFields::parse(&input(&form), current.merchant.currency);
    let online = OnlineListing::parse(form.online.as_deref().unwrap_or("hidden"));
    let (fields, online) = match (fields, online) {
        (Ok(fields), Ok(online)) => (fields, online),
        (fields, online) => {
            page.errors = fields.err().unwrap_or_default();
            page.errors.extend(online.err());
            return page.respond(StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    let designation = match Designation::new(form.in_store.is_some(), online) {
        Ok(designation) => designation,
        Err(rule) => {
            page.errors
                .push(FieldError::new("online", rule.to_string()));
            return page.respond(StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    let merchant_id = current.merchant.id;
    let actor = current.actor();
    match run(&state, move |conn| {
        create_item(conn, &actor, merchant_id, &fields, designation)
    })
    .await
    {
        Ok(item) => {
            set_flash(
                &current.session,
                Notice::success(format!("{} was added", item.name)),
            );
            Ok(see_other(&format!("/items/{}", item.id)))
        }
        Err(InventoryError::Invalid(error)) => {
            page.errors.push(error);
            page.respond(StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(other) => Err(other.into()),
    }
}

async fn edit_form(
    state: web::Data<AppState>,
    current: CurrentStaff,
    path: web::Path<i64>,
) -> Result<HttpResponse, HtmlError> {
    ItemPage::load(&state, &current, path.into_inner())
        .await?
        .respond(StatusCode::OK)
}

/// The item's page with the edit form as typed, `notice` above it and
/// `errors` beside its fields.
async fn retry_page(
    state: &AppState,
    current: &CurrentStaff,
    item_id: i64,
    form: ItemFormData,
    notice: Option<Notice>,
    errors: Vec<FieldError>,
) -> Result<ItemPage, HtmlError> {
    let view = load_view(state, current, item_id).await?;
    Ok(page_again(current, view, form, notice, errors))
}

/// The item page with what the person typed, and why it was not saved.
fn page_again(
    current: &CurrentStaff,
    view: ItemView,
    form: ItemFormData,
    notice: Option<Notice>,
    errors: Vec<FieldError>,
) -> ItemPage {
    let mut page = ItemPage::of(current, view, form);
    page.notice = notice;
    page.errors = errors;
    page
}

async fn update(
    state: web::Data<AppState>,
    current: CurrentStaff,
    path: web::Path<i64>,
    form: web::Form<ItemFormData>,
) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::EditItems)?;
    let (merchant_id, item_id) = (current.merchant.id, path.into_inner());
    let mut form = form.into_inner();
    let Some(version) = super::form_version(form.version.as_deref()) else {
        // Offer the current version, so saving again works.
        let view = load_view(&state, &current, item_id).await?;
        form.version = Some(view.item.version.to_string());
        let mut page = ItemPage::of(&current, view, form);
        page.notice = Some(Notice::error(
            "The form was missing the item version; nothing was saved.",
        ));
        return page.respond(StatusCode::UNPROCESSABLE_ENTITY);
    };
    let fields = match ItemFields::parse(&input(&form), current.merchant.currency) {
        Ok(fields) => fields,
        Err(errors) => {
            return retry_page(&state, &current, item_id, form, None, errors)
                .await?
                .respond(StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    let actor = current.actor();
    let change = ItemChange::fields(&fields);
    match run(&state, move |conn| {
        save_item(conn, &actor, merchant_id, item_id, version, &change)
    })
    .await?
    {
        Saved::Done(item) => {
            set_flash(
                &current.session,
                Notice::success(format!("{} was saved", item.name)),
            );
            Ok(see_other(&format!("/items/{item_id}")))
        }
        Saved::Refused {
            error: InventoryError::Conflict { current: now },
            view,
        } => {
            let notice = Notice::warning(format!(
                "Someone else saved this item while you were editing (it is now “{}”, {}). Your changes are below; save again to overwrite.",
                now.name, now.price
            ));
            form.version = Some(now.version.to_string());
            page_again(&current, *view, form, Some(notice), Vec::new())
                .respond(StatusCode::CONFLICT)
        }
        Saved::Refused {
            error: InventoryError::Invalid(error),
            view,
        } => page_again(&current, *view, form, None, vec![error])
            .respond(StatusCode::UNPROCESSABLE_ENTITY),
        Saved::Refused { error, .. } => Err(error.into()),
    }
}

#[derive(Deserialize)]
struct ArchiveForm {
    version: Option<String>,
    /// `archive` or `restore`.
    to: Option<String>,
}

async fn archive(
    state: web::Data<AppState>,
    current: CurrentStaff,
    path: web::Path<i64>,
    form: web::Form<ArchiveForm>,
) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::EditItems)?;
    let (merchant_id, item_id) = (current.merchant.id, path.into_inner());
    let back = format!("/items/{item_id}");
    let archived = match form.to.as_deref() {
        Some("archive") => true,
        Some("restore") => false,
        _ => return Err(HtmlError::BadRequest("Choose archive or restore.".into())),
    };
    let version = super::required_version(form.version.as_deref())?;
    let actor = current.actor();
    // A stale version is a 409 page saying so (see `errors.rs`).
    let item = run(&state, move |conn| {
        change_item(
            conn,
            &actor,
            merchant_id,
            item_id,
            version,
            &ItemChange::Archive(archived),
        )
    })
    .await?
    .item;
    let verb = if archived { "archived" } else { "restored" };
    set_flash(
        &current.session,
        Notice::success(format!("{} was {verb}", item.name)),
    );
    Ok(see_other(&back))
}
