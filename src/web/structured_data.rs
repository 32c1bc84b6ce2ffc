//! schema.org `Product` and `Offer` structured data (JSON-LD) for the shop's
//! pages: a search engine can tell an item sold only in store from one sold
//! online, and which of the merchant's stores carry it, with their addresses.

use serde_json::{Value, json};

use crate::domain::{Currency, Money, OnlineListing};
use crate::inventory::list_feed::ListContext;
use crate::inventory::lists::OnlineListEntry;

/// The product's JSON-LD, ready to sit inside a `<script>` element.
pub fn product_json_ld(merchant: &ListContext, product: &OnlineListEntry) -> String {
    let price = Currency::parse(&product.price.currency)
        .and_then(|currency| Money::from_minor(product.price.amount, currency))
        .map(|money| money.decimal())
        .unwrap_or_default();
    let stores: Vec<Value> = product
        .stores
        .iter()
        .map(|carried| {
            let store = merchant
                .stores
                .iter()
                .find(|store| store.id == carried.location_id);
            let mut place = json!({ "@type": "LocalBusiness", "name": carried.name });
            if let Some(address) = store.map(|s| s.address.trim()).filter(|a| !a.is_empty()) {
                place["address"] = json!(address);
            }
            place
        })
        .collect();
    let mut offer = json!({
        "@type": "Offer",
        "price": price,
        "priceCurrency": product.price.currency,
        "availability": format!("https://schema.org/{}", availability(product)),
        "seller": { "@type": "Organization", "name": merchant.name },
    });
    if !stores.is_empty() {
        offer["availableAtOrFrom"] = Value::Array(stores);
    }
    let mut data = json!({
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product.name,
        "sku": product.sku,
        "offers": offer,
    });
    if !product.description.is_empty() {
        data["description"] = json!(product.description);
    }
    for_script(&data.to_string())
}

/// The schema.org availability: a view-only item is bought in store only;
/// one for sale online is `OnlineOnly` when no store sells it in person,
/// else in or out of stock as a shopper can buy it online now.
fn availability(product: &OnlineListEntry) -> &'static str {
    match product.online.0 {
        OnlineListing::ForSale if !product.purchasable_online => "OutOfStock",
        OnlineListing::ForSale if product.stores.is_empty() => "OnlineOnly",
        OnlineListing::ForSale => "InStock",
        OnlineListing::ViewOnly | OnlineListing::Hidden => "InStoreOnly",
    }
}

/// JSON that can't end its `<script>` element or open a comment in it: `<`,
/// `>` and `&` become JSON escapes, which mean the same characters to a
/// JSON reader (they can only occur inside strings).
fn for_script(json: &str) -> String {
    json.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_cannot_close_the_script_element() {
        let escaped = for_script(r#"{"name":"</script><script>alert(1)</script> & <!--"}"#);
        assert!(!escaped.contains('<') && !escaped.contains('>') && !escaped.contains('&'));
        let back: Value = serde_json::from_str(&escaped).expect("still JSON");
        assert_eq!(back["name"], "</script><script>alert(1)</script> & <!--");
    }
}
