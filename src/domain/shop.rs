//! A shop's own values: its URL slug, its name, its time zone, and a store's
//! free-text address and opening hours.

use chrono::{NaiveDateTime, TimeZone as _};

use super::FieldError;
use super::text::{Lines, forbidden_character};

/// The URL name of a hosted shop, `/shop/{slug}`: 1–64 lower-case letters,
/// digits and dashes, not starting or ending with a dash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slug(String);

impl Slug {
    pub const MAX_LEN: usize = 64;

    pub fn parse(raw: &str) -> Result<Slug, FieldError> {
        let value = raw.trim();
        let fits = !value.is_empty()
            && value.len() <= Self::MAX_LEN
            && !value.starts_with('-')
            && !value.ends_with('-')
            && value
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if fits {
            Ok(Slug(value.to_owned()))
        } else {
            Err(FieldError::new(
                "slug",
                "Use 1–64 lower-case letters, digits and dashes, such as harbour-books",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A line of text a person types: trimmed, at most `max` characters, no
/// control characters; `required` refuses an empty one.
pub fn line(
    raw: &str,
    field: &'static str,
    label: &str,
    max: usize,
    required: bool,
) -> Result<String, FieldError> {
    let value = raw.trim();
    if required && value.is_empty() {
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
            format!("{label} must be on one line, without control characters"),
        ));
    }
    Ok(value.to_owned())
}

/// Free text over several lines (a store's opening hours): line breaks are
/// kept, other control characters refused.
pub fn text_block(
    raw: &str,
    field: &'static str,
    label: &str,
    max: usize,
) -> Result<String, FieldError> {
    let value = raw.trim().replace("\r\n", "\n");
    if value.chars().count() > max {
        return Err(FieldError::new(
            field,
            format!("{label} must be at most {max} characters"),
        ));
    }
    if forbidden_character(&value, Lines::Multi).is_some() {
        return Err(FieldError::new(
            field,
            format!("{label} must not contain control characters"),
        ));
    }
    Ok(value)
}

/// A merchant's time zone, by its IANA name (`Europe/Dublin`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone(chrono_tz::Tz);

impl TimeZone {
    pub const UTC: TimeZone = TimeZone(chrono_tz::Tz::UTC);

    pub fn parse(raw: &str) -> Result<TimeZone, FieldError> {
        raw.trim()
            .parse::<chrono_tz::Tz>()
            .map(TimeZone)
            .map_err(|_| {
                FieldError::new(
                    "time_zone",
                    format!(
                        "{:?} is not a time zone name; use one such as Europe/Dublin or America/New_York",
                        raw.trim()
                    ),
                )
            })
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// A stored time (UTC without an offset) as the clock reads in this zone.
    pub fn local(&self, utc: NaiveDateTime) -> NaiveDateTime {
        self.0.from_utc_datetime(&utc).naive_local()
    }

    /// A stored time in this zone, with the zone's abbreviation:
    /// `2026-11-30 09:15 GMT`.
    pub fn show(&self, utc: NaiveDateTime, format: &str) -> String {
        let local = self.0.from_utc_datetime(&utc);
        format!("{} {}", local.format(format), local.format("%Z"))
    }

    /// A time as typed in this zone (a `datetime-local` input:
    /// `2026-12-11T09:00`, seconds optional), as a stored time (UTC). A time
    /// the clocks skip is refused; one they pass twice is the earlier.
    pub fn parse_local(&self, raw: &str, field: &'static str) -> Result<NaiveDateTime, FieldError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(FieldError::new(field, "Choose a date and time"));
        }
        let local = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
            .iter()
            .find_map(|format| NaiveDateTime::parse_from_str(raw, format).ok())
            .ok_or_else(|| {
                FieldError::new(
                    field,
                    format!("{raw:?} is not a date and time; use the form 2026-12-11T09:00"),
                )
            })?;
        self.0
            .from_local_datetime(&local)
            .earliest()
            .map(|at| at.naive_utc())
            .ok_or_else(|| {
                FieldError::new(
                    field,
                    format!(
                        "{raw} does not exist in {} (the clocks skip it); choose another time",
                        self.name()
                    ),
                )
            })
    }

    /// Every zone name, for the settings form's suggestions.
    pub fn names() -> impl Iterator<Item = &'static str> {
        chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_time_is_read_in_the_zone_and_stored_in_utc() {
        let dublin = TimeZone::parse("Europe/Dublin").expect("a zone");
        let summer = dublin
            .parse_local("2026-07-03T09:00", "due_at")
            .expect("valid");
        assert_eq!(summer.to_string(), "2026-07-03 08:00:00");
        assert!(dublin.parse_local("tomorrow", "due_at").is_err());
        assert!(dublin.parse_local("", "due_at").is_err());
        // The clocks skip 01:00–02:00 on the last Sunday of March.
        assert!(dublin.parse_local("2026-03-29T01:30", "due_at").is_err());
    }

    #[test]
    fn slugs_are_lower_case_words_joined_by_dashes() {
        assert_eq!(
            Slug::parse(" harbour-books ").map(|s| s.0),
            Ok("harbour-books".into())
        );
        for bad in ["", "Harbour", "harbour books", "-harbour", "harbour-", "é"] {
            assert_eq!(
                Slug::parse(bad).map_err(|e| e.field),
                Err("slug"),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn time_zones_are_iana_names_and_convert_stored_times() {
        let dublin = TimeZone::parse("Europe/Dublin").expect("a zone");
        let summer = chrono::NaiveDate::from_ymd_opt(2026, 7, 1)
            .and_then(|d| d.and_hms_opt(12, 0, 0))
            .expect("a time");
        assert_eq!(dublin.local(summer).format("%H:%M").to_string(), "13:00");
        assert_eq!(dublin.show(summer, "%H:%M"), "13:00 IST");
        assert!(TimeZone::parse("Mars/Olympus").is_err());
        assert!(TimeZone::parse("").is_err());
    }
}
