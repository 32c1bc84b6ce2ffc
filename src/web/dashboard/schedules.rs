//! Scheduled designation changes on the dashboard: the item page's
//! "Schedule a change" form and *Cancel* (`POST /items/{id}/schedules…`),
//! and `/items/schedules`, every pending change of the shop. Times are typed
//! and shown in the shop's time zone; the service stores them in UTC.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::item_page::{ItemFormData, ItemPage, ScheduleFormData, ScheduleRow, load_view};
use super::items::render;
use super::row::DesignationAction;
use super::{Layout, Notice, safe_return, see_other, set_flash};
use crate::domain::FieldError;
use crate::inventory::permissions::Permission;
use crate::inventory::{InventoryError, schedules};
use crate::web::auth::CurrentStaff;
use crate::web::errors::HtmlError;
use crate::web::{AppState, run};

pub fn config(cfg: &mut web::ServiceConfig) {
    // Before `/items/{id}`, which would take `schedules` for an id.
    cfg.route("/items/schedules", web::get().to(list))
        .route("/items/schedules/bulk", web::post().to(schedule_selected))
        .route("/items/{id}/schedules", web::post().to(schedule))
        .route(
            "/items/{id}/schedules/{schedule_id}/cancel",
            web::post().to(cancel),
        );
}

/// Every pending scheduled change of the shop.
#[derive(Template)]
#[template(path = "items/schedules.html")]
struct SchedulesPage {
    layout: Layout,
    rows: Vec<ScheduleRow>,
    time_zone: String,
    /// Why a bulk schedule from the item list stored nothing.
    error: Option<FieldError>,
}

impl SchedulesPage {
    async fn load(state: &AppState, current: &CurrentStaff) -> Result<SchedulesPage, HtmlError> {
        let merchant_id = current.merchant.id;
        let pending = run(state, move |conn| schedules::pending(conn, merchant_id)).await?;
        Ok(SchedulesPage {
            rows: pending
                .iter()
                .map(|p| ScheduleRow::of(current, &p.scheduled, &p.item_name, &p.sku))
                .collect(),
            time_zone: current.merchant.time_zone.name().to_owned(),
            layout: Layout::new(current, "items"),
            error: None,
        })
    }
}

/// `GET /items/schedules`.
async fn list(
    state: web::Data<AppState>,
    current: CurrentStaff,
) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::Designate)?;
    render(&SchedulesPage::load(&state, &current).await?)
}

/// The item list's bulk form, sent with *Schedule for selected*.
#[derive(Deserialize)]
struct BulkScheduleForm {
    #[serde(default)]
    ids: Vec<String>,
    all_matching: Option<String>,
    q: Option<String>,
    filter: Option<String>,
    action: Option<String>,
    #[serde(default)]
    due_at: String,
}

/// `POST /items/schedules/bulk`: the same change for every selected item,
/// all or nothing; bad input is the schedules page with the message (422).
async fn schedule_selected(
    state: web::Data<AppState>,
    current: CurrentStaff,
    form: web::Bytes,
) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::Designate)?;
    let form: BulkScheduleForm = serde_html_form::from_bytes(&form)
        .map_err(|e| HtmlError::BadRequest(format!("The bulk form could not be read: {e}")))?;
    let selection = super::bulk::selection(
        &form.ids,
        form.all_matching.as_deref(),
        form.q.as_deref(),
        form.filter.as_deref(),
    )?;
    let merchant_id = current.merchant.id;
    let outcome = match form.action.as_deref().and_then(DesignationAction::parse) {
        None => Err(InventoryError::Invalid(FieldError::new(
            "change",
            "Choose what should change for the selected items",
        ))),
        Some(action) => {
            let (actor, due_at) = (current.actor(), form.due_at.clone());
            run(&state, move |conn| {
                schedules::schedule_many(
                    conn,
                    &actor,
                    merchant_id,
                    &selection,
                    action.change(),
                    &due_at,
                    chrono::Utc::now().naive_utc(),
                )
            })
            .await
            .map(|planned| (action, planned))
        }
    };
    match outcome {
        Ok((action, planned)) => {
            let due = planned.first().map(|p| {
                current
                    .merchant
                    .time_zone
                    .show(p.due_at, "%a %Y-%m-%d %H:%M")
            });
            set_flash(
                &current.session,
                Notice::success(format!(
                    "Scheduled: {} on {} for {} item(s)",
                    action.label(),
                    due.unwrap_or_default(),
                    planned.len()
                )),
            );
            Ok(see_other("/items/schedules"))
        }
        Err(InventoryError::Invalid(error)) => {
            let mut page = SchedulesPage::load(&state, &current).await?;
            page.error = Some(error);
            let mut response = render(&page)?;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
        Err(other) => Err(other.into()),
    }
}

/// `POST /items/{id}/schedules`: plans a change; bad input is the item page
/// again (422) with the message beside the field, and nothing stored.
async fn schedule(
    state: web::Data<AppState>,
    current: CurrentStaff,
    path: web::Path<i64>,
    form: web::Form<ScheduleFormData>,
) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::Designate)?;
    let (merchant_id, item_id) = (current.merchant.id, path.into_inner());
    let input = form.into_inner();
    let outcome = match DesignationAction::parse(input.change.trim()) {
        None => Err(InventoryError::Invalid(FieldError::new(
            "change",
            "Choose what should change: sell online, view online and buy in store, or remove from online",
        ))),
        Some(action) => {
            let (actor, due_at) = (current.actor(), input.due_at.clone());
            run(&state, move |conn| {
                schedules::schedule(
                    conn,
                    &actor,
                    merchant_id,
                    item_id,
                    action.change(),
                    &due_at,
                    chrono::Utc::now().naive_utc(),
                )
            })
            .await
            .map(|scheduled| (action, scheduled))
        }
    };
    match outcome {
        Ok((action, scheduled)) => {
            let due = current
                .merchant
                .time_zone
                .show(scheduled.due_at, "%a %Y-%m-%d %H:%M");
            set_flash(
                &current.session,
                Notice::success(format!("Scheduled: {} on {due}", action.label())),
            );
            Ok(see_other(&format!("/items/{item_id}#schedules")))
        }
        Err(InventoryError::Invalid(error)) => {
            let view = load_view(&state, &current, item_id).await?;
            let form = ItemFormData::of(&view.item);
            let mut page = ItemPage::of(&current, view, form);
            page.errors = vec![error];
            page.schedules.input = input;
            page.respond(StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(other) => Err(other.into()),
    }
}

/// Where *Cancel* came from, to go back to.
#[derive(Debug, Deserialize)]
struct CancelForm {
    return_to: Option<String>,
}

/// `POST /items/{id}/schedules/{schedule_id}/cancel`.
async fn cancel(
    state: web::Data<AppState>,
    current: CurrentStaff,
    path: web::Path<(i64, i64)>,
    form: web::Form<CancelForm>,
) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::Designate)?;
    let (item_id, schedule_id) = path.into_inner();
    let merchant_id = current.merchant.id;
    let cancelled = run(&state, move |conn| {
        schedules::cancel(conn, merchant_id, item_id, schedule_id)
    })
    .await?;
    let due = current
        .merchant
        .time_zone
        .show(cancelled.due_at, "%a %Y-%m-%d %H:%M");
    set_flash(
        &current.session,
        Notice::success(format!("The change scheduled for {due} is cancelled")),
    );
    let back = format!("/items/{item_id}#schedules");
    Ok(see_other(&safe_return(form.return_to.as_deref(), &back)))
}
