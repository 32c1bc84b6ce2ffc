//! `/setup`: the one-time page that opens the first shop of an empty
//! database (started with `--no-demo`). Reachable only while no merchant
//! exists; the service makes sure it runs once, even for racing requests.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::items::render;
use super::{Notice, see_other, set_flash};
use crate::domain::{FieldError, TimeZone};
use crate::inventory::setup::{self, NewShop, ShopInput};
use crate::inventory::{InventoryError, sessions};
use crate::web::errors::HtmlError;
use crate::web::{AppState, auth, csrf, run};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/setup", web::get().to(page))
        .route("/setup", web::post().to(submit));
}

#[derive(Debug, Clone, Default, Deserialize)]
struct SetupForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    store_name: String,
    #[serde(default)]
    store_address: String,
    #[serde(default)]
    owner_name: String,
    #[serde(default)]
    owner_email: String,
    #[serde(default)]
    owner_password: String,
}

#[derive(Template)]
#[template(path = "setup/index.html")]
struct SetupPage {
    csrf_token: String,
    form: SetupForm,
    errors: Vec<FieldError>,
    time_zones: Vec<&'static str>,
}

impl SetupPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

fn blank(session: &Session, form: SetupForm) -> SetupPage {
    SetupPage {
        csrf_token: csrf::token(session),
        form,
        errors: Vec::new(),
        time_zones: TimeZone::names().collect(),
    }
}

/// Whether the database still waits for its first shop.
pub async fn setup_open(state: &AppState) -> Result<bool, HtmlError> {
    Ok(run(state, setup::setup_open).await?)
}

async fn page(state: web::Data<AppState>, session: Session) -> Result<HttpResponse, HtmlError> {
    if !setup_open(&state).await? {
        return Ok(see_other("/login"));
    }
    render(&blank(
        &session,
        SetupForm {
            currency: "USD".into(),
            time_zone: "UTC".into(),
            ..SetupForm::default()
        },
    ))
}

async fn submit(
    state: web::Data<AppState>,
    session: Session,
    form: web::Form<SetupForm>,
) -> Result<HttpResponse, HtmlError> {
    let form = form.into_inner();
    let input = ShopInput {
        name: &form.name,
        slug: &form.slug,
        currency: &form.currency,
        time_zone: &form.time_zone,
        store_name: &form.store_name,
        store_address: &form.store_address,
        owner_name: &form.owner_name,
        owner_email: &form.owner_email,
        owner_password: &form.owner_password,
    };
    let refused = |errors: Vec<FieldError>| -> Result<HttpResponse, HtmlError> {
        let mut page = blank(&session, form.clone());
        page.form.owner_password.clear();
        page.errors = errors;
        let mut response = render(&page)?;
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        Ok(response)
    };
    let shop = match NewShop::parse(&input, true) {
        Ok(shop) => shop,
        Err(errors) => return refused(errors),
    };
    let outcome = run(&state, move |conn| {
        let opened = setup::first_setup(conn, &shop)?;
        let secret = sessions::begin(conn, &opened.owner)?;
        Ok((opened, secret))
    })
    .await;
    match outcome {
        Ok((opened, secret)) => {
            log::info!(
                "merchant {} ({}) was set up by its owner, staff {}",
                opened.merchant.id,
                opened.merchant.slug,
                opened.owner.id
            );
            auth::sign_in(&session, secret)?;
            set_flash(
                &session,
                Notice::success(format!(
                    "{} is open. Add items, then stores and staff under Settings.",
                    opened.merchant.name
                )),
            );
            Ok(see_other("/items"))
        }
        Err(InventoryError::Invalid(error)) => refused(vec![error]),
        Err(other) => Err(other.into()),
    }
}
