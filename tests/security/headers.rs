//! A walk over every route: each response carries the security headers, and
//! dashboard pages are never stored.

use reqwest::Response;
use reqwest::header::HeaderMap;
use shelfsync::domain::TokenScope;
use shelfsync::inventory::merchants::Location;
use shelfsync::inventory::tokens::create_token;
use shelfsync::web::security_headers::CSP;

use crate::common::{Backend, TestApp, attr_of, html, new_client, spawn_app, text_of, with_conn};
use crate::on_both_backends;

on_both_backends!(
    every_route_answers_with_the_security_headers,
    the_page_showing_a_new_tokens_secret_is_not_stored,
    an_https_public_url_adds_hsts_and_secure_cookies
);

/// What a response is, for which headers it must carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A dashboard page or answer: HTML with the CSP, never stored.
    Dashboard,
    /// A public HTML page (the shop): the CSP, its own caching.
    PublicHtml,
    /// JSON, an asset, or an empty answer outside the dashboard.
    Other,
}

fn check(path: &str, headers: &HeaderMap, kind: Kind) {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    assert_eq!(get("x-content-type-options"), Some("nosniff"), "{path}");
    assert_eq!(get("referrer-policy"), Some("same-origin"), "{path}");
    assert_eq!(get("strict-transport-security"), None, "{path}: http only");
    let is_html = get("content-type").is_some_and(|ct| ct.starts_with("text/html"));
    if is_html {
        let csp = get("content-security-policy").unwrap_or_else(|| panic!("{path}: a CSP"));
        assert_eq!(csp, CSP, "{path}");
        let directives: Vec<&str> = csp.split(';').map(str::trim).collect();
        assert!(directives.contains(&"default-src 'self'"), "{path}");
        assert!(directives.contains(&"frame-ancestors 'none'"), "{path}");
        assert!(
            !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
            "{path}"
        );
        assert_eq!(get("x-frame-options"), Some("DENY"), "{path}");
    }
    match kind {
        Kind::Dashboard => {
            assert_eq!(get("cache-control"), Some("no-store"), "{path}");
        }
        Kind::PublicHtml => assert!(is_html, "{path} is a page"),
        Kind::Other => {}
    }
}

async fn visit(client: &reqwest::Client, app: &TestApp, path: &str) -> Response {
    client
        .get(app.url(path))
        .send()
        .await
        .expect("the server should answer")
}

async fn walk(client: &reqwest::Client, app: &TestApp, routes: &[(&str, u16, Kind)]) {
    for &(path, status, kind) in routes {
        let response = visit(client, app, path).await;
        assert_eq!(response.status(), status, "GET {path}");
        check(path, response.headers(), kind);
    }
}

async fn every_route_answers_with_the_security_headers(backend: Backend) {
    let app = spawn_app(backend).await;
    let merchant = app.demo_merchant_id();
    let (storefront, pos) = with_conn(&app.pool, |conn| {
        let store = Location::all_of(conn, merchant).expect("stores")[0].id;
        (
            create_token(conn, merchant, "shop", TokenScope::Storefront, None)
                .expect("token")
                .secret,
            create_token(conn, merchant, "till", TokenScope::Pos, Some(store))
                .expect("token")
                .secret,
        )
    });
    let signed_out = new_client();

    // Signed out: the login page, redirects to it, the public surfaces.
    walk(
        &signed_out,
        &app,
        &[
            ("/login", 200, Kind::Dashboard),
            ("/", 303, Kind::Dashboard),
            ("/items", 303, Kind::Dashboard),
            ("/items/1", 303, Kind::Dashboard),
            ("/counter", 303, Kind::Dashboard),
            ("/activity", 303, Kind::Dashboard),
            ("/settings/tokens", 303, Kind::Dashboard),
            ("/settings/webhooks", 303, Kind::Dashboard),
            ("/no-such-page", 404, Kind::Dashboard),
            ("/shop/corner-goods", 200, Kind::PublicHtml),
            ("/shop/no-such-shop", 404, Kind::PublicHtml),
            ("/static/app.css", 200, Kind::Other),
            ("/static/app.js", 200, Kind::Other),
            ("/static/htmx.min.js", 200, Kind::Other),
            ("/static/no-such-file.js", 404, Kind::Other),
            ("/api/v1/storefront/items", 401, Kind::Other),
            ("/api/v1/no-such-endpoint", 404, Kind::Other),
        ],
    )
    .await;

    // The API with tokens: JSON gets nosniff too.
    for (token, path, status) in [
        (&storefront, "/api/v1/storefront/items?limit=2", 200),
        (&storefront, "/api/v1/storefront/items?limit=0", 422),
        (&pos, "/api/v1/pos/items", 200),
        (&pos, "/api/v1/storefront/items", 403),
        (&storefront, "/api/v1/items/1", 403),
    ] {
        let response = signed_out
            .get(app.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("an answer");
        assert_eq!(response.status(), status, "GET {path}");
        assert!(
            response.headers()["content-type"]
                .to_str()
                .is_ok_and(|ct| ct.starts_with("application/json")),
            "{path}"
        );
        check(path, response.headers(), Kind::Other);
    }

    // Signed in: every dashboard page.
    app.login().await;
    let doc = app.get_html("/items").await;
    let item = attr_of(&doc, "tr[data-item-id]", "data-item-id").expect("an item row");
    let item_page = format!("/items/{item}");
    let item_activity = format!("/activity?item={item}");
    let counter = format!(
        "/counter?location={}",
        with_conn(&app.pool, |conn| Location::all_of(conn, merchant)
            .expect("stores")[0]
            .id)
    );
    walk(
        &app.client,
        &app,
        &[
            ("/", 303, Kind::Dashboard),
            ("/login", 200, Kind::Dashboard),
            ("/items", 200, Kind::Dashboard),
            (
                "/items?q=mug&filter=for_sale&sort=name&page=1",
                200,
                Kind::Dashboard,
            ),
            ("/items/new", 200, Kind::Dashboard),
            (&item_page, 200, Kind::Dashboard),
            ("/items/999999", 404, Kind::Dashboard),
            ("/counter", 303, Kind::Dashboard),
            (&counter, 200, Kind::Dashboard),
            ("/activity", 200, Kind::Dashboard),
            (&item_activity, 200, Kind::Dashboard),
            ("/settings/tokens", 200, Kind::Dashboard),
            ("/settings/webhooks", 200, Kind::Dashboard),
            ("/settings/webhooks/999999", 404, Kind::Dashboard),
            ("/no-such-page", 404, Kind::Dashboard),
            ("/shop/corner-goods", 200, Kind::PublicHtml),
            ("/static/app.css", 200, Kind::Other),
        ],
    )
    .await;
    // An htmx fragment is a dashboard answer too.
    let fragment = app
        .client
        .get(app.url("/items?q=mug"))
        .header("HX-Request", "true")
        .send()
        .await
        .expect("an answer");
    assert_eq!(fragment.status(), 200);
    check("/items (htmx)", fragment.headers(), Kind::Dashboard);
    // A form post's redirect and a refused form.
    let posted = app
        .post_form(
            &format!("/items/{item}/designation"),
            &[("action", "nonsense"), ("version", "1")],
        )
        .await;
    assert!(posted.status().is_client_error() || posted.status().as_u16() == 303);
    check("POST designation", posted.headers(), Kind::Dashboard);
    let forged = app
        .client
        .post(app.url("/settings/tokens"))
        .form(&[("name", "x")])
        .send()
        .await
        .expect("an answer");
    assert_eq!(forged.status(), 403);
    check("POST without CSRF", forged.headers(), Kind::Dashboard);
}

async fn the_page_showing_a_new_tokens_secret_is_not_stored(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;

    let response = app
        .post_form(
            "/settings/tokens",
            &[("name", "Online store"), ("scope", "storefront")],
        )
        .await;

    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let doc = html(&response.text().await.expect("a body"));
    assert_eq!(status, 200);
    assert!(
        text_of(&doc, "#new-token-secret").is_some_and(|secret| secret.starts_with("sst_")),
        "the page shows the secret"
    );
    check("POST /settings/tokens", &headers, Kind::Dashboard);
}

async fn an_https_public_url_adds_hsts_and_secure_cookies(backend: Backend) {
    let db = crate::common::TestDb::new(backend);
    let args = shelfsync::config::ServeArgs {
        database: shelfsync::config::DatabaseArgs {
            database_url: db.url.clone(),
            pool_size: 4,
        },
        bind: "127.0.0.1:0".to_owned(),
        workers: Some(1),
        read_pool_size: 1,
        import_limit_mb: 50,
        no_demo: false,
        public_url: Some(
            shelfsync::config::parse_public_url("https://shop.example.com").expect("a URL"),
        ),
        secure_cookies: false,
        request_head_timeout: std::time::Duration::from_secs(60),
        scheduler_interval_ms: 5000,
        shutdown_timeout: std::time::Duration::from_secs(30),
        retention: Default::default(),
        metrics_token: None,
        trusted_proxies: Vec::new(),
        push: Default::default(),
    };
    let app = shelfsync::startup::Application::build(&args).expect("the application starts");
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = new_client();

    for path in [
        "/login",
        "/shop/corner-goods",
        "/static/app.css",
        "/api/v1/storefront/items",
    ] {
        let response = client
            .get(format!("{base}{path}"))
            .send()
            .await
            .expect("an answer");
        assert_eq!(
            response
                .headers()
                .get("strict-transport-security")
                .and_then(|v| v.to_str().ok()),
            Some("max-age=63072000"),
            "{path}"
        );
    }
    let login = new_client()
        .get(format!("{base}/login"))
        .send()
        .await
        .expect("the login page");
    let cookie = login
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("shelfsync="))
        .expect("the session cookie is set with the CSRF token");
    let attributes: Vec<String> = cookie
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_ascii_lowercase())
        .collect();
    assert!(attributes.iter().any(|a| a == "secure"), "{cookie}");
    assert!(attributes.iter().any(|a| a == "httponly"), "{cookie}");
}
