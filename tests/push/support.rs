//! What the push tests share: fast retry settings, webhook receivers on free
//! ports that can be taken down and brought back, and waiting for a condition.

use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use shelfsync::config::PushArgs;
use shelfsync::db::DbConnection;
use shelfsync::domain::{Destinations, EventTypes, WebhookUrl};
use shelfsync::inventory::outbox::{self, EventPosition, OutboxEvent};
use shelfsync::inventory::webhooks::{self, IssuedSecret};

/// Retries within a fraction of a second, so tests see several quickly.
pub fn fast_push() -> PushArgs {
    PushArgs {
        webhook_timeout: Duration::from_secs(2),
        webhook_first_retry: Duration::from_millis(100),
        webhook_max_retry: Duration::from_millis(500),
        webhook_poll: Duration::from_millis(200),
        sse_heartbeat: Duration::from_millis(500),
        // The receivers run on this machine.
        allow_private_webhooks: true,
        ..PushArgs::default()
    }
}

/// A port nothing listens on (yet).
pub fn free_addr() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("a local address")
}

/// Waits up to `seconds` for `condition`; false if it never held.
pub async fn eventually(seconds: u64, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(seconds);
    loop {
        if condition() {
            return true;
        }
        if tokio::time::Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// One request a recording receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub event_id: String,
    pub catalog_version: i64,
    pub event_type: String,
    pub signature: String,
    /// The Standard Webhooks headers: `webhook-id`, `webhook-timestamp`, `webhook-signature`.
    pub webhook_id: String,
    pub webhook_timestamp: String,
    pub webhook_signature: String,
    pub body: String,
}

/// A receiver that records every request and answers with a chosen status.
#[derive(Default)]
pub struct Recorder {
    pub received: Mutex<Vec<Received>>,
    /// The status to answer with; 204 when 0.
    pub answer: AtomicU16,
    /// Milliseconds to wait before answering.
    pub delay_ms: AtomicU64,
}

impl Recorder {
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().expect("the recorder lock").clone()
    }

    pub fn count(&self) -> usize {
        self.received.lock().expect("the recorder lock").len()
    }
}

async fn record(
    recorder: web::Data<Recorder>,
    request: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let delay = recorder.delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let text = String::from_utf8_lossy(&body).into_owned();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    recorder
        .received
        .lock()
        .expect("the recorder lock")
        .push(Received {
            event_id: header("Shelfsync-Event-Id"),
            catalog_version: json["catalog_version"].as_i64().unwrap_or(-1),
            event_type: json["type"].as_str().unwrap_or_default().to_owned(),
            signature: header("Shelfsync-Signature"),
            webhook_id: header("webhook-id"),
            webhook_timestamp: header("webhook-timestamp"),
            webhook_signature: header("webhook-signature"),
            body: text,
        });
    match recorder.answer.load(Ordering::SeqCst) {
        0 => HttpResponse::NoContent().finish(),
        code => HttpResponse::build(
            actix_web::http::StatusCode::from_u16(code).expect("a valid status"),
        )
        .body("not now"),
    }
}

/// A running receiver; `stop` takes it down (connections are refused after).
pub struct RunningReceiver {
    pub addr: SocketAddr,
    handle: ServerHandle,
}

impl RunningReceiver {
    pub fn url(&self) -> String {
        format!("http://{}/webhooks", self.addr)
    }

    pub async fn stop(self) {
        self.handle.stop(false).await;
    }
}

/// Serves `configure` at `addr` until stopped.
pub fn serve_at(
    addr: SocketAddr,
    configure: impl Fn(&mut web::ServiceConfig) + Send + Clone + 'static,
) -> RunningReceiver {
    let listener = TcpListener::bind(addr).expect("the receiver's port should be free");
    let server = HttpServer::new(move || App::new().configure(configure.clone()))
        .workers(1)
        .disable_signals()
        .shutdown_timeout(0)
        .listen(listener)
        .expect("the receiver should listen")
        .run();
    let handle = server.handle();
    tokio::spawn(server);
    RunningReceiver { addr, handle }
}

/// A recording receiver at `addr`, on `/webhooks`.
pub fn recorder_at(addr: SocketAddr, recorder: Arc<Recorder>) -> RunningReceiver {
    serve_at(addr, move |cfg: &mut web::ServiceConfig| {
        cfg.app_data(web::Data::from(recorder.clone()))
            .route("/webhooks", web::post().to(record));
    })
}

/// A storefront-scoped API token of the merchant; returns its secret.
pub fn token(
    conn: &mut DbConnection,
    merchant_id: i64,
    scope: shelfsync::domain::TokenScope,
) -> String {
    shelfsync::inventory::tokens::create_token(conn, merchant_id, "Test", scope, None)
        .expect("a token")
        .secret
}

/// Adds an endpoint for every storefront event type at `url`.
pub fn add_endpoint(conn: &mut DbConnection, merchant_id: i64, url: &str) -> IssuedSecret {
    webhooks::create_endpoint(
        conn,
        merchant_id,
        &WebhookUrl::parse(url).expect("a valid URL"),
        &EventTypes::storefront(),
        Destinations::AnyAddress,
    )
    .expect("the endpoint should be created")
}

/// The merchant's storefront events after `from`, in order: what an
/// endpoint added with `add_endpoint` receives.
pub fn events_since(
    conn: &mut DbConnection,
    merchant_id: i64,
    from: EventPosition,
) -> Vec<OutboxEvent> {
    outbox::events_after(
        conn,
        merchant_id,
        from,
        Some(EventTypes::storefront().names()),
        100_000,
    )
    .expect("the outbox should read")
}

/// Makes `count` catalog changes: receipts of one unit of stock, spread over
/// the merchant's first in-store items (stock a channel can see), each its own
/// transaction and catalog version; returns the versions.
pub fn catalog_changes(conn: &mut DbConnection, merchant_id: i64, count: usize) -> Vec<i64> {
    use diesel::prelude::*;
    use shelfsync::db::schema::{items, locations};
    let item_ids: Vec<i64> = items::table
        .filter(items::merchant_id.eq(merchant_id))
        .filter(items::in_store.eq(true))
        .order(items::id)
        .select(items::id)
        .limit(10)
        .load(conn)
        .expect("items");
    let location_id: i64 = locations::table
        .filter(locations::merchant_id.eq(merchant_id))
        .order(locations::id)
        .select(locations::id)
        .first(conn)
        .expect("a location");
    (0..count)
        .map(|n| {
            let item_id = item_ids[n % item_ids.len()];
            crate::common::fixtures::receive_stock(conn, merchant_id, item_id, location_id, 1);
            shelfsync::inventory::catalog_version(conn, merchant_id).expect("the catalog version")
        })
        .collect()
}

/// One Server-Sent Events frame.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frame {
    pub id: Option<String>,
    pub event: Option<String>,
    pub data: String,
    pub comment: Option<String>,
}

/// Reads frames off a streaming response.
pub struct SseReader {
    response: reqwest::Response,
    buffer: String,
}

impl SseReader {
    pub fn new(response: reqwest::Response) -> SseReader {
        SseReader {
            response,
            buffer: String::new(),
        }
    }

    /// The next frame that is an event (comments and `retry:` skipped), within `seconds`.
    pub async fn next_event(&mut self, seconds: u64) -> Option<Frame> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(seconds);
        loop {
            let frame = self.next_frame_until(deadline).await?;
            if frame.event.is_some() {
                return Some(frame);
            }
        }
    }

    /// The next frame of any kind, within `seconds`.
    pub async fn next_frame(&mut self, seconds: u64) -> Option<Frame> {
        self.next_frame_until(tokio::time::Instant::now() + Duration::from_secs(seconds))
            .await
    }

    async fn next_frame_until(&mut self, deadline: tokio::time::Instant) -> Option<Frame> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let raw: String = self.buffer.drain(..end + 2).collect();
                let mut frame = Frame::default();
                for line in raw.lines() {
                    if let Some(comment) = line.strip_prefix(": ") {
                        frame.comment = Some(comment.to_owned());
                    } else if let Some((field, value)) = line.split_once(": ") {
                        match field {
                            "id" => frame.id = Some(value.to_owned()),
                            "event" => frame.event = Some(value.to_owned()),
                            "data" => frame.data.push_str(value),
                            _ => {}
                        }
                    }
                }
                return Some(frame);
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk())
                .await
                .ok()?
                .ok()??;
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}

/// The newest `limit` lines of an endpoint's delivery log, read page by
/// page; failed and pending ones only with `problems_only`.
pub fn delivery_log(
    conn: &mut DbConnection,
    merchant_id: i64,
    endpoint_id: i64,
    problems_only: bool,
    limit: i64,
) -> shelfsync::inventory::Result<Vec<webhooks::DeliveryLogEntry>> {
    use webhooks::DeliveryStatus::{Failed, Pending};
    let mut entries = Vec::new();
    let mut before = None;
    while (entries.len() as i64) < limit {
        let page = webhooks::history::delivery_log(
            conn,
            merchant_id,
            endpoint_id,
            &webhooks::history::LogQuery {
                statuses: if problems_only {
                    vec![Pending, Failed]
                } else {
                    Vec::new()
                },
                event_type: None,
                before,
                limit: limit - entries.len() as i64,
            },
        )?;
        entries.extend(page.entries);
        match page.next {
            Some(next) => before = Some(next),
            None => break,
        }
    }
    Ok(entries)
}

/// The demo merchant's id and its first store's (the one that fulfils online
/// orders), for tests that start `shelfsync serve` processes.
pub fn demo_shop(conn: &mut shelfsync::db::DbConnection) -> (i64, i64) {
    use diesel::prelude::*;
    use shelfsync::db::schema::locations;
    let merchant = shelfsync::inventory::merchants::Merchant::by_slug(conn, shelfsync::demo::SLUG)
        .expect("the demo merchant")
        .id;
    let store: i64 = locations::table
        .filter(locations::merchant_id.eq(merchant))
        .order(locations::id)
        .select(locations::id)
        .first(conn)
        .expect("a store");
    (merchant, store)
}
