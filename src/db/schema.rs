// The Diesel schema, shared by both backends. Kept in step with
// migrations/sqlite and migrations/postgres; `tests/schema/main.rs` compares it
// with both migrated databases, and the two trees with each other, so a drift
// fails the tests.

diesel::table! {
    merchants (id) {
        id -> BigInt,
        slug -> Text,
        name -> Text,
        currency -> Text,
        catalog_version -> BigInt,
        created_at -> Timestamp,
        online_buffer -> BigInt,
        time_zone -> Text,
        auto_view_only_default -> Bool,
        storefront_url_pattern -> Nullable<Text>,
        reservation_max_quantity -> BigInt,
        reservation_hold_hours -> BigInt,
    }
}

diesel::table! {
    merchant_slugs (slug) {
        slug -> Text,
        merchant_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    locations (id) {
        id -> BigInt,
        merchant_id -> BigInt,
        name -> Text,
        fulfils_online -> Bool,
        created_at -> Timestamp,
        address -> Text,
        hours -> Text,
        archived_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    staff (id) {
        id -> BigInt,
        merchant_id -> BigInt,
        email -> Text,
        display_name -> Text,
        password_hash -> Text,
        session_epoch -> BigInt,
        created_at -> Timestamp,
        role -> Text,
        location_id -> Nullable<BigInt>,
        deactivated_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    staff_invitations (id) {
        id -> BigInt,
        merchant_id -> BigInt,
        staff_id -> BigInt,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sign_in_failures (id) {
        id -> BigInt,
        kind -> Text,
        key -> Text,
        failed_at -> Timestamp,
    }
}

diesel::table! {
    sign_in_events (id) {
        id -> BigInt,
        merchant_id -> BigInt,
        staff_id -> BigInt,
        kind -> Text,
        address -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    catalog_imports (id) {
        id -> BigInt,
        merchant_id -> BigInt,
        actor -> Text,
        actor_email -> Text,
        file_name -> Text,
        new_items -> BigInt,
        changed_items -> BigInt,
        unchanged_items -> BigInt,
        archived_items -> BigInt,
        catalog_version -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    catalog_uploads (id) {
        id -> BigInt,
        merchant_id -> BigInt,
        staff_id -> BigInt,
        file_name -> Text,
        content -> Binary,
        archive_missing -> Bool,
        choices -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    items (id) {
        id -> BigInt,
        merchant_id -> BigInt,
        sku -> Text,
        name -> Text,
        description -> Text,
        price_minor -> BigInt,
        currency -> Text,
        barcode -> Nullable<Text>,
        in_store -> Bool,
        online -> Text,
        version -> BigInt,
        changed_version -> BigInt,
        archived -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        online_buffer -> Nullable<BigInt>,
        allow_backorder -> Bool,
        auto_view_only -> Bool,
        auto_switched -> Bool,
    }
}

diesel::table! {
    stock_levels (id) {
        id -> BigInt,
        item_id -> BigInt,
        location_id -> BigInt,
        on_hand -> BigInt,
        updated_at -> Timestamp,
        held -> BigInt,
    }
}

diesel::table! {
    audit_entries (id) {
        id -> BigInt,
        merchant_id -> BigInt,
        item_id -> Nullable<BigInt>,
        actor -> Text,
        field -> Text,
        old_value -> Text,
        new_value -> Text,
        catalog_version -> BigInt,
        created_at -> Timestamp,
        item_version -> Nullable<BigInt>,
        subject -> Text,
        subject_id -> Nullable<BigInt>,
        subject_label -> Text,
        actor_email -> Text,
    }
}

diesel::table! {
    outbox_events (id) {
        id -> BigInt,
        merchant_id -> BigInt,
        catalog_version -> BigInt,
        event_type -> Text,
        item_id -> Nullable<BigInt>,
        payload -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> BigInt,
        merchant_id -> BigInt,
        name -> Text,
        scope -> Text,
        location_id -> Nullable<BigInt>,
        token_hash -> Text,
        token_prefix -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webhook_endpoints (id) {
        id -> BigInt,
        merchant_id -> BigInt,
        url -> Text,
        secret -> Text,
        previous_secret -> Nullable<Text>,
        previous_secret_expires_at -> Nullable<Timestamp>,
        enabled -> Bool,
        event_types -> Text,
        cursor_version -> BigInt,
        cursor_event_id -> BigInt,
        lease_owner -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> BigInt,
        endpoint_id -> BigInt,
        event_id -> BigInt,
        catalog_version -> BigInt,
        event_type -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Nullable<Timestamp>,
        last_attempt_at -> Nullable<Timestamp>,
        last_status_code -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        delivered_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    stock_movements (id) {
        id -> BigInt,
        merchant_id -> BigInt,
        item_id -> BigInt,
        location_id -> BigInt,
        kind -> Text,
        quantity -> BigInt,
        on_hand_after -> BigInt,
        actor -> Text,
        reason -> Text,
        occurred_at -> Timestamp,
        recorded_at -> Timestamp,
        idempotency_key -> Text,
        reference -> Text,
        catalog_version -> BigInt,
    }
}

diesel::table! {
    idempotency_keys (id) {
        id -> BigInt,
        merchant_id -> BigInt,
        idempotency_key -> Text,
        fingerprint -> Text,
        response_body -> Text,
        created_at -> Timestamp,
        outcome -> Text,
    }
}

diesel::table! {
    webhook_manual_sends (id) {
        id -> BigInt,
        endpoint_id -> BigInt,
        delivery_id -> Nullable<BigInt>,
        requested_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        status_code -> Nullable<Integer>,
        error -> Nullable<Text>,
    }
}

diesel::table! {
    staff_sessions (id) {
        id -> BigInt,
        staff_id -> BigInt,
        secret_hash -> Text,
        epoch -> BigInt,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        ended_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    app_settings (name) {
        name -> Text,
        value -> Text,
    }
}

diesel::joinable!(locations -> merchants (merchant_id));
diesel::joinable!(staff -> merchants (merchant_id));
diesel::joinable!(merchant_slugs -> merchants (merchant_id));
diesel::joinable!(staff_invitations -> staff (staff_id));
diesel::table! {
    bulk_edits (id) {
        id -> BigInt,
        merchant_id -> BigInt,
        actor -> Text,
        actor_email -> Text,
        item_count -> BigInt,
        catalog_version -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    bulk_edit_items (id) {
        id -> BigInt,
        bulk_edit_id -> BigInt,
        item_id -> BigInt,
        item_version -> BigInt,
        sku -> Text,
        name -> Text,
        description -> Text,
        price_minor -> BigInt,
        currency -> Text,
        barcode -> Nullable<Text>,
        in_store -> Bool,
        online -> Text,
        online_buffer -> Nullable<BigInt>,
        allow_backorder -> Bool,
        undone -> Bool,
    }
}

diesel::table! {
    bulk_edit_columns (staff_id) {
        staff_id -> BigInt,
        chosen -> Text,
    }
}

diesel::joinable!(staff_sessions -> staff (staff_id));
diesel::joinable!(sign_in_events -> staff (staff_id));
diesel::joinable!(webhook_manual_sends -> webhook_endpoints (endpoint_id));
diesel::joinable!(webhook_manual_sends -> webhook_deliveries (delivery_id));
diesel::joinable!(items -> merchants (merchant_id));
diesel::joinable!(audit_entries -> items (item_id));
diesel::joinable!(stock_levels -> items (item_id));
diesel::joinable!(stock_levels -> locations (location_id));
diesel::joinable!(outbox_events -> merchants (merchant_id));
diesel::joinable!(api_tokens -> merchants (merchant_id));
diesel::joinable!(webhook_endpoints -> merchants (merchant_id));
diesel::joinable!(webhook_deliveries -> webhook_endpoints (endpoint_id));
diesel::joinable!(webhook_deliveries -> outbox_events (event_id));
diesel::joinable!(stock_movements -> items (item_id));
diesel::joinable!(stock_movements -> locations (location_id));
diesel::joinable!(idempotency_keys -> merchants (merchant_id));
diesel::joinable!(bulk_edit_items -> bulk_edits (bulk_edit_id));
diesel::joinable!(bulk_edit_items -> items (item_id));

diesel::table! {
    reservations (id) {
        id -> BigInt,
        merchant_id -> BigInt,
        item_id -> BigInt,
        location_id -> BigInt,
        quantity -> BigInt,
        name -> Text,
        email -> Nullable<Text>,
        phone -> Nullable<Text>,
        pickup_code -> Text,
        status -> Text,
        expires_at -> Timestamp,
        created_at -> Timestamp,
        closed_at -> Nullable<Timestamp>,
        closed_by -> Nullable<Text>,
        client_address -> Text,
    }
}

diesel::joinable!(reservations -> items (item_id));
diesel::joinable!(reservations -> locations (location_id));

diesel::table! {
    scheduled_changes (id) {
        id -> BigInt,
        merchant_id -> BigInt,
        item_id -> BigInt,
        online -> Nullable<Text>,
        in_store -> Nullable<Bool>,
        due_at -> Timestamp,
        created_by -> Text,
        created_at -> Timestamp,
        status -> Text,
        applied_at -> Nullable<Timestamp>,
        refusal -> Text,
    }
}

diesel::joinable!(scheduled_changes -> items (item_id));

diesel::table! {
    pruned_history (merchant_id) {
        merchant_id -> BigInt,
        through_version -> BigInt,
        pruned_at -> Timestamp,
    }
}

diesel::joinable!(pruned_history -> merchants (merchant_id));

diesel::allow_tables_to_appear_in_same_query!(
    merchants,
    locations,
    staff,
    items,
    stock_levels,
    audit_entries,
    outbox_events,
    api_tokens,
    webhook_endpoints,
    webhook_deliveries,
    stock_movements,
    idempotency_keys,
    staff_sessions,
    sign_in_failures,
    sign_in_events,
    webhook_manual_sends,
    app_settings,
    merchant_slugs,
    staff_invitations,
    catalog_imports,
    catalog_uploads,
    bulk_edits,
    bulk_edit_items,
    bulk_edit_columns,
    reservations,
    scheduled_changes,
    pruned_history,
);
