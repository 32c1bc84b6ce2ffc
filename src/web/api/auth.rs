//! Bearer-token authentication for the JSON API. Every request's token is
//! judged by a database read begun after the request arrived (shared with
//! the requests arriving alongside it, see `token_checks`): no answer is
//! cached, because a cache can outlive a revocation made by another process
//! (`shelfsync token revoke`) or another instance.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};

use super::errors::ApiError;
use crate::domain::TokenScope;
use crate::inventory::tokens::ApiToken;
use crate::web::AppState;

/// The token a request was made with.
pub struct ApiCaller {
    pub token: ApiToken,
}

impl ApiCaller {
    /// Refuses (403) a token whose scope is not `scope`.
    pub fn require(&self, scope: TokenScope) -> Result<&ApiToken, ApiError> {
        if self.token.scope == scope {
            Ok(&self.token)
        } else {
            Err(ApiError::wrong_scope(format!(
                "This endpoint needs a {scope} token; this token's scope is {}.",
                self.token.scope
            )))
        }
    }

    pub fn merchant_id(&self) -> i64 {
        self.token.merchant_id
    }
}

impl FromRequest for ApiCaller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<ApiCaller, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let secret = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|s| s.trim().to_owned());
        Box::pin(async move {
            let Some(secret) = secret.filter(|s| !s.is_empty()) else {
                return Err(ApiError::unauthorized(
                    "Send an API token as `Authorization: Bearer <token>`.",
                ));
            };
            let state = state.ok_or_else(|| {
                ApiError::from(crate::inventory::InventoryError::Unavailable(
                    "no application state".into(),
                ))
            })?;
            let checks = state.clone().into_inner();
            match state.token_checks.check(checks, secret).await? {
                Some(token) => Ok(ApiCaller { token }),
                None => Err(ApiError::unauthorized(
                    "The API token is not valid or has been revoked.",
                )),
            }
        })
    }
}
