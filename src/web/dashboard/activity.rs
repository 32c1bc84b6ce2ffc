//! `/activity`: the audit log, with Undo for designation changes.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::items::render;
use super::{Layout, Notice, see_other, set_flash};
use crate::domain::OnlineListing;
use crate::inventory::audit::{self, AuditEntry, AuditField};
use crate::inventory::designations::describe;
use crate::inventory::permissions::Permission;
use crate::inventory::{InventoryError, Item, designations};
use crate::web::auth::CurrentStaff;
use crate::web::errors::HtmlError;
use crate::web::{AppState, run};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/activity", web::get().to(activity))
        .route("/activity/{id}/undo", web::post().to(undo));
}

#[derive(Deserialize)]
struct ActivityParams {
    item: Option<String>,
    before: Option<String>,
}

#[derive(Template)]
#[template(path = "activity/index.html")]
struct ActivityPage {
    layout: Layout,
    item: Option<Item>,
    entries: Vec<AuditEntry>,
    next_url: Option<String>,
}

impl ActivityPage {
    /// A stored value as the merchant reads it.
    fn shown(&self, entry: &AuditEntry, value: &str) -> String {
        match entry.field {
            AuditField::Online => OnlineListing::parse(value)
                .map(|o| o.label().to_owned())
                .unwrap_or_else(|_| value.to_owned()),
            AuditField::InStore => match value {
                "true" => "In store".to_owned(),
                "false" => "Not in store".to_owned(),
                other => other.to_owned(),
            },
            _ => value.to_owned(),
        }
    }

    fn field_label(&self, entry: &AuditEntry) -> String {
        match entry.field {
            AuditField::Online => "Online".to_owned(),
            AuditField::InStore => "In store".to_owned(),
            other => {
                let mut label = other.as_str().replace('_', " ");
                if let Some(first) = label.get(..1) {
                    label = first.to_uppercase() + &label[1..];
                }
                label
            }
        }
    }
}

fn parse_id(raw: Option<&str>, what: &str) -> Result<Option<i64>, HtmlError> {
    match raw {
        None | Some("") => Ok(None),
        Some(raw) => raw
            .parse::<i64>()
            .map(Some)
            .map_err(|_| HtmlError::BadRequest(format!("{raw:?} is not {what}."))),
    }
}

async fn activity(
    state: web::Data<AppState>,
    current: CurrentStaff,
    params: web::Query<ActivityParams>,
) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::ViewActivity)?;
    let merchant_id = current.merchant.id;
    let item_id = parse_id(params.item.as_deref(), "an item id")?;
    let before = parse_id(params.before.as_deref(), "a log position")?;
    let (item, page) = run(&state, move |conn| {
        let item = item_id
            .map(|id| Item::find(conn, merchant_id, id))
            .transpose()?;
        let page = audit::entries(conn, merchant_id, item_id, before, 50)?;
        Ok((item, page))
    })
    .await?;
    let next_url = page.next_before.map(|before| match item_id {
        Some(id) => format!("/activity?item={id}&before={before}"),
        None => format!("/activity?before={before}"),
    });
    render(&ActivityPage {
        layout: Layout::new(&current, "activity"),
        item,
        entries: page.entries,
        next_url,
    })
}

async fn undo(
    state: web::Data<AppState>,
    current: CurrentStaff,
    path: web::Path<i64>,
) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::Designate)?;
    let (merchant_id, entry_id) = (current.merchant.id, path.into_inner());
    let actor = current.actor();
    let notice = match run(&state, move |conn| {
        designations::undo(conn, &actor, merchant_id, entry_id)
    })
    .await
    {
        Ok(done) if done.changed => Notice::success(format!(
            "Undone: {} is back to {}",
            done.item.name,
            describe(&done.item)
        )),
        Ok(done) => Notice::warning(format!(
            "{} already is {}",
            done.item.name,
            describe(&done.item)
        )),
        Err(InventoryError::Rule { item, rule }) => Notice::error(format!("{}: {rule}", item.name)),
        Err(InventoryError::Conflict { current: item }) => Notice::warning(format!(
            "{} was changed again since, and is now {}; Undo would overwrite that, so nothing was changed.",
            item.name,
            describe(&item)
        )),
        Err(InventoryError::Invalid(error)) => Notice::error(error.message),
        Err(other) => return Err(other.into()),
    };
    set_flash(&current.session, notice);
    Ok(see_other("/activity"))
}
