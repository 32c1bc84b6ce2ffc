//! Restart safety: events pending when the server is killed with SIGKILL are
//! delivered, in order, by the next start.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use crate::common::{Backend, TestDb};
use crate::on_both_backends;
use crate::support::*;

/// Smaller pools than the defaults (8 + 4 connections), for tests that run
/// two instances or more: each instance opens its pools whole as it starts,
/// and tests running side by side share PostgreSQL's 100 connections.
pub const SMALL_POOLS: [&str; 4] = ["--pool-size", "4", "--read-pool-size", "2"];

/// The real `shelfsync` binary, killed when dropped.
pub struct Server {
    child: Child,
    /// The port it serves on.
    pub port: u16,
}

impl Server {
    /// Starts `shelfsync serve` on a free port and waits until it listens.
    pub fn start(database_url: &str) -> Server {
        Server::start_with(database_url, &[])
    }

    /// `start` with more flags (`--scheduler-interval-ms 20`, or `--bind
    /// 127.0.0.1:PORT` to come back on the port it had).
    pub fn start_with(database_url: &str, more: &[&str]) -> Server {
        let defaults = [
            ("--bind", "127.0.0.1:0"),
            ("--workers", "1"),
            ("--webhook-timeout", "1s"),
            ("--webhook-first-retry", "100ms"),
            ("--webhook-max-retry", "300ms"),
            ("--webhook-poll", "200ms"),
        ];
        let mut command = Command::new(env!("CARGO_BIN_EXE_shelfsync"));
        command.args(["--database-url", database_url]);
        // A flag in `more` takes the place of its default.
        for (flag, value) in defaults {
            if !more.contains(&flag) {
                command.args([flag, value]);
            }
        }
        let mut child = command
            // The receiver runs on this machine.
            .arg("--allow-private-webhooks")
            .args(more)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the shelfsync binary should start");
        let stderr = child.stderr.take().expect("piped stderr");
        let (ready, listening) = std::sync::mpsc::channel();
        // The log until it serves, to show should it never get there.
        let early_log = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        let log = early_log.clone();
        // Keep draining the log, or the server blocks once the pipe is full.
        std::thread::spawn(move || {
            let mut serving = false;
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some((_, address)) = line.split_once("shelfsync is serving on ") {
                    let port = address
                        .rsplit(':')
                        .next()
                        .and_then(|p| p.trim().parse().ok());
                    let _ = ready.send(port.unwrap_or(0));
                    serving = true;
                } else if !serving {
                    log.lock().expect("the log lock").push(line);
                }
            }
        });
        let port = listening
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|error| {
                panic!(
                    "shelfsync should report that it is serving ({error}); its log:\n{}",
                    early_log.lock().expect("the log lock").join("\n")
                )
            });
        Server { child, port }
    }

    /// Its process id (a webhook lease's owner starts with it).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM, as a deploy or `systemctl stop` does.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill should run");
        assert!(status.success(), "SIGTERM should be sent");
    }

    /// Waits up to `seconds` for the process to exit; its status.
    pub async fn exit_status(&mut self, seconds: u64) -> Option<std::process::ExitStatus> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(seconds);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if tokio::time::Instant::now() > deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGKILL: no shutdown code runs, leases are left held.
    pub fn kill_9(mut self) {
        self.child.kill().expect("SIGKILL should be sent");
        self.child
            .wait()
            .expect("the killed server should be reaped");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

on_both_backends!(
    events_pending_at_a_kill_9_are_delivered_in_order_after_the_restart,
    a_delivery_slower_than_the_lease_is_sent_once_while_two_instances_run
);

async fn events_pending_at_a_kill_9_are_delivered_in_order_after_the_restart(backend: Backend) {
    let db = TestDb::new(backend);
    let pool = db.pool();
    let first = Server::start(&db.url);
    let merchant = {
        let mut conn = pool.get().expect("conn");
        shelfsync::inventory::merchants::Merchant::by_slug(&mut conn, shelfsync::demo::SLUG)
            .expect("the demo merchant")
            .id
    };
    let addr = free_addr();
    let endpoint = add_endpoint(
        &mut pool.get().expect("conn"),
        merchant,
        &format!("http://{addr}/webhooks"),
    );
    catalog_changes(&mut pool.get().expect("conn"), merchant, 8);
    let expected: Vec<String> = events_since(
        &mut pool.get().expect("conn"),
        merchant,
        endpoint.endpoint.cursor,
    )
    .iter()
    .map(|e| e.public_id())
    .collect();
    let tried = eventually(30, || {
        crate::support::delivery_log(
            &mut pool.get().expect("conn"),
            merchant,
            endpoint.endpoint.id,
            false,
            1,
        )
        .expect("log")
        .first()
        .is_some_and(|head| head.attempts >= 1)
    })
    .await;
    assert!(
        tried,
        "the first server should have tried (and failed) to deliver"
    );

    first.kill_9();
    let recorder = Arc::new(Recorder::default());
    let running = recorder_at(addr, recorder.clone());
    let _second = Server::start(&db.url);

    assert!(
        eventually(60, || recorder.count() >= expected.len()).await,
        "the restarted server delivers the pending events"
    );
    let mut got: Vec<String> = recorder
        .received()
        .iter()
        .map(|r| r.event_id.clone())
        .collect();
    got.dedup();
    assert_eq!(got, expected);
    running.stop().await;
}

/// The lease on an endpoint is short (a crashed instance's endpoints are
/// taken over within seconds), so the instance sending renews it while a
/// request is in flight: a receiver slower than the lease still gets each
/// event once, in order, though a second instance keeps asking for it.
async fn a_delivery_slower_than_the_lease_is_sent_once_while_two_instances_run(backend: Backend) {
    let db = TestDb::new(backend);
    let pool = db.pool();
    let slow = ["--webhook-timeout", "6s"];
    let _first = Server::start_with(&db.url, &slow);
    let merchant = {
        let mut conn = pool.get().expect("conn");
        shelfsync::inventory::merchants::Merchant::by_slug(&mut conn, shelfsync::demo::SLUG)
            .expect("the demo merchant")
            .id
    };
    let recorder = Arc::new(Recorder::default());
    // Longer than the 2 s lease, shorter than the attempt timeout.
    recorder
        .delay_ms
        .store(2_600, std::sync::atomic::Ordering::SeqCst);
    let addr = free_addr();
    let running = recorder_at(addr, recorder.clone());
    let endpoint = add_endpoint(
        &mut pool.get().expect("conn"),
        merchant,
        &format!("http://{addr}/webhooks"),
    );
    catalog_changes(&mut pool.get().expect("conn"), merchant, 3);
    let expected: Vec<String> = events_since(
        &mut pool.get().expect("conn"),
        merchant,
        endpoint.endpoint.cursor,
    )
    .iter()
    .map(|e| e.public_id())
    .collect();
    let _second = Server::start_with(&db.url, &slow);

    assert!(
        eventually(90, || recorder.count() >= expected.len()).await,
        "the events are delivered"
    );
    // Time for a second instance's copy of the last one to arrive, had it sent one.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let got: Vec<String> = recorder
        .received()
        .iter()
        .map(|r| r.event_id.clone())
        .collect();
    assert_eq!(got, expected, "each event once, in order");
    running.stop().await;
}
