//! API tokens: issued per merchant with a scope, shown once, stored hashed,
//! revocable, with their last use recorded.

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::merchants::Location;
use super::{InventoryError, Result, now};
use crate::db::DbConnection;
use crate::db::models::{ApiTokenRow, NewApiTokenRow};
use crate::db::schema::api_tokens;
use crate::domain::{FieldError, Lines, TokenScope, forbidden_character};

/// What every secret starts with, so a leaked one is recognisable.
pub const SECRET_PREFIX: &str = "sst_";

/// How stale `last_used_at` may get before a request refreshes it; keeps
/// busy readers from turning every request into a write.
const LAST_USED_GRANULARITY: TimeDelta = TimeDelta::seconds(60);

/// An API token as the merchant sees it (never the secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: i64,
    pub merchant_id: i64,
    pub name: String,
    pub scope: TokenScope,
    /// The store a `pos` token is bound to.
    pub location_id: Option<i64>,
    /// The first characters of the secret, to tell tokens apart.
    pub prefix: String,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

impl TryFrom<ApiTokenRow> for ApiToken {
    type Error = InventoryError;

    fn try_from(row: ApiTokenRow) -> Result<ApiToken> {
        let scope = TokenScope::parse(&row.scope)
            .map_err(|e| InventoryError::Corrupt(format!("token {}: {}", row.id, e.message)))?;
        Ok(ApiToken {
            id: row.id,
            merchant_id: row.merchant_id,
            name: row.name,
            scope,
            location_id: row.location_id,
            prefix: row.token_prefix,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            revoked_at: row.revoked_at,
        })
    }
}

/// A newly created token and its secret, which is not stored and cannot be shown again.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub token: ApiToken,
    pub secret: String,
}

/// The stored form of a secret: hex SHA-256. Also how an in-memory cache
/// keys tokens without holding their secrets.
pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.trim().as_bytes()))
}

/// Creates a token. A `pos` token must name one of the merchant's stores;
/// other scopes must not.
pub fn create_token(
    conn: &mut DbConnection,
    merchant_id: i64,
    name: &str,
    scope: TokenScope,
    location_id: Option<i64>,
) -> Result<IssuedToken> {
    let name = name.trim();
    if forbidden_character(name, Lines::Single).is_some() {
        return Err(FieldError::new(
            "name",
            "A token's name is one line without control characters",
        )
        .into());
    }
    if name.is_empty() || name.chars().count() > 100 {
        return Err(FieldError::new(
            "name",
            "Give the token a name of 1–100 characters, such as “Counter iPad”",
        )
        .into());
    }
    match (scope, location_id) {
        (TokenScope::Pos, None) => {
            return Err(FieldError::new(
                "location_id",
                "A point-of-sale token belongs to one store: choose it",
            )
            .into());
        }
        (TokenScope::Pos, Some(location_id)) => {
            Location::find(conn, merchant_id, location_id)?;
        }
        (_, Some(_)) => {
            return Err(FieldError::new(
                "location_id",
                "Only point-of-sale tokens belong to a store",
            )
            .into());
        }
        (_, None) => {}
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = format!("{SECRET_PREFIX}{}", hex::encode(bytes));
    let row: ApiTokenRow = diesel::insert_into(api_tokens::table)
        .values(NewApiTokenRow {
            merchant_id,
            name,
            scope: scope.as_str(),
            location_id,
            token_hash: &hash(&secret),
            token_prefix: &secret[..SECRET_PREFIX.len() + 8],
            created_at: now(),
        })
        .returning(api_tokens::all_columns)
        .get_result(conn)?;
    Ok(IssuedToken {
        token: row.try_into()?,
        secret,
    })
}

/// A token as the dashboard's form asks for it, as typed: a name, a scope,
/// and the store picked in the form's store list, which the form always sends
/// and which only a point-of-sale token keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenRequest<'a> {
    pub name: &'a str,
    pub scope: &'a str,
    pub store: Option<&'a str>,
}

impl TokenRequest<'_> {
    /// The scope and the store the token would belong to, or the field at fault.
    fn parse(&self) -> std::result::Result<(TokenScope, Option<i64>), FieldError> {
        let scope = TokenScope::parse(self.scope)?;
        if scope != TokenScope::Pos {
            return Ok((scope, None));
        }
        let store = match self.store.map(str::trim) {
            None | Some("") => None,
            Some(raw) => Some(
                raw.parse::<i64>()
                    .map_err(|_| FieldError::new("location_id", "Choose a store from the list"))?,
            ),
        };
        Ok((scope, store))
    }
}

/// Creates a token as the dashboard's form asks for it (see `TokenRequest`);
/// every refusal names its field.
pub fn request_token(
    conn: &mut DbConnection,
    merchant_id: i64,
    request: TokenRequest<'_>,
) -> Result<IssuedToken> {
    let (scope, location_id) = request.parse()?;
    create_token(conn, merchant_id, request.name, scope, location_id)
}

/// The live token with this secret, or `None`; records its use.
pub fn authenticate(conn: &mut DbConnection, secret: &str) -> Result<Option<ApiToken>> {
    let row: Option<ApiTokenRow> = api_tokens::table
        .filter(api_tokens::token_hash.eq(hash(secret)))
        .filter(api_tokens::revoked_at.is_null())
        .select(ApiTokenRow::as_select())
        .get_result(conn)
        .optional()?;
    let Some(row) = row else {
        return Ok(None);
    };
    let mut token: ApiToken = row.try_into()?;
    // A point-of-sale token of an archived store stops working with it.
    if let Some(location_id) = token.location_id {
        match Location::find(conn, token.merchant_id, location_id) {
            Ok(_) => {}
            Err(InventoryError::NotFound(_)) => return Ok(None),
            Err(other) => return Err(other),
        }
    }
    let at = now();
    if token
        .last_used_at
        .is_none_or(|last| at - last > LAST_USED_GRANULARITY)
    {
        diesel::update(api_tokens::table.find(token.id))
            .set(api_tokens::last_used_at.eq(at))
            .execute(conn)?;
        token.last_used_at = Some(at);
    }
    Ok(Some(token))
}

/// Whether the token with this id is still live (not revoked): what an open
/// event stream asks now and then, so it ends soon after a revocation.
pub fn is_live(conn: &mut DbConnection, token_id: i64) -> Result<bool> {
    Ok(api_tokens::table
        .find(token_id)
        .filter(api_tokens::revoked_at.is_null())
        .select(api_tokens::id)
        .first::<i64>(conn)
        .optional()?
        .is_some())
}

/// The merchant's tokens, newest first, revoked ones included.
pub fn list_tokens(conn: &mut DbConnection, merchant_id: i64) -> Result<Vec<ApiToken>> {
    api_tokens::table
        .filter(api_tokens::merchant_id.eq(merchant_id))
        .order(api_tokens::id.desc())
        .select(ApiTokenRow::as_select())
        .load(conn)?
        .into_iter()
        .map(ApiToken::try_from)
        .collect()
}

/// Revokes a token of this merchant; it stops working at once, on every
/// instance (tokens are checked against the database on every request).
pub fn revoke_token(conn: &mut DbConnection, merchant_id: i64, token_id: i64) -> Result<ApiToken> {
    let row: ApiTokenRow = diesel::update(
        api_tokens::table
            .filter(api_tokens::id.eq(token_id))
            .filter(api_tokens::merchant_id.eq(merchant_id)),
    )
    .set(api_tokens::revoked_at.eq(now()))
    .returning(api_tokens::all_columns)
    .get_result(conn)
    .optional()?
    .ok_or(InventoryError::NotFound("token"))?;
    row.try_into()
}
