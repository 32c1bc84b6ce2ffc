//! `/items/new` and `/items/{id}`: create and edit an item, with each
//! validation message beside its field; archive and restore.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::item_stock::{StockPanel, load_panel};
use super::items::render;
use super::{Layout, Notice, see_other, set_flash};
use crate::domain::{Designation, FieldError, OnlineListing};
use crate::inventory::audit::{self, AuditEntry};
use crate::inventory::designations::describe as describe_state;
use crate::inventory::items::{ItemInput, create_item, edit_item, set_archived};
use crate::inventory::{InventoryError, Item, ItemFields};
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

/// The text of the form as typed, so a re-render keeps it.
#[derive(Debug, Clone, Default, Deserialize)]
struct ItemFormData {
    #[serde(default)]
    sku: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    price: String,
    #[serde(default)]
    barcode: String,
    /// Only on the create form.
    in_store: Option<String>,
    /// Only on the create form.
    online: Option<String>,
    /// Only on the edit form.
    version: Option<String>,
}

impl ItemFormData {
    fn of(item: &Item) -> ItemFormData {
        ItemFormData {
            sku: item.sku.clone(),
            name: item.name.clone(),
            description: item.description.clone(),
            price: item.price.decimal(),
            barcode: item.barcode.clone().unwrap_or_default(),
            in_store: item.in_store().then(|| "1".to_owned()),
            online: Some(item.online().as_str().to_owned()),
            version: Some(item.version.to_string()),
        }
    }

    fn input(&self) -> ItemInput<'_> {
        ItemInput {
            sku: &self.sku,
            name: &self.name,
            description: &self.description,
            price: &self.price,
            currency: "",
            barcode: &self.barcode,
        }
    }
}

/// Field errors by field name, for the template.
#[derive(Default)]
struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

#[derive(Template)]
#[template(path = "items/form.html")]
pub(super) struct ItemFormPage {
    layout: Layout,
    /// `None` on the create form.
    item_id: Option<i64>,
    form: ItemFormData,
    errors: FieldErrors,
    notice: Option<Notice>,
    currency: String,
    archived: bool,
    state: String,
    /// Stock per store, movements and the stock forms (edit page only).
    pub(super) stock: StockPanel,
    history: Vec<AuditEntry>,
    online_choices: Vec<(&'static str, &'static str)>,
}

impl ItemFormPage {
    fn new(current: &CurrentStaff, item_id: Option<i64>, form: ItemFormData) -> ItemFormPage {
        ItemFormPage {
            layout: Layout::new(current, "items"),
            item_id,
            form,
            errors: FieldErrors::default(),
            notice: None,
            currency: current.merchant.currency.as_str().to_owned(),
            archived: false,
            state: String::new(),
            stock: StockPanel::empty(),
            history: Vec::new(),
            online_choices: OnlineListing::ALL
                .iter()
                .map(|o| (o.as_str(), o.label()))
                .collect(),
        }
    }

    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field)
    }

    fn online_selected(&self, value: &str) -> bool {
        self.form.online.as_deref().unwrap_or("hidden") == value
    }
}

fn unprocessable(page: &ItemFormPage) -> Result<HttpResponse, HtmlError> {
    let mut response = render(page)?;
    *response.status_mut() = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
    Ok(response)
}

async fn new_form(current: CurrentStaff) -> Result<HttpResponse, HtmlError> {
    let form = ItemFormData {
        in_store: Some("1".into()),
        online: Some("hidden".into()),
        ..ItemFormData::default()
    };
    render(&ItemFormPage::new(&current, None, form))
}

async fn create(
    state: web::Data<AppState>,
    current: CurrentStaff,
    form: web::Form<ItemFormData>,
) -> Result<HttpResponse, HtmlError> {
    let form = form.into_inner();
    let mut page = ItemFormPage::new(&current, None, form.clone());
    let fields = ItemFields::parse(&form.input(), current.merchant.currency);
    let online = OnlineListing::parse(form.online.as_deref().unwrap_or("hidden"));
    let (fields, online) = match (fields, online) {
        (Ok(fields), Ok(online)) => (fields, online),
        (fields, online) => {
            page.errors.0 = fields.err().unwrap_or_default();
            page.errors.0.extend(online.err());
            return unprocessable(&page);
        }
    };
    let designation = match Designation::new(form.in_store.is_some(), online) {
        Ok(designation) => designation,
        Err(rule) => {
            page.errors
                .0
                .push(FieldError::new("online", rule.to_string()));
            return unprocessable(&page);
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
            page.errors.0.push(error);
            unprocessable(&page)
        }
        Err(other) => Err(other.into()),
    }
}

/// Fills in what the edit page shows besides the form.
async fn load_details(
    state: &AppState,
    page: &mut ItemFormPage,
    item: &Item,
) -> Result<(), HtmlError> {
    let (merchant_id, item_id) = (item.merchant_id, item.id);
    let history = run(state, move |conn| {
        Ok(audit::entries(conn, merchant_id, Some(item_id), None, 20)?.entries)
    })
    .await?;
    page.stock = load_panel(state, item).await?;
    page.history = history;
    page.archived = item.archived;
    page.state = describe_state(item);
    Ok(())
}

/// The edit page of an item as it is now.
pub(super) async fn edit_page(
    state: &AppState,
    current: &CurrentStaff,
    item: &Item,
) -> Result<ItemFormPage, HtmlError> {
    let mut page = ItemFormPage::new(current, Some(item.id), ItemFormData::of(item));
    load_details(state, &mut page, item).await?;
    Ok(page)
}

async fn edit_form(
    state: web::Data<AppState>,
    current: CurrentStaff,
    path: web::Path<i64>,
) -> Result<HttpResponse, HtmlError> {
    let (merchant_id, item_id) = (current.merchant.id, path.into_inner());
    let item = run(&state, move |conn| Item::find(conn, merchant_id, item_id)).await?;
    render(&edit_page(&state, &current, &item).await?)
}

async fn update(
    state: web::Data<AppState>,
    current: CurrentStaff,
    path: web::Path<i64>,
    form: web::Form<ItemFormData>,
) -> Result<HttpResponse, HtmlError> {
    let (merchant_id, item_id) = (current.merchant.id, path.into_inner());
    let form = form.into_inner();
    let existing = run(&state, move |conn| Item::find(conn, merchant_id, item_id)).await?;
    let mut page = ItemFormPage::new(&current, Some(item_id), form.clone());
    load_details(&state, &mut page, &existing).await?;
    let Some(version) = form
        .version
        .as_deref()
        .and_then(|v| v.trim().parse::<i64>().ok())
    else {
        page.notice = Some(Notice::error(
            "The form was missing the item version; nothing was saved.",
        ));
        page.form.version = Some(existing.version.to_string());
        return unprocessable(&page);
    };
    let fields = match ItemFields::parse(&form.input(), current.merchant.currency) {
        Ok(fields) => fields,
        Err(errors) => {
            page.errors.0 = errors;
            return unprocessable(&page);
        }
    };
    let actor = current.actor();
    match run(&state, move |conn| {
        edit_item(conn, &actor, merchant_id, item_id, version, &fields)
    })
    .await
    {
        Ok(item) => {
            set_flash(
                &current.session,
                Notice::success(format!("{} was saved", item.name)),
            );
            Ok(see_other(&format!("/items/{item_id}")))
        }
        Err(InventoryError::Invalid(error)) => {
            page.errors.0.push(error);
            unprocessable(&page)
        }
        Err(InventoryError::Conflict { current: now }) => {
            page.notice = Some(Notice::warning(format!(
                "Someone else saved this item while you were editing (it is now “{}”, {}). Your changes are below; save again to overwrite.",
                now.name, now.price
            )));
            page.form.version = Some(now.version.to_string());
            let mut response = render(&page)?;
            *response.status_mut() = actix_web::http::StatusCode::CONFLICT;
            Ok(response)
        }
        Err(other) => Err(other.into()),
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
    let (merchant_id, item_id) = (current.merchant.id, path.into_inner());
    let back = format!("/items/{item_id}");
    let archived = match form.to.as_deref() {
        Some("archive") => true,
        Some("restore") => false,
        _ => return Err(HtmlError::BadRequest("Choose archive or restore.".into())),
    };
    let Some(version) = form
        .version
        .as_deref()
        .and_then(|v| v.trim().parse::<i64>().ok())
    else {
        return Err(HtmlError::BadRequest(
            "The form was missing the item version; nothing was changed.".into(),
        ));
    };
    let actor = current.actor();
    match run(&state, move |conn| {
        set_archived(conn, &actor, merchant_id, item_id, version, archived)
    })
    .await
    {
        Ok(item) => {
            let verb = if archived { "archived" } else { "restored" };
            set_flash(
                &current.session,
                Notice::success(format!("{} was {verb}", item.name)),
            );
        }
        Err(InventoryError::Conflict { .. }) => set_flash(
            &current.session,
            Notice::warning("Someone else changed this item; check it and press again."),
        ),
        Err(other) => return Err(other.into()),
    }
    Ok(see_other(&back))
}
