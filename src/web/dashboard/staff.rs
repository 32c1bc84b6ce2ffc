//! `/settings/staff` (owners): invite people with a role, change roles,
//! deactivate, reset passwords. `/invitations/{secret}`: the one-time link
//! where an invited person sets their password. `/account`: everyone's own
//! password.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::items::render;
use super::{Layout, Notice, see_other, set_flash};
use crate::domain::{FieldError, Role};
use crate::inventory::merchants::{Location, Merchant, Staff};
use crate::inventory::permissions::Permission;
use crate::inventory::staff::{self, InviteInput, PasswordLink};
use crate::inventory::{InventoryError, sessions};
use crate::web::auth::{self, CurrentStaff};
use crate::web::errors::HtmlError;
use crate::web::{AppState, csrf, run};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/settings", web::get().to(settings_home))
        .route("/settings/staff", web::get().to(list))
        .route("/settings/staff", web::post().to(invite))
        .route("/settings/staff/{id}/role", web::post().to(change_role))
        .route(
            "/settings/staff/{id}/deactivate",
            web::post().to(deactivate),
        )
        .route(
            "/settings/staff/{id}/reactivate",
            web::post().to(reactivate),
        )
        .route("/settings/staff/{id}/reset", web::post().to(reset))
        .route("/invitations/{secret}", web::get().to(link_page))
        .route("/invitations/{secret}", web::post().to(accept_link))
        .route("/account", web::get().to(account))
        .route("/account/password", web::post().to(change_password));
}

/// `/settings`: the first settings page this role may use.
async fn settings_home(current: CurrentStaff) -> HttpResponse {
    let may = super::Allowed::of(&current);
    see_other(if may.shop {
        "/settings/shop"
    } else if may.tokens {
        "/settings/tokens"
    } else {
        "/account"
    })
}

#[derive(Debug, Clone, Default, Deserialize)]
struct InviteForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    location_id: String,
}

/// A link just issued, shown this once.
struct ShownLink {
    name: String,
    url: String,
    expires: String,
}

#[derive(Template)]
#[template(path = "settings/staff.html")]
struct StaffPage {
    layout: Layout,
    people: Vec<Staff>,
    stores: Vec<Location>,
    roles: Vec<(&'static str, &'static str)>,
    new_link: Option<ShownLink>,
    form: InviteForm,
    error: Option<FieldError>,
    /// The person whose row a refusal is about.
    error_for: Option<i64>,
    me: i64,
}

impl StaffPage {
    fn works_at(&self, person: &Staff, store: &Location) -> bool {
        person.location_id == Some(store.id)
    }

    /// The refusal of a change to this person, shown beside their row.
    fn error_on(&self, person: &Staff) -> Option<&FieldError> {
        self.error
            .as_ref()
            .filter(|_| self.error_for == Some(person.id))
    }

    fn store_name(&self, person: &Staff) -> String {
        person
            .location_id
            .and_then(|id| self.stores.iter().find(|s| s.id == id))
            .map(|s| s.name.clone())
            .unwrap_or_default()
    }
}

async fn page(state: &AppState, current: &CurrentStaff) -> Result<StaffPage, HtmlError> {
    let merchant_id = current.merchant.id;
    let (people, stores) = run(state, move |conn| {
        Ok((
            staff::list_staff(conn, merchant_id)?,
            Location::all_of(conn, merchant_id)?,
        ))
    })
    .await?;
    Ok(StaffPage {
        layout: Layout::new(current, "settings"),
        people,
        stores,
        roles: Role::ALL.iter().map(|r| (r.as_str(), r.label())).collect(),
        new_link: None,
        form: InviteForm {
            role: Role::Cashier.as_str().into(),
            ..InviteForm::default()
        },
        error: None,
        error_for: None,
        me: current.staff.id,
    })
}

fn link_url(req: &HttpRequest, secret: &str) -> String {
    let info = req.connection_info();
    format!("{}://{}/invitations/{secret}", info.scheme(), info.host())
}

fn shown(req: &HttpRequest, current: &CurrentStaff, link: &PasswordLink) -> ShownLink {
    ShownLink {
        name: link.staff.display_name.clone(),
        url: link_url(req, &link.secret),
        expires: current
            .merchant
            .time_zone
            .show(link.expires_at, "%Y-%m-%d %H:%M"),
    }
}

fn unprocessable(page: &StaffPage) -> Result<HttpResponse, HtmlError> {
    let mut response = render(page)?;
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(response)
}

async fn list(
    state: web::Data<AppState>,
    current: CurrentStaff,
) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::ManageStaff)?;
    render(&page(&state, &current).await?)
}

async fn invite(
    req: HttpRequest,
    state: web::Data<AppState>,
    current: CurrentStaff,
    form: web::Form<InviteForm>,
) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::ManageStaff)?;
    let form = form.into_inner();
    let (merchant_id, actor) = (current.merchant.id, current.actor());
    let typed = form.clone();
    let outcome = run(&state, move |conn| {
        staff::invite(
            conn,
            &actor,
            merchant_id,
            &InviteInput {
                email: &typed.email,
                name: &typed.name,
                role: &typed.role,
                location_id: &typed.location_id,
            },
        )
    })
    .await;
    let mut page = page(&state, &current).await?;
    match outcome {
        Ok(link) => {
            log::info!(
                "merchant {merchant_id}: staff {} invited staff {} as {}",
                current.staff.id,
                link.staff.id,
                link.staff.role
            );
            page.new_link = Some(shown(&req, &current, &link));
            render(&page)
        }
        Err(InventoryError::Invalid(error)) => {
            page.error = Some(error);
            page.form = form;
            unprocessable(&page)
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
struct RoleForm {
    #[serde(default)]
    role: String,
    #[serde(default)]
    location_id: String,
}

/// Answers a change to one person: back to the list, or the list with the
/// refusal beside their row.
async fn answer(
    state: &AppState,
    current: &CurrentStaff,
    staff_id: i64,
    outcome: Result<Staff, InventoryError>,
    done: impl FnOnce(&Staff) -> String,
) -> Result<HttpResponse, HtmlError> {
    match outcome {
        Ok(person) => {
            log::info!(
                "merchant {}: staff {} changed staff {}",
                current.merchant.id,
                current.staff.id,
                person.id
            );
            set_flash(&current.session, Notice::success(done(&person)));
            Ok(see_other("/settings/staff"))
        }
        Err(InventoryError::Invalid(error)) => {
            let mut page = page(state, current).await?;
            page.error = Some(error);
            page.error_for = Some(staff_id);
            unprocessable(&page)
        }
        Err(other) => Err(other.into()),
    }
}

async fn change_role(
    state: web::Data<AppState>,
    current: CurrentStaff,
    path: web::Path<i64>,
    form: web::Form<RoleForm>,
) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::ManageStaff)?;
    let (merchant_id, staff_id, form) = (current.merchant.id, path.into_inner(), form.into_inner());
    let actor = current.actor();
    let outcome = run(&state, move |conn| {
        staff::change_role(
            conn,
            &actor,
            merchant_id,
            staff_id,
            &form.role,
            &form.location_id,
        )
    })
    .await;
    answer(&state, &current, staff_id, outcome, |p| {
        format!(
            "{} is now {}",
            p.display_name,
            p.role.label().to_lowercase()
        )
    })
    .await
}

async fn deactivate(
    state: web::Data<AppState>,
    current: CurrentStaff,
    path: web::Path<i64>,
) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::ManageStaff)?;
    let (merchant_id, staff_id) = (current.merchant.id, path.into_inner());
    let actor = current.actor();
    let outcome = run(&state, move |conn| {
        staff::deactivate_staff(conn, &actor, merchant_id, staff_id)
    })
    .await;
    answer(&state, &current, staff_id, outcome, |p| {
        format!(
            "{} is deactivated and signed out everywhere",
            p.display_name
        )
    })
    .await
}

async fn reactivate(
    state: web::Data<AppState>,
    current: CurrentStaff,
    path: web::Path<i64>,
) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::ManageStaff)?;
    let (merchant_id, staff_id) = (current.merchant.id, path.into_inner());
    let actor = current.actor();
    let outcome = run(&state, move |conn| {
        staff::reactivate_staff(conn, &actor, merchant_id, staff_id)
    })
    .await;
    answer(&state, &current, staff_id, outcome, |p| {
        format!("{} can sign in again", p.display_name)
    })
    .await
}

async fn reset(
    req: HttpRequest,
    state: web::Data<AppState>,
    current: CurrentStaff,
    path: web::Path<i64>,
) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::ManageStaff)?;
    let (merchant_id, staff_id) = (current.merchant.id, path.into_inner());
    let actor = current.actor();
    let outcome = run(&state, move |conn| {
        staff::reset_password(conn, &actor, merchant_id, staff_id)
    })
    .await;
    match outcome {
        Ok(link) => {
            log::info!(
                "merchant {merchant_id}: staff {} issued a password link for staff {}",
                current.staff.id,
                link.staff.id
            );
            let mut page = page(&state, &current).await?;
            page.new_link = Some(shown(&req, &current, &link));
            render(&page)
        }
        Err(other) => answer(&state, &current, staff_id, Err(other), |_| String::new()).await,
    }
}

#[derive(Template)]
#[template(path = "account/link.html")]
struct LinkPage {
    csrf_token: String,
    secret: String,
    person: Staff,
    merchant: Merchant,
    error: Option<FieldError>,
}

async fn link_page(
    state: web::Data<AppState>,
    session: Session,
    secret: web::Path<String>,
) -> Result<HttpResponse, HtmlError> {
    let secret = secret.into_inner();
    let lookup = secret.clone();
    let (person, merchant) = run(&state, move |conn| staff::open_link(conn, &lookup))
        .await
        .map_err(link_error)?;
    render(&LinkPage {
        csrf_token: csrf::token(&session),
        secret,
        person,
        merchant,
        error: None,
    })
}

/// An unknown link is a page that says so, like a used or expired one.
fn link_error(error: InventoryError) -> HtmlError {
    match error {
        InventoryError::NotFound(_) => HtmlError::NotFound(
            "This link does not exist. Check that it was copied whole, or ask an owner for a new one.".into(),
        ),
        other => other.into(),
    }
}

#[derive(Debug, Deserialize)]
struct PasswordForm {
    #[serde(default)]
    password: String,
}

async fn accept_link(
    state: web::Data<AppState>,
    session: Session,
    secret: web::Path<String>,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, HtmlError> {
    let secret = secret.into_inner();
    let password = form.into_inner().password;
    let used = secret.clone();
    let outcome = run(&state, move |conn| {
        let person = staff::accept_link(conn, &used, &password)?;
        let session_secret = sessions::begin(conn, &person)?;
        Ok((person, session_secret))
    })
    .await;
    match outcome {
        Ok((person, session_secret)) => {
            log::info!(
                "staff {} of merchant {} set their password through a link",
                person.id,
                person.merchant_id
            );
            auth::sign_in(&session, session_secret)?;
            set_flash(
                &session,
                Notice::success(format!(
                    "Welcome, {}: your password is set",
                    person.display_name
                )),
            );
            Ok(see_other(if person.role == Role::Cashier {
                "/counter"
            } else {
                "/items"
            }))
        }
        Err(InventoryError::Invalid(error)) => {
            let lookup = secret.clone();
            let (person, merchant) = run(&state, move |conn| staff::open_link(conn, &lookup))
                .await
                .map_err(link_error)?;
            let mut response = render(&LinkPage {
                csrf_token: csrf::token(&session),
                secret,
                person,
                merchant,
                error: Some(error),
            })?;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
        Err(other) => Err(link_error(other)),
    }
}

#[derive(Template)]
#[template(path = "account/index.html")]
struct AccountPage {
    layout: Layout,
    person: Staff,
    store: Option<String>,
    error: Option<FieldError>,
}

async fn account_page(
    state: &AppState,
    current: &CurrentStaff,
    error: Option<FieldError>,
) -> Result<HttpResponse, HtmlError> {
    let (merchant_id, own) = (current.merchant.id, current.staff.location_id);
    let store = match own {
        Some(id) => run(state, move |conn| Location::find_any(conn, merchant_id, id))
            .await
            .ok()
            .map(|s| s.name),
        None => None,
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut response = render(&AccountPage {
        layout: Layout::new(current, "settings"),
        person: current.staff.clone(),
        store,
        error,
    })?;
    *response.status_mut() = status;
    Ok(response)
}

async fn account(
    state: web::Data<AppState>,
    current: CurrentStaff,
) -> Result<HttpResponse, HtmlError> {
    account_page(&state, &current, None).await
}

#[derive(Debug, Deserialize)]
struct ChangePasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

async fn change_password(
    state: web::Data<AppState>,
    current: CurrentStaff,
    form: web::Form<ChangePasswordForm>,
) -> Result<HttpResponse, HtmlError> {
    let form = form.into_inner();
    let person = current.staff.clone();
    let outcome = run(&state, move |conn| {
        let person =
            staff::change_own_password(conn, &person, &form.current_password, &form.new_password)?;
        let secret = sessions::begin(conn, &person)?;
        Ok((person, secret))
    })
    .await;
    match outcome {
        Ok((person, secret)) => {
            log::info!(
                "staff {} of merchant {} changed their password",
                person.id,
                person.merchant_id
            );
            auth::sign_in(&current.session, secret)?;
            set_flash(
                &current.session,
                Notice::success("Your password is changed; your other sessions are signed out"),
            );
            Ok(see_other("/account"))
        }
        Err(InventoryError::Invalid(error)) => account_page(&state, &current, Some(error)).await,
        Err(other) => Err(other.into()),
    }
}
