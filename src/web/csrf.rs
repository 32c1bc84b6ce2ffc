//! CSRF protection for every state-changing dashboard request, and for the
//! hosted shop's forms (`shop_token`, `check_shop`).
//!
//! Each session holds a random token. Forms carry it as `csrf_token`, htmx
//! sends it as the `X-CSRF-Token` header (set once on `<body hx-headers>`),
//! and a file upload (`multipart/form-data`) in its action's query string.
//! A request is also refused when the browser says it is cross-site
//! (`Sec-Fetch-Site`) or its `Origin` names another host.

use actix_session::{Session, SessionExt};
use actix_web::HttpRequest;
use actix_web::ResponseError;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use rand::RngCore;
use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::errors::HtmlError;

/// The form field that carries the token.
pub const FIELD: &str = "csrf_token";
/// The header htmx sends the token in.
pub const HEADER: &str = "X-CSRF-Token";
const SESSION_KEY: &str = "csrf";
/// Largest form body the guard will read to find the token.
const MAX_FORM_BYTES: usize = 2 * 1024 * 1024;

/// The session's token, created on first use.
pub fn token(session: &Session) -> String {
    if let Ok(Some(existing)) = session.get::<String>(SESSION_KEY) {
        return existing;
    }
    rotate(session)
}

/// Replaces the session's token (on login), returning the new one.
pub fn rotate(session: &Session) -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let fresh = hex::encode(bytes);
    if let Err(error) = session.insert(SESSION_KEY, &fresh) {
        log::error!("could not store a CSRF token in the session: {error}");
    }
    fresh
}

#[derive(Deserialize)]
struct TokenField {
    csrf_token: Option<String>,
}

fn forbidden(reason: &str) -> HtmlError {
    HtmlError::Forbidden(format!(
        "{reason} Reload the page and try again; if it keeps happening, sign in again."
    ))
}

/// Middleware: refuses unsafe requests without the session's token. A
/// refusal is a response (not an error), so the layers around it still see
/// it and add their headers.
pub async fn guard(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if safe || req.path().starts_with("/api/") {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    }
    match check(req).await {
        Ok(req) => next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body),
        Err((req, refusal)) => Ok(req
            .into_response(refusal.error_response())
            .map_into_right_body()),
    }
}

/// Whether the browser says the request came from another site
/// (`Sec-Fetch-Site`), or its `Origin` names another host.
fn from_another_site(headers: &header::HeaderMap) -> bool {
    if headers
        .get("Sec-Fetch-Site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|site| site == "cross-site")
    {
        return true;
    }
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
        if origin != "null" && origin_host != host {
            return true;
        }
    }
    false
}

/// The cookie that carries a shop visitor's form token. The hosted shop has
/// no session (it is public and served bare), so its forms use a double
/// submit: the token is in this cookie (HttpOnly, SameSite=Strict, only
/// under `/shop/`) and in the form, and a post counts only when they match
/// — a page on another site can neither read the cookie nor make the
/// browser send it.
pub const SHOP_COOKIE: &str = "shelfsync_shop_form";

/// The shop visitor's form token: the one their cookie carries, or a fresh
/// one with the cookie to set.
pub fn shop_token(req: &HttpRequest) -> (String, Option<Cookie<'static>>) {
    if let Some(existing) = req
        .cookie(SHOP_COOKIE)
        .map(|cookie| cookie.value().to_owned())
        .filter(|value| value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return (existing, None);
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let fresh = hex::encode(bytes);
    let cookie = Cookie::build(SHOP_COOKIE, fresh.clone())
        .path("/shop/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(req.connection_info().scheme() == "https")
        .finish();
    (fresh, Some(cookie))
}

/// Refuses a shop form post from another site, or whose token does not
/// match the visitor's cookie.
pub fn check_shop(req: &HttpRequest, presented: &str) -> Result<(), HtmlError> {
    if from_another_site(req.headers()) {
        return Err(forbidden("This request came from another site."));
    }
    let expected = req
        .cookie(SHOP_COOKIE)
        .map(|cookie| cookie.value().to_owned())
        .unwrap_or_default();
    let valid = !expected.is_empty() && bool::from(presented.as_bytes().ct_eq(expected.as_bytes()));
    if !valid {
        return Err(HtmlError::Forbidden(
            "This form has expired or is missing its security token. Reload the page and try again."
                .into(),
        ));
    }
    Ok(())
}

/// The request back when it carries the session's token, or the refusal.
async fn check(mut req: ServiceRequest) -> Result<ServiceRequest, (ServiceRequest, HtmlError)> {
    if from_another_site(req.headers()) {
        return Err((req, forbidden("This request came from another site.")));
    }
    let expected = match req.get_session().get::<String>(SESSION_KEY) {
        Ok(Some(token)) => token,
        _ => return Err((req, forbidden("This form has expired."))),
    };
    let mut presented = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if presented.is_none() && is_form {
        let body = match read_body(&mut req).await {
            Ok(body) => body,
            Err(refusal) => return Err((req, refusal)),
        };
        presented = serde_html_form::from_bytes::<TokenField>(&body)
            .ok()
            .and_then(|form| form.csrf_token);
        req.set_payload(Payload::from(body));
    }
    let is_upload = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("multipart/form-data"));
    if presented.is_none() && is_upload {
        // A file upload's body is not read here; its form carries the token
        // in its action's query string (never written to the access log).
        presented = serde_html_form::from_str::<TokenField>(req.query_string())
            .ok()
            .and_then(|form| form.csrf_token);
    }
    let valid =
        presented.is_some_and(|token| bool::from(token.as_bytes().ct_eq(expected.as_bytes())));
    if !valid {
        return Err((
            req,
            forbidden("This form is missing its security token or it does not match."),
        ));
    }
    Ok(req)
}

async fn read_body(req: &mut ServiceRequest) -> Result<Bytes, HtmlError> {
    use actix_web::HttpMessage;
    use futures_util::StreamExt;
    let mut payload = req.take_payload();
    let mut body = actix_web::web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| HtmlError::BadRequest(format!("The form could not be read: {e}")))?;
        if body.len() + chunk.len() > MAX_FORM_BYTES {
            return Err(HtmlError::BadRequest("The form is too large.".into()));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}
