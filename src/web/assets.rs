//! Static assets compiled into the binary: vendored htmx, CSS and the small
//! script for bulk selection. Served with content-hash ETags, so every
//! instance behind a load balancer answers the same validator.

use actix_web::http::header::{self, EntityTag};
use actix_web::{HttpRequest, HttpResponse, web};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "static/"]
struct Static;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/static/{file}", web::get().to(asset));
}

async fn asset(req: HttpRequest, file: web::Path<String>) -> HttpResponse {
    let Some(content) = Static::get(&file) else {
        return HttpResponse::NotFound().body("no such asset");
    };
    let tag = EntityTag::new_strong(hex::encode(&content.metadata.sha256_hash()[..16]));
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim().trim_start_matches("W/") == tag.to_string())
        });
    if matches {
        return HttpResponse::NotModified()
            .insert_header(header::ETag(tag))
            .finish();
    }
    HttpResponse::Ok()
        .insert_header(header::ETag(tag))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .content_type(content.metadata.mimetype())
        .body(content.data.into_owned())
}
