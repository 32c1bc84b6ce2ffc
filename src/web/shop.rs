//! `/shop/{merchant}`: the hosted storefront page, rendered from the online
//! list, public and usable on a phone. A page is assembled from each item's
//! card, kept in memory by `list_cache::online`, between a head and a foot;
//! its ETag names the cards it shows, so a sale elsewhere keeps its 304.

use crate::web::structured_data::product_json_ld;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::AppState;
use super::errors::HtmlError;
use super::list_cache::ListKind;
use super::list_cache::online::{Form, Frame, Outline, PageRequest};
use crate::domain::OnlineListing;
use crate::inventory::InventoryError;
use crate::inventory::list_feed::ListContext;
use crate::inventory::lists::OnlineListEntry;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/shop/{slug}", web::get().to(shop));
    super::shop_item::config(cfg);
    super::shop_reserve::config(cfg);
}

/// Products per storefront page.
const PER_PAGE: usize = 100;

#[derive(Deserialize)]
struct ShopParams {
    after: Option<String>,
}

/// The page up to its first product.
#[derive(Template)]
#[template(path = "shop/_head.html")]
struct ShopHead<'a> {
    merchant: &'a ListContext,
    /// Whether this is the first page (later ones link back to it).
    first_page: bool,
    /// "Downtown and Riverside", for the header.
    store_names: String,
    /// The page's own version (see `inventory::lists::OnlineListPage`).
    catalog_version: i64,
}

/// One product.
#[derive(Template)]
#[template(path = "shop/_card.html")]
struct ShopCard<'a> {
    product: &'a OnlineListEntry,
    /// The product's own page on this shop.
    page_url: String,
    /// The product on the merchant's online store, when they set a pattern.
    buy_url: Option<String>,
    /// Its schema.org `Product`, as JSON-LD safe inside `<script>`.
    structured_data: String,
}

/// The page after its last product.
#[derive(Template)]
#[template(path = "shop/_foot.html")]
struct ShopFoot<'a> {
    merchant: &'a ListContext,
    first_page: bool,
    next_url: Option<String>,
    /// Whether the page shows no product at all.
    empty: bool,
}

/// The first letter of a name, for the placeholder art.
pub(super) fn initial_of(name: &str) -> String {
    name.chars()
        .find(|c| c.is_alphanumeric())
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default()
}

impl ShopHead<'_> {
    fn initial(&self, name: &str) -> String {
        initial_of(name)
    }
}

impl ShopCard<'_> {
    fn initial(&self, name: &str) -> String {
        initial_of(name)
    }

    /// What follows the `index`th of `count` stores: "A, B or C".
    fn separator(&self, count: usize, index: &usize) -> &'static str {
        separator(count, *index)
    }

    fn price(&self, product: &OnlineListEntry) -> String {
        price_of(product)
    }
}

/// What follows the `index`th of `count` names: "A, B or C".
pub(super) fn separator(count: usize, index: usize) -> &'static str {
    match count.saturating_sub(index) {
        0 | 1 => "",
        2 => " or ",
        _ => ", ",
    }
}

/// A product's price as shoppers read it.
pub(super) fn price_of(product: &OnlineListEntry) -> String {
    crate::domain::Currency::parse(&product.price.currency)
        .and_then(|currency| crate::domain::Money::from_minor(product.price.amount, currency))
        .map(|money| money.to_string())
        .unwrap_or_default()
}

/// Where *Buy online* leads for a product: the merchant's online store, if
/// they set a pattern and the product can be bought online now.
pub(super) fn buy_url(merchant: &ListContext, product: &OnlineListEntry) -> Option<String> {
    let pattern = merchant.storefront_url.as_ref()?;
    (product.online.0 == OnlineListing::ForSale && product.purchasable_online)
        .then(|| pattern.link(&product.sku, product.id))
}

/// An item's card, as the pieces of the storefront page are kept.
pub fn card_piece(
    merchant: &ListContext,
    product: &OnlineListEntry,
) -> Result<Vec<u8>, InventoryError> {
    ShopCard {
        product,
        page_url: format!("/shop/{}/items/{}", merchant.slug, product.id),
        buy_url: buy_url(merchant, product),
        structured_data: product_json_ld(merchant, product),
    }
    .render()
    .map(String::into_bytes)
    .map_err(|e| InventoryError::Corrupt(format!("shop card of item {}: {e}", product.id)))
}

/// "A", "A and B", "A, B and C".
fn join_names(names: &[String], conjunction: &str) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} {conjunction} {last}", init.join(", ")),
    }
}

/// The page around its cards: head, cards, foot.
fn assemble(outline: &Outline, first_page: bool) -> Result<Frame, HtmlError> {
    let merchant = outline.context.as_ref();
    let store_names: Vec<String> = merchant.stores.iter().map(|s| s.name.clone()).collect();
    let head = ShopHead {
        merchant,
        first_page,
        store_names: join_names(&store_names, "and"),
        catalog_version: outline.page_version,
    }
    .render()
    .map_err(|e| HtmlError::Internal(format!("shop page head: {e}")))?;
    let foot = ShopFoot {
        merchant,
        first_page,
        next_url: outline
            .next_after_id
            .map(|after| format!("/shop/{}?after={after}", merchant.slug)),
        empty: outline.pieces.is_empty(),
    }
    .render()
    .map_err(|e| HtmlError::Internal(format!("shop page foot: {e}")))?;
    Ok(Frame {
        body_version: outline.page_version,
        head: Bytes::from(head),
        separator: b"",
        tail: Bytes::from(foot),
    })
}

/// The shop page; its errors are shown as the shop's, never with staff links.
async fn shop(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    params: web::Query<ShopParams>,
) -> Result<HttpResponse, HtmlError> {
    let slug = slug.into_inner();
    shop_page(state, req, slug.clone(), params)
        .await
        .map_err(|error| match error {
            // The shop itself is unknown: there is no front to go back to.
            HtmlError::NotFound(_) => HtmlError::NotFound(
                "There is no shop at this address. Check the link you were given.".into(),
            )
            .in_shop(None),
            other => other.in_shop(
                crate::domain::check_input("slug", &slug)
                    .is_ok()
                    .then(|| format!("/shop/{slug}")),
            ),
        })
}

async fn shop_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: String,
    params: web::Query<ShopParams>,
) -> Result<HttpResponse, HtmlError> {
    let after_id = match params.after.as_deref() {
        None | Some("") => None,
        Some(raw) => Some(
            raw.parse::<i64>()
                .map_err(|_| HtmlError::BadRequest(format!("{raw:?} is not a page position.")))?,
        ),
    };
    crate::domain::check_input("slug", &slug).map_err(|e| {
        HtmlError::BadRequest(format!(
            "The shop's name in the address ({}) must not contain control characters.",
            e.field
        ))
    })?;
    let merchant_id = match state.online.merchant_of_slug(&state, &slug).await {
        Ok(id) => id,
        Err(InventoryError::NotFound(_)) => return moved(&state, &slug).await,
        Err(other) => return Err(other.into()),
    };
    let key = format!("shop\n{merchant_id}\n{}", after_id.unwrap_or(0));
    let page = PageRequest {
        form: Form::Shop,
        after_id,
        limit: PER_PAGE,
    };
    state
        .online
        .serve(
            &state,
            &req,
            ListKind::ShopHtml,
            key,
            merchant_id,
            page,
            card_piece,
            move |outline| assemble(outline, after_id.is_none()),
        )
        .await
}

/// A shop that changed its slug keeps its old address: 301 to the new one.
async fn moved(state: &AppState, slug: &str) -> Result<HttpResponse, HtmlError> {
    moved_to(state, slug, "").await
}

/// 301 from a shop's old slug to `/shop/{new}{rest}`; 404 for a slug never used.
pub(super) async fn moved_to(
    state: &AppState,
    slug: &str,
    rest: &str,
) -> Result<HttpResponse, HtmlError> {
    let old = slug.to_owned();
    let renamed = super::run(state, move |conn| {
        crate::inventory::merchants::renamed_shop(conn, &old)
    })
    .await?;
    match renamed {
        Some(merchant) => Ok(HttpResponse::MovedPermanently()
            .insert_header((
                actix_web::http::header::LOCATION,
                format!("/shop/{}{rest}", merchant.slug),
            ))
            .finish()),
        None => Err(InventoryError::NotFound("shop").into()),
    }
}
