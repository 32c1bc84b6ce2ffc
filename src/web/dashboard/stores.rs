//! `/settings/stores`: add, change, archive and restore the shop's stores.
//! Every change goes through `inventory::stores`, the catalog's write path.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::items::render;
use super::{Layout, Notice, see_other, set_flash};
use crate::domain::FieldError;
use crate::inventory::merchants::Location;
use crate::inventory::permissions::Permission;
use crate::inventory::stores::{self, StoreDetails, StoreInput};
use crate::inventory::{Actor, InventoryError};
use crate::web::auth::CurrentStaff;
use crate::web::errors::HtmlError;
use crate::web::{AppState, run};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/settings/stores", web::get().to(list))
        .route("/settings/stores", web::post().to(add))
        .route("/settings/stores/{id}", web::post().to(change))
        .route("/settings/stores/{id}/archive", web::post().to(archive))
        .route("/settings/stores/{id}/restore", web::post().to(restore));
}

#[derive(Debug, Clone, Default, Deserialize)]
struct StoreForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    hours: String,
    fulfils_online: Option<String>,
}

impl StoreForm {
    fn details(&self) -> Result<StoreDetails, Vec<FieldError>> {
        StoreDetails::parse(&StoreInput {
            name: &self.name,
            address: &self.address,
            hours: &self.hours,
            fulfils_online: self.fulfils_online.is_some(),
        })
    }
}

#[derive(Template)]
#[template(path = "settings/stores.html")]
struct StoresPage {
    layout: Layout,
    stores: Vec<Location>,
    /// The form that failed (`new` or a store's id), what was typed and why.
    failed: Option<(Option<i64>, StoreForm, Vec<FieldError>)>,
}

impl StoresPage {
    /// The error of `field` in the form of store `store` (0: the new-store form).
    fn error(&self, store: impl std::borrow::Borrow<i64>, field: &str) -> Option<&str> {
        let store = Some(*store.borrow()).filter(|id| *id != 0);
        self.failed
            .as_ref()
            .filter(|(which, _, _)| *which == store)
            .and_then(|(_, _, errors)| errors.iter().find(|e| e.field == field))
            .map(|e| e.message.as_str())
    }

    /// What the new-store form shows: what was typed into it when it failed.
    fn typed_new(&self) -> StoreForm {
        self.failed
            .as_ref()
            .filter(|(which, _, _)| which.is_none())
            .map(|(_, form, _)| form.clone())
            .unwrap_or_else(|| StoreForm {
                fulfils_online: Some("1".into()),
                ..StoreForm::default()
            })
    }
}

async fn page(
    state: &AppState,
    current: &CurrentStaff,
    failed: Option<(Option<i64>, StoreForm, Vec<FieldError>)>,
) -> Result<HttpResponse, HtmlError> {
    let merchant_id = current.merchant.id;
    let stores = run(state, move |conn| Location::every_of(conn, merchant_id)).await?;
    let status = if failed.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut response = render(&StoresPage {
        layout: Layout::new(current, "settings"),
        stores,
        failed,
    })?;
    *response.status_mut() = status;
    Ok(response)
}

async fn list(
    state: web::Data<AppState>,
    current: CurrentStaff,
) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::ManageStores)?;
    page(&state, &current, None).await
}

async fn add(
    state: web::Data<AppState>,
    current: CurrentStaff,
    form: web::Form<StoreForm>,
) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::ManageStores)?;
    let form = form.into_inner();
    let details = match form.details() {
        Ok(details) => details,
        Err(errors) => return page(&state, &current, Some((None, form, errors))).await,
    };
    let (merchant_id, actor) = (current.merchant.id, Actor::of(&current.staff));
    match run(&state, move |conn| {
        stores::add_store(conn, &actor, merchant_id, &details)
    })
    .await
    {
        Ok(store) => {
            log::info!(
                "merchant {merchant_id}: staff {} added store {}",
                current.staff.id,
                store.id
            );
            set_flash(
                &current.session,
                Notice::success(format!("{} is added", store.name)),
            );
            Ok(see_other("/settings/stores"))
        }
        Err(InventoryError::Invalid(error)) => {
            page(&state, &current, Some((None, form, vec![error]))).await
        }
        Err(other) => Err(other.into()),
    }
}

async fn change(
    state: web::Data<AppState>,
    current: CurrentStaff,
    path: web::Path<i64>,
    form: web::Form<StoreForm>,
) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::ManageStores)?;
    let store_id = path.into_inner();
    let form = form.into_inner();
    let details = match form.details() {
        Ok(details) => details,
        Err(errors) => return page(&state, &current, Some((Some(store_id), form, errors))).await,
    };
    let (merchant_id, actor) = (current.merchant.id, Actor::of(&current.staff));
    match run(&state, move |conn| {
        stores::change_store(conn, &actor, merchant_id, store_id, &details)
    })
    .await
    {
        Ok(store) => {
            log::info!(
                "merchant {merchant_id}: staff {} changed store {}",
                current.staff.id,
                store.id
            );
            set_flash(
                &current.session,
                Notice::success(format!("{} is saved", store.name)),
            );
            Ok(see_other("/settings/stores"))
        }
        Err(InventoryError::Invalid(error)) => {
            page(&state, &current, Some((Some(store_id), form, vec![error]))).await
        }
        Err(other) => Err(other.into()),
    }
}

async fn set_archived(
    state: &AppState,
    current: &CurrentStaff,
    store_id: i64,
    archived: bool,
) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::ManageStores)?;
    let (merchant_id, actor) = (current.merchant.id, Actor::of(&current.staff));
    let store = run(state, move |conn| {
        stores::set_store_archived(conn, &actor, merchant_id, store_id, archived)
    })
    .await?;
    log::info!(
        "merchant {merchant_id}: staff {} {} store {}",
        current.staff.id,
        if archived { "archived" } else { "restored" },
        store.id
    );
    set_flash(
        &current.session,
        Notice::success(if archived {
            format!(
                "{} is archived: its stock history is kept, and its point-of-sale tokens no longer work",
                store.name
            )
        } else {
            format!("{} is open again", store.name)
        }),
    );
    Ok(see_other("/settings/stores"))
}

async fn archive(
    state: web::Data<AppState>,
    current: CurrentStaff,
    path: web::Path<i64>,
) -> Result<HttpResponse, HtmlError> {
    set_archived(&state, &current, path.into_inner(), true).await
}

async fn restore(
    state: web::Data<AppState>,
    current: CurrentStaff,
    path: web::Path<i64>,
) -> Result<HttpResponse, HtmlError> {
    set_archived(&state, &current, path.into_inner(), false).await
}
