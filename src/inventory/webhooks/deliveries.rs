//! Delivery bookkeeping: which event an endpoint gets next, what an attempt
//! brought, when to try again, when to give up — and the delivery log.
//!
//! Each endpoint has a cursor over the merchant's events in (catalog version,
//! event id) order. The dispatcher reads the events after it, sends them one
//! by one, and moves the cursor past an event only once the receiver answered
//! 2xx or the event was given up as failed, in the same transaction that
//! writes the delivery log. So delivery is in order and at least once, and a
//! restart (even `kill -9`) resumes at the first event not yet settled.
//!
//! An endpoint is worked by one dispatcher at a time: a worker holds a lease
//! (`lease_owner`, `lease_until`), taken and renewed with a single conditional
//! `UPDATE`, and every write of its progress is conditional on still holding
//! it. A lease rather than `SELECT … FOR UPDATE SKIP LOCKED`: a row lock would
//! keep a transaction open across every HTTP request, and a lease works the
//! same on SQLite and PostgreSQL and expires by itself when an instance dies.

use std::time::Duration;

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;

use super::super::outbox::{self, EventPosition, OutboxEvent};
use super::super::{InventoryError, Result, now};
use super::signing_secrets;
use crate::db::DbConnection;
use crate::db::models::{NewWebhookDeliveryRow, WebhookDeliveryRow, WebhookEndpointRow};
use crate::db::schema::{webhook_deliveries, webhook_endpoints};
use crate::domain::EventTypes;

/// Where one event stands with one endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Not yet acknowledged; retried on a schedule.
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Retried for the whole give-up period without success.
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }

    /// Parses a status a person asked to filter by.
    pub fn from_param(raw: &str) -> Result<DeliveryStatus, crate::domain::FieldError> {
        Self::parse(raw.trim()).map_err(|_| {
            crate::domain::FieldError::new(
                "status",
                format!("status must be pending, delivered or failed, not {raw:?}"),
            )
        })
    }

    pub(super) fn parse(raw: &str) -> Result<DeliveryStatus> {
        match raw {
            "pending" => Ok(DeliveryStatus::Pending),
            "delivered" => Ok(DeliveryStatus::Delivered),
            "failed" => Ok(DeliveryStatus::Failed),
            other => Err(InventoryError::Corrupt(format!(
                "delivery status {other:?}"
            ))),
        }
    }
}

/// When to retry and when to give up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The wait after the first failed attempt; each further failure doubles it.
    pub first_retry: Duration,
    /// The longest wait between two attempts.
    pub max_retry: Duration,
    /// How long after it was written an event is retried before it is marked failed.
    pub give_up_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            first_retry: Duration::from_secs(1),
            max_retry: Duration::from_secs(3600),
            give_up_after: Duration::from_secs(24 * 3600),
        }
    }
}

impl RetryPolicy {
    /// The wait before the next attempt after `failed_attempts` failures:
    /// exponential and capped, with "equal jitter" — half the step fixed, half
    /// random (`random` in 0..1) — so many endpoints failing together spread out.
    pub fn retry_delay(&self, failed_attempts: i32, random: f64) -> Duration {
        let exponent = failed_attempts.saturating_sub(1).clamp(0, 30) as u32;
        let step = self
            .first_retry
            .saturating_mul(1u32 << exponent)
            .min(self.max_retry);
        let half = step / 2;
        half + half.mul_f64(random.clamp(0.0, 1.0))
    }

    /// Whether an event written at `written_at` has been retried long enough.
    pub fn gives_up(&self, written_at: NaiveDateTime, at: NaiveDateTime) -> bool {
        let limit = TimeDelta::from_std(self.give_up_after).unwrap_or(TimeDelta::MAX);
        at - written_at >= limit
    }
}

/// Where and how to send to an endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointTarget {
    pub endpoint_id: i64,
    pub merchant_id: i64,
    pub url: String,
    /// Sign with each: the current secret, and the previous one during its grace period.
    pub secrets: Vec<String>,
}

/// An endpoint a dispatcher holds the lease on.
#[derive(Debug, Clone)]
pub struct ClaimedEndpoint {
    pub target: EndpointTarget,
    pub event_types: EventTypes,
    pub cursor: EventPosition,
    pub owner: String,
}

fn lease_end(at: NaiveDateTime, lease: Duration) -> NaiveDateTime {
    at + TimeDelta::from_std(lease).unwrap_or(TimeDelta::seconds(60))
}

/// The enabled endpoints of every merchant, as (endpoint id, merchant id).
pub fn enabled_endpoints(conn: &mut DbConnection) -> Result<Vec<(i64, i64)>> {
    Ok(webhook_endpoints::table
        .filter(webhook_endpoints::enabled.eq(true))
        .select((webhook_endpoints::id, webhook_endpoints::merchant_id))
        .order(webhook_endpoints::id)
        .load(conn)?)
}

/// One enabled endpoint's events not yet settled (delivered or given up).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backlog {
    pub endpoint_id: i64,
    pub merchant_id: i64,
    /// Events after the endpoint's cursor, of the types it takes.
    pub pending: i64,
    /// When the oldest of them was written.
    pub oldest: Option<NaiveDateTime>,
}

/// Every enabled endpoint's backlog: a count over the outbox index from each
/// cursor, cheap enough to run on every metrics scrape.
pub fn backlog(conn: &mut DbConnection) -> Result<Vec<Backlog>> {
    let endpoints: Vec<(i64, i64, String, i64, i64)> = webhook_endpoints::table
        .filter(webhook_endpoints::enabled.eq(true))
        .select((
            webhook_endpoints::id,
            webhook_endpoints::merchant_id,
            webhook_endpoints::event_types,
            webhook_endpoints::cursor_version,
            webhook_endpoints::cursor_event_id,
        ))
        .order(webhook_endpoints::id)
        .load(conn)?;
    endpoints
        .into_iter()
        .map(|(endpoint_id, merchant_id, types, version, event_id)| {
            let types = EventTypes::from_stored(&types).map_err(|e| {
                InventoryError::Corrupt(format!("webhook endpoint {endpoint_id}: {}", e.message))
            })?;
            let cursor = EventPosition {
                catalog_version: version,
                event_id,
            };
            let (pending, oldest) =
                outbox::count_after(conn, merchant_id, cursor, Some(types.names()))?;
            Ok(Backlog {
                endpoint_id,
                merchant_id,
                pending,
                oldest,
            })
        })
        .collect()
}

/// Takes or renews the lease on an enabled endpoint for `owner`, unless
/// another owner holds an unexpired one. `None`: disabled, deleted or taken.
pub fn claim(
    conn: &mut DbConnection,
    endpoint_id: i64,
    owner: &str,
    lease: Duration,
) -> Result<Option<ClaimedEndpoint>> {
    let at = now();
    let row: Option<WebhookEndpointRow> = diesel::update(
        webhook_endpoints::table
            .filter(webhook_endpoints::id.eq(endpoint_id))
            .filter(webhook_endpoints::enabled.eq(true))
            .filter(
                webhook_endpoints::lease_owner
                    .is_null()
                    .or(webhook_endpoints::lease_owner.eq(owner))
                    .or(webhook_endpoints::lease_until.lt(at)),
            ),
    )
    .set((
        webhook_endpoints::lease_owner.eq(owner),
        webhook_endpoints::lease_until.eq(lease_end(at, lease)),
    ))
    .returning(webhook_endpoints::all_columns)
    .get_result(conn)
    .optional()?;
    let Some(row) = row else {
        return Ok(None);
    };
    let event_types = EventTypes::from_stored(&row.event_types).map_err(|e| {
        InventoryError::Corrupt(format!("webhook endpoint {}: {}", row.id, e.message))
    })?;
    Ok(Some(ClaimedEndpoint {
        target: EndpointTarget {
            endpoint_id: row.id,
            merchant_id: row.merchant_id,
            secrets: signing_secrets(&row, at),
            url: row.url,
        },
        event_types,
        cursor: EventPosition {
            catalog_version: row.cursor_version,
            event_id: row.cursor_event_id,
        },
        owner: owner.to_owned(),
    }))
}

/// Gives the lease up (on shutdown), so another instance can take over at once.
pub fn release(conn: &mut DbConnection, endpoint_id: i64, owner: &str) -> Result<()> {
    diesel::update(
        webhook_endpoints::table
            .filter(webhook_endpoints::id.eq(endpoint_id))
            .filter(webhook_endpoints::lease_owner.eq(owner)),
    )
    .set((
        webhook_endpoints::lease_owner.eq(None::<String>),
        webhook_endpoints::lease_until.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)?;
    Ok(())
}

/// An event waiting for an endpoint, with its retry state when already tried.
#[derive(Debug, Clone)]
pub struct QueuedEvent {
    pub event: OutboxEvent,
    /// Attempts made so far.
    pub attempts: i32,
    /// Not before this time, after a failed attempt.
    pub next_attempt_at: Option<NaiveDateTime>,
}

/// The next events for a claimed endpoint, in order, at most `limit`.
pub fn queue(
    conn: &mut DbConnection,
    endpoint: &ClaimedEndpoint,
    limit: i64,
) -> Result<Vec<QueuedEvent>> {
    let events = outbox::events_after(
        conn,
        endpoint.target.merchant_id,
        endpoint.cursor,
        Some(endpoint.event_types.names()),
        limit,
    )?;
    let mut queued: Vec<QueuedEvent> = events
        .into_iter()
        .map(|event| QueuedEvent {
            event,
            attempts: 0,
            next_attempt_at: None,
        })
        .collect();
    // Only the head can have been tried: the cursor stops at the first unsettled event.
    if let Some(head) = queued.first_mut() {
        let row: Option<WebhookDeliveryRow> = webhook_deliveries::table
            .filter(webhook_deliveries::endpoint_id.eq(endpoint.target.endpoint_id))
            .filter(webhook_deliveries::event_id.eq(head.event.id))
            .select(WebhookDeliveryRow::as_select())
            .first(conn)
            .optional()?;
        if let Some(row) = row {
            head.attempts = row.attempts;
            head.next_attempt_at = row.next_attempt_at;
        }
    }
    Ok(queued)
}

/// What one attempt to deliver brought.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptReport {
    pub at: NaiveDateTime,
    /// The HTTP status, when the receiver answered at all.
    pub status_code: Option<u16>,
    /// Why it did not count as delivered; `None` for a 2xx.
    pub error: Option<String>,
    /// Not sent because the destination is not a public address: retrying
    /// can't help, so the event is given up at once (the merchant fixes the
    /// URL and redelivers).
    pub refused: bool,
}

impl AttemptReport {
    pub fn succeeded(&self) -> bool {
        self.error.is_none()
            && self
                .status_code
                .is_some_and(|code| (200..300).contains(&code))
    }
}

/// The outcome of an attempt, decided and ready to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settled {
    pub event_id: i64,
    pub position: EventPosition,
    pub event_type: String,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub report: AttemptReport,
    pub next_attempt_at: Option<NaiveDateTime>,
}

/// Decides what an attempt means: delivered, retry later (when), or given up.
pub fn settle(
    policy: &RetryPolicy,
    queued: &QueuedEvent,
    report: AttemptReport,
    random: f64,
) -> Settled {
    let attempts = queued.attempts.saturating_add(1);
    let (status, next_attempt_at) = if report.succeeded() {
        (DeliveryStatus::Delivered, None)
    } else if report.refused || policy.gives_up(queued.event.created_at, report.at) {
        (DeliveryStatus::Failed, None)
    } else {
        let delay = policy.retry_delay(attempts, random);
        (
            DeliveryStatus::Pending,
            Some(report.at + TimeDelta::from_std(delay).unwrap_or(TimeDelta::hours(1))),
        )
    };
    Settled {
        event_id: queued.event.id,
        position: queued.event.position(),
        event_type: queued.event.event_type.clone(),
        status,
        attempts,
        report,
        next_attempt_at,
    }
}

/// Writes attempts in one transaction: the delivery log, and the cursor moved
/// past every settled event — only if `endpoint`'s lease is still held.
/// Returns false (writing nothing) when another dispatcher took the endpoint.
pub fn record(
    conn: &mut DbConnection,
    endpoint: &ClaimedEndpoint,
    lease: Duration,
    settled: &[Settled],
) -> Result<bool> {
    let endpoint_id = endpoint.target.endpoint_id;
    let cursor = settled
        .iter()
        .filter(|s| s.status != DeliveryStatus::Pending)
        .map(|s| s.position)
        .chain([endpoint.cursor])
        .max()
        .unwrap_or(endpoint.cursor);
    conn.write_transaction(|conn| {
        let held = diesel::update(
            webhook_endpoints::table
                .filter(webhook_endpoints::id.eq(endpoint_id))
                .filter(webhook_endpoints::lease_owner.eq(&endpoint.owner)),
        )
        .set((
            webhook_endpoints::cursor_version.eq(cursor.catalog_version),
            webhook_endpoints::cursor_event_id.eq(cursor.event_id),
            webhook_endpoints::lease_until.eq(lease_end(now(), lease)),
        ))
        .execute(conn)?;
        if held == 0 {
            return Ok(false);
        }
        let ids: Vec<i64> = settled.iter().map(|s| s.event_id).collect();
        let existing: Vec<i64> = webhook_deliveries::table
            .filter(webhook_deliveries::endpoint_id.eq(endpoint_id))
            .filter(webhook_deliveries::event_id.eq_any(&ids))
            .select(webhook_deliveries::event_id)
            .load(conn)?;
        let mut fresh = Vec::new();
        for s in settled {
            let status_code = s.report.status_code.map(i32::from);
            let delivered_at = (s.status == DeliveryStatus::Delivered).then_some(s.report.at);
            if existing.contains(&s.event_id) {
                diesel::update(
                    webhook_deliveries::table
                        .filter(webhook_deliveries::endpoint_id.eq(endpoint_id))
                        .filter(webhook_deliveries::event_id.eq(s.event_id)),
                )
                .set((
                    webhook_deliveries::status.eq(s.status.as_str()),
                    webhook_deliveries::attempts.eq(s.attempts),
                    webhook_deliveries::next_attempt_at.eq(s.next_attempt_at),
                    webhook_deliveries::last_attempt_at.eq(Some(s.report.at)),
                    webhook_deliveries::last_status_code.eq(status_code),
                    webhook_deliveries::last_error.eq(s.report.error.as_deref()),
                    webhook_deliveries::delivered_at.eq(delivered_at),
                ))
                .execute(conn)?;
            } else {
                fresh.push(NewWebhookDeliveryRow {
                    endpoint_id,
                    event_id: s.event_id,
                    catalog_version: s.position.catalog_version,
                    event_type: &s.event_type,
                    status: s.status.as_str(),
                    attempts: s.attempts,
                    next_attempt_at: s.next_attempt_at,
                    last_attempt_at: Some(s.report.at),
                    last_status_code: status_code,
                    last_error: s.report.error.as_deref(),
                    delivered_at,
                    created_at: s.report.at,
                });
            }
        }
        // The derived MultiConnection cannot batch-insert; each backend can.
        for chunk in fresh.chunks(100) {
            let insert = diesel::insert_into(webhook_deliveries::table).values(chunk);
            match conn {
                DbConnection::Postgres(pg) => insert.execute(pg)?,
                DbConnection::Sqlite(lite) => insert.execute(lite)?,
            };
        }
        Ok(true)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_with_jitter_up_to_the_cap() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.retry_delay(1, 1.0), Duration::from_secs(1));
        assert_eq!(policy.retry_delay(1, 0.0), Duration::from_millis(500));
        assert_eq!(policy.retry_delay(4, 1.0), Duration::from_secs(8));
        assert_eq!(policy.retry_delay(40, 1.0), Duration::from_secs(3600));
        assert!(policy.retry_delay(40, 0.0) >= Duration::from_secs(1800));
    }

    #[test]
    fn an_event_is_given_up_only_after_the_whole_period() {
        let policy = RetryPolicy::default();
        let written = chrono::DateTime::from_timestamp(1_767_225_600, 0)
            .expect("a valid time")
            .naive_utc();
        assert!(!policy.gives_up(written, written + TimeDelta::hours(23)));
        assert!(policy.gives_up(written, written + TimeDelta::hours(24)));
    }
}
