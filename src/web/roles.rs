//! Roles on the dashboard: each handler that shows a page a role may not
//! see, or changes anything, asks `CurrentStaff::require` first, so a
//! forbidden request is a 403 page and changes nothing, whatever the page
//! showed. The rules are `inventory::permissions`; pages ask `may` to leave
//! out the buttons a role can't use.

use super::auth::CurrentStaff;
use super::errors::HtmlError;
use crate::inventory::permissions::{self, Permission};

impl CurrentStaff {
    /// Refuses (403, nothing changed) what this person's role does not allow.
    pub fn require(&self, permission: Permission) -> Result<(), HtmlError> {
        permissions::require(&self.staff, permission).map_err(|refusal| {
            log::info!(
                "merchant {}: staff {} ({}) was refused {permission:?}",
                self.merchant.id,
                self.staff.id,
                self.staff.role
            );
            HtmlError::from(refusal)
        })
    }

    /// Whether this person's role allows it (to show or leave out a button).
    pub fn may(&self, permission: Permission) -> bool {
        permissions::require(&self.staff, permission).is_ok()
    }
}
