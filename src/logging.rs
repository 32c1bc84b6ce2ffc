//! Log lines: env_logger with two formats (`human` for a terminal, `json`
//! for a log shipper), and the request id every line written while handling
//! a request carries.
//!
//! The id is held in a task-local around the request's future (set by
//! `web::observe`), so any code the handler awaits logs it; work handed to
//! the blocking pool takes it along with `carry`, since a task-local does not
//! cross threads.

use std::cell::Cell;
use std::fmt;
use std::io::Write;

use rand::RngCore;
use serde::Serialize;

/// How log lines are written to standard error.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// `[time LEVEL target request_id=…] message`, for a person at a terminal.
    #[default]
    Human,
    /// One JSON object per line: `time`, `level`, `target`, `message`, and
    /// `request_id` while handling a request.
    Json,
}

/// Starts the logger; `RUST_LOG` picks the levels (default `info`).
pub fn init(format: LogFormat) {
    let mut builder =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"));
    match format {
        LogFormat::Human => builder.format(write_human),
        LogFormat::Json => builder.format(write_json),
    };
    builder.init();
}

fn write_human(
    buf: &mut env_logger::fmt::Formatter,
    record: &log::Record<'_>,
) -> std::io::Result<()> {
    let style = buf.default_level_style(record.level());
    write!(
        buf,
        "[{} {style}{:<5}{style:#} {}",
        buf.timestamp(),
        record.level(),
        record.target()
    )?;
    if let Some(id) = current() {
        write!(buf, " request_id={id}")?;
    }
    writeln!(buf, "] {}", record.args())
}

/// One line of the `json` format.
#[derive(Serialize)]
struct JsonLine<'a> {
    time: String,
    level: &'static str,
    target: &'a str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    request_id: Option<&'a str>,
}

fn write_json(
    buf: &mut env_logger::fmt::Formatter,
    record: &log::Record<'_>,
) -> std::io::Result<()> {
    let id = current();
    let line = JsonLine {
        time: buf.timestamp_millis().to_string(),
        level: match record.level() {
            log::Level::Error => "error",
            log::Level::Warn => "warn",
            log::Level::Info => "info",
            log::Level::Debug => "debug",
            log::Level::Trace => "trace",
        },
        target: record.target(),
        message: record.args().to_string(),
        request_id: id.as_ref().map(RequestId::as_str),
    };
    serde_json::to_writer(&mut *buf, &line)?;
    writeln!(buf)
}

/// The longest request id accepted from a client or proxy.
pub const MAX_REQUEST_ID: usize = 64;

/// A request's id: one a proxy sent (`X-Request-Id`), when it is 1 to
/// `MAX_REQUEST_ID` characters of an HTTP token (letters, digits and
/// ``!#$%&'*+-.^_`|~``), or 32 random hex digits. Kept inline so that
/// carrying it costs no allocation.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct RequestId {
    len: u8,
    bytes: [u8; MAX_REQUEST_ID],
}

impl RequestId {
    /// An id from a client, if it is a sane one; `None` says make a new one.
    pub fn parse(raw: &[u8]) -> Option<RequestId> {
        let token = |b: &u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(b);
        if raw.is_empty() || raw.len() > MAX_REQUEST_ID || !raw.iter().all(token) {
            return None;
        }
        let mut bytes = [0u8; MAX_REQUEST_ID];
        bytes[..raw.len()].copy_from_slice(raw);
        Some(RequestId {
            len: raw.len() as u8,
            bytes,
        })
    }

    /// A new random id: 128 bits as 32 lowercase hex digits.
    pub fn generate() -> RequestId {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut random = [0u8; 16];
        rand::rng().fill_bytes(&mut random);
        let mut bytes = [0u8; MAX_REQUEST_ID];
        for (i, byte) in random.iter().enumerate() {
            bytes[2 * i] = HEX[usize::from(byte >> 4)];
            bytes[2 * i + 1] = HEX[usize::from(byte & 0x0f)];
        }
        RequestId { len: 32, bytes }
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII is ever stored (see `parse` and `generate`).
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or("")
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RequestId({})", self.as_str())
    }
}

tokio::task_local! {
    /// The id of the request whose future is being polled.
    pub static REQUEST_ID: RequestId;
}

thread_local! {
    /// The id of the request whose blocking work runs on this thread.
    static BLOCKING_REQUEST_ID: Cell<Option<RequestId>> = const { Cell::new(None) };
}

/// The id of the request being handled here, if any.
pub fn current() -> Option<RequestId> {
    REQUEST_ID
        .try_with(|id| *id)
        .ok()
        .or_else(|| BLOCKING_REQUEST_ID.with(Cell::get))
}

/// Wraps work bound for another thread (the blocking pool) so that its log
/// lines carry the current request's id.
pub fn carry<T>(f: impl FnOnce() -> T) -> impl FnOnce() -> T {
    let id = current();
    move || {
        /// Puts back what the thread had, even if `f` panics.
        struct Restore(Option<RequestId>);
        impl Drop for Restore {
            fn drop(&mut self) {
                BLOCKING_REQUEST_ID.with(|cell| cell.set(self.0));
            }
        }
        let _restore = Restore(BLOCKING_REQUEST_ID.with(|cell| cell.replace(id)));
        f()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proxys_token_id_is_kept_and_anything_else_is_refused() {
        let kept = RequestId::parse(b"req-42.a_b~c").expect("a token is kept");
        assert_eq!(kept.as_str(), "req-42.a_b~c");
        assert!(RequestId::parse(b"").is_none());
        assert!(RequestId::parse(b"two words").is_none());
        assert!(RequestId::parse(b"line\nbreak").is_none());
        assert!(RequestId::parse(b"\"quoted\"").is_none());
        assert!(RequestId::parse("caf\u{e9}".as_bytes()).is_none());
        assert!(RequestId::parse(&[b'a'; MAX_REQUEST_ID]).is_some());
        assert!(RequestId::parse(&[b'a'; MAX_REQUEST_ID + 1]).is_none());
    }

    #[test]
    fn a_generated_id_is_32_hex_digits_and_differs_each_time() {
        let one = RequestId::generate();
        let two = RequestId::generate();
        assert_eq!(one.as_str().len(), 32);
        assert!(one.as_str().bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(one, two);
        assert_eq!(RequestId::parse(one.as_str().as_bytes()), Some(one));
    }

    #[test]
    fn blocking_work_carries_the_id_of_its_request() {
        let id = RequestId::generate();
        let work = REQUEST_ID.sync_scope(id, || carry(current));
        let seen = std::thread::spawn(work)
            .join()
            .expect("the thread finishes");
        assert_eq!(seen, Some(id));
        assert_eq!(current(), None);
    }
}
