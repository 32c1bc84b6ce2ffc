//! What a Shopify product export means: a product's listing from its
//! status, a variant's name from its options, and its HTML description as
//! text.

use std::collections::HashMap;

use super::mapping::Target;
use super::row_plan::parse_flag;
use crate::domain::OnlineListing;

/// A Shopify product's listing: for sale when active (and published, when
/// the export says), otherwise not online.
pub(super) fn shopify_listing(cells: &HashMap<Target, String>) -> OnlineListing {
    let status = cells
        .get(&Target::Status)
        .map(|s| s.trim().to_ascii_lowercase());
    let published = cells.get(&Target::Published).and_then(|p| parse_flag(p));
    let active = match status.as_deref() {
        Some("") | None => published.unwrap_or(false),
        Some(status) => status == "active" && published.unwrap_or(true),
    };
    if active {
        OnlineListing::ForSale
    } else {
        OnlineListing::Hidden
    }
}

/// `Title — Red / Large`; a product's single `Default Title` variant keeps
/// the title alone.
pub(super) fn shopify_name(title: &str, options: &[String]) -> String {
    let options: Vec<&str> = options
        .iter()
        .map(String::as_str)
        .filter(|o| *o != "Default Title")
        .collect();
    if options.is_empty() {
        title.to_owned()
    } else {
        format!("{title} — {}", options.join(" / "))
    }
}

/// Shopify's `Body (HTML)` as plain text: tags dropped (block ends become
/// line breaks), the common entities decoded, runs of blank lines closed up.
pub(super) fn text_of_html(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        text.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('>') else {
            rest = &rest[open..];
            break;
        };
        let tag = rest[open + 1..open + close]
            .trim_start_matches('/')
            .to_ascii_lowercase();
        if ["p", "br", "div", "li", "h1", "h2", "h3", "h4", "tr"]
            .iter()
            .any(|block| tag.split([' ', '/']).next() == Some(block))
        {
            text.push('\n');
        }
        rest = &rest[open + close + 1..];
    }
    text.push_str(rest);
    let decoded = text
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    decoded
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shopify_html_becomes_text() {
        assert_eq!(
            text_of_html(
                "<p>Light &amp; <strong>warm</strong></p><ul><li>Wool</li><li>Cotton</li></ul>"
            ),
            "Light & warm\nWool\nCotton"
        );
    }

    #[test]
    fn variants_are_named_by_their_options() {
        assert_eq!(shopify_name("Scarf", &["Default Title".into()]), "Scarf");
        assert_eq!(
            shopify_name("Scarf", &["Red".into(), "Long".into()]),
            "Scarf — Red / Long"
        );
    }
}
