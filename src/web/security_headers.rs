//! The one middleware around the whole application that every request and
//! response passes: it refuses a query parameter holding a control character
//! (`input::check_urlencoded`) before routing, and gives every response the
//! security headers.
//!
//! | header | on |
//! |---|---|
//! | `X-Content-Type-Options: nosniff`, `Referrer-Policy: same-origin` | every response |
//! | `Content-Security-Policy` (see `CSP`), `X-Frame-Options: DENY` | every HTML response |
//! | `Cache-Control: no-store` | every dashboard response that set no `Cache-Control` of its own (signed-in pages, the login page, a new token's secret) |
//! | `Strict-Transport-Security` | every response, when the public URL is `https` |
//!
//! The policy allows scripts and styles from this site only: the templates
//! have no inline `<script>`, `<style>` or `style=""`, and htmx is told not to
//! inject its indicator style (`htmx-config` in `base.html`).
//!
//! The storefront's reads pass here at 100k requests a second, so the values
//! are static and the future is not boxed: no allocation of ours per request.

use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use pin_project_lite::pin_project;

use super::input;

/// The Content-Security-Policy of every HTML response.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
frame-ancestors 'none'";

const NOSNIFF: HeaderValue = HeaderValue::from_static("nosniff");
const SAME_ORIGIN: HeaderValue = HeaderValue::from_static("same-origin");
const DENY: HeaderValue = HeaderValue::from_static("DENY");
const NO_STORE: HeaderValue = HeaderValue::from_static("no-store");
const POLICY: HeaderValue = HeaderValue::from_static(CSP);
/// Two years, the usual preload minimum.
const HSTS: HeaderValue = HeaderValue::from_static("max-age=63072000");

/// Wraps the whole App: `App::new().wrap(SecurityHeaders::new(https))`.
#[derive(Debug, Clone, Copy)]
pub struct SecurityHeaders {
    /// Whether the configured public URL is https: then HSTS is sent.
    https: bool,
}

impl SecurityHeaders {
    pub fn new(https: bool) -> SecurityHeaders {
        SecurityHeaders { https }
    }
}

impl<S, B> Transform<S, ServiceRequest> for SecurityHeaders
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Transform = SecurityHeadersService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(SecurityHeadersService {
            service,
            https: self.https,
        }))
    }
}

pub struct SecurityHeadersService<S> {
    service: S,
    https: bool,
}

/// Which part of the application a request is for, by its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Area {
    /// The staff dashboard (signed in, or the login page): never stored.
    Dashboard,
    /// The JSON API, the hosted shop and static assets: they set their own caching.
    Public,
}

impl Area {
    fn of(path: &str) -> Area {
        let public = ["/api/", "/shop/", "/static/"]
            .iter()
            .any(|prefix| path.starts_with(prefix));
        if public {
            Area::Public
        } else {
            Area::Dashboard
        }
    }
}

impl<S, B> Service<ServiceRequest> for SecurityHeadersService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Future = HeadersFuture<S::Future>;

    actix_web::dev::forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let area = Area::of(req.path());
        if let Err(error) = input::check_urlencoded(req.query_string().as_bytes()) {
            let response = input::refusal(req.path(), error);
            return HeadersFuture::Refused {
                response: Some(req.into_response(response)),
                area,
                https: self.https,
            };
        }
        // A middleware further in must answer a refusal with a response, not
        // an error: an error becomes a response only after this middleware,
        // without its headers (see `csrf::guard`).
        HeadersFuture::Inner {
            inner: self.service.call(req),
            area,
            https: self.https,
        }
    }
}

pin_project! {
    #[project = HeadersFutureProj]
    pub enum HeadersFuture<F> {
        Inner { #[pin] inner: F, area: Area, https: bool },
        Refused { response: Option<ServiceResponse>, area: Area, https: bool },
    }
}

impl<F, B> Future for HeadersFuture<F>
where
    F: Future<Output = Result<ServiceResponse<B>, actix_web::Error>>,
    B: MessageBody,
{
    type Output = Result<ServiceResponse<EitherBody<B>>, actix_web::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            HeadersFutureProj::Inner { inner, area, https } => {
                let mut response = match inner.poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Ok(response)) => response,
                    Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                };
                apply(response.headers_mut(), *area, *https);
                Poll::Ready(Ok(response.map_into_left_body()))
            }
            HeadersFutureProj::Refused {
                response,
                area,
                https,
            } => {
                let Some(response) = response.take() else {
                    return Poll::Pending;
                };
                let mut response = response.map_into_right_body();
                apply(response.headers_mut(), *area, *https);
                Poll::Ready(Ok(response))
            }
        }
    }
}

/// Adds the headers the table at the top of this module lists.
fn apply(headers: &mut HeaderMap, area: Area, https: bool) {
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, NOSNIFF);
    headers.insert(header::REFERRER_POLICY, SAME_ORIGIN);
    if https {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, HSTS);
    }
    let html = headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|ct| ct.as_bytes().starts_with(b"text/html"));
    if html {
        headers.insert(header::CONTENT_SECURITY_POLICY, POLICY);
        headers.insert(header::X_FRAME_OPTIONS, DENY);
    }
    if area == Area::Dashboard && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, NO_STORE);
    }
}
