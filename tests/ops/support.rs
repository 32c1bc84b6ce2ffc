//! A `shelfsync serve` process whose standard error is kept line by line,
//! and a reader of the Prometheus text format.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

/// A running `shelfsync serve` on a free port.
pub struct Served {
    child: Child,
    pub port: u16,
    reader: JoinHandle<Vec<String>>,
}

impl Served {
    /// Starts `shelfsync serve` on `database_url` with `more` flags and
    /// `RUST_LOG=info`, and waits until it says where it serves.
    pub fn start(database_url: &str, more: &[&str]) -> Served {
        let mut child = Command::new(env!("CARGO_BIN_EXE_shelfsync"))
            .args([
                "serve",
                "--bind",
                "127.0.0.1:0",
                "--database-url",
                database_url,
            ])
            .args(["--workers", "1"])
            .args(more)
            .env("RUST_LOG", "info")
            .env_remove("SHELFSYNC_LOG_FORMAT")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the shelfsync binary should start");
        let stderr = child.stderr.take().expect("piped stderr");
        let (serving, port) = mpsc::channel();
        // Keep draining the log, or the server blocks once the pipe is full.
        let reader = std::thread::spawn(move || {
            let mut lines = Vec::new();
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(at) = line.find("shelfsync is serving on http://") {
                    let digits: String = line[at..]
                        .rsplit_once(':')
                        .map(|(_, tail)| tail.chars().take_while(char::is_ascii_digit).collect())
                        .unwrap_or_default();
                    let _ = serving.send(digits.parse::<u16>().ok());
                }
                lines.push(line);
            }
            lines
        });
        let port = port
            .recv_timeout(Duration::from_secs(120))
            .expect("shelfsync should report that it is serving")
            .expect("the serving line should name a port");
        Served {
            child,
            port,
            reader,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Stops the server and returns every line it wrote to standard error.
    pub fn stop(mut self) -> Vec<String> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.reader.join().expect("the log reader should finish")
    }
}

/// One sample of the text format: the series (name and labels) and its value.
#[derive(Debug, Clone)]
pub struct Sample {
    pub name: String,
    pub labels: Vec<(String, String)>,
    pub value: f64,
}

impl Sample {
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// The samples of a `/metrics` body (label values here hold no `,` or `"`).
pub fn samples(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').expect("a sample has a value");
            let (name, labels) = match series.split_once('{') {
                Some((name, rest)) => (
                    name,
                    rest.trim_end_matches('}')
                        .split(',')
                        .filter(|pair| !pair.is_empty())
                        .map(|pair| {
                            let (key, value) = pair.split_once('=').expect("label=value");
                            (key.to_owned(), value.trim_matches('"').to_owned())
                        })
                        .collect(),
                ),
                None => (series, Vec::new()),
            };
            Sample {
                name: name.to_owned(),
                labels,
                value: value.parse().expect("a sample's value is a number"),
            }
        })
        .collect()
}

/// The value of the one sample of `name` with all of `labels`, if there is one.
pub fn value_of(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    samples
        .iter()
        .find(|s| s.name == name && labels.iter().all(|(k, v)| s.label(k) == Some(*v)))
        .map(|s| s.value)
}
