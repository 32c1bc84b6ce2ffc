//! A hold for pickup as a shopper asks for it: who (a name and an email or a
//! phone number), its short pickup code, and the states it goes through.

use serde::{Deserialize, Serialize};

use super::{Email, FieldError, line};

/// Where a hold is in its life. Stored as text with a CHECK.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReservationStatus {
    /// Holding units at the store.
    Open,
    /// Handed over at the counter: sold, the hold consumed.
    PickedUp,
    /// Let go by staff or cancelled by the storefront.
    Released,
    /// Not picked up in time; let go by the scheduler.
    Expired,
}

impl ReservationStatus {
    pub const ALL: [ReservationStatus; 4] = [
        ReservationStatus::Open,
        ReservationStatus::PickedUp,
        ReservationStatus::Released,
        ReservationStatus::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReservationStatus::Open => "open",
            ReservationStatus::PickedUp => "picked_up",
            ReservationStatus::Released => "released",
            ReservationStatus::Expired => "expired",
        }
    }

    pub fn parse(raw: &str) -> Option<ReservationStatus> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// As a person reads it.
    pub fn label(self) -> &'static str {
        match self {
            ReservationStatus::Open => "Held",
            ReservationStatus::PickedUp => "Picked up",
            ReservationStatus::Released => "Released",
            ReservationStatus::Expired => "Expired",
        }
    }
}

/// The characters of a pickup code: no 0/O, 1/I/L, so it reads aloud and
/// types back without doubt.
pub const PICKUP_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/// How many characters a pickup code has.
pub const PICKUP_CODE_LEN: usize = 6;

/// A pickup code as typed or scanned at the counter: six characters of
/// the alphabet, case and spaces or dashes between groups ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickupCode(String);

impl PickupCode {
    /// `None` when the text can't be a pickup code (the counter's search box
    /// then searches items instead).
    pub fn parse(raw: &str) -> Option<PickupCode> {
        let code: String = raw
            .chars()
            .filter(|c| !matches!(c, ' ' | '-'))
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let valid =
            code.len() == PICKUP_CODE_LEN && code.bytes().all(|b| PICKUP_ALPHABET.contains(&b));
        valid.then_some(PickupCode(code))
    }

    /// A code from random bytes, one character per byte.
    pub fn from_random(bytes: [u8; PICKUP_CODE_LEN]) -> PickupCode {
        PickupCode(
            bytes
                .iter()
                .map(|b| PICKUP_ALPHABET[*b as usize % PICKUP_ALPHABET.len()] as char)
                .collect(),
        )
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A phone number: digits with an optional leading `+`, spaces, dashes,
/// dots and brackets allowed between; 7 to 15 digits (E.164's most).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: &str) -> Result<Phone, FieldError> {
        let value = raw.trim();
        let digits = value.chars().filter(char::is_ascii_digit).count();
        let allowed = value.chars().enumerate().all(|(i, c)| {
            c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')') || (c == '+' && i == 0)
        });
        if !allowed || !(7..=15).contains(&digits) {
            return Err(FieldError::new(
                "phone",
                "Enter a phone number of 7 to 15 digits, such as +1 555 010 0199",
            ));
        }
        Ok(Phone(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How the store reaches the shopper: an email address or a phone number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Contact {
    Email(Email),
    Phone(Phone),
}

impl Contact {
    /// From the two fields of a form or body: exactly one is needed; with
    /// both, the email is kept (the store may use either).
    pub fn parse(email: Option<&str>, phone: Option<&str>) -> Result<Contact, FieldError> {
        let email = email.map(str::trim).filter(|e| !e.is_empty());
        let phone = phone.map(str::trim).filter(|p| !p.is_empty());
        match (email, phone) {
            (Some(email), _) => Email::parse(email).map(Contact::Email),
            (None, Some(phone)) => Phone::parse(phone).map(Contact::Phone),
            (None, None) => Err(FieldError::new(
                "email",
                "Enter an email address or a phone number, so the store can reach you",
            )),
        }
    }

    pub fn email(&self) -> Option<&str> {
        match self {
            Contact::Email(email) => Some(email.as_str()),
            Contact::Phone(_) => None,
        }
    }

    pub fn phone(&self) -> Option<&str> {
        match self {
            Contact::Phone(phone) => Some(phone.as_str()),
            Contact::Email(_) => None,
        }
    }
}

/// The shopper's name on a hold: one line, 1 to 100 characters.
pub fn shopper_name(raw: &str) -> Result<String, FieldError> {
    line(raw, "name", "Your name", 100, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pickup_code_ignores_case_spaces_and_dashes_and_refuses_look_alikes() {
        assert_eq!(
            PickupCode::parse(" k7p-3qx ").map(|c| c.0),
            Some("K7P3QX".to_owned())
        );
        for raw in ["K7P3Q0", "K7P3QI", "K7P3Q", "K7P3QXX", "blue mug"] {
            assert_eq!(PickupCode::parse(raw), None, "{raw}");
        }
    }

    #[test]
    fn every_random_code_parses_back() {
        for seed in 0..=255u8 {
            let code = PickupCode::from_random([seed, seed / 3, 7, seed ^ 5, 200, seed]);
            assert_eq!(PickupCode::parse(code.as_str()), Some(code));
        }
    }

    #[test]
    fn a_contact_needs_an_email_or_a_phone_and_names_the_field_it_refuses() {
        assert_eq!(
            Contact::parse(Some(""), Some("")).map_err(|e| e.field),
            Err("email")
        );
        assert_eq!(
            Contact::parse(Some("not-an-email"), None).map_err(|e| e.field),
            Err("email")
        );
        assert_eq!(
            Contact::parse(None, Some("12ab")).map_err(|e| e.field),
            Err("phone")
        );
        assert!(matches!(
            Contact::parse(None, Some("+1 (555) 010-0199")),
            Ok(Contact::Phone(_))
        ));
    }

    #[test]
    fn statuses_read_back_from_their_stored_names() {
        for status in ReservationStatus::ALL {
            assert_eq!(ReservationStatus::parse(status.as_str()), Some(status));
        }
    }
}
