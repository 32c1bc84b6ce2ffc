//! What an API token may do.

use std::fmt;

use super::FieldError;

/// The scope of an API token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenScope {
    /// The online store's server: the online list, events and orders.
    Storefront,
    /// The device at one store: that store's list and its sales.
    Pos,
    /// Back-office integrations: item writes.
    Admin,
}

impl TokenScope {
    pub const ALL: [TokenScope; 3] = [TokenScope::Storefront, TokenScope::Pos, TokenScope::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            TokenScope::Storefront => "storefront",
            TokenScope::Pos => "pos",
            TokenScope::Admin => "admin",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            TokenScope::Storefront => "Storefront (online list, events, orders)",
            TokenScope::Pos => "Point of sale (one store's list and sales)",
            TokenScope::Admin => "Admin (item changes)",
        }
    }

    pub fn parse(raw: &str) -> Result<TokenScope, FieldError> {
        TokenScope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == raw.trim())
            .ok_or_else(|| FieldError::new("scope", "Scope must be storefront, pos or admin"))
    }
}

impl fmt::Display for TokenScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_round_trip_and_unknown_ones_name_the_field() {
        for scope in TokenScope::ALL {
            assert_eq!(TokenScope::parse(scope.as_str()), Ok(scope));
        }
        assert_eq!(TokenScope::parse("root").map_err(|e| e.field), Err("scope"));
    }
}
