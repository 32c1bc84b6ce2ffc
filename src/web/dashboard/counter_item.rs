//! `/counter/items/{id}?location=…`: one item at a store's counter, opened by
//! a scan or from the list, where the cashier records a sale or receives
//! stock. A sale goes through `orders::record_sale`, as the POS API's does,
//! and a receipt through `stock::correct`, as the item page's does; each form
//! carries an idempotency key drawn when the page is, so a double tap records
//! once. A sale the count can't cover asks first, then is recorded anyway
//! (the API's `record_anyway`). A cashier works only at their own store.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::items::render;
use super::{Layout, Notice, see_other, set_flash};
use crate::domain::{IdempotencyKey, Quantity, Reason, display_minor};
use crate::inventory::idempotency::{Fingerprint, Outcome};
use crate::inventory::merchants::Location;
use crate::inventory::orders::{Line, SaleRequest, record_sale};
use crate::inventory::permissions::{self, Permission};
use crate::inventory::stock::{Correction, CorrectionRequest, correct};
use crate::inventory::store_list::{StoreListEntry, store_list_entry};
use crate::inventory::{InventoryError, catalog_version};
use crate::web::auth::CurrentStaff;
use crate::web::errors::HtmlError;
use crate::web::{AppState, htmx, run};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/counter/items/{id}", web::get().to(show))
        .route("/counter/items/{id}/sale", web::post().to(sale))
        .route("/counter/items/{id}/receive", web::post().to(receive));
}

#[derive(Deserialize)]
struct ItemParams {
    location: Option<String>,
}

/// The sale and receive forms as posted.
#[derive(Debug, Clone, Default, Deserialize)]
struct StockActionForm {
    #[serde(default)]
    location_id: String,
    #[serde(default)]
    quantity: String,
    #[serde(default)]
    idempotency_key: String,
    /// Set by the confirmation's *Record anyway* button.
    record_anyway: Option<String>,
}

/// One of the two forms as drawn: a fresh key, what was typed, its error.
struct ActionForm {
    key: String,
    quantity: String,
    error: Option<String>,
}

impl ActionForm {
    fn fresh() -> ActionForm {
        ActionForm {
            key: super::item_page::fresh_key(),
            quantity: "1".into(),
            error: None,
        }
    }

    fn failed(quantity: &str, error: String) -> ActionForm {
        ActionForm {
            quantity: quantity.to_owned(),
            error: Some(error),
            ..ActionForm::fresh()
        }
    }
}

/// The question asked when a sale would take the count below zero, or
/// units held for pickup.
struct Confirmation {
    quantity: i64,
    available: i64,
    /// Units on hand here that reservations hold (not free to sell).
    held: i64,
    /// A new key: the refused sale's key keeps its refusal.
    key: String,
}

#[derive(Template)]
#[template(path = "counter/item.html")]
struct CounterItemPage {
    layout: Layout,
    location: Location,
    /// For the search box, shared with the list page.
    show_all: bool,
    q: String,
    /// Never here: the page opens on the item (typing anywhere goes to the
    /// search box anyway, see app.js).
    focus_search: bool,
    stock: CounterItemStock,
    sale: ActionForm,
    receive: ActionForm,
    confirm: Option<Confirmation>,
}

/// The item's stock at the store: the part the live updates replace.
#[derive(Template)]
#[template(path = "counter/_item_stock.html")]
struct CounterItemStock {
    catalog_version: i64,
    entry: StoreListEntry,
}

impl CounterItemStock {
    fn price(&self) -> String {
        display_minor(self.entry.price.amount, &self.entry.price.currency)
    }
}

/// What a page is drawn with besides the item itself.
#[derive(Default)]
struct Drawn {
    sale: Option<ActionForm>,
    receive: Option<ActionForm>,
    confirm: Option<Confirmation>,
    notice: Option<Notice>,
}

/// The store id of the address or form; only a number is one.
fn store_id(raw: Option<&str>) -> Result<i64, HtmlError> {
    let raw = raw.unwrap_or("").trim();
    raw.parse::<i64>()
        .map_err(|_| HtmlError::BadRequest(format!("{raw:?} is not a store id (location).")))
}

/// The item at the store as the counter shows it; a cashier sees only their own store.
async fn load(
    state: &AppState,
    current: &CurrentStaff,
    item_id: i64,
    location_id: i64,
) -> Result<(Location, StoreListEntry, i64), HtmlError> {
    if let Some(own) = permissions::own_store(&current.staff)
        && own != location_id
    {
        return Err(HtmlError::NotFound(
            "That store is not one of yours (or it was archived).".into(),
        ));
    }
    let merchant_id = current.merchant.id;
    Ok(run(state, move |conn| {
        let (location, entry) = store_list_entry(conn, merchant_id, location_id, item_id)?;
        Ok((location, entry, catalog_version(conn, merchant_id)?))
    })
    .await?)
}

async fn page(
    state: &AppState,
    current: &CurrentStaff,
    item_id: i64,
    location_id: i64,
    drawn: Drawn,
    status: StatusCode,
) -> Result<HttpResponse, HtmlError> {
    let (location, entry, catalog_version) = load(state, current, item_id, location_id).await?;
    let mut layout = Layout::new(current, "counter");
    if drawn.notice.is_some() {
        layout.flash = drawn.notice;
    }
    let mut response = render(&CounterItemPage {
        layout,
        location,
        show_all: false,
        q: String::new(),
        focus_search: false,
        stock: CounterItemStock {
            catalog_version,
            entry,
        },
        sale: drawn.sale.unwrap_or_else(ActionForm::fresh),
        receive: drawn.receive.unwrap_or_else(ActionForm::fresh),
        confirm: drawn.confirm,
    })?;
    *response.status_mut() = status;
    Ok(response)
}

/// `GET /counter/items/{id}?location=…`; for htmx (the live refresh) only the stock part.
async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    current: CurrentStaff,
    path: web::Path<i64>,
    params: web::Query<ItemParams>,
) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::UseCounter)?;
    let (item_id, location_id) = (path.into_inner(), store_id(params.location.as_deref())?);
    if htmx::is_htmx(&req) {
        let (_, entry, catalog_version) = load(&state, &current, item_id, location_id).await?;
        return render(&CounterItemStock {
            catalog_version,
            entry,
        });
    }
    page(
        &state,
        &current,
        item_id,
        location_id,
        Drawn::default(),
        StatusCode::OK,
    )
    .await
}

fn item_url(item_id: i64, location_id: i64) -> String {
    format!("/counter/items/{item_id}?location={location_id}")
}

/// The form's key; a form without one is refused on its quantity field.
fn form_key(form: &StockActionForm) -> Result<IdempotencyKey, String> {
    IdempotencyKey::parse(&form.idempotency_key).map_err(|_| {
        "The form was missing its one-time key; nothing was recorded. Submit it again.".to_owned()
    })
}

/// The form's quantity and one-time key, or the message for its quantity field.
fn quantity_and_key(form: &StockActionForm) -> Result<(Quantity, IdempotencyKey), String> {
    let quantity = Quantity::parse(&form.quantity, "quantity").map_err(|error| error.message)?;
    Ok((quantity, form_key(form)?))
}

/// `POST /counter/items/{id}/sale`: record a sale of `quantity` here.
async fn sale(
    state: web::Data<AppState>,
    current: CurrentStaff,
    path: web::Path<i64>,
    form: web::Form<StockActionForm>,
) -> Result<HttpResponse, HtmlError> {
    let item_id = path.into_inner();
    let form = form.into_inner();
    let location_id = store_id(Some(&form.location_id))?;
    permissions::stock_at(&current.staff, Permission::UseCounter, location_id)?;
    let refused = |error: String| {
        (
            Drawn {
                sale: Some(ActionForm::failed(&form.quantity, error)),
                ..Drawn::default()
            },
            StatusCode::UNPROCESSABLE_ENTITY,
        )
    };
    let (quantity, key) = match quantity_and_key(&form) {
        Ok(parsed) => parsed,
        Err(message) => {
            let (drawn, status) = refused(message);
            return page(&state, &current, item_id, location_id, drawn, status).await;
        }
    };
    let record_anyway = form.record_anyway.is_some();
    let fingerprint = Fingerprint::of_parts(&[
        "counter-sale",
        &item_id.to_string(),
        &location_id.to_string(),
        &quantity.get().to_string(),
        if record_anyway { "anyway" } else { "checked" },
    ]);
    let request = SaleRequest {
        location_id,
        lines: vec![Line { item_id, quantity }],
        occurred_at: None,
        record_anyway,
        external_reference: None,
    };
    let (merchant_id, actor) = (current.merchant.id, current.actor());
    let outcome = run(&state, move |conn| {
        record_sale(conn, &actor, merchant_id, &key, &fingerprint, &request)
    })
    .await;
    let (drawn, status) = match outcome {
        Ok(Outcome::Done { value, replayed }) => {
            let (location, entry, _) = load(&state, &current, item_id, location_id).await?;
            let sold = format!(
                "Sold {} × {} at {}{}: {} on hand here now{}.",
                quantity.get(),
                entry.name,
                location.name,
                if value.recorded_anyway {
                    ", recorded anyway"
                } else {
                    ""
                },
                entry.on_hand,
                if entry.on_hand < 0 {
                    ", below zero: count it"
                } else {
                    ""
                }
            );
            let notice = if replayed {
                Notice::warning(format!(
                    "That sale was sent twice; it was recorded once. {sold}"
                ))
            } else if value.discrepancy {
                Notice::warning(sold)
            } else {
                Notice::success(sold)
            };
            log::info!(
                "merchant {merchant_id} item {item_id}: staff {} sold {} at location {location_id} at the counter{}",
                current.staff.id,
                quantity.get(),
                if replayed { " (replayed)" } else { "" }
            );
            set_flash(&current.session, notice);
            return Ok(see_other(&item_url(item_id, location_id)));
        }
        Ok(Outcome::Short { shortages, .. }) => {
            let available = shortages.first().map_or(0, |short| short.available);
            let (_, entry, _) = load(&state, &current, item_id, location_id).await?;
            let held = (entry.on_hand.max(0) - available).max(0);
            let free = if held > 0 {
                format!("Only {available} here are not held for pickup ({held} held)")
            } else {
                format!("Only {available} on hand here")
            };
            (
                Drawn {
                    confirm: Some(Confirmation {
                        quantity: quantity.get(),
                        available,
                        held,
                        key: super::item_page::fresh_key(),
                    }),
                    notice: Some(Notice::warning(format!(
                        "{free}, so the sale of {} was not recorded yet. If it happened, record it anyway below.",
                        quantity.get()
                    ))),
                    ..Drawn::default()
                },
                StatusCode::CONFLICT,
            )
        }
        Err(InventoryError::Invalid(error)) | Err(InventoryError::InvalidLine { error, .. }) => {
            refused(error.message)
        }
        Err(InventoryError::IdempotencyKeyReused) => reused(),
        Err(other) => return Err(other.into()),
    };
    page(&state, &current, item_id, location_id, drawn, status).await
}

/// The answer to a form whose key was used for other values.
fn reused() -> (Drawn, StatusCode) {
    (
        Drawn {
            notice: Some(Notice::warning(
                "That form was already used with other values; nothing more was recorded. Check the stock below and enter it again.",
            )),
            ..Drawn::default()
        },
        StatusCode::CONFLICT,
    )
}

/// `POST /counter/items/{id}/receive`: stock delivered to this store.
async fn receive(
    state: web::Data<AppState>,
    current: CurrentStaff,
    path: web::Path<i64>,
    form: web::Form<StockActionForm>,
) -> Result<HttpResponse, HtmlError> {
    let item_id = path.into_inner();
    let form = form.into_inner();
    let location_id = store_id(Some(&form.location_id))?;
    permissions::stock_at(&current.staff, Permission::ReceiveAndCount, location_id)?;
    let refused = |error: String| {
        (
            Drawn {
                receive: Some(ActionForm::failed(&form.quantity, error)),
                ..Drawn::default()
            },
            StatusCode::UNPROCESSABLE_ENTITY,
        )
    };
    let (quantity, key) = match quantity_and_key(&form) {
        Ok(parsed) => parsed,
        Err(message) => {
            let (drawn, status) = refused(message);
            return page(&state, &current, item_id, location_id, drawn, status).await;
        }
    };
    let request = CorrectionRequest {
        item_id,
        location_id,
        correction: Correction::Receive(quantity),
        reason: Reason::parse("Received at the counter").map_err(InventoryError::from)?,
        key,
    };
    // Only items the counter shows are received here (not archived ones).
    load(&state, &current, item_id, location_id).await?;
    let (merchant_id, actor) = (current.merchant.id, current.actor());
    let outcome = run(&state, move |conn| {
        correct(conn, &actor, merchant_id, &request)
    })
    .await;
    let (drawn, status) = match outcome {
        Ok(done) => {
            let (location, entry, _) = load(&state, &current, item_id, location_id).await?;
            let received = format!(
                "Received {} × {} at {}: {} on hand here now.",
                quantity.get(),
                entry.name,
                location.name,
                entry.on_hand
            );
            let notice = if done.replayed {
                Notice::warning(format!(
                    "That receipt was sent twice; it was recorded once. {received}"
                ))
            } else {
                Notice::success(received)
            };
            set_flash(&current.session, notice);
            return Ok(see_other(&item_url(item_id, location_id)));
        }
        Err(InventoryError::Invalid(error)) => refused(error.message),
        Err(InventoryError::IdempotencyKeyReused) => reused(),
        Err(other) => return Err(other.into()),
    };
    page(&state, &current, item_id, location_id, drawn, status).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_id_is_a_number() {
        assert_eq!(store_id(Some(" 7 ")).ok(), Some(7));
        assert!(store_id(Some("abc")).is_err());
        assert!(store_id(None).is_err());
    }

    #[test]
    fn every_drawn_form_has_its_own_key() {
        assert_ne!(ActionForm::fresh().key, ActionForm::fresh().key);
        let failed = ActionForm::failed("x", "bad".into());
        assert_eq!(failed.quantity, "x");
        assert_eq!(failed.error.as_deref(), Some("bad"));
    }
}
