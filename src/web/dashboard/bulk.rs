//! `/items/bulk`: one designation applied to many items in one transaction.
//! If some items cannot take it, nothing changes and the merchant sees which
//! and why, with the choice to apply it to the others only.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::items::render;
use super::row::DesignationAction;
use super::{Layout, Notice, see_other, set_flash};
use crate::inventory::item_list::{ItemFilter, matching_ids};
use crate::inventory::{BulkMode, designate_many};
use crate::web::auth::CurrentStaff;
use crate::web::errors::HtmlError;
use crate::web::{AppState, run};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/items/bulk", web::post().to(apply));
}

/// The most items one bulk change may touch.
const MAX_BULK: usize = 10_000;

#[derive(Deserialize)]
struct BulkForm {
    #[serde(default)]
    ids: Vec<String>,
    all_matching: Option<String>,
    q: Option<String>,
    filter: Option<String>,
    action: Option<String>,
    /// `valid_only` after the merchant saw the refusals and chose to go on.
    apply: Option<String>,
}

/// A refused item as the review page lists it.
struct Refusal {
    name: String,
    sku: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "items/bulk.html")]
struct BulkReviewPage {
    layout: Layout,
    action_value: &'static str,
    action_label: &'static str,
    refused: Vec<Refusal>,
    valid_ids: Vec<i64>,
    unchanged: usize,
    /// The list the merchant came from, to return to.
    q: String,
    filter: String,
}

async fn apply(
    state: web::Data<AppState>,
    current: CurrentStaff,
    form: web::Bytes,
) -> Result<HttpResponse, HtmlError> {
    let form: BulkForm = serde_html_form::from_bytes(&form)
        .map_err(|e| HtmlError::BadRequest(format!("The bulk form could not be read: {e}")))?;
    // Back to the list the merchant was working in.
    let back_to_list = format!(
        "/items?{}",
        serde_html_form::to_string([
            ("q", form.q.as_deref().unwrap_or("")),
            ("filter", form.filter.as_deref().unwrap_or("all")),
        ])
        .unwrap_or_default()
    );
    let back = back_to_list.as_str();
    let Some(action) = form.action.as_deref().and_then(DesignationAction::parse) else {
        set_flash(
            &current.session,
            Notice::error("Choose what to apply to the selected items."),
        );
        return Ok(see_other(back));
    };
    let merchant_id = current.merchant.id;
    let ids: Vec<i64> = if form.all_matching.as_deref() == Some("1") {
        let filter = form
            .filter
            .as_deref()
            .map(ItemFilter::parse)
            .transpose()
            .map_err(|e| HtmlError::BadRequest(e.to_string()))?
            .unwrap_or_default();
        let q = form.q.clone().unwrap_or_default();
        run(&state, move |conn| {
            matching_ids(conn, merchant_id, &q, filter)
        })
        .await?
    } else {
        let mut parsed = Vec::with_capacity(form.ids.len());
        for raw in &form.ids {
            let id = raw.trim().parse::<i64>().map_err(|_| {
                HtmlError::BadRequest(format!("{raw:?} is not an item id; nothing was changed."))
            })?;
            parsed.push(id);
        }
        parsed
    };
    if ids.is_empty() {
        set_flash(
            &current.session,
            Notice::error("Select at least one item first."),
        );
        return Ok(see_other(back));
    }
    if ids.len() > MAX_BULK {
        set_flash(
            &current.session,
            Notice::error(format!(
                "Select at most {MAX_BULK} items at once; nothing was changed."
            )),
        );
        return Ok(see_other(back));
    }
    let mode = if form.apply.as_deref() == Some("valid_only") {
        BulkMode::ValidOnly
    } else {
        BulkMode::AllOrNothing
    };
    let actor = current.actor();
    let selected = ids.len();
    let outcome = run(&state, move |conn| {
        designate_many(conn, &actor, merchant_id, &ids, action.change(), mode)
    })
    .await?;
    if mode == BulkMode::AllOrNothing && !outcome.refused.is_empty() {
        let page = BulkReviewPage {
            layout: Layout::new(&current, "items"),
            action_value: action.as_str(),
            action_label: action.label(),
            refused: outcome
                .refused
                .iter()
                .map(|r| Refusal {
                    name: r.item.name.clone(),
                    sku: r.item.sku.clone(),
                    reason: r.reason.clone(),
                })
                .collect(),
            valid_ids: outcome.held_back.iter().map(|item| item.id).collect(),
            unchanged: outcome.unchanged.len(),
            q: form.q.clone().unwrap_or_default(),
            filter: form.filter.clone().unwrap_or_default(),
        };
        return render(&page);
    }
    log::info!(
        "merchant {merchant_id}: bulk {} on {selected} items by staff {}: {} changed at catalog version {}",
        action.as_str(),
        current.staff.id,
        outcome.applied.len(),
        outcome.catalog_version
    );
    let mut text = format!(
        "{}: {} item{} changed",
        action.label(),
        outcome.applied.len(),
        if outcome.applied.len() == 1 { "" } else { "s" }
    );
    if !outcome.unchanged.is_empty() {
        text.push_str(&format!(", {} already had it", outcome.unchanged.len()));
    }
    if !outcome.refused.is_empty() {
        let names: Vec<&str> = outcome
            .refused
            .iter()
            .map(|r| r.item.name.as_str())
            .collect();
        text.push_str(&format!(
            ", {} left unchanged ({})",
            names.len(),
            names.join(", ")
        ));
    }
    set_flash(&current.session, Notice::success(format!("{text}.")));
    Ok(see_other(back))
}
