//! Staff sign-in and sign-out. The session cookie holds only the secret of a
//! server-side session (`inventory::sessions`), checked on every request in
//! the same query that loads the staff member, so signing out ends the
//! session for every copy of the cookie.

use std::future::Future;
use std::pin::Pin;

use actix_session::{Session, SessionExt};
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};

use super::errors::HtmlError;
use super::{AppState, htmx, run};
use crate::inventory::merchants::{Merchant, Staff};
use crate::inventory::{Actor, sessions};

/// The session key under which the cookie keeps the server session's secret.
const SECRET: &str = "session";

/// The signed-in staff member and their merchant; every dashboard handler
/// takes one, so no dashboard page is reachable without signing in.
pub struct CurrentStaff {
    pub staff: Staff,
    pub merchant: Merchant,
    pub session: Session,
    /// The secret naming this browser's server-side session.
    secret: String,
}

impl CurrentStaff {
    /// Whether this browser's session is still open now (not signed out, not
    /// expired, the staff member not deactivated): for long-lived responses
    /// such as live streams, which outlast the check made when they began.
    pub fn still_signed_in(
        &self,
    ) -> impl Fn(&mut crate::db::DbConnection) -> crate::inventory::Result<bool> + Send + Clone + 'static
    {
        let secret = self.secret.clone();
        move |conn| Ok(sessions::signed_in(conn, &secret)?.is_some())
    }

    /// The staff member as the audit log names them.
    pub fn actor(&self) -> Actor {
        Actor::of(&self.staff)
    }
}

impl FromRequest for CurrentStaff {
    type Error = HtmlError;
    type Future = Pin<Box<dyn Future<Output = Result<CurrentStaff, HtmlError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let session = req.get_session();
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let login_required = HtmlError::LoginRequired {
            htmx: htmx::is_htmx(req),
        };
        Box::pin(async move {
            let state =
                state.ok_or_else(|| HtmlError::Internal("application state is missing".into()))?;
            let Ok(Some(secret)) = session.get::<String>(SECRET) else {
                return Err(login_required);
            };
            let lookup = secret.clone();
            match run(&state, move |conn| sessions::signed_in(conn, &lookup)).await? {
                Some((staff, merchant)) => Ok(CurrentStaff {
                    staff,
                    merchant,
                    session,
                    secret,
                }),
                None => {
                    session.purge();
                    Err(login_required)
                }
            }
        })
    }
}

/// Gives this browser a fresh cookie naming the server-side session
/// `secret` (from `sessions::sign_in`), and a new CSRF token.
pub fn sign_in(session: &Session, secret: String) -> Result<(), HtmlError> {
    session.renew();
    session
        .insert(SECRET, secret)
        .map_err(|e| HtmlError::Internal(format!("could not write the session: {e}")))?;
    super::csrf::rotate(session);
    Ok(())
}

/// Ends this browser's session on the server and forgets the cookie.
pub async fn sign_out(state: &AppState, current: CurrentStaff) -> Result<(), HtmlError> {
    let secret = current.secret;
    run(state, move |conn| sessions::end(conn, &secret)).await?;
    current.session.purge();
    Ok(())
}

/// Ends every session of the signed-in person, in every browser.
pub async fn sign_out_everywhere(state: &AppState, current: CurrentStaff) -> Result<(), HtmlError> {
    let staff_id = current.staff.id;
    run(state, move |conn| sessions::end_everywhere(conn, staff_id)).await?;
    current.session.purge();
    Ok(())
}
