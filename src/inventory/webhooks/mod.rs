//! Webhook endpoints of a merchant: the URL, a signing secret (shown once,
//! rotated with a grace period), enabled or not, the event types to send, and
//! the delivery log. The dispatcher (`crate::delivery`) does the sending; the
//! rules it follows — order, retries, giving up — live here and in `deliveries`.

pub mod deliveries;
pub mod destination;
pub mod history;
pub mod manual;
pub mod signature;

use std::time::Duration;

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use rand::RngCore;

use super::outbox::{self, EventPosition};
use super::{InventoryError, Result, catalog, now};
use crate::db::DbConnection;
use crate::db::models::{NewWebhookEndpointRow, WebhookEndpointRow};
use crate::db::schema::{outbox_events, webhook_deliveries, webhook_endpoints};
use crate::domain::{Destinations, EventTypes, WebhookUrl};

pub use deliveries::{DeliveryStatus, RetryPolicy};
pub use history::DeliveryLogEntry;

/// What every signing secret starts with, so a leaked one is recognisable.
/// The rest is the base64 of the signing key (Standard Webhooks).
pub const SECRET_PREFIX: &str = "whsec_";

/// Random bytes in a new signing key.
const SECRET_BYTES: usize = 24;

/// A webhook endpoint as the merchant sees it (never its secrets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEndpoint {
    pub id: i64,
    pub merchant_id: i64,
    pub url: String,
    pub enabled: bool,
    pub event_types: EventTypes,
    /// The first characters of the current secret, to tell secrets apart.
    pub secret_hint: String,
    /// Until when the secret replaced by the last rotation still verifies.
    pub previous_secret_expires_at: Option<NaiveDateTime>,
    /// Every event at or before this position has been delivered or given up.
    pub cursor: EventPosition,
    pub created_at: NaiveDateTime,
}

impl WebhookEndpoint {
    fn from_row(row: WebhookEndpointRow) -> Result<WebhookEndpoint> {
        let event_types = EventTypes::from_stored(&row.event_types).map_err(|e| {
            InventoryError::Corrupt(format!("webhook endpoint {}: {}", row.id, e.message))
        })?;
        let at = now();
        Ok(WebhookEndpoint {
            id: row.id,
            merchant_id: row.merchant_id,
            url: row.url,
            enabled: row.enabled,
            event_types,
            secret_hint: row.secret.chars().take(SECRET_PREFIX.len() + 6).collect(),
            previous_secret_expires_at: row
                .previous_secret_expires_at
                .filter(|expires| *expires > at && row.previous_secret.is_some()),
            cursor: EventPosition {
                catalog_version: row.cursor_version,
                event_id: row.cursor_event_id,
            },
            created_at: row.created_at,
        })
    }
}

/// A newly made secret, which the dashboard shows once.
#[derive(Debug, Clone)]
pub struct IssuedSecret {
    pub endpoint: WebhookEndpoint,
    pub secret: String,
}

/// A new secret: `whsec_` and the base64 of 24 random bytes, the form
/// Standard Webhooks libraries take. (Secrets made before were `whsec_` and
/// 48 hex digits; hex digits are base64 characters too, so those keep
/// working unchanged: see `signature::signing_key`.)
fn new_secret() -> String {
    use base64::Engine;
    let mut bytes = [0u8; SECRET_BYTES];
    rand::rng().fill_bytes(&mut bytes);
    format!(
        "{SECRET_PREFIX}{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// Adds an endpoint that receives the merchant's events from now on. Its
/// URL must reach a public address unless `destinations` allows any.
pub fn create_endpoint(
    conn: &mut DbConnection,
    merchant_id: i64,
    url: &WebhookUrl,
    event_types: &EventTypes,
    destinations: Destinations,
) -> Result<IssuedSecret> {
    destination::check_destination(url, destinations)?;
    let secret = new_secret();
    conn.write_transaction(|conn| {
        // Changes committed after this read have a higher version, so none is skipped.
        let version = catalog::current_version(conn, merchant_id)?;
        let start = outbox::position_at(conn, merchant_id, version)?;
        let at = now();
        let row: WebhookEndpointRow = diesel::insert_into(webhook_endpoints::table)
            .values(NewWebhookEndpointRow {
                merchant_id,
                url: url.as_str(),
                secret: &secret,
                enabled: true,
                event_types: &event_types.to_stored(),
                cursor_version: start.catalog_version,
                cursor_event_id: start.event_id,
                created_at: at,
                updated_at: at,
            })
            .returning(webhook_endpoints::all_columns)
            .get_result(conn)?;
        Ok(IssuedSecret {
            endpoint: WebhookEndpoint::from_row(row)?,
            secret: secret.clone(),
        })
    })
}

fn find_row(
    conn: &mut DbConnection,
    merchant_id: i64,
    endpoint_id: i64,
) -> Result<WebhookEndpointRow> {
    webhook_endpoints::table
        .filter(webhook_endpoints::id.eq(endpoint_id))
        .filter(webhook_endpoints::merchant_id.eq(merchant_id))
        .select(WebhookEndpointRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(InventoryError::NotFound("webhook endpoint"))
}

/// One endpoint of the merchant; another merchant's is NotFound.
pub fn find_endpoint(
    conn: &mut DbConnection,
    merchant_id: i64,
    endpoint_id: i64,
) -> Result<WebhookEndpoint> {
    WebhookEndpoint::from_row(find_row(conn, merchant_id, endpoint_id)?)
}

/// The merchant's endpoints, oldest first.
pub fn list_endpoints(conn: &mut DbConnection, merchant_id: i64) -> Result<Vec<WebhookEndpoint>> {
    webhook_endpoints::table
        .filter(webhook_endpoints::merchant_id.eq(merchant_id))
        .order(webhook_endpoints::id)
        .select(WebhookEndpointRow::as_select())
        .load(conn)?
        .into_iter()
        .map(WebhookEndpoint::from_row)
        .collect()
}

/// Turns delivery to an endpoint on or off. A disabled endpoint keeps its
/// place: when it is enabled again it receives what happened meanwhile.
pub fn set_enabled(
    conn: &mut DbConnection,
    merchant_id: i64,
    endpoint_id: i64,
    enabled: bool,
) -> Result<WebhookEndpoint> {
    update_endpoint(
        conn,
        merchant_id,
        endpoint_id,
        &EndpointChange {
            enabled: Some(enabled),
            ..EndpointChange::default()
        },
    )
}

/// Changes which event types an endpoint receives, from its current place on.
pub fn set_event_types(
    conn: &mut DbConnection,
    merchant_id: i64,
    endpoint_id: i64,
    event_types: &EventTypes,
) -> Result<WebhookEndpoint> {
    update_endpoint(
        conn,
        merchant_id,
        endpoint_id,
        &EndpointChange {
            event_types: Some(event_types.clone()),
            ..EndpointChange::default()
        },
    )
}

/// What to change on an endpoint; `None` leaves a setting as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndpointChange {
    pub url: Option<WebhookUrl>,
    pub enabled: Option<bool>,
    pub event_types: Option<EventTypes>,
}

/// Changes an endpoint's URL, event types or whether it is on. A new URL is
/// checked like a new endpoint's; events keep their place in the queue.
pub fn change_endpoint(
    conn: &mut DbConnection,
    merchant_id: i64,
    endpoint_id: i64,
    change: &EndpointChange,
    destinations: Destinations,
) -> Result<WebhookEndpoint> {
    if let Some(url) = &change.url {
        destination::check_destination(url, destinations)?;
    }
    update_endpoint(conn, merchant_id, endpoint_id, change)
}

/// Updates an endpoint of this merchant; another merchant's is NotFound.
fn update_endpoint(
    conn: &mut DbConnection,
    merchant_id: i64,
    endpoint_id: i64,
    change: &EndpointChange,
) -> Result<WebhookEndpoint> {
    let event_types = change.event_types.as_ref().map(EventTypes::to_stored);
    let row: WebhookEndpointRow = diesel::update(
        webhook_endpoints::table
            .filter(webhook_endpoints::id.eq(endpoint_id))
            .filter(webhook_endpoints::merchant_id.eq(merchant_id)),
    )
    .set((
        change
            .url
            .as_ref()
            .map(|url| webhook_endpoints::url.eq(url.as_str().to_owned())),
        change
            .enabled
            .map(|enabled| webhook_endpoints::enabled.eq(enabled)),
        event_types.map(|types| webhook_endpoints::event_types.eq(types)),
        webhook_endpoints::updated_at.eq(now()),
    ))
    .returning(webhook_endpoints::all_columns)
    .get_result(conn)
    .optional()?
    .ok_or(InventoryError::NotFound("webhook endpoint"))?;
    WebhookEndpoint::from_row(row)
}

/// Replaces the endpoint's secret. Requests are signed with both the new and
/// the old secret for `grace`, so the receiver can switch without losing any.
pub fn rotate_secret(
    conn: &mut DbConnection,
    merchant_id: i64,
    endpoint_id: i64,
    grace: Duration,
) -> Result<IssuedSecret> {
    let secret = new_secret();
    let grace = TimeDelta::from_std(grace).unwrap_or(TimeDelta::MAX);
    conn.write_transaction(|conn| {
        let current = find_row(conn, merchant_id, endpoint_id)?;
        let at = now();
        let row: WebhookEndpointRow = diesel::update(webhook_endpoints::table.find(current.id))
            .set((
                webhook_endpoints::secret.eq(&secret),
                webhook_endpoints::previous_secret.eq(Some(&current.secret)),
                webhook_endpoints::previous_secret_expires_at.eq(Some(
                    at.checked_add_signed(grace).unwrap_or(NaiveDateTime::MAX),
                )),
                webhook_endpoints::updated_at.eq(at),
            ))
            .returning(webhook_endpoints::all_columns)
            .get_result(conn)?;
        Ok(IssuedSecret {
            endpoint: WebhookEndpoint::from_row(row)?,
            secret: secret.clone(),
        })
    })
}

/// Removes an endpoint and its delivery log.
pub fn delete_endpoint(
    conn: &mut DbConnection,
    merchant_id: i64,
    endpoint_id: i64,
) -> Result<WebhookEndpoint> {
    conn.write_transaction(|conn| {
        let endpoint = WebhookEndpoint::from_row(find_row(conn, merchant_id, endpoint_id)?)?;
        diesel::delete(
            webhook_deliveries::table.filter(webhook_deliveries::endpoint_id.eq(endpoint.id)),
        )
        .execute(conn)?;
        diesel::delete(webhook_endpoints::table.find(endpoint.id)).execute(conn)?;
        Ok(endpoint)
    })
}

/// The secrets a request to this endpoint is signed with now: the current
/// one, and the previous one while its grace period lasts.
pub(crate) fn signing_secrets(row: &WebhookEndpointRow, at: NaiveDateTime) -> Vec<String> {
    let mut secrets = vec![row.secret.clone()];
    if let (Some(previous), Some(expires)) = (&row.previous_secret, row.previous_secret_expires_at)
        && expires > at
    {
        secrets.push(previous.clone());
    }
    secrets
}

/// What `redeliver_since` re-queued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redelivery {
    pub endpoint: WebhookEndpoint,
    pub since_version: i64,
    /// Events of the endpoint's types after `since_version`, now waiting.
    pub queued: i64,
}

/// Re-queues, in order, every event after catalog version `since_version`
/// for one endpoint: its cursor moves back (never forward — events not yet
/// sent stay queued), their delivery log lines show as pending again, and
/// the dispatcher that was working the endpoint loses its lease, so it
/// can't move the cursor past them; the next one starts at the new cursor.
/// An event older than the give-up period that fails again is marked failed
/// after that one attempt, and can be redelivered again. A version older
/// than the retained history is `HistoryPruned`, and nothing changes.
pub fn redeliver_since(
    conn: &mut DbConnection,
    merchant_id: i64,
    endpoint_id: i64,
    since_version: i64,
) -> Result<Redelivery> {
    conn.write_transaction(|conn| {
        let current = catalog::current_version(conn, merchant_id)?;
        if !(0..=current).contains(&since_version) {
            return Err(InventoryError::Invalid(crate::domain::FieldError::new(
                "since_version",
                format!(
                    "since_version must be a catalog version from 0 to the current {current}, not {since_version}"
                ),
            )));
        }
        let row = find_row(conn, merchant_id, endpoint_id)?;
        let from = outbox::position_at(conn, merchant_id, since_version)?;
        let cursor = from.min(EventPosition {
            catalog_version: row.cursor_version,
            event_id: row.cursor_event_id,
        });
        let row: WebhookEndpointRow = diesel::update(webhook_endpoints::table.find(row.id))
            .set((
                webhook_endpoints::cursor_version.eq(cursor.catalog_version),
                webhook_endpoints::cursor_event_id.eq(cursor.event_id),
                webhook_endpoints::lease_owner.eq(None::<String>),
                webhook_endpoints::lease_until.eq(None::<NaiveDateTime>),
                webhook_endpoints::updated_at.eq(now()),
            ))
            .returning(webhook_endpoints::all_columns)
            .get_result(conn)?;
        // Only now, with the endpoint locked by the update: pruning locks it
        // too, so it has either finished (its floor shows here) or will see
        // the cursor moved back and keep the events after it.
        super::retention::check_history(conn, merchant_id, since_version)?;
        diesel::update(
            webhook_deliveries::table
                .filter(webhook_deliveries::endpoint_id.eq(row.id))
                .filter(webhook_deliveries::catalog_version.gt(since_version)),
        )
        .set((
            webhook_deliveries::status.eq(DeliveryStatus::Pending.as_str()),
            webhook_deliveries::next_attempt_at.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
        let endpoint = WebhookEndpoint::from_row(row)?;
        let queued = waiting_count(conn, &endpoint)?;
        Ok(Redelivery {
            endpoint,
            since_version,
            queued,
        })
    })
}

/// How many events wait for this endpoint beyond the one being retried.
pub fn waiting_count(conn: &mut DbConnection, endpoint: &WebhookEndpoint) -> Result<i64> {
    let cursor = endpoint.cursor;
    Ok(outbox_events::table
        .filter(outbox_events::merchant_id.eq(endpoint.merchant_id))
        .filter(
            outbox_events::catalog_version
                .gt(cursor.catalog_version)
                .or(outbox_events::catalog_version
                    .eq(cursor.catalog_version)
                    .and(outbox_events::id.gt(cursor.event_id))),
        )
        .filter(outbox_events::event_type.eq_any(endpoint.event_types.names().to_vec()))
        .count()
        .get_result(conn)?)
}
