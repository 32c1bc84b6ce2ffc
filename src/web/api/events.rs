//! `GET /api/v1/storefront/events`: the merchant's outbox as Server-Sent
//! Events. `id:` is the catalog version (written on the last event of each
//! version), `event:` the type, `data:` the same JSON as a webhook body.
//! `Last-Event-ID: N` (or `?last_event_id=N`) replays every event after
//! version N before going live; without it the stream starts at the present.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;

use super::auth::ApiCaller;
use super::errors::ApiError;
use crate::domain::{EventTypes, TokenScope};
use crate::inventory::changes;
use crate::inventory::outbox::{self, EventPosition, OutboxEvent};
use crate::inventory::{self, catalog_version};
use crate::web::{AppState, run, sse};

/// The most events read from the database at once.
const BATCH: i64 = 500;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/storefront/events", web::get().to(events));
}

#[derive(Deserialize)]
struct EventsQuery {
    last_event_id: Option<String>,
}

async fn events(
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
    let version = match resume {
        Some(version) => version,
        None => run(&state, move |conn| catalog_version(conn, merchant_id)).await?,
    };
    let (sender, response) = sse::stream();
    let heartbeat = state.push.heartbeat;
    actix_web::rt::spawn(stream_events(
        state.into_inner(),
        merchant_id,
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
    mut position: EventPosition,
    mut feed: tokio::sync::broadcast::Receiver<changes::CatalogChange>,
    sender: sse::SseSender,
    heartbeat: std::time::Duration,
) {
    if !sender.retry_after_ms(2000).await {
        return;
    }
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
        let batch: Vec<OutboxEvent> = run(state, move |conn| {
            // The storefront's types only: never the back-office `inventory.` ones.
            outbox::events_after(
                conn,
                merchant_id,
                after,
                Some(EventTypes::storefront().names()),
                BATCH + 1,
            )
        })
        .await?;
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
