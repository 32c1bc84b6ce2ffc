//! `GET /api/v1/storefront/events`: the merchant's outbox as Server-Sent
//! Events. `id:` is the catalog version (written on the last event of each
//! version), `event:` the type, `data:` the same JSON as a webhook body.
//! `Last-Event-ID: N` (or `?last_event_id=N`) replays every event after
//! version N before going live; without it the stream starts at the present.
//! An N ahead of the catalog is a 422; one older than the retained history
//! (`inventory::retention`) is a 410. The stream ends within about a second
//! of its token's revocation.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast::error::RecvError;
use utoipa::ToSchema;

use super::Operations;
use super::auth::ApiCaller;
use super::errors::{ApiError, ErrorBody};
use crate::domain::{EventTypes, TokenScope};
use crate::inventory::outbox::{self, EventPosition, OutboxEvent};
use crate::inventory::{self, catalog_version};
use crate::inventory::{changes, retention, tokens};
use crate::web::{AppState, run, sse};

/// The most events read from the database at once.
const BATCH: i64 = 500;

/// How often an open stream checks that its token is still live; a revoked
/// token's stream ends within about this long.
const TOKEN_RECHECK: std::time::Duration = std::time::Duration::from_secs(1);

pub fn register(operations: &mut Operations) {
    operations.add::<__path_events, _, _>(events);
}

/// An event, as a webhook's body and a stream's `data:` line carry it
/// (`OutboxEvent::to_json` writes it).
#[derive(Serialize, ToSchema)]
#[schema(as = Event)]
#[allow(dead_code)] // Described for the contract; the outbox writes the JSON.
pub(super) struct EventJson {
    /// `evt_<n>`: de-duplicate by it, delivery is at least once.
    #[schema(example = "evt_1235")]
    id: String,
    /// `item.listing_changed`, `item.stock_changed`, `location.changed`,
    /// `reservation.created`, `reservation.picked_up`, `reservation.released`,
    /// `reservation.expired`, or `webhook.test`. An item created with its
    /// stock (a catalogue import's new row) comes as one
    /// `item.listing_changed` whose record carries that stock.
    #[schema(example = "item.listing_changed")]
    r#type: String,
    /// The catalog version of the change.
    catalog_version: i64,
    /// RFC 3339, UTC, milliseconds.
    #[schema(format = DateTime)]
    created_at: String,
    /// `{"item": <the online list's record or a tombstone>}`,
    /// `{"location": {"id", "name", "fulfils_online"}}`, or
    /// `{"reservation": {"id", "pickup_code", "status", "item_id", …}}`.
    #[schema(value_type = Object)]
    data: serde_json::Value,
}

#[derive(Deserialize)]
pub(super) struct EventsQuery {
    last_event_id: Option<String>,
}

/// The merchant's changes, live, as Server-Sent Events.
#[utoipa::path(
    get,
    path = "/api/v1/storefront/events",
    tag = "storefront",
    operation_id = "storefront_events",
    summary = "Follow changes live (Server-Sent Events)",
    description = "A `text/event-stream` that does not end: `id:` is the catalog version (on the last event of each version), `event:` the type, `data:` the event as JSON (the `Event` schema, the same as a webhook body). A comment line every 15 s keeps it open. Resume with `Last-Event-ID` (or `?last_event_id=`): every event after that version is replayed, then the stream goes live; without it, it starts at the present. A version ahead of the catalog is a 422; one older than the retained history (events are pruned after a retention period) is a 410: read the full list and resume from its `catalog_version`. The stream ends within about a second of its token's revocation.",
    security(("api_token" = ["storefront"])),
    params(
        ("Last-Event-ID" = Option<String>, Header, description = "Resume after this catalog version."),
        ("last_event_id" = Option<String>, Query, description = "The same, for clients that can't set headers."),
    ),
    responses(
        (status = 200, description = "The stream of events.", content_type = "text/event-stream", body = String),
        (status = 410, description = "`history_pruned`: the version is older than the retained history (events before `details.oldest_version` were pruned); read the full list and resume from its `catalog_version`.", body = ErrorBody),
        (status = 422, description = "`invalid_parameter` (`last_event_id`): not a catalog version, or a version ahead of the catalog.", body = ErrorBody),
    ),
)]
pub(super) async fn events(
    state: web::Data<AppState>,
    caller: ApiCaller,
    request: HttpRequest,
    query: web::Query<EventsQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(TokenScope::Storefront)?;
    let merchant_id = caller.merchant_id();
    let resume = request
        .headers()
        .get("Last-Event-ID")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| query.last_event_id.clone());
    let resume = match resume.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(raw.parse::<i64>().ok().filter(|v| *v >= 0).ok_or_else(|| {
            ApiError::invalid_parameter(
                "last_event_id",
                format!("Last-Event-ID must be a catalog version (a whole number), not {raw:?}."),
            )
        })?),
    };
    // Subscribe before reading where to start, so no change falls in between.
    let feed = changes::subscribe();
    let (current, floor) = run(&state, move |conn| {
        Ok((
            catalog_version(conn, merchant_id)?,
            retention::history_floor(conn, merchant_id)?,
        ))
    })
    .await?;
    // A resume from a version the catalog has not reached (a database
    // restored from a backup, another database) would silently skip the
    // events up to it: refused, like the list API's `since_version`.
    if let Some(resume) = resume
        && resume > current
    {
        return Err(ApiError::invalid_parameter(
            "last_event_id",
            format!(
                "Last-Event-ID {resume} is ahead of the catalog, which is at version {current}; \
                 read the full list again and resume from its catalog_version."
            ),
        ));
    }
    // A resume from before the retained history would skip the pruned events.
    if let Some(resume) = resume
        && resume < floor
    {
        return Err(ApiError::history_pruned(
            resume,
            floor,
            "read the full list (GET /api/v1/storefront/items) and open the stream again with its catalog_version as Last-Event-ID",
        ));
    }
    let version = resume.unwrap_or(current);
    let token_id = caller.token.id;
    let (sender, response) = state.push.streams.open();
    let heartbeat = state.push.heartbeat;
    actix_web::rt::spawn(stream_events(
        state.into_inner(),
        merchant_id,
        token_id,
        EventPosition::end_of_version(version),
        feed,
        sender,
        heartbeat,
    ));
    Ok(response)
}

/// Sends everything after `position`, then whatever comes, until the client goes.
async fn stream_events(
    state: std::sync::Arc<AppState>,
    merchant_id: i64,
    token_id: i64,
    mut position: EventPosition,
    mut feed: tokio::sync::broadcast::Receiver<changes::CatalogChange>,
    sender: sse::SseSender,
    heartbeat: std::time::Duration,
) {
    if !sender.retry_after_ms(2000).await {
        return;
    }
    let mut recheck = tokio::time::interval(TOKEN_RECHECK);
    recheck.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        match send_after(&state, merchant_id, &mut position, &sender).await {
            Ok(true) => {}
            Ok(false) => return,
            Err(error) => {
                log::warn!("merchant {merchant_id}: event stream could not read events: {error}");
            }
        }
        // Wait for a change of this merchant; the heartbeat also re-reads, in
        // case a hint was missed.
        let deadline = tokio::time::sleep(heartbeat);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                () = sender.closed() => return,
                _ = recheck.tick() => {
                    match run(&state, move |conn| tokens::is_live(conn, token_id)).await {
                        Ok(true) => continue,
                        Ok(false) => {
                            log::info!("merchant {merchant_id}: event stream of token {token_id} ends: the token was revoked");
                            sender.comment("token revoked").await;
                            return;
                        }
                        Err(error) => {
                            log::warn!("merchant {merchant_id}: event stream could not check its token: {error}");
                            continue;
                        }
                    }
                }
                () = &mut deadline => {
                    if !sender.comment("keep-alive").await {
                        return;
                    }
                    break;
                }
                heard = feed.recv() => match heard {
                    Ok(change) if change.merchant_id == merchant_id => break,
                    Ok(_) => continue,
                    Err(RecvError::Lagged(_)) => break,
                    Err(RecvError::Closed) => {
                        feed = changes::subscribe();
                        break;
                    }
                },
            }
        }
    }
}

/// Sends every event after `position`, moving it on; false when the client has gone.
async fn send_after(
    state: &AppState,
    merchant_id: i64,
    position: &mut EventPosition,
    sender: &sse::SseSender,
) -> inventory::Result<bool> {
    loop {
        let after = *position;
        // One event more than is sent: it tells whether the last one sent
        // ends its version, so that version's id is never left unsent.
        let (batch, floor): (Vec<OutboxEvent>, i64) = run(state, move |conn| {
            // The storefront's types only: never the back-office `inventory.` ones.
            let batch = outbox::events_after(
                conn,
                merchant_id,
                after,
                Some(EventTypes::storefront().names()),
                BATCH + 1,
            )?;
            // Read after the events: pruning raises the floor in the
            // transaction that deletes, so a gap in this batch shows here.
            Ok((batch, retention::history_floor(conn, merchant_id)?))
        })
        .await?;
        if after.catalog_version < floor {
            // Events after this position were pruned while the stream was
            // behind: end it rather than skip them; a resume answers 410
            // (the rule of the resume itself: a version before the floor).
            sender.comment("history pruned").await;
            return Ok(false);
        }
        let complete = (batch.len() as i64) <= BATCH;
        for (index, event) in batch.iter().enumerate().take(BATCH as usize) {
            let last_of_version = batch
                .get(index + 1)
                .is_none_or(|next| next.catalog_version != event.catalog_version);
            let id = last_of_version.then_some(event.catalog_version);
            if !sender.event(id, &event.event_type, &event.to_json()).await {
                return Ok(false);
            }
            *position = event.position();
        }
        if complete {
            return Ok(true);
        }
    }
}
