//! A real nginx in front of `shelfsync serve` processes, running the site
//! operators install: `deploy/nginx.conf` itself, with only what must differ
//! on a test machine replaced (the upstream addresses, the listen ports, the
//! server name and the certificate, a self-signed one made here). A
//! replacement that finds nothing fails the test, so the deploy file can't
//! drift away from what is tested.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::support::free_addr;

/// The site as shipped.
const SITE: &str = include_str!("../../deploy/nginx.conf");

/// The name the test's certificate is for, resolved to nginx's address by
/// the client alone.
pub const SERVER_NAME: &str = "shop.test";

/// nginx as a child process, killed when dropped.
pub struct Nginx {
    child: Child,
    /// Where nginx listens for HTTPS.
    pub addr: SocketAddr,
    /// Where it listens for plain HTTP (the site's port 80), to redirect.
    pub plain_addr: SocketAddr,
    /// The configuration, the certificate and the logs.
    dir: tempfile::TempDir,
}

impl Nginx {
    /// Starts nginx with `deploy/nginx.conf` in front of `upstreams` (its
    /// two `server` lines, in order) and waits until it answers `/healthz`
    /// over TLS.
    pub async fn start(upstreams: [u16; 2]) -> Nginx {
        let dir = tempfile::tempdir().expect("a temporary directory");
        // nginx started by root runs its workers as `nobody`, which must reach
        // the temporary files it buffers large answers in.
        make_traversable(dir.path());
        let (cert, key) = self_signed_certificate(dir.path());
        let (addr, plain_addr) = (free_addr(), free_addr());
        let site = site_for_test(upstreams, addr, plain_addr, &cert, &key);
        let site_path = dir.path().join("shelfsync.conf");
        std::fs::write(&site_path, site).expect("the site is written");
        let conf_path = dir.path().join("nginx.conf");
        std::fs::write(&conf_path, wrapper(dir.path(), &site_path)).expect("nginx.conf is written");
        let log_path = dir.path().join("error.log");
        let child = Command::new(nginx_binary())
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&conf_path)
            .arg("-e")
            .arg(&log_path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx should start (tests/run.sh installs Debian's nginx-light)");
        let mut nginx = Nginx {
            child,
            addr,
            plain_addr,
            dir,
        };
        nginx.wait_until_serving().await;
        nginx
    }

    /// An HTTPS client that trusts the test's certificate (and nothing
    /// else) and reaches `SERVER_NAME` at nginx.
    pub fn client(&self) -> reqwest::Client {
        let pem = std::fs::read(self.dir.path().join("cert.pem")).expect("the certificate");
        reqwest::Client::builder()
            .tls_built_in_root_certs(false)
            .add_root_certificate(reqwest::Certificate::from_pem(&pem).expect("a PEM certificate"))
            .resolve(SERVER_NAME, self.addr)
            .build()
            .expect("an HTTPS client")
    }

    /// `https://shop.test:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("https://{SERVER_NAME}:{}{path}", self.addr.port())
    }

    /// nginx's error log so far.
    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }

    async fn wait_until_serving(&mut self) {
        let client = self.client();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("nginx exited with {status}:\n{}", self.error_log());
            }
            let answered = client
                .get(self.url("/healthz"))
                .timeout(Duration::from_secs(5))
                .send()
                .await;
            match answered {
                Ok(response) if response.status().is_success() => return,
                _ if tokio::time::Instant::now() > deadline => {
                    panic!(
                        "nginx did not serve /healthz over TLS: {answered:?}\n{}",
                        self.error_log()
                    )
                }
                _ => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How long nginx keeps an instance out after it failed (`fail_timeout` on
/// the upstream's `server` lines of `deploy/nginx.conf`).
pub fn fail_timeout() -> Duration {
    let seconds: Vec<u64> = SITE
        .lines()
        .map(str::trim_start)
        .filter(|line| line.starts_with("server 127.0.0.1:"))
        .map(|line| {
            line.split_once("fail_timeout=")
                .and_then(|(_, rest)| rest.split_once("s;"))
                .and_then(|(value, _)| value.parse().ok())
                .unwrap_or_else(|| panic!("deploy/nginx.conf: no fail_timeout=Ns in `{line}`"))
        })
        .collect();
    assert_eq!(seconds.len(), 2, "deploy/nginx.conf lists two instances");
    Duration::from_secs(seconds.into_iter().max().unwrap_or_default())
}

/// `deploy/nginx.conf` with the test's addresses, name and certificate.
fn site_for_test(
    upstreams: [u16; 2],
    https: SocketAddr,
    http: SocketAddr,
    cert: &Path,
    key: &Path,
) -> String {
    let replacements = [
        (
            "server 127.0.0.1:8081 ",
            format!("server 127.0.0.1:{} ", upstreams[0]),
        ),
        (
            "server 127.0.0.1:8082 ",
            format!("server 127.0.0.1:{} ", upstreams[1]),
        ),
        (
            "listen 443 ssl http2;",
            format!("listen {https} ssl http2;"),
        ),
        ("listen 80;", format!("listen {http};")),
        (
            "server_name shop.example.com;",
            format!("server_name {SERVER_NAME};"),
        ),
        (
            "/etc/ssl/certs/shop.example.com.pem",
            cert.display().to_string(),
        ),
        (
            "/etc/ssl/private/shop.example.com.key",
            key.display().to_string(),
        ),
    ];
    let mut site = SITE.to_owned();
    for (shipped, tested) in replacements {
        assert!(
            site.contains(shipped),
            "deploy/nginx.conf no longer has `{shipped}`: update tests/push/nginx.rs with it"
        );
        site = site.replace(shipped, &tested);
    }
    site
}

/// The smallest main configuration around the site: in the foreground, its
/// pid, logs and temporary files in `dir`.
fn wrapper(dir: &Path, site: &Path) -> String {
    let dir = dir.display();
    format!(
        "daemon off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log info;
events {{ worker_connections 512; }}
http {{
    access_log {dir}/access.log;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    include {site};
}}
",
        site = site.display()
    )
}

/// A key and a certificate for `SERVER_NAME`, valid for a day; their paths.
fn self_signed_certificate(dir: &Path) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let made = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
        .args(["ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"])
        .args(["-subj", &format!("/CN={SERVER_NAME}")])
        .args(["-addext", &format!("subjectAltName=DNS:{SERVER_NAME}")])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl should run");
    assert!(
        made.status.success(),
        "openssl req -x509 failed: {}",
        String::from_utf8_lossy(&made.stderr)
    );
    (cert, key)
}

fn make_traversable(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))
        .expect("the directory's mode is set");
}

/// `nginx` on the PATH, or Debian's `/usr/sbin/nginx` (not on a user's PATH).
fn nginx_binary() -> PathBuf {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .map(|dir| dir.join("nginx"))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| PathBuf::from("/usr/sbin/nginx"))
}
