//! The database goes away: `shelfsync serve` on a PostgreSQL cluster of the
//! test's own (`initdb` and `pg_ctl` from the installed PostgreSQL, on a free
//! port; never the shared server), which the test stops under light load
//! and starts again. While it is down every request gets an answer, never a
//! hang or a 500: the API a JSON 503, pages an HTML 503, both with
//! `Retry-After`; `/readyz` is 503 and `/healthz` 200. When it is back the
//! same process serves again, with no restart.

use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use diesel::Connection;
use shelfsync::db::DbConnection;
use shelfsync::domain::TokenScope;
use shelfsync::inventory::merchants::Merchant;
use shelfsync::inventory::tokens::create_token;

use crate::restart::Server;
use crate::support::free_addr;

/// Only PostgreSQL has a server to lose; the SQLite file cannot go away.
mod a_stopped_database_gets_503s_with_retry_after_and_comes_back_without_a_restart {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::a_stopped_database_gets_503s_with_retry_after_and_comes_back_without_a_restart()
            .await;
    }
}

/// A PostgreSQL cluster in a temporary directory, stopped when dropped.
struct PrivateCluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
}

impl PrivateCluster {
    fn create() -> PrivateCluster {
        let bin = postgres_bin();
        let dir = tempfile::Builder::new()
            .prefix("shelfsync-outage")
            .tempdir()
            .expect("a temporary directory");
        // initdb refuses to run as root; the cluster then belongs to postgres.
        if running_as_root() {
            let status = Command::new("chown")
                .args(["postgres"])
                .arg(dir.path())
                .status()
                .expect("chown should run");
            assert!(status.success(), "the cluster's directory goes to postgres");
        }
        let port = free_addr().port();
        let cluster = PrivateCluster { bin, dir, port };
        cluster.run(
            "initdb",
            &[
                "-D",
                &cluster.data(),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
            ],
        );
        cluster.start();
        cluster
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn start(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("log").display().to_string();
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data(),
                "-o",
                &options,
                "-l",
                &log,
                "-w",
                "start",
            ],
        );
    }

    fn stop(&self) {
        self.run("pg_ctl", &["-D", &self.data(), "-m", "fast", "-w", "stop"]);
    }

    /// Runs one of PostgreSQL's programs, as postgres when we are root.
    fn run(&self, program: &str, args: &[&str]) {
        let program = self.bin.join(program);
        let mut command = if running_as_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(&program);
            command
        } else {
            Command::new(&program)
        };
        let output = command
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .unwrap_or_else(|e| panic!("{} should run: {e}", program.display()));
        assert!(
            output.status.success(),
            "{} {args:?} failed: {}",
            program.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        let _ = Command::new(self.bin.join("pg_ctl"))
            .args(["-D", &self.data(), "-m", "immediate", "stop"])
            .output();
        if running_as_root() {
            let _ = Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(self.bin.join("pg_ctl"))
                .args(["-D", &self.data(), "-m", "immediate", "stop"])
                .output();
        }
    }
}

/// The installed PostgreSQL's programs: `pg_config --bindir`, else the
/// newest `/usr/lib/postgresql/*/bin` (Debian's layout).
fn postgres_bin() -> PathBuf {
    if let Ok(output) = Command::new("pg_config").arg("--bindir").output()
        && output.status.success()
    {
        let dir = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
        if dir.join("initdb").exists() {
            return dir;
        }
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL's programs should be installed under /usr/lib/postgresql")
        .filter_map(|entry| entry.ok().map(|entry| entry.path().join("bin")))
        .filter(|bin| bin.join("initdb").exists())
        .collect();
    versions.sort();
    versions.pop().expect("initdb should be installed")
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Status, `Retry-After`, content type and body of one GET.
async fn get(
    client: &reqwest::Client,
    url: &str,
    token: Option<&str>,
) -> (u16, Option<String>, String, String) {
    let mut request = client.get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {url} should be answered, not hang: {e:?}"));
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    let retry_after = header("retry-after");
    let content_type = header("content-type").unwrap_or_default();
    let status = response.status().as_u16();
    let body = response.text().await.unwrap_or_default();
    (status, retry_after, content_type, body)
}

fn assert_unavailable(
    what: &str,
    (status, retry_after, content_type, body): &(u16, Option<String>, String, String),
    expected_type: &str,
) {
    assert_eq!(*status, 503, "{what}: {body}");
    let seconds: u64 = retry_after
        .as_deref()
        .unwrap_or_else(|| panic!("{what}: a 503 says when to retry"))
        .parse()
        .expect("Retry-After in seconds");
    assert!(seconds > 0, "{what}");
    assert!(
        content_type.starts_with(expected_type),
        "{what}: {content_type}"
    );
}

async fn a_stopped_database_gets_503s_with_retry_after_and_comes_back_without_a_restart() {
    let cluster = PrivateCluster::create();
    let server = Server::start(&cluster.url());
    let base = format!("http://127.0.0.1:{}", server.port);
    let token = {
        let mut conn = DbConnection::establish(&cluster.url()).expect("the private cluster");
        let merchant = Merchant::by_slug(&mut conn, shelfsync::demo::SLUG)
            .expect("the demo merchant the server seeded")
            .id;
        create_token(&mut conn, merchant, "Shop", TokenScope::Storefront, None)
            .expect("a storefront token")
            .secret
    };
    // A connection per request: a kept-alive one that the server closes as
    // the next request goes out would fail on the client's side, not ours.
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(0)
        .build()
        .expect("a client");
    let list = format!("{base}/api/v1/storefront/items?limit=5");
    let shop = format!("{base}/shop/{}", shelfsync::demo::SLUG);
    let login = format!("{base}/login");
    assert_eq!(get(&client, &list, Some(&token)).await.0, 200);
    assert_eq!(get(&client, &shop, None).await.0, 200);
    assert_eq!(get(&client, &login, None).await.0, 200);

    // Light load: a storefront reading its list every 100 ms throughout.
    let statuses = Arc::new(Mutex::new(Vec::new()));
    let reader = {
        let (client, list, token, statuses) = (
            client.clone(),
            list.clone(),
            token.clone(),
            statuses.clone(),
        );
        tokio::spawn(async move {
            loop {
                let status = get(&client, &list, Some(&token)).await.0;
                statuses.lock().expect("statuses").push(status);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;

    cluster.stop();
    let (readyz, healthz) = (format!("{base}/readyz"), format!("{base}/healthz"));
    let (api, page, shop_page, ready, alive) = tokio::join!(
        get(&client, &list, Some(&token)),
        get(&client, &login, None),
        get(&client, &shop, None),
        get(&client, &readyz, None),
        get(&client, &healthz, None),
    );
    assert_unavailable("the API", &api, "application/json");
    let error: serde_json::Value = serde_json::from_str(&api.3).expect("a JSON error");
    assert_eq!(error["error"]["code"], "unavailable", "{error}");
    assert_unavailable("the sign-in page", &page, "text/html");
    let title: String = scraper::Html::parse_document(&page.3)
        .select(&scraper::Selector::parse("title").expect("a selector"))
        .next()
        .expect("an HTML page with a title")
        .text()
        .collect();
    assert!(title.starts_with("Back in a moment"), "{title}");
    // The shop page may still come from memory until the server notices the
    // database is gone (its listener's connection drops); never a 500.
    assert!(
        [200, 503].contains(&shop_page.0),
        "the shop page: {}",
        shop_page.0
    );
    assert_eq!(ready.0, 503, "{}", ready.3);
    assert!(ready.1.is_some(), "readiness says when to retry");
    assert_eq!(alive.0, 200, "the process is up");

    cluster.start();
    let mut recovered = false;
    for _ in 0..300 {
        if get(&client, &list, Some(&token)).await.0 == 200 {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        recovered,
        "the same server serves again once the database is back"
    );
    assert_eq!(get(&client, &shop, None).await.0, 200);
    assert_eq!(get(&client, &readyz, None).await.0, 200);
    tokio::time::sleep(Duration::from_millis(300)).await;
    reader.abort();

    let seen = statuses.lock().expect("statuses").clone();
    assert!(
        seen.iter().all(|status| *status == 200 || *status == 503),
        "only 200s and 503s under load, never a 500: {seen:?}"
    );
    assert!(seen.contains(&503), "the reader met the outage: {seen:?}");
    assert_eq!(seen.last(), Some(&200), "and its end: {seen:?}");
    drop(server);
    drop(cluster);
}
