//! `/counter?location=…`: the store list as the device at that store sees it.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;

use super::items::render;
use super::{Layout, see_other};
use crate::domain::display_minor;
use crate::inventory::merchants::Location;
use crate::inventory::permissions::{self, Permission};
use crate::inventory::store_list::{StoreListEntry, StoreListQuery, store_list};
use crate::inventory::{catalog_version, changes};
use crate::web::auth::CurrentStaff;
use crate::web::errors::HtmlError;
use crate::web::{AppState, htmx, run, sse};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/counter", web::get().to(counter))
        .route("/counter/events", web::get().to(live));
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
    list: CounterList,
}

/// The store list table: the part the live updates replace.
#[derive(Template)]
#[template(path = "counter/_list.html")]
struct CounterList {
    catalog_version: i64,
    entries: Vec<StoreListEntry>,
    next_url: Option<String>,
}

impl CounterList {
    fn price(&self, entry: &StoreListEntry) -> String {
        display_minor(entry.price.amount, &entry.price.currency)
    }
}

async fn counter(
    req: HttpRequest,
    state: web::Data<AppState>,
    current: CurrentStaff,
    params: web::Query<CounterParams>,
) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::UseCounter)?;
    let merchant_id = current.merchant.id;
    let mut locations = run(&state, move |conn| Location::all_of(conn, merchant_id)).await?;
    // A cashier works at one store: the picker offers only it.
    if let Some(own) = permissions::own_store(&current.staff) {
        locations.retain(|store| store.id == own);
    }
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
    if !locations.iter().any(|store| store.id == location_id) {
        return Err(HtmlError::NotFound(
            "That store is not one of yours (or it was archived).".into(),
        ));
    }
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
    let table = CounterList {
        catalog_version: list.catalog_version,
        entries: list.entries,
        next_url,
    };
    // The live refresh (htmx) asks for the table alone.
    if htmx::is_htmx(&req) {
        return render(&table);
    }
    let page = CounterPage {
        layout: Layout::new(&current, "counter"),
        locations,
        location: list.location,
        show_all,
        list: table,
    };
    render(&page)
}

/// `/counter/events`: tells the signed-in dashboard, as Server-Sent Events
/// (`event: catalog`, `data: {"catalog_version": N}`), each time the
/// merchant's catalog moves — a sale online, a change by another staff member —
/// so the counter page refreshes its table without a reload.
async fn live(
    state: web::Data<AppState>,
    current: CurrentStaff,
) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::UseCounter)?;
    let merchant_id = current.merchant.id;
    let mut feed = changes::subscribe();
    let mut known = run(&state, move |conn| catalog_version(conn, merchant_id)).await?;
    let heartbeat = state.push.heartbeat;
    let state = state.into_inner();
    let (sender, response) = sse::stream();
    actix_web::rt::spawn(async move {
        loop {
            let deadline = tokio::time::sleep(heartbeat);
            tokio::pin!(deadline);
            let check = tokio::select! {
                () = sender.closed() => return,
                () = &mut deadline => {
                    if !sender.comment("keep-alive").await {
                        return;
                    }
                    true
                }
                heard = feed.recv() => match heard {
                    Ok(change) => change.merchant_id == merchant_id,
                    Err(RecvError::Lagged(_)) => true,
                    Err(RecvError::Closed) => {
                        feed = changes::subscribe();
                        true
                    }
                },
            };
            if !check {
                continue;
            }
            // The feed is a hint; the version in the database is the truth.
            let Ok(now) = run(&state, move |conn| catalog_version(conn, merchant_id)).await else {
                continue;
            };
            if now != known {
                known = now;
                let data = format!("{{\"catalog_version\":{now}}}");
                if !sender.event(Some(now), "catalog", &data).await {
                    return;
                }
            }
        }
    });
    Ok(response)
}
