//! A minimal online-store server that mirrors a merchant's online list from
//! shelfsync: a full read of the JSON feed at start, then signed webhooks
//! applied in order, and a `since_version` read whenever a gap shows.
//!
//! ```sh
//! cargo run --example storefront_mirror -- \
//!     --shelfsync http://127.0.0.1:8080 --token sst_… \
//!     --listen 127.0.0.1:9000 --secret whsec_…
//! ```
//! Point a webhook endpoint at `http://127.0.0.1:9000/webhooks` in shelfsync's
//! Settings → Webhooks. `GET /items` shows the mirror as JSON.

mod mirror;

use std::sync::Arc;

use actix_web::{App, HttpResponse, HttpServer, web};
use clap::Parser;
use mirror::{HttpFeed, Receiver};

#[derive(Parser)]
struct Args {
    /// shelfsync's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    shelfsync: String,
    /// A storefront API token.
    #[arg(long, env = "SHELFSYNC_TOKEN")]
    token: String,
    /// Where to receive webhooks.
    #[arg(long, default_value = "127.0.0.1:9000")]
    listen: String,
    /// The endpoint's signing secret, as the dashboard showed it.
    #[arg(long, env = "SHELFSYNC_WEBHOOK_SECRET")]
    secret: String,
}

async fn items(receiver: web::Data<Receiver<HttpFeed>>) -> HttpResponse {
    let mirror = receiver.mirror.lock().await;
    HttpResponse::Ok().json(serde_json::json!({
        "catalog_version": mirror.applied_version,
        "items": mirror.items.values().collect::<Vec<_>>(),
    }))
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let feed = HttpFeed {
        base_url: args.shelfsync.clone(),
        token: args.token.clone(),
        client: reqwest::Client::new(),
    };
    let receiver = Receiver::new(args.secret.clone(), feed);
    {
        let mut mirror = receiver.mirror.lock().await;
        if let Err(error) = mirror.catch_up(&receiver.feed).await {
            eprintln!(
                "could not read the online list from {}: {error}",
                args.shelfsync
            );
            std::process::exit(1);
        }
        println!(
            "mirrored {} items at catalog version {}; listening on http://{}/webhooks",
            mirror.items.len(),
            mirror.applied_version,
            args.listen
        );
    }
    let shared = Arc::clone(&receiver);
    HttpServer::new(move || {
        App::new()
            .configure(mirror::routes(Arc::clone(&shared)))
            .route("/items", web::get().to(items))
    })
    .bind(&args.listen)?
    .run()
    .await
}
