//! Webhook settings a merchant types: the endpoint URL and the event types.

use super::FieldError;

/// An endpoint URL: absolute `http` or `https`, with a host, at most 2,000 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl(String);

impl WebhookUrl {
    pub const MAX_LEN: usize = 2000;

    pub fn parse(raw: &str) -> Result<WebhookUrl, FieldError> {
        let value = raw.trim();
        if value.is_empty() {
            return Err(FieldError::new(
                "url",
                "Enter the URL your online store receives webhooks at, such as https://shop.example/hooks/shelfsync",
            ));
        }
        if value.chars().count() > Self::MAX_LEN {
            return Err(FieldError::new(
                "url",
                format!("The URL must be at most {} characters", Self::MAX_LEN),
            ));
        }
        let parsed = url::Url::parse(value).map_err(|error| {
            FieldError::new(
                "url",
                format!("{value:?} is not a valid URL ({error}); use a full address such as https://shop.example/hooks"),
            )
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(FieldError::new(
                "url",
                format!(
                    "The URL must start with https:// or http://, not {}:",
                    parsed.scheme()
                ),
            ));
        }
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(FieldError::new("url", "The URL must name a host"));
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(FieldError::new(
                "url",
                "Leave credentials out of the URL: every request is signed instead",
            ));
        }
        if parsed.fragment().is_some() {
            return Err(FieldError::new(
                "url",
                "The URL must not have a #fragment; it is never sent to the server",
            ));
        }
        Ok(WebhookUrl(parsed.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Every event type shelfsync sends, with what it announces. The item,
/// location and reservation types carry only what the online list and the
/// storefront's own reservations show (never a shopper's contact) and go to
/// storefronts; the
/// `inventory.` ones carry store-only data (on-hand counts per store, items
/// not listed online) for back-office systems, and are sent only to an
/// endpoint whose owner chose them.
pub const EVENT_TYPES: &[(&str, &str)] = &[
    (
        "item.listing_changed",
        "An item's online listing changed: a new item (with any stock it came with), \
         designation, fields or availability",
    ),
    (
        "item.stock_changed",
        "An existing item's stock moved (sales, orders, receipts, counts)",
    ),
    (
        "location.changed",
        "A store was added or changed: its name or whether it fulfils online orders",
    ),
    (
        "reservation.created",
        "A shopper reserved units of an item for pickup at a store",
    ),
    (
        "reservation.picked_up",
        "A reservation was handed over at the counter (and sold)",
    ),
    (
        "reservation.released",
        "A reservation was released by staff or cancelled",
    ),
    (
        "reservation.expired",
        "A reservation was not picked up in time and its units are free again",
    ),
    (
        INVENTORY_STOCK_CHANGED,
        "Back office only: an item's on-hand count at every store after each stock movement, \
         whether or not it is listed online. Never choose it for a storefront.",
    ),
];

/// An event type as the dashboard names it (its delivery log); the API and
/// the payloads keep the dotted name.
pub fn event_type_label(event_type: &str) -> &str {
    match event_type {
        "item.listing_changed" => "Listing changed",
        "item.stock_changed" => "Stock changed",
        "location.changed" => "Store changed",
        "reservation.created" => "Reservation made",
        "reservation.picked_up" => "Reservation picked up",
        "reservation.released" => "Reservation released",
        "reservation.expired" => "Reservation expired",
        INVENTORY_STOCK_CHANGED => "Stock per store (back office)",
        "webhook.test" => "Test event",
        other => other,
    }
}

/// The back-office event type: on-hand counts per store of every item.
pub const INVENTORY_STOCK_CHANGED: &str = "inventory.stock_changed";

/// Whether an event type carries store-only data, for back-office endpoints
/// that chose it; storefront consumers (the live stream) never get it.
pub fn is_back_office(event_type: &str) -> bool {
    event_type.starts_with("inventory.")
}

/// The event types an endpoint wants: a non-empty subset of `EVENT_TYPES`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventTypes(Vec<&'static str>);

impl EventTypes {
    /// Every storefront event type: the default for a new endpoint. The
    /// back-office `inventory.` types are never in it; they are chosen by name.
    pub fn storefront() -> EventTypes {
        EventTypes(
            EVENT_TYPES
                .iter()
                .map(|(name, _)| *name)
                .filter(|name| !is_back_office(name))
                .collect(),
        )
    }

    /// Parses chosen type names; duplicates are dropped, unknown ones refused.
    pub fn parse<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<EventTypes, FieldError> {
        let mut chosen = Vec::new();
        for name in names {
            let name = name.trim();
            if name.is_empty() {
                continue;
            }
            let known = EVENT_TYPES
                .iter()
                .find(|(known, _)| *known == name)
                .map(|(known, _)| *known)
                .ok_or_else(|| {
                    FieldError::new("event_types", format!("{name:?} is not an event type"))
                })?;
            if !chosen.contains(&known) {
                chosen.push(known);
            }
        }
        if chosen.is_empty() {
            return Err(FieldError::new(
                "event_types",
                "Choose at least one event type to send",
            ));
        }
        chosen.sort_unstable();
        Ok(EventTypes(chosen))
    }

    /// Parses the stored, comma-separated form.
    pub fn from_stored(stored: &str) -> Result<EventTypes, FieldError> {
        EventTypes::parse(stored.split(','))
    }

    /// The comma-separated form stored in the database.
    pub fn to_stored(&self) -> String {
        self.0.join(",")
    }

    pub fn names(&self) -> &[&'static str] {
        &self.0
    }

    pub fn contains(&self, name: &str) -> bool {
        self.0.contains(&name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_and_https_urls_are_accepted() {
        for raw in [
            "https://shop.example/hooks/shelfsync",
            "http://127.0.0.1:9000/webhooks",
            "  https://shop.example  ",
        ] {
            assert!(WebhookUrl::parse(raw).is_ok(), "{raw}");
        }
    }

    #[test]
    fn other_schemes_and_malformed_urls_are_refused_naming_the_url() {
        for raw in [
            "",
            "ftp://shop.example/hooks",
            "javascript:alert(1)",
            "shop.example/hooks",
            "https://",
            "http://user:pw@shop.example/",
            "https://shop.example/#x",
            "https://exa mple.com/",
        ] {
            let error = WebhookUrl::parse(raw).expect_err(raw);
            assert_eq!(error.field, "url", "{raw}");
            assert!(!error.message.is_empty());
        }
    }

    #[test]
    fn event_types_parse_known_names_only_and_round_trip() {
        let types = EventTypes::parse([
            "item.stock_changed",
            "item.listing_changed",
            "item.stock_changed",
        ])
        .expect("known types");
        assert_eq!(
            EventTypes::from_stored(&types.to_stored()).expect("round trip"),
            types
        );
        assert_eq!(types.names().len(), 2);
        assert!(EventTypes::parse(["order.created"]).is_err());
        assert!(EventTypes::parse([INVENTORY_STOCK_CHANGED]).is_ok());
        assert!(!EventTypes::storefront().contains(INVENTORY_STOCK_CHANGED));
        assert!(EventTypes::parse(Vec::<&str>::new()).is_err());
    }
}
