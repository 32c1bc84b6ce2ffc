//! The stock panel of an item's page: stock per store, the movement history,
//! and the forms to receive stock, adjust it, record a count, and set how the
//! item's stock shows online. Each stock form carries an idempotency key, so a
//! double-submitted form is recorded once.

use actix_web::{HttpResponse, web};
use rand::RngCore;
use serde::Deserialize;

use super::item_form::edit_page;
use super::items::render;
use super::{Notice, safe_return, see_other, set_flash};
use crate::domain::{Adjustment, FieldError, IdempotencyKey, Quantity, Reason, StockCount};
use crate::inventory::merchants::Location;
use crate::inventory::stock::{
    self, Correction, CorrectionRequest, StockMovement, StockSettings, correct, parse_buffer,
    set_merchant_online_buffer, set_stock_settings,
};
use crate::inventory::{InventoryError, Item};
use crate::web::auth::CurrentStaff;
use crate::web::errors::HtmlError;
use crate::web::{AppState, run};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/items/{id}/stock/receive", web::post().to(receive))
        .route("/items/{id}/stock/adjust", web::post().to(adjust))
        .route("/items/{id}/stock/count", web::post().to(count))
        .route("/items/{id}/stock/settings", web::post().to(settings))
        .route("/settings/online-buffer", web::post().to(merchant_buffer));
}

/// Movements shown on the item page.
const HISTORY: i64 = 50;

/// One store's line of the stock table.
pub struct LevelRow {
    pub location_id: i64,
    pub name: String,
    pub on_hand: i64,
    pub fulfils_online: bool,
}

/// One movement as the history table shows it.
pub struct MovementRow {
    pub occurred_at: String,
    pub store: String,
    pub kind: &'static str,
    /// Signed, e.g. `+5` or `-2`.
    pub quantity: String,
    pub on_hand_after: i64,
    pub actor: String,
    pub reason: String,
    pub reference: String,
}

/// Which stock form a re-rendered page is answering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StockForm {
    Receive,
    Adjust,
    Count,
    Settings,
}

impl StockForm {
    pub fn as_str(self) -> &'static str {
        match self {
            StockForm::Receive => "receive",
            StockForm::Adjust => "adjust",
            StockForm::Count => "count",
            StockForm::Settings => "settings",
        }
    }
}

/// What a stock form held as typed, kept when the page is re-rendered.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct StockFormData {
    #[serde(default)]
    location_id: String,
    #[serde(default)]
    quantity: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    idempotency_key: String,
}

/// The stock panel of the item page.
pub struct StockPanel {
    pub levels: Vec<LevelRow>,
    pub total: i64,
    pub available_online: i64,
    pub online_buffer: i64,
    pub buffer_is_default: bool,
    pub merchant_buffer: i64,
    /// The item's own buffer as the settings form shows it (empty: default).
    pub buffer_input: String,
    pub allow_backorder: bool,
    pub auto_view_only: bool,
    pub movements: Vec<MovementRow>,
    /// A fresh idempotency key per form, so a resubmitted form is harmless.
    pub keys: [String; 3],
    /// The form that failed, its errors and what was typed into it.
    pub failed: Option<StockForm>,
    pub errors: Vec<FieldError>,
    pub input: StockFormData,
}

impl StockPanel {
    /// The panel of the create form, which has no stock yet.
    pub fn empty() -> StockPanel {
        StockPanel {
            levels: Vec::new(),
            total: 0,
            available_online: 0,
            online_buffer: 0,
            buffer_is_default: true,
            merchant_buffer: 0,
            buffer_input: String::new(),
            allow_backorder: false,
            auto_view_only: false,
            movements: Vec::new(),
            keys: [String::new(), String::new(), String::new()],
            failed: None,
            errors: Vec::new(),
            input: StockFormData::default(),
        }
    }

    /// The error of `field` in `form`, when that form is the one that failed.
    pub fn error(&self, form: &str, field: &str) -> Option<&str> {
        match self.failed {
            Some(failed) if failed.as_str() == form => self
                .errors
                .iter()
                .find(|e| e.field == field)
                .map(|e| e.message.as_str()),
            _ => None,
        }
    }

    /// What was typed into `field` of `form`, when that form failed.
    pub fn typed(&self, form: &str, field: &str) -> &str {
        match self.failed {
            Some(failed) if failed.as_str() == form => match field {
                "quantity" => &self.input.quantity,
                "reason" => &self.input.reason,
                _ => "",
            },
            _ => "",
        }
    }

    /// Whether `location_id` is the store chosen in `form` (the first store by default).
    pub fn chosen(&self, form: &str, location_id: &i64) -> bool {
        match self.failed {
            Some(failed) if failed.as_str() == form => {
                self.input.location_id.trim() == location_id.to_string()
            }
            _ => self.levels.first().map(|l| l.location_id) == Some(*location_id),
        }
    }

    /// The online-buffer field of the settings form: what was typed when the
    /// settings form itself failed, otherwise the item's own buffer (a failed
    /// stock form must not blank it, or saving would reset it to the default).
    pub fn buffer_value(&self) -> &str {
        match self.failed {
            Some(StockForm::Settings) => &self.input.quantity,
            _ => &self.buffer_input,
        }
    }

    pub fn key(&self, form: &str) -> &str {
        match form {
            "receive" => &self.keys[0],
            "adjust" => &self.keys[1],
            _ => &self.keys[2],
        }
    }
}

fn fresh_key() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    format!("dash-{}", hex::encode(bytes))
}

fn signed(quantity: i64) -> String {
    if quantity > 0 {
        format!("+{quantity}")
    } else {
        quantity.to_string()
    }
}

/// Loads the stock panel of an item.
pub async fn load_panel(state: &AppState, item: &Item) -> Result<StockPanel, HtmlError> {
    let (merchant_id, item_id) = (item.merchant_id, item.id);
    let (stock, movements, merchant_buffer) = run(state, move |conn| {
        let stock = stock::item_stock(conn, merchant_id, item_id)?;
        let movements = stock::movements(conn, merchant_id, item_id, HISTORY)?;
        let merchant = crate::inventory::merchants::Merchant::find(conn, merchant_id)?;
        Ok((stock, movements, merchant.online_buffer))
    })
    .await?;
    let store_name = |id: i64| {
        stock
            .levels
            .iter()
            .find(|l| l.location.id == id)
            .map(|l| l.location.name.clone())
            .unwrap_or_default()
    };
    let movements = movements
        .iter()
        .map(|m: &StockMovement| MovementRow {
            occurred_at: m.occurred_at.format("%Y-%m-%d %H:%M").to_string(),
            store: store_name(m.location_id),
            kind: m.kind.label(),
            quantity: signed(m.quantity),
            on_hand_after: m.on_hand_after,
            actor: m.actor.clone(),
            reason: m.reason.clone(),
            reference: m.reference.clone(),
        })
        .collect();
    Ok(StockPanel {
        total: stock.total(),
        available_online: stock.available_online,
        online_buffer: stock.online_buffer,
        buffer_is_default: stock.buffer_is_default,
        merchant_buffer,
        buffer_input: item
            .online_buffer
            .map(|b| b.to_string())
            .unwrap_or_default(),
        allow_backorder: item.allow_backorder,
        auto_view_only: item.auto_view_only,
        levels: stock
            .levels
            .into_iter()
            .map(|l| LevelRow {
                location_id: l.location.id,
                name: l.location.name,
                on_hand: l.on_hand,
                fulfils_online: l.location.fulfils_online,
            })
            .collect(),
        movements,
        keys: [fresh_key(), fresh_key(), fresh_key()],
        failed: None,
        errors: Vec::new(),
        input: StockFormData::default(),
    })
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
fn confirmation(item: &Item, store: &str, movement: &StockMovement) -> String {
    let what = match movement.kind {
        crate::domain::MovementKind::Receipt => format!("Received {}", movement.quantity),
        crate::domain::MovementKind::Count => "Counted".to_owned(),
        _ => format!("Adjusted by {}", signed(movement.quantity)),
    };
    format!(
        "{what} × {} at {store}: {} on hand now.",
        item.name, movement.on_hand_after
    )
}

async fn receive(
    state: web::Data<AppState>,
    current: CurrentStaff,
    path: web::Path<i64>,
    form: web::Form<StockFormData>,
) -> Result<HttpResponse, HtmlError> {
    correction(
        state,
        current,
        path.into_inner(),
        StockForm::Receive,
        form.into_inner(),
    )
    .await
}

async fn adjust(
    state: web::Data<AppState>,
    current: CurrentStaff,
    path: web::Path<i64>,
    form: web::Form<StockFormData>,
) -> Result<HttpResponse, HtmlError> {
    correction(
        state,
        current,
        path.into_inner(),
        StockForm::Adjust,
        form.into_inner(),
    )
    .await
}

async fn count(
    state: web::Data<AppState>,
    current: CurrentStaff,
    path: web::Path<i64>,
    form: web::Form<StockFormData>,
) -> Result<HttpResponse, HtmlError> {
    correction(
        state,
        current,
        path.into_inner(),
        StockForm::Count,
        form.into_inner(),
    )
    .await
}

/// Re-renders the item page with a stock form's errors beside its fields.
async fn refused(
    state: &AppState,
    current: &CurrentStaff,
    item: &Item,
    form: StockForm,
    input: StockFormData,
    errors: Vec<FieldError>,
) -> Result<HttpResponse, HtmlError> {
    let mut page = edit_page(state, current, item).await?;
    page.stock.failed = Some(form);
    page.stock.errors = errors;
    page.stock.input = input;
    let mut response = render(&page)?;
    *response.status_mut() = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
    Ok(response)
}

async fn correction(
    state: web::Data<AppState>,
    current: CurrentStaff,
    item_id: i64,
    form: StockForm,
    data: StockFormData,
) -> Result<HttpResponse, HtmlError> {
    let merchant_id = current.merchant.id;
    let item = run(&state, move |conn| Item::find(conn, merchant_id, item_id)).await?;
    let request = match parse(form, &data, item_id) {
        Ok(request) => request,
        Err(errors) => return refused(&state, &current, &item, form, data, errors).await,
    };
    let actor = current.actor();
    let location_id = request.location_id;
    let outcome = run(&state, move |conn| {
        let store = Location::find(conn, merchant_id, location_id)
            .map(|l| l.name)
            .unwrap_or_default();
        correct(conn, &actor, merchant_id, &request).map(|done| (done, store))
    })
    .await;
    let back = format!("/items/{item_id}#stock");
    match outcome {
        Ok((done, store)) => {
            let notice = if done.replayed {
                Notice::warning(format!(
                    "That form was already submitted; it was recorded once. {}",
                    confirmation(&item, &store, &done.movement)
                ))
            } else {
                Notice::success(confirmation(&item, &store, &done.movement))
            };
            set_flash(&current.session, notice);
            Ok(see_other(&back))
        }
        Err(InventoryError::Invalid(error)) => {
            refused(&state, &current, &item, form, data, vec![error]).await
        }
        Err(InventoryError::IdempotencyKeyReused) => {
            set_flash(
                &current.session,
                Notice::warning(
                    "That form was already submitted with other values; nothing more was recorded. Check the stock below.",
                ),
            );
            Ok(see_other(&back))
        }
        Err(other) => Err(other.into()),
    }
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
    state: web::Data<AppState>,
    current: CurrentStaff,
    path: web::Path<i64>,
    form: web::Form<SettingsForm>,
) -> Result<HttpResponse, HtmlError> {
    let (merchant_id, item_id) = (current.merchant.id, path.into_inner());
    let form = form.into_inner();
    let item = run(&state, move |conn| Item::find(conn, merchant_id, item_id)).await?;
    let online_buffer = match parse_buffer(&form.online_buffer, "online_buffer") {
        Ok(buffer) => buffer,
        Err(error) => {
            let input = StockFormData {
                quantity: form.online_buffer.clone(),
                ..StockFormData::default()
            };
            return refused(
                &state,
                &current,
                &item,
                StockForm::Settings,
                input,
                vec![error],
            )
            .await;
        }
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
    let wanted = StockSettings {
        online_buffer,
        allow_backorder: form.allow_backorder.is_some(),
        auto_view_only: form.auto_view_only.is_some(),
    };
    let actor = current.actor();
    let outcome = run(&state, move |conn| {
        set_stock_settings(conn, &actor, merchant_id, item_id, version, wanted)
    })
    .await;
    let notice = match outcome {
        Ok(item) => Notice::success(format!("Online stock settings of {} were saved", item.name)),
        Err(InventoryError::Conflict { .. }) => Notice::warning(
            "Someone else changed this item while you were looking; check the settings and save again.",
        ),
        Err(other) => return Err(other.into()),
    };
    set_flash(&current.session, notice);
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
    let merchant_id = current.merchant.id;
    run(&state, move |conn| {
        set_merchant_online_buffer(conn, merchant_id, buffer)
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
