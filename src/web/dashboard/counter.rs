//! `/counter?location=…`: the store list as the device at that store sees it,
//! with a scan-first search box: a barcode or SKU typed exactly (a scanner
//! types it and Enter) opens that item (`counter_item`), a pickup code the
//! reservation (`counter_reservations`, whose list of the store's open
//! reservations sits above the store list); anything else narrows the list,
//! as you type with htmx or as a plain GET form.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;

use super::counter_reservations::{CounterReservations, section};
use super::items::render;
use super::{Layout, see_other};
use crate::domain::{PickupCode, display_minor};
use crate::inventory::merchants::Location;
use crate::inventory::permissions::{self, Permission};
use crate::inventory::reservations::Reservation;
use crate::inventory::store_list::{
    StoreListEntry, StoreListQuery, find_by_code, store_list_matching,
};
use crate::inventory::{catalog_version, changes};
use crate::web::auth::CurrentStaff;
use crate::web::errors::HtmlError;
use crate::web::{AppState, htmx, run};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/counter", web::get().to(counter))
        .route("/counter/events", web::get().to(live));
    super::counter_item::config(cfg);
    super::counter_reservations::config(cfg);
}

#[derive(Deserialize)]
struct CounterParams {
    location: Option<String>,
    /// `all` also shows online-only items, marked as not sold here.
    show: Option<String>,
    after: Option<String>,
    /// What was typed or scanned into the search box.
    q: Option<String>,
}

#[derive(Template)]
#[template(path = "counter/index.html")]
struct CounterPage {
    layout: Layout,
    locations: Vec<Location>,
    location: Location,
    show_all: bool,
    /// The search box's text.
    q: String,
    /// The search box takes the focus when the page opens.
    focus_search: bool,
    /// The store's open reservations, with *Picked up* and *Release*.
    reservations: CounterReservations,
    list: CounterList,
}

/// The store list table: the part the live updates replace.
#[derive(Template)]
#[template(path = "counter/_list.html")]
struct CounterList {
    location_id: i64,
    /// Whether the list is narrowed by a search (for its empty message).
    searched: bool,
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
    let q = params.q.as_deref().unwrap_or("").trim().to_owned();
    crate::domain::check_input("q", &q)
        .map_err(|_| HtmlError::BadRequest("The search must be one line of text (q).".into()))?;
    // Enter in the search box (a scanner's, or a person's) opens the
    // reservation whose pickup code it is, or the item whose barcode or SKU
    // it is; the as-you-type filter (htmx) only narrows.
    if let Some(code) = PickupCode::parse(&q).filter(|_| !htmx::is_htmx(&req)) {
        let found = run(&state, move |conn| {
            Reservation::open_by_code(conn, merchant_id, location_id, &code)
        })
        .await?;
        if let Some(reservation) = found {
            return Ok(see_other(&format!(
                "/counter/reservations/{}?location={location_id}",
                reservation.id
            )));
        }
    }
    if !q.is_empty() && !htmx::is_htmx(&req) {
        let code = q.clone();
        let found = run(&state, move |conn| find_by_code(conn, merchant_id, &code)).await?;
        if let Some(item_id) = found {
            return Ok(see_other(&format!(
                "/counter/items/{item_id}?location={location_id}"
            )));
        }
    }
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
    let search = q.clone();
    let list = run(&state, move |conn| {
        store_list_matching(conn, merchant_id, query, &search)
    })
    .await?;
    let next_url = list.next_after_id.map(|after| {
        format!(
            "/counter?location={location_id}{}{}&after={after}",
            if show_all { "&show=all" } else { "" },
            if q.is_empty() {
                String::new()
            } else {
                format!(
                    "&q={}",
                    url::form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()
                )
            }
        )
    });
    let table = CounterList {
        location_id,
        searched: !q.is_empty(),
        catalog_version: list.catalog_version,
        entries: list.entries,
        next_url,
    };
    // The live refresh (htmx) asks for the table alone.
    if htmx::is_htmx(&req) {
        return render(&table);
    }
    let reservations = section(&state, &current, location_id, None).await?;
    let page = CounterPage {
        reservations,
        layout: Layout::new(&current, "counter"),
        locations,
        location: list.location,
        show_all,
        q,
        focus_search: true,
        list: table,
    };
    render(&page)
}

/// How often an open `/counter/events` stream checks that its session is still open.
const SESSION_RECHECK: std::time::Duration = std::time::Duration::from_secs(2);

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
    let signed_in = current.still_signed_in();
    let (sender, response) = state.push.streams.open();
    actix_web::rt::spawn(async move {
        // The stream ends soon after its session does (sign-out, deactivation).
        let mut recheck = tokio::time::interval(SESSION_RECHECK);
        recheck.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut next_heartbeat = tokio::time::Instant::now() + heartbeat;
        loop {
            let deadline = tokio::time::sleep_until(next_heartbeat);
            tokio::pin!(deadline);
            let check = tokio::select! {
                () = sender.closed() => return,
                _ = recheck.tick() => {
                    if let Ok(false) = run(&state, signed_in.clone()).await {
                        return;
                    }
                    false
                }
                () = &mut deadline => {
                    next_heartbeat = tokio::time::Instant::now() + heartbeat;
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
