//! Staff sign-in: the session holds the staff id and the session epoch it was
//! issued under; bumping the epoch in the database signs that person out
//! everywhere, which a cookie-only session could not do on its own.

use std::future::Future;
use std::pin::Pin;

use actix_session::{Session, SessionExt};
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};

use super::errors::HtmlError;
use super::{AppState, htmx, run};
use crate::inventory::merchants::{Merchant, Staff};
use crate::inventory::{Actor, InventoryError};

const STAFF_ID: &str = "staff_id";
const EPOCH: &str = "epoch";

/// The signed-in staff member and their merchant; every dashboard handler
/// takes one, so no dashboard page is reachable without signing in.
pub struct CurrentStaff {
    pub staff: Staff,
    pub merchant: Merchant,
    pub session: Session,
}

impl CurrentStaff {
    /// The staff member as the audit log names them.
    pub fn actor(&self) -> Actor {
        Actor::staff(&self.staff.display_name)
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
            let (Ok(Some(staff_id)), Ok(Some(epoch))) =
                (session.get::<i64>(STAFF_ID), session.get::<i64>(EPOCH))
            else {
                return Err(login_required);
            };
            let loaded = run(&state, move |conn| {
                let staff = Staff::find(conn, staff_id)?;
                let merchant = Merchant::find(conn, staff.merchant_id)?;
                Ok((staff, merchant))
            })
            .await;
            match loaded {
                Ok((staff, merchant)) if staff.session_epoch == epoch => Ok(CurrentStaff {
                    staff,
                    merchant,
                    session,
                }),
                Ok(_) | Err(InventoryError::NotFound(_)) => {
                    session.purge();
                    Err(login_required)
                }
                Err(other) => Err(other.into()),
            }
        })
    }
}

/// Starts a fresh session for `staff`: a new cookie, a new CSRF token.
pub fn sign_in(session: &Session, staff: &Staff) -> Result<(), HtmlError> {
    session.renew();
    session
        .insert(STAFF_ID, staff.id)
        .and_then(|()| session.insert(EPOCH, staff.session_epoch))
        .map_err(|e| HtmlError::Internal(format!("could not write the session: {e}")))?;
    super::csrf::rotate(session);
    Ok(())
}
