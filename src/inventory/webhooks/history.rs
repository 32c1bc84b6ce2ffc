//! The delivery log as the merchant sees it: per endpoint, each event's
//! status, attempts and last answer; and *Resend*, which either pulls the
//! next retry of a pending event forward or asks the dispatcher to send a
//! settled one once more (`manual`), recorded here as one more attempt.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::super::outbox::EventPosition;
use super::super::{InventoryError, Result, now};
use super::deliveries::{AttemptReport, DeliveryStatus};
use crate::db::DbConnection;
use crate::db::models::{WebhookDeliveryRow, WebhookEndpointRow};
use crate::db::schema::{webhook_deliveries, webhook_endpoints};
use crate::domain::{EVENT_TYPES, FieldError};

/// One line of the delivery log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryLogEntry {
    pub id: i64,
    pub endpoint_id: i64,
    pub event_id: i64,
    pub catalog_version: i64,
    pub event_type: String,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub next_attempt_at: Option<NaiveDateTime>,
    pub last_attempt_at: Option<NaiveDateTime>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub delivered_at: Option<NaiveDateTime>,
}

impl DeliveryLogEntry {
    /// The event id as receivers see it.
    pub fn public_event_id(&self) -> String {
        format!("evt_{}", self.event_id)
    }

    fn from_row(row: WebhookDeliveryRow) -> Result<DeliveryLogEntry> {
        Ok(DeliveryLogEntry {
            status: DeliveryStatus::parse(&row.status)?,
            id: row.id,
            endpoint_id: row.endpoint_id,
            event_id: row.event_id,
            catalog_version: row.catalog_version,
            event_type: row.event_type,
            attempts: row.attempts,
            next_attempt_at: row.next_attempt_at,
            last_attempt_at: row.last_attempt_at,
            last_status_code: row.last_status_code,
            last_error: row.last_error,
            delivered_at: row.delivered_at,
        })
    }
}

/// The most lines one page of the delivery log holds.
pub const MAX_LOG_PAGE: i64 = 500;

/// Where a page of the delivery log continues: just older than the event at
/// (catalog version, event id). Written `<version>.<event id>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogCursor(EventPosition);

impl LogCursor {
    /// Parses a cursor a client sent back (`field` names the parameter).
    pub fn parse(raw: &str, field: &'static str) -> Result<LogCursor, FieldError> {
        raw.trim()
            .split_once('.')
            .and_then(|(version, event)| {
                Some(EventPosition {
                    catalog_version: version.parse().ok()?,
                    event_id: event.parse().ok()?,
                })
            })
            .map(LogCursor)
            .ok_or_else(|| {
                FieldError::new(
                    field,
                    format!("{raw:?} is not a delivery log cursor; pass back the next_cursor of the page before"),
                )
            })
    }
}

impl std::fmt::Display for LogCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.0.catalog_version, self.0.event_id)
    }
}

/// Which part of the delivery log to read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogQuery {
    /// Only these statuses; every status when empty.
    pub statuses: Vec<DeliveryStatus>,
    /// Only this event type.
    pub event_type: Option<&'static str>,
    /// Only events older than this.
    pub before: Option<LogCursor>,
    /// At most this many lines, 1..=`MAX_LOG_PAGE`.
    pub limit: i64,
}

impl LogQuery {
    /// Checks an event type to filter by against the known ones.
    pub fn event_type(raw: &str) -> Result<&'static str, FieldError> {
        EVENT_TYPES
            .iter()
            .map(|(name, _)| *name)
            .find(|name| *name == raw.trim())
            .ok_or_else(|| {
                FieldError::new(
                    "event_type",
                    format!("{raw:?} is not an event type shelfsync sends"),
                )
            })
    }
}

/// One page of the delivery log, newest event first.
#[derive(Debug, Clone)]
pub struct LogPage {
    pub entries: Vec<DeliveryLogEntry>,
    /// Pass as `before` for the next (older) page; `None` on the last page.
    pub next: Option<LogCursor>,
}

/// A page of the endpoint's deliveries, newest event first: the whole log
/// can be paged through, filtered by status and event type.
pub fn delivery_log(
    conn: &mut DbConnection,
    merchant_id: i64,
    endpoint_id: i64,
    query: &LogQuery,
) -> Result<LogPage> {
    let endpoint = super::find_endpoint(conn, merchant_id, endpoint_id)?;
    let limit = query.limit.clamp(1, MAX_LOG_PAGE);
    let mut rows = webhook_deliveries::table
        .filter(webhook_deliveries::endpoint_id.eq(endpoint.id))
        .into_boxed();
    if !query.statuses.is_empty() {
        let statuses: Vec<&str> = query.statuses.iter().map(|s| s.as_str()).collect();
        rows = rows.filter(webhook_deliveries::status.eq_any(statuses));
    }
    if let Some(event_type) = query.event_type {
        rows = rows.filter(webhook_deliveries::event_type.eq(event_type));
    }
    if let Some(LogCursor(before)) = query.before {
        rows = rows.filter(
            webhook_deliveries::catalog_version
                .lt(before.catalog_version)
                .or(webhook_deliveries::catalog_version
                    .eq(before.catalog_version)
                    .and(webhook_deliveries::event_id.lt(before.event_id))),
        );
    }
    let mut entries: Vec<DeliveryLogEntry> = rows
        .order((
            webhook_deliveries::catalog_version.desc(),
            webhook_deliveries::event_id.desc(),
        ))
        .limit(limit + 1)
        .select(WebhookDeliveryRow::as_select())
        .load(conn)?
        .into_iter()
        .map(DeliveryLogEntry::from_row)
        .collect::<Result<_>>()?;
    let more = entries.len() as i64 > limit;
    entries.truncate(limit as usize);
    let next = more.then(|| entries.last()).flatten().map(|last| {
        LogCursor(EventPosition {
            catalog_version: last.catalog_version,
            event_id: last.event_id,
        })
    });
    Ok(LogPage { entries, next })
}

/// How many of the endpoint's deliveries were given up as failed.
pub fn failed_count(conn: &mut DbConnection, endpoint_id: i64) -> Result<i64> {
    Ok(webhook_deliveries::table
        .filter(webhook_deliveries::endpoint_id.eq(endpoint_id))
        .filter(webhook_deliveries::status.eq(DeliveryStatus::Failed.as_str()))
        .count()
        .get_result(conn)?)
}

fn find_delivery(
    conn: &mut DbConnection,
    merchant_id: i64,
    delivery_id: i64,
) -> Result<(WebhookDeliveryRow, WebhookEndpointRow)> {
    webhook_deliveries::table
        .inner_join(webhook_endpoints::table)
        .filter(webhook_deliveries::id.eq(delivery_id))
        .filter(webhook_endpoints::merchant_id.eq(merchant_id))
        .select((
            WebhookDeliveryRow::as_select(),
            WebhookEndpointRow::as_select(),
        ))
        .first(conn)
        .optional()?
        .ok_or(InventoryError::NotFound("delivery"))
}

/// What pressing *Resend* on a delivery does.
#[derive(Debug, Clone)]
pub enum Resend {
    /// The event is still the one being retried: its next attempt is now, in order.
    RetryingNow(DeliveryLogEntry),
    /// The event was delivered or given up: it is queued to be sent once
    /// more by the dispatcher (see `manual`), out of order; receivers
    /// de-duplicate by event id and ignore older versions.
    Queued(DeliveryLogEntry),
}

/// Handles *Resend* for a delivery of the merchant.
pub fn resend(conn: &mut DbConnection, merchant_id: i64, delivery_id: i64) -> Result<Resend> {
    let (row, endpoint) = find_delivery(conn, merchant_id, delivery_id)?;
    let delivery = DeliveryLogEntry::from_row(row)?;
    if delivery.status == DeliveryStatus::Pending {
        let at = now();
        diesel::update(webhook_deliveries::table.find(delivery.id))
            .set(webhook_deliveries::next_attempt_at.eq(Some(at)))
            .execute(conn)?;
        return Ok(Resend::RetryingNow(DeliveryLogEntry {
            next_attempt_at: Some(at),
            ..delivery
        }));
    }
    super::manual::request_resend(conn, endpoint.id, delivery.id)?;
    Ok(Resend::Queued(delivery))
}

/// Records a manual resend in the delivery log; a given-up event that now
/// got through counts as delivered.
pub fn record_resend(
    conn: &mut DbConnection,
    merchant_id: i64,
    delivery_id: i64,
    report: &AttemptReport,
) -> Result<DeliveryLogEntry> {
    conn.write_transaction(|conn| {
        let (row, _) = find_delivery(conn, merchant_id, delivery_id)?;
        let mut entry = DeliveryLogEntry::from_row(row)?;
        entry.attempts = entry.attempts.saturating_add(1);
        entry.last_attempt_at = Some(report.at);
        entry.last_status_code = report.status_code.map(i32::from);
        entry.last_error = report.error.clone();
        if report.succeeded() {
            entry.status = DeliveryStatus::Delivered;
            entry.delivered_at = Some(report.at);
        }
        diesel::update(webhook_deliveries::table.find(entry.id))
            .set((
                webhook_deliveries::status.eq(entry.status.as_str()),
                webhook_deliveries::attempts.eq(entry.attempts),
                webhook_deliveries::last_attempt_at.eq(entry.last_attempt_at),
                webhook_deliveries::last_status_code.eq(entry.last_status_code),
                webhook_deliveries::last_error.eq(entry.last_error.as_deref()),
                webhook_deliveries::delivered_at.eq(entry.delivered_at),
            ))
            .execute(conn)?;
        Ok(entry)
    })
}
