//! Settings → Staff: invitation links, roles, deactivation, passwords.

use shelfsync::inventory::merchants::Location;

use crate::common::fixtures::other_merchant;
use crate::common::{
    Backend, DEMO_EMAIL, DEMO_PASSWORD, html, new_client, spawn_app, text_of, with_conn,
};
use crate::on_both_backends;
use crate::support::{PASSWORD, page_token, person, signed_in};

on_both_backends!(
    an_invitation_link_sets_a_password_once_and_then_says_it_was_used,
    a_weak_password_is_refused_with_the_rule,
    deactivating_someone_ends_their_sessions_at_once,
    the_last_active_owner_cannot_be_demoted_or_deactivated,
    another_merchants_staff_is_404,
    everyone_changes_their_own_password_with_the_current_one
);

/// The link shown once on the staff page after an invitation.
async fn invite(app: &crate::common::TestApp, email: &str, role: &str, store: &str) -> String {
    let response = app
        .post_form(
            "/settings/staff",
            &[
                ("email", email),
                ("name", "Cass"),
                ("role", role),
                ("location_id", store),
            ],
        )
        .await;
    assert_eq!(response.status(), 200);
    let page = html(&response.text().await.expect("a body"));
    text_of(&page, "#invitation-link").expect("the link is shown")
}

async fn set_password(client: &reqwest::Client, link: &str, password: &str) -> reqwest::Response {
    let token = page_token(client, link).await;
    client
        .post(link)
        .form(&[("csrf_token", token.as_str()), ("password", password)])
        .send()
        .await
        .expect("set password")
}

async fn an_invitation_link_sets_a_password_once_and_then_says_it_was_used(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let merchant = app.demo_merchant_id();
    let downtown = with_conn(&app.pool, |conn| {
        Location::all_of(conn, merchant).expect("stores")[0].id
    });
    let link = invite(
        &app,
        "cass@people.example",
        "cashier",
        &downtown.to_string(),
    )
    .await;

    let browser = new_client();
    let accepted = set_password(&browser, &link, "cass-counter-2026").await;

    assert_eq!(accepted.status(), 303);
    assert_eq!(
        accepted
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok()),
        Some("/counter")
    );
    let again = new_client()
        .get(&link)
        .send()
        .await
        .expect("the link again");
    assert_eq!(again.status(), 410);
    let page = html(&again.text().await.expect("a body"));
    assert!(
        text_of(&page, ".error-message")
            .unwrap_or_default()
            .contains("used already")
    );
    let unknown = new_client()
        .get(app.url("/invitations/0000"))
        .send()
        .await
        .expect("an unknown link");
    assert_eq!(unknown.status(), 404);
    signed_in(&app, "cass@people.example", "cass-counter-2026").await;
}

async fn a_weak_password_is_refused_with_the_rule(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let link = invite(&app, "wes@people.example", "manager", "").await;

    for weak in ["short", "password123"] {
        let refused = set_password(&new_client(), &link, weak).await;
        assert_eq!(refused.status(), 422, "{weak}");
        let page = html(&refused.text().await.expect("a body"));
        assert!(
            text_of(&page, ".field-error[data-field=password]")
                .unwrap_or_default()
                .contains("at least 10 characters"),
            "{weak}"
        );
    }
    // The link still works after the refusals.
    assert_eq!(
        set_password(&new_client(), &link, "wes-manager-2026")
            .await
            .status(),
        303
    );
}

async fn deactivating_someone_ends_their_sessions_at_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let merchant = app.demo_merchant_id();
    let (email, id) = with_conn(&app.pool, |conn| {
        person(conn, merchant, "Mona", "manager", None)
    });
    let mona = signed_in(&app, &email, PASSWORD).await;
    assert_eq!(
        mona.get(app.url("/items"))
            .send()
            .await
            .expect("items")
            .status(),
        200
    );
    app.login().await;

    let done = app
        .post_form(&format!("/settings/staff/{id}/deactivate"), &[])
        .await;

    assert_eq!(done.status(), 303);
    assert_eq!(
        mona.get(app.url("/items"))
            .send()
            .await
            .expect("items")
            .status(),
        303
    );
    let client = new_client();
    let token = page_token(&client, &app.url("/login")).await;
    let refused = client
        .post(app.url("/login"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", email.as_str()),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .expect("login");
    assert_eq!(refused.status(), 401);
}

async fn the_last_active_owner_cannot_be_demoted_or_deactivated(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let merchant = app.demo_merchant_id();
    let owner = with_conn(&app.pool, |conn| {
        shelfsync::inventory::staff::list_staff(conn, merchant).expect("staff")[0].id
    });

    let demoted = app
        .post_form(
            &format!("/settings/staff/{owner}/role"),
            &[("role", "manager")],
        )
        .await;
    let deactivated = app
        .post_form(&format!("/settings/staff/{owner}/deactivate"), &[])
        .await;

    for response in [demoted, deactivated] {
        assert_eq!(response.status(), 422);
        let page = html(&response.text().await.expect("a body"));
        assert!(
            text_of(&page, &format!("tr[data-staff-id='{owner}'] .field-error"))
                .unwrap_or_default()
                .contains("last active owner")
        );
    }
    signed_in(&app, DEMO_EMAIL, DEMO_PASSWORD).await;
}

async fn another_merchants_staff_is_404(backend: Backend) {
    let app = spawn_app(backend).await;
    let other = other_merchant(&app);
    let theirs = with_conn(&app.pool, |conn| {
        shelfsync::inventory::staff::list_staff(conn, other.id).expect("staff")[0].id
    });
    app.login().await;

    for action in ["role", "deactivate", "reset", "reactivate"] {
        let response = app
            .post_form(
                &format!("/settings/staff/{theirs}/{action}"),
                &[("role", "cashier")],
            )
            .await;
        assert_eq!(response.status(), 404, "{action}");
    }
}

async fn everyone_changes_their_own_password_with_the_current_one(backend: Backend) {
    let app = spawn_app(backend).await;
    let merchant = app.demo_merchant_id();
    let downtown = with_conn(&app.pool, |conn| {
        Location::all_of(conn, merchant).expect("stores")[0].id
    });
    let (email, _) = with_conn(&app.pool, |conn| {
        person(conn, merchant, "Cato", "cashier", Some(downtown))
    });
    let cato = signed_in(&app, &email, PASSWORD).await;
    let other_browser = signed_in(&app, &email, PASSWORD).await;

    let wrong = app
        .post_form_as(
            &cato,
            "/account/password",
            &[
                ("current_password", "not-it-at-all"),
                ("new_password", "cato-new-password"),
            ],
        )
        .await;
    assert_eq!(wrong.status(), 422);
    let changed = app
        .post_form_as(
            &cato,
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "cato-new-password"),
            ],
        )
        .await;

    assert_eq!(changed.status(), 303);
    assert_eq!(
        cato.get(app.url("/account"))
            .send()
            .await
            .expect("account")
            .status(),
        200
    );
    assert_eq!(
        other_browser
            .get(app.url("/account"))
            .send()
            .await
            .expect("account")
            .status(),
        303,
        "other sessions end"
    );
    signed_in(&app, &email, "cato-new-password").await;
}
