//! The two designations of an item and the rule that ties them together.

use std::fmt;

use super::FieldError;

/// Where an item stands online.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OnlineListing {
    /// Not shown online.
    Hidden,
    /// Listed online for viewing; bought at the physical store.
    ViewOnly,
    /// Listed and purchasable online.
    ForSale,
}

impl OnlineListing {
    pub const ALL: [OnlineListing; 3] = [
        OnlineListing::Hidden,
        OnlineListing::ViewOnly,
        OnlineListing::ForSale,
    ];

    /// The stored and API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            OnlineListing::Hidden => "hidden",
            OnlineListing::ViewOnly => "view_only",
            OnlineListing::ForSale => "for_sale",
        }
    }

    /// How a merchant reads it on a badge.
    pub fn label(self) -> &'static str {
        match self {
            OnlineListing::Hidden => "Not online",
            OnlineListing::ViewOnly => "View online, buy in store",
            OnlineListing::ForSale => "For sale online",
        }
    }

    pub fn parse(raw: &str) -> Result<OnlineListing, FieldError> {
        match raw.trim() {
            "hidden" => Ok(OnlineListing::Hidden),
            "view_only" => Ok(OnlineListing::ViewOnly),
            "for_sale" => Ok(OnlineListing::ForSale),
            other => Err(FieldError::new(
                "online",
                format!("online must be hidden, view_only or for_sale, not {other:?}"),
            )),
        }
    }

    /// Whether the item appears in the online list at all.
    pub fn is_listed(self) -> bool {
        self != OnlineListing::Hidden
    }
}

impl fmt::Display for OnlineListing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A combination of designations that is refused, with the fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DesignationRuleError {
    /// Asked for view-only on an item not sold in store.
    #[error(
        "View online, buy in store needs the item to be sold in store. Press Sell in store first, or choose Sell online."
    )]
    ViewOnlyNeedsInStore,
    /// Asked to stop in-store sales of a view-only item.
    #[error(
        "The item is listed as View online, buy in store, which needs in-store sales. Remove it from online or switch it to Sell online first."
    )]
    InStoreNeededByViewOnly,
    /// Asked to change where an archived item is sold.
    #[error("The item is archived. Restore it before changing where it is sold.")]
    Archived,
}

/// What a merchant asked to change; `None` leaves that designation as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DesignationChange {
    pub in_store: Option<bool>,
    pub online: Option<OnlineListing>,
}

impl DesignationChange {
    pub const SELL_ONLINE: DesignationChange = DesignationChange {
        in_store: None,
        online: Some(OnlineListing::ForSale),
    };
    pub const VIEW_ONLINE_BUY_IN_STORE: DesignationChange = DesignationChange {
        in_store: None,
        online: Some(OnlineListing::ViewOnly),
    };
    pub const REMOVE_FROM_ONLINE: DesignationChange = DesignationChange {
        in_store: None,
        online: Some(OnlineListing::Hidden),
    };
    pub const SELL_IN_STORE: DesignationChange = DesignationChange {
        in_store: Some(true),
        online: None,
    };
    pub const STOP_SELLING_IN_STORE: DesignationChange = DesignationChange {
        in_store: Some(false),
        online: None,
    };

    /// Asks for nothing.
    pub fn is_empty(self) -> bool {
        self == DesignationChange::default()
    }

    /// The designations after this change, if the rules allow them.
    pub fn apply_to(self, current: Designation) -> Result<Designation, DesignationRuleError> {
        current.change(self.in_store, self.online)
    }
}

/// Both designations of an item, always a valid combination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Designation {
    in_store: bool,
    online: OnlineListing,
}

impl Designation {
    pub fn new(in_store: bool, online: OnlineListing) -> Result<Designation, DesignationRuleError> {
        if online == OnlineListing::ViewOnly && !in_store {
            return Err(DesignationRuleError::ViewOnlyNeedsInStore);
        }
        Ok(Designation { in_store, online })
    }

    /// Applies a change to either or both designations, naming the fix when the
    /// result would be a view-only item that is not sold in store.
    pub fn change(
        self,
        in_store: Option<bool>,
        online: Option<OnlineListing>,
    ) -> Result<Designation, DesignationRuleError> {
        let next_in_store = in_store.unwrap_or(self.in_store);
        let next_online = online.unwrap_or(self.online);
        Designation::new(next_in_store, next_online).map_err(|rule| {
            let asked_for_view_only = online == Some(OnlineListing::ViewOnly);
            if in_store == Some(false) && !asked_for_view_only {
                DesignationRuleError::InStoreNeededByViewOnly
            } else {
                rule
            }
        })
    }

    pub fn in_store(self) -> bool {
        self.in_store
    }

    pub fn online(self) -> OnlineListing {
        self.online
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn view_only_requires_in_store() {
        assert_eq!(
            Designation::new(false, OnlineListing::ViewOnly),
            Err(DesignationRuleError::ViewOnlyNeedsInStore)
        );
        assert!(Designation::new(true, OnlineListing::ViewOnly).is_ok());
        assert!(Designation::new(false, OnlineListing::ForSale).is_ok());
        assert!(Designation::new(false, OnlineListing::Hidden).is_ok());
    }

    #[test]
    fn stopping_in_store_sales_of_a_view_only_item_names_the_fix() {
        let view_only = Designation::new(true, OnlineListing::ViewOnly).expect("valid");
        let err = view_only
            .change(Some(false), None)
            .expect_err("must refuse");
        assert_eq!(err, DesignationRuleError::InStoreNeededByViewOnly);
        assert!(err.to_string().contains("Remove it from online"));
    }

    #[test]
    fn stopping_in_store_and_selling_online_together_is_allowed() {
        let view_only = Designation::new(true, OnlineListing::ViewOnly).expect("valid");
        let next = view_only
            .change(Some(false), Some(OnlineListing::ForSale))
            .expect("valid combination");
        assert_eq!(
            (next.in_store(), next.online()),
            (false, OnlineListing::ForSale)
        );
    }

    #[test]
    fn online_listing_round_trips_through_its_stored_spelling() {
        for listing in OnlineListing::ALL {
            assert_eq!(OnlineListing::parse(listing.as_str()), Ok(listing));
        }
        assert_eq!(
            OnlineListing::parse("sold").map_err(|e| e.field),
            Err("online")
        );
    }
}
