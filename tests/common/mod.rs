//! Shared by every test binary: a fresh database per test on SQLite or
//! PostgreSQL, a running shelfsync on a free port, an HTTP client that signs
//! in like a browser, and `on_both_backends!`. `fixtures` sets up data through
//! the service (items, merchants, stock); `demo` names the demo's items.
#![allow(dead_code)]

pub mod demo;
pub mod fixtures;

use std::sync::atomic::{AtomicU64, Ordering};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use scraper::{Html, Selector};
use shelfsync::config::{DatabaseArgs, PushArgs, ServeArgs};
use shelfsync::db::{self, DbConnection, Pool};
use shelfsync::startup::Application;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The server that creates per-test PostgreSQL databases.
pub fn postgres_admin_url() -> String {
    std::env::var("SHELFSYNC_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A database of its own for one test; the SQLite file is removed with it.
pub struct TestDb {
    pub backend: Backend,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub fn new(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("a temporary directory should be creatable");
                let url = dir.path().join("shelfsync.db").display().to_string();
                TestDb {
                    backend,
                    url,
                    _dir: Some(dir),
                }
            }
            Backend::Postgres => {
                let admin = postgres_admin_url();
                let name = format!(
                    "shelfsync_test_{}_{}_{}",
                    std::process::id(),
                    COUNTER.fetch_add(1, Ordering::SeqCst),
                    rand_suffix()
                );
                let mut conn = PgConnection::establish(&admin).unwrap_or_else(|e| {
                    panic!("PostgreSQL should be reachable at {admin} (set SHELFSYNC_TEST_POSTGRES_URL): {e}")
                });
                conn.batch_execute(&format!("CREATE DATABASE {name}"))
                    .expect("the test user should be allowed to create databases");
                let base = admin
                    .rsplit_once('/')
                    .map_or(admin.as_str(), |(base, _)| base);
                TestDb {
                    backend,
                    url: format!("{base}/{name}"),
                    _dir: None,
                }
            }
        }
    }

    /// A migrated pool on this database.
    pub fn pool(&self) -> Pool {
        let pool = db::open_pool(&self.url, 4).expect("the test database should open");
        let mut conn = pool.get().expect("a pooled connection");
        db::run_migrations(&mut conn).expect("migrations should apply");
        pool
    }
}

fn rand_suffix() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0)
}

/// The secret every test server's `/metrics` takes as a bearer token.
pub const METRICS_TOKEN: &str = "test-metrics-token-0123456789";

/// A running shelfsync with the demo merchant, on its own database.
pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub db: TestDb,
    pub pool: Pool,
    /// A client with a cookie jar, like one browser.
    pub client: reqwest::Client,
}

/// Starts shelfsync on a free port with a fresh database holding the demo.
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, PushArgs::default()).await
}

/// Like `spawn_app`, with webhook and live-stream settings of the test's choosing.
pub async fn spawn_app_with(backend: Backend, push: PushArgs) -> TestApp {
    spawn(backend, push, false).await
}

/// Starts shelfsync on an empty database with `--no-demo`: no merchant yet.
pub async fn spawn_empty_app(backend: Backend) -> TestApp {
    spawn(backend, PushArgs::default(), true).await
}

/// Like `spawn_app`, with any settings the test changes in `configure`.
pub async fn spawn_app_configured(
    backend: Backend,
    configure: impl FnOnce(&mut ServeArgs),
) -> TestApp {
    spawn_configured(backend, PushArgs::default(), false, configure).await
}

async fn spawn(backend: Backend, push: PushArgs, no_demo: bool) -> TestApp {
    spawn_configured(backend, push, no_demo, |_| {}).await
}

async fn spawn_configured(
    backend: Backend,
    push: PushArgs,
    no_demo: bool,
    configure: impl FnOnce(&mut ServeArgs),
) -> TestApp {
    let db = TestDb::new(backend);
    let mut args = ServeArgs {
        database: DatabaseArgs {
            database_url: db.url.clone(),
            pool_size: 6,
        },
        bind: "127.0.0.1:0".to_owned(),
        workers: Some(2),
        read_pool_size: 2,
        import_limit_mb: 50,
        no_demo,
        public_url: None,
        secure_cookies: false,
        request_head_timeout: std::time::Duration::from_secs(60),
        scheduler_interval_ms: 200,
        shutdown_timeout: std::time::Duration::from_secs(30),
        retention: Default::default(),
        trusted_proxies: Vec::new(),
        metrics_token: Some(
            shelfsync::config::parse_metrics_token(METRICS_TOKEN)
                .expect("the test metrics token should be long enough"),
        ),
        push,
    };
    configure(&mut args);
    let app = Application::build(&args).expect("the application should start");
    let port = app.port();
    tokio::spawn(app.run_until_stopped());
    let pool = db::open_pool(&db.url, 4).expect("the test database should open");
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        db,
        pool,
        client: new_client(),
    }
}

/// A client that keeps cookies and does not follow redirects, so tests see them.
pub fn new_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client should build")
}

/// Parses an HTML body.
pub fn html(body: &str) -> Html {
    Html::parse_document(body)
}

/// Parses an HTML fragment (an htmx response).
pub fn fragment(body: &str) -> Html {
    Html::parse_fragment(body)
}

/// Parses an htmx response whose main content is a table row, the way htmx
/// applies it: the row in a table, and the out-of-band elements that the
/// response wraps in `<template>` (so they survive next to a `<tr>`) unwrapped.
pub fn row_fragment(body: &str) -> Html {
    let unwrapped = body.replace("<template>", "").replace("</template>", "");
    Html::parse_document(&format!("<table><tbody>{unwrapped}</tbody></table>"))
}

pub fn sel(css: &str) -> Selector {
    Selector::parse(css).unwrap_or_else(|e| panic!("bad selector {css}: {e}"))
}

/// The text of the first element matching `css`, trimmed.
pub fn text_of(doc: &Html, css: &str) -> Option<String> {
    doc.select(&sel(css)).next().map(|el| {
        el.text()
            .collect::<String>()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    })
}

/// An attribute of the first element matching `css`.
pub fn attr_of(doc: &Html, css: &str, attr: &str) -> Option<String> {
    doc.select(&sel(css))
        .next()
        .and_then(|el| el.value().attr(attr))
        .map(str::to_owned)
}

pub const DEMO_EMAIL: &str = shelfsync::demo::EMAIL;
pub const DEMO_PASSWORD: &str = shelfsync::demo::PASSWORD;

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub fn conn(&self) -> db::PooledConnection {
        self.pool.get().expect("a pooled connection")
    }

    pub fn demo_merchant_id(&self) -> i64 {
        shelfsync::inventory::merchants::Merchant::by_slug(&mut self.conn(), shelfsync::demo::SLUG)
            .expect("the demo merchant exists")
            .id
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("GET should reach the server")
    }

    pub async fn get_html(&self, path: &str) -> Html {
        let response = self.get(path).await;
        assert_eq!(response.status(), 200, "GET {path}");
        html(&response.text().await.expect("a body"))
    }

    /// Signs in as the demo staff member with a fresh CSRF token from the login page.
    pub async fn login(&self) {
        self.login_as(&self.client, DEMO_EMAIL, DEMO_PASSWORD).await;
    }

    pub async fn login_as(&self, client: &reqwest::Client, email: &str, password: &str) {
        let page = client
            .get(self.url("/login"))
            .send()
            .await
            .expect("login page");
        let doc = html(&page.text().await.expect("a body"));
        let token = attr_of(&doc, "input[name=csrf_token]", "value")
            .expect("a CSRF token on the login form");
        let response = client
            .post(self.url("/login"))
            .form(&[
                ("csrf_token", token.as_str()),
                ("email", email),
                ("password", password),
            ])
            .send()
            .await
            .expect("login should reach the server");
        assert_eq!(response.status(), 303, "login as {email} should redirect");
    }

    /// The session's CSRF token, read from a dashboard page.
    pub async fn csrf_token(&self) -> String {
        self.csrf_token_of(&self.client).await
    }

    pub async fn csrf_token_of(&self, client: &reqwest::Client) -> String {
        let page = client
            .get(self.url("/items"))
            .send()
            .await
            .expect("items page");
        let doc = html(&page.text().await.expect("a body"));
        attr_of(&doc, "input[name=csrf_token]", "value").expect("a CSRF token on the items page")
    }

    /// POSTs a form as `client` (a browser of its own), with its CSRF token.
    pub async fn post_form_as(
        &self,
        client: &reqwest::Client,
        path: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let token = self.csrf_token_of(client).await;
        let mut form: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
        form.extend_from_slice(fields);
        client
            .post(self.url(path))
            .form(&form)
            .send()
            .await
            .expect("POST should reach the server")
    }

    /// POSTs a form with this session's CSRF token added.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let token = self.csrf_token().await;
        let mut form: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
        form.extend_from_slice(fields);
        self.client
            .post(self.url(path))
            .form(&form)
            .send()
            .await
            .expect("POST should reach the server")
    }

    /// POSTs a form the way htmx does: header token, `HX-Request`.
    pub async fn htmx_post(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let token = self.csrf_token().await;
        self.client
            .post(self.url(path))
            .header("HX-Request", "true")
            .header("X-CSRF-Token", token)
            .form(fields)
            .send()
            .await
            .expect("POST should reach the server")
    }
}

/// Runs each named test function on both databases: for
/// `async fn stale_version_is_rejected(backend: Backend)`,
/// `on_both_backends!(stale_version_is_rejected);` defines the tests
/// `stale_version_is_rejected::sqlite` and `stale_version_is_rejected::postgres`.
/// The functions are ordinary items, so rustfmt formats their bodies.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::common::Backend::Sqlite).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name($crate::common::Backend::Postgres).await;
                }
            }
        )+
    };
}

/// Runs a closure on a connection of the test database.
pub fn with_conn<T>(pool: &Pool, f: impl FnOnce(&mut DbConnection) -> T) -> T {
    let mut conn = pool.get().expect("a pooled connection");
    f(&mut conn)
}
