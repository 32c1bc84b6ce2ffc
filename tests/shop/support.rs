//! People with roles, and a fingerprint of everything a request could change.

use diesel::prelude::*;
use shelfsync::db::DbConnection;
use shelfsync::db::schema::{
    api_tokens, audit_entries, locations, merchants, scheduled_changes, staff, stock_movements,
    webhook_endpoints,
};

use crate::common::{attr_of, html};

pub use crate::common::fixtures::{PASSWORD, person, signed_in};

/// Everything of a merchant that a dashboard request could change, as one value.
pub fn fingerprint(conn: &mut DbConnection, merchant_id: i64) -> String {
    let merchant: (String, String, String, i64, i64) = merchants::table
        .find(merchant_id)
        .select((
            merchants::name,
            merchants::slug,
            merchants::time_zone,
            merchants::online_buffer,
            merchants::catalog_version,
        ))
        .first(conn)
        .expect("the merchant");
    let audit: i64 = audit_entries::table
        .filter(audit_entries::merchant_id.eq(merchant_id))
        .count()
        .get_result(conn)
        .expect("audit");
    let movements: i64 = stock_movements::table
        .filter(stock_movements::merchant_id.eq(merchant_id))
        .count()
        .get_result(conn)
        .expect("movements");
    let tokens: Vec<(i64, bool)> = api_tokens::table
        .filter(api_tokens::merchant_id.eq(merchant_id))
        .order(api_tokens::id)
        .select((api_tokens::id, api_tokens::revoked_at.is_null()))
        .load(conn)
        .expect("tokens");
    let endpoints: i64 = webhook_endpoints::table
        .filter(webhook_endpoints::merchant_id.eq(merchant_id))
        .count()
        .get_result(conn)
        .expect("endpoints");
    let stores: Vec<(String, bool, bool)> = locations::table
        .filter(locations::merchant_id.eq(merchant_id))
        .order(locations::id)
        .select((
            locations::name,
            locations::fulfils_online,
            locations::archived_at.is_null(),
        ))
        .load(conn)
        .expect("stores");
    let people: Vec<(String, String, bool, i64)> = staff::table
        .filter(staff::merchant_id.eq(merchant_id))
        .order(staff::id)
        .select((
            staff::email,
            staff::role,
            staff::deactivated_at.is_null(),
            staff::session_epoch,
        ))
        .load(conn)
        .expect("staff");
    let schedules: Vec<(i64, String)> = scheduled_changes::table
        .filter(scheduled_changes::merchant_id.eq(merchant_id))
        .order(scheduled_changes::id)
        .select((scheduled_changes::id, scheduled_changes::status))
        .load(conn)
        .expect("scheduled changes");
    format!(
        "{merchant:?} {audit} {movements} {tokens:?} {endpoints} {stores:?} {people:?} {schedules:?}"
    )
}

/// The CSRF token of a page that is not behind a sign-in (setup, links).
pub async fn page_token(client: &reqwest::Client, url: &str) -> String {
    let body = client
        .get(url)
        .send()
        .await
        .expect("the page")
        .text()
        .await
        .expect("a body");
    attr_of(&html(&body), "input[name=csrf_token]", "value").expect("a CSRF token on the page")
}
