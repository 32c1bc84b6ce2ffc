//! One item row of the list, shared by the full page and the htmx swap: its
//! stock per store, and its designation controls (the online state's
//! segmented control and the in-store switch).

use askama::Template;

use crate::domain::OnlineListing;
use crate::inventory::item_list::{StockLine, StoreColumn};
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

    /// The words on its segment of the online control (the in-store switch
    /// has its own label).
    pub fn segment_label(self) -> &'static str {
        match self {
            DesignationAction::RemoveFromOnline => "Not online",
            other => other.label(),
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
}

/// A segment of the online control, or the in-store switch, as the row
/// renders it. Only a control that would change the item carries the form
/// name `action` (so a press posts it); the current state is marked pressed,
/// and a choice the rules refuse is disabled with the reason as its title.
pub struct Control {
    /// The form value, e.g. `sell_online`.
    pub value: &'static str,
    pub label: &'static str,
    /// Which control it is on every redraw (`online-for_sale`, `in-store`), so
    /// focus can come back to it after the row is swapped.
    pub key: &'static str,
    /// The item already is so (a segment), or is sold in store (the switch).
    pub on: bool,
    /// Why the rules refuse this choice now, if they do.
    pub refused: Option<String>,
    /// For the switch: what pressing it does ("Stop selling in store").
    pub title: &'static str,
    /// The in-store switch (pressing it flips the flag), not a segment.
    pub is_switch: bool,
}

impl Control {
    /// Pressing it posts `value`: it would change the item and the rules allow it.
    pub fn posts(&self) -> bool {
        self.refused.is_none() && (self.is_switch || !self.on)
    }

    fn of(item: &Item, action: DesignationAction, key: &'static str, on: bool) -> Control {
        let change = action.change();
        Control {
            value: action.as_str(),
            label: action.segment_label(),
            key,
            on,
            refused: item
                .designation
                .change(change.in_store, change.online)
                .err()
                .map(|rule| rule.to_string()),
            title: action.label(),
            is_switch: key == "in-store",
        }
    }
}

/// One store's stock in a row.
pub struct StoreStock {
    pub name: String,
    pub on_hand: i64,
}

/// Up to this many stores get a stock column each; beyond, the list shows
/// the total with the stores in a disclosure.
pub const STORE_COLUMNS: usize = 4;

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
    /// On hand in each open store, in the list's column order.
    pub stores: Vec<StoreStock>,
    pub stock_total: i64,
    /// For sale online with nothing available online.
    pub sold_out_online: bool,
    /// A shopper can buy it online now.
    pub purchasable_online: bool,
    pub version: i64,
    pub archived: bool,
    /// The online state's three segments: Not online · View online, buy in
    /// store · Sell online.
    pub segments: Vec<Control>,
    /// The in-store flag's switch.
    pub store_switch: Control,
    pub csrf_token: String,
    /// The list URL to come back to after a non-htmx post.
    pub return_to: String,
    /// Whether the viewer may change designations (else no controls, no checkbox).
    pub may_change: bool,
}

impl ItemRow {
    pub fn new(
        item: &Item,
        stock: &StockLine,
        stores: &[StoreColumn],
        csrf_token: &str,
        return_to: &str,
    ) -> ItemRow {
        let online = item.online();
        let segments = vec![
            Control::of(
                item,
                DesignationAction::RemoveFromOnline,
                "online-hidden",
                online == OnlineListing::Hidden,
            ),
            Control::of(
                item,
                DesignationAction::ViewOnlineBuyInStore,
                "online-view_only",
                online == OnlineListing::ViewOnly,
            ),
            Control::of(
                item,
                DesignationAction::SellOnline,
                "online-for_sale",
                online == OnlineListing::ForSale,
            ),
        ];
        let switch_action = if item.in_store() {
            DesignationAction::StopSellingInStore
        } else {
            DesignationAction::SellInStore
        };
        ItemRow {
            id: item.id,
            sku: item.sku.clone(),
            name: item.name.clone(),
            price: item.price.to_string(),
            in_store: item.in_store(),
            online: online.as_str(),
            online_label: online.label(),
            stores: stores
                .iter()
                .zip(&stock.per_store)
                .map(|(store, on_hand)| StoreStock {
                    name: store.name.clone(),
                    on_hand: *on_hand,
                })
                .collect(),
            stock_total: stock.total,
            sold_out_online: stock.sold_out_online(item),
            purchasable_online: stock.online.purchasable_online,
            version: item.version,
            archived: item.archived,
            segments,
            store_switch: Control::of(item, switch_action, "in-store", item.in_store()),
            csrf_token: csrf_token.to_owned(),
            return_to: return_to.to_owned(),
            may_change: true,
        }
    }

    /// Leaves out the controls and the bulk checkbox for a viewer who may
    /// not change designations.
    pub fn for_viewer(mut self, may_change: bool) -> ItemRow {
        self.may_change = may_change;
        self
    }

    /// A stock column per store (up to `STORE_COLUMNS`), else one total.
    pub fn store_columns(&self) -> bool {
        self.stores.len() <= STORE_COLUMNS
    }
}
