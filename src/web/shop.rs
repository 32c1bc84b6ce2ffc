//! `/shop/{merchant}`: the hosted storefront page, rendered from the online
//! list, public and usable on a phone.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::errors::HtmlError;
use super::{AppState, run};
use crate::inventory::lists::{OnlineListEntry, OnlineListQuery, OnlineRecord, online_list};
use crate::inventory::merchants::Merchant;

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
    catalog_version: i64,
}

impl ShopPage {
    fn price(&self, product: &OnlineListEntry) -> String {
        crate::domain::Currency::parse(&product.price.currency)
            .and_then(|currency| crate::domain::Money::from_minor(product.price.amount, currency))
            .map(|money| money.to_string())
            .unwrap_or_default()
    }

    /// "Downtown (in stock)", "Riverside (out of stock)" for a view-only item.
    fn stores(&self, product: &OnlineListEntry) -> String {
        product
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
            .collect::<Vec<_>>()
            .join(", ")
    }
}

async fn shop(
    state: web::Data<AppState>,
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
    let (merchant, page) = run(&state, move |conn| {
        let merchant = Merchant::by_slug(conn, &slug)?;
        let query = OnlineListQuery {
            after_id,
            limit: PER_PAGE,
            ..OnlineListQuery::default()
        };
        let page = online_list(conn, merchant.id, query)?;
        Ok((merchant, page))
    })
    .await?;
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
    let body = ShopPage {
        merchant,
        products,
        next_url,
        catalog_version: page.catalog_version,
    }
    .render()
    .map_err(|e| HtmlError::Internal(format!("shop page: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(body))
}
