//! What htmx tells the server about a request.

use actix_web::HttpRequest;

/// Whether htmx sent this request (and so wants a fragment, not a page).
pub fn is_htmx(req: &HttpRequest) -> bool {
    req.headers().contains_key("HX-Request")
}

/// The id of the element htmx will swap the response into, if any.
pub fn target(req: &HttpRequest) -> Option<&str> {
    req.headers().get("HX-Target").and_then(|v| v.to_str().ok())
}
