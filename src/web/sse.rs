//! Server-Sent Events, written by hand on actix-web's streaming body: a task
//! produces frames into a channel, the response streams them, and when the
//! client goes away the channel closes and the task ends.

use std::convert::Infallible;

use actix_web::HttpResponse;
use actix_web::http::header::{self, ContentEncoding};
use actix_web::web::Bytes;
use tokio::sync::mpsc;

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

/// A new stream: the sender for the producing task, and the response to return.
pub fn stream() -> (SseSender, HttpResponse) {
    let (sender, receiver) = mpsc::channel::<Bytes>(BUFFER);
    let body = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver
            .recv()
            .await
            .map(|frame| (Ok::<_, Infallible>(frame), receiver))
    });
    let response = HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        // Compression would buffer frames; an explicit identity encoding turns it off.
        .insert_header(ContentEncoding::Identity)
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body);
    (SseSender(sender), response)
}
