//! Builds the application: pool, migrations, demo seed, session key, routes,
//! and an HTTP server on a listener (port 0 in tests picks a free port).

use std::net::TcpListener;

use actix_session::SessionMiddleware;
use actix_session::config::{CookieContentSecurity, PersistentSession};
use actix_session::storage::CookieSessionStore;
use actix_web::cookie::{Key, SameSite, time::Duration as CookieDuration};
use actix_web::dev::Server;
use actix_web::middleware::{Compress, from_fn};
use actix_web::{App, HttpServer, web};
use diesel::prelude::*;
use rand::RngCore;

use crate::config::{
    DatabaseArgs, DemoArgs, MerchantCommand, ServeArgs, StaffCommand, TokenCommand, WebhookCommand,
};
use crate::db::models::AppSettingRow;
use crate::db::schema::app_settings;
use crate::db::{self, DbConnection, Pool};
use crate::delivery::{Dispatcher, DispatcherSettings};
use crate::demo;
use crate::domain::TokenScope;
use crate::inventory::changes::{self, CatalogChange};
use crate::inventory::merchants::Location;
use crate::inventory::merchants::Merchant;
use crate::inventory::{merchants, sessions, tokens};
use crate::scheduler::{Pruning, Scheduler};
use crate::web::observe::{Observe, access_log};
use crate::web::security_headers::SecurityHeaders;
use crate::web::sse::Streams;
use crate::web::{AppState, PushState, csrf, input};

/// Why shelfsync could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Database(#[from] db::SetupError),
    /// A refused value names its field; a database failure says so itself.
    #[error(transparent)]
    Inventory(#[from] crate::inventory::InventoryError),
    #[error("could not listen on {bind}: {source}")]
    Bind {
        bind: String,
        source: std::io::Error,
    },
    #[error("server error: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0} stock level(s) differ from the sum of their movements")]
    LedgerMismatch(usize),
    /// A value given on the command line was refused; names the flag.
    #[error("{0}")]
    Usage(String),
}

/// A built server, not yet running, and the port it listens on.
pub struct Application {
    port: u16,
    server: Server,
    /// Delivers webhooks in the background until the application is dropped.
    dispatcher: Option<Dispatcher>,
    /// Does work that falls due (expired holds) until the application is dropped.
    scheduler: Scheduler,
    /// Hears other instances' changes (PostgreSQL) until the application is dropped.
    listener: Option<db::notify::Listener>,
    /// The open live streams, closed when shutting down.
    streams: Streams,
    /// How long in-flight requests get after SIGTERM or SIGINT.
    shutdown_timeout: std::time::Duration,
}

impl Application {
    /// Opens the database, migrates it, seeds the demo on an empty database
    /// (unless told not to), and binds the server.
    pub fn build(args: &ServeArgs) -> Result<Application, StartError> {
        let pool = db::open_pool(&args.database.database_url, args.database.pool_size)?;
        let mut conn = pool.get().map_err(db::SetupError::from)?;
        let applied = db::run_migrations(&mut conn)?;
        if applied > 0 {
            log::info!("applied {applied} database migration(s)");
        }
        if !args.no_demo && !Merchant::any(&mut conn)? {
            let seeded = demo::seed(&mut conn)?;
            // One line, so the sign-in stands out in a first start's log.
            log::info!(
                "created the demo merchant {:?} ({}): sign in as {} with password {}",
                seeded.merchant.name,
                seeded.summary(),
                demo::EMAIL,
                demo::PASSWORD
            );
        }
        let session_key = session_key(&mut conn)?;
        let catalog_listener = (conn.backend() == db::Backend::Postgres).then(|| {
            // Hear about changes other instances commit, for caches and live streams.
            db::notify::spawn_listener(args.database.database_url.clone(), |payload| {
                if let Some(change) = CatalogChange::from_payload(payload) {
                    changes::publish(change);
                }
            })
        });
        drop(conn);
        let scheduler = Scheduler::start(
            &args.database.database_url,
            std::time::Duration::from_millis(args.scheduler_interval_ms),
            Pruning {
                retention: args.retention.retention(),
                every: args.retention.prune_interval,
            },
        )?;
        let dispatcher = if args.push.no_dispatcher {
            None
        } else {
            Some(Dispatcher::start(
                &args.database.database_url,
                DispatcherSettings::from_args(&args.push),
            )?)
        };
        let push = PushState {
            dispatcher: dispatcher
                .as_ref()
                .map(Dispatcher::waker)
                .unwrap_or_default(),
            secret_grace: args.push.webhook_secret_grace,
            heartbeat: args.push.sse_heartbeat,
            destinations: crate::domain::Destinations::from_flag(args.push.allow_private_webhooks),
            streams: Streams::default(),
        };
        let streams = push.streams.clone();
        let listener = TcpListener::bind(&args.bind).map_err(|source| StartError::Bind {
            bind: args.bind.clone(),
            source,
        })?;
        let port = listener.local_addr()?.port();
        let read_pool = db::open_pool(&args.database.database_url, args.read_pool_size.max(1))?;
        // SQLite has no notifications: the CLI's writes are noticed on read.
        let (outside_writes, other_instances) =
            match db::Backend::of_url(&args.database.database_url) {
                db::Backend::Sqlite => {
                    let watcher = db::open_pool(&args.database.database_url, 1)?;
                    let conn = watcher.get().map_err(db::SetupError::from)?;
                    let outside = changes::OutsideWrites::watch(conn)?;
                    (Some(std::sync::Arc::new(outside)), None)
                }
                db::Backend::Postgres => {
                    let watcher = db::open_pool(&args.database.database_url, 1)?;
                    let others = changes::OtherInstances::watch(watcher);
                    (None, Some(std::sync::Arc::new(others)))
                }
            };
        let state = web::Data::new(AppState {
            import_limit: usize::try_from(args.import_limit_mb.saturating_mul(1024 * 1024))
                .unwrap_or(usize::MAX),
            outside_writes,
            other_instances,
            metrics_token: args.metrics_token.clone(),
            trusted_proxies: args.trusted_proxies.clone(),
            ..AppState::new(pool, read_pool, push)
        });
        let secure = args.secure_cookies();
        let headers = SecurityHeaders::new(args.https());
        let mut server = HttpServer::new(move || {
            App::new()
                .wrap(headers)
                // Outermost: the request id reaches every layer and log line
                // within, and every response is counted with its final status.
                .wrap(Observe)
                .app_data(state.clone())
                .app_data(web::FormConfig::default().limit(2 * 1024 * 1024))
                // The storefront's reads (the JSON API and the hosted shop)
                // run bare: bearer tokens or nothing, bodies gzipped by the
                // list cache itself, writes logged by their handlers. At
                // 100k requests a second every layer shows.
                .configure(crate::web::public_routes)
                // Everything else is the dashboard (and its assets): the
                // session cookie, the CSRF check, compression, access log.
                .service(
                    web::scope("")
                        .configure(crate::web::dashboard_routes)
                        .app_data(
                            web::PathConfig::default()
                                .error_handler(crate::web::errors::malformed_path),
                        )
                        .default_service(web::to(crate::web::errors::unknown_address))
                        .wrap(from_fn(input::refuse_control_in_forms))
                        .wrap(from_fn(csrf::guard))
                        .wrap(
                            SessionMiddleware::builder(
                                CookieSessionStore::default(),
                                session_key.clone(),
                            )
                            .cookie_name("shelfsync".into())
                            .cookie_http_only(true)
                            .cookie_same_site(SameSite::Lax)
                            .cookie_secure(secure)
                            .cookie_content_security(CookieContentSecurity::Private)
                            .session_lifecycle(PersistentSession::default().session_ttl(
                                CookieDuration::seconds(sessions::LIFETIME.num_seconds()),
                            ))
                            .build(),
                        )
                        .wrap(Compress::default())
                        .wrap(from_fn(access_log)),
                )
        })
        .client_request_timeout(args.request_head_timeout)
        // Signals are handled in `run_until_stopped`, which closes the live
        // streams first: actix's own handling would wait on them.
        .disable_signals()
        .shutdown_timeout(args.shutdown_timeout.as_secs())
        .listen(listener)?;
        if let Some(workers) = args.workers {
            server = server.workers(workers);
        }
        Ok(Application {
            port,
            server: server.run(),
            dispatcher,
            scheduler,
            listener: catalog_listener,
            streams,
            shutdown_timeout: args.shutdown_timeout,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGTERM or SIGINT, then shuts down gracefully: no new
    /// connection is accepted, every live stream ends with `: shutting
    /// down`, requests in flight get up to the shutdown timeout to finish;
    /// then the dispatcher finishes or hands back the delivery in hand, the
    /// scheduler its run, and the listener closes its connection. Background
    /// work also stops when this future is dropped.
    pub async fn run_until_stopped(self) -> Result<(), std::io::Error> {
        let handle = self.server.handle();
        let streams = self.streams.clone();
        let timeout = self.shutdown_timeout;
        let signals = tokio::spawn(async move {
            let signal = shutdown_signal().await;
            log::info!(
                "{signal}: shutting down; no new connections, live streams close, requests in flight get up to {timeout:?}"
            );
            streams.close_all();
            handle.stop(true).await;
        });
        let outcome = self.server.await;
        signals.abort();
        drop(self.dispatcher);
        drop(self.scheduler);
        drop(self.listener);
        if outcome.is_ok() {
            log::info!("shelfsync stopped");
        }
        outcome
    }
}

/// Waits for SIGTERM or SIGINT and says which came.
#[cfg(unix)]
async fn shutdown_signal() -> &'static str {
    use actix_web::rt::signal::unix::{SignalKind, signal};
    match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(mut terminate), Ok(mut interrupt)) => tokio::select! {
            _ = terminate.recv() => "SIGTERM",
            _ = interrupt.recv() => "SIGINT",
        },
        (Err(error), _) | (_, Err(error)) => {
            log::warn!("cannot listen for shutdown signals: {error}");
            std::future::pending().await
        }
    }
}

/// Waits for Ctrl-C.
#[cfg(not(unix))]
async fn shutdown_signal() -> &'static str {
    match actix_web::rt::signal::ctrl_c().await {
        Ok(()) => "Ctrl-C",
        Err(error) => {
            log::warn!("cannot listen for Ctrl-C: {error}");
            std::future::pending().await
        }
    }
}

/// The cookie signing key, made once per database and shared by every
/// instance on it, so sessions survive restarts and load balancing.
fn session_key(conn: &mut DbConnection) -> Result<Key, StartError> {
    const NAME: &str = "session_key";
    let stored: Option<String> = app_settings::table
        .find(NAME)
        .select(app_settings::value)
        .first(conn)
        .optional()
        .map_err(crate::inventory::InventoryError::from)?;
    let encoded = match stored {
        Some(value) => value,
        None => {
            let mut bytes = [0u8; 64];
            rand::rng().fill_bytes(&mut bytes);
            let fresh = hex::encode(bytes);
            // Another instance may have written one first; theirs wins. Any
            // other failure is an error, not a silently missing key.
            match diesel::insert_into(app_settings::table)
                .values(AppSettingRow {
                    name: NAME.to_owned(),
                    value: fresh,
                })
                .execute(conn)
            {
                Ok(_)
                | Err(diesel::result::Error::DatabaseError(
                    diesel::result::DatabaseErrorKind::UniqueViolation,
                    _,
                )) => {}
                Err(other) => return Err(crate::inventory::InventoryError::from(other).into()),
            }
            app_settings::table
                .find(NAME)
                .select(app_settings::value)
                .first(conn)
                .map_err(crate::inventory::InventoryError::from)?
        }
    };
    let bytes = hex::decode(encoded.trim())
        .ok()
        .filter(|b| b.len() >= 64)
        .ok_or_else(|| {
            crate::inventory::InventoryError::Corrupt(
                "stored session key is not 64 hex bytes".into(),
            )
        })?;
    Ok(Key::from(&bytes))
}

/// `shelfsync serve`.
pub fn serve(args: ServeArgs) -> Result<(), StartError> {
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(&args)?;
        let host = args
            .bind
            .rsplit_once(':')
            .map_or("127.0.0.1", |(host, _)| host);
        log::info!("shelfsync is serving on http://{host}:{}", app.port());
        app.run_until_stopped().await?;
        Ok(())
    })
}

/// `shelfsync migrate`.
pub fn migrate(args: &DatabaseArgs) -> Result<(), StartError> {
    let pool = open(args)?;
    let mut conn = pool.get().map_err(db::SetupError::from)?;
    let applied = db::run_migrations(&mut conn)?;
    println!("applied {applied} migration(s); the database is up to date");
    Ok(())
}

/// `shelfsync demo`.
pub fn create_demo(args: &DemoArgs) -> Result<(), StartError> {
    let pool = open(&args.database)?;
    let mut conn = pool.get().map_err(db::SetupError::from)?;
    db::run_migrations(&mut conn)?;
    let merchant = demo::create(&mut conn)?;
    if args.items > 0 {
        let started = std::time::Instant::now();
        let made = demo::generate_items(&mut conn, &merchant, args.items, |done| {
            if done % 10_000 == 0 {
                eprintln!("… {done} generated items");
            }
        })?;
        println!(
            "generated {made} more items in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    println!(
        "demo merchant {:?} is ready: sign in as {} with password {}",
        merchant.name,
        demo::EMAIL,
        demo::PASSWORD
    );
    Ok(())
}

/// `shelfsync check`: every stock level against the sum of its movements,
/// and every store's open holds against what it has on hand.
pub fn check(args: &DatabaseArgs) -> Result<(), StartError> {
    let pool = open(args)?;
    let mut conn = pool.get().map_err(db::SetupError::from)?;
    db::run_migrations(&mut conn)?;
    let mismatches = crate::inventory::stock::verify_ledger(&mut conn)?;
    for m in &mismatches {
        println!(
            "merchant {} item {} ({}) at {} ({}): level {} but movements sum to {} (difference {:+})",
            m.merchant_id,
            m.item_id,
            m.sku,
            m.location_id,
            m.location_name,
            m.on_hand,
            m.ledger_sum,
            m.on_hand - m.ledger_sum
        );
    }
    let over = crate::inventory::stock::verify_holds(&mut conn)?;
    for o in &over {
        if o.held != o.recorded {
            println!(
                "merchant {} item {} at {}: open holds for pickup of {} but the level counts {} held",
                o.merchant_id, o.item_id, o.location_id, o.held, o.recorded
            );
        } else {
            println!(
                "merchant {} item {} at {}: open holds for pickup of {} but only {} on hand",
                o.merchant_id, o.item_id, o.location_id, o.held, o.on_hand
            );
        }
    }
    if mismatches.is_empty() && over.is_empty() {
        println!("every stock level equals the sum of its movements");
        println!("every store's open holds fit what it has on hand, and its count of them");
        Ok(())
    } else {
        Err(StartError::LedgerMismatch(mismatches.len() + over.len()))
    }
}

/// `shelfsync token …`.
pub fn token(command: TokenCommand) -> Result<(), StartError> {
    match command {
        TokenCommand::Create {
            database,
            merchant,
            name,
            scope,
            location,
        } => {
            let pool = open(&database)?;
            let mut conn = pool.get().map_err(db::SetupError::from)?;
            db::run_migrations(&mut conn)?;
            let merchant = Merchant::by_slug(&mut conn, &merchant)?;
            let scope =
                TokenScope::parse(&scope).map_err(crate::inventory::InventoryError::from)?;
            let location_id = match location {
                None => None,
                Some(wanted) => {
                    let stores = Location::all_of(&mut conn, merchant.id)?;
                    let found = stores
                        .iter()
                        .find(|l| {
                            l.name.eq_ignore_ascii_case(wanted.trim())
                                || l.id.to_string() == wanted.trim()
                        })
                        .ok_or(crate::inventory::InventoryError::NotFound("location"))?;
                    Some(found.id)
                }
            };
            let issued = tokens::create_token(&mut conn, merchant.id, &name, scope, location_id)?;
            println!("{}", issued.secret);
            eprintln!(
                "token {} ({}, {}) created for {}; the secret above is shown only this once",
                issued.token.id, issued.token.name, issued.token.scope, merchant.name
            );
            Ok(())
        }
        TokenCommand::List { database, merchant } => {
            let pool = open(&database)?;
            let mut conn = pool.get().map_err(db::SetupError::from)?;
            let merchant = Merchant::by_slug(&mut conn, &merchant)?;
            for token in tokens::list_tokens(&mut conn, merchant.id)? {
                println!(
                    "{}\t{}\t{}\t{}…\t{}",
                    token.id,
                    token.scope,
                    token.name,
                    token.prefix,
                    if token.revoked_at.is_some() {
                        "revoked"
                    } else {
                        "active"
                    }
                );
            }
            Ok(())
        }
        TokenCommand::Revoke {
            database,
            merchant,
            id,
        } => {
            let pool = open(&database)?;
            let mut conn = pool.get().map_err(db::SetupError::from)?;
            let merchant = Merchant::by_slug(&mut conn, &merchant)?;
            let token = tokens::revoke_token(&mut conn, merchant.id, id)?;
            println!("token {} ({}) is revoked", token.id, token.name);
            Ok(())
        }
    }
}

/// The environment variable `merchant create` reads the owner's password from.
pub const OWNER_PASSWORD_VAR: &str = "SHELFSYNC_OWNER_PASSWORD";

/// `shelfsync merchant …`.
pub fn merchant(command: MerchantCommand) -> Result<(), StartError> {
    use crate::inventory::setup::{self, NewShop, ShopInput};
    match command {
        MerchantCommand::Create {
            database,
            name,
            slug,
            owner_email,
            owner_name,
            currency,
            time_zone,
            store,
            store_address,
        } => {
            let password = match std::env::var(OWNER_PASSWORD_VAR) {
                Ok(password) if !password.is_empty() => password,
                _ => rpassword::prompt_password(format!("Password for {owner_email}: "))
                    .map_err(|e| {
                        StartError::Usage(format!(
                            "could not read the owner's password ({e}); set {OWNER_PASSWORD_VAR} instead"
                        ))
                    })?,
            };
            let input = ShopInput {
                name: &name,
                slug: &slug,
                currency: &currency,
                time_zone: &time_zone,
                store_name: &store,
                store_address: &store_address,
                owner_name: &owner_name,
                owner_email: &owner_email,
                owner_password: &password,
            };
            let flag = |field: &str| match field {
                "owner_password" => OWNER_PASSWORD_VAR.to_owned(),
                "store_name" => "--store".to_owned(),
                other => format!("--{}", other.replace('_', "-")),
            };
            let shop = NewShop::parse(&input, false).map_err(|errors| {
                StartError::Usage(
                    errors
                        .iter()
                        .map(|e| format!("{}: {}", flag(e.field), e.message))
                        .collect::<Vec<_>>()
                        .join("\n"),
                )
            })?;
            let pool = open(&database)?;
            let mut conn = pool.get().map_err(db::SetupError::from)?;
            db::run_migrations(&mut conn)?;
            let opened = setup::open_shop(&mut conn, &shop).map_err(|e| match e {
                crate::inventory::InventoryError::Invalid(error) => {
                    StartError::Usage(format!("{}: {}", flag(error.field), error.message))
                }
                other => other.into(),
            })?;
            println!(
                "merchant {} \"{}\" created: its shop is at /shop/{}; {} signs in as owner",
                opened.merchant.id, opened.merchant.name, opened.merchant.slug, opened.owner.email
            );
            Ok(())
        }
        MerchantCommand::List { database } => {
            let pool = open(&database)?;
            let mut conn = pool.get().map_err(db::SetupError::from)?;
            db::run_migrations(&mut conn)?;
            for merchant in Merchant::all(&mut conn)? {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    merchant.id,
                    merchant.slug,
                    merchant.name,
                    merchant.currency.as_str(),
                    merchant.time_zone.name()
                );
            }
            Ok(())
        }
    }
}

/// `shelfsync staff …`.
pub fn staff(command: StaffCommand) -> Result<(), StartError> {
    match command {
        StaffCommand::List { database, merchant } => {
            let pool = open(&database)?;
            let mut conn = pool.get().map_err(db::SetupError::from)?;
            let merchant = Merchant::by_slug(&mut conn, &merchant)?;
            for member in crate::inventory::staff::list_staff(&mut conn, merchant.id)? {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    member.id,
                    member.email,
                    member.display_name,
                    member.role.as_str(),
                    if member.active {
                        "active"
                    } else {
                        "deactivated"
                    }
                );
            }
            Ok(())
        }
        StaffCommand::Deactivate {
            database,
            merchant,
            email,
        } => {
            let pool = open(&database)?;
            let mut conn = pool.get().map_err(db::SetupError::from)?;
            let merchant = Merchant::by_slug(&mut conn, &merchant)?;
            let member = merchants::staff_by_email(&mut conn, merchant.id, &email)?;
            let member = crate::inventory::staff::deactivate_staff(
                &mut conn,
                &crate::inventory::Actor::command_line(),
                merchant.id,
                member.id,
            )?;
            println!(
                "{} ({}) is deactivated; their sessions have ended",
                member.display_name, member.email
            );
            Ok(())
        }
    }
}

/// `shelfsync webhook …`: the same service calls as the dashboard and the API.
pub fn webhook(command: WebhookCommand) -> Result<(), StartError> {
    use crate::domain::{Destinations, EventTypes, WebhookUrl};
    use crate::inventory::InventoryError;
    use crate::inventory::webhooks;
    match command {
        WebhookCommand::Create {
            database,
            merchant,
            url,
            event_types,
            allow_private_webhooks,
        } => {
            let pool = open(&database)?;
            let mut conn = pool.get().map_err(db::SetupError::from)?;
            db::run_migrations(&mut conn)?;
            let merchant = Merchant::by_slug(&mut conn, &merchant)?;
            let url = WebhookUrl::parse(&url).map_err(InventoryError::from)?;
            let types = if event_types.is_empty() {
                EventTypes::storefront()
            } else {
                EventTypes::parse(event_types.iter().map(String::as_str))
                    .map_err(InventoryError::from)?
            };
            let issued = webhooks::create_endpoint(
                &mut conn,
                merchant.id,
                &url,
                &types,
                Destinations::from_flag(allow_private_webhooks),
            )?;
            println!("{}", issued.secret);
            eprintln!(
                "webhook endpoint {} ({}, sends {}) created for {}; the secret above is shown only this once",
                issued.endpoint.id,
                issued.endpoint.url,
                issued.endpoint.event_types.names().join(", "),
                merchant.name
            );
            Ok(())
        }
        WebhookCommand::List { database, merchant } => {
            let pool = open(&database)?;
            let mut conn = pool.get().map_err(db::SetupError::from)?;
            let merchant = Merchant::by_slug(&mut conn, &merchant)?;
            for endpoint in webhooks::list_endpoints(&mut conn, merchant.id)? {
                println!(
                    "{}\t{}\t{}\t{}\t{}…",
                    endpoint.id,
                    if endpoint.enabled {
                        "enabled"
                    } else {
                        "disabled"
                    },
                    endpoint.url,
                    endpoint.event_types.names().join(","),
                    endpoint.secret_hint
                );
            }
            Ok(())
        }
        WebhookCommand::Rotate {
            database,
            merchant,
            grace,
            id,
        } => {
            let pool = open(&database)?;
            let mut conn = pool.get().map_err(db::SetupError::from)?;
            let merchant = Merchant::by_slug(&mut conn, &merchant)?;
            let issued = webhooks::rotate_secret(&mut conn, merchant.id, id, grace)?;
            println!("{}", issued.secret);
            eprintln!(
                "webhook endpoint {} ({}) has a new secret, shown above only this once; the previous one keeps signing for {}",
                issued.endpoint.id,
                issued.endpoint.url,
                humantime(grace)
            );
            Ok(())
        }
        WebhookCommand::Delete {
            database,
            merchant,
            id,
        } => {
            let pool = open(&database)?;
            let mut conn = pool.get().map_err(db::SetupError::from)?;
            let merchant = Merchant::by_slug(&mut conn, &merchant)?;
            let endpoint = webhooks::delete_endpoint(&mut conn, merchant.id, id)?;
            println!(
                "webhook endpoint {} ({}) is deleted",
                endpoint.id, endpoint.url
            );
            Ok(())
        }
    }
}

/// A duration for a person: `24h`, `90m`, `30s`.
fn humantime(duration: std::time::Duration) -> String {
    let secs = duration.as_secs();
    if secs > 0 && secs.is_multiple_of(3600) {
        format!("{}h", secs / 3600)
    } else if secs > 0 && secs.is_multiple_of(60) {
        format!("{}m", secs / 60)
    } else {
        format!("{secs}s")
    }
}

pub(crate) fn open(args: &DatabaseArgs) -> Result<Pool, StartError> {
    Ok(db::open_pool(&args.database_url, args.pool_size.min(2))?)
}
