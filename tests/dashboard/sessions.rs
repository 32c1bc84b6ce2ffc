//! Sessions end on the server: a copy of the cookie is worthless after Sign
//! out, and Sign out everywhere ends every browser's session of that person.

use crate::common::Backend;
use crate::common::{
    DEMO_EMAIL, DEMO_PASSWORD, TestApp, attr_of, html, new_client, sel, spawn_app,
};
use crate::on_both_backends;

/// Signs in on `client` and returns the session cookie (`name=value`) the
/// login answered with, as someone copying it out of the browser would.
async fn login_and_copy_cookie(app: &TestApp, client: &reqwest::Client) -> String {
    let page = client
        .get(app.url("/login"))
        .send()
        .await
        .expect("login page");
    let doc = html(&page.text().await.expect("a body"));
    let token = attr_of(&doc, "input[name=csrf_token]", "value").expect("a CSRF token");
    let response = client
        .post(app.url("/login"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", DEMO_EMAIL),
            ("password", DEMO_PASSWORD),
        ])
        .send()
        .await
        .expect("login");
    assert_eq!(response.status(), 303, "the login succeeds");
    let cookie = response
        .headers()
        .get("set-cookie")
        .expect("a session cookie")
        .to_str()
        .expect("ascii");
    cookie.split(';').next().unwrap_or_default().to_owned()
}

/// A request made with nothing but the copied cookie.
async fn get_with_cookie(app: &TestApp, cookie: &str, htmx: bool) -> reqwest::Response {
    let mut request = new_client().get(app.url("/items")).header("Cookie", cookie);
    if htmx {
        request = request.header("HX-Request", "true");
    }
    request.send().await.expect("GET /items")
}

/// Posts a header form (`/logout` or `/logout/everywhere`) the way a browser does.
async fn post_sign_out(app: &TestApp, client: &reqwest::Client, path: &str) -> reqwest::Response {
    let token = app.csrf_token_of(client).await;
    client
        .post(app.url(path))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .expect("sign-out post")
}

async fn assert_sent_to_login(app: &TestApp, cookie: &str, what: &str) {
    let page = get_with_cookie(app, cookie, false).await;
    assert_eq!(page.status(), 303, "{what}: a page request");
    assert_eq!(page.headers()["location"], "/login", "{what}");
    let htmx = get_with_cookie(app, cookie, true).await;
    assert_eq!(htmx.status(), 401, "{what}: an htmx request");
    assert_eq!(htmx.headers()["hx-redirect"], "/login", "{what}");
}

on_both_backends!(
    a_copied_cookie_no_longer_opens_the_dashboard_after_sign_out,
    signing_out_ends_only_that_session,
    sign_out_everywhere_ends_every_session_of_that_person,
    a_fresh_sign_in_works_after_sign_out_and_sign_out_everywhere,
);

async fn a_copied_cookie_no_longer_opens_the_dashboard_after_sign_out(backend: Backend) {
    let app = spawn_app(backend).await;
    let copied = login_and_copy_cookie(&app, &app.client).await;
    assert_eq!(
        get_with_cookie(&app, &copied, false).await.status(),
        200,
        "the copy works while signed in"
    );

    let response = post_sign_out(&app, &app.client, "/logout").await;

    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/login");
    assert_sent_to_login(&app, &copied, "the copied cookie").await;
}

async fn signing_out_ends_only_that_session(backend: Backend) {
    let app = spawn_app(backend).await;
    let laptop = login_and_copy_cookie(&app, &app.client).await;
    let phone = new_client();
    let phone_cookie = login_and_copy_cookie(&app, &phone).await;

    post_sign_out(&app, &phone, "/logout").await;

    assert_sent_to_login(&app, &phone_cookie, "the signed-out phone").await;
    assert_eq!(
        get_with_cookie(&app, &laptop, false).await.status(),
        200,
        "the laptop stays signed in"
    );
}

async fn sign_out_everywhere_ends_every_session_of_that_person(backend: Backend) {
    let app = spawn_app(backend).await;
    let laptop = login_and_copy_cookie(&app, &app.client).await;
    let phone = new_client();
    let phone_cookie = login_and_copy_cookie(&app, &phone).await;
    let page = app.get_html("/items").await;
    assert!(
        page.select(&sel(
            "form.signout button[formaction=\"/logout/everywhere\"]"
        ))
        .next()
        .is_some(),
        "the header offers the button"
    );

    let response = post_sign_out(&app, &app.client, "/logout/everywhere").await;

    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/login");
    assert_sent_to_login(&app, &laptop, "the laptop").await;
    assert_sent_to_login(&app, &phone_cookie, "the phone").await;
    assert_eq!(
        phone
            .get(app.url("/items"))
            .send()
            .await
            .expect("GET")
            .status(),
        303,
        "the phone's own browser too"
    );
}

async fn a_fresh_sign_in_works_after_sign_out_and_sign_out_everywhere(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    post_sign_out(&app, &app.client, "/logout").await;
    app.login().await;
    assert_eq!(app.get("/items").await.status(), 200, "after sign out");

    assert_eq!(
        post_sign_out(&app, &app.client, "/logout/everywhere")
            .await
            .status(),
        303
    );
    let fresh = login_and_copy_cookie(&app, &app.client).await;

    assert_eq!(
        app.get("/items").await.status(),
        200,
        "after sign out everywhere"
    );
    assert_eq!(get_with_cookie(&app, &fresh, false).await.status(), 200);
}

on_both_backends!(a_session_past_its_lifetime_is_refused_on_the_server,);

async fn a_session_past_its_lifetime_is_refused_on_the_server(backend: Backend) {
    use diesel::prelude::*;
    use shelfsync::db::schema::staff_sessions;
    let app = spawn_app(backend).await;
    let copied = login_and_copy_cookie(&app, &app.client).await;
    let lifetime = shelfsync::inventory::sessions::LIFETIME;
    let past = chrono::Utc::now().naive_utc() - chrono::TimeDelta::minutes(1);

    // As if the session had begun a lifetime ago (the cookie itself still says nothing).
    diesel::update(staff_sessions::table)
        .set((
            staff_sessions::created_at.eq(past - lifetime),
            staff_sessions::expires_at.eq(past),
        ))
        .execute(&mut app.conn())
        .expect("age the session");

    assert_sent_to_login(&app, &copied, "the expired session").await;
}
