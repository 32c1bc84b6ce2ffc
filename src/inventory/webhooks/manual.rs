//! Test events and resends asked for from the dashboard.
//!
//! The dashboard only queues them; the dispatcher sends them while it holds
//! the endpoint's lease, so exactly one instance sends each, no request waits
//! on a slow receiver, and the secrets never leave the dispatcher. What an
//! attempt brought is kept with the request, and a resend also counts as an
//! attempt of its delivery in the delivery log. A paused endpoint has no
//! dispatcher worker: what is queued for it goes out once it is enabled.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::super::{Result, catalog, now, outbox};
use super::deliveries::{AttemptReport, ClaimedEndpoint};
use super::history;
use super::{WebhookEndpoint, find_row};
use crate::db::DbConnection;
use crate::db::models::{NewWebhookManualSendRow, WebhookManualSendRow};
use crate::db::schema::{webhook_deliveries, webhook_manual_sends};

/// The most queued sends a dispatcher worker takes at once.
const BATCH: i64 = 20;

/// A queued test event or resend, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManualSend {
    pub id: i64,
    /// The delivery a resend repeats; `None` for a test event.
    pub delivery_id: Option<i64>,
    /// The event id receivers see (`evt_…`).
    pub event_id: String,
    pub body: String,
}

/// A test event or resend as the dashboard shows it: waiting, or what it brought.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManualSendState {
    pub requested_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
    pub status_code: Option<i32>,
    pub error: Option<String>,
}

impl ManualSendState {
    /// For a person: `waiting to be sent`, `answered 204`, or the error.
    pub fn describe(&self) -> String {
        match (&self.sent_at, &self.error, self.status_code) {
            (None, _, _) => "waiting to be sent".to_owned(),
            (Some(_), Some(error), _) => error.clone(),
            (Some(_), None, Some(code)) => format!("answered {code}"),
            (Some(_), None, None) => "no answer".to_owned(),
        }
    }

    pub fn succeeded(&self) -> bool {
        self.error.is_none() && self.status_code.is_some_and(|c| (200..300).contains(&c))
    }
}

impl From<WebhookManualSendRow> for ManualSendState {
    fn from(row: WebhookManualSendRow) -> ManualSendState {
        ManualSendState {
            requested_at: row.requested_at,
            sent_at: row.sent_at,
            status_code: row.status_code,
            error: row.error,
        }
    }
}

/// Queues a `webhook.test` event for an endpoint of the merchant; returns the
/// endpoint, which the dispatcher is to be woken for.
pub fn request_test(
    conn: &mut DbConnection,
    merchant_id: i64,
    endpoint_id: i64,
) -> Result<WebhookEndpoint> {
    let row = find_row(conn, merchant_id, endpoint_id)?;
    diesel::insert_into(webhook_manual_sends::table)
        .values(NewWebhookManualSendRow {
            endpoint_id: row.id,
            delivery_id: None,
            requested_at: now(),
        })
        .execute(conn)?;
    WebhookEndpoint::from_row(row)
}

/// Queues a resend of a delivery, unless one is already waiting.
pub(super) fn request_resend(
    conn: &mut DbConnection,
    endpoint_id: i64,
    delivery_id: i64,
) -> Result<()> {
    let waiting = webhook_manual_sends::table
        .filter(webhook_manual_sends::delivery_id.eq(delivery_id))
        .filter(webhook_manual_sends::sent_at.is_null())
        .count()
        .get_result::<i64>(conn)?;
    if waiting == 0 {
        diesel::insert_into(webhook_manual_sends::table)
            .values(NewWebhookManualSendRow {
                endpoint_id,
                delivery_id: Some(delivery_id),
                requested_at: now(),
            })
            .execute(conn)?;
    }
    Ok(())
}

/// The sends waiting for a claimed endpoint, oldest first, with their bodies.
pub fn waiting(conn: &mut DbConnection, endpoint: &ClaimedEndpoint) -> Result<Vec<ManualSend>> {
    let merchant_id = endpoint.target.merchant_id;
    let rows: Vec<(WebhookManualSendRow, Option<i64>)> = webhook_manual_sends::table
        .left_join(webhook_deliveries::table)
        .filter(webhook_manual_sends::endpoint_id.eq(endpoint.target.endpoint_id))
        .filter(webhook_manual_sends::sent_at.is_null())
        .order(webhook_manual_sends::id)
        .limit(BATCH)
        .select((
            WebhookManualSendRow::as_select(),
            webhook_deliveries::event_id.nullable(),
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(row, event_id)| {
            let (event_id, body) = match event_id {
                Some(event_id) => {
                    let event = outbox::find_event(conn, merchant_id, event_id)?;
                    (event.public_id(), event.to_json())
                }
                None => test_event(conn, merchant_id)?,
            };
            Ok(ManualSend {
                id: row.id,
                delivery_id: row.delivery_id,
                event_id,
                body,
            })
        })
        .collect()
}

/// A `webhook.test` event: its id and JSON.
fn test_event(conn: &mut DbConnection, merchant_id: i64) -> Result<(String, String)> {
    let version = catalog::current_version(conn, merchant_id)?;
    let at = now();
    let id = format!("evt_test_{}", at.and_utc().timestamp_micros());
    let body = serde_json::json!({
        "id": id,
        "type": "webhook.test",
        "catalog_version": version,
        "created_at": at.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "data": { "message": "A test event from shelfsync. It changes nothing." },
    })
    .to_string();
    Ok((id, body))
}

/// Records what a send brought. A resend is recorded in the delivery log
/// first: should the process die in between, the send is made again (at
/// least once), never lost.
pub fn record(
    conn: &mut DbConnection,
    endpoint: &ClaimedEndpoint,
    send: &ManualSend,
    report: &AttemptReport,
) -> Result<()> {
    if let Some(delivery_id) = send.delivery_id {
        history::record_resend(conn, endpoint.target.merchant_id, delivery_id, report)?;
    }
    diesel::update(
        webhook_manual_sends::table
            .filter(webhook_manual_sends::id.eq(send.id))
            .filter(webhook_manual_sends::sent_at.is_null()),
    )
    .set((
        webhook_manual_sends::sent_at.eq(Some(report.at)),
        webhook_manual_sends::status_code.eq(report.status_code.map(i32::from)),
        webhook_manual_sends::error.eq(report.error.as_deref()),
    ))
    .execute(conn)?;
    Ok(())
}

/// The endpoint's latest test event, waiting or sent.
pub fn last_test(conn: &mut DbConnection, endpoint_id: i64) -> Result<Option<ManualSendState>> {
    Ok(webhook_manual_sends::table
        .filter(webhook_manual_sends::endpoint_id.eq(endpoint_id))
        .filter(webhook_manual_sends::delivery_id.is_null())
        .order(webhook_manual_sends::id.desc())
        .select(WebhookManualSendRow::as_select())
        .first(conn)
        .optional()?
        .map(ManualSendState::from))
}

/// The endpoint's deliveries that have a resend waiting.
pub fn waiting_resends(conn: &mut DbConnection, endpoint_id: i64) -> Result<Vec<i64>> {
    Ok(webhook_manual_sends::table
        .filter(webhook_manual_sends::endpoint_id.eq(endpoint_id))
        .filter(webhook_manual_sends::sent_at.is_null())
        .filter(webhook_manual_sends::delivery_id.is_not_null())
        .select(webhook_manual_sends::delivery_id.assume_not_null())
        .load(conn)?)
}
