//! Rows as Diesel reads and writes them. Designations are stored as text and
//! turned into domain types by the inventory service.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{
    api_tokens, app_settings, audit_entries, idempotency_keys, items, locations, merchants,
    outbox_events, reservations, scheduled_changes, staff, stock_levels, stock_movements,
    webhook_deliveries, webhook_endpoints,
};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = merchants)]
pub struct MerchantRow {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub currency: String,
    pub catalog_version: i64,
    pub created_at: NaiveDateTime,
    /// Units held back from the online count for walk-in customers.
    pub online_buffer: i64,
    /// An IANA time zone name; the dashboard shows times in it.
    pub time_zone: String,
    /// Whether new items switch to view-only by themselves when sold out online.
    pub auto_view_only_default: bool,
    /// Where the shop's *Buy online* leads: a URL with `{sku}` and/or `{id}`.
    pub storefront_url_pattern: Option<String>,
    /// The most units one reservation (hold for pickup) may hold.
    pub reservation_max_quantity: i64,
    /// How long a hold lasts before it expires, in hours.
    pub reservation_hold_hours: i64,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = merchants)]
pub struct NewMerchantRow<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub currency: &'a str,
    pub created_at: NaiveDateTime,
    pub time_zone: &'a str,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = locations)]
pub struct LocationRow {
    pub id: i64,
    pub merchant_id: i64,
    pub name: String,
    pub fulfils_online: bool,
    pub created_at: NaiveDateTime,
    pub address: String,
    pub hours: String,
    /// Set while the store is archived: out of every list, its ledger kept.
    pub archived_at: Option<NaiveDateTime>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = locations)]
pub struct NewLocationRow<'a> {
    pub merchant_id: i64,
    pub name: &'a str,
    pub fulfils_online: bool,
    pub created_at: NaiveDateTime,
    pub address: &'a str,
    pub hours: &'a str,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = super::schema::merchant_slugs)]
pub struct MerchantSlugRow {
    pub slug: String,
    pub merchant_id: i64,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = staff)]
pub struct StaffRow {
    pub id: i64,
    pub merchant_id: i64,
    pub email: String,
    pub display_name: String,
    pub password_hash: String,
    pub session_epoch: i64,
    pub created_at: NaiveDateTime,
    /// `owner`, `manager` or `cashier`.
    pub role: String,
    /// A cashier's store.
    pub location_id: Option<i64>,
    pub deactivated_at: Option<NaiveDateTime>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = staff)]
pub struct NewStaffRow<'a> {
    pub merchant_id: i64,
    pub email: &'a str,
    pub display_name: &'a str,
    /// Empty for an invited person who has not set a password yet: no
    /// password matches it.
    pub password_hash: &'a str,
    pub created_at: NaiveDateTime,
    pub role: &'a str,
    pub location_id: Option<i64>,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = super::schema::staff_invitations)]
pub struct StaffInvitationRow {
    pub id: i64,
    pub merchant_id: i64,
    pub staff_id: i64,
    pub token_hash: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = super::schema::staff_invitations)]
pub struct NewStaffInvitationRow<'a> {
    pub merchant_id: i64,
    pub staff_id: i64,
    pub token_hash: &'a str,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Insertable)]
#[diesel(table_name = items)]
pub struct ItemRow {
    pub id: i64,
    pub merchant_id: i64,
    pub sku: String,
    pub name: String,
    pub description: String,
    pub price_minor: i64,
    pub currency: String,
    pub barcode: Option<String>,
    pub in_store: bool,
    pub online: String,
    pub version: i64,
    pub changed_version: i64,
    pub archived: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// `None`: the merchant's default buffer applies.
    pub online_buffer: Option<i64>,
    pub allow_backorder: bool,
    pub auto_view_only: bool,
    pub auto_switched: bool,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = items, treat_none_as_default_value = false)]
pub struct NewItemRow<'a> {
    pub merchant_id: i64,
    pub sku: &'a str,
    pub name: &'a str,
    pub description: &'a str,
    pub price_minor: i64,
    pub currency: &'a str,
    pub barcode: Option<&'a str>,
    pub in_store: bool,
    pub online: &'a str,
    pub changed_version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub auto_view_only: bool,
}

/// The fields an item edit may change, all at once.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = items)]
pub struct ItemFieldsChangeset<'a> {
    pub sku: &'a str,
    pub name: &'a str,
    pub description: &'a str,
    pub price_minor: i64,
    pub currency: &'a str,
    // `None` must clear the barcode, not leave it alone.
    #[diesel(treat_none_as_null = true)]
    pub barcode: Option<&'a str>,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = stock_levels)]
pub struct StockLevelRow {
    pub id: i64,
    pub item_id: i64,
    pub location_id: i64,
    pub on_hand: i64,
    pub updated_at: NaiveDateTime,
    /// Units open holds for pickup keep here (on hand, not free).
    pub held: i64,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = stock_levels)]
pub struct NewStockLevelRow {
    pub item_id: i64,
    pub location_id: i64,
    pub on_hand: i64,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = audit_entries)]
pub struct AuditEntryRow {
    pub id: i64,
    pub merchant_id: i64,
    /// The item of an item entry; `None` for every other subject.
    pub item_id: Option<i64>,
    pub actor: String,
    pub field: String,
    pub old_value: String,
    pub new_value: String,
    pub catalog_version: i64,
    pub created_at: NaiveDateTime,
    /// The item version the change produced; `None` on entries from before it was kept.
    pub item_version: Option<i64>,
    /// What the entry is about: `item`, `store`, `staff`, `settings` or `sign_in`.
    pub subject: String,
    /// The store or staff member the entry is about (items use `item_id`).
    pub subject_id: Option<i64>,
    /// The store's or person's name at the time of the change.
    pub subject_label: String,
    /// The email of the person who made the change; empty for API tokens and shelfsync.
    pub actor_email: String,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = audit_entries, treat_none_as_default_value = false)]
pub struct NewAuditEntryRow<'a> {
    pub merchant_id: i64,
    pub item_id: Option<i64>,
    pub actor: &'a str,
    pub field: &'a str,
    pub old_value: &'a str,
    pub new_value: &'a str,
    pub catalog_version: i64,
    pub created_at: NaiveDateTime,
    pub item_version: Option<i64>,
    pub subject: &'a str,
    pub subject_id: Option<i64>,
    pub subject_label: &'a str,
    pub actor_email: &'a str,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = outbox_events)]
pub struct OutboxEventRow {
    pub id: i64,
    pub merchant_id: i64,
    pub catalog_version: i64,
    pub event_type: String,
    pub item_id: Option<i64>,
    pub payload: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = outbox_events, treat_none_as_default_value = false)]
pub struct NewOutboxEventRow<'a> {
    pub merchant_id: i64,
    pub catalog_version: i64,
    pub event_type: &'a str,
    pub item_id: Option<i64>,
    pub payload: &'a str,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = api_tokens)]
pub struct ApiTokenRow {
    pub id: i64,
    pub merchant_id: i64,
    pub name: String,
    pub scope: String,
    pub location_id: Option<i64>,
    pub token_hash: String,
    pub token_prefix: String,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = api_tokens)]
pub struct NewApiTokenRow<'a> {
    pub merchant_id: i64,
    pub name: &'a str,
    pub scope: &'a str,
    pub location_id: Option<i64>,
    pub token_hash: &'a str,
    pub token_prefix: &'a str,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = app_settings)]
pub struct AppSettingRow {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = webhook_endpoints)]
pub struct WebhookEndpointRow {
    pub id: i64,
    pub merchant_id: i64,
    pub url: String,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_expires_at: Option<NaiveDateTime>,
    pub enabled: bool,
    pub event_types: String,
    pub cursor_version: i64,
    pub cursor_event_id: i64,
    pub lease_owner: Option<String>,
    pub lease_until: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = webhook_endpoints)]
pub struct NewWebhookEndpointRow<'a> {
    pub merchant_id: i64,
    pub url: &'a str,
    pub secret: &'a str,
    pub enabled: bool,
    pub event_types: &'a str,
    pub cursor_version: i64,
    pub cursor_event_id: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = webhook_deliveries)]
pub struct WebhookDeliveryRow {
    pub id: i64,
    pub endpoint_id: i64,
    pub event_id: i64,
    pub catalog_version: i64,
    pub event_type: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: Option<NaiveDateTime>,
    pub last_attempt_at: Option<NaiveDateTime>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub delivered_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable, Identifiable)]
#[diesel(table_name = stock_movements)]
pub struct StockMovementRow {
    pub id: i64,
    pub merchant_id: i64,
    pub item_id: i64,
    pub location_id: i64,
    pub kind: String,
    /// The signed change of the level.
    pub quantity: i64,
    pub on_hand_after: i64,
    pub actor: String,
    pub reason: String,
    pub occurred_at: NaiveDateTime,
    pub recorded_at: NaiveDateTime,
    pub idempotency_key: String,
    pub reference: String,
    pub catalog_version: i64,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = stock_movements)]
pub struct NewStockMovementRow<'a> {
    pub merchant_id: i64,
    pub item_id: i64,
    pub location_id: i64,
    pub kind: &'a str,
    pub quantity: i64,
    pub on_hand_after: i64,
    pub actor: &'a str,
    pub reason: &'a str,
    pub occurred_at: NaiveDateTime,
    pub recorded_at: NaiveDateTime,
    pub idempotency_key: &'a str,
    pub reference: &'a str,
    pub catalog_version: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = idempotency_keys)]
pub struct IdempotencyKeyRow {
    pub id: i64,
    pub merchant_id: i64,
    pub idempotency_key: String,
    pub fingerprint: String,
    pub response_body: String,
    pub created_at: NaiveDateTime,
    /// `performed` or `refused`.
    pub outcome: String,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = webhook_deliveries)]
pub struct NewWebhookDeliveryRow<'a> {
    pub endpoint_id: i64,
    pub event_id: i64,
    pub catalog_version: i64,
    pub event_type: &'a str,
    pub status: &'a str,
    pub attempts: i32,
    pub next_attempt_at: Option<NaiveDateTime>,
    pub last_attempt_at: Option<NaiveDateTime>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<&'a str>,
    pub delivered_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = idempotency_keys)]
pub struct NewIdempotencyKeyRow<'a> {
    pub merchant_id: i64,
    pub idempotency_key: &'a str,
    pub fingerprint: &'a str,
    pub response_body: &'a str,
    pub created_at: NaiveDateTime,
    pub outcome: &'a str,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = super::schema::staff_sessions)]
pub struct StaffSessionRow {
    pub id: i64,
    pub staff_id: i64,
    /// Hex SHA-256 of the secret the session cookie carries.
    pub secret_hash: String,
    /// The staff member's `session_epoch` when the session began.
    pub epoch: i64,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    /// When the session was signed out; open while empty.
    pub ended_at: Option<NaiveDateTime>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = super::schema::staff_sessions)]
pub struct NewStaffSessionRow<'a> {
    pub staff_id: i64,
    pub secret_hash: &'a str,
    pub epoch: i64,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = super::schema::sign_in_failures)]
pub struct NewSignInFailureRow<'a> {
    /// `email` or `address`.
    pub kind: &'a str,
    pub key: &'a str,
    pub failed_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = super::schema::sign_in_events)]
pub struct SignInEventRow {
    pub id: i64,
    pub merchant_id: i64,
    pub staff_id: i64,
    /// `signed_in` or `locked_out`.
    pub kind: String,
    pub address: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = super::schema::sign_in_events)]
pub struct NewSignInEventRow<'a> {
    pub merchant_id: i64,
    pub staff_id: i64,
    pub kind: &'a str,
    pub address: &'a str,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = super::schema::webhook_manual_sends)]
pub struct WebhookManualSendRow {
    pub id: i64,
    pub endpoint_id: i64,
    /// The delivery a resend repeats; `None` for a test event.
    pub delivery_id: Option<i64>,
    pub requested_at: NaiveDateTime,
    /// When the dispatcher sent it; waiting while empty.
    pub sent_at: Option<NaiveDateTime>,
    pub status_code: Option<i32>,
    pub error: Option<String>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = super::schema::webhook_manual_sends)]
pub struct NewWebhookManualSendRow {
    pub endpoint_id: i64,
    pub delivery_id: Option<i64>,
    pub requested_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = reservations)]
pub struct ReservationRow {
    pub id: i64,
    pub merchant_id: i64,
    pub item_id: i64,
    pub location_id: i64,
    pub quantity: i64,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub pickup_code: String,
    /// `open`, `picked_up`, `released` or `expired` (a CHECK holds it to those).
    pub status: String,
    pub expires_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub closed_at: Option<NaiveDateTime>,
    /// The staff member who handed it over or released it; `None` otherwise.
    pub closed_by: Option<String>,
    /// Where the request came from, for the per-address limit.
    pub client_address: String,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = reservations)]
pub struct NewReservationRow<'a> {
    pub merchant_id: i64,
    pub item_id: i64,
    pub location_id: i64,
    pub quantity: i64,
    pub name: &'a str,
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub pickup_code: &'a str,
    pub status: &'a str,
    pub expires_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub client_address: &'a str,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = scheduled_changes)]
pub struct ScheduledChangeRow {
    pub id: i64,
    pub merchant_id: i64,
    pub item_id: i64,
    /// `hidden`, `view_only` or `for_sale`; `None` leaves it as it is.
    pub online: Option<String>,
    /// `None` leaves it as it is.
    pub in_store: Option<bool>,
    pub due_at: NaiveDateTime,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    /// `pending`, `applied`, `refused` or `cancelled` (a CHECK holds it to those).
    pub status: String,
    pub applied_at: Option<NaiveDateTime>,
    /// Why it was refused; empty otherwise.
    pub refusal: String,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = scheduled_changes)]
pub struct NewScheduledChangeRow<'a> {
    pub merchant_id: i64,
    pub item_id: i64,
    pub online: Option<&'a str>,
    pub in_store: Option<bool>,
    pub due_at: NaiveDateTime,
    pub created_by: &'a str,
    pub created_at: NaiveDateTime,
    pub status: &'a str,
}
