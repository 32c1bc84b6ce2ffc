//! Prices in minor units with their currency.

use std::fmt;

use super::FieldError;

/// An ISO 4217 currency code, three upper-case letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency([u8; 3]);

impl Currency {
    pub fn parse(raw: &str) -> Result<Currency, FieldError> {
        let value = raw.trim().to_ascii_uppercase();
        match value.as_bytes() {
            [a, b, c] if value.bytes().all(|b| b.is_ascii_uppercase()) => {
                Ok(Currency([*a, *b, *c]))
            }
            _ => Err(FieldError::new(
                "currency",
                "Currency must be a three-letter code such as USD or EUR",
            )),
        }
    }

    pub fn as_str(&self) -> &str {
        // The bytes were checked to be ASCII upper-case letters on parse.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }
}

/// A symbol for display where one is well known for the currency code.
fn symbol(code: &str) -> Option<&'static str> {
    match code {
        "USD" | "CAD" | "AUD" => Some("$"),
        "EUR" => Some("€"),
        "GBP" => Some("£"),
        _ => None,
    }
}

/// Minor units as a plain decimal, `12.50`.
fn decimal(amount_minor: i64) -> String {
    format!("{}.{:02}", amount_minor / 100, amount_minor % 100)
}

/// How shelfsync shows an amount to a person (`$12.50`, `€3.00`, or
/// `12.50 CHF` where no symbol is well known), for amounts that arrive as
/// minor units and a currency code, as channel lists carry them.
pub fn display_minor(amount_minor: i64, currency_code: &str) -> String {
    match symbol(currency_code) {
        Some(symbol) => format!("{symbol}{}", decimal(amount_minor)),
        None => format!("{} {currency_code}", decimal(amount_minor)),
    }
}

/// An amount of money: whole minor units (cents) of one currency, never negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Money {
    pub amount_minor: i64,
    pub currency: Currency,
}

impl Money {
    /// The highest price an item may have: 1,000,000,000.00.
    pub const MAX_MINOR: i64 = 100_000_000_000;

    pub fn from_minor(amount_minor: i64, currency: Currency) -> Result<Money, FieldError> {
        if !(0..=Self::MAX_MINOR).contains(&amount_minor) {
            return Err(FieldError::new(
                "price",
                "Price must be between 0.00 and 1,000,000,000.00",
            ));
        }
        Ok(Money {
            amount_minor,
            currency,
        })
    }

    /// Parses a price as a person types it: `12`, `12.5`, `12.50`, `1,299.00`.
    pub fn parse_decimal(raw: &str, currency: Currency) -> Result<Money, FieldError> {
        let invalid = || FieldError::new("price", "Enter a price like 12.50 (up to two decimals)");
        let cleaned: String = raw.trim().chars().filter(|c| *c != ',').collect();
        if cleaned.is_empty() {
            return Err(FieldError::new("price", "Price is required"));
        }
        if cleaned.starts_with('-') {
            return Err(FieldError::new("price", "Price cannot be negative"));
        }
        let (whole, fraction) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
        if whole.is_empty() && fraction.is_empty() {
            return Err(invalid());
        }
        if !whole.chars().all(|c| c.is_ascii_digit())
            || !fraction.chars().all(|c| c.is_ascii_digit())
            || fraction.len() > 2
            || whole.len() > 12
        {
            return Err(invalid());
        }
        let whole: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| invalid())?
        };
        let cents: i64 = match fraction.len() {
            0 => 0,
            1 => fraction.parse::<i64>().map_err(|_| invalid())? * 10,
            _ => fraction.parse().map_err(|_| invalid())?,
        };
        let amount = whole
            .checked_mul(100)
            .and_then(|w| w.checked_add(cents))
            .ok_or_else(invalid)?;
        Money::from_minor(amount, currency)
    }

    /// The amount as a plain decimal, `12.50`, for form fields.
    pub fn decimal(&self) -> String {
        decimal(self.amount_minor)
    }
}

impl fmt::Display for Money {
    /// `$12.50`, `€3.00`, or `12.50 CHF` where no symbol is well known.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&display_minor(self.amount_minor, self.currency.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd() -> Currency {
        Currency::parse("usd").expect("USD is a currency code")
    }

    #[test]
    fn decimal_prices_become_minor_units() {
        for (raw, minor) in [
            ("12", 1200),
            ("12.5", 1250),
            ("12.50", 1250),
            ("0.99", 99),
            (".5", 50),
            ("1,299.00", 129_900),
        ] {
            assert_eq!(
                Money::parse_decimal(raw, usd()).map(|m| m.amount_minor),
                Ok(minor),
                "{raw}"
            );
        }
    }

    #[test]
    fn bad_prices_are_refused_naming_the_price_field() {
        for raw in ["", "-1", "abc", "1.999", "1.2.3", ".", "10000000000.00"] {
            let err = Money::parse_decimal(raw, usd()).expect_err(raw);
            assert_eq!(err.field, "price", "{raw}");
        }
    }

    #[test]
    fn money_displays_with_a_symbol_or_the_code() {
        let chf = Currency::parse("CHF").expect("CHF is a currency code");
        assert_eq!(
            Money::from_minor(1250, usd()).map(|m| m.to_string()),
            Ok("$12.50".into())
        );
        assert_eq!(
            Money::from_minor(5, chf).map(|m| m.to_string()),
            Ok("0.05 CHF".into())
        );
    }

    #[test]
    fn minor_units_and_a_code_display_like_money() {
        assert_eq!(display_minor(1450, "USD"), "$14.50");
        assert_eq!(display_minor(7, "CHF"), "0.07 CHF");
    }

    #[test]
    fn currency_must_be_three_letters() {
        assert!(Currency::parse("EURO").is_err());
        assert!(Currency::parse("E1R").is_err());
        assert_eq!(
            Currency::parse("eur").map(|c| c.as_str().to_owned()),
            Ok("EUR".into())
        );
    }
}
