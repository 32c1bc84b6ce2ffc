//! `/settings/tokens`: the merchant's API tokens — create (the secret is
//! shown once), see when each was last used, revoke.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::items::render;
use super::{Layout, Notice, see_other, set_flash};
use crate::domain::{FieldError, TokenScope};
use crate::inventory::InventoryError;
use crate::inventory::merchants::Location;
use crate::inventory::permissions::Permission;
use crate::inventory::tokens::{self, ApiToken, IssuedToken, TokenRequest};
use crate::web::auth::CurrentStaff;
use crate::web::errors::HtmlError;
use crate::web::{AppState, run};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/settings/tokens", web::get().to(list))
        .route("/settings/tokens", web::post().to(create))
        .route("/settings/tokens/{id}/revoke", web::post().to(revoke));
}

#[derive(Template)]
#[template(path = "settings/tokens.html")]
struct TokensPage {
    layout: Layout,
    tokens: Vec<ApiToken>,
    locations: Vec<Location>,
    scopes: Vec<(&'static str, &'static str)>,
    /// The token just created and its secret, shown this once.
    new_secret: Option<IssuedToken>,
    error: Option<FieldError>,
    name: String,
}

impl TokensPage {
    fn location_name(&self, token: &ApiToken) -> String {
        token
            .location_id
            .and_then(|id| self.locations.iter().find(|l| l.id == id))
            .map(|l| l.name.clone())
            .unwrap_or_default()
    }
}

async fn page(state: &AppState, current: &CurrentStaff) -> Result<TokensPage, HtmlError> {
    let merchant_id = current.merchant.id;
    let (tokens, locations) = run(state, move |conn| {
        Ok((
            tokens::list_tokens(conn, merchant_id)?,
            Location::all_of(conn, merchant_id)?,
        ))
    })
    .await?;
    Ok(TokensPage {
        layout: Layout::new(current, "settings"),
        tokens,
        locations,
        scopes: TokenScope::ALL
            .iter()
            .map(|s| (s.as_str(), s.label()))
            .collect(),
        new_secret: None,
        error: None,
        name: String::new(),
    })
}

async fn list(
    state: web::Data<AppState>,
    current: CurrentStaff,
) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::ManageTokens)?;
    render(&page(&state, &current).await?)
}

#[derive(Clone, Deserialize)]
struct CreateForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    scope: String,
    location_id: Option<String>,
}

async fn create(
    state: web::Data<AppState>,
    current: CurrentStaff,
    form: web::Form<CreateForm>,
) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::ManageTokens)?;
    let form = form.into_inner();
    let merchant_id = current.merchant.id;
    let submitted = form.clone();
    let outcome = run(&state, move |conn| {
        let request = TokenRequest {
            name: &submitted.name,
            scope: &submitted.scope,
            store: submitted.location_id.as_deref(),
        };
        tokens::request_token(conn, merchant_id, request)
    })
    .await;
    let mut page = page(&state, &current).await?;
    match outcome {
        Ok(issued) => {
            log::info!(
                "merchant {merchant_id}: staff {} created {} token {}",
                current.staff.id,
                issued.token.scope,
                issued.token.id
            );
            page.new_secret = Some(issued);
            render(&page)
        }
        Err(InventoryError::Invalid(error)) => {
            page.error = Some(error);
            page.name = form.name;
            let mut response = render(&page)?;
            *response.status_mut() = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
        Err(other) => Err(other.into()),
    }
}

async fn revoke(
    state: web::Data<AppState>,
    current: CurrentStaff,
    path: web::Path<i64>,
) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::ManageTokens)?;
    let (merchant_id, token_id) = (current.merchant.id, path.into_inner());
    let token = run(&state, move |conn| {
        tokens::revoke_token(conn, merchant_id, token_id)
    })
    .await?;
    log::info!(
        "merchant {merchant_id}: staff {} revoked token {}",
        current.staff.id,
        token.id
    );
    set_flash(
        &current.session,
        Notice::success(format!("The token “{}” is revoked", token.name)),
    );
    Ok(see_other("/settings/tokens"))
}
