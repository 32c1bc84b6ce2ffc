//! `/counter?location=…`: the store list as the device at that store sees it.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::items::render;
use super::{Layout, see_other};
use crate::inventory::lists::{StoreListEntry, StoreListQuery, store_list};
use crate::inventory::merchants::Location;
use crate::web::auth::CurrentStaff;
use crate::web::errors::HtmlError;
use crate::web::{AppState, run};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/counter", web::get().to(counter));
}

#[derive(Deserialize)]
struct CounterParams {
    location: Option<String>,
    /// `all` also shows online-only items, marked as not sold here.
    show: Option<String>,
    after: Option<String>,
}

#[derive(Template)]
#[template(path = "counter/index.html")]
struct CounterPage {
    layout: Layout,
    locations: Vec<Location>,
    location: Location,
    show_all: bool,
    entries: Vec<StoreListEntry>,
    next_url: Option<String>,
}

impl CounterPage {
    fn price(&self, entry: &StoreListEntry) -> String {
        format!(
            "{}.{:02} {}",
            entry.price.amount / 100,
            entry.price.amount % 100,
            entry.price.currency
        )
    }
}

async fn counter(
    state: web::Data<AppState>,
    current: CurrentStaff,
    params: web::Query<CounterParams>,
) -> Result<HttpResponse, HtmlError> {
    let merchant_id = current.merchant.id;
    let locations = run(&state, move |conn| Location::all_of(conn, merchant_id)).await?;
    let Some(first) = locations.first() else {
        return Err(HtmlError::NotFound(
            "This merchant has no stores yet.".into(),
        ));
    };
    let location_id = match params.location.as_deref() {
        None | Some("") => return Ok(see_other(&format!("/counter?location={}", first.id))),
        Some(raw) => raw
            .parse::<i64>()
            .map_err(|_| HtmlError::BadRequest(format!("{raw:?} is not a store id.")))?,
    };
    let show_all = params.show.as_deref() == Some("all");
    let after_id = match params.after.as_deref() {
        None | Some("") => None,
        Some(raw) => Some(
            raw.parse::<i64>()
                .map_err(|_| HtmlError::BadRequest(format!("{raw:?} is not a list position.")))?,
        ),
    };
    let query = StoreListQuery {
        location_id,
        include_all: show_all,
        after_id,
        limit: 200,
    };
    let list = run(&state, move |conn| store_list(conn, merchant_id, query)).await?;
    let next_url = list.next_after_id.map(|after| {
        format!(
            "/counter?location={location_id}{}&after={after}",
            if show_all { "&show=all" } else { "" }
        )
    });
    let page = CounterPage {
        layout: Layout::new(&current, "counter"),
        locations,
        location: list.location,
        show_all,
        entries: list.entries,
        next_url,
    };
    render(&page)
}
