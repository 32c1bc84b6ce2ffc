//! Sign in and sign out.

use actix_session::Session;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::see_other;
use crate::inventory::sign_in::{self, Attempt, Outcome};
use crate::web::auth::{self, CurrentStaff};
use crate::web::client_address::client_address;
use crate::web::errors::HtmlError;
use crate::web::{AppState, csrf};

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
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, HtmlError> {
    let LoginForm { email, password } = form.into_inner();
    let address = client_address(&req);
    let pool = state.pool.clone();
    let typed = email.clone();
    // On a blocking thread: argon2 takes tens of milliseconds of CPU, and
    // `sign_in` holds no connection while it runs.
    let outcome = web::block(crate::logging::carry(move || {
        sign_in::sign_in(
            &pool,
            Attempt {
                email: &typed,
                password: &password,
                address: &address,
            },
        )
    }))
    .await
    .map_err(|e| HtmlError::Internal(format!("sign-in: {e}")))??;
    let (status, error) = match outcome {
        Outcome::SignedIn { staff, secret } => {
            auth::sign_in(&session, secret)?;
            log::info!(
                "staff {} of merchant {} signed in",
                staff.id,
                staff.merchant_id
            );
            return Ok(see_other("/items"));
        }
        Outcome::Refused => (
            StatusCode::UNAUTHORIZED,
            "That email and password do not match an account.".to_owned(),
        ),
        Outcome::Throttled { retry_after } => {
            let minutes = (retry_after.num_seconds() + 59) / 60;
            let page = login_page_with(
                &session,
                email,
                format!(
                    "Too many failed sign-ins for this account or from this network. \
                     Try again in {minutes} minute{}.",
                    if minutes == 1 { "" } else { "s" }
                ),
            )?;
            return Ok(HttpResponse::TooManyRequests()
                .insert_header((header::RETRY_AFTER, retry_after.num_seconds().max(1)))
                .content_type("text/html; charset=utf-8")
                .body(page));
        }
    };
    let page = login_page_with(&session, email, error)?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(page))
}

/// The login page again, with the email as typed and a message.
fn login_page_with(session: &Session, email: String, error: String) -> Result<String, HtmlError> {
    LoginPage {
        csrf_token: csrf::token(session),
        email,
        error: Some(error),
    }
    .render()
    .map_err(|e| HtmlError::Internal(format!("login page: {e}")))
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
