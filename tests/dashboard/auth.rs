//! Sign-in, sign-out, sessions and CSRF protection.

use crate::common::demo::SPECKLED_MUG_IN_STORE_ONLY;
use crate::common::fixtures::{OtherMerchant, other_merchant};
use crate::common::{Backend, TestApp, attr_of, html, new_client, spawn_app, text_of};
use crate::on_both_backends;
use crate::support::row_state;

async fn designation_of(app: &TestApp, item_id: i64) -> String {
    let doc = app
        .get_html(&format!("/items?q=CG-{}", 1000 + item_id))
        .await;
    row_state(&doc, item_id).expect("listed").0
}

on_both_backends!(
    every_dashboard_page_redirects_to_login_without_a_session,
    an_htmx_request_without_a_session_is_told_to_go_to_login,
    a_wrong_password_re_renders_the_form_with_a_message,
    signing_in_sets_an_httponly_samesite_cookie_and_rotates_it,
    signing_out_ends_the_session,
    a_post_without_a_csrf_token_is_forbidden_and_changes_nothing,
    a_forged_csrf_token_is_forbidden_for_forms_and_htmx,
    a_cross_site_post_is_forbidden_even_with_the_right_token,
    staff_see_only_their_own_merchant
);

async fn every_dashboard_page_redirects_to_login_without_a_session(backend: Backend) {
    let app = spawn_app(backend).await;
    for path in [
        "/items",
        "/items/1",
        "/items/new",
        "/counter",
        "/activity",
        "/settings/tokens",
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 303, "{path}");
        assert_eq!(response.headers()["location"], "/login", "{path}");
    }
}

async fn an_htmx_request_without_a_session_is_told_to_go_to_login(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app
        .client
        .get(app.url("/items"))
        .header("HX-Request", "true")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["hx-redirect"], "/login");
}

async fn a_wrong_password_re_renders_the_form_with_a_message(backend: Backend) {
    let app = spawn_app(backend).await;
    let page = html(&app.get("/login").await.text().await.expect("body"));
    let token = attr_of(&page, "input[name=csrf_token]", "value").expect("token");

    let response = app
        .client
        .post(app.url("/login"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", crate::common::DEMO_EMAIL),
            ("password", "wrong-password"),
        ])
        .send()
        .await
        .expect("post");

    assert_eq!(response.status(), 401);
    let doc = html(&response.text().await.expect("body"));
    assert_eq!(
        text_of(&doc, "p.notice.error").as_deref(),
        Some("That email and password do not match an account.")
    );
    assert_eq!(
        attr_of(&doc, "#email", "value").as_deref(),
        Some(crate::common::DEMO_EMAIL)
    );
    assert_eq!(app.get("/items").await.status(), 303, "still signed out");
}

async fn signing_in_sets_an_httponly_samesite_cookie_and_rotates_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let page = app
        .client
        .get(app.url("/login"))
        .send()
        .await
        .expect("login page");
    let before = page
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().expect("ascii").to_owned())
        .collect::<Vec<_>>();
    let doc = html(&page.text().await.expect("body"));
    let token = attr_of(&doc, "input[name=csrf_token]", "value").expect("token");

    let response = app
        .client
        .post(app.url("/login"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", crate::common::DEMO_EMAIL),
            ("password", crate::common::DEMO_PASSWORD),
        ])
        .send()
        .await
        .expect("post");

    assert_eq!(response.status(), 303);
    let cookie = response
        .headers()
        .get("set-cookie")
        .expect("a session cookie")
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(cookie.starts_with("shelfsync="), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    let value = |c: &str| c.split(';').next().unwrap_or_default().to_owned();
    assert!(
        before.iter().all(|b| value(b) != value(&cookie)),
        "the cookie changes at login"
    );
    assert_eq!(app.get("/items").await.status(), 200);
}

async fn signing_out_ends_the_session(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;

    let response = app.post_form("/logout", &[]).await;

    assert_eq!(response.status(), 303);
    assert_eq!(app.get("/items").await.status(), 303);
}

async fn a_post_without_a_csrf_token_is_forbidden_and_changes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;

    let response = app
        .client
        .post(app.url(&format!("/items/{SPECKLED_MUG_IN_STORE_ONLY}/designation")))
        .form(&[("action", "sell_online"), ("version", "1")])
        .send()
        .await
        .expect("post");

    assert_eq!(response.status(), 403);
    let doc = html(&response.text().await.expect("body"));
    assert_eq!(text_of(&doc, "h1").as_deref(), Some("Not allowed"));
    assert_eq!(
        designation_of(&app, SPECKLED_MUG_IN_STORE_ONLY).await,
        "hidden"
    );
}

async fn a_forged_csrf_token_is_forbidden_for_forms_and_htmx(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let path = app.url(&format!("/items/{SPECKLED_MUG_IN_STORE_ONLY}/designation"));

    let form = app
        .client
        .post(&path)
        .form(&[
            ("csrf_token", "forged"),
            ("action", "sell_online"),
            ("version", "1"),
        ])
        .send()
        .await
        .expect("post");
    let htmx = app
        .client
        .post(&path)
        .header("HX-Request", "true")
        .header("X-CSRF-Token", "forged")
        .form(&[("action", "sell_online"), ("version", "1")])
        .send()
        .await
        .expect("post");

    assert_eq!(form.status(), 403);
    assert_eq!(htmx.status(), 403);
    assert_eq!(
        designation_of(&app, SPECKLED_MUG_IN_STORE_ONLY).await,
        "hidden"
    );
}

async fn a_cross_site_post_is_forbidden_even_with_the_right_token(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let token = app.csrf_token().await;

    let cross_site = app
        .client
        .post(app.url(&format!("/items/{SPECKLED_MUG_IN_STORE_ONLY}/designation")))
        .header("Sec-Fetch-Site", "cross-site")
        .form(&[
            ("csrf_token", token.as_str()),
            ("action", "sell_online"),
            ("version", "1"),
        ])
        .send()
        .await
        .expect("post");
    let other_origin = app
        .client
        .post(app.url(&format!("/items/{SPECKLED_MUG_IN_STORE_ONLY}/designation")))
        .header("Origin", "http://evil.example")
        .form(&[
            ("csrf_token", token.as_str()),
            ("action", "sell_online"),
            ("version", "1"),
        ])
        .send()
        .await
        .expect("post");

    assert_eq!(cross_site.status(), 403);
    assert_eq!(other_origin.status(), 403);
    assert_eq!(
        designation_of(&app, SPECKLED_MUG_IN_STORE_ONLY).await,
        "hidden"
    );
}

async fn staff_see_only_their_own_merchant(backend: Backend) {
    let app = spawn_app(backend).await;
    let other = other_merchant(&app);
    let olga = new_client();
    app.login_as(&olga, OtherMerchant::EMAIL, OtherMerchant::PASSWORD)
        .await;

    let page = olga.get(app.url("/items")).send().await.expect("items");
    let doc = html(&page.text().await.expect("body"));
    let demo_item = olga
        .get(app.url("/items/1"))
        .send()
        .await
        .expect("demo item");

    assert_eq!(
        text_of(&doc, ".topbar .brand strong").as_deref(),
        Some(OtherMerchant::NAME)
    );
    assert_eq!(
        doc.select(&crate::common::sel("tr.item-row")).count(),
        other.items.len()
    );
    for item in &other.items {
        assert!(
            doc.select(&crate::common::sel(&format!("tr#item-{}", item.id)))
                .next()
                .is_some()
        );
    }
    assert_eq!(demo_item.status(), 404);
}
