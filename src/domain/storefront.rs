//! The merchant's own online store, where *Buy online* on the hosted shop
//! leads: a URL pattern with the item's `{sku}` and/or `{id}` in it, such as
//! `https://example.com/products/{sku}`.

use super::FieldError;

/// The form field and JSON name of the pattern.
const FIELD: &str = "storefront_url_pattern";

/// A storefront URL pattern: an absolute http(s) URL naming `{sku}`, `{id}`
/// or both, and no other placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorefrontUrl(String);

impl StorefrontUrl {
    pub const MAX_LEN: usize = 500;
    const PLACEHOLDERS: [&'static str; 2] = ["{sku}", "{id}"];

    /// The pattern as typed; empty means the shop has none (`None`).
    pub fn parse(raw: &str) -> Result<Option<StorefrontUrl>, FieldError> {
        let pattern = raw.trim();
        if pattern.is_empty() {
            return Ok(None);
        }
        let refuse = |why: &str| Err(FieldError::new(FIELD, why));
        if pattern.chars().count() > Self::MAX_LEN {
            return refuse("The storefront URL pattern must be at most 500 characters");
        }
        if pattern.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return refuse("The storefront URL pattern must not contain spaces");
        }
        if !Self::PLACEHOLDERS.iter().any(|p| pattern.contains(p)) {
            return refuse(
                "Put {sku} or {id} where the item goes, e.g. https://example.com/products/{sku}",
            );
        }
        let mut rest = pattern.to_owned();
        for placeholder in Self::PLACEHOLDERS {
            rest = rest.replace(placeholder, "");
        }
        if rest.contains('{') || rest.contains('}') {
            return refuse("The only placeholders are {sku} and {id}");
        }
        // Two items' links must parse and lead to the same host: the item
        // goes in the path or query, never in the store's address.
        let candidate = StorefrontUrl(pattern.to_owned());
        let host_of = |sku: &str, id: i64| {
            url::Url::parse(&candidate.link(sku, id))
                .ok()
                .filter(|url| matches!(url.scheme(), "http" | "https"))
                .and_then(|url| url.host_str().map(str::to_owned))
                .filter(|host| !host.is_empty())
        };
        match (host_of("SKU-A", 1), host_of("SKU-B", 2)) {
            (Some(one), Some(other)) if one == other => Ok(Some(candidate)),
            (Some(_), Some(_)) => {
                refuse("Put {sku} or {id} in the path or query of the address, not in its host")
            }
            _ => refuse(
                "The storefront URL pattern must be a full http:// or https:// address, e.g. https://example.com/products/{sku}",
            ),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address of one item: its SKU and id put in, the SKU
    /// percent-encoded so that a `/` in it stays one path segment.
    pub fn link(&self, sku: &str, id: i64) -> String {
        let sku: String = url::form_urlencoded::byte_serialize(sku.as_bytes()).collect();
        self.0
            .replace("{sku}", &sku)
            .replace("{id}", &id.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pattern_is_an_http_address_naming_the_item() {
        let pattern = StorefrontUrl::parse(" https://example.com/products/{sku}?ref={id} ")
            .expect("valid")
            .expect("set");
        assert_eq!(
            pattern.link("CG/1001", 7),
            "https://example.com/products/CG%2F1001?ref=7"
        );
        assert_eq!(StorefrontUrl::parse("  "), Ok(None));
        assert!(StorefrontUrl::parse("http://shop.example/p/{id}").is_ok());
    }

    #[test]
    fn anything_else_is_refused_on_its_field() {
        for bad in [
            "https://example.com/products",
            "ftp://example.com/{sku}",
            "javascript:alert(1)//{sku}",
            "example.com/{sku}",
            "https://example.com/{sku}/{name}",
            "https://exa mple.com/{sku}",
            "https:///{sku}",
            "https://{sku}.example.com/",
        ] {
            let error = StorefrontUrl::parse(bad).expect_err(bad);
            assert_eq!(error.field, "storefront_url_pattern", "{bad}");
        }
    }
}
