//! Errors as the dashboard shows them: an HTML page with the status and a
//! message for a person. A 500 is logged with its cause and shown without it.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpResponse, ResponseError};
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
    /// 303 to the login page, or an `HX-Redirect` for htmx.
    #[error("login required")]
    LoginRequired { htmx: bool },
    /// 500: logged with detail, shown without it.
    #[error("{0}")]
    Internal(String),
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
            InventoryError::InsufficientStock(shortages) => HtmlError::BadRequest(
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
            InventoryError::Conflict { .. } => HtmlError::BadRequest(
                "The item was changed by someone else; reload and try again.".into(),
            ),
            other => HtmlError::Internal(other.to_string()),
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    title: &'a str,
    message: &'a str,
}

impl ResponseError for HtmlError {
    fn status_code(&self) -> StatusCode {
        match self {
            HtmlError::NotFound(_) => StatusCode::NOT_FOUND,
            HtmlError::BadRequest(_) => StatusCode::BAD_REQUEST,
            HtmlError::Forbidden(_) => StatusCode::FORBIDDEN,
            HtmlError::LoginRequired { htmx: true } => StatusCode::UNAUTHORIZED,
            HtmlError::LoginRequired { htmx: false } => StatusCode::SEE_OTHER,
            HtmlError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let (title, message) = match self {
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
        };
        match page.render() {
            Ok(body) => HttpResponse::build(status)
                .content_type("text/html; charset=utf-8")
                .body(body),
            Err(error) => {
                log::error!("could not render the error page: {error}");
                HttpResponse::build(status).body(message.to_owned())
            }
        }
    }
}
