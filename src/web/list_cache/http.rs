//! The HTTP side of a cached list body: validators, gzip and the response.

use std::io::Write;

use actix_web::http::header::{self, HeaderValue};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};

use super::{CachedList, ListKind};

/// Bodies smaller than this are not worth a gzip copy.
const GZIP_MIN_BYTES: usize = 1024;

impl ListKind {
    fn content_type(self) -> &'static str {
        match self {
            ListKind::ApiJson => "application/json",
            ListKind::ShopHtml => "text/html; charset=utf-8",
        }
    }

    /// Caches may keep a copy but must ask again before using it, so the next
    /// request after a change always sees it.
    fn cache_control(self) -> &'static str {
        match self {
            ListKind::ApiJson => "private, no-cache",
            ListKind::ShopHtml => "public, no-cache",
        }
    }
}

/// Strong ETags (identity and gzip) naming a body: the merchant, what the
/// body is made of (`content`: a catalog version, or a page's signature) and
/// the endpoint and query (`key`).
pub(super) fn etags(merchant_id: i64, content: &str, key: &str) -> (HeaderValue, HeaderValue) {
    let digest = Sha256::digest(key.as_bytes());
    let tag = format!("{merchant_id}.{content}.{}", hex::encode(&digest[..8]));
    let value = |tag: String| {
        HeaderValue::from_str(&format!("\"{tag}\"")).expect("an ETag of digits, dots and hex")
    };
    (value(tag.clone()), value(format!("{tag}.gz")))
}

pub(super) fn gzip(body: &[u8]) -> Option<Bytes> {
    if body.len() < GZIP_MIN_BYTES {
        return None;
    }
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 4),
        flate2::Compression::default(),
    );
    encoder.write_all(body).ok()?;
    encoder
        .finish()
        .ok()
        .filter(|zipped| zipped.len() < body.len())
        .map(Bytes::from)
}

/// Whether the client accepts gzip (`gzip` or `*` without `q=0`).
fn accepts_gzip(req: &HttpRequest) -> bool {
    let Some(accept) = req
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    accept.split(',').any(|part| {
        let mut pieces = part.split(';');
        let coding = pieces.next().unwrap_or("").trim();
        let refused = pieces.any(|p| {
            let p = p.trim().replace(' ', "");
            p == "q=0" || p == "q=0.0" || p == "q=0.00" || p == "q=0.000"
        });
        (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
    })
}

/// Whether `If-None-Match` names the current body (weak comparison, as RFC 9110 asks).
fn not_modified(req: &HttpRequest, entry: &CachedList) -> bool {
    let Some(wanted) = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    wanted.split(',').map(str::trim).any(|tag| {
        let tag = tag.strip_prefix("W/").unwrap_or(tag).as_bytes();
        tag == b"*" || tag == entry.etag.as_bytes() || tag == entry.etag_gzip.as_bytes()
    })
}

/// The response for a cached body: 304 when the client has it, else 200.
pub(super) fn respond(req: &HttpRequest, entry: &CachedList) -> HttpResponse {
    let gzip = if accepts_gzip(req) {
        entry.gzip.get_or_init(|| gzip(&entry.body)).as_ref()
    } else {
        None
    };
    let etag = if gzip.is_some() {
        &entry.etag_gzip
    } else {
        &entry.etag
    };
    let unchanged = not_modified(req, entry);
    let mut response = if unchanged {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, etag.clone()))
        .insert_header((header::CACHE_CONTROL, entry.kind.cache_control()))
        .insert_header((header::VARY, "Accept-Encoding"))
        .insert_header(("Shelfsync-Catalog-Version", entry.body_version.clone()));
    if unchanged {
        return response.finish();
    }
    response.content_type(entry.kind.content_type());
    match gzip {
        Some(zipped) => response
            .insert_header((header::CONTENT_ENCODING, "gzip"))
            .body(zipped.clone()),
        None => {
            if req.headers().contains_key(header::ACCEPT_ENCODING) {
                // The ETag names these exact bytes: keep the compression middleware off them.
                response.insert_header((header::CONTENT_ENCODING, "identity"));
            }
            response.body(entry.body.clone())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_differ_by_content_and_query_and_are_quoted() {
        let (a, a_gz) = etags(1, "5", "api/storefront/items?limit=100");
        let (b, _) = etags(1, "6", "api/storefront/items?limit=100");
        let (c, _) = etags(1, "5", "api/storefront/items?limit=10");
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert!(a.to_str().expect("ascii").starts_with("\"1.5."));
        assert_eq!(
            a_gz.to_str().expect("ascii"),
            format!("{}.gz\"", a.to_str().expect("ascii").trim_end_matches('"'))
        );
    }
}
