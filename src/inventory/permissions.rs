//! Who may do what: one table of permissions by role. The server checks it
//! on every request that changes something (a forbidden one changes nothing,
//! whatever the page showed); pages use the same table to leave out the
//! buttons a role may not use.

use super::merchants::Staff;
use super::{InventoryError, Result};
use crate::domain::Role;

/// Something a staff member may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Look items up (the items list and an item's page, read only).
    LookUpItems,
    /// The counter page and counter sales.
    UseCounter,
    /// Hand over (*Picked up*) and release holds for pickup at the counter.
    /// A cashier only at their own store (see `stock_at`).
    HandOverReservations,
    /// Receive stock and record counts. A cashier only at their own store
    /// (see `stock_at`).
    ReceiveAndCount,
    /// Adjust stock by hand and change an item's stock settings.
    AdjustStock,
    /// Create and edit items: names, prices, SKUs, archive and restore.
    EditItems,
    /// Change designations: the row buttons, bulk and Undo.
    Designate,
    /// The activity log.
    ViewActivity,
    /// Add, change, archive and restore stores.
    ManageStores,
    /// Invite staff, change roles, deactivate, reset passwords.
    ManageStaff,
    /// API tokens.
    ManageTokens,
    /// Webhook endpoints.
    ManageWebhooks,
    /// The shop's name, slug, currency, time zone and stock defaults.
    ManageShop,
}

impl Permission {
    pub const ALL: [Permission; 13] = [
        Permission::LookUpItems,
        Permission::UseCounter,
        Permission::HandOverReservations,
        Permission::ReceiveAndCount,
        Permission::AdjustStock,
        Permission::EditItems,
        Permission::Designate,
        Permission::ViewActivity,
        Permission::ManageStores,
        Permission::ManageStaff,
        Permission::ManageTokens,
        Permission::ManageWebhooks,
        Permission::ManageShop,
    ];
}

/// The table: whether `role` has `permission`.
pub fn allows(role: Role, permission: Permission) -> bool {
    use Permission::*;
    match role {
        Role::Owner => true,
        Role::Manager => matches!(
            permission,
            LookUpItems
                | UseCounter
                | HandOverReservations
                | ReceiveAndCount
                | AdjustStock
                | EditItems
                | Designate
                | ViewActivity
        ),
        Role::Cashier => matches!(
            permission,
            LookUpItems | UseCounter | HandOverReservations | ReceiveAndCount
        ),
    }
}

/// What a refusal says to the person.
fn refusal(staff: &Staff) -> InventoryError {
    InventoryError::NotAllowed(format!(
        "Your role ({}) does not allow this; nothing was changed. Ask an owner if you need it.",
        staff.role.label()
    ))
}

/// Refuses, changing nothing, what the staff member's role does not allow.
pub fn require(staff: &Staff, permission: Permission) -> Result<()> {
    if staff.active && allows(staff.role, permission) {
        Ok(())
    } else {
        Err(refusal(staff))
    }
}

/// Refuses a stock change at `location_id` the staff member may not make:
/// `permission` is the kind of change; a cashier may make it only at their
/// own store.
pub fn stock_at(staff: &Staff, permission: Permission, location_id: i64) -> Result<()> {
    require(staff, permission)?;
    if staff.role == Role::Cashier && staff.location_id != Some(location_id) {
        return Err(InventoryError::NotAllowed(
            "A cashier changes stock only at their own store; nothing was changed.".into(),
        ));
    }
    Ok(())
}

/// The store a staff member is tied to, if their role is tied to one.
pub fn own_store(staff: &Staff) -> Option<i64> {
    (staff.role == Role::Cashier)
        .then_some(staff.location_id)
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_owners_manage_the_shop_and_cashiers_only_sell_and_count() {
        for permission in Permission::ALL {
            assert!(allows(Role::Owner, permission), "{permission:?}");
        }
        assert!(!allows(Role::Manager, Permission::ManageStaff));
        assert!(!allows(Role::Manager, Permission::ManageTokens));
        assert!(allows(Role::Manager, Permission::Designate));
        assert!(allows(Role::Cashier, Permission::ReceiveAndCount));
        assert!(allows(Role::Cashier, Permission::HandOverReservations));
        assert!(!allows(Role::Cashier, Permission::Designate));
        assert!(!allows(Role::Cashier, Permission::EditItems));
        assert!(!allows(Role::Cashier, Permission::AdjustStock));
    }
}
