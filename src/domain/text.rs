//! Text as people type it: the one rule for control characters in any text
//! input, and the short values built on it (sku, item name, description,
//! staff email, merchant slug, token name).

use super::FieldError;

/// Whether a text field may span lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    /// One line: no control character at all.
    Single,
    /// Several lines (descriptions): tab, newline and carriage return are
    /// allowed, no other control character.
    Multi,
}

/// The first character of `value` that a text field of this kind refuses:
/// NUL and every other control character (C0, DEL and C1), except tab and
/// line breaks in multi-line text. PostgreSQL cannot store NUL at all, and
/// the others hide text from people or break the lines they read.
pub fn forbidden_character(value: &str, lines: Lines) -> Option<char> {
    value
        .chars()
        .find(|&c| c.is_control() && !(lines == Lines::Multi && matches!(c, '\t' | '\n' | '\r')))
}

/// Text decoded from a request (a form or JSON field, a query parameter, a
/// path segment) held a character no text input may hold; names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} must not contain control characters (found {found:?})")]
pub struct ControlCharacter {
    /// The field as the request names it (`q`, `email`, `lines[0].sku`, …).
    pub field: String,
    pub found: char,
}

/// Refuses text decoded at the edge of the application when it holds a
/// character that no text input may hold (see `forbidden_character`; the
/// edge allows line breaks, which single-line fields refuse themselves).
pub fn check_input(field: &str, value: &str) -> Result<(), ControlCharacter> {
    match forbidden_character(value, Lines::Multi) {
        Some(found) => Err(ControlCharacter {
            field: field.to_owned(),
            found,
        }),
        None => Ok(()),
    }
}

/// A trimmed single line of 1–`max` characters for the field `field`, as
/// names are: no control characters.
pub fn single_line<'a>(
    field: &'static str,
    label: &str,
    raw: &'a str,
    max: usize,
) -> Result<&'a str, FieldError> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(FieldError::new(field, format!("{label} is required")));
    }
    if value.chars().count() > max {
        return Err(FieldError::new(
            field,
            format!("{label} must be at most {max} characters"),
        ));
    }
    if forbidden_character(value, Lines::Single).is_some() {
        return Err(FieldError::new(
            field,
            format!("{label} must be a single line without control characters"),
        ));
    }
    Ok(value)
}

/// Where a form sends the browser back to: a path on this site only. It
/// starts with one `/`, and holds no backslash and no control character,
/// since browsers drop tabs and newlines from a URL and read `\\` as `/`, so
/// `/\t/evil.example` or `/\\evil.example` would leave the site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnPath(String);

impl ReturnPath {
    pub fn parse(raw: &str) -> Result<ReturnPath, FieldError> {
        let same_site = raw.starts_with('/')
            && !raw.starts_with("//")
            && !raw.contains('\\')
            && !raw.chars().any(char::is_control);
        if !same_site {
            return Err(FieldError::new(
                "return_to",
                "Give a path on this site, such as /items",
            ));
        }
        Ok(ReturnPath(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

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
        single_line("name", "Name", raw, Self::MAX_LEN).map(|value| ItemName(value.to_owned()))
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
        if forbidden_character(value, Lines::Multi).is_some() {
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
            && !value.chars().any(|c| c.is_whitespace() || c.is_control());
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
    fn nul_and_other_controls_are_refused_but_descriptions_keep_their_lines() {
        for bad in ["a\0b", "a\u{1b}b", "a\u{7f}b", "a\u{85}b"] {
            assert!(forbidden_character(bad, Lines::Multi).is_some(), "{bad:?}");
            assert!(check_input("q", bad).is_err_and(|e| e.field == "q"));
            assert!(ItemName::parse(bad).is_err());
            assert!(Description::parse(bad).is_err());
            assert!(Email::parse(&format!("{bad}@example.com")).is_err());
        }
        assert_eq!(forbidden_character("tab\tline\r\n", Lines::Multi), None);
        assert_eq!(forbidden_character("tab\t", Lines::Single), Some('\t'));
        assert!(Description::parse("one\ttwo\r\nthree").is_ok());
        assert!(ItemName::parse("one\ntwo").is_err());
        assert_eq!(check_input("q", "café ☕"), Ok(()));
    }

    #[test]
    fn return_paths_stay_on_this_site() {
        for good in ["/items", "/items?q=mug&page=2", "/items/3#stock"] {
            assert_eq!(
                ReturnPath::parse(good).map(ReturnPath::into_string),
                Ok(good.to_owned())
            );
        }
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "\t//evil.example",
            "https://evil.example/",
            "items",
            "",
            "/items\0",
        ] {
            assert_eq!(
                ReturnPath::parse(bad).map_err(|e| e.field),
                Err("return_to"),
                "{bad:?}"
            );
        }
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
