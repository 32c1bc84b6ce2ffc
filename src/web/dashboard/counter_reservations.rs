//! The store's open reservations at the counter: listed on `/counter` with
//! *Picked up* and *Release*, and one reservation's own page
//! (`/counter/reservations/{id}?location=…`), which a pickup code typed or
//! scanned into the counter's search box opens. *Picked up* records the
//! sale and consumes the hold (`reservations::pick_up`); *Release* frees
//! its units. With htmx a button redraws the reservations section in place;
//! without, the form posts and redirects back. A cashier works only at
//! their own store.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveDateTime;
use serde::Deserialize;

use super::items::render;
use super::{Layout, Notice, see_other, set_flash};
use crate::inventory::merchants::Location;
use crate::inventory::permissions::{self, Permission};
use crate::inventory::reservations::{self, OpenHold, Reservation};
use crate::inventory::{InventoryError, Item};
use crate::web::auth::CurrentStaff;
use crate::web::errors::HtmlError;
use crate::web::{AppState, htmx, run};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/counter/reservations/{id}", web::get().to(show))
        .route("/counter/reservations/{id}/pickup", web::post().to(pick_up))
        .route(
            "/counter/reservations/{id}/release",
            web::post().to(release),
        );
}

/// The store's open reservations: the part a button redraws.
#[derive(Template)]
#[template(path = "counter/_reservations.html")]
pub(super) struct CounterReservations {
    pub location_id: i64,
    pub csrf_token: String,
    pub holds: Vec<HoldRow>,
    /// What the last button did, said in place.
    pub notice: Option<Notice>,
}

/// One open reservation as the counter lists it.
pub(super) struct HoldRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub item_name: String,
    pub sku: String,
    pub quantity: i64,
    pub time_left: String,
    pub expires: String,
}

/// "1 d 3 h", "2 h 5 min", "4 min", or "due now".
fn time_left(now: NaiveDateTime, expires_at: NaiveDateTime) -> String {
    let minutes = (expires_at - now).num_minutes();
    match minutes {
        m if m <= 0 => "due now".to_owned(),
        m if m < 60 => format!("{m} min"),
        m if m < 24 * 60 => format!("{} h {} min", m / 60, m % 60),
        m => format!("{} d {} h", m / (24 * 60), (m % (24 * 60)) / 60),
    }
}

impl HoldRow {
    fn of(hold: OpenHold, layout: &Layout, now: NaiveDateTime) -> HoldRow {
        let r = hold.reservation;
        HoldRow {
            id: r.id,
            time_left: time_left(now, r.expires_at),
            expires: layout.at(&r.expires_at),
            code: r.pickup_code,
            name: r.name,
            item_name: hold.item_name,
            sku: hold.sku,
            quantity: r.quantity,
        }
    }
}

/// The store's open reservations, drawn for the counter page.
pub(super) async fn section(
    state: &AppState,
    current: &CurrentStaff,
    location_id: i64,
    notice: Option<Notice>,
) -> Result<CounterReservations, HtmlError> {
    let merchant_id = current.merchant.id;
    let holds = run(state, move |conn| {
        reservations::open_at_store(conn, merchant_id, location_id)
    })
    .await?;
    let layout = Layout::new(current, "counter");
    let now = chrono::Utc::now().naive_utc();
    Ok(CounterReservations {
        location_id,
        csrf_token: layout.csrf_token.clone(),
        holds: holds
            .into_iter()
            .map(|hold| HoldRow::of(hold, &layout, now))
            .collect(),
        notice,
    })
}

#[derive(Deserialize)]
struct AtStore {
    location: Option<String>,
}

/// A store id as the address or a form gives it.
fn parse_store(raw: &str) -> Result<i64, HtmlError> {
    let raw = raw.trim();
    raw.parse::<i64>()
        .map_err(|_| HtmlError::BadRequest(format!("{raw:?} is not a store id (location).")))
}

/// The store of the address; a cashier sees only their own.
fn store_of(current: &CurrentStaff, raw: Option<&str>) -> Result<i64, HtmlError> {
    let location_id = parse_store(raw.unwrap_or(""))?;
    if let Some(own) = permissions::own_store(&current.staff)
        && own != location_id
    {
        return Err(HtmlError::NotFound(
            "That store is not one of yours (or it was archived).".into(),
        ));
    }
    Ok(location_id)
}

#[derive(Template)]
#[template(path = "counter/reservation.html")]
struct ReservationPage {
    layout: Layout,
    location: Location,
    reservation: Reservation,
    item: Item,
    time_left: String,
    /// For the search box, shared with the list page.
    show_all: bool,
    q: String,
    focus_search: bool,
}

/// `GET /counter/reservations/{id}?location=…`: one reservation of the store.
async fn show(
    state: web::Data<AppState>,
    current: CurrentStaff,
    path: web::Path<i64>,
    params: web::Query<AtStore>,
) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::HandOverReservations)?;
    let location_id = store_of(&current, params.location.as_deref())?;
    let (merchant_id, reservation_id) = (current.merchant.id, path.into_inner());
    let (reservation, item, location) = run(&state, move |conn| {
        let reservation = Reservation::find(conn, merchant_id, reservation_id)?;
        if reservation.location_id != location_id {
            return Err(InventoryError::NotFound("reservation"));
        }
        let item = Item::find(conn, merchant_id, reservation.item_id)?;
        let location = Location::find(conn, merchant_id, location_id)?;
        Ok((reservation, item, location))
    })
    .await?;
    let now = chrono::Utc::now().naive_utc();
    render(&ReservationPage {
        layout: Layout::new(&current, "counter"),
        time_left: time_left(now, reservation.expires_at),
        location,
        reservation,
        item,
        show_all: false,
        q: String::new(),
        focus_search: false,
    })
}

/// The form of both buttons: the counter's store.
#[derive(Deserialize)]
struct ButtonForm {
    #[serde(default)]
    location_id: String,
}

/// `POST /counter/reservations/{id}/pickup`: handed over and sold.
async fn pick_up(
    req: HttpRequest,
    state: web::Data<AppState>,
    current: CurrentStaff,
    path: web::Path<i64>,
    form: web::Form<ButtonForm>,
) -> Result<HttpResponse, HtmlError> {
    // A cashier at another store is refused (403), changing nothing.
    let location_id = parse_store(&form.location_id)?;
    permissions::stock_at(
        &current.staff,
        Permission::HandOverReservations,
        location_id,
    )?;
    let (merchant_id, actor, reservation_id) =
        (current.merchant.id, current.actor(), path.into_inner());
    let outcome = run(&state, move |conn| {
        let done =
            reservations::pick_up(conn, &actor, merchant_id, reservation_id, Some(location_id))?;
        let item = Item::find(conn, merchant_id, done.reservation.item_id)?;
        Ok((done, item))
    })
    .await;
    let notice = match outcome {
        Ok((done, item)) => {
            log::info!(
                "merchant {merchant_id} item {}: staff {} handed over reservation {} at location {location_id}",
                item.id,
                current.staff.id,
                done.reservation.pickup_code
            );
            Notice::success(format!(
                "Picked up {}: {} × {} sold to {}; {} on hand here now.",
                done.reservation.pickup_code,
                done.reservation.quantity,
                item.name,
                done.reservation.name,
                done.on_hand_after
            ))
        }
        Err(InventoryError::Closed(message)) => Notice::warning(message),
        Err(other) => return Err(other.into()),
    };
    answer(&req, &state, &current, location_id, notice).await
}

/// `POST /counter/reservations/{id}/release`: its units are free again.
async fn release(
    req: HttpRequest,
    state: web::Data<AppState>,
    current: CurrentStaff,
    path: web::Path<i64>,
    form: web::Form<ButtonForm>,
) -> Result<HttpResponse, HtmlError> {
    // A cashier at another store is refused (403), changing nothing.
    let location_id = parse_store(&form.location_id)?;
    permissions::stock_at(
        &current.staff,
        Permission::HandOverReservations,
        location_id,
    )?;
    let (merchant_id, actor, reservation_id) =
        (current.merchant.id, current.actor(), path.into_inner());
    let outcome = run(&state, move |conn| {
        reservations::release(conn, &actor, merchant_id, reservation_id, Some(location_id))
    })
    .await;
    let notice = match outcome {
        Ok(reservation) => {
            log::info!(
                "merchant {merchant_id} item {}: staff {} released reservation {} at location {location_id}",
                reservation.item_id,
                current.staff.id,
                reservation.pickup_code
            );
            Notice::success(format!(
                "Released {}: its {} unit(s) are free again.",
                reservation.pickup_code, reservation.quantity
            ))
        }
        Err(InventoryError::Closed(message)) => Notice::warning(message),
        Err(other) => return Err(other.into()),
    };
    answer(&req, &state, &current, location_id, notice).await
}

/// The reservations section redrawn with the notice (htmx), or back to the
/// counter with it as the page's message.
async fn answer(
    req: &HttpRequest,
    state: &AppState,
    current: &CurrentStaff,
    location_id: i64,
    notice: Notice,
) -> Result<HttpResponse, HtmlError> {
    if htmx::is_htmx(req) {
        return render(&section(state, current, location_id, Some(notice)).await?);
    }
    set_flash(&current.session, notice);
    Ok(see_other(&format!("/counter?location={location_id}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_left_reads_in_days_hours_or_minutes() {
        let now = NaiveDateTime::default();
        let later = |minutes| now + chrono::TimeDelta::minutes(minutes);
        assert_eq!(time_left(now, later(-5)), "due now");
        assert_eq!(time_left(now, later(4)), "4 min");
        assert_eq!(time_left(now, later(125)), "2 h 5 min");
        assert_eq!(time_left(now, later(27 * 60)), "1 d 3 h");
    }
}
