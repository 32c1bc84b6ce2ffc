//! A new password as a person chooses it: long enough and not one of the
//! passwords every attacker tries first.

use super::FieldError;

/// The shortest password a staff account may have.
pub const MIN_PASSWORD_LEN: usize = 10;

/// Passwords refused whatever their length: the most common ones (of 10 or
/// more characters) and the product's own name.
const COMMON: &[&str] = &[
    "1234567890",
    "0123456789",
    "12345678910",
    "1q2w3e4r5t",
    "qwertyuiop",
    "1qaz2wsx3edc",
    "password12",
    "password123",
    "password1234",
    "passw0rd123",
    "iloveyou12",
    "letmein123",
    "welcome123",
    "abc1234567",
    "qwerty1234",
    "qwerty12345",
    "0987654321",
    "1111111111",
    "aaaaaaaaaa",
    "administrator",
    "changeme123",
    "football123",
    "baseball123",
    "sunshine123",
    "shelfsync123",
];

/// The rule, as every refusal states it.
pub fn password_rule() -> String {
    format!(
        "Use at least {MIN_PASSWORD_LEN} characters, and not a common password such as “password123”"
    )
}

/// A password that passed the rule; only ever hashed, never stored.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(…)")
    }
}

impl NewPassword {
    /// Checks a password typed into the form field `field`.
    pub fn parse(raw: &str, field: &'static str) -> Result<NewPassword, FieldError> {
        if raw.chars().count() < MIN_PASSWORD_LEN {
            return Err(FieldError::new(field, password_rule()));
        }
        let lowered = raw.trim().to_lowercase();
        if COMMON.contains(&lowered.as_str()) {
            return Err(FieldError::new(
                field,
                format!(
                    "That password is on the list of common passwords. {}",
                    password_rule()
                ),
            ));
        }
        Ok(NewPassword(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_common_passwords_are_refused_with_the_rule() {
        let short = NewPassword::parse("short", "password").expect_err("too short");
        assert_eq!(short.field, "password");
        assert!(short.message.contains("10 characters"));
        assert!(NewPassword::parse("Password123", "password").is_err());
        assert!(NewPassword::parse("correct horse battery", "password").is_ok());
    }
}
