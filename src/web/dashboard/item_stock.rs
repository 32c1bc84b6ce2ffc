//! The stock forms of an item's page: receive stock, adjust it, record a
//! count (one route, `POST /items/{id}/stock/{kind}`), and set how the item's
//! stock shows online. Each correction form carries an idempotency key, so a
//! double-submitted form is recorded once. An htmx form is answered with the
//! stock panel alone; a plain form posts and redirects back to the page.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::item_page::{
    ItemFormData, ItemPage, StockForm, StockFormData, StockPanel, StockSwap, load_view, signed,
};
use super::{Notice, csrf, safe_return, see_other, set_flash};
use crate::domain::{Adjustment, FieldError, IdempotencyKey, Quantity, Reason, StockCount};
use crate::inventory::item_view::{self, ItemView};
use crate::inventory::permissions::{self, Permission};
use crate::inventory::stock::{
    Correction, CorrectionRequest, StockMovement, StockSettings, parse_buffer,
    set_merchant_online_buffer,
};
use crate::inventory::{InventoryError, ItemChange, change_item};
use crate::web::auth::CurrentStaff;
use crate::web::errors::HtmlError;
use crate::web::{AppState, htmx, run};

pub fn config(cfg: &mut web::ServiceConfig) {
    // The settings route comes first: `{kind}` would match it too.
    cfg.route("/items/{id}/stock/settings", web::post().to(settings))
        .route("/items/{id}/stock/{kind}", web::post().to(correction))
        .route("/settings/online-buffer", web::post().to(merchant_buffer));
}

impl StockForm {
    /// The correction form named in the URL; anything else is not a page.
    fn correction(kind: &str) -> Option<StockForm> {
        match kind {
            "receive" => Some(StockForm::Receive),
            "adjust" => Some(StockForm::Adjust),
            "count" => Some(StockForm::Count),
            _ => None,
        }
    }
}

/// Parses a stock form into a correction request, collecting every error.
fn parse(
    form: StockForm,
    data: &StockFormData,
    item_id: i64,
) -> Result<CorrectionRequest, Vec<FieldError>> {
    let mut errors = Vec::new();
    let location_id = data
        .location_id
        .trim()
        .parse::<i64>()
        .map_err(|_| errors.push(FieldError::new("location_id", "Choose a store")))
        .ok();
    let correction = match form {
        StockForm::Receive => Quantity::parse(&data.quantity, "quantity").map(Correction::Receive),
        StockForm::Adjust => Adjustment::parse(&data.quantity, "quantity").map(Correction::Adjust),
        _ => StockCount::parse(&data.quantity, "quantity").map(Correction::Count),
    }
    .map_err(|e| errors.push(e))
    .ok();
    let reason = match form {
        StockForm::Receive => Reason::or_default(&data.reason, "Delivery received"),
        _ => Reason::parse(&data.reason),
    }
    .map_err(|e| errors.push(e))
    .ok();
    let key = IdempotencyKey::parse(&data.idempotency_key)
        .map_err(|_| {
            errors.push(FieldError::new(
                "quantity",
                "The form was missing its one-time key; nothing was recorded. Submit it again.",
            ))
        })
        .ok();
    match (location_id, correction, reason, key) {
        (Some(location_id), Some(correction), Some(reason), Some(key)) if errors.is_empty() => {
            Ok(CorrectionRequest {
                item_id,
                location_id,
                correction,
                reason,
                key,
            })
        }
        _ => Err(errors),
    }
}

/// What the merchant is told once a correction is recorded.
fn confirmation(view: &ItemView, movement: &StockMovement) -> String {
    let store = view.store_name(movement.location_id).unwrap_or("the store");
    let what = match movement.kind {
        crate::domain::MovementKind::Receipt => format!("Received {}", movement.quantity),
        crate::domain::MovementKind::Count => "Counted".to_owned(),
        _ => format!("Adjusted by {}", signed(movement.quantity)),
    };
    format!(
        "{what} × {} at {store}: {} on hand now.",
        view.item.name, movement.on_hand_after
    )
}

/// Answers a stock form: for htmx the stock panel (with the catalog version
/// and `notice` out of band), otherwise the whole item page.
fn answer(
    req: &HttpRequest,
    current: &CurrentStaff,
    view: ItemView,
    panel: StockPanel,
    notice: Option<Notice>,
    status: StatusCode,
) -> Result<HttpResponse, HtmlError> {
    if htmx::is_htmx(req) {
        return StockSwap {
            panel,
            catalog_version: view.catalog_version,
            notice,
        }
        .respond(status);
    }
    let form = ItemFormData::of(&view.item);
    let mut page = ItemPage::of(current, view, form);
    page.stock = Some(panel);
    page.notice = notice;
    page.respond(status)
}

/// Re-renders the stock panel with a form's errors beside its fields.
async fn refused(
    req: &HttpRequest,
    state: &AppState,
    current: &CurrentStaff,
    item_id: i64,
    form: StockForm,
    input: StockFormData,
    errors: Vec<FieldError>,
) -> Result<HttpResponse, HtmlError> {
    let view = load_view(state, current, item_id).await?;
    let panel =
        StockPanel::of(&view, &csrf::token(&current.session), current).failed(form, input, errors);
    answer(
        req,
        current,
        view,
        panel,
        None,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
}

/// `POST /items/{id}/stock/{kind}`: receive, adjust or count.
async fn correction(
    req: HttpRequest,
    state: web::Data<AppState>,
    current: CurrentStaff,
    path: web::Path<(i64, String)>,
    form: web::Form<StockFormData>,
) -> Result<HttpResponse, HtmlError> {
    let (item_id, kind) = path.into_inner();
    let form_kind = StockForm::correction(&kind)
        .ok_or_else(|| HtmlError::NotFound("There is no such stock form.".into()))?;
    let permission = match form_kind {
        StockForm::Adjust => Permission::AdjustStock,
        _ => Permission::ReceiveAndCount,
    };
    current.require(permission)?;
    let data = form.into_inner();
    let request = match parse(form_kind, &data, item_id) {
        Ok(request) => request,
        Err(errors) => {
            return refused(&req, &state, &current, item_id, form_kind, data, errors).await;
        }
    };
    permissions::stock_at(&current.staff, permission, request.location_id)?;
    let (merchant_id, actor) = (current.merchant.id, current.actor());
    let outcome = run(&state, move |conn| {
        item_view::correct_stock(conn, &actor, merchant_id, &request)
    })
    .await;
    let back = format!("/items/{item_id}#stock");
    let notice = match outcome {
        Ok((done, view)) => {
            let told = confirmation(&view, &done.movement);
            let notice = if done.replayed {
                Notice::warning(format!(
                    "That form was already submitted; it was recorded once. {told}"
                ))
            } else {
                Notice::success(told)
            };
            if htmx::is_htmx(&req) {
                let panel = StockPanel::of(&view, &csrf::token(&current.session), &current);
                return answer(&req, &current, view, panel, Some(notice), StatusCode::OK);
            }
            notice
        }
        Err(InventoryError::Invalid(error)) => {
            return refused(
                &req,
                &state,
                &current,
                item_id,
                form_kind,
                data,
                vec![error],
            )
            .await;
        }
        Err(InventoryError::IdempotencyKeyReused) => {
            let notice = Notice::warning(
                "That form was already submitted with other values; nothing more was recorded. Check the stock below.",
            );
            if htmx::is_htmx(&req) {
                let view = load_view(&state, &current, item_id).await?;
                let panel = StockPanel::of(&view, &csrf::token(&current.session), &current);
                return answer(&req, &current, view, panel, Some(notice), StatusCode::OK);
            }
            notice
        }
        Err(other) => return Err(other.into()),
    };
    set_flash(&current.session, notice);
    Ok(see_other(&back))
}

#[derive(Debug, Clone, Default, Deserialize)]
struct SettingsForm {
    #[serde(default)]
    online_buffer: String,
    allow_backorder: Option<String>,
    auto_view_only: Option<String>,
    version: Option<String>,
}

async fn settings(
    req: HttpRequest,
    state: web::Data<AppState>,
    current: CurrentStaff,
    path: web::Path<i64>,
    form: web::Form<SettingsForm>,
) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::AdjustStock)?;
    let (merchant_id, item_id) = (current.merchant.id, path.into_inner());
    let form = form.into_inner();
    let online_buffer = match parse_buffer(&form.online_buffer, "online_buffer") {
        Ok(buffer) => buffer,
        Err(error) => {
            let input = StockFormData {
                quantity: form.online_buffer.clone(),
                ..StockFormData::default()
            };
            return refused(
                &req,
                &state,
                &current,
                item_id,
                StockForm::Settings,
                input,
                vec![error],
            )
            .await;
        }
    };
    let version = super::required_version(form.version.as_deref())?;
    let wanted = StockSettings {
        online_buffer,
        allow_backorder: form.allow_backorder.is_some(),
        auto_view_only: form.auto_view_only.is_some(),
    };
    let actor = current.actor();
    // A stale version is a 409 page saying so (see `errors.rs`).
    let item = run(&state, move |conn| {
        change_item(
            conn,
            &actor,
            merchant_id,
            item_id,
            version,
            &ItemChange::StockSettings(wanted),
        )
    })
    .await?
    .item;
    set_flash(
        &current.session,
        Notice::success(format!("Online stock settings of {} were saved", item.name)),
    );
    Ok(see_other(&format!("/items/{item_id}#stock")))
}

#[derive(Debug, Clone, Default, Deserialize)]
struct BufferForm {
    #[serde(default)]
    online_buffer: String,
    return_to: Option<String>,
}

async fn merchant_buffer(
    state: web::Data<AppState>,
    current: CurrentStaff,
    form: web::Form<BufferForm>,
) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::ManageShop)?;
    let form = form.into_inner();
    let back = safe_return(form.return_to.as_deref(), "/items");
    let buffer = match StockCount::parse(&form.online_buffer, "online_buffer") {
        Ok(buffer) => buffer,
        Err(error) => {
            set_flash(
                &current.session,
                Notice::error(format!(
                    "The default buffer was not changed: {}",
                    error.message
                )),
            );
            return Ok(see_other(&back));
        }
    };
    let (merchant_id, actor) = (current.merchant.id, current.actor());
    run(&state, move |conn| {
        set_merchant_online_buffer(conn, &actor, merchant_id, buffer)
    })
    .await?;
    set_flash(
        &current.session,
        Notice::success(format!(
            "Every item without its own buffer now holds back {} unit(s) from the online store",
            buffer.get()
        )),
    );
    Ok(see_other(&back))
}
