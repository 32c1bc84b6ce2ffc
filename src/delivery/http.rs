//! One signed webhook request: POST the event JSON with `Shelfsync-Signature`
//! and `Shelfsync-Event-Id`, within a deadline, reading at most a few KiB of
//! the answer, so a slow, huge or garbled response costs one attempt and no more.

use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, HeaderValue, USER_AGENT};

use crate::inventory::webhooks::deliveries::{AttemptReport, EndpointTarget};
use crate::inventory::webhooks::signature::{self, EVENT_ID_HEADER, SIGNATURE_HEADER};

/// The most of a response body read (for the error shown in the delivery log).
const MAX_RESPONSE_BYTES: usize = 4 * 1024;
/// The most of a response body kept as the error text.
const MAX_ERROR_CHARS: usize = 300;

/// Sends signed webhook requests.
#[derive(Debug, Clone)]
pub struct WebhookSender {
    client: reqwest::Client,
    timeout: Duration,
}

impl WebhookSender {
    /// A sender whose every request, answer included, must finish within `timeout`.
    ///
    /// Make one per async runtime: a client's pooled connections belong to
    /// the runtime that opened them.
    pub fn new(timeout: Duration) -> Result<WebhookSender, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            // A redirect is an answer, not a delivery: the merchant should fix the URL.
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(4)
            .build()?;
        Ok(WebhookSender { client, timeout })
    }

    /// POSTs `body` (the event JSON) to the endpoint, signed now.
    pub async fn send(
        &self,
        target: &EndpointTarget,
        event_id: &str,
        body: String,
    ) -> AttemptReport {
        let timestamp = chrono::Utc::now().timestamp();
        let signature = signature::header_value(
            target.secrets.iter().map(String::as_str),
            timestamp,
            body.as_bytes(),
        );
        let request = self
            .client
            .post(&target.url)
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header(
                USER_AGENT,
                concat!("shelfsync-webhooks/", env!("CARGO_PKG_VERSION")),
            )
            .header(SIGNATURE_HEADER, signature)
            .header(EVENT_ID_HEADER, event_id)
            .body(body);
        let outcome = tokio::time::timeout(self.timeout, async {
            let mut response = request.send().await?;
            let status = response.status();
            let mut head = Vec::new();
            if !status.is_success() {
                while head.len() < MAX_RESPONSE_BYTES {
                    match response.chunk().await? {
                        Some(chunk) => head.extend_from_slice(&chunk),
                        None => break,
                    }
                }
            }
            // Whatever else it sends is dropped with the connection.
            Ok::<_, reqwest::Error>((status, head))
        })
        .await;
        let at = chrono::Utc::now().naive_utc();
        match outcome {
            Err(_) => AttemptReport {
                at,
                status_code: None,
                error: Some(format!("no answer within {} ms", self.timeout.as_millis())),
            },
            Ok(Err(error)) => AttemptReport {
                at,
                status_code: error.status().map(|s| s.as_u16()),
                error: Some(describe(&error)),
            },
            Ok(Ok((status, _))) if status.is_success() => AttemptReport {
                at,
                status_code: Some(status.as_u16()),
                error: None,
            },
            Ok(Ok((status, head))) => {
                let text: String = String::from_utf8_lossy(&head)
                    .chars()
                    .filter(|c| !c.is_control())
                    .take(MAX_ERROR_CHARS)
                    .collect();
                AttemptReport {
                    at,
                    status_code: Some(status.as_u16()),
                    error: Some(if text.trim().is_empty() {
                        format!("HTTP {status}")
                    } else {
                        format!("HTTP {status}: {}", text.trim())
                    }),
                }
            }
        }
    }
}

/// A reqwest error with its causes, as a merchant can act on it.
fn describe(error: &reqwest::Error) -> String {
    let what = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else if error.is_body() || error.is_decode() {
        "the answer was not readable HTTP"
    } else {
        "the request failed"
    };
    let mut causes = Vec::new();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        causes.push(cause.to_string());
        source = cause.source();
    }
    match causes.last() {
        Some(root) => format!("{what}: {root}"),
        None => format!("{what}: {error}"),
    }
}
