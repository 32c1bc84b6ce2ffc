//! Errors as the dashboard shows them: an HTML page with the status and a
//! message for a person. A 500 is logged with its cause and shown without it.
//!
//! The status of every service error, in one table (the JSON API's is in
//! `api/errors.rs`):
//!
//! | `InventoryError`                                  | status |
//! |---------------------------------------------------|--------|
//! | `NotFound`                                        | 404    |
//! | `Invalid`, `InvalidLine`, `Rule`, `IdempotencyKeyReused` | 400 |
//! | `NotAllowed` (the role does not allow it)         | 403    |
//! | `Conflict` (a stale version), `InsufficientStock`, `Closed` (a reservation no longer open) | 409 |
//! | `TooMany` (a limit on holds; the shop's form shows it beside the form) | 409 |
//! | `LinkSpent` (a used or expired invitation link)   | 410    |
//! | `Unavailable` (the database is away)              | 503, with `Retry-After` |
//! | `Database`, `Corrupt`                             | 500    |
//!
//! A form that can show its own mistakes beside its fields answers 422 with
//! the page itself instead of an error page.

use actix_web::error::PathError;
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use askama::Template;

use crate::inventory::InventoryError;

/// An error page of the dashboard or storefront.
#[derive(Debug, thiserror::Error)]
pub enum HtmlError {
    /// 404: no such thing for this merchant (another merchant's is the same).
    #[error("{0}")]
    NotFound(String),
    /// 400: the request itself is malformed; the message names what.
    #[error("{0}")]
    BadRequest(String),
    /// 403: a missing or forged CSRF token, or a cross-site request.
    #[error("{0}")]
    Forbidden(String),
    /// 410: a one-time link that was used already or has expired.
    #[error("{0}")]
    Gone(String),
    /// 409: the change was refused because the thing moved on since the page
    /// was drawn (someone else's change, or the stock is no longer there).
    #[error("{0}")]
    Conflict(String),
    /// 503 with `Retry-After`: the database cannot be reached just now.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// 303 to the login page, or an `HX-Redirect` for htmx.
    #[error("login required")]
    LoginRequired { htmx: bool },
    /// 500: logged with detail, shown without it.
    #[error("{0}")]
    Internal(String),
    /// An error of the hosted shop, shown to shoppers: the same status and
    /// sentence, but no staff navigation; its only link leads to the shop's
    /// front page (`front`), or nowhere when the shop itself is unknown.
    #[error("{error}")]
    Shop {
        error: Box<HtmlError>,
        front: Option<String>,
    },
}

impl HtmlError {
    /// This error as the hosted shop shows it, linking back to `front`.
    pub fn in_shop(self, front: Option<String>) -> HtmlError {
        match self {
            HtmlError::Shop { error, .. } => HtmlError::Shop { error, front },
            error => HtmlError::Shop {
                error: Box::new(error),
                front,
            },
        }
    }
}

impl From<InventoryError> for HtmlError {
    fn from(error: InventoryError) -> Self {
        match error {
            InventoryError::NotFound(what) => {
                HtmlError::NotFound(format!("That {what} does not exist."))
            }
            InventoryError::Invalid(field) => HtmlError::BadRequest(field.to_string()),
            InventoryError::InvalidLine { line, error } => {
                HtmlError::BadRequest(format!("Line {}: {}", line + 1, error.message))
            }
            InventoryError::InsufficientStock(shortages) => HtmlError::Conflict(
                shortages
                    .iter()
                    .map(|s| format!("Only {} of {} available.", s.available, s.sku))
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            InventoryError::IdempotencyKeyReused => HtmlError::BadRequest(
                "This form was already submitted with different values; reload the page and try again.".into(),
            ),
            InventoryError::Rule { rule, .. } => HtmlError::BadRequest(rule.to_string()),
            InventoryError::Conflict { current } => HtmlError::Conflict(format!(
                "{} was changed by someone else since this page was drawn, so nothing was saved. Open it again to see it as it is now, then repeat your change.",
                current.name
            )),
            InventoryError::NotAllowed(message) => HtmlError::Forbidden(message),
            InventoryError::TooMany(message) | InventoryError::Closed(message) => {
                HtmlError::Conflict(message)
            }
            InventoryError::LinkSpent(message) => HtmlError::Gone(message),
            pruned @ InventoryError::HistoryPruned { .. } => HtmlError::Gone(pruned.to_string()),
            InventoryError::Unavailable(detail) => HtmlError::Unavailable(detail),
            other => HtmlError::Internal(other.to_string()),
        }
    }
}

/// How long a browser or client is asked to wait when the database is away.
const RETRY_AFTER_SECONDS: u32 = 5;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    title: &'a str,
    message: &'a str,
    /// `None` on dashboard pages (the dashboard's navigation and a link to
    /// the item list); on the shop, `Some` with its front page, if known.
    shop: Option<Option<&'a str>>,
}

impl ResponseError for HtmlError {
    fn status_code(&self) -> StatusCode {
        match self {
            HtmlError::NotFound(_) => StatusCode::NOT_FOUND,
            HtmlError::BadRequest(_) => StatusCode::BAD_REQUEST,
            HtmlError::Forbidden(_) => StatusCode::FORBIDDEN,
            HtmlError::Conflict(_) => StatusCode::CONFLICT,
            HtmlError::Gone(_) => StatusCode::GONE,
            HtmlError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            HtmlError::LoginRequired { htmx: true } => StatusCode::UNAUTHORIZED,
            HtmlError::LoginRequired { htmx: false } => StatusCode::SEE_OTHER,
            HtmlError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            HtmlError::Shop { error, .. } => error.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            HtmlError::Shop { error, front } => error.page(Some(front.as_deref())),
            other => other.page(None),
        }
    }
}

impl HtmlError {
    /// The error page, with the dashboard's chrome (`shop: None`) or the
    /// shop's (`Some(front)`).
    fn page(&self, shop: Option<Option<&str>>) -> HttpResponse {
        let status = self.status_code();
        let (title, message) = match self {
            HtmlError::Shop { error, .. } => return error.page(shop),
            HtmlError::LoginRequired { htmx } => {
                let mut response = HttpResponse::build(status);
                if *htmx {
                    response.insert_header(("HX-Redirect", "/login"));
                } else {
                    response.insert_header((header::LOCATION, "/login"));
                }
                return response.finish();
            }
            HtmlError::NotFound(message) => ("Not found", message.as_str()),
            HtmlError::BadRequest(message) => ("That did not work", message.as_str()),
            HtmlError::Forbidden(message) => ("Not allowed", message.as_str()),
            HtmlError::Gone(message) => ("This link no longer works", message.as_str()),
            HtmlError::Conflict(message) => ("Changed in the meantime", message.as_str()),
            HtmlError::Unavailable(detail) => {
                log::error!("database unavailable: {detail}");
                (
                    "Back in a moment",
                    "shelfsync cannot reach its database just now. Nothing was changed; please try again in a few seconds.",
                )
            }
            HtmlError::Internal(detail) => {
                log::error!("internal error: {detail}");
                (
                    "Something went wrong",
                    "shelfsync could not finish that. Please try again in a moment.",
                )
            }
        };
        let page = ErrorPage {
            status: status.as_u16(),
            title,
            message,
            shop,
        };
        let mut response = HttpResponse::build(status);
        if let HtmlError::Unavailable(_) = self {
            response.insert_header((header::RETRY_AFTER, RETRY_AFTER_SECONDS.to_string()));
        }
        match page.render() {
            Ok(body) => response.content_type("text/html; charset=utf-8").body(body),
            Err(error) => {
                log::error!("could not render the error page: {error}");
                response.body(message.to_owned())
            }
        }
    }
}

/// The dashboard's answer to an address it does not know: a 404 page. Under
/// `/shop/{slug}/…` it is the shop's 404, linking to that shop's front.
pub async fn unknown_address(req: HttpRequest) -> Result<HttpResponse, HtmlError> {
    Err(not_found_at(req.path()))
}

fn not_found_at(path: &str) -> HtmlError {
    if let Some(rest) = path.strip_prefix("/shop/") {
        let slug = rest.split('/').next().unwrap_or_default();
        let front = (!slug.is_empty() && crate::domain::check_input("slug", slug).is_ok())
            .then(|| format!("/shop/{slug}"));
        return HtmlError::NotFound("That shop or item was not found.".into()).in_shop(front);
    }
    HtmlError::NotFound("There is no page at this address.".into())
}

/// A dashboard address whose id is malformed (`/items/abc`) names nothing:
/// a 404 page rather than the parser's message.
pub fn malformed_path(_error: PathError, _req: &HttpRequest) -> actix_web::Error {
    HtmlError::NotFound("There is no page at this address.".into()).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::FieldError;

    fn status_of(error: InventoryError) -> u16 {
        HtmlError::from(error).error_response().status().as_u16()
    }

    #[test]
    fn every_service_error_has_its_status() {
        assert_eq!(status_of(InventoryError::NotFound("item")), 404);
        assert_eq!(
            status_of(InventoryError::Invalid(FieldError::new("sku", "bad"))),
            400
        );
        assert_eq!(status_of(InventoryError::IdempotencyKeyReused), 400);
        assert_eq!(
            status_of(InventoryError::InsufficientStock(Vec::new())),
            409
        );
        assert_eq!(status_of(InventoryError::Corrupt("x".into())), 500);
    }

    #[test]
    fn an_unavailable_database_is_503_with_retry_after() {
        let response =
            HtmlError::from(InventoryError::Unavailable("pool timed out".into())).error_response();

        assert_eq!(response.status().as_u16(), 503);
        assert_eq!(
            response
                .headers()
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok()),
            Some("5")
        );
    }
}
