//! The webhook dispatcher: a background thread with its own async runtime and
//! database connections, so delivery never holds up a request. It keeps one
//! worker per enabled endpoint — a slow or dead receiver stalls only itself —
//! and each worker walks its endpoint's queue in order, following the rules
//! of `inventory::webhooks::deliveries`.
//!
//! Workers are woken by the catalog-change feed right after a commit (low
//! latency) and also poll (restart safety, other processes, retries coming
//! due). The database is the only truth: a lost wake-up costs a poll
//! interval, never an event.

pub mod http;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::Rng;
use tokio::sync::{Notify, broadcast, watch};
use tokio::task::JoinHandle;

use crate::config::PushArgs;
use crate::db::{self, Pool};
use crate::domain::Destinations;
use crate::inventory::changes;
use crate::inventory::webhooks::deliveries::{self, ClaimedEndpoint, RetryPolicy};
use crate::inventory::webhooks::manual;
use crate::inventory::{InventoryError, Result};
pub use http::WebhookSender;

/// The most events a worker sends between two writes of its progress.
const BATCH: i64 = 200;

/// How the dispatcher behaves.
#[derive(Debug, Clone, Copy)]
pub struct DispatcherSettings {
    pub retry: RetryPolicy,
    /// Deadline of one request, answer included.
    pub attempt_timeout: Duration,
    /// How often to look for work nobody announced.
    pub poll: Duration,
    /// Which addresses requests may connect to.
    pub destinations: Destinations,
}

impl DispatcherSettings {
    pub fn from_args(args: &PushArgs) -> DispatcherSettings {
        DispatcherSettings {
            retry: RetryPolicy {
                first_retry: args.webhook_first_retry,
                max_retry: args.webhook_max_retry,
                give_up_after: args.webhook_give_up_after,
            },
            attempt_timeout: args.webhook_timeout,
            poll: args.webhook_poll,
            destinations: Destinations::from_flag(args.allow_private_webhooks),
        }
    }

    /// How long a worker's hold on an endpoint lasts without renewal: the
    /// endpoints of an instance that crashed are taken over this soon (plus
    /// one `poll`). A worker renews it every `RENEW_EVERY` while it sends, and
    /// gives a request up rather than send on past a lease it could not renew,
    /// so no two instances ever send to one endpoint at once.
    pub fn lease(&self) -> Duration {
        LEASE
    }
}

/// See `DispatcherSettings::lease`.
const LEASE: Duration = Duration::from_secs(2);

/// How often a sending worker renews its lease.
const RENEW_EVERY: Duration = Duration::from_millis(500);

/// How long a worker sends before it records what it settled.
const RECORD_EVERY: Duration = Duration::from_secs(1);

/// A running dispatcher; dropping it stops the thread and waits (briefly) for
/// it to hand its endpoints back and close its connections.
pub struct Dispatcher {
    stop: watch::Sender<()>,
    refresh: Arc<Notify>,
    finished: std::sync::mpsc::Receiver<()>,
}

/// How long dropping a dispatcher waits for its thread to finish.
const STOP_WAIT: Duration = Duration::from_secs(5);

/// How long, of `STOP_WAIT`, workers get to finish the delivery in hand.
const FINISH_WAIT: Duration = Duration::from_secs(3);

impl Dispatcher {
    /// Starts the dispatcher thread on its own two connections to `database_url`.
    pub fn start(database_url: &str, settings: DispatcherSettings) -> Result<Dispatcher> {
        let pool = db::open_pool(database_url, 2)
            .map_err(|e| InventoryError::Unavailable(e.to_string()))?;
        let (stop, stopped) = watch::channel(());
        let (done, finished) = std::sync::mpsc::channel();
        let refresh = Arc::new(Notify::new());
        let context = Context {
            pool,
            settings,
            owner: owner_name(),
            refresh: refresh.clone(),
        };
        std::thread::Builder::new()
            .name("webhook-dispatcher".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(error) => {
                        log::error!("the webhook dispatcher could not start: {error}");
                        return;
                    }
                };
                runtime.block_on(supervise(Arc::new(context), stopped));
                // Closes the connections before saying so: a process that exits
                // while this thread still talks to the database can crash in libpq.
                drop(runtime);
                let _ = done.send(());
            })
            .map_err(|e| InventoryError::Unavailable(format!("dispatcher thread: {e}")))?;
        Ok(Dispatcher {
            stop,
            refresh,
            finished,
        })
    }

    /// A handle web handlers keep to wake the dispatcher.
    pub fn waker(&self) -> DispatcherWaker {
        DispatcherWaker(Some(self.refresh.clone()))
    }
}

impl Drop for Dispatcher {
    fn drop(&mut self) {
        // Receivers see the change; the thread ends at its next await.
        let _ = self.stop.send(());
        if self.finished.recv_timeout(STOP_WAIT).is_err() {
            log::warn!("the webhook dispatcher did not stop within {STOP_WAIT:?}");
        }
    }
}

/// Wakes the dispatcher of this process, if it runs one: after an endpoint
/// was added or enabled, a retry requested, or a test event or resend queued.
#[derive(Debug, Clone, Default)]
pub struct DispatcherWaker(Option<Arc<Notify>>);

impl DispatcherWaker {
    pub fn wake(&self) {
        if let Some(refresh) = &self.0 {
            refresh.notify_one();
        }
    }
}

/// Who holds a lease: this process, told apart from its restarts.
fn owner_name() -> String {
    format!("{}-{:08x}", std::process::id(), rand::rng().random::<u32>())
}

struct Context {
    pool: Pool,
    settings: DispatcherSettings,
    owner: String,
    refresh: Arc<Notify>,
}

impl Context {
    /// Runs a service call on a dispatcher connection off the async thread.
    async fn db<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut db::DbConnection) -> Result<T> + Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool
                .get()
                .map_err(|e| InventoryError::Unavailable(e.to_string()))?;
            f(&mut conn)
        })
        .await
        .map_err(|e| InventoryError::Unavailable(format!("dispatcher task: {e}")))?
    }
}

struct Worker {
    merchant_id: i64,
    wake: Arc<Notify>,
    task: JoinHandle<()>,
}

async fn supervise(context: Arc<Context>, mut stopped: watch::Receiver<()>) {
    let mut feed = changes::subscribe();
    let mut workers: HashMap<i64, Worker> = HashMap::new();
    let mut tick = tokio::time::interval(context.settings.poll);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    log::info!("webhook dispatcher started as {}", context.owner);
    loop {
        tokio::select! {
            _ = stopped.changed() => break,
            _ = tick.tick() => refresh(&context, &mut workers, &stopped).await,
            () = context.refresh.notified() => refresh(&context, &mut workers, &stopped).await,
            heard = feed.recv() => match heard {
                Ok(change) => {
                    for worker in workers.values().filter(|w| w.merchant_id == change.merchant_id) {
                        worker.wake.notify_one();
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    for worker in workers.values() {
                        worker.wake.notify_one();
                    }
                }
                Err(broadcast::error::RecvError::Closed) => feed = changes::subscribe(),
            },
        }
    }
    // A worker sending right now finishes that request and records it (each
    // checks the stop signal after every send), within FINISH_WAIT; one that
    // takes longer is stopped, its event unrecorded, so the next owner sends
    // it again (at least once).
    let deadline = tokio::time::Instant::now() + FINISH_WAIT;
    for (_, worker) in workers.drain() {
        let abort = worker.task.abort_handle();
        if tokio::time::timeout_at(deadline, worker.task)
            .await
            .is_err()
        {
            abort.abort();
        }
    }
    // Let the next owner start without waiting for the leases to run out.
    let owner = context.owner.clone();
    let _ = context
        .db(move |conn| {
            for (endpoint_id, _) in deliveries::enabled_endpoints(conn)? {
                deliveries::release(conn, endpoint_id, &owner)?;
            }
            Ok(())
        })
        .await;
}

/// Starts a worker for every enabled endpoint that has none, and nudges the rest.
async fn refresh(
    context: &Arc<Context>,
    workers: &mut HashMap<i64, Worker>,
    stopped: &watch::Receiver<()>,
) {
    workers.retain(|_, worker| !worker.task.is_finished());
    let endpoints = match context.db(deliveries::enabled_endpoints).await {
        Ok(endpoints) => endpoints,
        Err(error) => {
            log::warn!("webhook dispatcher could not list endpoints: {error}");
            return;
        }
    };
    for (endpoint_id, merchant_id) in endpoints {
        if let Some(worker) = workers.get(&endpoint_id) {
            worker.wake.notify_one();
            continue;
        }
        let wake = Arc::new(Notify::new());
        let task = tokio::spawn(work(
            context.clone(),
            endpoint_id,
            wake.clone(),
            stopped.clone(),
        ));
        workers.insert(
            endpoint_id,
            Worker {
                merchant_id,
                wake,
                task,
            },
        );
    }
}

/// Waits for a wake-up, the poll interval, `at_most`, or the stop signal;
/// false when stopping.
async fn pause(
    context: &Context,
    wake: &Notify,
    stopped: &mut watch::Receiver<()>,
    at_most: Duration,
) -> bool {
    tokio::select! {
        _ = stopped.changed() => false,
        () = wake.notified() => true,
        () = tokio::time::sleep(at_most.min(context.settings.poll)) => true,
    }
}

/// Delivers one endpoint's events in order until it is disabled, deleted or
/// taken by another instance, or the dispatcher stops.
async fn work(
    context: Arc<Context>,
    endpoint_id: i64,
    wake: Arc<Notify>,
    mut stopped: watch::Receiver<()>,
) {
    let sender = match WebhookSender::new(
        context.settings.attempt_timeout,
        context.settings.destinations,
    ) {
        Ok(sender) => sender,
        Err(error) => {
            log::error!("webhook endpoint {endpoint_id}: no HTTP client: {error}");
            return;
        }
    };
    let lease = context.settings.lease();
    loop {
        // Stopping: what was sent is recorded; start nothing new.
        if stopped.has_changed().unwrap_or(true) {
            return;
        }
        let owner = context.owner.clone();
        let claimed = context
            .db(move |conn| deliveries::claim(conn, endpoint_id, &owner, lease))
            .await;
        let endpoint = match claimed {
            Ok(Some(endpoint)) => endpoint,
            // Disabled, deleted, or another instance holds it: the supervisor looks again later.
            Ok(None) => return,
            Err(error) => {
                log::warn!("webhook endpoint {endpoint_id}: {error}");
                if !pause(&context, &wake, &mut stopped, context.settings.poll).await {
                    return;
                }
                continue;
            }
        };
        let manual = send_manual(&context, &sender, &endpoint);
        if !while_held(&context, endpoint_id, lease, manual).await {
            return;
        }
        let for_queue = endpoint.clone();
        let queue = match context
            .db(move |conn| deliveries::queue(conn, &for_queue, BATCH))
            .await
        {
            Ok(queue) => queue,
            Err(error) => {
                log::warn!("webhook endpoint {endpoint_id}: {error}");
                if !pause(&context, &wake, &mut stopped, context.settings.poll).await {
                    return;
                }
                continue;
            }
        };
        let Some(head) = queue.first() else {
            if !pause(&context, &wake, &mut stopped, context.settings.poll).await {
                return;
            }
            continue;
        };
        if let Some(due) = head.next_attempt_at {
            let wait = (due - chrono::Utc::now().naive_utc())
                .to_std()
                .unwrap_or_default();
            if !wait.is_zero() {
                if !pause(&context, &wake, &mut stopped, wait).await {
                    return;
                }
                continue;
            }
        }
        let started = Instant::now();
        let mut settled = Vec::new();
        let sending = async {
            for queued in &queue {
                if started.elapsed() >= RECORD_EVERY && !settled.is_empty() {
                    break; // record progress before going on
                }
                let report = sender
                    .send(
                        &endpoint.target,
                        &queued.event.public_id(),
                        queued.event.to_json(),
                    )
                    .await;
                let outcome = deliveries::settle(
                    &context.settings.retry,
                    queued,
                    report,
                    rand::rng().random(),
                );
                log_outcome(&endpoint, &outcome);
                let stop_here = outcome.status == deliveries::DeliveryStatus::Pending;
                settled.push(outcome);
                if stop_here || stopped.has_changed().unwrap_or(true) {
                    break;
                }
            }
        };
        if !while_held(&context, endpoint_id, lease, sending).await {
            return;
        }
        let for_record = endpoint.clone();
        let recorded = context
            .db(move |conn| deliveries::record(conn, &for_record, lease, &settled))
            .await;
        match recorded {
            Ok(true) => {}
            Ok(false) => {
                log::warn!(
                    "merchant {}: webhook endpoint {endpoint_id} was taken over by another instance",
                    endpoint.target.merchant_id
                );
                return;
            }
            Err(error) => {
                // Nothing was written: the same events are sent again (at least once).
                log::warn!("webhook endpoint {endpoint_id}: could not record deliveries: {error}");
                if !pause(&context, &wake, &mut stopped, context.settings.poll).await {
                    return;
                }
            }
        }
    }
}

/// Runs `work` (sending) while renewing the worker's lease on the endpoint
/// every `RENEW_EVERY`. Returns false, with `work` dropped mid-request, when
/// the lease was taken over or the endpoint disabled, or when no renewal got
/// through before the lease ran out (the database away): past that point
/// another instance may be sending. What was sent is then not recorded, and
/// the next holder sends it again (at least once, in order).
async fn while_held(
    context: &Context,
    endpoint_id: i64,
    lease: Duration,
    work: impl Future<Output = ()>,
) -> bool {
    // The claim just made holds at least this long (it was stamped after
    // this worker asked for it).
    let mut held_until = tokio::time::Instant::now() + lease;
    let renewing = async {
        loop {
            let next = tokio::time::Instant::now() + RENEW_EVERY;
            tokio::time::sleep_until(next.min(held_until)).await;
            let owner = context.owner.clone();
            let asked = tokio::time::Instant::now();
            let renewal =
                context.db(move |conn| deliveries::claim(conn, endpoint_id, &owner, lease));
            match tokio::time::timeout_at(held_until, renewal).await {
                Ok(Ok(Some(_))) => held_until = asked + lease,
                Ok(Ok(None)) => {
                    log::warn!(
                        "webhook endpoint {endpoint_id}: taken over by another instance (or disabled) while sending"
                    );
                    return;
                }
                Ok(Err(error)) => {
                    log::warn!(
                        "webhook endpoint {endpoint_id}: could not renew the lease: {error}"
                    );
                }
                Err(_) => {
                    log::warn!(
                        "webhook endpoint {endpoint_id}: the lease ran out before it could be renewed; stopping the request in hand"
                    );
                    return;
                }
            }
        }
    };
    tokio::select! {
        () = work => true,
        () = renewing => false,
    }
}

/// Sends the test events and resends the dashboard queued for this endpoint
/// (see `inventory::webhooks::manual`) and records what each brought. A
/// failure is not retried: the merchant sees it and can press again.
async fn send_manual(context: &Context, sender: &WebhookSender, endpoint: &ClaimedEndpoint) {
    let for_query = endpoint.clone();
    let sends = match context
        .db(move |conn| manual::waiting(conn, &for_query))
        .await
    {
        Ok(sends) => sends,
        Err(error) => {
            log::warn!(
                "webhook endpoint {}: could not read queued test events and resends: {error}",
                endpoint.target.endpoint_id
            );
            return;
        }
    };
    for send in sends {
        let report = sender
            .send(&endpoint.target, &send.event_id, send.body.clone())
            .await;
        let for_record = endpoint.clone();
        if let Err(error) = context
            .db(move |conn| manual::record(conn, &for_record, &send, &report))
            .await
        {
            log::warn!(
                "webhook endpoint {}: could not record a dashboard send: {error}",
                endpoint.target.endpoint_id
            );
        }
    }
}

/// Logs an attempt's outcome and counts it in the metrics.
fn log_outcome(endpoint: &ClaimedEndpoint, outcome: &deliveries::Settled) {
    crate::metrics::record_delivery(match outcome.status {
        deliveries::DeliveryStatus::Delivered => crate::metrics::DeliveryResult::Delivered,
        deliveries::DeliveryStatus::Pending => crate::metrics::DeliveryResult::Retrying,
        deliveries::DeliveryStatus::Failed => crate::metrics::DeliveryResult::GaveUp,
    });
    match outcome.status {
        deliveries::DeliveryStatus::Delivered => log::debug!(
            "merchant {}: evt_{} (v{}) delivered to endpoint {}",
            endpoint.target.merchant_id,
            outcome.event_id,
            outcome.position.catalog_version,
            endpoint.target.endpoint_id
        ),
        deliveries::DeliveryStatus::Pending => log::info!(
            "merchant {}: evt_{} (v{}) to endpoint {} failed (attempt {}: {}); retrying",
            endpoint.target.merchant_id,
            outcome.event_id,
            outcome.position.catalog_version,
            endpoint.target.endpoint_id,
            outcome.attempts,
            outcome.report.error.as_deref().unwrap_or("?")
        ),
        deliveries::DeliveryStatus::Failed => log::warn!(
            "merchant {}: evt_{} (v{}) to endpoint {} given up after {} attempts: {}",
            endpoint.target.merchant_id,
            outcome.event_id,
            outcome.position.catalog_version,
            endpoint.target.endpoint_id,
            outcome.attempts,
            outcome.report.error.as_deref().unwrap_or("?")
        ),
    }
}
