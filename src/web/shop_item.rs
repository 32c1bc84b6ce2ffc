//! `/shop/{merchant}/items/{id}`: one product of the hosted shop, with where
//! to get it: *Buy online* on the merchant's own store (when they set a
//! storefront URL pattern), or in which stores it is in stock, with their
//! address and hours, each store that has it free with a *Reserve for
//! pickup* form (`shop_reserve`). Only items listed online have a page; any
//! other id is the shop's 404. Read afresh on every request, so a change
//! shows at once.

use crate::web::structured_data::product_json_ld;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::AppState;
use super::errors::HtmlError;
use super::shop::{buy_url, initial_of, moved_to, price_of, separator};
use crate::domain::{FieldError, OnlineListing};
use crate::inventory::InventoryError;
use crate::inventory::list_feed::{ListContext, online_entries};
use crate::inventory::lists::OnlineListEntry;
use crate::inventory::merchants::Location;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/shop/{slug}/items/{id}", web::get().to(product));
}

#[derive(Template)]
#[template(path = "shop/item.html")]
struct ProductPage {
    merchant: ListContext,
    product: OnlineListEntry,
    buy_url: Option<String>,
    /// The stores selling it in person, with whether each has it now.
    stores: Vec<StoreStock>,
    /// Its schema.org `Product`, as JSON-LD safe inside `<script>`.
    structured_data: String,
    /// The visitor's form token (`csrf::shop_token`).
    csrf_token: String,
    /// A reservation form sent back with its mistakes.
    attempt: Option<ReserveAttempt>,
}

/// A *Reserve for pickup* form as the shopper filled it in, with what was
/// wrong: each message beside its field, or one for the whole form.
#[derive(Debug, Clone, Default)]
pub(super) struct ReserveAttempt {
    pub location_id: i64,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub quantity: String,
    pub errors: Vec<FieldError>,
    /// A refusal of the whole form (a limit reached).
    pub notice: Option<String>,
}

struct StoreStock {
    store: Location,
    in_stock: bool,
}

impl ProductPage {
    fn initial(&self, name: &str) -> String {
        initial_of(name)
    }

    fn price(&self) -> String {
        price_of(&self.product)
    }

    fn for_sale(&self) -> bool {
        self.product.online.0 == OnlineListing::ForSale
    }

    /// "Downtown or Riverside": the stores that have it now.
    fn in_stock_at(&self) -> Vec<&str> {
        self.stores
            .iter()
            .filter(|s| s.in_stock)
            .map(|s| s.store.name.as_str())
            .collect()
    }

    fn separator(&self, count: usize, index: &usize) -> &'static str {
        separator(count, *index)
    }

    /// The form of this store, if it is the one sent back.
    fn attempt_at(&self, store_id: &i64) -> Option<&ReserveAttempt> {
        self.attempt
            .as_ref()
            .filter(|attempt| attempt.location_id == *store_id)
    }

    /// What the shopper typed in a field of this store's form.
    fn typed(&self, store_id: &i64, field: &str) -> &str {
        match (self.attempt_at(store_id), field) {
            (Some(a), "name") => &a.name,
            (Some(a), "email") => &a.email,
            (Some(a), "phone") => &a.phone,
            (Some(a), "quantity") => &a.quantity,
            (None, "quantity") => "1",
            _ => "",
        }
    }

    /// The message beside a field of this store's form.
    fn error(&self, store_id: &i64, field: &str) -> Option<&str> {
        self.attempt_at(store_id)?
            .errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    /// A message for this store's whole form: a limit, or a problem with
    /// the item or the store rather than a field the shopper typed.
    fn form_message(&self, store_id: &i64) -> Option<&str> {
        let attempt = self.attempt_at(store_id)?;
        attempt.notice.as_deref().or_else(|| {
            attempt
                .errors
                .iter()
                .find(|e| matches!(e.field, "item_id" | "location_id"))
                .map(|e| e.message.as_str())
        })
    }

    /// Whether shoppers may reserve it: listed online and sold in a store.
    fn reservable(&self) -> bool {
        !self.stores.is_empty()
    }
}

/// The product page; its errors are the shop's, linking only to its front.
async fn product(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, HtmlError> {
    let (slug, id) = path.into_inner();
    let front = front_of(&slug);
    product_page(&state, &req, &slug, &id)
        .await
        .map_err(|error| in_shop(error, front))
}

/// The shop's front page, when the slug can be one.
pub(super) fn front_of(slug: &str) -> Option<String> {
    crate::domain::check_input("slug", slug)
        .is_ok()
        .then(|| format!("/shop/{slug}"))
}

/// An error as the shop shows it, linking back to `front`.
pub(super) fn in_shop(error: HtmlError, front: Option<String>) -> HtmlError {
    match error {
        // An unknown shop: there is no front to go back to.
        shop @ HtmlError::Shop { .. } => shop,
        other => other.in_shop(front),
    }
}

/// The same sentence as any other unknown address under the shop.
pub(super) fn not_here() -> HtmlError {
    HtmlError::NotFound("That shop or item was not found.".into())
}

async fn product_page(
    state: &AppState,
    req: &HttpRequest,
    slug: &str,
    id: &str,
) -> Result<HttpResponse, HtmlError> {
    let merchant_id = match state.online.merchant_of_slug(state, slug).await {
        Ok(id) => id,
        Err(InventoryError::NotFound(_)) => {
            return moved_to(state, slug, &format!("/items/{id}"))
                .await
                .map_err(|error| match error {
                    HtmlError::NotFound(_) => HtmlError::NotFound(
                        "There is no shop at this address. Check the link you were given.".into(),
                    )
                    .in_shop(None),
                    other => other,
                });
        }
        Err(other) => return Err(other.into()),
    };
    let item_id = id.parse::<i64>().map_err(|_| not_here())?;
    let (token, cookie) = crate::web::csrf::shop_token(req);
    let body = draw(state, merchant_id, item_id, token, None).await?;
    let mut response = HttpResponse::Ok();
    if let Some(cookie) = cookie {
        response.cookie(cookie);
    }
    Ok(response
        .content_type("text/html; charset=utf-8")
        // Stock moves; a shopper's reload always asks again.
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(body))
}

/// The product page's HTML, with a reservation form sent back if given.
pub(super) async fn draw(
    state: &AppState,
    merchant_id: i64,
    item_id: i64,
    csrf_token: String,
    attempt: Option<ReserveAttempt>,
) -> Result<String, HtmlError> {
    let (merchant, mut entries) = super::run(state, move |conn| {
        online_entries(conn, merchant_id, &[item_id])
    })
    .await?;
    let product = entries
        .pop()
        .filter(|entry| entry.listed_online)
        .ok_or_else(not_here)?;
    let stores = product
        .stores
        .iter()
        .filter_map(|carried| {
            merchant
                .stores
                .iter()
                .find(|store| store.id == carried.location_id)
                .map(|store| StoreStock {
                    store: store.clone(),
                    in_stock: carried.in_stock,
                })
        })
        .collect();
    let page = ProductPage {
        buy_url: buy_url(&merchant, &product),
        structured_data: product_json_ld(&merchant, &product),
        merchant,
        product,
        stores,
        csrf_token,
        attempt,
    };
    page.render()
        .map_err(|e| HtmlError::Internal(format!("shop product page: {e}")))
}
