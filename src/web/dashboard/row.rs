//! One item row of the list, shared by the full page and the htmx swap, and
//! the designation buttons it offers.

use askama::Template;

use super::Notice;
use crate::inventory::{DesignationChange, Item};

/// A designation button a merchant can press.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DesignationAction {
    SellOnline,
    ViewOnlineBuyInStore,
    RemoveFromOnline,
    SellInStore,
    StopSellingInStore,
}

impl DesignationAction {
    pub const ALL: [DesignationAction; 5] = [
        DesignationAction::SellOnline,
        DesignationAction::ViewOnlineBuyInStore,
        DesignationAction::RemoveFromOnline,
        DesignationAction::SellInStore,
        DesignationAction::StopSellingInStore,
    ];

    /// The form value.
    pub fn as_str(self) -> &'static str {
        match self {
            DesignationAction::SellOnline => "sell_online",
            DesignationAction::ViewOnlineBuyInStore => "view_online_buy_in_store",
            DesignationAction::RemoveFromOnline => "remove_from_online",
            DesignationAction::SellInStore => "sell_in_store",
            DesignationAction::StopSellingInStore => "stop_selling_in_store",
        }
    }

    /// The button text.
    pub fn label(self) -> &'static str {
        match self {
            DesignationAction::SellOnline => "Sell online",
            DesignationAction::ViewOnlineBuyInStore => "View online, buy in store",
            DesignationAction::RemoveFromOnline => "Remove from online",
            DesignationAction::SellInStore => "Sell in store",
            DesignationAction::StopSellingInStore => "Stop selling in store",
        }
    }

    pub fn parse(raw: &str) -> Option<DesignationAction> {
        DesignationAction::ALL
            .into_iter()
            .find(|a| a.as_str() == raw)
    }

    pub fn change(self) -> DesignationChange {
        match self {
            DesignationAction::SellOnline => DesignationChange::SELL_ONLINE,
            DesignationAction::ViewOnlineBuyInStore => DesignationChange::VIEW_ONLINE_BUY_IN_STORE,
            DesignationAction::RemoveFromOnline => DesignationChange::REMOVE_FROM_ONLINE,
            DesignationAction::SellInStore => DesignationChange::SELL_IN_STORE,
            DesignationAction::StopSellingInStore => DesignationChange::STOP_SELLING_IN_STORE,
        }
    }

    /// What the merchant is told once it is done.
    pub fn confirmation(self, item_name: &str) -> String {
        match self {
            DesignationAction::SellOnline => format!("{item_name} is now for sale online"),
            DesignationAction::ViewOnlineBuyInStore => {
                format!("{item_name} is now view online, buy in store")
            }
            DesignationAction::RemoveFromOnline => {
                format!("{item_name} is no longer listed online")
            }
            DesignationAction::SellInStore => format!("{item_name} is now sold in store"),
            DesignationAction::StopSellingInStore => {
                format!("{item_name} is no longer sold in store")
            }
        }
    }

    /// The buttons that would change this item and that the rules allow.
    pub fn offered_for(item: &Item) -> Vec<DesignationAction> {
        DesignationAction::ALL
            .into_iter()
            .filter(|action| {
                let change = action.change();
                item.designation
                    .change(change.in_store, change.online)
                    .is_ok_and(|next| next != item.designation)
            })
            .collect()
    }
}

/// A designation button as the row renders it.
pub struct ActionButton {
    pub value: &'static str,
    pub label: &'static str,
    /// Emphasised: the two buttons that put an item online.
    pub primary: bool,
}

/// One row of the item list.
#[derive(Template)]
#[template(path = "items/_row.html")]
pub struct ItemRow {
    pub id: i64,
    pub sku: String,
    pub name: String,
    pub price: String,
    pub in_store: bool,
    pub online: &'static str,
    pub online_label: &'static str,
    pub stock_total: Option<i64>,
    pub version: i64,
    pub archived: bool,
    pub actions: Vec<ActionButton>,
    pub notice: Option<Notice>,
    pub csrf_token: String,
    /// The list URL to come back to after a non-htmx post.
    pub return_to: String,
    /// Whether the viewer may change designations (else no buttons, no checkbox).
    pub may_change: bool,
}

impl ItemRow {
    pub fn new(
        item: &Item,
        stock_total: Option<i64>,
        csrf_token: &str,
        return_to: &str,
    ) -> ItemRow {
        let actions = if item.archived {
            Vec::new()
        } else {
            DesignationAction::offered_for(item)
                .into_iter()
                .map(|action| ActionButton {
                    value: action.as_str(),
                    label: action.label(),
                    primary: matches!(
                        action,
                        DesignationAction::SellOnline | DesignationAction::ViewOnlineBuyInStore
                    ),
                })
                .collect()
        };
        ItemRow {
            id: item.id,
            sku: item.sku.clone(),
            name: item.name.clone(),
            price: item.price.to_string(),
            in_store: item.in_store(),
            online: item.online().as_str(),
            online_label: item.online().label(),
            stock_total,
            version: item.version,
            archived: item.archived,
            actions,
            notice: None,
            csrf_token: csrf_token.to_owned(),
            return_to: return_to.to_owned(),
            may_change: true,
        }
    }

    /// Leaves out the buttons and the bulk checkbox for a viewer who may
    /// not change designations.
    pub fn for_viewer(mut self, may_change: bool) -> ItemRow {
        if !may_change {
            self.actions.clear();
            self.may_change = false;
        }
        self
    }

    pub fn with_notice(mut self, notice: Notice) -> ItemRow {
        self.notice = Some(notice);
        self
    }
}
