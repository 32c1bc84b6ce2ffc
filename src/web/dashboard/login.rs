//! Sign in and sign out.

use actix_session::Session;
use actix_web::{HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::see_other;
use crate::inventory::sessions;
use crate::web::auth::{self, CurrentStaff};
use crate::web::errors::HtmlError;
use crate::web::{AppState, csrf, run};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home))
        .route("/login", web::get().to(login_page))
        .route("/login", web::post().to(login))
        .route("/logout", web::post().to(logout))
        .route("/logout/everywhere", web::post().to(logout_everywhere));
}

async fn home() -> HttpResponse {
    see_other("/items")
}

#[derive(Template, WebTemplate)]
#[template(path = "auth/login.html")]
struct LoginPage {
    csrf_token: String,
    email: String,
    error: Option<String>,
}

async fn login_page(
    state: web::Data<AppState>,
    session: Session,
) -> Result<HttpResponse, HtmlError> {
    // An empty database (started with --no-demo) first needs its shop.
    if super::setup::setup_open(&state).await? {
        return Ok(see_other("/setup"));
    }
    super::items::render(&LoginPage {
        csrf_token: csrf::token(&session),
        email: String::new(),
        error: None,
    })
}

#[derive(Deserialize)]
struct LoginForm {
    email: String,
    password: String,
}

async fn login(
    state: web::Data<AppState>,
    session: Session,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, HtmlError> {
    let LoginForm { email, password } = form.into_inner();
    let attempt_email = email.clone();
    let signed_in = run(&state, move |conn| {
        sessions::sign_in(conn, &attempt_email, &password)
    })
    .await?;
    match signed_in {
        Some((staff, secret)) => {
            auth::sign_in(&session, secret)?;
            log::info!(
                "staff {} of merchant {} signed in",
                staff.id,
                staff.merchant_id
            );
            Ok(see_other("/items"))
        }
        None => {
            let page = LoginPage {
                csrf_token: csrf::token(&session),
                email,
                error: Some("That email and password do not match an account.".into()),
            };
            let body = page
                .render()
                .map_err(|e| HtmlError::Internal(format!("login page: {e}")))?;
            Ok(HttpResponse::Unauthorized()
                .content_type("text/html; charset=utf-8")
                .body(body))
        }
    }
}

/// Ends this browser's session; a copy of its cookie stops working too.
async fn logout(
    state: web::Data<AppState>,
    current: CurrentStaff,
) -> Result<HttpResponse, HtmlError> {
    auth::sign_out(&state, current).await?;
    Ok(see_other("/login"))
}

/// Ends every session of the signed-in person, on every device.
async fn logout_everywhere(
    state: web::Data<AppState>,
    current: CurrentStaff,
) -> Result<HttpResponse, HtmlError> {
    log::info!(
        "staff {} of merchant {} signed out everywhere",
        current.staff.id,
        current.merchant.id
    );
    auth::sign_out_everywhere(&state, current).await?;
    Ok(see_other("/login"))
}
