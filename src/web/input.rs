//! Text input at the edge: every query parameter, dashboard form field and
//! JSON string passes `domain::check_input` before a handler sees it, so a
//! NUL byte or another control character is refused naming its field (400
//! for pages, 422 `invalid_parameter` / `invalid_field` for the API) and never
//! reaches the database. Path segments that are text (`/shop/{slug}`) are
//! parsed by their own domain types in their handlers.
//!
//! The query check runs on every request, the storefront's reads included, so
//! it first scans the raw query for an escape that could decode to a control
//! character (`%00`–`%1F`, `%7F`, `%C2%80`–`%C2%9F`) without allocating, and
//! decodes only when one is there.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{HttpMessage, ResponseError};
use serde_json::Value;

use super::api::errors::ApiError;
use super::errors::HtmlError;
use crate::domain::{ControlCharacter, check_input};

/// Largest form body read to check its fields (the dashboard's own limit).
const MAX_FORM_BYTES: usize = 2 * 1024 * 1024;

/// Whether a raw, still percent-encoded query or form body may hold a
/// control character once decoded. False positives only cost a decode.
pub fn may_hold_control(raw: &[u8]) -> bool {
    raw.iter().enumerate().any(|(at, &byte)| {
        if byte < 0x20 || byte == 0x7f {
            return true;
        }
        if byte != b'%' {
            return false;
        }
        match (raw.get(at + 1), raw.get(at + 2)) {
            (Some(b'0' | b'1'), Some(_)) => true,
            (Some(b'7'), Some(b'f' | b'F')) => true,
            // U+0080–U+009F are encoded as C2 80 – C2 9F.
            (Some(b'c' | b'C'), Some(b'2')) => {
                matches!(raw.get(at + 3..at + 5), Some([b'%', b'8' | b'9']))
            }
            _ => false,
        }
    })
}

/// The first field of a urlencoded query or form whose name or value holds
/// a control character.
pub fn check_urlencoded(raw: &[u8]) -> Result<(), ControlCharacter> {
    if !may_hold_control(raw) {
        return Ok(());
    }
    for (name, value) in url::form_urlencoded::parse(raw) {
        check_input(&name, &name)?;
        check_input(&name, &value)?;
    }
    Ok(())
}

/// The first string in a JSON body, key or value, that holds a control
/// character, named by its path (`lines[0].sku`).
pub fn check_json(value: &Value) -> Result<(), ControlCharacter> {
    fn walk(value: &Value, path: &mut String) -> Result<(), ControlCharacter> {
        match value {
            Value::String(text) => check_input(path_or_body(path), text),
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    let len = path.len();
                    path.push_str(&format!("[{index}]"));
                    walk(item, path)?;
                    path.truncate(len);
                }
                Ok(())
            }
            Value::Object(fields) => {
                for (name, item) in fields {
                    let len = path.len();
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(name);
                    check_input(path, name)?;
                    walk(item, path)?;
                    path.truncate(len);
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
    fn path_or_body(path: &str) -> &str {
        if path.is_empty() { "body" } else { path }
    }
    walk(value, &mut String::new())
}

/// The refusal of a JSON body's field.
pub fn json_refusal(error: ControlCharacter) -> ApiError {
    let message = error.to_string();
    ApiError::invalid_field(&error.field, message)
}

/// The answer to a query or form field holding a control character: the
/// API's 422 `invalid_parameter`, or the dashboard's 400 page.
pub fn refusal(path: &str, error: ControlCharacter) -> actix_web::HttpResponse {
    if path.starts_with("/api/") {
        ApiError::invalid_parameter(&error.field, error.to_string()).error_response()
    } else {
        HtmlError::BadRequest(format!(
            "The field “{}” must not contain control characters; nothing was changed.",
            error.field
        ))
        .error_response()
    }
}

/// Middleware for the dashboard: refuses a form field holding a control
/// character (urlencoded bodies; the dashboard posts no other kind). Its
/// refusals are responses, so the security headers reach them.
pub async fn refuse_control_in_forms(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if is_form {
        let body = match read_body(&mut req).await {
            Ok(body) => body,
            Err(refusal) => {
                return Ok(req
                    .into_response(refusal.error_response())
                    .map_into_right_body());
            }
        };
        if let Err(error) = check_urlencoded(&body) {
            let response = refusal(req.path(), error);
            return Ok(req.into_response(response).map_into_right_body());
        }
        req.set_payload(Payload::from(body));
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

async fn read_body(req: &mut ServiceRequest) -> Result<Bytes, HtmlError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_queries_are_not_decoded_and_escaped_controls_are_found() {
        assert!(!may_hold_control(b"q=blue+mug&limit=20&cursor=AQEAAA-_"));
        assert!(!may_hold_control(b"q=caf%C3%A9%20%E2%98%95"));
        for raw in [
            &b"q=ab%00cd"[..],
            b"q=%1b",
            b"q=%7F",
            b"q=%c2%85",
            b"a%00=1",
        ] {
            assert!(may_hold_control(raw), "{raw:?}");
            assert!(check_urlencoded(raw).is_err(), "{raw:?}");
        }
        assert_eq!(
            check_urlencoded(b"limit=2&q=ab%00cd").map_err(|e| e.field),
            Err("q".to_owned())
        );
        // `%20` and `%2F` look suspicious to the scan but decode to text.
        assert_eq!(check_urlencoded(b"q=a%0Ab%09"), Ok(()));
        assert_eq!(check_urlencoded(b"q=a%20b%2Fc"), Ok(()));
    }

    #[test]
    fn json_strings_are_named_by_their_path() {
        let body: Value = serde_json::json!({
            "version": 1,
            "lines": [{"sku": "ok"}, {"sku": "bad\u{0}"}]
        });
        assert_eq!(
            check_json(&body).map_err(|e| e.field),
            Err("lines[1].sku".to_owned())
        );
        let fine: Value = serde_json::json!({"description": "two\nlines\ttab"});
        assert_eq!(check_json(&fine), Ok(()));
    }
}
