//! Availability arithmetic: how many units the online store may sell, from
//! the on-hand levels, the buffer kept for walk-in customers and backorder.
//! Pure functions, so the lists, the ledger and orders count the same way.

use serde::Serialize;

use super::{Designation, OnlineListing};

/// The units of an item held back from the online count for walk-in
/// customers: the item's own buffer, or else the merchant's default.
pub fn online_buffer(item_buffer: Option<i64>, merchant_buffer: i64) -> i64 {
    item_buffer.unwrap_or(merchant_buffer)
}

/// Units of a store free for anyone: on hand (a negative level counts as
/// none) less the units held there for pickup.
pub fn available_at_store(on_hand: i64, held: i64) -> i64 {
    (on_hand.max(0) - held).max(0)
}

/// Units that may be sold online: what is free at the stores that fulfil
/// online orders (`available_at_store` of each), less the buffer.
pub fn available_online(free_at_fulfilling: impl IntoIterator<Item = i64>, buffer: i64) -> i64 {
    let free: i64 = free_at_fulfilling.into_iter().map(|q| q.max(0)).sum();
    (free - buffer).max(0)
}

/// What the automatic "view online, buy in store" switch does to an item
/// whose merchant opted in: a for-sale item that sells out online while a
/// store still has it becomes view-only; an item the switch made view-only
/// goes back to for sale when stock returns. `None` leaves it as it is.
pub fn automatic_listing(
    designation: Designation,
    auto_switched: bool,
    allow_backorder: bool,
    available_online: i64,
    in_a_store: bool,
) -> Option<OnlineListing> {
    match designation.online() {
        OnlineListing::ForSale
            if available_online == 0
                && !allow_backorder
                && in_a_store
                && designation.in_store() =>
        {
            Some(OnlineListing::ViewOnly)
        }
        OnlineListing::ViewOnly if auto_switched && available_online > 0 => {
            Some(OnlineListing::ForSale)
        }
        _ => None,
    }
}

/// A line that could not be served from stock: which item, where, how many
/// were asked for and how many there are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Shortage {
    pub item_id: i64,
    pub sku: String,
    /// The store it was asked of; `None` for a shipped order, which may draw
    /// on every store that fulfils online orders.
    pub location_id: Option<i64>,
    pub requested: i64,
    pub available: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_levels_count_as_none_and_the_buffer_never_makes_it_negative() {
        assert_eq!(available_online([5, -3, 2], 1), 6);
        assert_eq!(available_online([1], 4), 0);
        assert_eq!(available_online([], 0), 0);
    }

    #[test]
    fn held_units_are_not_free_and_a_negative_level_frees_nothing() {
        assert_eq!(available_at_store(5, 2), 3);
        assert_eq!(available_at_store(2, 2), 0);
        assert_eq!(available_at_store(-1, 0), 0);
    }

    #[test]
    fn an_items_own_buffer_wins_over_the_merchants_default() {
        assert_eq!(online_buffer(Some(0), 3), 0);
        assert_eq!(online_buffer(None, 3), 3);
    }

    #[test]
    fn the_switch_goes_to_view_only_when_sold_out_online_and_back_when_stock_returns() {
        let for_sale = Designation::new(true, OnlineListing::ForSale).expect("valid");
        let view_only = Designation::new(true, OnlineListing::ViewOnly).expect("valid");
        assert_eq!(
            automatic_listing(for_sale, false, false, 0, true),
            Some(OnlineListing::ViewOnly)
        );
        // Backorder keeps it for sale; nothing in any store leaves it for sale (sold out).
        assert_eq!(automatic_listing(for_sale, false, true, 0, true), None);
        assert_eq!(automatic_listing(for_sale, false, false, 0, false), None);
        assert_eq!(
            automatic_listing(view_only, true, false, 2, true),
            Some(OnlineListing::ForSale)
        );
        // A person's view-only choice is never undone by the switch.
        assert_eq!(automatic_listing(view_only, false, false, 2, true), None);
    }
}
