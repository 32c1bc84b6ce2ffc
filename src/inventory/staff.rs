//! The people of a shop: invitations by one-time link, roles, deactivation,
//! password resets and changes. There is no email sending: the owner is shown
//! the link once and passes it on.
//!
//! A link is a random secret; only its SHA-256 is stored. It works once,
//! until it expires; a reset voids the person's earlier links. The last
//! active owner of a shop can't be demoted or deactivated, so a shop always
//! has someone who can manage it (checked under the merchant lock, so two
//! owners demoting each other at once can't both succeed).
//!
//! Every change writes an activity entry naming who made it, in the same
//! transaction: an invitation, a role, deactivation and reactivation, each
//! link issued (with its expiry) and each password set.

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use rand::RngCore;

use super::audit::{About, AuditField, stored_time};
use super::merchants::{self, Location, Merchant, Staff};
use super::{Actor, InventoryError, Result, catalog, now, tokens};
use crate::db::DbConnection;
use crate::db::models::{NewStaffInvitationRow, StaffInvitationRow, StaffRow};
use crate::db::schema::{staff, staff_invitations};
use crate::domain::{Email, FieldError, NewPassword, Role, line};

/// How long an invitation or reset link works.
pub const LINK_LIFETIME: TimeDelta = TimeDelta::days(7);

/// A person to invite, as typed into the staff page.
#[derive(Debug, Clone, Default)]
pub struct InviteInput<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub role: &'a str,
    /// The store of a cashier; ignored for other roles.
    pub location_id: &'a str,
}

/// A one-time link to set a password, shown once.
#[derive(Debug, Clone)]
pub struct PasswordLink {
    pub staff: Staff,
    /// The secret of the link's path, `/invitations/{secret}`.
    pub secret: String,
    pub expires_at: NaiveDateTime,
}

/// The merchant's staff, owners first, then by name.
pub fn list_staff(conn: &mut DbConnection, merchant_id: i64) -> Result<Vec<Staff>> {
    let mut people = staff::table
        .filter(staff::merchant_id.eq(merchant_id))
        .order(staff::id)
        .select(StaffRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Staff::try_from)
        .collect::<Result<Vec<_>>>()?;
    people.sort_by_key(|p| {
        (
            !p.active,
            p.role != Role::Owner,
            p.display_name.to_lowercase(),
        )
    });
    Ok(people)
}

/// A staff member of this merchant; another merchant's is NotFound.
pub fn find_staff(conn: &mut DbConnection, merchant_id: i64, staff_id: i64) -> Result<Staff> {
    let person = Staff::find(conn, staff_id)?;
    if person.merchant_id != merchant_id {
        return Err(InventoryError::NotFound("staff member"));
    }
    Ok(person)
}

/// The role and store a person would have: a cashier needs one of the
/// merchant's open stores, other roles have none.
fn role_and_store(
    conn: &mut DbConnection,
    merchant_id: i64,
    role: &str,
    location_id: &str,
) -> Result<(Role, Option<i64>)> {
    let role = Role::parse(role)?;
    if role != Role::Cashier {
        return Ok((role, None));
    }
    let choose = || FieldError::new("location_id", "A cashier works at one store: choose it");
    let id = location_id.trim().parse::<i64>().map_err(|_| choose())?;
    match Location::find(conn, merchant_id, id) {
        Ok(store) => Ok((role, Some(store.id))),
        Err(InventoryError::NotFound(_)) => Err(choose().into()),
        Err(other) => Err(other),
    }
}

/// How a role reads in the activity log: `Cashier at Downtown`, `Manager`.
fn role_label(conn: &mut DbConnection, person: &Staff) -> Result<String> {
    match person.location_id {
        Some(id) => {
            let store = Location::find_any(conn, person.merchant_id, id)?;
            Ok(format!("{} at {}", person.role.label(), store.name))
        }
        None => Ok(person.role.label().to_owned()),
    }
}

/// The activity entries of a change to `person`, at the current catalog version.
fn about(conn: &mut DbConnection, person: &Staff) -> Result<About> {
    let version = catalog::current_version(conn, person.merchant_id)?;
    Ok(About::person(person, version))
}

/// Adds a person with a role and returns their invitation link.
pub fn invite(
    conn: &mut DbConnection,
    actor: &Actor,
    merchant_id: i64,
    input: &InviteInput,
) -> Result<PasswordLink> {
    let email = Email::parse(input.email)?;
    let name = match input.name.trim() {
        "" => email
            .as_str()
            .split('@')
            .next()
            .unwrap_or_default()
            .to_owned(),
        raw => line(raw, "name", "Name", 100, true)?,
    };
    conn.write_transaction(|conn| {
        let (role, location_id) = role_and_store(conn, merchant_id, input.role, input.location_id)?;
        let person =
            merchants::insert_staff(conn, merchant_id, &email, &name, None, role, location_id)?;
        let role = role_label(conn, &person)?;
        about(conn, &person)?.record(conn, actor, AuditField::Invited, "", &role)?;
        issue_link(conn, actor, &person)
    })
}

/// Voids the person's earlier links and issues a new one.
fn issue_link(conn: &mut DbConnection, actor: &Actor, person: &Staff) -> Result<PasswordLink> {
    let at = now();
    diesel::update(
        staff_invitations::table
            .filter(staff_invitations::staff_id.eq(person.id))
            .filter(staff_invitations::used_at.is_null()),
    )
    .set(staff_invitations::expires_at.eq(at))
    .execute(conn)?;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = hex::encode(bytes);
    let expires_at = at + LINK_LIFETIME;
    diesel::insert_into(staff_invitations::table)
        .values(NewStaffInvitationRow {
            merchant_id: person.merchant_id,
            staff_id: person.id,
            token_hash: &tokens::hash(&secret),
            created_at: at,
            expires_at,
        })
        .execute(conn)?;
    about(conn, person)?.record(
        conn,
        actor,
        AuditField::PasswordLink,
        "",
        &stored_time(expires_at),
    )?;
    Ok(PasswordLink {
        staff: person.clone(),
        secret,
        expires_at,
    })
}

/// A new one-time link for someone who forgot their password. Their
/// current password keeps working until the link is used.
pub fn reset_password(
    conn: &mut DbConnection,
    actor: &Actor,
    merchant_id: i64,
    staff_id: i64,
) -> Result<PasswordLink> {
    conn.write_transaction(|conn| {
        let person = find_staff(conn, merchant_id, staff_id)?;
        if !person.active {
            return Err(FieldError::new(
                "staff",
                "Reactivate this person before giving them a new password link",
            )
            .into());
        }
        issue_link(conn, actor, &person)
    })
}

/// The person and shop a link is for, while it still works: an unknown link
/// is NotFound, a used or expired one says so.
pub fn open_link(conn: &mut DbConnection, secret: &str) -> Result<(Staff, Merchant)> {
    let row = link_row(conn, secret)?;
    let person = Staff::find(conn, row.staff_id)?;
    let merchant = Merchant::find(conn, row.merchant_id)?;
    Ok((person, merchant))
}

fn link_row(conn: &mut DbConnection, secret: &str) -> Result<StaffInvitationRow> {
    let row = staff_invitations::table
        .filter(staff_invitations::token_hash.eq(tokens::hash(secret)))
        .select(StaffInvitationRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(InventoryError::NotFound("invitation"))?;
    if row.used_at.is_some() {
        return Err(InventoryError::LinkSpent(
            "This link was used already; each link works once. Sign in with the password you set, or ask an owner for a new link.".into(),
        ));
    }
    if row.expires_at <= now() {
        return Err(InventoryError::LinkSpent(
            "This link has expired (or a newer one replaced it). Ask an owner of the shop for a new link.".into(),
        ));
    }
    Ok(row)
}

/// Sets the password of the link's person and spends the link; their other
/// sessions end. Exactly one of two racing uses of a link succeeds.
pub fn accept_link(conn: &mut DbConnection, secret: &str, password: &str) -> Result<Staff> {
    let password = NewPassword::parse(password, "password")?;
    let hash = merchants::hash_password(&password)?;
    conn.write_transaction(|conn| {
        let row = link_row(conn, secret)?;
        let spent = diesel::update(
            staff_invitations::table
                .find(row.id)
                .filter(staff_invitations::used_at.is_null()),
        )
        .set(staff_invitations::used_at.eq(now()))
        .execute(conn)?;
        if spent != 1 {
            return Err(InventoryError::LinkSpent(
                "This link was used already; each link works once.".into(),
            ));
        }
        let person = Staff::find(conn, row.staff_id)?;
        if !person.active {
            return Err(InventoryError::LinkSpent(
                "This account was deactivated; the link no longer works.".into(),
            ));
        }
        diesel::update(staff::table.find(person.id))
            .set((
                staff::password_hash.eq(&hash),
                staff::session_epoch.eq(staff::session_epoch + 1),
            ))
            .execute(conn)?;
        about(conn, &person)?.record(
            conn,
            &Actor::of(&person),
            AuditField::Password,
            "",
            "Set through a one-time link",
        )?;
        Staff::find(conn, person.id)
    })
}

/// Whether, without `leaving`, the shop still has an active owner.
fn another_owner(conn: &mut DbConnection, merchant_id: i64, leaving: i64) -> Result<bool> {
    Ok(staff::table
        .filter(staff::merchant_id.eq(merchant_id))
        .filter(staff::role.eq(Role::Owner.as_str()))
        .filter(staff::deactivated_at.is_null())
        .filter(staff::id.ne(leaving))
        .select(staff::id)
        .first::<i64>(conn)
        .optional()?
        .is_some())
}

fn last_owner(what: &str) -> InventoryError {
    FieldError::new(
        "role",
        format!("The shop's last active owner can't be {what}: make someone else an owner first"),
    )
    .into()
}

/// Gives a person another role (and a cashier their store).
pub fn change_role(
    conn: &mut DbConnection,
    actor: &Actor,
    merchant_id: i64,
    staff_id: i64,
    role: &str,
    location_id: &str,
) -> Result<Staff> {
    conn.write_transaction(|conn| {
        catalog::lock_merchant(conn, merchant_id)?;
        let person = find_staff(conn, merchant_id, staff_id)?;
        let (role, location_id) = role_and_store(conn, merchant_id, role, location_id)?;
        if person.role == Role::Owner
            && role != Role::Owner
            && person.active
            && !another_owner(conn, merchant_id, person.id)?
        {
            return Err(last_owner("demoted"));
        }
        diesel::update(staff::table.find(person.id))
            .set((
                staff::role.eq(role.as_str()),
                staff::location_id.eq(location_id),
            ))
            .execute(conn)?;
        let after = Staff::find(conn, person.id)?;
        let (old, new) = (role_label(conn, &person)?, role_label(conn, &after)?);
        about(conn, &after)?.record(conn, actor, AuditField::Role, &old, &new)?;
        Ok(after)
    })
}

/// Deactivates a person: they can't sign in, and every session of theirs
/// ends at once. Their history keeps their name.
pub fn deactivate_staff(
    conn: &mut DbConnection,
    actor: &Actor,
    merchant_id: i64,
    staff_id: i64,
) -> Result<Staff> {
    conn.write_transaction(|conn| {
        catalog::lock_merchant(conn, merchant_id)?;
        let person = find_staff(conn, merchant_id, staff_id)?;
        if !person.active {
            return Ok(person);
        }
        if person.role == Role::Owner && !another_owner(conn, merchant_id, person.id)? {
            return Err(last_owner("deactivated"));
        }
        diesel::update(staff::table.find(person.id))
            .set((
                staff::deactivated_at.eq(now()),
                staff::session_epoch.eq(staff::session_epoch + 1),
            ))
            .execute(conn)?;
        about(conn, &person)?.record(conn, actor, AuditField::StaffStatus, ACTIVE, DEACTIVATED)?;
        Staff::find(conn, person.id)
    })
}

/// Lets a deactivated person sign in again (with their old password).
pub fn reactivate_staff(
    conn: &mut DbConnection,
    actor: &Actor,
    merchant_id: i64,
    staff_id: i64,
) -> Result<Staff> {
    conn.write_transaction(|conn| {
        let person = find_staff(conn, merchant_id, staff_id)?;
        if person.active {
            return Ok(person);
        }
        diesel::update(staff::table.find(person.id))
            .set(staff::deactivated_at.eq(None::<NaiveDateTime>))
            .execute(conn)?;
        about(conn, &person)?.record(conn, actor, AuditField::StaffStatus, DEACTIVATED, ACTIVE)?;
        Staff::find(conn, person.id)
    })
}

/// Changes one's own password; the current one is required. Every other
/// session of theirs ends; the caller begins a fresh one for this browser.
pub fn change_own_password(
    conn: &mut DbConnection,
    person: &Staff,
    current: &str,
    new: &str,
) -> Result<Staff> {
    let verified = merchants::authenticate(conn, &person.email, current)?;
    if verified.as_ref().map(|p| p.id) != Some(person.id) {
        return Err(
            FieldError::new("current_password", "That is not your current password").into(),
        );
    }
    let new = NewPassword::parse(new, "new_password")?;
    let hash = merchants::hash_password(&new)?;
    conn.write_transaction(|conn| {
        diesel::update(staff::table.find(person.id))
            .set((
                staff::password_hash.eq(&hash),
                staff::session_epoch.eq(staff::session_epoch + 1),
            ))
            .execute(conn)?;
        about(conn, person)?.record(
            conn,
            &Actor::of(person),
            AuditField::Password,
            "",
            "Changed by themselves",
        )?;
        Staff::find(conn, person.id)
    })
}

/// A person's status, as the activity log shows it.
const ACTIVE: &str = "Active";
const DEACTIVATED: &str = "Deactivated";
