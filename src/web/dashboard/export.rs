//! `/items/export.csv`: the catalogue as a CSV file, for the list's current
//! search and filter, streamed a chunk at a time.

use actix_web::http::header::{ContentDisposition, DispositionParam, DispositionType};
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::inventory::catalog_file::CatalogExport;
use crate::inventory::item_list::ItemFilter;
use crate::inventory::permissions::Permission;
use crate::web::auth::CurrentStaff;
use crate::web::errors::HtmlError;
use crate::web::{AppState, run};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/items/export.csv", web::get().to(export));
}

#[derive(Deserialize)]
struct ExportParams {
    q: Option<String>,
    filter: Option<String>,
}

async fn export(
    state: web::Data<AppState>,
    current: CurrentStaff,
    params: web::Query<ExportParams>,
) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::EditItems)?;
    let params = params.into_inner();
    let filter = match params.filter.as_deref().filter(|f| !f.is_empty()) {
        None => ItemFilter::All,
        Some(raw) => ItemFilter::parse(raw)
            .map_err(|e| HtmlError::BadRequest(format!("filter: {}", e.message)))?,
    };
    let search = params.q.unwrap_or_default();
    let merchant_id = current.merchant.id;
    let started = run(&state, move |conn| {
        CatalogExport::start(conn, merchant_id, &search, filter)
    })
    .await?;
    let filename = format!(
        "{}-items-{}.csv",
        current.merchant.slug,
        chrono::Utc::now().format("%Y%m%d")
    );
    let chunks = futures_util::stream::try_unfold(
        (state.into_inner(), started),
        |(state, export)| async move {
            let (export, chunk) = run(&state, move |conn| {
                let mut export = export;
                let chunk = export.next_chunk(conn)?;
                Ok((export, chunk))
            })
            .await
            .map_err(|e| actix_web::error::ErrorServiceUnavailable(e.to_string()))?;
            Ok::<_, actix_web::Error>(chunk.map(|bytes| (web::Bytes::from(bytes), (state, export))))
        },
    );
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(filename)],
        })
        .streaming(chunks))
}
