//! Short text values: sku, item name, description, staff email.

use super::FieldError;

/// A stock-keeping unit: 1–64 characters of letters, digits and `-_./`,
/// unique per merchant. Kept as typed (case matters to some merchants' systems).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sku(String);

impl Sku {
    pub const MAX_LEN: usize = 64;

    pub fn parse(raw: &str) -> Result<Sku, FieldError> {
        let value = raw.trim();
        if value.is_empty() {
            return Err(FieldError::new("sku", "SKU is required"));
        }
        if value.chars().count() > Self::MAX_LEN {
            return Err(FieldError::new(
                "sku",
                format!("SKU must be at most {} characters", Self::MAX_LEN),
            ));
        }
        if let Some(bad) = value
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/')))
        {
            return Err(FieldError::new(
                "sku",
                format!("SKU may use letters, digits and - _ . / only, not {bad:?}"),
            ));
        }
        Ok(Sku(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An item's display name: 1–200 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemName(String);

impl ItemName {
    pub const MAX_LEN: usize = 200;

    pub fn parse(raw: &str) -> Result<ItemName, FieldError> {
        let value = raw.trim();
        if value.is_empty() {
            return Err(FieldError::new("name", "Name is required"));
        }
        if value.chars().count() > Self::MAX_LEN {
            return Err(FieldError::new(
                "name",
                format!("Name must be at most {} characters", Self::MAX_LEN),
            ));
        }
        if value.chars().any(char::is_control) {
            return Err(FieldError::new(
                "name",
                "Name must be a single line without control characters",
            ));
        }
        Ok(ItemName(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A longer description shown to shoppers: up to 5,000 characters, may be empty.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Description(String);

impl Description {
    pub const MAX_LEN: usize = 5_000;

    pub fn parse(raw: &str) -> Result<Description, FieldError> {
        let value = raw.trim();
        if value.chars().count() > Self::MAX_LEN {
            return Err(FieldError::new(
                "description",
                format!("Description must be at most {} characters", Self::MAX_LEN),
            ));
        }
        if value
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
        {
            return Err(FieldError::new(
                "description",
                "Description must not contain control characters",
            ));
        }
        Ok(Description(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A staff login: compared case-insensitively, stored lower-case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Email, FieldError> {
        let value = raw.trim().to_lowercase();
        let valid = value.len() <= 254
            && value
                .split_once('@')
                .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
            && !value.chars().any(char::is_whitespace);
        if !valid {
            return Err(FieldError::new(
                "email",
                "Enter an email address like sam@example.com",
            ));
        }
        Ok(Email(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sku_is_trimmed_and_keeps_its_case() {
        assert_eq!(
            Sku::parse("  Mug-01/b ").map(|s| s.0),
            Ok("Mug-01/b".to_owned())
        );
    }

    #[test]
    fn sku_rejects_empty_long_and_spaced_values_naming_the_field() {
        for raw in ["", "   ", "has space", "semi;colon", &"x".repeat(65)] {
            let err = Sku::parse(raw).expect_err(raw);
            assert_eq!(err.field, "sku");
        }
    }

    #[test]
    fn name_rejects_control_characters_and_overlong_values() {
        assert!(ItemName::parse("Blue mug").is_ok());
        assert_eq!(ItemName::parse("a\u{7}b").map_err(|e| e.field), Err("name"));
        assert!(ItemName::parse(&"n".repeat(201)).is_err());
        assert!(ItemName::parse(&"n".repeat(200)).is_ok());
    }

    #[test]
    fn description_allows_newlines_but_not_other_controls() {
        assert!(Description::parse("line one\nline two").is_ok());
        assert!(Description::parse("bell\u{7}").is_err());
    }

    #[test]
    fn email_is_lowercased_and_needs_a_domain() {
        assert_eq!(
            Email::parse(" Sam@Corner.Example ").map(|e| e.0),
            Ok("sam@corner.example".into())
        );
        assert!(Email::parse("sam").is_err());
        assert!(Email::parse("sam@localhost").is_err());
    }
}
