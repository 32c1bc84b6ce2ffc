//! The words the dashboard uses for stored codes: one place, so the item
//! page's history, `/activity`, conflict messages and the delivery log all
//! say "For sale online" where the API says `for_sale`. Raw codes appear only
//! in the API (and as `data-` attributes for scripts and tests).

use super::Layout;
use crate::domain::OnlineListing;
use crate::inventory::audit::{AuditEntry, AuditField};
use crate::inventory::webhooks::DeliveryStatus;

/// What a changed field is called.
pub fn field_label(field: AuditField) -> &'static str {
    match field {
        AuditField::Created => "Created",
        AuditField::Sku => "SKU",
        AuditField::Name => "Name",
        AuditField::Description => "Description",
        AuditField::Price => "Price",
        AuditField::Barcode => "Barcode",
        AuditField::InStore => "In store",
        AuditField::Online => "Online",
        AuditField::Status => "Status",
        AuditField::OnlineBuffer => "Online buffer",
        AuditField::AllowBackorder => "Backorder",
        AuditField::AutoViewOnly => "View-only when sold out online",
        AuditField::StoreAdded => "Store added",
        AuditField::StoreName => "Name",
        AuditField::Address => "Address",
        AuditField::Hours => "Opening hours",
        AuditField::FulfilsOnline => "Online orders",
        AuditField::StoreStatus | AuditField::StaffStatus => "Status",
        AuditField::Invited => "Invited",
        AuditField::Role => "Role",
        AuditField::PasswordLink => "Password link",
        AuditField::Password => "Password",
        AuditField::ShopName => "Shop name",
        AuditField::Slug => "Shop address (slug)",
        AuditField::Currency => "Currency",
        AuditField::TimeZone => "Time zone",
        AuditField::DefaultOnlineBuffer => "Default online buffer",
        AuditField::AutoViewOnlyDefault => "Switch new items to view-only when sold out",
        AuditField::StorefrontUrl => "Storefront URL pattern",
        AuditField::ReservationMaxQuantity => "Most units per reservation",
        AuditField::ReservationHoldHours => "Reservations held for (hours)",
        AuditField::Reservation => "Hold for pickup",
        AuditField::Scheduled => "Scheduled change",
    }
}

/// A stored value as the merchant reads it: labels for flags, listings and
/// states, times in the shop's time zone, "—" for nothing.
pub fn shown_value(layout: &Layout, entry: &AuditEntry, value: &str) -> String {
    if let Some(at) = entry.time_value(value) {
        return format!("valid until {}", layout.at(&at));
    }
    let flag = |yes: &str, no: &str| match value {
        "true" => yes.to_owned(),
        "false" => no.to_owned(),
        other => other.to_owned(),
    };
    match entry.field {
        _ if value.is_empty() => "—".to_owned(),
        AuditField::Online => OnlineListing::parse(value)
            .map(|o| o.label().to_owned())
            .unwrap_or_else(|_| value.to_owned()),
        AuditField::InStore => flag("Sold in store", "Not sold in store"),
        AuditField::FulfilsOnline => flag("Fulfils online orders", "Doesn't fulfil online orders"),
        AuditField::AllowBackorder => flag("Allowed", "Not allowed"),
        AuditField::AutoViewOnly | AuditField::AutoViewOnlyDefault => flag("On", "Off"),
        AuditField::OnlineBuffer if value == "default" => "Shop default".to_owned(),
        AuditField::Reservation => crate::domain::ReservationStatus::parse(value)
            .map(|status| status.label().to_owned())
            .unwrap_or_else(|| value.to_owned()),
        AuditField::Status | AuditField::StoreStatus | AuditField::StaffStatus => {
            state_label(value).to_owned()
        }
        _ => value.to_owned(),
    }
}

/// `active`, `archived`, `open`, `deactivated` as words.
fn state_label(value: &str) -> &str {
    match value {
        "active" => "Active",
        "archived" => "Archived",
        "open" => "Open",
        "deactivated" => "Deactivated",
        other => other,
    }
}

/// A delivery's state in the webhook log.
pub fn delivery_status_label(status: DeliveryStatus) -> &'static str {
    match status {
        DeliveryStatus::Pending => "Waiting",
        DeliveryStatus::Delivered => "Delivered",
        DeliveryStatus::Failed => "Failed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_has_a_label_without_underscores() {
        for field in AuditField::ALL {
            let label = field_label(field);
            assert!(!label.contains('_'), "{field:?} is labelled {label:?}");
            assert!(!label.is_empty());
        }
    }
}
