//! Starting headless Chromium through a chromedriver of the test's own, waiting
//! for the page to reach a state, and saving a screenshot of each step.
//!
//! htmx replaces whole rows, so nothing here keeps an element between calls:
//! every read runs one `querySelector` in the page, and every click finds its
//! element again and retries if the row was swapped in the meantime.

use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::common::Backend;

/// Debian's Chromium and its matching driver; nothing is ever downloaded.
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// How long a page may take to reach the state a test waits for. Generous:
/// the machine is shared and has two cores.
const PATIENCE: Duration = Duration::from_secs(15);
const POLL: Duration = Duration::from_millis(100);

/// A chromedriver process; killed with everything it started when dropped,
/// so a failing test leaves no Chromium behind.
struct ChromeDriver {
    child: Child,
    port: u16,
}

impl ChromeDriver {
    fn start() -> ChromeDriver {
        // A port found free may be taken before chromedriver binds it; then
        // chromedriver exits at once and another port is tried.
        for _ in 0..3 {
            let port = free_port();
            let child = Command::new(CHROMEDRIVER)
                .arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                // Its own process group, so Drop can end Chromium with it.
                .process_group(0)
                .spawn()
                .unwrap_or_else(|e| {
                    panic!("{CHROMEDRIVER} should start (bash tests/run.sh installs it): {e}")
                });
            let mut driver = ChromeDriver { child, port };
            if driver.wait_until_listening() {
                return driver;
            }
        }
        panic!("chromedriver did not start listening on three free ports in a row");
    }

    /// True once chromedriver accepts connections; false if it exited.
    fn wait_until_listening(&mut self) -> bool {
        let deadline = Instant::now() + PATIENCE;
        while Instant::now() < deadline {
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return true;
            }
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "chromedriver did not accept connections on port {} within {PATIENCE:?}",
            self.port
        );
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        // The group id is chromedriver's own pid (see `process_group(0)`), so
        // this reaches only chromedriver and the Chromium it launched.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free local port should be available")
        .port()
}

/// The step screenshots of one test, numbered in the order they were taken.
struct Screenshots {
    dir: PathBuf,
    prefix: String,
    taken: AtomicU32,
}

/// Removes the screenshots an earlier run of the same test left, so the
/// directory shows this run only (and no stale `failed` picture).
fn remove_earlier_screenshots(dir: &std::path::Path, prefix: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mine = format!("{prefix}-");
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(&mine) && name.ends_with(".png") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// One headless Chromium session for one test.
pub struct Browser {
    client: Client,
    screenshots: Screenshots,
    // Dropped after the client: the driver, then the profile directory.
    _driver: ChromeDriver,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver and a fresh headless Chromium. `test` names the
    /// screenshots, e.g. `sell_online` gives `sell_online-sqlite-01-….png`.
    pub async fn start(test: &str, backend: Backend) -> Browser {
        let driver = ChromeDriver::start();
        let profile = tempfile::tempdir().expect("a temporary profile directory");
        let capabilities = json!({
            // Keep the console, so a test can read what the page reported
            // (Content-Security-Policy violations among it).
            "goog:loggingPrefs": { "browser": "ALL" },
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--disable-dev-shm-usage",
                    "--window-size=1280,1000",
                    format!("--user-data-dir={}", profile.path().display()),
                ]
            }
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!("the capabilities are a JSON object literal");
        };
        let client = ClientBuilder::native()
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{}", driver.port))
            .await
            .expect("chromedriver should start a headless Chromium session");
        let backend = match backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        };
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).expect("target/screenshots should be creatable");
        let prefix = format!("{test}-{backend}");
        remove_earlier_screenshots(&dir, &prefix);
        Browser {
            client,
            screenshots: Screenshots {
                dir,
                prefix,
                taken: AtomicU32::new(0),
            },
            _driver: driver,
            _profile: profile,
        }
    }

    /// Ends the Chromium session cleanly; dropping the browser also ends it,
    /// less politely.
    pub async fn close(self) {
        let Browser {
            client,
            _driver,
            _profile,
            ..
        } = self;
        let _ = client.close().await;
    }

    pub async fn goto(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("Chromium should open {url}: {e}"));
    }

    /// Saves `target/screenshots/{test}-{backend}-{NN}-{step}.png`.
    pub async fn screenshot(&self, step: &str) {
        let number = self.screenshots.taken.fetch_add(1, Ordering::Relaxed) + 1;
        let png = self
            .client
            .screenshot()
            .await
            .expect("Chromium should take a screenshot");
        let path = self.screenshot_path(&format!("{number:02}-{step}"));
        std::fs::write(&path, png)
            .unwrap_or_else(|e| panic!("the screenshot {} should be saved: {e}", path.display()));
    }

    /// Saves the page at desktop (1280 px) and phone (390 px) widths:
    /// `…-{NN}-{step}-desktop.png` and `…-{NN}-{step}-phone.png`.
    pub async fn screenshot_widths(&self, step: &str) {
        self.screenshot(&format!("{step}-desktop")).await;
        self.client
            .set_window_size(390, 844)
            .await
            .expect("Chromium should take a phone's width");
        self.screenshot(&format!("{step}-phone")).await;
        self.client
            .set_window_size(1280, 1000)
            .await
            .expect("Chromium should take a desktop's width again");
    }

    /// Types `text` wherever the page has the focus (as a barcode scanner does).
    pub async fn type_keys(&self, text: &str) {
        let focused = self
            .client
            .active_element()
            .await
            .expect("the page has an active element");
        focused
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("the page should take typing: {e}"));
    }

    fn screenshot_path(&self, name: &str) -> PathBuf {
        self.screenshots
            .dir
            .join(format!("{}-{name}.png", self.screenshots.prefix))
    }

    /// Fails the test, keeping a screenshot of what the page showed instead.
    async fn give_up(&self, message: String) -> ! {
        let path = self.screenshot_path("failed");
        let saved = match self.client.screenshot().await {
            Ok(png) => std::fs::write(&path, png).is_ok(),
            Err(_) => false,
        };
        let url = match self.client.current_url().await {
            Ok(url) => url.to_string(),
            Err(e) => format!("unknown ({e})"),
        };
        if saved {
            panic!("{message}\n  page: {url}\n  screenshot: {}", path.display());
        }
        panic!("{message}\n  page: {url}");
    }

    /// The console messages logged since the last call (chromedriver hands
    /// each out once), as `LEVEL message`.
    pub async fn console(&self) -> Vec<String> {
        let log = self
            .client
            .issue_cmd(BrowserLog)
            .await
            .unwrap_or_else(|e| panic!("chromedriver should hand out the browser log: {e}"));
        log.as_array()
            .map(|entries| {
                entries
                    .iter()
                    .map(|entry| {
                        format!(
                            "{} {}",
                            entry["level"].as_str().unwrap_or("?"),
                            entry["message"].as_str().unwrap_or("")
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The console messages since the last call that report a
    /// Content-Security-Policy violation.
    pub async fn csp_violations(&self) -> Vec<String> {
        self.console()
            .await
            .into_iter()
            .filter(|line| line.contains("Content Security Policy"))
            .collect()
    }

    /// Runs JavaScript in the page and returns what it returns.
    pub async fn script(&self, js: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(js, args)
            .await
            .unwrap_or_else(|e| panic!("the script should run in the page: {e}\n{js}"))
    }

    /// An attribute of the first element matching `css`, if there is one.
    pub async fn attr(&self, css: &str, name: &str) -> Option<String> {
        let value = self
            .script(
                "const el = document.querySelector(arguments[0]);
                 return el ? el.getAttribute(arguments[1]) : null;",
                vec![json!(css), json!(name)],
            )
            .await;
        value.as_str().map(str::to_owned)
    }

    /// The text of the first element matching `css`, whitespace collapsed.
    pub async fn text(&self, css: &str) -> Option<String> {
        let value = self
            .script(
                "const el = document.querySelector(arguments[0]);
                 return el ? el.textContent.replace(/\\s+/g, ' ').trim() : null;",
                vec![json!(css)],
            )
            .await;
        value.as_str().map(str::to_owned)
    }

    /// How many elements match `css`.
    pub async fn count(&self, css: &str) -> usize {
        let value = self
            .script(
                "return document.querySelectorAll(arguments[0]).length;",
                vec![json!(css)],
            )
            .await;
        value
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .expect("querySelectorAll(…).length is a number")
    }

    /// An attribute of each element matching `css`, in document order.
    pub async fn attrs(&self, css: &str, name: &str) -> Vec<String> {
        let value = self
            .script(
                "return Array.from(document.querySelectorAll(arguments[0]),
                                   el => el.getAttribute(arguments[1]));",
                vec![json!(css), json!(name)],
            )
            .await;
        value
            .as_array()
            .map(|values| {
                values
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Scrolls the element matching `css` to the middle of the window, so a
    /// screenshot shows it.
    pub async fn scroll_to(&self, css: &str) {
        self.script(
            "const el = document.querySelector(arguments[0]);
             if (el) el.scrollIntoView({block: 'center'});",
            vec![json!(css)],
        )
        .await;
    }

    /// The text of an open alert, confirm or prompt dialog, if one is open.
    pub async fn open_dialog(&self) -> Option<String> {
        self.client.get_alert_text().await.ok()
    }

    /// Polls `check` until it returns `Some`, for up to 15 seconds.
    pub async fn eventually<T>(&self, what: &str, mut check: impl AsyncFnMut() -> Option<T>) -> T {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(found) = check().await {
                return found;
            }
            if Instant::now() >= deadline {
                self.give_up(format!("waited {PATIENCE:?} for {what}"))
                    .await;
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until an element matches `css`.
    pub async fn wait_for(&self, css: &str) {
        self.eventually(&format!("an element matching {css}"), async || {
            (self.count(css).await > 0).then_some(())
        })
        .await;
    }

    /// Waits until the attribute `name` of the element matching `css` is
    /// `expected`; the failure names the value last seen.
    pub async fn wait_for_attr(&self, css: &str, name: &str, expected: &str) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let seen = self.attr(css, name).await;
            if seen.as_deref() == Some(expected) {
                return;
            }
            if Instant::now() >= deadline {
                self.give_up(format!(
                    "waited {PATIENCE:?} for {css} to have {name}={expected:?}; last saw {seen:?}"
                ))
                .await;
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until the text of the element matching `css` is `expected`;
    /// the failure names the text last seen.
    pub async fn wait_for_text(&self, css: &str, expected: &str) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let seen = self.text(css).await;
            if seen.as_deref() == Some(expected) {
                return;
            }
            if Instant::now() >= deadline {
                self.give_up(format!(
                    "waited {PATIENCE:?} for {css} to read {expected:?}; last saw {seen:?}"
                ))
                .await;
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Clicks the element matching `css` the way a person would, finding it
    /// afresh (and trying again) if it is missing, covered or was just swapped.
    pub async fn click(&self, css: &str) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let attempt = match self.client.find(Locator::Css(css)).await {
                Ok(element) => element.click().await,
                Err(e) => Err(e),
            };
            match attempt {
                Ok(()) => return,
                Err(e) if Instant::now() >= deadline => {
                    self.give_up(format!(
                        "waited {PATIENCE:?} to click {css}; last error: {e}"
                    ))
                    .await
                }
                Err(_) => tokio::time::sleep(POLL).await,
            }
        }
    }

    /// Types into the field matching `css`, replacing what it held.
    pub async fn fill(&self, css: &str, text: &str) {
        let field = self
            .client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("a field {css} should be on the page: {e}"));
        field
            .clear()
            .await
            .unwrap_or_else(|e| panic!("{css} should be clearable: {e}"));
        field
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("{css} should take typing: {e}"));
    }

    /// Puts the file at `path` into the file field matching `css`.
    pub async fn attach(&self, css: &str, path: &std::path::Path) {
        let field = self
            .client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("a file field {css} should be on the page: {e}"));
        field
            .send_keys(&path.display().to_string())
            .await
            .unwrap_or_else(|e| panic!("{css} should take a file: {e}"));
    }

    /// Sets the window to `width`×`height` CSS pixels (headless, the window
    /// is the viewport).
    pub async fn resize(&self, width: u32, height: u32) {
        self.client
            .set_window_size(width, height)
            .await
            .unwrap_or_else(|e| panic!("Chromium should take {width}x{height}: {e}"));
    }

    /// The page's `document.documentElement.scrollWidth` and the viewport's
    /// width (`window.innerWidth`).
    pub async fn widths(&self) -> (i64, i64) {
        let widths = self
            .script(
                "return [document.documentElement.scrollWidth, window.innerWidth];",
                vec![],
            )
            .await;
        let width = |i: usize| widths[i].as_i64().expect("a width in pixels");
        (width(0), width(1))
    }

    /// The top of the element matching `css`, relative to the viewport, in pixels.
    pub async fn top_of(&self, css: &str) -> f64 {
        self.script(
            "const el = document.querySelector(arguments[0]);
             return el ? el.getBoundingClientRect().top : null;",
            vec![json!(css)],
        )
        .await
        .as_f64()
        .unwrap_or_else(|| panic!("{css} should be on the page"))
    }

    /// The height of the element matching `css`, in pixels.
    pub async fn height_of(&self, css: &str) -> f64 {
        self.script(
            "const el = document.querySelector(arguments[0]);
             return el ? el.getBoundingClientRect().height : null;",
            vec![json!(css)],
        )
        .await
        .as_f64()
        .unwrap_or_else(|| panic!("{css} should be on the page"))
    }

    /// Whether the focused element (`document.activeElement`) matches `css`.
    pub async fn focused_is(&self, css: &str) -> bool {
        self.script(
            "return document.activeElement && document.activeElement.matches(arguments[0]);",
            vec![json!(css)],
        )
        .await
            == Value::Bool(true)
    }

    /// Chooses the option with `value` in the `<select>` matching `css`.
    pub async fn choose(&self, css: &str, value: &str) {
        let select = self
            .client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("a select {css} should be on the page: {e}"));
        select
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("{css} should offer {value:?}: {e}"));
    }
}

/// chromedriver's own command for the browser's console log
/// (`POST /session/{id}/se/log`), which W3C WebDriver lacks.
#[derive(Debug)]
struct BrowserLog;

impl fantoccini::wd::WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/se/log",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(r#"{"type":"browser"}"#.to_owned()))
    }
}
