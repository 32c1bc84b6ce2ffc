//! Server-Sent Events, written by hand on actix-web's streaming body: a task
//! produces frames into a channel, the response streams them, and when the
//! client goes away the channel closes and the task ends. On shutdown every
//! stream ends with a last comment, `: shutting down`.

use std::convert::Infallible;
use std::sync::Arc;

use actix_web::HttpResponse;
use actix_web::http::header::{self, ContentEncoding};
use actix_web::web::Bytes;
use tokio::sync::{mpsc, watch};

/// How many frames may wait for a slow client before the producer waits too.
const BUFFER: usize = 256;

/// A stream's sending side.
pub struct SseSender(mpsc::Sender<Bytes>);

impl SseSender {
    /// Sends an event; false when the client has gone.
    pub async fn event(&self, id: Option<i64>, event: &str, data: &str) -> bool {
        let mut frame = String::with_capacity(data.len() + 64);
        if let Some(id) = id {
            frame.push_str(&format!("id: {id}\n"));
        }
        frame.push_str(&format!("event: {event}\n"));
        for line in data.lines() {
            frame.push_str("data: ");
            frame.push_str(line);
            frame.push('\n');
        }
        frame.push('\n');
        self.0.send(Bytes::from(frame)).await.is_ok()
    }

    /// Sends a comment line (a heartbeat); false when the client has gone.
    pub async fn comment(&self, text: &str) -> bool {
        self.0
            .send(Bytes::from(format!(": {text}\n\n")))
            .await
            .is_ok()
    }

    /// Tells the browser how long to wait before reconnecting.
    pub async fn retry_after_ms(&self, millis: u64) -> bool {
        self.0
            .send(Bytes::from(format!("retry: {millis}\n\n")))
            .await
            .is_ok()
    }

    /// Resolves when the client has gone.
    pub async fn closed(&self) {
        self.0.closed().await;
    }
}

/// The last frame of every stream when the server shuts down.
const SHUTTING_DOWN: &[u8] = b": shutting down\n\n";

/// The server's open streams, as one switch: `close_all` ends every one of
/// them (and any opened after) with the comment `: shutting down`, so a
/// graceful shutdown does not wait on streams that never end by themselves.
#[derive(Debug, Clone)]
pub struct Streams(Arc<watch::Sender<bool>>);

impl Default for Streams {
    fn default() -> Self {
        Streams(Arc::new(watch::channel(false).0))
    }
}

impl Streams {
    /// A new stream: the sender for the producing task, and the response to return.
    pub fn open(&self) -> (SseSender, HttpResponse) {
        let (sender, receiver) = mpsc::channel::<Bytes>(BUFFER);
        let body = futures_util::stream::unfold(
            (receiver, self.0.subscribe(), false),
            |(mut receiver, mut shutdown, ended)| async move {
                if ended {
                    return None;
                }
                enum Next {
                    Frame(Option<Bytes>),
                    Closing,
                }
                let next = tokio::select! {
                    biased;
                    () = closing(&mut shutdown) => Next::Closing,
                    frame = receiver.recv() => Next::Frame(frame),
                };
                match next {
                    // The body ends after this frame; the producer then finds
                    // its channel closed and stops as if the client had gone.
                    Next::Closing => Some((
                        Ok::<_, Infallible>(Bytes::from_static(SHUTTING_DOWN)),
                        (receiver, shutdown, true),
                    )),
                    Next::Frame(frame) => {
                        frame.map(|frame| (Ok(frame), (receiver, shutdown, false)))
                    }
                }
            },
        );
        respond(sender, body)
    }

    /// Ends every open stream with `: shutting down`.
    pub fn close_all(&self) {
        self.0.send_replace(true);
    }
}

/// Resolves once the streams are told to close (or their switch is gone).
async fn closing(shutdown: &mut watch::Receiver<bool>) {
    while !*shutdown.borrow_and_update() {
        if shutdown.changed().await.is_err() {
            return;
        }
    }
}

fn respond(
    sender: mpsc::Sender<Bytes>,
    body: impl futures_util::Stream<Item = Result<Bytes, Infallible>> + 'static,
) -> (SseSender, HttpResponse) {
    let response = HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        // Compression would buffer frames; an explicit identity encoding turns it off.
        .insert_header(ContentEncoding::Identity)
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body);
    (SseSender(sender), response)
}
