//! Barcodes as printed on the pack: GTIN-8, UPC-A (12), EAN-13 or GTIN-14.

use super::FieldError;

/// A GTIN whose check digit is right, so a mistyped scan is caught at entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Barcode(String);

impl Barcode {
    /// Empty input means "no barcode".
    pub fn parse_optional(raw: &str) -> Result<Option<Barcode>, FieldError> {
        let value: String = raw.trim().chars().filter(|c| *c != ' ').collect();
        if value.is_empty() {
            return Ok(None);
        }
        if !value.chars().all(|c| c.is_ascii_digit()) {
            return Err(FieldError::new(
                "barcode",
                "Barcode must contain digits only",
            ));
        }
        if ![8, 12, 13, 14].contains(&value.len()) {
            return Err(FieldError::new(
                "barcode",
                format!(
                    "Barcode must have 8, 12, 13 or 14 digits, not {}",
                    value.len()
                ),
            ));
        }
        let digits: Vec<u32> = value.chars().filter_map(|c| c.to_digit(10)).collect();
        let (body, check) = digits.split_at(digits.len() - 1);
        if Self::check_digit(body) != check[0] {
            return Err(FieldError::new(
                "barcode",
                "Barcode check digit does not match: please re-scan or re-type it",
            ));
        }
        Ok(Some(Barcode(value)))
    }

    /// The GS1 check digit for the digits before it.
    pub fn check_digit(body: &[u32]) -> u32 {
        let sum: u32 = body
            .iter()
            .rev()
            .enumerate()
            .map(|(i, d)| if i % 2 == 0 { d * 3 } else { *d })
            .sum();
        (10 - sum % 10) % 10
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_real_ean13_is_accepted_and_empty_means_none() {
        assert_eq!(
            Barcode::parse_optional("4006381333931").map(|b| b.map(|b| b.0)),
            Ok(Some("4006381333931".to_owned()))
        );
        assert_eq!(Barcode::parse_optional("  "), Ok(None));
    }

    #[test]
    fn a_wrong_check_digit_or_length_is_refused() {
        assert!(Barcode::parse_optional("4006381333932").is_err());
        assert!(Barcode::parse_optional("12345").is_err());
        assert!(Barcode::parse_optional("40063813339x1").is_err());
    }
}
