//! Every setting, from a command-line flag or its environment variable.

use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::logging::LogFormat;

/// shelfsync keeps one inventory for a merchant's store and online shop.
#[derive(Debug, Parser)]
#[command(
    name = "shelfsync",
    version,
    about,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Settings for `serve`, which runs when no subcommand is given.
    #[command(flatten)]
    pub serve: ServeArgs,

    /// How log lines are written to standard error: `human`, or `json` (one
    /// object per line with time, level, target, message and, while
    /// handling a request, request_id) for a log shipper. `RUST_LOG` sets
    /// the levels. With a subcommand, give it after the subcommand's name.
    #[arg(long, env = "SHELFSYNC_LOG_FORMAT", value_enum, default_value_t = LogFormat::Human, global = true)]
    pub log_format: LogFormat,
}

// Parsed once at start: the size of `Serve` costs nothing worth a box.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the dashboard, the storefront page and the JSON API (the default).
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate(DatabaseArgs),
    /// Create the demo merchant "Corner Goods" with two stores, ~60 items and a login.
    Demo(DemoArgs),
    /// Verify that every stock level equals the sum of its movements; exits
    /// non-zero listing every level that differs.
    Check(DatabaseArgs),
    /// Create, list or revoke API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Create, list, rotate the secret of, or delete webhook endpoints.
    #[command(subcommand)]
    Webhook(WebhookCommand),
    /// Open a shop for a real merchant, or list the shops.
    #[command(subcommand)]
    Merchant(MerchantCommand),
    /// List or deactivate staff accounts.
    #[command(subcommand)]
    Staff(StaffCommand),
    /// Write a merchant's catalogue as CSV (the columns of the dashboard's
    /// export: sku, name, …, one stock:<store> column per store).
    Export(ExportArgs),
    /// Bring a catalogue in from a CSV file: prints what it would change and
    /// every error by row, then applies all of it in one transaction, or
    /// nothing (exits non-zero on any error).
    Import(ImportArgs),
}

/// `shelfsync import`
#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The CSV file: shelfsync's export columns, a Shopify product export,
    /// or any header mapped with --mapping.
    pub file: std::path::PathBuf,
    /// The merchant's slug, e.g. corner-goods.
    #[arg(long)]
    pub merchant: String,
    /// Print the preview and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Archive the merchant's active items whose SKU is not in the file.
    #[arg(long)]
    pub archive_missing: bool,
    /// A CSV of `column,field` rows mapping the file's columns to
    /// shelfsync's fields (sku, name, description, price, barcode, in_store,
    /// online, archived, online_buffer, backorder, stock:<store>, ignore).
    #[arg(long)]
    pub mapping: Option<std::path::PathBuf>,
}

/// `shelfsync export`
#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The merchant's slug, e.g. corner-goods.
    #[arg(long)]
    pub merchant: String,
    /// Write the file here instead of to standard output.
    #[arg(long, short)]
    pub output: Option<std::path::PathBuf>,
    /// Only items whose name, SKU or barcode contain these words.
    #[arg(long, default_value = "")]
    pub search: String,
    /// Only items the dashboard filter shows: all (every active item),
    /// in_store_only, for_sale, view_only, nowhere, low_stock,
    /// discrepancy or archived.
    #[arg(long, default_value = "all")]
    pub filter: String,
}

/// `shelfsync webhook …`
#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Add an endpoint and print its signing secret (shown this once only).
    Create {
        #[command(flatten)]
        database: DatabaseArgs,
        /// The merchant's slug, e.g. corner-goods.
        #[arg(long)]
        merchant: String,
        /// Where events are POSTed, e.g. https://shop.example/hooks/shelfsync.
        #[arg(long)]
        url: String,
        /// An event type to send; repeat for several. Without it, every
        /// storefront type (item.listing_changed, item.stock_changed,
        /// location.changed); the back-office inventory.stock_changed only
        /// when named.
        #[arg(long = "event-type")]
        event_types: Vec<String>,
        /// Accept a URL on a loopback or private address (development only).
        #[arg(long, env = "SHELFSYNC_ALLOW_PRIVATE_WEBHOOKS")]
        allow_private_webhooks: bool,
    },
    /// List a merchant's endpoints (never their secrets).
    List {
        #[command(flatten)]
        database: DatabaseArgs,
        #[arg(long)]
        merchant: String,
    },
    /// Give an endpoint a new secret and print it (shown this once only);
    /// the old one keeps signing too for the grace period.
    Rotate {
        #[command(flatten)]
        database: DatabaseArgs,
        #[arg(long)]
        merchant: String,
        /// How long the previous secret keeps signing.
        #[arg(long, default_value = "24h", value_parser = parse_duration)]
        grace: Duration,
        /// The endpoint's id, as `webhook list` shows it.
        id: i64,
    },
    /// Remove an endpoint and its delivery log.
    Delete {
        #[command(flatten)]
        database: DatabaseArgs,
        #[arg(long)]
        merchant: String,
        /// The endpoint's id, as `webhook list` shows it.
        id: i64,
    },
}

/// `shelfsync merchant …`
#[derive(Debug, Subcommand)]
pub enum MerchantCommand {
    /// Create a merchant with its owner's login (and, with --store, its
    /// first store). The owner's password is read from
    /// SHELFSYNC_OWNER_PASSWORD, or asked for at a prompt; never a flag.
    Create {
        #[command(flatten)]
        database: DatabaseArgs,
        /// The shop's name, e.g. "Harbour Books".
        #[arg(long)]
        name: String,
        /// The address of its online shop, /shop/{slug}, e.g. harbour-books.
        #[arg(long)]
        slug: String,
        /// The owner's email; they sign in with it.
        #[arg(long)]
        owner_email: String,
        /// The owner's name as the activity log shows it (default: the
        /// email's part before the @).
        #[arg(long, default_value = "")]
        owner_name: String,
        /// ISO currency code.
        #[arg(long, default_value = "USD")]
        currency: String,
        /// IANA time zone name, e.g. Europe/Dublin.
        #[arg(long, default_value = "UTC")]
        time_zone: String,
        /// The first store's name (none if left out; add stores in the dashboard).
        #[arg(long, default_value = "")]
        store: String,
        /// The first store's address.
        #[arg(long, default_value = "")]
        store_address: String,
    },
    /// List every merchant: id, slug, name, currency, time zone.
    List {
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

/// `shelfsync staff …`
#[derive(Debug, Subcommand)]
pub enum StaffCommand {
    /// List a merchant's staff: id, email, name, active or deactivated.
    List {
        #[command(flatten)]
        database: DatabaseArgs,
        /// The merchant's slug, e.g. corner-goods.
        #[arg(long)]
        merchant: String,
    },
    /// Deactivate a staff member: they can no longer sign in, and every
    /// session of theirs ends at once, on every instance.
    Deactivate {
        #[command(flatten)]
        database: DatabaseArgs,
        /// The merchant's slug, e.g. corner-goods.
        #[arg(long)]
        merchant: String,
        /// The staff member's email.
        email: String,
    },
}

/// `shelfsync token …`
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print its secret (shown this once only).
    Create {
        #[command(flatten)]
        database: DatabaseArgs,
        /// The merchant's slug, e.g. corner-goods.
        #[arg(long)]
        merchant: String,
        /// What the token is for, e.g. "Online store" or "Counter iPad".
        #[arg(long)]
        name: String,
        /// storefront, pos or admin.
        #[arg(long)]
        scope: String,
        /// For a pos token: the store's name or id.
        #[arg(long)]
        location: Option<String>,
    },
    /// List a merchant's tokens (never their secrets).
    List {
        #[command(flatten)]
        database: DatabaseArgs,
        #[arg(long)]
        merchant: String,
    },
    /// Revoke a token by id; it stops working at once.
    Revoke {
        #[command(flatten)]
        database: DatabaseArgs,
        #[arg(long)]
        merchant: String,
        /// The token's id, as `token list` shows it.
        id: i64,
    },
}

/// `shelfsync demo`
#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,

    /// Also generate this many more items (for load tests), created through
    /// the inventory service like any other; repeated runs top up to this many.
    #[arg(long, default_value_t = 0)]
    pub items: u32,
}

/// Where the data lives.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// A SQLite file path, or a `postgres://` URL for PostgreSQL.
    #[arg(long, env = "DATABASE_URL", default_value = "shelfsync.db")]
    pub database_url: String,

    /// Most database connections held open at once.
    #[arg(long, env = "SHELFSYNC_POOL_SIZE", default_value_t = 8)]
    pub pool_size: u32,
}

/// How the server runs.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,

    /// Address and port to listen on; port 0 picks a free one.
    #[arg(long, env = "SHELFSYNC_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,

    /// HTTP worker threads; defaults to the number of cores.
    #[arg(long, env = "SHELFSYNC_WORKERS")]
    pub workers: Option<usize>,

    /// Database connections for reading the channel lists (storefront, POS
    /// and /shop), apart from the main pool, so a storm of list reads can't
    /// take the connections that sales and edits need.
    #[arg(long, env = "SHELFSYNC_READ_POOL_SIZE", default_value_t = 4)]
    pub read_pool_size: u32,

    /// The largest catalogue file the dashboard's import accepts, in MB.
    #[arg(long, env = "SHELFSYNC_IMPORT_LIMIT_MB", default_value_t = 50)]
    pub import_limit_mb: u64,

    /// Do not create the demo merchant when the database is empty.
    #[arg(long, env = "SHELFSYNC_NO_DEMO")]
    pub no_demo: bool,

    /// The address people reach this server at, e.g. `https://shop.example.com`.
    /// When it is `https`, session cookies are marked Secure and every
    /// response carries `Strict-Transport-Security`.
    #[arg(long, env = "SHELFSYNC_PUBLIC_URL", value_parser = parse_public_url)]
    pub public_url: Option<url::Url>,

    /// Mark session cookies Secure even without an https `--public-url`
    /// (kept from before `--public-url`, which implies it for https).
    #[arg(long, env = "SHELFSYNC_SECURE_COOKIES")]
    pub secure_cookies: bool,

    /// The address of a reverse proxy in front of shelfsync (repeat it, or
    /// separate addresses with commas in the variable). A request from one
    /// of them counts for sign-in throttling and the shop's reservation
    /// limit as coming from the last address in its `X-Forwarded-For` that
    /// is not a trusted proxy; from any other peer the header is ignored.
    #[arg(
        long = "trusted-proxy",
        env = "SHELFSYNC_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<std::net::IpAddr>,

    /// How long a client may take to send a request's headers after opening
    /// a connection before it is answered 408 and closed (a slow client must
    /// not hold a connection open).
    #[arg(long, env = "SHELFSYNC_REQUEST_HEAD_TIMEOUT", default_value = "5s", value_parser = parse_duration)]
    pub request_head_timeout: Duration,

    /// How often the scheduler looks for work that fell due (holds for
    /// pickup that expired), in milliseconds. It also runs once at start.
    #[arg(long, env = "SHELFSYNC_SCHEDULER_INTERVAL_MS", default_value_t = 5000, value_parser = clap::value_parser!(u64).range(10..))]
    pub scheduler_interval_ms: u64,

    /// How long an in-flight request may take to finish after SIGTERM or
    /// SIGINT before the server stops anyway; no new connection is accepted
    /// meanwhile, and open event streams are closed at once.
    #[arg(long, env = "SHELFSYNC_SHUTDOWN_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub shutdown_timeout: Duration,

    #[command(flatten)]
    pub retention: RetentionArgs,
    /// A secret that opens `GET /metrics` (Prometheus text format) to a
    /// scraper sending `Authorization: Bearer <secret>`; at least 16
    /// characters. Without it `/metrics` answers 404.
    #[arg(long, env = "SHELFSYNC_METRICS_TOKEN", hide_env_values = true, value_parser = parse_metrics_token)]
    pub metrics_token: Option<MetricsToken>,

    #[command(flatten)]
    pub push: PushArgs,
}

/// How long old bookkeeping is kept before the scheduler prunes it.
/// Durations take a unit: `90m`, `72h`, `30d`.
#[derive(Debug, Clone, Args)]
pub struct RetentionArgs {
    /// How long an outbox event is kept once every webhook endpoint has
    /// settled it; an event some endpoint still waits for is never pruned.
    /// The live stream and webhook redelivery can resume only from versions
    /// still kept (older: 410 Gone).
    #[arg(long, env = "SHELFSYNC_RETAIN_DELIVERED_EVENTS", default_value = "30d", value_parser = parse_duration)]
    pub retain_delivered_events: Duration,

    /// How long a delivered or failed line of the webhook delivery log is
    /// kept; pending ones stay.
    #[arg(long, env = "SHELFSYNC_RETAIN_DELIVERY_LOGS", default_value = "30d", value_parser = parse_duration)]
    pub retain_delivery_logs: Duration,

    /// How long an idempotency key is remembered: a retry with the same key
    /// within it replays the first outcome.
    #[arg(long, env = "SHELFSYNC_RETAIN_IDEMPOTENCY_KEYS", default_value = "72h", value_parser = parse_duration)]
    pub retain_idempotency_keys: Duration,

    /// How often the scheduler prunes what is older than the ages above
    /// (also once at start).
    #[arg(long, env = "SHELFSYNC_PRUNE_INTERVAL", default_value = "10m", value_parser = parse_duration)]
    pub prune_interval: Duration,
}

impl Default for RetentionArgs {
    fn default() -> Self {
        RetentionArgs {
            retain_delivered_events: Duration::from_secs(30 * 86400),
            retain_delivery_logs: Duration::from_secs(30 * 86400),
            retain_idempotency_keys: Duration::from_secs(72 * 3600),
            prune_interval: Duration::from_secs(600),
        }
    }
}

impl RetentionArgs {
    /// The ages as the service takes them.
    pub fn retention(&self) -> crate::inventory::retention::Retention {
        let age = |d: Duration| chrono::TimeDelta::from_std(d).unwrap_or(chrono::TimeDelta::MAX);
        crate::inventory::retention::Retention {
            delivered_events: age(self.retain_delivered_events),
            delivery_logs: age(self.retain_delivery_logs),
            idempotency_keys: age(self.retain_idempotency_keys),
        }
    }
}

/// How changes are pushed to online stores: webhooks and the live event stream.
/// Durations take a unit: `500ms`, `5s`, `10m`, `24h`.
#[derive(Debug, Clone, Args)]
pub struct PushArgs {
    /// How long one webhook request may take before it counts as failed.
    #[arg(long, env = "SHELFSYNC_WEBHOOK_TIMEOUT", default_value = "5s", value_parser = parse_duration)]
    pub webhook_timeout: Duration,

    /// How long an event is retried (with growing waits) before it is marked failed.
    #[arg(long, env = "SHELFSYNC_WEBHOOK_GIVE_UP_AFTER", default_value = "24h", value_parser = parse_duration)]
    pub webhook_give_up_after: Duration,

    /// The wait after a first failed attempt; it doubles with each failure.
    #[arg(long, env = "SHELFSYNC_WEBHOOK_FIRST_RETRY", default_value = "1s", value_parser = parse_duration)]
    pub webhook_first_retry: Duration,

    /// The longest wait between two attempts.
    #[arg(long, env = "SHELFSYNC_WEBHOOK_MAX_RETRY", default_value = "1h", value_parser = parse_duration)]
    pub webhook_max_retry: Duration,

    /// How often the dispatcher looks for work it was not told about (other
    /// processes' changes on SQLite, retries that fell due, new endpoints).
    #[arg(long, env = "SHELFSYNC_WEBHOOK_POLL", default_value = "1s", value_parser = parse_duration)]
    pub webhook_poll: Duration,

    /// How long the previous secret keeps verifying after a rotation.
    #[arg(long, env = "SHELFSYNC_WEBHOOK_SECRET_GRACE", default_value = "24h", value_parser = parse_duration)]
    pub webhook_secret_grace: Duration,

    /// Do not deliver webhooks from this instance (another instance does).
    #[arg(long, env = "SHELFSYNC_NO_DISPATCHER")]
    pub no_dispatcher: bool,

    /// How often the live event stream sends a keep-alive comment.
    #[arg(long, env = "SHELFSYNC_SSE_HEARTBEAT", default_value = "15s", value_parser = parse_duration)]
    pub sse_heartbeat: Duration,

    /// Let webhook endpoints point at loopback, private, link-local and other
    /// non-public addresses (for development and tests only). Off, a URL
    /// that is or resolves to such an address is refused when saved, and
    /// every delivery connects only to a checked public address.
    #[arg(long, env = "SHELFSYNC_ALLOW_PRIVATE_WEBHOOKS")]
    pub allow_private_webhooks: bool,
}

impl Default for PushArgs {
    fn default() -> Self {
        PushArgs {
            webhook_timeout: Duration::from_secs(5),
            webhook_give_up_after: Duration::from_secs(24 * 3600),
            webhook_first_retry: Duration::from_secs(1),
            webhook_max_retry: Duration::from_secs(3600),
            webhook_poll: Duration::from_secs(1),
            webhook_secret_grace: Duration::from_secs(24 * 3600),
            no_dispatcher: false,
            sse_heartbeat: Duration::from_secs(15),
            allow_private_webhooks: false,
        }
    }
}

impl ServeArgs {
    /// Whether the server is reached over https (by `--public-url`).
    pub fn https(&self) -> bool {
        self.public_url
            .as_ref()
            .is_some_and(|url| url.scheme() == "https")
    }

    /// Whether session cookies are marked Secure.
    pub fn secure_cookies(&self) -> bool {
        self.secure_cookies || self.https()
    }
}

/// An absolute `http://` or `https://` URL.
pub fn parse_public_url(raw: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(raw.trim()).map_err(|e| format!("{raw:?} is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!(
            "{raw:?} must be an http:// or https:// address, such as https://shop.example.com"
        ));
    }
    Ok(url)
}

/// The shortest metrics secret accepted: a guessable one would publish the
/// shop's traffic.
pub const MIN_METRICS_TOKEN: usize = 16;

/// The secret that opens `/metrics`; never printed, not even by `Debug`.
#[derive(Clone)]
pub struct MetricsToken(String);

impl MetricsToken {
    /// The secret itself, to compare with what a scraper sends.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MetricsToken(…)")
    }
}

/// A metrics secret of at least `MIN_METRICS_TOKEN` visible characters.
pub fn parse_metrics_token(raw: &str) -> Result<MetricsToken, String> {
    if raw.chars().count() < MIN_METRICS_TOKEN || !raw.chars().all(|c| c.is_ascii_graphic()) {
        return Err(format!(
            "the metrics token must be at least {MIN_METRICS_TOKEN} visible ASCII characters, \
             without spaces (for example the output of `openssl rand -hex 24`)"
        ));
    }
    Ok(MetricsToken(raw.to_owned()))
}

/// Parses `250ms`, `5s`, `10m`, `24h` or `2d`; a bare number is seconds.
pub fn parse_duration(raw: &str) -> Result<Duration, String> {
    let raw = raw.trim();
    let split = raw
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(raw.len());
    let (number, unit) = raw.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{raw:?} is not a duration such as 500ms, 5s, 10m or 24h"))?;
    let seconds = match unit.trim() {
        "ms" => value / 1000.0,
        "" | "s" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        "d" => value * 86400.0,
        other => return Err(format!("unknown unit {other:?}: use ms, s, m, h or d")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|e| format!("{raw:?}: {e}"))
}

impl Cli {
    /// The subcommand to run, `serve` when none was given.
    pub fn into_command(self) -> Command {
        self.command.unwrap_or(Command::Serve(self.serve))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_a_unit() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("5"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("24h"), Ok(Duration::from_secs(86400)));
        assert_eq!(parse_duration("1.5m"), Ok(Duration::from_secs(90)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("5 years").is_err());
    }

    #[test]
    fn an_https_public_url_means_secure_cookies_and_hsts() {
        let plain = Cli::try_parse_from(["shelfsync"]).expect("no flags parse");
        assert!(!plain.serve.https() && !plain.serve.secure_cookies());
        let https = Cli::try_parse_from(["shelfsync", "--public-url", "https://shop.example.com"])
            .expect("an https URL parses");
        assert!(https.serve.https() && https.serve.secure_cookies());
        let http = Cli::try_parse_from(["shelfsync", "--public-url", "http://10.0.0.5:8080"])
            .expect("an http URL parses");
        assert!(!http.serve.https());
        let old = Cli::try_parse_from(["shelfsync", "--secure-cookies"]).expect("the old flag");
        assert!(old.serve.secure_cookies() && !old.serve.https());
        assert!(Cli::try_parse_from(["shelfsync", "--public-url", "ftp://x.example"]).is_err());
    }

    #[test]
    fn the_retention_defaults_match_the_service() {
        let cli = Cli::try_parse_from(["shelfsync"]).expect("no flags parse");
        assert_eq!(
            cli.serve.retention.retention(),
            crate::inventory::retention::Retention::default()
        );
        assert_eq!(
            cli.serve.retention.retention(),
            RetentionArgs::default().retention()
        );
        assert_eq!(
            cli.serve.retention.prune_interval,
            RetentionArgs::default().prune_interval
        );
        let short = Cli::try_parse_from(["shelfsync", "--retain-idempotency-keys", "90m"])
            .expect("a duration parses");
        assert_eq!(
            short.serve.retention.retention().idempotency_keys,
            chrono::TimeDelta::minutes(90)
        );
    }

    #[test]
    fn the_log_format_is_human_unless_json_is_asked_for_on_any_command() {
        let plain = Cli::try_parse_from(["shelfsync"]).expect("no flags parse");
        assert_eq!(plain.log_format, LogFormat::Human);
        let json = Cli::try_parse_from(["shelfsync", "--log-format", "json"]).expect("json");
        assert_eq!(json.log_format, LogFormat::Json);
        let after = Cli::try_parse_from(["shelfsync", "migrate", "--log-format", "json"])
            .expect("the flag after a subcommand");
        assert_eq!(after.log_format, LogFormat::Json);
        let serve = Cli::try_parse_from(["shelfsync", "serve", "--log-format", "json"])
            .expect("the flag after serve");
        assert_eq!(serve.log_format, LogFormat::Json);
        assert!(Cli::try_parse_from(["shelfsync", "--log-format", "xml"]).is_err());
    }

    #[test]
    fn a_short_or_spaced_metrics_token_is_refused() {
        assert!(parse_metrics_token("short").is_err());
        assert!(parse_metrics_token("sixteen chars ok").is_err());
        let token = parse_metrics_token("0123456789abcdef").expect("16 characters");
        assert_eq!(token.expose(), "0123456789abcdef");
        assert!(!format!("{token:?}").contains("0123"));
    }

    #[test]
    fn the_push_defaults_match_the_flags() {
        let cli = Cli::try_parse_from(["shelfsync"]).expect("no flags parse");
        let defaults = PushArgs::default();
        let parsed = cli.serve.push;
        assert_eq!(parsed.webhook_timeout, defaults.webhook_timeout);
        assert_eq!(parsed.webhook_give_up_after, defaults.webhook_give_up_after);
        assert_eq!(parsed.webhook_first_retry, defaults.webhook_first_retry);
        assert_eq!(parsed.webhook_max_retry, defaults.webhook_max_retry);
        assert_eq!(parsed.webhook_poll, defaults.webhook_poll);
        assert_eq!(parsed.webhook_secret_grace, defaults.webhook_secret_grace);
        assert_eq!(parsed.sse_heartbeat, defaults.sse_heartbeat);
        assert_eq!(
            parsed.allow_private_webhooks,
            defaults.allow_private_webhooks
        );
    }
}
