//! Bearer-token authentication for the JSON API.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};

use super::errors::ApiError;
use crate::domain::TokenScope;
use crate::inventory::tokens::{self, ApiToken};
use crate::web::{AppState, run};

/// How long an authenticated token is trusted without asking the database
/// again. Bounds how late a revocation made on another instance takes effect
/// here (one made on this instance takes effect at once), and how often a busy
/// client's `last_used_at` is refreshed.
const TOKEN_TTL: Duration = Duration::from_secs(10);

/// The most tokens remembered; past it the cache starts over.
const TOKEN_CACHE_CAPACITY: usize = 10_000;

/// Recently authenticated tokens, keyed by the hash of their secret.
#[derive(Default)]
pub struct TokenCache {
    /// Token, when it was checked against the database, and
    /// `tokens::revocations()` at that time.
    entries: RwLock<HashMap<String, (ApiToken, Instant, u64)>>,
}

impl TokenCache {
    fn get(&self, hash: &str) -> Option<ApiToken> {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        let (token, checked_at, revocations) = entries.get(hash)?;
        (*revocations == tokens::revocations() && checked_at.elapsed() < TOKEN_TTL)
            .then(|| token.clone())
    }

    fn put(&self, hash: String, token: ApiToken, revocations: u64) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= TOKEN_CACHE_CAPACITY {
            entries.clear();
        }
        entries.insert(hash, (token, Instant::now(), revocations));
    }
}

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
            let hash = tokens::hash(&secret);
            if let Some(token) = state.tokens.get(&hash) {
                return Ok(ApiCaller { token });
            }
            // Read before the lookup, so a revocation racing it invalidates the entry.
            let revocations = tokens::revocations();
            match run(&state, move |conn| tokens::authenticate(conn, &secret)).await? {
                Some(token) => {
                    state.tokens.put(hash, token.clone(), revocations);
                    Ok(ApiCaller { token })
                }
                None => Err(ApiError::unauthorized(
                    "The API token is not valid or has been revoked.",
                )),
            }
        })
    }
}
