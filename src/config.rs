//! Every setting, from a command-line flag or its environment variable.

use clap::{Args, Parser, Subcommand};

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
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the dashboard, the storefront page and the JSON API (the default).
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate(DatabaseArgs),
    /// Create the demo merchant "Corner Goods" with two stores, ~60 items and a login.
    Demo(DatabaseArgs),
    /// Verify that every stock level equals the sum of its movements; exits
    /// non-zero listing every level that differs.
    Check(DatabaseArgs),
    /// Create, list or revoke API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
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

    /// Do not create the demo merchant when the database is empty.
    #[arg(long, env = "SHELFSYNC_NO_DEMO")]
    pub no_demo: bool,

    /// Mark session cookies Secure (set this when served over HTTPS).
    #[arg(long, env = "SHELFSYNC_SECURE_COOKIES")]
    pub secure_cookies: bool,
}

impl Cli {
    /// The subcommand to run, `serve` when none was given.
    pub fn into_command(self) -> Command {
        self.command.unwrap_or(Command::Serve(self.serve))
    }
}
