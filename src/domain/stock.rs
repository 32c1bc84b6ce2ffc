//! Stock values: quantities, counts, adjustments, reasons, movement kinds and
//! idempotency keys, each parsed from what a person or a device sent.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::FieldError;

/// The largest quantity shelfsync accepts in one movement.
pub const MAX_QUANTITY: i64 = 1_000_000_000;

/// A number of units that moves at once: 1 to 1,000,000,000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quantity(i64);

impl Quantity {
    /// `field` names the input in the error, e.g. `quantity`.
    pub fn new(value: i64, field: &'static str) -> Result<Quantity, FieldError> {
        if value < 1 {
            return Err(FieldError::new(
                field,
                format!("Quantity must be at least 1, not {value}"),
            ));
        }
        if value > MAX_QUANTITY {
            return Err(Quantity::too_large(field));
        }
        Ok(Quantity(value))
    }

    /// The refusal of a quantity above `MAX_QUANTITY`, also for a number too
    /// large to read at all (every channel says it the same way).
    pub fn too_large(field: &'static str) -> FieldError {
        FieldError::new(field, "Quantity must be at most 1,000,000,000")
    }

    /// Parses typed text such as `12`.
    pub fn parse(raw: &str, field: &'static str) -> Result<Quantity, FieldError> {
        let value = parse_whole(raw, field)?;
        Quantity::new(value, field)
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// What a physical count found on the shelf: 0 to 1,000,000,000.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StockCount(i64);

impl StockCount {
    pub fn new(value: i64, field: &'static str) -> Result<StockCount, FieldError> {
        if !(0..=MAX_QUANTITY).contains(&value) {
            return Err(FieldError::new(
                field,
                "A count must be between 0 and 1,000,000,000",
            ));
        }
        Ok(StockCount(value))
    }

    pub fn parse(raw: &str, field: &'static str) -> Result<StockCount, FieldError> {
        StockCount::new(parse_whole(raw, field)?, field)
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

/// A correction of a level by a signed number of units, never zero:
/// `-2` for two broken mugs, `+1` for one found in the back room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Adjustment(i64);

impl Adjustment {
    pub fn new(value: i64, field: &'static str) -> Result<Adjustment, FieldError> {
        if value == 0 {
            return Err(FieldError::new(
                field,
                "An adjustment must change the level: use a number such as -2 or 3",
            ));
        }
        if value.unsigned_abs() > MAX_QUANTITY.unsigned_abs() {
            return Err(FieldError::new(
                field,
                "An adjustment must be at most 1,000,000,000 either way",
            ));
        }
        Ok(Adjustment(value))
    }

    pub fn parse(raw: &str, field: &'static str) -> Result<Adjustment, FieldError> {
        let trimmed = raw.trim();
        let unsigned = trimmed.strip_prefix('+').unwrap_or(trimmed);
        Adjustment::new(parse_whole(unsigned, field)?, field)
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

fn parse_whole(raw: &str, field: &'static str) -> Result<i64, FieldError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(FieldError::new(field, "Enter a number of units"));
    }
    trimmed.parse::<i64>().map_err(|_| {
        let digits = trimmed.trim_start_matches('-');
        if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
            Quantity::too_large(field)
        } else {
            FieldError::new(field, format!("{trimmed:?} is not a whole number of units"))
        }
    })
}

/// Why stock moved, as the movement history shows it: at most 200 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason(String);

impl Reason {
    pub const MAX_LEN: usize = 200;

    /// An empty reason is refused; see `or_default` for kinds that have one.
    pub fn parse(raw: &str) -> Result<Reason, FieldError> {
        let value = raw.trim();
        if value.is_empty() {
            return Err(FieldError::new(
                "reason",
                "Say why, e.g. “broken in transit” or “found in the back room”",
            ));
        }
        if value.chars().count() > Self::MAX_LEN {
            return Err(FieldError::new(
                "reason",
                format!("A reason must be at most {} characters", Self::MAX_LEN),
            ));
        }
        if value.chars().any(char::is_control) {
            return Err(FieldError::new(
                "reason",
                "A reason must be one line of text",
            ));
        }
        Ok(Reason(value.to_owned()))
    }

    /// Parses `raw`, or uses `default` when it is empty.
    pub fn or_default(raw: &str, default: &str) -> Result<Reason, FieldError> {
        if raw.trim().is_empty() {
            Reason::parse(default)
        } else {
            Reason::parse(raw)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What made stock move. Serialised as its `as_str` name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MovementKind {
    /// Sold at the store counter.
    StoreSale,
    /// Taken by an online order (shipped or picked up).
    OnlineOrder,
    /// Delivered to the store.
    Receipt,
    /// Corrected by a person: breakage, loss, found stock.
    Adjustment,
    /// Set to what a physical count found.
    Count,
}

impl MovementKind {
    pub const ALL: [MovementKind; 5] = [
        MovementKind::StoreSale,
        MovementKind::OnlineOrder,
        MovementKind::Receipt,
        MovementKind::Adjustment,
        MovementKind::Count,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MovementKind::StoreSale => "store_sale",
            MovementKind::OnlineOrder => "online_order",
            MovementKind::Receipt => "receipt",
            MovementKind::Adjustment => "adjustment",
            MovementKind::Count => "count",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            MovementKind::StoreSale => "Sale in store",
            MovementKind::OnlineOrder => "Online order",
            MovementKind::Receipt => "Received",
            MovementKind::Adjustment => "Adjusted",
            MovementKind::Count => "Counted",
        }
    }

    pub fn parse(raw: &str) -> Result<MovementKind, FieldError> {
        MovementKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == raw)
            .ok_or_else(|| FieldError::new("kind", format!("Unknown stock movement {raw:?}")))
    }
}

/// The client's name for one stock-changing request, so a retry is
/// recognised: 1–200 visible ASCII characters (a UUID fits).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub const MAX_LEN: usize = 200;

    pub fn parse(raw: &str) -> Result<IdempotencyKey, FieldError> {
        let value = raw.trim();
        if value.is_empty() {
            return Err(FieldError::new(
                "idempotency_key",
                "An idempotency key is required: a fresh random value, such as a UUID, per request",
            ));
        }
        if value.len() > Self::MAX_LEN || !value.chars().all(|c| c.is_ascii_graphic()) {
            return Err(FieldError::new(
                "idempotency_key",
                format!(
                    "An idempotency key is 1–{} visible ASCII characters, such as a UUID",
                    Self::MAX_LEN
                ),
            ));
        }
        Ok(IdempotencyKey(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_run_from_one_to_a_billion() {
        assert_eq!(Quantity::new(1, "quantity").map(Quantity::get), Ok(1));
        assert_eq!(
            Quantity::new(MAX_QUANTITY, "quantity").map(Quantity::get),
            Ok(MAX_QUANTITY)
        );
        for bad in [0, -1, MAX_QUANTITY + 1, i64::MIN, i64::MAX] {
            assert_eq!(
                Quantity::new(bad, "quantity").map_err(|e| e.field),
                Err("quantity"),
                "{bad}"
            );
        }
    }

    #[test]
    fn typed_quantities_parse_and_name_the_field() {
        assert_eq!(Quantity::parse(" 12 ", "qty").map(Quantity::get), Ok(12));
        for bad in [
            "",
            "0",
            "-3",
            "1.5",
            "ten",
            "1000000001",
            "99999999999999999999",
        ] {
            assert_eq!(
                Quantity::parse(bad, "qty").map_err(|e| e.field),
                Err("qty"),
                "{bad:?}"
            );
        }
        assert!(
            Quantity::parse("99999999999999999999", "qty")
                .map_err(|e| e.message)
                .is_err_and(|m| m.contains("at most"))
        );
    }

    #[test]
    fn a_count_may_be_zero_but_not_negative() {
        assert_eq!(
            StockCount::parse("0", "counted").map(StockCount::get),
            Ok(0)
        );
        assert!(StockCount::parse("-1", "counted").is_err());
        assert!(StockCount::parse("1000000001", "counted").is_err());
    }

    #[test]
    fn adjustments_are_signed_and_never_zero() {
        assert_eq!(Adjustment::parse("-2", "by").map(Adjustment::get), Ok(-2));
        assert_eq!(Adjustment::parse("+3", "by").map(Adjustment::get), Ok(3));
        assert_eq!(
            Adjustment::parse("-1000000000", "by").map(Adjustment::get),
            Ok(-MAX_QUANTITY)
        );
        for bad in ["0", "", "-1000000001", "x"] {
            assert!(Adjustment::parse(bad, "by").is_err(), "{bad:?}");
        }
    }

    #[test]
    fn reasons_are_one_short_line() {
        assert_eq!(
            Reason::parse("  broken in transit ").map(|r| r.as_str().to_owned()),
            Ok("broken in transit".to_owned())
        );
        assert!(Reason::parse("   ").is_err());
        assert!(Reason::parse("two\nlines").is_err());
        assert!(Reason::parse(&"x".repeat(201)).is_err());
        assert_eq!(
            Reason::or_default("", "Delivery").map(|r| r.as_str().to_owned()),
            Ok("Delivery".to_owned())
        );
    }

    #[test]
    fn movement_kinds_round_trip() {
        for kind in MovementKind::ALL {
            assert_eq!(MovementKind::parse(kind.as_str()), Ok(kind));
        }
        assert!(MovementKind::parse("theft").is_err());
    }

    #[test]
    fn idempotency_keys_are_visible_ascii() {
        assert!(IdempotencyKey::parse("3f2b8c1e-0d7a-4a55-9d3e-1b2c3d4e5f60").is_ok());
        assert!(IdempotencyKey::parse("").is_err());
        assert!(IdempotencyKey::parse("has space").is_err());
        assert!(IdempotencyKey::parse("clé").is_err());
        assert!(IdempotencyKey::parse(&"k".repeat(201)).is_err());
    }
}
