//! `/settings/webhooks`: the merchant's webhook endpoints — add one (the
//! secret is shown once), enable or disable, choose event types, send a test
//! event, rotate the secret — and each endpoint's delivery log, paged and
//! filtered by status and event type, with *Resend* and *Redeliver since*.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::items::render;
use super::{Layout, Notice, see_other, set_flash, vocabulary};
use crate::domain::{
    EVENT_TYPES, EventTypes, FieldError, WebhookUrl, event_type_label, is_back_office,
};
use crate::inventory::InventoryError;
use crate::inventory::permissions::Permission;
use crate::inventory::webhooks::history::{self, LogCursor, LogQuery, Resend};
use crate::inventory::webhooks::manual::{self, ManualSendState};
use crate::inventory::webhooks::{self, DeliveryLogEntry, DeliveryStatus, WebhookEndpoint};
use crate::web::auth::CurrentStaff;
use crate::web::errors::HtmlError;
use crate::web::{AppState, run};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/settings/webhooks", web::get().to(list))
        .route("/settings/webhooks", web::post().to(create))
        .route("/settings/webhooks/{id}", web::get().to(log))
        .route("/settings/webhooks/{id}/enable", web::post().to(enable))
        .route("/settings/webhooks/{id}/disable", web::post().to(disable))
        .route(
            "/settings/webhooks/{id}/event-types",
            web::post().to(event_types),
        )
        .route("/settings/webhooks/{id}/rotate", web::post().to(rotate))
        .route("/settings/webhooks/{id}/test", web::post().to(send_test))
        .route("/settings/webhooks/{id}/delete", web::post().to(delete))
        .route(
            "/settings/webhooks/{id}/redeliver",
            web::post().to(redeliver),
        )
        .route(
            "/settings/webhooks/deliveries/{id}/resend",
            web::post().to(resend),
        );
}

/// An endpoint with its queue as the list shows it.
struct EndpointSummary {
    endpoint: WebhookEndpoint,
    waiting: i64,
    failed: i64,
    /// The latest test event: waiting for the dispatcher, or what it brought.
    last_test: Option<ManualSendState>,
}

#[derive(Template)]
#[template(path = "settings/webhooks.html")]
struct WebhooksPage {
    layout: Layout,
    endpoints: Vec<EndpointSummary>,
    event_types: &'static [(&'static str, &'static str)],
    /// The secret just made (new endpoint or rotation), shown this once.
    new_secret: Option<(i64, String)>,
    error: Option<FieldError>,
    url: String,
}

impl WebhooksPage {
    /// A new endpoint gets the storefront types; back-office ones are opt-in.
    fn checked_by_default(&self, event_type: &str) -> bool {
        !is_back_office(event_type)
    }

    fn sends(&self, summary: &EndpointSummary, event_type: &str) -> bool {
        summary.endpoint.event_types.contains(event_type)
    }
}

async fn page(state: &AppState, current: &CurrentStaff) -> Result<WebhooksPage, HtmlError> {
    let merchant_id = current.merchant.id;
    let endpoints = run(state, move |conn| {
        webhooks::list_endpoints(conn, merchant_id)?
            .into_iter()
            .map(|endpoint| {
                Ok(EndpointSummary {
                    waiting: webhooks::waiting_count(conn, &endpoint)?,
                    failed: history::failed_count(conn, endpoint.id)?,
                    last_test: manual::last_test(conn, endpoint.id)?,
                    endpoint,
                })
            })
            .collect::<Result<Vec<_>, InventoryError>>()
    })
    .await?;
    Ok(WebhooksPage {
        layout: Layout::new(current, "settings"),
        endpoints,
        event_types: EVENT_TYPES,
        new_secret: None,
        error: None,
        url: String::new(),
    })
}

async fn list(
    state: web::Data<AppState>,
    current: CurrentStaff,
) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::ManageWebhooks)?;
    render(&page(&state, &current).await?)
}

/// A form with a URL and a set of checkboxes; repeated keys need serde_html_form.
#[derive(Deserialize)]
struct EndpointForm {
    #[serde(default)]
    url: String,
    #[serde(default)]
    event_types: Vec<String>,
}

fn parse_form<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, HtmlError> {
    serde_html_form::from_bytes(body)
        .map_err(|e| HtmlError::BadRequest(format!("The form could not be read: {e}")))
}

async fn create(
    state: web::Data<AppState>,
    current: CurrentStaff,
    body: web::Bytes,
) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::ManageWebhooks)?;
    let form: EndpointForm = parse_form(&body)?;
    let merchant_id = current.merchant.id;
    let destinations = state.push.destinations;
    let parsed = WebhookUrl::parse(&form.url).and_then(|url| {
        EventTypes::parse(form.event_types.iter().map(String::as_str)).map(|types| (url, types))
    });
    let outcome = match parsed {
        Ok((url, types)) => {
            run(&state, move |conn| {
                webhooks::create_endpoint(conn, merchant_id, &url, &types, destinations)
            })
            .await
        }
        Err(error) => Err(InventoryError::Invalid(error)),
    };
    let mut page = page(&state, &current).await?;
    match outcome {
        Ok(issued) => {
            log::info!(
                "merchant {merchant_id}: staff {} added webhook endpoint {}",
                current.staff.id,
                issued.endpoint.id
            );
            state.push.dispatcher.wake();
            page.new_secret = Some((issued.endpoint.id, issued.secret));
            render(&page)
        }
        Err(InventoryError::Invalid(error)) => {
            page.error = Some(error);
            page.url = form.url;
            let mut response = render(&page)?;
            *response.status_mut() = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
        Err(other) => Err(other.into()),
    }
}

async fn set_enabled(
    state: web::Data<AppState>,
    current: CurrentStaff,
    endpoint_id: i64,
    enabled: bool,
) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::ManageWebhooks)?;
    let merchant_id = current.merchant.id;
    let endpoint = run(&state, move |conn| {
        webhooks::set_enabled(conn, merchant_id, endpoint_id, enabled)
    })
    .await?;
    state.push.dispatcher.wake();
    set_flash(
        &current.session,
        Notice::success(if enabled {
            format!(
                "Webhooks to {} are on again; what happened meanwhile is sent first.",
                endpoint.url
            )
        } else {
            format!(
                "Webhooks to {} are paused; events wait until you enable it.",
                endpoint.url
            )
        }),
    );
    Ok(see_other("/settings/webhooks"))
}

async fn enable(
    state: web::Data<AppState>,
    current: CurrentStaff,
    path: web::Path<i64>,
) -> Result<HttpResponse, HtmlError> {
    set_enabled(state, current, path.into_inner(), true).await
}

async fn disable(
    state: web::Data<AppState>,
    current: CurrentStaff,
    path: web::Path<i64>,
) -> Result<HttpResponse, HtmlError> {
    set_enabled(state, current, path.into_inner(), false).await
}

async fn event_types(
    state: web::Data<AppState>,
    current: CurrentStaff,
    path: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::ManageWebhooks)?;
    let form: EndpointForm = parse_form(&body)?;
    let (merchant_id, endpoint_id) = (current.merchant.id, path.into_inner());
    let notice = match EventTypes::parse(form.event_types.iter().map(String::as_str)) {
        Ok(types) => {
            let endpoint = run(&state, move |conn| {
                webhooks::set_event_types(conn, merchant_id, endpoint_id, &types)
            })
            .await?;
            Notice::success(format!(
                "{} now receives: {}.",
                endpoint.url,
                endpoint.event_types.names().join(", ")
            ))
        }
        Err(error) => Notice::error(error.message),
    };
    set_flash(&current.session, notice);
    Ok(see_other("/settings/webhooks"))
}

async fn rotate(
    state: web::Data<AppState>,
    current: CurrentStaff,
    path: web::Path<i64>,
) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::ManageWebhooks)?;
    let (merchant_id, endpoint_id) = (current.merchant.id, path.into_inner());
    let grace = state.push.secret_grace;
    let issued = run(&state, move |conn| {
        webhooks::rotate_secret(conn, merchant_id, endpoint_id, grace)
    })
    .await?;
    log::info!(
        "merchant {merchant_id}: staff {} rotated the secret of webhook endpoint {endpoint_id}",
        current.staff.id
    );
    let mut page = page(&state, &current).await?;
    page.new_secret = Some((issued.endpoint.id, issued.secret));
    render(&page)
}

async fn delete(
    state: web::Data<AppState>,
    current: CurrentStaff,
    path: web::Path<i64>,
) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::ManageWebhooks)?;
    let (merchant_id, endpoint_id) = (current.merchant.id, path.into_inner());
    let endpoint = run(&state, move |conn| {
        webhooks::delete_endpoint(conn, merchant_id, endpoint_id)
    })
    .await?;
    log::info!(
        "merchant {merchant_id}: staff {} removed webhook endpoint {endpoint_id}",
        current.staff.id
    );
    set_flash(
        &current.session,
        Notice::success(format!("{} no longer receives webhooks.", endpoint.url)),
    );
    Ok(see_other("/settings/webhooks"))
}

/// `POST /settings/webhooks/{id}/test`: queues a test event for the
/// dispatcher; what it brought shows on the list once sent.
async fn send_test(
    state: web::Data<AppState>,
    current: CurrentStaff,
    path: web::Path<i64>,
) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::ManageWebhooks)?;
    let (merchant_id, endpoint_id) = (current.merchant.id, path.into_inner());
    let endpoint = run(&state, move |conn| {
        manual::request_test(conn, merchant_id, endpoint_id)
    })
    .await?;
    state.push.dispatcher.wake();
    let notice = if endpoint.enabled {
        Notice::success(format!(
            "A test event is on its way to {}; what it brought shows below in a moment.",
            endpoint.url
        ))
    } else {
        Notice::warning(format!(
            "{} is paused: the test event goes out when you enable it.",
            endpoint.url
        ))
    };
    set_flash(&current.session, notice);
    Ok(see_other("/settings/webhooks"))
}

#[derive(Template)]
#[template(path = "settings/webhook_log.html")]
struct LogPage {
    layout: Layout,
    endpoint: WebhookEndpoint,
    deliveries: Vec<DeliveryLogEntry>,
    waiting: i64,
    /// The filters as asked, to keep in the form and the paging link.
    filters: LogParams,
    /// The query string of the next (older) page; `None` on the last page.
    older: Option<String>,
    /// Deliveries with a resend waiting for the dispatcher.
    resends: Vec<i64>,
    event_types: &'static [(&'static str, &'static str)],
    /// The merchant's catalog version, the highest `since_version`.
    catalog_version: i64,
}

impl LogPage {
    fn status_class(&self, entry: &DeliveryLogEntry) -> &'static str {
        match entry.status {
            DeliveryStatus::Delivered => "store",
            DeliveryStatus::Pending => "warning",
            DeliveryStatus::Failed => "off",
        }
    }

    /// The statuses the log can be filtered by.
    fn statuses(&self) -> [DeliveryStatus; 3] {
        [
            DeliveryStatus::Pending,
            DeliveryStatus::Delivered,
            DeliveryStatus::Failed,
        ]
    }

    fn status_label(&self, status: impl std::borrow::Borrow<DeliveryStatus>) -> &'static str {
        vocabulary::delivery_status_label(*status.borrow())
    }

    fn event_label<'a>(&self, event_type: &'a str) -> &'a str {
        event_type_label(event_type)
    }

    fn resend_waiting(&self, entry: &DeliveryLogEntry) -> bool {
        self.resends.contains(&entry.id)
    }

    fn problems_only(&self) -> bool {
        self.filters.show.as_deref() == Some("problems")
    }

    fn status_is(&self, status: &str) -> bool {
        self.filters.status.as_deref() == Some(status)
    }

    fn event_type_is(&self, event_type: &str) -> bool {
        self.filters.event_type.as_deref() == Some(event_type)
    }
}

/// `?show=problems` (failed and pending), `?status=`, `?event_type=`, and
/// `?before=` (the cursor of an older page).
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
struct LogParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    show: Option<String>,
    #[serde(default, skip_serializing_if = "blank")]
    status: Option<String>,
    #[serde(default, skip_serializing_if = "blank")]
    event_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    before: Option<String>,
}

fn blank(value: &Option<String>) -> bool {
    value.as_deref().is_none_or(|v| v.trim().is_empty())
}

/// Lines per page of the delivery log.
const LOG_PAGE: i64 = 100;

impl LogParams {
    fn query(&self) -> Result<LogQuery, FieldError> {
        let mut statuses = Vec::new();
        if self.show.as_deref() == Some("problems") {
            statuses = vec![DeliveryStatus::Pending, DeliveryStatus::Failed];
        }
        if let Some(status) = self.status.as_deref().filter(|s| !s.trim().is_empty()) {
            statuses = vec![DeliveryStatus::from_param(status)?];
        }
        Ok(LogQuery {
            statuses,
            event_type: match self.event_type.as_deref().filter(|s| !s.trim().is_empty()) {
                Some(raw) => Some(LogQuery::event_type(raw)?),
                None => None,
            },
            before: match self.before.as_deref().filter(|s| !s.trim().is_empty()) {
                Some(raw) => Some(LogCursor::parse(raw, "before")?),
                None => None,
            },
            limit: LOG_PAGE,
        })
    }
}

async fn log(
    state: web::Data<AppState>,
    current: CurrentStaff,
    path: web::Path<i64>,
    params: web::Query<LogParams>,
) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::ManageWebhooks)?;
    let (merchant_id, endpoint_id) = (current.merchant.id, path.into_inner());
    let filters = params.into_inner();
    let query = filters
        .query()
        .map_err(|e| HtmlError::BadRequest(e.message))?;
    let (endpoint, page, waiting, resends, catalog_version) = run(&state, move |conn| {
        let endpoint = webhooks::find_endpoint(conn, merchant_id, endpoint_id)?;
        let page = history::delivery_log(conn, merchant_id, endpoint_id, &query)?;
        let waiting = webhooks::waiting_count(conn, &endpoint)?;
        let resends = manual::waiting_resends(conn, endpoint.id)?;
        let version = crate::inventory::catalog_version(conn, merchant_id)?;
        Ok((endpoint, page, waiting, resends, version))
    })
    .await?;
    let older = page.next.map(|cursor| {
        let next = LogParams {
            before: Some(cursor.to_string()),
            ..filters.clone()
        };
        serde_html_form::to_string(&next).unwrap_or_default()
    });
    render(&LogPage {
        layout: Layout::new(&current, "settings"),
        endpoint,
        deliveries: page.entries,
        waiting,
        filters,
        older,
        resends,
        event_types: EVENT_TYPES,
        catalog_version,
    })
}

#[derive(Deserialize)]
struct RedeliverForm {
    #[serde(default)]
    since_version: String,
}

/// `POST /settings/webhooks/{id}/redeliver`: re-queues, in order, every
/// event after the version given (the same service call as the API's).
async fn redeliver(
    state: web::Data<AppState>,
    current: CurrentStaff,
    path: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::ManageWebhooks)?;
    let form: RedeliverForm = parse_form(&body)?;
    let (merchant_id, endpoint_id) = (current.merchant.id, path.into_inner());
    let notice = match form.since_version.trim().parse::<i64>() {
        Err(_) => Notice::error(format!(
            "Since version must be a catalog version (a whole number), not {:?}.",
            form.since_version
        )),
        Ok(since) => {
            let outcome = run(&state, move |conn| {
                webhooks::redeliver_since(conn, merchant_id, endpoint_id, since)
            })
            .await;
            match outcome {
                Ok(done) => {
                    state.push.dispatcher.wake();
                    log::info!(
                        "merchant {merchant_id}: staff {} re-queued webhook endpoint {endpoint_id} since version {since}",
                        current.staff.id
                    );
                    Notice::success(format!(
                        "{} event(s) after version {since} are queued for {}, in order.",
                        done.queued, done.endpoint.url
                    ))
                }
                Err(InventoryError::Invalid(error)) => Notice::error(error.message),
                Err(InventoryError::HistoryPruned { since, floor }) => Notice::error(format!(
                    "Events after version {since} are no longer kept: history starts at version {floor}. Redeliver since version {floor} or later."
                )),
                Err(other) => return Err(other.into()),
            }
        }
    };
    set_flash(&current.session, notice);
    Ok(see_other(&format!("/settings/webhooks/{endpoint_id}")))
}

/// `POST /settings/webhooks/deliveries/{id}/resend`: a pending event is
/// retried now, in order; a delivered or failed one is queued to be sent once
/// more. Either way the dispatcher sends it, and the log shows the attempt.
async fn resend(
    state: web::Data<AppState>,
    current: CurrentStaff,
    path: web::Path<i64>,
) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::ManageWebhooks)?;
    let (merchant_id, delivery_id) = (current.merchant.id, path.into_inner());
    let plan = run(&state, move |conn| {
        history::resend(conn, merchant_id, delivery_id)
    })
    .await?;
    state.push.dispatcher.wake();
    let (endpoint_id, notice) = match plan {
        Resend::RetryingNow(entry) => (
            entry.endpoint_id,
            Notice::success(format!(
                "{} is being retried now, in order.",
                entry.public_event_id()
            )),
        ),
        Resend::Queued(entry) => (
            entry.endpoint_id,
            Notice::success(format!(
                "{} is queued to be sent again; its attempt shows in the log below in a moment.",
                entry.public_event_id()
            )),
        ),
    };
    set_flash(&current.session, notice);
    Ok(see_other(&format!("/settings/webhooks/{endpoint_id}")))
}
