//! `/shop/{merchant}/items/{id}`: one product of the hosted shop, with where
//! to get it: *Buy online* on the merchant's own store (when they set a
//! storefront URL pattern), or in which stores it is in stock, with their
//! address and hours. Only items listed online have a page; any other id is
//! the shop's 404. Read afresh on every request, so a change shows at once.

use crate::web::structured_data::product_json_ld;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use askama::Template;

use super::AppState;
use super::errors::HtmlError;
use super::shop::{buy_url, initial_of, moved_to, price_of, separator};
use crate::domain::OnlineListing;
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
}

/// The product page; its errors are the shop's, linking only to its front.
async fn product(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, HtmlError> {
    let (slug, id) = path.into_inner();
    let front = crate::domain::check_input("slug", &slug)
        .is_ok()
        .then(|| format!("/shop/{slug}"));
    product_page(&state, &slug, &id)
        .await
        .map_err(|error| match error {
            // An unknown shop: there is no front to go back to.
            shop @ HtmlError::Shop { .. } => shop,
            other => other.in_shop(front),
        })
}

async fn product_page(state: &AppState, slug: &str, id: &str) -> Result<HttpResponse, HtmlError> {
    // The same sentence as any other unknown address under the shop.
    let not_here = || HtmlError::NotFound("That shop or item was not found.".into());
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
    };
    let body = page
        .render()
        .map_err(|e| HtmlError::Internal(format!("shop product page: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        // Stock moves; a shopper's reload always asks again.
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(body))
}
