//! The outermost middleware: gives every request its id and every response
//! `X-Request-Id`, makes the id visible to every log line written while the
//! request is handled (`logging::REQUEST_ID`), and records the request in the
//! HTTP metrics by route pattern, status and latency. Also the dashboard's
//! access log, which runs inside it so its lines carry the id too.
//!
//! An `X-Request-Id` from a proxy is kept when it is a sane token
//! (`logging::RequestId::parse`), else replaced by a fresh one, so a log line
//! can't be forged or bloated through the header.
//!
//! Like `security_headers`, this sits on the storefront's hot path: the
//! future is not boxed and recording a metric is a few atomic operations.

use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::error::InternalError;
use actix_web::http::Method;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use pin_project_lite::pin_project;
use tokio::task::futures::TaskLocalFuture;

use crate::logging::{REQUEST_ID, RequestId};
use crate::metrics;

/// The header that carries a request's id, in and out.
pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Wraps the whole App, outside every other middleware: `App::new().wrap(Observe)`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Observe;

impl<S, B> Transform<S, ServiceRequest> for Observe
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type Transform = ObserveService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(ObserveService { service }))
    }
}

pub struct ObserveService<S> {
    service: S,
}

impl<S, B> Service<ServiceRequest> for ObserveService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type Future = ObserveFuture<S::Future>;

    actix_web::dev::forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let started = Instant::now();
        let sent = req.headers().get(X_REQUEST_ID);
        let (id, header) = match sent.and_then(|v| RequestId::parse(v.as_bytes())) {
            // The request's own value: no copy of the bytes.
            Some(id) => (id, sent.cloned()),
            None => (RequestId::generate(), None),
        };
        let header = header
            .or_else(|| HeaderValue::from_str(id.as_str()).ok())
            .unwrap_or(HeaderValue::from_static("-"));
        let method = req.method().clone();
        // The middlewares further in may log before their future is first
        // polled, so the call itself runs with the id too.
        let inner = REQUEST_ID.sync_scope(id, || self.service.call(req));
        ObserveFuture {
            inner: REQUEST_ID.scope(id, inner),
            started,
            method,
            header,
        }
    }
}

pin_project! {
    pub struct ObserveFuture<F: Future> {
        #[pin]
        inner: TaskLocalFuture<RequestId, F>,
        started: Instant,
        method: Method,
        header: HeaderValue,
    }
}

impl<F, B> Future for ObserveFuture<F>
where
    F: Future<Output = Result<ServiceResponse<B>, actix_web::Error>>,
    B: MessageBody,
{
    type Output = Result<ServiceResponse<B>, actix_web::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        match this.inner.poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(mut response)) => {
                metrics::record_http(
                    this.method,
                    response.request().match_pattern(),
                    response.status().as_u16(),
                    this.started.elapsed(),
                );
                response
                    .headers_mut()
                    .insert(X_REQUEST_ID, this.header.clone());
                Poll::Ready(Ok(response))
            }
            Poll::Ready(Err(error)) => {
                // Handlers and extractors answer their errors themselves; an
                // error reaches here only from a middleware. It becomes a
                // response after this one, so the id goes in it now. (The
                // request, and with it the route, went with the error.)
                let mut response = error.error_response();
                metrics::record_http(
                    this.method,
                    None,
                    response.status().as_u16(),
                    this.started.elapsed(),
                );
                response
                    .headers_mut()
                    .insert(X_REQUEST_ID, this.header.clone());
                Poll::Ready(Err(InternalError::from_response(
                    error.to_string(),
                    response,
                )
                .into()))
            }
        }
    }
}

/// The dashboard's access log, one line per request when its response is
/// ready: method, path without the query (a query may hold search words or an
/// upload's CSRF token, which don't belong in a log), status and time taken.
pub async fn access_log(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.path().to_owned();
    let outcome = next.call(req).await;
    let status = match &outcome {
        Ok(response) => response.status(),
        Err(error) => error.as_response_error().status_code(),
    };
    log::info!(
        target: "shelfsync::access",
        "{method} {path} {} {:.3}ms",
        status.as_u16(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    outcome
}
