//! `/items/bulk`: one designation applied to many items in one transaction.
//! If some items cannot take it, nothing changes and the merchant sees which
//! and why, with the choice to apply it to the others only.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::items::render;
use super::row::DesignationAction;
use super::{Layout, Notice, see_other, set_flash};
use crate::inventory::InventoryError;
use crate::inventory::designations::{BulkMode, Selected, Selection, bulk_designate};
use crate::inventory::item_list::ItemFilter;
use crate::inventory::permissions::Permission;
use crate::web::auth::CurrentStaff;
use crate::web::errors::HtmlError;
use crate::web::{AppState, run};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/items/bulk", web::post().to(apply));
}

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
    /// Someone else changed it since the list was drawn.
    changed_since_seen: bool,
}

#[derive(Template)]
#[template(path = "items/bulk.html")]
struct BulkReviewPage {
    layout: Layout,
    action_value: &'static str,
    action_label: &'static str,
    refused: Vec<Refusal>,
    /// The items that could take the change, as `ID:VERSION` so applying
    /// to them alone still refuses any that change meanwhile.
    valid: Vec<String>,
    unchanged: usize,
    /// The list the merchant came from, to return to.
    q: String,
    filter: String,
}

/// The items a bulk form selected: the ticked rows (`ID:VERSION`), or with
/// `all_matching=1` every item matching the list's search and filter.
pub(super) fn selection(
    ids: &[String],
    all_matching: Option<&str>,
    q: Option<&str>,
    filter: Option<&str>,
) -> Result<Selection, HtmlError> {
    if all_matching == Some("1") {
        let filter = filter
            .map(ItemFilter::parse)
            .transpose()
            .map_err(|e| HtmlError::BadRequest(e.to_string()))?
            .unwrap_or_default();
        return Ok(Selection::Matching {
            search: q.unwrap_or_default().to_owned(),
            filter,
        });
    }
    let mut parsed = Vec::with_capacity(ids.len());
    for raw in ids {
        parsed.push(
            Selected::parse(raw).map_err(|e| {
                HtmlError::BadRequest(format!("{}; nothing was changed.", e.message))
            })?,
        );
    }
    Ok(Selection::Items(parsed))
}

async fn apply(
    state: web::Data<AppState>,
    current: CurrentStaff,
    form: web::Bytes,
) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::Designate)?;
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
    let selection = selection(
        &form.ids,
        form.all_matching.as_deref(),
        form.q.as_deref(),
        form.filter.as_deref(),
    )?;
    let mode = if form.apply.as_deref() == Some("valid_only") {
        BulkMode::ValidOnly
    } else {
        BulkMode::AllOrNothing
    };
    let actor = current.actor();
    let outcome = match run(&state, move |conn| {
        bulk_designate(conn, &actor, merchant_id, &selection, action.change(), mode)
    })
    .await
    {
        Ok(outcome) => outcome,
        Err(InventoryError::Invalid(error)) if error.field == "ids" => {
            set_flash(&current.session, Notice::error(error.message));
            return Ok(see_other(back));
        }
        Err(other) => return Err(other.into()),
    };
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
                    changed_since_seen: r.changed_since_seen,
                })
                .collect(),
            valid: outcome
                .held_back
                .iter()
                .map(|item| format!("{}:{}", item.id, item.version))
                .collect(),
            unchanged: outcome.unchanged.len(),
            q: form.q.clone().unwrap_or_default(),
            filter: form.filter.clone().unwrap_or_default(),
        };
        return render(&page);
    }
    log::info!(
        "merchant {merchant_id}: bulk {} on {} items by staff {}: {} changed at catalog version {}",
        action.as_str(),
        outcome.selected,
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
