//! Schema fuzzing: schemathesis (installed by `tests/run.sh` into
//! `target/pyenv`) drives a live `shelfsync serve` on each database, with a
//! storefront, a pos and an admin token, and fails on any 5xx, any response
//! that doesn't match the document, any undocumented status code, header or
//! content type, and requests the API should have refused but didn't.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{Backend, TestDb};
use crate::on_both_backends;

on_both_backends!(schemathesis_finds_nothing_wrong_with_any_scope);

/// Examples per operation and phase: enough to find a 5xx in a few seconds.
const MAX_EXAMPLES: &str = "40";
/// Longest a whole run may take before the test gives up on it.
const RUN_LIMIT: Duration = Duration::from_secs(240);

fn shelfsync() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_shelfsync"));
    command.env_remove("DATABASE_URL").env("RUST_LOG", "warn");
    command
}

/// Creates a token of `scope` with the command line; returns its secret.
pub fn create_token(database_url: &str, scope: &str) -> String {
    let mut args = vec![
        "token",
        "create",
        "--database-url",
        database_url,
        "--merchant",
        "corner-goods",
        "--name",
        scope,
        "--scope",
        scope,
    ];
    if scope == "pos" {
        args.extend(["--location", "Downtown"]);
    }
    let output = shelfsync().args(&args).output().expect("shelfsync runs");
    assert!(
        output.status.success(),
        "token create: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .next()
        .expect("the secret is printed first")
        .trim()
        .to_owned()
}

/// `shelfsync serve` as a process of its own, stopped when dropped.
struct Server {
    child: Child,
    address: String,
}

impl Server {
    fn start(database_url: &str) -> Server {
        let child = shelfsync()
            .env("RUST_LOG", "info")
            .args(["serve", "--bind", "127.0.0.1:0", "--workers", "2"])
            .args(["--database-url", database_url])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("serve starts");
        // Stopped by `Drop` from here on, whatever happens.
        let mut server = Server {
            child,
            address: String::new(),
        };
        let stderr = server.child.stderr.take().expect("stderr is piped");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains(" ERROR ") || line.contains("panicked") {
                    eprintln!("server: {line}");
                }
                let _ = tx.send(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(line) = rx.recv_timeout(Duration::from_millis(200))
                && let Some(at) = line.find("serving on http://")
            {
                server.address = line[at + "serving on ".len()..].trim().to_owned();
                return server;
            }
        }
        panic!("shelfsync serve did not start within a minute");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The schemathesis that `tests/run.sh` installs.
fn schemathesis() -> PathBuf {
    let path = std::env::var_os("SHELFSYNC_SCHEMATHESIS").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/pyenv/bin/schemathesis"),
        PathBuf::from,
    );
    assert!(
        path.exists(),
        "schemathesis is not at {}: run `bash tests/run.sh`, which installs it, or set SHELFSYNC_SCHEMATHESIS",
        path.display()
    );
    path
}

/// Runs schemathesis on the operations tagged `tag`, with `token` if any.
fn fuzz(server: &Server, tag: &str, token: Option<&str>) {
    let workdir = tempfile::tempdir().expect("a scratch directory");
    let mut command = Command::new(schemathesis());
    command
        .current_dir(workdir.path())
        .env("NO_COLOR", "1")
        .arg("run")
        .arg(format!("{}/api/v1/openapi.json", server.address))
        .args(["--include-tag", tag])
        // The event stream never ends by design; `tests/push` covers it.
        .args(["--exclude-operation-id", "storefront_events"])
        // Every check but positive_data_acceptance, whose premise (any
        // schema-valid request succeeds) can't hold for item ids that must
        // exist and for opaque, checksummed cursors.
        .args([
            "--checks",
            "all",
            "--exclude-checks",
            "positive_data_acceptance",
        ])
        .args(["--max-examples", MAX_EXAMPLES, "--workers", "1"])
        .args(["--request-timeout", "10", "--seed", "11"])
        .args(["--no-color", "--output-truncate", "false"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(token) = token {
        command.args(["-H", &format!("Authorization: Bearer {token}")]);
    }
    let child = command.spawn().expect("schemathesis runs");
    let started = Instant::now();
    let id = child.id();
    // A watchdog: a run that hangs is a failure, not a stuck suite.
    let watchdog = std::thread::spawn(move || {
        while started.elapsed() < RUN_LIMIT {
            std::thread::sleep(Duration::from_millis(500));
            if std::fs::metadata(format!("/proc/{id}")).is_err() {
                return false;
            }
        }
        let _ = Command::new("kill").arg(id.to_string()).status();
        true
    });
    let output = child.wait_with_output().expect("schemathesis finishes");
    let timed_out = watchdog.join().unwrap_or(false);
    let report = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        !timed_out,
        "schemathesis on {tag} took over {RUN_LIMIT:?}:\n{report}"
    );
    assert!(
        output.status.success(),
        "schemathesis found problems with the {tag} operations:\n{report}"
    );
    assert!(
        report.contains("passed"),
        "schemathesis ran test cases on {tag}:\n{report}"
    );
}

async fn schemathesis_finds_nothing_wrong_with_any_scope(backend: Backend) {
    let db = TestDb::new(backend);
    let server = Server::start(&db.url);
    let tokens = ["storefront", "pos", "admin"].map(|scope| (scope, create_token(&db.url, scope)));

    tokio::task::spawn_blocking(move || {
        for (scope, token) in &tokens {
            fuzz(&server, scope, Some(token));
        }
        fuzz(&server, "contract", None);
    })
    .await
    .expect("the runs finish");
}
