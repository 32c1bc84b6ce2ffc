//! The storage layer: migrations, schema and connection settings on both backends.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use shelfsync::db::models::{
    AppSettingRow, AuditEntryRow, IdempotencyKeyRow, ItemRow, LocationRow, MerchantRow,
    OutboxEventRow, StaffRow, StockLevelRow, StockMovementRow, WebhookDeliveryRow,
    WebhookEndpointRow,
};
use shelfsync::db::schema::{
    app_settings, audit_entries, idempotency_keys, items, locations, merchants, outbox_events,
    staff, stock_levels, stock_movements, webhook_deliveries, webhook_endpoints,
};
use shelfsync::db::{self, DbConnection};

use crate::common::{Backend, TestDb};
use crate::on_both_backends;

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Setting {
    #[diesel(sql_type = Text)]
    value: String,
}

fn column_count(conn: &mut DbConnection, backend: Backend, table: &str) -> i64 {
    let sql = match backend {
        Backend::Sqlite => format!("SELECT count(*) AS n FROM pragma_table_info('{table}')"),
        Backend::Postgres => format!(
            "SELECT count(*) AS n FROM information_schema.columns WHERE table_schema = 'public' AND table_name = '{table}'"
        ),
    };
    diesel::sql_query(sql)
        .get_result::<Count>(conn)
        .expect("column count")
        .n
}

on_both_backends!(
    every_table_reads_back_through_the_diesel_schema_after_the_demo_is_seeded,
    migrations_revert_cleanly_and_apply_again,
    stock_from_before_the_ledger_becomes_its_opening_balance
);

async fn every_table_reads_back_through_the_diesel_schema_after_the_demo_is_seeded(
    backend: Backend,
) {
    let db = TestDb::new(backend);
    let mut conn = db.pool().get().expect("conn");
    shelfsync::demo::create(&mut conn).expect("demo");

    assert_eq!(
        merchants::table
            .select(MerchantRow::as_select())
            .load(&mut conn)
            .expect("merchants")
            .len(),
        1
    );
    assert_eq!(
        locations::table
            .select(LocationRow::as_select())
            .load(&mut conn)
            .expect("locations")
            .len(),
        2
    );
    assert_eq!(
        staff::table
            .select(StaffRow::as_select())
            .load(&mut conn)
            .expect("staff")
            .len(),
        1
    );
    assert_eq!(
        items::table
            .select(ItemRow::as_select())
            .load(&mut conn)
            .expect("items")
            .len(),
        60
    );
    assert!(
        !stock_levels::table
            .select(StockLevelRow::as_select())
            .load(&mut conn)
            .expect("stock")
            .is_empty()
    );
    assert!(
        !audit_entries::table
            .select(AuditEntryRow::as_select())
            .load(&mut conn)
            .expect("audit")
            .is_empty()
    );
    assert!(
        !outbox_events::table
            .select(OutboxEventRow::as_select())
            .load(&mut conn)
            .expect("outbox")
            .is_empty()
    );
    app_settings::table
        .select(AppSettingRow::as_select())
        .load(&mut conn)
        .expect("settings");
    webhook_endpoints::table
        .select(WebhookEndpointRow::as_select())
        .load(&mut conn)
        .expect("webhook endpoints");
    webhook_deliveries::table
        .select(WebhookDeliveryRow::as_select())
        .load(&mut conn)
        .expect("webhook deliveries");
    shelfsync::db::schema::merchant_slugs::table
        .select(shelfsync::db::models::MerchantSlugRow::as_select())
        .load(&mut conn)
        .expect("old shop slugs");
    shelfsync::db::schema::staff_invitations::table
        .select(shelfsync::db::models::StaffInvitationRow::as_select())
        .load(&mut conn)
        .expect("staff invitations");
    shelfsync::db::schema::reservations::table
        .select(shelfsync::db::models::ReservationRow::as_select())
        .load(&mut conn)
        .expect("reservations");
    // The demo's stock arrives as receipts through the ledger, each under its own key.
    let receipts = stock_movements::table
        .select(StockMovementRow::as_select())
        .load(&mut conn)
        .expect("movements");
    assert!(
        !receipts.is_empty()
            && receipts
                .iter()
                .all(|m| m.kind == "receipt" && m.quantity > 0)
    );
    assert_eq!(
        idempotency_keys::table
            .select(IdempotencyKeyRow::as_select())
            .load(&mut conn)
            .expect("keys")
            .len(),
        receipts.len()
    );

    // The schema names every column the migrations create, no more, no less.
    for (table, columns) in [
        ("merchants", 12),
        ("merchant_slugs", 3),
        ("locations", 8),
        ("staff", 10),
        ("staff_invitations", 7),
        ("sign_in_failures", 4),
        ("sign_in_events", 6),
        ("items", 19),
        ("stock_levels", 6),
        ("audit_entries", 14),
        ("outbox_events", 7),
        ("api_tokens", 10),
        ("app_settings", 2),
        ("webhook_endpoints", 14),
        ("webhook_deliveries", 13),
        ("stock_movements", 14),
        ("idempotency_keys", 7),
        ("reservations", 15),
    ] {
        assert_eq!(column_count(&mut conn, backend, table), columns, "{table}");
    }
}

async fn migrations_revert_cleanly_and_apply_again(backend: Backend) {
    let db = TestDb::new(backend);
    let mut conn = db.pool().get().expect("conn");

    db::revert_all_migrations(&mut conn).expect("revert");
    let applied = db::run_migrations(&mut conn).expect("apply again");

    assert!(applied >= 1);
    shelfsync::demo::create(&mut conn).expect("the demo seeds after a round trip");
}

async fn stock_from_before_the_ledger_becomes_its_opening_balance(backend: Backend) {
    let db = TestDb::new(backend);
    let pool = db::open_pool(&db.url, 2).expect("pool");
    let mut conn = pool.get().expect("conn");
    // The schema before the ledger: the core and API tokens.
    db::run_next_migrations(&mut conn, 2).expect("the first two migrations");
    for statement in [
        "INSERT INTO merchants (slug, name, currency, catalog_version, created_at) VALUES ('old', 'Old shop', 'USD', 7, '2026-01-01 00:00:00')",
        "INSERT INTO locations (merchant_id, name, fulfils_online, created_at) SELECT id, 'Main', TRUE, '2026-01-01 00:00:00' FROM merchants",
        "INSERT INTO items (merchant_id, sku, name, price_minor, currency, in_store, online, changed_version, created_at, updated_at) SELECT id, 'OLD-1', 'Old mug', 100, 'USD', TRUE, 'for_sale', 7, '2026-01-01 00:00:00', '2026-01-01 00:00:00' FROM merchants",
        "INSERT INTO stock_levels (item_id, location_id, on_hand, updated_at) SELECT items.id, locations.id, 12, '2026-01-02 00:00:00' FROM items, locations",
    ] {
        diesel::sql_query(statement)
            .execute(&mut conn)
            .expect(statement);
    }

    db::run_migrations(&mut conn).expect("the ledger migration applies");

    assert!(
        shelfsync::inventory::stock::verify_ledger(&mut conn)
            .expect("verify")
            .is_empty()
    );
    let opening: Vec<(String, i64, String)> = stock_movements::table
        .select((
            stock_movements::kind,
            stock_movements::quantity,
            stock_movements::reason,
        ))
        .load(&mut conn)
        .expect("movements");
    assert_eq!(
        opening,
        vec![("count".to_owned(), 12, "Opening balance".to_owned())]
    );
}

#[tokio::test]
async fn sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout() {
    let db = TestDb::new(Backend::Sqlite);
    let mut conn = db.pool().get().expect("conn");
    let read = |conn: &mut DbConnection, pragma: &str| -> String {
        diesel::sql_query(format!(
            "SELECT CAST({pragma} AS TEXT) AS value FROM pragma_{pragma}"
        ))
        .get_result::<Setting>(conn)
        .expect(pragma)
        .value
    };
    assert_eq!(read(&mut conn, "journal_mode"), "wal");
    assert_eq!(read(&mut conn, "foreign_keys"), "1");
    #[derive(QueryableByName)]
    struct Timeout {
        #[diesel(sql_type = BigInt)]
        timeout: i64,
    }
    let busy = diesel::sql_query("PRAGMA busy_timeout")
        .get_result::<Timeout>(&mut conn)
        .expect("busy_timeout");
    assert_eq!(busy.timeout, 5000);
}
