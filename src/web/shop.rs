//! `/shop/{merchant}`: the hosted storefront page, rendered from the online
//! list, public and usable on a phone; cached by catalog version with an ETag.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::AppState;
use super::errors::HtmlError;
use super::list_cache::{self, BuiltList, ListKind};
use crate::inventory::lists::{OnlineListEntry, OnlineListQuery, OnlineRecord, online_list};
use crate::inventory::merchants::{Location, Merchant};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/shop/{slug}", web::get().to(shop));
}

/// Products per storefront page.
const PER_PAGE: i64 = 100;

#[derive(Deserialize)]
struct ShopParams {
    after: Option<String>,
}

#[derive(Template)]
#[template(path = "shop/index.html")]
struct ShopPage {
    merchant: Merchant,
    products: Vec<OnlineListEntry>,
    next_url: Option<String>,
    /// Whether this is the first page (later ones link back to it).
    first_page: bool,
    /// "Downtown and Riverside", for the header.
    store_names: String,
    catalog_version: i64,
}

impl ShopPage {
    fn price(&self, product: &OnlineListEntry) -> String {
        crate::domain::Currency::parse(&product.price.currency)
            .and_then(|currency| crate::domain::Money::from_minor(product.price.amount, currency))
            .map(|money| money.to_string())
            .unwrap_or_default()
    }

    /// "Downtown (in stock) or Riverside (out of stock)" for a view-only item.
    fn stores(&self, product: &OnlineListEntry) -> String {
        let each: Vec<String> = product
            .stores
            .iter()
            .map(|store| {
                format!(
                    "{} ({})",
                    store.name,
                    if store.in_stock {
                        "in stock"
                    } else {
                        "out of stock"
                    }
                )
            })
            .collect();
        join_names(&each, "or")
    }

    /// The first letter of a name, for the placeholder art.
    fn initial(&self, name: &str) -> String {
        name.chars()
            .find(|c| c.is_alphanumeric())
            .map(|c| c.to_uppercase().collect())
            .unwrap_or_default()
    }
}

/// "A", "A and B", "A, B and C".
fn join_names(names: &[String], conjunction: &str) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} {conjunction} {last}", init.join(", ")),
    }
}

async fn shop(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    params: web::Query<ShopParams>,
) -> Result<HttpResponse, HtmlError> {
    let after_id = match params.after.as_deref() {
        None | Some("") => None,
        Some(raw) => Some(
            raw.parse::<i64>()
                .map_err(|_| HtmlError::BadRequest(format!("{raw:?} is not a page position.")))?,
        ),
    };
    let slug = slug.into_inner();
    let key = format!("shop\n{slug}\n{}", after_id.unwrap_or(0));
    list_cache::serve(&state, &req, ListKind::ShopHtml, key, move |conn| {
        let merchant = Merchant::by_slug(conn, &slug)?;
        let stores: Vec<String> = Location::all_of(conn, merchant.id)?
            .into_iter()
            .map(|location| location.name)
            .collect();
        let query = OnlineListQuery {
            after_id,
            limit: PER_PAGE,
            ..OnlineListQuery::default()
        };
        let page = online_list(conn, merchant.id, query)?;
        let next_url = page
            .next_after_id
            .map(|after| format!("/shop/{}?after={after}", merchant.slug));
        let products = page
            .records
            .into_iter()
            .filter_map(|record| match record {
                OnlineRecord::Listed(entry) => Some(*entry),
                OnlineRecord::Removed(_) => None,
            })
            .collect();
        let merchant_id = merchant.id;
        let body = ShopPage {
            merchant,
            products,
            next_url,
            first_page: after_id.is_none(),
            store_names: join_names(&stores, "and"),
            catalog_version: page.catalog_version,
        }
        .render()
        .map_err(|e| HtmlError::Internal(format!("shop page: {e}")))?;
        Ok(BuiltList {
            merchant_id,
            catalog_version: page.catalog_version,
            body: body.into_bytes(),
        })
    })
    .await
}
