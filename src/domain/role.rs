//! What a staff member may do, by role. The permissions themselves are one
//! table in `inventory::permissions`; this is the stored value.

use super::FieldError;

/// A staff member's role, stored as text with a CHECK.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Everything, including staff, stores, API tokens, webhooks and settings.
    Owner,
    /// Items, designations, bulk, stock, import/export and activity.
    Manager,
    /// The counter, item lookup and stock at their own store.
    Cashier,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Owner, Role::Manager, Role::Cashier];

    pub fn parse(raw: &str) -> Result<Role, FieldError> {
        match raw.trim() {
            "owner" => Ok(Role::Owner),
            "manager" => Ok(Role::Manager),
            "cashier" => Ok(Role::Cashier),
            _ => Err(FieldError::new(
                "role",
                "Choose a role: owner, manager or cashier",
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Manager => "manager",
            Role::Cashier => "cashier",
        }
    }

    /// As the staff page shows it.
    pub fn label(self) -> &'static str {
        match self {
            Role::Owner => "Owner",
            Role::Manager => "Manager",
            Role::Cashier => "Cashier",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_reads_back_as_itself() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Ok(role));
        }
        assert_eq!(Role::parse("admin").map_err(|e| e.field), Err("role"));
    }
}
