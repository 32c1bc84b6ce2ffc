//! One signed webhook request: POST the event JSON with the Standard
//! Webhooks headers (and the deprecated `Shelfsync-Signature` and
//! `Shelfsync-Event-Id`), within a deadline, reading at most a few hundred
//! bytes of the answer, so a slow, huge or garbled response costs one
//! attempt and no more — and an internal service's answer never reaches the
//! merchant beyond a short excerpt.
//!
//! Requests go to public addresses only (unless the server allows private
//! ones): an IP-literal URL is checked before sending, and a host name is
//! resolved by `PublicResolver`, which hands the connector only the public
//! addresses it found — the connection goes to an address that was checked,
//! so a DNS answer that changes between check and connect (rebinding) can't
//! point it inward. No proxy from the environment is used (it would resolve
//! the name instead) and redirects are not followed.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::{CONTENT_TYPE, HeaderValue, USER_AGENT};

use crate::domain::Destinations;
use crate::inventory::webhooks::deliveries::{AttemptReport, EndpointTarget};
use crate::inventory::webhooks::signature::{
    self, EVENT_ID_HEADER, SIGNATURE_HEADER, WEBHOOK_ID_HEADER, WEBHOOK_SIGNATURE_HEADER,
    WEBHOOK_TIMESTAMP_HEADER,
};

/// The most of a response body read (for the error shown in the delivery log).
const MAX_RESPONSE_BYTES: usize = 512;
/// The most of a response body kept as the error text: enough to recognise
/// a receiver's own error message, too little to relay an internal page.
const MAX_ERROR_CHARS: usize = 120;

/// A destination refused because it is not a public address.
#[derive(Debug, thiserror::Error)]
#[error(
    "refused: {host} resolves only to {address}, which is not a public address; webhooks go to public addresses only"
)]
struct DestinationRefused {
    host: String,
    address: String,
}

/// Resolves host names and keeps only the addresses `destinations` permits.
struct PublicResolver {
    destinations: Destinations,
}

impl Resolve for PublicResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        let destinations = self.destinations;
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let (permitted, refused): (Vec<SocketAddr>, Vec<SocketAddr>) = found
                .into_iter()
                .partition(|address| destinations.permits(address.ip()));
            if permitted.is_empty() {
                let address = refused
                    .first()
                    .map_or_else(|| "no address".to_owned(), |a| a.ip().to_string());
                return Err(Box::new(DestinationRefused { host, address }) as _);
            }
            Ok(Box::new(permitted.into_iter()) as Addrs)
        })
    }
}

/// The IP address of a URL whose host is an IP literal.
fn literal_address(url: &str) -> Option<IpAddr> {
    match url::Url::parse(url).ok()?.host()? {
        url::Host::Ipv4(v4) => Some(IpAddr::V4(v4)),
        url::Host::Ipv6(v6) => Some(IpAddr::V6(v6)),
        url::Host::Domain(_) => None,
    }
}

/// Sends signed webhook requests.
#[derive(Debug, Clone)]
pub struct WebhookSender {
    client: reqwest::Client,
    timeout: Duration,
    destinations: Destinations,
}

impl WebhookSender {
    /// A sender whose every request, answer included, must finish within `timeout`.
    ///
    /// Make one per async runtime: a client's pooled connections belong to
    /// the runtime that opened them.
    pub fn new(
        timeout: Duration,
        destinations: Destinations,
    ) -> Result<WebhookSender, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            // A redirect is an answer, not a delivery: the merchant should fix
            // the URL. Following one could also lead inward.
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(Arc::new(PublicResolver { destinations }))
            .pool_max_idle_per_host(4)
            .build()?;
        Ok(WebhookSender {
            client,
            timeout,
            destinations,
        })
    }

    /// POSTs `body` (the event JSON) to the endpoint, signed now.
    pub async fn send(
        &self,
        target: &EndpointTarget,
        event_id: &str,
        body: String,
    ) -> AttemptReport {
        let timestamp = chrono::Utc::now().timestamp();
        // An IP literal never reaches the resolver, so it is checked here.
        if let Some(ip) = literal_address(&target.url)
            && !self.destinations.permits(ip)
        {
            return AttemptReport {
                at: chrono::Utc::now().naive_utc(),
                status_code: None,
                error: Some(format!(
                    "refused: {ip} is not a public address; webhooks go to public addresses only"
                )),
                refused: true,
            };
        }
        let secrets = || target.secrets.iter().map(String::as_str);
        let signature = signature::header_value(secrets(), timestamp, body.as_bytes());
        let standard =
            signature::standard_header_value(secrets(), event_id, timestamp, body.as_bytes());
        let request = self
            .client
            .post(&target.url)
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header(
                USER_AGENT,
                concat!("shelfsync-webhooks/", env!("CARGO_PKG_VERSION")),
            )
            .header(WEBHOOK_ID_HEADER, event_id)
            .header(WEBHOOK_TIMESTAMP_HEADER, timestamp.to_string())
            .header(WEBHOOK_SIGNATURE_HEADER, standard)
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
                refused: false,
            },
            Ok(Err(error)) => AttemptReport {
                at,
                status_code: error.status().map(|s| s.as_u16()),
                error: Some(describe(&error)),
                refused: is_refusal(&error),
            },
            Ok(Ok((status, _))) if status.is_success() => AttemptReport {
                at,
                status_code: Some(status.as_u16()),
                error: None,
                refused: false,
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
                    refused: false,
                }
            }
        }
    }
}

/// Whether the request failed because its destination is not public.
fn is_refusal(error: &reqwest::Error) -> bool {
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if cause.is::<DestinationRefused>() {
            return true;
        }
        source = cause.source();
    }
    false
}

/// A reqwest error with its causes, as a merchant can act on it.
fn describe(error: &reqwest::Error) -> String {
    let what = if is_refusal(error) {
        "not sent"
    } else if error.is_timeout() {
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
